"""Saved views: the ``queries/*.rq`` files, their ``#+`` YAML headers, parameters and runs.

A view is a SPARQL file whose leading ``#+`` comment lines hold a YAML header (summary,
description, parameters, columns), so the file stays valid SPARQL for any tool. Its
file stem is its name.

Parameters are bound, never pasted: each value is checked and turned into an RDF term,
and the terms are joined into the query as a ``VALUES`` block built from their N-Triples
form, placed where the query's own ``#@values`` comment line stands: first thing inside
the top-level ``WHERE`` group, so every pattern and ``FILTER`` of that group sees it, or
first inside the subquery that enumerates what the parameter selects, when that lets the
engine skip the rest (rating-derivation does this). A
parameter that is not given and has no default is left out of the block: it stays
unbound, which the query tests with ``BOUND`` (views use ``BOUND`` for nothing else).

The same bound text runs on the embedded store and on remote endpoints (see
:mod:`guidebook_kg.remote`), so both give the same rows. pyoxigraph's own
``substitutions`` were measured and not used: a substituted variable is still unbound for
``BOUND(?x)`` (pyoxigraph 0.5.13), so optional parameters would behave differently from
the ``VALUES`` block a remote endpoint gets.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar, Union

import pyoxigraph as ox
import yaml

from guidebook_kg.errors import InputError, where
from guidebook_kg.namespaces import programme_iri, programme_slug
from guidebook_kg.prefixes import PREFIXES, compact
from guidebook_kg.project import Project
from guidebook_kg.querytext import NO_FEDERATION, Federation, has_dataset_clause

HEADER = "#+"
MARKER = "#@values"

Term = Union[ox.NamedNode, ox.BlankNode, ox.Literal]  # noqa: UP007 (a runtime alias on 3.10)
Form = Literal["select", "construct", "ask", "describe"]

PARAMETER_TYPES = (
    "string",
    "integer",
    "decimal",
    "boolean",
    "iri",
    "programme",
    "concept",
    "scheme",
)
HEADER_KEYS = {"summary", "description", "parameters", "columns"}
PARAMETER_KEYS = {
    "type",
    "required",
    "default",
    "description",
    "label",
    "scheme",
    "scale",
    "minimum",
    "maximum",
}

# The views the library itself runs to check programme, concept and scheme parameters.
PROGRAMMES_VIEW = "programmes"
CONCEPTS_VIEW = "concepts"
SCHEMES_VIEW = "concept-schemes"

XSD = PREFIXES["xsd"]
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


@dataclass(frozen=True)
class Parameter:
    """One declared parameter of a view."""

    name: str
    type: str
    required: bool = False
    default: str | None = None
    description: str = ""
    # What a form calls it ("Lowest evidence level"); by default its name in words.
    label: str = ""
    scheme: str | None = None
    # An integer parameter's scale: the concept scheme whose concepts' gb:levelValue it
    # compares (evidence levels, cost ratings), so forms can name each value.
    scale: str | None = None
    minimum: int | None = None
    maximum: int | None = None

    def describe(self) -> str:
        """``name (type, required)`` as the CLI lists it."""
        extra = [self.type]
        if self.type == "concept" and self.scheme:
            extra.append(f"from {compact(self.scheme)}")
        if self.minimum is not None or self.maximum is not None:
            low = "" if self.minimum is None else str(self.minimum)
            high = "" if self.maximum is None else str(self.maximum)
            extra.append(f"{low}..{high}")
        extra.append("required" if self.required else "optional")
        if self.default is not None:
            extra.append(f"default {self.default}")
        return f"{self.name} ({', '.join(extra)})"


@dataclass(frozen=True)
class View:
    """A saved query and what its header says about it."""

    name: str
    path: Path
    text: str
    summary: str
    description: str = ""
    parameters: tuple[Parameter, ...] = ()
    columns: tuple[tuple[str, str], ...] = ()
    form: Form = "select"

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]


@dataclass
class Table:
    """The results of a SELECT query: column names and rows of RDF terms (None where unbound)."""

    columns: list[str]
    rows: list[tuple[Term | None, ...]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[tuple[Term | None, ...]]:
        return iter(self.rows)

    def records(self) -> list[dict[str, Term | None]]:
        """Each row as a dict keyed by column name."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def values(self, column: str) -> list[str | None]:
        """One column's lexical values (IRIs as strings)."""
        i = self.columns.index(column)
        return [None if row[i] is None else row[i].value for row in self.rows]  # type: ignore[union-attr]


