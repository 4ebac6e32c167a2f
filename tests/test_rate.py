"""`guidebook rate`: each assessment's stated rating beside the derived one, the explanation,
what incomplete records lack, the rating history, and exit 1 exactly when the rating rules
report a violation."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Run
from view_cases import (
    DISAGREEING,
    EXPECTED,
    EXPECTED_DISAGREEING,
    EXPECTED_OPEN,
    PROGRAMMES,
    REPO,
)


def fixtures(*paths: object) -> list[str]:
    return [arg for path in paths for arg in ("--data", str(path))]


def rows(stdout: str) -> dict[str, list[str]]:
    """The table's rows, by programme slug (the last assessment of each programme)."""
    table = stdout.split("\n\n")[0].splitlines()[2:-1]
    return {line.split()[0]: line.split() for line in table}


def test_ipp_explained_says_3_plus_and_why_not_4(run: Run) -> None:
    result = run("rate", "infant-parent-psychotherapy", "--explain", project=REPO)

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Foundations for Life, July 2016" in out.splitlines()[0]
    assert "stated 3+, derived 3+: agrees" in out
    lines = [line.strip() for line in out.splitlines()]
    assert any(line.startswith("not met") and "replicated" in line
               and line.endswith("only Study 2") for line in lines)
    assert any(line.startswith("met") and "long-term impact" in line
               and line.endswith("Study 2") for line in lines)
    assert any(line.startswith("met") and "independent of participants" in line
               and line.endswith("Study 2") for line in lines)
    assert any(line.startswith("met") and line.endswith("Study 1, Study 2")
               and "3+:" in line for line in lines)
    why = out[out.index("Why it is 3+ and not higher:"):]
    assert "replicated in another rigorously conducted study" in why
    assert "At least two considered studies meeting level 3" in why
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
    found = rows(result.stdout)
    for slug, rating in EXPECTED.items():
        assert found[slug][-3:] == [rating, rating, "agrees"], slug
    for slug, rating in EXPECTED_OPEN.items():
        assert found[slug][-4:] == [rating, "-", "not", "derivable"], slug


def test_an_incomplete_record_says_what_it_lacks_and_passes(run: Run) -> None:
    [unrated] = [p for p in PROGRAMMES if p.stem == "unrated-studies"]
    result = run(*fixtures(unrated), "rate", "unrated-studies", project=REPO)

    assert result.exit_code == 0, result.output
    lacking = result.stdout[result.stdout.index("What the records lack:"):]
    assert (
        "study rating not recorded for Dahl et al (2005), Engel (2009), Farah et al (2014)"
        in lacking
    )
    assert "design not recorded for Farah et al (2014)" in lacking
    assert "list of considered studies not marked complete" in lacking


def test_the_history_is_in_date_order_and_each_judged_on_what_it_considered(run: Run) -> None:
    [dated] = [p for p in PROGRAMMES if p.stem == "dated-assessments"]
    result = run(*fixtures(dated), "rate", "dated-assessments", project=REPO)

    assert result.exit_code == 0, result.output
    table = result.stdout.split("\n\n")[0].splitlines()[2:-1]
    assert [line.split()[1:] for line in table] == [
        ["2016-07", "3+", "3+", "agrees"],
        ["2021-01", "3+*", "3+*", "agrees"],
    ]
    assert (
        "dated-assessments: 3+ (Fixture review, July 2016) → 3+* (Fixture review, January 2021)"
        in result.stdout
    )


@pytest.mark.parametrize("path", DISAGREEING, ids=lambda p: p.stem)
def test_a_disagreeing_rating_exits_1_as_validate_reports(run: Run, path: Path) -> None:
    result = run(*fixtures(path), "rate", project=REPO)
    validated = run(*fixtures(path), "validate", "--shape", "RatingAgreesWithEvidence",
                    project=REPO)

    stated, derived = EXPECTED_DISAGREEING[path.stem]
    assert result.exit_code == 1
    assert rows(result.stdout)[path.stem][-3:] == [stated, derived, "DISAGREES"]
    assert result.stderr.startswith(
        "Error: guidebook validate reports 1 violation(s) of the rating rules "
        f"(RatingAgreesWithEvidence) for {path.stem}"
    )
    assert validated.exit_code == 1
    assert validated.stdout.count("Violation gbsh:RatingAgreesWithEvidence") == 1


def test_explaining_a_disagreement_names_the_missing_replication(run: Run) -> None:
    [claimed] = [p for p in DISAGREEING if p.stem == "claimed-replication"]
    result = run(*fixtures(claimed), "rate", "claimed-replication", "--explain", project=REPO)

    assert result.exit_code == 1
    assert "stated 4, derived 3+: DISAGREES" in result.stdout
    assert "Why it is 3+ and not higher:" in result.stdout
    assert "Only Study 1 does." in result.stdout


def test_a_plus_needs_other_studies_that_show_improvement(run: Run) -> None:
    [plus] = [p for p in DISAGREEING if p.stem == "plus-from-no-effect"]
    result = run(*fixtures(plus), "rate", "plus-from-no-effect", "--explain", project=REPO)

    lines = [line.strip() for line in result.stdout.splitlines()]
    assert any(line.startswith("not met") and "3+: other studies" in line for line in lines)
    assert any(line.startswith("met") and "Level 3:" in line for line in lines)


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


def test_a_programme_without_assessment_is_reported_not_failed(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "unassessed.ttl"
    path.write_text(
        "@prefix gb: <https://w3id.org/guidebook-kg/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<https://w3id.org/guidebook-kg/id/programme/unassessed> a gb:Programme ;\n"
        '    rdfs:label "Unassessed"@en .\n',
        encoding="utf-8",
    )

    result = run("--data", str(path), "rate", "unassessed", "--explain", project=REPO)

    assert result.exit_code == 0
    assert "stated -, derived -: not assessed" in result.stdout
