"""Where a page links to: the same targets in a build (relative links between files, so a
build browses offline) and on the server (paths under its root), from one description of
the site (:class:`~guidebook_kg.site.sitemap.Sitemap` for resources, the names below for
the site's own pages).
"""

from __future__ import annotations

import posixpath
import urllib.parse
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass

from guidebook_kg.jsonld import CONTEXT_FILE
from guidebook_kg.linkeddata import GRAPH_SYNTAXES
from guidebook_kg.site.sitemap import Sitemap

# Files every build holds, at these paths (also the server's URL paths for the files it
# serves as they are).
INDEX = "index.html"
VOID = "void.ttl"
CONTEXT = CONTEXT_FILE
ONTOLOGY_DOC = "ontology.html"
SHA256SUMS = "SHA256SUMS"
STATIC = "static"
# The site's own pages in a build.
DOWNLOADS = "downloads.html"
VIEWS = "views.html"
FINDER = "finder.html"
COMPARE = "compare.html"
MAP = "map.html"

# Orders the programme list can be sorted in; the first is the landing page's.
SORTS = ("name", "rating", "cost")


@dataclass(frozen=True)
class Alternate:
    """Another representation of a resource, for ``<link rel=alternate>`` and Link headers."""

    href: str
    media_type: str
    label: str


class Links(ABC):
    """The targets of links, from the page being written."""

    dynamic = False

    def __init__(self, sitemap: Sitemap) -> None:
        self.sitemap = sitemap

    # -------------------------------------------------------------- resources

    def resource(self, iri: str) -> str | None:
        """Where ``iri`` is shown (its page, or its anchor on another's page); an IRI outside
        the site links to itself; None when the site shows it nowhere."""
        target = self.sitemap.target(iri)
        if target is None:
            if iri.startswith(self.sitemap.base) or not iri.startswith(("http://", "https://")):
                return None
            return iri
        page, anchor = target
        href = self.page(page)
        return f"{href}#{anchor}" if anchor else href

    @abstractmethod
    def page(self, iri: str, number: int = 1) -> str:
        """Page ``number`` of a resource's page (its listings are paged)."""
        ...

    @abstractmethod
    def alternates(self, iri: str) -> list[Alternate]:
        """The RDF representations of a page's resource."""
        ...

    # -------------------------------------------------------------- the site's pages

    @abstractmethod
    def file(self, path: str) -> str:
        """A file of the build, as it is (a dump, the context, a shapes file)."""
        ...

    @abstractmethod
    def home(self, sort: str = SORTS[0], number: int = 1) -> str:
        ...

    @abstractmethod
    def route(
        self,
        name: str,
        number: int = 1,
        params: Mapping[str, str] | None = None,
        view: str | None = None,
    ) -> str | None:
        """Page ``number`` of one of the site's own pages (downloads, views, finder,
        compare, map, sparql, or the saved ``view``), with query ``params``; None for a
        page this site does not have (a build has no SPARQL endpoint)."""
        ...

    def nav(self) -> dict[str, str | None]:
        """The links of every page's header."""
        return {
            "home": self.home(),
            "finder": self.route("finder"),
            "compare": self.route("compare"),
            "map": self.route("map"),
            "views": self.route("views"),
            "sparql": self.route("sparql"),
            "downloads": self.route("downloads"),
            "ontology": self.page(ontology_iri()),
            "css": self.file(f"{STATIC}/site.css"),
            "script": self.file(f"{STATIC}/site.js"),
        }


def ontology_iri() -> str:
    from guidebook_kg.namespaces import ONTOLOGY

    return ONTOLOGY


class StaticLinks(Links):
    """Relative links between the files of a build, from the file at ``here``."""

    def __init__(self, sitemap: Sitemap, here: str) -> None:
        super().__init__(sitemap)
        self.here = here
        self._folder = posixpath.dirname(here) or "."

    def at(self, here: str) -> StaticLinks:
        return StaticLinks(self.sitemap, here)

    def file(self, path: str) -> str:
        return relative(path, self._folder)

    def page(self, iri: str, number: int = 1) -> str:
        return self.file(page_file(self.sitemap.path(iri), number))

    def alternates(self, iri: str) -> list[Alternate]:
        stem = self.sitemap.path(iri).rsplit(".", 1)[0]
        return [
            Alternate(self.file(f"{stem}.{s.extension}"), s.media_type, s.label)
            for s in STATIC_SYNTAXES
        ]

    def home(self, sort: str = SORTS[0], number: int = 1) -> str:
        return self.file(home_file(sort, number))

    def route(
        self,
        name: str,
        number: int = 1,
        params: Mapping[str, str] | None = None,
        view: str | None = None,
    ) -> str | None:
        files = {
            "downloads": DOWNLOADS,
            "views": VIEWS,
            "finder": FINDER,
            "compare": COMPARE,
            "map": MAP,
        }
        if name in files:
            return self.file(page_file(files[name], number))
        return None


