"""The ``guidebook`` command: thin click wrappers over the library.

Each command parses options, makes one library call and renders the result. Library
errors (:class:`GuidebookError`) become a one-line ``Error: ...`` and their exit code in
:meth:`GuidebookGroup.invoke`, the one place that knows about exit codes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import click
import pyoxigraph

from guidebook_kg import cache
from guidebook_kg import export as exporting
from guidebook_kg.errors import GuidebookError, UsageError
from guidebook_kg.progress import Progress, counting, for_terminal
from guidebook_kg.project import Project, find_project


class AppContext:
    """What every command shares: the project, extra data files and a lazily loaded store
    (whose loading a long command shows on its ``progress``)."""

    def __init__(self, project_dir: Path | None = None, extra: Sequence[Path] = (),
                 use_cache: bool = False) -> None:
        self.project_dir = project_dir
        self.extra = tuple(extra)
        self.use_cache = use_cache
        self.progress: Progress | None = None

    @cached_property
    def project(self) -> Project:
        return find_project(self.project_dir)

    @cached_property
    def loaded(self) -> cache.Loaded:
        # Loaded on first use, so commands that never touch the graph start instantly.
        if self.progress is None:
            return cache.load(self.project, self.extra, use_cache=self.use_cache)
        project = self.project
        files = len(project.ontology_files()) + len(project.data_files()) + len(self.extra)
        with counting(self.progress, "Loading files", files) as advance:
            done = 0

            def one(_: Path) -> None:
                nonlocal done
                done += 1
                advance(1)

            loaded = cache.load(project, self.extra, use_cache=self.use_cache, on_file=one)
            if done < files:  # the others came from the cache
                advance(files - done)
            return loaded

    @property
    def store(self) -> pyoxigraph.Store:
        return self.loaded.store

    def reporting(self, quiet: bool = False) -> Progress:
        """The progress a long command shows on standard error (see
        :func:`guidebook_kg.progress.for_terminal`), loading included."""
        self.progress = for_terminal(quiet)
        return self.progress

    @property
    def store_loaded(self) -> bool:
        return "loaded" in self.__dict__

    def close(self) -> None:
        """Let go of the loaded graph (and the cache generation it holds)."""
        if self.store_loaded:
            self.loaded.close()
            del self.__dict__["loaded"]


pass_app = click.make_pass_decorator(AppContext)


class GuidebookGroup(click.Group):
    """A click group that turns library errors into messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GuidebookError as error:
            # One line, no traceback: these are mistakes in input the user can fix.
            click.echo(f"Error: {error}", err=True)
            ctx.exit(error.exit_code)


@click.group(cls=GuidebookGroup)
@click.version_option(package_name="guidebook-kg", prog_name="guidebook")
@click.option(
    "--project",
    "project_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Project folder (holds ontology/ and data/). Default: the current directory "
    "when it holds ontology/, else the copy shipped with the package.",
)
@click.option(
    "--data",
    "extra",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Extra data file to load (Turtle, N-Triples, TriG, N-Quads, RDF/XML or "
    "JSON-LD, by extension). Repeatable.",
)
@click.option(
    "--cache/--no-cache",
    "use_cache",
    default=False,
    envvar="GUIDEBOOK_CACHE",
    show_default=True,
    help="Keep the loaded graph in .guidebook-cache/ in the project folder, so that a "
    "command on an unchanged project starts at once and after an edit only the changed "
    "files are loaded and re-validated. Worth it for repeated validate runs on a large "
    "project; the first run writes the cache and is slower, and heavy queries run slower "
    "on it than in memory. Also GUIDEBOOK_CACHE=1.",
)
@click.pass_context
def main(ctx: click.Context, project_dir: Path | None, extra: tuple[Path, ...],
         use_cache: bool) -> None:
    """Work with the guidebook knowledge graph of early-intervention programmes.

    Each command loads the project's files into memory; with --cache the loaded graph
    is kept in .guidebook-cache/ between commands (validate --watch always keeps it).

    \b
    Example:
        guidebook --project . export --format trig --output dist/guidebook.trig
        guidebook --cache validate
    """
    ctx.obj = AppContext(project_dir, extra, use_cache=use_cache)


@main.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(exporting.FORMATS)),
    default="turtle",
    show_default=True,
    help="RDF syntax. trig and nquads keep one named graph per file; the others merge "
    "all graphs into one.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="File to write (replaced atomically). Default: standard output.",
)
@pass_app
def export_command(app: AppContext, fmt: str, output: Path | None) -> None:
    """Write the whole graph (ontology and data) as one RDF file.

    \b
    Examples:
        guidebook export --format nt > guidebook.nt
        guidebook export --format trig --output dist/guidebook.trig
    """
    exporting.export(app.store, fmt, output)


