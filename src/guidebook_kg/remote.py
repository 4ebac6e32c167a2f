"""Remote SPARQL 1.1 endpoints: the only module that talks HTTP to them (via SPARQLWrapper).

Every request is a POST (a URL-encoded form, so long queries fit), has an explicit
timeout and a descriptive User-Agent, and picks the result syntax by content negotiation
alone (no ``format=`` URL parameters). Failures become :class:`EndpointError` (exit code 4)
naming the endpoint and, for HTTP errors, the status and the store's own message.

Views run on the endpoint's default graph, so the endpoint must answer over the union of
its graphs: Oxigraph ``serve --union-default-graph``, Fuseki ``tdb2:unionDefaultGraph
true``; Virtuoso, GraphDB and QLever already do. Or the caller names the graphs to read
(``default_graphs``: the protocol's ``default-graph-uri``). When a query comes back empty,
the endpoint checks once (``checks/project-graphs.rq``) whether its default graph holds
any of the project's triples while named graphs do, and if so says how to fix that for
the store it is talking to, instead of letting an empty table pass for an answer.

Values come back as the store writes them, except booleans, which are put in canonical
form (Virtuoso writes ``"1"^^xsd:boolean`` for ``true``): the same value either way.
"""

from __future__ import annotations

import ast
import json
import re
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from typing import Any

