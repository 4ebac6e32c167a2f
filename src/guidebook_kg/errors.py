"""Errors with a documented exit code; cli.py maps them to the process status."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar


class GuidebookError(Exception):
    """A failure the user can fix; its message says where and how."""

    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class ValidationFailed(GuidebookError):
    """The data does not conform to the shapes, or a rating does not match."""

    exit_code = 1


class UsageError(GuidebookError):
    """The command was called in a way that cannot work."""

    exit_code = 2


class InputError(GuidebookError):
    """Bad input: an unparseable file, an unknown view or programme, a bad parameter."""

    exit_code = 3


class EndpointError(GuidebookError):
    """A remote SPARQL endpoint failed or could not be reached."""

    exit_code = 4


def where(path: Path | str, line: int | None = None, column: int | None = None) -> str:
    """Format a location as editors and compilers do: ``path:line:column``."""
    shown = _short(Path(path))
    if line is None:
        return shown
    if column is None:
        return f"{shown}:{line}"
    return f"{shown}:{line}:{column}"


def _short(path: Path) -> str:
    # Relative paths are what a user can click or paste; fall back to the absolute
    # path when the file lives outside the working directory.
    try:
        rel = Path(os.path.relpath(path))
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if rel.parts[:1] == ("..",) else str(rel)
