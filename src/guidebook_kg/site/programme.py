"""The programme page: a programme's Guidebook page, read from the graph by following the
programme's links (the ``programme-page`` view constructs the same facts as a graph, for
those who want them as RDF).

This module only arranges the facts of the graph (grouping, ordering, number
formatting); it decides nothing about ratings. "Why this rating" is what the evidence
standards derived (``graph/derived``: one criterion result per criterion of each
assessment, with the studies behind it, the possible and derived ratings, what the
record lacks), read as stated there. The study pages are arranged the same way (see
:mod:`guidebook_kg.site.study`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pyoxigraph as ox

from guidebook_kg.errors import InputError
from guidebook_kg.namespaces import (
    BIBO,
    DCTERMS,
    FOAF,
    GB,
    GBC,
    PROV,
    RDFS,
    SCHEMA,
    SKOS,
)
from guidebook_kg.site import charts
from guidebook_kg.site.graph import Reader, StoreReader, TripleIndex
from guidebook_kg.site.sitemap import anchor
from guidebook_kg.site.text import capitalised, follow_up_words, integer, month_year, number

PAGE_VIEW = "programme-page"

_EFFECTS = {
    GBC["effect-positive"]: "positive",
    GBC["effect-none"]: "no effect",
    GBC["effect-negative"]: "negative",
}
_STATUS = {
    GBC["status-met"]: "met",
    GBC["status-not-met"]: "not-met",
    GBC["status-not-derivable"]: "not-derivable",
}


@dataclass
class FindingView:
    iri: str
    study: str
    statement: str | None
    measure: str | None
    index: int | None
    timing: str | None
    long_term: bool
    effect: str | None = None  # "positive", "no effect", "negative"; None when not stated
    significant: bool | None = None
    study_iri: str | None = None
    outcome: str | None = None
    outcome_iri: str | None = None
    programme: str | None = None
    programme_iri: str | None = None

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
    iri: str | None = None
    findings: list[FindingView] = field(default_factory=list)


@dataclass
class DomainBlock:
    domain: str
    iri: str | None = None
    general: list[tuple[str, str | None, list[OutcomeBlock]]] = field(default_factory=list)

    @property
    def has_no_effect(self) -> bool:
        return any(
            not f.positive for _, _, blocks in self.general for b in blocks for f in b.findings
        )


def iri_of(term: Any) -> str | None:
    return term.value if isinstance(term, ox.NamedNode) else None


def finding_view(g: Reader, f: Any, study_name: Mapping[Any, str]) -> FindingView:
    """One finding as pages show it (the programme, study and outcome pages alike)."""
    effect = g.one(f, GB.effect)
    study = g.one(f, GB.basedOnStudy)
    outcome = g.one(f, GB.aboutOutcome)
    programme = next(iter(g.subjects(GB.hasFinding, f)), None)
    return FindingView(
        iri=f.value,
        study=study_name.get(study, "") if study is not None else "",
        statement=g.text(f, GB.statement),
        measure=g.text(f, GB.measureDescription),
        index=integer(g.text(f, GB.improvementIndex)),
        timing=timing(g, f),
        long_term=bool(g.flag(f, GB.longTerm)),
        effect=_EFFECTS.get(effect.value) if isinstance(effect, ox.NamedNode) else None,
        significant=g.flag(f, GB.statisticallySignificant),
        study_iri=iri_of(study),
        outcome=g.label(outcome) if outcome is not None else None,
        outcome_iri=iri_of(outcome),
        programme=g.label(programme) if programme is not None else None,
        programme_iri=iri_of(programme),
    )


def page_model(triples: Iterable[ox.Triple] | Reader, programme: str) -> dict[str, Any]:
    """Arrange the page graph (its triples, or a reader of the whole graph) into what the
    templates show."""
    g = triples if isinstance(triples, Reader) else TripleIndex(triples)
    p = ox.NamedNode(programme)
    if not g.has(p):
        raise InputError(f"no facts about programme {programme}")

    # Oldest first; the latest is the current one, as the rating views take it.
    assessments = sorted(
        g.objects(p, GB.hasAssessment), key=lambda a: (assessment_date(g, a), str(a))
    )
    # the current one, as the derivation names it
    assessment = g.one(p, GB.currentAssessment) or (assessments[-1] if assessments else None)
    rating = g.one(assessment, GB.evidenceRating) if assessment else None
    level = g.one(rating, GB.evidenceLevel) if rating else None
    cost = g.one(assessment, GB.costRating) if assessment else None
    reviews = g.labels(assessment, GB.partOfReview) if assessment else []
    source = g.one(p, PROV.wasDerivedFrom)
    study_name = study_names(g, p)

    domains: dict[str, DomainBlock] = {}
    others: list[FindingView] = []
    findings = sorted(g.objects(p, GB.hasFinding), key=lambda f: (g.order(f), str(f)))
    for f in findings:
        view = finding_view(g, f, study_name)
        outcome = g.one(f, GB.aboutOutcome)
        if outcome is None or g.one(outcome, GB.beneficiary) != ox.NamedNode(
            GBC["beneficiary-child"]
        ):
            others.append(view)
            continue
        general = g.one(outcome, GB.specialises) or outcome
        domain = g.one(outcome, GB.outcomeDomain) or g.one(general, GB.outcomeDomain)
        name = g.label(domain) if domain else ""
        block = domains.setdefault(name, DomainBlock(name, iri_of(domain)))
        general_label = g.label(general)
        if not block.general or block.general[-1][0] != general_label:
            block.general.append((general_label, iri_of(general), []))
        outcomes = block.general[-1][2]
        if not outcomes or outcomes[-1].outcome != g.label(outcome):
            outcomes.append(OutcomeBlock(g.label(outcome), iri_of(outcome)))
        outcomes[-1].findings.append(view)

    history = [assessment_view(g, a, study_name) for a in assessments]
    current = next(
        (h for h in history if assessment is not None and h["iri"] == assessment.value), None
    )
    contact = g.one(p, GB.contact)
    mbox = g.text(contact, FOAF.mbox) if contact else None
    affiliation = g.one(contact, SCHEMA.affiliation) if contact else None
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
        "source_title": g.text(source, DCTERMS.title) if source else None,
        "review": "; ".join(reviews) or None,
        "alt_names": [g.text_of(o) for o in g.objects(p, SKOS.altLabel)],
        "history": history,
        "current": current,
        "provider_agreed": g.flag(assessment, GB.providerAgreedToTerms) if assessment else None,
        "rating": g.text(assessment, GB.ratingNotation) if assessment else None,
        "rating_iri": iri_of(rating),
        "level": g.text(level, GB.levelValue) if level else None,
        "has_plus": bool(assessment and g.flag(assessment, GB.hasPlus)),
        "mixed": bool(assessment and g.flag(assessment, GB.mixedFindings)),
        "rating_definition": g.text(rating, SKOS.definition) if rating else None,
        "level_label": g.label(level) if level else None,
        "level_iri": iri_of(level),
        "level_definition": g.text(level, SKOS.definition) if level else None,
        "impact_summary": g.text(assessment, GB.impactSummary) if assessment else None,
        "not_higher": g.text(assessment, GB.notHigherExplanation) if assessment else None,
        "unmet": [g.label(c) for c in g.objects(assessment, GB.unmetCriterion)]
        if assessment
        else [],
        "evidence_summary": g.text(assessment, GB.evidenceSummary) if assessment else None,
        "cost": g.text(cost, SKOS.notation) if cost else None,
        "cost_iri": iri_of(cost),
        "cost_definition": g.text(cost, SKOS.definition) if cost else None,
        "domains": list(domains.values()),
        "other_findings": others,
        "other_outcomes": g.labels(p, GB.otherOutcome),
        "other_outcome_links": concepts(g, p, GB.otherOutcome),
        "outcome_domains": g.labels(p, GB.childOutcomeDomain),
        "intended_ages": g.text(p, GB.intendedAgeDescription),
        "evaluated_ages": g.text(p, GB.evaluatedAgeDescription),
        "ethnicities": sorted(g.text_of(o) for o in g.objects(p, GB.evaluatedEthnicity)),
        "ethnicity_reported": g.flag(p, GB.ethnicityReported),
        "delivery_settings": g.labels(p, GB.deliverySetting),
        "targeting_note": g.text(p, GB.targetingNote),
        "external_ratings": [external_rating(g, r) for r in g.objects(p, GB.externalRating)],
        "age_groups": g.labels(p, GB.ageGroup),
        "delivery_models": g.labels(p, GB.deliveryModel),
        "evidence_settings": g.labels(p, GB.evidenceSetting),
        "possible_settings": g.labels(p, GB.possibleSetting),
        "targeting": g.labels(p, GB.targeting),
        "implemented_in": g.labels(p, GB.implementedIn),
        "characteristics": {
            "age_groups": concepts(g, p, GB.ageGroup),
            "delivery_models": concepts(g, p, GB.deliveryModel),
            "evidence_settings": concepts(g, p, GB.evidenceSetting),
            "possible_settings": concepts(g, p, GB.possibleSetting),
            "delivery_settings": concepts(g, p, GB.deliverySetting),
            "targeting": concepts(g, p, GB.targeting),
            "spotlight_sets": concepts(g, p, GB.spotlightSet),
        },
        "implemented_in_uk": g.flag(p, GB.implementedInUK),
        "evaluated_in_uk": g.flag(p, GB.evaluatedInUK),
        "spotlight_sets": g.labels(p, GB.spotlightSet),
        "in_spotlight_set": g.flag(p, GB.inAnySpotlightSet),
        "delivery": delivery(g, p),
        "activities": ordered_comments(g, p, GB.deliveryActivity),
        "theory_of_change": ordered_comments(g, p, GB.theoryOfChangeStep),
        "contact": {
            "iri": iri_of(contact),
            "name": g.label(contact),
            "organisation": g.label(affiliation) if affiliation else None,
            "organisation_iri": iri_of(affiliation),
            "email": mbox.removeprefix("mailto:") if mbox else None,
        }
        if contact
        else None,
        "studies": [study_view(g, s, study_name[s]) for s in studies_of(g, p)],
        "figures": findings_figures(g.label(p), domains.values(), programme),
    }


def bar(f: FindingView, label: str, *, programme: bool = False, study: bool = True) -> charts.Bar:
    """A finding as a bar of the improvement-index chart, named by ``label`` and said to
    be of its study (unless ``study`` is false), its timing and (if ``programme``) its
    programme."""
    said = [capitalised(f.study) if f.study and study else "", f.timing or "timing not recorded"]
    if programme and f.programme:
        said.insert(0, f.programme)
    return charts.Bar(f.iri, label, " \u00b7 ".join(s for s in said if s), f.index,
                      f.long_term, f.effect)


def findings_figures(
    name: str, domains: Iterable[DomainBlock], programme: str
) -> list[charts.Figure]:
    """The improvement-index chart of a programme's child-outcome findings, by domain
    (none when no finding has an index)."""
    groups = [
        (d.domain or None, [bar(f, b.outcome) for _, _, blocks in d.general for b in blocks
                            for f in b.findings])
        for d in domains
    ]
    anchors = {b.iri: anchor(b.iri, programme) for _, bars in groups for b in bars}
    figure = charts.index_chart(
        "chart-findings", groups, f"Improvement indices of the child-outcome findings of {name}",
        anchors=anchors,
    )
    return [figure] if figure is not None else []


def concepts(g: Reader, s: Any, p: str) -> list[dict[str, Any]]:
    """The objects of ``s p`` as label and IRI, in gb:order, then label order."""
    objs = g.objects(s, p)
    ordered = sorted(objs, key=lambda o: (g.order(o), g.label(o)))
    return [{"label": g.label(o), "iri": iri_of(o)} for o in ordered]


def assessment_date(g: Reader, assessment: Any) -> str:
    """The date of the assessment's latest review ("" when it has none)."""
    return max(
        (g.text(r, DCTERMS.date) or "" for r in g.objects(assessment, GB.partOfReview)),
        default="",
    )