Catalogue = Mapping[str, View]


class Engine(Protocol):
    """Something that runs SPARQL text: the embedded store or a remote endpoint."""

    def select(self, query: str) -> Table: ...

    def construct(self, query: str) -> list[ox.Triple]: ...


# --------------------------------------------------------------------------- loading


def load_views(project: Project) -> dict[str, View]:
    """Every view of the project, by name (sorted)."""
    return {view.name: view for view in map(load_view, project.query_files())}


def load_view(path: Path, *, needs_header: bool = True) -> View:
    """Read one ``.rq`` file and its header; a bad header is an :class:`InputError`.

    With ``needs_header=False`` a plain SPARQL file (no ``#+`` lines) is accepted too: it takes
    no parameters and its columns are those of its results.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{where(path)}: no such query file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{where(path)}: cannot read: {err}") from None
    return parse_view(path.stem, text, path, needs_header=needs_header)


def find_view(project: Project, name: str) -> View:
    """A view by name, or a ``.rq`` file by path (which needs no header)."""
    if name.endswith(".rq") or "/" in name or "\\" in name:
        return load_view(Path(name), needs_header=False)
    catalogue = load_views(project)
    if name in catalogue:
        return catalogue[name]
    raise InputError(
        f"unknown view {name!r}{_suggest(name, catalogue)}",
        hint="known views: " + ", ".join(catalogue) + "; or give a path to a .rq file",
    )


def parse_view(name: str, text: str, path: Path, *, needs_header: bool = True) -> View:
    """Parse a view's header and check it against its query text (see :func:`load_view`
    for ``needs_header``)."""
    header_lines: list[str] = []
    for line in text.splitlines():
        if not line.startswith(HEADER):
            break
        header_lines.append(line[len(HEADER) :])
    if not header_lines and not needs_header:
        try:
            form = query_form(text)
        except InputError as err:
            raise InputError(f"{where(path)}: {err}") from None
        return View(name=name, path=path, text=text, summary=path.name, form=form)
    if not header_lines:
        raise InputError(
            f"{where(path, 1)}: view {name!r} has no '#+' header",
            hint="start the file with '#+ summary: ...' lines (YAML)",
        )
    try:
        header = yaml.safe_load("\n".join(header_lines))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        row: int | None = mark.line + 1 if mark is not None else None
        problem = str(getattr(err, "problem", None) or err)
        raise InputError(f"{where(path, row)}: bad '#+' header: {problem}") from None
    if not isinstance(header, dict):
        raise InputError(f"{where(path, 1)}: the '#+' header must be a YAML mapping")
    unknown = set(header) - HEADER_KEYS
    if unknown:
        raise InputError(
            f"{where(path, 1)}: unknown header key(s) {', '.join(sorted(unknown))}",
            hint="allowed: " + ", ".join(sorted(HEADER_KEYS)),
        )
    summary = header.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        raise InputError(f"{where(path, 1)}: the header needs a one-line 'summary'")
    form = query_form(text)
    parameters = tuple(_parameters(header.get("parameters"), path))
    columns = _columns(header.get("columns"), path, form)
    has_marker = any(line.strip() == MARKER for line in text.splitlines())
    if parameters and not has_marker:
        raise InputError(
            f"{where(path)}: view {name!r} has parameters but no '{MARKER}' line",
            hint=f"put a '{MARKER}' line first inside the top-level WHERE group",
        )
    for parameter in parameters:
        if not re.search(rf"\?{re.escape(parameter.name)}\b", text):
            raise InputError(
                f"{where(path)}: parameter {parameter.name!r} is declared but the query "
                f"never uses ?{parameter.name}",
            )
    return View(
        name=name,
        path=path,
        text=text,
        summary=" ".join(summary.split()),
        description=" ".join(str(header.get("description") or "").split()),
        parameters=parameters,
        columns=columns,
        form=form,
    )


def _parameters(raw: Any, path: Path) -> Iterator[Parameter]:
    if raw is None:
        return
    if not isinstance(raw, dict):
        raise InputError(f"{where(path)}: 'parameters' must map names to settings")
    for name, spec in raw.items():
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise InputError(
                f"{where(path)}: parameter name {name!r} is not a SPARQL variable name"
            )
        if not isinstance(spec, dict):
            raise InputError(f"{where(path)}: parameter {name!r} needs a mapping with a 'type'")
        unknown = set(spec) - PARAMETER_KEYS
        if unknown:
            raise InputError(
                f"{where(path)}: parameter {name!r} has unknown key(s) "
                + ", ".join(sorted(unknown)),
                hint="allowed: " + ", ".join(sorted(PARAMETER_KEYS)),
            )
        kind = spec.get("type")
        if kind not in PARAMETER_TYPES:
            raise InputError(
                f"{where(path)}: parameter {name!r} has type {kind!r}",
                hint="use one of " + ", ".join(PARAMETER_TYPES),
            )
        scheme = spec.get("scheme")
        if (kind == "concept") != (scheme is not None):
            raise InputError(
                f"{where(path)}: parameter {name!r}: a 'scheme' goes with type concept, "
                "and a concept parameter needs one",
            )
        required = spec.get("required", False)
        if not isinstance(required, bool):
            raise InputError(f"{where(path)}: parameter {name!r}: 'required' must be true or false")
        scale = spec.get("scale")
        if scale is not None and kind != "integer":
            raise InputError(
                f"{where(path)}: parameter {name!r}: a 'scale' (a concept scheme of levels) "
                "goes with type integer",
            )
        bounds = {key: spec.get(key) for key in ("minimum", "maximum")}
        for key, value in bounds.items():
            if value is not None and (kind != "integer" or not isinstance(value, int)):
                raise InputError(f"{where(path)}: parameter {name!r}: {key!r} is for integers only")
        default = spec.get("default")
        yield Parameter(
            name=name,
            type=kind,
            required=required,
            default=None
            if default is None
            else str(default).lower()
            if isinstance(default, bool)
            else str(default),
            description=" ".join(str(spec.get("description") or "").split()),
            label=" ".join(str(spec.get("label") or name.replace("_", " ").capitalize()).split()),
            scheme=None if scheme is None else expand(str(scheme)),
            scale=None if scale is None else expand(str(scale)),
            minimum=bounds["minimum"],
            maximum=bounds["maximum"],
        )


def _columns(raw: Any, path: Path, form: Form) -> tuple[tuple[str, str], ...]:
    if raw is None:
        if form == "select":
            raise InputError(f"{where(path)}: a SELECT view's header needs 'columns'")
        return ()
    if not isinstance(raw, dict):
        raise InputError(f"{where(path)}: 'columns' must map column names to descriptions")
    return tuple((str(k), " ".join(str(v or "").split())) for k, v in raw.items())


# One left-to-right scan, so that a '#' inside an IRI or a string is not a comment and a
# quote inside a comment does not open a string.
_TOKENS = re.compile(r"""<[^<>"{}|^`\\\s]*>|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|#[^\n]*""")


