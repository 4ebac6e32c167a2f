"""Remote SPARQL 1.1 endpoints: the only module that talks HTTP to them (via SPARQLWrapper).

Every request is a POST (a URL-encoded form, so long queries fit), has an explicit
timeout and a descriptive User-Agent, and picks the result syntax by content negotiation
alone (no ``format=`` URL parameters). Failures become :class:`EndpointError` (exit code 4)
naming the endpoint and, for HTTP errors, the status.

Views run on the endpoint's default graph, so the endpoint must answer over the union of
its graphs: Oxigraph ``serve --union-default-graph``, Fuseki ``tdb:unionDefaultGraph
true``, GraphDB (its default graph is already the union), or the data loaded into the
default graph.
"""

from __future__ import annotations

import json
import urllib.error
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import pyoxigraph as ox
from SPARQLWrapper import JSON, POST, TURTLE, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from guidebook_kg import views
from guidebook_kg.errors import EndpointError
from guidebook_kg.views import Catalogue, Table, Term, View

DEFAULT_TIMEOUT = 30.0

try:
    _VERSION = version("guidebook-kg")
except PackageNotFoundError:  # running from a source tree that is not installed
    _VERSION = "0"
USER_AGENT = f"guidebook-kg/{_VERSION} (+https://w3id.org/guidebook-kg; SPARQLWrapper)"

# SPARQLWrapper raises one class per HTTP status and keeps the status only in the class.
_STATUS_OF = {
    "QueryBadFormed": 400,
    "Unauthorized": 401,
    "EndPointNotFound": 404,
    "URITooLong": 414,
    "EndPointInternalError": 500,
}


class Endpoint:
    """A remote SPARQL endpoint; :mod:`guidebook_kg.views` runs views through it."""

    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.url = url
        self.timeout = timeout

    def _client(self, accept: str) -> SPARQLWrapper:
        client = SPARQLWrapper(self.url, agent=USER_AGENT)
        client.setMethod(POST)
        client.setRequestMethod(URLENCODED)
        client.setTimeout(int(max(1, round(self.timeout))))
        client.setOnlyConneg(True)
        client.setReturnFormat(accept)
        return client

    def _body(self, query: str, accept: str) -> bytes:
        client = self._client(accept)
        client.setQuery(query)
        try:
            response = client.query()
            try:
                return bytes(response.response.read())
            finally:
                response.response.close()
        except SPARQLWrapperException as err:
            status = _STATUS_OF.get(type(err).__name__)
            answered, said = _store_message(err)
            label = f"HTTP {status}" if status else "error"
            if not answered or status == 404:
                raise self._error(label, said) from None
            raise self._error(label, f"the store says: {said}", hint=_ANSWERED) from None
        except urllib.error.HTTPError as err:
            detail = _http_detail(err)
            if detail and err.code != 404:
                raise self._error(
                    f"HTTP {err.code}", f"the store says: {detail}", hint=_ANSWERED
                ) from None
            raise self._error(f"HTTP {err.code}", detail or err.reason) from None
        except urllib.error.URLError as err:
            raise self._error("unreachable", err.reason) from None
        except TimeoutError:
            raise self._error("unreachable", f"no answer within {self.timeout:g} s") from None
        except (ConnectionError, OSError) as err:
            raise self._error("unreachable", err) from None

    def _error(self, status: str, detail: object, *, hint: str | None = None) -> EndpointError:
        text = str(detail).strip() or "no details"
        return EndpointError(
            f"SPARQL endpoint {self.url}: {status}: {text}",
            hint=hint
            or "check the URL (e.g. http://host:7878/query) and that the server is running",
        )

    def select(self, query: str) -> Table:
        """Run a SELECT query; the rows come back as pyoxigraph terms."""
        body = self._body(query, JSON)
        try:
            document = json.loads(body)
            columns = list(document["head"]["vars"])
            rows = [
                tuple(_term(binding.get(c)) for c in columns)
                for binding in document["results"]["bindings"]
            ]
        except (ValueError, KeyError, TypeError) as err:
            raise self._bad_answer(body, f"not SPARQL results JSON ({err})") from None
        return Table(columns, rows)

    def construct(self, query: str) -> list[ox.Triple]:
        """Run a CONSTRUCT query; the triples come back parsed from Turtle."""
        body = self._body(query, TURTLE)
        try:
            return list(dict.fromkeys(ox.parse(body, format=ox.RdfFormat.TURTLE)))
        except SyntaxError as err:
            raise self._bad_answer(body, f"not Turtle ({err.msg})") from None

    def _bad_answer(self, body: bytes, reason: str) -> EndpointError:
        # A store that fails while it streams its answer (Oxigraph) writes the error into
        # the body after a good start: that text is what says what went wrong.
        tail = " ".join(body[-300:].decode("utf-8", "replace").split())
        return self._error(
            "bad answer", f"{reason}; the answer ends: {tail}", hint=_ANSWERED
        )


# The hint when the store answered and said what went wrong: the URL is fine.
_ANSWERED = "the endpoint answered: its own message says what went wrong"


