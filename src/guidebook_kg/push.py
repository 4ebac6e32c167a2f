"""``guidebook push``: load the graph into any SPARQL 1.1 store, safely, and check it.

For each target graph (one per programme file plus the ontology, or one graph for
everything with ``graph=``):

1. the graph goes to a fresh *staging* graph with a Graph Store Protocol PUT;
2. the staging graph's triples are counted on the remote side and must match;
3. one SPARQL Update ``MOVE`` (``queries/replace-graph.ru``) puts it in place.

So a failure part-way (the endpoint dies, an HTTP error) never leaves a target graph
half-replaced: the store applies the ``MOVE`` as one operation, and anything that failed
earlier only touched the staging graph, which push removes if it still can. At the end
every target graph is counted again (the ``graph-sizes`` view) and must hold exactly the
triples pushed. Before writing anything, push counts the target graphs and refuses to
replace non-empty ones unless told to (``replace=True``).

A push killed part-way (or cut off from the store) can leave its staging graph behind,
and with the union default graph the views need, its triples would show in every view.
So push lists the staging graphs on the store (``checks/staging-graphs.rq``) before it
writes and after, removes them, says so, and does not report success while one remains.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from guidebook_kg.errors import EndpointError, InputError, UsageError, where
from guidebook_kg.linkeddata import SYNTAXES, canonical_triples, serialize
from guidebook_kg.prefixes import BASE
from guidebook_kg.progress import Progress, counting
from guidebook_kg.project import Project
from guidebook_kg.store import named_graphs

SIZES_VIEW = "graph-sizes"
REPLACE_UPDATE = "replace-graph.ru"
_STAGING_PLACEHOLDER = "<urn:guidebook-kg:staging-graph>"
_TARGET_PLACEHOLDER = "<urn:guidebook-kg:target-graph>"
STAGING_BASE = BASE + "graph/staging/"
STAGING_QUERY = "checks/staging-graphs.rq"



@dataclass(frozen=True)
class Endpoints:
    """The three URLs of a store: SPARQL query, SPARQL update and Graph Store Protocol."""

    query: str
    update: str
    gsp: str

    @classmethod
    def from_query_url(
        cls, query: str, update: str | None = None, gsp: str | None = None
    ) -> Endpoints:
        """Fill in what is not given from the query URL, Oxigraph's way: ``.../query``
        (or ``.../sparql``) has ``.../update`` and ``.../store`` beside it."""
        stem, _, last = query.rstrip("/").rpartition("/")
        if (update is None or gsp is None) and last not in ("query", "sparql"):
            raise UsageError(
                f"--endpoint {query}: cannot tell the update and Graph Store URLs from it",
                hint="pass --update URL and --gsp URL (see the README for Fuseki, GraphDB "
                "and Virtuoso)",
            )
        return cls(query, update or f"{stem}/update", gsp or f"{stem}/store")


@dataclass
class PushReport:
    """What push wrote: each target graph with the triples it now holds."""

    endpoint: str
    graphs: dict[str, int] = field(default_factory=dict)

    @property
    def triples(self) -> int:
        return sum(self.graphs.values())


@dataclass(frozen=True)
class _Target:
    graph: str
    triples: list[ox.Triple]


def _no_progress(message: str) -> None:
    return None


def push(
    project: Project,
    store: ox.Store,
    endpoints: Endpoints,
    *,
    graph: str | None = None,
    replace: bool = False,
    timeout: float = 60.0,
    user: str | None = None,
    password: str | None = None,
    auth: str = "basic",
    progress: Progress = _no_progress,
) -> PushReport:
    """Write the graph to the store at ``endpoints`` and verify it; see the module doc."""
    from guidebook_kg import remote, views

    catalogue = views.load_views(project)
    if SIZES_VIEW not in catalogue:
        raise InputError(
            f"the {SIZES_VIEW!r} view is missing, so the push could not be checked",
            hint=f"restore queries/{SIZES_VIEW}.rq",
        )
    replace_text = _replace_text(project)
    targets = _targets(store, graph)
    # Push counts named graphs only, so the store's default graph does not matter here.
    reader = remote.Endpoint(endpoints.query, timeout=timeout, explain_empty=False)
    writer = remote.GraphStore(
        endpoints.gsp, endpoints.update, timeout=timeout, user=user, password=password, auth=auth
    )

    def count(iri: str) -> int:
        table = remote.run(reader, catalogue[SIZES_VIEW], {"graph": iri}, catalogue)
        values = table.values("triples")
        return int(values[0]) if values and values[0] is not None else 0

    _remove_stale_staging(reader, writer, progress, "an earlier push that stopped part-way")
    progress(f"Checking {len(targets)} graph(s) at {endpoints.query}")
    existing = {t.graph: count(t.graph) for t in targets}
    occupied = [g for g, n in existing.items() if n]
    if occupied and not replace:
        raise UsageError(
            f"{len(occupied)} target graph(s) already hold data at {endpoints.query} "
            f"(e.g. <{occupied[0]}>, {existing[occupied[0]]} triples); nothing was written",
            hint="pass --replace to replace them",
        )

    report = PushReport(endpoints.query)
    run = secrets.token_hex(6)
    with counting(progress, "Pushing the graphs", len(targets)) as advance:
        for number, target in enumerate(targets, start=1):
            staging = f"{STAGING_BASE}{run}/{number}"
            size = len(target.triples)
            progress(f"[{number}/{len(targets)}] Uploading <{target.graph}> ({size} triples)")
            try:
                data = serialize(target.triples, SYNTAXES["ntriples"])
                writer.put(staging, data, SYNTAXES["ntriples"].media_type)
                staged = count(staging)
                if staged != len(target.triples):
                    raise EndpointError(
                        f"the store holds {staged} triples of the {len(target.triples)} uploaded "
                        f"to the staging graph <{staging}>"
                    )
                writer.update(
                    replace_text.replace(_STAGING_PLACEHOLDER, str(ox.NamedNode(staging))).replace(
                        _TARGET_PLACEHOLDER, str(ox.NamedNode(target.graph))
                    )
                )
            except EndpointError as err:
                _clean_up(writer, staging)
                raise _part_way(err, endpoints, targets, report, target, reader) from None
            report.graphs[target.graph] = len(target.triples)
            progress(f"[{number}/{len(targets)}] Replaced <{target.graph}>")
            advance(1)

    progress("Verifying: counting the triples of every graph on the remote side")
    try:
        found = {t.graph: count(t.graph) for t in targets}
    except EndpointError as err:
        raise EndpointError(
            f"every graph was written, but the check failed: {err}",
            hint="run `guidebook query graph-sizes --endpoint URL` to check by hand",
        ) from None
    try:
        _remove_stale_staging(reader, writer, progress, "this push")
    except EndpointError as err:
        raise EndpointError(
            f"every graph was written, but a staging graph may remain: {err}",
            hint="push again: it removes staging graphs left behind before it writes",
        ) from None
    wrong = {g: n for g, n in found.items() if n != report.graphs[g]}
    if wrong:
        first = next(iter(wrong))
        raise EndpointError(
            f"verification failed at {endpoints.query}: {len(wrong)} graph(s) do not hold "
            f"what was pushed (e.g. <{first}>: {wrong[first]} triples, pushed "
            f"{report.graphs[first]})",
            hint="another client may be writing to the same graphs; push again",
        )
    return report


def _targets(store: ox.Store, graph: str | None) -> list[_Target]:
    if graph is not None:
        try:
            ox.NamedNode(graph)
        except ValueError as err:
            raise UsageError(f"--graph {graph}: not an IRI ({err})") from None
        union = (q.triple for q in store)
        return [_Target(graph, canonical_triples(union))]
    targets = []
    for name in named_graphs(store):
        triples = (q.triple for q in store.quads_for_pattern(None, None, None, name))
        targets.append(_Target(name.value, canonical_triples(triples)))
    default = [q.triple for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())]
    if default:
        raise InputError(
            f"{len(default)} triples are in the default graph, which push does not write",
            hint="load them from a file (each file goes to its own graph) or pass --graph IRI",
        )
    return targets


def _replace_text(project: Project) -> str:
    path = project.queries_dir / REPLACE_UPDATE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(
            f"{where(path)}: cannot read the graph replacement update: {err.strerror or err}",
            hint=f"restore queries/{REPLACE_UPDATE}",
        ) from None
    if _STAGING_PLACEHOLDER not in text or _TARGET_PLACEHOLDER not in text:
        raise InputError(
            f"{where(path)}: needs the placeholders {_STAGING_PLACEHOLDER} and "
            f"{_TARGET_PLACEHOLDER}"
        )
    return text


def staging_graphs(reader: Any) -> list[str]:
    """The staging graphs of ``guidebook push`` on the store ``reader`` queries."""
    from guidebook_kg import views

    path = files("guidebook_kg").joinpath(STAGING_QUERY)
    view = views.View(name="staging-graphs", path=Path(str(path)), text=path.read_text(
        encoding="utf-8"), summary="staging graphs", columns=(("graph", ""),))
    text = views.bound_text(view, {"base": ox.Literal(STAGING_BASE)})
    return [g for g in reader.select(text).values("graph") if g is not None]


def _remove_stale_staging(reader: Any, writer: Any, progress: Progress, whose: str) -> None:
    # With the union default graph that views need, a staging graph left on the store
    # (a push killed part-way) adds its triples to every view: duplicated programmes,
    # false disagreements. Push removes them before it writes and checks again after.
    stale = staging_graphs(reader)
    if not stale:
        return
    progress(f"Removing {len(stale)} staging graph(s) left by {whose}: {_names(stale)}")
    for graph in stale:
        writer.delete(graph)
    remaining = staging_graphs(reader)
    if remaining:
        raise EndpointError(
            f"{len(remaining)} staging graph(s) could not be removed: {_names(remaining)}",
            hint="remove them by hand (DROP GRAPH), then push again",
        )


def _clean_up(writer: Any, staging: str) -> None:
    # Best effort: when the endpoint is gone, the staging graph (if it was written at
    # all) stays behind under graph/staging/, apart from every real graph.
    with contextlib.suppress(EndpointError):
        writer.delete(staging)


def _part_way(
    err: EndpointError,
    endpoints: Endpoints,
    targets: Sequence[_Target],
    report: PushReport,
    failed: _Target,
    reader: Any,
) -> EndpointError:
    written = list(report.graphs)
    not_written = [t.graph for t in targets if t.graph not in report.graphs]
    try:
        left = staging_graphs(reader)
    except EndpointError:
        left = None
    staged = (
        " A staging graph may remain (the store cannot be asked); the next push removes it."
        if left is None
        else f" Staging graphs left: {_names(left)}; the next push removes them."
        if left
        else ""
    )
    return EndpointError(
        f"push to {endpoints.query} stopped at <{failed.graph}>: {err.message}. "
        f"Written and replaced: {_names(written)}. Not written (left as they were): "
        f"{_names(not_written)}.{staged}",
        hint="fix the store and push again with --replace; no graph was left half-replaced",
    )


def _names(graphs: Sequence[str]) -> str:
    if not graphs:
        return "none"
    shown = ", ".join(f"<{g}>" for g in graphs[:5])
    return shown + (f" and {len(graphs) - 5} more" if len(graphs) > 5 else "")
