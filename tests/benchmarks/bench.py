#!/usr/bin/env python3
"""Benchmark guidebook-kg against a plain rdflib + pyshacl stack, at 100 to 10,000 programmes.

Run from the repository root, with the package installed (``pip install .``)::

    python tests/benchmarks/bench.py

It generates synthetic projects (``guidebook synth``: ~295 triples per programme), then on
the same files times

- validation: ours (pyoxigraph load + the fast engine) against the baseline (rdflib parse +
  pyshacl with the same shapes), with the baseline capped (``--baseline-cap``); both
  report results on a project with one error of every kind, and the results are compared;
- every saved view in ``queries/`` (found at run time): ours on pyoxigraph against
  rdflib's SPARQL engine;
- every command a user runs (validate, query, rate, page, build, export), end to end
  through the ``guidebook`` script, start-up included;
- ``guidebook serve`` against an Oxigraph server holding the same dump (``--serve-sizes``;
  ``--serve-only`` runs this step alone): the same distinct SELECT queries from 20
  concurrent keep-alive clients, requests per second, latency and each server's CPU time,
  and the same answers from both.

Each measurement runs in its own process, for a clean peak-memory figure (the largest
``VmHWM`` of the process and its descendants, sampled while it runs).
Times are medians over ``--repeats``. Results go to ``bench-results/bench.json`` (every
run) and ``bench-results/bench.md`` (the table for the README). Not collected by pytest.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SLUG = "synth-00001"
# Values for the required parameters of saved views, by parameter type.
PARAMETER_VALUES = {"programme": SLUG, "iri": "gbc:setting", "scheme": "gbc:setting",
                    "concept": "gbc:setting-home", "integer": "1", "decimal": "1.0",
                    "boolean": "true", "string": "a"}

# ----------------------------------------------------------------------------- children
# Each measurement below runs in a fresh interpreter: ``bench.py --child KIND ...``.


def child_ours_validate(project_dir: str) -> dict[str, Any]:
    start = time.perf_counter()
    from guidebook_kg import store, validate
    from guidebook_kg.project import find_project

    project = find_project(Path(project_dir))
    imported = time.perf_counter()
    data = store.load(project)
    loaded = time.perf_counter()
    report = validate.validate(data, project)
    done = time.perf_counter()
    return {
        "import_s": imported - start, "load_s": loaded - imported,
        "validate_s": done - loaded, "total_s": done - start,
        "triples": len(data),
        "results": [[r.focus_node, r.path, r.value, r.source_shape, r.constraint_component,
                     int(r.severity)] for r in report.results],
    }


def child_baseline_validate(project_dir: str, engine: str = "pyshacl") -> dict[str, Any]:
    """rdflib parse + ``engine`` (pySHACL, or pyshacl-turbo through its pySHACL-compatible
    ``validate``) with the project's shapes, on the project's files."""
    start = time.perf_counter()
    import importlib

    import rdflib

    pyshacl = importlib.import_module({"pyshacl": "pyshacl",
                                       "turbo": "pyshacl_turbo"}[engine])

    imported = time.perf_counter()
    root = Path(project_dir)
    data = rdflib.Graph()
    for path in [*sorted((root / "ontology").glob("*.ttl")),
                 *sorted((root / "data").rglob("*.ttl"))]:
        data.parse(path, format="turtle")
    shapes = rdflib.Graph()
    for path in sorted((root / "shapes").glob("*.ttl")):
        shapes.parse(path, format="turtle")
    parsed = time.perf_counter()
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=False)
    done = time.perf_counter()
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    results = []
    for node in report.subjects(rdflib.RDF.type, sh.ValidationResult):
        def one(prop: Any, node: Any = node) -> str | None:
            value = report.value(node, prop)
            return None if value is None else value.n3()
        results.append([one(sh.focusNode), one(sh.resultPath), one(sh.value),
                        one(sh.sourceShape), one(sh.sourceConstraintComponent),
                        str(report.value(node, sh.resultSeverity))])
    return {"import_s": imported - start, "parse_s": parsed - imported,
            "validate_s": done - parsed, "total_s": done - start,
            "triples": len(data), "results": results}


def _view_parameters(view: Any) -> dict[str, str]:
    return {p.name: PARAMETER_VALUES.get(p.type, "") for p in view.parameters if p.required}


def child_ours_views(project_dir: str) -> dict[str, Any]:
    from guidebook_kg import store, views
    from guidebook_kg.project import find_project

    project = find_project(Path(project_dir))
    start = time.perf_counter()
    data = store.load(project)
    loaded = time.perf_counter()
    catalogue = views.load_views(project)
    engine = views.LocalEngine(data)
    out: dict[str, Any] = {"load_s": loaded - start, "views": {}}
    for name, view in sorted(catalogue.items()):
        params = _view_parameters(view)
        lookups = views.Lookups(engine, catalogue)
        text = views.bound_text(view, views.bind(view, params, lookups))
        began = time.perf_counter()
        rows = len(engine.select(text) if view.form == "select" else engine.construct(text))
        out["views"][name] = {"seconds": time.perf_counter() - began, "rows": rows,
                              "query": text, "params": params}
    return out


class _Timeout(Exception):
    pass


def child_baseline_views(project_dir: str, queries_json: str, cap: str) -> dict[str, Any]:
    import rdflib

    root = Path(project_dir)
    start = time.perf_counter()
    # One named graph per file, as guidebook loads them (graph-sizes reads GRAPH ?g),
    # queried over their union.
    data = rdflib.Dataset(default_union=True)
    graph = "https://w3id.org/guidebook-kg/graph/"
    for path in sorted((root / "ontology").glob("*.ttl")):
        data.graph(rdflib.URIRef(graph + "ontology")).parse(path, format="turtle")
    for path in sorted((root / "data").rglob("*.ttl")):
        data.graph(rdflib.URIRef(graph + "programme/" + path.stem)).parse(path, format="turtle")
    out: dict[str, Any] = {"parse_s": time.perf_counter() - start, "views": {}}

    def interrupt(signum: int, frame: Any) -> None:
        raise _Timeout

    signal.signal(signal.SIGALRM, interrupt)
    for name, text in json.loads(Path(queries_json).read_text(encoding="utf-8")).items():
        began = time.perf_counter()
        signal.alarm(int(float(cap)))
        error = ""
        try:
            rows: int | None = len(list(data.query(text)))
        except _Timeout:
            rows = None
        except Exception as err:  # rdflib cannot run every view; say so, carry on
            rows, error = None, f"{type(err).__name__}: {err}"[:300]
        finally:
            signal.alarm(0)
        out["views"][name] = {"seconds": time.perf_counter() - began, "rows": rows,
                              "capped": rows is None and not error, "error": error}
    return out


CHILDREN: dict[str, Callable[..., dict[str, Any]]] = {
    "ours-validate": child_ours_validate,
    "baseline-validate": child_baseline_validate,
    "turbo-validate": lambda project_dir: child_baseline_validate(project_dir, "turbo"),
    "ours-views": child_ours_views,
    "baseline-views": child_baseline_views,
}

# ----------------------------------------------------------------------------- running


def measure(argv: Sequence[str], cap: float | None = None) -> dict[str, Any]:
    """Run ``argv`` in a new process: wall time, peak memory, exit code, stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdout=out, stderr=err, cwd=REPO)
        capped = False
        peaks: dict[int, int] = {}
        polls = 0
        started = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if cap is not None and time.perf_counter() - start > cap:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                capped = True
                break
            if started or (started := _running(proc.pid, argv)):
                _peaks(proc.pid, peaks, tree=polls % 10 == 0)
            polls += 1
            time.sleep(0.01)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
                "peak_mb": max(peaks.values(), default=0) / 1024, "exit": proc.returncode,
                "capped": capped, "stdout": out.read().decode("utf-8", "replace"),
                "stderr": err.read().decode("utf-8", "replace")[-2000:]}


