"""Where the validation engine reads the data graph: the embedded store or a remote store.

The fast engine (``fastvalidate.py``) and the report (``validate.py``) read the data in
two ways only: triple patterns (``quads_for_pattern``, as pyoxigraph's ``Store`` has it)
and SPARQL SELECT queries over the union of the graphs (``select``). :class:`Data` is
that interface; :class:`LocalData` is the embedded store as it is, and
:class:`RemoteData` answers the same calls from a remote SPARQL 1.1 endpoint, so one
engine, with one home per rule, validates either.

On a remote store:

- a triple pattern is one query (``engine/remote-quads.rq``, the pattern's terms bound
  as a VALUES row, ``UNDEF`` where it is open), cached; the engine announces the lookups
  it is about to make (:meth:`Data.prefetch`), and those go in batches of
  :data:`BATCH` subjects per query;
- every query has the endpoint's timeout; a failure is an :class:`EndpointError`;
- an answer the store cut short (Virtuoso's ``ResultSetMaxRows``) is an error, never a
  partial result that could pass for a conforming graph;
- SHACL-SPARQL queries run as written: the EXISTS rewrite the embedded store needs
  (``decorrelate.py``) is left to the store's own planner;
- a blank node of the store cannot be named in a later query, so when a lookup reaches
  blank nodes (``[ a gb:Sample ; gb:sampleSize 160 ]``), their own triples are read at
  once, by a second query from the same IRIs (``engine/remote-blank-*.rq``), and later
  lookups from them are answered from that. This needs a store that labels a blank node
  the same way in two answers (Oxigraph and Virtuoso do). A lookup from a blank node two
  steps away from any IRI, or towards a blank node, is refused with a clear error.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Protocol

import pyoxigraph as ox

from guidebook_kg.errors import EndpointError, InputError

if TYPE_CHECKING:
    from guidebook_kg import views

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
GraphName = ox.NamedNode | ox.BlankNode | ox.DefaultGraph

# Subjects (or objects) per lookup query when the engine announces a batch of lookups.
BATCH = 200
VALUES_MARKER = "# VALUES ROWS"


class Row(Protocol):
    """One solution: the term bound to a variable (by name), None when unbound (typed
    as pyoxigraph types its ``QuerySolution``)."""

    def __getitem__(self, key: str, /) -> Any: ...


class Solutions(Protocol):
    """The solutions of a SELECT query, as pyoxigraph's ``QuerySolutions`` has them."""

    @property
    def variables(self) -> list[ox.Variable]: ...

    def __iter__(self) -> Iterator[Row]: ...


class Data(Protocol):
    """What the validation engine and its report read from the data graph.

    ``decorrelate``: whether the engine should rewrite the EXISTS of SHACL-SPARQL queries
    (``decorrelate.py``), which the embedded store needs to be fast and Virtuoso
    evaluates wrongly (an OPTIONAL sub-select sharing no variable loses solutions).
    """

    decorrelate: bool
    batches: bool  # whether announcing lookups (prefetch) saves anything
    # whether the engine may run SELECTs in a second thread while it works on in Python
    concurrent: bool

    def quads_for_pattern(
        self,
        subject: ox.NamedNode | ox.BlankNode | ox.Triple | None,
        predicate: ox.NamedNode | None,
        object: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None,
        graph_name: GraphName | None = None,
    ) -> Iterator[ox.Quad]: ...

    def named_graphs(self) -> Iterator[ox.NamedNode | ox.BlankNode]: ...

    def select(self, query: str, prefixes: Mapping[str, str] | None = None) -> Solutions:
        """A SELECT query over the union of the graphs."""
        ...

    def prefetch(self, nodes: Iterable[Term], predicate: ox.NamedNode | None,
                 forward: bool) -> None:
        """The engine is about to look up ``predicate`` (None: every predicate) from each
        of ``nodes`` (forwards: their objects; else their subjects)."""
        ...


