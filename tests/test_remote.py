"""Views on a live SPARQL endpoint give the same rows as on the embedded store.

The endpoint is a real Oxigraph server (PyPI ``oxigraph``) on 127.0.0.1, started with
``--union-default-graph`` and loaded with the fixture programmes as N-Quads through the
Graph Store Protocol, so every programme keeps its own named graph as in the local store.
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

from conftest import Run, assert_isomorphic, rdflib_graph
from guidebook_kg import remote, views
from guidebook_kg.errors import EndpointError
from oxigraph_server import oxigraph_server
from view_cases import CASES, PROGRAMMES, REPO, case_id, fixture_store, project

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def local() -> ox.Store:
    return fixture_store()


@pytest.fixture(scope="module")
def endpoint(local: ox.Store) -> Iterator[str]:
    with oxigraph_server() as url:
        data = ox.serialize(local, format=ox.RdfFormat.N_QUADS)
        request = urllib.request.Request(
            url + "/store", data=data, method="POST",
            headers={"Content-Type": "application/n-quads"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status in (200, 201, 204)
        yield url + "/query"


@pytest.fixture(scope="module")
def catalogue() -> dict[str, views.View]:
    return views.load_views(project())


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_same_rows_locally_and_remotely(
    local: ox.Store, endpoint: str, catalogue: dict[str, views.View],
    case: tuple[str, dict[str, str]],
) -> None:
    name, params = case
    view = catalogue[name]
    if view.form == "select":
        here = views.run(local, view, params, catalogue)
        there = remote.run(endpoint, view, params, catalogue)
        assert there.columns == here.columns
        assert there.rows == here.rows
        assert len(here) > 0
    else:
        here_graph = views.run_graph(local, view, params, catalogue)
        there_graph = remote.run_graph(endpoint, view, params, catalogue)
        assert len(here_graph) == len(there_graph)
        assert_isomorphic(rdflib_graph(there_graph), rdflib_graph(here_graph))


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


def test_unreachable_endpoint_exits_4(run: Run) -> None:
    from oxigraph_server import free_port

    url = f"http://127.0.0.1:{free_port()}/query"
    result = run("query", "programmes", "--endpoint", url, project=REPO)

    assert result.exit_code == 4
    assert f"SPARQL endpoint {url}: unreachable" in result.stderr


# ------------------------------------------------------------------ what goes on the wire


class _Recorder(http.server.BaseHTTPRequestHandler):
    """A minimal SPARQL endpoint that records each request and answers with no rows."""

    seen: ClassVar[list[dict[str, Any]]] = []
    delay = 0.0
    # the columns of the concepts view, which the test runs
    columns: ClassVar[list[str]] = ["concept", "label", "notation", "alt_label", "definition"]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode()
        self.seen.append({"method": "POST", "path": self.path, "headers": dict(self.headers),
                          "form": urllib.parse.parse_qs(body)})
        time.sleep(self.delay)
        answer = json.dumps({"head": {"vars": self.columns},
                             "results": {"bindings": []}}).encode()
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

    [request] = handler.seen
    assert request["method"] == "POST"
    assert request["path"] == "/sparql"
    assert request["headers"]["User-Agent"].startswith("guidebook-kg/")
    assert "application/sparql-results+json" in request["headers"]["Accept"]
    assert set(request["form"]) == {"query"}
    [query] = request["form"]["query"]
    assert "VALUES (?scheme) { (<https://w3id.org/guidebook-kg/concept/setting>) }" in query


def test_a_slow_endpoint_times_out(recorder: tuple[str, type[_Recorder]]) -> None:
    url, handler = recorder
    handler.delay = 3.0

    with pytest.raises(EndpointError, match=r"no answer within 1 s|timed out") as caught:
        remote.Endpoint(url, timeout=1).select("SELECT * WHERE { ?s ?p ?o }")
    assert caught.value.exit_code == 4
    assert url in str(caught.value)
