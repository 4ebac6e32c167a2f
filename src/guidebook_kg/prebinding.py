"""SHACL-SPARQL pre-binding: the query restrictions, and how the fast engine may run a query.

SHACL runs a constraint's ``sh:select`` once per focus node with ``$this`` *pre-bound*:
every basic graph pattern, property path and ``GRAPH`` pattern of the query is joined with
the focus node (the spec's "Values Insertion", appendix B). So ``$this`` is bound inside
nested groups, ``OPTIONAL``, ``EXISTS``, ``BIND`` expressions and sub-selects, even where
no triple pattern mentions it.

The fast engine has three ways to run such a query, chosen here from the query text:

``bulk``
    once over the whole graph with ``$this`` left free, keeping the solutions whose
    ``$this`` is a focus node. Only when that provably gives the pre-bound answers (see
    :func:`plan`): ``$this`` is bound by a plain triple pattern before anything whose
    result depends on it, and no ``LIMIT``, ``OFFSET`` or ungrouped aggregate mixes the
    solutions of different focus nodes.
``batched``
    with the Values Insertion done in the text: ``VALUES ?this { ... }`` opens every group
    graph pattern, listing a batch of focus nodes. Joining every pattern with a table of
    several focus nodes gives the union of the per-node answers, because each solution
    keeps one value of ``?this`` throughout; so this holds unless the query has ``LIMIT``,
    ``OFFSET`` or an aggregate not grouped by ``$this``.
``single``
    the same insertion with one focus node at a time, for the rest.

Blank-node focus nodes cannot be written into a query; outside ``bulk`` the engine hands
such shapes to pySHACL. The query text of the inserted block lives in
``engine/prebinding.rq``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib.resources import files

from guidebook_kg.decorrelate import Token, is_keyword, matching, tokenize, var_name

THIS = "this"
AGGREGATES = frozenset(("COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"))
_CLAUSES = ("OPTIONAL", "MINUS", "GRAPH", "SERVICE", "FILTER", "BIND", "VALUES")


class QueryShapeError(ValueError):
    """The query breaks one of SHACL's restrictions on pre-bound queries."""


# ----------------------------------------------------------------------------- the parse


@dataclass
class Group:
    """A group graph pattern: its elements in order."""

    elements: list[Element] = field(default_factory=list)


@dataclass
class Triples:
    tokens: list[Token]
    anchors: bool  # a plain triple pattern with $this as subject or object


@dataclass
class Filter:
    mentions: bool  # $this outside the EXISTS groups of the expression
    exists: list[Group]


@dataclass
class Bind:
    mentions: bool
    exists: list[Group]


@dataclass
class OptionalGroup:
    group: Group


@dataclass
class Union:
    branches: list[Group]  # a plain nested group is a union of one


@dataclass
class SubSelect:
    query: Select


@dataclass
class Other:
    """A construct the analysis does not reason about (GRAPH, MINUS, SERVICE, VALUES)."""

    keyword: str
    groups: list[Group]


Element = Triples | Filter | Bind | OptionalGroup | Union | SubSelect | Other