def assessment_view(g: Reader, a: Any, study_name: Mapping[Any, str]) -> dict[str, Any]:
    """One assessment with what the evidence standards derive for it (graph/derived)."""
    possible = sorted(
        g.objects(a, GB.possibleRating), key=lambda r: -float(g.text(r, GB.precedence) or 0)
    )
    results = sorted(
        g.objects(a, GB.criterionResult), key=lambda r: (g.order(g.one(r, GB.criterion)), str(r))
    )
    criteria = []
    for r in results:
        criterion, status = g.one(r, GB.criterion), g.one(r, GB.status)
        criteria.append(
            {
                "iri": r.value,
                "criterion": iri_of(criterion),
                "label": g.label(criterion),
                "definition": g.text(criterion, SKOS.definition),
                "status": g.label(status),
                "status_key": _STATUS.get(status.value, "other") if status else "other",
                "studies": names(g, study_name, r, GB.supportingStudy),
                "undecided": names(g, study_name, r, GB.undecidedStudy),
                "study_links": study_links(g, study_name, r, GB.supportingStudy),
                "undecided_links": study_links(g, study_name, r, GB.undecidedStudy),
            }
        )
    rating = g.one(a, GB.evidenceRating)
    return {
        "iri": a.value,
        "label": g.label(a),
        "date": month_year(assessment_date(g, a)) or None,
        "reviews": g.labels(a, GB.partOfReview),
        "rating": g.text(a, GB.ratingNotation),
        "rating_iri": iri_of(rating),
        "derived": g.text(a, GB.derivedNotation),
        "derived_iri": iri_of(g.one(a, GB.derivedRating)),
        "possible": [g.text(r, SKOS.notation) or g.label(r) for r in possible],
        "agrees": g.flag(a, GB.agreesWithEvidence),
        "gaps": sorted(g.text_of(o) for o in g.objects(a, GB.derivationGap)),
        "considered": [
            {"iri": s.value, "name": study_name.get(s) or g.label(s)}
            for s in sorted(
                g.objects(a, GB.considersStudy), key=lambda s: study_name.get(s, str(s))
            )
        ],
        "complete": g.flag(a, GB.consideredStudiesComplete),
        "criteria": criteria,
        "met": [c for c in criteria if c["status_key"] == "met"],
        "not_met": [c for c in criteria if c["status_key"] == "not-met"],
        "not_derivable": [c for c in criteria if c["status_key"] == "not-derivable"],
    }


