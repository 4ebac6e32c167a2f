"""``guidebook build``: everything a linked-data consumer harvests, written to one folder.

The build is deterministic (same inputs, byte-identical files: blank nodes are labelled
canonically, statements sorted, gzip headers fixed, dates taken from the data or from
``release_date``, never from the clock) and atomic (written to a temporary sibling folder
and swapped in only when complete, in one step where the system allows it, so a failed
or killed build leaves the previous one untouched; the next build repairs and removes
what a killed one left, see :mod:`guidebook_kg.fsutil`). A folder holding files the
build did not write is never replaced.

What the site presents (pages, the dataset description, result files) comes from
:mod:`guidebook_kg.site`, which the server shares; this module is the pipeline: check,
write every file into a staging folder, swap it in. The dumps are streamed to disk
(:mod:`guidebook_kg.dumps`); the resource pages and the dump syntaxes are written by
forked processes, one per processor, sharing the loaded store; a previous build of the
same inputs is kept (:mod:`guidebook_kg.buildstate`).

Layout of the output folder (paths are also the site's URL paths under ``base``)::

    index.html, programmes/by-*.html   programmes with their ratings, sortable, paged
    finder.html, compare.html       the programme finder, the comparison by outcome domain
    map.html                        the evidence gap map (programmes by outcome domain)
    views.html, downloads.html      the saved views, the downloads
    guidebook.{ttl,nt,nt.gz,jsonld,rdf}   the whole graph (union of all named graphs)
    guidebook.{trig,nq}             the dataset: one named graph per programme + ontology
    context.jsonld                  the JSON-LD @context the JSON-LD files use
    void.ttl                        VoID + DCAT-AP description, with sizes and SHA-256 sums
    SHA256SUMS                      checksums of every other file (``sha256sum -c``)
    ontology.{html,ttl,jsonld}      ontology documentation and description
    ontology/*.ttl, shapes/*.ttl    the source files as they are
    id/<kind>/<name>.{html,ttl,jsonld}   a page per programme, study, outcome, person ...
    concept/<name>.{html,ttl,jsonld}     a page per concept and concept scheme
    *.page<N>.html                  the further pages of a paged listing
    views/<name>.{csv,json}         results of every parameter-free saved view
    static/                         the stylesheet and the finder's script
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import multiprocessing
import os
import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from importlib.resources import files
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from guidebook_kg import buildstate, dumps, fsutil, jsonld
from guidebook_kg.errors import (
    GuidebookError,
    InputError,
    UsageError,
    ValidationFailed,
    where,
)
from guidebook_kg.linkeddata import describe, serialize
from guidebook_kg.namespaces import ONTOLOGY, RDF
from guidebook_kg.prefixes import BASE, ONTOLOGY_GRAPH
from guidebook_kg.progress import Progress, counting
from guidebook_kg.project import Project
from guidebook_kg.site import dataset, html, links, results
from guidebook_kg.site.dataset import DUMP_STEM, DUMPS
from guidebook_kg.site.index import runnable
from guidebook_kg.site.pages import SitePages

# Results a refused build lists (its counts cover them all; `guidebook validate` lists all).
REPORT_LIMIT = 100
VIEWS_FOLDER = "views"
CONTEXT_FILE = links.CONTEXT
# The site's own files a build carries (the query editor's are served from the package).
STATIC_FILES = ("site.css", "site.js")

# What marks a folder as one of our builds, so that --out never replaces anything else.
_BUILD_MARKERS = (links.VOID, links.SHA256SUMS)

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass
class BuildResult:
    """What a build wrote: file paths relative to ``out`` with their sizes and checksums."""

    out: Path
    files: dict[str, tuple[int, str]] = field(default_factory=dict)
    triples: int = 0
    programmes: list[str] = field(default_factory=list)


class BuildRefused(ValidationFailed):
    """The data is not fit to publish; ``details`` says why, at length (a report)."""

    def __init__(self, message: str, details: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.details = details


def _no_progress(message: str) -> None:
    return None


def check(
    project: Project,
    store: ox.Store,
    progress: Progress = _no_progress,
    catalogue: Mapping[str, Any] | None = None,
) -> None:
    """Refuse to publish data that breaks a shape, the rating rules of shapes/ratings.ttl
    among them (an asserted rating its considered studies do not support). Raises
    :class:`BuildRefused` with the report."""
    from guidebook_kg import validate

    report = validate.validate(store, project, progress=progress)
    if not report.conforms:
        raise BuildRefused(
            f"the data does not conform to the shapes ({validate.summary(report)}); "
            "nothing was written",
            validate.render_text(report, limit=REPORT_LIMIT),
            hint="fix the data, then build again; `guidebook validate` shows the same report",
        )


def build(
    project: Project,
    store: ox.Store,
    out: Path,
    *,
    base: str = BASE,
    release_date: str | None = None,
    progress: Progress = _no_progress,
    loaded_from: Sequence[Path] | None = None,
) -> BuildResult:
    """Validate, check the ratings, and write the whole site into ``out`` atomically.

    ``loaded_from`` says that ``store`` holds exactly what :func:`guidebook_kg.store.load`
    loads from ``project`` and these extra files: then a previous build in ``out`` made
    from the same files, options and program, and not altered since, is kept as it is
    (see :mod:`guidebook_kg.buildstate`).
    """
    check_options(base, release_date)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {where(out)}: exists and is not a folder")
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"{where(parent)}: cannot create: {err.strerror or err}") from None
    from guidebook_kg import views

    try:
        with fsutil.folder_lock(out):
            for note in fsutil.tidy_leftovers(out):
                progress(note[0].upper() + note[1:])
            _check_replaceable(out)
            inputs = None
            if loaded_from is not None:
                inputs = buildstate.fingerprint(project, loaded_from, base, release_date)
                kept = buildstate.unchanged(out, inputs)
                if kept is not None:
                    progress("Nothing changed since the last build: it is kept as it is")
                    return BuildResult(out, kept.files, kept.triples, kept.programmes)
            catalogue = views.load_views(project)
            _check_ontology(project, store)
            check(project, store, progress, catalogue)
            staging = fsutil.staging_folder(out)
            try:
                result = _write_site(
                    project, store, staging, base, release_date, progress, catalogue
                )
                os.sync()  # the new build is on disk before it replaces the old one
                buildstate.forget(out)
                fsutil.swap_in(staging, out)
                if inputs is not None:
                    buildstate.remember(out, inputs, result.triples, result.programmes)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    shutil.rmtree(staging)
    except BrokenProcessPool:
        raise InputError(
            "a process writing the build stopped before it finished (out of memory?); "
            "nothing was published",
            hint="free some memory and build again",
        ) from None
    except OSError as err:
        raise InputError(
            f"{where(out)}: cannot write the build: {err.strerror or err}",
            hint="check that the folder is writable and the disk is not full",
        ) from None
    result.out = out
    return result


def _check_ontology(project: Project, store: ox.Store) -> None:
    # The site publishes the ontology (its page, its IRI); without its declaration the
    # build would go out without it.
    declared = store.quads_for_pattern(
        ox.NamedNode(ONTOLOGY), ox.NamedNode(RDF.type), None, ox.NamedNode(ONTOLOGY_GRAPH)
    )
    if next(iter(declared), None) is None:
        raise InputError(
            f"{where(project.ontology_dir)}: no ontology file declares the ontology "
            f"<{ONTOLOGY}>, so the site would go out without it",
            hint="restore ontology/guidebook.ttl",
        )


def check_options(base: str = BASE, release_date: str | None = None) -> None:
    """Refuse a ``--base`` or ``--release-date`` a build cannot use, before any work."""
    if not base.endswith("/"):
        raise UsageError(f"--base {base}: the base IRI must end with '/'")
    if release_date is not None:
        check_release_date(release_date)


def check_release_date(text: str) -> None:
    """Refuse a ``--release-date`` that is not a real date (YYYY-MM-DD, YYYY-MM or YYYY)."""
    real = bool(_DATE.match(text))
    if real:
        parts = [int(p) for p in text.split("-")]
        try:
            datetime.date(parts[0], *[*parts[1:], 1, 1][:2])
        except ValueError:
            real = False
    if not real:
        raise UsageError(
            f"--release-date {text}: not a date",
            hint="use YYYY-MM-DD (or YYYY-MM, YYYY), e.g. 2026-12-01",
        )


def _check_replaceable(out: Path) -> None:
    if not out.exists():
        return
    if not out.is_dir():
        raise UsageError(f"--out {where(out)}: exists and is not a folder")
    if any(out.iterdir()) and not all((out / m).is_file() for m in _BUILD_MARKERS):
        raise UsageError(
            f"--out {where(out)}: the folder is not empty and is not a previous build "
            f"(it has no {' and '.join(_BUILD_MARKERS)}), so it will not be replaced",
            hint="choose an empty or new folder",
        )
    # A previous build lists every file it wrote; anything else was put there by someone
    # and would be lost with the old folder.
    listed = {links.SHA256SUMS}
    for line in (out / links.SHA256SUMS).read_text(encoding="utf-8").splitlines():
        _, sep, path = line.partition("  ")
        if sep:
            listed.add(path)
    added = [
        p.relative_to(out).as_posix()
        for p in sorted(out.rglob("*"))
        if not p.is_dir() and p.relative_to(out).as_posix() not in listed
    ]
    if added:
        shown = ", ".join(added[:3]) + (f" and {len(added) - 3} more" if len(added) > 3 else "")
        raise UsageError(
            f"--out {where(out)}: holds {len(added)} file(s) the build did not write "
            f"({shown}); replacing the folder would delete them, so nothing was written",
            hint="move them out of the folder (or delete them), then build again",
        )


# ------------------------------------------------------------------ the site


class _Writer:
    """Writes files under a root, remembering their sizes and SHA-256 sums.

    The root is the private staging folder, so files are written plainly: nobody reads
    them before the swap, and :func:`build` flushes everything to disk once before it.
    (An fsync per file took longer than the rest of the build for thousands of pages.)
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, tuple[int, str]] = {}

    def write(self, path: str, data: bytes) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.files[path] = (len(data), hashlib.sha256(data).hexdigest())

    def record(self, path: str, size: int, digest: str) -> None:
        """Note a file written under the root by other means."""
        self.files[path] = (size, digest)