def _bare(text: str) -> str:
    """The query text with IRIs, strings and comments blanked out."""
    return _TOKENS.sub(" ", text)


def query_form(text: str) -> Form:
    """The query form (SELECT, CONSTRUCT, ASK or DESCRIBE), read past comments, IRIs and strings."""
    bare = _bare(text)
    found = re.search(r"\b(SELECT|CONSTRUCT|ASK|DESCRIBE)\b", bare, re.IGNORECASE)
    if found is None:
        raise InputError("the query is none of SELECT, CONSTRUCT, ASK, DESCRIBE")
    return found.group(1).lower()  # type: ignore[return-value]


def projected_variables(text: str) -> list[str]:
    """The variables a SELECT query projects (without '?'), in order."""
    bare = _bare(text)
    found = re.search(r"\bSELECT\b(.*?)\bWHERE\b", bare, re.IGNORECASE | re.DOTALL)
    if found is None:
        return []
    clause = re.sub(r"\([^()]*(?:\([^()]*\)[^()]*)*\s+AS\s+\?(\w+)\s*\)", r" ?\1 ", found.group(1))
    return re.findall(r"\?(\w+)", clause)


# --------------------------------------------------------------------------- binding


def expand(value: str) -> str:
    """A prefixed name (``gbc:setting``) as a full IRI; other text unchanged."""
    prefix, sep, local = value.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return value


