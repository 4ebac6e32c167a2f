"""The evidence gap map: programmes by child-outcome domain, drawn from the ``evidence-map``
view, so the same map can be drawn from any endpoint the view runs on.

Each row of the view is one cell: a circle whose area grows with the number of findings,
filled by the strongest rating of the studies behind them (hatched when none is rated or
recorded), labelled in words (the study rating, the improvement indices, "no index
recorded"), with every index on hover, and a link to the findings on the programme's
page. A domain the record names without its outcomes is a dashed ring that says so; a
programme with no cell keeps its row, which says that too. Nothing is drawn that the view
did not return. The page puts a table of the same cells beside the picture.

On the server the filters (age group, setting, targeting) run the view with those
parameters. A build has no query engine: like the finder, its page carries, for each value
of each filter, the programmes the view returns for it, and ``static/site.js`` hides the
other rows; the view's filters are independent, so that is what the view returns for the
combination.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from guidebook_kg import views
from guidebook_kg.errors import InputError
from guidebook_kg.site import charts, html
from guidebook_kg.site.forms import Choices
from guidebook_kg.site.links import Links
from guidebook_kg.site.paging import PROGRAMMES_PER_PAGE, page_of
from guidebook_kg.site.ratingwords import RatingBadge, RatingWords
from guidebook_kg.site.sitemap import domain_anchor

MAP_VIEW = "evidence-map"
DOMAINS = "https://w3id.org/guidebook-kg/concept/outcome-domain"
STUDY_RATINGS = "https://w3id.org/guidebook-kg/concept/study-rating"
FORMATS = ("svg", "html")
# The legend's words for the cells that are not a rated finding.
UNRATED = "no study rating recorded"
NAMED = "domain named by the record, no outcome recorded"
# The anchor of a programme page's child outcomes, where a domain named without its
# outcomes is said to be.
OUTCOMES_ANCHOR = "outcomes"


@dataclass
class MapCell:
    """One row of the view: a programme's evidence in one domain."""

    programme: str
    name: str
    domain: str
    domain_label: str
    findings: int
    studies: int
    study_rating: str | None
    study_level: int | None
    indices: list[int]
    long_term: int
    no_effect: int

    @property
    def named_only(self) -> bool:
        return self.findings == 0

    @property
    def without_index(self) -> int:
        return self.findings - len(self.indices)

    @property
    def fill(self) -> str | None:
        return charts.LEVEL_FILLS.get(str(self.study_level)) if self.study_rating else None

    # -------------------------------------------------------------- in words

    @property
    def findings_text(self) -> str:
        if self.named_only:
            return "the domain is named, no outcome is recorded"
        return _count(self.findings, "finding")

    @property
    def studies_text(self) -> str:
        if self.named_only:
            return ""
        return "no study recorded" if self.studies == 0 else _count(self.studies, "study")

    @property
    def rating_text(self) -> str:
        if self.named_only:
            return ""
        if self.study_rating:
            return f"strongest study rating {self.study_rating}"
        return "no study rating recorded"

    @property
    def indices_text(self) -> str:
        if self.named_only:
            return ""
        if not self.indices:
            return "no index recorded"
        shown = ", ".join(charts.signed(i) for i in self.indices)
        missing = self.without_index
        return shown + (f" ({missing} without an index)" if missing else "")

    @property
    def summary(self) -> str:
        """The cell in one sentence: what hovering over it says."""
        if self.named_only:
            return f"{self.name}, {self.domain_label}: {self.findings_text}."
        if self.studies:
            parts = [f"{self.findings_text} from {self.studies_text}", self.rating_text]
        else:
            parts = [f"{self.findings_text}, {self.studies_text}"]
        parts.append(
            "improvement indices " + self.indices_text if self.indices else self.indices_text
        )
        if self.long_term:
            parts.append(f"{self.long_term} long-term")
        if self.no_effect:
            parts.append(f"{self.no_effect} with no effect")
        return f"{self.name}, {self.domain_label}: " + "; ".join(parts) + "."

    def lines(self, chars: int) -> list[str]:
        """What the cell writes under its circle, each line at most ``chars`` long."""
        if self.named_only:
            return ["domain named", "no outcome recorded"]
        several = self.studies > 1
        if self.studies == 0:
            first = "no study recorded"
        elif self.study_rating:
            first = f"{'best study' if several else 'study'} rated {self.study_rating}"
        else:
            first = "studies not rated" if several else "study not rated"
        found = [first]
        if self.indices:
            found.append(" ".join(charts.signed(i) for i in self.indices))
            if self.without_index:
                found.append(f"{self.without_index} without an index")
        else:
            found.append("no index recorded")
        if self.no_effect:
            found.append(f"{self.no_effect} with no effect")
        return [charts.cut(line, chars) for line in found]


