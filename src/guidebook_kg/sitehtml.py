"""HTML for the published site: the index, resource pages and the ontology documentation.

Shared by ``build`` (static files with relative links) and ``serve`` (the same pages with
links into the server). Pages only present what the graph says; the programme pages
themselves come from :mod:`guidebook_kg.render`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

import pyoxigraph as ox

from guidebook_kg.linkeddata import GRAPH_SYNTAXES, Description, Term
from guidebook_kg.namespaces import DCTERMS, FOAF, ONTOLOGY, OWL, RDF, RDFS, SKOS, VANN, XSD
from guidebook_kg.prefixes import ONTOLOGY_GRAPH, PREFIXES

TEMPLATES = "templates"


# ------------------------------------------------------------------ links


class Links(Protocol):
    """Where a page links to: resources by IRI, site files by their path in the build."""

    def resource(self, iri: str) -> str: ...

    def file(self, path: str) -> str: ...

    @property
    def dynamic(self) -> bool: ...


@dataclass(frozen=True)
class StaticLinks:
    """Relative links between the files of a build, from the page at ``page``.

    A resource with a page in the build (``pages`` maps IRI -> path) links to that page;
    any other resource links to its IRI, which dereferences once the site is published.
    """

    page: str
    pages: Mapping[str, str]
    dynamic: bool = False

    def resource(self, iri: str) -> str:
        path = self.pages.get(iri)
        if path is None:
            if iri.startswith(ONTOLOGY + "#") and ONTOLOGY in self.pages:
                return self.file(self.pages[ONTOLOGY]) + iri[len(ONTOLOGY) :]
            return iri
        return self.file(path)

    def file(self, path: str) -> str:
        here = posixpath.dirname(self.page) or "."
        return posixpath.relpath(path, here)


@dataclass(frozen=True)
class ServerLinks:
    """Links into the server: every IRI under ``base`` is served at the same path."""

    base: str
    dynamic: bool = True

    def resource(self, iri: str) -> str:
        if iri.startswith(self.base):
            return "/" + iri[len(self.base) :]
        return iri

    def file(self, path: str) -> str:
        return "/" + path


# Paths of the site files every page links to, the same in a build and on the server.
INDEX = "index.html"
VOID = "void.ttl"
CONTEXT = "context.jsonld"
ONTOLOGY_DOC = "ontology.html"
SHA256SUMS = "SHA256SUMS"


def site_links(links: Links) -> dict[str, Any]:
    if links.dynamic:
        return {
            "home": "/",
            "ontology": links.resource(ONTOLOGY),
            "void": "/.well-known/void",
            "context": links.file(CONTEXT),
            "sparql": "/sparql",
            "views": "/views",
        }
    return {
        "home": links.file(INDEX),
        "ontology": links.file(ONTOLOGY_DOC),
        "void": links.file(VOID),
        "context": links.file(CONTEXT),
        "sparql": None,
        "views": links.file(INDEX) + "#views",
    }


# ------------------------------------------------------------------ templates


@cache
def environment() -> Any:
    # jinja2 is imported here so that commands that render no HTML do not load it.
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("guidebook_kg", TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def render(template: str, links: Links, **values: Any) -> bytes:
    """Render one of the ``site_*.html.j2`` templates with the site links filled in."""
    values.setdefault("alternates", [])
    values.setdefault("site", site_links(links))
    text: str = environment().get_template(template).render(**values)
    return text.encode("utf-8")


# ------------------------------------------------------------------ labels


class Labels:
    """Human labels of terms, looked up in the graph once each."""

    _PREDICATES = (RDFS.label, SKOS.prefLabel, DCTERMS.title, FOAF.name, SKOS.notation)

    def __init__(self, store: ox.Store) -> None:
        self._store = store
        self._cache: dict[str, str] = {}

    def __call__(self, term: ox.NamedNode | str) -> str:
        iri = term.value if isinstance(term, ox.NamedNode) else term
        found = self._cache.get(iri)
        if found is None:
            found = self._lookup(iri)
            self._cache[iri] = found
        return found

    def known(self, iri: str) -> bool:
        return self(iri) != curie(iri)

    def _lookup(self, iri: str) -> str:
        node = ox.NamedNode(iri)
        for predicate in self._PREDICATES:
            best = _english(
                q.object for q in self._store.quads_for_pattern(node, ox.NamedNode(predicate), None)
            )
            if best is not None:
                return best
        return curie(iri)


def _english(objects: Iterable[Term]) -> str | None:
    # English first, then untagged, then anything; the smallest value breaks ties so that
    # the choice does not depend on store order.
    candidates = [o for o in objects if isinstance(o, ox.Literal)]
    for accept in (lambda lang: lang == "en", lambda lang: not lang, lambda lang: True):
        chosen = sorted(o.value for o in candidates if accept(o.language or ""))
        if chosen:
            return chosen[0]
    return None


_BY_LENGTH = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))


def curie(iri: str) -> str:
    """``iri`` shortened with the project's prefixes, or unchanged."""
    for prefix, namespace in _BY_LENGTH:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


