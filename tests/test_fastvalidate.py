"""The fast engine gives exactly pyshacl's results.

pyshacl is the reference. Both engines run over every data graph of the shapes test suite,
over generated programmes with every kind of injected error, and over random mutations of
the suite's base graph; the results must be equal as a multiset of (focus node, path,
value, source shape, constraint component, severity). Messages are not compared.
"""

from __future__ import annotations

import time
from collections import Counter
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guidebook_kg import store as store_module
from guidebook_kg import synthetic
from guidebook_kg.decorrelate import decorrelate
from guidebook_kg.fastvalidate import ShapesGraph, unsupported_shapes, well_formed
from guidebook_kg.project import find_project
from guidebook_kg.report import ValidationResult
from guidebook_kg.validate import DEFAULT_ENGINE, ENGINES, EngineInput, load_shapes

REPO = Path(__file__).resolve().parent.parent
SUITE_DATA = REPO / "tests" / "shapes" / "data"
FIXTURES = sorted(SUITE_DATA.glob("*.ttl"))

Key = tuple[str, str | None, str | None, str, str, int]


def keys(results: list[ValidationResult]) -> Counter[Key]:
    return Counter((r.focus_node, r.path, r.value, r.source_shape, r.constraint_component,
                    int(r.severity)) for r in results)


@cache
def project_shapes() -> ox.Store:
    return load_shapes(find_project(REPO).shape_files())


def run(engine: str, data: ox.Store, shapes: ox.Store | None = None) -> Counter[Key]:
    return keys(ENGINES[engine](EngineInput(data, shapes or project_shapes())))


def assert_same(data: ox.Store, shapes: ox.Store | None = None) -> Counter[Key]:
    fast, reference = run("fast", data, shapes), run("pyshacl", data, shapes)
    assert fast == reference, (
        f"only fast: {sorted((fast - reference).elements())}\n"
        f"only pyshacl: {sorted((reference - fast).elements())}"
    )
    return fast


def fixture_store(path: Path) -> ox.Store:
    store = ox.Store()
    store_module.load_file(store, path, store_module.programme_graph(path.stem))
    return store


def test_fast_is_registered_and_the_default() -> None:
    assert "fast" in ENGINES
    assert DEFAULT_ENGINE == "fast"


def test_the_project_shapes_need_no_fallback() -> None:
    assert unsupported_shapes(project_shapes()) == {}


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_same_results_as_pyshacl_on_every_fixture(path: Path) -> None:
    assert_same(fixture_store(path))


def test_same_results_on_the_project_data() -> None:
    project = find_project(REPO)
    results = assert_same(store_module.load(project))
    # the real records are incomplete: only the Info rules that say so report anything
    shapes = {key[3].rsplit("#", 1)[-1].rstrip(">") for key in results}
    assert shapes <= {"RatingDerivable", "CostRatingStated", "Programme-findingsShown"}, shapes


@pytest.mark.slow
def test_same_results_on_generated_programmes_with_every_kind_of_error(tmp_path: Path) -> None:
    out = tmp_path / "synthetic"
    made = synthetic.generate(20, out, inject_errors=True, dense=True,
                              source=find_project(REPO))
    data = store_module.load(find_project(out))

    results = assert_same(data)

    found = {(focus[1:-1], path[1:-1] if path else None) for focus, path, *_ in results}
    for error in made.errors:
        assert set(error.expected) & found, f"{error.kind}: nothing reported"
    assert {kind.name for kind in synthetic.ERROR_KINDS} == {e.kind for e in made.errors}


# ----------------------------------------------------------------- random mutations

GB = "https://w3id.org/guidebook-kg/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"


@cache
def base_quads() -> list[ox.Quad]:
    return list(fixture_store(SUITE_DATA / "base.ttl"))


