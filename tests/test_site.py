"""The site a build publishes, as people read it: every link works offline, a programme
page says why it has its rating, a study page summarises the evidence, concept pages lead
to what uses them, every listing is paged, the finder carries the view's answers.

The build is the shipped data plus the fixture programmes (partial records, history,
no-effect findings, citation-only trials), written once per module.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from guidebook_kg import views
from guidebook_kg.cli import main
from guidebook_kg.project import find_project
from guidebook_kg.site import links
from guidebook_kg.site.evidencemap import MAP_VIEW
from guidebook_kg.site.finder import COLUMNS, SEARCH_VIEW
from guidebook_kg.site.forms import Choices
from guidebook_kg.store import load
from site_crawler import crawl_folder, read_page

REPO = Path(__file__).resolve().parent.parent
PROGRAMMES = sorted((REPO / "tests" / "fixtures" / "programmes").glob("*.ttl"))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "dist"
    args = ["--project", str(REPO), *(a for p in PROGRAMMES for a in ("--data", str(p)))]
    result = CliRunner().invoke(main, [*args, "build", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return load(find_project(REPO), PROGRAMMES)


def text_of(path: Path) -> str:
    """A page's visible text, one space between words."""
    return " ".join(" ".join(read_page(path.read_text(encoding="utf-8")).text).split())


