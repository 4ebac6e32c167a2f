"""The shapes against their test suite: every shape fails on its fixture and passes its twin.

tests/shapes/manifest.ttl is a W3C SHACL test-suite manifest (sht:Validate entries naming a
data graph, a shapes graph and the expected report), generated with its data graphs by
tests/shapes/generate.py. Every entry is run with every registered engine against *all*
the project's shapes, so a fixture that breaks a second shape fails here too. Results are
compared on (focus node, path, source shape, severity), never on message text.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path
from typing import NamedTuple

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import RDF
from rdflib.collection import Collection
from rdflib.compare import isomorphic

from conftest import assert_isomorphic
from guidebook_kg import store as store_module
from guidebook_kg.derive import DERIVED_GRAPH_NODE, derive
from guidebook_kg.project import find_project
from guidebook_kg.report import Severity
from guidebook_kg.validate import ENGINES, check, load_shapes

REPO = Path(__file__).resolve().parent.parent
SUITE = REPO / "tests" / "shapes"
sys.path.insert(0, str(SUITE))
import generate  # noqa: E402  (tests/shapes/generate.py, the suite's generator)

MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = rdflib.Namespace("http://www.w3.org/ns/shacl-test#")
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
GBT = rdflib.Namespace("https://w3id.org/guidebook-kg/shapes-tests#")
GBSH = "https://w3id.org/guidebook-kg/shapes#"


class Entry(NamedTuple):
    name: str
    data: Path
    shapes: Path
    conforms: bool
    expected: frozenset[tuple[str, str | None, str, Severity]]


def _nt(node: rdflib.term.Node | None) -> str | None:
    return None if node is None else generate.nt(node)


@cache
def manifest() -> rdflib.Graph:
    return rdflib.Graph().parse(SUITE / "manifest.ttl", format="turtle")


@cache
def entries() -> list[Entry]:
    graph = manifest()
    (head,) = graph.subjects(RDF.type, MF.Manifest)
    out = []
    for node in Collection(graph, graph.value(head, MF.entries)):
        action, result = graph.value(node, MF.action), graph.value(node, MF.result)
        expected = frozenset(
            (
                _nt(graph.value(r, SH.focusNode)) or "",
                _nt(graph.value(r, SH.resultPath)),
                _nt(graph.value(r, SH.sourceShape)) or "",
                Severity.from_iri(str(graph.value(r, SH.resultSeverity))),
            )
            for r in graph.objects(result, SH.result)
        )
        out.append(
            Entry(
                name=str(node).rsplit("#", 1)[-1],
                data=_local(graph.value(action, SHT.dataGraph)),
                shapes=_local(graph.value(action, SHT.shapesGraph)),
                conforms=bool(graph.value(result, SH.conforms).toPython()),
                expected=expected,
            )
        )
    return out


def _local(iri: rdflib.term.Node | None) -> Path:
    from urllib.parse import unquote, urlparse

    return Path(unquote(urlparse(str(iri)).path))


@cache
def project_shapes() -> ox.Store:
    return load_shapes(find_project(REPO).shape_files())


def data_store(path: Path) -> ox.Store:
    store = ox.Store()
    store_module.load_file(store, path, store_module.programme_graph(path.stem))
    return store


@cache
def results(data: Path, engine: str) -> frozenset[tuple[str, str | None, str, Severity]]:
    # Many twins share one data graph (the complete base); validate it once per engine.
    report = check(data_store(data), project_shapes(), engine=engine)
    return frozenset((r.focus_node, r.path, r.source_shape, r.severity) for r in report.results)


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("entry", entries(), ids=lambda e: e.name)
def test_entry(entry: Entry, engine: str) -> None:
    actual = results(entry.data, engine)

    assert actual == entry.expected
    assert (not actual) == entry.conforms


def test_expected_results_come_from_the_entrys_shapes_graph() -> None:
    # So an engine run with the manifest's single shapes file gets the same report.
    defined_in: dict[Path, set[str]] = {}
    for entry in entries():
        if entry.shapes not in defined_in:
            graph = rdflib.Graph().parse(entry.shapes, format="turtle")
            defined_in[entry.shapes] = {str(s) for s in graph.subjects()}
        defined = defined_in[entry.shapes]
        for _, _, shape, _ in entry.expected:
            assert shape[1:-1] in defined, f"{entry.name}: {shape} is not in {entry.shapes.name}"


def test_every_shape_has_a_failing_graph_and_a_passing_twin() -> None:
    graph = manifest()
    failing = set(graph.subjects(GBT.twin, None))
    exercised = {str(s) for e in failing for s in graph.objects(e, GBT.exercises)}
    for entry in failing:
        assert graph.value(entry, MF.result) is not None
        twin = graph.value(entry, GBT.twin)
        assert (twin, RDF.type, SHT.Validate) in graph, f"{entry} has no twin entry"
        assert graph.value(graph.value(twin, MF.result), SH.conforms).toPython() is True
    failing_results = {
        str(graph.value(r, SH.sourceShape))
        for e in failing
        for r in graph.objects(graph.value(e, MF.result), SH.result)
    }
    shapes = {
        str(s)
        for path in find_project(REPO).shape_files()
        for kind in (SH.NodeShape, SH.PropertyShape)
        for s in rdflib.Graph().parse(path, format="turtle").subjects(RDF.type, kind)
    }
    # A node shape without constraints of its own is exercised through its property shapes.
    exercised |= {s for s in shapes if not _own_constraints(s) and _properties(s) & exercised}
    missing = sorted(s.removeprefix(GBSH) for s in shapes - exercised)
    assert not missing, f"shapes without a failing fixture: {missing}"
    # Every shape that reports results itself (not through sh:node or sh:or, and not only
    # through its property shapes) is seen reporting one.
    reporting = {s for s in shapes if _own_constraints(s) and not _used_inside(s)}
    silent = sorted(s.removeprefix(GBSH) for s in reporting - failing_results)
    assert not silent, f"shapes never seen reporting a result: {silent}"


NOT_CONSTRAINTS = {
    SH.targetClass,
    SH.targetNode,
    SH.targetObjectsOf,
    SH.targetSubjectsOf,
    SH.property,
    SH.message,
    SH.severity,
    SH.deactivated,
    SH.name,
    SH.description,
    SH.path,
    RDF.type,
}


@cache
def shapes_graph() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in find_project(REPO).shape_files():
        graph.parse(path, format="turtle")
    return graph


def _own_constraints(shape: str) -> bool:
    return any(
        p.startswith(str(SH)) and p not in NOT_CONSTRAINTS
        for p in shapes_graph().predicates(rdflib.URIRef(shape))
    )


def _properties(shape: str) -> set[str]:
    return {str(p) for p in shapes_graph().objects(rdflib.URIRef(shape), SH.property)}


def _used_inside(shape: str) -> bool:
    # Concept and literal shapes are reached through sh:node / sh:or (their failures are
    # reported by the property shape that uses them), and so are their property shapes.
    graph, node = shapes_graph(), rdflib.URIRef(shape)
    if (None, SH.node, node) in graph or (None, RDF.first, node) in graph:
        return True
    return any(_used_inside(str(parent)) for parent in graph.subjects(SH.property, node))


@pytest.mark.slow
def test_the_suite_on_disk_is_current() -> None:
    # Regenerate with: python tests/shapes/generate.py
    built = generate.outputs()
    on_disk = set((SUITE / "data").glob("*.ttl"))
    assert on_disk == {p for p in built if p.parent == SUITE / "data"}, "stale or missing files"
    for path, content in built.items():
        if isinstance(content, str):
            assert path.read_text(encoding="utf-8") == content, f"{path.name} is out of date"
            continue
        facts, output = (_graph(part) for part in generate.split(path.read_text("utf-8")))
        for stored, current in ((facts, content.facts), (output, content.derived)):
            if not isomorphic(stored, current):
                assert_isomorphic(stored, current)


def test_the_base_graph_conforms_without_any_result() -> None:
    report = check(data_store(generate.COMPLETE_BASE), project_shapes())
    assert report.results == []


def _graph(turtle: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=turtle, format="turtle")


def _derived(store: ox.Store) -> rdflib.Graph:
    quads = store.quads_for_pattern(None, None, None, DERIVED_GRAPH_NODE)
    text = ox.serialize([q.triple for q in quads], format=ox.RdfFormat.N_TRIPLES)
    return rdflib.Graph().parse(data=text, format="nt")


@pytest.mark.parametrize("path", sorted((SUITE / "data").glob("*.ttl")), ids=lambda path: path.stem)
def test_the_derived_triples_written_are_the_derivations_output(path: Path) -> None:
    # The data graphs carry what the derivation derives from them, for engines that know
    # nothing of it: deriving again from the file's own facts gives exactly those triples.
    facts, output = generate.split(path.read_text(encoding="utf-8"))
    store = ox.Store()
    store.load(facts, format=ox.RdfFormat.TURTLE)
    derive(store, find_project(REPO).derivation_files())

    assert_isomorphic(_derived(store), _graph(output))


def test_the_base_graph_carries_every_fact_the_derivation_reads() -> None:
    # Beside the whole ontology, the base graph's own facts derive what the file says: the
    # facts copied in (the standard, CONCEPT_FACTS) are all the derivation needs. One
    # graph, so that a fact stated both in the file and in the ontology counts once.
    facts, output = generate.split(generate.COMPLETE_BASE.read_text(encoding="utf-8"))

    derived = generate.derived(_graph(facts) + generate.ontology())

    assert_isomorphic(derived, _graph(output))
