"""The fast validation engine: the shapes in ``shapes/`` evaluated over the whole graph at once.

pyshacl evaluates every constraint once per focus node (and re-runs each SHACL-SPARQL
query per focus node), which takes minutes on a few thousand programmes. This engine
reads the same shapes graph and gives the same results (focus node, path, value, source
shape, constraint component, severity), but works set-at-a-time on pyoxigraph:

- the focus nodes of each targeted shape are computed once, as sets;
- the values of each property are read once per predicate, for every property shape
  that uses it, and each constraint is checked per focus node in Python, with per-value
  checks cached (a concept IRI repeated 10,000 times is checked once);
- shapes used through ``sh:node``/``sh:or``/... are checked on the distinct value nodes
  only, node by node, with the same constraint code;
- each SHACL-SPARQL constraint runs once over the whole graph with ``$this`` left free,
  and its solutions are kept for the shape's focus nodes.

Constructs this engine does not implement (complex property paths, qualified value
shapes, SPARQL-based constraint components, ...) are not skipped: the top-level shapes
that use them are handed to the pyshacl engine and its results are merged in. The test
suite runs both engines over every fixture and requires identical results.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from guidebook_kg.decorrelate import decorrelate
from guidebook_kg.prefixes import PREFIXES
from guidebook_kg.report import SH, Severity, ValidationResult

if TYPE_CHECKING:
    from guidebook_kg.validate import EngineInput

# RDF 1.2 triple terms can appear in a store; shapes never match them.
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Param = ox.NamedNode | ox.BlankNode | ox.Literal  # a term of the shapes graph
Node = ox.NamedNode | ox.BlankNode

RDF = PREFIXES["rdf"]
RDFS = PREFIXES["rdfs"]
XSD = PREFIXES["xsd"]


def _sh(name: str) -> ox.NamedNode:
    return ox.NamedNode(SH + name)


RDF_TYPE = ox.NamedNode(RDF + "type")
RDF_FIRST = ox.NamedNode(RDF + "first")
RDF_REST = ox.NamedNode(RDF + "rest")
RDF_NIL = ox.NamedNode(RDF + "nil")
RDF_LANGSTRING = RDF + "langString"
RDFS_SUBCLASS_OF = ox.NamedNode(RDFS + "subClassOf")
RDFS_CLASS = ox.NamedNode(RDFS + "Class")
RDFS_LITERAL = RDFS + "Literal"
RDFS_DATATYPE = RDFS + "Datatype"
XSD_STRING = XSD + "string"

# Shape-level parameters that are not constraints.
_NOT_CONSTRAINTS = frozenset(SH + n for n in (
    "targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf", "target", "path",
    "severity", "message", "deactivated", "name", "description", "order", "group",
    "defaultValue", "flags", "ignoredProperties", "declare", "prefixes", "sparql",
    "property",
))
# Parameters this engine evaluates, by the component they belong to.
_COMPONENT_OF = {SH + p: SH + c + "ConstraintComponent" for p, c in (
    ("class", "Class"), ("datatype", "Datatype"), ("nodeKind", "NodeKind"),
    ("minCount", "MinCount"), ("maxCount", "MaxCount"),
    ("minExclusive", "MinExclusive"), ("minInclusive", "MinInclusive"),
    ("maxExclusive", "MaxExclusive"), ("maxInclusive", "MaxInclusive"),
    ("minLength", "MinLength"), ("maxLength", "MaxLength"), ("pattern", "Pattern"),
    ("languageIn", "LanguageIn"), ("uniqueLang", "UniqueLang"), ("equals", "Equals"),
    ("disjoint", "Disjoint"), ("lessThan", "LessThan"),
    ("lessThanOrEquals", "LessThanOrEquals"), ("not", "Not"), ("and", "And"), ("or", "Or"),
    ("xone", "Xone"), ("node", "Node"), ("hasValue", "HasValue"), ("in", "In"),
)}
SPARQL_COMPONENT = SH + "SPARQLConstraintComponent"


class Unsupported(Exception):
    """A construct of the shapes graph this engine leaves to pyshacl."""


# ----------------------------------------------------------------------------- the model


@dataclass(eq=False)
class Constraint:
    """One constraint component of a shape, with its parameter values."""

    component: str
    parameter: str
    value: Param
    shapes: list[Shape] = field(default_factory=list)  # for node/not/and/or/xone
    members: list[Param] = field(default_factory=list)  # for in/languageIn
    flags: str = ""
    per_value: Callable[[Term], bool] | None = None


@dataclass(eq=False)
class SparqlConstraint:
    node: Node
    query: str
    prefixes: dict[str, str]
    messages: list[str]
    deactivated: bool
    whole_graph_query: str = ""  # the query with its EXISTS decorrelated

    def __post_init__(self) -> None:
        self.whole_graph_query = decorrelate(self.query)[0]


@dataclass(eq=False)
class Shape:
    node: Node
    path: ox.NamedNode | None = None
    inverse: bool = False
    is_property: bool = False
    severity: Severity = Severity.VIOLATION
    messages: list[str] = field(default_factory=list)
    deactivated: bool = False
    target_classes: list[ox.NamedNode] = field(default_factory=list)
    target_nodes: list[Param] = field(default_factory=list)
    target_subjects_of: list[ox.NamedNode] = field(default_factory=list)
    target_objects_of: list[ox.NamedNode] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    properties: list[Shape] = field(default_factory=list)
    sparql: list[SparqlConstraint] = field(default_factory=list)
    unsupported: str | None = None

    @property
    def nt(self) -> str:
        return str(self.node)

    @property
    def targeted(self) -> bool:
        return bool(self.target_classes or self.target_nodes or self.target_subjects_of
                    or self.target_objects_of)

    def tree(self) -> Iterator[Shape]:
        """This shape and every shape it uses, each once."""
        seen: set[int] = set()
        stack = [self]
        while stack:
            shape = stack.pop()
            if id(shape) in seen:
                continue
            seen.add(id(shape))
            yield shape
            stack.extend(shape.properties)
            for c in shape.constraints:
                stack.extend(c.shapes)

    def problem(self) -> str | None:
        """Why this shape (with the shapes it uses) must go to pyshacl, if it must."""
        for shape in self.tree():
            if shape.unsupported:
                return f"{shape.nt}: {shape.unsupported}"
        return None


class ShapesGraph:
    """The shapes of a shapes store, parsed into :class:`Shape` objects."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self.shapes: dict[Node, Shape] = {}
        # The parameters of constraint components the shapes graph declares itself
        # (SPARQL-based constraint components): a shape using one goes to pyshacl.
        self.custom_parameters = {
            path.value
            for quad in store.quads_for_pattern(None, _sh("parameter"), None)
            for path in self._objects(quad.object, _sh("path"))  # type: ignore[arg-type]
            if isinstance(path, ox.NamedNode)
        }
        for node in self._shape_nodes():
            self.shape(node)

    def _objects(self, subject: Node, predicate: ox.NamedNode) -> list[Param]:
        seen: dict[Param, None] = {}
        for quad in self.store.quads_for_pattern(subject, predicate, None):
            if not isinstance(quad.object, ox.Triple):
                seen[quad.object] = None  # a triple repeated in two shapes files counts once
        return list(seen)

    def _one(self, subject: Node, predicate: ox.NamedNode) -> Param | None:
        values = self._objects(subject, predicate)
        return values[0] if values else None

    def _list(self, head: Param) -> list[Param]:
        items: list[Param] = []
        node = head
        while node != RDF_NIL:
            if not isinstance(node, (ox.NamedNode, ox.BlankNode)):
                raise Unsupported("a malformed RDF list")
            first = self._one(node, RDF_FIRST)
            rest = self._one(node, RDF_REST)
            if first is None or rest is None or len(items) > 10_000:
                raise Unsupported("a malformed RDF list")
            items.append(first)
            node = rest
        return items

    def _shape_nodes(self) -> Iterator[Node]:
        kinds = (_sh("NodeShape"), _sh("PropertyShape"))
        seen: set[Node] = set()
        for predicate in ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf"):
            for quad in self.store.quads_for_pattern(None, _sh(predicate), None):
                seen.add(quad.subject)  # type: ignore[arg-type]
        for kind in kinds:
            for quad in self.store.quads_for_pattern(None, RDF_TYPE, kind):
                seen.add(quad.subject)  # type: ignore[arg-type]
        yield from sorted(seen, key=str)

    def shape(self, node: Term) -> Shape:
        if not isinstance(node, (ox.NamedNode, ox.BlankNode)):
            raise Unsupported(f"{node} used as a shape")
        found = self.shapes.get(node)
        if found is not None:
            return found
        shape = Shape(node)
        self.shapes[node] = shape  # before parsing its parts, so cycles terminate
        try:
            self._parse(shape)
        except Unsupported as why:
            shape.unsupported = str(why)
        return shape

    def _parse(self, shape: Shape) -> None:
        node = shape.node
        pairs = list(dict.fromkeys(
            (q.predicate.value, q.object) for q in self.store.quads_for_pattern(node, None, None)
            if not isinstance(q.object, ox.Triple)
        ))
        get = self._objects
        for value in get(node, _sh("severity")):
            shape.severity = Severity.from_iri(value.value) if isinstance(
                value, ox.NamedNode) and value.value.startswith(SH) else shape.severity
        shape.messages = sorted({m.value for m in get(node, _sh("message"))
                                 if isinstance(m, ox.Literal)})
        shape.deactivated = any(isinstance(v, ox.Literal) and v.value == "true"
                                for v in get(node, _sh("deactivated")))
        shape.target_classes = [c for c in get(node, _sh("targetClass"))
                                if isinstance(c, ox.NamedNode)]
        implicit = any(q.object == RDFS_CLASS
                       for q in self.store.quads_for_pattern(node, RDF_TYPE, None))
        if implicit and isinstance(node, ox.NamedNode):
            shape.target_classes.append(node)
        shape.target_nodes = get(node, _sh("targetNode"))
        shape.target_subjects_of = [p for p in get(node, _sh("targetSubjectsOf"))
                                    if isinstance(p, ox.NamedNode)]
        shape.target_objects_of = [p for p in get(node, _sh("targetObjectsOf"))
                                   if isinstance(p, ox.NamedNode)]
        if get(node, _sh("target")):
            raise Unsupported("SPARQL-based targets (sh:target)")
        paths = get(node, _sh("path"))
        if paths:
            shape.is_property = True
            path = paths[0]
            if isinstance(path, ox.NamedNode):
                shape.path = path
            else:
                inverse = (self._one(path, _sh("inversePath"))
                           if isinstance(path, ox.BlankNode) else None)
                if not isinstance(inverse, ox.NamedNode):
                    raise Unsupported("a property path other than a predicate or its inverse")
                shape.path, shape.inverse = inverse, True
        for prop in get(node, _sh("property")):
            shape.properties.append(self.shape(prop))
        for sparql in get(node, _sh("sparql")):
            shape.sparql.append(self._sparql(shape, sparql))
        flags = self._one(node, _sh("flags"))
        for predicate, value in pairs:
            if predicate in self.custom_parameters:
                raise Unsupported(f"<{predicate}> of a SPARQL-based constraint component")
            if predicate in _NOT_CONSTRAINTS or not predicate.startswith(SH):
                continue
            component = _COMPONENT_OF.get(predicate)
            if component is None:
                raise Unsupported(f"sh:{predicate.removeprefix(SH)} is not implemented")
            shape.constraints.append(self._constraint(shape, component, predicate, value, flags))

    def _constraint(self, shape: Shape, component: str, predicate: str, value: Param,
                    flags: Param | None) -> Constraint:
        c = Constraint(component, predicate, value)
        name = predicate.removeprefix(SH)
        if name in ("minCount", "maxCount", "minLength", "maxLength") and not (
                isinstance(value, ox.Literal) and _INTEGER_RE.fullmatch(value.value)):
            raise Unsupported(f"sh:{name} that is not a whole number")
        if name in ("minInclusive", "minExclusive", "maxInclusive", "maxExclusive",
                    "pattern", "uniqueLang") and not isinstance(value, ox.Literal):
            raise Unsupported(f"sh:{name} that is not a literal")
        if name in ("node", "not"):
            c.shapes = [self.shape(value)]
        elif name in ("and", "or", "xone"):
            c.shapes = [self.shape(member) for member in self._list(value)]
        elif name in ("in", "languageIn"):
            c.members = self._list(value)
        elif name == "pattern":
            c.flags = flags.value if isinstance(flags, ox.Literal) else ""
            try:
                re.compile(value.value)
            except re.error:
                raise Unsupported("an invalid sh:pattern") from None
        elif name in ("uniqueLang",) and not shape.is_property:
            raise Unsupported("sh:uniqueLang on a node shape")
        elif name in ("minCount", "maxCount") and not shape.is_property:
            raise Unsupported(f"sh:{name} on a node shape")
        elif (name in ("equals", "disjoint", "lessThan", "lessThanOrEquals")
              and not isinstance(value, ox.NamedNode)):
            raise Unsupported(f"sh:{name} with a non-IRI property")
        return c

    def _sparql(self, shape: Shape, node: Term) -> SparqlConstraint:
        if not isinstance(node, (ox.NamedNode, ox.BlankNode)):
            raise Unsupported("a malformed sh:sparql")
        if shape.is_property:
            raise Unsupported("SHACL-SPARQL on a property shape ($PATH)")
        select = self._one(node, _sh("select"))
        if not isinstance(select, ox.Literal):
            raise Unsupported("sh:sparql without sh:select")
        prefixes: dict[str, str] = {}
        for source in self._objects(node, _sh("prefixes")):
            if not isinstance(source, (ox.NamedNode, ox.BlankNode)):
                continue
            for declaration in self._objects(source, _sh("declare")):
                if not isinstance(declaration, (ox.NamedNode, ox.BlankNode)):
                    continue
                prefix = self._one(declaration, _sh("prefix"))
                namespace = self._one(declaration, _sh("namespace"))
                if isinstance(prefix, ox.Literal) and namespace is not None:
                    prefixes[prefix.value] = namespace.value
        if re.search(r"\$(currentShape|shapesGraph|PATH)\b", select.value):
            raise Unsupported("$currentShape, $shapesGraph or $PATH in sh:select")
        messages = sorted({m.value for m in self._objects(node, _sh("message"))
                           if isinstance(m, ox.Literal)})
        deactivated = any(isinstance(v, ox.Literal) and v.value == "true"
                          for v in self._objects(node, _sh("deactivated")))
        return SparqlConstraint(node, select.value, prefixes, messages, deactivated)


