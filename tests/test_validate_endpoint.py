"""``guidebook validate --endpoint``: the shapes run on what a live store holds give the
report a local validation of the same graph gives.

Each data set is pushed with ``guidebook push`` (the library call behind it) to a real
Oxigraph server and a real Virtuoso on 127.0.0.1, validated there through the CLI, and
the JSON report compared with ``guidebook validate`` on the same files: the same results
(focus node, path, value, shape, constraint component, severity, message), labels,
programmes, summary and exit code. The store is emptied between data sets.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

from guidebook_kg import push
from guidebook_kg.cli import main
from guidebook_kg.fastvalidate import well_formed
from guidebook_kg.prefixes import DERIVED_GRAPH
from guidebook_kg.project import find_project
from guidebook_kg.remote import GraphStore
from guidebook_kg.store import load
from live_stores import KINDS, LiveStore, live_store
from oxigraph_server import free_port
from view_cases import DISAGREEING, PROGRAMMES, REPO

# (name, data files beside the project's own data, expected local exit code)
DATASETS: dict[str, tuple[Sequence[Path], int]] = {
    "shipped": ((), 0),
    "fixtures": (PROGRAMMES, 0),
    "disagreeing": (DISAGREEING, 1),
    "synthetic": ((), 1),  # a synthetic project with one error of every kind
}


def cli(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def data_args(data: Sequence[Path]) -> list[str]:
    return [arg for path in data for arg in ("--data", str(path))]


def endpoint_args(store: LiveStore) -> list[str]:
    args = ["--endpoint", store.query, "--quiet"]  # standard error: the error line alone
    if store.user is not None:
        args += ["--user", store.user, "--auth", store.auth]
    return args


def push_to(store: LiveStore, project_dir: Path, data: Sequence[Path] = ()) -> list[str]:
    """Push the project (and ``data``) as `guidebook push` does; the graphs written."""
    project = find_project(project_dir)
    report = push.push(
        project, load(project, data), push.Endpoints(store.query, store.update, store.gsp),
        replace=True, user=store.user, password=store.password, auth=store.auth,
    )
    return list(report.graphs)


def remove(store: LiveStore, graphs: Sequence[str]) -> None:
    writer = GraphStore(store.gsp, store.update, user=store.user, password=store.password,
                        auth=store.auth, timeout=60)
    for graph in graphs:
        writer.delete(graph)


@contextlib.contextmanager
def pushed(store: LiveStore, project_dir: Path, data: Sequence[Path] = ()) -> Iterator[list[str]]:
    graphs = push_to(store, project_dir, data)
    try:
        yield graphs
    finally:
        remove(store, graphs)


def unordered(message: str) -> str:
    # Messages built with GROUP_CONCAT list their parts in the order the store groups
    # them, which SPARQL leaves open; the parts themselves must agree.
    return " | ".join(sorted(re.split(r"; |, | or |: ", message.removesuffix("."))))


def comparable(output: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(output)
    for result in document["results"]:
        result["message"] = unordered(result["message"])
    document["results"].sort(key=lambda r: json.dumps(r, sort_keys=True))
    return document


def ill_typed(result: dict[str, Any]) -> bool:
    value = result["value"]
    if not value or not value.endswith(">") or "^^" not in value:
        return False
    quad = next(iter(ox.parse(f"<urn:s> <urn:p> {value} .", format=ox.RdfFormat.N_TRIPLES)))
    return isinstance(quad.object, ox.Literal) and not well_formed(quad.object)


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synthetic") / "project"
    made = cli("synth", "60", "--out", str(folder), "--inject-errors")
    assert made.exit_code == 0, made.output
    return folder


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], LiveStore]]:
    """A store of each kind, started on first use, emptied after each data set."""
    with contextlib.ExitStack() as stack:
        started: dict[str, LiveStore] = {}

        def get(kind: str) -> LiveStore:
            if kind not in started:
                started[kind] = stack.enter_context(
                    live_store(kind, tmp_path_factory.mktemp(kind))
                )
            return started[kind]

        yield get


# ----------------------------------------------------------------------------- same report


@pytest.mark.server
@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dataset", list(DATASETS))
def test_the_store_gives_the_local_report(
    kind: str, dataset: str, stores: Callable[[str], LiveStore], synthetic: Path
) -> None:
    store = stores(kind)
    data, expected_exit = DATASETS[dataset]
    project_dir = synthetic if dataset == "synthetic" else REPO
    here = cli("--project", str(project_dir), *data_args(data), "validate", "--format", "json")
    assert here.exit_code == expected_exit, here.output
    local = comparable(here.stdout)

    with pushed(store, project_dir, data):
        there = cli("--project", str(project_dir), "validate", "--format", "json",
                    *endpoint_args(store), env=store.environment())

    assert there.exit_code == here.exit_code, there.output
    remote = comparable(there.stdout)
    if kind == "virtuoso":
        # Virtuoso rewrites an ill-typed literal when it loads it ("high"^^xsd:integer
        # becomes 0), so the store holds other data about the resources that have one.
        mangled = {r["focusNode"] for r in local["results"] if ill_typed(r)}
        assert bool(mangled) == (dataset == "synthetic")
        if mangled:
            for report in (local, remote):
                report["results"] = [r for r in report["results"]
                                     if r["focusNode"] not in mangled]
                del report["summary"]  # the counts differ by those results
    assert remote == local
    if dataset != "shipped":
        assert remote["results"]  # a comparison that could not fail proves nothing


# ----------------------------------------------------------------------------- missing data


@pytest.mark.server
def test_a_store_without_the_derived_graph_says_how_to_fix_it(
    stores: Callable[[str], LiveStore],
) -> None:
    store = stores("oxigraph")
    with pushed(store, REPO) as graphs:
        assert DERIVED_GRAPH in graphs  # push sends the derived facts with the data
        remove(store, [DERIVED_GRAPH])
        result = cli("--project", str(REPO), "validate", *endpoint_args(store))

    assert result.exit_code == 4
    assert "assessments without the derived facts" in result.stderr
    assert f"<{DERIVED_GRAPH}>" in result.stderr
    assert "guidebook push --endpoint URL" in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.server
def test_an_empty_store_is_explained_not_validated(stores: Callable[[str], LiveStore]) -> None:
    store = stores("oxigraph")
    result = cli("--project", str(REPO), "validate", *endpoint_args(store))

    assert result.exit_code == 4
    assert "holds none of the project's data (no ontology, no programme)" in result.stderr
    assert result.stdout == ""


@pytest.mark.server
def test_a_default_graph_without_the_named_graphs_is_explained_or_read_with_graph(
    tmp_path: Path,
) -> None:
    with live_store("oxigraph", tmp_path, union_default_graph=False) as store:
        graphs = push_to(store, REPO)
        plain = cli("--project", str(REPO), "validate", *endpoint_args(store))
        named = [arg for graph in graphs for arg in ("--graph", graph)]
        chosen = cli("--project", str(REPO), "validate", "--format", "json",
                     *endpoint_args(store), *named)

    assert plain.exit_code == 4
    assert "oxigraph serve --union-default-graph" in plain.stderr
    here = cli("--project", str(REPO), "validate", "--format", "json")
    assert chosen.exit_code == here.exit_code == 0, chosen.output
    assert comparable(chosen.stdout) == comparable(here.stdout)


@pytest.mark.server
@pytest.mark.slow
def test_an_answer_the_store_cut_short_fails_loudly(tmp_path: Path) -> None:
    with live_store("virtuoso", tmp_path, result_rows=50) as store:
        push_to(store, REPO)
        result = cli("--project", str(REPO), "validate", *endpoint_args(store),
                     env=store.environment())

    assert result.exit_code == 4
    assert "the store cut an answer short at 50 rows" in result.stderr
    assert "ResultSetMaxRows" in result.stderr
    assert result.stdout == ""


# ----------------------------------------------------------------------------- no store needed


def test_an_unreachable_endpoint_exits_4() -> None:
    url = f"http://127.0.0.1:{free_port()}/query"
    result = cli("--project", str(REPO), "validate", "--endpoint", url, "--timeout", "5",
                 "--quiet")

    assert result.exit_code == 4
    assert result.stderr.startswith(f"Error: SPARQL endpoint {url}: unreachable:")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--engine", "pyshacl"], "--endpoint works with the fast engine only"),
        (["data/programmes"], "no PATH or --data with it"),
    ],
)
def test_endpoint_options_that_do_not_go_together(args: list[str], message: str) -> None:
    result = cli("--project", str(REPO), "validate", "--endpoint", "http://127.0.0.1:1/query",
                 *args)

    assert result.exit_code == 2
    assert message in result.stderr


def test_graph_needs_endpoint() -> None:
    result = cli("--project", str(REPO), "validate", "--graph", "http://example.org/g")

    assert result.exit_code == 2
    assert "--graph needs --endpoint" in result.stderr


@pytest.mark.server
def test_focus_and_shape_select_as_locally(stores: Callable[[str], LiveStore]) -> None:
    store = stores("oxigraph")
    data = data_args(DISAGREEING)
    with pushed(store, REPO, DISAGREEING):
        for selection in (["--focus", "claimed-replication"],
                          ["--shape", "RatingAgreesWithEvidence"]):
            here = cli("--project", str(REPO), *data, "validate", "--format", "json",
                       *selection)
            there = cli("--project", str(REPO), "validate", "--format", "json", *selection,
                        *endpoint_args(store))
            assert there.exit_code == here.exit_code == 1, there.output
            assert comparable(there.stdout) == comparable(here.stdout)
            assert 0 < len(json.loads(there.stdout)["results"]) < 10
