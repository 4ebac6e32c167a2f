"""Writing query results: the one writer of SPARQL 1.1 results (JSON, XML, CSV, TSV).

``guidebook query --format json|csv``, the build's ``views/NAME.{csv,json}``, ``serve``'s
views and its SPARQL endpoint all write their rows here, so the same rows give the same
bytes everywhere. The terms are written once as SPARQL JSON and converted by pyoxigraph's
own writers for the other formats.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pyoxigraph as ox

from guidebook_kg.namespaces import XSD

# The W3C result formats by the names ``?format=`` and ``--format`` accept; the first media
# type of each is the one we send.
FORMATS: dict[str, tuple[ox.QueryResultsFormat, tuple[str, ...]]] = {
    "json": (
        ox.QueryResultsFormat.JSON,
        ("application/sparql-results+json", "application/json"),
    ),
    "xml": (
        ox.QueryResultsFormat.XML,
        ("application/sparql-results+xml", "application/xml", "text/xml"),
    ),
    "csv": (ox.QueryResultsFormat.CSV, ("text/csv",)),
    "tsv": (ox.QueryResultsFormat.TSV, ("text/tab-separated-values",)),
}


def json_term(term: object) -> dict[str, Any]:
    """One RDF term as a SPARQL JSON value."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD.string:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": json_term(term.subject),
                "predicate": json_term(term.predicate),
                "object": json_term(term.object),
            },
        }
    raise TypeError(f"unexpected term {term!r}")


def results_bytes(
    names: Sequence[str], rows: Sequence[Mapping[str, Any]], fmt: ox.QueryResultsFormat
) -> bytes:
    """Rows of SPARQL JSON values (see :func:`json_term`) from a SELECT query, in ``fmt``."""
    body = json.dumps(
        {"head": {"vars": list(names)}, "results": {"bindings": list(rows)}},
        ensure_ascii=False,
    ).encode("utf-8")
    if fmt == ox.QueryResultsFormat.JSON:
        return body
    parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    assert isinstance(parsed, ox.QuerySolutions)
    data = parsed.serialize(format=fmt)
    return data if data is not None else b""


def table_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """Rows of terms as SPARQL JSON bindings (unbound cells left out)."""
    return [
        {
            name: json_term(value)
            for name, value in zip(columns, row, strict=True)
            if value is not None
        }
        for row in rows
    ]


def table_bytes(table: Any, fmt: str) -> bytes:
    """A view's :class:`~guidebook_kg.views.Table` as SPARQL results in ``fmt`` (json, xml,
    csv or tsv): the W3C formats any SPARQL tool reads."""
    return results_bytes(table.columns, table_rows(table.columns, table.rows), FORMATS[fmt][0])


def spreadsheet(table: Any, delimiter: str = "\t") -> str:
    """Plain values for spreadsheets (IRIs in full, literals as their text), with a header
    row of the bare column names: what ``guidebook query --format tsv`` prints."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(["" if t is None else str(t.value) for t in row])
    return out.getvalue()
