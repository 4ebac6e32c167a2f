"""The ontology's documentation: its classes, properties and concept schemes, each term at
the anchor its IRI's fragment names (``ontology.html#Study``), each concept linked to its
page."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from typing import Any

import pyoxigraph as ox

from guidebook_kg.linkeddata import Term
from guidebook_kg.namespaces import DCTERMS, ONTOLOGY, OWL, RDF, RDFS, SKOS, VANN
from guidebook_kg.prefixes import ONTOLOGY_GRAPH, compact
from guidebook_kg.site import html
from guidebook_kg.site.graph import StoreReader, english
from guidebook_kg.site.links import Links


def ontology_page(
    store: ox.Store, labels: StoreReader, links: Links, source_files: Sequence[str]
) -> html.Rendered:
    """Human documentation of the ontology: classes, properties and concept schemes."""
    graph = ox.NamedNode(ONTOLOGY_GRAPH)

    def objects(subject: str, predicate: str) -> list[Term]:
        found = store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None, graph)
        return sorted({q.object for q in found}, key=str)

    def text(subject: str, predicate: str) -> str:
        return english(objects(subject, predicate)) or ""

    def subjects(predicate: str, obj: str) -> list[str]:
        found = store.quads_for_pattern(None, ox.NamedNode(predicate), ox.NamedNode(obj), graph)
        return sorted({q.subject.value for q in found if isinstance(q.subject, ox.NamedNode)})

    def link(term: Term | str) -> dict[str, str | None]:
        if isinstance(term, ox.Literal | ox.BlankNode | ox.Triple):
            return {"text": str(term.value if isinstance(term, ox.Literal) else term), "href": None}
        iri = term if isinstance(term, str) else term.value
        shown = labels(iri) if not iri.startswith(ONTOLOGY + "#") else compact(iri)
        return {"text": shown, "href": links.resource(iri)}

    def links_of(subject: str, predicate: str) -> list[dict[str, str | None]]:
        return [link(o) for o in objects(subject, predicate) if isinstance(o, ox.NamedNode)]

    def term(iri: str) -> dict[str, Any]:
        name = iri.rsplit("#", 1)[-1] if "#" in iri else iri.rsplit("/", 1)[-1]
        return {
            "iri": iri,
            "name": name,
            "anchor": name,
            "curie": compact(iri),
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
    return html.render(
        "ontology.html.j2",
        links,
        title=title,
        iri=ONTOLOGY,
        doc=doc,
        alternates=links.alternates(ONTOLOGY),
    )
