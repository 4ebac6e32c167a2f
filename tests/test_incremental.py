"""Incremental derivation and validation give what a full run gives.

After random edits (triples dropped, values changed, a programme added or removed, the
shared file changed), ``derive.rederive`` must leave the derived graph a full derivation
gives, and ``validate.revalidate`` the results a full validation gives. And, for every
derivation step and every node it derives facts about, the step run on the node's
neighbourhood (what ``reach.py`` says it reads) derives what it derives on the whole graph.
"""

from __future__ import annotations

import random
from collections import Counter
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pytest

from guidebook_kg import fastvalidate, shapereach, synthetic
from guidebook_kg import store as store_module
from guidebook_kg import validate as validating
from guidebook_kg.derive import DERIVED_GRAPH_NODE, Changes, derive, rederive, steps_of
from guidebook_kg.project import Project, find_project
from guidebook_kg.reach import Graph
from guidebook_kg.shacl import EngineInput

REPO = Path(__file__).resolve().parent.parent
GB = "https://w3id.org/guidebook-kg/ontology#"
GBC = "https://w3id.org/guidebook-kg/concept/"
XSD = "http://www.w3.org/2001/XMLSchema#"
DCTERMS_DATE = "http://purl.org/dc/terms/date"
PROGRAMME_GRAPHS = "https://w3id.org/guidebook-kg/graph/programme/"


@cache
def repo() -> Project:
    return find_project(REPO)


@pytest.fixture(scope="module")
def synthetic_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    out = tmp_path_factory.mktemp("incremental") / "synthetic"
    synthetic.generate(40, out, seed=11, inject_errors=True, dense=True, source=repo())
    return find_project(out)


@cache
def steps() -> list:  # type: ignore[type-arg]
    return steps_of(repo().derivation_files())


def derived(store: ox.Store) -> set[ox.Triple]:
    return {q.triple for q in store.quads_for_pattern(None, None, None, DERIVED_GRAPH_NODE)}


def full_derivation(store: ox.Store) -> set[ox.Triple]:
    copy = ox.Store()
    copy.extend(q for q in store if q.graph_name != DERIVED_GRAPH_NODE)
    derive(copy, repo().derivation_files())
    return derived(copy)


# ----------------------------------------------------------------- random edits


def edit(store: ox.Store, rng: random.Random) -> tuple[str, Changes]:
    """One random edit of one data graph, applied to ``store``; what it changed."""
    graphs = sorted((g for g in store.named_graphs()
                     if isinstance(g, ox.NamedNode) and g.value.startswith(PROGRAMME_GRAPHS)),
                    key=lambda g: g.value)
    graph = rng.choice(graphs)
    quads = sorted(store.quads_for_pattern(None, None, None, graph), key=str)
    kind = rng.choice(["drop", "drop", "flip", "rating", "impact", "review", "remove",
                       "copy", "shared"])
    removed: list[ox.Quad] = []
    added: list[ox.Quad] = []
    if kind == "shared":
        shared = [g for g in graphs if not any(True for _ in store.quads_for_pattern(
            None, ox.NamedNode(GB + "hasAssessment"), None, g))]
        graph = rng.choice(shared) if shared else graph
        quads = sorted(store.quads_for_pattern(None, None, None, graph), key=str)
        for quad in quads:
            if quad.predicate.value in (DCTERMS_DATE, GB + "beneficiary") and rng.random() < .5:
                removed.append(quad)
                if quad.predicate.value == DCTERMS_DATE:
                    added.append(ox.Quad(quad.subject, quad.predicate, ox.Literal(
                        rng.choice(["2015-01", "2030-06"]),
                        datatype=ox.NamedNode(XSD + "gYearMonth")), graph))
    elif kind == "drop":
        removed = [q for q in quads if q.predicate.value.startswith(GB) and rng.random() < 0.15]
    elif kind == "flip":
        for quad in quads:
            literal = quad.object
            if isinstance(literal, ox.Literal) and literal.datatype.value == XSD + "boolean" \
                    and rng.random() < 0.5:
                removed.append(quad)
                added.append(ox.Quad(quad.subject, quad.predicate, ox.Literal(
                    "false" if literal.value == "true" else "true",
                    datatype=literal.datatype), graph))
    elif kind == "rating":
        for quad in quads:
            if quad.predicate.value == GB + "studyRating" and rng.random() < 0.5:
                removed.append(quad)
                added.append(ox.Quad(quad.subject, quad.predicate, ox.NamedNode(
                    GBC + rng.choice(["study-rating-2", "study-rating-3", "study-rating-4"])),
                    graph))
            elif quad.predicate.value == GB + "evidenceRating" and rng.random() < 0.5:
                removed.append(quad)
                added.append(ox.Quad(quad.subject, quad.predicate, ox.NamedNode(
                    GBC + rng.choice(["rating-2", "rating-3-plus", "rating-4", "rating-nl2"])),
                    graph))
    elif kind == "impact":
        for quad in quads:
            if quad.predicate.value in (GB + "effect", GB + "childImpact") and rng.random() < .5:
                removed.append(quad)
                added.append(ox.Quad(quad.subject, quad.predicate, ox.NamedNode(
                    GBC + rng.choice(["effect-positive", "effect-none", "effect-negative"])),
                    graph))
    elif kind == "review":
        for quad in quads:
            if quad.predicate.value == GB + "partOfReview" and rng.random() < 0.5:
                removed.append(quad)
    elif kind == "remove":
        removed = quads
    elif kind == "copy":
        # a new programme file: this one's statements about its own resources, renamed
        slug = graph.value.removeprefix(PROGRAMME_GRAPHS)
        new_slug = f"{slug}-copy-{rng.randrange(1000)}"
        new_graph = ox.NamedNode(PROGRAMME_GRAPHS + new_slug)

        def renamed(term: object) -> object:
            if isinstance(term, ox.NamedNode) and f"/{slug}" in term.value:
                return ox.NamedNode(term.value.replace(f"/{slug}", f"/{new_slug}"))
            return term

        added = [ox.Quad(renamed(q.subject), q.predicate, renamed(q.object), new_graph)  # type: ignore[arg-type]
                 for q in quads if renamed(q.subject) != q.subject]
    removed = list(dict.fromkeys(removed))
    added = [q for q in dict.fromkeys(added) if q not in store]
    for quad in removed:
        store.remove(quad)
    store.extend(added)
    return kind, Changes(removed, added)


