"""Where the project's files are: the only module that knows the folder names."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Literal

from guidebook_kg.errors import InputError, where

Source = Literal["checkout", "--project", "installed"]

ONTOLOGY = "ontology"
DATA = "data"
SHAPES = "shapes"
# The rating rules within shapes/: what `guidebook rate` checks.
RATING_RULES = "ratings.ttl"
QUERIES = "queries"
# The derivation steps (CONSTRUCT queries) under queries/.
DERIVATION = "derivation"

# The wheel carries the four folders here (see force-include in pyproject.toml).
SHIPPED = "_project"


@dataclass(frozen=True)
class Project:
    """A project folder holding ontology/, data/, shapes/ and queries/."""

    root: Path
    source: Source = "checkout"

    @property
    def ontology_dir(self) -> Path:
        return self.root / ONTOLOGY

    @property
    def data_dir(self) -> Path:
        return self.root / DATA

    @property
    def shapes_dir(self) -> Path:
        return self.root / SHAPES

    @property
    def queries_dir(self) -> Path:
        return self.root / QUERIES

    def ontology_files(self) -> list[Path]:
        """``ontology/*.ttl``, sorted."""
        return _files(self.ontology_dir, "*.ttl")

    def data_files(self) -> list[Path]:
        """``data/**/*.ttl``, sorted; each file stem is a programme slug."""
        return _files(self.data_dir, "**/*.ttl")

    def shape_files(self) -> list[Path]:
        """``shapes/*.ttl``, sorted."""
        return _files(self.shapes_dir, "*.ttl")

    def derivation_files(self) -> list[Path]:
        """``queries/derivation/*.rq``, in file-name order: the steps of the derivation."""
        return _files(self.queries_dir / DERIVATION, "*.rq")

    @property
    def rating_rules(self) -> Path:
        """``shapes/ratings.ttl``: the shapes that compare stated ratings with the evidence."""
        return self.shapes_dir / RATING_RULES

    def query_files(self) -> list[Path]:
        """``queries/*.rq``, sorted; each file stem is a view name."""
        return _files(self.queries_dir, "*.rq")


def _files(directory: Path, pattern: str) -> list[Path]:
    return sorted(p for p in directory.glob(pattern) if p.is_file())


def find_project(explicit: Path | None = None) -> Project:
    """Find the project: ``--project DIR``, else the working directory, else the shipped copy."""
    if explicit is not None:
        root = explicit.expanduser().resolve()
        if not root.is_dir():
            raise InputError(
                f"--project {where(explicit)}: no such directory"
                if not root.exists()
                else f"--project {where(explicit)}: not a directory",
                hint="pass the folder that holds ontology/ and data/",
            )
        if not (root / ONTOLOGY).is_dir():
            raise InputError(
                f"--project {where(explicit)}: this folder has no {ONTOLOGY}/ folder",
                hint="pass the project root, the folder that holds ontology/ and data/",
            )
        return Project(root, "--project")

    cwd = Path.cwd()
    if (cwd / ONTOLOGY).is_dir():
        return Project(cwd, "checkout")

    shipped = installed_root()
    if shipped is not None:
        return Project(shipped, "installed")

    raise InputError(
        f"no project found: {cwd} has no {ONTOLOGY}/ folder and the installed package "
        "carries no project copy",
        hint="run from the project root, pass --project DIR, or install the wheel "
        "with `pip install .` (not -e)",
    )


def installed_root() -> Path | None:
    """The project copy inside the installed package, if this install has one."""
    resource = files("guidebook_kg") / SHIPPED
    # Only a plain directory on disk will do: the loaders need real file paths.
    if isinstance(resource, Path) and (resource / ONTOLOGY).is_dir():
        return resource
    return None
