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
- each SHACL-SPARQL constraint runs with ``$this`` pre-bound as SHACL defines it: once
  over the whole graph with ``$this`` free where ``prebinding.plan`` proves that gives
  the same solutions, else with the focus nodes inserted into the query, a batch at a
  time (see ``prebinding.py``);
- every SHACL property path is evaluated (predicates by bulk queries; inverse, sequence,
  alternative and closure paths node by node) and reported as the spec says.

Constructs this engine does not implement (qualified value shapes, SPARQL-based
constraint components and targets, ``$currentShape``, ...) are not skipped: the
top-level shapes that use them are handed to the pyshacl engine and its results are
merged in, as are shapes whose SHACL-SPARQL constraints must be pre-bound in the query
text to blank-node focus nodes (a query cannot name a blank node of the store). The test
suite runs both engines over every fixture and requires identical results, and runs the
W3C SHACL test suite through both.
"""

from __future__ import annotations

import gc
import math
import re
import struct
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib.resources import files
from typing import Any

import pyoxigraph as ox

from guidebook_kg import prebinding, pyshacl_engine
from guidebook_kg.datasource import Data, Row, as_data
from guidebook_kg.decorrelate import decorrelate
from guidebook_kg.errors import InputError, UsageError
from guidebook_kg.prefixes import PREFIXES
from guidebook_kg.report import SH, Severity, ValidationResult, path_text
from guidebook_kg.shacl import EngineInput, check_sparql, describe, sparql_prefixes

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
    "property", "select",  # sh:select of a shape that is its own SPARQL constraint
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
    ("closed", "Closed"),
)}
SPARQL_COMPONENT = SH + "SPARQLConstraintComponent"
TRUE = ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))
# Focus nodes per query when a SHACL-SPARQL constraint runs with them inserted.
SPARQL_BATCH = 200


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
    plan: prebinding.Plan = field(init=False)
    # The plan's query with its correlated EXISTS rewritten (see decorrelate.py).
    runnable: str = field(init=False)

    def __post_init__(self) -> None:
        self.plan = prebinding.plan(self.query)
        self.runnable = decorrelate(self.plan.text)[0]


@dataclass(frozen=True)
class Path:
    """A SHACL property path: ``pred`` (an IRI), ``inv``, ``seq``, ``alt``, ``*``, ``+``
    or ``?``; ``text`` is its result-path form (see report.py)."""

    kind: str
    parts: tuple[Path, ...] = ()
    predicate: ox.NamedNode | None = None
    text: str = ""


@dataclass(eq=False)
class Shape:
    node: Node
    path: Path | None = None
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
    def predicate(self) -> ox.NamedNode | None:
        """The predicate of a property shape whose path is a plain IRI."""
        return self.path.predicate if self.path is not None and self.path.kind == "pred" \
            else None

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
            if isinstance(value, ox.NamedNode):  # SHACL allows any IRI as a severity
                shape.severity = Severity.from_iri(value.value)
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
            shape.path = self._path(paths[0], 0)
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

    def _path(self, node: Param, depth: int) -> Path:
        """The SHACL property path at ``node``: a list is a sequence path, whatever else
        the node says (as the W3C suite's path-strange tests expect)."""
        if depth > 50 or isinstance(node, ox.Literal):
            raise Unsupported("a malformed property path")
        if isinstance(node, ox.NamedNode):
            return Path("pred", predicate=node, text=str(node))
        text = path_text(str(node), self._nt_objects)
        if text.startswith("_:"):
            raise Unsupported("a malformed property path")
        if self._one(node, RDF_FIRST) is not None:
            parts = tuple(self._path(p, depth + 1) for p in self._list(node))
            return parts[0] if len(parts) == 1 else Path("seq", parts, text=text)
        alternatives = self._one(node, _sh("alternativePath"))
        if alternatives is not None:
            parts = tuple(self._path(p, depth + 1) for p in self._list(alternatives))
            return parts[0] if len(parts) == 1 else Path("alt", parts, text=text)
        for name, kind in (("inversePath", "inv"), ("zeroOrMorePath", "*"),
                           ("oneOrMorePath", "+"), ("zeroOrOnePath", "?")):
            inner = self._one(node, _sh(name))
            if inner is not None:
                return Path(kind, (self._path(inner, depth + 1),), text=text)
        raise Unsupported("a malformed property path")

    def _nt_objects(self, subject: str, predicate: str) -> list[str]:
        node: Node = ox.BlankNode(subject[2:]) if subject.startswith("_:") \
            else ox.NamedNode(subject[1:-1])
        return [str(o) for o in self._objects(node, ox.NamedNode(predicate))]

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
        elif name == "closed":
            # The properties a closed shape allows: its property shapes' predicates and
            # sh:ignoredProperties.
            ignored = self._one(shape.node, _sh("ignoredProperties"))
            c.members = [*(p.predicate for p in shape.properties if p.predicate is not None),
                         *(self._list(ignored) if ignored is not None else [])]
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
        select = self._one(node, _sh("select"))
        if not isinstance(select, ox.Literal):
            raise Unsupported("sh:sparql without sh:select")
        query = select.value
        if re.search(r"[?$]currentShape\b", query):
            raise Unsupported("$currentShape in sh:select")
        if shape.is_property:
            # SHACL substitutes the shape's path for $PATH before the query runs.
            assert shape.path is not None
            query = prebinding.substitute_path(query, shape.path.text)
        elif re.search(r"\$PATH\b", query):
            raise Unsupported("$PATH in the sh:select of a node shape")
        messages = sorted({m.value for m in self._objects(node, _sh("message"))
                           if isinstance(m, ox.Literal)})
        deactivated = any(isinstance(v, ox.Literal) and v.value == "true"
                          for v in self._objects(node, _sh("deactivated")))
        return SparqlConstraint(node, query, sparql_prefixes(self.store, node), messages,
                                deactivated)


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
            if not _DOUBLE_RE.fullmatch(lexical):
                return None
            double = float(lexical)
            return _single(double) if local == "float" else double
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


def _single(number: float) -> float:
    """``number`` rounded to the nearest xsd:float (IEEE single precision)."""
    try:
        rounded: float = struct.unpack("f", struct.pack("f", number))[0]
    except OverflowError:
        return math.copysign(math.inf, number)
    return rounded


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
    return _order(python_value(a), python_value(b))


def _order(x: Any, y: Any) -> int | None:
    """-1/0/1 for two literal values, None when XPath cannot compare them.

    Numbers follow XPath's promotion: an integer or decimal compared with a float or a
    double is compared as a double (so ``0.1`` the decimal equals ``0.1e0``, which exact
    decimal arithmetic would put below it), and NaN is comparable to nothing.
    """
    if x is None or y is None or isinstance(x, bool) or isinstance(y, bool):
        return None
    if isinstance(x, _NUMERIC) and isinstance(y, _NUMERIC):
        if isinstance(x, float) or isinstance(y, float):
            x, y = float(x), float(y)
    elif type(x) is not type(y):
        return None
    try:
        if x == y:
            return 0
        if x < y:
            return -1
        if x > y:
            return 1
    except TypeError:  # e.g. a dateTime with a time zone and one without
        return None
    return None  # NaN


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
    # How many times each focus node is validated: a value node reached from several
    # focus nodes of an enclosing property shape is validated (and reported) once for
    # each of them, as SHACL and pyshacl do. None: once each.
    weights: dict[Term, int] | None = None
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

    def __init__(self, data: ox.Store | Data, shapes: ox.Store,
                 focus_hint: frozenset[str] | None = None,
                 focus_terms: frozenset[Term] | None = None) -> None:
        self.data = as_data(data)  # the embedded store or a remote one (datasource.py)
        self.shapes = shapes
        self.focus_hint = focus_hint
        self.focus_terms = focus_terms
        self._sparql_bulk: dict[int, dict[Term, list[dict[str, Term]]]] = {}
        self._sparql_per_node: dict[int, dict[Term, list[dict[str, Term]]]] = {}
        self._instances: dict[ox.NamedNode, set[Term]] = {}
        self._subclasses: dict[ox.NamedNode, set[ox.NamedNode]] = {}
        self._conforms: dict[tuple[int, Term], bool] = {}
        self._in_progress: set[tuple[int, Term]] = set()
        self._value_checks: dict[int, dict[Term, bool]] = {}
        self.results: list[ValidationResult] = []
        # While ``run`` works: the SHACL-SPARQL reports it leaves to the end, and the
        # whole-graph queries they need, already running in a second thread.
        self._deferred: list[tuple[Shape, SparqlConstraint, set[Term],
                                   dict[Term, int] | None]] | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._pending: dict[int, Future[list[dict[str, Term]]]] = {}

    # ---- data access

    def select(self, query: str) -> Iterator[Row]:
        return iter(self.data.select(query))

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
        return self.walk({node}, shape.path, forward=True)

    def walk(self, nodes: set[Term], path: Path, forward: bool) -> set[Term]:
        """The nodes reached from ``nodes`` along ``path`` (backwards when not ``forward``)."""
        kind = path.kind
        if kind == "pred":
            assert path.predicate is not None
            self.data.prefetch(nodes, path.predicate, forward)
            reached: set[Term] = set()
            for node in nodes:
                reached |= (self.objects(node, path.predicate) if forward
                            else self.subjects(path.predicate, node))
            return reached
        if kind == "inv":
            return self.walk(nodes, path.parts[0], not forward)
        if kind == "seq":
            for part in (path.parts if forward else reversed(path.parts)):
                nodes = self.walk(nodes, part, forward)
            return nodes
        if kind == "alt":
            return set().union(*(self.walk(nodes, part, forward) for part in path.parts))
        step = path.parts[0]
        if kind == "?":
            return nodes | self.walk(nodes, step, forward)
        reached = set()
        frontier = self.walk(nodes, step, forward)
        while frontier:
            reached |= frontier
            frontier = self.walk(frontier, step, forward) - reached
        return reached | nodes if kind == "*" else reached

    def objects(self, node: Term, predicate: ox.NamedNode) -> set[Term]:
        if isinstance(node, ox.Literal):
            return set()
        return {q.object for q in self.data.quads_for_pattern(node, predicate, None)}

    def subjects(self, predicate: ox.NamedNode, obj: Term) -> set[Term]:
        if isinstance(obj, ox.Triple):
            return set()
        return {q.subject for q in self.data.quads_for_pattern(None, predicate, obj)}

    def focus_nodes(self, shape: Shape) -> set[Term]:
        if self.focus_terms is not None:
            return {node for node in self.focus_terms if self._is_focus(shape, node)}
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

    def _is_focus(self, shape: Shape, node: Term) -> bool:
        """Whether ``node`` is a focus node of ``shape`` (one node at a time: for a few
        focus nodes, cheaper than listing every instance of a class)."""
        if node in shape.target_nodes:
            return True
        if shape.target_objects_of and not isinstance(node, ox.Triple) and any(
                next(iter(self.data.quads_for_pattern(None, p, node)), None) is not None
                for p in shape.target_objects_of):
            return True
        if isinstance(node, (ox.Literal, ox.Triple)):
            return False
        if any(next(iter(self.data.quads_for_pattern(node, p, None)), None) is not None
               for p in shape.target_subjects_of):
            return True
        if shape.target_classes:
            types = {q.object for q in self.data.quads_for_pattern(node, RDF_TYPE, None)}
            return any(types & self.subclasses(cls) for cls in shape.target_classes)
        return False

    def blank_prebound(self, shape: Shape) -> bool:
        """Whether a SHACL-SPARQL constraint of the top-level ``shape`` must be pre-bound
        in its query text to a blank-node focus node, which a query cannot name."""
        owners = [shape, *shape.properties] if not shape.is_property else [shape]
        if not any(q.plan.mode != "bulk" and not q.deactivated
                   for owner in owners for q in owner.sparql):
            return False
        return any(isinstance(f, ox.BlankNode) for f in self.focus_nodes(shape))

    def _bulk_classes(self, shape: Shape) -> tuple[ox.NamedNode, ...] | None:
        only_classes = not (shape.target_nodes or shape.target_subjects_of
                            or shape.target_objects_of)
        if only_classes and shape.target_classes and self.focus_hint is None \
                and self.focus_terms is None:
            return tuple(shape.target_classes)
        return None

    # ---- results

    def report(self, shape: Shape, component: str, focus: Term, value: Term | None,
               path: str | None = None, message: str | None = None, times: int = 1) -> None:
        """Add a result; ``path`` (a result path) defaults to the property shape's."""
        if path is None and shape.path is not None:
            path = shape.path.text
        result = ValidationResult(
            focus_node=str(focus),
            source_shape=shape.nt,
            path=path,
            value=str(value) if value is not None else None,
            constraint_component=f"<{component}>",
            severity=shape.severity,
            message=message if message is not None else (
                " ".join(shape.messages) or _generic_message(component)),
        )
        self.results.extend([result] * times)

    # ---- top level

    def run(self, shapes: Iterable[Shape]) -> list[ValidationResult]:
        """Evaluate the targeted ``shapes`` (and what they use) over the whole graph.

        On the embedded store, the SHACL-SPARQL constraints' whole-graph queries run in a
        second thread from the moment they are met, while this one does the other
        constraints (Python work); their results are reported at the end. The report is
        sorted afterwards, so the order of the work does not show."""
        if self.data.concurrent and self.focus_terms is None:
            self._deferred = []
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sparql")
        try:
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
            deferred, self._deferred = self._deferred or [], None
            for shape, sparql, focus, weights in deferred:
                self._sparql_report(shape, sparql, focus, weights)
        finally:
            self._deferred = None
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
            self._pending.clear()
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
                self._sparql_report(shape, sparql, focus)

    def _property_jobs(self, jobs: list[_Job]) -> None:
        """Evaluate property shapes: each constraint kind in one query for all shapes
        that use it (with the shapes' parameters bound as VALUES rows), or node by node
        where a bulk query does not apply."""
        plans: dict[str, Planned] = {name: {} for name in _BULK}
        for job in jobs:
            bulk = job.classes is not None and job.shape.predicate is not None
            for c in job.shape.constraints:
                keys = self._route(job, c) if bulk else None
                if keys is None:
                    self._check(job.shape, c, self._job_values(job), job.focus, job.weights)
                    continue
                for name, key in keys:
                    plans[name].setdefault(key, []).append((job, c))
            for sparql in job.shape.sparql:
                if not sparql.deactivated:
                    self._sparql_report(job.shape, sparql, job.focus, job.weights)
            if job.shape.properties:
                # A property shape with property shapes of its own: its value nodes are
                # their focus nodes, once for each focus node they are a value of.
                weights: dict[Term, int] = {}
                for f, values in self._job_values(job).items():
                    for v in values:
                        weights[v] = weights.get(v, 0) + (job.weights or {}).get(f, 1)
                repeated = any(n > 1 for n in weights.values())
                self._property_jobs([_Job(p, set(weights), weights=weights if repeated else None)
                                     for p in job.shape.properties if not p.deactivated])
        for name, handler in _BULK.items():
            if plans[name]:
                handler(self, plans[name])

    def _job_values(self, job: _Job) -> dict[Term, set[Term]]:
        if job._values is None:
            if job.shape.predicate is not None:
                self.data.prefetch(job.focus, job.shape.predicate, True)
            values = {f: self.values(f, job.shape) for f in job.focus}
            job._values = {f: v for f, v in values.items() if v}
        return job._values

    def _route(self, job: _Job, c: Constraint) -> list[tuple[str, tuple[Term, ...]]] | None:
        """Which bulk queries evaluate constraint ``c`` of a job, with which VALUES rows."""
        assert job.classes is not None
        assert job.shape.predicate is not None
        name = c.parameter[len(SH):]
        path = job.shape.predicate
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
        rows: Iterable[Row] = self.select(_bound("values", plan))
        if self.data.batches:
            rows = list(rows)
            for key, jobs in plan.items():
                found = {row["value"] for row in rows if row["path"] == key[0]}
                for _job, c in jobs:
                    self._prefetch_for(c, found)
        for row in rows:
            path, value = row["path"], row["value"]
            assert isinstance(path, ox.NamedNode)
            for job, c in plan.get((path,), ()):
                if not self._value_ok(c, value):
                    subjects = bad.get((path, value))
                    if subjects is None:
                        subjects = bad[(path, value)] = self.subjects(path, value)
                    for this in subjects & job.focus:
                        self.report(job.shape, c.component, this, value)

    def _prefetch_for(self, c: Constraint, values: set[Term]) -> None:
        """Announce the lookups that checking ``values`` against the shapes of ``c``
        (sh:node, sh:or, ...) makes: their property shapes' predicates, in one batch."""
        for shape in c.shapes:
            for used in shape.tree():
                if used.predicate is not None:
                    self.data.prefetch(values, used.predicate, True)

    def _value_ok(self, c: Constraint, value: Term) -> bool:
        cache = self._value_checks.setdefault(id(c), {})
        ok = cache.get(value)
        if ok is None:
            ok = cache[value] = self._value_check(c)(value)
        return ok

    # ---- constraints

    def _check(self, shape: Shape, c: Constraint, with_values: dict[Term, set[Term]],
               focus: set[Term], weights: dict[Term, int] | None = None) -> None:
        """Evaluate one constraint for every focus node (``with_values``: those that have
        values; the others only matter to minCount, hasValue and equals)."""
        name = c.parameter[len(SH):]

        def report(f: Term, value: Term | None, path: str | None = None) -> None:
            self.report(shape, c.component, f, value, path,
                        times=weights.get(f, 1) if weights else 1)

        if name == "closed":
            if c.value.value == "true":
                allowed = set(c.members)
                for f, values in with_values.items():
                    for v in values:
                        if isinstance(v, ox.Literal):
                            continue
                        extra = {(q.predicate, q.object)
                                 for q in self.data.quads_for_pattern(v, None, None)
                                 if q.predicate not in allowed}
                        for predicate, obj in sorted(extra, key=str):
                            report(f, obj, str(predicate))
            return

        if name == "minCount":
            minimum = int(c.value.value)
            if minimum > 0:
                for f in focus:
                    if len(with_values.get(f, ())) < minimum:
                        report(f, None)
            return
        if name == "hasValue":
            for f in focus:
                if c.value not in with_values.get(f, ()):
                    report(f, None)
            return
        per_focus = _PER_FOCUS.get(name)
        if per_focus is not None:
            # sh:equals also fails where the other property has values and this one none.
            nodes = focus if name == "equals" else with_values
            if self.data.batches and isinstance(c.value, ox.NamedNode):
                self.data.prefetch(nodes, c.value, True)
            for f in nodes:
                for value in per_focus(self, c, f, with_values.get(f, set())):
                    report(f, value)
            return
        if c.shapes and self.data.batches:
            self._prefetch_for(c, set().union(*with_values.values()))
        for f, values in with_values.items():
            for v in values:
                if not self._value_ok(c, v):
                    report(f, v)

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
                if not sparql.deactivated and self._sparql_solutions(sparql, [node]):
                    return False
            return True
        finally:
            self.results = saved

    # ---- SHACL-SPARQL

    def _sparql_solutions(self, sparql: SparqlConstraint, focus: Iterable[Term]
                          ) -> dict[Term, list[dict[str, Term]]]:
        """The solutions of the query with ``$this`` pre-bound to each focus node, by
        focus node (nodes without solutions are left out). See prebinding.py."""
        mode = sparql.plan.mode
        if mode == "bulk" and self.focus_terms is not None and not any(
                isinstance(f, (ox.BlankNode, ox.Triple)) for f in focus):
            # A few focus nodes (re-validating what a change affects): the query
            # pre-bound to them, not run over the whole graph.
            return self._sparql_restricted(sparql, focus)
        if mode == "bulk":
            everything = self._sparql_bulk.get(id(sparql))
            if everything is None:
                everything = self._sparql_bulk[id(sparql)] = {}
                pending = self._pending.pop(id(sparql), None)
                rows = (pending.result() if pending is not None
                        else self._run_sparql(sparql, self._text(sparql)))
                for row in rows:
                    this = row.get("this")
                    if this is not None:
                        everything.setdefault(this, []).append(row)
            return {f: everything[f] for f in focus if f in everything}
        cache = self._sparql_per_node.setdefault(id(sparql), {})
        found: dict[Term, list[dict[str, Term]]] = {}
        todo = sorted((f for f in set(focus) if f not in cache), key=str)
        blank = next((f for f in todo if isinstance(f, (ox.BlankNode, ox.Triple))), None)
        if blank is not None:
            raise Unsupported(f"{sparql.node}: a blank-node focus node ({blank}) cannot be "
                              f"pre-bound in the query text ({sparql.plan.reason})")
        size = SPARQL_BATCH if mode == "batched" else 1
        for start in range(0, len(todo), size):
            batch = todo[start:start + size]
            for node in batch:
                cache[node] = []
            query = prebinding.insert_values(self._text(sparql), [str(t) for t in batch])
            for row in self._run_sparql(sparql, query):
                this = row.get("this", batch[0]) if size > 1 else batch[0]
                if this in cache:
                    cache[this].append({**row, "this": this})
        for node in focus:
            if cache.get(node):
                found[node] = cache[node]
        return found

    def _sparql_restricted(self, sparql: SparqlConstraint, focus: Iterable[Term]
                           ) -> dict[Term, list[dict[str, Term]]]:
        cache = self._sparql_per_node.setdefault(id(sparql), {})
        todo = sorted((f for f in set(focus) if f not in cache), key=str)
        for start in range(0, len(todo), SPARQL_BATCH):
            batch = todo[start:start + SPARQL_BATCH]
            for node in batch:
                cache[node] = []
            # Pre-bound as SHACL defines it: a values block opens every group, so each
            # part of the query starts from the focus nodes (a block on the outer group
            # alone lets Oxigraph evaluate the rest over the whole graph first).
            query = prebinding.pre_bound(sparql.plan.text, [str(t) for t in batch])
            for row in self._run_sparql(sparql, query):
                this = row.get("this")
                if this in cache:
                    cache[this].append(row)
        return {f: cache[f] for f in focus if cache.get(f)}

    def _text(self, sparql: SparqlConstraint) -> str:
        """The query to run: with its EXISTS rewritten for the embedded store, as written
        for a remote store (which plans EXISTS itself; see datasource.py)."""
        return sparql.runnable if self.data.decorrelate else sparql.plan.text

    def _run_sparql(self, sparql: SparqlConstraint, query: str) -> list[dict[str, Term]]:
        solutions = self.data.select(query, sparql.prefixes)
        names = [v.value for v in solutions.variables]
        rows: dict[tuple[Term | None, ...], dict[str, Term]] = {}
        for solution in solutions:
            values = tuple(solution[name] for name in names)
            if values not in rows:  # pyshacl reports identical solutions once
                rows[values] = {n: v for n, v in zip(names, values, strict=True) if v is not None}
        if any(row.get("failure") == TRUE for row in rows.values()):
            raise InputError(
                f"{describe(self.shapes, sparql.node)}: its sh:select reported a failure "
                "(a solution binds ?failure to true)",
                hint="SHACL stops validation when a constraint query fails",
            )
        return list(rows.values())

    def _sparql_report(self, shape: Shape, sparql: SparqlConstraint, focus: set[Term],
                       weights: dict[Term, int] | None = None) -> None:
        if self._deferred is not None and self._pool is not None:
            self._deferred.append((shape, sparql, focus, weights))
            if (sparql.plan.mode == "bulk" and id(sparql) not in self._sparql_bulk
                    and id(sparql) not in self._pending):
                self._pending[id(sparql)] = self._pool.submit(
                    self._run_sparql, sparql, self._text(sparql))
            return
        for this, rows in self._sparql_solutions(sparql, focus).items():
            for row in rows:
                path = row.get("path")
                value = row.get("value", None if shape.is_property else this)
                messages = sparql.messages or shape.messages
                message = " ".join(_format_message(m, row) for m in messages) or (
                    f"Failure of the SPARQL constraint of {shape.nt}")
                self.report(shape, SPARQL_COMPONENT, this, value,
                            str(path) if isinstance(path, ox.NamedNode) else None, message,
                            times=weights.get(this, 1) if weights else 1)


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
    if ev.focus_terms is not None:
        # A few focus nodes: look up each value's types rather than list every instance.
        classes = ev.subclasses(c.value)
        return lambda v: isinstance(v, (ox.NamedNode, ox.BlankNode)) and any(
            q.object in classes for q in ev.data.quads_for_pattern(v, RDF_TYPE, None))
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

PerFocus = Callable[[Evaluator, Constraint, Term, set[Term]], Iterable[Term | None]]


def _max_count(ev: Evaluator, c: Constraint, f: Term, values: set[Term]) -> Iterable[Term | None]:
    return [None] if len(values) > int(c.value.value) else []


def _unique_lang(ev: Evaluator, c: Constraint, f: Term, values: set[Term]
                 ) -> Iterable[Term | None]:
    if c.value.value != "true":
        return []
    seen: set[str] = set()
    duplicated: set[str] = set()
    for v in values:
        if isinstance(v, ox.Literal) and v.language:
            tag = v.language.lower()
            (duplicated if tag in seen else seen).add(tag)
    return [None] * len(duplicated)


def _equals(ev: Evaluator, c: Constraint, f: Term, values: set[Term]) -> Iterable[Term | None]:
    assert isinstance(c.value, ox.NamedNode)
    other = ev.objects(f, c.value)
    return [*(values - other), *(other - values)]


def _disjoint(ev: Evaluator, c: Constraint, f: Term, values: set[Term]) -> Iterable[Term | None]:
    assert isinstance(c.value, ox.NamedNode)
    return list(values & ev.objects(f, c.value))


def _less_than(accept: Callable[[int], bool]) -> PerFocus:
    def check(ev: Evaluator, c: Constraint, f: Term, values: set[Term]) -> Iterable[Term | None]:
        assert isinstance(c.value, ox.NamedNode)
        failures: list[Term | None] = []
        for other in ev.objects(f, c.value):
            for v in values:
                if not _ordered(v, other, accept):
                    failures.append(v)
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
    order = _order(v_value, o_value)
    return order is not None and accept(order)


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
    """The ``fast`` engine: the SHACL results, computed set-at-a-time."""
    # A broken sh:select is reported by name before any work, as the pyshacl engine
    # does; other broken shapes are unsupported here, so pyshacl reports them.
    check_sparql(request.shapes)
    graph = ShapesGraph(request.shapes)
    top = [s for s in graph.shapes.values() if s.targeted]
    if request.shapes_selected:
        top = [s for s in top if any(t.node.value in request.shapes_selected
                                     for t in s.tree() if isinstance(t.node, ox.NamedNode))]
    evaluator = Evaluator(request.data, request.shapes, request.focus, request.focus_terms)
    supported = [s for s in top if s.problem() is None and not evaluator.blank_prebound(s)]
    handed_over = [s for s in top if s not in supported]
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
        if not isinstance(request.data, ox.Store):
            why = handed_over[0].problem() or "a blank-node focus node pre-bound in a query"
            raise UsageError(
                f"{handed_over[0].nt} needs the pyshacl engine ({why}), "
                "which validates the embedded store only, not a remote one",
                hint="validate a local copy of the graph (guidebook validate without --endpoint)",
            )
        results += _with_pyshacl(request, handed_over)
    return results


def unsupported_shapes(shapes: ox.Store) -> dict[str, str]:
    """Targeted shapes this engine hands to pyshacl, with the reason (for reports and tests)."""
    graph = ShapesGraph(shapes)
    return {s.nt: problem for s in graph.shapes.values()
            if s.targeted and (problem := s.problem()) is not None}


def _with_pyshacl(request: EngineInput, shapes: list[Shape]) -> list[ValidationResult]:
    named = [s for s in shapes if isinstance(s.node, ox.NamedNode)]
    selected = frozenset(s.node.value for s in named) if len(named) == len(shapes) else None
    results = pyshacl_engine.validate(EngineInput(
        request.data, request.shapes, None if selected else request.focus, selected))
    wanted = {t.nt for s in shapes for t in s.tree()}
    results = [r for r in results if r.source_shape in wanted]
    if request.focus_terms is not None:
        terms = {str(t) for t in request.focus_terms}
        results = [r for r in results if r.focus_node in terms]
    return results
