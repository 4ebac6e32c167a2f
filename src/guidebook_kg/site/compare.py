"""The comparison table: programmes side by side by child-outcome domain, each cell the
best improvement index the programme shows in that domain, from the
``outcome-comparison`` view. Paged by programme; on the server it can be narrowed to
chosen programmes (the finder links its results here)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from guidebook_kg import views
from guidebook_kg.namespaces import programme_slug
from guidebook_kg.site import html
from guidebook_kg.site.forms import Choices
from guidebook_kg.site.links import Links
from guidebook_kg.site.paging import PROGRAMMES_PER_PAGE, page_of
from guidebook_kg.site.ratingwords import RatingWords

COMPARISON_VIEW = "outcome-comparison"
DOMAINS = "https://w3id.org/guidebook-kg/concept/outcome-domain"


def compare_page(
    links: Links,
    engine: views.Engine,
    catalogue: views.Catalogue,
    choices: Choices,
    number: int = 1,
    chosen: Collection[str] = (),
    words: RatingWords | None = None,
) -> html.Rendered | None:
    """Page ``number`` of the comparison, of the ``chosen`` programmes (slugs or IRIs)
    when any are named; ``words`` give each rating's badge."""
    words = words or RatingWords(engine, catalogue)
    view = catalogue.get(COMPARISON_VIEW)
    if view is None:
        return None
    table = views.run_on(engine, view, {}, catalogue)
    programmes: dict[str, dict[str, Any]] = {}
    domains: dict[str, str] = {}
    for record in table.records():
        programme_term, domain_term = record.get("programme"), record.get("domain")
        if programme_term is None or domain_term is None:
            continue
        iri, domain = programme_term.value, domain_term.value
        if chosen and iri not in chosen and (programme_slug(iri) or "") not in chosen:
            continue
        row = programmes.setdefault(
            iri,
            {
                "iri": iri,
                "name": _text(record.get("name")) or iri,
                "rating": _text(record.get("rating")),
                "badge": words(_text(record.get("rating"))),
                "cells": {},
            },
        )
        domains[domain] = _text(record.get("domain_label")) or domain
        long_term = record.get("long_term")
        row["cells"][domain] = {
            "findings": _text(record.get("findings")) or "0",
            "best": _signed(record.get("best_index")),
            "lowest": _signed(record.get("lowest_index")),
            "long_term": long_term is not None and long_term.value in ("true", "1"),
        }
    # The domains in the scheme's order (as the concepts view gives them).
    order = {c["value"]: i for i, c in enumerate(choices.concepts(DOMAINS))}
    columns = sorted(
        domains.items(),
        key=lambda d: (order.get(_compact(d[0]), len(order)), d[1].lower()),
    )
    rows = sorted(programmes.values(), key=lambda r: (r["name"].lower(), r["iri"]))
    params = {"programme": ",".join(chosen)} if chosen else {}
    found = page_of(
        rows,
        number,
        PROGRAMMES_PER_PAGE,
        lambda n: links.route("compare", n, params) or "",
    )
    if found is None:
        return None
    shown, paging = found
    return html.render(
        "compare.html.j2",
        links,
        title="Compare programmes by outcome",
        columns=[{"iri": iri, "label": label} for iri, label in columns],
        rows=shown,
        count=len(rows),
        paging=paging,
        chosen=bool(chosen),
        everything=links.route("compare"),
    )


def _compact(iri: str) -> str:
    from guidebook_kg.prefixes import compact

    return compact(iri)


def _text(term: Any) -> str | None:
    return None if term is None else str(term.value)


def _signed(term: Any) -> str | None:
    if term is None:
        return None
    try:
        return f"{int(float(term.value)):+d}"
    except ValueError:
        return str(term.value)