@dataclass
class MapRow:
    """A programme: its rating and its cells, by domain IRI."""

    iri: str
    name: str
    rating: str | None
    position: int  # in the whole map, for the build's filters
    cells: dict[str, MapCell] = field(default_factory=dict)
    badge: RatingBadge | None = None


@dataclass
class EvidenceMap:
    """What the view returned, arranged: rows by programme, columns by domain."""

    rows: list[MapRow]
    domains: list[tuple[str, str]]  # IRI, label: the scheme's order
    study_ratings: list[dict[str, str]]  # notation, label, level: the legend

    @property
    def cells(self) -> list[MapCell]:
        return [c for r in self.rows for c in r.cells.values()]


def read_map(
    engine: views.Engine,
    catalogue: views.Catalogue,
    params: Mapping[str, str] | None = None,
    words: RatingWords | None = None,
) -> EvidenceMap:
    """Run the ``evidence-map`` view (with ``params``: its filters) and arrange its rows;
    the columns are every domain of the outcome-domain scheme, found or not."""
    view = catalogue.get(MAP_VIEW)
    if view is None:
        raise InputError(f"the {MAP_VIEW!r} view is missing", hint=f"restore queries/{MAP_VIEW}.rq")
    table = views.run_on(engine, view, dict(params or {}), catalogue)
    choices = Choices(engine, catalogue)
    words = words or RatingWords(engine, catalogue)
    rows: dict[str, MapRow] = {}
    labels: dict[str, str] = {}
    for record in table.records():
        programme = record.get("programme")
        if programme is None:
            continue
        iri = programme.value
        row = rows.get(iri)
        if row is None:
            name = _text(record.get("name")) or iri
            rating = _text(record.get("rating"))
            row = rows[iri] = MapRow(iri, name, rating, len(rows), badge=words(rating))
        domain = _text(record.get("domain"))
        if domain is None:
            continue
        label = _text(record.get("domain_label")) or domain
        labels.setdefault(domain, label)
        level = _text(record.get("study_level"))
        row.cells[domain] = MapCell(
            programme=iri,
            name=row.name,
            domain=domain,
            domain_label=label,
            findings=_int(record.get("findings")),
            studies=_int(record.get("studies")),
            study_rating=_text(record.get("study_rating")),
            study_level=int(float(level)) if level else None,
            indices=[int(float(i)) for i in (_text(record.get("indices")) or "").split()],
            long_term=_int(record.get("long_term")),
            no_effect=_int(record.get("no_effect")),
        )
    domains = [(views.expand(c["value"]), c["text"]) for c in choices.concepts(DOMAINS)]
    known = {iri for iri, _ in domains}
    domains += sorted(
        ((iri, label) for iri, label in labels.items() if iri not in known),
        key=lambda d: (d[1].lower(), d[0]),
    )
    ratings = [
        {"notation": c["text"], "level": c["level"]}
        for c in choices.concepts(STUDY_RATINGS)
    ]
    return EvidenceMap(list(rows.values()), domains, ratings)


# ------------------------------------------------------------------ the picture

_LABEL = 240  # the programmes' names and badges
_COLUMN = 116
_ROW = 100
_LINE = 12  # the lines under a circle
_RADIUS = (10.0, 20.0)  # a cell of one finding, a cell of the most findings
_HEADER_LINES = 5
_LEGEND = 104


def _radius(findings: int, most: int) -> float:
    low, high = _RADIUS
    if most <= 1 or findings <= 1:
        return low
    return low + (high - low) * math.sqrt((findings - 1) / (most - 1))