def _replacements() -> list[ox.NamedNode | ox.BlankNode | ox.Literal]:
    # Values that break different constraints: wrong kinds, wrong datatypes, ill-typed
    # literals, out-of-range numbers, duplicates of language tags, unrelated resources.
    terms: list[ox.NamedNode | ox.BlankNode | ox.Literal] = [
        ox.Literal("text"), ox.Literal("text", language="en"), ox.Literal("texte", language="fr"),
        ox.Literal("0", datatype=ox.NamedNode(XSD + "integer")),
        ox.Literal("-3", datatype=ox.NamedNode(XSD + "integer")),
        ox.Literal("75", datatype=ox.NamedNode(XSD + "integer")),
        ox.Literal("2.5", datatype=ox.NamedNode(XSD + "decimal")),
        ox.Literal("abc", datatype=ox.NamedNode(XSD + "integer")),
        ox.Literal("maybe", datatype=ox.NamedNode(XSD + "boolean")),
        ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")),
        ox.Literal("1999", datatype=ox.NamedNode(XSD + "gYear")),
        ox.Literal("19", datatype=ox.NamedNode(XSD + "gYear")),
        ox.Literal("2020-13", datatype=ox.NamedNode(XSD + "gYearMonth")),
        ox.NamedNode("https://example.org/elsewhere"),
        ox.NamedNode("mailto:nobody"),
        ox.BlankNode("mutation"),
    ]
    seen: set[ox.NamedNode | ox.BlankNode | ox.Literal] = set(terms)
    for quad in base_quads():
        for term in (quad.subject, quad.object):
            if not isinstance(term, ox.Triple) and term not in seen:
                seen.add(term)
                terms.append(term)
    return terms


@st.composite
def mutations(draw: st.DrawFn) -> list[ox.Quad]:
    quads = list(base_quads())
    replacements = _replacements()
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(quads) - 1))
        quad = quads[index]
        action = draw(st.sampled_from(["remove", "replace", "add"]))
        if action == "remove":
            quads.pop(index)
            continue
        value = draw(st.sampled_from(replacements))
        changed = ox.Quad(quad.subject, quad.predicate, value, quad.graph_name)
        if action == "replace":
            quads[index] = changed
        else:
            quads.append(changed)
    return quads


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(mutations())
def test_same_results_on_random_mutations_of_the_base_graph(quads: list[ox.Quad]) -> None:
    store = ox.Store()
    store.extend(quads)
    assert_same(store)


# ----------------------------------------------------------------- what goes to pyshacl

UNSUPPORTED_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <https://example.org/> .
ex:Qualified a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property [ sh:path ex:part ; sh:qualifiedValueShape [ sh:class ex:Wheel ] ;
                  sh:qualifiedMinCount 2 ] .