class _Rows(HTMLParser):
    """The cells of every table row of a page, as text."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(path: Path) -> list[list[str]]:
    parser = _Rows()
    parser.feed(path.read_text(encoding="utf-8"))
    return [r for r in parser.rows if r]


# ------------------------------------------------------------------ links


def test_every_link_of_the_build_works_offline(site: Path) -> None:
    report = crawl_folder(site)

    assert report.problems == []
    assert report.pages > 250
    assert report.links > 10_000


def test_every_programme_study_and_outcome_page_is_reached_from_the_landing_page(
    site: Path,
) -> None:
    reached = crawl_folder(site).visited

    for folder in ("id/programme", "id/study", "id/outcome"):
        pages = {p.relative_to(site).as_posix() for p in (site / folder).glob("*.html")}
        assert pages, folder
        assert pages <= reached, pages - reached
    for page in ("finder.html", "compare.html", "map.html", "views.html", "downloads.html",
                 "ontology.html"):
        assert page in reached


# ------------------------------------------------------------------ the programme page


def test_the_programme_page_sits_in_the_site_and_links_everything(site: Path) -> None:
    path = site / "id/programme/infant-parent-psychotherapy.html"
    html = path.read_text(encoding="utf-8")
    page = read_page(html)

    # the site's header, the RDF alternates
    assert 'href="../../index.html"' in html
    assert '<link rel="alternate" type="text/turtle" href="infant-parent-psychotherapy.ttl"' in html
    assert 'type="application/ld+json" href="infant-parent-psychotherapy.jsonld"' in html
    # its studies, outcomes and references, as relative links
    assert "../study/cicchetti-2006.html" in page.links
    assert "../study/lieberman-1991.html" in page.links
    assert "../outcome/improved-attachment-security.html" in page.links
    assert "../study/cicchetti-2006.html#reference-stronach-2013" in page.links
    assert not [href for href in page.links if href.startswith("https://w3id.org/")]


def test_the_programme_page_says_why_it_has_its_rating(site: Path) -> None:
    path = site / "id/programme/infant-parent-psychotherapy.html"
    html = path.read_text(encoding="utf-8")
    text = text_of(path)

    # the badge says its level and its + in words on hover
    assert re.search(
        r'class="badge level-3".*?class="badge-notation"><abbr title="Evidence rating 3\+: '
        r'Level 3: evidence of efficacy\. Plus \(\+\): Evidence of efficacy from at least one '
        r'level-3 study[^"]*">3\+</abbr>',
        html,
        re.S,
    )
    assert "Level 3: evidence of efficacy" in text
    assert (
        "The evidence standards give 3+ for the studies this assessment considered, as stated"
        in text
    )
    # every criterion with its status and the studies behind it, linked
    assert re.search(
        r'<li class="criterion met" id="[^"]+"><span class="status">Met</span>: '
        r'<a href="../../concept/criterion-level-3.html">Level 3: [^<]+</a> '
        r'\(<a href="../study/cicchetti-2006.html">study 2</a>\)',
        html,
    )
    assert re.search(
        r'<li class="criterion not-met"[^>]*><span class="status">Not met</span>', html
    )
    assert "Studies considered (the full list): " in text


def test_a_partial_record_says_honestly_what_it_lacks(site: Path) -> None:
    text = text_of(site / "id/programme/parents-as-first-teachers.html")

    assert "Rating history: 2+ (July 2016) → 3+ (January 2021)" in text
    assert "The evidence standards cannot decide this rating from the facts recorded" in text
    assert "The record lacks:" in text
    assert re.search(r"Not derivable\s*: Level 3", text)
    assert "Earlier assessment, July 2016" in text


def test_other_registries_no_effect_findings_and_findings_without_a_study(site: Path) -> None:
    mst = text_of(site / "id/programme/multisystemic-therapy.html")
    mentoring = text_of(site / "id/programme/no-effect-mentoring.html")
    fnp = text_of(site / "id/programme/family-nurse-partnership.html")

    assert "Other clearinghouses' ratings" in mst
    assert "Blueprints" in mst
    assert "No effect" in mentoring
    assert "Based on" not in fnp.split("Child outcomes", 1)[1].split("Key programme", 1)[0]


# ------------------------------------------------------------------ the study page


def test_the_study_page_is_an_evidence_summary(site: Path) -> None:
    path = site / "id/study/cicchetti-2006.html"
    html = path.read_text(encoding="utf-8")
    text = text_of(path)

    evaluates = r"Evaluates Infant-Parent Psychotherapy \(rated 3\+ ?\), where it is study 2\."
    assert re.search(evaluates, text)
    assert "Study rating 3 \N{EN DASH} Evidence trustworthy enough for a causal claim" in text
    assert "Design RCT (rigorously conducted)" in text
    assert "Country United States" in text
    assert "Sample 189 mothers, 137 of whom were at risk of maltreating their child" in text
    assert ["Psycho-educational parenting intervention (PPI), a variation",
            "Alternative intervention", ""] in table_rows(path)
    assert "Improvement index: +50" in text
    assert "A year later" in text
    assert 'PubMed: <a href="https://pubmed.ncbi.nlm.nih.gov/24229539/">24229539</a>' in html
    assert '<li id="reference-stronach-2013">' in html
    assert '<li id="measurement-attachment-organisation">' in html
    assert "What this study counts toward" in text
    # the raw properties stay reachable, collapsed
    assert re.search(r"<details class=\"raw\">\s*<summary>Every property of this study", html)
    assert "@en" not in text
    assert "xsd:" not in text


def test_a_citation_only_trial_has_a_page_too(site: Path, store: ox.Store) -> None:
    found = [
        p for p in (site / "id/study").glob("*.html")
        if "Not recorded: the source does not give this study's rating" in text_of(p)
    ]

    assert found


# ------------------------------------------------------------------ browsing


def test_a_concept_page_leads_to_what_uses_it(site: Path) -> None:
    path = site / "concept/design-rct.html"
    page = read_page(path.read_text(encoding="utf-8"))
    text = text_of(path)

    assert "Used by" in text
    assert "../id/study/cicchetti-2006.html" in page.links
    assert re.search(r"1\N{EN DASH}\d+ of \d+ uses", text)


def test_an_outcome_page_lists_the_findings_about_it(site: Path) -> None:
    text = text_of(site / "id/outcome/improved-attachment-security-secure.html")

    assert "Findings about this outcome" in text
    assert "Infant-Parent Psychotherapy" in text
    assert "+50" in text
    assert "+33" in text


def test_long_listings_are_paged_with_counts_and_next_links(site: Path) -> None:
    paged = sorted(site.rglob("*.page2.html"))
    assert paged, "no listing is long enough to be paged"
    first = paged[0].with_name(paged[0].name.replace(".page2.html", ".html"))
    html = first.read_text(encoding="utf-8")
    second = paged[0].read_text(encoding="utf-8")

    assert f'<link rel="next" href="{paged[0].name}">' in html
    assert 'rel="next">Next</a>' in html
    assert re.search(r"1\N{EN DASH}100 of [\d,]+ ", text_of(first))
    assert f'<link rel="prev" href="{first.name}">' in second
    assert re.search(r"101\N{EN DASH}[\d,]+ of [\d,]+ ", text_of(paged[0]))


def test_the_landing_page_sorts_programmes_by_rating_and_cost(site: Path) -> None:
    by_name = table_rows(site / "index.html")[1:]
    by_rating = table_rows(site / "programmes/by-rating.html")[1:]
    by_cost = table_rows(site / "programmes/by-cost.html")[1:]

    assert len(by_name) == len(by_rating) == len(by_cost) == 7 + len(PROGRAMMES)
    assert [r[0] for r in by_name] == sorted((r[0] for r in by_name), key=str.lower)
    assert by_rating[0][1].startswith("4+")
    assert by_rating[-1][1] in ("NL2", "not assessed")
    costs = [r[3] for r in by_cost if r[3].isdigit()]
    assert costs == sorted(costs)
    assert "Sort by: programme · evidence rating · cost rating" in text_of(site / "index.html")


# ------------------------------------------------------------------ finder and comparison


def test_the_static_finder_carries_the_answers_of_the_search_view(
    site: Path, store: ox.Store
) -> None:
    html = (site / "finder.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="finder-data">(.*?)</script>', html, re.S).group(1))
    catalogue = views.load_views(find_project(REPO))
    view = catalogue[SEARCH_VIEW]
    everything = views.run(store, view, {}, catalogue)
    names = [r["name"].value for r in everything.records()]

    assert [row[0] for row in data["rows"]] == names
    assert len(data["rows"][0]) == 4 + len(COLUMNS)
    choices = Choices(views.LocalEngine(store), catalogue)
    for parameter in view.parameters:
        options = choices.options(parameter)
        assert options, parameter.name  # every filter is a drop-down
        for option in options:
            expected = views.run(store, view, {parameter.name: option["value"]}, catalogue)
            chosen = [data["rows"][i][0] for i in data["matches"][parameter.name][option["value"]]]
            assert sorted(chosen) == sorted(r["name"].value for r in expected.records())


def test_the_finder_offers_levels_and_costs_by_name(site: Path) -> None:
    html = (site / "finder.html").read_text(encoding="utf-8")

    assert '<option value="3">Level 3: evidence of efficacy</option>' in html
    assert '<option value="gbc:age-infants">Infants</option>' in html
    assert '<label for="param-min_level">Lowest evidence level</label>' in html


def test_the_comparison_table_puts_domains_side_by_side(site: Path) -> None:
    rows = table_rows(site / links.COMPARE)
    header, ipp = rows[0], next(r for r in rows if r[0] == "Infant-Parent Psychotherapy")
    column = header.index("Supporting children's mental health and wellbeing")

    assert ipp[1] == "3+"
    assert ipp[column] == "+50 (5 findings) LT"


# ------------------------------------------------------------------ the map and the charts


def svg_in(html: str, css_class: str) -> ET.Element:
    """The inline SVG of a page with ``css_class``, parsed as XML."""
    found = re.search(rf'<svg [^>]*class="{css_class}".*?</svg>', html, re.S)
    assert found is not None, css_class
    return ET.fromstring(found.group(0))


def test_the_map_page_draws_the_view_and_tables_it(site: Path, store: ox.Store) -> None:
    html = (site / links.MAP).read_text(encoding="utf-8")
    catalogue = views.load_views(find_project(REPO))
    rows = views.run(store, catalogue[MAP_VIEW], {}, catalogue).records()
    cells = [r for r in rows if r.get("domain") is not None]
    svg = svg_in(html, "evidence-map")

    drawn = [e for e in svg.iter() if "cell" in (e.get("class") or "").split()]
    assert len(drawn) == len(cells)
    # the table beside it: a row per cell, and one per programme without a cell
    table = [r for r in table_rows(site / links.MAP) if r and r[0] != "Programme"]
    programmes = {r["programme"].value for r in rows}
    without = programmes - {r["programme"].value for r in cells}
    assert len(table) == len(cells) + len(without)
    ipp = next(r for r in table if r[0] == "Infant-Parent Psychotherapy")
    assert ipp[1:] == ["3+", "Supporting children's mental health and wellbeing", "5 findings",
                       "2", "3", "+50, +50, +33, +32 (1 without an index)", "1", "0"]
    named = next(r for r in table if r[0] == "Parents as First Teachers")
    assert named[3] == "The domain is named; no outcome is recorded."
    # each cell leads to its findings, whose anchor the crawler checks
    assert 'href="id/programme/infant-parent-psychotherapy.html#outcomes-concept-domain-mental-' \
        'health"' in html


def test_the_static_map_carries_the_answers_of_the_map_view(site: Path, store: ox.Store) -> None:
    html = (site / links.MAP).read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="map-data-json">(.*?)</script>', html, re.S).group(1))
    catalogue = views.load_views(find_project(REPO))
    view = catalogue[MAP_VIEW]
    everything = views.run(store, view, {}, catalogue)
    position = {
        iri: i for i, iri in enumerate(dict.fromkeys(everything.values("programme")))
    }
    rows = {
        int(g.get("data-programme") or -1): g
        for g in svg_in(html, "evidence-map").iter()
        if "map-row" in (g.get("class") or "")
    }

    assert data["count"] == len(position) == len(rows)
    choices = Choices(views.LocalEngine(store), catalogue)
    for parameter in view.parameters:
        options = choices.options(parameter)
        assert options, parameter.name
        for option in options:
            expected = views.run(store, view, {parameter.name: option["value"]}, catalogue)
            chosen = data["matches"][parameter.name][option["value"]]
            assert chosen == sorted({position[iri] for iri in expected.values("programme")})


def test_a_programme_page_charts_its_improvement_indices(site: Path) -> None:
    html = (site / "id/programme/infant-parent-psychotherapy.html").read_text(encoding="utf-8")
    svg = svg_in(html, "index-chart")
    svg_ns = "{http://www.w3.org/2000/svg}"

    findings = [g for g in svg.iter(f"{svg_ns}g") if "finding" in (g.get("class") or "").split()]
    assert len(findings) == 5
    bars = [g for g in findings if g.find(f"{svg_ns}rect") is not None]
    assert len(bars) == 4  # one finding has no index: no bar ...
    said = [" ".join(t.itertext()) for g in findings for t in g.iter(f"{svg_ns}text")]
    assert "no index recorded" in said  # ... but the words
    assert "+33 · long-term" in said
    long_term = [g for g in findings if "long-term" in (g.get("class") or "")]
    assert len(long_term) == 1
    assert long_term[0].find(f"{svg_ns}rect").get("fill") == "url(#chart-findings-long)"  # type: ignore[union-attr]
    # a text alternative, and the data as a table beside the picture
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "chart-findings-title chart-findings-desc"
    assert "5 findings: 4 with an improvement index, from +32 to +50; 1 without one; " \
        "1 long-term" in (svg.findtext(f"{svg_ns}desc") or "")
    assert '<table class="chart-data">' in html
    assert '<a href="#finding-3">Improved attachment security (% secure)</a></th>' in html
    # where the map's cells lead
    assert 'id="outcomes-concept-domain-mental-health"' in html


def test_no_effect_findings_are_hollow_and_named(site: Path) -> None:
    html = (site / "id/programme/no-effect-mentoring.html").read_text(encoding="utf-8")
    svg = svg_in(html, "index-chart")
    svg_ns = "{http://www.w3.org/2000/svg}"

    [finding] = [g for g in svg.iter(f"{svg_ns}g") if "no-effect" in (g.get("class") or "")]
    bar = finding.find(f"{svg_ns}rect")
    assert bar is not None
    assert bar.get("fill") == "#ffffff"
    assert bar.get("stroke-dasharray")
    assert "0 · long-term · no effect" in [t.text for t in finding.iter(f"{svg_ns}text")]


def test_findings_without_any_index_get_no_chart_and_say_so(site: Path) -> None:
    html = (site / "id/programme/family-nurse-partnership.html").read_text(encoding="utf-8")

    assert "<svg" not in html
    assert "No improvement index is recorded for these findings" in html


def test_the_charts_are_on_study_pages_too(site: Path) -> None:
    html = (site / "id/study/cicchetti-2006.html").read_text(encoding="utf-8")
    svg = svg_in(html, "index-chart")

    assert "4 findings: 4 with an improvement index" in (
        svg.findtext("{http://www.w3.org/2000/svg}desc") or ""
    )


def test_rating_badges_say_level_plus_and_star_in_words(site: Path) -> None:
    html = (site / links.INDEX).read_text(encoding="utf-8")

    assert (
        '<abbr class="chip level-4" title="Evidence rating 4+*: Level 4: evidence of '
        "effectiveness. Plus (+): Level-4 evidence, at least one other level-4 study, and at "
        "least one level-4 study independent of the programme provider. Star (*): mixed "
        'findings: studies with positive impact sit beside studies that on balance show no '
        'effect or a negative effect.">4+*</abbr>'
    ) in html
    assert '<abbr class="chip level-2" title="Evidence rating 2: Level 2: preliminary ' \
        'evidence.">2</abbr>' in html


# ------------------------------------------------------------------ bundled files


def test_the_bundled_query_editor_is_whole_with_its_licences() -> None:
    from tools import vendor_js

    folder = REPO / "src" / "guidebook_kg" / "site" / "static" / "yasgui"
    script = (folder / "yasgui.min.js").read_text(encoding="utf-8")

    assert len(script) > 500_000
    assert "Yasgui" in script
    assert "sourceMappingURL" not in script
    assert (folder / "yasgui.min.css").stat().st_size > 10_000
    assert "MIT License" in (folder / "LICENSE.txt").read_text(encoding="utf-8")
    notices = (folder / "THIRD-PARTY-NOTICES.txt").read_text(encoding="utf-8")
    assert "codemirror" in notices
    assert "dompurify" in notices
    version = (folder / "VERSION").read_text(encoding="utf-8")
    assert f"{vendor_js.YASGUI} {vendor_js.YASGUI_VERSION}" in version
    axe = REPO / "tests" / "vendor" / "axe-core"
    assert f"{vendor_js.AXE} {vendor_js.AXE_VERSION}" in (axe / "VERSION").read_text()
    assert "Mozilla Public License" in (axe / "LICENSE").read_text(encoding="utf-8")