@dataclass(frozen=True)
class Concept:
    iri: str
    names: tuple[str, ...]


class Lookups:
    """Programme and concept look-ups for parameter checks, run through an engine."""

    def __init__(self, engine: Engine, catalogue: Catalogue) -> None:
        self.engine = engine
        self.catalogue = catalogue
        self._programmes: list[tuple[str, str]] | None = None
        self._concepts: dict[str, list[Concept]] = {}
        self._schemes: list[Concept] | None = None

    def _view(self, name: str) -> View:
        try:
            return self.catalogue[name]
        except KeyError:
            raise InputError(
                f"the {name!r} view is missing, so parameters cannot be checked",
                hint=f"restore queries/{name}.rq",
            ) from None

    def programmes(self) -> list[tuple[str, str]]:
        """(IRI, name) of every programme in the graph."""
        if self._programmes is None:
            table = self.engine.select(self._view(PROGRAMMES_VIEW).text)
            self._programmes = []
            for record in table.records():
                iri, name = record.get("programme"), record.get("name")
                if isinstance(iri, ox.NamedNode):
                    self._programmes.append((iri.value, "" if name is None else name.value))
        return self._programmes

    def concepts(self, scheme: str) -> list[Concept]:
        """The concepts of ``scheme`` with the names a user may call them by."""
        if scheme not in self._concepts:
            view = self._view(CONCEPTS_VIEW)
            table = self.engine.select(bound_text(view, {"scheme": ox.NamedNode(scheme)}))
            names: dict[str, list[str]] = {}
            for record in table.records():
                concept = record["concept"]
                if not isinstance(concept, ox.NamedNode):
                    continue
                local = re.split(r"[/#]", concept.value)[-1]
                found = names.setdefault(concept.value, [local])
                found += [
                    v.value
                    for k, v in record.items()
                    if k != "concept" and v is not None and k in ("label", "notation", "alt_label")
                ]
            self._concepts[scheme] = [Concept(iri, tuple(n)) for iri, n in names.items()]
        return self._concepts[scheme]


    def schemes(self) -> list[Concept]:
        """The concept schemes of the graph with the names a user may call them by."""
        if self._schemes is None:
            table = self.engine.select(self._view(SCHEMES_VIEW).text)
            self._schemes = []
            for record in table.records():
                scheme = record.get("scheme")
                if not isinstance(scheme, ox.NamedNode):
                    continue
                names = [re.split(r"[/#]", scheme.value)[-1], compact(scheme.value)]
                label = record.get("label")
                if label is not None:
                    names.append(label.value)
                self._schemes.append(Concept(scheme.value, tuple(dict.fromkeys(names))))
        return self._schemes


class MissingParameter(InputError):
    """A required parameter was not given."""

    def __init__(self, view: View, parameter: Parameter) -> None:
        super().__init__(
            f"view {view.name!r} needs --param {parameter.name}=VALUE",
            hint=f"{parameter.describe()}: {parameter.description}".rstrip(": "),
        )
        self.view = view
        self.parameter = parameter


