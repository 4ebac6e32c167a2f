"""The whole-graph dumps of a build, streamed to disk.

The bytes are those of sorting every statement (blank nodes labelled canonically,
RDFC-1.0) and serialising the sorted list, but no dump is ever held whole and no Python
sort of all statements happens:

* each graph is dumped by the store as N-Triples, and its lines are sorted (one graph at
  a time; the byte order of N-Triples lines is the order of their terms' N-Triples
  forms); statements with a blank node are replaced by their canonical form, computed
  from those statements alone (all RDFC-1.0 labels depend on);
* graph after graph, by name, that is the N-Quads dump;
* every graph's lines, sorted and without repeats by the system's ``sort`` (an external
  merge sort, in bounded memory), are the N-Triples dump of the union graph;
* the other syntaxes are written by parsing those two files again, one statement at a
  time.
"""

from __future__ import annotations

import gzip
import hashlib
import multiprocessing
import os
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from importlib.resources import files
from pathlib import Path
from typing import IO, cast

import pyoxigraph as ox

from guidebook_kg import jsonld
from guidebook_kg.errors import GuidebookError, InputError
from guidebook_kg.export import xml_writable
from guidebook_kg.linkeddata import SYNTAXES
from guidebook_kg.prefixes import PREFIXES

_CHUNK = 1 << 20
# Memory the external sort may use before it spills to temporary files.
_SORT_MEMORY = "256M"


