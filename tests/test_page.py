"""`guidebook page`: the IPP Guidebook page rendered from the graph holds every seed fact."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from conftest import Run
from guidebook_kg import views
from guidebook_kg.site.programme import page
from guidebook_kg.store import load
from seed_facts import FACTS
from view_cases import PROGRAMMES, REPO, fixture_store, project

IPP = "infant-parent-psychotherapy"

# Facts of the seed page beyond the seed-fact strings: what the numbers mean and where
# things sit on the page.
MORE = [
    "better outcomes than 100% and worse outcomes than 0%",  # index +50
    "better outcomes than 83% and worse outcomes than 17%",  # index +33
    "better outcomes than 82% and worse outcomes than 18%",  # index +32
    "Based on study 2: 28.7-percentage point increase",
    "**Long-term** · A year later",
    "Level 3: evidence of efficacy",
    "**NA:** The information required to generate a cost rating is not available.",
    "Review:** Foundations for Life, July 2016",
    "Published January 2023",
    "**Evidence rating:** 3+",
    "**Cost rating:** NA",
    "Delivered by 1 clinical practitioner",
    "Frequency: weekly",
    "Duration: 12 months or longer",
    "qualified to NFQ-9/10 level",
    "There is no licence required to run this programme.",
    "**What are the systems for maintaining fidelity?** Not available",
    "- **Design:** RCT (rigorously conducted)",
    "- **Timing:** Post-test, One-year follow-up",
    "- **Study rating:** 3",
    "Available at <https://www.jstor.org/stable/1130715?seq=1#page_scan_tab_contents>",
    "Child attachment organisation was measured using Ainsworth's Strange Situation "
    "(expert observation of behaviour).",
    "Subgroup: mothers at risk of maltreating their child: 137",
]


@pytest.fixture(scope="module")
def markdown() -> str:
    catalogue = views.load_views(project())
    return page(load(project()), IPP, "markdown", catalogue)


@pytest.fixture(scope="module")
def html_text() -> str:
    catalogue = views.load_views(project())
    document = page(load(project()), IPP, "html", catalogue)
    return html.unescape(re.sub(r"<[^>]+>", "", document))


def test_the_check_is_long() -> None:
    assert sum(len(fact.page) for fact in FACTS) + len(MORE) >= 40


@pytest.mark.parametrize("fact", [f for f in FACTS if f.page], ids=lambda f: f.name)
def test_the_markdown_page_shows_the_fact(markdown: str, fact: object) -> None:
    for text in fact.page:  # type: ignore[attr-defined]
        assert text in markdown, f"{fact.name}: {text!r} is not on the page"  # type: ignore[attr-defined]


@pytest.mark.parametrize("fact", [f for f in FACTS if f.page], ids=lambda f: f.name)
def test_the_html_page_shows_the_fact(html_text: str, fact: object) -> None:
    for text in fact.page:  # type: ignore[attr-defined]
        assert text in html_text, f"{fact.name}: {text!r} is not on the page"  # type: ignore[attr-defined]


@pytest.mark.parametrize("text", MORE)
def test_the_page_reads_like_the_guidebook(markdown: str, text: str) -> None:
    assert text in markdown


def test_page_order_follows_the_guidebook(markdown: str) -> None:
    headings = [
        "## Programme assessment",
        "## Child outcomes",
        "## Key programme characteristics",
        "## About the programme",
        "## How does it work? (Theory of change)",
        "## Contact details",
        "## About the evidence",
        "### Study 1",
        "### Study 2",
    ]
    positions = [markdown.index(h) for h in headings]
    assert positions == sorted(positions)
    steps = [markdown.index(f"{n}. ") for n in range(1, 6)]
    assert steps == sorted(steps)
    assert markdown.index("Stronach, E.P.") > markdown.index("Cicchetti, D., Rogosch, F.A., Toth")


def test_the_html_page_is_escaped_and_whole() -> None:
    catalogue = views.load_views(project())
    document = page(load(project()), IPP, "html", catalogue)

    assert document.startswith("<!DOCTYPE html>")
    assert document.rstrip().endswith("</html>")
    assert "Ainsworth&#39;s Strange Situation" in document
    assert '<link rel="canonical" href="https://w3id.org/guidebook-kg/id/programme/' in document


@pytest.mark.parametrize("path", PROGRAMMES, ids=lambda p: p.stem)
def test_every_fixture_page_renders(path: Path) -> None:
    catalogue = views.load_views(project())
    text = page(fixture_store(), path.stem, "markdown", catalogue)

    assert text.startswith("# ")
    assert "## About the evidence" in text
    # studies are named by their number, or by their citation when the record has none
    assert "### Study 1" in text or "### Dahl et al (2005)" in text


def test_the_cli_writes_the_page(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "ipp.html"
    result = run("page", IPP, "--format", "html", "--output", str(out), project=REPO)

    assert result.exit_code == 0
    assert result.stdout == ""
    assert "Infant-Parent Psychotherapy" in out.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["ipp.html"]


def test_the_cli_prints_markdown_by_default(run: Run, markdown: str) -> None:
    result = run("page", "https://w3id.org/guidebook-kg/id/programme/" + IPP, project=REPO)

    assert result.exit_code == 0
    assert result.stdout == markdown


def test_unknown_programme_exits_3_and_suggests(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "page.md"
    result = run("page", "infant-parent-psychoterapy", "-o", str(out), project=REPO)

    assert result.exit_code == 3
    assert result.stderr == (
        "Error: unknown programme 'infant-parent-psychoterapy' "
        "(did you mean infant-parent-psychotherapy?)\n"
    )
    assert not out.exists()
