"""What every validation engine shares: the engine interface, and the SHACL-SPARQL queries
of a shapes graph (their prefixes, their syntax and SHACL's restrictions on them).

Engines import this module, never each other's or the registry's (``validate.py``), so
the modules form a tree: ``validate`` -> ``fastvalidate`` -> ``pyshacl_engine`` ->
``shacl`` -> ``report``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from guidebook_kg.datasource import Data
from guidebook_kg.errors import InputError, where
from guidebook_kg.prebinding import restrictions
from guidebook_kg.prefixes import PREFIXES
from guidebook_kg.report import SH, ValidationResult, compact

OWL_IMPORTS = PREFIXES["owl"] + "imports"
RDF_TYPE = PREFIXES["rdf"] + "type"

# Variables SHACL pre-binds in every constraint query (sh:select, sh:ask).
PREBOUND = ("this", "shapesGraph", "currentShape")


@dataclass(frozen=True)
class EngineInput:
    """What an engine validates.

    ``data`` holds the data graph as the union of its graphs; ``shapes`` the shapes graph
    (one named graph per shapes file). ``focus`` (node IRIs) and ``shapes_selected``
    (shape IRIs) are hints an engine may use to do less work: the caller filters the
    results by them in any case, so every engine gives the same answer.
    """

    data: ox.Store | Data  # the embedded store, or a remote one (datasource.py)
    shapes: ox.Store
    focus: frozenset[str] | None = None
    shapes_selected: frozenset[str] | None = None


Engine = Callable[[EngineInput], list[ValidationResult]]


# ----------------------------------------------------------------------------- SHACL-SPARQL


def sparql_prefixes(shapes: ox.Store, node: Any) -> dict[str, str]:
    """The prefixes of a SPARQL-based constraint or validator: the declarations reached
    by ``sh:prefixes/owl:imports*/sh:declare``. Raises :class:`InputError` when two of
    them give one prefix different namespaces (SHACL calls that ill-formed)."""
    declared: dict[str, str] = {}
    seen: set[Any] = set()
    stack = list(_objects(shapes, node, SH + "prefixes"))
    while stack:
        source = stack.pop()
        if source in seen or isinstance(source, ox.Literal):
            continue
        seen.add(source)
        stack.extend(_objects(shapes, source, OWL_IMPORTS))
        for declaration in _objects(shapes, source, SH + "declare"):
            prefix = next(_objects(shapes, declaration, SH + "prefix"), None)
            namespace = next(_objects(shapes, declaration, SH + "namespace"), None)
            if not isinstance(prefix, ox.Literal) or namespace is None:
                continue
            value = getattr(namespace, "value", "")
            if declared.get(prefix.value, value) != value:
                raise InputError(
                    f"{describe(shapes, node)}: the prefix {prefix.value}: is declared "
                    f"twice, as <{declared[prefix.value]}> and <{value}>",
                    hint="keep one sh:declare per prefix among its sh:prefixes",
                )
            declared[prefix.value] = value
    return declared


def check_sparql(shapes: ox.Store) -> None:
    """Check every ``sh:select`` and ``sh:ask`` of the shapes graph before validating,
    so a broken rule is reported by name (exit 3) even when no data reaches it:

    - it parses, with the prefixes its ``sh:prefixes`` declare;
    - it keeps SHACL's restrictions on pre-bound queries (no MINUS, VALUES or SERVICE,
      no ``AS`` to a pre-bound variable, sub-selects return ``$this``);
    - it does not use ``$shapesGraph``, which neither engine supports (SHACL makes it
      optional).

    pyoxigraph's parser does this in well under a millisecond per query.
    """
    empty = ox.Store()
    for kind in ("select", "ask"):
        for quad in shapes.quads_for_pattern(None, ox.NamedNode(SH + kind), None):
            if not isinstance(quad.object, ox.Literal):
                continue
            text = quad.object.value
            owner = describe(shapes, quad.subject)
            if re.search(r"[?$]shapesGraph\b", text):
                raise InputError(
                    f"{owner}: its sh:{kind} uses $shapesGraph, which this validator does "
                    "not support (SHACL makes it optional)",
                    hint="query the data graph only",
                )
            prefixes = sparql_prefixes(shapes, quad.subject)
            header = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(prefixes.items()))
            try:
                empty.query(header + text)
            except SyntaxError as err:
                raise InputError(
                    f"{owner}: its sh:{kind} is not valid SPARQL: "
                    f"{_sparql_error(err, header.count(chr(10)))}",
                    hint="fix the query, or declare its prefixes with sh:declare",
                ) from None
            why = restrictions(text, _prebound(shapes, quad.subject, kind))
            if why is not None:
                raise InputError(
                    f"{owner}: its sh:{kind} cannot be pre-bound: {why}",
                    hint="see SHACL appendix B, https://www.w3.org/TR/shacl/#pre-binding",
                )


def _prebound(shapes: ox.Store, node: Any, kind: str) -> set[str]:
    """The potentially pre-bound variables of a query: SHACL's, the parameters of the
    constraint component whose validator it is, and ``value`` in an ASK validator."""
    names = set(PREBOUND)
    if kind == "ask":
        names.add("value")
    for validator in ("validator", "nodeValidator", "propertyValidator"):
        for quad in shapes.quads_for_pattern(None, ox.NamedNode(SH + validator), node):
            for parameter in _objects(shapes, quad.subject, SH + "parameter"):
                for path in _objects(shapes, parameter, SH + "path"):
                    if isinstance(path, ox.NamedNode):
                        names.add(re.split(r"[#/:]", path.value)[-1])
    return names


def _sparql_error(err: SyntaxError, header_lines: int) -> str:
    # pyoxigraph: "error at LINE:COLUMN: expected one of ..." over several lines.
    text = " ".join(str(err.msg or err).split())
    match = re.match(r"error at (\d+):(\d+): (.*)", text)
    if match is None:
        return text[:200]
    line, column, reason = int(match[1]) - header_lines, match[2], match[3]
    if len(reason) > 120:
        reason = reason[:117] + "..."
    return f"query line {line}, column {column}: {reason}"


# ----------------------------------------------------------------------------- naming things


def describe(shapes: ox.Store, node: Any) -> str:
    """``file: shape gbsh:Name`` for a shape, or for the SPARQL constraint or validator
    ``node`` (named by the shape or component that uses it)."""
    owner = node
    for predicate in ("sparql", "validator", "nodeValidator", "propertyValidator"):
        users = [q.subject for q in shapes.quads_for_pattern(None, ox.NamedNode(SH + predicate),
                                                             node)]
        if users:
            owner = users[0]
            break
    graphs = [q.graph_name for q in shapes.quads_for_pattern(node, None, None)]
    source = file_of(graphs[0]) if graphs else "shapes"
    return f"{source}: shape {compact(str(owner))}"


def file_of(graph: Any) -> str:
    """The file a shapes graph was read from (graphs are named by their file URI)."""
    value = getattr(graph, "value", "")
    if value.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return where(Path(unquote(urlparse(value).path)))
    return "shapes"


def _objects(store: ox.Store, subject: Any, predicate: str) -> Iterator[Any]:
    node = ox.NamedNode(subject) if isinstance(subject, str) else subject
    if isinstance(node, ox.Literal):
        return
    for quad in store.quads_for_pattern(node, ox.NamedNode(predicate), None):
        yield quad.object
