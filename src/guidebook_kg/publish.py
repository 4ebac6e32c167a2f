"""``guidebook build``: everything a linked-data consumer harvests, written to one folder.

The build is deterministic (same inputs, byte-identical files: blank nodes are labelled
canonically, statements sorted, gzip headers fixed, dates taken from the data or from
``release_date``, never from the clock) and atomic (written to a temporary sibling folder
and swapped in only when complete, in one step where the system allows it, so a failed
or killed build leaves the previous one untouched; the next build repairs and removes
what a killed one left, see :mod:`guidebook_kg.fsutil`). A folder holding files the
build did not write is never replaced.

Layout of the output folder (paths are also the site's URL paths under ``base``)::

    index.html                      programmes with their ratings, views, downloads
    guidebook.{ttl,nt,nt.gz,jsonld,rdf}   the whole graph (union of all named graphs)
    guidebook.{trig,nq}             the dataset: one named graph per programme + ontology
    context.jsonld                  the JSON-LD @context the JSON-LD files use
    void.ttl                        VoID + DCAT description, with sizes and SHA-256 sums
    SHA256SUMS                      checksums of every other file (``sha256sum -c``)
    ontology.{html,ttl,jsonld}      ontology documentation and description
    ontology/*.ttl, shapes/*.ttl    the source files as they are
    id/programme/<slug>.{html,ttl,jsonld}   one page per programme
    id/study/<name>.{html,ttl,jsonld}       one page per study
    views/<name>.{csv,json}         results of every parameter-free saved view
"""

from __future__ import annotations

import contextlib
import datetime
import gzip
import hashlib
import io
import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from guidebook_kg import fsutil, jsonld, sitehtml
from guidebook_kg.errors import InputError, UsageError, ValidationFailed, where
from guidebook_kg.linkeddata import (
    SYNTAXES,
    Term,
    canonical_quads,
    describe,
    serialize,
)
from guidebook_kg.namespaces import DCTERMS, GB, ID, ONTOLOGY, RDF, XSD, programme_slug
from guidebook_kg.prefixes import BASE, ONTOLOGY_GRAPH, PREFIXES
from guidebook_kg.project import Project

Progress = Callable[[str], None]

DUMP_STEM = "guidebook"
# Results a refused build lists (its counts cover them all; `guidebook validate` lists all).
REPORT_LIMIT = 100
VIEWS_FOLDER = "views"
CONTEXT_FILE = "context.jsonld"

# What marks a folder as one of our builds, so that --out never replaces anything else.
_BUILD_MARKERS = (sitehtml.VOID, sitehtml.SHA256SUMS)

