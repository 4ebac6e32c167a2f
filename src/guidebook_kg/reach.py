"""What a query reads, relative to the node each of its answers is about.

Incremental updates need to know, when some triples change, which answers of a query can
change with them. A query "about" a node (the *anchor*: ``$this`` of a SHACL-SPARQL
constraint, the subject of a derivation step's CONSTRUCT template) reads the triples its
patterns match in that node's solutions. Those triples are found by walking the graph
from the anchor along the query's patterns, and, backwards, the anchors a changed triple
can matter to are found by walking from the triple towards the anchor.

:func:`analyse` turns a query into a :class:`Reach`: for each triple pattern, one
*route* from the anchor to the pattern (the steps, predicate and direction, through
patterns that hold in every solution that uses it), and the patterns no route reaches
(*global* patterns, such as ``?standard a gb:EvidenceStandard``: a change that matches
one can matter to every anchor). Patterns are joined by variables only; a constant, or a
value a query computes (``IRI(CONCAT(...))``, an aggregate), connects nothing, so what is
reached only through one counts as global. The routes over-approximate what a solution
reads, never less: ``UNION`` branches are analysed as separate alternatives, a
sub-select's own variables are kept apart from the query's, and routes only pass through
patterns that every solution of the pattern's group matches (not a sibling ``OPTIONAL``).
What the analysis cannot bound (``SERVICE``, a ``LIMIT`` applied to all anchors at once,
a pattern with nothing constant and nothing connected) makes the reach *whole*: every
change can matter to every anchor.

The analysis reads the query with rdflib's SPARQL parser, which takes about 0.1 s a
query; callers keep its result (:meth:`Reach.to_json`) rather than analyse each time.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

# Directions of a step, from the node a walk is at:
#   f   to the objects of its triples with the predicate (subject -> object)
#   i   to the subjects of the triples that have it as object (object -> subject)
#   sp  to the predicates of its triples (a variable predicate: subject -> predicate)
#   ps  from a predicate to the subjects of its triples
#   op  to the predicates of the triples that have it as object
#   po  from a predicate to the objects of its triples
_INVERSE = {"f": "i", "i": "f", "sp": "ps", "ps": "sp", "op": "po", "po": "op"}

# Alternatives (choices of UNION branches) analysed before giving up.
MAX_ALTERNATIVES = 256

Option = tuple[str | None, str]  # (predicate IRI, or None for any; direction)


@dataclass(frozen=True)
class Step:
    """One step of a route: any of ``options``; ``repeat``: one or more times (``min``
    0: also none)."""

    options: tuple[Option, ...]
    min: int = 1
    repeat: bool = False

    def inverse(self) -> Step:
        return Step(tuple((p, _INVERSE[d]) for p, d in self.options), self.min, self.repeat)

    def to_json(self) -> list[Any]:
        return [[list(o) for o in self.options], self.min, self.repeat]

    @staticmethod
    def from_json(data: Sequence[Any]) -> Step:
        return Step(tuple((o[0], o[1]) for o in data[0]), int(data[1]), bool(data[2]))


@dataclass(frozen=True)
class Pattern:
    """A triple pattern between two ends, ``a`` and ``b``: an option ``(p, "f")`` is the
    triple ``a p b``, ``(p, "i")`` the triple ``b p a``; a predicate of None is any
    predicate. ``a_iri``/``b_iri`` are the ends that are IRIs in the query (literals
    and variables match anything here). ``repeat``/``min`` as for :class:`Step`."""

    options: tuple[Option, ...]
    a_iri: str | None = None
    b_iri: str | None = None
    min: int = 1
    repeat: bool = False

    def as_step(self) -> Step:
        return Step(self.options, self.min, self.repeat)

    def to_json(self) -> list[Any]:
        return [[list(o) for o in self.options], self.a_iri, self.b_iri, self.min, self.repeat]

    @staticmethod
    def from_json(data: Sequence[Any]) -> Pattern:
        return Pattern(tuple((o[0], o[1]) for o in data[0]), data[1], data[2], int(data[3]),
                       bool(data[4]))

    def ends(self, triple: ox.Triple | ox.Quad) -> Iterator[tuple[Any, Any]]:
        """The ``(a, b)`` ends this pattern gives ``triple``, for each way it matches."""
        predicate = triple.predicate.value
        for p, d in self.options:
            if p is not None and p != predicate:
                continue
            a: Any = triple.object if d == "i" else triple.subject
            b: Any = triple.subject if d == "i" else triple.object
            if self.a_iri is not None and not (isinstance(a, ox.NamedNode)
                                               and a.value == self.a_iri):
                continue
            if self.b_iri is not None and not (isinstance(b, ox.NamedNode)
                                               and b.value == self.b_iri):
                continue
            yield a, b


@dataclass(frozen=True)
class Route:
    """From the anchor along ``steps`` to the ``end`` (``a``, ``b``, or ``p``: the
    predicate) of ``pattern``."""

    steps: tuple[Step, ...]
    pattern: Pattern
    end: str

    def to_json(self) -> list[Any]:
        return [[s.to_json() for s in self.steps], self.pattern.to_json(), self.end]

    @staticmethod
    def from_json(data: Sequence[Any]) -> Route:
        return Route(tuple(Step.from_json(s) for s in data[0]), Pattern.from_json(data[1]),
                     str(data[2]))


@dataclass
class Reach:
    """What a query reads relative to its anchor; see the module docstring."""

    routes: list[Route] = field(default_factory=list)
    global_patterns: list[Pattern] = field(default_factory=list)
    whole: str | None = None  # why every change can matter to every anchor, if it can
    # A CONSTRUCT's template: predicates from the anchor to the nodes it mints (their
    # triples belong to the anchor).
    owned_links: tuple[str, ...] = ()

    def merge(self, other: Reach) -> None:
        self.routes.extend(r for r in other.routes if r not in self.routes)
        self.global_patterns.extend(p for p in other.global_patterns
                                    if p not in self.global_patterns)
        self.whole = self.whole or other.whole
        self.owned_links = tuple(dict.fromkeys((*self.owned_links, *other.owned_links)))

    def to_json(self) -> dict[str, Any]:
        return {"routes": [r.to_json() for r in self.routes],
                "global": [p.to_json() for p in self.global_patterns],
                "whole": self.whole, "owned": list(self.owned_links)}

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Reach:
        return Reach([Route.from_json(r) for r in data["routes"]],
                     [Pattern.from_json(p) for p in data["global"]], data["whole"],
                     tuple(data["owned"]))

    # ------------------------------------------------------------------ walking

    def anchors_of(self, graph: Graph, changes: Iterable[ox.Triple | ox.Quad]) -> set[Any] | None:
        """The anchors whose answers ``changes`` (triples added or removed) can change,
        walking ``graph`` (which should hold both the old and the new triples); None
        when that is every anchor."""
        if self.whole is not None:
            return None
        by_predicate: dict[str | None, list[Route]] = {}
        for route in self.routes:
            for p, _ in route.pattern.options:
                by_predicate.setdefault(p, []).append(route)
        global_by: dict[str | None, list[Pattern]] = {}
        for pattern in self.global_patterns:
            for p, _ in pattern.options:
                global_by.setdefault(p, []).append(pattern)
        found: set[Any] = set()
        starts: dict[Route, set[Any]] = {}
        for change in changes:
            predicate = change.predicate.value
            for pattern in (*global_by.get(predicate, ()), *global_by.get(None, ())):
                if next(pattern.ends(change), None) is not None:
                    return None
            for route in (*by_predicate.get(predicate, ()), *by_predicate.get(None, ())):
                for a, b in route.pattern.ends(change):
                    node = change.predicate if route.end == "p" else (a if route.end == "a" else b)
                    starts.setdefault(route, set()).add(node)
        for route, nodes in starts.items():
            pattern = route.pattern
            if pattern.repeat and route.end != "p":
                # The change is one hop of a closure: the route reaches the closure's
                # near end, any number of hops before this one.
                hop = pattern.as_step()
                back = Step(hop.options, 0, True)
                nodes = walk(graph, [back.inverse() if route.end == "a" else back], nodes)
            found |= walk(graph, [s.inverse() for s in reversed(route.steps)], nodes)
        return found

    def neighbourhood(self, graph: Graph, anchors: Iterable[Any]) -> list[ox.Quad] | None:
        """Every quad a solution for one of ``anchors`` can match: the quads of each
        pattern reached along its route, and of every global pattern. None when that
        cannot be bounded (the reach is whole, or a global pattern matches anything)."""
        if self.whole is not None:
            return None
        quads: dict[ox.Quad, None] = {}
        start = set(anchors)
        for pattern in self.global_patterns:
            found = _global_quads(graph, pattern)
            if found is None:
                return None
            quads.update(dict.fromkeys(found))
        reached: dict[tuple[Step, ...], set[Any]] = {(): start}
        for route in sorted(self.routes, key=lambda r: len(r.steps)):
            nodes = reached.get(route.steps)
            if nodes is None:
                nodes = reached[route.steps] = walk(graph, route.steps, start)
            quads.update(dict.fromkeys(_pattern_quads(graph, route, nodes)))
        return list(quads)


# ----------------------------------------------------------------------------- graph access


class Graph:
    """The union of some stores, as walks read it (``quads_for_pattern`` on each)."""

    def __init__(self, *stores: ox.Store) -> None:
        self.stores = stores

    def quads(self, s: Any, p: Any, o: Any) -> Iterator[ox.Quad]:
        for store in self.stores:
            yield from store.quads_for_pattern(s, p, o)


def _is_resource(node: Any) -> bool:
    return isinstance(node, (ox.NamedNode, ox.BlankNode))


def _step_once(graph: Graph, option: Option, nodes: Iterable[Any]) -> set[Any]:
    predicate, direction = option
    p = ox.NamedNode(predicate) if predicate is not None else None
    out: set[Any] = set()
    for node in nodes:
        if direction == "f":
            if _is_resource(node):
                out.update(q.object for q in graph.quads(node, p, None))
        elif direction == "i":
            if not isinstance(node, ox.Triple):
                out.update(q.subject for q in graph.quads(None, p, node))
        elif direction == "sp":
            if _is_resource(node):
                out.update(q.predicate for q in graph.quads(node, None, None))
        elif direction == "op":
            if not isinstance(node, ox.Triple):
                out.update(q.predicate for q in graph.quads(None, None, node))
        elif isinstance(node, ox.NamedNode):  # ps, po: from a predicate
            if direction == "ps":
                out.update(q.subject for q in graph.quads(None, node, None))
            else:
                out.update(q.object for q in graph.quads(None, node, None))
    return out


def step(graph: Graph, one: Step, nodes: set[Any]) -> set[Any]:
    """The nodes one step (or, repeated, any number of steps) from ``nodes``."""
    def once(frontier: set[Any]) -> set[Any]:
        out: set[Any] = set()
        for option in one.options:
            out |= _step_once(graph, option, frontier)
        return out

    reached = set(nodes) if one.min == 0 else set()
    frontier = once(nodes)
    if not one.repeat:
        return reached | frontier
    seen = set(nodes)
    while frontier - seen:
        new = frontier - seen
        reached |= new
        seen |= new
        frontier = once(new)
    return reached | frontier


def walk(graph: Graph, steps: Sequence[Step], nodes: set[Any]) -> set[Any]:
    """The nodes ``steps`` lead to from ``nodes``."""
    for one in steps:
        if not nodes:
            break
        nodes = step(graph, one, nodes)
    return nodes


def _pattern_quads(graph: Graph, route: Route, nodes: set[Any]) -> Iterator[ox.Quad]:
    """The quads of ``route.pattern`` at ``nodes`` (the route's end), closures followed."""
    pattern = route.pattern
    if route.end == "p":
        for node in nodes:
            if isinstance(node, ox.NamedNode):
                yield from graph.quads(None, node, None)
        return
    frontier = set(nodes)
    seen: set[Any] = set()
    while frontier:
        seen |= frontier
        following: set[Any] = set()
        for p, d in pattern.options:
            pred = ox.NamedNode(p) if p is not None else None
            # From end a, "f" reads the node's triples as subject; from end b, as object.
            as_subject = (d == "f") == (route.end == "a")
            for node in frontier:
                if as_subject and _is_resource(node):
                    for q in graph.quads(node, pred, None):
                        yield q
                        following.add(q.object)
                elif not as_subject and not isinstance(node, ox.Triple):
                    for q in graph.quads(None, pred, node):
                        yield q
                        following.add(q.subject)
        frontier = following - seen if pattern.repeat else set()


def _global_quads(graph: Graph, pattern: Pattern) -> list[ox.Quad] | None:
    quads: list[ox.Quad] = []
    for p, d in pattern.options:
        subject_iri, object_iri = (pattern.a_iri, pattern.b_iri) if d != "i" else (
            pattern.b_iri, pattern.a_iri)
        if p is None and (pattern.repeat or (subject_iri is None and object_iri is None)):
            return None  # anything at all
        quads.extend(graph.quads(ox.NamedNode(subject_iri) if subject_iri else None,
                                 ox.NamedNode(p) if p else None,
                                 ox.NamedNode(object_iri) if object_iri else None))
        if pattern.repeat:
            # the hops after the first of a closure between constants: every such triple
            quads.extend(graph.quads(None, ox.NamedNode(p) if p else None, None))
    return quads


# ----------------------------------------------------------------------------- the analysis


class Unbounded(Exception):
    """The analysis cannot bound what a query reads."""


@dataclass(eq=False)
class _Pat:
    a: str | None  # variable name (scoped), or None for a constant
    b: str | None
    pvar: str | None  # a variable predicate
    pattern: Pattern


@dataclass(eq=False)
class _Block:
    """A group of patterns: ``patterns``, ``aliases`` and ``required`` blocks hold in
    every solution of the group; ``unions`` are alternatives; ``children`` (OPTIONAL,
    MINUS, EXISTS) are evaluated with the group's solutions but need not hold."""

    patterns: list[_Pat] = field(default_factory=list)
    aliases: list[tuple[str, str]] = field(default_factory=list)
    required: list[_Block] = field(default_factory=list)
    unions: list[list[_Block]] = field(default_factory=list)
    children: list[_Block] = field(default_factory=list)


class _Scope:
    """Variable names: a sub-select's own variables are renamed apart from the query's."""

    counter = itertools.count(1)

    def __init__(self, outer: _Scope | None = None, projected: Iterable[str] = (),
                 keep: frozenset[str] = frozenset()) -> None:
        self.outer = outer
        self.projected = set(projected)
        self.keep = keep
        self.id = next(self.counter)

    def name(self, var: str) -> str:
        if var in self.keep:
            return var
        if self.outer is None:
            return var
        if var in self.projected:
            return self.outer.name(var)
        return f"{var}@{self.id}"


def analyse(text: str, anchor: str | None = None, *, prebound: bool = False,
            prefixes: Mapping[str, str] | None = None) -> Reach:
    """The reach of the query ``text`` from the variable ``anchor`` (without the ``?``).

    For a CONSTRUCT query without ``anchor``, the anchor is the template's subject (see
    :func:`template_anchor`). ``prebound``: the anchor is bound throughout the query,
    sub-selects included, as SHACL pre-binds ``$this``.
    """
    from rdflib.plugins.sparql import algebra, parser

    header = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted((prefixes or {}).items()))
    try:
        query = algebra.translateQuery(parser.parseQuery(header + text))
    except Exception as err:  # rdflib raises many kinds; the store's parser has the last word
        return Reach(whole=f"the query could not be analysed ({type(err).__name__})")
    root = query.algebra
    reach = Reach()
    if anchor is None:
        if root.name != "ConstructQuery":
            return Reach(whole="no anchor variable")
        found = template_anchor(root.template, root.p)
        if isinstance(found, str):
            return Reach(whole=found)
        anchor, reach.owned_links = found
    keep = frozenset({anchor}) if prebound else frozenset()
    try:
        block = _Builder(keep, prebound).build(root.p, _Scope(keep=keep))
        _routes(block, anchor, reach)
    except Unbounded as why:
        return Reach(whole=str(why))
    return reach