quiet_option = click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="Show no progress. Without it, standard error shows a progress bar on a "
    "terminal and plain step lines elsewhere (a log, a pipe).",
)


class _EngineName(click.ParamType[str]):
    """A registered validation engine; the registry is imported only when the option is
    used or shown, so other commands do not load the validation module."""

    name = "engine"

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str | None:
        from guidebook_kg.validate import ENGINES

        return "[" + "|".join(sorted(ENGINES)) + "]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from guidebook_kg.validate import ENGINES

        if value not in ENGINES:
            self.fail(f"{value!r} is not one of: {', '.join(sorted(ENGINES))}", param, ctx)
        return str(value)


@main.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "turtle"]),
    default="text",
    show_default=True,
    help="text: grouped by resource, for people; json: compact, stable keys; turtle: the "
    "W3C SHACL validation report.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["violation", "warning", "info", "none"]),
    default="violation",
    show_default=True,
    help="Exit 1 when a result is at least this severe (a severity SHACL does not define "
    "counts as a violation).",
)
@click.option("--focus", metavar="PROGRAMME|IRI",
              help="Only results about one programme (slug or IRI: every resource of its "
              "file) or one resource.")
@click.option("--shape", metavar="NAME",
              help="Only results of one shape, e.g. RatingAgreesWithEvidence or gbsh:Study-design.")
@click.option("--engine", type=_EngineName(), default="fast", show_default=True,
              help="Validation engine: fast (whole-graph, same results) or pyshacl "
              "(the reference).")
@click.option("--limit", type=click.IntRange(min=0), default=0, show_default=True,
              help="List at most this many results in the text report (0: all); the "
              "counts per rule at its top cover every result.")
@click.option("--watch", is_flag=True,
              help="Validate again each time a file of the project changes (the ontology, "
              "data, shapes, derivation steps), until Ctrl-C.")
@click.option("--endpoint", metavar="URL",
              help="Validate the data held by this remote SPARQL 1.1 store (loaded with "
              "`guidebook push`) instead of the local files; the same report.")