# ----------------------------------------------------------------------------- literals


_INTEGER_TYPES = {
    "integer": None, "long": (-(2**63), 2**63 - 1), "int": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1), "byte": (-128, 127),
    "nonNegativeInteger": (0, None), "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0), "negativeInteger": (None, -1),
    "unsignedLong": (0, 2**64 - 1), "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 2**16 - 1), "unsignedByte": (0, 255),
}
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")
_DECIMAL_RE = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_DOUBLE_RE = re.compile(r"([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?INF|NaN)")
_GYEAR_RE = re.compile(r"-?[0-9]{4,}(Z|[+-][0-9]{2}:[0-9]{2})?")
_GYEARMONTH_RE = re.compile(r"-?[0-9]{4,}-(0[1-9]|1[0-2])(Z|[+-][0-9]{2}:[0-9]{2})?")
_TZ_RE = re.compile(r"(Z|[+-][0-9]{2}:[0-9]{2})$")


def python_value(literal: ox.Literal) -> Any:
    """The value of a literal as Python compares it (None when ill-typed or unknown)."""
    datatype = literal.datatype.value
    lexical = literal.value
    if not datatype.startswith(XSD):
        return lexical if datatype == RDF_LANGSTRING else None
    local = datatype[len(XSD):]
    try:
        if local in _INTEGER_TYPES:
            if not _INTEGER_RE.fullmatch(lexical):
                return None
            number = int(lexical)
            bounds = _INTEGER_TYPES[local]
            if bounds is not None:
                low, high = bounds
                if (low is not None and number < low) or (high is not None and number > high):
                    return None
            return number
        if local == "decimal":
            return Decimal(lexical) if _DECIMAL_RE.fullmatch(lexical) else None
        if local in ("double", "float"):
            return float(lexical) if _DOUBLE_RE.fullmatch(lexical) else None
        if local == "boolean":
            return {"true": True, "1": True, "false": False, "0": False}.get(lexical)
        if local == "string":
            return lexical
        if local == "date":
            return date.fromisoformat(_TZ_RE.sub("", lexical))
        if local == "dateTime":
            return datetime.fromisoformat(lexical.replace("Z", "+00:00"))
    except (ValueError, InvalidOperation):
        return None
    return None


