"""``guidebook serve``: the published site over HTTP (a Starlette app run by uvicorn).

What it answers:

- ``/sparql``: the SPARQL 1.1 Protocol (GET, POST form, POST ``application/sparql-query``),
  read-only, with a query timeout and a row cap; without a query, the service
  description (RDF) or a query form (HTML);
- every IRI under ``base``, at the same path under the server root (``/id/...``,
  ``/concept/...``, ``/ontology``): HTML for browsers, Turtle / JSON-LD / N-Triples /
  RDF/XML by ``Accept`` (or by extension, ``/id/study/x.ttl``), with ``Vary: Accept`` and
  ``Link: rel=alternate``; 406 for a type we cannot give, 404 for an unknown resource;
- ``/``: the programmes with their ratings (sortable, paged); ``/finder``, ``/compare``,
  ``/map`` (the evidence gap map, filtered by its query parameters), ``/downloads``,
  ``/views`` and ``/views/NAME``; ``/.well-known/void``; the build's files
  (dumps, context, ontology and shape files); ``/static/...`` (stylesheet, scripts, the
  query editor);
- CORS on everything (exposing ETag and Link), ETag and Last-Modified with 304 answers
  to conditional requests, ``Cache-Control`` everywhere.

The site is a build (see :mod:`guidebook_kg.publish`); the pages are the build's, rendered
by :mod:`guidebook_kg.site` with links into the server. The data never changes while the
server runs, so every answer is cached and carries a strong ETag. Paged listings send
``Link: <...>; rel="next"`` (and ``prev``).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import html
import posixpath
import shutil
import socket
import tempfile
import urllib.parse
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from guidebook_kg import jsonld, publish
from guidebook_kg.errors import InputError, UsageError, where
from guidebook_kg.linkeddata import (
    GRAPH_SYNTAXES,
    SYNTAXES,
    Syntax,
    canonical_triples,
    describe,
    negotiate,
    serialize,
)
from guidebook_kg.namespaces import DCTERMS, ONTOLOGY
from guidebook_kg.prefixes import BASE
from guidebook_kg.progress import Progress
from guidebook_kg.project import Project
from guidebook_kg.querytext import Federation
from guidebook_kg.site import dataset, links, query, results
from guidebook_kg.site.html import Rendered
from guidebook_kg.site.pages import SitePages
from guidebook_kg.site.view import view_page
from guidebook_kg.sparqlworker import QueryAnswer, QueryPool, QueryRequest

HTML = "text/html"
_HTML_OFFERS = (HTML, "application/xhtml+xml")
MAX_BODY_BYTES = 1_000_000
# A connection must send a complete request head this soon after it opens or after its
# previous answer, or it is closed (slow or idle clients hold a socket each).
IDLE_TIMEOUT = 10.0

# Dumps change only with a new release; pages may be re-rendered by a newer version.
CACHE_FILES = "public, max-age=86400"
CACHE_PAGES = "public, max-age=300"
CACHE_QUERIES = "public, max-age=60"

# The answers the server keeps in memory (the data never changes while it runs).
CACHE_BYTES = 256 * 1024 * 1024
CACHE_ENTRY_BYTES = 8 * 1024 * 1024

_EXPOSED = [
    "ETag",
    "Link",
    "Last-Modified",
    "Content-Location",
    "Vary",
    "X-SPARQL-Row-Cap",
    "X-SPARQL-Truncated",
]


@dataclass
class Settings:
    """How the server behaves; most are ``guidebook serve`` options."""

    base: str = BASE
    query_timeout: float = 30.0
    row_cap: int = 10_000
    workers: int = 2
    queue: int = 64
    """Most SPARQL queries waiting for a worker at once; more get 503 and Retry-After."""
    allowed_services: tuple[str, ...] = ()
    """SPARQL endpoints a query may call with SERVICE; none by default."""
    idle_timeout: float = IDLE_TIMEOUT
    """Seconds a connection may stay open without sending a complete request."""

    @property
    def federation(self) -> Federation:
        return Federation.allowing(self.allowed_services)


@dataclass
class _Cached:
    status: int
    body: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)


class Site:
    """A build folder as the server sees it: its files, checksums and release date."""

    def __init__(self, root: Path) -> None:
        self.root = root
        sums = root / links.SHA256SUMS
        if not sums.is_file() or not (root / links.VOID).is_file():
            raise InputError(
                f"{where(root)}: not a guidebook build (no {links.SHA256SUMS} or "
                f"{links.VOID})",
                hint="run `guidebook build --out DIR` first, or serve without --site",
            )
        self.checksums: dict[str, str] = {}
        for line in sums.read_text(encoding="utf-8").splitlines():
            digest, _, path = line.partition("  ")
            if digest and path:
                self.checksums[path] = digest
        # The list of checksums is served too (the pages link to it).
        self.checksums[links.SHA256SUMS] = hashlib.sha256(sums.read_bytes()).hexdigest()
        self.modified = _release_date(root / links.VOID)

    @property
    def dump(self) -> Path:
        return self.root / f"{dataset.DUMP_STEM}.{SYNTAXES['nquads'].extension}"

    def static(self, path: str) -> Path | None:
        """The build file served as it is at ``path``, if there is one.

        Pages (``*.html``) and resource files under ``id/`` are rendered by the server
        instead, so that their links point into the server rather than at the IRIs.
        """
        if path not in self.checksums or path.endswith(".html") or path.startswith("id/"):
            return None
        return self.root / path

    def downloads(self) -> list[dict[str, Any]]:
        sizes = {p: (self.root / p).stat().st_size for p in self.checksums}
        return dataset.downloads(
            BASE, {p: (sizes[p], digest) for p, digest in self.checksums.items()}
        )


def _release_date(void: Path) -> datetime:
    dates = [
        q.object.value
        for q in ox.parse(path=void, format=ox.RdfFormat.TURTLE)
        if q.predicate.value == DCTERMS.modified and isinstance(q.object, ox.Literal)
    ]
    text = (sorted(dates)[-1] if dates else "1970-01-01")[:10]
    parts = [int(p) for p in text.split("-")] + [1, 1]
    return datetime(parts[0], parts[1], parts[2], tzinfo=timezone.utc)


class GuidebookApp:
    """The request handlers, with the store, the site and the caches they share."""

    def __init__(self, project: Project, store: ox.Store, site: Site, settings: Settings) -> None:
        if not settings.base.endswith("/"):
            raise UsageError(f"--base {settings.base}: the base IRI must end with '/'")
        self.project = project
        self.store = store
        self.site = site
        self.settings = settings
        self.context = jsonld.project_context(project)
        self.pool = QueryPool(
            site.dump,
            self.context,
            size=settings.workers,
            timeout=settings.query_timeout,
            row_cap=settings.row_cap,
            queue=settings.queue,
            federation=settings.federation,
        )
        self._in_flight: dict[tuple[str, ...], asyncio.Future[QueryAnswer]] = {}
        self.last_modified = format_datetime(site.modified, usegmt=True)
        from guidebook_kg import views

        self.catalogue = views.load_views(project)
        self.pages = SitePages(
            store,
            self.catalogue,
            settings.base,
            ontology_files=[p for p in sorted(site.checksums) if p.startswith("ontology/")],
        )
        self.links = links.ServerLinks(self.pages.sitemap)
        self.labels = self.pages.reader
        self._cache: OrderedDict[tuple[str, ...], _Cached] = OrderedDict()
        self._cached_bytes = 0

    # ---------------------------------------------------------------- plumbing

    def _remember(self, key: tuple[str, ...], make: Callable[[], _Cached]) -> _Cached:
        """The cached answer for ``key``, made on first use.

        Least recently used answers go first once the cache holds CACHE_BYTES; an answer
        bigger than CACHE_ENTRY_BYTES (a large query result) is not kept at all.
        """
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
            return found
        found = make()
        size = len(found.body)
        if size <= CACHE_ENTRY_BYTES:
            self._cache[key] = found
            self._cached_bytes += size
            while self._cached_bytes > CACHE_BYTES:
                _, dropped = self._cache.popitem(last=False)
                self._cached_bytes -= len(dropped.body)
        return found

    def respond(
        self,
        request: Request,
        answer: _Cached,
        *,
        cache: str = CACHE_PAGES,
        vary: bool = False,
    ) -> Response:
        """A response with ETag, Last-Modified and Cache-Control; 304 when the client's
        copy is current."""
        headers = dict(answer.headers)
        # Errors (a timeout, a bad parameter) must not be kept by caches.
        headers["Cache-Control"] = cache if answer.status == 200 else "no-store"
        if vary:
            headers["Vary"] = "Accept"
        if answer.status == 200:
            etag = '"' + hashlib.sha256(answer.body).hexdigest()[:40] + '"'
            headers["ETag"] = etag
            headers["Last-Modified"] = self.last_modified
            if _not_modified(request, etag, self.site.modified):
                return Response(status_code=304, headers=_for_304(headers))
        return Response(answer.body, answer.status, headers, media_type=answer.media_type)

    # ---------------------------------------------------------------- the site's pages

    def _page(
        self, request: Request, key: tuple[str, ...], make: Callable[[], Rendered | None]
    ) -> Response:
        """An HTML page of the site (cached), with ``Link`` headers to its neighbours;
        404 past the last page of a listing."""

        def cached() -> _Cached:
            rendered = make()
            if rendered is None:
                return _Cached(404, b"Not found: no such page.\n", "text/plain")
            headers = {}
            if rendered.rel:
                headers["Link"] = ", ".join(
                    f'<{href}>; rel="{rel}"' for rel, href in sorted(rendered.rel.items())
                )
            return _Cached(200, rendered.body, HTML, headers)

        return self.respond(request, self._remember(key, cached))

    async def landing(self, request: Request) -> Response:
        number = _page_number(request)
        if number is None:
            return _bad_page()
        sort = request.query_params.get("sort") or links.SORTS[0]
        release = {
            "modified": self.site.modified.date().isoformat(),
            "triples": len(self.store),
        }
        return self._page(
            request,
            ("landing", sort, str(number)),
            lambda: self.pages.landing(self.links, release, sort, number),
        )

    async def downloads(self, request: Request) -> Response:
        return self._page(
            request, ("downloads",), lambda: self.pages.downloads(self.links, self.site.downloads())
        )

    async def views_index(self, request: Request) -> Response:
        return self._page(request, ("views",), lambda: self.pages.views(self.links, "views"))

    async def finder(self, request: Request) -> Response:
        return await self._filtered_page(
            request,
            "finder",
            lambda params, number: self.pages.finder(self.links, params, number),
            "Not found: no such page of results.\n",
        )

    async def _filtered_page(
        self,
        request: Request,
        kind: str,
        render: Callable[[dict[str, str], int], Rendered | None],
        missing: str,
    ) -> Response:
        """A page of the finder or the map, filtered by the query string: cached by page
        number and filters, rendered in a thread (its queries take a while), ``missing``
        (404) past the last page. Only complete answers are kept."""
        number = _page_number(request)
        if number is None:
            return _bad_page()
        params = {
            k: v for k, v in request.query_params.items() if k != "page" and v.strip() != ""
        }
        key = (kind, str(number), *sorted(f"{k}={v}" for k, v in params.items()))
        cached = self._cache.get(key)
        if cached is None:
            import anyio.to_thread

            rendered = await anyio.to_thread.run_sync(lambda: render(params, number))
            if rendered is None:
                return _text(404, missing)
            headers = {}
            if rendered.rel:
                headers["Link"] = ", ".join(
                    f'<{href}>; rel="{rel}"' for rel, href in sorted(rendered.rel.items())
                )
            answer = _Cached(rendered.status, rendered.body, HTML, headers)
            if answer.status == 200:
                self._remember(key, lambda: answer)
            cached = answer
        return self.respond(request, cached, cache=CACHE_QUERIES)

    async def compare(self, request: Request) -> Response:
        number = _page_number(request)
        if number is None:
            return _bad_page()
        chosen = tuple(
            sorted(
                {
                    p.strip()
                    for value in request.query_params.getlist("programme")
                    for p in value.split(",")
                    if p.strip()
                }
            )
        )
        return self._page(
            request,
            ("compare", str(number), *chosen),
            lambda: self.pages.compare(self.links, number, chosen),
        )

    async def evidence_map(self, request: Request) -> Response:
        return await self._filtered_page(
            request,
            "map",
            lambda params, number: self.pages.map(self.links, params, number),
            "Not found: no such page of the map.\n",
        )

    async def static_file(self, request: Request) -> Response:
        """The site's static files: the build's (stylesheet, scripts), else the package's
        (the query editor), never anything outside that folder."""
        path = "static/" + request.path_params.get("path", "")
        built = self.site.static(path)
        if built is not None:
            return self._file(request, path, built)
        found = _package_static(request.path_params.get("path", ""))
        if found is None:
            return _text(404, "Not found.\n")
        etag = '"' + hashlib.sha256(found.read_bytes()).hexdigest()[:40] + '"'
        headers = {"ETag": etag, "Last-Modified": self.last_modified, "Cache-Control": CACHE_FILES}
        if _not_modified(request, etag, self.site.modified):
            return Response(status_code=304, headers=_for_304(headers))
        return FileResponse(found, headers=headers, media_type=_file_media_type(found.name))

    async def void(self, request: Request) -> Response:
        return await self._rdf_file(request, links.VOID)

    async def _rdf_file(self, request: Request, path: str) -> Response:
        syntax = self._negotiate_rdf(request, html=False)
        if syntax is None:
            return self._not_acceptable(request, [s.media_type for s in GRAPH_SYNTAXES])

        def make() -> _Cached:
            file = self.site.root / path
            if syntax.name == "turtle":  # the published file itself, byte for byte
                return _Cached(200, file.read_bytes(), syntax.media_type)
            triples = [q.triple for q in ox.parse(path=file, format=ox.RdfFormat.TURTLE)]
            triples.sort(key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
            return _Cached(200, serialize(triples, syntax, self.context), syntax.media_type)

        answer = self._remember(("rdf-file", path, syntax.name), make)
        return self.respond(request, answer, cache=CACHE_FILES, vary=True)

    # ---------------------------------------------------------------- resources

    async def resource(self, request: Request) -> Response:
        path = request.path_params.get("path", "")
        static = self.site.static(path)
        if static is not None:
            return self._file(request, path, static)
        if path in ("index.html", ""):
            return RedirectResponse("/", 301)

        # An explicit representation: /id/study/x.ttl, /ontology.html
        stem, dot, extension = path.rpartition(".")
        if dot and "/" not in extension:
            syntax = _by_extension(extension)
            if syntax is not None or extension == "html":
                iri = self.settings.base + stem
                if self._exists(iri):
                    return self._representation(request, iri, syntax, vary=False)

        iri = self.settings.base + path
        if not self._exists(iri):
            return _text(404, f"Not found: no resource <{iri}> in this dataset.\n")
        if _page_number(request) is None:
            return _bad_page()
        wanted = self._negotiate_rdf(request, html=True)
        if wanted is None and not self._wants_html(request):
            offers = [*_HTML_OFFERS[:1], *(s.media_type for s in GRAPH_SYNTAXES)]
            return self._not_acceptable(request, offers)
        return self._representation(request, iri, wanted, vary=True)

    def _exists(self, iri: str) -> bool:
        answer = self._remember(("exists", iri), lambda: _exists_answer(self.store, iri))
        return answer.status == 200

    def _representation(
        self, request: Request, iri: str, syntax: Syntax | None, *, vary: bool
    ) -> Response:
        if syntax is None:
            number = _page_number(request) or 1
            answer = self._remember(("html", iri, str(number)), lambda: self._html(iri, number))
        else:
            answer = self._remember(("rdf", iri, syntax.name), lambda: self._rdf(iri, syntax))
        if answer.status != 200:
            return self.respond(request, answer)
        answer = _Cached(answer.status, answer.body, answer.media_type, dict(answer.headers))
        # The resource's own address (a part's links go to its place on another page).
        target = self.links.page(iri)
        alternates = [
            f'<{target}.{s.extension}>; rel="alternate"; type="{s.media_type}"'
            for s in GRAPH_SYNTAXES
            if s != syntax
        ]
        if syntax is not None:
            alternates.insert(0, f'<{target}.html>; rel="alternate"; type="{HTML}"')
        answer.headers["Link"] = ", ".join(
            [*alternates, *([answer.headers["Link"]] if "Link" in answer.headers else [])]
        )
        extension = "html" if syntax is None else syntax.extension
        answer.headers["Content-Location"] = f"{target}.{extension}"
        return self.respond(request, answer, vary=vary)

    def _html(self, iri: str, number: int = 1) -> _Cached:
        rendered = self.pages.resource(iri, self.links, number)
        if rendered is None:
            return _Cached(404, b"Not found: no such page of this listing.\n", "text/plain")
        headers = {}
        if rendered.rel:
            headers["Link"] = ", ".join(
                f'<{href}>; rel="{rel}"' for rel, href in sorted(rendered.rel.items())
            )
        return _Cached(200, rendered.body, HTML, headers)

    def _rdf(self, iri: str, syntax: Syntax) -> _Cached:
        description = describe(self.store, iri)
        return _Cached(
            200, serialize(description.all_triples, syntax, self.context), syntax.media_type
        )

    def _file(self, request: Request, path: str, file: Path) -> Response:
        digest = self.site.checksums[path]
        etag = f'"{digest[:40]}"'
        media_type = _file_media_type(path)
        headers = {
            "ETag": etag,
            "Last-Modified": self.last_modified,
            "Cache-Control": CACHE_FILES,
        }
        if _not_modified(request, etag, self.site.modified):
            return Response(status_code=304, headers=_for_304(headers))
        return FileResponse(file, headers=headers, media_type=media_type)

    # ---------------------------------------------------------------- negotiation

    def _wants_html(self, request: Request) -> bool:
        offers = [*_HTML_OFFERS, *(s.media_type for s in GRAPH_SYNTAXES)]
        return negotiate(request.headers.get("accept"), offers) in _HTML_OFFERS

    def _negotiate_rdf(self, request: Request, *, html: bool) -> Syntax | None:
        """The RDF syntax the client wants, or None for HTML (or nothing acceptable)."""
        fmt = request.query_params.get("format")
        if fmt:
            return _by_extension(fmt) or SYNTAXES.get(fmt)
        offers = [*(_HTML_OFFERS if html else ()), *(s.media_type for s in GRAPH_SYNTAXES)]
        chosen = negotiate(request.headers.get("accept"), offers)
        return next((s for s in GRAPH_SYNTAXES if s.media_type == chosen), None)

    def _not_acceptable(self, request: Request, offers: list[str]) -> Response:
        message = (
            f"Not acceptable: cannot answer with {request.headers.get('accept')!r}. "
            f"Available: {', '.join(offers)}.\n"
        )
        return _text(406, message, {"Vary": "Accept"})

    # ---------------------------------------------------------------- SPARQL

    async def sparql(self, request: Request) -> Response:
        params = list(request.query_params.multi_items())
        if request.method == "POST":
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            body = await _read_body(request, MAX_BODY_BYTES, self.settings.query_timeout)
            if isinstance(body, Response):
                return body
            if content_type == "application/x-www-form-urlencoded":
                params += urllib.parse.parse_qsl(body.decode("utf-8", "replace"))
            elif content_type == "application/sparql-query":
                params.append(("query", body.decode("utf-8", "replace")))
            elif content_type == "application/sparql-update":
                return _read_only()
            else:
                return _text(
                    415,
                    "Unsupported Media Type: POST a query as application/sparql-query or "
                    "as the 'query' field of application/x-www-form-urlencoded.\n",
                )
        names = [name for name, _ in params]
        if "update" in names:
            return _read_only()
        queries = [value for name, value in params if name == "query"]
        if len(queries) > 1:
            return _text(400, "Bad request: more than one 'query' parameter.\n")
        if not queries:
            return self._service_description(request)
        query_request = QueryRequest(
            query=queries[0],
            accept=request.headers.get("accept"),
            formats=tuple(v for n, v in params if n == "format"),
            default_graphs=tuple(v for n, v in params if n == "default-graph-uri"),
            named_graphs=tuple(v for n, v in params if n == "named-graph-uri"),
        )
        key = (
            "sparql",
            query_request.query,
            query_request.accept or "",
            "\n".join(query_request.formats),
            "\n".join(query_request.default_graphs),
            "\n".join(query_request.named_graphs),
        )
        cached = self._cache.get(key)
        if cached is None:
            answer = await self._answer_once(key, query_request, request)
            cached = _Cached(answer.status, answer.body, answer.media_type, answer.headers)
            if answer.status == 200:
                self._remember(key, lambda: cached)
        return self.respond(request, cached, cache=CACHE_QUERIES, vary=True)

    async def _answer_once(
        self, key: tuple[str, ...], query: QueryRequest, request: Request
    ) -> QueryAnswer:
        """The pool's answer; clients asking the same query at the same time share one run."""
        running = self._in_flight.get(key)
        if running is not None:
            with contextlib.suppress(_Abandoned):  # its first asker left: run it here
                return await asyncio.shield(running)
        client = request.client.host if request.client else ""
        future: asyncio.Future[QueryAnswer] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            answer = await self.pool.run(query, client)
        except BaseException:
            future.set_exception(_Abandoned())
            future.exception()  # retrieved: no "never retrieved" warning when unshared
            raise
        finally:
            if self._in_flight.get(key) is future:
                del self._in_flight[key]
        future.set_result(answer)
        return answer

    def _service_description(self, request: Request) -> Response:
        if self._wants_html(request) or request.query_params.get("format") == "html":
            page = self._remember(("sparql-form",), self._sparql_form)
            return self.respond(request, page, vary=True)
        syntax = self._negotiate_rdf(request, html=False)
        if syntax is None:
            return self._not_acceptable(request, [s.media_type for s in GRAPH_SYNTAXES])
        endpoint = str(request.url.replace(query="", fragment=""))

        def make() -> _Cached:
            triples = dataset.service_description(
                endpoint,
                self.settings.base + links.VOID + "#dataset",
                len({q.triple for q in self.store}),
                dataset.graph_sizes(self.store),
            )
            return _Cached(200, serialize(triples, syntax, self.context), syntax.media_type)

        answer = self._remember(("service", endpoint, syntax.name), make)
        return self.respond(request, answer, vary=True)

    def _sparql_form(self) -> _Cached:
        rendered = query.sparql_page(
            self.links,
            self.pages.engine,
            self.catalogue,
            timeout=self.settings.query_timeout,
            row_cap=self.settings.row_cap,
        )
        return _Cached(200, rendered.body, HTML)

    # ---------------------------------------------------------------- views

    async def view(self, request: Request) -> Response:
        """A saved view: an HTML form with its results, or the results alone (SPARQL
        results JSON / XML / CSV / TSV, or RDF for a CONSTRUCT view) by ``Accept`` or
        ``?format=``. Parameters come from the query string."""

        view = self.catalogue.get(request.path_params["name"])
        if view is None:
            known = ", ".join(self.catalogue)
            return _text(404, f"Not found: no saved view of that name. Views: {known}.\n")
        number = _page_number(request)
        if number is None:
            return _bad_page()
        params = {
            k: v
            for k, v in request.query_params.items()
            if k not in ("format", "page") and v.strip() != ""
        }
        fmt = (request.query_params.get("format") or "").lower()
        if view.form == "select":
            offers = {"html": HTML, **{k: m[0] for k, (_, m) in results.FORMATS.items()}}
        else:
            offers = {"html": HTML, **{s.extension: s.media_type for s in GRAPH_SYNTAXES}}
        if fmt:
            if fmt not in offers:
                kinds = "results" if view.form == "select" else "a graph"
                return _text(
                    400,
                    f"Unknown format {fmt!r}: the view {view.name} gives {kinds}, as "
                    f"{', '.join(offers)}.\n",
                )
        else:
            chosen = negotiate(
                request.headers.get("accept"), [*offers.values(), "application/json"]
            )
            if chosen is None:
                return self._not_acceptable(request, list(offers.values()))
            fmt = next((k for k, m in offers.items() if m == chosen), "json")
        key = ("view", view.name, fmt, str(number), *sorted(f"{k}={v}" for k, v in params.items()))
        cached = self._cache.get(key)
        if cached is None:
            import anyio.to_thread

            cached = await anyio.to_thread.run_sync(self._run_view, view, params, fmt, number)
            if cached.status == 200:
                self._remember(key, lambda: cached)
        return self.respond(request, cached, cache=CACHE_QUERIES, vary=True)

    def _run_view(self, view: Any, params: dict[str, str], fmt: str, number: int) -> _Cached:
        from guidebook_kg import views

        error = None
        table = graph = None
        # A first visit to a view that needs values shows its form, not an error.
        waiting = fmt == "html" and not params and any(p.required for p in view.parameters)
        try:
            engine = views.LocalEngine(self.store, federation=self.settings.federation)
            if waiting:
                pass
            elif view.form == "select":
                table = views.run_on(engine, view, params, self.catalogue)
            else:
                graph = views.run_graph_on(engine, view, params, self.catalogue)
        except views.MissingParameter as missing:
            error = (
                f"choose a value for {missing.parameter.name!r} "
                f"({missing.parameter.description or missing.parameter.describe()})"
            )
        except InputError as err:
            error = str(err)
        if fmt != "html":
            if error is not None:
                return _Cached(400, (error + "\n").encode("utf-8"), "text/plain; charset=utf-8")
            if table is not None:
                media = results.FORMATS[fmt][1][0]
                return _Cached(200, results.table_bytes(table, fmt), _charset(media))
            syntax = _by_extension(fmt) or SYNTAXES["turtle"]
            body = serialize(canonical_triples(graph or []), syntax, self.context)
            return _Cached(200, body, syntax.media_type)
        graph_text = None
        if graph is not None:
            graph_text = serialize(
                canonical_triples(graph), SYNTAXES["turtle"], self.context
            ).decode("utf-8")
        rendered = view_page(
            self.links,
            self.labels,
            view,
            self.pages.choices.fields(view, params),
            params,
            table=table,
            graph=graph_text,
            error=error,
            number=number,
        )
        if rendered is None:
            return _Cached(404, b"Not found: no such page of results.\n", "text/plain")
        headers = {}
        if rendered.rel:
            headers["Link"] = ", ".join(
                f'<{href}>; rel="{rel}"' for rel, href in sorted(rendered.rel.items())
            )
        return _Cached(rendered.status, rendered.body, HTML, headers)

    # ---------------------------------------------------------------- the app

    def asgi(self) -> Starlette:
        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            await self.pool.start()
            try:
                yield
            finally:
                self.pool.close()

        routes = [
            Route("/", self.landing, methods=["GET"]),
            Route("/sparql", self.sparql, methods=["GET", "POST"]),
            Route("/.well-known/void", self.void, methods=["GET"]),
            Route("/views", self.views_index, methods=["GET"]),
            Route("/views/{name}", self.view, methods=["GET"]),
            Route("/finder", self.finder, methods=["GET"]),
            Route("/compare", self.compare, methods=["GET"]),
            Route("/map", self.evidence_map, methods=["GET"]),
            Route("/downloads", self.downloads, methods=["GET"]),
            Route("/static/{path:path}", self.static_file, methods=["GET"]),
            Route("/{path:path}", self.resource, methods=["GET"]),
        ]
        middleware = [
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
                allow_headers=["Accept", "Content-Type", "If-None-Match", "If-Modified-Since"],
                expose_headers=_EXPOSED,
                max_age=86400,
            )
        ]
        return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)


