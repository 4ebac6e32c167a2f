"""The evidence standards applied: the derived graph.

After loading, the CONSTRUCT queries of ``queries/derivation/`` run in file-name order over
the union of all graphs; each step's triples go into the derived named graph, where the
next step can read them. The queries are generic: what the ratings, criteria and study
conditions need is stated as data in ``ontology/standards.ttl``. Shapes, views, ``rate``,
pages and the published site read the derived graph; none of them derives anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox

from guidebook_kg.errors import InputError, where
from guidebook_kg.prefixes import DERIVED_GRAPH

DERIVED_GRAPH_NODE = ox.NamedNode(DERIVED_GRAPH)


def derive(store: ox.Store, steps: Sequence[Path]) -> int:
    """Replace the derived graph of ``store`` by what ``steps`` derive; return its size.

    A derived graph that came with the input (a dump loaded as data) is dropped first, so
    the result never depends on an earlier derivation.
    """
    store.clear_graph(DERIVED_GRAPH_NODE)
    for path in steps:
        text = _read(path)
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
        # The triples go from the query to the store as N-Triples bytes, without a
        # Python object per triple (a quarter of a step's time at 10,000 programmes).
        written = result.serialize(format=ox.RdfFormat.N_TRIPLES)
        if written:
            store.load(written, format=ox.RdfFormat.N_TRIPLES, to_graph=DERIVED_GRAPH_NODE)
    return sum(1 for _ in store.quads_for_pattern(None, None, None, DERIVED_GRAPH_NODE))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{where(path)}: cannot read the derivation step: {err}") from None