@click.option("--graph", "graphs", multiple=True, metavar="IRI",
              help="With --endpoint: read these named graphs as the data, instead of the "
              "store's default graph (which must be the union of its graphs). Repeatable.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="With --endpoint: seconds each query may take.")
@click.option("--user", metavar="NAME",
              help="With --endpoint: user for HTTP authentication; the password is read "
              "from the GUIDEBOOK_ENDPOINT_PASSWORD environment variable.")
@click.option("--auth", type=click.Choice(["basic", "digest"]), default="basic",
              show_default=True, help="HTTP authentication scheme used with --user.")
@quiet_option
@pass_app
def validate_command(
    app: AppContext,
    paths: tuple[Path, ...],
    fmt: str,
    fail_on: str,
    focus: str | None,
    shape: str | None,
    engine: str,
    limit: int,
    watch: bool,
    endpoint: str | None,
    graphs: tuple[str, ...],
    timeout: float,
    user: str | None,
    auth: str,
    quiet: bool,
) -> None:
    """Check the graph against the shapes: structure and evidence standards.

    Without PATH, validates the project's ontology and data (plus --data files). With
    PATHs (files or folders), validates those files with the project's ontology. With
    --endpoint, validates what a remote store holds, with the fast engine, query by query
    (nothing is downloaded in bulk); the store needs the ontology and the derived graph,
    as `guidebook push` sends them. Exit status: 0 conforms at --fail-on, 1 results at or
    above it, 3 unreadable data or broken shapes, 4 the endpoint failed or lacks the data.
    With --watch, the status is that of the last validation when Ctrl-C stops it; a file
    that does not load is reported and watched until it does.

    \b
    Examples:
        guidebook validate
        guidebook validate data/programmes/new-programme.ttl --fail-on warning
        guidebook validate --focus infant-parent-psychotherapy --format json
        guidebook validate --shape RatingAgreesWithEvidence
        guidebook validate --limit 20 --quiet
        guidebook validate --watch --limit 20
        guidebook validate --endpoint http://127.0.0.1:7878/query
        guidebook validate --endpoint http://127.0.0.1:8890/sparql --user dba --auth digest
    """
    from guidebook_kg import validate as validating

    if endpoint:
        if watch:
            raise UsageError("--watch watches the project's files, not a store",
                             hint="leave out --endpoint or --watch")
        progress = app.reporting(quiet)
        report = _validate_endpoint(app, endpoint, paths, engine, graphs, timeout, user, auth,
                                    focus, shape, progress)
        click.echo(validating.render(report, fmt, limit=limit or None), nl=False)
        validating.verdict(report, fail_on)
        return
    if graphs or user:
        raise UsageError(f"{'--graph' if graphs else '--user'} needs --endpoint",
                         hint="locally, every graph is read")

    def once(context: AppContext, decided: Callable[[GuidebookError | None], None] = _ignore
             ) -> None:
        progress = context.reporting(quiet)
        if paths:
            data = validating.load_paths(context.project, [*paths, *context.extra], progress)
        else:
            data = context.store
        report = validating.validate(data, context.project, engine=engine, focus=focus,
                                     shape=shape, progress=progress)
        # The outcome is known before the report is written: a Ctrl-C while a long
        # report is still being written ends --watch with this run's status.
        failed: GuidebookError | None = None
        try:
            validating.verdict(report, fail_on)
        except GuidebookError as error:
            failed = error
        decided(failed)
        click.echo(validating.render(report, fmt, limit=limit or None), nl=False)
        if failed is not None:
            raise failed

    if not watch:
        once(app)
        return
    # A steward at work re-validates after every save: only what the edit reaches.
    _watch(AppContext(app.project_dir, app.extra, use_cache=True), once)


def _ignore(_: object) -> None:
    return None


def _watch(app: AppContext,
           once: Callable[[AppContext, Callable[[GuidebookError | None], None]], None]
           ) -> None:
    """Run ``once`` now and after every change to the project's files; on Ctrl-C, end
    with the last run's outcome (``once`` tells it as soon as it is known)."""
    import datetime

    from guidebook_kg import watching

    outcome: GuidebookError | None = None

    def decided(result: GuidebookError | None) -> None:
        nonlocal outcome
        outcome = result

    def run(context: AppContext) -> None:
        try:
            once(context, decided)
        except GuidebookError as error:
            decided(error)
            click.echo(f"Error: {error}", err=True)
        finally:
            context.close()

    project = app.project
    before = watching.snapshot(project, app.extra)
    run(app)
    click.echo("Watching the project's files for changes (Ctrl-C to stop).", err=True)
    try:
        for files in watching.changes(project, app.extra, since=before):
            shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3
                                             else "")
            stamp = datetime.datetime.now().strftime("%H:%M:%S")
            click.echo(f"\n[{stamp}] changed: {shown}", err=True)
            run(AppContext(app.project_dir, app.extra, app.use_cache))
    except KeyboardInterrupt:
        click.get_current_context().exit(outcome.exit_code if outcome is not None else 0)