class HashingFile:
    """A binary file being written, with its size and SHA-256 sum kept as it grows."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("wb")
        self._sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self._file.write(data)
        self._sha.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> tuple[int, str]:
        self._file.close()
        return self.size, self._sha.hexdigest()

    def __enter__(self) -> HashingFile:
        return self

    def __exit__(self, *_: object) -> None:
        self._file.close()


Record = Callable[[str, int, str], None]


def write_dumps(
    store: ox.Store,
    root: Path,
    stem: str,
    dumps: Iterable[tuple[str, str | None]],
    context: jsonld.Context,
    record: Record,
    advance: Callable[[int], None] = lambda n: None,
    workers: int = 1,
) -> Path:
    """Write the dumps ``(syntax name, compression)`` as ``root/stem.<extension>[.gz]``;
    ``record(path, size, sha256)`` is told of each file. Returns the sorted N-Triples file
    of the union graph (one of the dumps), for counting. With several ``workers``, the
    syntaxes are written by as many forked processes at once."""
    wanted = list(dumps)
    work = root / ".dumps"
    work.mkdir(parents=True, exist_ok=True)
    try:
        nquads, unsorted = work / "dataset.nq", work / "union.unsorted"
        _write_sorted_graphs(store, nquads, unsorted)
        union = root / f"{stem}.{SYNTAXES['ntriples'].extension}"
        _external_sort(unsorted, union, work)
        unsorted.unlink()
        jobs = []
        for name, compression in wanted:
            syntax = SYNTAXES[name]
            path = f"{stem}.{syntax.extension}"
            if compression == "gzip":
                path += ".gz"
            if name == "ntriples" and compression is None:
                record(path, *_sum(union))
                advance(1)
            else:
                jobs.append((name, compression, path, nquads if syntax.dataset else union))
        global _forked
        _forked = (store, context, root)
        try:
            if workers > 1 and len(jobs) > 1:
                with ProcessPoolExecutor(
                    min(workers, len(jobs)), mp_context=multiprocessing.get_context("fork")
                ) as pool:
                    for path, size, digest, failure in pool.map(_write_job, jobs):
                        if failure is not None:
                            kind, message, hint = failure
                            raise kind(message, hint=hint)
                        record(path, size, digest)
                        advance(1)
            else:
                for job in jobs:
                    path, size, digest, failure = _write_job(job)
                    if failure is not None:
                        kind, message, hint = failure
                        raise kind(message, hint=hint)
                    record(path, size, digest)
                    advance(1)
        finally:
            _forked = None
    finally:
        _remove(work)
    return union


_Job = tuple[str, str | None, str, Path]
_Failure = tuple[type[GuidebookError], str, str | None]
_forked: tuple[ox.Store, jsonld.Context, Path] | None = None


def _write_job(job: _Job) -> tuple[str, int, str, _Failure | None]:
    """Write one dump (in this process or a forked one); say its size and checksum."""
    assert _forked is not None
    store, context, root = _forked
    name, compression, path, source = job
    try:
        with HashingFile(root / path) as out:
            _write_syntax(name, compression, source, store, context, out)
            size, digest = out.close()
    except GuidebookError as err:
        return path, 0, "", (type(err), err.message, err.hint)
    return path, size, digest, None


def _remove(work: Path) -> None:
    # The work folder holds files only (the external sort cleans up its own).
    for path in work.iterdir():
        path.unlink(missing_ok=True)
    work.rmdir()


def _write_syntax(
    name: str,
    compression: str | None,
    source: Path,
    store: ox.Store,
    context: jsonld.Context,
    out: HashingFile,
) -> None:
    syntax = SYNTAXES[name]
    if compression == "gzip":
        # mtime=0 and no file name in the header: the same input gives the same bytes.
        with gzip.GzipFile(filename="", mode="wb", fileobj=cast(IO[bytes], out), mtime=0) as packed:
            _copy(source, packed)
        return
    if name in ("nquads", "ntriples"):
        _copy(source, out)
        return
    if name == "jsonld":
        jsonld.write_sorted(triples(source), _canonical_blank_triples(store), context, out)
        return
    statements: Iterable[ox.Triple] | Iterable[ox.Quad]
    if syntax.dataset:
        statements = ox.parse(path=source, format=ox.RdfFormat.N_QUADS)
    else:
        statements = triples(source)
        if name == "rdfxml":
            statements = xml_writable(statements)
    prefixes = PREFIXES if name in ("turtle", "trig", "rdfxml") else None
    ox.serialize(statements, cast(IO[bytes], out), format=syntax.rdf_format, prefixes=prefixes)


def triples(path: Path) -> Iterator[ox.Triple]:
    """The triples of an N-Triples file, in file order, one at a time."""
    for quad in ox.parse(path=path, format=ox.RdfFormat.N_TRIPLES):
        yield quad.triple


def _copy(source: Path, out: IO[bytes] | HashingFile | gzip.GzipFile) -> None:
    with source.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            out.write(chunk)


def _sum(path: Path) -> tuple[int, str]:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            sha.update(chunk)
    return path.stat().st_size, sha.hexdigest()


# ------------------------------------------------------------------ sorted statements


def _query(name: str) -> str:
    return files("guidebook_kg").joinpath(f"site/queries/{name}.rq").read_text(encoding="utf-8")


def _canonical_blank_quads(store: ox.Store) -> ox.Dataset:
    """The statements with a blank node, blank nodes labelled as RDFC-1.0 labels them in
    the whole dataset (the labels depend on these statements only)."""
    found = store.query(_query("blank-node-quads"), use_default_graph_as_union=False)
    assert isinstance(found, ox.QuerySolutions)
    dataset = ox.Dataset(
        ox.Quad(row["s"], row["p"], row["o"], row["g"] or ox.DefaultGraph())
        for row in found
    )
    if len(dataset):
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return dataset


def _canonical_blank_triples(store: ox.Store) -> list[ox.Triple]:
    return list({q.triple for q in _canonical_blank_quads(store)})


def _graph_key(graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> str:
    return "" if isinstance(graph, ox.DefaultGraph) else str(graph)


def _has_blank(line: bytes) -> bool:
    # "s p o ." with s and p free of spaces (IRIs, blank node labels).
    return line.startswith(b"_:") or line.split(b" ", 2)[2].startswith(b"_:")


def _write_sorted_graphs(store: ox.Store, nquads: Path, unsorted: Path) -> None:
    """Every graph's statements, sorted, graph after graph (the default graph first, then
    by name) into ``nquads``; the same statements as triples into ``unsorted``."""
    blank: dict[str, list[ox.Triple]] = {}
    for quad in _canonical_blank_quads(store):
        blank.setdefault(_graph_key(quad.graph_name), []).append(quad.triple)
    graphs: dict[str, ox.NamedNode | ox.DefaultGraph] = {"": ox.DefaultGraph()}
    for graph in store.named_graphs():
        if not isinstance(graph, ox.NamedNode):
            raise InputError(
                f"a graph is named by a blank node ({graph}), so the dumps have no "
                "repeatable order",
                hint="name the graph with an IRI in the TriG or N-Quads file that holds it",
            )
        graphs[str(graph)] = graph
    with nquads.open("wb") as quads_out, unsorted.open("wb") as triples_out:
        for key in sorted(graphs):
            data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graphs[key])
            lines = [line for line in (data or b"").split(b"\n") if line and not _has_blank(line)]
            if key in blank:
                text = ox.serialize(blank[key], format=ox.RdfFormat.N_TRIPLES) or b""
                lines += [line for line in text.split(b"\n") if line]
            if not lines:
                continue
            lines.sort()
            body = b"\n".join(lines) + b"\n"
            triples_out.write(body)
            if key:
                name = key.encode("utf-8")
                # "s p o ." becomes "s p o <g> ."
                quads_out.write(b"".join(line[:-1] + name + b" .\n" for line in lines))
            else:
                quads_out.write(body)


def _external_sort(source: Path, target: Path, work: Path) -> None:
    """Sort the lines of ``source`` by their bytes, without repeats, into ``target``."""
    command = shutil.which("sort")
    if command is not None:
        env = {**os.environ, "LC_ALL": "C"}
        done = subprocess.run(
            [command, "-u", "-S", _SORT_MEMORY, "-T", str(work), "-o", str(target), str(source)],
            env=env,
            capture_output=True,
        )
        if done.returncode == 0:
            return
        raise OSError(f"sort failed: {done.stderr.decode(errors='replace').strip()}")
    # No system sort (a bare Windows machine): sort in memory.
    lines = sorted(set(source.read_bytes().splitlines(keepends=True)))
    target.write_bytes(b"".join(lines))