def map_svg(
    model: EvidenceMap,
    rows: list[MapRow],
    links: Links,
    figure_id: str = "evidence-map",
) -> Markup:
    """The SVG of ``rows`` of ``model`` (a page of them), with links from ``links``."""
    most = max((c.findings for c in model.cells), default=1)
    header_chars = charts.fits(_COLUMN - 8, 11.5)
    headers: list[dict[str, Any]] = []
    for j, (iri, label) in enumerate(model.domains):
        lines = charts.wrap(label, header_chars, _HEADER_LINES)
        headers.append(
            {"iri": iri, "href": links.resource(iri), "label": label, "lines": lines,
             "x": charts.px(_LABEL + j * _COLUMN + _COLUMN / 2)}
        )
    tallest = max((len(h["lines"]) for h in headers), default=1)
    top = 14 + 14 * tallest
    for h in headers:
        first = top - 8 - 14 * (len(h["lines"]) - 1)
        h["ys"] = [charts.px(first + 14 * i) for i in range(len(h["lines"]))]
    name_chars = charts.fits(_LABEL - 64, 13)
    cell_chars = charts.fits(_COLUMN - 8, 10)
    drawn = []
    for i, row in enumerate(rows):
        name_lines = charts.wrap(row.name, name_chars, 2)
        name_y = _ROW / 2 + 4 - 8 * (len(name_lines) - 1)
        cells = []
        for j, (domain, _) in enumerate(model.domains):
            cell = row.cells.get(domain)
            x0 = _LABEL + j * _COLUMN
            entry: dict[str, Any] = {"x0": x0, "cx": charts.px(x0 + _COLUMN / 2), "cell": cell}
            if cell is not None:
                entry.update(
                    href=cell_href(links, cell),
                    r=charts.px(_radius(cell.findings, most)),
                    lines=[
                        {"text": text, "y": charts.px(62 + _LINE * k)}
                        for k, text in enumerate(cell.lines(cell_chars))
                    ],
                )
            cells.append(entry)
        drawn.append(
            {
                "row": row,
                "y": top + i * _ROW,
                "href": links.resource(row.iri),
                "name_lines": [
                    {"text": t, "y": charts.px(name_y + 16 * k)} for k, t in enumerate(name_lines)
                ],
                "cells": cells,
            }
        )
    width = _LABEL + _COLUMN * len(model.domains) + 8
    bottom = top + _ROW * len(rows)
    legend = _legend(model, most)
    cells_drawn = sum(1 for r in rows for _ in r.cells)
    named = sum(1 for r in rows for c in r.cells.values() if c.named_only)
    empty = sum(1 for r in rows if not r.cells)
    description = (
        f"{_count(len(rows), 'programme')} by {_count(len(model.domains), 'outcome domain')}: "
        f"{_count(cells_drawn - named, 'cell')} with findings"
        + (f", {named} domain{'s' if named != 1 else ''} named without outcomes" if named else "")
        + (f", {_count(empty, 'programme')} with none recorded" if empty else "")
        + ". Each circle grows with the number of findings and is filled by the strongest "
        "rating of the studies behind them (hatched when none is rated); the words under it "
        "give that rating and the improvement indices. The table after the map gives every cell."
    )
    body = html.environment().get_template("map.svg.j2").render(
        id=figure_id,
        title="Evidence gap map: programmes by child-outcome domain",
        description=description,
        width=width,
        height=bottom + _LEGEND,
        top=top,
        bottom=bottom,
        row_height=_ROW,
        label_width=_LABEL,
        column=_COLUMN,
        headers=headers,
        rows=drawn,
        legend=legend,
        font=charts.FONT,
        ink=charts.INK,
        muted=charts.MUTED,
        grid=charts.GRID,
        fills=charts.LEVEL_FILLS,
    )
    return Markup(body.strip())


def _legend(model: EvidenceMap, most: int) -> dict[str, Any]:
    """Where the legend's keys go, under the map: each after the width of the last."""

    def width(text: str) -> float:
        return len(text) * 11 * charts.CHAR_EM

    swatches = []
    x = 8.0
    for rating in model.study_ratings:
        fill = charts.LEVEL_FILLS.get(rating["level"])
        if fill is None:
            continue
        text = f"study rated {rating['notation']}"
        swatches.append({"x": charts.px(x + 9), "text_x": charts.px(x + 22), "fill": fill,
                         "text": text})
        x += 22 + width(text) + 16
    unrated = {"x": charts.px(x + 9), "text_x": charts.px(x + 22), "text": UNRATED}
    sizes = [(_radius(1, most), "1 finding")]
    if most > 1:
        sizes.append((_radius(most, most), f"{most} findings"))
    x = 8.0
    shown = []
    for r, text in sizes:
        shown.append({"r": charts.px(r), "x": charts.px(x + r), "text_x": charts.px(x + 2 * r + 6),
                      "text": text})
        x += 2 * r + 6 + width(text) + 16
    named = {"x": charts.px(x + 9), "text_x": charts.px(x + 22), "text": NAMED}
    x += 22 + width(NAMED) + 16
    return {"swatches": swatches, "unrated": unrated, "sizes": shown, "named": named,
            "long_term_x": charts.px(x)}


# ------------------------------------------------------------------ the page


def _table(model: EvidenceMap, rows: list[MapRow], links: Links) -> list[dict[str, Any]]:
    """The map's cells as table rows (and one for each programme without a cell)."""
    found: list[dict[str, Any]] = []
    for row in rows:
        if not row.cells:
            found.append({"row": row, "cell": None, "href": None})
        for domain, _ in model.domains:
            cell = row.cells.get(domain)
            if cell is not None:
                found.append({"row": row, "cell": cell, "href": cell_href(links, cell)})
    return found