def _validate_endpoint(app: AppContext, endpoint: str, paths: Sequence[Path], engine: str,
                       graphs: Sequence[str], timeout: float, user: str | None, auth: str,
                       focus: str | None, shape: str | None, progress: Progress) -> Any:
    import os

    from guidebook_kg.remotevalidate import validate_endpoint

    if paths or app.extra:
        raise UsageError("--endpoint validates what the store holds: no PATH or --data with it",
                         hint="push the files first (guidebook push), then validate the store")
    if engine != "fast":
        raise UsageError("--endpoint works with the fast engine only",
                         hint="leave out --engine")
    return validate_endpoint(endpoint, app.project, graphs=graphs, timeout=timeout, user=user,
                             password=os.environ.get("GUIDEBOOK_ENDPOINT_PASSWORD"), auth=auth,
                             focus=focus, shape=shape, progress=progress)


@main.command("build")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dist"),
    show_default=True,
    help="Folder to write. It is replaced as a whole, and only when the build succeeds; "
    "an existing folder must be empty or a previous build.",
)
@click.option(
    "--release-date",
    metavar="YYYY-MM-DD",
    help="Date of this release, for the dataset description. Default: the latest "
    "publication date the data states (never the clock, so builds are repeatable).",
)
@click.option(
    "--base",
    default=None,
    metavar="IRI",
    help="IRI at which the site root is published (download and endpoint URLs in "
    "void.ttl). Default: https://w3id.org/guidebook-kg/",
)
@quiet_option
@pass_app
def build_command(
    app: AppContext, out: Path, release_date: str | None, base: str | None, quiet: bool
) -> None:
    """Validate, check every rating, and publish the whole site into a folder.

    Writes dumps (Turtle, N-Triples and .nt.gz, JSON-LD, RDF/XML, TriG, N-Quads), the
    JSON-LD context, VoID/DCAT-AP with checksums, the ontology and shapes with HTML
    documentation, a page per programme, study, outcome, concept and other resource (with
    .ttl and .jsonld), the programme list, finder and comparison, and the results of every
    saved view that needs no parameters; every link is relative, so the folder browses
    offline. Same inputs give byte-identical files. Exit status 1 (and nothing written)
    when the data breaks a shape or a rating disagrees with the evidence.

    \b
    Examples:
        guidebook build
        guidebook build --out site --release-date 2026-12-01
    """
    from guidebook_kg import publish

    kwargs = {} if base is None else {"base": base}
    # Checked before the graph is loaded: a bad option is known at once.
    publish.check_options(**kwargs, release_date=release_date)
    progress = app.reporting(quiet)
    try:
        result = publish.build(
            app.project,
            app.store,
            out,
            release_date=release_date,
            progress=progress,
            loaded_from=app.extra,
            **kwargs,
        )
    except publish.BuildRefused as refused:
        click.echo(refused.details, err=True, nl=False)
        raise
    click.echo(
        f"Wrote {len(result.files)} files to {out}/ "
        f"({result.triples} triples, {len(result.programmes)} programmes)",
        err=True,
    )


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--base",
    default=None,
    metavar="IRI",
    help="IRI that the server root stands for: a request for /id/... answers for "
    "BASE + id/... Default: https://w3id.org/guidebook-kg/",
)
@click.option(
    "--site",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Serve this build (from `guidebook build`) instead of building one first.",
)
@click.option(
    "--timeout",
    "query_timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds a SPARQL query may run before it is stopped with an error (503).",
)
@click.option(
    "--row-cap",
    default=10_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Most rows (or triples) a SPARQL answer holds; a cut answer says so in the "
    "X-SPARQL-Truncated header.",
)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="SPARQL worker processes (each holds a copy of the data).",
)
@click.option(
    "--queue",
    default=64,
    show_default=True,
    type=click.IntRange(min=0),
    help="Most SPARQL queries that may wait for a worker; more are answered 503 with "
    "Retry-After. Time spent waiting counts toward --timeout.",
)
@click.option(
    "--allow-service",
    "allowed_services",
    multiple=True,
    metavar="URL",
    help="Let queries call this SPARQL endpoint with SERVICE. Federation is refused "
    "(400) by default, since the server would make the requests. Repeatable.",
)
@click.option("--release-date", metavar="YYYY-MM-DD", help="As for `guidebook build`.")
@pass_app
def serve_command(
    app: AppContext,
    host: str,
    port: int,
    base: str | None,
    site: Path | None,
    query_timeout: float,
    row_cap: int,
    workers: int,
    queue: int,
    allowed_services: tuple[str, ...],
    release_date: str | None,
) -> None:
    """Serve the knowledge graph over HTTP: SPARQL, dereferenceable IRIs, dumps, views.

    Builds the site first (as `guidebook build`, so invalid data is refused), then serves
    /sparql (SPARQL 1.1 Protocol, read-only), every IRI under --base at its path (HTML or
    RDF by Accept), /.well-known/void, the dumps, the ontology documentation, a landing
    page and each saved view at /views/NAME. Ctrl-C stops it.

    \b
    Examples:
        guidebook serve
        guidebook serve --port 8080 --timeout 10 --row-cap 5000
        curl -H 'Accept: text/turtle' http://127.0.0.1:8000/id/programme/infant-parent-psychotherapy
    """
    from guidebook_kg import publish, server

    # Checked before the graph is loaded: a busy port or a bad date is known at once.
    if release_date is not None:
        publish.check_release_date(release_date)
    listener = server.listen(host, port)
    settings = server.Settings(
        query_timeout=query_timeout,
        row_cap=row_cap,
        workers=workers,
        queue=queue,
        allowed_services=allowed_services,
    )
    if base is not None:
        settings.base = base
    progress = app.reporting()
    try:
        server.run(
            app.project,
            app.store,
            host=host,
            port=port,
            settings=settings,
            site=site,
            release_date=release_date,
            progress=progress,
            listener=listener,
        )
    finally:
        listener.close()