# Whole-graph dumps, in the order the index lists them.
_DUMPS: tuple[tuple[str, str | None], ...] = (
    ("turtle", None),
    ("ntriples", None),
    ("ntriples", "gzip"),
    ("jsonld", None),
    ("rdfxml", None),
    ("trig", None),
    ("nquads", None),
)

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_DATE_TYPES = frozenset({XSD.date, XSD.dateTime, XSD.gYear, XSD.gYearMonth})


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

    progress("Validating against the shapes")
    report = validate.validate(store, project)
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
) -> BuildResult:
    """Validate, check the ratings, and write the whole site into ``out`` atomically."""
    if not base.endswith("/"):
        raise UsageError(f"--base {base}: the base IRI must end with '/'")
    if release_date is not None:
        check_release_date(release_date)
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
            catalogue = views.load_views(project)
            _check_ontology(project, store)
            check(project, store, progress, catalogue)
            staging = fsutil.staging_folder(out)
            try:
                result = _write_site(
                    project, store, staging, base, release_date, progress, catalogue
                )
                os.sync()  # the new build is on disk before it replaces the old one
                fsutil.swap_in(staging, out)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    shutil.rmtree(staging)
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
    listed = {sitehtml.SHA256SUMS}
    for line in (out / sitehtml.SHA256SUMS).read_text(encoding="utf-8").splitlines():
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
    context = load_context(project)
    writer.write(CONTEXT_FILE, _context_bytes(context))

    progress("Writing the dumps")
    quads = canonical_quads(store)
    union = _union(quads)
    for name, compression in _DUMPS:
        syntax = SYNTAXES[name]
        statements = quads if syntax.dataset else union
        data = serialize(statements, syntax, context)
        path = f"{DUMP_STEM}.{syntax.extension}"
        if compression == "gzip":
            data, path = _gzip(data), path + ".gz"
        writer.write(path, data)

    progress("Writing the ontology, its documentation and the shapes")
    labels = sitehtml.Labels(store)
    sources = _copy_sources(writer, project)
    pages = _page_paths(store)
    ontology_description = describe(store, ONTOLOGY)
    for syntax in (SYNTAXES["turtle"], SYNTAXES["jsonld"]):
        writer.write(
            f"ontology.{syntax.extension}",
            serialize(ontology_description.all_triples, syntax, context),
        )
    links = sitehtml.StaticLinks(sitehtml.ONTOLOGY_DOC, pages)
    writer.write(
        sitehtml.ONTOLOGY_DOC,
        sitehtml.ontology_page(store, labels, links, sources["ontology"]),
    )

    programme_pages = ProgrammePages(store, catalogue)
    progress(f"Writing pages for {len(pages) - 1} programmes and studies")
    for iri, path in sorted(pages.items()):
        if iri == ONTOLOGY:
            continue
        description = describe(store, iri)
        stem = path.rsplit(".", 1)[0]
        for syntax in (SYNTAXES["turtle"], SYNTAXES["jsonld"]):
            writer.write(
                f"{stem}.{syntax.extension}",
                serialize(description.all_triples, syntax, context),
            )
        page_links = sitehtml.StaticLinks(path, pages)
        writer.write(path, resource_html(store, labels, page_links, iri, programme_pages, path))

    _write_views(writer, store, catalogue, progress)

    dates = data_dates(store)
    modified = release_date or (dates[-1] if dates else None)
    issued = dates[0] if dates else modified
    if modified is None or issued is None:
        raise UsageError(
            "the data states no date (dcterms:issued, dcterms:modified or dcterms:created), "
            "so the release has none",
            hint="pass --release-date YYYY-MM-DD",
        )
    issued = min(issued, modified)
    stats = statistics(store, union)

    progress("Writing the dataset description")
    distributions = downloads(base, writer.files)
    writer.write(
        sitehtml.VOID,
        void_description(
            store,
            base=base,
            issued=issued,
            modified=modified,
            stats=stats,
            distributions=distributions,
            examples=list(stats.programmes[:3]),
        ),
    )

    index_links = sitehtml.StaticLinks(sitehtml.INDEX, pages)
    writer.write(
        sitehtml.INDEX,
        index_page(
            project,
            store,
            labels,
            index_links,
            release={"modified": modified, "triples": stats.triples},
            downloads=distributions,
            catalogue=catalogue,
        ),
    )

    writer.write(sitehtml.SHA256SUMS, _checksums(writer.files))
    return BuildResult(root, dict(writer.files), stats.triples, stats.programmes)


def downloads(base: str, files: Mapping[str, tuple[int, str]]) -> list[dict[str, Any]]:
    """The files a consumer downloads (dumps, ontology and shapes files, the context),
    each with its URL under ``base``, media type, size and SHA-256, in listing order."""
    wanted = [
        *(f"{DUMP_STEM}.{SYNTAXES[n].extension}{'.gz' if c else ''}" for n, c in _DUMPS),
        *sorted(p for p in files if p.startswith(("ontology/", "shapes/"))),
        CONTEXT_FILE,
    ]
    return [_distribution(base, path, files[path]) for path in wanted if path in files]