def _write_site(
    project: Project,
    store: ox.Store,
    root: Path,
    base: str,
    release_date: str | None,
    progress: Progress,
    catalogue: Mapping[str, Any],
) -> BuildResult:
    writer = _Writer(root)
    context = jsonld.project_context(project)
    writer.write(CONTEXT_FILE, _context_bytes(context))

    with counting(progress, "Writing the dumps", len(DUMPS)) as advance:
        union = dumps.write_dumps(
            store, root, DUMP_STEM, DUMPS, context, writer.record, advance, _workers()
        )

    progress("Writing the ontology, its documentation and the shapes")
    sources = _copy_sources(writer, project)
    for name in STATIC_FILES:
        writer.write(f"{links.STATIC}/{name}", static_file(name))
    pages = SitePages(
        store, catalogue, base, ontology_files=sources["ontology"], unchanging=True
    )
    sitemap = pages.sitemap
    # Programmes, studies, outcomes, concepts, people ...: a page (and its RDF) each.
    _write_resources(pages, context, writer, progress)

    _write_views(writer, store, catalogue, progress)

    dates = dataset.data_dates(store)
    modified = release_date or (dates[-1] if dates else None)
    issued = dates[0] if dates else modified
    if modified is None or issued is None:
        raise UsageError(
            "the data states no date (dcterms:issued, dcterms:modified or dcterms:created), "
            "so the release has none",
            hint="pass --release-date YYYY-MM-DD",
        )
    issued = min(issued, modified)
    stats = dataset.statistics(store, dumps.triples(union))

    progress("Writing the dataset description and the site's own pages")
    distributions = dataset.downloads(base, writer.files)
    writer.write(
        links.VOID,
        dataset.void_description(
            store,
            base=base,
            issued=issued,
            modified=modified,
            stats=stats,
            distributions=distributions,
            examples=list(stats.programmes[:3]),
        ),
    )
    release = {"modified": modified, "triples": stats.triples}
    for sort in links.SORTS:
        _write_pages(
            writer,
            partial(links.home_file, sort),
            lambda here, n, sort=sort: pages.landing(  # type: ignore[misc]
                links.StaticLinks(sitemap, here), release, sort, n
            ),
        )
    _write_pages(
        writer,
        partial(links.page_file, links.COMPARE),
        lambda here, n: pages.compare(links.StaticLinks(sitemap, here), n),
    )
    _write_pages(
        writer,
        partial(links.page_file, links.MAP),
        lambda here, n: pages.map(links.StaticLinks(sitemap, here), {}, n),
    )
    own: list[tuple[str, Callable[[links.Links], html.Rendered | None]]] = [
        (links.DOWNLOADS, lambda at: pages.downloads(at, distributions)),
        (links.VIEWS, lambda at: pages.views(at, VIEWS_FOLDER)),
        (links.FINDER, lambda at: pages.finder(at, {})),
    ]
    for path, page in own:
        rendered = page(links.StaticLinks(sitemap, path))
        if rendered is not None:
            writer.write(path, rendered.body)

    writer.write(links.SHA256SUMS, _checksums(writer.files))
    return BuildResult(root, dict(writer.files), stats.triples, stats.programmes)


