"""What a report carries beyond SHACL's three severities and plain predicates.

SHACL allows any IRI as a severity and any SHACL property path as a result path. A shapes
file added to a copy of the project uses both; each output format must say them, and a
severity SHACL does not define counts as a violation for ``--fail-on`` and ``conforms``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import rdflib

from conftest import Run
from guidebook_kg.report import (
    Severity,
    ValidationReport,
    ValidationResult,
    path_text,
    path_triples,
)

REPO = Path(__file__).resolve().parent.parent
GB = "https://w3id.org/guidebook-kg/ontology#"
GBSH = "https://w3id.org/guidebook-kg/shapes#"
ADVISORY = "https://example.org/severity/Advisory"
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
IPP = ("--focus", "infant-parent-psychotherapy")

# Two extra rules every programme breaks: an advisory one (a custom severity), and a
# warning whose path is an inverse path (a programme with an assessment). The tests look
# at one programme, IPP, through --focus.
EXTRA_SHAPES = f"""\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix gb: <{GB}> .
@prefix gbsh: <{GBSH}> .
gbsh:ProgrammeHasAWebsite a sh:NodeShape ;
    sh:targetClass gb:Programme ;
    sh:property [ sh:path gb:websiteNeverStated ; sh:minCount 1 ;
                  sh:severity <{ADVISORY}> ;
                  sh:message "Advisory: give the programme a website."@en ] .
gbsh:AssessedBySeveralAssessments a sh:NodeShape ;
    sh:targetClass gb:Programme ;
    sh:property [ sh:path [ sh:inversePath gb:assesses ] ; sh:maxCount 0 ;
                  sh:severity sh:Warning ;
                  sh:message "Warning: the programme has an assessment."@en ] .
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for folder in ("ontology", "data", "shapes"):
        shutil.copytree(REPO / folder, root / folder)
    (root / "shapes" / "extra.ttl").write_text(EXTRA_SHAPES, encoding="utf-8")
    return root


def test_a_custom_severity_fails_validation_like_a_violation(run: Run, project: Path) -> None:
    for fail_on, status in (("violation", 1), ("warning", 1), ("info", 1), ("none", 0)):
        result = run("validate", "--fail-on", fail_on, project=project)
        assert result.exit_code == status, (fail_on, result.output)


@pytest.mark.parametrize("engine", ["fast", "pyshacl"])
def test_text_names_the_custom_severity_and_the_inverse_path(
        run: Run, project: Path, engine: str) -> None:
    result = run("validate", "--engine", engine, "--fail-on", "none", *IPP, project=project)

    lines = result.stdout.splitlines()
    assert any(line.startswith("  Advisory  _:") for line in lines), result.stdout
    assert any("path ^gb:assesses" in line for line in lines), result.stdout
    assert lines[-1].startswith("0 violations, ")
    assert lines[-1].endswith(", 1 result of severity Advisory in 1 programme")


def test_json_gives_the_severity_iri_and_the_path(run: Run, project: Path) -> None:
    result = run("validate", "--format", "json", "--fail-on", "none", *IPP, project=project)

    document = json.loads(result.stdout)
    assert document["conforms"] is False
    assert document["summary"]["otherSeverities"] == {f"<{ADVISORY}>": 1}
    (advisory,) = [r for r in document["results"] if r["resultSeverity"] == f"<{ADVISORY}>"]
    assert advisory["severity"] == "Advisory"
    assert advisory["path"] == f"<{GB}websiteNeverStated>"
    (warning,) = [r for r in document["results"] if r["path"] == f"^<{GB}assesses>"]
    assert warning["severity"] == "Warning"


def test_turtle_writes_the_severity_and_the_path_as_shacl_does(run: Run, project: Path) -> None:
    result = run("validate", "--format", "turtle", "--fail-on", "none", *IPP, project=project)

    graph = rdflib.Graph().parse(data=result.stdout, format="turtle")
    (report,) = graph.subjects(rdflib.RDF.type, SH.ValidationReport)
    assert graph.value(report, SH.conforms).toPython() is False
    severities = {graph.value(r, SH.resultSeverity) for r in graph.objects(report, SH.result)}
    assert rdflib.URIRef(ADVISORY) in severities
    (warning,) = [r for r in graph.objects(report, SH.result)
                  if isinstance(graph.value(r, SH.resultPath), rdflib.BNode)]
    assert graph.value(warning, SH.resultSeverity) == SH.Warning
    path = graph.value(warning, SH.resultPath)
    assert graph.value(path, SH.inversePath) == rdflib.URIRef(f"{GB}assesses")


# ----------------------------------------------------------------------------- the model


def test_severities_order_by_seriousness_and_a_custom_one_ranks_as_a_violation() -> None:
    custom = Severity.from_iri(ADVISORY)

    assert Severity.from_iri(str(SH.Violation)) is Severity.VIOLATION
    assert custom.custom
    assert not Severity.WARNING.custom
    assert Severity.INFO < Severity.WARNING < Severity.VIOLATION <= custom
    assert custom >= Severity.VIOLATION
    assert custom != Severity.VIOLATION
    assert custom == Severity.from_iri(ADVISORY)
    assert (custom.label, Severity.WARNING.label) == ("Advisory", "Warning")

    result = ValidationResult("<urn:f>", "<urn:s>", None, None, "<urn:c>", custom)
    report = ValidationReport([result], engine="fast")
    assert not report.conforms
    assert report.at_or_above(Severity.VIOLATION) == [result]
    assert report.custom_severities() == {custom: 1}


@pytest.mark.parametrize("path", [
    "<urn:p>", "^<urn:p>", "(<urn:p>/<urn:q>)", "(<urn:p>|^<urn:q>)", "<urn:p>*",
    "<urn:p>+", "<urn:p>?", "(^<urn:p>)*", "((<urn:p>|<urn:q>)/^(<urn:r>/<urn:s>)+)",
])
def test_result_paths_round_trip_through_their_rdf_form(path: str) -> None:
    counter = iter(range(1000))
    node, lines = path_triples(path, lambda: f"_:n{next(counter)}")
    triples: dict[tuple[str, str], list[str]] = {}
    for line in lines:
        subject, predicate, obj = line.removesuffix(" .").split(" ", 2)
        triples.setdefault((subject, predicate[1:-1]), []).append(obj)

    assert path_text(node, lambda s, p: triples.get((s, p), [])) == path