class ProgrammePages:
    """Programme pages, rendered by :mod:`guidebook_kg.render` from the ``programme-page``
    view, for many programmes in a row.

    What :func:`guidebook_kg.render.page` does, with one engine and one set of parameter
    look-ups for all pages: the look-up lists every programme, which costs as much as a
    page, so doing it once per build (or per server) instead of twice per page is what
    keeps a build with thousands of programmes in minutes.
    """

    def __init__(self, store: ox.Store, catalogue: Mapping[str, Any]) -> None:
        from guidebook_kg import render, views

        self.store = store
        self.view = catalogue.get(render.PAGE_VIEW)
        self.engine = views.LocalEngine(store)
        self.lookups = views.Lookups(self.engine, dict(catalogue))

    def html(self, iri: str) -> bytes | None:
        """The page of programme ``iri``, or None when ``iri`` is not a programme."""
        from guidebook_kg import render, views

        if self.view is None or not is_programme(self.store, iri):
            return None
        terms = views.bind(self.view, {"programme": iri}, self.lookups)
        triples = self.engine.construct(views.bound_text(self.view, terms))
        return render.page_from_graph(triples, iri, "html").encode("utf-8")


def resource_html(
    store: ox.Store,
    labels: sitehtml.Labels,
    links: sitehtml.Links,
    iri: str,
    programme_pages: ProgrammePages,
    path: str | None = None,
) -> bytes:
    """The HTML page of a resource: the Guidebook page for a programme, else a page
    listing what the graph says about it."""
    page = programme_pages.html(iri)
    if page is not None:
        return page
    description = describe(store, iri)
    return sitehtml.resource_page(description, labels, links, sitehtml.alternates(links, iri, path))


def graph_sizes(store: ox.Store) -> list[dict[str, Any]]:
    """Each named graph with its number of triples, sorted by IRI."""
    graphs = []
    for graph in sorted(
        (g for g in store.named_graphs() if isinstance(g, ox.NamedNode)), key=lambda g: g.value
    ):
        count = sum(1 for _ in store.quads_for_pattern(None, None, None, graph))
        graphs.append({"iri": graph.value, "slug": _slug(graph.value), "count": count})
    return graphs


def example_query(project: Project) -> str:
    """A query to start from in the SPARQL form: the text of the first saved view."""
    files = project.query_files()
    preferred = [f for f in files if f.stem == "programmes"] or files
    if not preferred:
        return ""
    lines = preferred[0].read_text(encoding="utf-8").splitlines(keepends=True)
    # The view's '#+' header is for the tool, not for a person editing the query.
    return "".join(line for line in lines if not line.startswith("#+")).strip() + "\n"


def _union(quads: Iterable[ox.Quad]) -> list[ox.Triple]:
    # Sorted quads give triples in graph order; the union is sorted again as triples.
    return sorted(
        {q.triple for q in quads}, key=lambda t: (str(t.subject), str(t.predicate), str(t.object))
    )


def _gzip(data: bytes) -> bytes:
    # mtime=0 and no file name in the header: the same input gives the same bytes.
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as handle:
        handle.write(data)
    return buffer.getvalue()


def _copy_sources(writer: _Writer, project: Project) -> dict[str, list[str]]:
    copied: dict[str, list[str]] = {"ontology": [], "shapes": []}
    for folder, files in (
        ("ontology", project.ontology_files()),
        ("shapes", project.shape_files()),
    ):
        for source in files:
            path = f"{folder}/{source.name}"
            writer.write(path, source.read_bytes())
            copied[folder].append(path)
    return copied


def _checksums(files: Mapping[str, tuple[int, str]]) -> bytes:
    lines = [f"{digest}  {path}\n" for path, (_, digest) in sorted(files.items())]
    return "".join(lines).encode("utf-8")


# ------------------------------------------------------------------ JSON-LD context


def load_context(project: Project) -> jsonld.Context:
    """The project's published JSON-LD context (``ontology/context.jsonld``).

    A project without one (e.g. a small test project) gets a context of the prefix table
    alone: valid JSON-LD with compact IRIs as keys.
    """
    path = project.ontology_dir / CONTEXT_FILE
    if path.is_file():
        return jsonld.Context.from_file(path)
    return jsonld.Context({"@context": dict(sorted(PREFIXES.items()))}, "prefix table")


def _context_bytes(context: jsonld.Context) -> bytes:
    text = json.dumps({"@context": context.body}, indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


# ------------------------------------------------------------------ pages


def page_path(iri: str) -> str | None:
    """The path of the static page of a programme or study IRI, else None."""
    for kind in ("programme/", "study/"):
        prefix = ID + kind
        if iri.startswith(prefix) and iri != prefix:
            rest = iri[len(prefix) :]
            if "/" not in rest and _SAFE_SEGMENT.match(rest):
                return f"id/{kind}{rest}.html"
    return None


_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]*$")


