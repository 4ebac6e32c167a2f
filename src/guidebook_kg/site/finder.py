"""The programme finder: the Guidebook's search form (age group, setting, delivery model,
targeting, lowest rating, highest cost) over the ``programme-search`` view.

On the server the form runs the view and the results are paged. A build has no query
engine, so its finder page carries the view's answers instead: every programme, and for
each value of each drop-down the programmes the view returns for that value alone; the
page's script keeps the programmes in every chosen set. The view's filters are
independent of each other, so that intersection is exactly what the view returns for the
combination: the filtering rules stay in the view.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from guidebook_kg import views
from guidebook_kg.errors import InputError
from guidebook_kg.namespaces import programme_slug
from guidebook_kg.site import html
from guidebook_kg.site.forms import Choices
from guidebook_kg.site.links import Links
from guidebook_kg.site.paging import PROGRAMMES_PER_PAGE, page_of

SEARCH_VIEW = "programme-search"
COLUMNS = ("age_groups", "delivery_models", "settings", "targeting_level")


def _rows(table: views.Table, links: Links) -> list[dict[str, Any]]:
    rows = []
    for record in table.records():
        programme = record.get("programme")
        if programme is None:
            continue
        rows.append(
            {
                "iri": programme.value,
                "href": links.resource(programme.value),
                "name": _text(record.get("name")) or programme.value,
                "rating": _text(record.get("rating")),
                "cost": _text(record.get("cost")),
                **{c: _text(record.get(c)) for c in COLUMNS},
            }
        )
    return rows


def finder_page(
    links: Links,
    engine: views.Engine,
    catalogue: views.Catalogue,
    choices: Choices,
    params: Mapping[str, str],
    number: int = 1,
) -> html.Rendered | None:
    """The finder on the server: the form, and page ``number`` of what it finds."""
    view = catalogue.get(SEARCH_VIEW)
    if view is None:
        return None
    error = None
    rows: list[dict[str, Any]] = []
    try:
        rows = _rows(views.run_on(engine, view, params, catalogue), links)
    except InputError as err:
        error = str(err)
    found = page_of(
        rows, number, PROGRAMMES_PER_PAGE, lambda n: links.route("finder", n, params) or ""
    )
    if found is None:
        return None
    shown, paging = found
    page = html.render(
        "finder.html.j2",
        links,
        title="Find a programme",
        view=view,
        fields=choices.fields(view, params),
        action=links.route("finder"),
        error=error,
        searched=bool(params),
        rows=shown,
        paging=paging,
        data=None,
        compare=links.route(
            "compare",
            params={"programme": ",".join(programme_slug(r["iri"]) or r["iri"] for r in rows)},
        )
        if rows and params and len(rows) <= PROGRAMMES_PER_PAGE
        else None,
    )
    if error is not None:
        page.status = 400
    return page


def static_finder_page(
    links: Links, engine: views.Engine, catalogue: views.Catalogue, choices: Choices
) -> html.Rendered | None:
    """The finder of a build: the form, every programme, and for each drop-down value the
    programmes the view returns for it."""
    view = catalogue.get(SEARCH_VIEW)
    if view is None:
        return None
    rows = _rows(views.run_on(engine, view, {}, catalogue), links)
    position = {r["iri"]: i for i, r in enumerate(rows)}
    matches: dict[str, dict[str, list[int]]] = {}
    for parameter in view.parameters:
        for option in choices.options(parameter):
            table = views.run_on(engine, view, {parameter.name: option["value"]}, catalogue)
            found = [position[iri] for iri in table.values("programme") if iri in position]
            matches.setdefault(parameter.name, {})[option["value"]] = sorted(found)
    data = {
        "rows": [
            [
                r["name"],
                r["href"] or "",
                r["rating"] or "",
                r["cost"] or "",
                *(r[c] or "" for c in COLUMNS),
            ]
            for r in rows
        ],
        "matches": matches,
        "size": PROGRAMMES_PER_PAGE,
    }
    return html.render(
        "finder.html.j2",
        links,
        title="Find a programme",
        view=view,
        fields=choices.fields(view, {}),
        action="",
        error=None,
        searched=False,
        rows=[],
        paging=None,
        # Embedded as JSON in a script element: every "<" is escaped so nothing in the data
        # can end the element or open a comment in it.
        data=json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c"),
        compare=None,
    )


def _text(term: Any) -> str | None:
    return None if term is None else str(term.value)