def well_formed(literal: ox.Literal) -> bool:
    """Whether the literal's lexical form is valid for its (XSD) datatype.

    Datatypes this function does not know are taken as well formed, as pyshacl does.
    """
    datatype = literal.datatype.value
    if not datatype.startswith(XSD):
        return True
    local = datatype[len(XSD):]
    if local in _INTEGER_TYPES or local in ("decimal", "double", "float", "boolean", "date",
                                            "dateTime"):
        return python_value(literal) is not None
    if local == "gYear":
        return bool(_GYEAR_RE.fullmatch(literal.value))
    if local == "gYearMonth":
        return bool(_GYEARMONTH_RE.fullmatch(literal.value))
    return True


_NUMERIC = (int, float, Decimal)


def _compare(a: ox.Literal, b: ox.Literal) -> int | None:
    """-1/0/1 as SPARQL orders two literal values, None when they are incomparable."""
    x, y = python_value(a), python_value(b)
    if x is None or y is None or isinstance(x, bool) or isinstance(y, bool):
        return None
    if isinstance(x, _NUMERIC) and isinstance(y, _NUMERIC):
        pass
    elif type(x) is not type(y):
        return None
    try:
        return int(x > y) - int(x < y)
    except TypeError:
        return None


def _string_of(term: Term) -> str | None:
    if isinstance(term, (ox.BlankNode, ox.Triple)):
        return None
    return term.value


