"""The pyshacl engine: the reference SHACL implementation, behind the engine interface.

The only module that imports pyshacl. It copies the data and shapes stores into rdflib
graphs, runs ``pyshacl.validate`` and reads its report back into engine-neutral
:class:`~guidebook_kg.report.ValidationResult` objects. rdflib and pyshacl are imported
inside the functions that use them, so importing this module is cheap.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from guidebook_kg.errors import InputError, UsageError
from guidebook_kg.report import SH, Severity, ValidationResult, compact, display, path_text
from guidebook_kg.shacl import EngineInput, check_sparql, file_of, sparql_prefixes

if TYPE_CHECKING:
    import rdflib
    from rdflib.plugins.sparql.sparql import Query

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def validate(request: EngineInput) -> list[ValidationResult]:
    """Validate with pyshacl: the reference results."""
    import pyshacl
    from pyshacl.errors import ReportableRuntimeError

    check_sparql(request.shapes)
    if not isinstance(request.data, ox.Store):
        raise UsageError(
            "the pyshacl engine validates the embedded store only, not a remote store",
            hint="use the fast engine (the default) with --endpoint",
        )
    # rdflib logs (with a traceback) every ill-typed literal it converts, and warns about
    # odd booleans; the report says what is wrong with them instead.
    with warnings.catch_warnings(), _quiet():
        warnings.simplefilter("ignore")
        data = _rdflib_graph(request.data, _prepared_query_graph())
        shapes = _shapes_graph(request.shapes)
        # The focus and shape hints are not passed on: pyshacl's focus_nodes and
        # use_shapes also skip the values that sh:node and sh:or check (a concept outside
        # the focus, a concept shape not listed), so they lose results. The caller
        # filters instead.
        try:
            _, report_graph, _ = pyshacl.validate(
                data, shacl_graph=shapes, inference="none", advanced=False
            )
        except (ReportableRuntimeError, re.error) as err:
            raise _broken_shapes(request.shapes, shapes, err) from None
        except Exception as err:  # pyshacl raises plain exceptions for what it cannot do
            first_line = next(iter(str(err).strip().splitlines()), type(err).__name__)
            raise InputError(
                f"pySHACL cannot validate with these shapes: {first_line}",
                hint="use --engine fast, or change the shapes",
            ) from None
        return list(_results_from_report(report_graph, shapes))


class _quiet:
    """Silence logging while pyshacl and rdflib run (pyshacl binds a stderr handler)."""

    def __enter__(self) -> None:
        logging.disable(logging.CRITICAL)

    def __exit__(self, *exc: object) -> None:
        logging.disable(logging.NOTSET)


def _broken_shapes(shapes: ox.Store, graph: rdflib.Graph, err: Exception) -> InputError:
    """Name the shape behind a pyshacl load error; pyshacl's own messages do not."""
    from pyshacl.entrypoints import meta_validate

    for quad in shapes.quads_for_pattern(None, ox.NamedNode(SH + "pattern"), None):
        try:
            re.compile(getattr(quad.object, "value", ""))
        except re.error as bad:
            return InputError(
                f"{file_of(quad.graph_name)}: shape {compact(str(quad.subject))}: "
                f"sh:pattern is not a valid regular expression: {bad}",
                hint="fix the pattern",
            )
    # SHACL's own shapes for shapes graphs point at the offending shape and property.
    _, meta_report, _ = meta_validate(graph, inference="none")
    for result in _results_from_report(meta_report, graph):
        node = _node(result.focus_node)
        graphs = [q.graph_name for q in shapes.quads_for_pattern(node, None, None)] if node else []
        source = file_of(graphs[0]) if graphs else "shapes"
        path = f" {compact(result.path)}" if result.path else ""
        value = f" {display(result.value)}" if result.value else ""
        return InputError(
            f"{source}: shape {compact(result.focus_node)}:{path}{value}: {result.message}",
            hint="fix the shape; see https://www.w3.org/TR/shacl/",
        )
    first_line = next(iter(str(err).strip().splitlines()), repr(err))
    return InputError(f"the shapes cannot be used: {first_line}", hint="fix the shapes in shapes/")


def _node(nt: str) -> ox.NamedNode | ox.BlankNode | None:
    if nt.startswith("<") and nt.endswith(">"):
        return ox.NamedNode(nt[1:-1])
    if nt.startswith("_:"):
        return ox.BlankNode(nt[2:])
    return None


def _shapes_graph(shapes: ox.Store) -> rdflib.Graph:
    # The same shapes store is often validated against many data graphs (the test suite,
    # a server); converting it once saves a fifth of each validation. A shapes store is
    # not changed after load_shapes().
    global _SHAPES_CACHE
    if _SHAPES_CACHE is None or _SHAPES_CACHE[0] is not shapes:
        import rdflib

        graph = _rdflib_graph(shapes, rdflib.Graph())
        _declare_imported_prefixes(shapes, graph)
        _SHAPES_CACHE = (shapes, graph)
    return _SHAPES_CACHE[1]


_SHAPES_CACHE: tuple[ox.Store, rdflib.Graph] | None = None