def template_anchor(template: Sequence[tuple[Any, Any, Any]], where: Any
                    ) -> tuple[str, tuple[str, ...]] | str:
    """The anchor of a CONSTRUCT template, and the predicates from it to the nodes it
    mints; or why the template has none. Every template triple's subject must be the
    anchor, or a variable the query computes (``BIND(IRI(...) AS ?result)``) that a
    template triple links to from the anchor: then what a solution constructs belongs
    to its anchor."""
    from rdflib.term import URIRef, Variable

    subjects = {str(s) for s, _, _ in template if isinstance(s, Variable)}
    if any(not isinstance(s, Variable) for s, _, _ in template):
        return "a template triple has a constant subject"
    links: dict[str, set[str]] = {}
    for s, p, o in template:
        if isinstance(o, Variable) and str(o) in subjects and str(o) != str(s):
            if not isinstance(p, URIRef):
                return "a template links its subjects by a variable predicate"
            links.setdefault(str(o), set()).add(str(s))
    anchors = [s for s in subjects if s not in links]
    if len(anchors) != 1:
        return "the template has no single subject"
    (anchor,) = anchors
    computed = _computed_variables(where)
    for minted, owners in links.items():
        if owners != {anchor} or minted not in computed:
            return f"?{minted} is neither the anchor nor a node minted from it"
    predicates = sorted({str(p) for s, p, o in template
                         if str(s) == anchor and isinstance(o, Variable) and str(o) in links})
    return anchor, tuple(predicates)