def _params(pairs: Sequence[str]) -> dict[str, str]:
    """``--param KEY=VALUE`` options as a dict; a repeated key keeps the last value."""
    from guidebook_kg.errors import InputError

    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(
                f"--param {pair!r} is not KEY=VALUE", hint="e.g. --param min_level=3"
            )
        params[key.strip()] = value
    return params


@main.command("queries")
@pass_app
def queries_command(app: AppContext) -> None:
    """List the saved views (queries/*.rq): name, summary and parameters.

    \b
    Example:
        guidebook queries
    """
    from guidebook_kg import views

    for view in views.load_views(app.project).values():
        click.echo(f"{view.name}\n    {view.summary}")
        for parameter in view.parameters:
            described = f": {parameter.description}" if parameter.description else ""
            click.echo(f"    --param {parameter.describe()}{described}")


@main.command("query")
@click.argument("name", metavar="NAME|FILE.rq")
@click.option("--param", "-p", "pairs", multiple=True, metavar="KEY=VALUE",
              help="A view parameter, bound as an RDF term (see `guidebook queries`). "
              "Repeatable.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json", "markdown"]),
              default="table", show_default=True,
              help="table: aligned, for people; csv/tsv: for spreadsheets; json: SPARQL 1.1 "
              "results JSON; markdown: a Markdown table. CONSTRUCT views print Turtle.")
@click.option("--endpoint", metavar="URL",
              help="Run on this remote SPARQL 1.1 endpoint instead of the local files. Views "
              "read its default graph, which must be the union of its graphs (or see --graph).")
@click.option("--graph", "graphs", multiple=True, metavar="IRI",
              help="With --endpoint: read these named graphs as the default graph (the "
              "protocol's default-graph-uri). Repeatable.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Seconds the query may run (locally, or waiting for the endpoint).")
@click.option("--allow-service", "allowed_services", multiple=True, metavar="URL",
              help="Let local queries call this SPARQL endpoint with SERVICE (refused by "
              "default). Repeatable.")