# ----------------------------------------------------------------------------- evaluation


@dataclass(eq=False)
class _Job:
    """A property shape to evaluate for a set of focus nodes."""

    shape: Shape
    focus: set[Term]
    # When the focus nodes are exactly the instances of these classes, the bulk queries
    # (which join the class themselves) apply; otherwise values are looked up per node.
    classes: tuple[ox.NamedNode, ...] | None = None
    _values: dict[Term, set[Term]] | None = None


VALUES_MARKER = "# VALUES ROWS"

# Datatypes whose lexical forms can be invalid (well_formed checks them).
_CHECKED_DATATYPES = frozenset(
    XSD + name for name in (*_INTEGER_TYPES, "decimal", "double", "float", "boolean", "date",
                            "dateTime", "gYear", "gYearMonth")
)


@cache
def _template(name: str) -> str:
    return files("guidebook_kg").joinpath(f"engine/{name}.rq").read_text(encoding="utf-8")


def _bound(name: str, rows: Iterable[tuple[Term, ...]]) -> str:
    """Template ``name`` with its VALUES block filled with ``rows``.

    The rows are RDF terms written in N-Triples form (which SPARQL reads as the same
    terms): parameters are bound as data, never pasted as query text.
    """
    text = "\n    ".join("(" + " ".join(str(term) for term in row) + ")" for row in rows)
    return _template(name).replace(VALUES_MARKER, text)


Planned = dict[tuple[Term, ...], list[tuple[_Job, "Constraint"]]]


