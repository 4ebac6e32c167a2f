"""A saved view's page on the server: its form (drop-downs for programmes, concepts,
schemes and levels), and its results as a paged table of labels linked to their pages,
with the whole answer to download in every result format."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyoxigraph as ox

from guidebook_kg import views
from guidebook_kg.linkeddata import GRAPH_SYNTAXES
from guidebook_kg.namespaces import XSD
from guidebook_kg.site import html
from guidebook_kg.site.graph import StoreReader
from guidebook_kg.site.links import Links
from guidebook_kg.site.paging import ROWS_PER_PAGE, page_of
from guidebook_kg.site.results import FORMATS


def view_page(
    links: Links,
    reader: StoreReader,
    view: views.View,
    fields: list[dict[str, Any]],
    params: Mapping[str, str],
    *,
    table: views.Table | None = None,
    graph: str | None = None,
    error: str | None = None,
    number: int = 1,
) -> html.Rendered | None:
    """The form, and page ``number`` of the results (``table``, or a CONSTRUCT view's
    ``graph`` as Turtle); None past the last page."""
    kinds = list(FORMATS) if view.form == "select" else [s.extension for s in GRAPH_SYNTAXES]
    downloads = [
        {
            "href": links.route("view", params={**params, "format": k}, view=view.name),
            "label": k.upper(),
        }
        for k in kinds
    ]
    shown = paging = None
    if table is not None:
        found = page_of(
            table.rows,
            number,
            ROWS_PER_PAGE,
            lambda n: links.route("view", n, params, view=view.name) or "",
        )
        if found is None:
            return None
        page_rows, paging = found
        descriptions = dict(view.columns)
        shown = {
            "columns": [{"name": c, "description": descriptions.get(c, "")} for c in table.columns],
            "rows": [[_cell(reader, links, v) for v in row] for row in page_rows],
        }
    elif number != 1:
        return None
    page = html.render(
        "view.html.j2",
        links,
        title=view.name,
        view=view,
        action=links.route("view", view=view.name),
        fields=fields,
        error=error,
        table=shown,
        graph=graph,
        paging=paging,
        downloads=downloads if (table is not None or graph is not None) else [],
    )
    if error is not None:
        page.status = 400
    return page


def _cell(reader: StoreReader, links: Links, term: Any) -> dict[str, str | None] | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return {"text": reader.label(term), "href": links.resource(term.value)}
    if isinstance(term, ox.Literal) and term.datatype.value == XSD.boolean:
        return {"text": "yes" if term.value in ("true", "1") else "no", "href": None}
    return {"text": str(term.value), "href": None}