@pass_app
def query_command(app: AppContext, name: str, pairs: tuple[str, ...], fmt: str,
                  endpoint: str | None, graphs: tuple[str, ...], timeout: float,
                  allowed_services: tuple[str, ...]) -> None:
    """Run a saved view (or a .rq file) and print its results.

    With --endpoint, a view that comes back empty because the store's default graph
    leaves out the named graphs holding the data is an error (exit 4) that says how to
    fix it for that store. A .rq file needs no '#+' header: its columns are the query's
    own. Local queries that call other endpoints (SERVICE) are refused unless
    --allow-service lists them. Exit status 3 for a query that does not parse, is refused
    or runs out of --timeout.

    \b
    Examples:
        guidebook query programme-ratings
        guidebook query child-outcomes --param programme=infant-parent-psychotherapy
        guidebook query programme-search -p age_group=Infants -p min_level=3 --format csv
        guidebook query studies --endpoint http://localhost:7878/query --format json
        guidebook query programmes --endpoint http://localhost:7878/query \\
            --graph https://example.org/guidebook
        guidebook query my-question.rq --timeout 10
    """
    from guidebook_kg import render, views
    from guidebook_kg.errors import UsageError
    from guidebook_kg.querytext import Federation

    view = views.find_view(app.project, name)
    catalogue = views.load_views(app.project)
    params = _params(pairs)
    engine: views.Engine
    if graphs and not endpoint:
        raise UsageError("--graph needs --endpoint", hint="locally, every graph is read")
    if endpoint:
        from guidebook_kg import remote

        engine = remote.Endpoint(endpoint, timeout=timeout, default_graphs=graphs)
    else:
        engine = views.LocalEngine(
            app.store, federation=Federation.allowing(allowed_services), timeout=timeout
        )
    if view.form == "select":
        text = render.render_table(views.run_on(engine, view, params, catalogue), fmt)
    else:
        text = render.graph_turtle(views.run_graph_on(engine, view, params, catalogue))
    click.echo(text, nl=False)


@main.command("rate")
@click.argument("programme", required=False, metavar="[PROGRAMME]")
@click.option("--explain", is_flag=True,
              help="Show every criterion of every assessment, met, not met or not derivable, "
              "with the studies behind it, and why the programme is not rated higher.")
@pass_app
def rate_command(app: AppContext, programme: str | None, explain: bool) -> None:
    """Each assessment's stated rating beside the rating its studies support.

    PROGRAMME is a slug or an IRI; without it, every programme. Assessments are shown
    oldest first, each judged on the studies it considered; when a record lacks facts the
    evidence standards need, the rating is "not derivable" and the output says what is
    missing. Exit status 1 when `guidebook validate` would report a violation of the
    rating rules (shapes/ratings.ttl), and the message says which.

    \b
    Examples:
        guidebook rate
        guidebook rate infant-parent-psychotherapy --explain
        guidebook rate parents-as-first-teachers
    """
    from guidebook_kg import render, views
    from guidebook_kg import validate as validating
    from guidebook_kg.errors import ValidationFailed
    from guidebook_kg.report import Severity

    catalogue = views.load_views(app.project)
    ratings = views.rate(views.LocalEngine(app.store), catalogue, programme, explain=explain)
    click.echo(render.ratings_text(ratings, explain=explain), nl=False)
    report = validating.check_ratings(app.store, app.project, focus=programme)
    failing = report.at_or_above(Severity.VIOLATION)
    if failing:
        rules = sorted({r.source_shape.rstrip(">").rpartition("#")[2] for r in failing})
        where = sorted({report.programmes.get(r.focus_node, r.focus_node) for r in failing})
        raise ValidationFailed(
            f"guidebook validate reports {len(failing)} violation(s) of the rating rules "
            f"({', '.join(rules)}) for {', '.join(where)}",
            hint="see `guidebook validate --shape RULE` and `guidebook rate PROGRAMME --explain`",
        )