class Evaluator:
    """Evaluates shapes over one data store; caches what it learns about the data."""

    def __init__(self, data: ox.Store, focus_hint: frozenset[str] | None = None) -> None:
        self.data = data
        self.focus_hint = focus_hint
        self._instances: dict[ox.NamedNode, set[Term]] = {}
        self._subclasses: dict[ox.NamedNode, set[ox.NamedNode]] = {}
        self._conforms: dict[tuple[int, Term], bool] = {}
        self._in_progress: set[tuple[int, Term]] = set()
        self._value_checks: dict[int, dict[Term, bool]] = {}
        self.results: list[ValidationResult] = []

    # ---- data access

    def select(self, query: str) -> Iterator[ox.QuerySolution]:
        solutions = self.data.query(query, use_default_graph_as_union=True)
        assert isinstance(solutions, ox.QuerySolutions)
        return iter(solutions)

    def subclasses(self, cls: ox.NamedNode) -> set[ox.NamedNode]:
        """``cls`` and every class below it through rdfs:subClassOf in the data."""
        found = self._subclasses.get(cls)
        if found is None:
            found = {cls}
            stack = [cls]
            while stack:
                current = stack.pop()
                for quad in self.data.quads_for_pattern(None, RDFS_SUBCLASS_OF, current):
                    sub = quad.subject
                    if isinstance(sub, ox.NamedNode) and sub not in found:
                        found.add(sub)
                        stack.append(sub)
            self._subclasses[cls] = found
        return found

    def instances(self, cls: ox.NamedNode) -> set[Term]:
        found = self._instances.get(cls)
        if found is None:
            found = set()
            for sub in self.subclasses(cls):
                found.update(q.subject for q in self.data.quads_for_pattern(None, RDF_TYPE, sub))
            self._instances[cls] = found
        return found

    def values(self, node: Term, shape: Shape) -> set[Term]:
        """The value nodes of ``node`` for a property shape (by lookup, for one node)."""
        assert shape.path is not None
        if shape.inverse:
            return {q.subject for q in self.data.quads_for_pattern(None, shape.path, node)}
        return self.objects(node, shape.path)

    def objects(self, node: Term, predicate: ox.NamedNode) -> set[Term]:
        if isinstance(node, ox.Literal):
            return set()
        return {q.object for q in self.data.quads_for_pattern(node, predicate, None)}

    def subjects(self, predicate: ox.NamedNode, obj: Term) -> set[Term]:
        return {q.subject for q in self.data.quads_for_pattern(None, predicate, obj)}

    def focus_nodes(self, shape: Shape) -> set[Term]:
        focus: set[Term] = set(shape.target_nodes)
        for cls in shape.target_classes:
            focus |= self.instances(cls)
        for predicate in shape.target_subjects_of:
            focus.update(q.subject for q in self.data.quads_for_pattern(None, predicate, None))
        for predicate in shape.target_objects_of:
            focus.update(q.object for q in self.data.quads_for_pattern(None, predicate, None))
        if self.focus_hint is not None:
            focus = {f for f in focus if isinstance(f, ox.NamedNode)
                     and f.value in self.focus_hint}
        return focus

    def _bulk_classes(self, shape: Shape) -> tuple[ox.NamedNode, ...] | None:
        only_classes = not (shape.target_nodes or shape.target_subjects_of
                            or shape.target_objects_of)
        if only_classes and shape.target_classes and self.focus_hint is None:
            return tuple(shape.target_classes)
        return None

    # ---- results

    def report(self, shape: Shape, component: str, focus: Term, value: Term | None,
               path: ox.NamedNode | None = None, message: str | None = None) -> None:
        if path is None and shape.is_property:
            path = shape.path
        self.results.append(ValidationResult(
            focus_node=str(focus),
            source_shape=shape.nt,
            path=str(path) if path is not None else None,
            value=str(value) if value is not None else None,
            constraint_component=f"<{component}>",
            severity=shape.severity,
            message=message if message is not None else (
                " ".join(shape.messages) or _generic_message(component)),
        ))

    # ---- top level

    def run(self, shapes: Iterable[Shape]) -> list[ValidationResult]:
        """Evaluate the targeted ``shapes`` (and what they use) over the whole graph."""
        jobs: list[_Job] = []
        for shape in shapes:
            if shape.deactivated:
                continue
            focus = self.focus_nodes(shape)
            if not focus:
                continue
            if shape.is_property:
                jobs.append(_Job(shape, focus, self._bulk_classes(shape)))
            else:
                self._node_shape(shape, focus, jobs)
        self._property_jobs(jobs)
        return self.results

    def _node_shape(self, shape: Shape, focus: set[Term], jobs: list[_Job]) -> None:
        for constraint in shape.constraints:
            self._check(shape, constraint, {f: {f} for f in focus}, focus)
        classes = self._bulk_classes(shape)
        for prop in shape.properties:
            if not prop.deactivated:
                jobs.append(_Job(prop, focus, classes))
        for sparql in shape.sparql:
            if not sparql.deactivated:
                self._sparql_bulk(shape, sparql, focus)

    def _property_jobs(self, jobs: list[_Job]) -> None:
        """Evaluate property shapes: each constraint kind in one query for all shapes
        that use it (with the shapes' parameters bound as VALUES rows), or node by node
        where a bulk query does not apply."""
        plans: dict[str, Planned] = {name: {} for name in _BULK}
        for job in jobs:
            bulk = job.classes is not None and not job.shape.inverse
            for c in job.shape.constraints:
                keys = self._route(job, c) if bulk else None
                if keys is None:
                    self._check(job.shape, c, self._job_values(job), job.focus)
                    continue
                for name, key in keys:
                    plans[name].setdefault(key, []).append((job, c))
            if job.shape.properties:
                # A property shape with property shapes of its own: its value nodes are
                # their focus nodes.
                values = set().union(*self._job_values(job).values())
                self._property_jobs([_Job(p, values) for p in job.shape.properties
                                     if not p.deactivated])
        for name, handler in _BULK.items():
            if plans[name]:
                handler(self, plans[name])

    def _job_values(self, job: _Job) -> dict[Term, set[Term]]:
        if job._values is None:
            values = {f: self.values(f, job.shape) for f in job.focus}
            job._values = {f: v for f, v in values.items() if v}
        return job._values

    def _route(self, job: _Job, c: Constraint) -> list[tuple[str, tuple[Term, ...]]] | None:
        """Which bulk queries evaluate constraint ``c`` of a job, with which VALUES rows."""
        assert job.classes is not None
        assert job.shape.path is not None
        name = c.parameter[len(SH):]
        path = job.shape.path
        if name == "minCount":
            minimum = int(c.value.value)
            if minimum == 0:
                return []
            return [("min-count", (cls, path)) for cls in job.classes] if minimum == 1 else None
        if name == "maxCount":
            return [("max-count", (path,))] if int(c.value.value) >= 1 else None
        if name == "datatype":
            if c.value.value in (RDFS_LITERAL, RDFS_DATATYPE):
                return [("values", (path,))]
            return [("datatype", (path, c.value))]
        if name == "uniqueLang":
            return [("unique-lang", (path,))] if c.value.value == "true" else []
        if name == "hasValue":
            return [("has-value", (path, c.value))]
        if name == "class":
            return [("class", (path, c.value))]
        if name in _VALUE_CHECKS:
            return [("values", (path,))]
        return None

    # ---- bulk queries, one per constraint kind

    def _bulk_min_count(self, plan: Planned) -> None:
        seen: set[tuple[int, Term]] = set()
        for row in self.select(_bound("min-count", plan)):
            this = row["this"]
            for job, c in plan.get((row["class"], row["path"]), ()):
                if this in job.focus and (id(c), this) not in seen:
                    seen.add((id(c), this))
                    self.report(job.shape, c.component, this, None)

    def _bulk_max_count(self, plan: Planned) -> None:
        for row in self.select(_bound("max-count", plan)):
            this, path = row["this"], row["path"]
            assert isinstance(path, ox.NamedNode)
            count: int | None = None
            for job, c in plan.get((path,), ()):
                if this not in job.focus:
                    continue
                if count is None:
                    count = len(self.objects(this, path))  # distinct: the query counts a bag
                if count > int(c.value.value):
                    self.report(job.shape, c.component, this, None)

    def _bulk_datatype(self, plan: Planned) -> None:
        seen: set[tuple[int, Term, Term]] = set()
        for row in self.select(_bound("datatype", plan)):
            this, value = row["this"], row["value"]
            for job, c in plan.get((row["path"], row["datatype"]), ()):
                if this in job.focus and (id(c), this, value) not in seen:
                    seen.add((id(c), this, value))
                    self.report(job.shape, c.component, this, value)
        # Literals of the right datatype whose lexical form is invalid for it.
        checked = {key: jobs for key, jobs in plan.items()
                   if isinstance(key[1], ox.NamedNode) and key[1].value in _CHECKED_DATATYPES}
        if not checked:
            return
        for row in self.select(_bound("typed-values", checked)):
            value = row["value"]
            if not isinstance(value, ox.Literal) or well_formed(value):
                continue
            path = row["path"]
            assert isinstance(path, ox.NamedNode)
            for job, c in checked.get((path, value.datatype), ()):
                for this in self.subjects(path, value) & job.focus:
                    self.report(job.shape, c.component, this, value)

    def _bulk_unique_lang(self, plan: Planned) -> None:
        for row in self.select(_bound("unique-lang", plan)):
            this = row["this"]
            for job, c in plan.get((row["path"],), ()):
                if this in job.focus:
                    self.report(job.shape, c.component, this, None)

    def _bulk_has_value(self, plan: Planned) -> None:
        for (path, value), jobs in plan.items():
            assert isinstance(path, ox.NamedNode)
            having = self.subjects(path, value)
            for job, c in jobs:
                for this in job.focus - having:
                    self.report(job.shape, c.component, this, None)

    def _bulk_class(self, plan: Planned) -> None:
        for row in self.select(_bound("class", plan)):
            path, value = row["path"], row["value"]
            assert isinstance(path, ox.NamedNode)
            jobs = plan.get((path, row["class"]), ())
            if jobs:
                subjects = self.subjects(path, value)
                for job, c in jobs:
                    for this in subjects & job.focus:
                        self.report(job.shape, c.component, this, value)

    def _bulk_values(self, plan: Planned) -> None:
        # Each distinct value is checked once per constraint; only the subjects of
        # failing values are looked up.
        bad: dict[tuple[ox.NamedNode, Term], set[Term]] = {}
        for row in self.select(_bound("values", plan)):
            path, value = row["path"], row["value"]
            assert isinstance(path, ox.NamedNode)
            for job, c in plan.get((path,), ()):
                if not self._value_ok(c, value):
                    subjects = bad.get((path, value))
                    if subjects is None:
                        subjects = bad[(path, value)] = self.subjects(path, value)
                    for this in subjects & job.focus:
                        self.report(job.shape, c.component, this, value)

    def _value_ok(self, c: Constraint, value: Term) -> bool:
        cache = self._value_checks.setdefault(id(c), {})
        ok = cache.get(value)
        if ok is None:
            ok = cache[value] = self._value_check(c)(value)
        return ok

    # ---- constraints

    def _check(self, shape: Shape, c: Constraint, with_values: dict[Term, set[Term]],
               focus: set[Term]) -> None:
        """Evaluate one constraint for every focus node (``with_values``: those that have
        values; the others only matter to minCount and hasValue)."""
        name = c.parameter[len(SH):]
        if name == "minCount":
            minimum = int(c.value.value)
            if minimum > 0:
                for f in focus:
                    if len(with_values.get(f, ())) < minimum:
                        self.report(shape, c.component, f, None)
            return
        if name == "hasValue":
            for f in focus:
                if c.value not in with_values.get(f, ()):
                    self.report(shape, c.component, f, None)
            return
        per_focus = _PER_FOCUS.get(name)
        if per_focus is not None:
            for f, values in with_values.items():
                for value, path in per_focus(self, c, f, values):
                    self.report(shape, c.component, f, value, path)
            return
        for f, values in with_values.items():
            for v in values:
                if not self._value_ok(c, v):
                    self.report(shape, c.component, f, v)

    def _value_check(self, c: Constraint) -> Callable[[Term], bool]:
        if c.per_value is None:
            c.per_value = _VALUE_CHECKS[c.parameter[len(SH):]](self, c)
        return c.per_value

    def conforms(self, shape: Shape, node: Term) -> bool:
        """Whether ``node`` conforms to ``shape`` (results of any severity count)."""
        if shape.deactivated:
            return True
        key = (id(shape), node)
        known = self._conforms.get(key)
        if known is not None:
            return known
        if key in self._in_progress:
            return True  # a recursive shape: pyshacl also stops and counts it as conforming
        self._in_progress.add(key)
        try:
            result = self._conforms_now(shape, node)
        finally:
            self._in_progress.discard(key)
        self._conforms[key] = result
        return result

    def _conforms_now(self, shape: Shape, node: Term) -> bool:
        if shape.unsupported:
            raise Unsupported(shape.unsupported)
        values = self.values(node, shape) if shape.is_property else {node}
        saved = self.results
        self.results = []
        try:
            for constraint in shape.constraints:
                self._check(shape, constraint, {node: values} if values else {}, {node})
                if self.results:
                    return False
            for prop in shape.properties:
                for value in values:
                    if not self.conforms(prop, value):
                        return False
            for sparql in shape.sparql:
                if not sparql.deactivated and self._sparql_rows(sparql, node):
                    return False
            return True
        finally:
            self.results = saved

    # ---- SHACL-SPARQL

    def _sparql_rows(self, sparql: SparqlConstraint, this: Term | None
                     ) -> list[dict[str, Term]]:
        # For one node, the query as written with $this bound; for all nodes at once,
        # the decorrelated form (Oxigraph re-reads the store for every EXISTS otherwise).
        if this is not None:
            solutions = self.data.query(
                sparql.query, prefixes=sparql.prefixes, use_default_graph_as_union=True,
                substitutions={ox.Variable("this"): this},
            )
        else:
            solutions = self.data.query(
                sparql.whole_graph_query, prefixes=sparql.prefixes,
                use_default_graph_as_union=True,
            )
        assert isinstance(solutions, ox.QuerySolutions)
        names = [v.value for v in solutions.variables]
        rows: dict[tuple[Term | None, ...], dict[str, Term]] = {}
        for solution in solutions:
            values = tuple(solution[name] for name in names)
            if values not in rows:  # pyshacl reports identical solutions once
                rows[values] = {n: v for n, v in zip(names, values, strict=True) if v is not None}
        return list(rows.values())

    def _sparql_bulk(self, shape: Shape, sparql: SparqlConstraint, focus: set[Term]) -> None:
        # $this is left free, so the query runs once for all focus nodes; pre-binding
        # it (as pyshacl does) would run it once per node.
        for row in self._sparql_rows(sparql, None):
            this = row.get("this")
            if this is None or this not in focus:
                continue
            path = row.get("path")
            value = row.get("value", None if shape.is_property else this)
            bound = dict(row)
            messages = sparql.messages or shape.messages
            message = " ".join(_format_message(m, bound) for m in messages) or (
                f"Failure of the SPARQL constraint of {shape.nt}")
            self.report(shape, SPARQL_COMPONENT, this, value,
                        path if isinstance(path, ox.NamedNode) else None, message)


