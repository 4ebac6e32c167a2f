"""Pictures of the evidence, drawn on the server as inline SVG: the improvement-index chart
of a programme's or a study's findings (here) and the evidence gap map
(:mod:`guidebook_kg.site.evidencemap`).

This module computes where things go; the templates (``*.svg.j2``) write the elements. No
chart library and no script: the SVG is text in the page, the same bytes for the same
facts. Every picture is readable without colour (labels and patterns say what colours
say), carries a title and a description for assistive technology, and comes with a table
of the same data beside it (:class:`Figure`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from guidebook_kg.site import html

# The one font stack of the pictures (the site's own), and how wide its characters are on
# average, in em, to wrap and cut text without measuring it.
FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif"
CHAR_EM = 0.56

# Fills, each dark enough to carry white text and to stand out from white (WCAG AA); the
# labels beside them say the same in words.
LEVEL_FILLS = {"4": "#14532d", "3": "#1e5c8a", "2": "#7a4f00", "1": "#5c5c5c"}
INK = "#1b1b1b"
MUTED = "#555555"
GRID = "#d8d8d8"
POSITIVE = "#1e5c8a"
NEGATIVE = "#8a1111"


@dataclass
class Cell:
    """A cell of a figure's data table: its text, and the resource it links to."""

    text: str
    iri: str | None = None
    anchor: str | None = None  # a link within the page (the programme page's findings)


@dataclass
class Figure:
    """A picture with its caption and the table of its data."""

    id: str
    body: Markup
    caption: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    table_caption: str = ""


def px(value: float) -> str:
    """A coordinate as written in the SVG: at most one decimal, no trailing zero."""
    text = f"{round(value, 1):.1f}"
    return text[:-2] if text.endswith(".0") else text


def fits(width: float, size: float) -> int:
    """How many characters of a ``size`` px font fit in ``width`` px."""
    return max(1, int(width / (size * CHAR_EM)))


