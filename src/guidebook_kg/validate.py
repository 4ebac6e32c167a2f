"""SHACL validation of the loaded graph against ``shapes/*.ttl``: engines, selection, rendering.

Engines are registered in :data:`ENGINES` by name; each turns an
:class:`~guidebook_kg.shacl.EngineInput` into engine-neutral
:class:`~guidebook_kg.report.ValidationResult` objects, and everything after that
(selection by ``--focus``/``--shape``, labels, programmes, rendering, the exit verdict) is
shared, so a second engine only has to produce results. The engines live in their own
modules (``fastvalidate.py``, and ``pyshacl_engine.py``, the only one that imports
pyshacl), which never import this one.

rdflib is imported inside the function that uses it: importing this module is cheap, so
the command line can list the engines without paying their start-up cost.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from guidebook_kg import fastvalidate, pyshacl_engine
from guidebook_kg import store as store_module
from guidebook_kg.datasource import Data, as_data
from guidebook_kg.derive import derive
from guidebook_kg.errors import InputError, UsageError, ValidationFailed, where
from guidebook_kg.namespaces import GB, programme_slug
from guidebook_kg.prefixes import PREFIXES, PROGRAMME_GRAPH_BASE
from guidebook_kg.progress import Progress, counting
from guidebook_kg.project import Project, rdf_files
from guidebook_kg.report import (
    SH,
    Severity,
    ValidationReport,
    compact,
    display,
    path_triples,
)
from guidebook_kg.shacl import Engine, EngineInput

__all__ = ["DEFAULT_ENGINE", "ENGINES", "Engine", "EngineInput", "ProjectReport", "check",
           "load_paths", "load_shapes", "render", "validate", "verdict"]

SHAPES_NAMESPACE = PREFIXES["gbsh"]

RDF_TYPE = PREFIXES["rdf"] + "type"
RDF_FIRST = PREFIXES["rdf"] + "first"
RDF_REST = PREFIXES["rdf"] + "rest"
XSD_STRING = PREFIXES["xsd"] + "string"
XSD_BOOLEAN = PREFIXES["xsd"] + "boolean"

# Labels shown beside a focus node, best first.
LABEL_PROPERTIES = (
    PREFIXES["rdfs"] + "label",
    PREFIXES["skos"] + "prefLabel",
    PREFIXES["foaf"] + "name",
    PREFIXES["dcterms"] + "title",
)

FORMATS = ("text", "json", "turtle")
FAIL_ON: dict[str, Severity | None] = {
    "violation": Severity.VIOLATION,
    "warning": Severity.WARNING,
    "info": Severity.INFO,
    "none": None,
}


# ----------------------------------------------------------------------------- engines


ENGINES: dict[str, Engine] = {"pyshacl": pyshacl_engine.validate, "fast": fastvalidate.validate}
"""Validation engines by name; ``guidebook validate --engine NAME`` picks one."""

DEFAULT_ENGINE = "fast"


# ----------------------------------------------------------------------------- reports


@dataclass
class ProjectReport(ValidationReport):
    """A validation report that also knows which programme file each focus node is from."""

    programmes: dict[str, str] = field(default_factory=dict)
    """Focus node (N-Triples) -> slug of the programme file that describes it."""
    checked: int = 0
    """How many programme files were validated."""


# ----------------------------------------------------------------------------- loading


def _quiet(message: str) -> None:
    return None


def load_paths(
    project: Project, paths: Sequence[Path], progress: Progress = _quiet
) -> ox.Store:
    """The project's ontology plus ``paths`` (files, or folders of RDF files) in a new store.

    Each file goes to the graph of its file stem, like a programme file. The ontology is
    always included: it holds the concept schemes and standards the shapes rely on.
    """
    files = list(_expand(paths))
    ontology = project.ontology_files()
    store = ox.Store()
    with counting(progress, "Loading files", len(ontology) + len(files)) as advance:
        for path in ontology:
            store_module.load_file(store, path, store_module.ONTOLOGY_GRAPH_NODE)
            advance(1)
        for path in files:
            store_module.load_file(store, path, store_module.programme_graph(path.stem))
            advance(1)
    progress("Deriving what the evidence standards say")
    derive(store, project.derivation_files())
    return store


def _expand(paths: Sequence[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            found = rdf_files(path, store_module.FORMATS_BY_EXTENSION)
            if not found:
                raise InputError(f"{where(path)}: no RDF files in this folder")
            yield from found
        else:
            yield path


def load_shapes(paths: Sequence[Path]) -> ox.Store:
    """Parse the shapes files, each into a named graph named by its file URI."""
    if not paths:
        raise InputError(
            "no shapes to validate against: the project has no shapes/*.ttl",
            hint="run from the project root or pass --project DIR",
        )
    shapes = ox.Store()
    for path in paths:
        store_module.load_file(shapes, path, ox.NamedNode(path.resolve().as_uri()))
    return shapes


# ----------------------------------------------------------------------------- validating


def validate(
    data: ox.Store,
    project: Project,
    *,
    engine: str = DEFAULT_ENGINE,
    focus: str | None = None,
    shape: str | None = None,
    progress: Progress = _quiet,
) -> ProjectReport:
    """Validate ``data`` (ontology and data, e.g. from :func:`store.load`) against the
    project's ``shapes/*.ttl``, telling ``progress`` so.

    ``focus`` narrows the report to one node: a programme slug or IRI means every resource
    described in that programme's file. ``shape`` narrows it to one shape, named by its
    local name (``RatingAgreesWithEvidence``), ``gbsh:`` name or IRI. Raises :class:`UsageError`
    for an unknown engine and :class:`InputError` for unknown focus or shape names and
    unusable shapes.
    """
    shapes = load_shapes(project.shape_files())
    progress(f"Validating against the shapes ({engine} engine)")
    return check(data, shapes, engine=engine, focus=focus, shape=shape)


def check_ratings(data: ox.Store, project: Project, focus: str | None = None) -> ProjectReport:
    """Validate ``data`` against the rating rules only (``shapes/ratings.ttl``): the report
    ``guidebook validate`` gives for them, so ``guidebook rate`` and ``validate`` agree."""
    shapes = load_shapes(project.shape_files())
    graph = ox.NamedNode(project.rating_rules.resolve().as_uri())
    rules = frozenset(
        q.subject.value
        for q in shapes.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), None, graph)
        if isinstance(q.subject, ox.NamedNode)
    )
    return check(data, shapes, focus=focus, selected=rules)


def check(
    data: ox.Store | Data,
    shapes: ox.Store,
    *,
    engine: str = DEFAULT_ENGINE,
    focus: str | None = None,
    shape: str | None = None,
    selected: frozenset[str] | None = None,
) -> ProjectReport:
    """Validate ``data`` against the shapes graph ``shapes``; see :func:`validate`.
    ``selected``, if given, is the set of shape IRIs to run (instead of ``shape``)."""
    try:
        run = ENGINES[engine]
    except KeyError:
        raise UsageError(
            f"unknown validation engine {engine!r}",
            hint=f"choose one of: {', '.join(sorted(ENGINES))}",
        ) from None
    focus_nodes = resolve_focus(data, focus) if focus is not None else None
    if shape is not None:
        selected = resolve_shape(shapes, shape)

    results = run(EngineInput(data, shapes, focus_nodes, selected))

    if focus_nodes is not None:
        wanted = {_nt_iri(node) for node in focus_nodes}
        results = [r for r in results if r.focus_node in wanted]
    if selected is not None:
        wanted = {_nt_iri(s) for s in selected}
        results = [r for r in results if r.source_shape in wanted]

    # A remote store answers the lookups below from one batch (see datasource.py).
    as_data(data).prefetch({n for r in results if (n := _node(r.focus_node))}, None, True)
    programmes = {
        r.focus_node: slug for r in results if (slug := _programme_slug(data, r.focus_node))
    }
    results.sort(
        key=lambda r: (
            programmes.get(r.focus_node, "\uffff"),
            r.focus_node,
            -r.severity.rank,
            r.severity.iri,
            r.source_shape,
            r.path or "",
            r.value or "",
        )
    )
    return ProjectReport(
        results=results,
        engine=engine,
        labels={
            node: label
            for node in {r.focus_node for r in results}
            if (label := _label(data, node)) is not None
        },
        programmes=programmes,
        checked=_checked_programmes(data, focus_nodes),
    )


def verdict(report: ValidationReport, fail_on: str) -> None:
    """Raise :class:`ValidationFailed` when a result is at or above ``fail_on``."""
    level = FAIL_ON[fail_on]
    if level is None:
        return
    failing = report.at_or_above(level)
    if failing:
        raise ValidationFailed(
            f"does not conform: {_plural(len(failing), 'result')} at or above --fail-on {fail_on}"
        )


# ----------------------------------------------------------------------------- selection


def resolve_focus(data: ox.Store | Data, focus: str) -> frozenset[str]:
    """The node IRIs that ``--focus`` names: a slug or programme IRI names its whole file."""
    text = focus.strip()
    graphs = _graph_set(data)
    is_slug = text and not any(c in text for c in ":/<> ")
    slug = text if is_slug else programme_slug(_expand_name(text))
    if slug is not None and store_module.programme_graph(slug) in graphs:
        return frozenset(
            q.subject.value
            for q in data.quads_for_pattern(None, None, None, store_module.programme_graph(slug))
            if isinstance(q.subject, ox.NamedNode)
        )
    iri = _expand_name(text)
    try:
        node = ox.NamedNode(iri) if _looks_like_iri(iri) else None
    except ValueError:
        node = None
    if node is None or next(iter(data.quads_for_pattern(node, None, None)), None) is None:
        raise InputError(
            f"--focus {focus}: no such programme or node in the graph",
            hint="give a programme slug such as infant-parent-psychotherapy, or the IRI of a "
            "resource the data describes",
        )
    return frozenset({iri})


def resolve_shape(shapes: ox.Store, name: str) -> frozenset[str]:
    """The shape IRIs that ``--shape NAME`` selects.

    A node shape brings its property shapes; a shape used through sh:node or sh:or (a
    concept or literal shape) brings the shapes that use it, since their results are the
    ones that report it.
    """
    known = _shape_iris(shapes)
    iri = _expand_name(name.strip(), default_namespace=SHAPES_NAMESPACE)
    if iri not in known:
        local = {k.removeprefix(SHAPES_NAMESPACE): k for k in known}
        close = difflib.get_close_matches(name, list(local), n=3)
        raise InputError(
            f"--shape {name}: no such shape",
            hint=f"did you mean {', '.join(close)}?"
            if close
            else "shape names are the local names in shapes/*.ttl, e.g. RatingAgreesWithEvidence",
        )
    selected = {iri}
    selected |= {o.value for o in _objects(shapes, iri, SH + "property")}
    for user in _subjects(shapes, SH + "node", iri):
        selected.add(user)
    for list_node in _lists_containing(shapes, iri):
        selected |= set(_subjects(shapes, SH + "or", list_node))
    return frozenset(selected)


# ----------------------------------------------------------------------------- rendering


def render(report: ProjectReport, fmt: str, *, limit: int | None = None) -> str:
    """The report as ``text`` (for people), ``json`` (compact, stable keys) or ``turtle``
    (the W3C SHACL validation report graph). ``limit`` caps the results the text lists
    (its counts cover them all)."""
    if fmt == "text":
        return render_text(report, limit=limit)
    if fmt == "json":
        return render_json(report)
    if fmt == "turtle":
        return render_turtle(report)
    raise UsageError(f"unknown report format {fmt!r}", hint=f"choose one of: {', '.join(FORMATS)}")


def summary(report: ProjectReport) -> str:
    """One line: ``3 violations, 1 warning in 2 programmes``."""
    counts = [
        _plural(report.count(Severity.VIOLATION), "violation"),
        _plural(report.count(Severity.WARNING), "warning"),
    ]
    if report.count(Severity.INFO):
        counts.append(_plural(report.count(Severity.INFO), "info"))
    for severity, count in report.custom_severities().items():
        counts.append(f"{_plural(count, 'result')} of severity {severity.label}")
    if not report.results:
        return f"{', '.join(counts)} in {_plural(report.checked, 'programme')} checked"
    slugs = {report.programmes.get(r.focus_node) for r in report.results}
    where_ = _plural(len(slugs - {None}), "programme")
    outside = {r.focus_node for r in report.results if r.focus_node not in report.programmes}
    if outside:
        where_ += f" and {_plural(len(outside), 'node')} outside any programme"
    return f"{', '.join(counts)} in {where_}"


def render_text(report: ProjectReport, *, limit: int | None = None) -> str:
    """Counts per rule first, then the results grouped by resource (at most ``limit`` of
    them), then the summary. Results that would print the same lines (one value failing
    two constraints of one shape, e.g. sh:datatype and sh:minInclusive) print once."""
    shown: dict[tuple[str, ...], list[str]] = {}
    for result in report.results:
        line = (
            result.focus_node,
            result.severity.label,
            result.source_shape,
            result.message,
            result.path or "",
            result.value or "",
        )
        shown.setdefault(line, []).append(result.constraint_component)
    lines: list[str] = []
    if shown:
        per_rule: dict[tuple[str, str], int] = {}
        for result in report.results:
            rule = (result.severity.label, result.source_shape)
            per_rule[rule] = per_rule.get(rule, 0) + 1
        lines.append(summary(report) + ", by rule:")
        width = len(f"{max(per_rule.values()):,}")
        for (severity, shape), count in sorted(
            per_rule.items(), key=lambda item: (-item[1], item[0][1])
        ):
            lines.append(f"  {count:>{width},}  {compact(shape)} ({severity.lower()})")
        lines.append("")
    focus = None
    listed = 0
    for (node, severity, shape, message, path, value), components in shown.items():
        if limit is not None and listed == limit:
            break
        listed += 1
        if node != focus:
            if focus is not None:
                lines.append("")
            focus = node
            label = report.labels.get(node)
            compacted = compact(node)
            slug = report.programmes.get(node)
            head = f"{label} ({compacted})" if label else compacted
            lines.append(f"{head}  [{slug}]" if slug else head)
        lines.append(f"  {severity:<9} {compact(shape)}: {message}")
        detail = []
        if path:
            detail.append(f"path {compact(path)}")
        if value:
            detail.append(f"value {display(value)}")
        if len(components) > 1:
            names = [compact(c).removeprefix("sh:").removesuffix("ConstraintComponent")
                     for c in components]
            detail.append("fails " + ", ".join(names))
        if detail:
            lines.append(f"  {'':<9} " + "  ".join(detail))
    if listed < len(shown):
        lines += ["", f"... and {len(shown) - listed:,} more (--limit shows more; 0 shows all)"]
    if lines:
        lines.append("")
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def render_json(report: ProjectReport) -> str:
    document = {
        "conforms": report.conforms,
        "engine": report.engine,
        "summary": {
            "violations": report.count(Severity.VIOLATION),
            "warnings": report.count(Severity.WARNING),
            "infos": report.count(Severity.INFO),
            "otherSeverities": {
                f"<{severity.iri}>": count
                for severity, count in report.custom_severities().items()
            },
            "programmes": len(
                {report.programmes.get(r.focus_node) for r in report.results} - {None}
            )
            if report.results
            else report.checked,
            "text": summary(report),
        },
        "results": [
            {
                "focusNode": r.focus_node,
                "focusLabel": report.labels.get(r.focus_node),
                "programme": report.programmes.get(r.focus_node),
                "severity": r.severity.label,
                "resultSeverity": f"<{r.severity.iri}>",
                "sourceShape": r.source_shape,
                "shape": compact(r.source_shape),
                "path": r.path,
                "value": r.value,
                "constraintComponent": r.constraint_component,
                "message": r.message,
            }
            for r in report.results
        ],
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def render_turtle(report: ProjectReport) -> str:
    import rdflib

    # N-Triples terms are Turtle terms, so the report is written as N-Triples and then
    # pretty-printed with the project's prefixes.
    report_node = "_:validationReport"
    path_nodes = iter(range(1 << 62))
    lines = [
        f"{report_node} <{RDF_TYPE}> <{SH}ValidationReport> .",
        f'{report_node} <{SH}conforms> "{str(report.conforms).lower()}"^^<{XSD_BOOLEAN}> .',
    ]
    for number, r in enumerate(report.results):
        node = f"_:validationResult{number}"
        lines.append(f"{report_node} <{SH}result> {node} .")
        lines.append(f"{node} <{RDF_TYPE}> <{SH}ValidationResult> .")
        lines.append(f"{node} <{SH}focusNode> {r.focus_node} .")
        if r.path:
            path, described = path_triples(r.path, lambda: f"_:path{next(path_nodes)}")
            lines.append(f"{node} <{SH}resultPath> {path} .")
            lines.extend(described)
        if r.value:
            lines.append(f"{node} <{SH}value> {r.value} .")
        lines.append(f"{node} <{SH}sourceShape> {r.source_shape} .")
        lines.append(f"{node} <{SH}sourceConstraintComponent> {r.constraint_component} .")
        lines.append(f"{node} <{SH}resultSeverity> <{r.severity.iri}> .")
        if r.message:
            lines.append(f"{node} <{SH}resultMessage> {ox.Literal(r.message)} .")
    graph = rdflib.Graph(bind_namespaces="none")
    graph.parse(data="\n".join(lines) + "\n", format="nt")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    text: str = graph.serialize(format="turtle")
    return text


# ----------------------------------------------------------------------------- helpers


def _objects(store: ox.Store, subject: Any, predicate: str) -> Iterator[Any]:
    node = ox.NamedNode(subject) if isinstance(subject, str) else subject
    for quad in store.quads_for_pattern(node, ox.NamedNode(predicate), None):
        yield quad.object


def _subjects(store: ox.Store, predicate: str, obj: Any) -> Iterator[str]:
    node = ox.NamedNode(obj) if isinstance(obj, str) else obj
    for quad in store.quads_for_pattern(None, ox.NamedNode(predicate), node):
        if isinstance(quad.subject, ox.NamedNode):
            yield quad.subject.value


def _lists_containing(store: ox.Store, member: str) -> Iterator[Any]:
    """The heads of the RDF lists that contain ``member``."""
    for quad in store.quads_for_pattern(None, ox.NamedNode(RDF_FIRST), ox.NamedNode(member)):
        cell = quad.subject
        while True:
            previous = next(iter(store.quads_for_pattern(None, ox.NamedNode(RDF_REST), cell)), None)
            if previous is None:
                break
            cell = previous.subject
        yield cell


def _shape_iris(shapes: ox.Store) -> set[str]:
    kinds = (ox.NamedNode(SH + "NodeShape"), ox.NamedNode(SH + "PropertyShape"))
    return {
        q.subject.value
        for kind in kinds
        for q in shapes.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), kind)
        if isinstance(q.subject, ox.NamedNode)
    }


def _graph_set(store: ox.Store | Data) -> set[ox.NamedNode]:
    return {g for g in store.named_graphs() if isinstance(g, ox.NamedNode)}


def _programme_slug(store: ox.Store | Data, focus: str) -> str | None:
    node = _node(focus)
    if node is None:
        return None
    slugs = sorted(
        q.graph_name.value.removeprefix(PROGRAMME_GRAPH_BASE)
        for q in store.quads_for_pattern(node, None, None)
        if isinstance(q.graph_name, ox.NamedNode)
        and q.graph_name.value.startswith(PROGRAMME_GRAPH_BASE)
    )
    return slugs[0] if slugs else None


def _checked_programmes(store: ox.Store | Data, focus: frozenset[str] | None) -> int:
    if focus is None:
        # Programmes, not files: data/shared.ttl and the like hold no programme.
        typed = store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(GB.Programme))
        return len({q.subject for q in typed})
    return len({slug for node in focus if (slug := _programme_slug(store, _nt_iri(node)))})


def _label(store: ox.Store | Data, focus: str) -> str | None:
    node = _node(focus)
    if node is None:
        return None
    for prop in LABEL_PROPERTIES:
        labels = [
            q.object
            for q in store.quads_for_pattern(node, ox.NamedNode(prop), None)
            if isinstance(q.object, ox.Literal)
        ]
        if labels:
            labels.sort(
                key=lambda lit: (lit.language not in (None, "en"), lit.language or "", lit.value)
            )
            return str(labels[0].value)
    return None


def _node(nt: str) -> ox.NamedNode | ox.BlankNode | None:
    if nt.startswith("<") and nt.endswith(">"):
        return ox.NamedNode(nt[1:-1])
    if nt.startswith("_:"):
        return ox.BlankNode(nt[2:])
    return None


def _nt_iri(iri: str) -> str:
    return f"<{iri}>"


def _looks_like_iri(text: str) -> bool:
    scheme, colon, _ = text.partition(":")
    return bool(colon) and scheme.isascii() and scheme[:1].isalpha()


def _expand_name(name: str, default_namespace: str | None = None) -> str:
    """``<iri>``, ``prefix:local`` (project prefixes and ``gbsh:``) or, with a default
    namespace, a bare local name -> full IRI."""
    if name.startswith("<") and name.endswith(">"):
        return name[1:-1]
    prefixes = PREFIXES
    prefix, colon, local = name.partition(":")
    if colon and prefix in prefixes and not local.startswith("//"):
        return prefixes[prefix] + local
    if not colon and default_namespace is not None:
        return default_namespace + name
    return name


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