def bind(view: View, raw: Mapping[str, str], lookups: Lookups | None) -> dict[str, Term]:
    """Check ``raw`` (parameter name -> text) against the view and return RDF terms."""
    allowed = [p.describe() for p in view.parameters]
    for name in raw:
        if view.parameter(name) is None:
            listed = "; ".join(allowed) if allowed else "it takes none"
            raise InputError(
                f"view {view.name!r} has no parameter {name!r}"
                + _suggest(name, [p.name for p in view.parameters]),
                hint=f"its parameters: {listed}",
            )
    terms: dict[str, Term] = {}
    for parameter in view.parameters:
        value = raw.get(parameter.name, parameter.default)
        if value is None:
            if parameter.required:
                raise MissingParameter(view, parameter)
            continue
        terms[parameter.name] = _term(view, parameter, value, lookups)
    return terms


def _term(view: View, parameter: Parameter, value: str, lookups: Lookups | None) -> Term:
    def bad(reason: str, hint: str) -> InputError:
        return InputError(
            f"view {view.name!r}, parameter {parameter.name}={value!r}: {reason}", hint=hint
        )

    kind = parameter.type
    if kind == "string":
        return ox.Literal(value)
    if kind == "integer":
        if not re.fullmatch(r"\s*[+-]?\d+\s*", value):
            raise bad("not an integer", f"give a whole number, e.g. {parameter.minimum or 1}")
        number = int(value)
        low, high = parameter.minimum, parameter.maximum
        if (low is not None and number < low) or (high is not None and number > high):
            raise bad("out of range", f"give a number from {low} to {high}")
        return ox.Literal(str(number), datatype=ox.NamedNode(XSD + "integer"))
    if kind == "decimal":
        try:
            number_d = Decimal(value.strip())
        except InvalidOperation:
            raise bad("not a decimal number", "give a number such as 1.5") from None
        if not number_d.is_finite():
            raise bad("not a finite number", "give a number such as 1.5")
        return ox.Literal(str(number_d), datatype=ox.NamedNode(XSD + "decimal"))
    if kind == "boolean":
        word = value.strip().lower()
        if word not in _TRUE | _FALSE:
            raise bad("not a boolean", "give true or false")
        lexical = "true" if word in _TRUE else "false"
        return ox.Literal(lexical, datatype=ox.NamedNode(XSD + "boolean"))
    if kind == "iri":
        return _iri(expand(value.strip()), bad)
    if lookups is None:
        raise bad("cannot be checked without the graph", "run it through views.run")
    if kind == "programme":
        return _programme(value.strip(), lookups)
    if kind == "scheme":
        return _scheme(value.strip(), lookups, bad)
    assert parameter.scheme is not None
    return _concept(value.strip(), parameter.scheme, lookups, bad)


def _iri(value: str, bad: Any) -> ox.NamedNode:
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value):
        raise bad("not an absolute IRI", "give a full IRI or a prefixed name such as gbc:setting")
    try:
        return ox.NamedNode(value)
    except ValueError as err:
        raise bad(f"not a valid IRI ({err})", "give a full IRI such as https://...") from None


def _programme(value: str, lookups: Lookups) -> ox.NamedNode:
    known = lookups.programmes()
    iris = {iri for iri, _ in known}
    candidate = value if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value) else programme_iri(value)
    candidate = expand(candidate)
    if candidate in iris:
        return ox.NamedNode(candidate)
    slugs = [programme_slug(iri) or iri for iri, _ in known]
    typed = programme_slug(candidate) or value
    close = difflib.get_close_matches(typed, slugs, n=3, cutoff=0.6)
    # A name typed instead of a slug: "Infant-Parent Psychotherapy".
    close += [
        programme_slug(iri) or iri
        for iri, name in known
        if name and _fold(name) in (_fold(value), _fold(typed))
    ]
    close = list(dict.fromkeys(close))
    raise InputError(
        f"unknown programme {value!r}",
        hint="did you mean " + " or ".join(close) + "?"
        if close
        else "`guidebook query programmes` lists the programmes in the graph",
    )