# Resource pages are rendered by as many processes as there are processors, forked once
# the store is loaded (they share it); a build of fewer pages stays in one process.
_PARALLEL_FROM = 400
_CHUNK = 40
_forked: tuple[SitePages, jsonld.Context, Path] | None = None


def _write_resources(
    pages: SitePages, context: jsonld.Context, writer: _Writer, progress: Progress
) -> None:
    iris = list(pages.in_build_order())
    with counting(progress, "Writing resource pages", len(iris)) as advance:
        workers = _workers() if len(iris) >= _PARALLEL_FROM else 1
        if workers <= 1:
            for iri in iris:
                _write_resource(pages, context, writer, iri)
                advance(1)
            return
        global _forked
        _forked = (pages, context, writer.root)
        chunks = [iris[i : i + _CHUNK] for i in range(0, len(iris), _CHUNK)]
        try:
            with forked_pool(workers) as pool:
                for chunk, (written, failure) in zip(
                    chunks, pool.map(_render_chunk, chunks), strict=True
                ):
                    if failure is not None:
                        kind, message, hint = failure
                        raise kind(message, hint=hint)
                    writer.files.update(written)
                    advance(len(chunk))
        finally:
            _forked = None


def forked_pool(workers: int) -> ProcessPoolExecutor:
    """Processes forked from this one (they share what it has loaded); a process that
    dies breaks the pool, so no build waits forever for it."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))


def _workers() -> int:
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


_Failure = tuple[type[GuidebookError], str, str | None]


def _render_chunk(
    chunk: list[str],
) -> tuple[dict[str, tuple[int, str]], _Failure | None]:
    """In a forked process: write the pages of ``chunk``, say what was written."""
    assert _forked is not None
    pages, context, root = _forked
    writer = _Writer(root)
    try:
        for iri in chunk:
            _write_resource(pages, context, writer, iri)
    except GuidebookError as err:
        return {}, (type(err), err.message, err.hint)
    return writer.files, None


def _write_resource(pages: SitePages, context: jsonld.Context, writer: _Writer, iri: str) -> None:
    """A resource's page (each page of its listings) and its RDF."""
    sitemap = pages.sitemap
    path = sitemap.path(iri)
    stem = path.rsplit(".", 1)[0]
    description = describe(pages.store, iri)
    for syntax in links.STATIC_SYNTAXES:
        writer.write(
            f"{stem}.{syntax.extension}",
            serialize(description.all_triples, syntax, context),
        )
    number, last = 1, 1
    while number <= last:
        here = links.page_file(path, number)
        rendered = pages.resource(iri, links.StaticLinks(sitemap, here), number, description)
        if rendered is None:
            break
        writer.write(here, rendered.body)
        last = rendered.pages
        number += 1


