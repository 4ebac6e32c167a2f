"""A real Virtuoso Open Source server (Debian ``virtuoso-opensource-7-bin``) on 127.0.0.1,
for tests.

``with virtuoso_server(folder) as server`` writes a small ini file into ``folder``, starts
``virtuoso-t`` on a fresh database there (its SQL and HTTP ports on free loopback ports),
waits until its SPARQL endpoint answers and stops it afterwards. A fresh database takes
about 5 s to come up. Where the binary is missing, :func:`virtuoso_binary` says how to get
it, so tests can skip with that reason.

Virtuoso's URLs are not Oxigraph's: queries go to ``/sparql`` (its default graph, without
``FROM``, is already every graph), updates to ``/sparql-auth`` and the Graph Store
Protocol to ``/sparql-graph-crud-auth``, both behind HTTP Digest authentication. A fresh
database's administrator is ``dba`` with the password ``dba``; nobody but this machine
can reach the loopback ports.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from oxigraph_server import free_port, loopback_process

BINARY = "virtuoso-t"
MISSING = (
    "Virtuoso is not installed: no 'virtuoso-t' on PATH "
    "(Debian/Ubuntu: apt-get install virtuoso-opensource-7-bin)"
)

INI = """\
; A throw-away Virtuoso database for tests: everything lives in this folder.
[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
ServerThreads = 10
CheckpointInterval = 60
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
CaseMode = 2
DirsAllowed = {folder}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {folder}
ServerThreads = 10
MaxClientConnections = 10
EnabledDavVSP = 0

[SPARQL]
ResultSetMaxRows = {result_rows}
MaxQueryExecutionTime = 60
"""


@dataclass(frozen=True)
class Virtuoso:
    """A running Virtuoso: its URLs and the administrator's credentials."""

    url: str
    user: str = "dba"
    password: str = "dba"

    @property
    def query(self) -> str:
        return self.url + "/sparql"

    @property
    def update(self) -> str:
        return self.url + "/sparql-auth"

    @property
    def gsp(self) -> str:
        return self.url + "/sparql-graph-crud-auth"


def virtuoso_binary() -> str | None:
    """The path of ``virtuoso-t``, or None where it is not installed."""
    return shutil.which(BINARY)


@contextlib.contextmanager
def virtuoso_server(
    folder: Path, *, timeout: float = 90.0, result_rows: int = 100_000
) -> Iterator[Virtuoso]:
    """Run Virtuoso on a fresh database in ``folder`` (which must be empty or new);
    ``result_rows`` is its ResultSetMaxRows, where it cuts answers short."""
    binary = virtuoso_binary()
    if binary is None:
        raise RuntimeError(MISSING)
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    http_port, sql_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(
        INI.format(folder=folder, sql_port=sql_port, http_port=http_port, result_rows=result_rows),
        encoding="utf-8",
    )
    url = f"http://127.0.0.1:{http_port}"
    command = [binary, "+foreground", "+configfile", str(ini)]
    with loopback_process(
        command,
        url + "/sparql?query=ASK%7B%7D",
        name="virtuoso-t",
        timeout=timeout,
        stop=signal.SIGTERM,  # a quick shutdown; the database is thrown away
        log=folder / "console.log",
        cwd=folder,
    ):
        yield Virtuoso(url)
