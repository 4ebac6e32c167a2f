"""`guidebook validate`: output formats, exit codes, selection, and bad input.

The command runs in-process through click's runner, against the repository's project (or
a copy of it in a temporary folder when a test needs to break the shapes).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from conftest import Run
from guidebook_kg import store as store_module
from guidebook_kg.project import find_project
from guidebook_kg.report import Severity
from guidebook_kg.validate import ENGINES, check, load_paths, load_shapes, render, validate

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
IPP = REPO / "data" / "programmes" / "infant-parent-psychotherapy.ttl"
GB = "https://w3id.org/guidebook-kg/ontology#"
GBSH = "https://w3id.org/guidebook-kg/shapes#"
ID = "https://w3id.org/guidebook-kg/id/"
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")

# A programme file with one warning (a finding resting on a measurement its study does not
# list) and one violation (an improvement index above 50), besides what the ontology needs.
PROBLEMS = f"""\
@base <{ID}> .
@prefix gb: <{GB}> .
@prefix gbc: <https://w3id.org/guidebook-kg/concept/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

<programme/problems> a gb:Programme ;
    rdfs:label "Problem Programme"@en ;
    gb:hasAssessment <programme/problems/assessment/2020> ;
    gb:hasFinding <programme/problems/finding/1> .
<programme/problems/assessment/2020> a gb:Assessment ;
    gb:assesses <programme/problems> ;
    gb:evidenceRating gbc:rating-2 ; gb:evidenceLevel gbc:level-2 ; gb:hasPlus false ;
    gb:mixedFindings false ; gb:ratingNotation "2" ; gb:costRating gbc:cost-na ;
    gb:considersStudy <study/problems> ; gb:consideredStudiesComplete true .
<outcome/problems> a gb:Outcome ;
    rdfs:label "Better sleep"@en ; gb:beneficiary gbc:beneficiary-child .
<study/problems> a gb:Study ;
    rdfs:label "Problem Programme study 1"@en ;
    gb:evaluates <programme/problems> ;
    gb:design gbc:design-pre-post ;
    gb:studyRating gbc:study-rating-2 ;
    gb:sample <study/problems/sample> .
<study/problems/sample> a gb:Sample ; gb:sampleSize 30 .
<programme/problems/finding/1> a gb:Finding ;
    gb:aboutOutcome <outcome/problems> ;
    gb:basedOnStudy <study/problems> ;
    gb:timing gbc:timing-post-test ;
    gb:effect gbc:effect-positive ;
    gb:statisticallySignificant true ;
    gb:measurement <study/problems/measurement/sleep> ;
    gb:improvementIndex 75 .
<study/problems/measurement/sleep> a gb:Measurement ;
    gb:construct "Sleep"@en ; gb:measureKind gbc:measure-parent-report .