def _computed_variables(node: Any) -> set[str]:
    """Variables bound by a BIND whose expression is not just another variable."""
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import Variable

    found: set[str] = set()

    def visit(n: Any) -> None:
        if isinstance(n, CompValue):
            if n.name == "Extend" and not isinstance(n.expr, Variable) \
                    and not _result_variables(n.expr):
                found.add(str(n.var))
            for value in n.values():
                visit(value)
        elif isinstance(n, (list, tuple)):
            for value in n:
                visit(value)

    visit(node)
    return found


def _result_variables(expr: Any) -> set[str]:
    """The variables whose value ``expr`` may return unchanged (COALESCE, IF, a
    variable): the node it gives is one of theirs."""
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import Variable

    if isinstance(expr, Variable):
        return {str(expr)}
    if isinstance(expr, CompValue):
        if expr.name == "Builtin_COALESCE":
            return set().union(*(_result_variables(a) for a in expr.arg))
        if expr.name == "Builtin_IF":
            return _result_variables(expr.arg2) | _result_variables(expr.arg3)
    return set()


class _Builder:
    """rdflib's algebra as :class:`_Block` trees."""

    def __init__(self, keep: frozenset[str], prebound: bool) -> None:
        self.keep = keep
        self.prebound = prebound
        self.fresh = itertools.count(1)

    def build(self, node: Any, scope: _Scope) -> _Block:
        block = _Block()
        self.into(node, scope, block, top=True)
        return block

    def into(self, node: Any, scope: _Scope, block: _Block, top: bool = False) -> None:
        from rdflib.plugins.sparql.parserutils import CompValue

        if not isinstance(node, CompValue):
            raise Unbounded(f"an unexpected part of the query ({type(node).__name__})")
        name = node.name
        if top and name in ("Project", "Distinct", "Reduced", "OrderBy"):
            self.into(node.p, scope, block, top=True)
        elif name in ("Distinct", "Reduced", "OrderBy"):
            self.into(node.p, scope, block)
        elif name == "Slice":
            if top and self.prebound:
                self.into(node.p, scope, block, top=True)
            else:
                raise Unbounded("LIMIT or OFFSET over the answers of every anchor")
        elif name == "ToMultiSet":
            inner = node.p
            if inner.name == "values":
                return  # VALUES: constants, which connect nothing
            self.subselect(inner, scope, block)
        elif name == "Project":
            self.subselect(node, scope, block)
        elif name == "BGP":
            for triple in node.triples:
                self.triple(triple, scope, block)
        elif name in ("Join",):
            self.into(node.p1, scope, block)
            self.into(node.p2, scope, block)
        elif name == "LeftJoin":
            self.into(node.p1, scope, block)
            child = _Block()
            self.into(node.p2, scope, child)
            if node.expr is not None:
                self.exists(node.expr, scope, child)
            block.children.append(child)
        elif name == "Minus":
            self.into(node.p1, scope, block)
            child = _Block()
            self.into(node.p2, scope, child)
            block.children.append(child)
        elif name == "Filter":
            self.into(node.p, scope, block)
            self.exists(node.expr, scope, block)
        elif name == "Extend":
            self.into(node.p, scope, block)
            for source in _result_variables(node.expr):
                block.aliases.append((scope.name(str(node.var)), scope.name(source)))
            self.exists(node.expr, scope, block)
        elif name == "Union":
            branches: list[_Block] = []
            for part in (node.p1, node.p2):
                branch = _Block()
                self.into(part, scope, branch)
                if not branch.patterns and not branch.required and not branch.children \
                        and len(branch.unions) == 1 and not branch.aliases:
                    branches.extend(branch.unions[0])  # a nested UNION: one list
                else:
                    branches.append(branch)
            block.unions.append(branches)
        elif name == "Graph":
            self.into(node.p, scope, block)
        elif name == "AggregateJoin":
            group = node.p
            inner = group.p if group.name == "Group" else group
            keys = {str(v) for v in (group.expr or [])} if group.name == "Group" else set()
            self.into(inner, scope, block)
            for aggregate in node.A:
                if aggregate.name == "Aggregate_Sample" and str(aggregate.vars) in keys:
                    block.aliases.append((scope.name(str(aggregate.res)),
                                          scope.name(str(aggregate.vars))))
        elif name == "Group":
            self.into(node.p, scope, block)
        elif name == "values":
            return
        elif name == "Service" or name == "ServiceGraphPattern":
            raise Unbounded("SERVICE")
        else:
            raise Unbounded(f"a part of the query the analysis does not know ({name})")

    def subselect(self, node: Any, scope: _Scope, block: _Block) -> None:
        sliced = False
        while node.name in ("Slice", "OrderBy", "Distinct", "Reduced"):
            sliced |= node.name == "Slice"
            node = node.p
        if node.name != "Project":
            raise Unbounded(f"a sub-select the analysis does not know ({node.name})")
        inner_scope = _Scope(scope, (str(v) for v in node.PV), self.keep)
        inner = _Block()
        node = node.p
        while node.name in ("Slice", "OrderBy", "Distinct", "Reduced"):
            sliced |= node.name == "Slice"
            node = node.p
        self.into(node, inner_scope, inner)
        if sliced:
            # Which rows a LIMIT keeps depends on them all: no route into it.
            inner = _Block(children=[inner])
        block.required.append(inner)

    def exists(self, expr: Any, scope: _Scope, block: _Block) -> None:
        from rdflib.plugins.sparql import algebra
        from rdflib.plugins.sparql.parserutils import CompValue

        def visit(n: Any) -> None:
            if isinstance(n, CompValue):
                if n.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
                    graph = n.graph
                    if graph.name in ("GroupGraphPatternSub", "TriplesBlock"):
                        graph = algebra.translateGroupGraphPattern(graph)
                    child = _Block()
                    self.into(graph, scope, child)
                    block.children.append(child)
                    return
                for value in n.values():
                    visit(value)
            elif isinstance(n, (list, tuple)):
                for value in n:
                    visit(value)

        visit(expr)

    # ---- triples and paths

    def term(self, t: Any, scope: _Scope) -> tuple[str | None, str | None]:
        """(variable name, IRI) of a pattern term; a blank node is a variable."""
        from rdflib.term import BNode, URIRef, Variable

        if isinstance(t, Variable):
            return scope.name(str(t)), None
        if isinstance(t, BNode):
            return scope.name(f"_:{t}"), None
        if isinstance(t, URIRef):
            return None, str(t)
        return None, None  # a literal

    def triple(self, triple: Any, scope: _Scope, block: _Block) -> None:
        from rdflib.paths import Path
        from rdflib.term import URIRef, Variable

        s, p, o = triple
        a, a_iri = self.term(s, scope)
        b, b_iri = self.term(o, scope)
        if isinstance(p, URIRef):
            block.patterns.append(_Pat(a, b, None, Pattern(((str(p), "f"),), a_iri, b_iri)))
        elif isinstance(p, Variable):
            block.patterns.append(_Pat(a, b, scope.name(str(p)),
                                       Pattern(((None, "f"),), a_iri, b_iri)))
        elif isinstance(p, Path):
            self.path(p, (a, a_iri), (b, b_iri), scope, block)
        else:
            raise Unbounded(f"a predicate the analysis does not know ({p!r})")

    def path(self, path: Any, start: tuple[str | None, str | None],
             end: tuple[str | None, str | None], scope: _Scope, block: _Block) -> None:
        from rdflib.paths import SequencePath

        if isinstance(path, SequencePath):
            ends = [start] + [(f"_path{next(self.fresh)}@{scope.id}", None)
                              for _ in path.args[1:]] + [end]
            for part, (left, right) in zip(path.args, itertools.pairwise(ends), strict=True):
                self.path(part, left, right, scope, block)
            return
        options, minimum, repeat = _path_options(path)
        block.patterns.append(_Pat(start[0], end[0], None,
                                   Pattern(options, start[1], end[1], minimum, repeat)))


