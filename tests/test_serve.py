"""``guidebook serve``: the SPARQL protocol (with SPARQLWrapper as the client), dereferencing,
views, caching headers, CORS and a bounded load test, against a real server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner
from SPARQLWrapper import CSV, JSON, POST, POSTDIRECTLY, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from conftest import assert_isomorphic, asserted_rating_cell, rdflib_graph
from guidebook_kg import views
from guidebook_kg.cli import main
from guidebook_kg.namespaces import GB, GBC, ID, ONTOLOGY
from guidebook_kg.project import find_project
from guidebook_kg.store import load
from guidebook_server import guidebook_server
from site_crawler import crawl_server

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parent.parent
PROGRAMMES = sorted((REPO / "tests" / "fixtures" / "programmes").glob("*.ttl"))
IPP = ID + "programme/infant-parent-psychotherapy"
IPP_PATH = "/id/programme/infant-parent-psychotherapy"
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}
# A query whose cost explodes (a three-way cross product, sorted): it must be stopped.
RUNAWAY = "SELECT ?a WHERE { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z } ORDER BY ?a ?b ?c LIMIT 1"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("serve") / "site"
    args = ["--project", str(REPO), *(a for p in PROGRAMMES for a in ("--data", str(p)))]
    result = CliRunner().invoke(main, [*args, "build", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def url(site: Path) -> Iterator[str]:
    with guidebook_server(REPO, "--site", str(site), data=PROGRAMMES) as base:
        yield base


@pytest.fixture(scope="module")
def strict(site: Path) -> Iterator[str]:
    """A server with a short query timeout and a small row cap."""
    with guidebook_server(
        REPO, "--site", str(site), "--timeout", "1", "--row-cap", "5", data=PROGRAMMES
    ) as base:
        yield base


@pytest.fixture(scope="module")
def local() -> ox.Store:
    return load(find_project(REPO), PROGRAMMES)


@pytest.fixture(scope="module")
def client(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=30) as c:
        yield c


def sparql(url: str, query: str, fmt: str = JSON, method: str = "GET") -> SPARQLWrapper:
    client = SPARQLWrapper(url + "/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setTimeout(30)
    if method == "POST":
        client.setMethod(POST)
    elif method == "POSTDIRECTLY":
        client.setMethod(POST)
        client.setRequestMethod(POSTDIRECTLY)
    return client


# ------------------------------------------------------------------ the SPARQL protocol


STUDIES = """
PREFIX gb: <https://w3id.org/guidebook-kg/ontology#>
SELECT ?study ?programme WHERE { ?study gb:evaluates ?programme } ORDER BY ?study
"""


@pytest.mark.parametrize("method", ["GET", "POST", "POSTDIRECTLY"])
def test_select_with_sparqlwrapper_gives_the_local_rows(
    url: str, local: ox.Store, method: str
) -> None:
    result = sparql(url, STUDIES, JSON, method).queryAndConvert()

    assert isinstance(result, dict)
    rows = [(b["study"]["value"], b["programme"]["value"]) for b in result["results"]["bindings"]]
    expected = [
        (s["study"].value, s["programme"].value)
        for s in local.query(STUDIES, use_default_graph_as_union=True)
    ]
    assert rows == expected
    assert len(rows) > 10


def test_results_as_xml_csv_and_tsv(url: str) -> None:
    xml = sparql(url, STUDIES, XML).queryAndConvert()
    assert len(xml.getElementsByTagName("result")) > 10  # type: ignore[union-attr]

    text = sparql(url, STUDIES, CSV).queryAndConvert()
    rows = list(csv.reader(io.StringIO(text.decode() if isinstance(text, bytes) else text)))
    assert rows[0] == ["study", "programme"]
    assert [ID + "study/cicchetti-2006", IPP] in rows

    tsv = sparql(url, STUDIES, TSV).queryAndConvert()
    lines = (tsv.decode() if isinstance(tsv, bytes) else tsv).splitlines()
    assert lines[0] == "?study\t?programme"
    assert f"<{ID}study/cicchetti-2006>\t<{IPP}>" in lines


def test_ask_and_construct(url: str, local: ox.Store) -> None:
    asked = sparql(url, f"ASK {{ <{IPP}> a <{GB.Programme}> }}").queryAndConvert()
    assert asked["boolean"] is True  # type: ignore[index]

    construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?s = <{IPP}>) }}"
    turtle = sparql(url, construct, TURTLE).queryAndConvert()  # SPARQLWrapper gives bytes
    assert isinstance(turtle, bytes)
    graph = rdflib.Graph().parse(data=turtle, format="turtle")
    expected = rdflib_graph(local.quads_for_pattern(ox.NamedNode(IPP), None, None))
    assert_isomorphic(graph, expected)


def test_construct_in_every_rdf_syntax(client: httpx.Client) -> None:
    query = f"DESCRIBE <{ID}study/cicchetti-2006>"
    graphs = []
    for media, fmt in RDF_TYPES.items():
        response = client.get("/sparql", params={"query": query}, headers={"Accept": media})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media)
        graphs.append(rdflib.Graph().parse(data=response.content, format=fmt))
    assert len(graphs[0]) > 10
    for graph in graphs[1:]:
        assert_isomorphic(graph, graphs[0])


def test_named_graphs_and_the_default_graph_parameter(client: httpx.Client) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    graph = "https://w3id.org/guidebook-kg/graph/programme/infant-parent-psychotherapy"

    def n(params: dict[str, str]) -> int:
        response = client.get(
            "/sparql", params=params, headers={"Accept": "application/sparql-results+json"}
        )
        assert response.status_code == 200, response.text
        return int(response.json()["results"]["bindings"][0]["n"]["value"])

    union, one = n({"query": count}), n({"query": count, "default-graph-uri": graph})
    assert 0 < one < union
    per_graph = client.get(
        "/sparql",
        params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "format": "json"},
    ).json()
    assert graph in {b["g"]["value"] for b in per_graph["results"]["bindings"]}


def test_updates_are_refused(url: str, client: httpx.Client) -> None:
    update = "INSERT DATA { <http://example.org/a> <http://example.org/b> <http://example.org/c> }"
    form = client.post("/sparql", data={"update": update})
    direct = client.post(
        "/sparql", content=update, headers={"Content-Type": "application/sparql-update"}
    )
    as_query = client.get("/sparql", params={"query": update})
    put = client.put("/sparql", content=b"x")
    delete = client.delete(IPP_PATH)

    assert form.status_code == 403
    assert direct.status_code == 403
    assert "read-only" in form.text
    assert as_query.status_code == 400
    assert "read-only" in as_query.text
    assert put.status_code == 405
    assert delete.status_code == 405
    wrapper = sparql(url, update)
    wrapper.setMethod(POST)
    with pytest.raises(urllib.error.HTTPError) as refused:  # SPARQLWrapper passes 403 on
        wrapper.query()
    assert refused.value.code == 403
    still = client.get(
        "/sparql", params={"query": "ASK { <http://example.org/a> ?p ?o }", "format": "json"}
    )
    assert still.json()["boolean"] is False


def test_a_bad_query_is_a_400_with_the_reason(url: str) -> None:
    with pytest.raises(QueryBadFormed, match="SPARQL syntax error"):
        sparql(url, "SELECT ?x WHERE { ?x ").query()


def test_service_description(client: httpx.Client) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=response.content, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")

    assert response.status_code == 200
    service = graph.value(predicate=rdflib.RDF.type, object=sd.Service)
    assert graph.value(service, sd.endpoint) == rdflib.URIRef(str(client.base_url) + "/sparql")
    assert (service, sd.supportedLanguage, sd.SPARQL11Query) in graph
    form = client.get("/sparql", headers={"Accept": "text/html"})
    assert "<textarea" in form.text  # without JavaScript
    assert 'src="/static/yasgui/yasgui.min.js"' in form.text


def test_a_runaway_query_times_out_with_an_error_not_partial_results(strict: str) -> None:
    started = time.monotonic()
    with pytest.raises(urllib.error.HTTPError) as failed:  # SPARQLWrapper passes 503 on
        sparql(strict, RUNAWAY).query()
    elapsed = time.monotonic() - started

    assert elapsed < 10
    assert failed.value.code == 503
    assert "timed out after 1 s" in failed.value.read().decode()
    # The worker was replaced: the next query is answered.
    again = sparql(strict, "ASK { ?s ?p ?o }").queryAndConvert()
    assert again["boolean"] is True  # type: ignore[index]


def test_the_row_cap_cuts_answers_and_says_so(strict: str) -> None:
    with httpx.Client(base_url=strict, timeout=30) as client:
        rows = client.get(
            "/sparql",
            params={"query": "SELECT * WHERE { ?s ?p ?o }"},
            headers={"Accept": "application/sparql-results+json"},
        )
        triples = client.get(
            "/sparql",
            params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
            headers={"Accept": "application/n-triples"},
        )
        small = client.get(
            "/sparql",
            params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 3"},
            headers={"Accept": "application/sparql-results+json"},
        )

    assert len(rows.json()["results"]["bindings"]) == 5
    assert rows.headers["x-sparql-truncated"] == "true"
    assert len(triples.text.strip().splitlines()) == 5
    assert len(small.json()["results"]["bindings"]) == 3
    assert "x-sparql-truncated" not in small.headers


def test_timeouts_and_errors_are_not_cached(strict: str) -> None:
    with httpx.Client(base_url=strict, timeout=30) as client:
        response = client.get("/sparql", params={"query": RUNAWAY})
    assert response.status_code == 503
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers


# ------------------------------------------------------------------ dereferencing


def test_a_programme_iri_answers_html_to_browsers(client: httpx.Client) -> None:
    response = client.get(IPP_PATH, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Improved attachment security" in response.text
    assert response.headers["vary"].startswith("Accept")
    assert f'<{IPP_PATH}.ttl>; rel="alternate"; type="text/turtle"' in response.headers["link"]


@pytest.mark.parametrize("media", sorted(RDF_TYPES))
def test_a_programme_iri_answers_rdf_by_accept(
    client: httpx.Client, site: Path, media: str
) -> None:
    response = client.get(IPP_PATH, headers={"Accept": media})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert "Accept" in response.headers["vary"]
    alternates = response.headers["link"]
    assert f'<{IPP_PATH}.html>; rel="alternate"; type="text/html"' in alternates
    assert f'type="{media}"' not in alternates  # the others, not itself
    graph = rdflib.Graph().parse(data=response.content, format=RDF_TYPES[media])
    built = rdflib.Graph().parse(site / "id/programme/infant-parent-psychotherapy.ttl")
    assert_isomorphic(graph, built)
    assert (None, rdflib.URIRef(GB.evaluates), rdflib.URIRef(IPP)) in graph  # inbound links


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/turtle;q=0.5, application/ld+json", "application/ld+json"),
        ("application/rdf+xml;q=0.9, text/turtle;q=0.8, */*;q=0.1", "application/rdf+xml"),
        ("text/*", "text/html"),
        ("*/*", "text/html"),
        ("application/n-triples, text/html;q=0", "application/n-triples"),
        ("", "text/html"),
    ],
)
def test_content_negotiation_follows_q_values(
    client: httpx.Client, accept: str, expected: str
) -> None:
    response = client.get(IPP_PATH, headers={"Accept": accept})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(expected)


def test_explicit_representations_by_extension(client: httpx.Client) -> None:
    turtle = client.get(IPP_PATH + ".ttl")
    jsonld = client.get(IPP_PATH + ".jsonld")

    assert turtle.headers["content-type"].startswith("text/turtle")
    assert "vary" not in turtle.headers or "Accept" not in turtle.headers["vary"]
    assert jsonld.json()["@context"]["evaluates"]["@id"] == "gb:evaluates"


def test_what_cannot_be_given_or_found(client: httpx.Client) -> None:
    assert client.get(IPP_PATH, headers={"Accept": "application/pdf"}).status_code == 406
    assert client.get("/id/programme/no-such-programme").status_code == 404
    assert client.get("/id/programme/no-such-programme.ttl").status_code == 404


def test_ontology_and_concept_iris_dereference(client: httpx.Client) -> None:
    docs = client.get("/ontology", headers={"Accept": "text/html"})
    turtle = client.get("/ontology", headers={"Accept": "text/turtle"})
    concept = client.get("/concept/level-3", headers={"Accept": "text/turtle"})
    concept_page = client.get("/concept/level-3", headers={"Accept": "text/html"})

    assert 'id="Programme"' in docs.text
    ontology = rdflib.Graph().parse(data=turtle.content, format="turtle")
    assert (rdflib.URIRef(GB.Programme), rdflib.RDF.type, rdflib.OWL.Class) in ontology
    assert (rdflib.URIRef(ONTOLOGY), rdflib.RDF.type, rdflib.OWL.Ontology) in ontology
    level = rdflib.Graph().parse(data=concept.content, format="turtle")
    assert (rdflib.URIRef(GBC["level-3"]), rdflib.SKOS.notation, rdflib.Literal("3")) in level
    assert "Level 3: evidence of efficacy" in concept_page.text


# ------------------------------------------------------------------ the rest of the site


def test_landing_page_lists_programmes_with_ratings(client: httpx.Client) -> None:
    html = client.get("/").text

    assert f'href="{IPP_PATH}"' in html
    assert asserted_rating_cell("3+").search(html)
    assert 'href="/views"' in html
    assert 'href="/sparql"' in html
    assert 'href="/finder"' in html
    views_page = client.get("/views").text
    assert 'href="/views/programme-ratings"' in views_page
    assert 'href="/views/programme-ratings?format=csv"' in views_page
    # a view that needs a value links to its form only, never to a download that fails
    assert "/views/concepts?format" not in views_page
    assert "/views/programme-page?format" not in views_page


def test_void_and_dumps(client: httpx.Client, site: Path) -> None:
    void = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=void.content, format="turtle")
    assert (None, rdflib.RDF.type, rdflib.URIRef("http://rdfs.org/ns/void#Dataset")) in graph

    sums = dict(
        reversed(line.split("  ", 1)) for line in (site / "SHA256SUMS").read_text().splitlines()
    )
    for name in ("guidebook.nt.gz", "guidebook.trig", "context.jsonld", "ontology/guidebook.ttl"):
        response = client.get("/" + name)
        assert response.status_code == 200
        assert response.content == (site / name).read_bytes()
        assert response.headers["etag"] == f'"{sums[name][:40]}"'
        assert "max-age" in response.headers["cache-control"]


def test_conditional_requests_answer_304(client: httpx.Client) -> None:
    for path, accept in ((IPP_PATH, "text/turtle"), ("/guidebook.ttl", "*/*"), ("/", "text/html")):
        first = client.get(path, headers={"Accept": accept})
        etag, modified = first.headers["etag"], first.headers["last-modified"]

        again = client.get(path, headers={"Accept": accept, "If-None-Match": etag})
        since = client.get(path, headers={"Accept": accept, "If-Modified-Since": modified})
        other = client.get(path, headers={"Accept": accept, "If-None-Match": '"something-else"'})

        assert again.status_code == 304, path
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert since.status_code == 304, path
        assert other.status_code == 200, path
    older = client.get("/", headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert older.status_code == 200


def test_cors_on_read_endpoints(client: httpx.Client) -> None:
    origin = {"Origin": "https://example.org"}
    for path in (IPP_PATH, "/sparql?query=ASK%7B%7D", "/guidebook.ttl", "/views/programmes"):
        response = client.get(path, headers=origin)
        assert response.headers["access-control-allow-origin"] == "*", path
        exposed = response.headers["access-control-expose-headers"].lower()
        assert "etag" in exposed
        assert "link" in exposed
    preflight = client.options(
        "/sparql",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]


def test_views_take_parameters_from_the_query_string(client: httpx.Client, local: ox.Store) -> None:
    catalogue = views.load_views(find_project(REPO))
    expected = views.run(
        local, catalogue["studies"], {"programme": "infant-parent-psychotherapy"}, catalogue
    )

    as_csv = client.get(
        "/views/studies", params={"programme": "infant-parent-psychotherapy", "format": "csv"}
    )
    as_json = client.get(
        "/views/studies",
        params={"programme": "infant-parent-psychotherapy"},
        headers={"Accept": "application/sparql-results+json"},
    )
    page = client.get(
        "/views/studies",
        params={"programme": "infant-parent-psychotherapy"},
        headers={"Accept": "text/html"},
    )

    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0] == expected.columns
    assert len(rows) - 1 == len(expected) == 2
    assert len(as_json.json()["results"]["bindings"]) == 2
    assert '<form method="get" action="/views/studies"' in page.text
    assert page.text.count('class="result"') == 2


def test_bad_view_requests(client: httpx.Client) -> None:
    wrong = client.get("/views/studies", params={"programme": "nope", "format": "csv"})
    missing = client.get("/views/no-such-view")
    page = client.get(
        "/views/studies", params={"programme": "nope"}, headers={"Accept": "text/html"}
    )

    assert wrong.status_code == 400
    assert "unknown programme 'nope'" in wrong.text
    assert missing.status_code == 404
    assert page.status_code == 400
    assert 'role="alert"' in page.text


def test_serve_builds_the_site_itself_and_refuses_invalid_data(tmp_path: Path) -> None:
    # Without --site, serve builds first (and so refuses what build refuses).
    with guidebook_server(REPO) as base:
        landing = httpx.get(base + "/", timeout=30)
    assert "Infant-Parent Psychotherapy" in landing.text

    bad = REPO / "tests" / "fixtures" / "programmes-disagreeing" / "claimed-replication.ttl"
    result = CliRunner().invoke(
        main, ["--project", str(REPO), "--data", str(bad), "serve", "--port", "1"]
    )
    assert result.exit_code == 1
    assert "does not conform" in result.stderr


# ------------------------------------------------------------------ load


@pytest.mark.slow
def test_two_hundred_concurrent_clients_without_a_failure(url: str) -> None:
    clients, rounds = 200, 5
    paths = [
        ("/", "text/html"),
        (IPP_PATH, "text/turtle"),
        (IPP_PATH, "text/html"),
        ("/id/study/cicchetti-2006", "application/ld+json"),
        (
            "/sparql?query=" + httpx.QueryParams({"q": STUDIES})["q"],
            "application/sparql-results+json",
        ),
        ("/views/programme-ratings", "text/csv"),
        ("/guidebook.nt.gz", "*/*"),
    ]

    async def one_client(number: int, http: httpx.AsyncClient) -> list[int]:
        statuses = []
        for round_ in range(rounds):
            path, accept = paths[(number + round_) % len(paths)]
            if path.startswith("/sparql"):
                response = await http.get(
                    "/sparql", params={"query": STUDIES}, headers={"Accept": accept}
                )
            else:
                response = await http.get(path, headers={"Accept": accept})
            statuses.append(response.status_code)
        return statuses

    async def main_() -> list[list[int]]:
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
            return await asyncio.wait_for(
                asyncio.gather(*(one_client(i, http) for i in range(clients))), timeout=240
            )

    started = time.monotonic()
    results = asyncio.run(main_())
    elapsed = time.monotonic() - started

    statuses = [s for client_statuses in results for s in client_statuses]
    assert len(statuses) == clients * rounds
    assert set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
    print(f"{len(statuses)} requests from {clients} concurrent clients in {elapsed:.1f} s")


# ------------------------------------------------------------------ the site's pages


def test_every_link_of_the_served_site_works(client: httpx.Client) -> None:
    answers: dict[str, tuple[int, dict[str, str], str | None]] = {}

    def get(path: str) -> tuple[int, dict[str, str], str | None]:
        if path not in answers:
            response = client.get(path, headers={"Accept": "text/html"})
            kind = response.headers.get("content-type", "")
            html = response.text if kind.startswith("text/html") else None
            answers[path] = (response.status_code, dict(response.headers), html)
        return answers[path]

    report = crawl_server(get)

    assert report.problems == []
    assert report.pages > 250
    for path in ("/", "/finder", "/compare", "/views", "/downloads", "/sparql", "/ontology"):
        assert path in report.visited
    assert IPP_PATH in report.visited
    assert "/concept/design-rct" in report.visited


def test_a_paged_listing_says_where_the_next_page_is(client: httpx.Client, site: Path) -> None:
    paged = sorted(site.rglob("*.page2.html"))[0].relative_to(site).as_posix()
    path = "/" + paged.replace(".page2.html", "")

    first = client.get(path, headers={"Accept": "text/html"})
    second = client.get(path, params={"page": "2"}, headers={"Accept": "text/html"})
    past = client.get(path, params={"page": "999"}, headers={"Accept": "text/html"})
    bad = client.get(path, params={"page": "two"}, headers={"Accept": "text/html"})

    assert f'<{path}?page=2>; rel="next"' in first.headers["link"]
    assert f'<{path}>; rel="prev"' in second.headers["link"]
    assert 'rel="alternate"' in first.headers["link"]
    assert "page 2 of" in second.text
    assert past.status_code == 404
    assert bad.status_code == 400
    landing = client.get("/", params={"sort": "rating"})
    assert landing.status_code == 200
    assert client.get("/", params={"sort": "nonsense"}).status_code == 404


def test_view_forms_offer_drop_downs_and_speak_plainly(client: httpx.Client) -> None:
    form = client.get("/views/concepts", headers={"Accept": "text/html"})
    search = client.get("/views/programme-search", headers={"Accept": "text/html"})
    missing = client.get("/views/concepts", params={"format": "csv"})
    graph_as_csv = client.get(
        "/views/programme-page",
        params={"programme": "infant-parent-psychotherapy", "format": "csv"},
    )

    assert form.status_code == 200  # a first visit shows the form, not an error
    assert '<select id="param-scheme" name="scheme" required' in form.text
    assert '<option value="gbc:age-group">Age groups</option>' in form.text
    assert '<select id="param-age_group" name="age_group"' in search.text
    assert '<option value="3">Level 3: evidence of efficacy</option>' in search.text
    assert missing.status_code == 400
    assert "--param" not in missing.text
    assert "choose a value for 'scheme'" in missing.text
    assert graph_as_csv.status_code == 400
    assert "gives a graph" in graph_as_csv.text


def test_the_finder_runs_the_search_view(client: httpx.Client, local: ox.Store) -> None:
    catalogue = views.load_views(find_project(REPO))
    expected = views.run(local, catalogue["programme-search"], {"age_group": "Infants"}, catalogue)
    found = client.get("/finder", params={"age_group": "gbc:age-infants"})
    wrong = client.get("/finder", params={"age_group": "gbc:nope"})

    assert found.status_code == 200
    assert found.text.count('<tr class="programme">') == len(expected) > 0
    assert "Infant-Parent Psychotherapy" in found.text
    assert "Compare these programmes by outcome" in found.text
    assert wrong.status_code == 400
    assert 'role="alert"' in wrong.text


def test_the_comparison_can_be_narrowed_to_chosen_programmes(client: httpx.Client) -> None:
    everything = client.get("/compare")
    chosen = client.get("/compare", params={"programme": "infant-parent-psychotherapy"})

    assert everything.text.count('<th scope="row">') > 5
    assert chosen.text.count('<th scope="row">') == 1
    assert "+50" in chosen.text


def test_static_files_come_from_the_build_or_the_package_only(client: httpx.Client) -> None:
    editor = client.get("/static/yasgui/yasgui.min.js")
    css = client.get("/static/site.css")

    assert editor.status_code == 200
    assert editor.headers["content-type"].startswith("text/javascript")
    assert css.headers["content-type"].startswith("text/css")
    for path in ("/static/../server.py", "/static/%2e%2e/server.py", "/static/", "/static/nope.js"):
        assert client.get(path).status_code == 404, path
