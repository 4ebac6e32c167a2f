"""The evidence standards applied: the derived graph.

After loading, the CONSTRUCT queries of ``queries/derivation/`` run in file-name order over
the union of all graphs; each step's triples go into the derived named graph, where the
next step can read them. The queries are generic: what the ratings, criteria and study
conditions need is stated as data in ``ontology/standards.ttl``. Shapes, views, ``rate``,
pages and the published site read the derived graph; none of them derives anything.

After some data changes, :func:`rederive` brings the derived graph up to date without
deriving everything again: it finds, step by step, the nodes whose derived facts the
change can alter (the reach of each step's query, see ``reach.py``), and runs each step
for those nodes only, on a small store holding what the step's query reads from them.
The result is the graph a full derivation gives: tests compare the two after random
edits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from guidebook_kg.errors import InputError, where
from guidebook_kg.prefixes import DERIVED_GRAPH
from guidebook_kg.reach import Graph, Reach, analyse

DERIVED_GRAPH_NODE = ox.NamedNode(DERIVED_GRAPH)


def derive(store: ox.Store, steps: Sequence[Path]) -> None:
    """Replace the derived graph of ``store`` by what ``steps`` derive.

    A derived graph that came with the input (a dump loaded as data) is dropped first, so
    the result never depends on an earlier derivation.
    """
    store.clear_graph(DERIVED_GRAPH_NODE)
    for path in steps:
        result = _run(store, path, _read(path))
        # The triples go from the query to the store as N-Triples bytes, without a
        # Python object per triple (a quarter of a step's time at 10,000 programmes).
        written = result.serialize(format=ox.RdfFormat.N_TRIPLES)
        if written:
            store.load(written, format=ox.RdfFormat.N_TRIPLES, to_graph=DERIVED_GRAPH_NODE)


def _run(store: ox.Store, path: Path, text: str) -> ox.QueryTriples:
    try:
        result = store.query(text, use_default_graph_as_union=True)
    except SyntaxError as err:
        raise InputError(
            f"{where(path, err.lineno, err.offset)}: the derivation step does not parse: "
            f"{err.msg}",
            hint="fix the query; every step is a SPARQL 1.1 CONSTRUCT query",
        ) from None
    if not isinstance(result, ox.QueryTriples):
        raise InputError(
            f"{where(path)}: a derivation step must be a CONSTRUCT query",
            hint="rewrite it as CONSTRUCT { ... } WHERE { ... }",
        )
    return result


# ----------------------------------------------------------------------------- incremental


@dataclass
class Changes:
    """Quads removed from and added to a store."""

    removed: list[ox.Quad] = field(default_factory=list)
    added: list[ox.Quad] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.removed or self.added)

    def extend(self, other: Changes) -> None:
        self.removed.extend(other.removed)
        self.added.extend(other.added)


@dataclass(frozen=True)
class Step:
    """A derivation step with its query text and reach (see ``reach.py``)."""

    path: Path
    text: str
    reach: Reach


def steps_of(paths: Sequence[Path], reaches: Sequence[Reach] | None = None) -> list[Step]:
    """The derivation steps at ``paths``, analysed (or with ``reaches`` already known)."""
    texts = [_read(p) for p in paths]
    if reaches is None:
        reaches = [analyse(t) for t in texts]
    return [Step(p, t, r) for p, t, r in zip(paths, texts, reaches, strict=True)]


def rederive(store: ox.Store, steps: Sequence[Step], data: Changes) -> Changes | None:
    """Bring the derived graph of ``store`` up to date after ``data`` changed (already
    applied to ``store``); return the derived graph's changes, or None when the steps
    cannot be run node by node (the caller then derives in full).

    Step after step, the nodes a step's answers are about (its anchors) that the changes
    so far can matter to become *dirty*: every derived triple they own (whose subject is
    the node, or a node its template mints for it) is removed, and every step is run
    again for them, in order, on a store holding what each step reads from them. The
    changes a step makes feed the next step's search for dirty nodes.
    """
    if any(step.reach.whole is not None for step in steps):
        return None
    links = tuple(dict.fromkeys(link for step in steps for link in step.reach.owned_links))
    ghost = ox.Store()  # what was removed: walks see the old graph and the new one
    ghost.extend(data.removed)
    both = Graph(store, ghost)
    changed: list[ox.Quad] = [*data.removed, *data.added]
    dirty: dict[Any, None] = {}
    was: set[ox.Triple] = set()  # what the dirty nodes owned before
    for k, current in enumerate(steps):
        found = current.reach.anchors_of(both, changed)
        if found is None:
            return None
        newly = [n for n in _owners(both, found, links) if n not in dirty]
        if newly:
            dirty.update(dict.fromkeys(newly))
            removed = _owned(store, newly, links)
            was.update(q.triple for q in removed)
            for quad in removed:
                store.remove(quad)
            ghost.extend(removed)
            changed.extend(removed)
            for earlier in steps[:k]:
                made = _run_for(store, earlier, newly, links)
                if made is None:
                    return None
                changed.extend(_insert(store, made))
        made = _run_for(store, current, list(dirty), links)
        if made is None:
            return None
        changed.extend(_insert(store, made))
    now = {q.triple for q in _owned(store, list(dirty), links)}
    return Changes(
        [ox.Quad(t.subject, t.predicate, t.object, DERIVED_GRAPH_NODE) for t in was - now],
        [ox.Quad(t.subject, t.predicate, t.object, DERIVED_GRAPH_NODE) for t in now - was],
    )


def _owners(graph: Graph, nodes: Iterable[Any], links: Sequence[str]) -> list[Any]:
    """``nodes`` with each node a template minted for another replaced by that other:
    a minted node's triples are derived with its owner's, never on their own."""
    out: dict[Any, None] = {}
    for node in nodes:
        if not isinstance(node, (ox.NamedNode, ox.BlankNode)):
            continue
        owners = [q.subject for link in links
                  for q in graph.quads(None, ox.NamedNode(link), node)
                  if q.graph_name == DERIVED_GRAPH_NODE]
        for owner in owners or [node]:
            out[owner] = None
    return list(out)


def _owned(store: ox.Store, nodes: Sequence[Any], links: Sequence[str]) -> list[ox.Quad]:
    """The derived quads ``nodes`` own: their own, and those of the nodes minted for them."""
    quads: list[ox.Quad] = []
    for node in nodes:
        own = list(store.quads_for_pattern(node, None, None, DERIVED_GRAPH_NODE))
        quads.extend(own)
        for quad in own:
            if quad.predicate.value in links and isinstance(quad.object, (ox.NamedNode,
                                                                           ox.BlankNode)):
                quads.extend(store.quads_for_pattern(quad.object, None, None,
                                                     DERIVED_GRAPH_NODE))
    return list(dict.fromkeys(quads))


def _run_for(store: ox.Store, step: Step, nodes: Sequence[Any], links: Sequence[str]
             ) -> list[ox.Triple] | None:
    """What ``step`` derives about ``nodes``: run on a store of what it reads from them."""
    if not nodes:
        return []
    quads = step.reach.neighbourhood(Graph(store), nodes)
    if quads is None:
        return None
    small = ox.Store()
    small.extend(quads)
    triples = list(_run(small, step.path, step.text))
    anchors = set(nodes)
    minted = {t.object for t in triples if t.subject in anchors and t.predicate.value in links}
    return [t for t in triples if t.subject in anchors or t.subject in minted]


def _insert(store: ox.Store, triples: Sequence[ox.Triple]) -> list[ox.Quad]:
    """Add ``triples`` to the derived graph; return the quads that were not there."""
    new = [ox.Quad(t.subject, t.predicate, t.object, DERIVED_GRAPH_NODE) for t in triples]
    new = [q for q in dict.fromkeys(new) if q not in store]
    store.extend(new)
    return new


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{where(path)}: cannot read the derivation step: {err}") from None