def _write_pages(
    writer: _Writer,
    path_of: Callable[[int], str],
    render: Callable[[str, int], html.Rendered | None],
) -> None:
    """Every page of a paged listing: page 1, then as many as the first says there are."""
    number, last = 1, 1
    while number <= last:
        here = path_of(number)
        rendered = render(here, number)
        if rendered is None:
            return
        writer.write(here, rendered.body)
        last = rendered.pages
        number += 1


def static_file(name: str) -> bytes:
    """One of the site's own static files (stylesheet, scripts), from the package."""
    return files("guidebook_kg").joinpath(f"site/static/{name}").read_bytes()


def _copy_sources(writer: _Writer, project: Project) -> dict[str, list[str]]:
    copied: dict[str, list[str]] = {"ontology": [], "shapes": []}
    for folder, found in (
        ("ontology", project.ontology_files()),
        ("shapes", project.shape_files()),
    ):
        for source in found:
            path = f"{folder}/{source.name}"
            writer.write(path, source.read_bytes())
            copied[folder].append(path)
    return copied


def _checksums(files: Mapping[str, tuple[int, str]]) -> bytes:
    lines = [f"{digest}  {path}\n" for path, (_, digest) in sorted(files.items())]
    return "".join(lines).encode("utf-8")


# ------------------------------------------------------------------ JSON-LD context


def _context_bytes(context: jsonld.Context) -> bytes:
    text = json.dumps({"@context": context.body}, indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


# ------------------------------------------------------------------ saved views


def _write_views(
    writer: _Writer, store: ox.Store, catalogue: Mapping[str, Any], progress: Progress
) -> None:
    from guidebook_kg import views

    chosen = [v for v in catalogue.values() if runnable(v)]
    with counting(progress, "Running the saved views", len(chosen)) as advance:
        for view in chosen:
            table = views.run(store, view, {}, dict(catalogue))
            for fmt in ("csv", "json"):
                writer.write(f"{VIEWS_FOLDER}/{view.name}.{fmt}", results.table_bytes(table, fmt))
            advance(1)
