"""What validating a focus node reads: the reach (see ``reach.py``) of a shapes graph.

After some triples change, the focus nodes whose results can change are those from
which a shape reads a changed triple. A shape reads, from each focus node, the triple
that makes it a focus node (its type, or the triple of ``sh:targetSubjectsOf``), the
triples along each property shape's path, the types of the value nodes (``sh:class``),
every triple of a value node of a closed shape, the other property of ``sh:equals`` and
its kin, what the shapes it uses through ``sh:node``, ``sh:and``, ``sh:or``,
``sh:xone`` and ``sh:not`` read from the value nodes, and what each SHACL-SPARQL
constraint's query reads (with ``$this`` pre-bound). A change to ``rdfs:subClassOf``
can change every target and ``sh:class`` check.

Shapes this analysis does not follow (those the fast engine hands to pySHACL, recursive
shapes) make the reach whole: every change can change every result.
"""

from __future__ import annotations

from guidebook_kg import reach
from guidebook_kg.fastvalidate import Path, Shape, ShapesGraph
from guidebook_kg.prefixes import PREFIXES
from guidebook_kg.reach import Pattern, Reach, Route, Step

RDF_TYPE = PREFIXES["rdf"] + "type"
SUBCLASS = Pattern(((PREFIXES["rdfs"] + "subClassOf", "f"),))
ANY = Pattern(((None, "f"),))
SH = PREFIXES["sh"]


def shapes_reach(graph: ShapesGraph) -> Reach:
    """The reach of every targeted shape of ``graph``, from its focus nodes."""
    out = Reach()
    for shape in graph.shapes.values():
        if not shape.targeted or shape.deactivated:
            continue
        problem = shape.problem()
        if problem is not None:
            return Reach(whole=f"a shape the fast engine hands to pySHACL ({problem})")
        if shape.is_property and shape.properties:
            return Reach(whole="a property shape with property shapes of its own")
        try:
            _targets(shape, out)
            _shape(shape, (), out, [])
        except reach.Unbounded as why:
            return Reach(whole=str(why))
    return out


def _targets(shape: Shape, out: Reach) -> None:
    if shape.target_classes:
        out.routes.append(Route((), Pattern(((RDF_TYPE, "f"),)), "a"))
        _add_global(out, SUBCLASS)
    for predicate in shape.target_subjects_of:
        out.routes.append(Route((), Pattern(((predicate.value, "f"),)), "a"))
    for predicate in shape.target_objects_of:
        out.routes.append(Route((), Pattern(((predicate.value, "f"),)), "b"))


def _add_global(out: Reach, pattern: Pattern) -> None:
    if pattern not in out.global_patterns:
        out.global_patterns.append(pattern)


def _add(out: Reach, route: Route) -> None:
    if route not in out.routes:
        out.routes.append(route)


def _shape(shape: Shape, prefix: tuple[Step, ...], out: Reach, chain: list[Shape]) -> None:
    """What ``shape`` reads from the nodes at the end of ``prefix``."""
    if shape.deactivated:
        return
    if any(s is shape for s in chain):
        raise reach.Unbounded("a recursive shape")
    chain = [*chain, shape]
    focus = prefix
    if shape.is_property:
        assert shape.path is not None
        steps = _steps(shape.path)
        for i, one in enumerate(steps):
            _add(out, Route(prefix + steps[:i], Pattern(one.options, min=one.min,
                                                         repeat=one.repeat), "a"))
        values = prefix + steps
    else:
        values = prefix
    for constraint in shape.constraints:
        name = constraint.parameter.removeprefix(SH)
        if name == "class":
            _add(out, Route(values, Pattern(((RDF_TYPE, "f"),)), "a"))
            _add_global(out, SUBCLASS)
        elif name == "closed":
            _add(out, Route(values, ANY, "a"))
        elif name in ("equals", "disjoint", "lessThan", "lessThanOrEquals"):
            _add(out, Route(focus, Pattern(((constraint.value.value, "f"),)), "a"))
        elif name in ("node", "not", "and", "or", "xone"):
            for nested in constraint.shapes:
                _shape(nested, values, out, chain)
        # the others read the value nodes themselves, or the path's triples
    for prop in shape.properties:
        _shape(prop, values, out, chain)
    for sparql in shape.sparql:
        if sparql.deactivated:
            continue
        found = reach.analyse(sparql.query, "this", prebound=True, prefixes=sparql.prefixes)
        if found.whole is not None:
            raise reach.Unbounded(found.whole)
        for route in found.routes:
            _add(out, Route(focus + route.steps, route.pattern, route.end))
        for pattern in found.global_patterns:
            _add_global(out, pattern)


def _steps(path: Path) -> tuple[Step, ...]:
    """A SHACL property path as steps (see reach.Step)."""
    if path.kind == "pred":
        assert path.predicate is not None
        return (Step(((path.predicate.value, "f"),)),)
    if path.kind == "inv":
        return tuple(s.inverse() for s in reversed(_steps(path.parts[0])))
    if path.kind == "seq":
        return tuple(s for part in path.parts for s in _steps(part))
    options = tuple(dict.fromkeys(o for part in path.parts for s in _steps(part)
                                  for o in s.options))
    if path.kind == "alt":
        simple = all(len(_steps(part)) == 1 and not _steps(part)[0].repeat
                     for part in path.parts)
        return (Step(options, 1, not simple),)
    # *, + and ?: any number of steps, each any option of the inner path
    return (Step(options, 0 if path.kind in ("*", "?") else 1, True),)