def _path_options(path: Any) -> tuple[tuple[Option, ...], int, bool]:
    """A property path as one step: its options, and whether it repeats. A path that is
    not one predicate (or its inverse) becomes every predicate it uses, repeated: more
    than it matches, never less."""
    from rdflib.paths import AlternativePath, InvPath, MulPath, NegatedPath
    from rdflib.term import URIRef

    if isinstance(path, URIRef):
        return ((str(path), "f"),), 1, False
    if isinstance(path, InvPath):
        options, minimum, repeat = _path_options(path.arg)
        return tuple((p, _INVERSE[d]) for p, d in options), minimum, repeat
    if isinstance(path, AlternativePath):
        parts = [_path_options(a) for a in path.args]
        options = tuple(dict.fromkeys(o for part in parts for o in part[0]))
        return options, min(p[1] for p in parts), any(p[2] for p in parts)
    if isinstance(path, MulPath):
        options, _, _ = _path_options(path.path)
        return options, 0 if path.zero else 1, path.more or _is_complex(path.path)
    if isinstance(path, NegatedPath):
        directions = {"i" if isinstance(a, InvPath) else "f" for a in path.args}
        return tuple((None, d) for d in sorted(directions)), 1, False
    # a sequence inside an alternative or a repetition: every predicate, repeated
    options = tuple(dict.fromkeys(_all_options(path)))
    return options, 1, True