def cell_href(links: Links, cell: MapCell) -> str | None:
    """Where a cell leads: the findings of its domain on its programme's page (its child
    outcomes, for a domain named without them)."""
    page = links.resource(cell.programme)
    if page is None:
        return None
    where = OUTCOMES_ANCHOR if cell.named_only else domain_anchor(cell.domain)
    return page.split("#", 1)[0] + "#" + where


def map_page(
    links: Links,
    engine: views.Engine,
    catalogue: views.Catalogue,
    choices: Choices,
    words: RatingWords,
    params: Mapping[str, str],
    number: int = 1,
    kept: dict[str, Any] | None = None,
) -> html.Rendered | None:
    """Page ``number`` of the map: on the server filtered by ``params``; in a build, every
    programme with the filters' answers for the page's script (read once for all pages
    when ``kept`` is given: a build passes the same dict for every page)."""
    view = catalogue.get(MAP_VIEW)
    if view is None:
        return None
    error = None
    given = dict(params) if links.dynamic else {}
    if kept is not None and not given and "model" in kept:
        model = kept["model"]
    else:
        try:
            model = read_map(engine, catalogue, given, words)
        except InputError as err:
            error = str(err)
            model = read_map(engine, catalogue, {}, words)
            model.rows = []
        if kept is not None and not given and error is None:
            kept["model"] = model
    found = page_of(
        model.rows, number, PROGRAMMES_PER_PAGE, lambda n: links.route("map", n, given) or ""
    )
    if found is None:
        return None
    shown, paging = found
    data = None
    if not links.dynamic:
        data = kept.get("filters") if kept is not None else None
        if data is None:
            data = _filters(engine, catalogue, choices, model)
            if kept is not None:
                kept["filters"] = data
    page = html.render(
        "map.html.j2",
        links,
        title="Evidence map",
        view=view,
        fields=choices.fields(view, given),
        action=links.route("map") if links.dynamic else "",
        error=error,
        filtered=bool(given),
        model=model,
        figure=map_svg(model, shown, links) if shown else None,
        table=_table(model, shown, links),
        paging=paging,
        data=data,
        everything=links.route("map"),
    )
    if error is not None:
        page.status = 400
    return page


def _filters(
    engine: views.Engine, catalogue: views.Catalogue, choices: Choices, model: EvidenceMap
) -> str:
    """For each value of each filter, the positions of the programmes the view returns for
    it, as JSON for a script element (every "<" escaped)."""
    view = catalogue[MAP_VIEW]
    position = {r.iri: r.position for r in model.rows}
    matches: dict[str, dict[str, list[int]]] = {}
    for parameter in view.parameters:
        for option in choices.options(parameter):
            table = views.run_on(engine, view, {parameter.name: option["value"]}, catalogue)
            found = {position[iri] for iri in table.values("programme") if iri in position}
            matches.setdefault(parameter.name, {})[option["value"]] = sorted(found)
    data = {"matches": matches, "count": len(model.rows)}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def standalone(
    engine: views.Engine,
    catalogue: views.Catalogue,
    params: Mapping[str, str],
    fmt: str,
    links: Links,
) -> str:
    """The map read on its own (``guidebook map``): the SVG alone, or an HTML document
    with the map, its legend and its table (every programme on one page)."""
    if fmt not in FORMATS:
        raise InputError(f"unknown map format {fmt!r}", hint="use svg or html")
    model = read_map(engine, catalogue, params)
    svg = map_svg(model, model.rows, links)
    if fmt == "svg":
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + str(svg) + "\n"
    from importlib.resources import files

    css = files("guidebook_kg").joinpath("site/static/site.css").read_text(encoding="utf-8")
    view = catalogue[MAP_VIEW]
    chosen = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(params.items()))
    rendered = html.render(
        "map.html.j2",
        links,
        title="Evidence map" + (f" ({chosen})" if chosen else ""),
        view=view,
        fields=[],
        action=None,
        error=None,
        filtered=bool(params),
        model=model,
        figure=svg,
        table=_table(model, model.rows, links),
        paging=None,
        data=None,
        everything=None,
        inline_css=css,
    )
    return rendered.body.decode("utf-8")


def _count(n: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {noun if n == 1 else plural}"


def _text(term: Any) -> str | None:
    return None if term is None else str(term.value)


def _int(term: Any) -> int:
    text = _text(term)
    try:
        return int(float(text)) if text else 0
    except ValueError:
        return 0
