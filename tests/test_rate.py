"""`guidebook rate`: asserted vs derived ratings, the explanation, and exit 1 on a mismatch."""

from __future__ import annotations

import pytest

from conftest import Run
from view_cases import DISAGREEING, EXPECTED, EXPECTED_DISAGREEING, PROGRAMMES, REPO


def fixtures(*paths: object) -> list[str]:
    return [arg for path in paths for arg in ("--data", str(path))]


def test_ipp_explained_says_3_plus_and_why_not_4(run: Run) -> None:
    result = run("rate", "infant-parent-psychotherapy", "--explain", project=REPO)

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "asserted 3+, derived 3+: agrees" in out
    lines = out.splitlines()
    assert any(line.split()[:2] == ["not", "met"] and "replicated" in line
               and line.endswith("only Study 2") for line in lines)
    assert any(line.split()[0] == "met" and "long-term impact" in line
               and line.endswith("Study 2") for line in lines)
    assert any(line.split()[0] == "met" and "independent of participants" in line
               and line.endswith("Study 2") for line in lines)
    assert any(line.split()[0] == "met" and line.strip().endswith("Study 1, Study 2")
               and "3+:" in line for line in lines)
    why = out[out.index("Why it is 3+ and not higher:"):]
    assert "replicated in another rigorously conducted study" in why
    assert "At least two rigorously conducted studies" in why
    assert "Only Study 2 does." in why
    # long-term and the independent measure are met, so they are not reasons
    assert "long-term" not in why


def test_ipp_by_iri(run: Run) -> None:
    iri = "https://w3id.org/guidebook-kg/id/programme/infant-parent-psychotherapy"
    result = run("rate", iri, project=REPO)

    assert result.exit_code == 0
    assert "infant-parent-psychotherapy" in result.stdout


def test_every_fixture_agrees_with_the_rules(run: Run) -> None:
    result = run(*fixtures(*PROGRAMMES), "rate", project=REPO)

    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[2:-1]}
    for slug, rating in EXPECTED.items():
        assert rows[slug].split()[-3:] == [rating, rating, "agrees"]


@pytest.mark.parametrize("path", DISAGREEING, ids=lambda p: p.stem)
def test_a_disagreeing_rating_exits_1(run: Run, path: object) -> None:
    result = run(*fixtures(path), "rate", project=REPO)

    asserted, derived = EXPECTED_DISAGREEING[path.stem]  # type: ignore[attr-defined]
    assert result.exit_code == 1
    row = next(line for line in result.stdout.splitlines() if line.startswith(path.stem))  # type: ignore[attr-defined]
    assert row.split()[-3:] == [asserted, derived, "DISAGREES"]
    assert result.stderr.startswith("Error: 1 asserted rating(s) disagree")
    assert path.stem in result.stderr  # type: ignore[attr-defined]


def test_explaining_a_disagreement_names_the_missing_replication(run: Run) -> None:
    [claimed] = [p for p in DISAGREEING if p.stem == "claimed-replication"]
    result = run(*fixtures(claimed), "rate", "claimed-replication", "--explain", project=REPO)

    assert result.exit_code == 1
    assert "asserted 4, derived 3+: DISAGREES" in result.stdout
    assert "Why it is 3+ and not higher:" in result.stdout
    assert "Only Study 1 does." in result.stdout


def test_nl2_explains_the_missing_level_2(run: Run) -> None:
    [club] = [p for p in PROGRAMMES if p.stem == "unproven-club"]
    result = run(*fixtures(club), "rate", "unproven-club", "--explain", project=REPO)

    assert result.exit_code == 0
    why = result.stdout[result.stdout.index("Why it is NL2"):]
    assert "Level 2" in why
    assert "No study does." in why


def test_unknown_programme_exits_3_with_a_suggestion(run: Run) -> None:
    result = run("rate", "infant-parent-therapy", project=REPO)

    assert result.exit_code == 3
    assert "unknown programme 'infant-parent-therapy'" in result.stderr
    assert "did you mean infant-parent-psychotherapy?" in result.stderr


def test_a_programme_without_assessment_is_reported_not_failed(run: Run, tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "unassessed.ttl"
    path.write_text(
        "@prefix gb: <https://w3id.org/guidebook-kg/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<https://w3id.org/guidebook-kg/id/programme/unassessed> a gb:Programme ;\n"
        '    rdfs:label "Unassessed"@en .\n',
        encoding="utf-8",
    )

    result = run("--data", str(path), "rate", "unassessed", "--explain", project=REPO)

    assert result.exit_code == 0
    assert "asserted -, derived NL2: not assessed" in result.stdout