def names(g: Reader, study_name: Mapping[Any, str], result: Any, link: str) -> list[str]:
    return sorted(study_name.get(s) or g.label(s) for s in g.objects(result, link))


def study_links(
    g: Reader, study_name: Mapping[Any, str], result: Any, link: str
) -> list[dict[str, str]]:
    found = [
        {"name": study_name.get(s) or g.label(s), "iri": s.value} for s in g.objects(result, link)
    ]
    return sorted(found, key=lambda s: s["name"])


def external_rating(g: Reader, r: Any) -> dict[str, Any]:
    registry = g.one(r, GB.ratedBy)
    concept = g.one(r, GB.registryRating)
    cost = g.one(r, GB.unitCost)
    return {
        "iri": iri_of(r),
        "registry": g.label(registry) if registry else None,
        "registry_iri": iri_of(registry),
        "text": g.text(r, GB.ratingText),
        "concept": g.label(concept) if concept else None,
        "date": month_year(g.text(r, DCTERMS.date)),
        "cost": money(g, cost) if cost else None,
        "cost_iri": iri_of(cost),
    }


def money(g: Reader, amount: Any) -> str:
    low, high = g.text(amount, SCHEMA.minValue), g.text(amount, SCHEMA.maxValue)
    currency = g.text(amount, SCHEMA.currency) or ""
    symbol = {"EUR": "€", "GBP": "£", "USD": "$"}.get(currency, currency + " ")
    parts = [f"{symbol}{int(Decimal(v)):,}" for v in (low, high) if v is not None]
    return "\u2013".join(parts)  # an en dash between the ends of the range