# ------------------------------------------------------------------ resource pages


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
    href: str
    values: list[ValueView] = field(default_factory=list)


@dataclass(frozen=True)
class Alternate:
    href: str
    media_type: str
    label: str


def alternates(links: Links, iri: str, path: str | None) -> list[Alternate]:
    """The other representations of a resource, for ``Link`` headers and page footers."""
    if links.dynamic:
        target = links.resource(iri)
        return [Alternate(f"{target}.{s.extension}", s.media_type, s.label) for s in GRAPH_SYNTAXES]
    if path is None:
        return []
    stem = path.rsplit(".", 1)[0]
    return [
        Alternate(links.file(f"{stem}.{s.extension}"), s.media_type, s.label)
        for s in GRAPH_SYNTAXES
        if s.name in ("turtle", "jsonld")
    ]


def resource_page(
    description: Description,
    labels: Labels,
    links: Links,
    alternates: Sequence[Alternate] = (),
) -> bytes:
    """A generic page for any resource: its properties, and what links to it."""
    iri = description.iri
    by_subject: dict[ox.NamedNode | ox.BlankNode, list[ox.Triple]] = {}
    for triple in description.triples:
        subject = triple.subject
        if isinstance(subject, ox.NamedNode | ox.BlankNode):
            by_subject.setdefault(subject, []).append(triple)
    node = ox.NamedNode(iri)
    own = by_subject.get(node, [])
    types = [
        _value(t.object, labels, links, by_subject, 0) for t in own if t.predicate.value == RDF.type
    ]
    rows = _rows([t for t in own if t.predicate.value != RDF.type], labels, links, by_subject, 0)
    inbound = [
        {
            "subject": _value(t.subject, labels, links, by_subject, 0),
            "label": labels(t.predicate),
            "href": links.resource(t.predicate.value),
        }
        for t in description.inbound
        if isinstance(t.subject, ox.NamedNode)
    ]
    return render(
        "site_resource.html.j2",
        links,
        title=labels(iri),
        iri=iri,
        types=types,
        rows=rows,
        inbound=inbound,
        alternates=list(alternates),
    )


def _rows(
    triples: Sequence[ox.Triple],
    labels: Labels,
    links: Links,
    by_subject: Mapping[ox.NamedNode | ox.BlankNode, list[ox.Triple]],
    depth: int,
) -> list[RowView]:
    rows: dict[str, RowView] = {}
    for triple in triples:
        predicate = triple.predicate.value
        row = rows.get(predicate)
        if row is None:
            row = rows[predicate] = RowView(predicate, labels(predicate), links.resource(predicate))
        row.values.append(_value(triple.object, labels, links, by_subject, depth))
    return sorted(rows.values(), key=lambda r: (r.label.lower(), r.iri))


def _value(
    term: Term,
    labels: Labels,
    links: Links,
    by_subject: Mapping[ox.NamedNode | ox.BlankNode, list[ox.Triple]],
    depth: int,
) -> ValueView:
    if isinstance(term, ox.NamedNode):
        return ValueView(labels(term), links.resource(term.value))
    if isinstance(term, ox.Literal):
        note = ""
        if term.language:
            note = f"@{term.language}"
        elif term.datatype.value != XSD.string:
            note = curie(term.datatype.value)
        return ValueView(term.value, None, note)
    if isinstance(term, ox.BlankNode):
        members = _list_members(term, by_subject)
        if members is not None:
            return ValueView(
                "",
                members=[_value(m, labels, links, by_subject, depth + 1) for m in members],
            )
        inner = by_subject.get(term, [])
        if inner and depth < 4:
            return ValueView("", rows=_rows(inner, labels, links, by_subject, depth + 1))
        return ValueView("(blank node)")
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


# ------------------------------------------------------------------ ontology documentation


