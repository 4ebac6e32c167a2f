"""The outcome page: an outcome, its domain, and every finding about it across programmes
(paged), with the studies that measured it."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from guidebook_kg.linkeddata import Description
from guidebook_kg.namespaces import GB, SKOS
from guidebook_kg.site import html
from guidebook_kg.site.graph import StoreReader
from guidebook_kg.site.links import Links
from guidebook_kg.site.paging import ROWS_PER_PAGE, page_of
from guidebook_kg.site.programme import concepts, finding_view
from guidebook_kg.site.resource import property_rows


def outcome_page(
    description: Description, reader: StoreReader, links: Links, number: int = 1
) -> html.Rendered | None:
    iri = description.iri
    o = ox.NamedNode(iri)
    findings = reader.subjects(GB.aboutOutcome, o)
    # A study outside its programme's page is named by its citation.
    names: dict[Any, str] = {}
    for f in findings:
        study = reader.one(f, GB.basedOnStudy)
        if study is not None and study not in names:
            names[study] = reader.text(study, GB.shortCitation) or reader.label(study)
    views = sorted(
        (finding_view(reader, f, names) for f in findings),
        key=lambda f: ((f.programme or "").lower(), reader.order(ox.NamedNode(f.iri)), f.iri),
    )
    found = page_of(views, number, ROWS_PER_PAGE, lambda n: links.page(iri, n))
    if found is None:
        return None
    shown, paging = found
    general = reader.one(o, GB.specialises)
    studies = sorted(
        {*reader.subjects(GB.childOutcome, o), *reader.subjects(GB.otherOutcome, o)}, key=str
    )
    _, rows = property_rows(description, reader, links)
    return html.render(
        "outcome.html.j2",
        links,
        title=reader.label(o),
        iri=iri,
        definition=reader.text(o, SKOS.definition),
        domains=concepts(reader, o, GB.outcomeDomain),
        beneficiaries=concepts(reader, o, GB.beneficiary),
        general={"iri": general.value, "label": reader.label(general)}
        if isinstance(general, ox.NamedNode)
        else None,
        specific=[
            {"iri": s.value, "label": reader.label(s)}
            for s in reader.subjects(GB.specialises, o)
            if isinstance(s, ox.NamedNode)
        ],
        studies=[
            {
                "iri": s.value,
                "name": reader.text(s, GB.shortCitation) or reader.label(s),
                "programmes": [
                    {"iri": p.value, "name": reader.label(p)}
                    for p in reader.objects(s, GB.evaluates)
                    if isinstance(p, ox.NamedNode)
                ],
            }
            for s in studies
            if isinstance(s, ox.NamedNode)
        ],
        findings=shown,
        paging=paging,
        rows=rows,
        alternates=links.alternates(iri),
    )
