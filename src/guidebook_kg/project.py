"""Where the project's files are: the only module that knows the folder names."""

from __future__ import annotations

import errno
import os
from collections.abc import Collection
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

# The loaded graph kept between commands (cache.py), inside the project folder.
CACHE = ".guidebook-cache"


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

    @property
    def cache_dir(self) -> Path | None:
        """Where the loaded graph is kept between commands: ``.guidebook-cache/`` in the
        project folder; None for the copy shipped with the package, which is not the
        user's to write into."""
        return None if self.source == "installed" else self.root / CACHE

    def ontology_files(self) -> list[Path]:
        """``ontology/*.ttl``, sorted."""
        return _files(self.ontology_dir, "*.ttl")

    def data_files(self) -> list[Path]:
        """Every RDF file under ``data/`` (any syntax the loader reads, by extension),
        sorted; each file stem is a programme slug. A symbolic link that leads nowhere or
        loops, or a folder that cannot be read, is an :class:`InputError`: no file is
        skipped without a word."""
        from guidebook_kg.store import FORMATS_BY_EXTENSION  # the syntaxes, by extension

        if not self.data_dir.is_dir():
            return []
        return rdf_files(self.data_dir, FORMATS_BY_EXTENSION)

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


def rdf_files(directory: Path, suffixes: Collection[str]) -> list[Path]:
    """The files under ``directory`` whose extension is one of ``suffixes``, sorted.

    Symbolic links are followed; one that leads nowhere, loops, or reaches a folder a
    second time raises :class:`InputError`, as does a folder that cannot be listed.
    """
    found: list[Path] = []
    seen: dict[Path, Path] = {}

    def visit(folder: Path) -> None:
        real = folder.resolve()
        if real in seen:
            raise InputError(
                f"{where(folder)}: reaches {where(seen[real])} again (a symbolic link "
                "loops or repeats a folder)",
                hint="remove the link, so that every file is read once",
            )
        seen[real] = folder
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as err:
            raise InputError(f"{where(folder)}: cannot list this folder: {err.strerror}") from None
        for entry in entries:
            # DirEntry answers from the listing (a stat only for a symbolic link): a few
            # hundred milliseconds fewer at 10,000 files than asking each Path.
            if entry.is_symlink():
                _check_link(Path(entry.path))
            if entry.is_dir():
                visit(Path(entry.path))
            elif os.path.splitext(entry.name)[1].lower() in suffixes:
                found.append(Path(entry.path))

    visit(directory)
    return sorted(found)


def _check_link(path: Path) -> None:
    try:
        path.stat()
    except FileNotFoundError:
        raise InputError(
            f"{where(path)}: a symbolic link to {os.readlink(path)}, which does not exist",
            hint="fix the link or remove it",
        ) from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise InputError(
                f"{where(path)}: a symbolic link that loops back on itself",
                hint="fix the link or remove it",
            ) from None
        raise InputError(f"{where(path)}: cannot read: {err.strerror}") from None


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
        return _checked(Project(root, "--project"))

    cwd = Path.cwd()
    if (cwd / ONTOLOGY).is_dir():
        return _checked(Project(cwd, "checkout"))
    found = [name for name in (DATA, SHAPES, QUERIES) if (cwd / name).is_dir()]
    if found:
        # A project folder that lost its ontology must not fall back to the shipped copy:
        # its data would then be checked against, and published with, another ontology.
        raise InputError(
            f"{where(cwd)} looks like a guidebook project (it has "
            f"{' and '.join(f + '/' for f in found)}) but has no {ONTOLOGY}/ folder",
            hint=f"restore {ONTOLOGY}/ (the terms, concept schemes and standards), or run "
            "from another folder to use the copy shipped with the package",
        )

    shipped = installed_root()
    if shipped is not None:
        return Project(shipped, "installed")

    raise InputError(
        f"no project found: {cwd} has no {ONTOLOGY}/ folder and the installed package "
        "carries no project copy",
        hint="run from the project root, pass --project DIR, or install the wheel "
        "with `pip install .` (not -e)",
    )


def _checked(project: Project) -> Project:
    # What every project needs: the ontology's terms and concept schemes.
    if not project.ontology_files():
        raise InputError(
            f"{where(project.ontology_dir)}: no ontology file (*.ttl) in this folder",
            hint="restore the ontology files, e.g. ontology/guidebook.ttl",
        )
    return project


def installed_root() -> Path | None:
    """The project copy inside the installed package, if this install has one."""
    resource = files("guidebook_kg") / SHIPPED
    # Only a plain directory on disk will do: the loaders need real file paths.
    if isinstance(resource, Path) and (resource / ONTOLOGY).is_dir():
        return resource
    return None