class ServerLinks(Links):
    """Links into ``guidebook serve``: every IRI under the base is served at its path."""

    dynamic = True

    def page(self, iri: str, number: int = 1) -> str:
        from guidebook_kg.namespaces import ONTOLOGY

        base = self.sitemap.base
        path = "/ontology" if iri == ONTOLOGY else "/" + iri[len(base) :]
        return path if number == 1 else f"{path}?page={number}"

    def alternates(self, iri: str) -> list[Alternate]:
        path = self.page(iri)
        return [Alternate(f"{path}.{s.extension}", s.media_type, s.label) for s in GRAPH_SYNTAXES]

    def file(self, path: str) -> str:
        return "/" + path

    def home(self, sort: str = SORTS[0], number: int = 1) -> str:
        return "/" + _query({"sort": sort if sort != SORTS[0] else "", "page": _n(number)})

    def route(
        self,
        name: str,
        number: int = 1,
        params: Mapping[str, str] | None = None,
        view: str | None = None,
    ) -> str | None:
        params = dict(params or {})
        if name == "view":
            return f"/views/{view}" + _query({**params, "page": _n(number)})
        paths = {
            "downloads": "/downloads",
            "views": "/views",
            "finder": "/finder",
            "compare": "/compare",
            "map": "/map",
            "sparql": "/sparql",
        }
        if name not in paths:
            return None
        return paths[name] + _query({**params, "page": _n(number)})


class IriLinks(Links):
    """Links for a page read on its own (``guidebook page --format html``): every resource
    by its IRI and every site page at its published address under the base."""

    def __init__(self, base: str) -> None:
        super().__init__(Sitemap(base))

    def resource(self, iri: str) -> str | None:
        return iri if iri.startswith(("http://", "https://")) else None

    def page(self, iri: str, number: int = 1) -> str:
        return iri

    def alternates(self, iri: str) -> list[Alternate]:
        return []

    def file(self, path: str) -> str:
        return self.sitemap.base + path

    def home(self, sort: str = SORTS[0], number: int = 1) -> str:
        return self.file(home_file(sort, number))

    def route(
        self,
        name: str,
        number: int = 1,
        params: Mapping[str, str] | None = None,
        view: str | None = None,
    ) -> str | None:
        found = StaticLinks(self.sitemap, INDEX).route(name, number, params, view)
        return None if found is None else self.file(found)


def relative(path: str, folder: str) -> str:
    """The relative link from a file in ``folder`` ("." for the top) to ``path``."""
    if folder in (".", ""):
        return path
    here = folder.split("/")
    there = path.split("/")
    common = 0
    while common < len(here) and common < len(there) - 1 and here[common] == there[common]:
        common += 1
    return "/".join([".."] * (len(here) - common) + there[common:])


def _n(number: int) -> str:
    return "" if number == 1 else str(number)


def _query(params: Mapping[str, str]) -> str:
    given = [(k, v) for k, v in params.items() if v]
    return "?" + urllib.parse.urlencode(given) if given else ""


# What a build writes beside each page (the server offers every graph syntax).
STATIC_SYNTAXES = tuple(s for s in GRAPH_SYNTAXES if s.name in ("turtle", "jsonld"))


def page_file(path: str, number: int) -> str:
    """Page ``number`` of a paged file: ``x.html``, then ``x.page2.html`` ..."""
    if number == 1:
        return path
    stem = path.rsplit(".", 1)[0]
    return f"{stem}.page{number}.html"


def home_file(sort: str, number: int) -> str:
    """The programme list in a build: the landing page, and the other orders and pages."""
    if sort == SORTS[0] and number == 1:
        return INDEX
    return page_file(f"programmes/by-{sort}.html", number)
