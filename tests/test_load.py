"""Loading files into the store: graphs, formats and error positions."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import assert_isomorphic, bad_turtle, parse_with_rdflib, rdflib_graph
from guidebook_kg.errors import InputError
from guidebook_kg.prefixes import ONTOLOGY_GRAPH
from guidebook_kg.project import Project, find_project
from guidebook_kg.store import load, load_file, named_graphs, programme_graph, union_triples

SAMPLE = """\
@prefix ex: <http://example.org/> .
ex:thing ex:label "Thing"@en ; ex:count 3 ; ex:parts ( ex:a ex:b ) .
"""


@pytest.fixture
def project(skeleton: Path) -> Project:
    return find_project(skeleton)


def test_each_file_gets_its_own_named_graph(project: Project) -> None:
    store = load(project)

    assert [g.value for g in named_graphs(store)] == [
        ONTOLOGY_GRAPH,
        programme_graph("demo").value,
        programme_graph("second").value,
    ]
    for path in project.data_files():
        in_graph = store.quads_for_pattern(None, None, None, programme_graph(path.stem))
        assert_isomorphic(rdflib_graph(in_graph), parse_with_rdflib([path]))
    ontology = store.quads_for_pattern(None, None, None, ox.NamedNode(ONTOLOGY_GRAPH))
    assert_isomorphic(rdflib_graph(ontology), parse_with_rdflib(project.ontology_files()))


def test_union_holds_each_triple_once(project: Project) -> None:
    store = load(project)
    union = list(union_triples(store))

    assert len(union) == len(set(union)) == len(store)
    expected = parse_with_rdflib([*project.ontology_files(), *project.data_files()])
    assert_isomorphic(rdflib_graph(union), expected)


def test_a_fact_stated_in_two_files_is_refused(skeleton: Path, tmp_path: Path) -> None:
    # Oxigraph's union of graphs keeps one copy per graph, so a repeated statement would
    # be counted twice by every view: each statement must have one home.
    repeat = tmp_path / "repeat.ttl"
    repeat.write_text(
        "@prefix gbc: <https://w3id.org/guidebook-kg/concept/> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        'gbc:setting-home skos:prefLabel "Home"@en .\n',
        encoding="utf-8",
    )

    with pytest.raises(InputError) as raised:
        load(find_project(skeleton), [repeat])

    message = str(raised.value)
    assert "demo.ttl" in message
    assert "repeat.ttl" in message
    assert "setting-home" in message
    assert "one file" in message


def test_data_files_are_found_recursively_and_sorted(tmp_path: Path) -> None:
    (tmp_path / "ontology").mkdir()
    for rel in ["data/b.ttl", "data/programmes/a.ttl", "data/x/y/c.ttl", "data/notes.txt"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")

    files = Project(tmp_path).data_files()

    assert [p.relative_to(tmp_path).as_posix() for p in files] == [
        "data/b.ttl",
        "data/programmes/a.ttl",
        "data/x/y/c.ttl",
    ]


@pytest.mark.parametrize(
    ("suffix", "fmt"),
    [
        (".nt", ox.RdfFormat.N_TRIPLES),
        (".trig", ox.RdfFormat.TRIG),
        (".nq", ox.RdfFormat.N_QUADS),
        (".rdf", ox.RdfFormat.RDF_XML),
        (".jsonld", ox.RdfFormat.JSON_LD),
        (".ttl", ox.RdfFormat.TURTLE),
    ],
)
def test_extra_files_load_by_extension(
    project: Project, tmp_path: Path, suffix: str, fmt: ox.RdfFormat
) -> None:
    triples = list(ox.parse(SAMPLE, ox.RdfFormat.TURTLE))
    extra = tmp_path / f"extra-programme{suffix}"
    statements = [ox.Quad(*t.triple) for t in triples] if fmt.supports_datasets else triples
    extra.write_bytes(ox.serialize(statements, format=fmt))

    store = load(project, [extra])

    graph = programme_graph("extra-programme")
    assert_isomorphic(
        rdflib_graph(store.quads_for_pattern(None, None, None, graph)),
        rdflib_graph(triples),
    )


def test_relative_iris_resolve_against_the_file(project: Project, tmp_path: Path) -> None:
    extra = tmp_path / "relative.ttl"
    extra.write_text("<#me> <http://example.org/p> <other.ttl> .\n")

    store = load(project, [extra])

    subjects = {q.subject for q in store.quads_for_pattern(None, None, None, None)}
    assert ox.NamedNode(extra.resolve().as_uri() + "#me") in subjects


def test_store_keeps_values_not_lexical_forms(project: Project, tmp_path: Path) -> None:
    # Oxigraph stores known XSD literals as values, so an export writes the canonical
    # lexical form: data and shapes must not depend on spelling such as "1250.50".
    extra = tmp_path / "spelling.ttl"
    extra.write_text(
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        '<http://e/a> <http://e/p> "1250.50"^^xsd:decimal, "007"^^xsd:integer .\n'
    )

    store = load(project, [extra])

    quads = store.quads_for_pattern(None, None, None, programme_graph("spelling"))
    assert sorted(q.object.value for q in quads) == ["1250.5", "7"]


def test_missing_file_is_named(project: Project, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.ttl"
    with pytest.raises(InputError, match=r"nowhere\.ttl: no such file"):
        load(project, [missing])


def test_unknown_extension_is_refused(project: Project, tmp_path: Path) -> None:
    odd = tmp_path / "notes.txt"
    odd.write_text("hello")
    with pytest.raises(InputError, match=r"notes.txt: unknown RDF file extension '.txt'"):
        load(project, [odd])


def test_two_files_with_one_slug_are_refused(project: Project, tmp_path: Path) -> None:
    clash = tmp_path / "demo.ttl"
    clash.write_text(SAMPLE)
    with pytest.raises(InputError, match="slug 'demo' is also used by"):
        load(project, [clash])


def test_syntax_error_reports_path_line_and_column(project: Project, tmp_path: Path) -> None:
    bad = bad_turtle(tmp_path)
    with pytest.raises(InputError) as caught:
        load(project, [bad])
    assert str(caught.value).endswith("bad.ttl:4:11: Unexpected end of file")
    assert caught.value.exit_code == 3


def test_rdfxml_error_has_no_position_but_names_the_file(project: Project, tmp_path: Path) -> None:
    bad = tmp_path / "broken.rdf"
    bad.write_text(
        '<r:RDF xmlns:r="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n<r:Description>\n</r:RDF>\n'
    )
    with pytest.raises(InputError, match=r"broken\.rdf: ill-formed document"):
        load(project, [bad])


@given(
    valid_lines=st.integers(min_value=0, max_value=40),
    indent=st.integers(min_value=0, max_value=30),
    multibyte=st.booleans(),
)
def test_error_position_is_one_based_in_characters(
    valid_lines: int, indent: int, multibyte: bool
) -> None:
    # Columns count characters, not bytes: a multibyte literal before the error must not
    # shift the reported column.
    before = '<http://e/a> <http://e/p> "déjà" . ' if multibyte else ""
    text = "<http://e/a> <http://e/p> <http://e/o> .\n" * valid_lines
    text += before + " " * indent + "oops .\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "generated.ttl"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InputError) as caught:
            load_file(ox.Store(), path, programme_graph("generated"))
    line, column = valid_lines + 1, len(before) + indent + 1
    assert f"generated.ttl:{line}:{column}: " in str(caught.value)