@dataclass
class Select:
    star: bool
    projected: set[str]  # variables projected as themselves
    aggregates: bool  # an aggregate in the projection, HAVING or ORDER BY
    group_by: set[str] | None  # None: no GROUP BY
    sliced: bool  # LIMIT or OFFSET
    where: Group
    projection: tuple[int, int] = (0, 0)  # token index after SELECT [DISTINCT|REDUCED]


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.braces = matching(self.tokens, "open", "close")
        self.parens = matching(self.tokens, "lparen", "rparen")

    def fail(self, why: str) -> QueryShapeError:
        return QueryShapeError(why)

    def word(self, i: int) -> str:
        return self.tokens[i].text.upper() if i < len(self.tokens) and \
            self.tokens[i].kind == "word" else ""

    def query(self) -> Select:
        i = 0
        while i < len(self.tokens) and self.word(i) in ("PREFIX", "BASE"):
            i += 3 if self.word(i) == "PREFIX" else 2
        if self.word(i) != "SELECT":
            raise self.fail("not a SELECT query")
        select, end = self.select(i)
        if end != len(self.tokens):
            raise self.fail("text after the query")
        return select

    def select(self, i: int) -> tuple[Select, int]:
        """The SELECT query starting at token ``i``; and the index after it."""
        i += 1
        if self.word(i) in ("DISTINCT", "REDUCED"):
            i += 1
        start = i
        star, projected, aggregates = False, set(), False
        while i < len(self.tokens) and self.tokens[i].kind != "open" and self.word(i) not in (
                "WHERE", "FROM"):
            tok = self.tokens[i]
            if tok.kind == "var":
                projected.add(var_name(tok))
            elif tok.text == "*":
                star = True
            elif tok.kind == "lparen":
                close = self.parens.get(i)
                if close is None:
                    raise self.fail("unbalanced parentheses")
                aggregates |= self._aggregates(i, close)
                i = close
            i += 1
        projection = (start, i)
        if self.word(i) == "FROM":
            raise self.fail("FROM in a constraint query")
        if self.word(i) == "WHERE":
            i += 1
        if i >= len(self.tokens) or self.tokens[i].kind != "open":
            raise self.fail("no WHERE group")
        where, i = self.group(i)
        group_by: set[str] | None = None
        sliced = False
        while i < len(self.tokens) and self.tokens[i].kind != "close":
            keyword = self.word(i)
            if keyword == "GROUP" and self.word(i + 1) == "BY":
                group_by = set()
                i += 2
                while i < len(self.tokens) and self.word(i) not in (
                        "HAVING", "ORDER", "LIMIT", "OFFSET") and self.tokens[i].kind != "close":
                    if self.tokens[i].kind == "var":
                        group_by.add(var_name(self.tokens[i]))
                    elif self.tokens[i].kind == "lparen":
                        group_by.add("")  # an expression: not a plain variable
                        i = self.parens.get(i, i)
                    i += 1
                continue
            if keyword in ("LIMIT", "OFFSET"):
                sliced = True
            if self.tokens[i].kind == "lparen":
                close = self.parens.get(i, i)
                aggregates |= self._aggregates(i, close)
                i = close
            elif self.tokens[i].kind == "word" and self.word(i) in AGGREGATES:
                aggregates = True
            i += 1
        return Select(star, projected, aggregates, group_by, sliced, where, projection), i

    def _aggregates(self, start: int, end: int) -> bool:
        return any(self.word(k) in AGGREGATES and k + 1 < len(self.tokens)
                   and self.tokens[k + 1].kind == "lparen" for k in range(start, end))

    def group(self, i: int) -> tuple[Group, int]:
        """The group whose ``{`` is token ``i``; and the index after its ``}``."""
        close = self.braces.get(i)
        if close is None:
            raise self.fail("unbalanced braces")
        group = Group()
        k = i + 1
        if self.word(k) == "SELECT":
            select, after = self.select(k)
            if after != close:
                raise self.fail("text after a sub-select")
            group.elements.append(SubSelect(select))
            return group, close + 1
        while k < close:
            tok = self.tokens[k]
            keyword = self.word(k)
            if tok.kind == "open":
                branches = []
                nested, k = self.group(k)
                branches.append(nested)
                while self.word(k) == "UNION":
                    nested, k = self.group(k + 1)
                    branches.append(nested)
                group.elements.append(Union(branches))
            elif keyword == "OPTIONAL":
                nested, k = self.group(k + 1)
                group.elements.append(OptionalGroup(nested))
            elif keyword in ("FILTER", "BIND"):
                k, element = self.expression(k, keyword)
                group.elements.append(element)
            elif keyword in ("MINUS", "SERVICE", "GRAPH", "VALUES"):
                k = self.other(k, keyword, close, group)
            elif tok.text == ".":
                k += 1
            else:
                end = k
                while end < close and not (self.tokens[end].kind == "open" or (
                        self.word(end) in _CLAUSES)):
                    end += 1
                group.elements.append(Triples(self.tokens[k:end], _anchors(self.tokens[k:end])))
                k = end
        return group, close + 1

    def expression(self, k: int, keyword: str) -> tuple[int, Filter | Bind]:
        k += 1
        start = k
        if self.word(k) == "NOT":
            k += 1
        if self.word(k) == "EXISTS":
            inner, end = self.group(k + 1)
            return end, Filter(False, [inner])
        if k < len(self.tokens) and self.tokens[k].kind == "word":
            k += 1  # a function call: FILTER regex(...)
        if k >= len(self.tokens) or self.tokens[k].kind != "lparen" or k not in self.parens:
            raise self.fail(f"a malformed {keyword}")
        end = self.parens[k]
        exists: list[Group] = []
        mentions = False
        j = start
        while j <= end:
            if self.word(j) == "EXISTS" and j + 1 <= end and self.tokens[j + 1].kind == "open":
                inner, j = self.group(j + 1)
                exists.append(inner)
                continue
            tok = self.tokens[j]
            if keyword == "BIND" and self.word(j) == "AS":
                break  # the target variable, checked by restrictions()
            mentions |= tok.kind == "var" and var_name(tok) == THIS
            j += 1
        if keyword == "BIND":
            return end + 1, Bind(mentions, exists)
        return end + 1, Filter(mentions, exists)

    def other(self, k: int, keyword: str, close: int, group: Group) -> int:
        groups = []
        k += 1
        while k < close and self.tokens[k].kind != "open":
            k += 1
        if keyword == "VALUES":  # a data block, not a group
            end = self.braces.get(k, close)
            group.elements.append(Other(keyword, []))
            return end + 1
        nested, k = self.group(k)
        groups.append(nested)
        group.elements.append(Other(keyword, groups))
        return k


