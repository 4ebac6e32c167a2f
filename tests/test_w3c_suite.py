"""The W3C SHACL test suite, core and SPARQL, through both validation engines.

``tests/w3c/`` holds the suite's ``core/`` and ``sparql/`` folders as published (see
``tests/w3c/README.md``). Every ``sht:Validate`` entry their manifests reach runs through
each engine via ``EngineInput``, and its results must equal the expected report as a
multiset of (focus node, result path, constraint component, source shape, severity,
value); messages are not compared. An entry whose result is ``sht:Failure`` expects the
engine to refuse the shapes (``InputError``: exit 3).

The data graph, the shapes graph and the expected report are read through Oxigraph stores,
as the project reads every file. Oxigraph stores numeric and boolean literals in
canonical form (``4.0`` is stored as ``"4"^^xsd:decimal``, ``"1"^^xsd:boolean`` as
``true``, and every integer type as ``xsd:integer``; oxigraph/oxigraph#526), so engines see
those terms and the expected report is compared in the same terms.

``KNOWN_FAILURES`` lists the entries an engine does not pass, with the reason; each is a
strict xfail (fixing one makes it fail until it leaves the list) and the README lists
them. ``python tests/test_w3c_suite.py`` prints the outcome of every entry.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pytest

from guidebook_kg.errors import InputError
from guidebook_kg.fastvalidate import unsupported_shapes
from guidebook_kg.report import path_text
from guidebook_kg.validate import ENGINES, EngineInput

REPO = Path(__file__).resolve().parent.parent
SUITE = REPO / "tests" / "w3c"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
SHT = "http://www.w3.org/ns/shacl-test#"
SH = "http://www.w3.org/ns/shacl#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

Key = tuple[str, str | None, str, str, str, str | None]

STORE_LITERALS = (
    "Oxigraph stores literals in canonical form and reads the shapes' "
    '`sh:uniqueLang "1"^^xsd:boolean` as `true`, so the constraint is active and reports '
    "the duplicate language; the suite expects it to be ignored"
)
SHAPES_GRAPH = (
    "uses `$shapesGraph`, which SHACL makes optional; both engines refuse the shape "
    "(exit 3) instead of validating without it"
)
KNOWN_FAILURES: dict[str, dict[str, str]] = {
    "fast": {
        "core/property/uniqueLang-002": STORE_LITERALS,
        "sparql/pre-binding/shapesGraph-001": SHAPES_GRAPH,
    },
    "pyshacl": {
        "core/property/uniqueLang-002": STORE_LITERALS,
        "sparql/pre-binding/shapesGraph-001": SHAPES_GRAPH,
    },
}


@dataclass(frozen=True)
class Entry:
    name: str  # e.g. core/path/path-inverse-001
    file: Path
    node: ox.NamedNode

    @property
    def suite(self) -> str:
        return self.name.split("/")[0]

    def __str__(self) -> str:
        return self.name


@cache
def load(path: Path) -> ox.Store:
    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.as_uri())
    return store


def _one(store: ox.Store, subject: object, predicate: str) -> object | None:
    for quad in store.quads_for_pattern(subject, ox.NamedNode(predicate), None):  # type: ignore[arg-type]
        return quad.object
    return None


def _all(store: ox.Store, subject: object, predicate: str) -> list[object]:
    return [q.object for q in store.quads_for_pattern(subject, ox.NamedNode(predicate), None)]  # type: ignore[arg-type]


def _path_of(uri: str) -> Path:
    assert uri.startswith("file://"), uri
    return Path(uri.removeprefix("file://"))


def entries(manifest: Path) -> list[Entry]:
    """The sht:Validate entries a manifest reaches through mf:include and mf:entries."""
    store = load(manifest)
    found: list[Entry] = []
    for include in _all(store, ox.NamedNode(manifest.as_uri()), MF + "include"):
        found += entries(_path_of(include.value))  # type: ignore[attr-defined]
    for quad in store.quads_for_pattern(None, ox.NamedNode(RDF + "type"),
                                        ox.NamedNode(SHT + "Validate")):
        node = quad.subject
        assert isinstance(node, ox.NamedNode)
        name = str(_path_of(node.value).relative_to(SUITE).with_suffix(""))
        found.append(Entry(name, manifest, node))
    return sorted(found, key=lambda e: e.name)


ENTRIES = entries(SUITE / "core" / "manifest.ttl") + entries(SUITE / "sparql" / "manifest.ttl")


def _graph(entry: Entry, role: str) -> ox.Store:
    store = load(entry.file)
    action = _one(store, entry.node, MF + "action")
    graph = _one(store, action, SHT + role)
    assert isinstance(graph, ox.NamedNode)
    return load(_path_of(graph.value))


def expected(entry: Entry) -> Counter[Key] | str:
    """The expected results, or ``"failure"`` when the engine must refuse the shapes."""
    store = load(entry.file)
    report = _one(store, entry.node, MF + "result")
    if report == ox.NamedNode(SHT + "Failure"):
        return "failure"

    def objects(node: str, predicate: str) -> list[str]:
        subject = ox.BlankNode(node[2:]) if node.startswith("_:") else ox.NamedNode(node[1:-1])
        return [str(o) for o in _all(store, subject, predicate)]

    keys: Counter[Key] = Counter()
    for result in _all(store, report, SH + "result"):
        path = _one(store, result, SH + "resultPath")
        value = _one(store, result, SH + "value")
        keys[(str(_one(store, result, SH + "focusNode")),
              path_text(str(path), objects) if path is not None else None,
              str(_one(store, result, SH + "sourceConstraintComponent")),
              str(_one(store, result, SH + "sourceShape")),
              str(_one(store, result, SH + "resultSeverity")),
              str(value) if value is not None else None)] += 1
    return keys


@cache
def outcome(entry: Entry, engine: str) -> Counter[Key] | str:
    """What ``engine`` gives for ``entry``: result keys, or ``"failure"`` when it refuses
    the shapes with an InputError (any other exception propagates)."""
    request = EngineInput(_graph(entry, "dataGraph"), _graph(entry, "shapesGraph"))
    try:
        results = ENGINES[engine](request)
    except InputError:
        return "failure"
    return Counter((r.focus_node, r.path, r.constraint_component, r.source_shape,
                    f"<{r.severity.iri}>", r.value) for r in results)


def passes(entry: Entry, engine: str) -> bool:
    return outcome(entry, engine) == expected(entry)


def _cases() -> list[object]:
    cases = []
    for engine in sorted(ENGINES):
        for entry in ENTRIES:
            reason = KNOWN_FAILURES[engine].get(entry.name)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            cases.append(pytest.param(engine, entry, id=f"{engine}-{entry.name}", marks=marks))
    return cases


@pytest.mark.parametrize(("engine", "entry"), _cases())
def test_w3c_entry(engine: str, entry: Entry) -> None:
    got, wanted = outcome(entry, engine), expected(entry)
    if isinstance(wanted, str) or isinstance(got, str):
        assert got == wanted
        return
    assert got == wanted, (f"only {engine}: {sorted((got - wanted).elements())}\n"
                           f"only expected: {sorted((wanted - got).elements())}")


def test_the_suite_is_complete() -> None:
    counts = Counter(e.suite for e in ENTRIES)
    assert counts == {"core": 98, "sparql": 22}
    assert all(name in {e.name for e in ENTRIES}
               for failures in KNOWN_FAILURES.values() for name in failures)


def test_the_fast_engine_passes_what_pyshacl_passes_and_the_thresholds() -> None:
    fast = {e.name for e in ENTRIES if passes(e, "fast")}
    reference = {e.name for e in ENTRIES if passes(e, "pyshacl")}

    assert reference <= fast, sorted(reference - fast)
    core = [e for e in ENTRIES if e.suite == "core"]
    # The SPARQL entries without the six unsupported-sparql ones, which only check that
    # a query breaking SHACL's restrictions is refused.
    sparql = [e for e in ENTRIES if e.suite == "sparql" and "unsupported-sparql" not in e.name]
    assert len(core) == 98
    assert len(sparql) == 16
    assert sum(e.name in fast for e in core) >= 95
    assert sum(e.name in fast for e in sparql) >= 15


@pytest.mark.parametrize("name", [
    *(f"sparql/pre-binding/pre-binding-00{n}" for n in range(1, 8)),
    "sparql/node/prefixes-001", "sparql/node/sparql-002", "sparql/property/sparql-001",
    "core/path/path-inverse-001", "core/path/path-strange-001", "core/path/path-complex-001",
    "core/node/closed-001", "core/misc/severity-002",
])
def test_the_fast_engine_runs_these_itself(name: str) -> None:
    # Passing by handing the shapes to pyshacl would not show anything about the engine.
    (entry,) = [e for e in ENTRIES if e.name == name]
    assert unsupported_shapes(_graph(entry, "shapesGraph")) == {}
    assert passes(entry, "fast")


def test_the_readme_lists_every_entry_an_engine_does_not_pass() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for failures in KNOWN_FAILURES.values():
        for name in failures:
            assert f"`{name}`" in readme, name


def main() -> None:
    """Print each entry's outcome per engine, and the totals."""
    totals: Counter[tuple[str, str]] = Counter()
    for entry in ENTRIES:
        row = []
        for engine in sorted(ENGINES):
            ok = passes(entry, engine)
            totals[(entry.suite, engine)] += ok
            row.append(f"{engine}: {'pass' if ok else 'FAIL'}")
        print(f"{entry.name:<50} {'  '.join(row)}")
    for (suite, engine), count in sorted(totals.items()):
        total = sum(1 for e in ENTRIES if e.suite == suite)
        print(f"{suite:<7} {engine:<8} {count}/{total}")


if __name__ == "__main__":
    sys.exit(main())
