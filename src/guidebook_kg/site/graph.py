"""Reading a graph for a page: the same questions asked of a constructed graph (the
``programme-page`` view's triples) or of the whole store.

Pages only arrange what the graph says; these readers are how they look at it. Labels
are chosen here and nowhere else: the first of :data:`LABEL_PREDICATES` that a resource
has, in English if it has that, else untagged, else any language, the smallest value
winning a tie so that the choice never depends on store order.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox

from guidebook_kg.namespaces import DCTERMS, FOAF, GB, RDFS, SKOS
from guidebook_kg.prefixes import compact

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

# What names a resource, most specific first.
LABEL_PREDICATES = (SKOS.prefLabel, RDFS.label, FOAF.name, DCTERMS.title, SKOS.notation)


def english(objects: Iterable[Any]) -> str | None:
    """The English literal among ``objects``, else an untagged one, else any (smallest
    value first); None when there is no literal."""
    literals = [o for o in objects if isinstance(o, ox.Literal)]
    for accept in (lambda lang: lang == "en", lambda lang: not lang, lambda lang: True):
        chosen = sorted(o.value for o in literals if accept(o.language or ""))
        if chosen:
            return chosen[0]
    return None


class Reader(ABC):
    """Read-only questions about a graph; subclasses say where the triples come from."""

    @abstractmethod
    def objects(self, s: Any, p: str) -> list[Any]:
        """The objects of ``s p ?o``."""

    @abstractmethod
    def subjects(self, p: str, o: Any) -> list[Any]:
        """The subjects of ``?s p o``."""

    @abstractmethod
    def has(self, s: Any) -> bool:
        """Whether the graph says anything about ``s``."""

    def one(self, s: Any, p: str) -> Any | None:
        if s is None:
            return None
        found = self.objects(s, p)
        return found[0] if found else None

    def text(self, s: Any, p: str) -> str | None:
        """The value of one literal (English first) or the IRI of one resource."""
        if s is None:
            return None
        found = self.objects(s, p)
        if not found:
            return None
        if len(found) == 1:
            return str(found[0].value)
        literal = english(found)
        return literal if literal is not None else str(found[0].value)

    @staticmethod
    def text_of(term: Any) -> str:
        return str(term.value)

    def flag(self, s: Any, p: str) -> bool | None:
        found = self.text(s, p)
        return None if found is None else found in ("true", "1")

    def label(self, s: Any) -> str:
        """What people call ``s``: its label, else its prefixed name."""
        if isinstance(s, ox.Literal):
            return s.value
        found = self.label_or_none(s)
        if found is not None:
            return found
        return compact(s.value) if isinstance(s, ox.NamedNode) else str(s)

    def label_or_none(self, s: Any) -> str | None:
        for predicate in LABEL_PREDICATES:
            found = english(self.objects(s, predicate))
            if found:
                return found
        return None

    def labels(self, s: Any, p: str) -> list[str]:
        """Labels of the objects, ordered by their gb:order, then by label."""
        objs = self.objects(s, p)
        return [self.label(o) for o in sorted(objs, key=lambda o: (self.order(o), self.label(o)))]

    def order(self, s: Any) -> float:
        found = self.text(s, GB.order)
        try:
            return float(found) if found else float("inf")
        except ValueError:
            return float("inf")


class TripleIndex(Reader):
    """A small index of a constructed graph (a page's triples, each once)."""

    def __init__(self, triples: Iterable[ox.Triple]) -> None:
        self.out: dict[Any, dict[str, list[Any]]] = {}
        self.into: dict[Any, dict[str, list[Any]]] = {}
        # Plain dicts filled by hand: a page graph has thousands of triples, and this runs
        # once per programme page.
        out, into = self.out, self.into
        for t in triples:
            subject, predicate, obj = t.subject, t.predicate.value, t.object
            by_predicate = out.get(subject)
            if by_predicate is None:
                out[subject] = {predicate: [obj]}
            else:
                found = by_predicate.get(predicate)
                if found is None:
                    by_predicate[predicate] = [obj]
                else:
                    found.append(obj)
            by_predicate = into.get(obj)
            if by_predicate is None:
                into[obj] = {predicate: [subject]}
            else:
                found = by_predicate.get(predicate)
                if found is None:
                    by_predicate[predicate] = [subject]
                else:
                    found.append(subject)
        self._sorted: set[tuple[int, Any, str]] = set()

    def has(self, s: Any) -> bool:
        return bool(self.out.get(s))

    def objects(self, s: Any, p: str) -> list[Any]:
        return self._in_order(self.out, 0, s, p)

    def subjects(self, p: str, o: Any) -> list[Any]:
        return self._in_order(self.into, 1, o, p)

    def _in_order(
        self, index: dict[Any, dict[str, list[Any]]], side: int, node: Any, p: str
    ) -> list[Any]:
        found = index.get(node)
        if found is None:
            return []
        values = found.get(p)
        if values is None:
            return []
        if len(values) > 1 and (side, node, p) not in self._sorted:
            values.sort(key=str)  # once: the lists are read many times
            self._sorted.add((side, node, p))
        return list(values)


class StoreReader(Reader):
    """The whole store (every graph, each statement once); labels are remembered."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self._labels: dict[Any, str | None] = {}

    def objects(self, s: Any, p: str) -> list[Any]:
        if not isinstance(s, ox.NamedNode | ox.BlankNode):
            return []
        found = {q.object for q in self.store.quads_for_pattern(s, ox.NamedNode(p), None)}
        return sorted(found, key=str)

    def subjects(self, p: str, o: Any) -> list[Any]:
        found = {q.subject for q in self.store.quads_for_pattern(None, ox.NamedNode(p), o)}
        return sorted(found, key=str)

    def has(self, s: Any) -> bool:
        if not isinstance(s, ox.NamedNode | ox.BlankNode):
            return False
        return next(iter(self.store.quads_for_pattern(s, None, None)), None) is not None

    def label_or_none(self, s: Any) -> str | None:
        if s not in self._labels:
            self._labels[s] = super().label_or_none(s)
        return self._labels[s]

    def __call__(self, term: ox.NamedNode | str) -> str:
        """The label of an IRI (a term or its string)."""
        return self.label(ox.NamedNode(term) if isinstance(term, str) else term)

    def known(self, iri: str) -> bool:
        """Whether ``iri`` has a label in the graph."""
        return self.label_or_none(ox.NamedNode(iri)) is not None