"""


@pytest.fixture
def problems(tmp_path: Path) -> Path:
    path = tmp_path / "problems.ttl"
    path.write_text(PROBLEMS, encoding="utf-8")
    return path


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for folder in ("ontology", "data", "shapes"):
        shutil.copytree(REPO / folder, root / folder)
    return root


# ----------------------------------------------------------------------------- the shipped graph


def test_the_shipped_graph_conforms_with_a_one_line_summary(run: Run) -> None:
    result = run("validate", "--quiet", project=REPO)

    assert result.exit_code == 0, result.output
    # the real records are incomplete: what each lacks is reported as Info, nothing more
    assert result.stdout.splitlines()[-1].startswith("0 violations, 0 warnings, ")
    assert "gbsh:RatingDerivable" in result.stdout
    assert result.stderr == ""


def test_the_shipped_data_has_no_violation_and_no_warning() -> None:
    project = find_project(REPO)
    report = validate(store_module.load(project), project)

    assert [r for r in report.results if r.severity >= Severity.WARNING] == []
    assert report.conforms


def test_help_lists_the_engines_and_has_an_example(run: Run) -> None:
    result = run("validate", "--help", project=None)

    assert result.exit_code == 0
    assert "[" + "|".join(sorted(ENGINES)) + "]" in result.stdout
    assert "Example" in result.stdout


def test_importing_the_module_does_not_load_the_engines() -> None:
    code = (
        "import sys, guidebook_kg.validate\n"
        "heavy = {'pyshacl', 'rdflib'} & set(sys.modules)\n"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------------------- reports


def test_text_report_is_grouped_by_focus_node_with_labels_and_a_summary(
    run: Run, problems: Path
) -> None:
    result = run("validate", "--quiet", str(problems), project=REPO)

    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[-1] == "1 violation, 1 warning in 1 programme"
    finding = lines.index("id:programme/problems/finding/1  [problems]")
    # within a focus node, the more severe result first
    assert "Violation gbsh:Finding-improvementIndex:" in lines[finding + 1]
    assert "path gb:improvementIndex  value 75" in lines[finding + 2]
    assert "Warning   gbsh:FindingMeasurementFromItsStudy:" in lines[finding + 3]
    assert result.stderr.startswith("Error: does not conform: 1 result at or above")


def test_json_report_is_compact_stable_and_complete(run: Run, problems: Path) -> None:
    first = run("validate", str(problems), "--format", "json", project=REPO)
    second = run("validate", str(problems), "--format", "json", project=REPO)

    assert first.stdout == second.stdout
    assert first.stdout.count("\n") == 1
    assert ": " not in first.stdout.split('"results"')[0]
    document = json.loads(first.stdout)
    assert list(document) == sorted(document)
    assert document["conforms"] is False
    assert document["summary"]["violations"] == 1
    assert document["summary"]["warnings"] == 1
    assert document["summary"]["text"] == "1 violation, 1 warning in 1 programme"
    (violation,) = [r for r in document["results"] if r["severity"] == "Violation"]
    assert violation == {
        "constraintComponent": "<http://www.w3.org/ns/shacl#MaxInclusiveConstraintComponent>",
        "focusLabel": None,
        "focusNode": f"<{ID}programme/problems/finding/1>",
        "message": violation["message"],
        "path": f"<{GB}improvementIndex>",
        "programme": "problems",
        "resultSeverity": "<http://www.w3.org/ns/shacl#Violation>",
        "severity": "Violation",
        "shape": "gbsh:Finding-improvementIndex",
        "sourceShape": f"<{GBSH}Finding-improvementIndex>",
        "value": '"75"^^<http://www.w3.org/2001/XMLSchema#integer>',
    }
    assert "-50 to +50" in violation["message"]


def test_turtle_report_is_the_w3c_validation_report(run: Run, problems: Path) -> None:
    result = run("validate", str(problems), "--format", "turtle", project=REPO)

    graph = rdflib.Graph().parse(data=result.stdout, format="turtle")
    (report,) = graph.subjects(rdflib.RDF.type, SH.ValidationReport)
    assert graph.value(report, SH.conforms).toPython() is False
    found = {
        (
            str(graph.value(r, SH.focusNode)),
            str(graph.value(r, SH.sourceShape)),
            str(graph.value(r, SH.resultSeverity)),
        )
        for r in graph.objects(report, SH.result)
    }
    assert found == {
        (f"{ID}programme/problems/finding/1", f"{GBSH}Finding-improvementIndex", str(SH.Violation)),
        (
            f"{ID}programme/problems/finding/1",
            f"{GBSH}FindingMeasurementFromItsStudy",
            str(SH.Warning),
        ),
    }
    (result_node,) = graph.subjects(
        SH.sourceShape, rdflib.URIRef(f"{GBSH}Finding-improvementIndex")
    )
    assert graph.value(result_node, SH.value) == rdflib.Literal(75)
    assert graph.value(result_node, SH.resultPath) == rdflib.URIRef(f"{GB}improvementIndex")


def test_turtle_report_of_a_conforming_graph(run: Run) -> None:
    result = run("validate", "--format", "turtle", project=REPO)

    assert result.exit_code == 0
    graph = rdflib.Graph().parse(data=result.stdout, format="turtle")
    (report,) = graph.subjects(rdflib.RDF.type, SH.ValidationReport)
    assert graph.value(report, SH.conforms).toPython() is True
    assert {graph.value(r, SH.resultSeverity) for r in graph.objects(report, SH.result)} == {
        SH.Info
    }


# ----------------------------------------------------------------------------- exit codes


@pytest.mark.parametrize(
    ("fail_on", "status"), [("violation", 1), ("warning", 1), ("info", 1), ("none", 0)]
)
def test_fail_on_with_a_violation(run: Run, problems: Path, fail_on: str, status: int) -> None:
    result = run("validate", str(problems), "--fail-on", fail_on, project=REPO)

    assert result.exit_code == status
    assert result.stdout.endswith("1 violation, 1 warning in 1 programme\n")


@pytest.mark.parametrize(
    ("fail_on", "status"), [("violation", 0), ("warning", 1), ("info", 1), ("none", 0)]
)
def test_fail_on_with_only_a_warning(run: Run, tmp_path: Path, fail_on: str, status: int) -> None:
    only_warning = tmp_path / "warning.ttl"
    only_warning.write_text(PROBLEMS.replace("gb:improvementIndex 75", "gb:improvementIndex 5"))

    result = run("validate", str(only_warning), "--fail-on", fail_on, project=REPO)

    assert result.exit_code == status
    assert result.stdout.endswith("0 violations, 1 warning in 1 programme\n")


@pytest.mark.parametrize(("fail_on", "status"), [("warning", 0), ("info", 1)])
def test_fail_on_with_only_an_info(run: Run, tmp_path: Path, fail_on: str, status: int) -> None:
    # A programme that shows no findings is worth a look, nothing more.
    only_info = tmp_path / "info.ttl"
    only_info.write_text(
        PROBLEMS.replace("gb:improvementIndex 75", "gb:improvementIndex 5")
        .replace("    gb:hasFinding <programme/problems/finding/1> .", "    .")
        .replace("    gb:measurement <study/problems/measurement/sleep> ;\n", "")
    )

    result = run("validate", str(only_info), "--fail-on", fail_on, project=REPO)

    assert result.exit_code == status, result.output
    assert result.stdout.endswith("0 violations, 0 warnings, 1 info in 1 programme\n")


def test_unparseable_data_exits_3_with_the_line(run: Run, tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text(PROBLEMS.replace('"Better sleep"@en', '"Better sleep@en'))

    result = run("validate", "--quiet", str(broken), project=REPO)

    assert result.exit_code == 3
    assert result.stdout == ""
    line = (
        PROBLEMS.splitlines().index(next(x for x in PROBLEMS.splitlines() if "Better sleep" in x))
        + 1
    )
    assert f"broken.ttl:{line}:" in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_a_missing_file_exits_3(run: Run, tmp_path: Path) -> None:
    result = run("validate", str(tmp_path / "gone.ttl"), project=REPO)

    assert result.exit_code == 3
    assert "gone.ttl: no such file" in result.stderr


def test_a_shapes_file_with_a_syntax_error_exits_3(run: Run, project_copy: Path) -> None:
    shapes = project_copy / "shapes" / "structure.ttl"
    shapes.write_text(shapes.read_text() + "\ngbsh:Broken a sh:NodeShape ;\n")

    result = run("validate", project=project_copy)

    assert result.exit_code == 3
    assert "structure.ttl:" in result.stderr
    assert result.stdout == ""


def test_a_rule_with_invalid_sparql_exits_3_naming_the_shape(run: Run, project_copy: Path) -> None:
    shapes = project_copy / "shapes" / "evidence.ttl"
    text = shapes.read_text()
    assert text.count("FILTER (?level >= 3)") == 1
    shapes.write_text(text.replace("FILTER (?level >= 3)", "FILTER (?level >= )", 1))

    result = run("validate", project=project_copy)

    assert result.exit_code == 3, result.output
    assert "shape gbsh:StudyRating3NeedsRigorousDesign" in result.stderr
    assert "not valid SPARQL" in result.stderr
    assert "Traceback" not in result.output


def test_a_shape_pyshacl_cannot_load_exits_3_naming_the_shape(run: Run, project_copy: Path) -> None:
    shapes = project_copy / "shapes" / "structure.ttl"
    text = shapes.read_text()
    old = "sh:path gb:armRole ; sh:minCount 1 ;"
    assert old in text
    shapes.write_text(text.replace(old, 'sh:path gb:armRole ; sh:minCount "one" ;'))

    result = run("validate", "--quiet", project=project_copy)

    assert result.exit_code == 3, result.output
    assert "gbsh:StudyArm-armRole" in result.stderr
    assert "sh:minCount" in result.stderr
    assert result.stderr.count("\n") == 1


def test_an_invalid_pattern_exits_3_naming_the_shape(run: Run, project_copy: Path) -> None:
    shapes = project_copy / "shapes" / "structure.ttl"
    text = shapes.read_text()
    shapes.write_text(text.replace('sh:pattern "^[0-9]+[a-z]?$"', 'sh:pattern "^[0-9+"'))

    result = run("validate", project=project_copy)

    assert result.exit_code == 3, result.output
    assert "gbsh:Study-studyNumber" in result.stderr
    assert "regular expression" in result.stderr


def test_a_project_without_shapes_exits_3(run: Run, project_copy: Path) -> None:
    shutil.rmtree(project_copy / "shapes")

    result = run("validate", project=project_copy)

    assert result.exit_code == 3
    assert "no shapes" in result.stderr


def test_an_unknown_engine_is_a_usage_error(run: Run) -> None:
    result = run("validate", "--engine", "nonsense", project=REPO)

    assert result.exit_code == 2
    assert "nonsense" in result.stderr


# ----------------------------------------------------------------------------- selection


def test_focus_on_a_programme_reports_only_its_file(run: Run, problems: Path) -> None:
    result = run(
        "--data", str(problems), "validate", "--focus", "problems", "--format", "json", project=REPO
    )
    other = run(
        "--data", str(problems), "validate", "--focus", "infant-parent-psychotherapy", project=REPO
    )

    assert {r["programme"] for r in json.loads(result.stdout)["results"]} == {"problems"}
    assert result.exit_code == 1
    assert other.exit_code == 0
    assert other.stdout == "0 violations, 0 warnings in 1 programme checked\n"


def test_focus_on_one_node(run: Run, problems: Path) -> None:
    result = run(
        "validate",
        str(problems),
        "--focus",
        f"{ID}programme/problems/finding/1",
        "--format",
        "json",
        project=REPO,
    )

    results = json.loads(result.stdout)["results"]
    assert [r["shape"] for r in results] == [
        "gbsh:Finding-improvementIndex",
        "gbsh:FindingMeasurementFromItsStudy",
    ]
    assert result.exit_code == 1


def test_focus_on_an_unknown_node_exits_3(run: Run) -> None:
    result = run("validate", "--focus", "no-such-programme", project=REPO)

    assert result.exit_code == 3
    assert "--focus no-such-programme" in result.stderr


def test_shape_selects_one_rule(run: Run, problems: Path) -> None:
    result = run(
        "validate",
        str(problems),
        "--shape",
        "FindingMeasurementFromItsStudy",
        "--format",
        "json",
        project=REPO,
    )

    assert [r["shape"] for r in json.loads(result.stdout)["results"]] == [
        "gbsh:FindingMeasurementFromItsStudy"
    ]
    assert result.exit_code == 0


def test_an_unknown_shape_exits_3_with_suggestions(run: Run) -> None:
    result = run("validate", "--shape", "RatingAgreesWithEvidense", project=REPO)

    assert result.exit_code == 3
    assert "did you mean RatingAgreesWithEvidence" in result.stderr


def test_selection_gives_the_filtered_full_report() -> None:
    # The engine may use --focus/--shape to do less work, but the answer must be the same.
    project = find_project(REPO)
    data = load_paths(project, sorted((FIXTURES / "programmes-disagreeing").glob("*.ttl")))
    shapes = load_shapes(project.shape_files())
    full = check(data, shapes).results
    assert full

    for shape in ("RatingAgreesWithEvidence", "Study-design", "AssessmentShape", "DecimalLiteral"):
        selected = check(data, shapes, shape=shape).results
        local = GBSH + shape
        expected = {
            r
            for r in full
            if r.source_shape == f"<{local}>"
            or r.source_shape.startswith(f"<{GBSH}{shape.removesuffix('Shape')}-")
        }
        if shape in ("DecimalLiteral", "Study-design", "AssessmentShape"):
            expected = set()  # nothing of the kind is wrong in these files
        assert set(selected) == expected, shape
    for programme in ("claimed-replication", "unflagged-mixed"):
        focused = check(data, shapes, focus=programme)
        assert set(focused.results) == {
            r for r in full if focused.programmes.get(r.focus_node) == programme
        }
        assert {focused.programmes[r.focus_node] for r in focused.results} == {programme}


def test_paths_may_be_folders(run: Run) -> None:
    result = run("validate", str(FIXTURES / "programmes-disagreeing"), project=REPO)

    assert result.exit_code == 1
    assert result.stdout.count("Violation gbsh:RatingAgreesWithEvidence") == 3
    assert result.stdout.splitlines()[-1].endswith("in 3 programmes")


# ----------------------------------------------------------------------------- fixtures, hygiene


def test_every_rating_fixture_conforms() -> None:
    # The rating views' fixtures (2, 2+, 3, 3+, 4, 4+, NL2, NE, 3*), with the shipped data
    # they may link to, give no violation.
    project = find_project(REPO)
    fixtures = sorted((FIXTURES / "programmes").glob("*.ttl"))
    assert len(fixtures) >= 9
    report = validate(store_module.load(project, fixtures), project)

    violations = [r for r in report.results if r.severity is Severity.VIOLATION]
    assert violations == [], render(report, "text")


def test_the_disagreeing_fixtures_break_the_rules_they_are_about() -> None:
    project = find_project(REPO)
    fixtures = sorted((FIXTURES / "programmes-disagreeing").glob("*.ttl"))
    report = validate(store_module.load(project, fixtures), project)

    violations = {
        (report.programmes[r.focus_node], r.source_shape.removeprefix(f"<{GBSH}").rstrip(">"))
        for r in report.results
        if r.severity is Severity.VIOLATION
    }
    assert violations == {
        ("claimed-replication", "RatingAgreesWithEvidence"),
        ("unflagged-mixed", "RatingAgreesWithEvidence"),
        ("plus-from-no-effect", "RatingAgreesWithEvidence"),
    }


def test_explicit_xsd_string_literals_are_the_same_as_plain_ones(tmp_path: Path) -> None:
    # pyshacl compares rdflib terms, and rdflib tells "2" from "2"^^xsd:string although
    # RDF 1.1 does not; the validator hands pyshacl one form only.
    typed = IPP.read_text(encoding="utf-8")
    for plain in ('"IPP"', '"1"', '"2"', '"3+"', '"62"', '"199"', '"17152394"'):
        typed = typed.replace(plain, plain + "^^xsd:string")
    assert typed.count("^^xsd:string") >= 7
    path = tmp_path / "infant-parent-psychotherapy.ttl"
    path.write_text(typed, encoding="utf-8")
    project = find_project(REPO)

    shared = REPO / "data" / "shared.ttl"
    assert validate(load_paths(project, [path, shared]), project).results == []

    data = ox.Store()
    data.add(
        ox.Quad(
            ox.NamedNode("urn:x:a"),
            ox.NamedNode("urn:x:p"),
            ox.Literal("2", datatype=ox.NamedNode(str(rdflib.XSD.string))),
        )
    )
    data.add(
        ox.Quad(
            ox.NamedNode("urn:x:a"), ox.NamedNode(str(rdflib.RDF.type)), ox.NamedNode("urn:x:C")
        )
    )
    shapes = ox.Store()
    for quad in ox.parse(
        (
            "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
            "<urn:x:S> a sh:NodeShape ; sh:targetClass <urn:x:C> ; sh:property <urn:x:P> .\n"
            '<urn:x:P> a sh:PropertyShape ; sh:path <urn:x:p> ; sh:in ( "2" ) .\n'
        ),
        format=ox.RdfFormat.TURTLE,
    ):
        shapes.add(quad)
    assert check(data, shapes).results == []


def test_the_shapes_are_valid_shacl() -> None:
    # SHACL's own shapes for shapes graphs (as pyshacl ships them).
    from pyshacl.entrypoints import meta_validate

    graph = rdflib.Graph()
    for path in find_project(REPO).shape_files():
        graph.parse(path, format="turtle")
    conforms, _, text = meta_validate(graph, inference="none")
    assert conforms, text


def test_every_shape_is_named_and_has_a_message_and_a_severity() -> None:
    graph = rdflib.Graph()
    for path in find_project(REPO).shape_files():
        graph.parse(path, format="turtle")
    shapes = set(graph.subjects(rdflib.RDF.type, SH.NodeShape)) | set(
        graph.subjects(rdflib.RDF.type, SH.PropertyShape)
    )
    shapes |= set(graph.objects(None, SH.property)) | set(graph.objects(None, SH.node))
    assert len(shapes) > 150
    for shape in shapes:
        assert isinstance(shape, rdflib.URIRef), f"blank-node shape: {shape}"
        assert str(shape).startswith(GBSH), shape
        assert graph.value(shape, SH.message) is not None, f"{shape} has no sh:message"
        assert graph.value(shape, SH.severity) in (SH.Violation, SH.Warning, SH.Info), shape
    for select in graph.objects(None, SH.select):
        assert "$this" in select


def test_the_readme_names_every_evidence_rule_and_the_exit_codes() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    graph = rdflib.Graph()
    for name in ("evidence.ttl", "ratings.ttl"):
        graph.parse(REPO / "shapes" / name, format="turtle")
    rules = sorted(str(s).removeprefix(GBSH) for s in graph.subjects(rdflib.RDF.type, SH.NodeShape))
    assert len(rules) >= 15
    for rule in rules:
        assert f"| `{rule}` |" in readme, f"README.md does not explain the rule {rule}"
    for status in ("**0**", "**1**", "**2**", "**3**"):
        assert status in readme