_BULK: dict[str, Callable[[Evaluator, Planned], None]] = {
    "min-count": Evaluator._bulk_min_count,
    "max-count": Evaluator._bulk_max_count,
    "datatype": Evaluator._bulk_datatype,
    "unique-lang": Evaluator._bulk_unique_lang,
    "has-value": Evaluator._bulk_has_value,
    "class": Evaluator._bulk_class,
    "values": Evaluator._bulk_values,
}


def _format_message(message: str, bound: dict[str, Term]) -> str:
    for name, value in bound.items():
        text = str(value) if isinstance(value, ox.Triple) else value.value
        # A function as replacement, so backslashes in the value are not read as escapes.
        message = re.sub(r"\{[?$]" + re.escape(name) + r"\}", _constant(text), message)
    return message


def _constant(text: str) -> Callable[[re.Match[str]], str]:
    return lambda _match: text


def _generic_message(component: str) -> str:
    name = component.removeprefix(SH).removesuffix("ConstraintComponent")
    return f"{name} constraint not met"


# ----------------------------------------------------------------------------- per value


def _class_check(ev: Evaluator, c: Constraint) -> Callable[[Term], bool]:
    assert isinstance(c.value, ox.NamedNode)
    members = ev.instances(c.value)
    return lambda v: not isinstance(v, ox.Literal) and v in members


