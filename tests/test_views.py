"""Saved views: headers, parameter binding, golden results over the fixture programmes."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import Run, assert_isomorphic, rdflib_graph
from guidebook_kg import render, views
from guidebook_kg.errors import InputError
from view_cases import (
    CASES,
    EXPECTED,
    EXPECTED_DISAGREEING,
    EXPECTED_OPEN,
    GOLDEN,
    REPO,
    case_id,
    fixture_store,
    project,
)


@pytest.fixture(scope="module")
def catalogue() -> dict[str, views.View]:
    return views.load_views(project())


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return fixture_store()


@pytest.fixture
def run_repo(run: Run) -> Run:
    def invoke(*args: str) -> object:
        return run(*args, project=REPO)

    return invoke  # type: ignore[return-value]


# ------------------------------------------------------------------ the files themselves


def test_the_issue_s_views_exist(catalogue: dict[str, views.View]) -> None:
    wanted = {
        "programme-ratings",
        "rating-derivation",
        "child-outcomes",
        "studies",
        "references",
        "programme-search",
        "programme-page",
    }
    assert wanted <= set(catalogue)


@pytest.mark.parametrize("path", project().query_files(), ids=lambda p: p.stem)
def test_every_view_parses_and_declares_its_columns(path: Path) -> None:
    view = views.load_view(path)

    assert view.summary
    # The query text parses as SPARQL, with and without its parameters bound.
    empty = ox.Store()
    empty.query(view.text)
    unbound = {p.name: ox.Literal("x") for p in view.parameters}
    empty.query(views.bound_text(view, unbound))
    if view.form == "select":
        assert views.projected_variables(view.text) == view.column_names
    else:
        assert view.columns == ()


@pytest.mark.parametrize("path", project().query_files(), ids=lambda p: p.stem)
def test_every_view_declares_exactly_the_parameters_it_uses(path: Path) -> None:
    view = views.load_view(path)
    text = view.text
    marker_lines = [line for line in text.splitlines() if line.strip() == views.MARKER]

    # One binding place when there are parameters, none otherwise.
    assert len(marker_lines) == (1 if view.parameters else 0)
    # A variable the query tests with BOUND() can only be bound from outside: a parameter.
    import re

    tested = set(re.findall(r"BOUND\(\?(\w+)\)", text))
    assert tested <= {p.name for p in view.parameters}
    for parameter in view.parameters:
        assert f"?{parameter.name}" in text


@pytest.mark.parametrize(
    ("name", "params", "differs_from"),
    [
        ("child-outcomes", {"programme": "independent-family"}, {}),
        ("studies", {"programme": "independent-family"}, {}),
        ("references", {"programme": "quasi-reading"}, {}),
        ("rating-derivation", {"programme": "quasi-reading"}, {}),
        ("programme-search", {"age_group": "Infants"}, {}),
        ("programme-search", {"setting": "Home"}, {}),
        ("programme-search", {"delivery_model": "Group"}, {}),
        ("programme-search", {"targeting": "Universal"}, {}),
        ("programme-search", {"min_level": "4"}, {}),
        ("programme-search", {"max_cost": "1"}, {}),
        ("concepts", {"scheme": "gbc:setting"}, {"scheme": "gbc:age-group"}),
    ],
)
def test_each_parameter_changes_the_answer(
    store: ox.Store,
    catalogue: dict[str, views.View],
    name: str,
    params: dict[str, str],
    differs_from: dict[str, str],
) -> None:
    view = catalogue[name]
    narrowed = views.run(store, view, params, catalogue)
    other = views.run(store, view, differs_from, catalogue) if differs_from else None
    if other is None:
        other = views.run(store, view, {}, catalogue)
    assert len(narrowed) > 0
    assert narrowed.rows != other.rows


# ------------------------------------------------------------------ golden results


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_golden_results(
    store: ox.Store,
    catalogue: dict[str, views.View],
    case: tuple[str, dict[str, str]],
    update_golden: bool,
) -> None:
    name, params = case
    view = catalogue[name]
    if view.form == "select":
        path = GOLDEN / f"{case_id(case)}.json"
        actual = render.render_table(views.run(store, view, params, catalogue), "json")
        if update_golden:  # kept indented, so that a change reads as a diff
            indented = json.dumps(json.loads(actual), indent=2, ensure_ascii=False)
            path.write_text(indented + "\n", encoding="utf-8")
        assert path.exists(), f"no golden file {path.name}: run pytest --update-golden"
        assert json.loads(actual) == json.loads(path.read_text(encoding="utf-8"))
    else:
        path = GOLDEN / f"{case_id(case)}.nt"
        triples = views.run_graph(store, view, params, catalogue)
        if update_golden:
            lines = sorted(str(t) + " ." for t in triples)
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        expected = rdflib.Graph().parse(path, format="nt")
        assert_isomorphic(rdflib_graph(triples), expected)


def test_every_golden_file_belongs_to_a_case() -> None:
    names = {case_id(case) for case in CASES}
    stale = [p.name for p in GOLDEN.iterdir() if p.stem not in names]
    assert stale == []


# ------------------------------------------------------------------ derived ratings


def test_every_fixture_gets_the_rating_it_was_written_for(
    store: ox.Store, catalogue: dict[str, views.View]
) -> None:
    table = views.run(store, catalogue["programme-ratings"], {}, catalogue)
    rows = {render.for_people(r["programme"]): r for r in table.records()}

    assert set(rows) == set(EXPECTED) | set(EXPECTED_OPEN)
    for slug, rating in EXPECTED.items():
        assert rows[slug]["derived"] == ox.Literal(rating), slug
        assert rows[slug]["agrees"] == ox.Literal(True), slug
    for slug, stated in EXPECTED_OPEN.items():
        assert rows[slug]["asserted"] == ox.Literal(stated), slug
        assert (rows[slug]["derived"], rows[slug]["agrees"]) == (None, None), slug


def test_the_two_rating_views_derive_the_same_rating() -> None:
    store = fixture_store(disagreeing=True)
    catalogue = views.load_views(project())
    ratings = views.run(store, catalogue["programme-ratings"], {}, catalogue).records()
    derivation = views.run(store, catalogue["rating-derivation"], {}, catalogue).records()
    history = views.run(store, catalogue["rating-history"], {}, catalogue).records()

    # the latest assessment of each programme, as the summary shows it
    from_ratings = {r["assessment"]: r["derived"] for r in ratings}
    from_derivation = {r["assessment"]: r["derived"] for r in derivation}
    from_history = {r["assessment"]: r["derived"] for r in history}
    assert from_ratings.items() <= from_derivation.items()
    assert from_derivation == from_history
    assert len(from_ratings) == len(EXPECTED) + len(EXPECTED_OPEN) + len(EXPECTED_DISAGREEING)
    # every assessment has one row per criterion
    criteria = {r["criterion"] for r in derivation}
    assert len(derivation) == len(from_history) * len(criteria)


def test_ipp_criteria_are_the_ones_of_its_page() -> None:
    store = views.LocalEngine(_repo_store())
    catalogue = views.load_views(project())
    [ipp] = views.rate(store, catalogue, "infant-parent-psychotherapy", explain=True)
    criteria = {c.iri.rsplit("/", 1)[-1]: c for c in ipp.criteria}

    assert (ipp.asserted, ipp.derived, ipp.agrees) == ("3+", "3+", True)
    assert criteria["criterion-level-3"].met
    assert criteria["criterion-level-3"].studies == ("Study 2",)
    assert criteria["criterion-plus-3"].met
    assert criteria["criterion-plus-3"].studies == ("Study 1", "Study 2")
    assert not criteria["criterion-replicated"].met
    assert criteria["criterion-replicated"].studies == ("Study 2",)
    assert criteria["criterion-replicated"].why_not_higher
    assert criteria["criterion-long-term"].met
    assert criteria["criterion-long-term"].studies == ("Study 2",)
    assert criteria["criterion-independent-measure"].met
    assert criteria["criterion-independent-measure"].studies == ("Study 2",)
    assert not criteria["criterion-mixed"].met
    assert [c for c in ipp.criteria if c.why_not_higher] == [criteria["criterion-replicated"]]


def _repo_store() -> ox.Store:
    from guidebook_kg.store import load

    return load(project())


def test_the_level_2_threshold_is_not_a_constant_in_the_views() -> None:
    # The rating views read every number from the graph; a literal 20 would be a rule
    # written twice.
    for path in project().query_files():
        body = "\n".join(
            line for line in path.read_text().splitlines() if not line.startswith("#")
        )
        assert " 20" not in body, path.name


# ------------------------------------------------------------------ parameters


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"colour": "red"}, "has no parameter 'colour'"),
        ({"min_level": "three"}, "not an integer"),
        ({"min_level": "9"}, "out of range"),
        ({"age_group": "Babies"}, "is not a concept of gbc:age-group"),
    ],
)
def test_bad_parameters_say_what_is_allowed(
    store: ox.Store, catalogue: dict[str, views.View], params: dict[str, str], message: str
) -> None:
    with pytest.raises(InputError) as caught:
        views.run(store, catalogue["programme-search"], params, catalogue)

    assert message in str(caught.value)
    if "colour" in params:
        assert "min_level (integer, 1..4, optional)" in str(caught.value)
    if "Babies" in params.values():
        assert "Infants" in str(caught.value)


def test_a_concept_can_be_named_by_label_local_name_or_iri(
    store: ox.Store, catalogue: dict[str, views.View]
) -> None:
    view = catalogue["programme-search"]
    answers = [
        views.run(store, view, {"age_group": value}, catalogue).rows
        for value in (
            "Infants",
            "infants",
            "age-infants",
            "gbc:age-infants",
            "https://w3id.org/guidebook-kg/concept/age-infants",
        )
    ]
    assert all(a == answers[0] for a in answers)
    names = {r[1].value for r in answers[0]}  # type: ignore[union-attr]
    assert names == {"Mixed Home Visiting", "Replicated Visits", "Single Trial Nurture"}


def test_programme_by_slug_or_iri(store: ox.Store, catalogue: dict[str, views.View]) -> None:
    view = catalogue["studies"]
    by_slug = views.run(store, view, {"programme": "replicated-visits"}, catalogue)
    iri = "https://w3id.org/guidebook-kg/id/programme/replicated-visits"
    by_iri = views.run(store, view, {"programme": iri}, catalogue)

    assert by_slug.rows == by_iri.rows
    assert len(by_slug) == 2


def test_unknown_programme_suggests_close_matches(
    store: ox.Store, catalogue: dict[str, views.View]
) -> None:
    with pytest.raises(InputError) as caught:
        views.run(store, catalogue["studies"], {"programme": "replicated-visit"}, catalogue)

    assert caught.value.exit_code == 3
    assert "did you mean replicated-visits?" in str(caught.value)


def test_missing_required_parameter(store: ox.Store, catalogue: dict[str, views.View]) -> None:
    with pytest.raises(InputError, match="needs --param scheme=VALUE"):
        views.run(store, catalogue["concepts"], {}, catalogue)


ECHO = """#+ summary: Gives back its text parameter.
#+ parameters:
#+   text:
#+     type: string
#+     required: true
#+ columns:
#+   echo: The text.
#+   rows: How many rows the pattern had.
SELECT ?echo ?rows WHERE {
  {
    SELECT (COUNT(*) AS ?rows) WHERE { ?s ?p ?o }
  }
  #@values
  BIND(?text AS ?echo)
}
"""


@pytest.fixture(scope="module")
def echo(tmp_path_factory: pytest.TempPathFactory) -> views.View:
    path = tmp_path_factory.mktemp("views") / "echo.rq"
    path.write_text(ECHO, encoding="utf-8")
    return views.load_view(path)


@settings(max_examples=150, deadline=None)
@given(text=st.text())
def test_any_string_comes_back_as_that_literal(echo: views.View, text: str) -> None:
    graph = ox.Store()
    graph.add(ox.Quad(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"),
                      ox.Literal("o"), ox.DefaultGraph()))
    bound = views.bound_text(echo, views.bind(echo, {"text": text}, None))

    table = views.run(graph, echo, {"text": text}, {})

    # The value is one literal and the query around it is the one in the file.
    assert table.rows == [(ox.Literal(text), ox.Literal("1", datatype=ox.NamedNode(
        "http://www.w3.org/2001/XMLSchema#integer")))]
    before, _, after = ECHO.partition(views.MARKER)
    assert bound.startswith(before)
    assert bound.endswith(after)
    assert bound.count("\n") == ECHO.count("\n")


def test_injection_attempt_is_just_text(echo: views.View) -> None:
    attack = '"} } ; DROP ALL ; SELECT * WHERE { ?s ?p ?o } #\n>'
    table = views.run(ox.Store(), echo, {"text": attack}, {})

    assert table.rows[0][0] == ox.Literal(attack)


# ------------------------------------------------------------------ the commands


def test_queries_lists_every_view_with_its_parameters(run_repo: Run) -> None:
    result = run_repo("queries")

    assert result.exit_code == 0
    for path in project().query_files():
        assert path.stem in result.stdout
    assert "--param age_group (concept, from gbc:age-group, optional)" in result.stdout


def test_query_prints_a_table_with_labels(run_repo: Run) -> None:
    result = run_repo("query", "programme-ratings")

    assert result.exit_code == 0
    header, rule, *rows = result.stdout.splitlines()
    assert header.split() == [
        "programme", "name", "assessment", "asserted", "derived", "agrees", "cost", "studies",
        "child_outcomes", "best_index", "rating_rank", "cost_rank",
    ]
    assert set(rule) <= {"-", " "}
    ipp = next(r for r in rows if r.startswith("infant-parent-psychotherapy"))
    # 3+ ranks sixth of the eight ratings from NL2 up; NA has no cost level
    assert ipp.split()[-9:] == [
        "id:programme/infant-parent-psychotherapy/assessment/2016-07",
        "3+", "3+", "true", "NA", "2", "4", "50", "6",
    ]
    assert "https://" not in result.stdout


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "markdown"])
def test_query_formats(run_repo: Run, fmt: str) -> None:
    result = run_repo("query", "studies", "--param", "programme=infant-parent-psychotherapy",
                      "--format", fmt)

    assert result.exit_code == 0
    out = result.stdout
    if fmt == "json":
        document = json.loads(out)
        assert document["head"]["vars"][:3] == ["programme", "study", "label"]
        first = document["results"]["bindings"][0]
        assert first["label"] == {"type": "literal", "value": "Study 1"}
        assert first["sample_size"]["datatype"].endswith("#integer")
    elif fmt == "csv":
        assert out.splitlines()[0].startswith("programme,study,label,citation")
        assert "Lieberman et al (1991)" in out
    elif fmt == "tsv":
        assert out.splitlines()[0].split("\t")[:3] == ["programme", "study", "label"]
    else:
        assert out.startswith("| programme | study | label |")


def test_query_a_file(run_repo: Run, tmp_path: Path) -> None:
    path = tmp_path / "count.rq"
    path.write_text("#+ summary: Count programmes.\n#+ columns:\n#+   n: How many.\n"
                    "PREFIX gb: <https://w3id.org/guidebook-kg/ontology#>\n"
                    "SELECT (COUNT(?p) AS ?n) WHERE { ?p a gb:Programme }\n")

    result = run_repo("query", str(path), "--format", "csv")

    assert result.exit_code == 0
    header, count = result.stdout.splitlines()
    assert header == "n"
    assert int(count) >= 1


def test_construct_view_prints_turtle(run_repo: Run) -> None:
    result = run_repo("query", "programme-page", "-p", "programme=infant-parent-psychotherapy")

    assert result.exit_code == 0
    graph = rdflib.Graph().parse(data=result.stdout, format="turtle")
    assert len(graph) > 500


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["query", "programme-rating"],
            "unknown view 'programme-rating' (did you mean programme-ratings",
        ),
        (
            ["query", "studies", "--param", "programe=x"],
            "has no parameter 'programe' (did you mean programme?)",
        ),
        (["query", "concepts"], "needs --param scheme=VALUE"),
        (["query", "programme-search", "-p", "min_level=high"], "not an integer"),
        (["query", "studies", "-p", "programme"], "is not KEY=VALUE"),
        (["query", "studies", "-p", "programme=nobody"], "unknown programme 'nobody'"),
        (["query", "missing.rq"], "missing.rq: no such query file"),
    ],
)
def test_bad_queries_exit_3_with_one_line(run_repo: Run, args: list[str], message: str) -> None:
    result = run_repo(*args)

    assert result.exit_code == 3, result.output
    assert message in result.stderr
    assert result.stderr.startswith("Error: ")
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_bad_header_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.rq"
    path.write_text("#+ summary: [unclosed\nSELECT * WHERE { ?s ?p ?o }\n")
    with pytest.raises(InputError, match=r"bad\.rq:1: bad '#\+' header"):
        views.load_view(path)
    path.write_text("#+ summary: ok\n#+ colums: {}\nSELECT ?s WHERE { ?s ?p ?o }\n")
    with pytest.raises(InputError, match="unknown header key"):
        views.load_view(path)
    path.write_text("#+ summary: ok\n#+ columns: {s: x}\n#+ parameters:\n#+   p: {type: text}\n"
                    "SELECT ?s WHERE { ?s ?p ?o }\n")
    with pytest.raises(InputError, match="has type 'text'"):
        views.load_view(path)


def test_every_view_and_view_command_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")

    for path in project().query_files():
        assert f"`{path.stem}`" in readme, f"README.md does not name the view {path.stem}"
    for command in ("queries", "query", "rate", "page"):
        assert f"guidebook {command}" in readme
