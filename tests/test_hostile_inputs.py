"""The hostile-input catalogue: what an attacker or an unlucky user feeds the command line.

One case per row of CATALOGUE: how the input is made, the command, the exit code and the
words the one-line error must hold. Every case runs ``guidebook`` as a real process and
checks that it printed no traceback, left no partial file, and left earlier output
(a page, an export, a previous build) as it was.
"""

from __future__ import annotations

import http.server
import os
import resource
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from guidebook_kg.project import CACHE

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
IPP = "infant-parent-psychotherapy"
IPP_FILE = REPO / "data" / "programmes" / f"{IPP}.ttl"
RUNAWAY = "SELECT ?a WHERE { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z . ?d ?t ?w } ORDER BY ?a ?b ?c ?d"


@dataclass
class Setup:
    """What a case needs: its arguments, where it runs, and limits on the process."""

    args: list[str]
    cwd: Path | None = None
    file_size_limit: int | None = None
    cleanup: list[Callable[[], None]] = field(default_factory=list)


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], Setup]
    exit_code: int
    words: tuple[str, ...]
    max_seconds: float | None = None


def project_copy(tmp: Path, *, without: tuple[str, ...] = ()) -> Path:
    root = tmp / "project"
    for folder in ("ontology", "data", "shapes", "queries"):
        shutil.copytree(REPO / folder, root / folder)
    for relative in without:
        target = root / relative
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()
    return root


def earlier_build(folder: Path) -> None:
    """A folder that passes for a previous build (what --out replaces)."""
    folder.mkdir()
    (folder / "void.ttl").write_text("# the previous release\n", encoding="utf-8")
    (folder / "index.html").write_text("<p>previous</p>\n", encoding="utf-8")
    (folder / "SHA256SUMS").write_text(
        "0" * 64 + "  void.ttl\n" + "1" * 64 + "  index.html\n", encoding="utf-8"
    )


