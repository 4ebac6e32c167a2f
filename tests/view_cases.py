"""Shared by the view tests: the fixture graph and the view runs whose results are golden.

The fixture graph is the project's ontology plus one file per fixture programme
(tests/fixtures/programmes/*.ttl), each in its own programme graph, and what the evidence
standards derive from them, as ``store.load`` would put it; the IPP data is left out so
that the golden files depend on fixtures only.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from guidebook_kg import store as store_module
from guidebook_kg.derive import derive
from guidebook_kg.project import Project, find_project

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
PROGRAMMES = sorted((FIXTURES / "programmes").glob("*.ttl"))
DISAGREEING = sorted((FIXTURES / "programmes-disagreeing").glob("*.ttl"))
GOLDEN = REPO / "tests" / "golden"

# What the evidence standards must derive for each fixture (its file stem).
EXPECTED = {
    "preliminary-play": "2",
    "quasi-reading": "2+",
    "single-trial-nurture": "3",
    "two-study-support": "3+",
    "replicated-visits": "4",
    "independent-family": "4+",
    "unproven-club": "NL2",
    "no-effect-mentoring": "NE",
    "mixed-home-visiting": "3*",
    "dated-assessments": "3+*",
}
# Fixtures whose record cannot decide the rating: the rating they state.
EXPECTED_OPEN = {"unrated-studies": "4+"}
EXPECTED_DISAGREEING = {
    "claimed-replication": ("4", "3+"),
    "unflagged-mixed": ("3", "3*"),
    "plus-from-no-effect": ("3+", "3"),
}

# (view, parameters): every view at least once, each parameter at least once.
CASES: list[tuple[str, dict[str, str]]] = [
    ("programmes", {}),
    ("programme-ratings", {}),
    ("rating-derivation", {}),
    ("rating-derivation", {"programme": "two-study-support"}),
    ("rating-history", {}),
    ("rating-history", {"programme": "dated-assessments"}),
    ("crosswalk", {}),
    ("child-outcomes", {}),
    ("child-outcomes", {"programme": "independent-family"}),
    ("studies", {}),
    ("studies", {"programme": "mixed-home-visiting"}),
    ("references", {}),
    ("references", {"programme": "quasi-reading"}),
    ("programme-search", {}),
    ("programme-search", {"age_group": "Infants"}),
    ("programme-search", {"setting": "home", "delivery_model": "Individual"}),
    ("programme-search", {"targeting": "gbc:targeting-selected", "min_level": "3"}),
    ("programme-search", {"max_cost": "2"}),
    ("concepts", {"scheme": "gbc:evidence-rating"}),
    ("concepts", {"scheme": "Age groups"}),
    ("concept-schemes", {}),
    ("outcome-comparison", {}),
    ("outcome-comparison", {"domain": "gbc:domain-mental-health"}),
    ("programme-page", {"programme": "independent-family"}),
    ("evidence-map", {}),
    ("evidence-map", {"age_group": "Infants"}),
    ("evidence-map", {"setting": "home", "targeting": "gbc:targeting-selected"}),
]


def case_id(case: tuple[str, dict[str, str]]) -> str:
    name, params = case
    return "--".join([name, *(f"{k}={v}".replace(":", "-") for k, v in sorted(params.items()))])


def project() -> Project:
    return find_project(REPO)


def fixture_store(*, disagreeing: bool = False) -> ox.Store:
    """The ontology and the fixture programmes (and, if asked, the disagreeing ones)."""
    store = ox.Store()
    for path in project().ontology_files():
        store_module.load_file(store, path, store_module.ONTOLOGY_GRAPH_NODE)
    for path in [*PROGRAMMES, *(DISAGREEING if disagreeing else [])]:
        store_module.load_file(store, path, store_module.programme_graph(path.stem))
    derive(store, project().derivation_files())
    return store
