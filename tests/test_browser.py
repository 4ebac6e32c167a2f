"""The site in a real headless Chromium (Debian's ``chromium`` and its ``chromium-driver``,
driven through selenium; .ci/run installs them), served by ``guidebook serve`` and opened
from a build on disk.

A commissioner's path (landing page, a programme, why its rating, the study behind it,
the finder) never leaves the site or shows an IRI; a researcher runs a saved view in the
query editor; every kind of page is photographed (see ``SCREENSHOTS``) and checked with
axe-core (``tests/vendor/axe-core``): no serious or critical accessibility violation.
"""

from __future__ import annotations

import base64
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import SCREENSHOTS
from guidebook_kg.cli import main
from guidebook_server import guidebook_server

pytestmark = [pytest.mark.browser, pytest.mark.server]

REPO = Path(__file__).resolve().parent.parent
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1000",
)
IRI = "https://w3id.org/guidebook-kg/"
IPP = "/id/programme/infant-parent-psychotherapy"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "dist"
    result = CliRunner().invoke(main, ["--project", str(REPO), "build", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def url(site: Path) -> Iterator[str]:
    with guidebook_server(REPO, "--site", str(site)) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail(
            "the browser tests need Debian's chromium and chromium-driver (apt-get install)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="guidebook-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(browser: Any, css: str, timeout: float = 30) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
    )


def screenshot(browser: Any, name: str) -> Path:
    """The whole page as a PNG in the screenshots folder."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot", {"captureBeyondViewport": True, "fromSurface": True}
    )
    path = SCREENSHOTS / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def accessibility_problems(browser: Any) -> list[str]:
    """axe-core's serious and critical violations on the page shown."""
    browser.execute_script(AXE.read_text(encoding="utf-8"))
    found = browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ["violations"]})
          .then(r => done(r.violations.map(v => ({
              id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))))
          .catch(e => done([{id: "axe-error", impact: "critical", help: String(e), nodes: []}]));
        """
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(v['nodes'])}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def visible_text(browser: Any) -> str:
    """What a reader sees as words: the page's text without code, closed details and
    scripts (where an identifier may stand for researchers)."""
    return str(
        browser.execute_script(
            """
            const page = document.body.cloneNode(true);
            page.querySelectorAll("code, pre, script, style, textarea, noscript, .CodeMirror")
                .forEach(e => e.remove());
            page.querySelectorAll("details:not([open])").forEach(d =>
                [...d.children].filter(c => c.tagName !== "SUMMARY").forEach(c => c.remove()));
            return page.textContent;
            """
        )
    )


# Every kind of page, on the server: (name, path, an element that shows it is ready).
PAGES = [
    ("landing", "/", "table.programmes"),
    ("landing-by-rating", "/?sort=rating", "table.programmes"),
    ("programme", IPP, ".badge"),
    ("programme-partial-record", "/id/programme/parents-as-first-teachers", ".badge"),
    ("study", "/id/study/cicchetti-2006", "#summary"),
    ("outcome", "/id/outcome/improved-attachment-security-secure", "#findings"),
    ("concept", "/concept/design-rct", "#referred-to-by"),
    ("scheme", "/concept/age-group", "#concepts"),
    ("organisation", "/id/organisation/early-intervention-foundation", "table.properties"),
    ("ontology", "/ontology", "#classes"),
    ("finder", "/finder?age_group=gbc%3Aage-infants", "#found-table"),
    ("compare", "/compare", "table.compare"),
    ("map", "/map", "svg.evidence-map"),
    ("map-filtered", "/map?setting=gbc%3Asetting-home", "table.map-data"),
    ("views", "/views", "table.views"),
    ("view", "/views/studies?programme=infant-parent-psychotherapy", "table.results"),
    ("downloads", "/downloads", "table.downloads"),
    ("sparql", "/sparql", ".yasqe .CodeMirror"),
]


@pytest.mark.parametrize(("name", "path", "ready"), PAGES, ids=[p[0] for p in PAGES])
def test_every_kind_of_page_is_accessible(
    browser: Any, url: str, name: str, path: str, ready: str
) -> None:
    browser.get(url + path)
    wait_for(browser, ready)
    shot = screenshot(browser, name)

    assert shot.stat().st_size > 10_000
    assert accessibility_problems(browser) == []
    assert IRI not in visible_text(browser)


def test_the_built_site_opens_from_disk_and_its_finder_filters(browser: Any, site: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get((site / "index.html").as_uri())
    wait_for(browser, "table.programmes")
    screenshot(browser, "static-landing")
    browser.find_element(By.LINK_TEXT, "Find a programme").click()
    wait_for(browser, "#found-table tbody tr")
    everything = browser.find_elements(By.CSS_SELECTOR, "#found-table tbody tr")
    Select(browser.find_element(By.ID, "param-age_group")).select_by_visible_text("Infants")
    browser.find_element(By.ID, "run").click()
    rows = browser.find_elements(By.CSS_SELECTOR, "#found-table tbody tr")
    screenshot(browser, "static-finder")

    assert len(everything) == 7
    assert [r.find_element(By.TAG_NAME, "a").text for r in rows] == [
        "Infant-Parent Psychotherapy"
    ]
    assert browser.find_element(By.ID, "found-count").text.startswith("1\N{EN DASH}1 of 1")
    assert accessibility_problems(browser) == []
    rows[0].find_element(By.TAG_NAME, "a").click()
    wait_for(browser, ".badge")
    assert browser.current_url == (site / "id/programme/infant-parent-psychotherapy.html").as_uri()


def test_the_built_map_opens_from_disk_and_its_filters_move_the_rows(
    browser: Any, site: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get((site / "map.html").as_uri())
    wait_for(browser, "svg.evidence-map g.map-row")
    screenshot(browser, "static-map")
    svg = browser.find_element(By.CSS_SELECTOR, "svg.evidence-map")
    height = int(svg.get_attribute("height"))
    Select(browser.find_element(By.ID, "param-age_group")).select_by_visible_text("Infants")
    browser.find_element(By.ID, "run").click()
    shown = browser.find_elements(By.CSS_SELECTOR, "svg.evidence-map g.map-row:not([display])")
    rows = [r for r in browser.find_elements(By.CSS_SELECTOR, "table.map-data tbody tr")
            if r.is_displayed()]
    screenshot(browser, "static-map-infants")

    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.evidence-map g.map-row")) == 7
    assert len(shown) == 1
    assert "Infant-Parent" in shown[0].text
    # the row left moved to the top, and the picture shrank to it
    assert shown[0].get_attribute("transform") == f"translate(0,{svg.get_attribute('data-top')})"
    row_height = int(svg.get_attribute("data-row-height"))
    assert int(svg.get_attribute("height")) == height - 6 * row_height
    assert [r.find_element(By.TAG_NAME, "th").text for r in rows] == ["Infant-Parent Psychotherapy"]
    assert browser.find_element(By.ID, "map-count").text == "1 of 7 programmes match your choices."
    assert accessibility_problems(browser) == []
    # a cell leads to the findings behind it
    shown[0].find_element(By.CSS_SELECTOR, "a.cell").click()
    wait_for(browser, ".badge")
    assert browser.current_url == (
        site / "id/programme/infant-parent-psychotherapy.html"
    ).as_uri() + "#outcomes-concept-domain-mental-health"


def test_a_commissioner_sees_the_evidence_on_one_page_and_opens_a_cell(
    browser: Any, url: str
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(url + "/")
    browser.find_element(By.LINK_TEXT, "Evidence map").click()
    wait_for(browser, "svg.evidence-map")
    assert IRI not in visible_text(browser)
    cells = browser.find_elements(By.CSS_SELECTOR, "svg.evidence-map a.cell")
    titles = [c.find_element(By.TAG_NAME, "title").get_attribute("textContent") for c in cells]
    ipp = next(c for c, t in zip(cells, titles, strict=True)
               if t.startswith("Infant-Parent Psychotherapy"))
    ipp.click()
    wait_for(browser, ".badge")
    heading = browser.find_element(By.ID, "outcomes-concept-domain-mental-health")

    assert browser.current_url == url + IPP + "#outcomes-concept-domain-mental-health"
    assert heading.text == "Supporting children's mental health and wellbeing"
    assert browser.find_element(By.CSS_SELECTOR, "svg.index-chart").is_displayed()


def test_a_commissioner_finds_a_programme_its_rating_and_the_study_behind_it(
    browser: Any, url: str
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    seen: list[str] = []

    def look() -> None:
        seen.append(browser.current_url)
        assert IRI not in visible_text(browser), browser.current_url

    browser.get(url + "/")
    look()
    browser.find_element(By.LINK_TEXT, "Infant-Parent Psychotherapy").click()
    wait_for(browser, ".badge")
    look()
    badge = browser.find_element(By.CSS_SELECTOR, ".badge-notation").text
    why = browser.find_element(By.ID, "why").text

    assert browser.current_url == url + IPP
    assert badge == "3+"
    assert "The evidence standards give 3+ for the studies this assessment considered" in why
    assert "Met: Level 3" in why
    assert "Improved attachment security" in visible_text(browser)

    # the study behind the level-3 criterion
    criterion = browser.find_element(By.CSS_SELECTOR, "li.criterion.met")
    criterion.find_element(By.LINK_TEXT, "study 2").click()
    wait_for(browser, "#summary")
    look()
    assert browser.current_url == url + "/id/study/cicchetti-2006"
    summary = browser.find_element(By.ID, "summary").text
    assert re.search(r"Design\s+RCT \(rigorously conducted\)", summary)

    # similar programmes, through the finder
    browser.find_element(By.LINK_TEXT, "Find a programme").click()
    wait_for(browser, "#finder")
    Select(browser.find_element(By.ID, "param-delivery_model")).select_by_visible_text(
        "Individual"
    )
    browser.find_element(By.ID, "run").click()
    wait_for(browser, "#found-table tbody tr")
    look()
    names = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#found-table tbody a")]
    assert "Infant-Parent Psychotherapy" in names
    assert "delivery_model=gbc%3Amodel-individual" in browser.current_url
    assert all(address.startswith(url) for address in seen)


def test_a_researcher_runs_a_saved_view_in_the_query_editor(browser: Any, url: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(url + "/sparql")
    wait_for(browser, ".yasqe .CodeMirror")
    tabs = [t.text for t in browser.find_elements(By.CSS_SELECTOR, ".tabsList .tab")]
    highlighted = browser.find_elements(By.CSS_SELECTOR, ".CodeMirror span.cm-keyword")
    browser.find_element(By.CSS_SELECTOR, ".yasqe_queryButton").click()
    wait_for(browser, ".yasr table tbody tr")
    rows = browser.find_elements(By.CSS_SELECTOR, ".yasr table tbody tr")
    screenshot(browser, "sparql-results")
    requested = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )

    names = {t.split("\n")[0].strip() for t in tabs}
    assert tabs[0].startswith("programme-ratings")
    assert {"studies", "crosswalk", "rating-derivation"} <= names
    assert highlighted  # syntax highlighting
    assert len(rows) == 7
    assert "Infant-Parent Psychotherapy" in " ".join(r.text for r in rows)
    # the editor works offline: it asks nothing of any other host
    assert [r for r in requested if not r.startswith((url, "data:", "blob:"))] == []
    assert accessibility_problems(browser) == []


def test_a_view_form_returns_rows(browser: Any, url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import Select, WebDriverWait

    browser.get(url + "/views/studies")
    Select(browser.find_element(By.ID, "param-programme")).select_by_visible_text(
        "Infant-Parent Psychotherapy"
    )
    browser.find_element(By.ID, "run").click()
    WebDriverWait(browser, 30).until(expected_conditions.url_contains("programme="))

    assert "programme=infant-parent-psychotherapy" in browser.current_url
    rows = browser.find_elements(By.CSS_SELECTOR, "table.results tr.result")
    assert len(rows) == 2
    assert any("Lieberman" in row.text for row in rows)
    assert browser.find_element(By.ID, "row-count").text == "2"
