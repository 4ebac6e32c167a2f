"""The loaded graph, kept on disk between commands (``.guidebook-cache/``).

Loading every file, checking that no statement is stated twice and deriving what the
evidence standards say takes about half a minute at 10,000 programmes; a command on an
unchanged project starts at once instead. The first command after a change either
updates the cache (only data files changed: those files are reloaded, what they can
affect is derived again, and the fast engine's validation results, when kept, are
brought up to date) or rebuilds it (anything else changed, or too much did), and the
ones after it read it.

What the cache holds is a *generation*: a folder ``gNNNNNN`` with an on-disk pyoxigraph
store of every graph (the derived one too), ``state.json`` (every input file's size,
times and SHA-256, and the store's own files), the analysis of the derivation steps and
shapes (``reach.py``) and the validation results. A generation never changes once
written, except that results may be added to it: an update copies the store (hard
links), changes the copy and publishes it as a new generation by renaming ``current``.
So a command that opened a generation keeps reading the same graph whatever other
commands do, and an interrupted update leaves the previous generation as it was.

It never serves stale data. A file is unchanged when its size, modification and change
times, inode and device are the ones recorded and its change time was more than
:data:`SETTLED` seconds before the generation was written (else its content is hashed
again: a write within the file system's clock tick keeps the times); a file added,
removed or changed, a changed ontology, derivation step or shapes file, another package
or pyoxigraph version, are all noticed. A generation whose state does not read, or whose
store files are not the ones recorded, or whose store does not open, is rebuilt, never
trusted. Writers take ``lock`` in turn; readers hold a shared lock on the generation
they read, so it is not removed under them.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import gc
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from guidebook_kg import report as reports
from guidebook_kg import store as store_module
from guidebook_kg.derive import DERIVED_GRAPH_NODE, Changes, rederive, steps_of
from guidebook_kg.errors import InputError, where
from guidebook_kg.prefixes import ONTOLOGY_GRAPH, PROGRAMME_GRAPH_BASE
from guidebook_kg.project import Project
from guidebook_kg.reach import Reach

FORMAT = 1
"""The layout of a generation; a cache written with another is rebuilt."""

SETTLED = 2.0
"""Seconds a file must have been left alone before its times are trusted to say it is
unchanged."""

INCREMENTAL_SHARE = 0.2
"""Above this share of the data files changed, the cache is rebuilt rather than updated."""

STATE = "state.json"
STORE = "store"
REPORT = "report-fast.json"
CURRENT = "current"
LOCK = "lock"


class NeedsRebuild(Exception):
    """The cache cannot be updated for this change: rebuild it."""


# ----------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Entry:
    """An input file: its role (``ontology``, ``data``, ``derivation``) and graph."""

    role: str
    path: str
    graph: str | None


def entries(project: Project, extra: Sequence[Path] = ()) -> list[Entry]:
    """The files the graph is built from (raises :class:`InputError` as loading would:
    a broken link under data/, two files with one slug). Paths are the files' real
    paths, which relative IRIs in them resolve against."""
    data = [*project.data_files(), *extra]
    store_module.check_unique_slugs(data)
    real = _RealPaths()
    out = [Entry("ontology", real(p), ONTOLOGY_GRAPH) for p in project.ontology_files()]
    out += [Entry("data", real(p), PROGRAMME_GRAPH_BASE + p.stem) for p in data]
    out += [Entry("derivation", real(p), None) for p in project.derivation_files()]
    return out


class _RealPaths:
    """Real paths, each folder resolved once (``Path.resolve`` per file takes half a
    second at 10,000 files)."""

    def __init__(self) -> None:
        self.folders: dict[str, str] = {}

    def __call__(self, path: Path) -> str:
        text = os.path.abspath(path)
        if os.path.islink(text):
            return os.path.realpath(text)
        folder, name = os.path.split(text)
        known = self.folders.get(folder)
        if known is None:
            known = self.folders[folder] = os.path.realpath(folder)
        return os.path.join(known, name)


@dataclass
class Seen:
    """A file as it was read: its stat and its content's SHA-256."""

    size: int
    mtime_ns: int
    ctime_ns: int
    ino: int
    dev: int
    digest: str

    def same_stat(self, st: os.stat_result) -> bool:
        return (self.size, self.mtime_ns, self.ctime_ns, self.ino, self.dev) == (
            st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def _read(path: str) -> tuple[bytes, Seen]:
    """The file's bytes and how it was seen (stat taken before reading)."""
    st = os.stat(path)
    with open(path, "rb") as handle:
        content = handle.read()
    return content, Seen(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev,
                         hashlib.sha256(content).hexdigest())


# ----------------------------------------------------------------------------- state


@dataclass
class State:
    """What a generation was built from."""

    files: dict[Entry, Seen]
    written_ns: int
    store_files: dict[str, int]
    versions: dict[str, str]
    triples: int
    # which graphs each data file put quads in (all in its own graph for an update)
    single_graph: dict[str, bool] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "versions": self.versions, "written_ns": self.written_ns,
            "triples": self.triples, "store_files": self.store_files,
            "files": [{"role": e.role, "path": e.path, "graph": e.graph,
                       "single_graph": self.single_graph.get(e.path, True),
                       "seen": [s.size, s.mtime_ns, s.ctime_ns, s.ino, s.dev, s.digest]}
                      for e, s in self.files.items()],
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> State:
        files: dict[Entry, Seen] = {}
        single: dict[str, bool] = {}
        for row in data["files"]:
            entry = Entry(str(row["role"]), str(row["path"]), row["graph"])
            size, mtime, ctime, ino, dev, digest = row["seen"]
            files[entry] = Seen(int(size), int(mtime), int(ctime), int(ino), int(dev),
                                str(digest))
            single[entry.path] = bool(row["single_graph"])
        return State(files, int(data["written_ns"]),
                     {str(k): int(v) for k, v in data["store_files"].items()},
                     {str(k): str(v) for k, v in data["versions"].items()},
                     int(data["triples"]), single)


@functools.cache
def versions() -> dict[str, str]:
    """What else a generation depends on: pyoxigraph's version, and this package's code
    (a digest of its modules and query templates: a change to the engine, even without
    a new version number, must not be served results of the old one)."""
    from importlib.metadata import version

    code = hashlib.sha256()
    package = Path(__file__).parent
    for path in sorted([*package.glob("*.py"), *package.glob("*/*.rq")]):
        code.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return {"code": code.hexdigest(), "pyoxigraph": version("pyoxigraph")}


@dataclass
class Difference:
    """How the inputs differ from a generation's."""

    changed: list[Entry] = field(default_factory=list)  # added or modified
    removed: list[Entry] = field(default_factory=list)
    seen: dict[Entry, Seen] = field(default_factory=dict)  # the current files, as seen
    hashed: int = 0  # files whose times could not be trusted, read again
    started_ns: int = 0  # when the comparison began

    @property
    def none(self) -> bool:
        return not self.changed and not self.removed


def compare(state: State, current: Sequence[Entry]) -> Difference:
    """What changed since ``state`` (files whose stat cannot be trusted are hashed)."""
    out = Difference(started_ns=time.time_ns())
    settled = state.written_ns - int(SETTLED * 1e9)
    for entry in current:
        recorded = state.files.get(entry)
        st = _stat(entry.path)
        if recorded is not None and st is not None and recorded.same_stat(st) \
                and st.st_ctime_ns < settled:
            out.seen[entry] = recorded
            continue
        try:
            _, seen = _read(entry.path)
        except OSError:
            out.changed.append(entry)  # loading says what is wrong with it
            continue
        out.hashed += 1
        out.seen[entry] = seen
        if recorded is None or recorded.digest != seen.digest:
            out.changed.append(entry)
    wanted = set(current)
    out.removed = [e for e in state.files if e not in wanted]
    return out


# ----------------------------------------------------------------------------- what a command gets


class Loaded:
    """The graph a command works on, and where it came from."""

    def __init__(self, store: ox.Store, generation: Generation | None = None,
                 how: str = "uncached", lock: IO[bytes] | None = None) -> None:
        self.store = store
        self.generation = generation
        self.how = how  # "uncached", "built", "updated" or "read"
        self._lock = lock
        if generation is not None:
            reports.attach(store, generation.load_results, generation.save_results)

    def close(self) -> None:
        """Let go of the generation (its lock; the store once unreferenced)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None


@dataclass(frozen=True)
class Generation:
    """One generation folder of the cache."""

    path: Path

    @property
    def store_path(self) -> Path:
        return self.path / STORE

    def state(self) -> State:
        path = self.path / STATE
        st = os.stat(path)
        key = (str(path), st.st_size, st.st_mtime_ns, st.st_ino)
        known = _STATES.get(key[0])
        if known is not None and known[0] == key:
            return known[1]
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError("another format")
        state = State.from_json(data)
        _STATES[key[0]] = (key, state)
        return state

    def intact(self, state: State) -> bool:
        """Whether the store's files are the ones recorded when it was written."""
        return _store_files(self.store_path) == state.store_files

    # ---- kept results and analyses (added to a generation after it is written)

    def load_results(self, shapes_digest: str) -> list[reports.ValidationResult] | None:
        try:
            data = json.loads((self.path / REPORT).read_text(encoding="utf-8"))
            if data["shapes"] != shapes_digest:
                return None
            return reports.results_from_json(data["results"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save_results(self, shapes_digest: str, results: list[reports.ValidationResult]
                     ) -> None:
        _write_json(self.path / REPORT, {"shapes": shapes_digest,
                                         "results": reports.results_to_json(results)})


# States already read in this process (a command reads one up to three times).
_STATES: dict[str, tuple[tuple[str, int, int, int], State]] = {}


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, path)


_STORE_FILE_PREFIXES = ("MANIFEST-", "CURRENT", "OPTIONS-")


def _store_files(folder: Path) -> dict[str, int]:
    """The store's data files and their sizes (its logs and lock file left out)."""
    found: dict[str, int] = {}
    try:
        for entry in os.scandir(folder):
            if entry.name.endswith(".sst") or entry.name.startswith(_STORE_FILE_PREFIXES):
                found[entry.name] = entry.stat().st_size
    except OSError:
        return {}
    return found


# ----------------------------------------------------------------------------- the cache


class Cache:
    """The cache folder of a project."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        # The last generation read() found stale, with how the inputs differ from it.
        self.stale: tuple[Generation, State, Difference] | None = None
        self.on_file: Callable[[Path], None] | None = None  # told of each file loaded

    # ---- reading

    def current(self) -> Generation | None:
        try:
            name = (self.folder / CURRENT).read_text(encoding="utf-8").strip()
        except OSError:
            return None
        if not name.startswith("g") or "/" in name:
            return None
        return Generation(self.folder / name)

    def read(self, inputs: Sequence[Entry]) -> Loaded | None:
        """The current generation, opened, if it is fresh for ``inputs``."""
        for _ in range(3):  # a writer may replace the generation between two steps
            generation = self.current()
            if generation is None:
                return None
            lock = _shared_lock(generation.path / LOCK)
            if lock is None:
                continue
            try:
                state = generation.state()
                if state.versions != versions() or not generation.intact(state):
                    lock.close()
                    return None
                difference = compare(state, inputs)
                if not difference.none:
                    self.stale = (generation, state, difference)
                    lock.close()
                    return None
                store = ox.Store.read_only(str(generation.store_path))
            except (OSError, ValueError, KeyError, TypeError):
                lock.close()
                return None
            if difference.hashed:
                self._settle(generation, state, difference)
            return Loaded(store, generation, "read", lock)
        return None

    def _settle(self, generation: Generation, state: State, difference: Difference) -> None:
        """Record the times of files read again and found unchanged, so that the next
        command trusts them (if no writer is busy: it is only an optimisation)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / LOCK, "ab") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return
            try:
                if self.current() == generation:
                    settled = State(dict(difference.seen), difference.started_ns,
                                    state.store_files, state.versions, state.triples,
                                    state.single_graph)
                    with contextlib.suppress(OSError):
                        _write_json(generation.path / STATE, settled.to_json())
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # ---- writing

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the writers' lock (waiting for another writer to finish). A cache folder
        this command created is removed again when the command fails before writing
        anything in it (bad input leaves the project as it was)."""
        created = not self.folder.exists()
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            with open(self.folder / LOCK, "ab") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
        except BaseException:
            if created:
                with contextlib.suppress(OSError):
                    if os.listdir(self.folder) == [LOCK]:
                        os.unlink(self.folder / LOCK)
                        os.rmdir(self.folder)
            raise

    def write(self, project: Project, extra: Sequence[Path], inputs: Sequence[Entry]
              ) -> Loaded:
        """Bring the cache up to date for ``inputs`` (holding the writers' lock)."""
        self._sweep()
        parent = self.current()
        if parent is not None:
            try:
                if self.stale is not None and self.stale[0] == parent:
                    # compared a moment ago: a file changed since is noticed next time
                    _, state, difference = self.stale
                else:
                    state = parent.state()
                    if state.versions != versions() or not parent.intact(state):
                        raise NeedsRebuild
                    difference = compare(state, inputs)
                return self._update(project, parent, state, difference, inputs)
            except (OSError, ValueError, KeyError, TypeError, NeedsRebuild):
                pass
        return self._build(project, extra, inputs)

    def _build(self, project: Project, extra: Sequence[Path], inputs: Sequence[Entry]
               ) -> Loaded:
        """Load everything in memory, then write it as a new generation."""
        started = time.time_ns()
        seen: dict[str, Seen] = {}
        steps = [e for e in inputs if e.role == "derivation"]
        for entry in steps:  # derive() reads them itself: fingerprinted before and after
            seen[entry.path] = _read(entry.path)[1]

        real = _RealPaths()

        def read(path: Path) -> bytes:
            content, seen[real(path)] = _read(real(path))
            return content

        memory = store_module.load(project, extra, self.on_file, read=read)
        if any(_read(e.path)[1].digest != seen[e.path].digest for e in steps):
            return Loaded(memory)  # a step changed while we derived: keep nothing
        files = {entry: seen[entry.path] for entry in inputs}
        tmp: Path | None = None
        try:
            tmp = self._new_folder()
            disk = ox.Store(str(tmp / STORE))
            disk.bulk_extend(memory)
            disk.flush()
            del disk
            gc.collect()
            state = State(files, started, _store_files(tmp / STORE), versions(), len(memory),
                          {e.path: _single_graph(e) for e in inputs if e.role == "data"})
            generation = self._publish(tmp, state)
        except OSError:
            # A full disk, a folder we may not write: the command goes on without.
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            return Loaded(memory)
        except BaseException:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            raise
        lock = _shared_lock(generation.path / LOCK)
        return Loaded(memory, generation, "built", lock)

    def _update(self, project: Project, parent: Generation, state: State,
                difference: Difference, inputs: Sequence[Entry]) -> Loaded:
        """A new generation from ``parent`` with the changed data files reloaded."""
        if difference.none:
            raise NeedsRebuild  # fresh after all: read() would have taken it
        if any(e.role != "data" for e in [*difference.changed, *difference.removed]):
            raise NeedsRebuild
        data_files = sum(1 for e in inputs if e.role == "data")
        if len(difference.changed) + len(difference.removed) > max(
                1, INCREMENTAL_SHARE * data_files):
            raise NeedsRebuild
        if not all(state.single_graph.get(e.path, False) for e in difference.removed) or \
                not all(state.single_graph.get(e.path, True) for e in difference.changed):
            raise NeedsRebuild
        steps = self._derivation_steps(project)
        started = time.time_ns()
        tmp = self._new_folder()
        try:
            old = ox.Store.read_only(str(parent.store_path))
            old.backup(str(tmp / STORE))
            del old
            store = ox.Store(str(tmp / STORE))
            known = [*inputs, *difference.removed]
            changes = Changes()
            files = dict(difference.seen)
            for entry in difference.removed:
                changes.extend(_replace_graph(store, entry, None, known))
            for entry in difference.changed:
                try:
                    content, files[entry] = _read(entry.path)
                except OSError:
                    raise NeedsRebuild from None  # loading says what is wrong with it
                changes.extend(_replace_graph(store, entry, content, known))
            derived = rederive(store, steps, changes)
            if derived is None:
                raise NeedsRebuild
            for quad in derived.removed:
                store.remove(quad)
            store.extend(derived.added)
            changes.extend(derived)
            results = self._revalidate(project, parent, store, changes)
            store.flush()
            del store
            gc.collect()
            triples = state.triples + len(changes.added) - len(changes.removed)
            new_state = State({e: files[e] for e in inputs}, started,
                              _store_files(tmp / STORE), versions(), triples,
                              {e.path: _single_graph(e) for e in inputs if e.role == "data"})
            if results is not None:
                _write_json(tmp / REPORT, results)
            generation = self._publish(tmp, new_state)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        lock = _shared_lock(generation.path / LOCK)
        store = ox.Store.read_only(str(generation.store_path))
        return Loaded(store, generation, "updated", lock)

    def _revalidate(self, project: Project, parent: Generation, store: ox.Store,
                    changes: Changes) -> dict[str, Any] | None:
        """The parent's kept validation results, brought up to date (or None)."""
        from guidebook_kg import fastvalidate, shapereach
        from guidebook_kg import validate as validating

        paths = project.shape_files()
        digest = validating.shapes_digest(paths)
        previous = parent.load_results(digest)
        if previous is None:
            return None
        shapes = validating.load_shapes(paths)
        kept = self._analysis("shapes", digest)
        if kept is not None:
            reach = Reach.from_json(kept["analysis"])
        else:
            reach = shapereach.shapes_reach(fastvalidate.ShapesGraph(shapes))
            self._keep_analysis("shapes", digest, reach.to_json())
        results = validating.revalidate(store, shapes, reach, previous, changes)
        if results is None:
            return None
        return {"shapes": digest, "results": reports.results_to_json(results)}

    # ---- analyses of the derivation steps and the shapes, kept by their digest

    def _analysis(self, kind: str, digest: str) -> Any:
        try:
            data = json.loads((self.folder / f"analysis-{kind}-{digest}.json").read_text(
                encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if data.get("versions") == versions() else None

    def _keep_analysis(self, kind: str, digest: str, data: Any) -> None:
        for old in self.folder.glob(f"analysis-{kind}-*.json"):
            with contextlib.suppress(OSError):
                old.unlink()
        with contextlib.suppress(OSError):
            _write_json(self.folder / f"analysis-{kind}-{digest}.json",
                        {"versions": versions(), "analysis": data})

    def _derivation_steps(self, project: Project) -> list[Any]:
        """The derivation steps, with their reach (kept by the steps' digest)."""
        paths = project.derivation_files()
        digest = hashlib.sha256()
        for path in paths:
            try:
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
            except OSError as err:
                raise InputError(f"{where(path)}: cannot read the derivation step: "
                                 f"{err}") from None
        kept = self._analysis("steps", digest.hexdigest())
        if kept is not None:
            return steps_of(paths, [Reach.from_json(r) for r in kept["analysis"]])
        steps = steps_of(paths)
        self._keep_analysis("steps", digest.hexdigest(), [s.reach.to_json() for s in steps])
        return steps

    def _new_folder(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="new-", dir=self.folder))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(folder, 0o777 & ~umask)  # as any folder the user creates, not 0700
        return folder

    def _publish(self, tmp: Path, state: State) -> Generation:
        """Make ``tmp`` the current generation."""
        _write_json(tmp / STATE, state.to_json())
        (tmp / LOCK).touch()
        numbers = [int(p.name[1:]) for p in self.folder.glob("g*") if p.name[1:].isdigit()]
        name = f"g{max(numbers, default=0) + 1:06d}"
        os.rename(tmp, self.folder / name)
        (self.folder / f".{CURRENT}.tmp").write_text(name + "\n", encoding="utf-8")
        os.replace(self.folder / f".{CURRENT}.tmp", self.folder / CURRENT)
        self._sweep()
        return Generation(self.folder / name)

    def _sweep(self) -> None:
        """Remove generations nobody reads any more, and what interrupted writers left."""
        current = self.current()
        for path in self.folder.iterdir():
            if path.name.startswith("new-") and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)  # we hold the writers' lock
            elif path.name.startswith("g") and path.is_dir() and (
                    current is None or path != current.path):
                try:
                    with open(path / LOCK, "ab") as handle:
                        try:
                            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        except OSError:
                            continue  # someone is reading it
                        shutil.rmtree(path, ignore_errors=True)
                except OSError:
                    shutil.rmtree(path, ignore_errors=True)


def _shared_lock(path: Path) -> IO[bytes] | None:
    """A shared lock on ``path``, held as long as the returned file is open."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - kept open: it holds the lock
    except OSError:
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_SH)
    except OSError:
        handle.close()
        return None
    if not path.exists():  # removed while we waited
        handle.close()
        return None
    return handle


def _file_of(graph: str, entries: Sequence[Entry]) -> Path:
    """The file a graph comes from, as the duplicate check names it (the ontology's
    graph by its folder)."""
    for entry in entries:
        if entry.graph == graph:
            return Path(entry.path).parent if entry.role == "ontology" else Path(entry.path)
    return Path(graph)


def _single_graph(entry: Entry) -> bool:
    """Whether a data file put quads only in its own graph (TriG, N-Quads and JSON-LD
    may name others): only such a file can be replaced on its own."""
    return os.path.splitext(entry.path)[1].lower() not in (".trig", ".nq", ".jsonld", ".json")


def _replace_graph(store: ox.Store, entry: Entry, content: bytes | None,
                   known: Sequence[Entry]) -> Changes:
    """Replace the graph of a data file with ``content`` (None: the file was removed)."""
    assert entry.graph is not None
    graph = ox.NamedNode(entry.graph)
    path = Path(entry.path)
    old = set(store.quads_for_pattern(None, None, None, graph))
    new: set[ox.Quad] = set()
    if content is not None:
        if not _single_graph(entry):
            raise NeedsRebuild
        parsed = ox.Store()
        store_module.load_file(parsed, path, graph, read=lambda _: content)
        new = set(parsed)
        for quad in new:
            if quad.graph_name != graph:
                raise NeedsRebuild
            if quad in old:
                continue
            others = [q.graph_name for q in store.quads_for_pattern(
                quad.subject, quad.predicate, quad.object)
                if q.graph_name not in (graph, DERIVED_GRAPH_NODE)]
            if others:
                # named as the full load names them: the graphs of least and greatest IRI
                names = sorted({str(getattr(g, "value", g)) for g in [*others, graph]})
                first, last = (_file_of(n, known) for n in (names[0], names[-1]))
                raise store_module.stated_twice(first, last, len(others) + 1, quad.triple)
    removed = sorted(old - new, key=str)
    added = sorted(new - old, key=str)
    for quad in removed:
        store.remove(quad)
    store.extend(added)
    return Changes(removed, added)


# ----------------------------------------------------------------------------- the entry point


def load(project: Project, extra: Sequence[Path] = (), *, use_cache: bool = True,
         on_file: Callable[[Path], None] | None = None) -> Loaded:
    """The graph of ``project`` (and ``extra`` data files): from the cache when it is
    fresh, else loaded and kept there. Without ``use_cache``, or for a project the cache
    does not serve (the copy shipped with the package), loaded afresh in memory.
    ``on_file`` is told of each file loaded in full (to show progress)."""
    folder = project.cache_dir
    if not use_cache or folder is None or not os.access(folder.parent, os.W_OK):
        return Loaded(store_module.load(project, extra, on_file))
    inputs = entries(project, extra)
    cache = Cache(folder)
    cache.on_file = on_file
    found = cache.read(inputs)
    if found is not None:
        return found
    try:
        with cache.writing():
            if cache.stale is None or cache.stale[0] != cache.current():
                found = cache.read(inputs)  # another command may have brought it up to date
                if found is not None:
                    return found
            return cache.write(project, extra, inputs)
    except OSError:
        # The cache cannot be written (no permission, a full disk): load without it.
        return Loaded(store_module.load(project, extra, on_file))


Opener = Callable[[Project, Sequence[Path]], Loaded]