def loaded(project: Project) -> ox.Store:
    return store_module.load(project)


# ----------------------------------------------------------------- derivation


@pytest.mark.parametrize("seed", range(3))
def test_rederive_after_random_edits_gives_the_full_derivation(
        seed: int, synthetic_project: Project) -> None:
    rng = random.Random(seed)
    for project in (repo(), synthetic_project):
        store = loaded(project)
        for _ in range(12):
            kind, changes = edit(store, rng)
            result = rederive(store, steps(), changes)
            assert result is not None, kind
            assert derived(store) == full_derivation(store), kind


def test_rederive_reports_what_it_changed() -> None:
    store = loaded(repo())
    before = derived(store)
    rng = random.Random(5)
    _, changes = edit(store, rng)
    while not changes:
        _, changes = edit(store, rng)
    result = rederive(store, steps(), changes)
    assert result is not None
    after = derived(store)
    assert {q.triple for q in result.removed} == before - after
    assert {q.triple for q in result.added} == after - before


def test_each_step_derives_the_same_from_a_nodes_neighbourhood(
        synthetic_project: Project) -> None:
    # What reach.py says a step reads from a node is all the step needs: run on those
    # quads alone, the step derives for the node what it derives on the whole graph.
    for project in (repo(), synthetic_project):
        store = loaded(project)
        graph = Graph(store)
        for step in steps():
            whole = list(store.query(step.text, use_default_graph_as_union=True))
            anchors = sorted({t.subject for t in whole}, key=str)
            minted_from = {t.object: t.subject for t in whole
                           if t.predicate.value in step.reach.owned_links}
            for anchor in anchors[:: max(1, len(anchors) // 15)]:
                if anchor in minted_from:
                    continue
                quads = step.reach.neighbourhood(graph, [anchor])
                assert quads is not None, step.path.name
                small = ox.Store()
                small.extend(quads)
                mine = {t for t in small.query(step.text, use_default_graph_as_union=True)
                        if t.subject == anchor or minted_from.get(t.subject) == anchor}
                expected = {t for t in whole
                            if t.subject == anchor or minted_from.get(t.subject) == anchor}
                assert mine == expected, (step.path.name, anchor)


# ----------------------------------------------------------------- validation


def results(store: ox.Store, project: Project) -> Counter[tuple[object, ...]]:
    shapes = validating.load_shapes(project.shape_files())
    found = fastvalidate.validate(EngineInput(store, shapes))
    return Counter((r.key(), r.severity.iri, r.message) for r in found)


@pytest.mark.parametrize("seed", range(2))
def test_revalidate_after_random_edits_gives_the_full_results(
        seed: int, synthetic_project: Project) -> None:
    rng = random.Random(100 + seed)
    for project in (repo(), synthetic_project):
        store = loaded(project)
        shapes = validating.load_shapes(project.shape_files())
        reach = shapereach.shapes_reach(fastvalidate.ShapesGraph(shapes))
        assert reach.whole is None
        previous = fastvalidate.validate(EngineInput(store, shapes))
        for _ in range(10):
            kind, changes = edit(store, rng)
            derived_changes = rederive(store, steps(), changes)
            assert derived_changes is not None
            changes.extend(derived_changes)
            now = validating.revalidate(store, shapes, reach, previous, changes)
            assert now is not None, kind
            assert Counter((r.key(), r.severity.iri, r.message) for r in now) == \
                results(store, project), kind
            previous = now


def test_a_change_revalidates_only_what_it_can_affect() -> None:
    # Changing one study's rating re-checks that study and what reads it, not every node.
    store = loaded(repo())
    shapes = validating.load_shapes(repo().shape_files())
    reach = shapereach.shapes_reach(fastvalidate.ShapesGraph(shapes))
    study = next(q for q in store.quads_for_pattern(None, ox.NamedNode(GB + "studyRating"),
                                                     None))
    changes = Changes([study], [ox.Quad(study.subject, study.predicate,
                                        ox.NamedNode(GBC + "study-rating-2"),
                                        study.graph_name)])
    affected = reach.anchors_of(Graph(store), [*changes.removed, *changes.added])
    assert affected is not None
    assert study.subject in affected
    typed = {q.subject for q in store.quads_for_pattern(
        None, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), None)}
    assert len(affected) < len(typed) / 10