def _concept(value: str, scheme: str, lookups: Lookups, bad: Any) -> ox.NamedNode:
    concepts = lookups.concepts(scheme)
    iri = expand(value)
    for concept in concepts:
        if concept.iri == iri:
            return ox.NamedNode(concept.iri)
    wanted = _fold(value)
    matches = [c for c in concepts if any(_fold(n) == wanted for n in c.names)]
    if not matches:
        # "infants" for gbc:age-infants: the local name after the scheme's own prefix
        matches = [c for c in concepts if _fold(c.names[0]).endswith("-" + wanted)]
    if len(matches) == 1:
        return ox.NamedNode(matches[0].iri)
    choices = ", ".join(c.names[1] if len(c.names) > 1 else c.names[0] for c in concepts)
    reason = "matches several concepts" if matches else f"is not a concept of {compact(scheme)}"
    raise bad(reason, f"use one of: {choices}")


def _scheme(value: str, lookups: Lookups, bad: Any) -> ox.NamedNode:
    schemes = lookups.schemes()
    iri = expand(value)
    if not schemes and re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", iri):
        # A graph without schemes (an endpoint whose default graph leaves out the data)
        # cannot check the name; the query runs, and its empty answer is explained.
        return _iri(iri, bad)
    wanted = _fold(value)
    for scheme in schemes:
        if scheme.iri == iri or any(_fold(n) == wanted for n in scheme.names):
            return ox.NamedNode(scheme.iri)
    choices = ", ".join(s.names[1] for s in schemes)
    raise bad("is not a concept scheme of the graph", f"use one of: {choices}")


def _fold(text: str) -> str:
    return re.sub(r"[\s_]+", "-", text.strip().lower())


def _suggest(name: str, candidates: Sequence[str] | Mapping[str, object]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(close)}?)" if close else ""


def values_block(terms: Mapping[str, Term]) -> str:
    """A one-row ``VALUES`` block of N-Triples terms; the terms' own syntax escapes them."""
    if not terms:
        return ""
    names = " ".join(f"?{name}" for name in terms)
    row = " ".join(str(term) for term in terms.values())
    return f"VALUES ({names}) {{ ({row}) }}"


def bound_text(view: View, terms: Mapping[str, Term]) -> str:
    """The view's query with its ``#@values`` line replaced by the bound parameters."""
    block = values_block(terms)
    if not block:
        return view.text
    lines = view.text.splitlines(keepends=True)
    out = []
    for line in lines:
        if line.strip() == MARKER:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(indent + block + "\n")
        else:
            out.append(line)
    return "".join(out)


# --------------------------------------------------------------------------- running


