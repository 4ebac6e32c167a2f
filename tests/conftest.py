"""Shared fixtures: the skeleton project, an in-process CLI runner, graph and row comparison."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner, Result
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from guidebook_kg.cli import main
from guidebook_kg.views import Table

FIXTURES = Path(__file__).parent / "fixtures"
SKELETON = FIXTURES / "skeleton"

# rdflib parser names for the export formats.
RDFLIB_FORMATS = {
    "turtle": "turtle",
    "nt": "nt",
    "jsonld": "json-ld",
    "rdfxml": "xml",
    "trig": "trig",
    "nquads": "nquads",
}

Run = Callable[..., Result]

# Where the browser tests save a screenshot of each kind of page (a test artefact, listed
# in .gitignore); the run prints the folder at its end.
ARTEFACTS = Path(
    os.environ.get("GUIDEBOOK_TEST_ARTEFACTS") or Path(__file__).parents[1] / "test-artefacts"
)
SCREENSHOTS = ARTEFACTS / "screenshots"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the golden view results in tests/golden/ instead of comparing",
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_STARTED] = time.time()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    started = config.stash.get(_STARTED, None)
    if started is None or not SCREENSHOTS.is_dir():
        return
    taken = [p for p in SCREENSHOTS.glob("*.png") if p.stat().st_mtime >= started]
    if taken:
        terminalreporter.write_line(f"screenshots of {len(taken)} pages: {SCREENSHOTS}")


_STARTED = pytest.StashKey[float]()


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def skeleton() -> Path:
    return SKELETON


@pytest.fixture
def run(skeleton: Path) -> Run:
    """Invoke ``guidebook --project <skeleton> ARGS...`` in-process."""
    runner = CliRunner()

    def invoke(*args: str, project: Path | None = skeleton) -> Result:
        prefix = ["--project", str(project)] if project is not None else []
        return runner.invoke(main, [*prefix, *args])

    return invoke


def bad_turtle(directory: Path, name: str = "bad.ttl") -> Path:
    """A Turtle file whose only error (an unterminated string) starts on line 4, column 11."""
    path = directory / name
    path.write_text(
        "@prefix ex: <http://example.org/> .\n"
        "ex:a ex:b ex:c .\n"
        "\n"
        'ex:a ex:b "unterminated .\n'
        "ex:x ex:y ex:z .\n",
        encoding="utf-8",
    )
    return path


def rdflib_term(term: object) -> rdflib.term.Node:
    """The rdflib term equal to a pyoxigraph term."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        # rdflib spells a plain string without a datatype.
        datatype = None if term.datatype.value.endswith("#string") else term.datatype.value
        return rdflib.Literal(term.value, datatype=datatype)
    raise TypeError(f"unexpected term {term!r}")


# xsd:decimal and the types derived from it share one value space: "24"^^xsd:integer and
# "24.0"^^xsd:decimal are the same value (and Virtuoso returns the second as the first).
_XSD = "http://www.w3.org/2001/XMLSchema#"
_DECIMALS = {
    _XSD + name
    for name in (
        "decimal", "integer", "nonPositiveInteger", "negativeInteger", "long", "int", "short",
        "byte", "nonNegativeInteger", "unsignedLong", "unsignedInt", "unsignedShort",
        "unsignedByte", "positiveInteger",
    )
}