class LocalData:
    """The embedded store: every call goes straight to pyoxigraph."""

    decorrelate = True
    batches = False
    concurrent = True  # pyoxigraph evaluates a query without holding Python's lock

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self.quads_for_pattern = store.quads_for_pattern
        self.named_graphs = store.named_graphs

    def select(self, query: str, prefixes: Mapping[str, str] | None = None) -> Solutions:
        solutions = self.store.query(query, prefixes=dict(prefixes) if prefixes else None,
                                     use_default_graph_as_union=True)
        assert isinstance(solutions, ox.QuerySolutions)
        return solutions

    def prefetch(self, nodes: Iterable[Term], predicate: ox.NamedNode | None,
                 forward: bool) -> None:
        return None


def as_data(data: ox.Store | Data) -> Data:
    return LocalData(data) if isinstance(data, ox.Store) else data


# ----------------------------------------------------------------------------- remote


class _Solutions:
    def __init__(self, columns: Sequence[str], rows: list[dict[str, Any]]) -> None:
        self.variables = [ox.Variable(c) for c in columns]
        self.rows = rows

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)


@cache
def _template(name: str) -> str:
    return files("guidebook_kg").joinpath(f"engine/{name}.rq").read_text(encoding="utf-8")


def _filled(name: str, rows: Iterable[Sequence[Term | ox.DefaultGraph | None]]) -> str:
    """Template ``name`` with its VALUES rows: terms in N-Triples form, UNDEF for None."""
    text = "\n    ".join(
        "(" + " ".join("UNDEF" if t is None else str(t) for t in row) + ")" for row in rows
    )
    return _template(name).replace(VALUES_MARKER, text)


Pattern = tuple[Term | None, Term | None, Term | None, Term | None]