ex:Sequence a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property [ sh:path ( ex:part ex:size ) ; sh:minCount 1 ] .
ex:Plain a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ] .
"""
UNSUPPORTED_DATA = """
@prefix ex: <https://example.org/> .
ex:car a ex:Thing ; ex:part ex:w1 , ex:door .
ex:w1 a ex:Wheel .
ex:bike a ex:Thing ; ex:name "bike" ; ex:part ex:w2 , ex:w3 .
ex:w2 a ex:Wheel ; ex:size 26 .
ex:w3 a ex:Wheel .
"""


def test_constructs_it_does_not_implement_go_to_pyshacl() -> None:
    shapes, data = ox.Store(), ox.Store()
    shapes.load(UNSUPPORTED_SHAPES.encode(), ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:s"))
    data.load(UNSUPPORTED_DATA.encode(), ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:d"))

    handed_over = unsupported_shapes(shapes)

    # Qualified value shapes go to pyshacl; the sequence path is evaluated by the engine.
    assert set(handed_over) == {"<https://example.org/Qualified>"}
    assert "qualified" in handed_over["<https://example.org/Qualified>"]
    results = assert_same(data, shapes)
    assert "<http://www.w3.org/ns/shacl#QualifiedMinCountConstraintComponent>" in {
        key[4] for key in results}
    # ex:car lacks a name and a sized part: both reported by blank-node property shapes,
    # the second with the sequence as its result path.
    paths = {key[1] for key in results if key[3].startswith("_:") and "Qualified" not in key[4]}
    assert paths == {"<https://example.org/name>",
                     "(<https://example.org/part>/<https://example.org/size>)"}


# ----------------------------------------------------------------- the EXISTS rewrite

DATA = """
@prefix ex: <https://example.org/> .
ex:p1 a ex:P . ex:p2 a ex:P . ex:p3 a ex:P .
ex:s1 ex:of ex:p1 ; ex:rating 3 . ex:s2 ex:of ex:p1 ; ex:rating 1 .
ex:s3 ex:of ex:p2 ; ex:rating 1 .
ex:f1 ex:study ex:s1 ; ex:positive true . ex:f3 ex:study ex:s3 ; ex:positive false .
"""
PREFIXES = {"ex": "https://example.org/"}


@cache
def small_store() -> ox.Store:
    store = ox.Store()
    store.load(DATA.encode(), ox.RdfFormat.TURTLE)
    return store


def answers(query: str) -> list[str]:
    solutions = small_store().query(query, prefixes=PREFIXES)
    assert isinstance(solutions, ox.QuerySolutions)
    return sorted(str(s) for s in solutions)


@pytest.mark.parametrize("query", [
    # NOT EXISTS over two patterns, correlated through ?p
    """SELECT ?p WHERE { ?p a ex:P .
        FILTER NOT EXISTS { ?s ex:of ?p ; ex:rating ?r . FILTER (?r >= 3) } }""",
    # EXISTS inside a larger expression, and in a BIND
    """SELECT ?p ?has WHERE { ?p a ex:P .
        BIND (EXISTS { ?s ex:of ?p . ?f ex:study ?s ; ex:positive true } AS ?has) }""",
    """SELECT ?p WHERE { ?p a ex:P .
        FILTER (?p = ex:p3
                || (EXISTS { ?s ex:of ?p } && NOT EXISTS { ?s2 ex:of ?p ; ex:rating 3 })) }""",
    # nested: a study of ?p whose findings include no positive one
    """SELECT ?p WHERE { ?p a ex:P .
        FILTER EXISTS { ?s ex:of ?p .
            FILTER NOT EXISTS { ?f ex:study ?s ; ex:positive true } } }""",
])
def test_decorrelated_queries_give_the_same_answers(query: str) -> None:
    rewritten, count = decorrelate(query)

    assert count >= 1
    assert answers(rewritten) == answers(query)


def test_exists_correlated_only_through_an_expression_is_left_alone() -> None:
    # ?limit is bound outside and used only in the inner FILTER: a sub-select cannot see it.
    query = """SELECT ?p WHERE { ?p a ex:P . BIND (2 AS ?limit)
        FILTER NOT EXISTS { ?s ex:of ?p ; ex:rating ?r . FILTER (?r >= ?limit) } }"""

    rewritten, count = decorrelate(query)

    assert count == 0
    assert rewritten == query


def test_strings_iris_and_comments_are_not_rewritten() -> None:
    query = """SELECT ?p WHERE { ?p a ex:P . # FILTER NOT EXISTS { ?x ?y ?z }
        BIND ("EXISTS { ?q }" AS ?text) BIND (<https://example.org/EXISTS> AS ?iri) }"""

    assert decorrelate(query) == (query, 0)


def test_the_rewrite_makes_a_correlated_rule_linear() -> None:
    # 400 programmes with 3 studies each: the written form re-reads every study for each
    # programme; the rewritten one reads them once.
    lines = []
    for i in range(400):
        lines.append(f"<urn:p{i}> a <urn:P> .")
        for j in range(3):
            lines.append(f"<urn:s{i}-{j}> <urn:of> <urn:p{i}> ; <urn:rating> {j + 1} .")
    store = ox.Store()
    store.load("\n".join(lines).encode(), ox.RdfFormat.TURTLE)
    query = """SELECT ?p WHERE { ?p a <urn:P> .
        FILTER NOT EXISTS { ?s <urn:of> ?p ; <urn:rating> ?r . FILTER (?r >= 3) } }"""
    rewritten, _ = decorrelate(query)

    def timed(text: str) -> tuple[float, list[str]]:
        start = time.perf_counter()
        rows = sorted(str(s) for s in store.query(text))  # type: ignore[union-attr]
        return time.perf_counter() - start, rows

    slow, expected = timed(query)
    fast, rows = timed(rewritten)
    assert rows == expected
    assert fast < slow


# ----------------------------------------------------------------- literals


@pytest.mark.parametrize(("lexical", "datatype", "valid"), [
    ("12", "integer", True), ("-0", "integer", True), ("1.0", "integer", False),
    ("abc", "integer", False), ("0", "positiveInteger", False), ("7", "positiveInteger", True),
    ("1.50", "decimal", True), (".5", "decimal", True), ("1e3", "decimal", False),
    ("1e3", "double", True), ("INF", "double", True), ("true", "boolean", True),
    ("1", "boolean", True), ("yes", "boolean", False), ("2016", "gYear", True),
    ("16", "gYear", False), ("2016-07", "gYearMonth", True), ("2016-13", "gYearMonth", False),
    ("2016-07-01", "date", True), ("2016-02-30", "date", False), ("anything", "string", True),
])
def test_lexical_forms(lexical: str, datatype: str, valid: bool) -> None:
    literal = ox.Literal(lexical, datatype=ox.NamedNode(XSD + datatype))
    assert well_formed(literal) is valid


def test_every_rule_of_the_project_runs_once_over_the_whole_graph() -> None:
    # The other way (focus nodes written into the query, 200 at a time) is correct but
    # slower; a rule falls to it when $this is not bound by a triple pattern before the
    # parts of the query that use it (see prebinding.py).
    graph = ShapesGraph(project_shapes())
    plans = {shape.nt: sparql.plan for shape in graph.shapes.values() for sparql in shape.sparql}

    assert plans
    assert {name: p.reason for name, p in plans.items() if p.mode != "bulk"} == {}


# ----------------------------------------------------------------- value comparisons

D = "http://www.w3.org/2001/XMLSchema#"


@pytest.mark.parametrize(("constraint", "value", "fails"), [
    # XPath compares a decimal with a double as doubles: 0.1 is not below 0.1e0.
    ("sh:maxExclusive 0.1e0", "0.1", True),
    ("sh:maxExclusive 0.1e0", "0.0999", False),
    ("sh:maxInclusive 0.1e0", "0.1", False),
    (f'sh:maxExclusive "0.1"^^<{D}float>', "0.1e0", False),  # the float is 0.100000001...
    ("sh:maxExclusive 4", f'"4.0"^^<{D}decimal>', True),
    ("sh:minInclusive 4", f'"3.99"^^<{D}float>', True),
    # NaN is comparable to nothing, so it is in no range.
    ("sh:minInclusive 4", f'"NaN"^^<{D}double>', True),
    ("sh:maxInclusive 4", f'"NaN"^^<{D}double>', True),
    ("sh:minInclusive 4", f'"INF"^^<{D}double>', False),
])
def test_ranges_compare_numbers_as_xpath_does(constraint: str, value: str, fails: bool) -> None:
    shapes, data = ox.Store(), ox.Store()
    shapes.load(f"""@prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:shape> a sh:NodeShape ; sh:targetSubjectsOf <urn:v> ;
            sh:property [ sh:path <urn:v> ; {constraint} ] .""".encode(),
                ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:s"))
    data.load(f"<urn:x> <urn:v> {value} .".encode(), ox.RdfFormat.TURTLE)

    results = ENGINES["fast"](EngineInput(data, shapes))

    assert bool(results) is fails
