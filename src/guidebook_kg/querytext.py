"""What a SPARQL query's text asks for before the engine runs it: ``SERVICE`` and ``FROM``.

**SERVICE.** Oxigraph runs a ``SERVICE <iri> { ... }`` clause by sending an HTTP request to
that IRI from the machine that runs the query, and pyoxigraph 0.5 offers no switch to turn
this off (``Store.query`` takes no service handler). A query from someone else (the
``/sparql`` endpoint, a ``.rq`` file from elsewhere, a saved view) would make this machine
call hosts it can reach and others cannot: loopback, private addresses (server-side request
forgery). So every query the embedded store runs passes :meth:`Federation.check` first,
which refuses ``SERVICE`` unless the operator listed the endpoint.

The check has two layers:

1. :func:`service_keywords` scans the text the way the SPARQL grammar splits it into
   tokens (IRIs with ``\\u`` escapes, the four kinds of strings, comments, variables,
   blank node labels, language tags, local names with ``\\`` escapes) and reports every
   place where the word ``service`` survives outside them, in any case and even glued to
   other words (Oxigraph reads ``SERVICEex:p`` as the keyword and a prefixed name). Each
   blanked token is one Oxigraph also reads as one opaque token, and every pattern is
   at most as wide as the grammar's, so the scan may refuse a harmless query (a prefix
   named ``service:``) but never misses a ``SERVICE`` Oxigraph would run; a test compares
   it with what Oxigraph actually calls. It is linear and takes microseconds, so every
   query pays it.
2. Only when the operator allowed some endpoints and the scan found the keyword, rdflib's
   SPARQL parser gives the query algebra, whose ``ServiceGraphPattern`` nodes name the
   endpoints; each must be an IRI on the list, and the parser must have found as many
   as the scan (so a text the two read differently is refused, not guessed at).

**FROM.** :func:`has_dataset_clause` tells whether the query chooses its own dataset
(``FROM`` / ``FROM NAMED``), which the endpoint must then honour instead of its default
(the union of all graphs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from guidebook_kg.errors import InputError

# Tokens whose text is opaque to the keyword scan: nothing inside them is a keyword.
# Order matters only where two could start at one place; each is at most as wide as
# the grammar's terminal (SPARQL 1.1, section 19.8), so none can swallow a keyword that
# Oxigraph reads outside it.
_HEX = r"[0-9A-Fa-f]"
_UCHAR = rf"\\u{_HEX}{{4}}|\\U{_HEX}{{8}}"
_OPAQUE = re.compile(
    rf"""
    (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*>)
  | (?P<long>(?<!\\)\"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
           |(?<!\\)'''(?:(?:'|'')?(?:[^'\\]|\\.))*''')
  | (?P<string>(?<!\\)"(?:[^"\\\n\r]|\\.)*"|(?<!\\)'(?:[^'\\\n\r]|\\.)*')
  | (?P<comment>(?<!\\)\#[^\n\r]*)
  | (?P<var>[?$][A-Za-z0-9_]+)
  | (?P<bnode>_:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<local>:(?:[A-Za-z0-9_:]|%{_HEX}{{2}}|\\[_~.\-!$&'()*+,;=/?\#@%])
              (?:(?:[A-Za-z0-9_:.-]|%{_HEX}{{2}}|\\[_~.\-!$&'()*+,;=/?\#@%])*
                 (?:[A-Za-z0-9_:-]|%{_HEX}{{2}}|\\[_~.\-!$&'()*+,;=/?\#@%]))?)
    """,
    re.VERBOSE,
)
_SERVICE = re.compile("service", re.IGNORECASE)
_FROM = re.compile(r"(?<![A-Za-z0-9_])from(?![A-Za-z0-9_])", re.IGNORECASE)


@lru_cache(maxsize=4)
def _bare(text: str) -> str:
    """``text`` with every opaque token replaced by spaces (same length, same lines).

    Kept for the last few texts: the endpoint asks both :func:`service_keywords` and
    :func:`has_dataset_clause` of each query, and the text is scanned once.
    """

    def blank(match: re.Match[str]) -> str:
        # A local name is the colon and the name only: a prefix before it stays
        # visible, since Oxigraph reads "SERVICEex:p" as the keyword followed by ex:p.
        token = match.group(0)
        if "\n" not in token:
            return " " * len(token)
        return re.sub(r"[^\n]", " ", token)

    return _OPAQUE.sub(blank, text)


@dataclass(frozen=True)
class Place:
    """A line and column (1-based) in a query text."""

    line: int
    column: int

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}"


def _places(text: str, offsets: Iterable[int]) -> Iterator[Place]:
    for offset in offsets:
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        yield Place(line, column)


def service_keywords(text: str) -> list[Place]:
    """Where the query could say ``SERVICE``: every place the word survives outside
    IRIs, strings, comments, variables, blank nodes, language tags and local names."""
    bare = _bare(text)
    return list(_places(text, (m.start() for m in _SERVICE.finditer(bare))))


def has_dataset_clause(text: str) -> bool:
    """Whether the query names its own dataset with ``FROM`` or ``FROM NAMED``."""
    return _FROM.search(_bare(text)) is not None


class FederationRefused(InputError):
    """A query asks to call another SPARQL service, which this installation does not do."""


@dataclass(frozen=True)
class Federation:
    """Which remote SPARQL services queries may call: none, unless the operator lists them."""

    allowed: frozenset[str] = frozenset()

    @classmethod
    def allowing(cls, endpoints: Iterable[str]) -> Federation:
        return cls(frozenset(endpoints))

    def check(self, text: str) -> None:
        """Raise :class:`FederationRefused` unless every ``SERVICE`` of ``text`` calls an
        allowed endpoint."""
        found = service_keywords(text)
        if not found:
            return
        how = (
            "an operator can allow listed endpoints with --allow-service URL"
            if not self.allowed
            else "allowed endpoints: " + ", ".join(sorted(self.allowed))
        )
        if not self.allowed:
            raise FederationRefused(
                f"the query uses SERVICE (a federated query) at {found[0]}: queries here "
                "are not sent on to other SPARQL services",
                hint=f"remove the SERVICE clause; {how}",
            )
        endpoints = _service_endpoints(text)
        if endpoints is None or len(endpoints) != len(found):
            raise FederationRefused(
                f"the query uses SERVICE at {found[0]} in a form whose endpoints cannot be "
                "checked",
                hint=f"write each SERVICE with a full IRI in angle brackets; {how}",
            )
        for endpoint in endpoints:
            if endpoint is None:
                raise FederationRefused(
                    "the query names a SERVICE endpoint with a variable, which cannot be "
                    "checked against the allowed endpoints",
                    hint=f"name the endpoint with its IRI; {how}",
                )
            if endpoint not in self.allowed:
                raise FederationRefused(
                    f"the query calls SERVICE <{endpoint}>, which is not an allowed endpoint",
                    hint=how,
                )


NO_FEDERATION = Federation()


def _service_endpoints(text: str) -> list[str | None] | None:
    """The endpoint of every SERVICE in the query algebra (None for a variable), or None
    when rdflib cannot parse the query."""
    # Imported here: only an installation that allows federation pays rdflib's start-up.
    from rdflib import URIRef
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        algebra = translateQuery(parseQuery(text)).algebra
    except Exception:  # any parse failure (incl. RecursionError on huge queries)
        return None
    found: list[str | None] = []
    seen: set[int] = set()

    def walk(node: Any) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, dict):
            if getattr(node, "name", None) == "ServiceGraphPattern":
                term = node.get("term")
                found.append(str(term) if isinstance(term, URIRef) else None)
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)

    walk(algebra)
    return found