class _Abandoned(Exception):
    """The client that started a shared query went away before its answer."""


async def _read_body(request: Request, limit: int, timeout: float) -> bytes | Response:
    """The request body, read as it arrives: 413 as soon as it passes ``limit`` bytes
    (never read whole first), 408 when it takes longer than ``timeout`` seconds."""
    from starlette.requests import ClientDisconnect

    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            return _text(400, "Bad request: Content-Length is not a number.\n", _CLOSE)
        if int(declared) > limit:
            return _too_large(limit)

    async def collect() -> bytes | Response:
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return _too_large(limit)
            chunks.append(chunk)
        return b"".join(chunks)

    try:
        # asyncio's own timeout: anyio's cancel scope cost more than the rest of a small
        # query's handling.
        return await asyncio.wait_for(collect(), timeout)
    except asyncio.TimeoutError:
        return _text(
            408, f"Request Timeout: the body did not arrive within {timeout:g} s.\n", _CLOSE
        )
    except ClientDisconnect:
        return _text(400, "Bad request: the client closed the connection mid-body.\n", _CLOSE)


# The rest of a refused body is not read: the connection closes after the answer.
_CLOSE = {"Connection": "close"}


def _too_large(limit: int) -> Response:
    return _text(
        413,
        f"Content Too Large: a request body may hold at most {limit} bytes. Send a "
        "shorter query.\n",
        _CLOSE,
    )


