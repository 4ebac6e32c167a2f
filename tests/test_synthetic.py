"""The synthetic generator: deterministic, shaped like the real data, valid, with the
errors it injects found exactly where it says they are."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from guidebook_kg import store as store_module
from guidebook_kg import synthetic
from guidebook_kg.cli import main
from guidebook_kg.errors import UsageError
from guidebook_kg.project import Project, find_project
from guidebook_kg.validate import validate

REPO = Path(__file__).resolve().parent.parent
GB = "https://w3id.org/guidebook-kg/ontology#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


@cache
def source() -> Project:
    return find_project(REPO)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, synthetic.SyntheticSet]:
    out = tmp_path_factory.mktemp("synthetic") / "clean"
    return out, synthetic.generate(150, out, seed=7, source=source())


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, synthetic.SyntheticSet]:
    out = tmp_path_factory.mktemp("synthetic") / "broken"
    return out, synthetic.generate(100, out, inject_errors=True, source=source())


def texts(n: int, seed: int = 0) -> list[str]:
    return [built.doc.turtle() for built, _ in synthetic.programmes(n, seed, standards=source())]


def count(store: ox.Store, cls: str) -> int:
    return len({q.subject for q in store.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(GB + cls))})


# ----------------------------------------------------------------- determinism


def test_same_seed_same_programmes_whatever_the_count() -> None:
    assert texts(12, seed=3)[:5] == texts(5, seed=3)
    assert texts(5, seed=3) != texts(5, seed=4)


def test_the_written_project_is_what_the_generator_builds(
        clean: tuple[Path, synthetic.SyntheticSet]) -> None:
    out, made = clean
    files = sorted((out / "data").glob(f"{synthetic.SLUG_PREFIX}*.ttl"))

    assert [f.read_text(encoding="utf-8") for f in files[:3]] == texts(3, seed=7)
    assert len(files) == made.programmes == 150
    for folder in ("ontology", "shapes", "queries"):
        assert sorted(p.name for p in (out / folder).iterdir()) == sorted(
            p.name for p in (REPO / folder).iterdir() if p.name != "__pycache__")


# ----------------------------------------------------------------- the shape of the data


def test_programmes_have_the_shape_of_the_real_data(
        clean: tuple[Path, synthetic.SyntheticSet]) -> None:
    out, made = clean
    store = store_module.load(find_project(out))
    specs = [synthetic.programme_spec(7, i) for i in range(1, 151)]

    built = [b for b, _ in synthetic.programmes(150, 7, standards=source())]
    per_programme = [b.doc.triple_count() for b in built]
    assert 250 <= statistics.mean(per_programme) <= 400
    shared = synthetic.shared_document({k: v for b in built for k, v in b.people.items()})
    assert made.triples == sum(per_programme) + shared.triple_count()
    assert all(2 <= len(s.studies) <= 6 for s in specs)
    assert all(3 <= sum(len(st.findings) for st in s.studies) <= 8 for s in specs)
    studies = count(store, "Study")
    assert studies == sum(len(s.studies) for s in specs)
    assert count(store, "Reference") >= studies
    assert count(store, "Programme") == count(store, "Assessment") == 150
    assert Counter(r.rstrip("*") for r in made.ratings.values()).keys() == set(synthetic.RATINGS)
    assert 5 <= sum(r.endswith("*") for r in made.ratings.values()) <= 45


def test_every_programme_conforms_to_the_shapes(
        clean: tuple[Path, synthetic.SyntheticSet]) -> None:
    out, _ = clean
    project = find_project(out)

    report = validate(store_module.load(project), project)

    assert report.results == []  # not even a warning or an info
    assert report.checked == 150  # programmes, not files: the shared file holds none


def test_asserted_ratings_are_the_ratings_the_evidence_gives(
        clean: tuple[Path, synthetic.SyntheticSet]) -> None:
    # `guidebook rate` derives each rating from the studies (queries/) and exits 1 on a
    # disagreement; the recipes must earn the ratings they assert, including the plus,
    # the star and the unmet criteria the shapes check.
    out, made = clean
    result = CliRunner().invoke(main, ["--project", str(out), "rate"])

    assert result.exit_code == 0, result.output
    for slug, rating in list(made.ratings.items())[:20]:
        line = next(line for line in result.output.splitlines() if line.startswith(slug))
        assert line.split()[-3:] == [rating, rating, "agrees"]


# ----------------------------------------------------------------- injected errors


def test_every_injected_error_is_reported_where_it_was_put(
        broken: tuple[Path, synthetic.SyntheticSet]) -> None:
    out, made = broken
    project = find_project(out)

    report = validate(store_module.load(project), project)

    reported = {(r.focus_node[1:-1], r.path[1:-1] if r.path else None) for r in report.results}
    for error in made.errors:
        missing = set(error.expected) - reported
        assert not missing, f"{error.kind}: nothing reported for {missing}"
    expected_focus = {focus for e in made.errors for focus, _ in e.expected}
    unexpected = {r.focus_node for r in report.results} - {f"<{f}>" for f in expected_focus}
    assert not unexpected
    assert {e.kind for e in made.errors} == {k.name for k in synthetic.ERROR_KINDS}
    assert len({e.programme for e in made.errors}) == len(made.errors)  # one per programme


def test_the_error_list_is_written_beside_the_data(
        broken: tuple[Path, synthetic.SyntheticSet]) -> None:
    out, made = broken
    manifest = json.loads((out / synthetic.MANIFEST).read_text(encoding="utf-8"))

    assert manifest["programmes"] == 100
    assert [e["kind"] for e in manifest["errors"]] == [e.kind for e in made.errors]
    assert synthetic.load_manifest(out)["errors"][0]["expected"]


def test_every_constraint_kind_of_the_shapes_is_injected(
        broken: tuple[Path, synthetic.SyntheticSet]) -> None:
    out, _ = broken
    project = find_project(out)
    report = validate(store_module.load(project), project)
    components = {r.constraint_component.rsplit("#", 1)[-1][:-1] for r in report.results}
    shapes = {r.source_shape.rsplit("#", 1)[-1][:-1] for r in report.results}

    used = set()
    for path in project.shape_files():
        text = path.read_text(encoding="utf-8")
        used |= {c for c in _CONSTRAINTS if f"sh:{c} " in text}
    assert {f"{c[0].upper()}{c[1:]}ConstraintComponent" for c in used} - {
        "PropertyConstraintComponent", "HasValueConstraintComponent"} <= components
    sparql_shapes = {line.split()[0].removeprefix("gbsh:")
                     for path in project.shape_files()
                     for line in path.read_text(encoding="utf-8").splitlines()
                     if line.startswith("gbsh:") and "a sh:NodeShape" in line}
    # every SHACL-SPARQL rule is broken once, except the one about a missing standard
    rules = {s for s in sparql_shapes if _has_sparql(project, s)} - {"EvidenceStandardStated"}
    assert rules <= shapes


_CONSTRAINTS = ("minCount", "maxCount", "datatype", "class", "node", "or", "pattern",
                "uniqueLang", "minExclusive", "minInclusive", "maxInclusive",
                "lessThanOrEquals", "nodeKind", "hasValue")


def _has_sparql(project: Project, shape: str) -> bool:
    for path in project.shape_files():
        text = path.read_text(encoding="utf-8")
        start = text.find(f"gbsh:{shape} a sh:NodeShape")
        if start >= 0:
            end = text.find("\ngbsh:", start + 1)
            return "sh:sparql" in text[start:end if end > 0 else None]
    return False


def test_too_few_programmes_for_every_error_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="too few"):
        synthetic.generate(5, tmp_path / "few", inject_errors=True, source=source())
    assert not (tmp_path / "few").exists()
    assert list(tmp_path.iterdir()) == []  # no half-written folder left behind


def test_dense_injection_packs_every_kind_into_few_programmes() -> None:
    plan = synthetic.plan_errors(0, 20, dense=True)

    assert sorted(k.name for kinds in plan.values() for k in kinds) == sorted(
        k.name for k in synthetic.ERROR_KINDS)
    assert len(plan) < len(synthetic.ERROR_KINDS)
    assert 1 not in plan  # programme 1 is what other programmes' errors point at


# ----------------------------------------------------------------- the command


def test_synth_command_writes_a_project_and_refuses_to_overwrite(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "made"

    first = runner.invoke(main, ["--project", str(REPO), "synth", "3", "--out", str(out)])
    again = runner.invoke(main, ["--project", str(REPO), "synth", "3", "--out", str(out)])

    assert first.exit_code == 0, first.output
    assert "Wrote 3 programmes" in first.stderr
    assert len(list((out / "data").glob(f"{synthetic.SLUG_PREFIX}*.ttl"))) == 3
    assert (out / "data" / f"{synthetic.SHARED}.ttl").is_file()
    assert again.exit_code == 2
    assert "already exists" in again.stderr
    assert "Traceback" not in again.output


def test_synth_help_has_an_example() -> None:
    result = CliRunner().invoke(main, ["synth", "--help"])

    assert result.exit_code == 0
    assert "Example" in result.output