def value_term(term: object) -> rdflib.term.Node:
    """The rdflib term for a pyoxigraph term, with literals in one canonical form per
    value: ``"1"^^xsd:boolean`` and ``true``, ``"0.50"`` and ``"0.5"``, or ``"24.0"`` as a
    decimal and ``"24"`` as an integer become the same term. Values of different value
    spaces stay apart (a double is not a decimal, a string is not a number), and a
    language tag counts (in lower case). For comparing what different stores return."""
    if not isinstance(term, ox.Literal):
        return rdflib_term(term)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language.lower())
    datatype = term.datatype.value
    value = rdflib.Literal(term.value, datatype=datatype).value  # None where rdflib cannot
    if datatype in _DECIMALS and isinstance(value, int | Decimal) and not isinstance(value, bool):
        datatype, lexical = _XSD + "decimal", str(Decimal(value).normalize())
    elif isinstance(value, bool):
        lexical = "true" if value else "false"
    elif value is None or isinstance(value, str):
        lexical = term.value
    else:  # floats, dates and times
        lexical = str(value)
    plain = datatype == _XSD + "string"
    return rdflib.Literal(lexical, datatype=None if plain else datatype, normalize=False)


def rdflib_graph(
    statements: Iterable[ox.Triple | ox.Quad], *, by_value: bool = False
) -> rdflib.Graph:
    """The triples of ``statements`` (graph names ignored) as an rdflib graph; with
    ``by_value``, literals in canonical form (:func:`value_term`)."""
    convert = value_term if by_value else rdflib_term
    graph = rdflib.Graph()
    for s in statements:
        graph.add((convert(s.subject), convert(s.predicate), convert(s.object)))
    return graph


def _row_values(row: Sequence[object]) -> tuple[rdflib.term.Node | None, ...]:
    return tuple(None if term is None else value_term(term) for term in row)


def assert_same_rows(actual: Table, expected: Table) -> None:
    """Same columns and the same rows in the same order, values compared as RDF terms
    (:func:`value_term`), so two stores' spellings of one value agree."""
    assert actual.columns == expected.columns
    got = [_row_values(row) for row in actual.rows]
    want = [_row_values(row) for row in expected.rows]
    if got == want:
        return
    lines = [f"rows differ: {len(got)} rows, expected {len(want)}"]
    for number, (a, e) in enumerate(zip(got, want, strict=False), start=1):
        if a != e:
            lines.append(f"first difference in row {number}:")
            lines += [
                f"  {column}: {x!r}, expected {y!r}"
                for column, x, y in zip(actual.columns, a, e, strict=True)
                if x != y
            ]
            break
    pytest.fail("\n".join(lines))


def parse_with_rdflib(paths: Iterable[Path], fmt: str = "turtle") -> rdflib.Graph:
    """An independent reading of source files: the oracle for round trips."""
    graph = rdflib.Graph()
    for path in paths:
        graph.parse(path, format=fmt)
    return graph


def _lowercase_languages(graph: rdflib.Graph) -> rdflib.Graph:
    # Language tags are case-insensitive in RDF; pyoxigraph lowercases them, rdflib keeps
    # the case it read.
    out = rdflib.Graph()
    for s, p, o in graph:
        if isinstance(o, rdflib.Literal) and o.language:
            o = rdflib.Literal(str(o), lang=o.language.lower())
        out.add((s, p, o))
    return out


def assert_isomorphic(actual: rdflib.Graph, expected: rdflib.Graph) -> None:
    """Compare as graphs (blank nodes up to renaming) and show the difference on failure."""
    actual, expected = _lowercase_languages(actual), _lowercase_languages(expected)
    if isomorphic(actual, expected):
        return
    _, only_actual, only_expected = graph_diff(to_isomorphic(actual), to_isomorphic(expected))
    lines = ["graphs differ", "only in actual:"]
    lines += sorted(f"  {t}" for t in only_actual.triples((None, None, None)))
    lines += ["only in expected:"]
    lines += sorted(f"  {t}" for t in only_expected.triples((None, None, None)))
    pytest.fail("\n".join(lines))


def asserted_rating_cell(notation: str) -> re.Pattern[str]:
    """The landing page's cell of a programme's stated rating: its badge, whose title says
    the rating in words."""
    rating = re.escape(notation)
    return re.compile(
        r'<td class="rating asserted"><abbr class="chip level-\w+" '
        rf'title="Evidence rating {rating}: [^"]+">{rating}</abbr></td>'
    )