def _is_complex(path: Any) -> bool:
    from rdflib.paths import InvPath
    from rdflib.term import URIRef

    return not isinstance(path, (URIRef, InvPath))


def _all_options(path: Any) -> Iterator[Option]:
    from rdflib.paths import AlternativePath, InvPath, MulPath, NegatedPath, SequencePath
    from rdflib.term import URIRef

    if isinstance(path, URIRef):
        yield str(path), "f"
    elif isinstance(path, InvPath):
        yield from ((p, _INVERSE[d]) for p, d in _all_options(path.arg))
    elif isinstance(path, (AlternativePath, SequencePath)):
        for part in path.args:
            yield from _all_options(part)
    elif isinstance(path, MulPath):
        yield from _all_options(path.path)
    elif isinstance(path, NegatedPath):
        yield from ((None, "i" if isinstance(a, InvPath) else "f") for a in path.args)


# ----------------------------------------------------------------------------- routes


@dataclass(eq=False)
class _Scoped:
    """One alternative's group: what holds in it, and its child groups."""

    patterns: list[_Pat]
    aliases: list[tuple[str, str]]
    children: list[_Scoped]


def _alternatives(block: _Block) -> Iterator[_Scoped]:
    """The block with one branch chosen for each UNION (sub-selects and union branches
    merged into the group that holds them)."""
    parts: list[list[_Scoped]] = []
    for required in block.required:
        parts.append(list(itertools.islice(_alternatives(required), MAX_ALTERNATIVES + 1)))
    for union in block.unions:
        options: list[_Scoped] = []
        for branch in union:
            options.extend(itertools.islice(_alternatives(branch), MAX_ALTERNATIVES + 1))
        parts.append(options)
    children = [list(itertools.islice(_alternatives(c), MAX_ALTERNATIVES + 1))
                for c in block.children]
    total = 1
    for options in (*parts, *children):
        total *= max(1, len(options))
        if total > MAX_ALTERNATIVES:
            raise Unbounded("too many UNION alternatives to analyse")
    for chosen in itertools.product(*parts):
        patterns = list(block.patterns)
        aliases = list(block.aliases)
        kids: list[_Scoped] = []
        for part in chosen:
            patterns.extend(part.patterns)
            aliases.extend(part.aliases)
            kids.extend(part.children)
        for child_choice in itertools.product(*children):
            yield _Scoped(patterns, aliases, [*kids, *child_choice])


