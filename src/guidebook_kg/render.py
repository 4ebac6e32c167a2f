"""Presenting results in a terminal: tables (aligned text, Markdown; CSV, TSV and SPARQL
JSON through :mod:`guidebook_kg.site.results`) and what ``guidebook rate`` prints.

Tables come from :mod:`guidebook_kg.views`. Programme pages are the site's
(:mod:`guidebook_kg.site.programme`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import pyoxigraph as ox

from guidebook_kg import views
from guidebook_kg.errors import InputError
from guidebook_kg.namespaces import programme_slug
from guidebook_kg.prefixes import PREFIXES, compact
from guidebook_kg.site import results
from guidebook_kg.site.text import join
from guidebook_kg.views import Table, Term

TABLE_FORMATS = ("table", "csv", "tsv", "json", "markdown")


# --------------------------------------------------------------------------- tables


def lexical(term: Term | None) -> str:
    """A term's plain value: the IRI, the literal's text, '' when unbound."""
    return "" if term is None else str(term.value)


def for_people(term: Term | None) -> str:
    """A term as people read it: programme IRIs as slugs, other IRIs as prefixed names."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return programme_slug(term.value) or compact(term.value)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return str(term.value)


def table_text(table: Table) -> str:
    """An aligned plain-text table with a header rule, for a terminal."""
    cells = [[for_people(t).replace("\n", " ") for t in row] for row in table.rows]
    widths = [len(c) for c in table.columns]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(table.columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    lines.append(f"({len(table)} row{'' if len(table) == 1 else 's'})")
    return "\n".join(lines) + "\n"


def table_markdown(table: Table) -> str:
    """A GitHub-flavoured Markdown table."""

    def cell(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    for row in table.rows:
        lines.append("| " + " | ".join(cell(for_people(t)) for t in row) + " |")
    return "\n".join(lines) + "\n"


def render_table(table: Table, fmt: str) -> str:
    """``table`` in one of :data:`TABLE_FORMATS`."""
    renderers: dict[str, Callable[[Table], str]] = {
        "table": table_text,
        "csv": lambda t: results.table_bytes(t, "csv").decode("utf-8"),
        "tsv": results.spreadsheet,
        "json": lambda t: results.table_bytes(t, "json").decode("utf-8") + "\n",
        "markdown": table_markdown,
    }
    try:
        return renderers[fmt](table)
    except KeyError:
        raise InputError(
            f"unknown table format {fmt!r}", hint="use " + ", ".join(renderers)
        ) from None


def graph_turtle(triples: Iterable[ox.Triple]) -> str:
    """Triples as Turtle with the project's prefixes."""
    data = ox.serialize(list(triples), format=ox.RdfFormat.TURTLE, prefixes=dict(PREFIXES))
    return data.decode("utf-8") if isinstance(data, bytes) else str(data)


# --------------------------------------------------------------------------- ratings


def ratings_text(ratings: Sequence[views.Rating], *, explain: bool = False) -> str:
    """Every assessment's stated rating beside the derived one, oldest first per programme;
    what each record lacks when the rating cannot be derived; with ``explain``, every
    criterion and its studies, and why the programme is not rated higher."""
    if not explain:
        columns = ["programme", "reviewed", "stated", "derived", "check"]
        rows: list[tuple[Term | None, ...]] = [
            (
                ox.Literal(r.slug),
                ox.Literal(r.date or "-"),
                ox.Literal(r.asserted or "-"),
                ox.Literal(r.derived or "-"),
                ox.Literal(_agreement(r)),
            )
            for r in ratings
        ]
        text = table_text(Table(columns, rows))
        lacking = [r for r in ratings if r.gaps]
        if lacking:
            text += "\nWhat the records lack:\n" + "".join(
                f"  {r.slug} {r.date or ''} ({r.asserted or '-'}): {r.gaps}\n" for r in lacking
            )
        histories = [h for h in _histories(ratings) if h]
        if histories:
            text += "\nRating history:\n" + "".join(f"  {h}\n" for h in histories)
        return text
    blocks = []
    for r in ratings:
        lines = [
            f"{r.name} ({r.slug}), {_reviewed(r)}",
            f"  stated {r.asserted or '-'}, derived {r.derived or '-'}: {_agreement(r)}",
        ]
        if not r.derivable and r.possible:
            lines.append(f"  the record allows: {' or '.join(r.possible)}")
        if r.gaps:
            lines.append(f"  the record lacks: {r.gaps}")
        for c in r.criteria:
            lines.append(f"  {c.status:<13}  {c.label}{_criterion_studies(c)}")
        blocking = [c for c in r.criteria if c.why_not_higher]
        if blocking and r.derived:
            lines.append(f"  Why it is {r.derived.rstrip('*')} and not higher:")
            for c in blocking:
                lines.append(f"    - not met: {c.label}. {c.definition} {_short_of(c)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _reviewed(rating: views.Rating) -> str:
    if rating.reviews:
        return rating.reviews
    return f"reviewed {rating.date}" if rating.date else "undated"


def _histories(ratings: Sequence[views.Rating]) -> list[str]:
    """"2+ (Foundations for Life, July 2016) → 3+ (January 2021)" for programmes assessed
    more than once (the ratings arrive oldest first)."""
    by_programme: dict[str, list[views.Rating]] = {}
    for r in ratings:
        by_programme.setdefault(r.slug, []).append(r)
    return [
        f"{slug}: " + " → ".join(f"{r.asserted or '-'} ({_reviewed(r)})" for r in history)
        for slug, history in by_programme.items()
        if len(history) > 1
    ]


def _agreement(rating: views.Rating) -> str:
    if rating.agrees is None:
        return "not derivable" if rating.asserted else "not assessed"
    return "agrees" if rating.agrees else "DISAGREES"


def _criterion_studies(criterion: views.Criterion) -> str:
    parts = []
    if criterion.studies:
        names = ", ".join(criterion.studies)
        parts.append(names if criterion.met else f"only {names}")
    if criterion.undecided:
        parts.append(f"undecided: {', '.join(criterion.undecided)}")
    return f" - {'; '.join(parts)}" if parts else ""


def _short_of(criterion: views.Criterion) -> str:
    if not criterion.studies:
        return "No study does."
    names = join(list(criterion.studies))
    verb = "does" if len(criterion.studies) == 1 else "do"
    return f"Only {names} {verb}."


