"""Every fact of the IPP Guidebook page can be asked of the graph."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from guidebook_kg.project import find_project
from guidebook_kg.store import load
from seed_facts import FACTS, SeedFact, sparql

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def graph() -> ox.Store:
    return load(find_project(REPO))


def test_there_are_at_least_forty_facts() -> None:
    assert len(FACTS) >= 40
    assert len({fact.name for fact in FACTS}) == len(FACTS)


@pytest.mark.parametrize("fact", FACTS, ids=lambda fact: fact.name)
def test_the_graph_holds_the_fact(graph: ox.Store, fact: SeedFact) -> None:
    answer = graph.query(sparql(fact.ask), use_default_graph_as_union=True)

    assert bool(answer), f"the graph does not say: {fact.name}"


def test_a_wrong_fact_is_not_found(graph: ox.Store) -> None:
    # The questions can fail: the same shape of question with a wrong number is false.
    wrong = sparql("?s gb:sampleSize 190 .")
    assert not bool(graph.query(wrong, use_default_graph_as_union=True))