def _page_number(request: Request) -> int | None:
    """The ``?page=`` of a listing (1 without one); None when it is not a page number."""
    given = request.query_params.get("page")
    if given is None or given == "":
        return 1
    if not given.isdigit() or int(given) < 1 or len(given) > 9:
        return None
    return int(given)


def _bad_page() -> Response:
    return _text(400, "Bad request: page must be a whole number from 1.\n")


_STATIC = Path(__file__).resolve().parent / "site" / "static"


def _package_static(path: str) -> Path | None:
    """A file of the package's static folder, by its path below it; None for anything
    else (a path that leaves the folder, a folder, a file that is not there)."""
    if not path or path.startswith("/") or "\\" in path:
        return None
    found = (_STATIC / path).resolve()
    if _STATIC not in found.parents or not found.is_file():
        return None
    return found


def _exists_answer(store: ox.Store, iri: str) -> _Cached:
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return _Cached(404, b"", "text/plain")
    if iri == ONTOLOGY or next(iter(store.quads_for_pattern(node, None, None)), None) is not None:
        return _Cached(200, b"", "text/plain")
    return _Cached(404, b"", "text/plain")


def _by_extension(extension: str) -> Syntax | None:
    aliases = {"jsonld": "jsonld", "ttl": "turtle", "nt": "ntriples", "rdf": "rdfxml"}
    name = aliases.get(extension.lower())
    return SYNTAXES[name] if name else None