def _declare_imported_prefixes(shapes: ox.Store, graph: rdflib.Graph) -> None:
    """SHACL takes a query's prefixes from ``sh:prefixes/owl:imports*/sh:declare``;
    pyshacl does not follow ``owl:imports``. Each value of ``sh:prefixes`` gets the
    declarations it imports as its own, so pyshacl sees them."""
    import rdflib

    sh = rdflib.Namespace(SH)
    for quad in shapes.quads_for_pattern(None, ox.NamedNode(SH + "prefixes"), None):
        source = quad.object
        if isinstance(source, ox.Literal):
            continue
        owned = {(str(p), str(n)) for d in graph.objects(_term(source), sh.declare)
                 for p in graph.objects(d, sh.prefix) for n in graph.objects(d, sh.namespace)}
        for prefix, namespace in sparql_prefixes(shapes, quad.subject).items():
            if (prefix, namespace) not in owned:
                declaration = rdflib.BNode()
                graph.add((_term(source), sh.declare, declaration))
                graph.add((declaration, sh.prefix, rdflib.Literal(prefix)))
                graph.add((declaration, sh.namespace,
                           rdflib.Literal(namespace, datatype=rdflib.XSD.anyURI)))
                owned.add((prefix, namespace))


def _prepared_query_graph() -> rdflib.Graph:
    """An rdflib graph that parses each SPARQL text once.

    pyshacl runs a SHACL-SPARQL constraint by handing the same query text to
    ``Graph.query`` for every focus node, and parsing dominates: about 90% of the time on
    the IPP graph (1.0 s down to 0.1 s once parsed). Parsed queries are cached by their
    text for the life of the process.
    """
    import rdflib
    from rdflib.plugins.sparql import prepareQuery

    class PreparedQueryGraph(rdflib.Graph):
        def query(self, query_object: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(query_object, str):
                text = _sorted_prefixes(query_object)
                prepared = _PREPARED.get(text)
                if prepared is None:
                    prepared = _PREPARED[text] = prepareQuery(text)
                query_object = prepared
            return super().query(query_object, *args, **kwargs)

    return PreparedQueryGraph()


_PREPARED: dict[str, Query] = {}


def _sorted_prefixes(query: str) -> str:
    # pyshacl writes the declared prefixes in no fixed order, which would defeat the cache.
    lines = query.split("\n")
    head = 0
    while head < len(lines) and lines[head].startswith("PREFIX "):
        head += 1
    return "\n".join(sorted(lines[:head]) + lines[head:])


def _term(node: Any) -> Any:
    import rdflib

    if isinstance(node, ox.NamedNode):
        return rdflib.URIRef(node.value)
    if isinstance(node, ox.BlankNode):
        return rdflib.BNode(node.value)
    if isinstance(node, ox.Literal):
        if node.language:
            return rdflib.Literal(node.value, lang=node.language)
        if node.datatype.value == XSD_STRING:
            return rdflib.Literal(node.value)
        # normalize=False keeps the lexical form: an ill-typed "none"^^xsd:boolean is
        # reported as written, not as rdflib's "false".
        return rdflib.Literal(node.value, datatype=rdflib.URIRef(node.datatype.value),
                              normalize=False)
    raise InputError(
        f"RDF 1.2 triple terms are not supported by the validator: {node}",
        hint="remove the quoted triple from the data",
    )


def _rdflib_graph(store: ox.Store, graph: rdflib.Graph) -> rdflib.Graph:
    """Copy every triple of ``store`` (all graphs, as one) into ``graph``.

    Literal hygiene: a string literal becomes rdflib's plain literal whether the file wrote
    ``"2"`` or ``"2"^^xsd:string`` (RDF 1.1 says they are the same term), so pyshacl's
    ``sh:in`` and ``sh:hasValue``, which compare rdflib terms, cannot tell them apart.
    """
    cache: dict[ox.NamedNode | ox.BlankNode | ox.Literal, rdflib.term.Node] = {}

    def term(node: Any) -> Any:
        found = cache.get(node)
        if found is None:
            found = cache[node] = _term(node)
        return found

    add = graph.add
    for quad in store:
        add((term(quad.subject), term(quad.predicate), term(quad.object)))
    return graph


def _results_from_report(report: rdflib.Graph, shapes: rdflib.Graph
                         ) -> Iterator[ValidationResult]:
    import rdflib

    sh = rdflib.Namespace(SH)

    def objects(node: str, predicate: str) -> list[str]:
        term = rdflib.BNode(node[2:]) if node.startswith("_:") else rdflib.URIRef(node[1:-1])
        found = list(report.objects(term, rdflib.URIRef(predicate)))
        if not found:  # a path pyshacl did not copy into its report
            found = list(shapes.objects(term, rdflib.URIRef(predicate)))
        return [_nt(o) for o in found]

    # Only the report's own results: those nested under sh:detail explain a sh:node or
    # sh:or failure and are not results of their own.
    for node in report.objects(None, sh.result):

        def one(prop: rdflib.URIRef, node: Any = node) -> Any:
            return report.value(node, prop)

        messages = sorted(str(m) for m in report.objects(node, sh.resultMessage))
        path = one(sh.resultPath)
        value = one(sh.value)
        yield ValidationResult(
            focus_node=_nt(one(sh.focusNode)),
            source_shape=_nt(one(sh.sourceShape)),
            path=path_text(_nt(path), objects) if path is not None else None,
            value=_nt(value) if value is not None else None,
            constraint_component=_nt(one(sh.sourceConstraintComponent)),
            severity=Severity.from_iri(str(one(sh.resultSeverity))),
            message=" ".join(dict.fromkeys(messages)),
        )


def _nt(term: Any) -> str:
    """The N-Triples form of an rdflib term, as pyoxigraph writes it."""
    import rdflib

    if isinstance(term, rdflib.URIRef):
        return str(ox.NamedNode(str(term)))
    if isinstance(term, rdflib.BNode):
        return f"_:{term}"
    if isinstance(term, rdflib.Literal):
        if term.language:
            return str(ox.Literal(str(term), language=term.language))
        if term.datatype is not None:
            return str(ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype))))
        return str(ox.Literal(str(term)))
    raise TypeError(f"unexpected term in a validation report: {term!r}")