class LocalEngine:
    """The embedded pyoxigraph store, queried over the union of its graphs (unless the
    query names its dataset with FROM).

    ``federation`` says which remote services a query may call with SERVICE (none by
    default: see :mod:`guidebook_kg.querytext`). With a ``timeout`` (seconds), a query
    that has not finished by then raises :class:`QueryTimedOut`; pyoxigraph cannot stop a
    query, so it goes on in a background thread until the process ends (the command line
    exits right after the error).
    """

    def __init__(
        self,
        store: ox.Store,
        *,
        federation: Federation = NO_FEDERATION,
        timeout: float | None = None,
    ) -> None:
        self.store = store
        self.federation = federation
        self.timeout = timeout

    def _query(self, query: str) -> Any:
        self.federation.check(query)
        try:
            return self.store.query(
                query, use_default_graph_as_union=not has_dataset_clause(query)
            )
        except SyntaxError as err:
            raise InputError(f"the query does not parse: {err}") from None
        except (OSError, RuntimeError, ValueError) as err:
            raise InputError(f"the query cannot be evaluated: {err}") from None

    def select(self, query: str) -> Table:
        def work() -> Table:
            result = self._query(query)
            if not isinstance(result, ox.QuerySolutions):
                raise InputError("the query is not a SELECT query")
            columns = [v.value for v in result.variables]
            rows = _evaluated(lambda: [tuple(s[c] for c in columns) for s in result])
            return Table(columns, rows)

        return self._in_time(work)

    def construct(self, query: str) -> list[ox.Triple]:
        def work() -> list[ox.Triple]:
            result = self._query(query)
            if not isinstance(result, ox.QueryTriples):
                raise InputError("the query is not a CONSTRUCT or DESCRIBE query")
            return _evaluated(lambda: list(dict.fromkeys(result)))

        return self._in_time(work)

    def _in_time(self, work: Callable[[], _R]) -> _R:
        if self.timeout is None:
            return work()
        outcome: list[Any] = []

        def target() -> None:
            try:
                outcome.append((True, work()))
            except BaseException as err:  # handed to the caller's thread
                outcome.append((False, err))

        thread = threading.Thread(target=target, name="guidebook-query", daemon=True)
        thread.start()
        thread.join(self.timeout)
        if not outcome:
            raise QueryTimedOut(
                f"the query did not finish within {self.timeout:g} s",
                hint="narrow it (LIMIT, more specific patterns) or give it more time "
                "with --timeout SECONDS",
            )
        done, value = outcome[0]
        if not done:
            raise value
        return value  # type: ignore[no-any-return]


class QueryTimedOut(InputError):
    """A local query ran past its time limit."""


_R = TypeVar("_R")


def _evaluated(read: Callable[[], _R]) -> _R:
    # Evaluation errors surface while the results are read, not when the query starts.
    try:
        return read()
    except (OSError, RuntimeError, ValueError) as err:
        raise InputError(f"the query cannot be evaluated: {err}") from None


def run_on(
    engine: Engine,
    view: View,
    params: Mapping[str, str] | None = None,
    catalogue: Catalogue | None = None,
) -> Table:
    """Run a SELECT view on ``engine``; the rows keep the header's column order."""
    if view.form != "select":
        raise InputError(f"view {view.name!r} is a {view.form.upper()} query, not a table")
    terms = bind(view, params or {}, Lookups(engine, _catalogue(view, catalogue)))
    table = engine.select(bound_text(view, terms))
    return _in_header_order(view, table)


def run_graph_on(
    engine: Engine,
    view: View,
    params: Mapping[str, str] | None = None,
    catalogue: Catalogue | None = None,
) -> list[ox.Triple]:
    """Run a CONSTRUCT view on ``engine``."""
    if view.form not in ("construct", "describe"):
        raise InputError(f"view {view.name!r} is a {view.form.upper()} query, not a graph")
    terms = bind(view, params or {}, Lookups(engine, _catalogue(view, catalogue)))
    return engine.construct(bound_text(view, terms))


def run(
    store: ox.Store,
    view: View,
    params: Mapping[str, str] | None = None,
    catalogue: Catalogue | None = None,
) -> Table:
    """Run a SELECT view on the embedded store.

    ``params`` maps parameter names to text as a user types it (a slug, a label, a
    number). ``catalogue`` supplies the look-up views for programme and concept
    parameters; by default the views in the same folder as ``view``.
    """
    return run_on(LocalEngine(store), view, params, catalogue)


def run_graph(
    store: ox.Store,
    view: View,
    params: Mapping[str, str] | None = None,
    catalogue: Catalogue | None = None,
) -> list[ox.Triple]:
    """Run a CONSTRUCT view on the embedded store."""
    return run_graph_on(LocalEngine(store), view, params, catalogue)


def _catalogue(view: View, catalogue: Catalogue | None) -> Catalogue:
    if catalogue is not None:
        return catalogue
    siblings = sorted(view.path.parent.glob("*.rq"))
    return {path.stem: load_view(path) for path in siblings}