def ontology_page(
    store: ox.Store, labels: Labels, links: Links, source_files: Sequence[str]
) -> bytes:
    """Human documentation of the ontology: classes, properties and concept schemes."""
    graph = ox.NamedNode(ONTOLOGY_GRAPH)

    def objects(subject: str, predicate: str) -> list[Term]:
        found = store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None, graph)
        return sorted({q.object for q in found}, key=str)

    def text(subject: str, predicate: str) -> str:
        return _english(objects(subject, predicate)) or ""

    def subjects(predicate: str, obj: str) -> list[str]:
        found = store.quads_for_pattern(None, ox.NamedNode(predicate), ox.NamedNode(obj), graph)
        return sorted({q.subject.value for q in found if isinstance(q.subject, ox.NamedNode)})

    def link(term: Term | str) -> dict[str, str | None]:
        if isinstance(term, ox.Literal | ox.BlankNode | ox.Triple):
            return {"text": str(term.value if isinstance(term, ox.Literal) else term), "href": None}
        iri = term if isinstance(term, str) else term.value
        shown = labels(iri) if not iri.startswith(ONTOLOGY + "#") else curie(iri)
        return {"text": shown, "href": links.resource(iri)}

    def links_of(subject: str, predicate: str) -> list[dict[str, str | None]]:
        return [link(o) for o in objects(subject, predicate) if isinstance(o, ox.NamedNode)]

    def term(iri: str) -> dict[str, Any]:
        name = iri.rsplit("#", 1)[-1] if "#" in iri else iri.rsplit("/", 1)[-1]
        return {
            "iri": iri,
            "name": name,
            "anchor": name,
            "curie": curie(iri),
            "label": labels(iri),
            "definition": text(iri, SKOS.definition) or text(iri, RDFS.comment),
        }

    own = ONTOLOGY + "#"
    classes = []
    domain_of: dict[str, list[str]] = {}
    range_of: dict[str, list[str]] = {}
    properties: dict[str, list[dict[str, Any]]] = {OWL.ObjectProperty: [], OWL.DatatypeProperty: []}
    for kind in properties:
        for iri in subjects(RDF.type, kind):
            if not iri.startswith(own):
                continue
            entry = term(iri)
            entry["domain"] = links_of(iri, RDFS.domain)
            entry["range"] = links_of(iri, RDFS.range)
            entry["superproperties"] = links_of(iri, RDFS.subPropertyOf)
            entry["inverse"] = links_of(iri, OWL.inverseOf)
            properties[kind].append(entry)
            for d in objects(iri, RDFS.domain):
                if isinstance(d, ox.NamedNode):
                    domain_of.setdefault(d.value, []).append(iri)
            for r in objects(iri, RDFS.range):
                if isinstance(r, ox.NamedNode):
                    range_of.setdefault(r.value, []).append(iri)
    for iri in subjects(RDF.type, OWL.Class):
        if not iri.startswith(own):
            continue
        entry = term(iri)
        entry["superclasses"] = links_of(iri, RDFS.subClassOf)
        entry["properties"] = [link(p) for p in sorted(domain_of.get(iri, []))]
        entry["ranges"] = [link(p) for p in sorted(range_of.get(iri, []))]
        entry["matches"] = links_of(iri, SKOS.closeMatch)
        classes.append(entry)

    schemes = []
    for iri in subjects(RDF.type, SKOS.ConceptScheme):
        entry = term(iri)
        entry["anchor"] = "scheme-" + entry["name"]
        concepts = []
        for concept in subjects(SKOS.inScheme, iri):
            c = term(concept)
            c["anchor"] = "concept-" + c["name"]
            c["href"] = links.resource(concept)
            c["notation"] = text(concept, SKOS.notation)
            concepts.append(c)
        entry["concepts"] = sorted(concepts, key=lambda c: c["label"].lower())
        schemes.append(entry)

    def by_name(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(items, key=lambda t: (t["name"].lower(), t["iri"]))

    prefix = text(ONTOLOGY, VANN.preferredNamespacePrefix)
    licence = objects(ONTOLOGY, DCTERMS.license)
    doc = {
        "iri": ONTOLOGY,
        "description": text(ONTOLOGY, DCTERMS.description),
        "namespace": text(ONTOLOGY, VANN.preferredNamespaceUri),
        "prefix": prefix,
        "version": text(ONTOLOGY, OWL.versionInfo),
        "created": text(ONTOLOGY, DCTERMS.created),
        "creator": text(ONTOLOGY, DCTERMS.creator),
        "license": link(licence[0]) if licence else None,
        "files": [{"text": posixpath.basename(f), "href": links.file(f)} for f in source_files],
        "classes": by_name(classes),
        "object_properties": by_name(properties[OWL.ObjectProperty]),
        "datatype_properties": by_name(properties[OWL.DatatypeProperty]),
        "schemes": sorted(schemes, key=lambda t: (t["label"].lower(), t["iri"])),
    }
    title = text(ONTOLOGY, DCTERMS.title) or "Ontology"
    return render(
        "site_ontology.html.j2",
        links,
        title=title,
        doc=doc,
        alternates=alternates(links, ONTOLOGY, ONTOLOGY_DOC),
    )