def _datatype_check(ev: Evaluator, c: Constraint) -> Callable[[Term], bool]:
    wanted = c.value.value

    def check(v: Term) -> bool:
        if not isinstance(v, ox.Literal):
            return False
        if wanted == RDFS_LITERAL:
            return True
        if v.language:
            return wanted == RDF_LANGSTRING
        actual = v.datatype.value
        if actual != wanted:
            return wanted == RDFS_DATATYPE
        return well_formed(v)

    return check


_NODE_KINDS = {
    "IRI": (ox.NamedNode,), "BlankNode": (ox.BlankNode,), "Literal": (ox.Literal,),
    "BlankNodeOrIRI": (ox.BlankNode, ox.NamedNode),
    "BlankNodeOrLiteral": (ox.BlankNode, ox.Literal),
    "IRIOrLiteral": (ox.NamedNode, ox.Literal),
}


def _node_kind_check(ev: Evaluator, c: Constraint) -> Callable[[Term], bool]:
    kinds = _NODE_KINDS.get(c.value.value.removeprefix(SH), ())
    return lambda v: isinstance(v, kinds)


def _range_check(accept: Callable[[int], bool]) -> Callable[[Evaluator, Constraint],
                                                             Callable[[Term], bool]]:
    def make(ev: Evaluator, c: Constraint) -> Callable[[Term], bool]:
        bound = c.value
        assert isinstance(bound, ox.Literal)

        def check(v: Term) -> bool:
            if not isinstance(v, ox.Literal):
                return False
            order = _compare(v, bound)
            return order is not None and accept(order)

        return check

    return make


def _length_check(accept: Callable[[int, int], bool]) -> Callable[[Evaluator, Constraint],
                                                                  Callable[[Term], bool]]:
    def make(ev: Evaluator, c: Constraint) -> Callable[[Term], bool]:
        limit = int(c.value.value)

        def check(v: Term) -> bool:
            text = _string_of(v)
            return text is not None and accept(len(text), limit)

        return check

    return make


def _pattern_check(ev: Evaluator, c: Constraint) -> Callable[[Term], bool]:
    flags = 0
    if "i" in c.flags.lower():
        flags |= re.IGNORECASE
    if "m" in c.flags.lower():
        flags |= re.MULTILINE
    regex = re.compile(c.value.value, flags)

    def check(v: Term) -> bool:
        text = _string_of(v)
        return text is not None and regex.search(text) is not None

    return check


def _language_in_check(ev: Evaluator, c: Constraint) -> Callable[[Term], bool]:
    ranges = {m.value.lower() for m in c.members if isinstance(m, ox.Literal)}

    def check(v: Term) -> bool:
        if not isinstance(v, ox.Literal) or not v.language:
            return False
        if "*" in ranges:
            return True
        tag = v.language.lower()
        return any(tag == r or tag.startswith(r + "-") for r in ranges)

    return check


def _in_check(ev: Evaluator, c: Constraint) -> Callable[[Term], bool]:
    members = set(c.members)
    return lambda v: v in members


def _node_check(ev: Evaluator, c: Constraint) -> Callable[[Term], bool]:
    shape = c.shapes[0]
    return lambda v: ev.conforms(shape, v)


def _not_check(ev: Evaluator, c: Constraint) -> Callable[[Term], bool]:
    shape = c.shapes[0]
    return lambda v: not ev.conforms(shape, v)


def _and_check(ev: Evaluator, c: Constraint) -> Callable[[Term], bool]:
    return lambda v: all(ev.conforms(s, v) for s in c.shapes)


def _or_check(ev: Evaluator, c: Constraint) -> Callable[[Term], bool]:
    return lambda v: any(ev.conforms(s, v) for s in c.shapes)


def _xone_check(ev: Evaluator, c: Constraint) -> Callable[[Term], bool]:
    return lambda v: sum(1 for s in c.shapes if ev.conforms(s, v)) == 1


