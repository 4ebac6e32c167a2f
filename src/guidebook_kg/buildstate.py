"""What a build was made from, so that the next build of the same inputs keeps it.

A build's files are a function of its inputs: the project's files (ontology, data,
shapes, queries), any extra data files, the options (``--base``, ``--release-date``) and
the program (this package's files and the versions of the libraries that shape its
output). After a build, a digest of all of them is kept beside the output folder, in
``.NAME.inputs`` (like the ``.NAME.lock`` the build holds there), with the digest of the
build's ``SHA256SUMS``. The next build with the same digest keeps the folder as it is,
provided every file ``SHA256SUMS`` lists is still there with its checksum: a folder
edited by hand, or replaced, is built again. Anything else that differs builds anew;
there is no partial reuse of a folder whose inputs changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from guidebook_kg import fsutil
from guidebook_kg.project import Project
from guidebook_kg.site import links

# Libraries whose version can change the bytes of a build.
_LIBRARIES = ("pyoxigraph", "jinja2", "pyshacl", "markupsafe")
_FORMAT = 1
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Kept:
    """A previous build kept as it is: its files (sizes, checksums) and counts."""

    files: dict[str, tuple[int, str]]
    triples: int
    programmes: list[str]


def fingerprint(
    project: Project, extra: Sequence[Path], base: str, release_date: str | None
) -> str:
    """The digest of everything a build's bytes depend on."""
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    add("format", str(_FORMAT).encode())
    add("options", json.dumps([base, release_date]).encode())
    add("python", sys.version.encode())
    for name in _LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = ""
        add(f"library {name}", version.encode())
    package = Path(__file__).resolve().parent
    for path in _files_under([package]):
        add(f"program {path.relative_to(package).as_posix()}", _sum(path))
    folders = [project.ontology_dir, project.data_dir, project.shapes_dir, project.queries_dir]
    for path in _files_under(folders):
        add(f"project {path.relative_to(project.root).as_posix()}", _sum(path))
    for path in extra:
        add(f"extra {Path(path).resolve()}", _sum(Path(path)))
    return digest.hexdigest()


def _files_under(folders: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for folder in folders:
        if folder.is_dir():
            found += [
                p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
            ]
    return sorted(found)


def _sum(path: Path) -> bytes:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            sha.update(chunk)
    return sha.digest()


def state_file(out: Path) -> Path:
    return out.parent / f".{out.name}.inputs"


def remember(out: Path, inputs: str, triples: int, programmes: Sequence[str]) -> None:
    """Note that the build now in ``out`` was made from ``inputs``."""
    sums = _sum(out / links.SHA256SUMS).hex()
    state = {
        "format": _FORMAT,
        "inputs": inputs,
        "sha256sums": sums,
        "triples": triples,
        "programmes": list(programmes),
    }
    with fsutil.atomic_write(state_file(out)) as handle:
        handle.write(json.dumps(state, indent=1).encode("utf-8"))


def forget(out: Path) -> None:
    """Drop the note (before ``out`` is replaced)."""
    with contextlib.suppress(FileNotFoundError):
        state_file(out).unlink()


def unchanged(out: Path, inputs: str) -> Kept | None:
    """The build in ``out`` if it was made from ``inputs`` and is whole and untouched."""
    try:
        state = json.loads(state_file(out).read_text(encoding="utf-8"))
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            return None
        if state.get("inputs") != inputs:
            return None
        sums = out / links.SHA256SUMS
        if _sum(sums).hex() != state.get("sha256sums"):
            return None
        files: dict[str, tuple[int, str]] = {}
        for line in sums.read_text(encoding="utf-8").splitlines():
            expected, sep, name = line.partition("  ")
            path = out / name
            if not sep or not path.is_file() or _sum(path).hex() != expected:
                return None
            files[name] = (path.stat().st_size, expected)
        files[links.SHA256SUMS] = (sums.stat().st_size, _sum(sums).hex())
        triples, programmes = state["triples"], state["programmes"]
        if not isinstance(triples, int) or not isinstance(programmes, list):
            return None
        return Kept(files, triples, [str(p) for p in programmes])
    except (OSError, ValueError, KeyError, UnicodeDecodeError):
        return None
