"""The landing page (every programme with its rating and cost, sortable, paged), the
downloads page and the list of saved views."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyoxigraph as ox

from guidebook_kg import views
from guidebook_kg.site import html
from guidebook_kg.site.dataset import human_size, programme_iris
from guidebook_kg.site.graph import StoreReader
from guidebook_kg.site.links import SHA256SUMS, SORTS, VOID, Links
from guidebook_kg.site.paging import PROGRAMMES_PER_PAGE, page_of

SORT_LABELS = {"name": "Programme", "rating": "Evidence rating", "cost": "Cost rating"}


def programme_rows(
    store: ox.Store, reader: StoreReader, catalogue: views.Catalogue
) -> list[dict[str, Any]]:
    """One row per programme, from the ``programme-ratings`` view (a bare project without
    that view still lists its programmes by name)."""
    view = catalogue.get(views.RATINGS_VIEW)
    if view is None:
        return [
            {
                "iri": iri,
                "name": reader(iri),
                "asserted": None,
                "derived": "",
                "agrees": None,
                "cost": None,
                "studies": "0",
                "rating_rank": None,
                "cost_rank": None,
            }
            for iri in programme_iris(store)
        ]
    rows = []
    for record in views.run(store, view, {}, catalogue).records():
        iri = _text(record.get("programme"))
        if iri is None:
            continue
        agrees = record.get("agrees")
        rows.append(
            {
                "iri": iri,
                "name": _text(record.get("name")) or reader(iri),
                "asserted": _text(record.get("asserted")),
                "derived": _text(record.get("derived")) or "",
                "agrees": None if agrees is None else agrees.value in ("true", "1"),
                "cost": _text(record.get("cost")),
                "studies": _text(record.get("studies")) or "0",
                "best_index": _text(record.get("best_index")),
                "rating_rank": _number(record.get("rating_rank")),
                "cost_rank": _number(record.get("cost_rank")),
            }
        )
    return rows


def sorted_rows(rows: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    """The programmes in one of :data:`~guidebook_kg.site.links.SORTS`: by name (as the
    view orders them), strongest rating first, or cheapest first; those without a rating
    or cost last."""
    if sort == "rating":
        return sorted(rows, key=lambda r: (r["rating_rank"] is None, -(r["rating_rank"] or 0)))
    if sort == "cost":
        return sorted(rows, key=lambda r: (r["cost_rank"] is None, r["cost_rank"] or 0))
    return list(rows)


def landing_page(
    rows: list[dict[str, Any]],
    links: Links,
    *,
    release: Mapping[str, Any],
    sort: str = SORTS[0],
    number: int = 1,
) -> html.Rendered | None:
    """Page ``number`` of the programmes in order ``sort``; None when there is no such page."""
    if sort not in SORTS:
        return None
    found = page_of(
        sorted_rows(rows, sort), number, PROGRAMMES_PER_PAGE, lambda n: links.home(sort, n)
    )
    if found is None:
        return None
    shown, paging = found
    return html.render(
        "index.html.j2",
        links,
        title="Early-intervention programmes and their evidence",
        description=(
            "Early-intervention programmes for children and families, their evidence "
            "ratings and the studies that evaluate them, as linked data."
        ),
        release=release,
        programmes=shown,
        count=len(rows),
        paging=paging,
        sort=sort,
        sorts=[
            {"key": s, "label": SORT_LABELS[s], "href": links.home(s), "current": s == sort}
            for s in SORTS
        ],
    )


def downloads_page(links: Links, downloads: Iterable[Mapping[str, Any]]) -> html.Rendered:
    return html.render(
        "downloads.html.j2",
        links,
        title="Downloads",
        files=[
            {
                "href": links.file(d["path"]),
                "name": d["path"],
                "title": d["title"],
                "format": d["label"],
                "size": human_size(d["size"]),
                "sha256": d["sha256"],
            }
            for d in downloads
        ],
        void=links.file(VOID),
        sums=links.file(SHA256SUMS),
    )


def runnable(view: views.View) -> bool:
    """Whether a view runs without being given anything: a SELECT view whose parameters
    (if any) are all optional. A build writes the results of these."""
    return bool(view.form == "select" and not any(p.required for p in view.parameters))


def views_page(links: Links, catalogue: views.Catalogue, folder: str) -> html.Rendered:
    """The saved views: on the server each with its form; in a build the results of those
    that need no parameters, as files."""
    listed = []
    for view in catalogue.values():
        form = links.route("view", view=view.name)
        files = []
        if runnable(view):
            if links.dynamic:
                files = [
                    {
                        "href": links.route("view", params={"format": f}, view=view.name),
                        "label": f.upper(),
                    }
                    for f in ("csv", "json")
                ]
            else:
                files = [
                    {"href": links.file(f"{folder}/{view.name}.{f}"), "label": f.upper()}
                    for f in ("csv", "json")
                ]
        listed.append(
            {
                "name": view.name,
                "summary": view.summary,
                "href": form,
                "files": files,
                "parameters": [
                    {"name": p.name, "required": p.required, "description": p.description}
                    for p in view.parameters
                ],
                "form": view.form,
            }
        )
    return html.render("views.html.j2", links, title="Saved views", views=listed)


def _text(term: Any) -> str | None:
    return None if term is None else str(term.value)


def _number(term: Any) -> float | None:
    try:
        return None if term is None else float(term.value)
    except ValueError:
        return None
