"""The evidence gap map: its cells are the rows of the ``evidence-map`` view, its SVG is XML
that names every programme and domain in text, what a record lacks is said and never
drawn, the same facts give the same bytes, and the same map comes from a remote store.

The graph is the shipped data (partial real records: findings without a study, an index
or a timing; domains named without their outcomes; a programme with no child outcome)
plus the fixture programmes (rated studies, no-effect and long-term findings).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from guidebook_kg import views
from guidebook_kg.cli import main
from guidebook_kg.prefixes import BASE
from guidebook_kg.project import find_project
from guidebook_kg.site import charts, evidencemap
from guidebook_kg.site.links import IriLinks
from guidebook_kg.site.sitemap import domain_anchor
from guidebook_kg.store import load

REPO = Path(__file__).resolve().parent.parent
PROGRAMMES = sorted((REPO / "tests" / "fixtures" / "programmes").glob("*.ttl"))
DATA_ARGS = [arg for path in PROGRAMMES for arg in ("--data", str(path))]
SVG = "{http://www.w3.org/2000/svg}"
ID = BASE + "id/programme/"
DOMAIN = BASE + "concept/domain-"


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return load(find_project(REPO), PROGRAMMES)


@pytest.fixture(scope="module")
def catalogue() -> views.Catalogue:
    return views.load_views(find_project(REPO))


def draw(store: ox.Store, catalogue: views.Catalogue, **params: str) -> str:
    engine = views.LocalEngine(store)
    return evidencemap.standalone(engine, catalogue, params, "svg", IriLinks(BASE))


def rows_of(store: ox.Store, catalogue: views.Catalogue, **params: str) -> list[dict[str, str]]:
    table = views.run(store, catalogue[evidencemap.MAP_VIEW], params, catalogue)
    return [
        {k: v.value for k, v in record.items() if v is not None} for record in table.records()
    ]


def classed(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if name in (e.get("class") or "").split()]


def words(element: ET.Element) -> str:
    """The text of a <text> element, its lines (tspans) joined by spaces."""
    lines = [t.text or "" for t in element.findall(f"{SVG}tspan")] or [element.text or ""]
    return " ".join(" ".join(lines).split())


def texts(element: ET.Element) -> list[str]:
    return [words(t) for t in element.iter(f"{SVG}text")]


def row_of(root: ET.Element, name: str) -> ET.Element:
    found = [g for g in classed(root, "map-row") if name in texts(g)]
    assert len(found) == 1, name
    return found[0]


def cell_of(row: ET.Element, domain_word: str) -> ET.Element:
    found = [c for c in classed(row, "cell") if domain_word in (c.findtext(f"{SVG}title") or "")]
    assert len(found) == 1, domain_word
    return found[0]


# ------------------------------------------------------------------ cells are rows


def test_the_map_s_cells_equal_the_view_s_rows(
    store: ox.Store, catalogue: views.Catalogue
) -> None:
    rows = rows_of(store, catalogue)
    root = ET.fromstring(draw(store, catalogue))

    cells = classed(root, "cell")
    with_domain = [r for r in rows if "domain" in r]
    assert len(cells) == len(with_domain) > 20
    # one drawn row per programme, in the view's order
    programmes = list(dict.fromkeys(r["programme"] for r in rows))
    assert len(classed(root, "map-row")) == len(programmes) == 18
    # each cell leads to the findings behind it: its domain on its programme's page
    expected = sorted(
        r["programme"] + "#" + ("outcomes" if r["findings"] == "0" else domain_anchor(r["domain"]))
        for r in with_domain
    )
    assert sorted(c.get("href") or "" for c in cells) == expected
    # and says on hover whose and which it is
    titles = sorted((c.findtext(f"{SVG}title") or "").split(": ")[0] for c in cells)
    assert titles == sorted(f"{r['name']}, {r['domain_label']}" for r in with_domain)


def test_the_svg_names_every_programme_and_domain_in_text(
    store: ox.Store, catalogue: views.Catalogue
) -> None:
    root = ET.fromstring(draw(store, catalogue))
    shown = texts(root)

    for name in {r["name"] for r in rows_of(store, catalogue)}:
        assert name in shown, name
    domains = views.run(store, catalogue["concepts"], {"scheme": "gbc:outcome-domain"}, catalogue)
    labels = domains.values("label")
    assert len(labels) == 7
    for label in labels:
        assert label in shown, label  # every column, with findings or not
    assert root.get("role") == "group"
    assert root.findtext(f"{SVG}title") == "Evidence gap map: programmes by child-outcome domain"
    assert "18 programmes by 7 outcome domains" in (root.findtext(f"{SVG}desc") or "")


def test_what_a_record_lacks_is_said_and_not_drawn(
    store: ox.Store, catalogue: views.Catalogue
) -> None:
    root = ET.fromstring(draw(store, catalogue))
    unrated = f"url(#{'evidence-map'}-unrated)"

    # findings without their study: hatched, "no study recorded", "no index recorded"
    fnp = row_of(root, "Family Nurse Partnership")
    crime = cell_of(fnp, "Preventing crime")
    assert crime.find(f"{SVG}circle").get("fill") == unrated  # type: ignore[union-attr]
    assert texts(crime) == ["1", "no study recorded", "no index recorded"]
    # studies recorded without their rating; one finding without an index
    unrated_studies = row_of(root, "Unrated Studies")
    offending = cell_of(unrated_studies, "Preventing crime")
    assert texts(offending) == ["2", "studies not rated", "+11", "1 without an index"]
    assert (
        "2 findings from 2 studies; no study rating recorded; improvement indices +11 (1 "
        "without an index)"
    ) in (offending.findtext(f"{SVG}title") or "")
    # a domain named without its outcomes: a dashed ring, no count, said in words
    named = cell_of(unrated_studies, "mental health")
    ring = named.find(f"{SVG}circle")
    assert ring is not None
    assert ring.get("fill") == "none"
    assert ring.get("stroke-dasharray")
    assert texts(named) == ["domain named", "no outcome recorded"]
    # a programme with no child outcome keeps its row, which says so, and has no cell
    fft = row_of(root, "Functional Family Therapy")
    assert classed(fft, "cell") == []
    assert any("No child-outcome finding" in t for t in texts(fft))
    # a rated one: filled by its strongest study rating, said in words, long-term marked
    ipp = cell_of(row_of(root, "Infant-Parent Psychotherapy"), "mental health")
    assert ipp.find(f"{SVG}circle").get("fill") == charts.LEVEL_FILLS["3"]  # type: ignore[union-attr]
    assert texts(ipp) == ["5", "LT", "best study rated 3", "+50 +50 +33 +32",
                          "1 without an index"]
    # no effect, from the fixtures
    dated = cell_of(row_of(root, "Dated Assessments"), "Preventing crime")
    assert "1 with no effect" in texts(dated)


def test_the_filters_are_the_view_s(store: ox.Store, catalogue: views.Catalogue) -> None:
    for params in ({"age_group": "Infants"}, {"setting": "Home", "targeting": "Selected"}):
        root = ET.fromstring(draw(store, catalogue, **params))
        rows = rows_of(store, catalogue, **params)

        names = {r["name"] for r in rows}
        drawn = classed(root, "map-row")
        assert 0 < len(drawn) == len(names) < 18
        assert len(classed(root, "cell")) == sum(1 for r in rows if "domain" in r)


def test_the_same_facts_give_the_same_bytes(catalogue: views.Catalogue) -> None:
    first = draw(load(find_project(REPO), PROGRAMMES), catalogue)
    second = draw(load(find_project(REPO), list(reversed(PROGRAMMES))), catalogue)

    assert first == second


# ------------------------------------------------------------------ the command


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--project", str(REPO), *DATA_ARGS, "map", *args])
    return result.exit_code, result.stdout, result.stderr


def test_guidebook_map_writes_svg_or_an_html_page(tmp_path: Path) -> None:
    status, svg, _ = invoke()
    assert status == 0
    assert svg.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg ')
    ET.fromstring(svg.split("\n", 1)[1])

    status, _, error = invoke("--format", "html", "--age-group", "Infants", "-o",
                              str(tmp_path / "map.html"))
    page = (tmp_path / "map.html").read_text(encoding="utf-8")
    assert status == 0, error
    assert page.startswith("<!DOCTYPE html>")
    assert "<style>" in page  # read on its own
    assert "<svg " in page
    assert '<table class="map-data">' in page
    assert "Evidence map (age group Infants)" in page
    assert f'href="{ID}infant-parent-psychotherapy#{domain_anchor(DOMAIN + "mental-health")}"' \
        in page


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["--age-group", "Teenagers"], 3, "is not a concept of gbc:age-group"),
        (["--graph", "https://example.org/g"], 2, "--graph needs --endpoint"),
        (["--format", "png"], 2, "Invalid value for '--format'"),
    ],
)
def test_guidebook_map_refuses_what_it_cannot_draw(
    args: list[str], status: int, message: str
) -> None:
    code, _, error = invoke(*args)

    assert code == status
    assert message in error
    assert "Traceback" not in error


# ------------------------------------------------------------------ from a store


@pytest.mark.server
@pytest.mark.parametrize("kind", ["oxigraph", "virtuoso"])
def test_the_same_map_is_drawn_from_a_store(
    kind: str, store: ox.Store, catalogue: views.Catalogue, tmp_path: Path
) -> None:
    from live_stores import live_store

    here = draw(store, catalogue, setting="Home")
    with live_store(kind, tmp_path) as live:
        live.load(store)
        status, there, error = invoke("--endpoint", live.query, "--setting", "Home")

    assert status == 0, error
    assert there == here
