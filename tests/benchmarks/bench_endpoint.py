#!/usr/bin/env python3
"""Benchmark `guidebook validate --endpoint` against validating the same graph locally.

Run from the repository root, with the package and its test extras installed (and
Virtuoso's ``virtuoso-t`` on PATH for the Virtuoso rows)::

    python tests/benchmarks/bench_endpoint.py --programmes 100 --repeats 3

For the shipped project and a synthetic project of ``--programmes`` programmes (one error
of every kind injected), it starts an Oxigraph server and a Virtuoso on 127.0.0.1 (as the
tests do), pushes the graph with ``guidebook push``, then times the validation of the
store's graph through its endpoint and the local validation of the same files (load,
derive, validate), medians over ``--repeats``, and says whether the results agree (on
Virtuoso, leaving out the resources whose ill-typed literals it rewrites on load). The
table goes to standard output. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

from guidebook_kg import push  # noqa: E402
from guidebook_kg import validate as validating  # noqa: E402
from guidebook_kg.fastvalidate import well_formed  # noqa: E402
from guidebook_kg.project import find_project  # noqa: E402
from guidebook_kg.remotevalidate import validate_endpoint  # noqa: E402
from guidebook_kg.store import load  # noqa: E402
from guidebook_kg.synthetic import generate  # noqa: E402
from live_stores import KINDS, live_store  # noqa: E402


def _median(run: Any, repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _key(result: Any) -> tuple[str, str | None, str | None, str, str, str]:
    return (result.focus_node, result.path, result.value, result.source_shape,
            result.constraint_component, result.severity.iri)


def _ill_typed(value: str | None) -> bool:
    import pyoxigraph as ox

    if not value or "^^" not in value:
        return False
    quad = next(iter(ox.parse(f"<urn:s> <urn:p> {value} .", format=ox.RdfFormat.N_TRIPLES)))
    return isinstance(quad.object, ox.Literal) and not well_formed(quad.object)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--programmes", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        synthetic = Path(folder) / "synthetic"
        generate(args.programmes, synthetic, inject_errors=True, source=find_project(REPO))
        projects = {"shipped project": REPO,
                    f"synthetic, {args.programmes} programmes": synthetic}
        for kind in KINDS:
            for name, project_dir in projects.items():
                project = find_project(project_dir)
                with live_store(kind, Path(folder) / f"{kind}-{len(rows)}") as store:
                    graph = load(project)
                    push.push(project, graph, push.Endpoints(store.query, store.update,
                                                             store.gsp),
                              replace=True, user=store.user, password=store.password,
                              auth=store.auth)
                    local_time, local = _median(
                        lambda p=project: validating.validate(load(p), p), args.repeats)
                    remote_time, remote = _median(
                        lambda s=store, p=project: validate_endpoint(
                            s.query, p, user=s.user, password=s.password, auth=s.auth),
                        args.repeats)
                here = Counter(map(_key, local.results))
                there = Counter(map(_key, remote.results))
                mangled = {k[0] for k in here if _ill_typed(k[2])} if kind == "virtuoso" else set()
                same = (Counter({k: n for k, n in here.items() if k[0] not in mangled})
                        == Counter({k: n for k, n in there.items() if k[0] not in mangled}))
                rows.append((kind, name, len(graph), local_time, remote_time,
                             len(local.results), same))
    print("| store | graph | triples | local: load + validate | remote: validate --endpoint "
          "| results | same results |")
    print("|---|---|---|---|---|---|---|")
    for kind, name, triples, local_time, remote_time, results, same in rows:
        print(f"| {kind} | {name} | {triples:,} | {local_time:.2f} s | {remote_time:.2f} s | "
              f"{results} | {'yes' if same else 'NO'} |")


if __name__ == "__main__":
    main()