def _anchors(tokens: list[Token]) -> bool:
    """Whether a run of triple patterns has one with ``$this`` as its subject or object
    and a predicate that cannot match a zero-length path.

    Such a pattern binds ``$this`` only to nodes of the graph, exactly the solutions the
    pre-bound pattern has. A path with ``*`` or ``?`` also matches every node to itself,
    so with ``$this`` free it would bind it to the graph's nodes while the pre-bound
    pattern matches its focus node even when the graph does not mention it.
    """
    for statement in _split(tokens, "."):
        if len(statement) < 3:
            continue
        subject, rest = statement[0], statement[1:]
        for segment in _split(rest, ";"):
            end = _verb_end(segment)
            if end is None or end >= len(segment):
                continue
            verb, objects = segment[:end], segment[end:]
            if any(t.text in ("*", "?") for t in verb):
                continue
            if _is_this(subject) or any(
                    len(term) == 1 and _is_this(term[0]) for term in _split(objects, ",")):
                return True
    return False


def _verb_end(segment: list[Token]) -> int | None:
    """The index after the predicate (a variable or a property path) of ``segment``."""
    if not segment:
        return None
    if segment[0].kind == "var":
        return 1
    i = 0
    while True:
        while i < len(segment) and segment[i].text in ("^", "!"):
            i += 1
        if i >= len(segment):
            return None
        if segment[i].kind == "lparen":
            depth = 0
            while i < len(segment):
                depth += {"lparen": 1, "rparen": -1}.get(segment[i].kind, 0)
                i += 1
                if depth == 0:
                    break
        elif segment[i].kind in ("iri", "word"):
            i += 1
        else:
            return None
        while i < len(segment) and segment[i].text in ("*", "+", "?"):
            i += 1
        if i < len(segment) and segment[i].text in ("/", "|"):
            i += 1
            continue
        return i


def _is_this(tok: Token) -> bool:
    return tok.kind == "var" and var_name(tok) == THIS


def _split(tokens: list[Token], separator: str) -> list[list[Token]]:
    parts: list[list[Token]] = [[]]
    depth = 0
    for tok in tokens:
        if tok.text in ("[", "(") or tok.kind == "lparen":
            depth += 1
        elif tok.text in ("]", ")") or tok.kind == "rparen":
            depth -= 1
        if depth == 0 and tok.text == separator:
            parts.append([])
        else:
            parts[-1].append(tok)
    return parts


# ----------------------------------------------------------------------------- restrictions


def restrictions(text: str, prebound: Iterable[str]) -> str | None:
    """Why ``text`` breaks SHACL's restrictions on queries with pre-bound variables
    (appendix B), or None. ``prebound`` names the potentially pre-bound variables."""
    names = set(prebound)
    tokens = tokenize(text)
    for i, tok in enumerate(tokens):
        keyword = tok.text.upper() if tok.kind == "word" else ""
        if keyword in ("MINUS", "SERVICE", "VALUES"):
            return f"it uses {keyword}, which SHACL does not allow in a pre-bound query"
        if keyword == "AS" and i + 1 < len(tokens) and tokens[i + 1].kind == "var" and \
                var_name(tokens[i + 1]) in names:
            return (f"it assigns the pre-bound variable ${var_name(tokens[i + 1])} with AS, "
                    "which SHACL does not allow")
    parsed = _parsed(text) if any(is_keyword(t, "SELECT") for t in tokens) else None
    if not isinstance(parsed, Select):
        return None  # not a SELECT we can read: the SPARQL parser has the last word
    for sub in _subselects(parsed.where):
        if THIS in sub.projected or (sub.star and _binds_this(sub.where)):
            continue
        return "a sub-select does not return $this, which SHACL requires"
    return None