def _file_media_type(path: str) -> str:
    name = posixpath.basename(path)
    if name.endswith(".gz"):
        return "application/gzip"
    if name == links.SHA256SUMS or name.endswith(".txt") or name == "VERSION":
        return "text/plain; charset=utf-8"
    if name == links.CONTEXT:
        return "application/ld+json"
    if name.endswith(".css"):
        return "text/css; charset=utf-8"
    if name.endswith(".js"):
        return "text/javascript; charset=utf-8"
    if name.endswith(".csv"):
        return "text/csv; charset=utf-8"
    if name.endswith(".json"):
        return "application/sparql-results+json"
    extension = name.rsplit(".", 1)[-1]
    for syntax in SYNTAXES.values():
        if syntax.extension == extension:
            return syntax.media_type
    return "application/octet-stream"


def _not_modified(request: Request, etag: str, modified: datetime) -> bool:
    """RFC 9110: If-None-Match wins over If-Modified-Since; ETags compare weakly."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return etag in tags
    since = request.headers.get("if-modified-since")
    if since:
        try:
            when = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return modified <= when
    return False


def _for_304(headers: Mapping[str, str]) -> dict[str, str]:
    keep = {"ETag", "Last-Modified", "Cache-Control", "Vary", "Content-Location", "Link"}
    return {k: v for k, v in headers.items() if k in keep}


def _text(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(message, status, dict(headers or {}), media_type="text/plain")


def _charset(media: str) -> str:
    return media + "; charset=utf-8" if "charset" not in media else media


def _read_only() -> Response:
    return _text(
        403,
        "Forbidden: this endpoint is read-only and refuses SPARQL updates. Load the data "
        "into your own store with `guidebook push` to change it.\n",
    )


def escape(text: str) -> str:
    return html.escape(text, quote=True)


# ------------------------------------------------------------------ running it


def create_app(
    project: Project, store: ox.Store, site: Path, settings: Settings | None = None
) -> Starlette:
    """The ASGI application for ``site`` (a build folder) over ``store``."""
    return GuidebookApp(project, store, Site(site), settings or Settings()).asgi()


def run(
    project: Project,
    store: ox.Store,
    *,
    host: str,
    port: int,
    settings: Settings,
    site: Path | None = None,
    release_date: str | None = None,
    progress: Progress,
    listener: socket.socket | None = None,
) -> None:
    """Build the site (unless ``site`` is given) and serve it until interrupted.

    The address is taken first (or ``listener``, from :func:`listen`, is used), so a port
    in use is reported before any build work.
    """
    # Imported here: only `serve` needs the HTTP server.
    import uvicorn

    if release_date is not None:
        publish.check_release_date(release_date)
    if listener is None:
        listener = listen(host, port)
    temporary = None
    try:
        if site is None:
            temporary = Path(tempfile.mkdtemp(prefix="guidebook-serve-"))
            site = temporary / "site"
            publish.build(
                project,
                store,
                site,
                base=settings.base,
                release_date=release_date,
                progress=progress,
            )
        app = create_app(project, store, site, settings)
        bound = listener.getsockname()[1]
        progress(f"Serving http://{host}:{bound}/ (SPARQL at /sparql); press Ctrl-C to stop")
        config = uvicorn.Config(
            app,
            http=idle_closing_protocol(settings.idle_timeout),
            log_level="warning",
            backlog=2048,
            timeout_keep_alive=5,
        )
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        listener.close()
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port``; a busy port or a bad host is a :class:`UsageError`."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        raise UsageError(
            f"--host {host}: not an address this machine can listen on ({err.strerror})"
        ) from None
    family, kind, proto, _, address = found[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise UsageError(
                f"--port {port}: {host}:{port} is already in use by another program",
                hint="stop it, or choose another --port",
            ) from None
        raise UsageError(f"--host {host} --port {port}: cannot listen: {err.strerror}") from None
    return sock


def idle_closing_protocol(idle_timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol, closing connections that send no complete request.

    uvicorn closes an idle connection only after it has answered a request on it; one that
    never sends a request (or trickles its headers) would be kept for ever. Here every
    connection must deliver a complete request head within ``idle_timeout`` seconds of
    opening and of each answer.
    """
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class IdleClosingProtocol(H11Protocol):
        _idle_timer: asyncio.TimerHandle | None = None
        _waiting_for: object = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._await_request()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._await_request()

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel()
            super().connection_lost(exc)

        def _await_request(self) -> None:
            self._cancel()
            if self.transport.is_closing():
                return
            self._waiting_for = self.cycle
            self._idle_timer = self.loop.call_later(idle_timeout, self._close_if_idle)

        def _cancel(self) -> None:
            if self._idle_timer is not None:
                self._idle_timer.cancel()
                self._idle_timer = None

        def _close_if_idle(self) -> None:
            self._idle_timer = None
            idle = self.cycle is None or self.cycle.response_complete
            if self.cycle is self._waiting_for and idle and not self.transport.is_closing():
                self.transport.close()

    return IdleClosingProtocol