def _page_paths(store: ox.Store) -> dict[str, str]:
    pages = {ONTOLOGY: sitehtml.ONTOLOGY_DOC}
    for cls in (GB.Programme, GB.Study):
        for quad in store.quads_for_pattern(None, ox.NamedNode(RDF.type), ox.NamedNode(cls)):
            if isinstance(quad.subject, ox.NamedNode):
                path = page_path(quad.subject.value)
                if path is not None:
                    pages[quad.subject.value] = path
    return pages


def index_page(
    project: Project,
    store: ox.Store,
    labels: sitehtml.Labels,
    links: sitehtml.Links,
    *,
    release: Mapping[str, Any],
    downloads: Iterable[Mapping[str, Any]],
    catalogue: Mapping[str, Any] | None = None,
) -> bytes:
    """The landing page: every programme with its asserted and derived rating, the saved
    views, and the downloads."""
    from guidebook_kg import views

    catalogue = views.load_views(project) if catalogue is None else catalogue
    programmes = programme_rows(store, labels, links, catalogue)
    listed = []
    for view in catalogue.values():
        if links.dynamic:
            files = [
                {"href": f"/views/{view.name}?format={f}", "label": f.upper()}
                for f in ("csv", "json")
            ]
            href = f"/views/{view.name}"
        elif runnable(view):
            files = [
                {"href": links.file(f"views/{view.name}.{f}"), "label": f.upper()}
                for f in ("csv", "json")
            ]
            href = files[0]["href"]
        else:
            continue
        listed.append({"name": view.name, "summary": view.summary, "href": href, "files": files})
    return sitehtml.render(
        "site_index.html.j2",
        links,
        title="guidebook-kg",
        description=(
            "Early-intervention programmes for children and families, their evidence "
            "ratings and the studies that evaluate them, as linked data."
        ),
        release=release,
        programmes=programmes,
        views=listed,
        downloads=[
            {
                "href": links.file(d["path"]),
                "name": d["path"],
                "label": d["title"],
                "size": _human_size(d["size"]),
                "sha256": d["sha256"],
            }
            for d in downloads
        ],
    )


