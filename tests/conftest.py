"""Shared fixtures: the skeleton project, an in-process CLI runner, graph comparison."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner, Result
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from guidebook_kg.cli import main

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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the golden view results in tests/golden/ instead of comparing",
    )


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


def rdflib_graph(statements: Iterable[ox.Triple | ox.Quad]) -> rdflib.Graph:
    """The triples of ``statements`` (graph names ignored) as an rdflib graph."""
    graph = rdflib.Graph()
    for s in statements:
        graph.add((rdflib_term(s.subject), rdflib_term(s.predicate), rdflib_term(s.object)))
    return graph


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
