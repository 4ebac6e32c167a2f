"""How ``guidebook build`` gets its speed without changing a byte: streamed dumps, pages
rendered by several processes, and a previous build kept when nothing it was made from
changed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

from guidebook_kg import dumps, jsonld, publish
from guidebook_kg.cli import main
from guidebook_kg.errors import InputError
from guidebook_kg.linkeddata import SYNTAXES, canonical_quads, serialize
from guidebook_kg.project import find_project
from guidebook_kg.site.dataset import DUMP_STEM, DUMPS
from guidebook_kg.store import load

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
PROGRAMMES = sorted((FIXTURES / "programmes").glob("*.ttl"))

EX = "http://example.org/"
BIBO_AUTHORS = "http://purl.org/ontology/bibo/authorList"


def _whole_in_memory(store: ox.Store, context: jsonld.Context) -> dict[str, bytes]:
    """The dumps as the build wrote them before they were streamed: every statement
    canonicalised and sorted in memory, each syntax serialised whole."""
    quads = canonical_quads(store)
    union = sorted(
        {q.triple for q in quads}, key=lambda t: (str(t.subject), str(t.predicate), str(t.object))
    )
    written: dict[str, bytes] = {}
    for name, compression in DUMPS:
        syntax = SYNTAXES[name]
        data = serialize(quads if syntax.dataset else union, syntax, context)
        path = f"{DUMP_STEM}.{syntax.extension}"
        if compression == "gzip":
            path += ".gz"
            data = _gzip(data)
        written[path] = data
    return written


def _gzip(data: bytes) -> bytes:
    import gzip
    import io

    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as handle:
        handle.write(data)
    return buffer.getvalue()


def _streamed(
    store: ox.Store, context: jsonld.Context, root: Path, workers: int = 1
) -> dict[str, bytes]:
    recorded: dict[str, tuple[int, str]] = {}
    dumps.write_dumps(
        store,
        root,
        DUMP_STEM,
        DUMPS,
        context,
        lambda p, n, d: recorded.update({p: (n, d)}),
        workers=workers,
    )
    written = {p.name: p.read_bytes() for p in root.iterdir() if p.is_file()}
    assert sorted(written) == sorted(recorded)  # nothing left over, everything recorded
    for path, (size, _) in recorded.items():
        assert len(written[path]) == size
    return written


def _tricky_store() -> ox.Store:
    """Statements whose order and labels are easy to get wrong: IRIs one of which is a
    prefix of another, literals that differ after a shared prefix, language tags and
    datatypes, escapes, the same triple in two graphs, the default graph, blank nodes
    shared across graphs, nested, and in a list behind a list-container term."""
    store = ox.Store()
    g1, g2 = ox.NamedNode(EX + "g"), ox.NamedNode(EX + "g-2")
    a, ab, a_dash = ox.NamedNode(EX + "a"), ox.NamedNode(EX + "ab"), ox.NamedNode(EX + "a-b")
    p, q = ox.NamedNode(EX + "p"), ox.NamedNode(EX + "p/q")
    literals = [
        ox.Literal("a"),
        ox.Literal("a", language="en"),
        ox.Literal("a b"),
        ox.Literal("a\"quoted\"\nline\ttab é ✓"),
        ox.Literal("2", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
        ox.Literal("10", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
    ]
    for subject in (a, ab, a_dash):
        for literal in literals:
            store.add(ox.Quad(subject, p, literal, g1))
        store.add(ox.Quad(subject, q, a, g2))
    store.add(ox.Quad(a, p, literals[0], g2))  # also in g1: once in the union
    store.add(ox.Quad(a, q, ab))  # the default graph
    shared, inner = ox.BlankNode(), ox.BlankNode()
    store.add(ox.Quad(a, p, shared, g1))
    store.add(ox.Quad(shared, p, inner, g1))
    store.add(ox.Quad(inner, p, ox.Literal("deep"), g1))
    store.add(ox.Quad(ab, p, shared, g2))
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    cells = [ox.BlankNode() for _ in range(3)]
    store.add(ox.Quad(a, ox.NamedNode(BIBO_AUTHORS), cells[0], g1))
    for i, cell in enumerate(cells):
        store.add(ox.Quad(cell, ox.NamedNode(rdf + "first"), ox.NamedNode(f"{EX}author{i}"), g1))
        rest = cells[i + 1] if i + 1 < len(cells) else ox.NamedNode(rdf + "nil")
        store.add(ox.Quad(cell, ox.NamedNode(rdf + "rest"), rest, g1))
    return store


@pytest.mark.parametrize(("which", "workers"), [("tricky", 1), ("project", 1), ("project", 3)])
def test_streamed_dumps_are_the_bytes_of_sorting_and_serialising_in_memory(
    which: str, workers: int, tmp_path: Path
) -> None:
    context = jsonld.project_context(find_project(REPO))
    store = _tricky_store() if which == "tricky" else load(find_project(REPO), PROGRAMMES)
    expected = _whole_in_memory(store, context)
    written = _streamed(store, context, tmp_path, workers)
    assert sorted(written) == sorted(expected)
    for name in expected:
        assert written[name] == expected[name], name


def test_streamed_dumps_of_an_empty_store(tmp_path: Path) -> None:
    context = jsonld.project_context(find_project(REPO))
    assert _streamed(ox.Store(), context, tmp_path) == _whole_in_memory(ox.Store(), context)


def test_jsonld_written_node_by_node_is_the_whole_document(tmp_path: Path) -> None:
    context = jsonld.project_context(find_project(REPO))
    store = _tricky_store()
    union = sorted({q.triple for q in canonical_quads(store)}, key=str)
    blank = [t for t in union if ox.BlankNode in (type(t.subject), type(t.object))]
    target = tmp_path / "out.jsonld"
    with target.open("wb") as handle:
        jsonld.write_sorted(iter(union), blank, context, handle)
    assert target.read_bytes() == jsonld.dumps(union, context)
    assert b'"authorList": [' in target.read_bytes()  # the list is an array


# ------------------------------------------------------------------ parallel pages


@pytest.mark.slow
def test_pages_rendered_by_several_processes_are_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = find_project(REPO)
    store = load(project, PROGRAMMES)
    monkeypatch.setattr(publish, "_workers", lambda: 1)
    one = publish.build(project, store, tmp_path / "one", release_date="2026-12-01")
    monkeypatch.setattr(publish, "_workers", lambda: 3)
    monkeypatch.setattr(publish, "_PARALLEL_FROM", 1)
    monkeypatch.setattr(publish, "_CHUNK", 7)
    several = publish.build(project, store, tmp_path / "several", release_date="2026-12-01")
    assert several.files == one.files
    for path in one.files:
        assert (tmp_path / "several" / path).read_bytes() == (tmp_path / "one" / path).read_bytes()


# ------------------------------------------------------------------ keeping a build


def _build(out: Path, data: list[Path], *args: str) -> Result:
    extra = [arg for path in data for arg in ("--data", str(path))]
    return CliRunner().invoke(
        main, ["--project", str(REPO), *extra, "build", "--out", str(out), *args]
    )


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, list[Path], dict[str, bytes]]:
    data = []
    for path in PROGRAMMES:
        copy = tmp_path / "data" / path.name
        copy.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, copy)
        data.append(copy)
    out = tmp_path / "dist"
    result = _build(out, data)
    assert result.exit_code == 0, result.output
    return out, data, _files(out)


@pytest.mark.slow
def test_a_build_of_unchanged_inputs_is_kept_as_it_is(
    built: tuple[Path, list[Path], dict[str, bytes]],
) -> None:
    out, data, before = built
    folder = os.stat(out).st_ino
    result = _build(out, data)
    assert result.exit_code == 0, result.output
    assert "Nothing changed since the last build" in result.output
    assert os.stat(out).st_ino == folder  # not replaced
    assert _files(out) == before
    assert f"Wrote {len(before)} files" in result.output
    assert sorted(p.name for p in out.parent.iterdir()) == [".dist.inputs", "data", "dist"]


@pytest.mark.slow
def test_any_changed_input_builds_again(
    built: tuple[Path, list[Path], dict[str, bytes]],
) -> None:
    out, data, before = built
    # The same graph in other bytes: still a new build (inputs are files, not meanings).
    with data[0].open("a", encoding="utf-8") as handle:
        handle.write("\n# edited\n")
    folder = os.stat(out).st_ino
    result = _build(out, data)
    assert result.exit_code == 0, result.output
    assert "Nothing changed" not in result.output
    assert os.stat(out).st_ino != folder
    assert _files(out) == before
    # An option is an input too.
    result = _build(out, data, "--release-date", "2030-01-01")
    assert result.exit_code == 0, result.output
    assert b"2030-01-01" in (out / "void.ttl").read_bytes()


@pytest.mark.slow
def test_a_build_changed_by_hand_is_built_again(
    built: tuple[Path, list[Path], dict[str, bytes]],
) -> None:
    out, data, before = built
    (out / "index.html").write_bytes(b"edited by hand")
    result = _build(out, data)
    assert result.exit_code == 0, result.output
    assert "Nothing changed" not in result.output
    assert _files(out) == before


@pytest.mark.slow
def test_a_lost_note_builds_again(built: tuple[Path, list[Path], dict[str, bytes]]) -> None:
    out, data, before = built
    (out.parent / ".dist.inputs").write_text("{not json", encoding="utf-8")
    folder = os.stat(out).st_ino
    result = _build(out, data)
    assert result.exit_code == 0, result.output
    assert os.stat(out).st_ino != folder
    assert _files(out) == before


@pytest.mark.slow
def test_a_page_process_that_dies_fails_the_build_and_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = find_project(REPO)
    store = load(project, PROGRAMMES)
    original = publish._write_resource
    parent = os.getpid()

    def dying(pages: object, context: object, writer: object, iri: str) -> None:
        if os.getpid() != parent and iri.endswith("infant-parent-psychotherapy"):
            os._exit(9)  # as the kernel's out-of-memory killer would end it
        original(pages, context, writer, iri)  # type: ignore[arg-type]

    monkeypatch.setattr(publish, "_write_resource", dying)
    monkeypatch.setattr(publish, "_workers", lambda: 2)
    monkeypatch.setattr(publish, "_PARALLEL_FROM", 1)
    out = tmp_path / "dist"
    with pytest.raises(InputError, match="stopped before it finished"):
        publish.build(project, store, out, release_date="2026-12-01")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
