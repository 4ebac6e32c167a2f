"""A crawler over the site, as a build on disk or as a running ``guidebook serve``.

It follows every link of every page it reaches from the landing page (``<a href>``,
``<link href>`` but the canonical one, ``<script src>``, ``<img src>``, ``<form action>``
and, on the server, ``Link`` headers), and reports:

- a link to nothing: a file that is not there, an answer of 400 or more, an anchor the
  target page does not have;
- an external jump where a local page exists: a link to an IRI under the base (which
  leaves the site for the published address) when the site has that page itself;
- an IRI of the site's own resources shown as a page's text (outside ``<code>``, closed
  ``<details>``, scripts and the head), where a person should read a name.

External links (other hosts) are checked for being well formed, never fetched.
"""

from __future__ import annotations

import posixpath
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

BASE = "https://w3id.org/guidebook-kg/"


@dataclass
class Page:
    """What a crawler needs of one HTML page."""

    links: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    text: list[str] = field(default_factory=list)


class _Reader(HTMLParser):
    _HIDDEN = frozenset({"script", "style", "code", "head", "title", "textarea", "pre"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._hidden = 0
        self._details: list[bool] = []  # open <details>: whether it shows its content

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.page.ids.add(str(values["id"]))
        if tag == "a" and values.get("name"):
            self.page.ids.add(str(values["name"]))
        target = None
        if tag in ("a", "link") and values.get("href") is not None:
            rel = (values.get("rel") or "").split()
            if "canonical" not in rel:
                target = values["href"]
        elif tag in ("script", "img", "iframe") and values.get("src"):
            target = values["src"]
        elif tag == "form" and values.get("action"):
            target = values["action"]
        if target is not None:
            self.page.links.append(str(target))
        if tag in self._HIDDEN:
            self._hidden += 1
        if tag == "details":
            self._details.append("open" in values)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN and self._hidden:
            self._hidden -= 1
        if tag == "details" and self._details:
            self._details.pop()

    def handle_data(self, data: str) -> None:
        if self._hidden or not all(self._details):
            return
        if data.strip():
            self.page.text.append(data)


def read_page(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page


@dataclass
class Report:
    pages: int = 0
    links: int = 0
    problems: list[str] = field(default_factory=list)
    visited: set[str] = field(default_factory=set)  # the HTML pages reached


def _iri_in_text(
    where: str, page: Page, report: Report, has_page: Callable[[str], bool]
) -> None:
    """An IRI of a resource the site has a page for (so a name to show) as text."""
    for text in page.text:
        for word in text.split():
            word = word.rstrip(".,;:)")
            if word.startswith(BASE) and has_page(word):
                report.problems.append(f"{where}: shows {word} as text, not its name")


# ------------------------------------------------------------------ a build on disk


def crawl_folder(root: Path, start: str = "index.html") -> Report:
    """Follow every link of the build in ``root`` from ``start``."""
    report = Report()
    pages: dict[str, Page] = {}
    wanted: list[tuple[str, str, str]] = []  # (from page, target path, anchor)
    queue = [start]
    seen = {start}
    while queue:
        path = queue.pop()
        page = read_page((root / path).read_text(encoding="utf-8"))
        pages[path] = page
        report.pages += 1
        report.visited.add(path)
        _iri_in_text(path, page, report, lambda iri: _local_page(root, iri) is not None)
        for href in page.links:
            report.links += 1
            parts = urllib.parse.urlsplit(href)
            if parts.scheme in ("http", "https"):
                if href.startswith(BASE):
                    local = _local_page(root, href)
                    if local is not None:
                        report.problems.append(
                            f"{path}: links to {href}, which leaves the site, but {local} is here"
                        )
                continue
            if parts.scheme or href.startswith("//"):
                if parts.scheme not in ("mailto",):
                    report.problems.append(f"{path}: a link of another kind: {href}")
                continue
            if parts.query:
                report.problems.append(f"{path}: a link with a query in a static site: {href}")
            target = path if not parts.path else posixpath.normpath(
                posixpath.join(posixpath.dirname(path), urllib.parse.unquote(parts.path))
            )
            if target.startswith("../") or not (root / target).is_file():
                report.problems.append(f"{path}: links to {href}, which is not in the build")
                continue
            if target.endswith(".html"):
                if parts.fragment:
                    wanted.append((path, target, parts.fragment))
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
    for source, target, anchor in wanted:
        if anchor not in pages[target].ids:
            report.problems.append(
                f"{source}: links to {target}#{anchor}, which has no such anchor"
            )
    return report


def _local_page(root: Path, iri: str) -> str | None:
    rest = iri[len(BASE) :].split("#", 1)[0]
    for candidate in (rest, rest + ".html", "ontology.html" if rest == "ontology" else ""):
        if candidate and (root / candidate).is_file():
            return candidate
    return None


# ------------------------------------------------------------------ a running server


def crawl_server(
    get: Callable[[str], tuple[int, dict[str, str], str | None]],
    start: str = "/",
    skip: Callable[[str], bool] = lambda path: False,
) -> Report:
    """Follow every link of the server from ``start``. ``get(path)`` answers status,
    headers (lower-case names) and the text of an HTML answer (None for anything else)."""
    report = Report()
    pages: dict[str, Page] = {}
    statuses: dict[str, int] = {}
    wanted: list[tuple[str, str, str]] = []
    queue = [start]
    seen = {start}

    def visit(source: str, href: str) -> Iterator[str]:
        report.links += 1
        parts = urllib.parse.urlsplit(href)
        if parts.scheme in ("http", "https"):
            if href.startswith(BASE):
                local = "/" + href[len(BASE) :].split("#", 1)[0]
                status, _, _ = get(local)
                if status == 200:
                    report.problems.append(
                        f"{source}: links to {href}, which leaves the site, but {local} is here"
                    )
            return
        if parts.scheme or href.startswith("//"):
            if parts.scheme != "mailto":
                report.problems.append(f"{source}: a link of another kind: {href}")
            return
        base_path = urllib.parse.urlsplit(source).path
        path = urllib.parse.urljoin(base_path, parts.path) if parts.path else base_path
        target = path + (f"?{parts.query}" if parts.query else "")
        if parts.fragment:
            wanted.append((source, target, parts.fragment))
        if target not in seen and not skip(target):
            seen.add(target)
            yield target

    while queue:
        path = queue.pop()
        status, headers, html = get(path)
        statuses[path] = status
        if status >= 400:
            report.problems.append(f"{path}: answers {status}")
            continue
        for item in headers.get("link", "").split(","):
            if "<" in item and ("rel=\"next\"" in item or "rel=\"prev\"" in item):
                queue.extend(visit(path, item.split("<", 1)[1].split(">", 1)[0]))
        if html is None:
            continue
        page = read_page(html)
        pages[path] = page
        report.pages += 1
        report.visited.add(path)
        _iri_in_text(path, page, report, lambda iri: get("/" + iri[len(BASE) :])[0] == 200)
        for href in page.links:
            queue.extend(visit(path, href))
    for source, target, anchor in wanted:
        if target in pages and anchor not in pages[target].ids:
            report.problems.append(
                f"{source}: links to {target}#{anchor}, which has no such anchor"
            )
    return report
