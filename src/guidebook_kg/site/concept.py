"""The concept page: a controlled value (a study design, an age group, a rating, a criterion)
or a concept scheme, with what uses it, paged: from "RCT" to its studies, from "Infants"
to the programmes for them."""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox

from guidebook_kg.linkeddata import Description
from guidebook_kg.namespaces import RDF, SKOS
from guidebook_kg.site import html
from guidebook_kg.site.graph import StoreReader
from guidebook_kg.site.links import Links
from guidebook_kg.site.paging import ROWS_PER_PAGE, page_of
from guidebook_kg.site.programme import concepts
from guidebook_kg.site.resource import named_rows, property_rows

# Listed on their own: a scheme's members.
APART = frozenset({SKOS.inScheme, SKOS.topConceptOf})
_MATCHES = (
    ("Close match", SKOS.namespace + "closeMatch"),
    ("Exact match", SKOS.namespace + "exactMatch"),
    ("Broader match", SKOS.namespace + "broadMatch"),
    ("Narrower match", SKOS.namespace + "narrowMatch"),
    ("Related match", SKOS.namespace + "relatedMatch"),
    ("Broader", SKOS.namespace + "broader"),
    ("Narrower", SKOS.namespace + "narrower"),
)


def concept_page(
    description: Description,
    reader: StoreReader,
    used: Sequence[tuple[str, str]],
    links: Links,
    number: int = 1,
) -> html.Rendered | None:
    """A concept's page with page ``number`` of what uses it (``used``, from
    :func:`~guidebook_kg.site.resource.referring` without :data:`APART`)."""
    iri = description.iri
    node = ox.NamedNode(iri)
    found = page_of(used, number, ROWS_PER_PAGE, lambda n: links.page(iri, n))
    if found is None:
        return None
    shown, paging = found
    in_scheme = [c for c in reader.subjects(SKOS.inScheme, node) if isinstance(c, ox.NamedNode)]
    members = [
        {"iri": c.value, "label": reader.label(c), "notation": reader.text(c, SKOS.notation)}
        for c in sorted(in_scheme, key=lambda c: (reader.order(c), reader.label(c).lower()))
    ]
    _, rows = property_rows(description, reader, links)
    scheme_type = ox.NamedNode(SKOS.ConceptScheme) in reader.objects(node, RDF.type)
    return html.render(
        "concept.html.j2",
        links,
        title=reader.label(node),
        iri=iri,
        is_scheme=scheme_type,
        notation=reader.text(node, SKOS.notation),
        definition=reader.text(node, SKOS.definition),
        alt_labels=sorted(str(o.value) for o in reader.objects(node, SKOS.altLabel)),
        schemes=concepts(reader, node, SKOS.inScheme),
        matches=[
            {"label": label, "targets": concepts(reader, node, predicate)}
            for label, predicate in _MATCHES
            if reader.objects(node, predicate)
        ],
        members=members,
        used=named_rows(reader, links.sitemap, shown),
        paging=paging,
        rows=rows,
        alternates=links.alternates(iri),
    )
