"""The SERVICE and FROM scan of query texts, checked against what Oxigraph itself does.

The scan guards every query the embedded store runs: whatever Oxigraph would send to
another host must be found. The property test builds queries from fragments that could
hide the keyword from a careless filter (comments, strings of every kind, IRIs with
escapes, local names with escaped '#' and quotes, glued tokens) and runs each on a real
store with a local listener as the SERVICE endpoint: when the listener is called, the
scan must have found SERVICE.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guidebook_kg.querytext import (
    Federation,
    FederationRefused,
    has_dataset_clause,
    service_keywords,
)

ENDPOINT_BODY = (
    b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"1"}}]}}'
)


class Listener:
    def __init__(self) -> None:
        self.calls = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                outer.calls += 1
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(ENDPOINT_BODY)))
                self.end_headers()
                self.wfile.write(ENDPOINT_BODY)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sparql"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture(scope="module")
def store() -> ox.Store:
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://e/a"), ox.NamedNode("http://e/b"), ox.Literal("c")))
    return store


# Fragments a query may hold before its SERVICE clause, each a complete pattern or comment.
BEFORE = st.sampled_from(
    [
        "",
        "# SERVICE in a comment\n",
        "?s ?p 'it\\'s' .",
        '?s ?p """a "quoted" SERVICE word""" .',
        "?s ?p '''two '' quotes''' .",
        "?s ?p <http://e/\\u0041#frag> .",
        "?s ?p ex:a\\#b .",
        "?s ?p ex:a\\'b .",
        "?s ?p ex:service .",
        "?s ?p \"x\"@en-GB .",
        "?s ?p 1",
        "?s ?p _:b .",
        "FILTER(?o < 3)",
        "?service ?p ?o .",
    ]
)
KEYWORD = st.sampled_from(["SERVICE", "service", "SeRvIcE"])
GAP = st.sampled_from([" ", "", "\n", "\t"])


@st.composite
def federated(draw: st.DrawFn, endpoint: str) -> str:
    before = draw(BEFORE)
    keyword = draw(KEYWORD)
    silent = draw(st.sampled_from(["", " SILENT"]))
    gap = draw(GAP) if before.endswith(("1", ".", ")", "\n")) else " "
    target = draw(st.sampled_from([f"<{endpoint}>", "t:sparql"]))
    prefixes = (
        "PREFIX ex: <http://e/> "
        f"PREFIX t: <{endpoint.rsplit('/', 1)[0]}/> "
    )
    return (
        f"{prefixes}SELECT * WHERE {{ {keyword}{silent} {target} {{ ?x ?y ?z }} "
        f"{before}{gap}}}"
    )


@pytest.mark.server
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    # The same examples every run, so the count checked below does not depend on luck.
    derandomize=True,
)
@given(data=st.data())
def test_whatever_oxigraph_would_call_is_found(
    data: st.DataObject, listener: Listener, store: ox.Store
) -> None:
    query = data.draw(federated(listener.url))
    before = listener.calls
    try:
        result = store.query(query, use_default_graph_as_union=True)
        list(result)  # type: ignore[arg-type]
    except (SyntaxError, OSError, RuntimeError, ValueError):
        pass
    called = listener.calls > before
    if called:
        assert service_keywords(query), query
        CALLED.append(query)


CALLED: list[str] = []


@pytest.mark.server
def test_the_property_above_saw_oxigraph_call_the_listener() -> None:
    # Otherwise it proved nothing: most generated queries do reach the endpoint.
    assert len(CALLED) > 50, len(CALLED)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(before=BEFORE, gap=GAP)
def test_a_service_after_any_fragment_is_found(listener: Listener, before: str, gap: str) -> None:
    query = (
        f"PREFIX ex: <http://e/> SELECT * WHERE {{ {before}{gap}SERVICE <{listener.url}> {{ }} }}"
    )
    assert service_keywords(query), query


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?s ?p 'SERVICE <http://x/> { }' }",
        "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://x/> { }",
        "SELECT ?service WHERE { ?service <http://e/service> ?o }",
        "PREFIX ex: <http://e/service#> SELECT * WHERE { ?s ex:service ?o }",
        'SELECT * WHERE { ?s ?p """SERVICE""" }',
        'SELECT * WHERE { ?s ?p "x"@en }',
    ],
)
def test_service_in_strings_comments_names_and_iris_is_not_the_keyword(query: str) -> None:
    assert service_keywords(query) == []
    Federation().check(query)  # no refusal


def test_the_refusal_says_where_and_what_to_do() -> None:
    with pytest.raises(FederationRefused) as refused:
        Federation().check("SELECT *\nWHERE { SERVICE <http://127.0.0.1/> { } }")
    assert "line 2, column 9" in str(refused.value)
    assert "--allow-service" in str(refused.value)
    assert refused.value.exit_code == 3


def test_allowed_endpoints_are_checked_in_the_query_algebra() -> None:
    allowed = Federation.allowing(["http://127.0.0.1:9/sparql"])
    allowed.check("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    nested = (
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } "
        "FILTER EXISTS { SERVICE <http://127.0.0.1:8/sparql> { ?s ?p ?o } } }"
    )
    with pytest.raises(FederationRefused, match=r"127\.0\.0\.1:8/"):
        allowed.check(nested)
    with pytest.raises(FederationRefused, match="variable"):
        allowed.check("SELECT * WHERE { BIND(<http://x> AS ?u) SERVICE ?u { } }")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT * FROM <http://g> WHERE { ?s ?p ?o }", True),
        ("SELECT*FROM NAMED<http://g>WHERE{}", True),
        ("select * from <http://g> where {}", True),
        ("SELECT ?from WHERE { ?from <http://e/from> 'from' } # FROM", False),
        ("SELECT * WHERE { ?s ?p ?o }", False),
    ],
)
def test_dataset_clauses(query: str, expected: bool) -> None:
    assert has_dataset_clause(query) is expected
