"""What ``build`` and ``serve`` share: RDF syntaxes, deterministic serialization, resource
descriptions and content negotiation.

Deterministic output needs two things pyoxigraph does not give by itself: blank nodes get
fresh random labels on every load, so they are renamed canonically (RDFC-1.0), and the
store iterates in index order, so statements are sorted before they are written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import pyoxigraph as ox

from guidebook_kg import jsonld
from guidebook_kg.export import xml_writable
from guidebook_kg.namespaces import ID, ONTOLOGY
from guidebook_kg.prefixes import ONTOLOGY_GRAPH, PREFIXES

# Any RDF term (pyoxigraph has no common base class to name in annotations).
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


@dataclass(frozen=True)
class Syntax:
    """One RDF syntax we publish: its name, file extension and media type."""

    name: str
    extension: str
    media_type: str
    rdf_format: ox.RdfFormat
    dataset: bool = False  # keeps named graphs

    @property
    def label(self) -> str:
        return _LABELS[self.name]


SYNTAXES: dict[str, Syntax] = {
    s.name: s
    for s in (
        Syntax("turtle", "ttl", "text/turtle", ox.RdfFormat.TURTLE),
        Syntax("ntriples", "nt", "application/n-triples", ox.RdfFormat.N_TRIPLES),
        Syntax("jsonld", "jsonld", "application/ld+json", ox.RdfFormat.JSON_LD),
        Syntax("rdfxml", "rdf", "application/rdf+xml", ox.RdfFormat.RDF_XML),
        Syntax("trig", "trig", "application/trig", ox.RdfFormat.TRIG, dataset=True),
        Syntax("nquads", "nq", "application/n-quads", ox.RdfFormat.N_QUADS, dataset=True),
    )
}
_LABELS = {
    "turtle": "Turtle",
    "ntriples": "N-Triples",
    "jsonld": "JSON-LD",
    "rdfxml": "RDF/XML",
    "trig": "TriG",
    "nquads": "N-Quads",
}

# The syntaxes a single resource (a graph, not a dataset) is offered in, in the order the
# server prefers them when a client accepts several equally.
GRAPH_SYNTAXES: tuple[Syntax, ...] = tuple(s for s in SYNTAXES.values() if not s.dataset)

_WITH_PREFIXES = frozenset({"turtle", "trig", "rdfxml"})

# RDF/XML writes a predicate as an XML element name, so its IRI must end in an NCName;
# pyoxigraph 0.5.13 writes a broken element instead of failing.


def canonical_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """``quads`` with canonical blank-node labels (RDFC-1.0), sorted, without duplicates."""
    dataset = ox.Dataset(quads)
    if any(_has_blank_node(q) for q in dataset):
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(dataset, key=quad_sort_key)


def canonical_triples(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """``triples`` with canonical blank-node labels, sorted, without duplicates."""
    quads = (ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    return [q.triple for q in canonical_quads(quads)]


def _has_blank_node(quad: ox.Quad) -> bool:
    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


def quad_sort_key(quad: ox.Quad) -> tuple[str, str, str, str]:
    graph = "" if isinstance(quad.graph_name, ox.DefaultGraph) else str(quad.graph_name)
    return graph, str(quad.subject), str(quad.predicate), str(quad.object)


def serialize(
    statements: Sequence[ox.Triple] | Sequence[ox.Quad],
    syntax: Syntax,
    context: jsonld.Context | None = None,
) -> bytes:
    """Write already sorted ``statements`` in ``syntax`` (quads only for dataset syntaxes);
    JSON-LD needs the ``context`` whose keys it uses."""
    if syntax.name == "jsonld":
        if context is None:
            raise ValueError("JSON-LD output needs a context")
        return jsonld.dumps((_triple(s) for s in statements), context)
    if not syntax.dataset:
        triples = [_triple(s) for s in statements]
        statements = list(xml_writable(triples)) if syntax.name == "rdfxml" else triples
    prefixes = PREFIXES if syntax.name in _WITH_PREFIXES else None
    data = ox.serialize(statements, format=syntax.rdf_format, prefixes=prefixes)
    return data if data is not None else b""


def _triple(statement: ox.Triple | ox.Quad) -> ox.Triple:
    return statement.triple if isinstance(statement, ox.Quad) else statement


# ------------------------------------------------------------------ resource descriptions


@dataclass(frozen=True)
class Description:
    """What the graph says about one resource: its own triples and the links into it."""

    iri: str
    triples: list[ox.Triple]  # sorted; blank nodes canonical
    inbound: list[ox.Triple]  # triples whose object is the resource (not in ``triples``)

    @property
    def exists(self) -> bool:
        return bool(self.triples)

    @cached_property
    def all_triples(self) -> list[ox.Triple]:
        """What the resource's RDF representation holds: its triples and its inbound links."""
        return canonical_triples([*self.triples, *self.inbound])