def _subselects(group: Group) -> Iterable[Select]:
    for element in group.elements:
        if isinstance(element, SubSelect):
            yield element.query
            yield from _subselects(element.query.where)
        for inner in _children(element):
            yield from _subselects(inner)


def _children(element: Element) -> list[Group]:
    if isinstance(element, (Filter, Bind)):
        return element.exists
    if isinstance(element, OptionalGroup):
        return [element.group]
    if isinstance(element, Union):
        return element.branches
    if isinstance(element, Other):
        return element.groups
    return []


def _binds_this(group: Group) -> bool:
    """Whether ``$this`` is in scope in ``group`` (SPARQL 18.2.1): in a triple pattern or
    a sub-select projection, not only in expressions."""
    for element in group.elements:
        if isinstance(element, Triples) and any(_is_this(t) for t in element.tokens):
            return True
        if isinstance(element, SubSelect) and THIS in element.query.projected:
            return True
        if isinstance(element, (OptionalGroup, Union, Other)) and any(
                _binds_this(g) for g in _children(element)):
            return True
    return False


# ----------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Plan:
    mode: str  # "bulk", "batched" or "single"
    reason: str  # why not bulk, for people
    text: str  # bulk: the query to run as is; otherwise a template (see insert_values)


@lru_cache(maxsize=512)
def _parsed(text: str) -> Select | str:
    """The parse of a SELECT query, or why it could not be read (cached by text)."""
    try:
        return _Parser(text).query()
    except QueryShapeError as error:
        return str(error)


@lru_cache(maxsize=512)
def plan(text: str) -> Plan:
    """How the fast engine may run ``text`` (a SHACL-SPARQL ``sh:select``)."""
    select = _parsed(text)
    if isinstance(select, str):
        return Plan("single", f"the query could not be analysed ({select})", _template(text))
    slices = _has_slices(select)
    mixed_groups = select.aggregates and (select.group_by is None or THIS not in select.group_by)
    if slices or mixed_groups:
        why = "LIMIT or OFFSET" if slices else "an aggregate not grouped by $this"
        return Plan("single", f"it uses {why}", _template(text))
    why_not = _bulk_problem(select)
    if why_not is None:
        return Plan("bulk", "", _projecting_this(text, select))
    return Plan("batched", why_not, _template(_projecting_this(text, select)))


def _has_slices(select: Select) -> bool:
    return select.sliced or any(_has_slices(s) for s in _subselects(select.where))


def _bulk_problem(select: Select) -> str | None:
    problem = _group_problem(select.where, context_bound=False)
    if problem is None and not _anchored(select.where, context_bound=False):
        problem = "no triple pattern binds $this before the rest of the query uses it"
    return problem


def _mentions(element: Element | Group) -> bool:
    if isinstance(element, Group):
        return any(_mentions(e) for e in element.elements)
    if isinstance(element, Triples):
        return any(_is_this(t) for t in element.tokens)
    if isinstance(element, (Filter, Bind)):
        return element.mentions or any(_mentions(g) for g in element.exists)
    if isinstance(element, SubSelect):
        return THIS in element.query.projected or _mentions(element.query.where)
    return any(_mentions(g) for g in _children(element))


def _anchored(group: Group, context_bound: bool) -> bool:
    """Whether every solution of ``group`` binds ``$this``."""
    if context_bound:
        return True
    for element in group.elements:
        if isinstance(element, Triples) and element.anchors:
            return True
        if isinstance(element, Union) and all(_anchored(b, False) for b in element.branches):
            return True
        if isinstance(element, SubSelect) and THIS in element.query.projected and _anchored(
                element.query.where, False):
            return True
    return False