def _running(pid: int, argv: Sequence[str]) -> bool:
    """Whether ``pid`` runs ``argv`` yet (until its ``exec``, it is a copy of this process,
    whose memory is not the command's)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read() == b"".join(os.fsencode(a) + b"\0" for a in argv)
    except OSError:
        return False


def _peaks(pid: int, peaks: dict[int, int], tree: bool) -> None:
    """Record the peak resident memory (kB, ``VmHWM``) of ``pid`` and, with ``tree``, of
    its descendants (a build's worker processes). Not ``ru_maxrss``: Linux carries a
    process's peak across ``exec``, so every child would count at least the size of
    this benchmark process when it was started."""
    todo = [pid]
    while todo:
        one = todo.pop()
        try:
            with open(f"/proc/{one}/status", encoding="ascii", errors="replace") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peaks[one] = max(peaks.get(one, 0), int(line.split()[1]))
                        break
            if tree:
                for task in os.listdir(f"/proc/{one}/task"):
                    with open(f"/proc/{one}/task/{task}/children", encoding="ascii") as kids:
                        todo.extend(int(k) for k in kids.read().split())
        except (OSError, ValueError):
            continue  # the process has just ended


def child(kind: str, *args: str, cap: float | None = None) -> dict[str, Any]:
    run = measure([sys.executable, __file__, "--child", kind, *args], cap)
    data: dict[str, Any] = {}
    if not run["capped"] and run["exit"] == 0:
        data = json.loads(run["stdout"])
    elif not run["capped"]:
        raise RuntimeError(f"{kind} failed:\n{run['stderr']}")
    return {**data, "wall_s": run["wall_s"], "cpu_s": run["cpu_s"], "peak_mb": run["peak_mb"],
            "capped": run["capped"]}


def guidebook() -> str:
    script = Path(sys.executable).parent / "guidebook"
    found = shutil.which("guidebook")
    return str(script) if script.exists() else (found or "guidebook")


def canonical(results: list[list[Any]]) -> Counter[tuple[Any, ...]]:
    """Result keys with terms in one canonical N-Triples form (pyoxigraph's), so that the
    two stacks' spellings of the same literal compare equal."""
    import pyoxigraph as ox

    def term(text: str | None) -> str | None:
        if text is None:
            return None
        if text.startswith("_:"):
            return text
        store = ox.Store()
        store.load(f"<urn:s> <urn:p> {text} .".encode(), ox.RdfFormat.N_TRIPLES)
        return str(next(iter(store)).object)

    severity = {"3": 3, "2": 2, "1": 1}
    out: Counter[tuple[Any, ...]] = Counter()
    for focus, path, value, shape, component, level in results:
        level = str(level)
        level = severity.get(level, {"Violation": 3, "Warning": 2, "Info": 1}.get(
            level.rsplit("#", 1)[-1], level))
        out[(term(focus), term(path), term(value), term(shape), term(component), level)] += 1
    return out


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# ----------------------------------------------------------------------------- steps


def generate(size: int, work: Path, seed: int) -> dict[str, Path]:
    from guidebook_kg import synthetic
    from guidebook_kg.project import find_project

    folders = {}
    for kind, errors in (("clean", False), ("errors", True)):
        folder = work / f"{size}-{kind}-seed{seed}"
        manifest = folder / synthetic.MANIFEST
        if not manifest.is_file():
            shutil.rmtree(folder, ignore_errors=True)
            # Below 100 programmes not every rating occurs once per error kind: pack them.
            synthetic.generate(size, folder, seed=seed, inject_errors=errors,
                               dense=errors and size < 100, source=find_project(REPO))
        folders[kind] = folder
    return folders


def bench_validation(folders: dict[str, Path], repeats: int, baseline: bool, turbo: bool,
                     cap: float) -> dict[str, Any]:
    runs = [child("ours-validate", str(folders["errors"])) for _ in range(repeats)]
    out: dict[str, Any] = {
        "ours": {
            "median_s": median([r["total_s"] for r in runs]),
            "load_s": median([r["load_s"] for r in runs]),
            "validate_s": median([r["validate_s"] for r in runs]),
            # CPU seconds of the whole child process (user + system), beside wall time:
            # on a shared machine the wall clock also counts other people's work.
            "cpu_s": median([r["cpu_s"] for r in runs]),
            "peak_mb": max(r["peak_mb"] for r in runs),
            "results": len(runs[0]["results"]),
            "runs": [r["total_s"] for r in runs],
        },
    }
    for key, kind, wanted in (("baseline", "baseline-validate", baseline),
                              ("turbo", "turbo-validate", turbo)):
        if wanted:
            out.update(_baseline_validation(key, kind, folders, runs[0], repeats, cap))
    return out


def _baseline_validation(key: str, kind: str, folders: dict[str, Path], ours: dict[str, Any],
                         repeats: int, cap: float) -> dict[str, Any]:
    """One baseline stack on the same files, capped; its results beside ours."""
    base_runs = []
    for _ in range(repeats):
        run = child(kind, str(folders["errors"]), cap=cap)
        base_runs.append(run)
        if run["capped"] or run["wall_s"] > 30:
            break  # one run past the cap (or a slow one) is enough to rank it
    finished = [r for r in base_runs if not r["capped"]]
    out: dict[str, Any] = {key: {
        "capped": not finished,
        "median_s": median([r["total_s"] for r in finished]) if finished else None,
        "cap_s": cap,
        # A capped run's CPU time is a lower bound, like its wall time.
        "cpu_s": median([r["cpu_s"] for r in (finished or base_runs)]),
        "peak_mb": max(r["peak_mb"] for r in base_runs),
        "runs": [None if r["capped"] else r["total_s"] for r in base_runs],
    }}
    if finished:
        mine, theirs = canonical(ours["results"]), canonical(finished[0]["results"])
        prefix = "" if key == "baseline" else f"{key}_"
        out[f"{prefix}same_results"] = mine == theirs
        out[f"{prefix}differences"] = {"only_ours": [list(k) for k in (mine - theirs)],
                                       "only_baseline": [list(k) for k in (theirs - mine)]}
    return out


def _edit(path: Path, original: bytes, step: int) -> None:
    """Change one study's rating in ``path`` (a programme file): a different value at each
    step, so every step is a change the cache must notice and re-derive."""
    text = original.decode("utf-8")
    marker = "gb:studyRating gbc:study-rating-"
    at = text.index(marker) + len(marker)
    ratings = ["2", "3", "4"]
    new = ratings[(ratings.index(text[at]) + 1 + step % 2) % 3]
    path.write_bytes((text[:at] + new + text[at + 1:]).encode("utf-8"))


def bench_cache(folder: Path, repeats: int) -> dict[str, Any]:
    """``guidebook validate`` end to end through the cache: cold (no cache: it loads every
    file and keeps the graph), warm (an unchanged project), and after one programme file
    is edited (that file reloaded, what it affects derived and validated again). The
    edits are undone at the end, and the report then must be the cold run's, byte for
    byte: the incremental path gives what a full run gives."""
    shutil.rmtree(folder / ".guidebook-cache", ignore_errors=True)
    line = [guidebook(), "--cache", "--project", str(folder), "validate", "--format", "json"]
    cold = measure(line)
    warm = [measure(line) for _ in range(max(repeats, 2))]
    target = folder / "data" / f"{SLUG}.ttl"
    original = target.read_bytes()
    edits = []
    try:
        for step in range(max(repeats, 2)):
            time.sleep(0.05)
            _edit(target, original, step)
            edits.append(measure(line))
    finally:
        target.write_bytes(original)
    undone = measure(line)

    def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
        return {"median_s": median([r["wall_s"] for r in runs]),
                "cpu_s": median([r["cpu_s"] for r in runs]),
                "peak_mb": max(r["peak_mb"] for r in runs),
                "exits": sorted({r["exit"] for r in runs})}

    return {"cold": summary([cold]), "warm": summary(warm), "edit": summary(edits),
            "undone": summary([undone]),
            "same_results": undone["stdout"] == cold["stdout"]
            and all(r["stdout"] == cold["stdout"] for r in warm)}


def bench_reference_check(work: Path, seed: int) -> dict[str, Any]:
    """Both engines on 20 programmes carrying one error of every kind: the same-results
    check that stays affordable when the plain baseline is past its cap."""
    import logging

    from guidebook_kg import store, synthetic, validate
    from guidebook_kg.project import find_project

    logging.getLogger("rdflib").setLevel(logging.CRITICAL)  # the ill-typed literal, on purpose
    folder = work / f"20-dense-seed{seed}"
    if not (folder / synthetic.MANIFEST).is_file():
        shutil.rmtree(folder, ignore_errors=True)
        synthetic.generate(20, folder, seed=seed, inject_errors=True, dense=True,
                           source=find_project(REPO))
    project = find_project(folder)
    data = store.load(project)
    timings, keys = {}, {}
    for engine in ("fast", "pyshacl"):
        began = time.perf_counter()
        report = validate.validate(data, project, engine=engine)
        timings[engine] = time.perf_counter() - began
        keys[engine] = Counter((r.key(), r.severity) for r in report.results)
    out = {"programmes": 20, "results": sum(keys["fast"].values()),
           "same_results": keys["fast"] == keys["pyshacl"], "seconds": timings}
    if _version_or_none("pyshacl-turbo") is not None:
        # pyshacl-turbo on the same graph (the derived facts too), read back as the
        # pyshacl engine reads pySHACL's report
        import pyshacl_turbo

        from guidebook_kg import pyshacl_engine

        shapes = pyshacl_engine._shapes_graph(validate.load_shapes(project.shape_files()))
        graph = pyshacl_engine._rdflib_graph(data, pyshacl_engine._prepared_query_graph())
        began = time.perf_counter()
        _, report_graph, _ = pyshacl_turbo.validate(graph, shacl_graph=shapes,
                                                    inference="none", advanced=False)
        timings["turbo"] = time.perf_counter() - began
        turbo = Counter((r.key(), r.severity)
                        for r in pyshacl_engine._results_from_report(report_graph, shapes))
        out["turbo_same_results"] = keys["fast"] == turbo
    return out


def bench_views(folders: dict[str, Path], repeats: int, baseline: bool,
                cap: float) -> dict[str, Any]:
    runs = [child("ours-views", str(folders["clean"])) for _ in range(repeats)]
    names = sorted(runs[0]["views"])
    out: dict[str, Any] = {"peak_mb": max(r["peak_mb"] for r in runs), "views": {}}
    for name in names:
        out["views"][name] = {"ours_s": median([r["views"][name]["seconds"] for r in runs]),
                              "rows": runs[0]["views"][name]["rows"],
                              "params": runs[0]["views"][name]["params"]}
    if baseline:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump({n: runs[0]["views"][n]["query"] for n in names}, handle)
        try:
            base = child("baseline-views", str(folders["clean"]), handle.name, str(cap),
                         cap=cap * (len(names) + 2) + 600)
        finally:
            os.unlink(handle.name)
        out["baseline_peak_mb"] = base["peak_mb"]
        for name, row in base.get("views", {}).items():
            failed = row["rows"] is None
            out["views"][name]["baseline_s"] = None if failed else row["seconds"]
            out["views"][name]["baseline_cap_s"] = cap
            out["views"][name]["baseline_error"] = row["error"]
            out["views"][name]["same_rows"] = (None if failed
                                               else row["rows"] == out["views"][name]["rows"])
    return out


def command_lines(folder: Path, out_dir: Path) -> dict[str, list[str]]:
    """The commands to time, end to end; saved views are found in the project."""
    from guidebook_kg import views
    from guidebook_kg.cli import main
    from guidebook_kg.project import find_project

    project = ["--project", str(folder)]
    lines = {
        "validate": [*project, "validate", "--format", "json"],
        "rate": [*project, "rate"],
        "page": [*project, "page", SLUG],
        "build": [*project, "build", "--out", str(out_dir / "build")],
        "export": [*project, "export", "--format", "nt", "--output", str(out_dir / "all.nt")],
    }
    for name, view in sorted(views.load_views(find_project(folder)).items()):
        params = [f"--param={k}={v}" for k, v in _view_parameters(view).items()]
        lines[f"query {name}"] = [*project, "query", name, *params, "--format", "json"]
    # Commands without a known invocation (new ones, serve, push) are listed, not timed.
    return {k: v for k, v in lines.items() if k.split()[0] in main.commands}


def bench_commands(folder: Path, repeats: int, cap: float,
                   only: frozenset[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name, args in command_lines(folder, Path(scratch)).items():
            if only is not None and name.split()[0] not in only:
                continue
            runs = []
            for _ in range(repeats):
                shutil.rmtree(Path(scratch) / "build", ignore_errors=True)
                run = measure([guidebook(), *args], cap)
                runs.append(run)
                if run["capped"]:
                    break
            out[name] = _command_summary(runs)
            if name == "build" and not runs[-1]["capped"] and runs[-1]["exit"] == 0:
                # The same build again, nothing changed: the previous folder is kept.
                again = [measure([guidebook(), *args], cap) for _ in range(repeats)]
                out["build, nothing changed"] = _command_summary(again)
    return out


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tree_cpu(root: int) -> float:
    """CPU seconds (user + system) of process ``root`` and every live descendant, plus the
    children it has already waited for: the whole server, its query workers included."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        # fields[1] is ppid; utime, stime, cutime, cstime are fields 14-17 of stat
        stats[int(entry.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]) / tick)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, (0, 0.0))[1]
        todo.extend(child for child, (parent, _) in stats.items() if parent == pid)
    return total


def _wait_http(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def serve_queries(slugs: Sequence[str], count: int, first: int = 0) -> list[str]:
    """``count`` SELECT queries, each a new text (a different programme, and a literal
    no other request carries), so no cache can answer one from another."""
    base = "https://w3id.org/guidebook-kg/id/programme/"
    out = []
    for number in range(first, first + count):
        programme = base + slugs[number % len(slugs)]
        out.append(
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            "SELECT ?p ?o ?label WHERE {\n"
            f"  <{programme}> ?p ?o .\n"
            "  OPTIONAL { ?o rdfs:label ?label }\n"
            f'  FILTER(!sameTerm(?o, "request {number}"))\n'
            "}")
    return out


def _post_query(conn: Any, path: str, query: str) -> tuple[int, bytes]:
    conn.request("POST", path, body=query.encode("utf-8"),
                 headers={"Content-Type": "application/sparql-query",
                          "Accept": "application/sparql-results+json"})
    response = conn.getresponse()
    return response.status, response.read()


def drive(host: str, port: int, path: str, queries: Sequence[str],
          clients: int) -> dict[str, Any]:
    """Send ``queries`` from ``clients`` threads, each on its own keep-alive connection
    from its own loopback address, one request at a time; latency of each, statuses,
    wall time."""
    import http.client
    import threading

    lock = threading.Lock()
    position = iter(range(len(queries)))
    latencies: list[float] = []
    statuses: Counter[int] = Counter()

    def client(number: int) -> None:
        # Each client from its own loopback address, as distinct users reach a public
        # endpoint (the server shares its query workers fairly between addresses).
        source = (f"127.0.{number // 250}.{number % 250 + 2}", 0)

        def connect() -> http.client.HTTPConnection:
            return http.client.HTTPConnection(host, port, timeout=120, source_address=source)

        conn = connect()
        mine, codes = [], Counter()
        while True:
            with lock:
                number = next(position, None)
            if number is None:
                break
            began = time.perf_counter()
            try:
                status, _ = _post_query(conn, path, queries[number])
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = connect()
                status = 0
            mine.append(time.perf_counter() - began)
            codes[status] += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            statuses.update(codes)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    latencies.sort()
    return {"requests": len(queries), "wall_s": wall, "rps": len(queries) / wall,
            "p50_ms": 1000 * latencies[len(latencies) // 2],
            "p95_ms": 1000 * latencies[int(len(latencies) * 0.95)],
            "statuses": {str(k): v for k, v in sorted(statuses.items())}}


def _rows(body: bytes) -> set[tuple[tuple[str, ...], ...]]:
    """SPARQL JSON results as a set of rows; blank nodes compare as one."""
    rows = set()
    for binding in json.loads(body)["results"]["bindings"]:
        row = []
        for name, term in sorted(binding.items()):
            datatype = term.get("datatype")
            if datatype == "http://www.w3.org/2001/XMLSchema#string":
                datatype = None
            value = "_" if term["type"] == "bnode" else term["value"]
            row.append((name, term["type"], value, term.get("xml:lang") or "",
                        datatype or ""))
        rows.add(tuple(row))
    return rows


def bench_serve(folder: Path, requests: int = 2000, clients: int = 20, warmup: int = 200,
                sample: int = 50, site: Path | None = None) -> dict[str, Any]:
    """``guidebook serve`` against an Oxigraph server (PyPI ``oxigraph``, in memory, with
    the union of the graphs as default graph) holding the same dump: the same ``requests``
    distinct SELECT queries (after ``warmup`` others) from ``clients`` concurrent
    keep-alive connections to each; requests per second, latency, and the CPU time of each
    server's processes while it answered. ``sample`` queries are asked of both and their
    answers compared as sets of rows."""
    import http.client
    import urllib.request

    from guidebook_kg import synthetic
    from guidebook_kg.site.dataset import DUMP_STEM

    slugs = sorted(synthetic.load_manifest(folder)["ratings"])
    ours_port, oxi_port = _free_port(), _free_port()
    oxigraph = str(Path(sys.executable).with_name("oxigraph"))
    if not Path(oxigraph).exists():
        oxigraph = shutil.which("oxigraph") or "oxigraph"
    command = [guidebook(), "--project", str(folder), "serve", "--host", "127.0.0.1",
               "--port", str(ours_port), *(["--site", str(site)] if site else [])]
    out: dict[str, Any] = {"requests": requests, "clients": clients, "warmup": warmup}
    with tempfile.TemporaryDirectory() as scratch:
        log = open(Path(scratch) / "serve.log", "wb")  # noqa: SIM115 (closed below)
        ours = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        theirs = subprocess.Popen([oxigraph, "serve", "--bind", f"127.0.0.1:{oxi_port}",
                                   "--union-default-graph"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            began = time.perf_counter()
            _wait_http(f"http://127.0.0.1:{ours_port}/", ours, 3600)
            out["ours_start_s"] = time.perf_counter() - began
            _wait_http(f"http://127.0.0.1:{oxi_port}/query?query=ASK%7B%7D", theirs, 60)
            # The dump our query workers load, loaded into Oxigraph.
            dump = Path(scratch) / f"{DUMP_STEM}.nq"
            with urllib.request.urlopen(f"http://127.0.0.1:{ours_port}/{DUMP_STEM}.nq") as got:
                dump.write_bytes(got.read())
            conn = http.client.HTTPConnection("127.0.0.1", oxi_port, timeout=600)
            conn.request("POST", "/store", body=dump.read_bytes(),
                         headers={"Content-Type": "application/n-quads"})
            loaded = conn.getresponse()
            loaded.read()
            conn.close()
            if loaded.status not in (200, 201, 204):
                raise RuntimeError(f"Oxigraph refused the dump: {loaded.status}")
            targets = {"ours": (ours, ours_port, "/sparql"),
                       "oxigraph": (theirs, oxi_port, "/query")}
            count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
            for name, (_, port, path) in targets.items():
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
                status, body = _post_query(conn, path, count)
                conn.close()
                value = json.loads(body)["results"]["bindings"][0]["n"]["value"]
                out[f"{name}_quads"] = int(value)
            # Every query below is new text to both servers.
            warm = serve_queries(slugs, warmup, first=0)
            timed = serve_queries(slugs, requests, first=warmup)
            for name, (process, port, path) in targets.items():
                drive("127.0.0.1", port, path, warm, clients)
                cpu = _tree_cpu(process.pid)
                run = drive("127.0.0.1", port, path, timed, clients)
                run["cpu_s"] = _tree_cpu(process.pid) - cpu
                run["cpu_ms_per_request"] = 1000 * run["cpu_s"] / requests
                out[name] = run
            checked = serve_queries(slugs, sample, first=warmup + requests)
            same, rows = 0, 0
            for query in checked:
                answers = []
                for _, port, path in targets.values():
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                    status, body = _post_query(conn, path, query)
                    conn.close()
                    answers.append(_rows(body) if status == 200 else None)
                same += answers[0] is not None and answers[0] == answers[1]
                rows += len(answers[0] or ())
            out["compared"] = sample
            out["same_answers"] = same
            out["compared_rows"] = rows
            out["ratio_rps"] = out["ours"]["rps"] / out["oxigraph"]["rps"]
            out["ratio_cpu"] = out["ours"]["cpu_s"] / out["oxigraph"]["cpu_s"]
        finally:
            ours.send_signal(signal.SIGINT)
            theirs.terminate()
            for process in (ours, theirs):
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            log.close()
    return out


def _command_summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "median_s": median([r["wall_s"] for r in runs if not r["capped"]]),
        "cpu_s": median([r["cpu_s"] for r in runs]),
        "capped": any(r["capped"] for r in runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
        "exit": runs[-1]["exit"],
        "error": runs[-1]["stderr"] if runs[-1]["exit"] not in (0,) else "",
    }


# ----------------------------------------------------------------------------- report


def _s(value: float | None, capped: bool = False, cap: float | None = None) -> str:
    if capped:
        return f"> {cap:.0f} s"
    if value is None or value != value:
        return "-"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} MB"


def serve_row(doc: dict[str, Any], sizes: list[str], row: Callable[[str, list[str]], None],
              cell: Callable[..., Any]) -> None:
    """The serve step's row of the table (none when it did not run)."""
    cells = []
    for s in sizes:
        one = cell(s, "serve")
        if one is None:
            cells.append("-")
            continue
        ours, theirs = one["ours"], one["oxigraph"]
        cells.append(
            f"{ours['rps']:,.0f} req/s, p50 {ours['p50_ms']:.0f} ms, p95 "
            f"{ours['p95_ms']:.0f} ms, {ours['cpu_ms_per_request']:.2f} CPU-ms/req "
            f"(Oxigraph {theirs['rps']:,.0f} req/s, p50 {theirs['p50_ms']:.0f} ms, p95 "
            f"{theirs['p95_ms']:.0f} ms, {theirs['cpu_ms_per_request']:.2f} CPU-ms/req); "
            f"ratio {one['ratio_rps']:.2f}, CPU {one['ratio_cpu']:.1f}x; "
            f"{one['same_answers']} of {one['compared']} answers identical")
    if any(c != "-" for c in cells):
        clients = next(cell(s, "serve", "clients") for s in sizes if cell(s, "serve"))
        row(f"`guidebook serve` against an Oxigraph server, distinct SELECTs, {clients} "
            "clients (requests per second, latency, server CPU per request)", cells)


def markdown(doc: dict[str, Any]) -> str:
    sizes = list(doc["sizes"])
    head = "| | " + " | ".join(f"{int(s):,} programmes" for s in sizes) + " |"
    rule = "|---|" + "---|" * len(sizes)
    rows = [head, rule]

    def row(label: str, cells: list[str]) -> None:
        rows.append(f"| {label} | " + " | ".join(cells) + " |")

    def cell(size: str, *path: str) -> Any:
        node: Any = doc["sizes"][size]
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return node

    row("triples", [f"{cell(s, 'triples'):,}" for s in sizes])
    if all(cell(s, "validation") is None for s in sizes):  # --serve-only
        serve_row(doc, sizes, row, cell)
        return (f"Benchmark of {doc['date']}, `{doc['command']}`.\n\n" + "\n".join(rows)
                + "\n")
    row("validate, ours, no cache: load + derive + Core + SPARQL rules (CPU time, peak "
        "memory)",
        [f"{_s(cell(s, 'validation', 'ours', 'median_s'))} "
         f"({_s(cell(s, 'validation', 'ours', 'cpu_s'))} CPU, "
         f"{_mb(cell(s, 'validation', 'ours', 'peak_mb'))})" for s in sizes])
    row("&nbsp;&nbsp;of which load / validation",
        [f"{_s(cell(s, 'validation', 'ours', 'load_s'))} / "
         f"{_s(cell(s, 'validation', 'ours', 'validate_s'))}" for s in sizes])
    for step, label in (("cold", "no cache yet: load, derive, keep, validate"),
                        ("warm", "unchanged project (cache read)"),
                        ("edit", "after editing one programme file")):
        cells = []
        for s in sizes:
            one = cell(s, "cache", step)
            cells.append("-" if one is None else
                         f"{_s(one['median_s'])} ({_s(one['cpu_s'])} CPU, "
                         f"{_mb(one['peak_mb'])})")
        row(f"`guidebook validate` through the cache, {label} (CPU time, peak memory)", cells)
    row("&nbsp;&nbsp;edited and undone: the report is the cold run's",
        ["-" if cell(s, "cache") is None else
         ("identical" if cell(s, "cache", "same_results") else "DIFFERENT") for s in sizes])
    for key, name in (("baseline", "rdflib parse + pyshacl"),
                      ("turbo", "rdflib parse + pyshacl-turbo")):
        prefix = "" if key == "baseline" else f"{key}_"
        cells = []
        for s in sizes:
            base = cell(s, "validation", key)
            if base is None:
                cells.append("not run")
            else:
                cpu = base.get("cpu_s")
                cpu_text = "-" if cpu is None else ("> " if base["capped"] else "") + _s(cpu)
                cells.append(f"{_s(base['median_s'], base['capped'], base['cap_s'])} "
                             f"({cpu_text} CPU, {_mb(base['peak_mb'])})")
        row(f"validate, baseline: {name} (CPU time, peak memory)", cells)
        cells = []
        for s in sizes:
            base, ours = cell(s, "validation", key), cell(s, "validation", "ours")
            if base is None:
                cells.append("-")
            else:
                bound = "< " if base["capped"] else ""
                wall = ours["median_s"] / (base["cap_s"] if base["capped"]
                                           else base["median_s"])
                cpu = (f", CPU {bound}{ours['cpu_s'] / base['cpu_s']:.4f}"
                       if ours.get("cpu_s") and base.get("cpu_s") else "")
                cells.append(f"{bound}{wall:.4f}{cpu}")
        row(f"&nbsp;&nbsp;ratio ours (no cache) / {name} (wall, CPU)", cells)
        cells = []
        for s in sizes:
            same = cell(s, "validation", f"{prefix}same_results")
            results = cell(s, "validation", "ours", "results")
            if cell(s, "validation", key) is None:
                cells.append(f"{results} results, not run")
            elif same is None:
                cells.append(f"{results} results, capped")
            else:
                cells.append(f"{results} results, " + ("identical" if same else "DIFFERENT"))
        row(f"&nbsp;&nbsp;same results as {name}", cells)
    ref = doc.get("reference_check")
    if ref:
        row("same results as pyshacl, 20 programmes with every kind of error",
            [("identical" if ref["same_results"] else "DIFFERENT")
             + f" ({ref['results']} results)"] + [""] * (len(sizes) - 1))
        if "turbo_same_results" in ref:
            row("same results as pyshacl-turbo, on the same graph",
                [("identical" if ref["turbo_same_results"] else "DIFFERENT")
                 + f" ({ref['results']} results)"] + [""] * (len(sizes) - 1))
    views = sorted({v for s in sizes for v in (cell(s, "views", "views") or {})})
    for name in views:
        cells = []
        for s in sizes:
            one = cell(s, "views", "views", name)
            if one is None:
                cells.append("-")
                continue
            text = _s(one["ours_s"])
            if one.get("baseline_error"):
                text += " (rdflib: fails)"
            elif "baseline_s" in one:
                base = _s(one["baseline_s"], one["baseline_s"] is None, one["baseline_cap_s"])
                text += f" (rdflib {base})"
            cells.append(text)
        row(f"view `{name}` (query only)", cells)
    commands = sorted({c for s in sizes for c in (cell(s, "commands") or {})})
    for name in commands:
        cells = []
        for s in sizes:
            one = cell(s, "commands", name)
            if one is None:
                cells.append("-")
                continue
            text = _s(one["median_s"], one["capped"], doc["command_cap_s"])
            if one["exit"] not in (0,):
                text += f" (exit {one['exit']})"
            cpu = one.get("cpu_s")
            cpu_text = "" if cpu is None else ("> " if one["capped"] else "") + _s(cpu) + " CPU, "
            cells.append(f"{text} ({cpu_text}{_mb(one['peak_mb'])})")
        row(f"`guidebook {name}`, end to end, loaded in memory (CPU time, peak memory)", cells)
    serve_row(doc, sizes, row, cell)
    machine = doc["machine"]
    return (
        f"Benchmark of {doc['date']} on {machine['cpus']} CPUs, {machine['memory_gb']:.0f} GB, "
        f"{machine['system']}, Python {machine['python']}, pyoxigraph {machine['pyoxigraph']}, "
        f"pyshacl {machine['pyshacl']}, pyshacl-turbo {machine.get('pyshacl-turbo')}, "
        f"rdflib {machine['rdflib']}.\n"
        f"Command: `{doc['command']}`. Medians of "
        + ", ".join(f"{n} runs at {int(s):,}" for s, n in doc["repeats"].items())
        + "; baseline "
        f"capped at {doc['baseline_cap_s']:.0f} s; every run in its own process.\n\n"
        + "\n".join(rows) + "\n"
    )


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpus": os.cpu_count(), "memory_gb": memory, "system": platform.platform(),
            "python": platform.python_version(),
            **{name: version(name) for name in ("pyoxigraph", "pyshacl", "rdflib")},
            "pyshacl-turbo": _version_or_none("pyshacl-turbo")}


def _version_or_none(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default="100,1000,10000",
                        help="programme counts (default: %(default)s)")
    parser.add_argument("--repeats", default="5,3,1",
                        help="runs per size, in the order of --sizes (default: %(default)s)")
    parser.add_argument("--baseline-sizes", default="100,1000",
                        help="sizes at which the rdflib/pyshacl baseline runs (default: "
                        "%(default)s; at 10,000 rdflib alone needs ~85 s and 3.4 GB to parse)")
    parser.add_argument("--turbo-sizes", default="100,1000",
                        help="sizes at which rdflib + pyshacl-turbo (the Rust engine, "
                        "`pip install .[bench]`) runs as a second baseline (default: "
                        "%(default)s; empty: not at all)")
    parser.add_argument("--baseline-cap", type=float, default=120.0,
                        help="seconds after which a baseline run is stopped and reported as "
                        "'more than' (default: %(default)s)")
    parser.add_argument("--command-cap", type=float, default=600.0,
                        help="seconds after which a command is stopped (default: %(default)s)")
    parser.add_argument("--commands", default="",
                        help="the commands to time end to end, e.g. validate,build,query "
                        "(default: every one)")
    parser.add_argument("--serve-sizes", default="1000",
                        help="sizes at which `guidebook serve` and an Oxigraph server answer "
                        "the same distinct SELECT queries from 20 clients (default: "
                        "%(default)s; empty: not at all)")
    parser.add_argument("--serve-only", action="store_true",
                        help="run only the serve step, at --serve-sizes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=REPO / "bench-results" / "data",
                        help="where the generated projects are kept between runs")
    parser.add_argument("--out", type=Path, default=REPO / "bench-results",
                        help="folder for bench.json and bench.md (default: %(default)s)")
    args = parser.parse_args(argv)

    if args.child:
        kind, *rest = args.child
        print(json.dumps(CHILDREN[kind](*rest)))
        return 0

    sizes = [int(s) for s in args.sizes.split(",")]
    repeats = [int(r) for r in args.repeats.split(",")]
    repeats += [repeats[-1]] * (len(sizes) - len(repeats))
    baseline_sizes = {int(s) for s in args.baseline_sizes.split(",") if s}
    turbo_sizes = {int(s) for s in args.turbo_sizes.split(",") if s}
    args.work.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {
        "date": datetime.date.today().isoformat(),
        "command": "python tests/benchmarks/bench.py"
        + ("" if argv is None and len(sys.argv) == 1 else " " + " ".join(sys.argv[1:])),
        "machine": machine(), "repeats": dict(zip(map(str, sizes), repeats, strict=True)),
        "baseline_cap_s": args.baseline_cap, "command_cap_s": args.command_cap, "sizes": {},
    }
    serve_sizes = {int(s) for s in args.serve_sizes.split(",") if s}
    if args.serve_only:
        for size in sorted(serve_sizes):
            print(f"{size} programmes: serve against Oxigraph", flush=True)
            folders = generate(size, args.work, args.seed)
            from guidebook_kg import synthetic

            doc["sizes"][str(size)] = {
                "triples": synthetic.load_manifest(folders["clean"])["triples"],
                "serve": bench_serve(folders["clean"])}
            doc["repeats"] = {str(s): 1 for s in doc["sizes"]}
            write(doc, args.out)
        print((args.out / "bench.md").read_text(encoding="utf-8"))
        return 0
    print("reference check: both engines on 20 programmes with every kind of error", flush=True)
    doc["reference_check"] = bench_reference_check(args.work, args.seed)
    for size, runs in zip(sizes, repeats, strict=True):
        began = time.perf_counter()
        print(f"{size} programmes: generating", flush=True)
        folders = generate(size, args.work, args.seed)
        from guidebook_kg import synthetic

        entry: dict[str, Any] = {"triples": synthetic.load_manifest(folders["clean"])["triples"]}
        doc["sizes"][str(size)] = entry
        baseline = size in baseline_sizes
        print(f"{size} programmes: validation", flush=True)
        entry["validation"] = bench_validation(folders, runs, baseline, size in turbo_sizes,
                                               args.baseline_cap)
        print(f"{size} programmes: validate through the cache (cold, warm, edited)",
              flush=True)
        entry["cache"] = bench_cache(folders["clean"], runs)
        print(f"{size} programmes: views", flush=True)
        entry["views"] = bench_views(folders, runs, baseline, args.baseline_cap)
        print(f"{size} programmes: commands", flush=True)
        entry["commands"] = bench_commands(
            folders["clean"], runs, args.command_cap,
            frozenset(args.commands.split(",")) if args.commands else None)
        if size in serve_sizes:
            print(f"{size} programmes: serve against Oxigraph", flush=True)
            entry["serve"] = bench_serve(folders["clean"])
        entry["bench_s"] = time.perf_counter() - began
        write(doc, args.out)
    write(doc, args.out)
    print((args.out / "bench.md").read_text(encoding="utf-8"))
    return 0


def write(doc: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    (out / "bench.md").write_text(markdown(doc), encoding="utf-8")


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
