"""The validation report model, shared by every validation engine.

Engines (pyshacl, the fast SPARQL engine) produce :class:`ValidationResult` objects; the
renderers and the CLI only ever see this model, so engines can be swapped or compared.
Terms are kept as N-Triples strings (``<iri>``, ``"lit"^^<dt>``, ``_:b0``) so that results
from different RDF libraries compare equal. A result path is an N-Triples IRI for a
predicate path and, for the other SHACL property paths, the SPARQL 1.1 property path
that means the same (``^<p>``, ``(<p>/<q>)``, ``(<p>|<q>)``, ``<p>*``): see
:func:`path_triples` for the RDF form a report writes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from guidebook_kg.prefixes import PREFIXES

SH = "http://www.w3.org/ns/shacl#"
RDF = PREFIXES["rdf"]


class Severity:
    """A SHACL severity: ``sh:Info``, ``sh:Warning``, ``sh:Violation`` or any other IRI.

    SHACL allows any IRI as a severity. Severities compare by how serious they are, and
    one SHACL does not define counts as a violation (for ``conforms`` and ``--fail-on``);
    equality is by IRI.
    """

    __slots__ = ("iri", "rank")

    INFO: ClassVar[Severity]
    WARNING: ClassVar[Severity]
    VIOLATION: ClassVar[Severity]
    _KNOWN: ClassVar[dict[str, Severity]] = {}

    def __init__(self, iri: str, rank: int) -> None:
        self.iri = iri
        self.rank = rank

    @classmethod
    def from_iri(cls, iri: str) -> Severity:
        """The severity an IRI names; SHACL's own are singletons (``is`` compares them)."""
        known = cls._KNOWN.get(iri)
        return known if known is not None else cls(iri, cls.VIOLATION.rank)

    @property
    def custom(self) -> bool:
        """Whether this is a severity SHACL does not define."""
        return self._KNOWN.get(self.iri) is not self

    @property
    def name(self) -> str:
        """``VIOLATION``, ``WARNING``, ``INFO``, or the IRI of a custom severity."""
        return self.iri if self.custom else self.iri.removeprefix(SH).upper()

    @property
    def label(self) -> str:
        """For people: ``Violation``, ``Warning``, ``Info``, or the custom severity's
        compact IRI (its local name when no project prefix fits)."""
        if not self.custom:
            return self.iri.removeprefix(SH)
        shown = compact(f"<{self.iri}>")
        if not shown.startswith("<"):
            return shown
        return re.split(r"[#/]", self.iri.rstrip("#/"))[-1] or self.iri

    def __int__(self) -> int:
        return self.rank

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Severity) and other.iri == self.iri

    def __hash__(self) -> int:
        return hash(self.iri)

    # "At least as serious as": by rank only, so a custom severity is >= sh:Violation.
    def __lt__(self, other: Severity) -> bool:
        return self.rank < other.rank

    def __le__(self, other: Severity) -> bool:
        return self.rank <= other.rank

    def __gt__(self, other: Severity) -> bool:
        return self.rank > other.rank

    def __ge__(self, other: Severity) -> bool:
        return self.rank >= other.rank

    def __repr__(self) -> str:
        return f"Severity({self.iri!r})"


Severity.INFO = Severity(SH + "Info", 1)
Severity.WARNING = Severity(SH + "Warning", 2)
Severity.VIOLATION = Severity(SH + "Violation", 3)
Severity._KNOWN.update({s.iri: s for s in (Severity.INFO, Severity.WARNING, Severity.VIOLATION)})


@dataclass(frozen=True, order=True)
class ValidationResult:
    """One sh:ValidationResult. Terms are N-Triples strings; absent ones are None."""

    focus_node: str
    source_shape: str
    path: str | None
    value: str | None
    constraint_component: str
    severity: Severity
    message: str = field(default="", compare=False)

    def key(self) -> tuple[str, str | None, str, str | None, str]:
        """What two engines must agree on: focus, path, shape, value, component."""
        return (self.focus_node, self.path, self.source_shape, self.value,
                self.constraint_component)


@dataclass
class ValidationReport:
    """The results of validating one data graph against one shapes graph."""

    results: list[ValidationResult]
    engine: str
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def conforms(self) -> bool:
        """No violation (a custom severity counts as one)."""
        return not self.at_or_above(Severity.VIOLATION)

    def count(self, severity: Severity) -> int:
        return sum(1 for r in self.results if r.severity == severity)

    def custom_severities(self) -> dict[Severity, int]:
        """How many results have each severity SHACL does not define, by IRI."""
        counts: dict[Severity, int] = {}
        for r in sorted(self.results, key=lambda r: r.severity.iri):
            if r.severity.custom:
                counts[r.severity] = counts.get(r.severity, 0) + 1
        return counts

    def at_or_above(self, severity: Severity) -> list[ValidationResult]:
        return [r for r in self.results if r.severity >= severity]


# ----------------------------------------------------------------------------- paths

_PATH_KINDS = {"^": "inversePath", "*": "zeroOrMorePath", "+": "oneOrMorePath",
               "?": "zeroOrOnePath"}
_PATH_TOKEN = re.compile(r"\s*(<[^<>\"{}|^`\\\x00-\x20]*>|[()/|^*+?])")


