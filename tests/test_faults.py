"""Crashes at every step of ``guidebook build`` and ``guidebook push``.

Build: a real ``guidebook build`` process is killed (``os._exit``, as SIGKILL would stop
it: no clean-up runs) at each step: while writing the site, before the swap, between the
two renames of the fallback swap, and after the swap before the old build is removed.
Afterwards the output folder is always a complete build (every checksum holds), the old
or the new one, and the next build repairs and removes what was left, and says so.

Push: a real ``guidebook push`` process talks to a real Oxigraph server through a proxy
that kills the process right after the store has answered its k-th request, for every k.
Afterwards no graph is half-replaced, and the next push removes the staging graph left
behind, says so, and leaves the store exactly as the local graph (no staging graph, the
same rows in the views).
"""

from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from conftest import assert_isomorphic, rdflib_graph
from guidebook_kg import push, remote, views
from guidebook_kg.cli import main
from guidebook_kg.project import find_project
from guidebook_kg.store import load
from oxigraph_server import oxigraph_server

REPO = Path(__file__).resolve().parent.parent
PROJECT = find_project(REPO)
CATALOGUE = views.load_views(PROJECT)

# Runs `guidebook` with one crash point armed; argv: POINT N ARGS...
DRIVER = r"""
import os, sys
from guidebook_kg import fsutil, publish

point, nth = sys.argv[1], int(sys.argv[2])
calls = {"n": 0, "swapping": False}

def crash_on_nth(original):
    seen = {"n": 0}
    def wrapped(*args, **kwargs):
        seen["n"] += 1
        if seen["n"] == nth:
            os._exit(9)
        return original(*args, **kwargs)
    return wrapped

if point == "write":
    publish._Writer.write = crash_on_nth(publish._Writer.write)
elif point == "before-swap":
    fsutil.swap_in = crash_on_nth(fsutil.swap_in)
elif point in ("between-renames", "after-renames"):
    fsutil._exchange = lambda first, second: False  # the two-rename fallback
    original_swap, original_replace = fsutil.swap_in, os.replace
    def swap(staging, out):
        calls["swapping"] = True
        return original_swap(staging, out)
    def replace(source, target):
        if calls["swapping"]:
            calls["n"] += 1
            if point == "between-renames" and calls["n"] == 2:
                os._exit(9)
        return original_replace(source, target)
    fsutil.swap_in, os.replace = swap, replace
    if point == "after-renames":
        fsutil.shutil.rmtree = crash_on_nth(fsutil.shutil.rmtree)
elif point == "after-exchange":
    fsutil.shutil.rmtree = crash_on_nth(fsutil.shutil.rmtree)
else:
    raise SystemExit(f"unknown point {point}")

from guidebook_kg.cli import main
main(sys.argv[3:], prog_name="guidebook")
"""


def build_args(out: Path, date: str) -> list[str]:
    return ["--project", str(REPO), "build", "--out", str(out), "--release-date", date]


