"""The ontology is complete, self-described, and agrees with the data and the code."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest

from guidebook_kg.namespaces import GB, GBC, ID, ONTOLOGY
from guidebook_kg.prefixes import PREFIXES

REPO = Path(__file__).resolve().parent.parent
RDF_TYPE = PREFIXES["rdf"] + "type"
OWL = PREFIXES["owl"]
RDFS = PREFIXES["rdfs"]
SKOS = PREFIXES["skos"]
DCTERMS = PREFIXES["dcterms"]
VANN = PREFIXES["vann"]

TURTLE_FILES = sorted(
    p for folder in ("ontology", "data", "shapes") for p in (REPO / folder).rglob("*.ttl")
)


def triples(*paths: Path) -> list[ox.Triple]:
    out: list[ox.Triple] = []
    for path in paths:
        out += [q.triple for q in ox.parse(path=path, format=ox.RdfFormat.TURTLE)]
    return out


def describe(statements: list[ox.Triple]) -> dict[str, dict[str, set[ox.Term]]]:
    by_subject: dict[str, dict[str, set[ox.Term]]] = defaultdict(lambda: defaultdict(set))
    for t in statements:
        if isinstance(t.subject, ox.NamedNode):
            by_subject[t.subject.value][t.predicate.value].add(t.object)
    return by_subject


ONTOLOGY_TRIPLES = triples(*sorted((REPO / "ontology").glob("*.ttl")))
DATA_TRIPLES = triples(*sorted((REPO / "data").rglob("*.ttl")))
ONTOLOGY_DESC = describe(ONTOLOGY_TRIPLES)


def declared(namespace: str) -> set[str]:
    return {
        s[len(namespace) :] for s in ONTOLOGY_DESC if s.startswith(namespace) and s != namespace
    }


@pytest.mark.parametrize("path", TURTLE_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_turtle_file_parses(path: Path) -> None:
    assert list(ox.parse(path=path, format=ox.RdfFormat.TURTLE))


def test_the_ontology_header_is_complete() -> None:
    header = ONTOLOGY_DESC[ONTOLOGY]
    assert ox.NamedNode(OWL + "Ontology") in header[RDF_TYPE]
    for prop in (
        OWL + "versionIRI",
        OWL + "versionInfo",
        DCTERMS + "title",
        DCTERMS + "description",
        DCTERMS + "license",
        DCTERMS + "created",
        VANN + "preferredNamespacePrefix",
        VANN + "preferredNamespaceUri",
    ):
        assert header[prop], f"the ontology has no {prop}"
    assert header[VANN + "preferredNamespaceUri"] == {ox.Literal(GB.namespace)}


def test_the_namespace_module_and_the_ontology_agree_term_for_term() -> None:
    assert set(GB.terms) == declared(GB.namespace)
    assert set(GBC.terms) == declared(GBC.namespace)


def test_every_term_used_in_data_is_declared() -> None:
    used = set()
    for t in DATA_TRIPLES:
        for term in (t.predicate, t.object):
            if isinstance(term, ox.NamedNode):
                used.add(term.value)
    for namespace, vocabulary in ((GB.namespace, GB), (GBC.namespace, GBC)):
        unknown = {u for u in used if u.startswith(namespace) and u not in vocabulary}
        assert not unknown, f"used in data/ but not declared in ontology/: {sorted(unknown)}"


@pytest.mark.parametrize("term", sorted(GB.terms))
def test_every_class_and_property_is_documented(term: str) -> None:
    desc = ONTOLOGY_DESC[GB[term]]
    kinds = {o.value for o in desc[RDF_TYPE] if isinstance(o, ox.NamedNode)}
    assert kinds & {OWL + "Class", OWL + "ObjectProperty", OWL + "DatatypeProperty"}
    assert desc[RDFS + "label"], f"gb:{term} has no rdfs:label"
    assert desc[SKOS + "definition"], f"gb:{term} has no skos:definition"
    assert desc[RDFS + "isDefinedBy"] == {ox.NamedNode(ONTOLOGY)}


@pytest.mark.parametrize("term", sorted(GBC.terms))
def test_every_concept_is_documented_and_in_a_scheme(term: str) -> None:
    desc = ONTOLOGY_DESC[GBC[term]]
    assert desc[SKOS + "prefLabel"], f"gbc:{term} has no skos:prefLabel"
    assert desc[SKOS + "definition"], f"gbc:{term} has no skos:definition"
    assert desc[RDFS + "isDefinedBy"] == {ox.NamedNode(ONTOLOGY)}
    types = {o.value for o in desc[RDF_TYPE]}
    if SKOS + "Concept" in types:
        schemes = desc[SKOS + "inScheme"]
        assert len(schemes) == 1
        (scheme,) = schemes
        assert SKOS + "ConceptScheme" in {o.value for o in ONTOLOGY_DESC[scheme.value][RDF_TYPE]}
    else:
        assert types == {SKOS + "ConceptScheme"}


def test_every_resource_in_the_data_has_an_iri_and_a_type() -> None:
    data = describe(DATA_TRIPLES)
    subjects = {s for s in data if s.startswith(ID)}
    assert len(subjects) > 50
    untyped = sorted(s for s in subjects if not data[s][RDF_TYPE])
    assert not untyped, f"resources without rdf:type: {untyped}"
    # Blank nodes only as RDF list cells (ordered author lists), never as resources.
    for t in DATA_TRIPLES:
        if isinstance(t.subject, ox.BlankNode):
            assert t.predicate.value in (PREFIXES["rdf"] + "first", PREFIXES["rdf"] + "rest")


def test_every_linked_resource_is_described() -> None:
    # An object under id/ that nothing describes would be a dangling link. Some are
    # described in the ontology (the registries of ontology/registries.ttl).
    data = describe(DATA_TRIPLES)
    dangling = sorted(
        t.object.value
        for t in DATA_TRIPLES
        if isinstance(t.object, ox.NamedNode)
        and t.object.value.startswith(ID)
        and t.object.value not in data
        and t.object.value not in ONTOLOGY_DESC
    )
    assert not dangling, f"linked but not described: {dangling}"


def test_the_country_table_is_generated_from_iso_3166() -> None:
    # ontology/countries.ttl is written by tests/tools/generate_countries.py; regenerate it
    # with that script when this fails.
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "generate_countries", REPO / "tests" / "tools" / "generate_countries.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (REPO / "ontology" / "countries.ttl").read_text(encoding="utf-8") == module.turtle()