def path_text(node: str, objects: Callable[[str, str], list[str]]) -> str:
    """The result-path form (see the module docstring) of the SHACL path at ``node``.

    ``node`` is an N-Triples term; ``objects(node, predicate_iri)`` gives the N-Triples
    objects of a node in the graph that holds the path. A blank node that is not a
    well-formed path is returned as it is.
    """

    def one(subject: str, predicate: str) -> str | None:
        values = objects(subject, predicate)
        return values[0] if values else None

    def items(head: str) -> list[str] | None:
        found: list[str] = []
        while head != f"<{RDF}nil>":
            first, rest = one(head, RDF + "first"), one(head, RDF + "rest")
            if first is None or rest is None or len(found) > 1000:
                return None
            found.append(first)
            head = rest
        return found

    def text(term: str, depth: int) -> str | None:
        if term.startswith("<"):
            return term
        if not term.startswith("_:") or depth > 50:
            return None
        if one(term, RDF + "first") is not None:  # a list is a sequence path
            members = items(term)
            parts = [text(m, depth + 1) for m in members or []]
            if not members or None in parts:
                return None
            return parts[0] if len(parts) == 1 else "(" + "/".join(map(str, parts)) + ")"
        alternatives = one(term, SH + "alternativePath")
        if alternatives is not None:
            members = items(alternatives)
            parts = [text(m, depth + 1) for m in members or []]
            if not members or None in parts:
                return None
            return parts[0] if len(parts) == 1 else "(" + "|".join(map(str, parts)) + ")"
        for mark, name in _PATH_KINDS.items():
            inner = one(term, SH + name)
            if inner is not None:
                shown = text(inner, depth + 1)
                if shown is None:
                    return None
                return f"^{shown}" if mark == "^" else f"{_grouped(shown)}{mark}"
        return None

    return text(node, 0) or node


def _grouped(path: str) -> str:
    # A postfix operator binds tighter than ^: ^<p>* is ^(<p>*), so group an inverse.
    return f"({path})" if path.startswith("^") else path


@dataclass(frozen=True)
class _PathNode:
    kind: str  # "iri", "/", "|", "^", "*", "+", "?"
    parts: tuple[_PathNode, ...] = ()
    iri: str = ""


def _parse_path(text: str) -> _PathNode:
    tokens = _PATH_TOKEN.findall(text)
    if "".join(tokens) != re.sub(r"\s+", "", text) or not tokens:
        raise ValueError(f"not a result path: {text!r}")
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        position += 1
        token: str = tokens[position - 1]
        return token

    def alternative() -> _PathNode:
        parts = [sequence()]
        while peek() == "|":
            take()
            parts.append(sequence())
        return parts[0] if len(parts) == 1 else _PathNode("|", tuple(parts))

    def sequence() -> _PathNode:
        parts = [element()]
        while peek() == "/":
            take()
            parts.append(element())
        return parts[0] if len(parts) == 1 else _PathNode("/", tuple(parts))

    def element() -> _PathNode:
        if peek() == "^":
            take()
            return _PathNode("^", (element(),))
        token = take()
        if token == "(":
            node = alternative()
            if take() != ")":
                raise ValueError(f"not a result path: {text!r}")
        elif token.startswith("<"):
            node = _PathNode("iri", iri=token)
        else:
            raise ValueError(f"not a result path: {text!r}")
        while peek() in ("*", "+", "?"):
            node = _PathNode(take(), (node,))
        return node

    node = alternative()
    if position != len(tokens):
        raise ValueError(f"not a result path: {text!r}")
    return node


def path_triples(path: str, fresh: Callable[[], str]) -> tuple[str, list[str]]:
    """The SHACL RDF form of a result path: its node and the N-Triples lines that
    describe it (none for a predicate path). ``fresh()`` names a new blank node."""
    lines: list[str] = []

    def rdf_list(members: list[str]) -> str:
        head = f"<{RDF}nil>"
        for member in reversed(members):
            cell = fresh()
            lines.append(f"{cell} <{RDF}first> {member} .")
            lines.append(f"{cell} <{RDF}rest> {head} .")
            head = cell
        return head

    def emit(node: _PathNode) -> str:
        if node.kind == "iri":
            return node.iri
        if node.kind == "/":
            return rdf_list([emit(p) for p in node.parts])
        subject = fresh()
        if node.kind == "|":
            lines.append(f"{subject} <{SH}alternativePath> "
                         f"{rdf_list([emit(p) for p in node.parts])} .")
        else:
            lines.append(f"{subject} <{SH}{_PATH_KINDS[node.kind]}> {emit(node.parts[0])} .")
        return subject

    return emit(_parse_path(path)), lines


# ----------------------------------------------------------------------------- terms for people


def compact(term: str) -> str:
    """An N-Triples term, IRI or result path shortened with the project's prefixes."""
    if term.startswith("<") and term.endswith(">") and term.count("<") == 1:
        return _compact_iri(term[1:-1], term)
    if term[:1] in "(^<" and not term.startswith("<<"):  # a result path
        return re.sub(r"<([^<>]*)>", lambda m: _compact_iri(m[1], m[0]), term)
    if _looks_like_iri(term):
        return _compact_iri(term, term)
    return term


def _compact_iri(iri: str, otherwise: str) -> str:
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            best = prefix
    if best:
        return f"{best}:{iri[len(PREFIXES[best]):]}"
    return otherwise


def _looks_like_iri(text: str) -> bool:
    scheme, colon, _ = text.partition(":")
    return bool(colon) and scheme.isascii() and scheme[:1].isalpha()


_BARE_DATATYPES = frozenset(
    PREFIXES["xsd"] + name for name in ("boolean", "integer", "decimal", "double")
)


def display(term: str) -> str:
    """A term for people: compact IRIs, bare numbers and booleans, short datatypes."""
    if not term.startswith('"'):
        return compact(term)
    lexical, _, datatype = term.rpartition("^^")
    if not lexical or not datatype.startswith("<"):
        return term  # a plain string or a language-tagged one
    if datatype[1:-1] in _BARE_DATATYPES:
        shown: str = json.loads(lexical) if lexical.startswith('"') else lexical
        return shown
    return f"{lexical}^^{compact(datatype)}"

