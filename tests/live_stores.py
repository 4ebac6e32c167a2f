"""The real SPARQL stores the tests run against, behind one interface.

``live_store(kind, folder)`` starts a fresh store of that kind on 127.0.0.1 (an Oxigraph
server from PyPI, or Virtuoso from Debian) and yields a :class:`LiveStore` with its three
URLs (query, update, Graph Store Protocol), the credentials it wants, and plain HTTP
helpers that load and read graphs *without* going through ``guidebook push``, so a test of
the views does not depend on push and a test of push can check what the store really holds.
"""

from __future__ import annotations

import contextlib
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from guidebook_kg.remote import GraphStore
from oxigraph_server import oxigraph_server
from virtuoso_server import MISSING, virtuoso_binary, virtuoso_server

KINDS = ("oxigraph", "virtuoso")


@dataclass(frozen=True)
class LiveStore:
    """A running store: where to query, update and upload, and as whom."""

    kind: str
    query: str
    update: str
    gsp: str
    user: str | None = None
    password: str | None = None
    auth: str = "basic"

    def push_args(self) -> list[str]:
        """The options `guidebook push` needs for this store (password: environment)."""
        args = ["--endpoint", self.query, "--update", self.update, "--gsp", self.gsp]
        if self.user is not None:
            args += ["--user", self.user, "--auth", self.auth]
        return args

    def environment(self) -> dict[str, str]:
        return {} if self.password is None else {"GUIDEBOOK_ENDPOINT_PASSWORD": self.password}

    def _open(self, request: urllib.request.Request) -> bytes:
        handlers: list[urllib.request.BaseHandler] = []
        if self.user is not None:
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            manager.add_password(None, self.gsp, self.user, self.password or "")
            handler: urllib.request.BaseHandler = (
                urllib.request.HTTPDigestAuthHandler(manager)
                if self.auth == "digest"
                else urllib.request.HTTPBasicAuthHandler(manager)
            )
            handlers.append(handler)
        with urllib.request.build_opener(*handlers).open(request, timeout=60) as response:
            return bytes(response.read())

    def _graph_url(self, graph: str) -> str:
        return f"{self.gsp}?{urllib.parse.urlencode({'graph': graph})}"

    def put_graph(self, graph: str, triples: list[ox.Triple]) -> None:
        """Replace one named graph with a Graph Store Protocol PUT (through the project's
        own writer, which authenticates before a large upload as Virtuoso needs)."""
        writer = GraphStore(self.gsp, self.update, user=self.user, password=self.password,
                            auth=self.auth, timeout=60)
        writer.put(graph, ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))

    def load(self, store: ox.Store) -> None:
        """Every named graph of ``store`` into the same named graph here."""
        for graph in store.named_graphs():
            triples = [q.triple for q in store.quads_for_pattern(None, None, None, graph)]
            self.put_graph(graph.value, triples)

    def read_graph(self, graph: str) -> list[ox.Triple]:
        """One named graph as the store holds it (Graph Store Protocol GET)."""
        request = urllib.request.Request(
            self._graph_url(graph), headers={"Accept": "application/n-triples"}
        )
        data = self._open(request)
        return [quad.triple for quad in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)]


@contextlib.contextmanager
def live_store(
    kind: str, folder: Path, *, union_default_graph: bool = True, result_rows: int = 100_000
) -> Iterator[LiveStore]:
    """A fresh, empty store of ``kind``; skips the test where Virtuoso is not installed.
    ``union_default_graph`` (Oxigraph) and ``result_rows`` (Virtuoso's ResultSetMaxRows)
    configure it; Virtuoso's default graph is always the union."""
    if kind == "oxigraph":
        with oxigraph_server(union_default_graph=union_default_graph) as url:
            yield LiveStore(kind, url + "/query", url + "/update", url + "/store")
    elif kind == "virtuoso":
        if virtuoso_binary() is None:
            pytest.skip(MISSING)
        with virtuoso_server(folder, result_rows=result_rows) as server:
            yield LiveStore(
                kind,
                server.query,
                server.update,
                server.gsp,
                user=server.user,
                password=server.password,
                auth="digest",
            )
    else:
        raise ValueError(f"unknown store kind {kind!r}")