_VALUE_CHECKS: dict[str, Callable[[Evaluator, Constraint], Callable[[Term], bool]]] = {
    "class": _class_check,
    "datatype": _datatype_check,
    "nodeKind": _node_kind_check,
    "minExclusive": _range_check(lambda order: order > 0),
    "minInclusive": _range_check(lambda order: order >= 0),
    "maxExclusive": _range_check(lambda order: order < 0),
    "maxInclusive": _range_check(lambda order: order <= 0),
    "minLength": _length_check(lambda length, limit: length >= limit),
    "maxLength": _length_check(lambda length, limit: length <= limit),
    "pattern": _pattern_check,
    "languageIn": _language_in_check,
    "in": _in_check,
    "node": _node_check,
    "not": _not_check,
    "and": _and_check,
    "or": _or_check,
    "xone": _xone_check,
}


# ----------------------------------------------------------------------------- per focus

PerFocus = Callable[[Evaluator, Constraint, Term, set[Term]],
                    Iterable[tuple[Term | None, ox.NamedNode | None]]]


def _max_count(ev: Evaluator, c: Constraint, f: Term, values: set[Term]
               ) -> Iterable[tuple[Term | None, ox.NamedNode | None]]:
    return [(None, None)] if len(values) > int(c.value.value) else []


def _unique_lang(ev: Evaluator, c: Constraint, f: Term, values: set[Term]
                 ) -> Iterable[tuple[Term | None, ox.NamedNode | None]]:
    if c.value.value != "true":
        return []
    seen: set[str] = set()
    duplicated: set[str] = set()
    for v in values:
        if isinstance(v, ox.Literal) and v.language:
            tag = v.language.lower()
            (duplicated if tag in seen else seen).add(tag)
    return [(None, None)] * len(duplicated)


def _equals(ev: Evaluator, c: Constraint, f: Term, values: set[Term]
            ) -> Iterable[tuple[Term | None, ox.NamedNode | None]]:
    assert isinstance(c.value, ox.NamedNode)
    other = ev.objects(f, c.value)
    return [(v, None) for v in values - other] + [(o, None) for o in other - values]


def _disjoint(ev: Evaluator, c: Constraint, f: Term, values: set[Term]
              ) -> Iterable[tuple[Term | None, ox.NamedNode | None]]:
    assert isinstance(c.value, ox.NamedNode)
    return [(v, None) for v in values & ev.objects(f, c.value)]


def _less_than(accept: Callable[[int], bool]) -> PerFocus:
    def check(ev: Evaluator, c: Constraint, f: Term, values: set[Term]
              ) -> Iterable[tuple[Term | None, ox.NamedNode | None]]:
        assert isinstance(c.value, ox.NamedNode)
        failures: list[tuple[Term | None, ox.NamedNode | None]] = []
        for other in ev.objects(f, c.value):
            for v in values:
                if not _ordered(v, other, accept):
                    failures.append((v, None))
        return failures

    return check


def _ordered(v: Term, other: Term, accept: Callable[[int], bool]) -> bool:
    # pyshacl compares IRIs and strings as text, other literals by value.
    def key(term: Term) -> tuple[bool, Any]:
        if isinstance(term, ox.NamedNode):
            return True, term.value
        if isinstance(term, ox.Literal):
            value = python_value(term)
            return isinstance(value, str), value
        return False, None

    v_text, v_value = key(v)
    o_text, o_value = key(other)
    if v_value is None or o_value is None or v_text != o_text:
        return False
    try:
        return accept((v_value > o_value) - (v_value < o_value))
    except TypeError:
        return False


_PER_FOCUS: dict[str, PerFocus] = {
    "maxCount": _max_count,
    "uniqueLang": _unique_lang,
    "equals": _equals,
    "disjoint": _disjoint,
    "lessThan": _less_than(lambda order: order < 0),
    "lessThanOrEquals": _less_than(lambda order: order <= 0),
}


# ----------------------------------------------------------------------------- the engine


def validate(request: EngineInput) -> list[ValidationResult]:
    """The ``fast`` engine: same results as pyshacl, computed set-at-a-time."""
    from guidebook_kg import validate as validating

    # A broken sh:select is reported by name before any work, as the pyshacl engine
    # does; other broken shapes are unsupported here, so pyshacl reports them.
    validating._check_sparql_syntax(request.shapes)
    graph = ShapesGraph(request.shapes)
    top = [s for s in graph.shapes.values() if s.targeted]
    if request.shapes_selected:
        top = [s for s in top if any(t.node.value in request.shapes_selected
                                     for t in s.tree() if isinstance(t.node, ox.NamedNode))]
    supported = [s for s in top if s.problem() is None]
    handed_over = [s for s in top if s.problem() is not None]
    evaluator = Evaluator(request.data, request.focus)
    # The engine allocates millions of short-lived, acyclic objects; the cyclic
    # collector would rescan the growing sets on every pass (twice the run time at
    # 10,000 programmes) and has nothing to free.
    collecting = gc.isenabled()
    gc.disable()
    try:
        results = evaluator.run(supported)
    except Unsupported:  # pragma: no cover - problem() finds these before evaluation
        results = []
        handed_over = top
    finally:
        if collecting:
            gc.enable()
    if handed_over:
        results += _with_pyshacl(request, handed_over)
    return results


def unsupported_shapes(shapes: ox.Store) -> dict[str, str]:
    """Targeted shapes this engine hands to pyshacl, with the reason (for reports and tests)."""
    graph = ShapesGraph(shapes)
    return {s.nt: problem for s in graph.shapes.values()
            if s.targeted and (problem := s.problem()) is not None}


def _with_pyshacl(request: EngineInput, shapes: list[Shape]) -> list[ValidationResult]:
    from guidebook_kg import validate as validating

    named = [s for s in shapes if isinstance(s.node, ox.NamedNode)]
    selected = frozenset(s.node.value for s in named) if len(named) == len(shapes) else None
    results = validating.ENGINES["pyshacl"](validating.EngineInput(
        request.data, request.shapes, None if selected else request.focus, selected))
    wanted = {t.nt for s in shapes for t in s.tree()}
    return [r for r in results if r.source_shape in wanted]