def _group_problem(group: Group, context_bound: bool, filters_bound: bool | None = None
                   ) -> str | None:
    """Why evaluating ``group`` with ``$this`` free would not give the pre-bound answers.

    ``context_bound``: ``$this`` is bound before the group is evaluated (inside EXISTS).
    ``filters_bound``: the group's own filters see ``$this`` bound (an OPTIONAL group's
    filters are evaluated on the joined solution).
    """
    whole = _anchored(group, context_bound)
    sees = whole if filters_bound is None else (whole or filters_bound)
    bound = context_bound  # bound by what precedes, in order
    for element in group.elements:
        if isinstance(element, Triples):
            bound |= element.anchors
        elif isinstance(element, Filter):
            if element.mentions and not sees:
                return "a FILTER uses $this where no pattern of its group binds it"
            for inner in element.exists:
                problem = _group_problem(inner, context_bound=sees)
                if problem:
                    return problem
        elif isinstance(element, Bind):
            if _mentions(element) and not bound:
                return "a BIND uses $this before a triple pattern binds it"
            for inner in element.exists:
                problem = _group_problem(inner, context_bound=bound)
                if problem:
                    return problem
        elif isinstance(element, OptionalGroup):
            if _mentions(element.group) and not bound:
                return "an OPTIONAL uses $this before a triple pattern binds it"
            problem = _group_problem(element.group, False, filters_bound=bound)
            if problem:
                return problem
        elif isinstance(element, Union):
            for branch in element.branches:
                problem = _group_problem(branch, False)
                if problem:
                    return problem
            bound |= all(_anchored(b, False) for b in element.branches)
        elif isinstance(element, SubSelect):
            if _mentions(element):
                problem = _bulk_problem(element.query)
                if problem:
                    return problem
                bound |= THIS in element.query.projected
        elif _mentions(element):
            return f"{element.keyword} uses $this"
    return None


def _projecting_this(text: str, select: Select) -> str:
    """The query with ``?this`` added to its projection when it does not return it."""
    if select.star or THIS in select.projected:
        return text
    tokens = tokenize(text)
    at = tokens[select.projection[0]].start
    return text[:at] + _insertion()["projection"] + " " + text[at:]


# ----------------------------------------------------------------------------- values insertion


@cache
def _insertion() -> dict[str, str]:
    """The fields of engine/prebinding.rq: ``values``, ``rows`` and ``projection``."""
    fields = {}
    text = files("guidebook_kg").joinpath("engine/prebinding.rq").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("#+ "):
            key, _, value = line[3:].partition(":")
            fields[key.strip()] = value.strip()
    return fields


MARKER = "\x00rows\x00"


def _template(text: str) -> str:
    """The query with a values block (rows left as :data:`MARKER`) opening every group
    graph pattern: WHERE groups, nested and OPTIONAL groups, UNION branches, EXISTS,
    GRAPH and sub-select WHERE groups (not the braces around a sub-select)."""
    block = _insertion()["values"]
    tokens = tokenize(text)
    cuts = [tok.end for i, tok in enumerate(tokens)
            if tok.kind == "open"
            and not (i + 1 < len(tokens) and is_keyword(tokens[i + 1], "SELECT"))
            and not (i > 0 and is_keyword(tokens[i - 1], "VALUES"))]
    for cut in reversed(cuts):
        text = text[:cut] + " " + block.replace("{rows}", MARKER) + " " + text[cut:]
    return text


def insert_values(template: str, terms: Iterable[str]) -> str:
    """A template of :func:`plan` with its values blocks listing ``terms`` (N-Triples
    IRIs or literals, which SPARQL reads as the same terms)."""
    row = _insertion()["rows"]
    return template.replace(MARKER, " ".join(row.replace("{term}", t) for t in terms))


def substitute_path(text: str, path: str) -> str:
    """``text`` with every ``$PATH`` replaced by ``path`` (a SPARQL property path), as
    SHACL does for the query of a property shape's SPARQL-based constraint."""
    for tok in reversed(tokenize(text)):
        if tok.kind == "var" and tok.text == "$PATH":
            text = text[:tok.start] + path + text[tok.end:]
    return text


def pre_bound(text: str, terms: Iterable[str]) -> str:
    """``text`` with the Values Insertion of ``terms`` done as SHACL defines it, whatever
    the plan: the reference the other ways of running a query are tested against."""
    return insert_values(_template(text), terms)