import pyoxigraph as ox
from SPARQLWrapper import BASIC, DIGEST, JSON, POST, TURTLE, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from guidebook_kg import views
from guidebook_kg.errors import EndpointError, UsageError
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
    """A remote SPARQL endpoint; :mod:`guidebook_kg.views` runs views through it.

    ``default_graphs`` are sent as the protocol's ``default-graph-uri``: the query's
    default graph is then the merge of those graphs. ``explain_empty`` (on by default)
    turns an empty answer from a store whose default graph misses the project's named
    graphs into an :class:`EndpointError` that says how to fix it; turn it off for
    queries that read named graphs only (``guidebook push`` counting its graphs).
    ``named_graphs`` also sends those graphs as ``named-graph-uri``, so ``GRAPH ?g``
    ranges over them (the protocol leaves no named graphs when only default graphs are
    named). ``user``/``password`` authenticate every request (``auth``: basic or digest).

    :attr:`truncated` says whether the last answer was cut short by the store (Virtuoso
    stops at its ``ResultSetMaxRows`` and says so in an ``X-SPARQL-MaxRows`` header).
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        default_graphs: Sequence[str] = (),
        explain_empty: bool = True,
        named_graphs: bool = False,
        user: str | None = None,
        password: str | None = None,
        auth: str = "basic",
    ) -> None:
        self.url = url
        self.timeout = timeout
        for graph in default_graphs:
            try:
                ox.NamedNode(graph)
            except ValueError as err:
                raise UsageError(f"--graph {graph}: not an IRI ({err})") from None
        self.default_graphs = tuple(default_graphs)
        self.explain_empty = explain_empty
        self.named_graphs = named_graphs
        self.credentials = None if user is None else (user, password or "", auth)
        self.server: str | None = None  # the store's Server header, once it has answered
        self.truncated: str | None = None  # the row limit the last answer stopped at
        self._default_graph_checked = False

    def _client(self, accept: str, *, dataset: bool = True) -> SPARQLWrapper:
        client = SPARQLWrapper(self.url, agent=USER_AGENT)
        client.setMethod(POST)
        client.setRequestMethod(URLENCODED)
        client.setTimeout(int(max(1, round(self.timeout))))
        client.setOnlyConneg(True)
        client.setReturnFormat(accept)
        if dataset:
            for graph in self.default_graphs:
                client.addParameter("default-graph-uri", graph)
                if self.named_graphs:
                    client.addParameter("named-graph-uri", graph)
        if self.credentials is not None:
            user, password, scheme = self.credentials
            client.setHTTPAuth(DIGEST if scheme == "digest" else BASIC)
            client.setCredentials(user, password)
        return client

    def _body(self, query: str, accept: str, *, dataset: bool = True) -> bytes:
        client = self._client(accept, dataset=dataset)
        client.setQuery(query)
        try:
            response = client.query()
            try:
                self.server = response.response.headers.get("Server") or self.server
                self.truncated = response.response.headers.get("X-SPARQL-MaxRows")
                return bytes(response.response.read())
            finally:
                response.response.close()
        except SPARQLWrapperException as err:
            status = _STATUS_OF.get(type(err).__name__)
            message = _store_message(_answer(err)) or _first_line(err)
            raise self._error(f"HTTP {status}" if status else "error", message, status) from None
        except urllib.error.HTTPError as err:
            message = _store_message(_http_body(err, 4000)) or err.reason
            raise self._error(f"HTTP {err.code}", message, err.code) from None
        except urllib.error.URLError as err:
            raise self._error("unreachable", err.reason) from None
        except TimeoutError:
            raise self._error("unreachable", f"no answer within {self.timeout:g} s") from None
        except (ConnectionError, OSError) as err:
            raise self._error("unreachable", err) from None

    def _error(self, status: str, detail: object, code: int | None = None) -> EndpointError:
        text = str(detail).strip() or "no details"
        if code in (400, 500) or (code is not None and code > 500):
            hint = "that is the store's own message; the README lists what each store needs"
        elif code in (401, 403):
            hint = "this URL wants credentials; give the store's public query URL"
        else:
            hint = "check the URL (e.g. http://host:7878/query) and that the server is running"
        return EndpointError(f"SPARQL endpoint {self.url}: {status}: {text}", hint=hint)

    def _bad_answer(self, body: bytes, reason: str) -> EndpointError:
        # A store that fails while it streams its answer (Oxigraph: a SERVICE that fails,
        # an evaluation error) writes its message into the body after a good start.
        tail = " ".join(body[-300:].decode("utf-8", "replace").split())
        return EndpointError(
            f"SPARQL endpoint {self.url}: bad answer: {reason}; the answer ends: {tail}",
            hint="the store failed part-way through its answer; its own words end it",
        )

    def select(self, query: str) -> Table:
        """Run a SELECT query; the rows come back as pyoxigraph terms."""
        table = self._select(query)
        if not table.rows:
            self._check_default_graph()
        return table

    def _select(self, query: str, *, dataset: bool = True) -> Table:
        body = self._body(query, JSON, dataset=dataset)
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
            triples = list(dict.fromkeys(ox.parse(body, format=ox.RdfFormat.TURTLE)))
        except SyntaxError as err:
            raise self._bad_answer(body, f"not Turtle ({err.msg})") from None
        if not triples:
            self._check_default_graph()
        return triples

    def _check_default_graph(self) -> None:
        """Raise when the default graph has none of the project's triples but named
        graphs do; an empty store, or a default graph with data, lets the answer stand."""
        if not self.explain_empty or self._default_graph_checked:
            return
        self._default_graph_checked = True
        probe = files("guidebook_kg").joinpath(PROBE).read_text(encoding="utf-8")
        try:
            found = self._select(probe)
            if any(row[0] is None for row in found.rows):
                return  # the default graph holds project triples: the empty answer is real
            if self.default_graphs:  # the named graphs, as the store has them
                found = self._select(probe, dataset=False)
        except EndpointError:
            return  # the probe is a courtesy; the view's own answer stands
        graphs = [row[0].value for row in found.rows if row[0] is not None]
        if graphs:
            raise self._default_graph_error(graphs[0])

    def _default_graph_error(self, example: str) -> EndpointError:
        if self.default_graphs:
            chosen = ", ".join(f"<{g}>" for g in self.default_graphs)
            return EndpointError(
                f"SPARQL endpoint {self.url}: the graph(s) read as the default graph "
                f"({chosen}) hold none of the project's triples, but named graph "
                f"<{example}> does",
                hint=f"pass the graphs that hold the data, e.g. --graph {example}",
            )
        store, fix = _union_fix(self.server)
        return EndpointError(
            f"SPARQL endpoint {self.url}: the default graph{store} holds none of the "
            f"project's triples, but named graph <{example}> does, so every view would "
            "come back empty",
            hint=f"{fix}; or read named graphs with --graph IRI (repeatable), "
            f"e.g. --graph {example}",
        )


PROBE = "checks/project-graphs.rq"

# What makes a store's default graph the union of its named graphs, by the name in its
# Server header (lower case). Virtuoso, GraphDB and QLever need nothing: their default
# graph already is the union.
_UNION_FIXES = (
    (
        "oxigraph",
        " of this Oxigraph server",
        "restart it with `oxigraph serve --union-default-graph`",
    ),
    (
        "fuseki",
        " of this Fuseki server",
        "set `tdb2:unionDefaultGraph true` on its TDB2 dataset in the Fuseki configuration",
    ),
)
_ANY_FIX = (
    "make the store's default graph the union of its named graphs (Oxigraph: `oxigraph "
    "serve --union-default-graph`; Fuseki: `tdb2:unionDefaultGraph true`; see the README "
    "for other stores)"
)


def _union_fix(server: str | None) -> tuple[str, str]:
    name = (server or "").lower()
    for key, store, fix in _UNION_FIXES:
        if key in name:
            return store, fix
    return "", _ANY_FIX


def _answer(err: Exception) -> str:
    # SPARQLWrapper keeps the store's answer only as the repr() of its bytes, after
    # "Response:" in the exception's message.
    _, found, answer = str(err).partition("Response:\n")
    if not found:
        return ""
    try:
        raw = ast.literal_eval(answer.strip())
    except (ValueError, SyntaxError):
        return answer
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _store_message(body: str) -> str:
    """A store's error answer as one line: its first paragraph (Virtuoso and Fuseki echo
    the whole query after a blank line), markup removed."""
    text = body.strip()
    if text.startswith("<"):
        text = re.sub(r"<[^>]*>", "\n", text)
    first = re.split(r"\n\s*\n", text.strip(), maxsplit=1)[0]
    return " ".join(first.split())[:500]


def _first_line(err: Exception) -> str:
    # Without an answer from the store, SPARQLWrapper's own explanation.
    return " ".join(str(err).split("Response:")[0].split())[:300]


_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_BOOLEAN_FORMS = {"1": "true", "0": "false"}


def _term(binding: Mapping[str, Any] | None) -> Term | None:
    if binding is None:
        return None
    kind, value = binding["type"], binding["value"]
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        try:
            return ox.BlankNode(value)
        except ValueError:  # Virtuoso's labels (nodeID://b10001) are not N-Triples labels
            return ox.BlankNode("x" + value.encode("utf-8").hex())
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in binding:
            return ox.Literal(value, language=binding["xml:lang"])
        if "datatype" in binding:
            if binding["datatype"] == _BOOLEAN and value in _BOOLEAN_FORMS:
                value = _BOOLEAN_FORMS[value]
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


class _PreemptiveDigest(urllib.request.HTTPDigestAuthHandler):
    """HTTP Digest authentication that, once challenged, authenticates every later request
    at once (the stock handler waits for a 401 each time, so a large body is sent twice,
    and a store that gives up on it mid-upload breaks the connection)."""

    def __init__(self, manager: urllib.request.HTTPPasswordMgr) -> None:
        super().__init__(manager)
        self._challenge: dict[str, str] | None = None

    @property
    def challenged(self) -> bool:
        return self._challenge is not None

    def http_error_auth_reqed(self, auth_header: str, host: str, req: Any, headers: Any) -> Any:
        offered = headers.get(auth_header)
        if offered:
            scheme, _, rest = offered.partition(" ")
            if scheme.lower() == "digest":
                self._challenge = urllib.request.parse_keqv_list(
                    urllib.request.parse_http_list(rest)
                )
        return super().http_error_auth_reqed(auth_header, host, req, headers)

    def http_request(self, req: Any) -> Any:
        if self._challenge is not None and not req.has_header("Authorization"):
            answer = self.get_authorization(req, self._challenge)
            if answer:
                req.add_unredirected_header("Authorization", f"Digest {answer}")
        return req

    https_request = http_request


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
        self._digest: _PreemptiveDigest | None = None
        if user is not None:
            if auth == "digest":
                manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
                manager.add_password(None, [gsp_url, update_url], user, password or "")
                self._digest = _PreemptiveDigest(manager)
                handlers.append(self._digest)
            else:
                import base64

                token = base64.b64encode(f"{user}:{password or ''}".encode()).decode("ascii")
                self._basic = f"Basic {token}"
        self._opener = urllib.request.build_opener(*handlers)

    def put(self, graph: str, data: bytes, media_type: str = "application/n-triples") -> None:
        """Replace ``graph`` with ``data`` (GSP PUT ``?graph=``)."""
        if self._digest is not None and not self._digest.challenged:
            # Be challenged by a small request first: a store (Virtuoso) that answers 401
            # to a large unauthenticated upload closes the connection mid-body.
            self.delete(graph)
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


def _http_body(err: Any, limit: int) -> str:
    try:
        return str(err.read(limit).decode("utf-8", "replace"))
    except Exception:  # the error body is a courtesy; the status says enough
        return ""


def _http_detail(err: Any) -> str:
    return " ".join(_http_body(err, 2000).split())[:300]
