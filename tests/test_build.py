"""``guidebook build``: the published folder is complete, correct, deterministic and atomic.

The build runs on the real project (the IPP data) plus the fixture programmes, which
cover every rating, so the pages, views and counts have something to show.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import namespace as rns

from conftest import assert_isomorphic, asserted_rating_cell, bad_turtle, rdflib_graph
from guidebook_kg import jsonld, views
from guidebook_kg.cli import main
from guidebook_kg.namespaces import GB, ID, ONTOLOGY, OWL
from guidebook_kg.prefixes import PREFIXES
from guidebook_kg.project import find_project
from guidebook_kg.site import index
from guidebook_kg.store import load, union_triples

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
PROGRAMMES = sorted((FIXTURES / "programmes").glob("*.ttl"))
DISAGREEING = FIXTURES / "programmes-disagreeing"
DATA_ARGS = [arg for path in PROGRAMMES for arg in ("--data", str(path))]
IPP = ID + "programme/infant-parent-psychotherapy"
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")

# rdflib parser names for the dumps, by file name.
DUMPS = {
    "guidebook.ttl": "turtle",
    "guidebook.nt": "nt",
    "guidebook.nt.gz": "nt",
    "guidebook.jsonld": "json-ld",
    "guidebook.rdf": "xml",
}
DATASET_DUMPS = {"guidebook.trig": "trig", "guidebook.nq": "nquads"}


def build(out: Path, *args: str, data: list[str] = DATA_ARGS) -> Result:
    return CliRunner().invoke(
        main, ["--project", str(REPO), *data, "build", "--out", str(out), *args]
    )


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return load(find_project(REPO), PROGRAMMES)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build") / "dist"
    result = build(out)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def union(store: ox.Store) -> rdflib.Graph:
    return rdflib_graph(union_triples(store))


# ------------------------------------------------------------------ what is written


def test_writes_the_whole_layout(dist: Path, store: ox.Store) -> None:
    names = set(files_of(dist))

    assert {
        "index.html",
        "void.ttl",
        "SHA256SUMS",
        "context.jsonld",
        "ontology.html",
        "ontology.ttl",
        "ontology.jsonld",
        *DUMPS,
        *DATASET_DUMPS,
    } <= names
    project = find_project(REPO)
    for source in project.ontology_files():
        assert (dist / "ontology" / source.name).read_bytes() == source.read_bytes()
    for source in project.shape_files():
        assert (dist / "shapes" / source.name).read_bytes() == source.read_bytes()
    for cls, folder in ((GB.Programme, "programme"), (GB.Study, "study")):
        iris = {
            q.subject.value
            for q in store.quads_for_pattern(
                None, ox.NamedNode(PREFIXES["rdf"] + "type"), ox.NamedNode(cls)
            )
        }
        assert iris
        for iri in iris:
            stem = f"id/{folder}/{iri.rsplit('/', 1)[-1]}"
            assert {f"{stem}.html", f"{stem}.ttl", f"{stem}.jsonld"} <= names, iri


def test_progress_goes_to_stderr(tmp_path: Path) -> None:
    result = build(tmp_path / "out", data=[])

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "Writing the dumps" in result.stderr
    assert "Wrote " in result.stderr


def test_checksums_list_every_other_file(dist: Path) -> None:
    listed = {}
    for line in (dist / "SHA256SUMS").read_text().splitlines():
        digest, path = line.split("  ", 1)
        listed[path] = digest

    assert set(listed) == set(files_of(dist)) - {"SHA256SUMS"}
    for path, digest in listed.items():
        assert hashlib.sha256((dist / path).read_bytes()).hexdigest() == digest, path


# ------------------------------------------------------------------ determinism


def test_a_second_build_in_another_process_is_byte_identical(dist: Path, tmp_path: Path) -> None:
    # Another process: other random blank-node labels, another hash seed.
    out = tmp_path / "again"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    command = [
        sys.executable,
        "-c",
        "from guidebook_kg.cli import main; main()",
        "--project",
        str(REPO),
        *DATA_ARGS,
        "build",
        "--out",
        str(out),
    ]
    finished = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert finished.returncode == 0, finished.stderr

    first, second = files_of(dist), files_of(out)
    assert sorted(first) == sorted(second)
    different = [name for name in first if first[name] != second[name]]
    assert different == []


def test_rebuilding_into_the_same_folder_replaces_it_with_the_same_bytes(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    assert build(out).exit_code == 0
    before = files_of(out)

    result = build(out)

    assert result.exit_code == 0, result.output
    assert files_of(out) == before
    # Nothing left behind but the note of what the build was made from.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".dist.inputs", "dist"]


def test_a_file_someone_put_in_the_build_is_not_deleted(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    assert build(out).exit_code == 0
    (out / "notes.txt").write_text("mine")
    before = files_of(out)

    refused = build(out)

    assert refused.exit_code == 2, refused.output
    assert "notes.txt" in refused.stderr
    assert "would delete" in refused.stderr
    assert files_of(out) == before
    (out / "notes.txt").unlink()
    assert build(out).exit_code == 0


# ------------------------------------------------------------------ the dumps


OX_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "json-ld": ox.RdfFormat.JSON_LD,
    "xml": ox.RdfFormat.RDF_XML,
}


@pytest.mark.parametrize("name", sorted(DUMPS))
def test_each_dump_parses_independently_to_the_loaded_graph(
    dist: Path, union: rdflib.Graph, store: ox.Store, name: str
) -> None:
    data = (dist / name).read_bytes()
    if name.endswith(".gz"):
        data = gzip.decompress(data)

    parsed = rdflib.Graph().parse(data=data, format=DUMPS[name])
    exact = [q.triple for q in ox.parse(data, format=OX_FORMATS[DUMPS[name]])]

    assert_isomorphic(parsed, union)  # an independent parser (which normalizes literals)
    assert _canonical(exact) == _canonical([q.triple for q in store])  # lexical forms too


@pytest.mark.parametrize("name", sorted(DATASET_DUMPS))
def test_dataset_dumps_keep_one_named_graph_per_programme_and_the_ontology(
    dist: Path, store: ox.Store, name: str
) -> None:
    parsed = rdflib.Dataset()
    parsed.parse(data=(dist / name).read_bytes(), format=DATASET_DUMPS[name])

    names = {str(g.identifier) for g in parsed.graphs() if len(g)}
    expected = {g.value for g in store.named_graphs()}
    assert names == expected
    assert PREFIXES["gb"].removesuffix("ontology#") + "graph/ontology" in names
    for graph in store.named_graphs():
        quads = store.quads_for_pattern(None, None, None, graph)
        assert_isomorphic(_copy(parsed.graph(rdflib.URIRef(graph.value))), rdflib_graph(quads))


def _copy(graph: rdflib.Graph) -> rdflib.Graph:
    out = rdflib.Graph()
    for triple in graph:
        out.add(triple)
    return out


def test_jsonld_also_parses_in_pyoxigraph(dist: Path, union: rdflib.Graph) -> None:
    triples = [
        q.triple for q in ox.parse(path=dist / "guidebook.jsonld", format=ox.RdfFormat.JSON_LD)
    ]

    assert_isomorphic(rdflib_graph(triples), union)


def test_jsonld_uses_the_readable_keys_of_the_published_context(dist: Path) -> None:
    document = json.loads((dist / "guidebook.jsonld").read_text())
    published = json.loads((dist / "context.jsonld").read_text())
    nodes = {node["@id"]: node for node in document["@graph"]}

    assert document["@context"] == published["@context"]
    programme = nodes["id:programme/infant-parent-psychotherapy"]
    assert programme["@type"] == ["gb:Programme"]
    assert (
        programme["hasAssessment"] == "id:programme/infant-parent-psychotherapy/assessment/2016-07"
    )
    assert programme["label"] == {"@value": "Infant-Parent Psychotherapy", "@language": "en"}
    assert programme["sessionCount"] == 32
    assert (
        nodes["id:study/cicchetti-2006"]["evaluates"] == "id:programme/infant-parent-psychotherapy"
    )
    # an rdf:List behind a list term becomes a plain array
    assert nodes["id:reference/lieberman-1991"]["authorList"] == [
        "id:person/lieberman-af",
        "id:person/weston-dr",
        "id:person/pawl-jh",
    ]


def test_the_context_names_every_ontology_property(store: ox.Store) -> None:
    context = json.loads((REPO / "ontology" / "context.jsonld").read_text())["@context"]
    rdf_type = ox.NamedNode(PREFIXES["rdf"] + "type")

    for kind, iri_valued in ((OWL.ObjectProperty, True), (OWL.DatatypeProperty, False)):
        properties = {
            q.subject.value
            for q in store.quads_for_pattern(None, rdf_type, ox.NamedNode(kind))
            if q.subject.value.startswith(GB.namespace)
        }
        assert properties
        for iri in properties:
            name = iri[len(GB.namespace) :]
            term = context[name]
            assert (term if isinstance(term, str) else term["@id"]) == f"gb:{name}"
            assert (isinstance(term, dict) and term.get("@type") == "@id") == iri_valued, name
    for prefix, namespace in context.items():
        if isinstance(namespace, str) and namespace.endswith(("/", "#")) and "://" in namespace:
            assert PREFIXES[prefix] == namespace


# ------------------------------------------------------------------ VoID and DCAT


@pytest.fixture(scope="module")
def void(dist: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(dist / "void.ttl", format="turtle")


def _dataset(void: rdflib.Graph) -> rdflib.term.Node:
    (dataset,) = set(void.subjects(rns.RDF.type, rns.VOID.Dataset)) & set(
        void.subjects(rns.RDF.type, rns.DCAT.Dataset)
    )
    return dataset


def test_void_counts_the_graph(void: rdflib.Graph, union: rdflib.Graph, store: ox.Store) -> None:
    dataset = _dataset(void)

    assert void.value(dataset, rns.VOID.triples).toPython() == len(union)
    programmes = void.value(predicate=rns.VOID["class"], object=rdflib.URIRef(GB.Programme))
    shipped = len(list((REPO / "data" / "programmes").glob("*.ttl")))
    assert void.value(programmes, rns.VOID.entities).toPython() == len(PROGRAMMES) + shipped
    partition_triples = sum(
        void.value(p, rns.VOID.triples).toPython()
        for p in void.objects(dataset, rns.VOID.propertyPartition)
    )
    assert partition_triples == len(union)
    assert void.value(dataset, rns.VOID.classes).toPython() == len(
        set(union.objects(None, rns.RDF.type))
    )
    assert void.value(dataset, rns.VOID.properties).toPython() == len(set(union.predicates()))
    examples = set(void.objects(dataset, rns.VOID.exampleResource))
    assert examples
    assert examples <= set(union.subjects(rns.RDF.type, rdflib.URIRef(GB.Programme)))
    subsets = {
        str(
            void.value(s, rdflib.URIRef("http://www.w3.org/ns/sparql-service-description#name"))
        ): void.value(s, rns.VOID.triples).toPython()
        for s in void.objects(dataset, rns.VOID.subset)
    }
    assert subsets == {
        g.value: sum(1 for _ in store.quads_for_pattern(None, None, None, g))
        for g in store.named_graphs()
    }


def test_void_describes_the_dataset(void: rdflib.Graph) -> None:
    dataset = _dataset(void)

    assert void.value(dataset, rns.DCTERMS.title)
    assert void.value(dataset, rns.DCTERMS.description)
    assert void.value(dataset, rns.DCTERMS.license) == rdflib.URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    assert void.value(dataset, rns.DCTERMS.publisher) is not None
    # dates from the data: the earliest source (the clearinghouse's blog post of
    # 2018-03-29) and the ontology (2026-11-25)
    assert void.value(dataset, rns.DCTERMS.issued) == rdflib.Literal(
        "2018-03-29", datatype=rns.XSD.date
    )
    assert void.value(dataset, rns.DCTERMS.modified) == rdflib.Literal(
        "2026-11-25", datatype=rns.XSD.date
    )
    assert void.value(dataset, rns.VOID.sparqlEndpoint) == rdflib.URIRef(
        "https://w3id.org/guidebook-kg/sparql"
    )
    service = void.value(predicate=rns.DCAT.servesDataset, object=dataset)
    assert (service, rns.RDF.type, rns.DCAT.DataService) in void
    assert void.value(service, rns.DCAT.endpointURL) == rdflib.URIRef(
        "https://w3id.org/guidebook-kg/sparql"
    )


def test_every_dump_is_a_distribution_with_size_and_checksum(
    void: rdflib.Graph, dist: Path
) -> None:
    dataset = _dataset(void)
    distributions = list(void.objects(dataset, rns.DCAT.distribution))
    urls = {str(void.value(d, rns.DCAT.downloadURL)) for d in distributions}

    expected = {*DUMPS, *DATASET_DUMPS, "context.jsonld"}
    assert {f"https://w3id.org/guidebook-kg/{name}" for name in expected} <= urls
    for d in distributions:
        path = str(void.value(d, rns.DCAT.downloadURL)).removeprefix(
            "https://w3id.org/guidebook-kg/"
        )
        data = (dist / path).read_bytes()
        assert void.value(d, rns.DCAT.byteSize).toPython() == len(data)
        checksum = void.value(d, SPDX.checksum)
        assert void.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(void.value(checksum, SPDX.checksumValue)) == hashlib.sha256(data).hexdigest()
        assert str(void.value(d, rns.DCAT.mediaType)).startswith(
            "https://www.iana.org/assignments/media-types/"
        )
    dumps = {str(u) for u in void.objects(dataset, rns.VOID.dataDump)}
    assert "https://w3id.org/guidebook-kg/guidebook.nt.gz" in dumps


def test_release_date_and_base_are_options(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    result = build(out, "--release-date", "2027-01-15", "--base", "http://example.org/kg/", data=[])
    assert result.exit_code == 0, result.output

    void = rdflib.Graph().parse(out / "void.ttl", format="turtle")
    dataset = rdflib.URIRef("http://example.org/kg/void.ttl#dataset")
    assert void.value(dataset, rns.DCTERMS.modified) == rdflib.Literal(
        "2027-01-15", datatype=rns.XSD.date
    )
    assert void.value(dataset, rns.VOID.sparqlEndpoint) == rdflib.URIRef(
        "http://example.org/kg/sparql"
    )


@pytest.mark.parametrize(
    ("option", "value"),
    [("--release-date", "yesterday"), ("--base", "http://example.org/no-slash")],
)
def test_bad_release_date_or_base_is_a_usage_error(tmp_path: Path, option: str, value: str) -> None:
    result = build(tmp_path / "dist", option, value, data=[])

    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ")
    assert not (tmp_path / "dist").exists()


# ------------------------------------------------------------------ pages and views


def test_index_lists_every_programme_with_its_ratings(dist: Path) -> None:
    html = (dist / "index.html").read_text()

    for path in PROGRAMMES:
        assert f'href="id/programme/{path.stem}.html"' in html
    assert asserted_rating_cell("3+").search(html)
    assert asserted_rating_cell("3*").search(html)
    downloads = (dist / "downloads.html").read_text()
    assert 'href="guidebook.nt.gz"' in downloads
    saved = (dist / "views.html").read_text()
    assert 'href="views/programme-ratings.csv"' in saved


def test_programme_page_shows_the_guidebook_page(dist: Path) -> None:
    html = (dist / "id/programme/infant-parent-psychotherapy.html").read_text()

    assert "Infant-Parent Psychotherapy" in html
    assert "Improved attachment security" in html
    assert "3+" in html


def test_study_files_describe_the_study_and_what_points_at_it(dist: Path) -> None:
    graph = rdflib.Graph().parse(dist / "id/study/cicchetti-2006.ttl", format="turtle")
    study = rdflib.URIRef(ID + "study/cicchetti-2006")

    assert (study, rdflib.URIRef(GB.evaluates), rdflib.URIRef(IPP)) in graph
    assert (study, rdflib.URIRef(GB.sampleSize), None) not in graph  # on the sample, not here
    findings = set(graph.subjects(rdflib.URIRef(GB.basedOnStudy), study))
    assert len(findings) == 4
    as_jsonld = rdflib.Graph().parse(dist / "id/study/cicchetti-2006.jsonld", format="json-ld")
    assert_isomorphic(as_jsonld, graph)
    html = (dist / "id/study/cicchetti-2006.html").read_text()
    assert 'href="../programme/infant-parent-psychotherapy.html"' in html
    assert '<link rel="alternate" type="text/turtle" href="cicchetti-2006.ttl"' in html


def test_ontology_documentation_covers_every_term(dist: Path, store: ox.Store) -> None:
    html = (dist / "ontology.html").read_text()
    rdf_type = ox.NamedNode(PREFIXES["rdf"] + "type")

    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        for q in store.quads_for_pattern(None, rdf_type, ox.NamedNode(kind)):
            if q.subject.value.startswith(ONTOLOGY + "#"):
                assert f'id="{q.subject.value.rsplit("#", 1)[1]}"' in html
    assert "Evidence ratings" in html
    assert "3+" in html
    ontology = rdflib.Graph().parse(dist / "ontology.ttl", format="turtle")
    assert (rdflib.URIRef(GB.Programme), rns.RDF.type, rdflib.URIRef(OWL.Class)) in ontology


def test_every_parameter_free_view_is_written_as_csv_and_json(dist: Path, store: ox.Store) -> None:
    catalogue = views.load_views(find_project(REPO))
    runnable = [v for v in catalogue.values() if index.runnable(v)]
    assert "programme-ratings" in {v.name for v in runnable}

    for view in runnable:
        table = views.run(store, view, {}, catalogue)
        csv_lines = (dist / f"views/{view.name}.csv").read_text().splitlines()
        assert csv_lines[0] == ",".join(view.column_names)
        assert len(csv_lines) == len(table) + 1
        results = json.loads((dist / f"views/{view.name}.json").read_text())
        assert results["head"]["vars"] == view.column_names
        rows = [
            tuple(None if b.get(c) is None else b[c]["value"] for c in view.column_names)
            for b in results["results"]["bindings"]
        ]
        assert rows == [tuple(None if t is None else t.value for t in row) for row in table]
    ratings = (dist / "views/programme-ratings.csv").read_text()
    assert (
        "Infant-Parent Psychotherapy,"
        "https://w3id.org/guidebook-kg/id/programme/infant-parent-psychotherapy/assessment/2016-07,"
        "3+,3+,true" in ratings
    )


# ------------------------------------------------------------------ refusing and failing


@pytest.fixture
def previous(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    out = tmp_path / "dist"
    assert build(out, data=[]).exit_code == 0
    return out, files_of(out)


def _untouched(out: Path, before: dict[str, bytes]) -> None:
    assert files_of(out) == before
    # No temporary folders left (the note of the previous build's inputs stays).
    assert sorted(p.name for p in out.parent.iterdir()) == sorted([out.name, f".{out.name}.inputs"])


def test_data_that_breaks_a_shape_is_not_published(previous: tuple[Path, dict[str, bytes]]) -> None:
    out, before = previous

    result = build(out, data=["--data", str(DISAGREEING / "claimed-replication.ttl")])

    assert result.exit_code == 1
    # the validation report: the rating rule, with the criterion the studies do not meet
    assert "RatingAgreesWithEvidence" in result.stderr
    assert "replicated in another rigorously conducted study" in result.stderr
    assert "Error: the data does not conform" in result.stderr
    assert "Traceback" not in result.output
    _untouched(out, before)


def test_unparseable_data_is_an_input_error(previous: tuple[Path, dict[str, bytes]]) -> None:
    out, before = previous
    bad = bad_turtle(out.parent.parent, "broken.ttl")

    result = build(out, "--quiet", data=["--data", str(bad)])

    assert result.exit_code == 3
    assert "broken.ttl:4:" in result.stderr
    assert result.stderr.count("\n") == 1
    _untouched(out, before)


def test_a_folder_that_is_not_a_build_is_never_replaced(tmp_path: Path) -> None:
    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")

    result = build(out, data=[])

    assert result.exit_code == 2
    assert "not a previous build" in result.stderr
    assert (out / "thesis.tex").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious"]


# ------------------------------------------------------------------ the JSON-LD writer

_CONTEXT = jsonld.Context.from_file(REPO / "ontology" / "context.jsonld")
_EX = "http://example.org/"
_IRIS = st.sampled_from(
    [IPP, ID + "study/s1", GB.Programme, _EX + "thing", "urn:isbn:123", "mailto:a@b.org"]
)
_PREDICATES = st.sampled_from(
    [
        GB.evaluates,  # IRI-valued term
        GB.sampleSize,  # plain term
        GB.rigorouslyConducted,
        PREFIXES["rdfs"] + "label",
        PREFIXES["bibo"] + "authorList",  # list term
        PREFIXES["rdf"] + "type",
        _EX + "p",  # no term: a compact IRI or the full IRI
    ]
)
_XSD = PREFIXES["xsd"]
_LITERALS = st.one_of(
    st.text(max_size=8).map(ox.Literal),
    st.tuples(st.text(max_size=8), st.sampled_from(["en", "fr-be"])).map(
        lambda t: ox.Literal(t[0], language=t[1])
    ),
    st.sampled_from(["0", "42", "-7", "007", "+3", "99999999999999999999"]).map(
        lambda v: ox.Literal(v, datatype=ox.NamedNode(_XSD + "integer"))
    ),
    st.sampled_from(["true", "false", "1"]).map(
        lambda v: ox.Literal(v, datatype=ox.NamedNode(_XSD + "boolean"))
    ),
    st.sampled_from(["6.0", "1.50"]).map(
        lambda v: ox.Literal(v, datatype=ox.NamedNode(_XSD + "decimal"))
    ),
    st.just(ox.Literal("2023-01", datatype=ox.NamedNode(_XSD + "gYearMonth"))),
)


@st.composite
def _graphs(draw: st.DrawFn) -> list[ox.Triple]:
    triples: list[ox.Triple] = []
    bnodes = [ox.BlankNode(f"b{i}") for i in range(3)]
    for _ in range(draw(st.integers(0, 12))):
        subject = draw(st.one_of(_IRIS.map(ox.NamedNode), st.sampled_from(bnodes)))
        predicate = ox.NamedNode(draw(_PREDICATES))
        kind = draw(st.sampled_from(["iri", "bnode", "literal", "list"]))
        if kind == "iri":
            obj: ox.NamedNode | ox.BlankNode | ox.Literal = ox.NamedNode(draw(_IRIS))
        elif kind == "bnode":
            obj = draw(st.sampled_from(bnodes))
        elif kind == "literal":
            obj = draw(_LITERALS)
        else:  # an RDF list of IRIs or literals, written as rdf:first / rdf:rest cells
            members = draw(st.lists(st.one_of(_IRIS.map(ox.NamedNode), _LITERALS), max_size=3))
            cells = [ox.BlankNode() for _ in members]
            obj = cells[0] if cells else ox.NamedNode(PREFIXES["rdf"] + "nil")
            for i, (cell, member) in enumerate(zip(cells, members, strict=True)):
                rest = cells[i + 1] if i + 1 < len(cells) else ox.NamedNode(PREFIXES["rdf"] + "nil")
                triples.append(ox.Triple(cell, ox.NamedNode(PREFIXES["rdf"] + "first"), member))
                triples.append(ox.Triple(cell, ox.NamedNode(PREFIXES["rdf"] + "rest"), rest))
        triples.append(ox.Triple(subject, predicate, obj))
    return triples


@settings(max_examples=150, deadline=None)
@given(_graphs())
def test_compact_jsonld_expands_to_exactly_the_input_graph(triples: list[ox.Triple]) -> None:
    data = jsonld.dumps(triples, _CONTEXT)

    by_pyoxigraph = [q.triple for q in ox.parse(data, format=ox.RdfFormat.JSON_LD)]
    by_rdflib = rdflib.Graph().parse(data=data, format="json-ld")

    # pyoxigraph keeps lexical forms ("007" stays "007"), so it is the exact oracle;
    # rdflib normalizes literals but is a second, independent reader.
    assert _canonical(by_pyoxigraph) == _canonical(triples)
    assert_isomorphic(by_rdflib, rdflib_graph(triples))


def _canonical(triples: list[ox.Triple]) -> set[ox.Quad]:
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)