def describe(store: ox.Store, iri: str) -> Description:
    """The description of ``iri``: its concise bounded description (outbound triples and
    the blank nodes they reach) from every graph, and, for data resources under ``id/``,
    the triples that point at it, so that a study can be found from its programme.

    Vocabulary terms (the ontology, concepts) get no inbound links: those would be every
    use of the term in the data. The ontology IRI also describes its hash terms
    (``ontology#Programme``): a client asking for a term strips the fragment and asks for
    the ontology.
    """
    node = ox.NamedNode(iri)
    subjects: list[ox.NamedNode | ox.BlankNode] = [node]
    if iri == ONTOLOGY:
        subjects += sorted(
            {
                q.subject
                for q in store.quads_for_pattern(None, None, None, ox.NamedNode(ONTOLOGY_GRAPH))
                if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(iri + "#")
            },
            key=str,
        )
    found = list(_closure(store, subjects))
    inbound: list[ox.Triple] = []
    if iri.startswith(ID) and found:
        own = set(found)
        for quad in store.quads_for_pattern(None, None, node, None):
            # A link from a blank node (a list cell) means nothing without its context.
            if isinstance(quad.subject, ox.NamedNode) and quad.triple not in own:
                inbound.append(quad.triple)
        inbound = sorted(set(inbound), key=lambda t: (str(t.subject), str(t.predicate)))
    return Description(iri, canonical_triples(found), inbound)


def _closure(
    store: ox.Store, subjects: Iterable[ox.NamedNode | ox.BlankNode]
) -> Iterator[ox.Triple]:
    seen: set[ox.NamedNode | ox.BlankNode] = set()
    pending = list(subjects)
    while pending:
        subject = pending.pop()
        if subject in seen:
            continue
        seen.add(subject)
        for quad in store.quads_for_pattern(subject, None, None, None):
            yield quad.triple
            if isinstance(quad.object, ox.BlankNode):
                pending.append(quad.object)


# ------------------------------------------------------------------ content negotiation

_ACCEPT_ITEM = re.compile(r"^\s*([^\s;,]+)\s*((?:;[^,]*)?)$")
_Q = re.compile(r";\s*q\s*=\s*([0-9.]+)")


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """The media ranges of an Accept header with their q-values, most specific first."""
    if not header or not header.strip():
        return [("*/*", 1.0)]
    ranges: list[tuple[str, float, int]] = []
    for part in header.split(","):
        match = _ACCEPT_ITEM.match(part)
        if not match:
            continue
        media = match.group(1).lower()
        q_match = _Q.search(match.group(2))
        try:
            q = float(q_match.group(1)) if q_match else 1.0
        except ValueError:
            q = 0.0
        specificity = 0 if media == "*/*" else 1 if media.endswith("/*") else 2
        ranges.append((media, q, specificity))
    return [(m, q) for m, q, _ in sorted(ranges, key=lambda r: -r[2])]


def negotiate(header: str | None, offers: Sequence[str]) -> str | None:
    """The offered media type the client prefers, or None when it accepts none of them.

    Ties go to the earlier offer, so the order of ``offers`` is the server's preference.
    A media type matches its most specific range (``text/html`` before ``text/*``
    before ``*/*``), as RFC 9110 says.
    """
    ranges = parse_accept(header)
    best: tuple[float, int] | None = None
    chosen: str | None = None
    for index, offer in enumerate(offers):
        q = _quality(offer, ranges)
        if q <= 0:
            continue
        rank = (q, -index)
        if best is None or rank > best:
            best, chosen = rank, offer
    return chosen


def _quality(offer: str, ranges: list[tuple[str, float]]) -> float:
    kind = offer.split("/")[0] + "/*"
    for media, q in ranges:  # most specific first
        if media in (offer, kind, "*/*"):
            return q
    return 0.0