def earlier_file(path: Path) -> Path:
    path.write_text("the earlier output\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------ the cases


def huge_literal(tmp: Path) -> Setup:
    path = tmp / "huge.ttl"
    with path.open("w", encoding="utf-8") as handle:
        handle.write('@prefix ex: <http://example.org/> .\nex:a ex:b "')
        handle.write("x" * 50_000_000)
        handle.write('" .\n')
    return Setup(["--project", str(REPO), "--data", str(path), "validate"])


def page_to_empty_path(tmp: Path) -> Setup:
    return Setup(["--project", str(REPO), "page", IPP, "-o", ""], cwd=tmp)


def export_to_empty_path(tmp: Path) -> Setup:
    return Setup(["--project", str(REPO), "export", "-o", ""], cwd=tmp)


def page_on_full_disk(tmp: Path) -> Setup:
    out = earlier_file(tmp / "page.md")
    return Setup(["--project", str(REPO), "page", IPP, "-o", str(out)], file_size_limit=2000)


def export_on_full_disk(tmp: Path) -> Setup:
    out = earlier_file(tmp / "graph.nt")
    return Setup(
        ["--project", str(REPO), "export", "--format", "nt", "-o", str(out)],
        file_size_limit=2000,
    )


def broken_jsonld_in_data(tmp: Path) -> Setup:
    root = project_copy(tmp)
    (root / "data" / "programmes" / "broken.jsonld").write_text('{"@id": ', encoding="utf-8")
    return Setup(["--project", str(root), "validate"])


def dangling_link_in_data(tmp: Path) -> Setup:
    root = project_copy(tmp)
    (root / "data" / "programmes" / "gone.ttl").symlink_to(tmp / "nowhere.ttl")
    return Setup(["--project", str(root), "validate"])


def looping_link_in_data(tmp: Path) -> Setup:
    root = project_copy(tmp)
    link = root / "data" / "programmes" / "loop.ttl"
    link.symlink_to(link)
    return Setup(["--project", str(root), "validate"])


def folder_loop_in_data(tmp: Path) -> Setup:
    root = project_copy(tmp)
    (root / "data" / "programmes" / "again").symlink_to(root / "data")
    return Setup(["--project", str(root), "validate"])


def project_without_ontology(tmp: Path) -> Setup:
    root = project_copy(tmp, without=("ontology",))
    return Setup(["validate"], cwd=root)


def empty_ontology_folder(tmp: Path) -> Setup:
    root = project_copy(tmp, without=("ontology",))
    (root / "ontology").mkdir()
    return Setup(["--project", str(root), "validate"])


def build_without_the_ontology_file(tmp: Path) -> Setup:
    root = project_copy(tmp, without=("ontology/guidebook.ttl",))
    earlier_build(tmp / "dist")
    return Setup(["--project", str(root), "build", "--out", str(tmp / "dist")])


def misspelt_terms(tmp: Path) -> Setup:
    root = project_copy(tmp)
    path = root / "data" / "programmes" / f"{IPP}.ttl"
    text = path.read_text(encoding="utf-8").replace("a gb:Study ;", "a gb:Studdy ;", 1)
    path.write_text(text, encoding="utf-8")
    return Setup(["--project", str(root), "validate"])


def impossible_release_date(tmp: Path) -> Setup:
    earlier_build(tmp / "dist")
    return Setup(
        ["--project", str(REPO), "build", "--out", str(tmp / "dist"), "--release-date",
         "2026-13-45"]
    )


def files_someone_put_in_the_build(tmp: Path) -> Setup:
    earlier_build(tmp / "dist")
    (tmp / "dist" / "notes.txt").write_text("mine\n", encoding="utf-8")
    return Setup(["--project", str(REPO), "build", "--out", str(tmp / "dist")])


def serve_on_a_port_in_use(tmp: Path) -> Setup:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    return Setup(
        ["--project", str(REPO), "serve", "--port", str(port)], cleanup=[busy.close]
    )


def runaway_local_query(tmp: Path) -> Setup:
    path = tmp / "runaway.rq"
    path.write_text(RUNAWAY, encoding="utf-8")
    return Setup(["--project", str(REPO), "query", str(path), "--timeout", "1"])


def service_in_local_query(tmp: Path) -> Setup:
    path = tmp / "federated.rq"
    path.write_text(
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", encoding="utf-8"
    )
    return Setup(["--project", str(REPO), "query", str(path)])


def unparseable_local_query(tmp: Path) -> Setup:
    path = tmp / "broken.rq"
    path.write_text("SELECT ?x WHERE { ?x ", encoding="utf-8")
    return Setup(["--project", str(REPO), "query", str(path)])


def endpoint_says_what_went_wrong(tmp: Path) -> Setup:
    class Failing(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b"SQ156: Internal Optimized compiler error"
            self.send_response(500)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/sparql"

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return Setup(
        ["--project", str(REPO), "query", "studies", "--endpoint", url], cleanup=[stop]
    )


def store_fails_mid_answer(tmp: Path) -> Setup:
    from oxigraph_server import oxigraph_server

    server = oxigraph_server()
    url = server.__enter__()
    path = tmp / "elsewhere.rq"
    # Oxigraph starts a 200 answer, then fails on the SERVICE it cannot call.
    path.write_text(
        "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }", encoding="utf-8"
    )
    return Setup(
        ["--project", str(REPO), "query", str(path), "--endpoint", url + "/query"],
        cleanup=[lambda: server.__exit__(None, None, None)],
    )


def unknown_programme_page(tmp: Path) -> Setup:
    out = earlier_file(tmp / "page.md")
    return Setup(["--project", str(REPO), "page", "no-such-programme", "-o", str(out)])


def negative_limit(tmp: Path) -> Setup:
    return Setup(["--project", str(REPO), "validate", "--limit", "-1"])


def unknown_data_extension(tmp: Path) -> Setup:
    path = tmp / "facts.txt"
    path.write_text("x", encoding="utf-8")
    return Setup(["--project", str(REPO), "--data", str(path), "validate"])


CATALOGUE = [
    Case("a 50 MB literal", huge_literal, 3, ("huge.ttl", "cannot parse", "literal")),
    Case("page -o ''", page_to_empty_path, 3, ("not a file name",)),
    Case("export -o ''", export_to_empty_path, 3, ("not a file name",)),
    Case("page -o onto a full disk", page_on_full_disk, 3, ("page.md", "cannot write")),
    Case("export -o onto a full disk", export_on_full_disk, 3, ("graph.nt", "cannot write")),
    Case("a broken .jsonld in data/", broken_jsonld_in_data, 3, ("broken.jsonld",)),
    Case("a dangling link in data/", dangling_link_in_data, 3, ("gone.ttl", "does not exist")),
    Case("a looping link in data/", looping_link_in_data, 3, ("loop.ttl", "loops")),
    Case("a folder link loop in data/", folder_loop_in_data, 3, ("again", "a symbolic link")),
    Case("a project folder without ontology/", project_without_ontology, 3,
         ("has data/", "no ontology/ folder")),
    Case("an empty ontology/", empty_ontology_folder, 3, ("no ontology file",)),
    Case("build without ontology/guidebook.ttl", build_without_the_ontology_file, 3,
         ("declares the ontology", "guidebook.ttl")),
    Case("a misspelt term of the gb: namespace", misspelt_terms, 1,
         ("gbsh:OwnTermDeclared", "Studdy")),
    Case("--release-date 2026-13-45", impossible_release_date, 2, ("not a date",)),
    Case("files someone put in dist/", files_someone_put_in_the_build, 2,
         ("notes.txt", "would delete")),
    Case("serve on a port in use", serve_on_a_port_in_use, 2, ("already in use",),
         max_seconds=15),
    Case("a runaway local query", runaway_local_query, 3, ("did not finish within 1 s",),
         max_seconds=20),
    Case("SERVICE in a local .rq", service_in_local_query, 3, ("SERVICE", "--allow-service")),
    Case("a local .rq that does not parse", unparseable_local_query, 3, ("does not parse",)),
    Case("an endpoint answering 500", endpoint_says_what_went_wrong, 4,
         ("HTTP 500", "SQ156: Internal Optimized compiler error")),
    Case("a store failing part-way through its answer", store_fails_mid_answer, 4,
         ("bad answer", "not allowed for HTTP(S)")),
    Case("page of an unknown programme", unknown_programme_page, 3, ("unknown programme",)),
    Case("validate --limit -1", negative_limit, 2, ("--limit",)),
    Case("--data with an unknown extension", unknown_data_extension, 3,
         ("facts.txt", "unknown RDF file extension")),
]


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry under ``folder`` (links as their targets, files as their bytes)."""
    found: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            relative = path.relative_to(folder).as_posix()
            if path.is_symlink():
                found[relative] = "-> " + os.readlink(path)
            elif path.is_file() and path.stat().st_size < 10_000_000:
                found[relative] = path.read_bytes()
            else:
                found[relative] = "dir" if path.is_dir() else "large"
        # Do not walk into linked folders (a loop is one of the cases).
        dirnames[:] = [d for d in dirnames if not (Path(dirpath) / d).is_symlink()]
    return found


@pytest.fixture(params=CATALOGUE, ids=lambda case: case.name)
def case(request: pytest.FixtureRequest) -> Case:
    return request.param  # type: ignore[no-any-return]


def test_hostile_input(case: Case, tmp_path: Path) -> None:
    workspace = tmp_path
    setup = case.make(workspace)
    before = snapshot(workspace)
    limit = setup.file_size_limit

    def limits() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    started = time.monotonic()
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "guidebook_kg", *setup.args],
            cwd=setup.cwd or workspace,
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=limits,
            check=False,
        )
    finally:
        for stop in setup.cleanup:
            stop()
    elapsed = time.monotonic() - started
    output = finished.stdout + finished.stderr

    assert "Traceback" not in output, output[-3000:]
    assert finished.returncode == case.exit_code, output[-3000:]
    for word in case.words:  # in the error, or the report before it
        assert word in output, (word, output[-3000:])
    # The error is one line, not a dump.
    errors = [line for line in finished.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, finished.stderr
    # Nothing half-written, nothing earlier lost. The graph loaded before the failure
    # may be kept whole in the project's cache (.guidebook-cache/, which cache.py
    # never trusts without checking it against the files); nothing else is written.
    after = snapshot(workspace)
    kept = {p for p in after if f"/{CACHE}/" in f"/{p}/" and p not in before}
    assert {p: v for p, v in after.items() if p not in kept} == before
    assert not any("/new-" in p for p in kept), kept  # no generation left half-written
    if case.max_seconds is not None:
        assert elapsed < case.max_seconds, elapsed


# ------------------------------------------------------------------ accepted inputs


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "guidebook_kg", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_data_in_json_ld_is_loaded_like_turtle(tmp_path: Path) -> None:
    import pyoxigraph as ox

    root = project_copy(tmp_path)
    source = root / "data" / "programmes" / f"{IPP}.ttl"
    quads = list(ox.parse(path=source, format=ox.RdfFormat.TURTLE))
    target = source.with_suffix(".jsonld")
    target.write_bytes(ox.serialize([q.triple for q in quads], format=ox.RdfFormat.JSON_LD))
    source.unlink()

    turtle = run("--project", str(REPO), "query", "programme-ratings", "--format", "csv")
    jsonld = run("--project", str(root), "query", "programme-ratings", "--format", "csv")

    assert jsonld.returncode == 0, jsonld.stderr
    assert jsonld.stdout == turtle.stdout


def test_a_plain_rq_file_runs_with_its_own_columns(tmp_path: Path) -> None:
    path = tmp_path / "names.rq"
    path.write_text(
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "PREFIX gb: <https://w3id.org/guidebook-kg/ontology#>\n"
        "SELECT ?name ?programme WHERE { ?programme a gb:Programme ; rdfs:label ?name }\n",
        encoding="utf-8",
    )

    result = run("--project", str(REPO), "query", str(path), "--format", "csv")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "name,programme"
    assert any(IPP in line for line in lines[1:])


def test_a_report_at_scale_starts_with_counts_and_prints_no_line_twice(tmp_path: Path) -> None:
    root = project_copy(tmp_path)
    path = root / "data" / "programmes" / f"{IPP}.ttl"
    text = path.read_text(encoding="utf-8").replace("gb:sampleSize 100", 'gb:sampleSize "many"')
    path.write_text(text, encoding="utf-8")

    rule = ("--shape", "Sample-sampleSize")
    full = run("--project", str(root), "validate", *rule)
    limited = run("--project", str(root), "validate", *rule, "--limit", "0")
    everything = run("--project", str(root), "validate", "--limit", "1")

    assert full.returncode == 1
    lines = full.stdout.splitlines()
    assert lines[0].endswith("by rule:")
    assert lines[1].split() == ["2", "gbsh:Sample-sampleSize", "(violation)"]
    assert lines[-1] == lines[0].removesuffix(", by rule:")  # the summary, first and last
    body = [line for line in lines if line.startswith("  Violation")]
    assert len(body) == len(set(body))  # "many" fails two constraints, printed once
    assert "fails " in full.stdout
    assert limited.stdout == full.stdout
    assert everything.returncode == 1
    listed = [
        line
        for line in everything.stdout.splitlines()
        if line.startswith(("  Violation ", "  Warning ", "  Info "))
    ]
    assert len(listed) == 1
    assert "more (--limit shows more; 0 shows all)" in everything.stdout