def timing(g: Reader, finding: Any) -> str | None:
    """When a finding was measured, in words: as the source says it, else its timing
    concept's words, else its follow-up."""
    described = g.text(finding, GB.timingDescription)
    if described:
        return described
    concept = g.one(finding, GB.timing)
    if concept is not None:
        return g.text(concept, SKOS.altLabel) or g.label(concept)
    unit = g.one(finding, GB.followUpUnit)
    value = g.text(finding, GB.followUpValue)
    if value is None or unit is None:
        return None
    return follow_up_words(value, g.label(unit))


def follow_up_days(g: Reader, concept: Any) -> float:
    """A timing concept's follow-up in days, to order timings (unknown ones last)."""
    value = g.text(concept, GB.followUpValue)
    days = g.text(g.one(concept, GB.followUpUnit), GB.daysPerUnit)
    return float(value) * float(days) if value and days else float("inf")


def studies_of(g: Reader, p: Any) -> list[Any]:
    def key(s: Any) -> tuple[str, str]:
        number_text = g.text(s, GB.studyNumber) or ""
        return (number_text.zfill(8), str(s))

    return sorted(g.subjects(GB.evaluates, p), key=key)


def study_names(g: Reader, p: Any) -> dict[Any, str]:
    """What the programme's page calls each of its studies: "study 1", or the citation of a
    study the record does not number."""
    found = {}
    for s in studies_of(g, p):
        number_text = g.text(s, GB.studyNumber)
        found[s] = (
            f"study {number_text}" if number_text else g.text(s, GB.shortCitation) or g.label(s)
        )
    return found


