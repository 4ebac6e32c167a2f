"""Presenting results: tables (text, CSV, TSV, SPARQL JSON, Markdown) and programme pages.

Tables come from :mod:`guidebook_kg.views`. Programme pages are rendered with jinja2
templates (``templates/page.md.j2``, ``templates/page.html.j2``) from the graph that the
``programme-page`` view constructs; this module only arranges those facts (grouping,
ordering, number formatting), it decides nothing about ratings.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from guidebook_kg import views
from guidebook_kg.errors import InputError
from guidebook_kg.namespaces import (
    DCTERMS,
    FOAF,
    GB,
    GBC,
    PROV,
    RDFS,
    SCHEMA,
    SKOS,
    programme_slug,
)
from guidebook_kg.prefixes import PREFIXES
from guidebook_kg.views import Catalogue, Table, Term

if TYPE_CHECKING:
    import jinja2

TABLE_FORMATS = ("table", "csv", "tsv", "json", "markdown")
PAGE_FORMATS = ("markdown", "html")
PAGE_VIEW = "programme-page"

_XSD_STRING = PREFIXES["xsd"] + "string"


# --------------------------------------------------------------------------- tables


def lexical(term: Term | None) -> str:
    """A term's plain value: the IRI, the literal's text, '' when unbound."""
    return "" if term is None else str(term.value)


def for_people(term: Term | None) -> str:
    """A term as people read it: programme IRIs as slugs, other IRIs as prefixed names."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return programme_slug(term.value) or views.compact(term.value)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return str(term.value)


