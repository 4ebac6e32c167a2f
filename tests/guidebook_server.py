"""A real ``guidebook serve`` process on 127.0.0.1, for the server and browser tests.

``with guidebook_server(project, *options) as url`` starts the installed command in a
subprocess on a free loopback port, waits until the landing page answers, and stops it
(Ctrl-C, as a user would) afterwards.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

from oxigraph_server import free_port


@contextlib.contextmanager
def guidebook_server(
    project: Path,
    *options: str,
    data: Sequence[Path] = (),
    timeout: float = 120.0,
) -> Iterator[str]:
    port = free_port()
    command = [
        sys.executable,
        "-c",
        "from guidebook_kg.cli import main; main()",
        "--project",
        str(project),
        *(arg for path in data for arg in ("--data", str(path))),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *options,
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, timeout)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"guidebook serve exited with {process.returncode}: {err}")
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"guidebook serve at {url} did not answer within {timeout} s")
