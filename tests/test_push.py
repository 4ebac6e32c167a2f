"""``guidebook push`` against a real Oxigraph server on 127.0.0.1: the round trip, the saved
views on the remote side, replace semantics, and failures part-way (the endpoint dies,
an HTTP error) that must leave every graph whole.
"""

from __future__ import annotations

import contextlib
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

from conftest import assert_isomorphic, rdflib_graph
from guidebook_kg import push, remote, views
from guidebook_kg.cli import main
from guidebook_kg.errors import EndpointError
from guidebook_kg.project import find_project
from guidebook_kg.site import dataset, index
from guidebook_kg.store import load
from oxigraph_server import _wait_until_up, free_port, oxigraph_binary, oxigraph_server

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parent.parent
PROGRAMMES = sorted((REPO / "tests" / "fixtures" / "programmes").glob("*.ttl"))
DATA_ARGS = [arg for path in PROGRAMMES for arg in ("--data", str(path))]
PROJECT = find_project(REPO)
CATALOGUE = views.load_views(PROJECT)


def run_push(url: str, *args: str, data: list[str] = DATA_ARGS) -> Result:
    return CliRunner().invoke(
        main, ["--project", str(REPO), *data, "push", "--endpoint", url + "/query", *args]
    )


def remote_graph(url: str, graph: str) -> list[ox.Triple]:
    """A graph as the store holds it, read back with a Graph Store Protocol GET."""
    request = urllib.request.Request(
        f"{url}/store?{urllib.parse.urlencode({'graph': graph})}",
        headers={"Accept": "application/n-triples"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        data = response.read()
    return [q.triple for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)]


def remote_sizes(url: str) -> dict[str, int]:
    table = remote.run(url + "/query", CATALOGUE["graph-sizes"], {}, CATALOGUE)
    return {g: int(n) for g, n in zip(table.values("graph"), table.values("triples"), strict=True)}  # type: ignore[arg-type]


def local_sizes(store: ox.Store) -> dict[str, int]:
    return {g["iri"]: g["count"] for g in dataset.graph_sizes(store)}


@pytest.fixture(scope="module")
def local() -> ox.Store:
    return load(PROJECT, PROGRAMMES)


@pytest.fixture
def endpoint() -> Iterator[str]:
    with oxigraph_server() as url:
        yield url


# ------------------------------------------------------------------ the round trip


def test_push_round_trips_every_graph(endpoint: str, local: ox.Store) -> None:
    result = run_push(endpoint)

    assert result.exit_code == 0, result.output
    assert "the remote counts match" in result.stdout
    assert remote_sizes(endpoint) == local_sizes(local)
    for graph in local.named_graphs():
        expected = rdflib_graph(local.quads_for_pattern(None, None, None, graph))
        assert_isomorphic(rdflib_graph(remote_graph(endpoint, graph.value)), expected)


def test_saved_views_give_the_same_rows_there(endpoint: str, local: ox.Store) -> None:
    assert run_push(endpoint).exit_code == 0

    for view in CATALOGUE.values():
        if not index.runnable(view):
            continue
        there = remote.run(endpoint + "/query", view, {}, CATALOGUE)
        here = views.run(local, view, {}, CATALOGUE)
        assert there.columns == here.columns, view.name
        if view.name == "graph-sizes":
            continue  # the remote store may hold other graphs; compared above
        assert there.rows == here.rows, view.name
    # and through the command line, with a parameter
    args = [
        "--project",
        str(REPO),
        *DATA_ARGS,
        "query",
        "studies",
        "--param",
        "programme=infant-parent-psychotherapy",
        "--format",
        "csv",
    ]
    here_cli = CliRunner().invoke(main, args)
    there_cli = CliRunner().invoke(main, [*args, "--endpoint", endpoint + "/query"])
    assert here_cli.exit_code == there_cli.exit_code == 0
    assert there_cli.stdout == here_cli.stdout
    assert there_cli.stdout.count("\n") == 3  # header and IPP's two studies


def test_one_graph_for_everything(endpoint: str, local: ox.Store) -> None:
    graph = "http://example.org/guidebook"

    result = run_push(endpoint, "--graph", graph)

    assert result.exit_code == 0, result.output
    union = {q.triple for q in local}
    assert remote_sizes(endpoint) == {graph: len(union)}


def test_existing_graphs_are_replaced_only_when_asked(endpoint: str, local: ox.Store) -> None:
    assert run_push(endpoint).exit_code == 0
    before = remote_sizes(endpoint)

    refused = run_push(endpoint, data=[])
    assert refused.exit_code == 2
    assert "already hold data" in refused.stderr
    assert "--replace" in refused.stderr
    assert remote_sizes(endpoint) == before

    replaced = run_push(endpoint, "--replace", data=[])  # IPP only now
    assert replaced.exit_code == 0, replaced.output
    after = remote_sizes(endpoint)
    ipp_only = local_sizes(load(PROJECT))
    for graph, count in ipp_only.items():
        assert after[graph] == count
    # graphs this push does not write are left alone
    others = set(before) - set(ipp_only)
    assert others
    assert {g: after[g] for g in others} == {g: before[g] for g in others}
    assert not [g for g in after if g.startswith(push.STAGING_BASE)]  # no staging left


# ------------------------------------------------------------------ failures


def test_an_unreachable_endpoint_is_exit_4(local: ox.Store) -> None:
    url = f"http://127.0.0.1:{free_port()}"

    result = run_push(url)

    assert result.exit_code == 4
    error = result.stderr.splitlines()[-1]
    assert error.startswith(f"Error: SPARQL endpoint {url}/query: unreachable")
    assert "Traceback" not in result.output


def test_an_http_error_part_way_says_what_was_written(endpoint: str, local: ox.Store) -> None:
    # The queries work, but the Graph Store URL is wrong: every upload fails.
    result = run_push(endpoint, "--gsp", endpoint + "/no-such-service")

    assert result.exit_code == 4
    message = result.stderr
    assert "HTTP 404" in message
    assert "Written and replaced: none" in message
    assert "Not written (left as they were)" in message
    assert "graph/ontology" in message
    assert remote_sizes(endpoint) == {}


def test_update_and_store_urls_are_needed_for_other_stores() -> None:
    result = CliRunner().invoke(
        main, ["--project", str(REPO), "push", "--endpoint", "http://127.0.0.1:1/ds/anything"]
    )

    assert result.exit_code == 2
    assert "--update URL and --gsp URL" in result.stderr


@contextlib.contextmanager
def persistent_oxigraph(location: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """An Oxigraph server that keeps its data on disk, so it survives being killed."""
    command = [
        oxigraph_binary(),
        "serve",
        "--location",
        str(location),
        "--bind",
        f"127.0.0.1:{port}",
        "--union-default-graph",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_until_up(
            f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", process, "oxigraph server", 30
        )
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


def test_the_endpoint_dying_mid_push_leaves_no_graph_half_replaced(
    tmp_path: Path, local: ox.Store
) -> None:
    location, port = tmp_path / "store", free_port()
    url = f"http://127.0.0.1:{port}"
    endpoints = push.Endpoints.from_query_url(url + "/query")
    # Version 2 of every graph: one more triple in each.
    second = ox.Store()
    second.extend(local)
    marker = ox.NamedNode("http://example.org/version")
    for graph in local.named_graphs():
        second.add(ox.Quad(graph, marker, ox.Literal("2"), graph))
    targets = [g.value for g in sorted(local.named_graphs(), key=lambda g: g.value)]

    with persistent_oxigraph(location, port) as server:
        push.push(PROJECT, local, endpoints)  # version 1 everywhere

        def crash_on_second_graph(message: str) -> None:
            if message.startswith("[2/"):  # the first graph is replaced; now the server dies
                server.kill()
                server.wait()

        with pytest.raises(EndpointError) as failed:
            push.push(PROJECT, second, endpoints, replace=True, progress=crash_on_second_graph)

    error = failed.value
    assert error.exit_code == 4
    text = str(error)
    assert f"stopped at <{targets[1]}>" in text
    assert f"Written and replaced: <{targets[0]}>" in text
    assert f"Not written (left as they were): <{targets[1]}>" in text
    assert "no graph was left half-replaced" in text

    with persistent_oxigraph(location, port):  # the store after the crash
        for number, graph in enumerate(targets):
            version = second if number == 0 else local
            expected = rdflib_graph(
                version.quads_for_pattern(None, None, None, ox.NamedNode(graph))
            )
            assert_isomorphic(rdflib_graph(remote_graph(url, graph)), expected)


class CuttingProxy:
    """A TCP proxy to a server that cuts the connection halfway through the body of a
    chosen PUT request, as a network failure or a dying client would."""

    def __init__(self, upstream_port: int, cut_put_number: int) -> None:
        import socket
        import threading

        self.upstream_port = upstream_port
        self.cut_put_number = cut_put_number
        self.puts = 0
        self.cut = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._listener.close()

    def _serve(self) -> None:
        import threading

        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client: object) -> None:
        import socket

        assert isinstance(client, socket.socket)
        with client, socket.create_connection(("127.0.0.1", self.upstream_port)) as upstream:
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
                    break
                body += chunk
            if header.startswith(b"PUT "):
                self.puts += 1
                if self.puts == self.cut_put_number:
                    self.cut = True
                    upstream.sendall(header + b"\r\n\r\n" + body[: length // 2])
                    return  # both connections close mid-body
            upstream.sendall(header + b"\r\n\r\n" + body)
            while True:
                chunk = upstream.recv(65536)
                if not chunk:
                    break
                client.sendall(chunk)


def test_an_upload_cut_mid_body_never_damages_the_target_graph(local: ox.Store) -> None:
    with oxigraph_server() as url:
        port = int(url.rsplit(":", 1)[1])
        assert run_push(url).exit_code == 0
        before = {g.value: remote_graph(url, g.value) for g in local.named_graphs()}
        proxy = CuttingProxy(port, cut_put_number=1)
        try:
            proxied = f"http://127.0.0.1:{proxy.port}"
            result = run_push(proxied, "--replace")
            assert proxy.cut
            assert result.exit_code == 4
            assert "stopped at <" in result.stderr
            assert "no graph was left half-replaced" in result.stderr
            for graph, triples in before.items():
                assert_isomorphic(rdflib_graph(remote_graph(url, graph)), rdflib_graph(triples))

            # the staging graph the cut upload began was removed again
            assert not [g for g in remote_sizes(url) if g.startswith(push.STAGING_BASE)]
        finally:
            proxy.close()