def ordered_comments(g: Reader, p: Any, link: str) -> list[dict[str, Any]]:
    steps = sorted(g.objects(p, link), key=lambda s: (g.order(s), str(s)))
    return [
        {
            "iri": iri_of(s),
            "text": g.text(s, RDFS.comment),
            "horizon": g.label(g.one(s, GB.horizon)) if g.one(s, GB.horizon) else None,
        }
        for s in steps
    ]


def delivery(g: Reader, p: Any) -> dict[str, Any]:
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


def reference_view(g: Reader, r: Any) -> dict[str, Any]:
    """A publication as a formatted reference: the citation as the source prints it, with
    its identifiers as links."""
    doi = g.text(r, BIBO.doi)
    pmid = g.text(r, BIBO.pmid)
    return {
        "iri": iri_of(r),
        "citation": g.text(r, GB.citationText) or g.label(r),
        "title": g.text(r, DCTERMS.title),
        "url": g.text(r, SCHEMA.url),
        "doi": doi,
        "doi_url": f"https://doi.org/{doi}" if doi else None,
        "pmid": pmid,
        "pmid_url": f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else None,
    }


def study_view(g: Reader, s: Any, name: str) -> dict[str, Any]:
    sample = g.one(s, GB.sample)
    return {
        "iri": iri_of(s),
        "name": name[:1].upper() + name[1:],
        "citation": g.text(s, GB.shortCitation),
        "design": g.labels(s, GB.design),
        "design_links": concepts(g, s, GB.design),
        "rigorous": g.flag(s, GB.rigorouslyConducted),
        "independent": g.flag(s, GB.independentOfProvider),
        "countries": g.labels(s, GB.country),
        "sample_iri": iri_of(sample),
        "sample": g.text(sample, RDFS.label) if sample else None,
        "sample_detail": g.text(sample, RDFS.comment) if sample else None,
        "sample_size": g.text(sample, GB.sampleSize) if sample else None,
        "subgroups": [
            {
                "iri": iri_of(sub),
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
                    g.objects(s, GB.timing), key=lambda t: (follow_up_days(g, t), str(t))
                )
            ),
            *(g.text_of(d) for d in g.objects(s, GB.timingDescription)),
        ],
        "child_impact": g.label(g.one(s, GB.childImpact)) if g.one(s, GB.childImpact) else None,
        "sample_unit": g.label(g.one(sample, GB.sampleUnit))
        if sample and g.one(sample, GB.sampleUnit)
        else None,
        "child_outcomes": g.labels(s, GB.childOutcome),
        "child_outcome_links": concepts(g, s, GB.childOutcome),
        "other_outcomes": g.labels(s, GB.otherOutcome),
        "other_outcome_links": concepts(g, s, GB.otherOutcome),
        "rating": g.text(g.one(s, GB.studyRating), SKOS.notation),
        "rating_iri": iri_of(g.one(s, GB.studyRating)),
        "rating_definition": g.text(g.one(s, GB.studyRating), SKOS.definition),
        "references": [reference_view(g, r) for r in g.objects(s, GB.reportedIn)],
        "design_summary": g.text(s, GB.designSummary),
        "arms": [
            {
                "iri": iri_of(a),
                "label": g.label(a),
                "role": g.label(g.one(a, GB.armRole)) if g.one(a, GB.armRole) else None,
                "size": g.text(a, GB.armSize),
            }
            for a in g.objects(s, GB.arm)
        ],
        "measures": [
            {
                "iri": iri_of(m),
                "construct": g.text(m, GB.construct),
                "instrument": g.label(g.one(m, GB.instrument)) if g.one(m, GB.instrument) else None,
                "instrument_iri": iri_of(g.one(m, GB.instrument)),
                "kind": g.label(g.one(m, GB.measureKind)) if g.one(m, GB.measureKind) else None,
            }
            for m in g.objects(s, GB.measurement)
        ],
        "findings_summary": g.text(s, GB.findingsSummary),
    }


