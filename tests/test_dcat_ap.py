"""The dataset description (``void.ttl``) against the DCAT-AP 3.0.1 shapes, the profile
European data portals and CKAN harvest by (``tests/dcat-ap-3.0.1/``, CC BY 4.0, see its
NOTICE): no violation of the mandatory or the range shapes; what the recommended shapes
still miss is printed and must be only what the data cannot honestly say."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyshacl
import pytest
import rdflib
from click.testing import CliRunner

from guidebook_kg.cli import main

REPO = Path(__file__).resolve().parent.parent
SHAPES = Path(__file__).resolve().parent / "dcat-ap-3.0.1"
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
DCT = "http://purl.org/dc/terms/"
BASE = "https://w3id.org/guidebook-kg/"

# Recommended properties the description leaves out on purpose: a place and period the
# dataset covers (programmes come from many countries and decades), the kind of
# organisation behind it, and how long each file stays available (a release makes no
# such promise).
NOT_STATED = {
    ("dcat:Catalog", DCT + "spatial"),
    ("dcat:Dataset", DCT + "spatial"),
    ("dcat:Dataset", DCT + "temporal"),
    ("foaf:Agent", DCT + "type"),
    ("dcat:Distribution", "http://data.europa.eu/r5r/availability"),
}


@pytest.fixture(scope="module")
def description(tmp_path_factory: pytest.TempPathFactory) -> rdflib.Graph:
    out = tmp_path_factory.mktemp("dcat") / "dist"
    result = CliRunner().invoke(main, ["--project", str(REPO), "build", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return rdflib.Graph().parse(out / "void.ttl", format="turtle")


def results(data: rdflib.Graph, shapes: str) -> list[dict[str, str]]:
    shapes_graph = rdflib.Graph().parse(SHAPES / shapes, format="turtle")
    _, report, _ = pyshacl.validate(
        data, shacl_graph=shapes_graph, inference="none", allow_warnings=True
    )
    found = []
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        kinds = sorted(data.objects(focus, rdflib.RDF.type))
        found.append(
            {
                "severity": str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
                "focus": str(focus),
                "class": " ".join(data.namespace_manager.normalizeUri(k) for k in kinds),
                "path": str(report.value(result, SH.resultPath)),
                "message": str(report.value(result, SH.resultMessage)),
            }
        )
    return found


@pytest.mark.parametrize("shapes", ["shapes.ttl", "range.ttl"])
def test_the_description_meets_the_mandatory_and_range_shapes(
    description: rdflib.Graph, shapes: str
) -> None:
    found = results(description, shapes)

    assert found == [], "\n".join(f"{r['focus']} {r['path']}: {r['message']}" for r in found)


def test_what_the_recommended_shapes_still_miss_is_only_what_is_not_stated(
    description: rdflib.Graph,
) -> None:
    found = results(description, "shapes_recommended.ttl")
    missing = Counter(
        (next(k for k in r["class"].split() if k.startswith(("dcat:", "foaf:"))), r["path"])
        for r in found
    )
    print("\nDCAT-AP recommended properties not stated:")
    for (kind, path), count in sorted(missing.items()):
        print(f"  {kind} {path}: {count}")

    assert all(r["severity"] == "Warning" for r in found)
    assert set(missing) <= NOT_STATED


def test_the_catalogue_lists_the_dataset_and_the_service(description: rdflib.Graph) -> None:
    dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    (catalog,) = description.subjects(rdflib.RDF.type, dcat.Catalog)
    dataset = description.value(catalog, dcat.dataset)
    service = description.value(catalog, dcat.service)

    assert (dataset, rdflib.RDF.type, dcat.Dataset) in description
    assert (service, dcat.servesDataset, dataset) in description
    assert set(description.objects(dataset, dcat.keyword))
    assert description.value(dataset, dcat.contactPoint) is not None
    for distribution in description.objects(dataset, dcat.distribution):
        file_type = str(description.value(distribution, rdflib.URIRef(DCT + "format")))
        assert file_type.startswith("http://publications.europa.eu/resource/authority/file-type/")
        assert description.value(distribution, rdflib.URIRef(DCT + "license")) is not None
    gz = next(
        d
        for d in description.objects(dataset, dcat.distribution)
        if str(description.value(d, dcat.downloadURL)).endswith(".nt.gz")
    )
    assert str(description.value(gz, dcat.mediaType)).endswith("/application/n-triples")
    assert str(description.value(gz, dcat.compressFormat)).endswith("/application/gzip")
    assert description.value(gz, dcat.packageFormat) is None
    titles = {
        str(description.value(d, dcat.downloadURL)).removeprefix(BASE): str(
            description.value(d, rdflib.URIRef(DCT + "title"))
        )
        for d in description.objects(dataset, dcat.distribution)
    }
    assert titles["guidebook.ttl"] == "The whole dataset as Turtle"
    assert titles["guidebook.nt.gz"] == "The whole dataset as N-Triples, gzip-compressed"
    # the ontology's source file is not "the whole graph"
    assert titles["ontology/guidebook.ttl"].startswith("Ontology source file guidebook.ttl")
    assert titles["shapes/ratings.ttl"].startswith("SHACL shapes file ratings.ttl")
