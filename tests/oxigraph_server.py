"""A real Oxigraph SPARQL server (PyPI ``oxigraph``) on 127.0.0.1, for tests.

Used by the remote-view, push and publishing tests: ``with oxigraph_server() as url``
starts ``oxigraph serve`` in memory on a free loopback port, waits until it answers and
stops it afterwards. ``url`` is the server root; the SPARQL endpoint is ``url + "/query"``,
updates go to ``url + "/update"`` and the Graph Store Protocol to ``url + "/store"``.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def oxigraph_binary() -> str:
    # The console script sits beside the interpreter in a venv; fall back to PATH.
    candidate = Path(sys.executable).with_name("oxigraph")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("oxigraph")
    if found is None:
        raise RuntimeError("the 'oxigraph' server is not installed: pip install '.[test]'")
    return found


@contextlib.contextmanager
def oxigraph_server(*, union_default_graph: bool = True, timeout: float = 20.0) -> Iterator[str]:
    """Run an in-memory Oxigraph server; yield its base URL."""
    port = free_port()
    command = [oxigraph_binary(), "serve", "--bind", f"127.0.0.1:{port}"]
    if union_default_graph:
        command.append("--union-default-graph")
    url = f"http://127.0.0.1:{port}"
    with loopback_process(
        command, url + "/query?query=ASK%7B%7D", name="oxigraph server", timeout=timeout
    ):
        yield url


@contextlib.contextmanager
def loopback_process(
    command: list[str],
    probe: str,
    *,
    name: str,
    timeout: float,
    stop: signal.Signals = signal.SIGTERM,
    log: Path | None = None,
    cwd: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server process, wait until ``probe`` answers 200, and stop it afterwards.

    With ``log``, the process's output goes to that file (a server that keeps writing
    would fill a pipe nobody reads) and a start-up failure quotes its end.
    """
    with contextlib.ExitStack() as files:
        if log is None:
            out: int | IO[bytes] = subprocess.DEVNULL
            err: int | IO[bytes] = subprocess.PIPE
        else:
            out = err = files.enter_context(log.open("wb"))
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=cwd)
        try:
            _wait_until_up(probe, process, name, timeout, log)
            yield process
        finally:
            process.send_signal(stop)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stderr is not None:
                process.stderr.close()


def _wait_until_up(
    probe: str,
    process: subprocess.Popen[bytes],
    name: str,
    timeout: float,
    log: Path | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            if log is not None:
                err = log.read_text(errors="replace")[-2000:]
            else:
                err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"{name} exited with {process.returncode}: {err}")
        try:
            with urllib.request.urlopen(probe, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.05)
    raise RuntimeError(f"{name} at {probe} did not answer within {timeout} s")