def _store_message(err: Exception) -> tuple[bool, str]:
    """(whether the store sent a message, the message or SPARQLWrapper's explanation).

    SPARQLWrapper's text is its own explanation, then "Response:" and the server's
    answer, which is what tells the user what went wrong.
    """
    explanation, _, answer = str(err).partition("Response:")
    answer = answer.strip()
    if answer.startswith(("b'", 'b"')):
        answer = answer[2:-1].encode().decode("unicode_escape", errors="replace")
    answer = " ".join(answer.split())[:300]
    if answer:
        return True, answer
    explanation = explanation.split(":", 1)[-1] if ":" in explanation else explanation
    return False, " ".join(explanation.split())[:300]


def _term(binding: Mapping[str, Any] | None) -> Term | None:
    if binding is None:
        return None
    kind, value = binding["type"], binding["value"]
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(value)
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in binding:
            return ox.Literal(value, language=binding["xml:lang"])
        if "datatype" in binding:
            return ox.Literal(value, datatype=ox.NamedNode(binding["datatype"]))
        return ox.Literal(value)
    raise ValueError(f"unknown term type {kind!r}")


def run(
    endpoint: str | Endpoint,
    view: View,
    params: Mapping[str, str] | None = None,
    catalogue: Catalogue | None = None,
) -> Table:
    """Run a SELECT view on a remote endpoint, with its parameters bound as on the store."""
    engine = endpoint if isinstance(endpoint, Endpoint) else Endpoint(endpoint)
    return views.run_on(engine, view, params, catalogue)


def run_graph(
    endpoint: str | Endpoint,
    view: View,
    params: Mapping[str, str] | None = None,
    catalogue: Catalogue | None = None,
) -> list[ox.Triple]:
    """Run a CONSTRUCT view on a remote endpoint."""
    engine = endpoint if isinstance(endpoint, Endpoint) else Endpoint(endpoint)
    return views.run_graph_on(engine, view, params, catalogue)


# ----------------------------------------------------------------------------- writing


class GraphStore:
    """Where ``guidebook push`` writes: a store's SPARQL 1.1 Graph Store HTTP Protocol
    service (``gsp_url``) and its SPARQL Update endpoint (``update_url``).

    Plain ``urllib`` rather than SPARQLWrapper, which speaks neither PUT nor DELETE. Each
    request has the same explicit timeout and User-Agent as the queries; credentials, when
    given, go as HTTP Basic or Digest authentication.
    """

    def __init__(
        self,
        gsp_url: str,
        update_url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        user: str | None = None,
        password: str | None = None,
        auth: str = "basic",
    ) -> None:
        import urllib.request

        self.gsp_url = gsp_url
        self.update_url = update_url
        self.timeout = timeout
        handlers: list[Any] = []
        self._basic: str | None = None
        if user is not None:
            if auth == "digest":
                manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
                manager.add_password(None, [gsp_url, update_url], user, password or "")
                handlers.append(urllib.request.HTTPDigestAuthHandler(manager))
            else:
                import base64

                token = base64.b64encode(f"{user}:{password or ''}".encode()).decode("ascii")
                self._basic = f"Basic {token}"
        self._opener = urllib.request.build_opener(*handlers)

    def put(self, graph: str, data: bytes, media_type: str = "application/n-triples") -> None:
        """Replace ``graph`` with ``data`` (GSP PUT ``?graph=``)."""
        self._send("PUT", self._graph_url(graph), data, {"Content-Type": media_type})

    def delete(self, graph: str) -> None:
        """Remove ``graph``; a graph that does not exist is not an error."""
        self._send("DELETE", self._graph_url(graph), None, {}, missing_ok=True)

    def update(self, text: str) -> None:
        """Run one SPARQL Update request."""
        headers = {"Content-Type": "application/sparql-update; charset=utf-8"}
        self._send("POST", self.update_url, text.encode("utf-8"), headers)

    def _graph_url(self, graph: str) -> str:
        import urllib.parse

        separator = "&" if "?" in self.gsp_url else "?"
        return f"{self.gsp_url}{separator}{urllib.parse.urlencode({'graph': graph})}"

    def _send(
        self,
        method: str,
        url: str,
        data: bytes | None,
        headers: Mapping[str, str],
        *,
        missing_ok: bool = False,
    ) -> None:
        import urllib.request

        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("User-Agent", USER_AGENT)
        for name, value in headers.items():
            request.add_header(name, value)
        if self._basic is not None:
            request.add_header("Authorization", self._basic)
        target = url.split("?", 1)[0]
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as err:
            if missing_ok and err.code == 404:
                return
            detail = _http_detail(err)
            raise EndpointError(
                f"{method} {target}: HTTP {err.code} {err.reason}"
                + (f": {detail}" if detail else ""),
                hint="check the Graph Store and update URLs (--gsp, --update) and that the "
                "store accepts writes from you",
            ) from None
        except urllib.error.URLError as err:
            raise EndpointError(f"{method} {target}: unreachable: {err.reason}") from None
        except TimeoutError:
            raise EndpointError(f"{method} {target}: no answer within {self.timeout:g} s") from None
        except (ConnectionError, OSError) as err:
            raise EndpointError(f"{method} {target}: connection failed: {err}") from None


def _http_detail(err: Any) -> str:
    try:
        body = err.read(2000).decode("utf-8", "replace")
    except Exception:  # the error body is a courtesy; the status says enough
        return ""
    return " ".join(body.split())[:300]