def cut(text: str, chars: int) -> str:
    """``text`` in at most ``chars`` characters, cut at a word with an ellipsis."""
    if len(text) <= chars:
        return text
    head = text[: max(1, chars - 1)]
    if " " in head[chars // 2 :]:
        head = head[: head.rfind(" ")]
    return head.rstrip(" ,;:·-") + "\u2026"


def wrap(text: str, chars: int, lines: int) -> list[str]:
    """``text`` in at most ``lines`` lines of ``chars`` characters, the last one cut."""
    words = text.split()
    found: list[str] = []
    line = ""
    for i, word in enumerate(words):
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= chars:
            line += " " + word
        else:
            found.append(line)
            line = word
            if len(found) == lines - 1:
                line = " ".join(words[i:])
                break
    if line:
        found.append(line)
    return [*found[:-1], cut(found[-1], chars)] if found else []


def signed(index: int) -> str:
    """An improvement index as the Guidebook writes it: +33, 0, and -4 with a minus sign
    (U+2212)."""
    return f"+{index}" if index > 0 else str(index).replace("-", "\u2212")


# ------------------------------------------------------------------ the improvement index


@dataclass
class Bar:
    """One finding on the chart."""

    iri: str
    label: str
    meta: str
    index: int | None
    long_term: bool
    effect: str | None  # "positive", "no effect", "negative"; None when not stated

    @property
    def no_effect(self) -> bool:
        return self.effect in ("no effect", "negative")

    @property
    def value_text(self) -> str:
        if self.index is None:
            return "no index recorded"
        words = [signed(self.index)]
        if self.long_term:
            words.append("long-term")
        if self.no_effect:
            words.append(str(self.effect))
        return " · ".join(words)


# The chart's geometry, in px.
_WIDTH = 760
_LABEL = 330  # the findings' names
_ZERO = 515  # where the index is 0
_SCALE = 3.4  # px per point of the index (-50..+50 spans 340 px)
_TOP = 44  # the axis above the first row
_ROW = 40
_LINE = 15  # a further line of a finding's name
_HEADING = 26
_LEGEND = 44
_BAR = 14


def index_chart(
    figure_id: str,
    groups: Sequence[tuple[str | None, Sequence[Bar]]],
    title: str,
    *,
    anchors: dict[str, str] | None = None,
) -> Figure | None:
    """The chart of ``groups`` of findings (a heading, or None, and its findings): each
    index a bar on the -50..+50 scale, long-term bars hatched, no-effect bars hollow, and
    "no index recorded" where there is none. None when no finding has an index: a chart of
    nothing but gaps says less than the sentence the page writes instead."""
    bars = [b for _, group in groups for b in group]
    if not any(b.index is not None for b in bars):
        return None
    rows: list[dict[str, Any]] = []
    y = _TOP
    label_chars = fits(_LABEL - 10, 12.5)
    meta_chars = fits(_LABEL - 10, 11)
    for heading, group in groups:
        if not group:
            continue
        if heading:
            rows.append({"heading": cut(heading, fits(_WIDTH - 20, 12.5)), "y": y + 17})
            y += _HEADING
        for bar in group:
            lines = wrap(bar.label, label_chars, 2)
            height = _ROW + _LINE * (len(lines) - 1)
            middle = y + height / 2
            first = middle - 3 - _LINE * (len(lines) - 1) / 2
            row: dict[str, Any] = {
                "heading": None,
                "bar": bar,
                "lines": [
                    {"text": line, "y": px(first + i * _LINE)} for i, line in enumerate(lines)
                ],
                "meta": cut(bar.meta, meta_chars),
                "meta_y": px(first + _LINE * (len(lines) - 1) + 14),
                "text_y": px(middle + 4),
                "bar_y": px(middle - _BAR / 2),
            }
            if bar.index is not None:
                end = _ZERO + bar.index * _SCALE
                row["x"] = px(min(end, _ZERO))
                row["width"] = px(max(abs(end - _ZERO), 1.5))
                row["value_x"] = px(end + 6 if bar.index >= 0 else end - 6)
                row["anchor"] = "start" if bar.index >= 0 else "end"
                row["fill"] = NEGATIVE if bar.index < 0 else POSITIVE
            else:
                row["value_x"] = px(_ZERO + 6)
                row["anchor"] = "start"
            rows.append(row)
            y += height
    height = y + _LEGEND
    ticks = [
        {"x": px(_ZERO + value * _SCALE), "text": signed(value), "zero": value == 0}
        for value in (-50, -25, 0, 25, 50)
    ]
    indexed = [b.index for b in bars if b.index is not None]
    missing = len(bars) - len(indexed)
    long_term = sum(1 for b in bars if b.long_term)
    no_effect = sum(1 for b in bars if b.no_effect)
    summary = [
        f"{_count(len(bars), 'finding')}: {len(indexed)} with an improvement index"
        + (
            f", from {signed(min(indexed))} to {signed(max(indexed))}"
            if len(indexed) > 1
            else f" of {signed(indexed[0])}"
        ),
        f"{missing} without one" if missing else "",
        f"{long_term} long-term" if long_term else "",
        f"{no_effect} with no effect" if no_effect else "",
    ]
    description = "; ".join(s for s in summary if s) + ". The table after the chart lists them."
    body = html.environment().get_template("index-chart.svg.j2").render(
        id=figure_id,
        title=title,
        description=description,
        width=_WIDTH,
        height=px(height),
        rows=rows,
        ticks=ticks,
        top=_TOP,
        bottom=px(y),
        zero=px(_ZERO),
        label_x=10,
        legend_y=px(y + 26),
        legend_box_y=px(y + 16),
        bar_height=_BAR,
        font=FONT,
        ink=INK,
        muted=MUTED,
        grid=GRID,
        positive=POSITIVE,
    )
    anchors = anchors or {}
    table = [
        [
            Cell(b.label, b.iri, anchors.get(b.iri)),
            Cell(b.meta),
            Cell(signed(b.index) if b.index is not None else "no index recorded"),
            Cell("yes" if b.long_term else "no"),
            Cell(b.effect or "not stated"),
        ]
        for b in bars
    ]
    return Figure(
        id=figure_id,
        body=Markup(body.strip()),
        caption=f"{title}. Each bar is a finding's improvement index on the scale from "
        "\u221250 to +50; hatched bars are long-term findings (a year or more after the "
        "programme), hollow bars found no effect.",
        columns=["Finding", "Study and timing", "Improvement index", "Long-term", "Effect"],
        rows=table,
        table_caption="The findings of the chart",
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
