"""Waiting for the project's files to change (``guidebook validate --watch``).

The files are polled: every ontology, data, derivation and shapes file (and the extra
``--data`` files) is looked at each ``interval`` seconds; a change is reported once the
files have stayed the same for ``settle`` seconds (an editor that saves in several steps
is seen once). Polling needs nothing from the platform and costs about a tenth of a
second per look at 10,000 files.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from guidebook_kg.errors import GuidebookError
from guidebook_kg.project import Project

Snapshot = dict[str, tuple[int, int, int, int]]


def snapshot(project: Project, extra: Sequence[Path] = ()) -> Snapshot:
    """Each input file's size, times and inode (absent files are left out)."""
    paths: list[Path] = [*project.ontology_files(), *project.shape_files(),
                         *project.derivation_files(), *extra]
    with contextlib.suppress(GuidebookError):  # a broken link under data/: validating says so
        paths += project.data_files()
    out: Snapshot = {}
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            continue
        out[str(path)] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    return out


def changed(before: Snapshot, after: Snapshot) -> list[str]:
    """The files added, removed or changed between two snapshots, sorted."""
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def changes(project: Project, extra: Sequence[Path] = (), *, interval: float = 1.0,
            settle: float = 0.3, sleep: Callable[[float], None] = time.sleep,
            since: Snapshot | None = None) -> Iterator[list[str]]:
    """Each time the project's files change: the files that did (forever; stop by not
    asking for the next). Changes are counted from ``since`` (taken before the work the
    caller did first, so an edit made meanwhile is not missed), else from now."""
    current = snapshot(project, extra) if since is None else since
    while True:
        sleep(interval)
        seen = snapshot(project, extra)
        if seen == current:
            continue
        while True:  # wait until the edit is finished
            sleep(settle)
            again = snapshot(project, extra)
            if again == seen:
                break
            seen = again
        yield changed(current, seen)
        current = seen