@main.command("page")
@click.argument("programme")
@click.option("--format", "fmt", type=click.Choice(["markdown", "html"]), default="markdown",
              show_default=True, help="Markdown, or the site's programme page as a document "
              "read on its own (its links are the resources' IRIs).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="File to write (replaced atomically). Default: standard output.")
@pass_app
def page_command(app: AppContext, programme: str, fmt: str, output: Path | None) -> None:
    """Render a programme's Guidebook page from the graph.

    PROGRAMME is a slug or an IRI.

    \b
    Examples:
        guidebook page infant-parent-psychotherapy
        guidebook page infant-parent-psychotherapy --format html -o ipp.html
    """
    from guidebook_kg import views
    from guidebook_kg.site import programme as programme_page

    text = programme_page.page(app.store, programme, fmt, views.load_views(app.project))
    if output is None:
        click.echo(text, nl=False)
        return
    from guidebook_kg.fsutil import write_output

    write_output(output, lambda handle: handle.write(text.encode("utf-8")))


@main.command("map")
@click.option("--format", "fmt", type=click.Choice(["svg", "html"]), default="svg",
              show_default=True, help="svg: the picture alone; html: a page read on its own, "
              "with the picture, its key and the table of its cells (links are the IRIs).")
@click.option("--age-group", metavar="CONCEPT",
              help="Only programmes whose evidence relates to this age group, e.g. Infants.")
@click.option("--setting", metavar="CONCEPT",
              help="Only programmes delivered, or possibly delivered, in this setting, e.g. Home.")
@click.option("--targeting", metavar="CONCEPT",
              help="Only programmes targeted this way, e.g. Universal.")
@click.option("--endpoint", metavar="URL",
              help="Draw the map from this remote SPARQL 1.1 endpoint instead of the local "
              "files (its default graph must be the union of its graphs, or see --graph).")
@click.option("--graph", "graphs", multiple=True, metavar="IRI",
              help="With --endpoint: read these named graphs as the default graph. Repeatable.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Seconds each query may run (locally, or waiting for the endpoint).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="File to write (replaced atomically). Default: standard output.")
@pass_app
def map_command(app: AppContext, fmt: str, age_group: str | None, setting: str | None,
                targeting: str | None, endpoint: str | None, graphs: tuple[str, ...],
                timeout: float, output: Path | None) -> None:
    """Draw the evidence gap map: programmes by child-outcome domain.

    Each cell is a programme's child-outcome findings in one domain (a row of the
    evidence-map view): a circle sized by how many there are, filled by the strongest
    rating of the studies behind them, with their improvement indices in words; what a
    record lacks is said, not drawn. The filters are the view's parameters; concept
    values as `guidebook query concepts` lists them (label, notation or IRI).

    \b
    Examples:
        guidebook map -o map.svg
        guidebook map --format html --age-group Infants -o infants.html
        guidebook map --endpoint http://127.0.0.1:7878/query --setting Home
    """
    from guidebook_kg import views
    from guidebook_kg.errors import UsageError
    from guidebook_kg.prefixes import BASE
    from guidebook_kg.site import evidencemap
    from guidebook_kg.site.links import IriLinks

    params = {
        name: value
        for name, value in (("age_group", age_group), ("setting", setting),
                            ("targeting", targeting))
        if value
    }
    catalogue = views.load_views(app.project)
    engine: views.Engine
    if graphs and not endpoint:
        raise UsageError("--graph needs --endpoint", hint="locally, every graph is read")
    if endpoint:
        from guidebook_kg import remote

        engine = remote.Endpoint(endpoint, timeout=timeout, default_graphs=graphs)
    else:
        engine = views.LocalEngine(app.store, timeout=timeout)
    text = evidencemap.standalone(engine, catalogue, params, fmt, IriLinks(BASE))
    if output is None:
        click.echo(text, nl=False)
        return
    from guidebook_kg.fsutil import write_output

    write_output(output, lambda handle: handle.write(text.encode("utf-8")))


@main.command("push")
@click.option(
    "--endpoint",
    required=True,
    metavar="URL",
    help="The store's SPARQL query endpoint, e.g. http://127.0.0.1:7878/query (Oxigraph).",
)
@click.option(
    "--update",
    "update_url",
    metavar="URL",
    help="Its SPARQL Update endpoint. Default: .../update beside a .../query or .../sparql "
    "endpoint.",
)
@click.option(
    "--gsp",
    "gsp_url",
    metavar="URL",
    help="Its Graph Store Protocol service. Default: .../store beside the endpoint (Oxigraph).",
)
@click.option(
    "--graph",
    metavar="IRI",
    help="Write everything into this one named graph, instead of one graph per programme "
    "file plus one for the ontology.",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Replace target graphs that already hold data (each one in a single step).",
)
@click.option(
    "--timeout",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds to wait for each HTTP request.",
)
@click.option(
    "--user",
    metavar="NAME",
    help="User for HTTP authentication; the password is read from the "
    "GUIDEBOOK_ENDPOINT_PASSWORD environment variable.",
)
@click.option(
    "--auth",
    type=click.Choice(["basic", "digest"]),
    default="basic",
    show_default=True,
    help="HTTP authentication scheme used with --user (Virtuoso wants digest).",
)
@quiet_option
@pass_app
def push_command(
    app: AppContext,
    endpoint: str,
    update_url: str | None,
    gsp_url: str | None,
    graph: str | None,
    replace: bool,
    timeout: float,
    user: str | None,
    auth: str,
    quiet: bool,
) -> None:
    """Load the graph into a SPARQL 1.1 store and check it by counting triples there.

    Each graph is uploaded (Graph Store Protocol) to a staging graph, counted, then moved
    into place with one SPARQL Update, so no graph is ever left half-replaced. Exit status
    4 when the store fails part-way (the message says which graphs were written), 2 when
    target graphs hold data and --replace is not given.

    \b
    Examples:
        guidebook push --endpoint http://127.0.0.1:7878/query --replace
        guidebook push --endpoint http://localhost:3030/ds/sparql \\
            --update http://localhost:3030/ds/update --gsp http://localhost:3030/ds/data
    """
    import os

    from guidebook_kg import push as pushing

    endpoints = pushing.Endpoints.from_query_url(endpoint, update_url, gsp_url)
    progress = app.reporting(quiet)
    report = pushing.push(
        app.project,
        app.store,
        endpoints,
        graph=graph,
        replace=replace,
        timeout=timeout,
        user=user,
        password=os.environ.get("GUIDEBOOK_ENDPOINT_PASSWORD"),
        auth=auth,
        progress=progress,
    )
    click.echo(
        f"Pushed {report.triples} triples in {len(report.graphs)} graph(s) to {endpoint}; "
        "the remote counts match."
    )


@main.command("synth")
@click.argument("count", type=click.IntRange(min=1))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Project folder to create (must not exist, or be empty).")
@click.option("--seed", default=0, show_default=True, type=int,
              help="Same seed, same programmes: programme i does not depend on COUNT.")
@click.option("--inject-errors", is_flag=True,
              help="Break one programme per kind of error the shapes catch; the list "
              "(focus node and path of each) is written to synthetic.json.")
@quiet_option
@pass_app
def synth_command(
    app: AppContext, count: int, out: Path, seed: int, inject_errors: bool, quiet: bool
) -> None:
    """Write a project with COUNT synthetic programmes, to benchmark or test at scale.

    The programmes are shaped like the real data (2-6 studies with references, 3-8
    findings, key characteristics, an assessment whose rating its studies support);
    the folder also gets this project's ontology, shapes and queries, so every command
    runs on it with --project.

    \b
    Example:
        guidebook synth 1000 --out /tmp/guidebook-1k --inject-errors
        guidebook --project /tmp/guidebook-1k validate
    """
    from guidebook_kg import synthetic

    made = synthetic.generate(count, out, seed=seed, inject_errors=inject_errors,
                              source=app.project, progress=app.reporting(quiet))
    errors = f", {len(made.errors)} injected errors" if inject_errors else ""
    click.echo(f"Wrote {count} programmes ({made.triples} triples{errors}) to {out}/", err=True)
