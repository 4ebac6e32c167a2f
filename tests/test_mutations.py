"""Mutations of the real IPP data: each breaks a promise, and `guidebook validate` says which.

Each test changes the shipped Infant-Parent Psychotherapy graph as a data steward might
(by graph edits, so the tests do not depend on the file's layout), writes it to a
temporary file and validates it with the command line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import Run

REPO = Path(__file__).resolve().parent.parent
IPP = REPO / "data" / "programmes" / "infant-parent-psychotherapy.ttl"
# The resources IPP links to that other programmes share (the clearinghouse, its review).
SHARED = REPO / "data" / "shared.ttl"
ID = "https://w3id.org/guidebook-kg/id/"
GB = "https://w3id.org/guidebook-kg/ontology#"
GBC = "https://w3id.org/guidebook-kg/concept/"
GBSH = "https://w3id.org/guidebook-kg/shapes#"

ASSESSMENT = ox.NamedNode(f"{ID}programme/infant-parent-psychotherapy/assessment/2016-07")
STUDY_2 = ox.NamedNode(f"{ID}study/cicchetti-2006")
FINDING_3 = ox.NamedNode(f"{ID}programme/infant-parent-psychotherapy/finding/3")

Edit = Callable[[ox.Store], None]


def gb(name: str) -> ox.NamedNode:
    return ox.NamedNode(GB + name)


def gbc(name: str) -> ox.NamedNode:
    return ox.NamedNode(GBC + name)


def replace(
    store: ox.Store, subject: ox.NamedNode, predicate: ox.NamedNode, value: ox.Term
) -> None:
    for quad in list(store.quads_for_pattern(subject, predicate, None)):
        store.remove(quad)
    store.add(ox.Quad(subject, predicate, value))


def mutate(tmp_path: Path, edit: Edit) -> Path:
    store = ox.Store()
    store.load(path=IPP, format=ox.RdfFormat.TURTLE)
    before = set(store)
    edit(store)
    assert set(store) != before or edit is keep, "the edit changed nothing"
    out = tmp_path / f"{IPP.stem}.nt"
    out.write_bytes(store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()))
    return out


def keep(store: ox.Store) -> None:
    pass


def results(run: Run, path: Path) -> tuple[int, list[dict[str, str]]]:
    result = run("validate", "--quiet", str(path), str(SHARED), "--format", "json", project=REPO)
    assert result.stderr == "" or result.stderr.startswith("Error: does not conform")
    return result.exit_code, json.loads(result.stdout)["results"]


def violations(found: list[dict[str, str]]) -> set[tuple[str, str, str]]:
    return {
        (r["focusNode"], r["path"], r["sourceShape"]) for r in found if r["severity"] == "Violation"
    }


def test_the_unchanged_graph_conforms(run: Run, tmp_path: Path) -> None:
    status, found = results(run, mutate(tmp_path, keep))

    assert status == 0
    assert found == []


def test_removing_study_2_breaks_the_3_plus_rating(run: Run, tmp_path: Path) -> None:
    def remove_study_2(store: ox.Store) -> None:
        for quad in list(store.quads_for_pattern(STUDY_2, None, None)):
            store.remove(quad)

    status, found = results(run, mutate(tmp_path, remove_study_2))

    assert status == 1
    rating = (str(ASSESSMENT), f"<{GB}evidenceRating>", f"<{GBSH}RatingAgreesWithEvidence>")
    assert rating in violations(found)
    (disagreement,) = [r for r in found if r["shape"] == "gbsh:RatingAgreesWithEvidence"]
    # study 1 alone was not rigorously conducted: level 3 and its plus are gone, 2+ remains
    assert "support 2+" in disagreement["message"]
    assert "Level 3: a rigorous RCT or QED" in disagreement["message"]
    # The findings of study 2 now point at nothing: each is reported where it is.
    dangling = {r["focusNode"] for r in found if r["shape"] == "gbsh:Finding-basedOnStudy"}
    assert dangling == {
        f"<{ID}programme/infant-parent-psychotherapy/finding/{n}>" for n in (2, 3, 4, 5)
    }


def test_claiming_level_4_names_the_missing_condition(run: Run, tmp_path: Path) -> None:
    def rate_4(store: ox.Store) -> None:
        # A consistent claim of 4, so only the evidence can object.
        replace(store, ASSESSMENT, gb("evidenceRating"), gbc("rating-4"))
        replace(store, ASSESSMENT, gb("evidenceLevel"), gbc("level-4"))
        replace(store, ASSESSMENT, gb("hasPlus"), ox.Literal(False))
        replace(store, ASSESSMENT, gb("ratingNotation"), ox.Literal("4"))

    path = mutate(tmp_path, rate_4)
    status, found = results(run, path)

    assert status == 1
    assert violations(found) == {
        (str(ASSESSMENT), f"<{GB}evidenceRating>", f"<{GBSH}RatingAgreesWithEvidence>")
    }
    # Study 2 alone already shows a one-year outcome by expert observation, so replication
    # is the condition that is missing, and the message says so.
    (disagreement,) = found
    message = disagreement["message"]
    assert "states 4, but the studies it considered support 3+" in message
    assert "Level 4: replicated in another rigorously conducted study" in message
    assert "long-term" not in message
    assert "independent of participants" not in message


def test_claiming_level_4_without_the_one_year_outcome(run: Run, tmp_path: Path) -> None:
    def rate_4_without_follow_up(store: ox.Store) -> None:
        replace(store, ASSESSMENT, gb("evidenceRating"), gbc("rating-4"))
        replace(store, ASSESSMENT, gb("evidenceLevel"), gbc("level-4"))
        replace(store, ASSESSMENT, gb("hasPlus"), ox.Literal(False))
        replace(store, ASSESSMENT, gb("ratingNotation"), ox.Literal("4"))
        replace(store, FINDING_3, gb("timing"), gbc("timing-post-test"))

    status, found = results(run, mutate(tmp_path, rate_4_without_follow_up))

    assert status == 1
    assert violations(found) == {
        (str(ASSESSMENT), f"<{GB}evidenceRating>", f"<{GBSH}RatingAgreesWithEvidence>")
    }
    (disagreement,) = found
    assert "replicated in another rigorously conducted study" in disagreement["message"]
    assert "at least one study shows long-term impact" in disagreement["message"]


def test_an_improvement_index_of_75_fails(run: Run, tmp_path: Path) -> None:
    status, found = results(
        run,
        mutate(tmp_path, lambda s: replace(s, FINDING_3, gb("improvementIndex"), ox.Literal(75))),
    )

    assert status == 1
    assert violations(found) == {
        (str(FINDING_3), f"<{GB}improvementIndex>", f"<{GBSH}Finding-improvementIndex>")
    }
    (result,) = found
    assert result["value"] == '"75"^^<http://www.w3.org/2001/XMLSchema#integer>'


def test_a_negative_index_on_a_positive_finding_fails(run: Run, tmp_path: Path) -> None:
    status, found = results(
        run,
        mutate(tmp_path, lambda s: replace(s, FINDING_3, gb("improvementIndex"), ox.Literal(-5))),
    )

    assert status == 1
    assert violations(found) == {
        (str(FINDING_3), f"<{GB}improvementIndex>", f"<{GBSH}PositiveFindingHasPositiveIndex>")
    }


@pytest.mark.parametrize(
    ("edit", "shape"),
    [
        (
            lambda s: replace(s, ASSESSMENT, gb("mixedFindings"), ox.Literal(True)),
            "RatingAgreesWithEvidence",
        ),
        (
            lambda s: s.add(ox.Quad(ASSESSMENT, gb("unmetCriterion"), gbc("criterion-long-term"))),
            "UnmetCriterionIsUnmet",
        ),
        (
            lambda s: replace(s, ASSESSMENT, gb("ratingNotation"), ox.Literal("3")),
            "RatingNotationMatchesRating",
        ),
        (
            lambda s: replace(s, STUDY_2, gb("design"), gbc("design-pre-post")),
            "StudyRating3NeedsRigorousDesign",
        ),
    ],
    ids=["star-claimed", "long-term-listed-unmet", "notation", "pre-post-rated-3"],
)
def test_other_claims_the_studies_do_not_support(
    run: Run, tmp_path: Path, edit: Edit, shape: str
) -> None:
    status, found = results(run, mutate(tmp_path, edit))

    assert status == 1
    assert f"<{GBSH}{shape}>" in {r["sourceShape"] for r in found}


def test_broken_turtle_exits_3_with_the_line(run: Run, tmp_path: Path) -> None:
    lines = IPP.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines) if "gb:acronym" in line)
    lines[number] = lines[number].replace('"IPP"', '"IPP')
    broken = tmp_path / IPP.name
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = run("validate", str(broken), project=REPO)

    assert result.exit_code == 3
    assert result.stdout == ""
    assert f"{IPP.name}:{number + 1}:" in result.stderr
    assert "Traceback" not in result.output