def crashed_build(point: str, nth: int, out: Path, date: str) -> int:
    finished = subprocess.run(
        [sys.executable, "-c", DRIVER, point, str(nth), *build_args(out, date)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "Traceback" not in finished.stderr, finished.stderr
    return finished.returncode


def complete_release(out: Path) -> str:
    """The release date of the complete build in ``out`` (every checksum must hold)."""
    sums = (out / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert sums
    for line in sums:
        digest, path = line.split("  ", 1)
        assert hashlib.sha256((out / path).read_bytes()).hexdigest() == digest, path
    modified = [
        q.object.value
        for q in ox.parse(path=out / "void.ttl", format=ox.RdfFormat.TURTLE)
        if q.predicate.value == "http://purl.org/dc/terms/modified"
    ]
    assert modified
    return max(modified)[:10]  # the release: no fact in the data is dated later


@pytest.mark.slow
@pytest.mark.parametrize(
    ("point", "nth"),
    [
        ("write", 1),
        ("write", 40),
        ("before-swap", 1),
        ("between-renames", 0),
        ("after-renames", 1),
        ("after-exchange", 1),
    ],
)
def test_a_build_killed_at_any_step_leaves_a_whole_build(
    tmp_path: Path, point: str, nth: int
) -> None:
    parent = tmp_path / "site"
    parent.mkdir()
    out = parent / "dist"
    assert CliRunner().invoke(main, build_args(out, "2026-01-01")).exit_code == 0

    assert crashed_build(point, nth, out, "2026-02-02") == 9

    left = sorted(p.name for p in parent.iterdir() if p.name != "dist")
    if point == "between-renames":
        # Only where the one-step swap is not available: the previous build waits beside
        # the folder, whole, for the next run to put it back (tested below).
        assert not out.exists()
    elif point in ("write", "before-swap"):
        assert complete_release(out) == "2026-01-01"
    else:
        assert complete_release(out) == "2026-02-02"

    again = CliRunner().invoke(main, build_args(out, "2026-03-03"))

    assert again.exit_code == 0, again.output
    if point == "between-renames":
        assert "Restored" in again.stderr
    if left and any(".building-" in n or ".old-" in n for n in left):
        assert "left by builds that stopped" in again.stderr
    assert complete_release(out) == "2026-03-03"
    # Nothing left beside it but the note of what it was built from.
    assert sorted(p.name for p in parent.iterdir()) == [".dist.inputs", "dist"]


@pytest.mark.slow
def test_between_the_renames_the_folder_is_briefly_missing_and_is_restored(
    tmp_path: Path,
) -> None:
    # The state a crash there leaves, as the next run finds it.
    out = tmp_path / "dist"
    assert CliRunner().invoke(main, build_args(out, "2026-01-01")).exit_code == 0
    assert crashed_build("between-renames", 0, out, "2026-02-02") == 9
    assert not out.exists()
    (aside,) = [p for p in tmp_path.iterdir() if p.name.startswith(".dist.old-")]
    assert complete_release(aside) == "2026-01-01"

    again = CliRunner().invoke(main, ["--project", str(REPO), "validate"], catch_exceptions=False)
    assert again.exit_code == 0  # commands other than build leave it alone
    result = CliRunner().invoke(main, build_args(out, "2026-02-02"))
    assert result.exit_code == 0, result.output
    assert "Restored" in result.stderr
    assert complete_release(out) == "2026-02-02"


# ------------------------------------------------------------------ push


class KillingProxy:
    """An HTTP proxy to a store that kills the client process once the store has answered
    its ``kill_after``-th request, and forwards nothing after that."""

    def __init__(self, upstream_port: int, kill_after: int) -> None:
        self.upstream_port = upstream_port
        self.kill_after = kill_after
        self.requests: list[str] = []
        self.process: subprocess.Popen[str] | None = None
        self.dead = False
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        with client:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(65536)
                if not chunk:
                    return
                head += chunk
            header, _, body = head.partition(b"\r\n\r\n")
            length = 0
            for line in header.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            while len(body) < length:
                chunk = client.recv(65536)
                if not chunk:
                    return
                body += chunk
            with self._lock:
                if self.dead:
                    return  # the client is gone: nothing more reaches the store
                self.requests.append(header.split(b"\r\n")[0].decode())
                last = len(self.requests) == self.kill_after
                if last:
                    self.dead = True
            with socket.create_connection(("127.0.0.1", self.upstream_port)) as upstream:
                upstream.sendall(header + b"\r\n\r\n" + body)
                answer = b""
                while True:
                    chunk = upstream.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
            if last:
                # The store has done the k-th step; the client dies before the next.
                assert self.process is not None
                self.process.kill()
                return
            client.sendall(answer)


def push_process(url: str, *args: str, project: Path = REPO) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "guidebook_kg", "--project", str(project), "push", "--endpoint",
         url + "/query", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def staging(url: str) -> list[str]:
    return push.staging_graphs(remote.Endpoint(url + "/query"))


def remote_sizes(url: str) -> dict[str, int]:
    table = remote.run(url + "/query", CATALOGUE["graph-sizes"], {}, CATALOGUE)
    return {g: int(n) for g, n in zip(table.values("graph"), table.values("triples"), strict=True)}  # type: ignore[arg-type]


def remote_graph(url: str, graph: str) -> set[ox.Triple]:
    import urllib.parse
    import urllib.request

    request = urllib.request.Request(
        f"{url}/store?{urllib.parse.urlencode({'graph': graph})}",
        headers={"Accept": "application/n-triples"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        data = response.read()
    return {q.triple for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)}


@pytest.mark.slow
@pytest.mark.server
def test_a_push_killed_after_any_request_is_repaired_by_the_next(tmp_path: Path) -> None:
    # The project with one programme file: four graphs (ontology, derived, IPP, shared) give
    # every kind of request a push makes, at a fraction of the requests of the whole data.
    small = tmp_path / "project"
    for folder in ("ontology", "shapes", "queries"):
        shutil.copytree(REPO / folder, small / folder)
    (small / "data" / "programmes").mkdir(parents=True)
    shutil.copy(REPO / "data" / "shared.ttl", small / "data")
    shutil.copy(REPO / "data" / "programmes" / "infant-parent-psychotherapy.ttl",
                small / "data" / "programmes")
    project = find_project(small)
    local = load(project)
    graphs = {
        g.value: {q.triple for q in local.quads_for_pattern(None, None, None, g)}
        for g in local.named_graphs()
        if isinstance(g, ox.NamedNode)
    }
    rows = views.run(local, CATALOGUE["programme-ratings"], {}, CATALOGUE).rows
    with oxigraph_server() as url:
        port = int(url.rsplit(":", 1)[1])
        first = push_process(url, project=small)
        assert first.wait(timeout=120) == 0
        # How many requests a whole push makes.
        counting = KillingProxy(port, kill_after=10_000)
        whole = push_process(f"http://127.0.0.1:{counting.port}", "--replace", project=small)
        assert whole.wait(timeout=120) == 0
        counting.close()
        total = len(counting.requests)
        assert total >= 3 * len(graphs)

        left_behind = 0
        for k in range(1, total + 1):
            proxy = KillingProxy(port, kill_after=k)
            killed = push_process(f"http://127.0.0.1:{proxy.port}", "--replace", project=small)
            proxy.process = killed
            killed.wait(timeout=120)
            proxy.close()
            assert proxy.dead, k

            # No graph half-replaced: each holds exactly what was pushed.
            for graph, triples in graphs.items():
                assert_isomorphic(rdflib_graph(remote_graph(url, graph)), rdflib_graph(triples))
            stale = staging(url)
            left_behind += bool(stale)

            again = CliRunner().invoke(
                main, ["--project", str(small), "push", "--endpoint", url + "/query", "--replace"]
            )
            assert again.exit_code == 0, (k, again.output)
            if stale:
                assert "left by an earlier push that stopped part-way" in again.stderr
            assert staging(url) == []
            assert remote_sizes(url) == {g: len(t) for g, t in graphs.items()}
            there = remote.run(url + "/query", CATALOGUE["programme-ratings"], {}, CATALOGUE)
            assert there.rows == rows, k

        # The cases that matter happened: kills after an upload, before its move.
        assert left_behind >= len(graphs)