class RemoteData:
    """The data graph as a remote store holds it, read through ``endpoint``.

    ``endpoint`` is a :class:`guidebook_kg.remote.Endpoint`; its default graph must be
    the union of the store's graphs (or its ``default_graphs`` name the graphs to read,
    sent as named graphs too). Quads come from the store's named graphs.
    """

    decorrelate = False
    batches = True
    concurrent = False

    def __init__(self, endpoint: object) -> None:
        from guidebook_kg.remote import Endpoint

        assert isinstance(endpoint, Endpoint)
        self.endpoint = endpoint
        self.url = endpoint.url
        self._quads: dict[Pattern, list[ox.Quad]] = {}
        self.queries = 0  # how many queries went to the store (for reports and tests)

    # ---- queries

    def _table(self, query: str) -> tuple[list[str], list[tuple[views.Term | None, ...]]]:
        self.queries += 1
        table = self.endpoint._select(query)
        if self.endpoint.truncated:
            raise EndpointError(
                f"SPARQL endpoint {self.url}: the store cut an answer short at "
                f"{self.endpoint.truncated} rows, so the graph cannot be validated there",
                hint="raise the store's row limit (Virtuoso: ResultSetMaxRows in the [SPARQL] "
                "section of virtuoso.ini), or validate a local copy",
            )
        return table.columns, table.rows

    def select(self, query: str, prefixes: Mapping[str, str] | None = None) -> Solutions:
        if prefixes:
            declared = "".join(f"PREFIX {p}: {ox.NamedNode(n)}\n" for p, n in prefixes.items())
            query = declared + query
        columns, rows = self._table(query)
        return _Solutions(columns, [dict(zip(columns, row, strict=True)) for row in rows])

    # ---- triple patterns

    def quads_for_pattern(
        self,
        subject: ox.NamedNode | ox.BlankNode | ox.Triple | None,
        predicate: ox.NamedNode | None,
        object: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None,
        graph_name: GraphName | None = None,
    ) -> Iterator[ox.Quad]:
        if isinstance(graph_name, ox.DefaultGraph):
            return iter(())  # what push writes is in named graphs only
        pattern: Pattern = (subject, predicate, object, graph_name)
        found = self._quads.get(pattern)
        if found is None and subject is not None and predicate is not None:
            # Answered from everything known about the subject, when that was fetched.
            about = self._quads.get((subject, None, None, None))
            if about is not None:
                found = [q for q in about if q.predicate == predicate
                         and (object is None or q.object == object)
                         and (graph_name is None or q.graph_name == graph_name)]
        if found is None:
            self._lookup([pattern])
            found = self._quads[pattern]
        return iter(found)

    def prefetch(self, nodes: Iterable[Term], predicate: ox.NamedNode | None,
                 forward: bool) -> None:
        todo: list[Pattern] = []
        for node in nodes:
            if isinstance(node, ox.Literal) and forward:
                continue  # a literal has no objects
            if isinstance(node, ox.BlankNode):
                continue  # refused when (and if) the engine looks it up
            pattern: Pattern = (node, predicate, None, None) if forward \
                else (None, predicate, node, None)
            if pattern not in self._quads:
                todo.append(pattern)
        for start in range(0, len(todo), BATCH):
            self._lookup(todo[start:start + BATCH])

    def _lookup(self, patterns: list[Pattern]) -> None:
        """Fill the cache for ``patterns``, which have the same open positions."""
        for pattern in patterns:
            blank = next((t for t in pattern if isinstance(t, (ox.BlankNode, ox.Triple))), None)
            if blank is not None:  # not read with the lookup that reached it (one step)
                raise InputError(
                    f"SPARQL endpoint {self.url}: the shapes need a lookup from the blank "
                    f"node {blank}, which a query cannot name on a remote store",
                    hint="give the resource an IRI (or skolemise blank nodes before the push), "
                    "or validate a local copy",
                )
        # The row order of the template: graph, subject, predicate, object.
        rows = [(g, s, p, o) for s, p, o, g in patterns]
        open_positions = [i for i, t in enumerate(patterns[0]) if t is None]
        results: dict[Pattern, list[ox.Quad]] = {p: [] for p in patterns}
        columns, table = self._table(_filled("remote-quads", rows))
        index = {name: i for i, name in enumerate(columns)}
        for row in table:
            g, s, p, o = (row[index[name]] for name in ("g", "s", "p", "o"))
            if s is None or p is None or o is None or not isinstance(p, ox.NamedNode) \
                    or isinstance(s, ox.Literal) or not isinstance(g, (ox.NamedNode,
                                                                       ox.BlankNode)):
                continue
            full: Pattern = (s, p, o, g)
            key = tuple(None if i in open_positions else t for i, t in enumerate(full))
            bucket = results.get(key)  # type: ignore[arg-type]
            if bucket is not None:
                bucket.append(ox.Quad(s, p, o, g))
        self._quads.update(results)
        found = [q for quads in results.values() for q in quads]
        reached: tuple[tuple[str, list[Term]], ...] = (
            ("remote-blank-subjects", [q.subject for q in found]),
            ("remote-blank-objects", [q.object for q in found]),
        )
        for template, nodes in reached:
            if any(isinstance(n, ox.BlankNode) and (n, None, None, None) not in self._quads
                   for n in nodes):
                self._blank_nodes(template, rows)

    def _blank_nodes(self, template: str, rows: list[Pattern]) -> None:
        """Cache the triples of the blank nodes the lookup ``rows`` reached (one step)."""
        about: dict[ox.BlankNode, list[ox.Quad]] = {}
        _, table = self._table(_filled(template, rows))
        for node, graph, predicate, value in table:
            if isinstance(node, ox.BlankNode) and isinstance(graph, (ox.NamedNode, ox.BlankNode)) \
                    and isinstance(predicate, ox.NamedNode) and value is not None:
                about.setdefault(node, []).append(ox.Quad(node, predicate, value, graph))
        for blank, quads in about.items():
            self._quads[(blank, None, None, None)] = quads

    def named_graphs(self) -> Iterator[ox.NamedNode | ox.BlankNode]:
        """The named graphs that describe a programme (the graphs ``--focus`` names)."""
        _, table = self._table(_template("remote-programme-graphs"))
        for row in table:
            graph = row[0]
            if isinstance(graph, (ox.NamedNode, ox.BlankNode)):
                yield graph
