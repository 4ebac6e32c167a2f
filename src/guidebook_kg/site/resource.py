"""The generic resource page (a person, an organisation, an instrument, a review ...): what
the graph says about it, in words, and what refers to it, paged.

Also the pieces other pages reuse: a resource's properties as a table (the study page
keeps it, collapsed, for researchers) and the paged list of what points at a resource
(the concept page's "used by").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from guidebook_kg.linkeddata import Description, Term
from guidebook_kg.namespaces import DCTERMS, RDF, RDFS, SKOS, XSD
from guidebook_kg.site import html
from guidebook_kg.site.graph import StoreReader
from guidebook_kg.site.links import Links
from guidebook_kg.site.paging import ROWS_PER_PAGE, page_of
from guidebook_kg.site.sitemap import Sitemap
from guidebook_kg.site.text import month_year, number

_DATES = {XSD.date, XSD.gYearMonth, XSD.gYear, XSD.dateTime}
_NUMBERS = {XSD.decimal, XSD.integer, XSD.namespace + "double"}


@dataclass
class ValueView:
    text: str
    href: str | None = None
    note: str = ""
    members: list[ValueView] | None = None  # an RDF list
    rows: list[RowView] | None = None  # a nested blank node


@dataclass
class RowView:
    iri: str
    label: str
    href: str | None
    values: list[ValueView] = field(default_factory=list)


def property_rows(
    description: Description, reader: StoreReader, links: Links
) -> tuple[list[ValueView], list[RowView]]:
    """The types and the other properties of a described resource, as people read them."""
    by_subject: dict[ox.NamedNode | ox.BlankNode, list[ox.Triple]] = {}
    for triple in description.triples:
        subject = triple.subject
        if isinstance(subject, ox.NamedNode | ox.BlankNode):
            by_subject.setdefault(subject, []).append(triple)
    own = by_subject.get(ox.NamedNode(description.iri), [])
    types = [
        value_view(t.object, reader, links, by_subject, 0)
        for t in own
        if t.predicate.value == RDF.type
    ]
    rows = _rows([t for t in own if t.predicate.value != RDF.type], reader, links, by_subject, 0)
    return types, rows


def _rows(
    triples: Sequence[ox.Triple],
    reader: StoreReader,
    links: Links,
    by_subject: Mapping[ox.NamedNode | ox.BlankNode, list[ox.Triple]],
    depth: int,
) -> list[RowView]:
    rows: dict[str, RowView] = {}
    for triple in triples:
        predicate = triple.predicate.value
        row = rows.get(predicate)
        if row is None:
            row = rows[predicate] = RowView(predicate, reader(predicate), links.resource(predicate))
        row.values.append(value_view(triple.object, reader, links, by_subject, depth))
    for row in rows.values():
        row.values.sort(key=lambda v: (v.text.lower(), v.href or ""))
    return sorted(rows.values(), key=lambda r: (r.label.lower(), r.iri))


def value_view(
    term: Term,
    reader: StoreReader,
    links: Links,
    by_subject: Mapping[ox.NamedNode | ox.BlankNode, list[ox.Triple]],
    depth: int,
) -> ValueView:
    """One value in words: a resource by its label (linked where the site shows it), a
    yes/no, a date as a month, a number as written, text in its language."""
    if isinstance(term, ox.NamedNode):
        return ValueView(reader.label(term), links.resource(term.value))
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        if datatype == XSD.boolean:
            return ValueView("yes" if term.value in ("true", "1") else "no")
        if datatype in _DATES:
            return ValueView(
                (month_year(term.value[:7]) or term.value) if len(term.value) >= 7 else term.value
            )
        if datatype in _NUMBERS:
            return ValueView(number(term.value) or term.value)
        note = term.language if term.language and term.language != "en" else ""
        return ValueView(term.value, None, note)
    if isinstance(term, ox.BlankNode):
        members = _list_members(term, by_subject)
        if members is not None:
            return ValueView(
                "",
                members=[value_view(m, reader, links, by_subject, depth + 1) for m in members],
            )
        inner = by_subject.get(term, [])
        if inner and depth < 4:
            return ValueView("", rows=_rows(inner, reader, links, by_subject, depth + 1))
        return ValueView("(unnamed)")
    return ValueView(str(term))


def _list_members(
    node: ox.BlankNode, by_subject: Mapping[ox.NamedNode | ox.BlankNode, list[ox.Triple]]
) -> list[Term] | None:
    members: list[Term] = []
    current: Term = node
    seen: set[Term] = set()
    while isinstance(current, ox.BlankNode) and current not in seen:
        seen.add(current)
        props = {t.predicate.value: t.object for t in by_subject.get(current, [])}
        if set(props) != {RDF.first, RDF.rest}:
            return None
        members.append(props[RDF.first])
        current = props[RDF.rest]
    if isinstance(current, ox.NamedNode) and current.value == RDF.nil:
        return members
    return None


# ------------------------------------------------------------------ what refers to it


def name_of(reader: StoreReader, sitemap: Sitemap, iri: str) -> str:
    """What a list calls a resource: its label; a part without one is named by its kind
    and the page it is shown on ("Finding of Infant-Parent Psychotherapy")."""
    node = ox.NamedNode(iri)
    found = reader.label_or_none(node)
    if found is not None:
        return found
    kind = reader.one(node, RDF.type)
    kind_name = reader.label(kind) if kind is not None else "Resource"
    target = sitemap.target(iri)
    if target is not None and target[0] != iri:
        return f"{kind_name} of {reader.label(ox.NamedNode(target[0]))}"
    return kind_name


def referring(
    store: ox.Store,
    reader: StoreReader,
    iri: str,
    skip: frozenset[str] = frozenset(),
) -> list[tuple[str, str]]:
    """What points at ``iri``: (subject, property) once each, from every graph, in property
    then subject order. Names are looked up only for the rows a page shows
    (:func:`named_rows`), so a long listing costs little per page."""
    seen: set[tuple[str, str]] = set()
    for quad in store.quads_for_pattern(None, None, ox.NamedNode(iri)):
        subject = quad.subject
        # A link from a blank node (a list cell, a nested requirement) means nothing alone.
        if isinstance(subject, ox.NamedNode) and quad.predicate.value not in skip:
            seen.add((subject.value, quad.predicate.value))
    return sorted(seen, key=lambda r: (reader(r[1]).lower(), r[0]))


def named_rows(
    reader: StoreReader, sitemap: Sitemap, rows: Sequence[tuple[str, str]]
) -> list[dict[str, Any]]:
    """Rows of :func:`referring` as a page shows them."""
    return [
        {
            "subject": subject,
            "name": name_of(reader, sitemap, subject),
            "property": predicate,
            "property_label": reader(predicate),
        }
        for subject, predicate in rows
    ]


def resource_page(
    description: Description,
    reader: StoreReader,
    inbound: Sequence[tuple[str, str]],
    links: Links,
    number: int = 1,
) -> html.Rendered | None:
    """The page of any resource the site has no special page for, with page ``number`` of
    what refers to it (``inbound``, from :func:`referring`); None past its last page."""
    iri = description.iri
    node = ox.NamedNode(iri)
    types, rows = property_rows(description, reader, links)
    found = page_of(inbound, number, ROWS_PER_PAGE, lambda n: links.page(iri, n))
    if found is None:
        return None
    shown, paging = found
    about = (
        reader.text(node, SKOS.definition)
        or reader.text(node, DCTERMS.description)
        or reader.text(node, RDFS.comment)
    )
    return html.render(
        "resource.html.j2",
        links,
        title=reader.label(node),
        iri=iri,
        about=about,
        types=types,
        rows=rows,
        inbound=named_rows(reader, links.sitemap, shown),
        paging=paging,
        alternates=links.alternates(iri),
    )