def _in_header_order(view: View, table: Table) -> Table:
    wanted = view.column_names
    if not view.columns:  # a plain .rq file: the query's own columns
        return table
    missing = [c for c in wanted if c not in table.columns]
    if missing:
        raise InputError(
            f"{where(view.path)}: header column(s) {', '.join(missing)} are not in the results",
            hint="make the header's 'columns' list the SELECT variables",
        )
    index = [table.columns.index(c) for c in wanted]
    return Table(list(wanted), [tuple(row[i] for i in index) for row in table.rows])


def resolve_programme(engine: Engine, catalogue: Catalogue, programme: str) -> ox.NamedNode:
    """A programme given as a slug or an IRI, checked against the graph."""
    return _programme(programme.strip(), Lookups(engine, catalogue))


# --------------------------------------------------------------------------- ratings

RATINGS_VIEW = "programme-ratings"
HISTORY_VIEW = "rating-history"
DERIVATION_VIEW = "rating-derivation"


@dataclass(frozen=True)
class Criterion:
    """One evidence criterion of one assessment, as the rating-derivation view reports it."""

    iri: str
    label: str
    definition: str
    status: str  # "met", "not met" or "not derivable"
    studies: tuple[str, ...]
    undecided: tuple[str, ...]
    why_not_higher: bool

    @property
    def met(self) -> bool:
        return self.status == "met"


@dataclass(frozen=True)
class Rating:
    """One assessment's stated rating beside the rating its considered studies support."""

    programme: str
    name: str
    assessment: str
    date: str | None
    reviews: str | None
    asserted: str | None
    derived: str | None
    possible: tuple[str, ...]
    agrees: bool | None
    gaps: str | None
    criteria: tuple[Criterion, ...] = ()

    @property
    def slug(self) -> str:
        return programme_slug(self.programme) or self.programme

    @property
    def derivable(self) -> bool:
        return self.derived is not None


def rate(
    engine: Engine,
    catalogue: Catalogue,
    programme: str | None = None,
    *,
    explain: bool = False,
) -> list[Rating]:
    """Every assessment of one programme (slug or IRI), or of all, oldest first per programme."""
    params = {} if programme is None else {"programme": programme}
    rows = run_on(engine, _named(catalogue, HISTORY_VIEW), params, catalogue).records()
    criteria: dict[str, list[Criterion]] = {}
    if explain:
        for row in run_on(engine, _named(catalogue, DERIVATION_VIEW), params, catalogue).records():
            criteria.setdefault(_value(row["assessment"]), []).append(
                Criterion(
                    iri=_value(row["criterion"]),
                    label=_value(row["criterion_label"]),
                    definition=_value(row["criterion_definition"]),
                    status=_value(row["status"]),
                    studies=_split(row["studies"], ", "),
                    undecided=_split(row["undecided"], ", "),
                    why_not_higher=_value(row["why_not_higher"]) == "true",
                )
            )
    return [
        Rating(
            programme=_value(r["programme"]),
            name=_value(r["name"]),
            assessment=_value(r["assessment"]),
            date=_optional(r["date"]),
            reviews=_optional(r["reviews"]),
            asserted=_optional(r["asserted"]),
            derived=_optional(r["derived"]),
            possible=_split(r["possible"], " or "),
            agrees=None if r["agrees"] is None else _value(r["agrees"]) == "true",
            gaps=_optional(r["gaps"]),
            criteria=tuple(criteria.get(_value(r["assessment"]), ())),
        )
        for r in rows
    ]


def _split(term: Term | None, separator: str) -> tuple[str, ...]:
    return tuple(part for part in _value(term).split(separator) if part)


def _optional(term: Term | None) -> str | None:
    return None if term is None else _value(term)


def _named(catalogue: Catalogue, name: str) -> View:
    try:
        return catalogue[name]
    except KeyError:
        raise InputError(
            f"the {name!r} view is missing", hint=f"restore queries/{name}.rq"
        ) from None


def _value(term: Term | None) -> str:
    return "" if term is None else str(term.value)
