"""Loading RDF files into the embedded store: the only module that loads with pyoxigraph."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox

from guidebook_kg.derive import derive
from guidebook_kg.errors import InputError, where
from guidebook_kg.prefixes import ONTOLOGY_GRAPH, PROGRAMME_GRAPH_BASE
from guidebook_kg.project import Project

# Chosen by extension rather than ox.RdfFormat.from_extension so that the accepted list is
# explicit (and includes .owl, which ontologies often use for RDF/XML).
FORMATS_BY_EXTENSION: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".trig": ox.RdfFormat.TRIG,
    ".nq": ox.RdfFormat.N_QUADS,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
}

ONTOLOGY_GRAPH_NODE = ox.NamedNode(ONTOLOGY_GRAPH)

_DUPLICATE_STATEMENTS = (
    resources.files("guidebook_kg").joinpath("checks/duplicate-statements.rq").read_text(encoding="utf-8")
)
_STATEMENT_COUNT = (
    resources.files("guidebook_kg").joinpath("checks/statement-count.rq").read_text(encoding="utf-8")
)

# pyoxigraph prefixes its parse errors with the location, which we report separately.
_LOCATION_PREFIX = re.compile(r"^Parser error (?:at|between) line [^:]*:\s*")


def programme_graph(slug: str) -> ox.NamedNode:
    """The named graph that holds the programme file with this slug (its file stem)."""
    return ox.NamedNode(PROGRAMME_GRAPH_BASE + slug)


def rdf_format(path: Path) -> ox.RdfFormat:
    """The RDF syntax of ``path``, from its extension."""
    try:
        return FORMATS_BY_EXTENSION[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(FORMATS_BY_EXTENSION))
        raise InputError(
            f"{where(path)}: unknown RDF file extension {path.suffix or '(none)'!r}",
            hint=f"rename the file to one of {known}",
        ) from None


def load(
    project: Project, extra: Sequence[Path] = (), on_file: Callable[[Path], None] | None = None
) -> ox.Store:
    """Load the ontology and every data file (plus ``extra`` files) into a new in-memory store.

    Ontology files go to the ontology graph; each data file to the graph of its programme
    slug. Quads that a TriG/N-Quads file puts in its own named graphs stay there. Then the
    evidence standards are applied (:func:`guidebook_kg.derive.derive`). ``on_file`` is
    told of each file once it is loaded (to show progress).
    """
    data = [*project.data_files(), *extra]
    _check_unique_slugs(data)
    store = ox.Store()
    files: dict[str, Path] = {}
    for path in project.ontology_files():
        load_file(store, path, ONTOLOGY_GRAPH_NODE)
        files.setdefault(ONTOLOGY_GRAPH, path.parent)
        if on_file is not None:
            on_file(path)
    for path in data:
        graph = programme_graph(path.stem)
        load_file(store, path, graph)
        files[graph.value] = path
        if on_file is not None:
            on_file(path)
    if len(files) > 1:
        _check_stated_once(store, files)
    derive(store, project.derivation_files())
    return store


def _check_stated_once(store: ox.Store, files: dict[str, Path]) -> None:
    # Queries read the union of the graphs, and Oxigraph's union keeps one copy of a
    # statement per graph: a journal described in two files would be counted twice.
    # So every statement has one home, and shared resources are described in one file.
    # Counting distinct statements takes half the time of grouping them (3.8 s against
    # 7.5 s at 10,000 programmes); the grouping only runs to name a duplicate.
    counted = store.query(_STATEMENT_COUNT)
    assert isinstance(counted, ox.QuerySolutions)  # a SELECT query
    if int(next(iter(counted))["statements"].value) == len(store):
        return
    solutions = store.query(_DUPLICATE_STATEMENTS)
    assert isinstance(solutions, ox.QuerySolutions)  # a SELECT query
    found = next(iter(solutions), None)
    if found is None:
        return
    first, last = (files.get(found[v].value, Path(found[v].value)) for v in ("first", "last"))
    statement = f"{found['s']} {found['p']} {found['o']}"
    copies = int(found["copies"].value)
    others = f" and {copies - 2} other files" if copies > 2 else ""
    raise InputError(
        f"{where(first)}, {where(last)}{others} all state {statement}",
        hint="state each fact in one file: describe shared resources (journals, people, "
        "instruments, outcomes) once, e.g. in data/shared.ttl, and link to them by IRI",
    )


def load_file(store: ox.Store, path: Path, graph: ox.NamedNode) -> None:
    """Parse one file into ``graph`` of ``store``; problems become :class:`InputError`."""
    fmt = rdf_format(path)
    if not path.is_file():
        raise InputError(
            f"{where(path)}: no such file",
            hint="check the path, or remove it from the command line",
        )
    try:
        # Relative IRIs resolve against the file itself, as they would in any RDF tool.
        # load, not bulk_load: for many small files into a memory store it is faster
        # (6.1 s against 9.6 s for 10,000 programme files).
        store.load(path=path, format=fmt, base_iri=path.resolve().as_uri(), to_graph=graph)
    except SyntaxError as err:
        raise _syntax_error(path, err) from None
    except OSError as err:
        raise InputError(f"{where(path)}: cannot read: {err.strerror or err}") from None
    except MemoryError as err:
        # pyoxigraph refuses a single token (a literal, an IRI) over its buffer size.
        raise InputError(
            f"{where(path)}: cannot parse: {err}",
            hint="a literal or IRI this large cannot be loaded; keep long texts in a file "
            "outside the graph and link to it",
        ) from None


def _syntax_error(path: Path, err: SyntaxError) -> InputError:
    # pyoxigraph 0.5 fills SyntaxError.lineno / .offset with the start of the bad span,
    # already 1-based (offset counts characters, not bytes), and .msg repeats that span in
    # words. RDF/XML errors carry no position.
    reason = _LOCATION_PREFIX.sub("", str(err.msg or err))
    return InputError(f"{where(path, err.lineno, err.offset)}: {reason}")


def _check_unique_slugs(paths: Iterable[Path]) -> None:
    seen: dict[str, Path] = {}
    for path in paths:
        first = seen.setdefault(path.stem, path)
        if first != path:
            raise InputError(
                f"{where(path)}: programme slug {path.stem!r} is also used by {where(first)}",
                hint="each programme file needs its own file name, which is its slug",
            )


def named_graphs(store: ox.Store) -> list[ox.NamedNode]:
    """The named graphs in ``store``, sorted by IRI."""
    graphs = [g for g in store.named_graphs() if isinstance(g, ox.NamedNode)]
    return sorted(graphs, key=lambda g: g.value)


def union_triples(store: ox.Store) -> Iterator[ox.Triple]:
    """Every triple of every graph, each once (the union graph), grouped by subject."""
    return _by_subject(quad.triple for quad in store)


def quads(store: ox.Store) -> Iterator[ox.Quad]:
    """Every quad, graph after graph (default graph first, then by IRI), grouped by subject."""
    graphs: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [ox.DefaultGraph()]
    graphs += named_graphs(store)
    graphs += [g for g in store.named_graphs() if isinstance(g, ox.BlankNode)]
    for graph in graphs:
        yield from _by_subject(store.quads_for_pattern(None, None, None, graph))


_Statement = TypeVar("_Statement", ox.Triple, ox.Quad)


def _by_subject(statements: Iterable[_Statement]) -> Iterator[_Statement]:
    # The store iterates in index order, which scatters a subject's statements; Turtle and
    # RDF/XML can only group what arrives together. The dict also drops duplicates.
    groups: dict[ox.NamedNode | ox.BlankNode | ox.Triple, dict[_Statement, None]] = {}
    for statement in statements:
        groups.setdefault(statement.subject, {})[statement] = None
    for group in groups.values():
        yield from group
