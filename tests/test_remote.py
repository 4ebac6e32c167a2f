"""Views on a live SPARQL endpoint: parameters, errors, and empty default graphs.

The endpoint is a real Oxigraph server (PyPI ``oxigraph``) on 127.0.0.1, loaded with the
fixture programmes as N-Quads through the Graph Store Protocol, so every programme keeps
its own named graph as in the local store; started with ``--union-default-graph``, or
without it to check that an empty default graph is explained rather than printed as an
empty table. Every view's rows on Oxigraph and Virtuoso are compared in test_stores.py.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pyoxigraph as ox
import pytest

from conftest import Run, assert_same_rows
from guidebook_kg import remote, views
from guidebook_kg.errors import EndpointError
from oxigraph_server import oxigraph_server
from view_cases import PROGRAMMES, REPO, fixture_store, project

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def local() -> ox.Store:
    return fixture_store()


def _post(url: str, data: bytes, media_type: str) -> None:
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": media_type}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 201, 204)


@pytest.fixture(scope="module")
def endpoint(local: ox.Store) -> Iterator[str]:
    with oxigraph_server() as url:
        _post(url + "/store", ox.serialize(local, format=ox.RdfFormat.N_QUADS),
              "application/n-quads")
        yield url + "/query"


# Everything in one named graph, as `guidebook push --graph IRI` writes it.
EVERYTHING = "http://example.org/everything"


@pytest.fixture(scope="module")
def without_union(local: ox.Store) -> Iterator[str]:
    """Oxigraph as it starts by default: queries see the (empty) default graph only. The
    fixture graph is in its named graphs, and once more whole in EVERYTHING."""
    with oxigraph_server(union_default_graph=False) as url:
        _post(url + "/store", ox.serialize(local, format=ox.RdfFormat.N_QUADS),
              "application/n-quads")
        union = ox.serialize((q.triple for q in local), format=ox.RdfFormat.N_TRIPLES)
        _post(f"{url}/store?{urllib.parse.urlencode({'graph': EVERYTHING})}", union,
              "application/n-triples")
        yield url + "/query"


@pytest.fixture(scope="module")
def catalogue() -> dict[str, views.View]:
    return views.load_views(project())


def test_ratings_and_derivation_remotely(endpoint: str, catalogue: dict[str, views.View]) -> None:
    ratings = views.rate(remote.Endpoint(endpoint), catalogue, "two-study-support", explain=True)

    assert [(r.asserted, r.derived, r.agrees) for r in ratings] == [("3+", "3+", True)]
    assert next(c.label for c in ratings[0].criteria if c.why_not_higher).startswith("Level 4")


def _cli_args() -> list[str]:
    return [arg for path in PROGRAMMES for arg in ("--data", str(path))]


def test_cli_json_is_the_same_on_both_engines(run: Run, endpoint: str) -> None:
    # The CLI's local store also holds the IPP data; the server holds fixtures only, so
    # compare one fixture programme's studies.
    args = ["query", "studies", "-p", "programme=replicated-visits", "--format", "json"]
    here = run(*_cli_args(), *args, project=REPO)
    there = run(*args, "--endpoint", endpoint, project=REPO)

    assert here.exit_code == there.exit_code == 0, there.output
    assert json.loads(here.stdout) == json.loads(there.stdout)


def test_unknown_programme_is_checked_on_the_endpoint(run: Run, endpoint: str) -> None:
    result = run("query", "studies", "-p", "programme=infant-parent-psychotherapy",
                 "--endpoint", endpoint, project=REPO)

    # IPP is in the project's files but not on this endpoint.
    assert result.exit_code == 3
    assert "unknown programme 'infant-parent-psychotherapy'" in result.stderr


def test_http_error_exits_4_with_endpoint_and_status(run: Run, endpoint: str) -> None:
    wrong = endpoint.replace("/query", "/nowhere")
    result = run("query", "programmes", "--endpoint", wrong, project=REPO)

    assert result.exit_code == 4
    assert result.stderr.startswith(f"Error: SPARQL endpoint {wrong}: HTTP 404")
    assert result.stderr.count("\n") == 1


def test_bad_query_exits_4_with_the_server_s_reason(
    run: Run, endpoint: str, tmp_path: Path
) -> None:
    path = tmp_path / "broken.rq"
    path.write_text("#+ summary: Broken.\n#+ columns: {s: x}\nSELECT ?s WHERE { ?s ?p }\n")

    result = run("query", str(path), "--endpoint", endpoint, project=REPO)

    assert result.exit_code == 4
    assert "HTTP 400" in result.stderr
    assert endpoint in result.stderr
    assert "HTTP 400: error at 4:1: expected" in result.stderr  # Oxigraph's own message


def test_unreachable_endpoint_exits_4(run: Run) -> None:
    from oxigraph_server import free_port

    url = f"http://127.0.0.1:{free_port()}/query"
    result = run("query", "programmes", "--endpoint", url, project=REPO)

    assert result.exit_code == 4
    assert f"SPARQL endpoint {url}: unreachable" in result.stderr


# ------------------------------------------------------------------ an empty default graph


def test_an_empty_default_graph_is_explained_instead_of_an_empty_table(
    run: Run, without_union: str
) -> None:
    result = run("query", "programmes", "--endpoint", without_union, project=REPO)

    assert result.exit_code == 4
    assert result.stdout == ""
    message = result.stderr
    assert message.count("\n") == 1
    assert message.startswith(f"Error: SPARQL endpoint {without_union}: the default graph of "
                              "this Oxigraph server holds none of the project's triples")
    assert "named graph <" in message
    assert "oxigraph serve --union-default-graph" in message
    assert "--graph" in message


def test_a_programme_parameter_gets_the_explanation_not_unknown_programme(
    run: Run, without_union: str
) -> None:
    result = run("query", "studies", "-p", "programme=two-study-support",
                 "--endpoint", without_union, project=REPO)

    assert result.exit_code == 4
    assert "--union-default-graph" in result.stderr
    assert "unknown programme" not in result.stderr


def test_graph_reads_named_graphs_as_the_default_graph(
    run: Run, without_union: str, local: ox.Store, catalogue: dict[str, views.View]
) -> None:
    engine = remote.Endpoint(without_union, default_graphs=[EVERYTHING])
    for name, params in [("programmes", {}), ("studies", {"programme": "quasi-reading"})]:
        there = views.run_on(engine, catalogue[name], params, catalogue)
        assert_same_rows(there, views.run(local, catalogue[name], params, catalogue))
        assert len(there) > 0

    result = run("query", "programmes", "--endpoint", without_union, "--graph", EVERYTHING,
                 project=REPO)
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(f"({len(PROGRAMMES)} rows)\n")


def test_graph_that_holds_no_data_is_explained(run: Run, without_union: str) -> None:
    result = run("query", "programmes", "--endpoint", without_union,
                 "--graph", "http://example.org/nothing", project=REPO)

    assert result.exit_code == 4
    assert "(<http://example.org/nothing>) hold none of the project's triples" in result.stderr
    assert "but named graph <" in result.stderr
    assert "pass the graphs that hold the data, e.g. --graph " in result.stderr


def test_graph_needs_an_endpoint_and_an_iri(run: Run, endpoint: str) -> None:
    alone = run("query", "programmes", "--graph", EVERYTHING, project=REPO)
    assert alone.exit_code == 2
    assert "--graph needs --endpoint" in alone.stderr

    bad = run("query", "programmes", "--endpoint", endpoint, "--graph", "not an iri",
              project=REPO)
    assert bad.exit_code == 2
    assert "--graph not an iri: not an IRI" in bad.stderr


def test_an_empty_store_gives_an_empty_table(run: Run) -> None:
    with oxigraph_server(union_default_graph=False) as url:
        result = run("query", "programmes", "--endpoint", url + "/query", project=REPO)

    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("(0 rows)\n")


def test_an_empty_answer_where_the_default_graph_has_data_stays_an_answer(
    run: Run, endpoint: str, tmp_path: Path
) -> None:
    path = tmp_path / "nothing.rq"
    path.write_text("#+ summary: Nothing.\n#+ columns: {s: x}\n"
                    "SELECT ?s WHERE { ?s a <http://example.org/Nothing> }\n")

    result = run("query", str(path), "--endpoint", endpoint, project=REPO)

    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("(0 rows)\n")


def test_push_writes_to_a_store_without_a_union_default_graph(run: Run) -> None:
    # push counts named graphs; a graph it has not written yet counts 0 rows there,
    # which must not be mistaken for a view on an empty default graph.
    with oxigraph_server(union_default_graph=False) as url:
        first = run(*_cli_args()[2:], "push", "--endpoint", url + "/query", project=REPO)
        assert first.exit_code == 0, first.output
        second = run(*_cli_args(), "push", "--endpoint", url + "/query", "--replace",
                     project=REPO)
        assert second.exit_code == 0, second.output
        sizes = run("query", "graph-sizes", "--endpoint", url + "/query", project=REPO)

    assert sizes.exit_code == 0, sizes.output
    # the ontology, the derived graph, the shipped data files and the fixtures
    shipped = len(list((REPO / "data").rglob("*.ttl")))
    assert f"({len(PROGRAMMES) + shipped + 2} rows)" in sizes.stdout


# ------------------------------------------------------------------ what goes on the wire


class _Recorder(http.server.BaseHTTPRequestHandler):
    """A minimal SPARQL endpoint that records each request and answers with no rows (or
    with ``error``)."""

    seen: ClassVar[list[dict[str, Any]]] = []
    delay = 0.0
    error: tuple[int, str] | None = None  # (status, body) to answer with instead
    named_graph: str | None = None  # where the project-graphs probe finds project triples
    # the columns of the concepts view, which the test runs
    columns: ClassVar[list[str]] = [
        "concept", "label", "notation", "alt_label", "definition", "level_value"
    ]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode()
        self.seen.append({"method": "POST", "path": self.path, "headers": dict(self.headers),
                          "form": urllib.parse.parse_qs(body)})
        time.sleep(self.delay)
        query = urllib.parse.parse_qs(body).get("query", [""])[0]
        if self.named_graph is not None and "GRAPH ?graph" in query:
            self._answer(["graph"], [{"graph": {"type": "uri", "value": self.named_graph}}])
            return
        if self.error is not None:
            status, message = self.error
            text = message.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)
            return
        self._answer(self.columns, [])

    def _answer(self, columns: list[str], bindings: list[dict[str, Any]]) -> None:
        answer = json.dumps({"head": {"vars": columns},
                             "results": {"bindings": bindings}}).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self) -> None:
        self.seen.append({"method": "GET", "path": self.path, "headers": dict(self.headers)})
        self.send_error(405)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, type[_Recorder]]]:
    class Handler(_Recorder):
        seen: ClassVar[list[dict[str, Any]]] = []

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sparql", Handler
    finally:
        server.shutdown()
        server.server_close()


def test_requests_are_posts_with_a_user_agent_and_conneg_only(
    recorder: tuple[str, type[_Recorder]], catalogue: dict[str, views.View]
) -> None:
    url, handler = recorder
    view = views.load_view(REPO / "queries" / "concepts.rq")

    remote.run(url, view, {"scheme": "gbc:setting"}, catalogue)

    # The scheme is looked up first; its answer is empty, so the endpoint then checks
    # once where the project's triples are (none anywhere: the query runs, unchecked).
    lookup, probe, request = handler.seen
    assert "skos:ConceptScheme" in lookup["form"]["query"][0]
    assert "GRAPH ?graph" in probe["form"]["query"][0]
    assert probe["headers"]["User-Agent"] == request["headers"]["User-Agent"]
    assert request["method"] == probe["method"] == "POST"
    assert request["path"] == "/sparql"
    assert request["headers"]["User-Agent"].startswith("guidebook-kg/")
    assert "application/sparql-results+json" in request["headers"]["Accept"]
    assert set(request["form"]) == {"query"}
    [query] = request["form"]["query"]
    assert "VALUES (?scheme) { (<https://w3id.org/guidebook-kg/concept/setting>) }" in query


def test_an_unknown_store_gets_every_known_fix(
    recorder: tuple[str, type[_Recorder]], run: Run
) -> None:
    url, handler = recorder
    handler.named_graph = "http://example.org/g"

    result = run("query", "programmes", "--endpoint", url, project=REPO)

    assert result.exit_code == 4
    assert f"{url}: the default graph holds none of the project's triples, but named " \
        "graph <http://example.org/g> does" in result.stderr
    assert "Oxigraph: `oxigraph serve --union-default-graph`" in result.stderr
    assert "Fuseki: `tdb2:unionDefaultGraph true`" in result.stderr
    assert "e.g. --graph http://example.org/g" in result.stderr


@pytest.mark.parametrize("status", [500, 503])
def test_an_error_answer_shows_the_store_s_own_message(
    recorder: tuple[str, type[_Recorder]], run: Run, status: int
) -> None:
    url, handler = recorder
    handler.error = (status, "Store 42 Error: out of memory while joining\n\n"
                             "SPARQL query:\nSELECT * WHERE { ?s ?p ?o }\n")

    result = run("query", "programmes", "--endpoint", url, project=REPO)

    assert result.exit_code == 4
    assert result.stderr.startswith(
        f"Error: SPARQL endpoint {url}: HTTP {status}: Store 42 Error: out of memory while "
        "joining ("
    )
    assert "SPARQL query:" not in result.stderr  # the echoed query is left out
    assert result.stderr.count("\n") == 1


def test_a_slow_endpoint_times_out(recorder: tuple[str, type[_Recorder]]) -> None:
    url, handler = recorder
    handler.delay = 3.0

    with pytest.raises(EndpointError, match=r"no answer within 1 s|timed out") as caught:
        remote.Endpoint(url, timeout=1).select("SELECT * WHERE { ?s ?p ?o }")
    assert caught.value.exit_code == 4
    assert url in str(caught.value)