def programme_rows(
    store: ox.Store,
    labels: sitehtml.Labels,
    links: sitehtml.Links,
    catalogue: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """One row per programme for the landing page, from the ``programme-ratings`` view.

    A project without that view (a bare test project) still lists its programmes by name.
    """
    from guidebook_kg import views

    view = catalogue.get(views.RATINGS_VIEW)
    if view is None:
        return [
            {
                "iri": iri,
                "href": links.resource(iri),
                "name": labels(iri),
                "asserted": None,
                "derived": "",
                "agrees": None,
                "cost": None,
                "studies": "",
            }
            for iri in programme_iris(store)
        ]
    rows = []
    for record in views.run(store, view, {}, catalogue).records():
        iri = _text(record.get("programme"))
        if iri is None:
            continue
        agrees = record.get("agrees")
        rows.append(
            {
                "iri": iri,
                "href": links.resource(iri),
                "name": _text(record.get("name")) or labels(iri),
                "asserted": _text(record.get("asserted")),
                "derived": _text(record.get("derived")) or "",
                "agrees": None if agrees is None else agrees.value == "true",
                "cost": _text(record.get("cost")),
                "studies": _text(record.get("studies")) or "0",
            }
        )
    return rows


def _text(term: Any) -> str | None:
    return None if term is None else str(term.value)


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def programme_slug_or_iri(iri: str) -> str:
    """What a user types for a programme: its slug, or its IRI when it has none."""
    return programme_slug(iri) or iri


def is_programme(store: ox.Store, iri: str) -> bool:
    typed = store.quads_for_pattern(
        ox.NamedNode(iri), ox.NamedNode(RDF.type), ox.NamedNode(GB.Programme)
    )
    return next(iter(typed), None) is not None


def programme_iris(store: ox.Store) -> list[str]:
    found = store.quads_for_pattern(None, ox.NamedNode(RDF.type), ox.NamedNode(GB.Programme))
    return sorted({q.subject.value for q in found if isinstance(q.subject, ox.NamedNode)})


# ------------------------------------------------------------------ saved views


def runnable(view: Any) -> bool:
    """Whether a view runs without being given anything: a SELECT view whose parameters
    (if any) are all optional. The build writes the results of these."""
    return bool(view.form == "select" and not any(p.required for p in view.parameters))


def table_rows(table: Any) -> list[dict[str, Any]]:
    """A view's rows as SPARQL-JSON bindings (unbound cells left out)."""
    from guidebook_kg.sparqlworker import json_term

    return [
        {
            name: json_term(value)
            for name, value in zip(table.columns, row, strict=True)
            if value is not None
        }
        for row in table.rows
    ]


def table_bytes(table: Any, fmt: str) -> bytes:
    """A view's results as SPARQL results in ``fmt`` (json, xml, csv or tsv): the W3C
    formats that any SPARQL tool reads, and the same bytes ``serve`` answers."""
    from guidebook_kg.sparqlworker import RESULT_FORMATS, results_bytes

    return results_bytes(table.columns, table_rows(table), RESULT_FORMATS[fmt][0])


def _write_views(
    writer: _Writer, store: ox.Store, catalogue: Mapping[str, Any], progress: Progress
) -> None:
    from guidebook_kg import views

    chosen = [v for v in catalogue.values() if runnable(v)]
    progress(f"Running {len(chosen)} saved views")
    for view in chosen:
        table = views.run(store, view, {}, dict(catalogue))
        for fmt in ("csv", "json"):
            writer.write(f"{VIEWS_FOLDER}/{view.name}.{fmt}", table_bytes(table, fmt))


# ------------------------------------------------------------------ VoID and DCAT


@dataclass
class Statistics:
    triples: int
    entities: int
    classes: int
    properties: int
    subjects: int
    objects: int
    class_partitions: list[dict[str, Any]]
    property_partitions: list[dict[str, Any]]
    graphs: list[dict[str, Any]]
    programmes: list[str]


def statistics(store: ox.Store, union: Iterable[ox.Triple]) -> Statistics:
    """The VoID numbers, counted over the union of all graphs (each triple once)."""
    triples = 0
    subjects: set[Term] = set()
    objects: set[Term] = set()
    per_property: dict[str, int] = {}
    per_class: dict[str, set[Term]] = {}
    for triple in union:
        triples += 1
        subjects.add(triple.subject)
        objects.add(triple.object)
        predicate = triple.predicate.value
        per_property[predicate] = per_property.get(predicate, 0) + 1
        if predicate == RDF.type and isinstance(triple.object, ox.NamedNode):
            per_class.setdefault(triple.object.value, set()).add(triple.subject)
    entities = sum(1 for s in subjects if isinstance(s, ox.NamedNode) and s.value.startswith(ID))
    graphs = graph_sizes(store)
    return Statistics(
        triples=triples,
        entities=entities,
        classes=len(per_class),
        properties=len(per_property),
        subjects=len(subjects),
        objects=len(objects),
        class_partitions=[
            {"iri": c, "slug": _slug(c), "count": len(members)}
            for c, members in sorted(per_class.items())
        ],
        property_partitions=[
            {"iri": p, "slug": _slug(p), "count": n} for p, n in sorted(per_property.items())
        ],
        graphs=graphs,
        programmes=programme_iris(store),
    )


def _slug(iri: str) -> str:
    # A readable, stable fragment for partition IRIs: the prefixed name when there is
    # one, else a digest.
    short = sitehtml.curie(iri)
    if short != iri:
        cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", short)
        return cleaned
    return hashlib.sha256(iri.encode("utf-8")).hexdigest()[:16]


def data_dates(store: ox.Store) -> list[str]:
    """Publication dates the data states (dcterms:issued/modified/created), sorted."""
    found: set[str] = set()
    for predicate in (DCTERMS.issued, DCTERMS.modified, DCTERMS.created):
        for quad in store.quads_for_pattern(None, ox.NamedNode(predicate), None):
            value = quad.object
            if isinstance(value, ox.Literal) and value.datatype.value in _DATE_TYPES:
                found.add(value.value[:10])
    return sorted(found)


def _distribution(base: str, path: str, file: tuple[int, str]) -> dict[str, Any]:
    size, digest = file
    name = path.rsplit("/", 1)[-1]
    compress = None
    media_type, title = _media_type(name)
    if name.endswith(".gz"):
        compress = media_type
        media_type = "application/gzip"
        title += ", gzip-compressed"
    return {
        "iri": f"{base}{sitehtml.VOID}#file-{re.sub(r'[^A-Za-z0-9._-]+', '-', path)}",
        "path": path,
        "url": base + path,
        "title": title,
        "media_type": media_type,
        "compress": compress,
        "size": size,
        "sha256": digest,
        "dump": path.startswith(DUMP_STEM + "."),
    }


def _media_type(name: str) -> tuple[str, str]:
    stem = name.removesuffix(".gz")
    if stem == CONTEXT_FILE:
        return "application/ld+json", "JSON-LD context"
    extension = stem.rsplit(".", 1)[-1]
    for syntax in SYNTAXES.values():
        if syntax.extension == extension:
            what = "the whole graph" if stem.startswith(DUMP_STEM + ".") else stem
            return syntax.media_type, f"{what} as {syntax.label}"
    raise AssertionError(f"no media type for {name}")


def void_description(
    store: ox.Store,
    *,
    base: str,
    issued: str,
    modified: str,
    stats: Statistics,
    distributions: list[dict[str, Any]],
    examples: list[str],
) -> bytes:
    """The VoID + DCAT description as sorted Turtle."""
    licence = _first_object(store, ONTOLOGY, DCTERMS.license)
    creator = _first_object(store, ONTOLOGY, DCTERMS.creator)
    doc = base + sitehtml.VOID
    return turtle_template(
        "site_void.ttl.j2",
        doc=doc,
        dataset=doc + "#dataset",
        publisher=doc + "#publisher",
        publisher_name=creator.value if isinstance(creator, ox.Literal) else "guidebook-kg",
        license=licence.value if isinstance(licence, ox.NamedNode) else None,
        base=base,
        ontology=ONTOLOGY,
        uri_space=ID,
        version=modified,
        issued=issued,
        modified=modified,
        stats=stats,
        distributions=distributions,
        examples=examples,
    )


def turtle_template(template: str, **values: Any) -> bytes:
    """Render a ``*.ttl.j2`` template and rewrite it as sorted Turtle.

    Values enter the Turtle only through filters that write RDF terms (``iri``, ``lit``,
    ``int``, ``typed``, ``date``), so no value can break the syntax; parsing the result
    checks that, and sorting makes the output independent of template order.
    """
    # Turtle, not HTML: the filters write RDF terms, so HTML escaping must be off.
    env = sitehtml.environment().overlay(autoescape=False)
    env.filters.update(
        iri=_iri_term, lit=_literal_term, int=_int_term, typed=_typed_term, date=_date_term
    )
    text = env.get_template(template).render(**values)
    parser = ox.parse(text.encode("utf-8"), format=ox.RdfFormat.TURTLE)
    triples = [q.triple for q in parser]
    prefixes = dict(sorted(parser.prefixes.items()))
    triples.sort(key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    data = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes)
    return data if data is not None else b""


def _first_object(store: ox.Store, subject: str, predicate: str) -> Term | None:
    found = sorted(
        (
            q.object
            for q in store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None)
        ),
        key=str,
    )
    return found[0] if found else None


def _iri_term(value: str) -> str:
    return str(ox.NamedNode(value))


def _literal_term(value: object) -> str:
    return str(ox.Literal(str(value)))


def _int_term(value: int) -> str:
    return str(ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD.integer)))


def _typed_term(value: object, datatype: str) -> str:
    return str(ox.Literal(str(value), datatype=ox.NamedNode(datatype)))


def _date_term(value: str) -> str:
    datatype = {4: XSD.gYear, 7: XSD.gYearMonth, 10: XSD.date}[len(value)]
    return str(ox.Literal(value, datatype=ox.NamedNode(datatype)))