PAGE_FORMATS = ("markdown", "html")


def page(
    store: ox.Store,
    programme: str,
    fmt: str = "markdown",
    catalogue: Mapping[str, Any] | None = None,
) -> str:
    """The Guidebook page of ``programme`` (slug or IRI) in ``fmt``: Markdown, or the
    site's programme page as a document read on its own (every link an IRI).

    ``catalogue`` is the project's views (:func:`guidebook_kg.views.load_views`), used to
    find the programme; the page's facts are read from the store as ``build`` and
    ``serve`` read them.
    """
    from guidebook_kg import views
    from guidebook_kg.prefixes import BASE
    from guidebook_kg.site import html
    from guidebook_kg.site.links import IriLinks

    if fmt not in PAGE_FORMATS:
        raise InputError(f"unknown page format {fmt!r}", hint="use markdown or html")
    engine = views.LocalEngine(store)
    iri = views.resolve_programme(engine, catalogue or {}, programme)
    model = page_model(StoreReader(store), iri.value)
    if fmt == "markdown":
        return html.render_text("programme.md.j2", page=model)
    from importlib.resources import files

    # A document read on its own carries its stylesheet.
    css = files("guidebook_kg").joinpath("site/static/site.css").read_text(encoding="utf-8")
    rendered = html.render(
        "programme.html.j2",
        IriLinks(BASE),
        title=model["name"],
        page=model,
        canonical=iri.value,
        inline_css=css,
    )
    return rendered.body.decode("utf-8")
