"""The loaded graph kept between commands (``cache.py``): never stale, never trusted when
damaged, bypassed by ``--no-cache``; and ``guidebook validate --watch``.

Every check compares the cached graph with the project loaded afresh in memory, after an
edit, an added file, a removed file and a damaged cache.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from guidebook_kg import cache, watching
from guidebook_kg import store as store_module
from guidebook_kg.project import CACHE, Project, find_project

REPO = Path(__file__).resolve().parent.parent
IPP = "infant-parent-psychotherapy"

pytestmark = pytest.mark.slow  # each test loads the project a few times


@pytest.fixture
def project(tmp_path: Path) -> Project:
    for folder in ("ontology", "data", "shapes", "queries"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    return find_project(tmp_path)


def quads(store: ox.Store) -> set[ox.Quad]:
    """The store's quads, blank nodes named canonically (each load names them anew)."""
    dataset = ox.Dataset(store)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return set(dataset)


def fresh(project: Project) -> set[ox.Quad]:
    return quads(store_module.load(project))


def loaded(project: Project, **options: bool) -> tuple[str, set[ox.Quad]]:
    found = cache.load(project, **options)
    try:
        return found.how, quads(found.store)
    finally:
        found.close()


def ipp(project: Project) -> Path:
    return next(p for p in project.data_files() if p.stem == IPP)


def test_an_unchanged_project_is_read_from_the_cache(project: Project) -> None:
    how, first = loaded(project)
    assert how == "built"
    how, second = loaded(project)
    assert how == "read"
    assert first == second == fresh(project)


def test_an_edited_file_is_reloaded_alone(project: Project,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    loaded(project)
    path = ipp(project)
    text = path.read_text(encoding="utf-8")
    assert "gb:studyRating gbc:study-rating-3" in text
    path.write_text(text.replace("gb:studyRating gbc:study-rating-3",
                                 "gb:studyRating gbc:study-rating-2", 1), encoding="utf-8")
    reloaded: list[str] = []
    real_load = store_module.load_file

    def spy(store: ox.Store, file: Path, *args: object, **kwargs: object) -> object:
        reloaded.append(os.path.realpath(file))
        return real_load(store, file, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store_module, "load_file", spy)
    how, after = loaded(project)
    assert how == "updated"
    assert reloaded == [os.path.realpath(path)]  # that file, and no other
    monkeypatch.undo()
    assert after == fresh(project)


def test_an_added_file_is_noticed(project: Project) -> None:
    loaded(project)
    copy = ipp(project).with_name("a-copy-of-ipp.ttl")
    copy.write_text("<https://w3id.org/guidebook-kg/id/programme/a-copy-of-ipp> "
                    "<http://www.w3.org/2000/01/rdf-schema#label> \"A new one\"@en .\n",
                    encoding="utf-8")
    how, after = loaded(project)
    assert how in ("updated", "built")
    assert after == fresh(project)
    assert any("a-copy-of-ipp" in str(q.graph_name) for q in after)


def test_a_removed_file_is_noticed(project: Project) -> None:
    how, before = loaded(project)
    ipp(project).unlink()
    how, after = loaded(project)
    assert how in ("updated", "built")
    assert after == fresh(project)
    assert after != before
    assert not any(str(q.graph_name).endswith(f"/{IPP}>") for q in after)


def test_an_edit_within_the_clock_tick_is_noticed(project: Project) -> None:
    # Same size, same modification time: the content hash still sees it.
    loaded(project)
    path = ipp(project)
    st = path.stat()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("study-rating-3", "study-rating-2", 1), encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    _, after = loaded(project)
    assert after == fresh(project)


@pytest.mark.parametrize("damage", ["state", "store", "current", "truncate-sst"])
def test_a_damaged_cache_is_rebuilt_not_trusted(project: Project, damage: str) -> None:
    expected = fresh(project)
    loaded(project)
    folder = project.root / CACHE
    generation = folder / (folder / "current").read_text(encoding="utf-8").strip()
    if damage == "state":
        (generation / "state.json").write_text("{not json", encoding="utf-8")
    elif damage == "store":
        shutil.rmtree(generation / "store")
    elif damage == "current":
        (folder / "current").write_text("g999999\n", encoding="utf-8")
    else:
        sst = max((generation / "store").glob("*.sst"), key=lambda p: p.stat().st_size)
        sst.write_bytes(sst.read_bytes()[: sst.stat().st_size // 2])
    how, after = loaded(project)
    assert how == "built"
    assert after == expected


def test_no_cache_loads_afresh_and_leaves_the_cache_alone(project: Project) -> None:
    how, after = loaded(project, use_cache=False)
    assert how == "uncached"
    assert after == fresh(project)
    assert not (project.root / CACHE).exists()


def test_the_command_line_option(project: Project) -> None:
    # without --cache (the default) and with --no-cache: no cache folder written; with
    # --cache or GUIDEBOOK_CACHE=1, one is
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "guidebook_kg", "--project",
                               str(project.root), *args], capture_output=True, text=True,
                              check=False, timeout=300)

    assert run("validate").returncode == 0
    assert not (project.root / CACHE).exists()
    assert run("--no-cache", "validate").returncode == 0
    assert not (project.root / CACHE).exists()
    assert run("--cache", "validate").returncode == 0
    assert (project.root / CACHE / "current").is_file()


# ----------------------------------------------------------------------------- --watch


def test_validate_watch_reports_again_after_an_edit(project: Project) -> None:
    path = ipp(project)
    text = path.read_text(encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "guidebook_kg", "--project", str(project.root), "validate",
         "--watch"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
        # Ctrl-C as at a terminal, even when the tests run as a background job (which
        # starts with SIGINT ignored, and children inherit that)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stdout is not None
    lines: list[str] = []
    arriving: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            arriving.put(line)

    threading.Thread(target=read, daemon=True).start()

    def wait_for(words: str, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = arriving.get(timeout=left)
            except queue.Empty:
                break
            lines.append(line)
            if words in line:
                return
        raise AssertionError(f"{words!r} not seen in:\n{''.join(lines)}")

    try:
        wait_for("Watching the project's files")
        conforming = "".join(lines)
        assert "0 violations" in conforming
        # A study rating the ontology does not know: the shapes say so.
        path.write_text(text.replace("gb:studyRating gbc:study-rating-3",
                                     "gb:studyRating gbc:study-rating-9", 1),
                        encoding="utf-8")
        wait_for("changed:")
        wait_for("violation")
        assert "0 violations" not in lines[-1], lines[-1]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 1  # the last validation's outcome
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_an_edit_made_while_the_first_validation_runs_is_seen(project: Project) -> None:
    # --watch takes its snapshot before the first run, so a save during that run counts
    before = watching.snapshot(project)
    path = ipp(project)
    path.write_text(path.read_text(encoding="utf-8") + "\n# saved meanwhile\n",
                    encoding="utf-8")

    first = next(watching.changes(project, since=before, sleep=lambda seconds: None))

    assert first == [str(path)]
