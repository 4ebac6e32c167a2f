"""``guidebook serve`` in a real headless Chromium (Debian's ``chromium`` and its
``chromium-driver``, driven through selenium; .ci/run installs them).

A person's path through the site: the landing page lists IPP as 3+, the programme page
shows its outcomes, a view's form returns rows.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from guidebook_server import guidebook_server

pytestmark = [pytest.mark.browser, pytest.mark.server]

REPO = Path(__file__).resolve().parent.parent
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
)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with guidebook_server(REPO) as base:
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
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_landing_page_lists_ipp_as_3_plus(browser: Any, url: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(url + "/")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.programmes tr.programme")
    ipp = [r for r in rows if "Infant-Parent Psychotherapy" in r.text]

    assert len(ipp) == 1
    assert ipp[0].find_element(By.CSS_SELECTOR, "td.asserted").text == "3+"
    assert ipp[0].find_element(By.CSS_SELECTOR, "td.derived").text == "3+"


def test_the_programme_page_shows_its_outcomes(browser: Any, url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url + "/")
    browser.find_element(By.LINK_TEXT, "Infant-Parent Psychotherapy").click()
    WebDriverWait(browser, 30).until(expected_conditions.url_contains("/id/programme/"))

    assert browser.current_url == url + "/id/programme/infant-parent-psychotherapy"
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "Improved attachment security" in text
    assert "40.9-percentage point increase" in text
    assert "Increased empathic behaviour" in text


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
