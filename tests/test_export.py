"""``guidebook export``: every format round-trips, and files are written atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from conftest import (
    RDFLIB_FORMATS,
    Run,
    assert_isomorphic,
    bad_turtle,
    parse_with_rdflib,
    rdflib_graph,
)
from guidebook_kg.export import DATASET_FORMATS, FORMATS
from guidebook_kg.fsutil import atomic_write
from guidebook_kg.prefixes import ONTOLOGY_GRAPH, PROGRAMME_GRAPH_BASE
from guidebook_kg.project import find_project
from guidebook_kg.store import load, union_triples


@pytest.fixture
def loaded_union(skeleton: Path) -> rdflib.Graph:
    """The union graph as loaded: what every export must reproduce."""
    return rdflib_graph(union_triples(load(find_project(skeleton))))


def test_loaded_union_matches_an_independent_parse(
    skeleton: Path, loaded_union: rdflib.Graph
) -> None:
    project = find_project(skeleton)
    expected = parse_with_rdflib([*project.ontology_files(), *project.data_files()])
    assert_isomorphic(loaded_union, expected)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_export_round_trips_through_pyoxigraph_and_rdflib(
    run: Run, tmp_path: Path, loaded_union: rdflib.Graph, fmt: str
) -> None:
    out = tmp_path / f"dump.{fmt}"

    result = run("export", "--format", fmt, "--output", str(out))

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    back_with_pyoxigraph = rdflib_graph(ox.parse(path=out, format=FORMATS[fmt]))
    assert_isomorphic(back_with_pyoxigraph, loaded_union)
    back_with_rdflib = rdflib.Dataset()
    back_with_rdflib.parse(out, format=RDFLIB_FORMATS[fmt])
    union = rdflib.Graph()
    for s, p, o, _ in back_with_rdflib.quads((None, None, None, None)):
        union.add((s, p, o))
    assert_isomorphic(union, loaded_union)


@pytest.mark.parametrize("fmt", sorted(set(FORMATS) - DATASET_FORMATS))
def test_graph_formats_write_only_the_default_graph(run: Run, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"dump.{fmt}"
    assert run("export", "--format", fmt, "--output", str(out)).exit_code == 0

    graphs = {q.graph_name for q in ox.parse(path=out, format=FORMATS[fmt])}

    assert graphs == {ox.DefaultGraph()}


def test_union_formats_hold_each_triple_once(run: Run, loaded_union: rdflib.Graph) -> None:
    result = run("export", "--format", "nt")

    lines = result.stdout.splitlines()
    assert len(lines) == len(set(lines)) == len(loaded_union)


@pytest.mark.parametrize("fmt", sorted(DATASET_FORMATS))
def test_dataset_formats_keep_one_graph_per_file(run: Run, skeleton: Path, fmt: str) -> None:
    result = run("export", "--format", fmt)
    assert result.exit_code == 0, result.output
    quads = list(ox.parse(result.stdout_bytes, FORMATS[fmt]))
    project = find_project(skeleton)
    expected = {ONTOLOGY_GRAPH: project.ontology_files()}
    expected |= {PROGRAMME_GRAPH_BASE + p.stem: [p] for p in project.data_files()}

    graphs = {q.graph_name for q in quads}

    assert graphs == {ox.NamedNode(iri) for iri in expected}
    for iri, files in expected.items():
        in_graph = [q for q in quads if q.graph_name == ox.NamedNode(iri)]
        assert_isomorphic(rdflib_graph(in_graph), parse_with_rdflib(files))


@pytest.mark.parametrize("fmt", ["turtle", "trig"])
def test_turtle_family_uses_project_prefixes(run: Run, fmt: str) -> None:
    text = run("export", "--format", fmt).stdout

    assert "@prefix gb: <https://w3id.org/guidebook-kg/ontology#> ." in text
    assert "a gb:Programme" in text


def test_default_is_turtle_on_stdout(run: Run, loaded_union: rdflib.Graph) -> None:
    result = run("export")

    assert result.exit_code == 0, result.output
    assert_isomorphic(rdflib.Graph().parse(data=result.stdout, format="turtle"), loaded_union)


# Atomic output


def _leftovers(directory: Path) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.endswith(".tmp"))


def test_unparseable_input_leaves_no_output_file(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "out" / "dump.ttl"
    out.parent.mkdir()
    bad = bad_turtle(tmp_path)

    result = run("--data", str(bad), "export", "--output", str(out))

    assert result.exit_code == 3
    assert os.listdir(out.parent) == []


def test_unparseable_input_keeps_the_existing_output(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "dump.ttl"
    out.write_text("previous dump\n")
    bad = bad_turtle(tmp_path)

    result = run("--data", str(bad), "export", "--output", str(out))

    assert result.exit_code == 3
    assert out.read_text() == "previous dump\n"
    assert _leftovers(tmp_path) == []


def test_failure_while_writing_keeps_the_existing_output(run: Run, tmp_path: Path) -> None:
    # RDF/XML cannot spell a predicate IRI that ends in a digit; the export fails after it
    # has started writing, which is the case atomic replacement exists for.
    extra = tmp_path / "odd-predicate.nt"
    extra.write_text("<http://example.org/s> <http://example.org/p/1> <http://example.org/o> .\n")
    out = tmp_path / "dump.rdf"
    out.write_text("previous dump\n")

    result = run("--data", str(extra), "export", "--format", "rdfxml", "--output", str(out))

    assert result.exit_code == 3
    assert "<http://example.org/p/1>" in result.stderr
    assert out.read_text() == "previous dump\n"
    assert _leftovers(tmp_path) == []


def test_output_into_missing_folder_is_an_input_error(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "no-such-folder" / "dump.ttl"

    result = run("export", "--output", str(out))

    assert result.exit_code == 3
    assert "dump.ttl: cannot write" in result.stderr
    assert "Traceback" not in result.output


def test_atomic_write_replaces_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "file.bin"
    target.write_bytes(b"old")

    def fail_halfway() -> None:
        with atomic_write(target) as handle:
            handle.write(b"half of the new")
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        fail_halfway()
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["file.bin"]

    with atomic_write(target) as handle:
        handle.write(b"new")
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["file.bin"]


def test_atomic_write_gives_new_files_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "new.txt") as handle:
            handle.write(b"x")
    finally:
        os.umask(umask)
    assert (tmp_path / "new.txt").stat().st_mode & 0o777 == 0o644
