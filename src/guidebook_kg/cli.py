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