def table_text(table: Table) -> str:
    """An aligned plain-text table with a header rule, for a terminal."""
    cells = [[for_people(t).replace("\n", " ") for t in row] for row in table.rows]
    widths = [len(c) for c in table.columns]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(table.columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    lines.append(f"({len(table)} row{'' if len(table) == 1 else 's'})")
    return "\n".join(lines) + "\n"


def table_csv(table: Table, delimiter: str = ",") -> str:
    """CSV (or, with a tab, TSV) with a header row; values are plain, IRIs in full."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([lexical(t) for t in row])
    return out.getvalue()


def table_tsv(table: Table) -> str:
    """Tab-separated values for spreadsheets."""
    return table_csv(table, "\t")


def table_json(table: Table) -> str:
    """SPARQL 1.1 Query Results JSON."""
    bindings = []
    for row in table.rows:
        binding: dict[str, dict[str, str]] = {}
        for name, term in zip(table.columns, row, strict=True):
            if term is not None:
                binding[name] = _json_term(term)
        bindings.append(binding)
    document = {"head": {"vars": table.columns}, "results": {"bindings": bindings}}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _json_term(term: Term) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != _XSD_STRING:
        out["datatype"] = term.datatype.value
    return out


def table_markdown(table: Table) -> str:
    """A GitHub-flavoured Markdown table."""

    def cell(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    for row in table.rows:
        lines.append("| " + " | ".join(cell(for_people(t)) for t in row) + " |")
    return "\n".join(lines) + "\n"


def render_table(table: Table, fmt: str) -> str:
    """``table`` in one of :data:`TABLE_FORMATS`."""
    renderers = {
        "table": table_text,
        "csv": table_csv,
        "tsv": table_tsv,
        "json": table_json,
        "markdown": table_markdown,
    }
    try:
        return renderers[fmt](table)
    except KeyError:
        raise InputError(
            f"unknown table format {fmt!r}", hint="use " + ", ".join(renderers)
        ) from None


def graph_turtle(triples: Iterable[ox.Triple]) -> str:
    """Triples as Turtle with the project's prefixes."""
    data = ox.serialize(list(triples), format=ox.RdfFormat.TURTLE, prefixes=dict(PREFIXES))
    return data.decode("utf-8") if isinstance(data, bytes) else str(data)


# --------------------------------------------------------------------------- pages


def page(
    store: ox.Store,
    programme: str,
    fmt: str = "markdown",
    catalogue: Catalogue | None = None,
) -> str:
    """The Guidebook page of ``programme`` (slug or IRI) in ``fmt`` (markdown or html).

    ``catalogue`` is the project's views (:func:`guidebook_kg.views.load_views`); the
    page's facts come from its ``programme-page`` view.
    """
    if fmt not in PAGE_FORMATS:
        raise InputError(f"unknown page format {fmt!r}", hint="use markdown or html")
    if catalogue is None or PAGE_VIEW not in catalogue:
        raise InputError(
            f"the {PAGE_VIEW!r} view is missing", hint=f"restore queries/{PAGE_VIEW}.rq"
        )
    engine = views.LocalEngine(store)
    iri = views.resolve_programme(engine, catalogue, programme)
    triples = views.run_graph_on(engine, catalogue[PAGE_VIEW], {"programme": iri.value}, catalogue)
    return page_from_graph(triples, iri.value, fmt)


def page_from_graph(triples: Iterable[ox.Triple], programme: str, fmt: str = "markdown") -> str:
    """Render a page from the ``programme-page`` graph (from any engine)."""
    template = _page_templates().get_template(
        "page.md.j2" if fmt == "markdown" else "page.html.j2"
    )
    return template.render(page=page_model(triples, programme))


@functools.cache
def _page_templates() -> jinja2.Environment:
    # One environment per process: building it (and compiling the templates it caches)
    # costs ~60 ms, which a build of many pages would otherwise pay per page.
    import jinja2  # only pages need it

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("guidebook_kg", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["join_and"] = join
    return environment


class _Graph:
    """A small read-only index of the page's triples."""

    def __init__(self, triples: Iterable[ox.Triple]) -> None:
        self.out: dict[Any, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        self.into: dict[Any, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for t in triples:
            self.out[t.subject][t.predicate.value].append(t.object)
            self.into[t.object][t.predicate.value].append(t.subject)

    def objects(self, s: Any, p: str) -> list[Any]:
        return sorted(self.out.get(s, {}).get(p, []), key=str)

    def subjects(self, p: str, o: Any) -> list[Any]:
        return sorted(self.into.get(o, {}).get(p, []), key=str)

    def one(self, s: Any, p: str) -> Any | None:
        found = self.objects(s, p)
        return found[0] if found else None

    def text(self, s: Any, p: str) -> str | None:
        if s is None:
            return None
        found = self.one(s, p)
        return None if found is None else str(found.value)

    @staticmethod
    def text_of(term: Any) -> str:
        return str(term.value)

    def flag(self, s: Any, p: str) -> bool | None:
        found = self.text(s, p)
        return None if found is None else found in ("true", "1")

    def label(self, s: Any) -> str:
        for p in (SKOS.prefLabel, RDFS.label, FOAF.name, DCTERMS.title):
            found = self.text(s, p)
            if found:
                return found
        return views.compact(s.value) if isinstance(s, ox.NamedNode) else str(s)

    def labels(self, s: Any, p: str) -> list[str]:
        """Labels of the objects, ordered by their gb:order, then by label."""
        objs = self.objects(s, p)
        return [self.label(o) for o in sorted(objs, key=lambda o: (self.order(o), self.label(o)))]

    def order(self, s: Any) -> float:
        found = self.text(s, GB.order)
        return float(found) if found else float("inf")


@dataclass
class FindingView:
    study: str
    statement: str | None
    measure: str | None
    index: int | None
    timing: str | None
    long_term: bool
    effect: str | None = None  # "positive", "no effect", "negative"; None when not stated
    significant: bool | None = None

    @property
    def positive(self) -> bool:
        return self.effect in (None, "positive")

    @property
    def index_text(self) -> str:
        return "" if self.index is None else f"{self.index:+d}"

    @property
    def better(self) -> int:
        # Cohen's U3 read as percentiles: the average comparison-group participant moves
        # from the 50th percentile to the 50th plus the index.
        return 50 + (self.index or 0)

    @property
    def worse(self) -> int:
        return 100 - self.better


@dataclass
class OutcomeBlock:
    outcome: str
    findings: list[FindingView] = field(default_factory=list)


@dataclass
class DomainBlock:
    domain: str
    general: list[tuple[str, list[OutcomeBlock]]] = field(default_factory=list)

    @property
    def has_no_effect(self) -> bool:
        return any(not f.positive for _, blocks in self.general for b in blocks for f in b.findings)


def number(text: str | None) -> str | None:
    """A decimal as people write it: 92.0 -> 92, 1.50 -> 1.5."""
    if text is None:
        return None
    try:
        return format(Decimal(text).normalize(), "f")
    except InvalidOperation:
        return text


_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def month_year(text: str | None) -> str | None:
    """``2023-01`` as ``January 2023``."""
    if not text or len(text) < 7 or text[4] != "-":
        return text
    try:
        return f"{_MONTHS[int(text[5:7]) - 1]} {text[:4]}"
    except (ValueError, IndexError):
        return text


def page_model(triples: Iterable[ox.Triple], programme: str) -> dict[str, Any]:
    """Arrange the page graph into what the templates show."""
    g = _Graph(triples)
    p = ox.NamedNode(programme)
    if not g.out.get(p):
        raise InputError(f"no facts about programme {programme}")

    # Oldest first; the latest is the current one, as the rating views take it.
    assessments = sorted(
        g.objects(p, GB.hasAssessment), key=lambda a: (_assessment_date(g, a), str(a))
    )
    # the current one, as the derivation names it
    assessment = g.one(p, GB.currentAssessment) or (assessments[-1] if assessments else None)
    rating = g.one(assessment, GB.evidenceRating) if assessment else None
    level = g.one(rating, GB.evidenceLevel) if rating else None
    cost = g.one(assessment, GB.costRating) if assessment else None
    reviews = g.labels(assessment, GB.partOfReview) if assessment else []
    source = g.one(p, PROV.wasDerivedFrom)
    study_name = _study_names(g, p)

    domains: dict[str, DomainBlock] = {}
    findings = sorted(g.objects(p, GB.hasFinding), key=lambda f: (g.order(f), str(f)))
    for f in findings:
        outcome = g.one(f, GB.aboutOutcome)
        if outcome is None or g.one(outcome, GB.beneficiary) != ox.NamedNode(
            GBC["beneficiary-child"]
        ):
            continue
        general = g.one(outcome, GB.specialises) or outcome
        domain = g.one(outcome, GB.outcomeDomain) or g.one(general, GB.outcomeDomain)
        block = domains.setdefault(
            g.label(domain) if domain else "", DomainBlock(g.label(domain) if domain else "")
        )
        general_label = g.label(general)
        if not block.general or block.general[-1][0] != general_label:
            block.general.append((general_label, []))
        outcomes = block.general[-1][1]
        if not outcomes or outcomes[-1].outcome != g.label(outcome):
            outcomes.append(OutcomeBlock(g.label(outcome)))
        effect = g.one(f, GB.effect)
        outcomes[-1].findings.append(
            FindingView(
                study=study_name.get(g.one(f, GB.basedOnStudy), ""),
                statement=g.text(f, GB.statement),
                measure=g.text(f, GB.measureDescription),
                index=_integer(g.text(f, GB.improvementIndex)),
                timing=_timing(g, f),
                long_term=bool(g.flag(f, GB.longTerm)),
                effect=_EFFECTS.get(effect.value) if isinstance(effect, ox.NamedNode) else None,
                significant=g.flag(f, GB.statisticallySignificant),
            )
        )

    contact = g.one(p, GB.contact)
    mbox = g.text(contact, FOAF.mbox) if contact else None
    return {
        "iri": programme,
        "name": g.label(p),
        "acronym": g.text(p, GB.acronym),
        "description": g.text(p, DCTERMS.description),
        "aim": g.text(p, GB.aim),
        "target_population": g.text(p, GB.targetPopulation),
        "scope_note": g.text(p, SKOS.scopeNote),
        "published": month_year(g.text(source, DCTERMS.issued)) if source else None,
        "source": source.value if isinstance(source, ox.NamedNode) else None,
        "review": "; ".join(reviews) or None,
        "alt_names": [g.text_of(o) for o in g.objects(p, SKOS.altLabel)],
        "history": [_assessment(g, a, study_name) for a in assessments],
        "provider_agreed": g.flag(assessment, GB.providerAgreedToTerms) if assessment else None,
        "rating": g.text(assessment, GB.ratingNotation) if assessment else None,
        "has_plus": bool(assessment and g.flag(assessment, GB.hasPlus)),
        "mixed": bool(assessment and g.flag(assessment, GB.mixedFindings)),
        "rating_definition": g.text(rating, SKOS.definition) if rating else None,
        "level_label": g.label(level) if level else None,
        "level_definition": g.text(level, SKOS.definition) if level else None,
        "impact_summary": g.text(assessment, GB.impactSummary) if assessment else None,
        "not_higher": g.text(assessment, GB.notHigherExplanation) if assessment else None,
        "unmet": [g.label(c) for c in g.objects(assessment, GB.unmetCriterion)]
        if assessment
        else [],
        "evidence_summary": g.text(assessment, GB.evidenceSummary) if assessment else None,
        "cost": g.text(cost, SKOS.notation) if cost else None,
        "cost_definition": g.text(cost, SKOS.definition) if cost else None,
        "domains": list(domains.values()),
        "other_outcomes": g.labels(p, GB.otherOutcome),
        "outcome_domains": g.labels(p, GB.childOutcomeDomain),
        "intended_ages": g.text(p, GB.intendedAgeDescription),
        "evaluated_ages": g.text(p, GB.evaluatedAgeDescription),
        "ethnicities": sorted(g.text_of(o) for o in g.objects(p, GB.evaluatedEthnicity)),
        "ethnicity_reported": g.flag(p, GB.ethnicityReported),
        "delivery_settings": g.labels(p, GB.deliverySetting),
        "targeting_note": g.text(p, GB.targetingNote),
        "external_ratings": [_external_rating(g, r) for r in g.objects(p, GB.externalRating)],
        "age_groups": g.labels(p, GB.ageGroup),
        "delivery_models": g.labels(p, GB.deliveryModel),
        "evidence_settings": g.labels(p, GB.evidenceSetting),
        "possible_settings": g.labels(p, GB.possibleSetting),
        "targeting": g.labels(p, GB.targeting),
        "implemented_in": g.labels(p, GB.implementedIn),
        "implemented_in_uk": g.flag(p, GB.implementedInUK),
        "evaluated_in_uk": g.flag(p, GB.evaluatedInUK),
        "spotlight_sets": g.labels(p, GB.spotlightSet),
        "in_spotlight_set": g.flag(p, GB.inAnySpotlightSet),
        "delivery": _delivery(g, p),
        "activities": _ordered_comments(g, p, GB.deliveryActivity),
        "theory_of_change": _ordered_comments(g, p, GB.theoryOfChangeStep),
        "contact": {
            "name": g.label(contact),
            "organisation": g.label(g.one(contact, SCHEMA.affiliation))
            if g.one(contact, SCHEMA.affiliation)
            else None,
            "email": mbox.removeprefix("mailto:") if mbox else None,
        }
        if contact
        else None,
        "studies": [_study(g, s, study_name[s]) for s in _studies(g, p)],
    }


_EFFECTS = {
    GBC["effect-positive"]: "positive",
    GBC["effect-none"]: "no effect",
    GBC["effect-negative"]: "negative",
}


def _assessment_date(g: _Graph, assessment: Any) -> str:
    """The date of the assessment's latest review ("" when it has none)."""
    return max((g.text(r, DCTERMS.date) or "" for r in g.objects(assessment, GB.partOfReview)),
               default="")


def _assessment(g: _Graph, a: Any, study_name: Mapping[Any, str]) -> dict[str, Any]:
    """One assessment with what the evidence standards derive for it (graph/derived)."""
    possible = sorted(
        g.objects(a, GB.possibleRating), key=lambda r: -float(g.text(r, GB.precedence) or 0)
    )
    results = sorted(
        g.objects(a, GB.criterionResult), key=lambda r: g.order(g.one(r, GB.criterion))
    )
    return {
        "date": month_year(_assessment_date(g, a)) or None,
        "reviews": g.labels(a, GB.partOfReview),
        "rating": g.text(a, GB.ratingNotation),
        "derived": g.text(a, GB.derivedNotation),
        "possible": [g.text(r, SKOS.notation) or g.label(r) for r in possible],
        "agrees": g.flag(a, GB.agreesWithEvidence),
        "gaps": sorted(g.text_of(o) for o in g.objects(a, GB.derivationGap)),
        "criteria": [
            {
                "label": g.label(g.one(r, GB.criterion)),
                "status": g.label(g.one(r, GB.status)),
                "studies": _names(g, study_name, r, GB.supportingStudy),
                "undecided": _names(g, study_name, r, GB.undecidedStudy),
            }
            for r in results
        ],
    }


def _names(g: _Graph, study_name: Mapping[Any, str], result: Any, link: str) -> list[str]:
    return sorted(study_name.get(s) or g.label(s) for s in g.objects(result, link))


def _external_rating(g: _Graph, r: Any) -> dict[str, Any]:
    registry = g.one(r, GB.ratedBy)
    concept = g.one(r, GB.registryRating)
    cost = g.one(r, GB.unitCost)
    return {
        "registry": g.label(registry) if registry else None,
        "text": g.text(r, GB.ratingText),
        "concept": g.label(concept) if concept else None,
        "date": month_year(g.text(r, DCTERMS.date)),
        "cost": _money(g, cost) if cost else None,
    }


def _money(g: _Graph, amount: Any) -> str:
    low, high = g.text(amount, SCHEMA.minValue), g.text(amount, SCHEMA.maxValue)
    currency = g.text(amount, SCHEMA.currency) or ""
    symbol = {"EUR": "€", "GBP": "£", "USD": "$"}.get(currency, currency + " ")
    parts = [f"{symbol}{int(Decimal(v)):,}" for v in (low, high) if v is not None]
    return "\u2013".join(parts)  # an en dash between the ends of the range


def _timing(g: _Graph, finding: Any) -> str | None:
    """When a finding was measured, in words: as the source says it, else its timing
    concept's words, else its follow-up."""
    described = g.text(finding, GB.timingDescription)
    if described:
        return described
    timing = g.one(finding, GB.timing)
    if timing is not None:
        return g.text(timing, SKOS.altLabel) or g.label(timing)
    unit = g.one(finding, GB.followUpUnit)
    value = g.text(finding, GB.followUpValue)
    if value is None or unit is None:
        return None
    return follow_up_words(value, g.label(unit))


def follow_up_words(value: str, unit: str) -> str:
    """A follow-up in words: ``10`` ``Years`` as "10 years later", ``1`` ``Weeks`` as
    "1 week later", 0 as "Immediately after the intervention"."""
    amount = number(value) or value
    if Decimal(amount) == 0:
        return "Immediately after the intervention"
    noun = unit.lower()
    if amount == "1" and noun.endswith("s"):
        noun = noun[:-1]
    return f"{amount} {noun} later"


def _follow_up_days(g: _Graph, timing: Any) -> float:
    """A timing concept's follow-up in days, to order timings (unknown ones last)."""
    value = g.text(timing, GB.followUpValue)
    days = g.text(g.one(timing, GB.followUpUnit), GB.daysPerUnit)
    return float(value) * float(days) if value and days else float("inf")


def _studies(g: _Graph, p: Any) -> list[Any]:
    def key(s: Any) -> tuple[str, str]:
        number_text = g.text(s, GB.studyNumber) or ""
        return (number_text.zfill(8), str(s))

    return sorted(g.subjects(GB.evaluates, p), key=key)


def _study_names(g: _Graph, p: Any) -> dict[Any, str]:
    names = {}
    for s in _studies(g, p):
        number_text = g.text(s, GB.studyNumber)
        # a study known only by its citation is named by it
        names[s] = (
            f"study {number_text}" if number_text
            else g.text(s, GB.shortCitation) or g.label(s)
        )
    return names


def _ordered_comments(g: _Graph, p: Any, link: str) -> list[dict[str, Any]]:
    steps = sorted(g.objects(p, link), key=lambda s: (g.order(s), str(s)))
    return [
        {
            "text": g.text(s, RDFS.comment),
            "horizon": g.label(g.one(s, GB.horizon)) if g.one(s, GB.horizon) else None,
        }
        for s in steps
    ]


def _delivery(g: _Graph, p: Any) -> dict[str, Any]:
    def concept(link: str) -> str | None:
        found = g.one(p, link)
        return g.label(found) if found else None

    return {
        "summary": g.text(p, GB.deliverySummary),
        "sessions": g.text(p, GB.sessionCount),
        "sessions_min": g.text(p, GB.sessionMinCount),
        "sessions_max": g.text(p, GB.sessionMaxCount),
        "schedule": g.text(p, GB.sessionSchedule),
        "max_duration_months": number(g.text(p, GB.maxDurationMonths)),
        "group_size": g.text(p, GB.maxGroupSize),
        "group_unit": concept(GB.groupUnit),
        "note": g.text(p, GB.deliveryNote),
        "roles": sorted(g.text_of(o) for o in g.objects(p, GB.practitionerRole)),
        "session_min_hours": number(g.text(p, GB.sessionMinHours)),
        "session_max_hours": number(g.text(p, GB.sessionMaxHours)),
        "frequency": concept(GB.sessionFrequency),
        "min_duration_months": number(g.text(p, GB.minDurationMonths)),
        "open_ended": g.flag(p, GB.durationOpenEnded),
        "practitioners": g.text(p, GB.practitionerCount),
        "practitioner_qualification": concept(GB.practitionerQualification),
        "practitioner_note": g.text(p, GB.practitionerQualificationNote),
        "training_hours": number(g.text(p, GB.trainingHours)),
        "booster": concept(GB.boosterTraining),
        "supervision": concept(GB.supervision),
        "supervisors": g.text(p, GB.supervisorCount),
        "supervisor_role": g.text(p, GB.supervisorRole),
        "supervisor_qualification": concept(GB.supervisorQualification),
        "supervisor_training_hours": number(g.text(p, GB.supervisorTrainingHours)),
        "fidelity_available": g.flag(p, GB.fidelityInformationAvailable),
        "fidelity": g.text(p, GB.fidelitySystems),
        "licence_required": g.flag(p, GB.licenceRequired),
    }


def _study(g: _Graph, s: Any, name: str) -> dict[str, Any]:
    sample = g.one(s, GB.sample)
    references = g.objects(s, GB.reportedIn)
    return {
        "name": name[:1].upper() + name[1:],
        "citation": g.text(s, GB.shortCitation),
        "design": g.labels(s, GB.design),
        "rigorous": g.flag(s, GB.rigorouslyConducted),
        "countries": g.labels(s, GB.country),
        "sample": g.text(sample, RDFS.label) if sample else None,
        "sample_detail": g.text(sample, RDFS.comment) if sample else None,
        "sample_size": g.text(sample, GB.sampleSize) if sample else None,
        "subgroups": [
            {
                "label": g.label(sub),
                "count": g.text(sub, GB.count),
                "percentage": number(g.text(sub, GB.percentage)),
            }
            for sub in (g.objects(sample, GB.subgroup) if sample else [])
        ],
        "timings": [
            *(
                g.label(t)
                for t in sorted(
                    g.objects(s, GB.timing), key=lambda t: (_follow_up_days(g, t), str(t))
                )
            ),
            *(g.text_of(d) for d in g.objects(s, GB.timingDescription)),
        ],
        "child_impact": g.label(g.one(s, GB.childImpact)) if g.one(s, GB.childImpact) else None,
        "sample_unit": g.label(g.one(sample, GB.sampleUnit))
        if sample and g.one(sample, GB.sampleUnit)
        else None,
        "child_outcomes": g.labels(s, GB.childOutcome),
        "other_outcomes": g.labels(s, GB.otherOutcome),
        "rating": g.text(g.one(s, GB.studyRating), SKOS.notation),
        "references": [
            {
                "citation": g.text(r, GB.citationText) or g.label(r),
                "url": g.text(r, SCHEMA.url),
            }
            for r in references
        ],
        "design_summary": g.text(s, GB.designSummary),
        "arms": [
            {
                "label": g.label(a),
                "role": g.label(g.one(a, GB.armRole)) if g.one(a, GB.armRole) else None,
                "size": g.text(a, GB.armSize),
            }
            for a in g.objects(s, GB.arm)
        ],
        "measures": [
            {
                "construct": g.text(m, GB.construct),
                "instrument": g.label(g.one(m, GB.instrument)) if g.one(m, GB.instrument) else None,
                "kind": g.label(g.one(m, GB.measureKind)) if g.one(m, GB.measureKind) else None,
            }
            for m in g.objects(s, GB.measurement)
        ],
        "findings_summary": g.text(s, GB.findingsSummary),
    }


def _integer(text: str | None) -> int | None:
    try:
        return None if text is None else int(text)
    except ValueError:
        return None


def join(items: Sequence[str], last: str = "and") -> str:
    """``a, b and c``."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


# --------------------------------------------------------------------------- ratings


def ratings_text(ratings: Sequence[views.Rating], *, explain: bool = False) -> str:
    """Every assessment's stated rating beside the derived one, oldest first per programme;
    what each record lacks when the rating cannot be derived; with ``explain``, every
    criterion and its studies, and why the programme is not rated higher."""
    if not explain:
        columns = ["programme", "reviewed", "stated", "derived", "check"]
        rows: list[tuple[Term | None, ...]] = [
            (
                ox.Literal(r.slug),
                ox.Literal(r.date or "-"),
                ox.Literal(r.asserted or "-"),
                ox.Literal(r.derived or "-"),
                ox.Literal(_agreement(r)),
            )
            for r in ratings
        ]
        text = table_text(Table(columns, rows))
        lacking = [r for r in ratings if r.gaps]
        if lacking:
            text += "\nWhat the records lack:\n" + "".join(
                f"  {r.slug} {r.date or ''} ({r.asserted or '-'}): {r.gaps}\n" for r in lacking
            )
        histories = [h for h in _histories(ratings) if h]
        if histories:
            text += "\nRating history:\n" + "".join(f"  {h}\n" for h in histories)
        return text
    blocks = []
    for r in ratings:
        lines = [
            f"{r.name} ({r.slug}), {_reviewed(r)}",
            f"  stated {r.asserted or '-'}, derived {r.derived or '-'}: {_agreement(r)}",
        ]
        if not r.derivable and r.possible:
            lines.append(f"  the record allows: {' or '.join(r.possible)}")
        if r.gaps:
            lines.append(f"  the record lacks: {r.gaps}")
        for c in r.criteria:
            lines.append(f"  {c.status:<13}  {c.label}{_criterion_studies(c)}")
        blocking = [c for c in r.criteria if c.why_not_higher]
        if blocking and r.derived:
            lines.append(f"  Why it is {r.derived.rstrip('*')} and not higher:")
            for c in blocking:
                lines.append(f"    - not met: {c.label}. {c.definition} {_short_of(c)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _reviewed(rating: views.Rating) -> str:
    if rating.reviews:
        return rating.reviews
    return f"reviewed {rating.date}" if rating.date else "undated"


def _histories(ratings: Sequence[views.Rating]) -> list[str]:
    """"2+ (Foundations for Life, July 2016) → 3+ (January 2021)" for programmes assessed
    more than once (the ratings arrive oldest first)."""
    by_programme: dict[str, list[views.Rating]] = {}
    for r in ratings:
        by_programme.setdefault(r.slug, []).append(r)
    return [
        f"{slug}: " + " → ".join(f"{r.asserted or '-'} ({_reviewed(r)})" for r in history)
        for slug, history in by_programme.items()
        if len(history) > 1
    ]


def _agreement(rating: views.Rating) -> str:
    if rating.agrees is None:
        return "not derivable" if rating.asserted else "not assessed"
    return "agrees" if rating.agrees else "DISAGREES"


def _criterion_studies(criterion: views.Criterion) -> str:
    parts = []
    if criterion.studies:
        names = ", ".join(criterion.studies)
        parts.append(names if criterion.met else f"only {names}")
    if criterion.undecided:
        parts.append(f"undecided: {', '.join(criterion.undecided)}")
    return f" - {'; '.join(parts)}" if parts else ""


def _short_of(criterion: views.Criterion) -> str:
    if not criterion.studies:
        return "No study does."
    names = join(list(criterion.studies))
    verb = "does" if len(criterion.studies) == 1 else "do"
    return f"Only {names} {verb}."


