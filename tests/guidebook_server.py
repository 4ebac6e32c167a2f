"""A real ``guidebook serve`` process on 127.0.0.1, for the server and browser tests.

``with guidebook_server(project, *options) as url`` starts the installed command in a
subprocess on a free loopback port, waits until the landing page answers, and stops it
(Ctrl-C, as a user would) afterwards.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from oxigraph_server import free_port, loopback_process


@contextlib.contextmanager
def guidebook_server(
    project: Path,
    *options: str,
    data: Sequence[Path] = (),
    timeout: float = 120.0,
    log: Path | None = None,
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
    url = f"http://127.0.0.1:{port}"
    # Ctrl-C, as a user stops it.
    with loopback_process(
        command, url + "/", name="guidebook serve", timeout=timeout, stop=signal.SIGINT, log=log
    ):
        yield url