def _routes(block: _Block, anchor: str, reach: Reach) -> None:
    """Fill ``reach`` with a route to every pattern of every alternative of ``block``."""
    seen_global: set[int] = set()
    routed: set[tuple[int, Route]] = set()
    for alternative in _alternatives(block):
        _route_group(alternative, [], [], anchor, reach, seen_global, routed)


def _route_group(group: _Scoped, outer_patterns: list[_Pat],
                 outer_aliases: list[tuple[str, str]], anchor: str, reach: Reach,
                 seen_global: set[int], routed: set[tuple[int, Route]]) -> None:
    available = [*outer_patterns, *group.patterns]
    aliases = [*outer_aliases, *group.aliases]
    for pat in group.patterns:
        route = _shortest(pat, [p for p in available if p is not pat], aliases, anchor)
        if route is None:
            if id(pat) not in seen_global:
                seen_global.add(id(pat))
                if pat.pattern not in reach.global_patterns:
                    reach.global_patterns.append(pat.pattern)
        elif (id(pat), route) not in routed:
            routed.add((id(pat), route))
            if route not in reach.routes:
                reach.routes.append(route)
    for child in group.children:
        _route_group(child, available, aliases, anchor, reach, seen_global, routed)


def _shortest(target: _Pat, patterns: list[_Pat], aliases: list[tuple[str, str]],
              anchor: str) -> Route | None:
    """The shortest route from ``anchor`` to an end of ``target`` through ``patterns``."""
    edges: dict[str, list[tuple[str, Step | None]]] = {}

    def edge(x: str | None, y: str | None, one: Step | None) -> None:
        if x is None or y is None:
            return
        edges.setdefault(x, []).append((y, one))
        edges.setdefault(y, []).append((x, one.inverse() if one is not None else None))

    for pat in patterns:
        edge(pat.a, pat.b, pat.pattern.as_step())
        if pat.pvar is not None:
            edge(pat.a, pat.pvar, Step(((None, "sp"),)))
            edge(pat.b, pat.pvar, Step(((None, "op"),)))
    for x, y in aliases:
        edge(x, y, None)
    previous: dict[str, tuple[str, Step | None] | None] = {anchor: None}
    queue = deque([anchor])
    while queue:
        current = queue.popleft()
        for neighbour, one in edges.get(current, ()):
            if neighbour not in previous:
                previous[neighbour] = (current, one)
                queue.append(neighbour)

    def steps_to(var: str) -> tuple[Step, ...]:
        out: list[Step] = []
        while (link := previous[var]) is not None:
            var, one = link
            if one is not None:
                out.append(one)
        return tuple(reversed(out))

    candidates = [(end, var) for end, var in (("a", target.a), ("b", target.b),
                                              ("p", target.pvar))
                  if var is not None and var in previous]
    if not candidates:
        return None
    end, var = min(candidates, key=lambda c: len(steps_to(c[1])))
    return Route(steps_to(var), target.pattern, end)


def anchors_for(reaches: Iterable[Reach]) -> Callable[[Graph, Iterable[ox.Triple | ox.Quad]],
                                                       set[Any] | None]:
    """One function giving the anchors of all ``reaches`` that changes can matter to."""
    combined = Reach()
    for reach in reaches:
        combined.merge(reach)
    return combined.anchors_of
