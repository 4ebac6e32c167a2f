"""``guidebook serve`` under hostile clients, against real servers on 127.0.0.1.

Server-side request forgery (SERVICE) with a second local listener that must see no
request; the body limit enforced while reading; the bounded queue and fair share of the
query workers; idle connections closed; FROM honoured; and a hypothesis fuzz of the whole
HTTP surface (paths, headers, query strings, bodies): never a 500, never a traceback in
the server's log.
"""

from __future__ import annotations

import asyncio
import http.server
import select
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guidebook_kg.cli import main
from guidebook_server import guidebook_server

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parent.parent
IPP_GRAPH = "https://w3id.org/guidebook-kg/graph/programme/infant-parent-psychotherapy"
RUNAWAY = "SELECT ?a WHERE { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z } ORDER BY ?a ?b ?c LIMIT 1"
JSON = "application/sparql-results+json"


class Listener:
    """A plain HTTP server on 127.0.0.1 that records every request it gets (and answers
    each with an empty SPARQL result, so a caller that got through would succeed)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        seen = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                seen.append(f"{self.command} {self.path}")
                body = b'{"head":{"vars":["s"]},"results":{"bindings":[]}}'
                self.send_response(200)
                self.send_header("Content-Type", JSON)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                return None

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/sparql"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.close()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, listener: Listener) -> Path:
    """A copy of the project with one more saved view: it calls the listener."""
    root = tmp_path_factory.mktemp("hostile") / "project"
    for folder in ("ontology", "data", "shapes", "queries"):
        shutil.copytree(REPO / folder, root / folder)
    (root / "queries" / "forwarded.rq").write_text(
        "#+ summary: Rows from another endpoint (must be refused).\n"
        "#+ parameters:\n"
        "#+   label:\n"
        "#+     type: string\n"
        "#+     required: true\n"
        "#+ columns:\n"
        "#+   s: A subject.\n"
        "SELECT ?s WHERE {\n"
        "  #@values\n"
        f"  SERVICE <{listener.url}> {{ ?s ?p ?label }}\n"
        "}\n",
        encoding="utf-8",
    )
    return root


@pytest.fixture(scope="module")
def site(project: Path) -> Path:
    out = project.parent / "site"
    result = CliRunner().invoke(main, ["--project", str(project), "build", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def log(project: Path) -> Path:
    return project.parent / "serve.log"


@pytest.fixture(scope="module")
def url(project: Path, site: Path, log: Path) -> Iterator[str]:
    with guidebook_server(project, "--site", str(site), "--timeout", "5", log=log) as base:
        yield base


@pytest.fixture(scope="module")
def client(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=30) as c:
        yield c


# ------------------------------------------------------------------ SERVICE (SSRF)


def service_queries(target: str) -> list[str]:
    """SERVICE in the forms a filter on the text could miss."""
    return [
        f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"select * where {{ service silent <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }}",
        f"SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }} }}",
        f"SELECT * {{ # a comment\n SERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"PREFIX t: <{target.rsplit('/', 1)[0]}/> "
        "SELECT * WHERE { SERVICEt:sparql { ?s ?p ?o } }",
        "PREFIX ex: <http://example.org/> "
        f"SELECT * WHERE {{ ?s ?p ex:a\\#b SERVICE <{target}> {{ }} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ BIND(<{target}> AS ?u) SERVICE ?u {{ ?s ?p ?o }} }}",
    ]


def test_service_is_refused_and_no_request_leaves_the_server(
    client: httpx.Client, listener: Listener
) -> None:
    for query in service_queries(listener.url):
        for response in (
            client.get("/sparql", params={"query": query}, headers={"Accept": JSON}),
            client.post(
                "/sparql", content=query, headers={"Content-Type": "application/sparql-query"}
            ),
        ):
            assert response.status_code == 400, (query, response.text)
            assert "SERVICE" in response.text
            assert "--allow-service" in response.text
    assert listener.requests == []


def test_a_saved_view_with_service_is_refused_too(
    client: httpx.Client, listener: Listener, project: Path
) -> None:
    response = client.get("/views/forwarded", params={"label": "x", "format": "json"})
    assert response.status_code == 400
    assert "SERVICE" in response.text

    result = CliRunner().invoke(
        main, ["--project", str(project), "query", "forwarded", "-p", "label=x"]
    )
    assert result.exit_code == 3
    assert "SERVICE" in result.stderr
    assert listener.requests == []


def test_a_local_rq_file_with_service_is_refused(listener: Listener, tmp_path: Path) -> None:
    for number, query in enumerate(service_queries(listener.url)):
        path = tmp_path / f"q{number}.rq"
        path.write_text(query, encoding="utf-8")
        result = CliRunner().invoke(main, ["--project", str(REPO), "query", str(path)])
        assert result.exit_code == 3, (query, result.output)
        assert "SERVICE" in result.stderr
        assert "Traceback" not in result.output
    assert listener.requests == []


def test_an_operator_can_allow_listed_endpoints_only(
    project: Path, site: Path, listener: Listener
) -> None:
    other = Listener()
    try:
        with guidebook_server(
            project, "--site", str(site), "--allow-service", listener.url
        ) as base, httpx.Client(base_url=base, timeout=30) as http:
            before = len(listener.requests)
            allowed = http.get(
                "/sparql",
                params={"query": f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"},
                headers={"Accept": JSON},
            )
            refused = http.get(
                "/sparql",
                params={"query": f"SELECT * WHERE {{ SERVICE <{other.url}> {{ ?s ?p ?o }} }}"},
                headers={"Accept": JSON},
            )
            variable = http.get(
                "/sparql",
                params={
                    "query": f"SELECT * WHERE {{ BIND(<{listener.url}> AS ?u) "
                    "SERVICE ?u { ?s ?p ?o } }"
                },
            )
        assert allowed.status_code == 200, allowed.text
        assert len(listener.requests) == before + 1  # the listed endpoint was called
        assert refused.status_code == 400
        assert "not an allowed endpoint" in refused.text
        assert variable.status_code == 400
        assert other.requests == []
    finally:
        other.close()


# ------------------------------------------------------------------ the dataset


def test_from_and_from_named_are_honoured(client: httpx.Client) -> None:
    def count(query: str, **params: str) -> int:
        response = client.get(
            "/sparql", params={"query": query, **params}, headers={"Accept": JSON}
        )
        assert response.status_code == 200, response.text
        return int(response.json()["results"]["bindings"][0]["n"]["value"])

    union = count("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    one = count(f"SELECT (COUNT(*) AS ?n) FROM <{IPP_GRAPH}> WHERE {{ ?s ?p ?o }}")
    protocol = count(
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", **{"default-graph-uri": IPP_GRAPH}
    )
    named_only = count(
        f"SELECT (COUNT(*) AS ?n) FROM NAMED <{IPP_GRAPH}> WHERE {{ ?s ?p ?o }}"
    )
    in_graph = count(
        f"SELECT (COUNT(*) AS ?n) FROM NAMED <{IPP_GRAPH}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    )

    assert 0 < one < union
    assert one == protocol
    assert named_only == 0  # FROM NAMED alone: an empty default graph
    assert in_graph == one


# ------------------------------------------------------------------ the body limit


def _read_answer(sock: socket.socket) -> bytes:
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(65536)
        if not chunk:
            break
        answer += chunk
    return answer


def test_a_declared_large_body_is_refused_before_it_is_sent(url: str) -> None:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            b"Content-Length: 400000000\r\n\r\n"
        )
        answer = _read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 413")


def test_a_chunked_body_is_cut_at_the_limit_not_read_whole(url: str) -> None:
    host, port = url.removeprefix("http://").split(":")
    chunk = b"#" * 65536
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    answer = b""
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        while sent < 400_000_000:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                answer = _read_answer(sock)
                break
            try:
                sock.sendall(framed)
            except (BrokenPipeError, ConnectionResetError):
                answer = _read_answer(sock)
                break
            sent += len(chunk)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    # The server stopped at the limit (1 MB) plus what the socket buffers held.
    assert sent < 40_000_000, sent


@pytest.mark.slow
def test_a_body_that_stalls_is_answered_408_at_the_timeout(url: str) -> None:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            b"Content-Length: 100\r\n\r\nASK { ?s"  # then nothing more
        )
        started = time.monotonic()
        answer = _read_answer(sock)
        waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"connection: close" in answer.lower()
    assert 4 < waited < 20  # the server's --timeout is 5 s


# ------------------------------------------------------------------ idle connections


def test_a_connection_that_sends_nothing_is_closed(url: str) -> None:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # an unfinished request head
        started = time.monotonic()
        data = sock.recv(1024)
        waited = time.monotonic() - started
    assert data == b""  # closed by the server, without an answer
    assert waited < 20


# ------------------------------------------------------------------ the queue


def test_a_full_queue_answers_503_with_retry_after_and_queued_time_counts(
    project: Path, site: Path
) -> None:
    with guidebook_server(
        project, "--site", str(site), "--workers", "1", "--queue", "1", "--timeout", "3"
    ) as base:

        async def main_() -> list[tuple[int, float, dict[str, str]]]:
            async with httpx.AsyncClient(base_url=base, timeout=60) as http:

                async def ask(query: str, delay: float) -> tuple[int, float, dict[str, str]]:
                    await asyncio.sleep(delay)
                    started = time.monotonic()
                    response = await http.get("/sparql", params={"query": query})
                    return response.status_code, time.monotonic() - started, dict(
                        response.headers
                    )

                return await asyncio.gather(
                    ask(RUNAWAY, 0),  # runs until the timeout
                    ask(RUNAWAY + " ", 0.3),  # waits, then has no time left
                    ask(RUNAWAY + "  ", 0.6),  # the queue is full
                )

        running, queued, turned_away = asyncio.run(main_())

    assert running[0] == 503
    assert queued[0] == 503
    assert queued[1] < 3 + 1.5  # its wait counted toward its 3 s, not 3 s more
    assert turned_away[0] == 503
    assert turned_away[1] < 1  # at once
    assert int(turned_away[2]["retry-after"]) >= 1


def test_one_clients_slow_queries_leave_a_worker_for_another_client(
    project: Path, site: Path
) -> None:
    with guidebook_server(project, "--site", str(site), "--workers", "2", "--timeout", "8") as base:

        async def main_() -> tuple[list[int], int, float]:
            async with httpx.AsyncClient(base_url=base, timeout=60) as greedy, httpx.AsyncClient(
                base_url=base,
                timeout=60,
                transport=httpx.AsyncHTTPTransport(local_address="127.0.0.2"),
            ) as other:
                slow = [
                    asyncio.create_task(greedy.get("/sparql", params={"query": RUNAWAY + " " * i}))
                    for i in range(6)
                ]
                await asyncio.sleep(0.5)
                started = time.monotonic()
                cheap = await other.get(
                    "/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": JSON}
                )
                waited = time.monotonic() - started
                statuses = [r.status_code for r in await asyncio.gather(*slow)]
                return statuses, cheap.status_code, waited

        statuses, cheap, waited = asyncio.run(main_())

    assert cheap == 200
    assert waited < 4, waited  # not behind six queries of up to 8 s each
    assert set(statuses) == {503}


# ------------------------------------------------------------------ fuzzing


TOKENS = st.sampled_from(
    [
        "/", "/sparql", "/views", "/views/programme-ratings", "/views/nothing", "/id/",
        "/id/programme/infant-parent-psychotherapy", "/id/programme/x.ttl", "/ontology",
        "/.well-known/void", "/guidebook.nt.gz", "/SHA256SUMS", "/concept/", "/%00",
        "/..%2f..%2fetc/passwd", "/id/study/", "/ontology.html", "/views/studies",
    ]
)
TEXT = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_categories=("Cs",)),
    max_size=40,
)
# What a client can send at all (h11 refuses values with surrounding spaces).
HEADER_VALUE = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60
).map(str.strip)
PARAM_NAMES = st.sampled_from(
    ["query", "format", "default-graph-uri", "named-graph-uri", "update", "programme", "x"]
)
QUERY_TEXT = st.one_of(
    TEXT,
    st.sampled_from(
        [
            "SELECT * WHERE { ?s ?p ?o } LIMIT 3",
            "ASK {}",
            "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 2",
            "DESCRIBE <https://w3id.org/guidebook-kg/id/programme/infant-parent-psychotherapy>",
            "SELECT (REGEX('a', '(') AS ?x) WHERE {}",
            "SELECT (<http://x> + 1 AS ?x) WHERE {}",
            "SELECT * FROM <not an iri> WHERE { ?s ?p ?o }",
            "SELECT * WHERE { ?s ?p ?o } ORDER BY (1/0) LIMIT 1",
            "SELECT * WHERE { VALUES ?x { <<( <a> <b> <c> )>> } }",
        ]
    ),
)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, object]:
    path = draw(st.one_of(TOKENS, TOKENS.map(lambda p: p + "x"), st.just("/") ))
    if draw(st.booleans()):
        path += draw(st.sampled_from(["", ".ttl", ".jsonld", ".html", ".rdf", "/", "%20"]))
    params = draw(
        st.lists(st.tuples(PARAM_NAMES, st.one_of(QUERY_TEXT, HEADER_VALUE)), max_size=3)
    )
    headers = draw(
        st.dictionaries(
            st.sampled_from(
                ["Accept", "Content-Type", "If-None-Match", "If-Modified-Since", "Origin",
                 "Accept-Encoding", "Range"]
            ),
            st.one_of(
                HEADER_VALUE,
                st.sampled_from(
                    ["text/turtle", "application/sparql-query", "*/*;q=0", "text/html;q=abc",
                     "application/x-www-form-urlencoded", "application/sparql-update",
                     "bytes=5-1", '"x", W/"y"', "Thu, 99 Nov 9999 99:99:99 GMT"]
                ),
            ),
            max_size=3,
        )
    )
    method = draw(st.sampled_from(["GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE"]))
    body = draw(st.one_of(st.binary(max_size=200), QUERY_TEXT.map(str.encode)))
    return {"method": method, "path": path, "params": params, "headers": headers, "body": body}


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=requests())
def test_fuzzed_requests_never_get_a_500(client: httpx.Client, request: dict[str, object]) -> None:
    method = str(request["method"])
    response = client.request(
        method,
        str(request["path"]),
        params=request["params"],  # type: ignore[arg-type]
        headers=request["headers"],  # type: ignore[arg-type]
        content=request["body"] if method in ("POST", "PUT") else None,  # type: ignore[arg-type]
    )
    assert response.status_code < 500 or response.status_code == 503, (
        response.status_code,
        response.text[:500],
    )


def test_the_server_log_has_no_traceback(client: httpx.Client, log: Path) -> None:
    # Runs after the fuzzing above (tests run in file order): nothing failed inside.
    assert client.get("/").status_code == 200
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in text, text[-3000:]
    assert "Exception in ASGI application" not in text
