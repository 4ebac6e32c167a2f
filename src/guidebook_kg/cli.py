"""The ``guidebook`` command: thin click wrappers over the library.

Each command parses options, makes one library call and renders the result. Library
errors (:class:`GuidebookError`) become a one-line ``Error: ...`` and their exit code in
:meth:`GuidebookGroup.invoke`, the one place that knows about exit codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import click
import pyoxigraph

from guidebook_kg import export as exporting
from guidebook_kg import store as store_module
from guidebook_kg.errors import GuidebookError
from guidebook_kg.project import Project, find_project


class AppContext:
    """What every command shares: the project, extra data files and a lazily loaded store."""

    def __init__(self, project_dir: Path | None = None, extra: Sequence[Path] = ()) -> None:
        self.project_dir = project_dir
        self.extra = tuple(extra)

    @cached_property
    def project(self) -> Project:
        return find_project(self.project_dir)

    @cached_property
    def store(self) -> pyoxigraph.Store:
        # Loaded on first use, so commands that never touch the graph start instantly.
        return store_module.load(self.project, self.extra)

    @property
    def store_loaded(self) -> bool:
        return "store" in self.__dict__


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
@click.pass_context
def main(ctx: click.Context, project_dir: Path | None, extra: tuple[Path, ...]) -> None:
    """Work with the guidebook knowledge graph of early-intervention programmes.

    \b
    Example:
        guidebook --project . export --format trig --output dist/guidebook.trig
    """
    ctx.obj = AppContext(project_dir, extra)


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
              help="Run on this remote SPARQL 1.1 endpoint instead of the local files. It "
              "must query the union of its graphs as its default graph.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Seconds to wait for the endpoint.")
@pass_app
def query_command(app: AppContext, name: str, pairs: tuple[str, ...], fmt: str,
                  endpoint: str | None, timeout: float) -> None:
    """Run a saved view (or a .rq file) and print its results.

    \b
    Examples:
        guidebook query programme-ratings
        guidebook query child-outcomes --param programme=infant-parent-psychotherapy
        guidebook query programme-search -p age_group=Infants -p min_level=3 --format csv
        guidebook query studies --endpoint http://localhost:7878/query --format json
    """
    from guidebook_kg import render, views

    view = views.find_view(app.project, name)
    catalogue = views.load_views(app.project)
    params = _params(pairs)
    engine: views.Engine
    if endpoint:
        from guidebook_kg import remote

        engine = remote.Endpoint(endpoint, timeout=timeout)
    else:
        engine = views.LocalEngine(app.store)
    if view.form == "select":
        text = render.render_table(views.run_on(engine, view, params, catalogue), fmt)
    else:
        text = render.graph_turtle(views.run_graph_on(engine, view, params, catalogue))
    click.echo(text, nl=False)


@main.command("rate")
@click.argument("programme", required=False, metavar="[PROGRAMME]")
@click.option("--explain", is_flag=True,
              help="Show every criterion, met or not, with the studies behind it, and why "
              "the programme is not rated higher.")
@pass_app
def rate_command(app: AppContext, programme: str | None, explain: bool) -> None:
    """Compare asserted and derived evidence ratings; exit 1 if any disagree.

    PROGRAMME is a slug or an IRI; without it, every programme.

    \b
    Examples:
        guidebook rate
        guidebook rate infant-parent-psychotherapy --explain
    """
    from guidebook_kg import render, views
    from guidebook_kg.errors import ValidationFailed

    catalogue = views.load_views(app.project)
    ratings = views.rate(views.LocalEngine(app.store), catalogue, programme, explain=explain)
    click.echo(render.ratings_text(ratings, explain=explain), nl=False)
    wrong = [r.slug for r in ratings if r.agrees is False]
    if wrong:
        raise ValidationFailed(
            f"{len(wrong)} asserted rating(s) disagree with the evidence standards: "
            + ", ".join(wrong),
            hint="see `guidebook rate PROGRAMME --explain`",
        )


@main.command("page")
@click.argument("programme")
@click.option("--format", "fmt", type=click.Choice(["markdown", "html"]), default="markdown",
              show_default=True, help="Markdown, or a standalone HTML document.")
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
    from guidebook_kg import render, views

    text = render.page(app.store, programme, fmt, views.load_views(app.project))
    if output is None:
        click.echo(text, nl=False)
        return
    from guidebook_kg.fsutil import atomic_write

    with atomic_write(output) as handle:
        handle.write(text.encode("utf-8"))
