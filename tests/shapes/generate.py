"""Build the shapes test suite: tests/shapes/data/*.ttl and tests/shapes/manifest.ttl.

Each case below names one shape, a change to base.ttl that breaks exactly that shape
(``fails``), a change that does not (``passes``, the twin; none means base.ttl itself) and
the results the failing graph must give, written by hand from the SHACL specification
(focus node, path, constraint component, value). The manifest is a W3C SHACL test-suite
manifest (sht:Validate entries), so any SHACL engine can be run over it.

Every data graph stands alone. It holds the evidence standard (all of
ontology/standards.ttl) and the facts of the concepts it uses (CONCEPT_FACTS, copied from
ontology/), and, since the rating rules compare what an assessment states with what the
evidence standards derive, the output of the project's derivation (queries/derivation/,
run over the graph by guidebook_kg.derive) after a DERIVED_MARKER comment: an engine that
knows nothing of the derivation sees the facts the rules read.

Run ``python tests/shapes/generate.py`` after changing base.ttl, a case, the ontology or the
derivation; tests/test_shapes_manifest.py fails while the files on disk are out of date.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib import RDF, Namespace

from guidebook_kg.derive import DERIVED_GRAPH_NODE, derive
from guidebook_kg.project import find_project

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
BASE_FILE = HERE / "base.ttl"
DATA_DIR = HERE / "data"
MANIFEST = HERE / "manifest.ttl"
STANDARDS = REPO / "ontology" / "standards.ttl"
# base.ttl as a data graph (the standard, its concepts, the derivation's output): the twin
# of the cases that need no other.
COMPLETE_BASE = DATA_DIR / "base.ttl"

ID = "https://w3id.org/guidebook-kg/id/"
GB = Namespace("https://w3id.org/guidebook-kg/ontology#")
GBC = "https://w3id.org/guidebook-kg/concept/"
GBSH = "https://w3id.org/guidebook-kg/shapes#"
SH = "http://www.w3.org/ns/shacl#"
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
EU_COUNTRY = "http://publications.europa.eu/resource/authority/country/"

HEADER = f"""\
@base <{ID}> .
@prefix gb:      <https://w3id.org/guidebook-kg/ontology#> .
@prefix gbc:     <{GBC}> .
@prefix rdf:     <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix prov:    <http://www.w3.org/ns/prov#> .
@prefix bibo:    <http://purl.org/ontology/bibo/> .
@prefix fabio:   <http://purl.org/spar/fabio/> .
@prefix cito:    <http://purl.org/spar/cito/> .
@prefix schema:  <https://schema.org/> .
@prefix foaf:    <http://xmlns.com/foaf/0.1/> .
@prefix euc:     <{EU_COUNTRY}> .
"""

# The facts of a concept (ontology/concepts.ttl, countries.ttl, registries.ttl) that the
# shapes and the derivation read, copied for every concept a graph mentions, transitively.
# What the evidence standards say of ratings, criteria, study conditions and study facts
# (gb:precedence, gb:requiresCriterion, gb:needsStudies, gb:allOf, gb:minimumStudyRating,
# gb:whenMissing, the criteria's labels that messages show) is in ontology/standards.ttl,
# which every graph copies whole. Other labels only reach messages, which no test compares.
CONCEPT_FACTS = frozenset(
    [
        RDF.type,
        SKOS.inScheme,
        SKOS.notation,
        GB.levelValue,
        GB.evidenceLevel,
        GB.hasPlus,
        GB.rigorousDesign,
        GB.followUpValue,
        GB.followUpUnit,
        GB.daysPerUnit,
        GB.independentOfParticipants,
    ]
)

# Where a data file's own facts end and the derivation's output begins.
DERIVED_MARKER = (
    "# ---- The derivation's output: the triples queries/derivation/ derives from the graph\n"
    "# above (guidebook_kg.derive, into graph/derived when loaded by guidebook), written here\n"
    "# so that any SHACL engine sees the facts the rating rules read.\n"
)

# Resources of the base graph, as Turtle terms.
P = "<programme/fixture>"
A = "<programme/fixture/assessment/2020-01>"
# The ontology's own declaration: a graph with it gets the declarations of the gb: terms it
# uses copied from ontology/ (as a project's data is validated with its ontology).
ONTOLOGY = "https://w3id.org/guidebook-kg/ontology"
ONTOLOGY_DECLARED = f"<{ONTOLOGY}> a <http://www.w3.org/2002/07/owl#Ontology> ."
SA = "<study/fixture-a>"
SB = "<study/fixture-b>"
SAMPLE_A = "<study/fixture-a/sample>"
SAMPLE_B = "<study/fixture-b/sample>"
SUBGROUP = "<study/fixture-a/sample/at-risk>"
ARM = "<study/fixture-a/arm/control>"
M = "<study/fixture-a/measurement/behaviour>"
INSTRUMENT = "<instrument/fixture-observation>"
REF_A = "<reference/fixture-a>"
REF_B = "<reference/fixture-b>"
F = "<programme/fixture/finding/1>"
FB = "<programme/fixture/finding/2>"
OUTCOME = "<outcome/fixture-behaviour>"
ACTIVITY = "<programme/fixture/activity/1>"
STEP = "<programme/fixture/theory-of-change/1>"
PERSON = "<person/fixture-contact>"
ORG = "<organisation/fixture-clearinghouse>"
REVIEW = "<review/fixture-2020-01>"
PAGE = "<https://guidebook.example.org/programme/fixture>"
EXTERNAL = "<programme/fixture/external-rating/1>"
# From ontology/standards.ttl, copied into every graph.
STANDARD = "<evidence-standard/eif>"
# Resources some cases add.
SC = "<study/fixture-c>"
FC = "<programme/fixture/finding/3>"
A_LATER = "<programme/fixture/assessment/2021-01>"
UNTYPED = "<thing/untyped>"


@dataclass(frozen=True)
class Change:
    """Triples to remove from base.ttl and triples to add (Turtle, with HEADER's prefixes)."""

    add: str = ""
    remove: str = ""

    def __add__(self, other: Change) -> Change:
        return Change(f"{self.add}\n{other.add}", f"{self.remove}\n{other.remove}")

    def __bool__(self) -> bool:
        return bool(self.add.strip() or self.remove.strip())


def swap(focus: str, path: str, old: str, new: str) -> Change:
    """Replace one value of ``path`` on ``focus``."""
    return Change(add=f"{focus} {path} {new} .", remove=f"{focus} {path} {old} .")


# ---------------------------------------------------------------- evidence building blocks

RATINGS = {  # notation without '*': (rating concept, level concept, plus)
    "NL2": ("rating-nl2", "level-nl2", "false"),
    "NE": ("rating-ne", "level-ne", "false"),
    "2": ("rating-2", "level-2", "false"),
    "2+": ("rating-2-plus", "level-2", "true"),
    "3": ("rating-3", "level-3", "false"),
    "3+": ("rating-3-plus", "level-3", "true"),
    "4": ("rating-4", "level-4", "false"),
    "4+": ("rating-4-plus", "level-4", "true"),
}


def rating(assessment: str, notation: str) -> str:
    """The triples that state a rating, e.g. "3+*", consistently."""
    concept, level, plus = RATINGS[notation.rstrip("*")]
    mixed = "true" if notation.endswith("*") else "false"
    return f"""{assessment} gb:evidenceRating gbc:{concept} ; gb:evidenceLevel gbc:{level} ;
        gb:hasPlus {plus} ; gb:mixedFindings {mixed} ; gb:ratingNotation "{notation}" ."""


def claim(notation: str) -> Change:
    """The assessment states another rating (base.ttl states 3+)."""
    return Change(add=rating(A, notation), remove=rating(A, "3+"))


# base.ttl lists these criteria as unmet; a case in which they are met drops the list.
DROP_UNMET = Change(
    remove=f"{A} gb:unmetCriterion gbc:criterion-replicated , gbc:criterion-long-term ."
)


def study_c(*facts: str, design: str = "rct", rated: str = "3", effect: str = "positive") -> str:
    """A third study of the programme with one child finding at post-test.

    It is significant when positive and not significant otherwise; ``facts`` are more
    predicate-object pairs of the study. The assessment does not consider it unless a case
    says so (CONSIDER_C).
    """
    significant = "true" if effect == "positive" else "false"
    more = "".join(f" ;\n        {fact}" for fact in facts)
    return f"""{SC} a gb:Study ; gb:evaluates {P} ; gb:design gbc:design-{design} ;
        gb:studyRating gbc:study-rating-{rated} ; gb:reportedIn {REF_A}{more} .
    {FC} a gb:Finding ; gb:aboutOutcome {OUTCOME} ; gb:basedOnStudy {SC} ;
        gb:timing gbc:timing-post-test ; gb:effect gbc:effect-{effect} ;
        gb:statisticallySignificant {significant} ."""


CONSIDER_C = Change(add=f"{A} gb:considersStudy {SC} .")
# A second rigorously conducted RCT rated 3 with a positive child finding.
REPLICATION = Change(add=study_c("gb:rigorouslyConducted true"))
# A rigorously conducted RCT rated 3 that found no effect: a rating of the evidence's
# quality, whatever its result.
NO_EFFECT_TRIAL = Change(add=study_c("gb:rigorouslyConducted true", effect="none"))
# Study A's finding is measured a year after the intervention: long-term.
LONG_TERM = swap(F, "gb:timing", "gbc:timing-post-test", "gbc:timing-one-year-follow-up")


def found_nothing(finding: str) -> Change:
    """The study's only child finding shows no effect and is not significant."""
    return Change(
        remove=f"{finding} gb:effect gbc:effect-positive ; gb:statisticallySignificant true .",
        add=f"{finding} gb:effect gbc:effect-none ; gb:statisticallySignificant false .",
    )


# Study A found nothing (its index goes with its effect).
A_FOUND_NOTHING = found_nothing(F) + swap(F, "gb:improvementIndex", "12", "0")
# Study B found nothing and, not being rigorously conducted, cannot call for a '*'.
B_FOUND_NOTHING = found_nothing(FB) + Change(add=f"{SB} gb:rigorouslyConducted false .")


def later_assessment(notation: str) -> Change:
    """A second assessment of the programme (2021), which also considered study C."""
    return Change(
        add=f"""{P} gb:hasAssessment {A_LATER} .
        {A_LATER} a gb:Assessment ; gb:assesses {P} ; gb:costRating gbc:cost-2 ;
            gb:considersStudy {SA} , {SB} , {SC} ; gb:consideredStudiesComplete true .
        {rating(A_LATER, notation)}"""
    )


def level_4_studies(c_independent: str) -> Change:
    """Studies A and C meet level 4 (rated 4, long-term, replicated); A is not independent."""
    return (
        DROP_UNMET
        + LONG_TERM
        + swap(SA, "gb:studyRating", "gbc:study-rating-3", "gbc:study-rating-4")
        + Change(add=f"{SA} gb:independentOfProvider false .")
        + Change(
            add=study_c(
                "gb:rigorouslyConducted true",
                f"gb:independentOfProvider {c_independent}",
                rated="4",
            )
        )
        + CONSIDER_C
    )


# Another programme with a study and an assessment of its own (rated NL2, as its study,
# a pre-post study that found nothing, supports).
SECOND_PROGRAMME = Change(
    add=f"""
<programme/other> a gb:Programme ;
    rdfs:label "Other Programme"@en ;
    gb:hasAssessment <programme/other/assessment/2020-01> ;
    gb:hasFinding <programme/other/finding/1> .
{rating("<programme/other/assessment/2020-01>", "NL2")}
<programme/other/assessment/2020-01> a gb:Assessment ;
    gb:assesses <programme/other> ;
    gb:considersStudy <study/other> ; gb:consideredStudiesComplete true .
<study/other> a gb:Study ;
    gb:evaluates <programme/other> ;
    gb:design gbc:design-pre-post ;
    gb:studyRating gbc:study-rating-nl2 ;
    gb:reportedIn {REF_B} .
<programme/other/finding/1> a gb:Finding ;
    gb:aboutOutcome {OUTCOME} ;
    gb:basedOnStudy <study/other> ;
    gb:timing gbc:timing-post-test ;
    gb:effect gbc:effect-none ;
    gb:statisticallySignificant false .
"""
)


# ---------------------------------------------------------------- cases


@dataclass(frozen=True)
class Expect:
    focus: str
    path: str | None
    component: str
    value: str | None = None


@dataclass(frozen=True)
class Case:
    shape: str
    fails: Change
    expect: tuple[Expect, ...]
    passes: Change = Change()
    exercises: tuple[str, ...] = ()
    name: str | None = None
    comment: str = ""

    @property
    def id(self) -> str:
        return self.name or self.shape


def ex(focus: str, path: str | None, component: str, value: str | None = None) -> Expect:
    return Expect(focus, path, component, value)


def sparql(focus: str, path: str, value: str) -> tuple[Expect, ...]:
    """The one result of a SPARQL-based constraint."""
    return (ex(focus, path, "SPARQL", value),)


def text(shape: str, focus: str, path: str) -> Case:
    """A language-tagged text property: a plain string fails, another language passes."""
    return Case(
        shape,
        Change(add=f'{focus} {path} "no language tag" .'),
        (ex(focus, path, "Datatype", '"no language tag"'),),
        Change(add=f'{focus} {path} "un texte"@fr .'),
        comment=f"{path} needs a language tag",
    )


def boolean(shape: str, focus: str, path: str) -> Case:
    return Case(
        shape,
        Change(add=f'{focus} {path} "yes" .'),
        (ex(focus, path, "Datatype", '"yes"'),),
        Change(add=f"{focus} {path} true ."),
        comment=f"{path} is a boolean",
    )


def concept(
    shape: str,
    focus: str,
    path: str,
    good: str,
    bad: str = "gbc:effect-positive",
    exercises: tuple[str, ...] = (),
) -> Case:
    """A concept property: a concept of another scheme fails, one of its scheme passes."""
    return Case(
        shape,
        Change(add=f"{focus} {path} {bad} ."),
        (ex(focus, path, "Node", bad),),
        Change(add=f"{focus} {path} {good} ."),
        exercises=exercises,
        comment=f"{path} takes a concept of its own scheme",
    )


def linked(shape: str, focus: str, path: str, extra: str = "") -> Case:
    """A link to a resource of a class: an untyped resource fails."""
    return Case(
        shape,
        Change(add=f"{focus} {path} {UNTYPED} . {extra}"),
        (ex(focus, path, "Class", UNTYPED),),
        comment=f"{path} links to a typed resource",
    )


def number(
    shape: str,
    focus: str,
    path: str,
    bad: str,
    component: str,
    good: str,
    exercises: tuple[str, ...] = (),
    remove: str = "",
) -> Case:
    return Case(
        shape,
        Change(add=f"{focus} {path} {bad} .", remove=remove),
        (ex(focus, path, component, bad),),
        Change(add=f"{focus} {path} {good} .", remove=remove),
        exercises=exercises,
        comment=f"{path} {bad} is out of range; {good} is in range",
    )


def ordered(shape: str, focus: str, low: str, high: str, path: str) -> Case:
    """``low`` cannot be above ``high`` (sh:lessThanOrEquals)."""
    return Case(
        shape,
        Change(add=f"{focus} {low} 12 ; {high} 6 ."),
        (ex(focus, path, "LessThanOrEquals", "12"),),
        Change(add=f"{focus} {low} 6 ; {high} 12 ."),
        comment=f"{low} above {high} fails; below it passes",
    )


def missing(shape: str, focus: str, path: str, value: str) -> Case:
    return Case(
        shape,
        Change(remove=f"{focus} {path} {value} ."),
        (ex(focus, path, "MinCount"),),
        comment=f"{path} is required",
    )


INTEGERS = ("IntegerLiteral", "PositiveIntegerLiteral")
DECIMALS = ("DecimalLiteral", "IntegerLiteral")

CASES: list[Case] = [
    # ------------------------------------------------------------------ programme
    missing("Programme-label", P, "rdfs:label", '"Fixture Programme"@en'),
    Case(
        "Programme-acronym",
        Change(add=f'{P} gb:acronym "FP"@en .'),
        (ex(P, "gb:acronym", "Datatype", '"FP"@en'),),
        Change(add=f'{P} gb:acronym "FP"^^xsd:string .'),
        comment="an acronym is a plain string; an explicit xsd:string is the same term",
    ),
    text("Programme-description", P, "dcterms:description"),
    text("Programme-aim", P, "gb:aim"),
    text("Programme-targetPopulation", P, "gb:targetPopulation"),
    text("Programme-scopeNote", P, "skos:scopeNote"),
    linked("Programme-hasAssessment", P, "gb:hasAssessment"),
    linked("Programme-hasFinding", P, "gb:hasFinding", extra=f"{UNTYPED} gb:basedOnStudy {SA} ."),
    Case(
        "Programme-findingsShown",
        Change(remove=f"{P} gb:hasFinding {F} , {FB} ."),
        (ex(P, "gb:hasFinding", "MinCount"),),
        comment="an info: a rated programme shows no findings",
    ),
    linked("Programme-otherOutcome", P, "gb:otherOutcome"),
    concept(
        "Programme-ageGroup",
        P,
        "gb:ageGroup",
        "gbc:age-infants",
        exercises=("AgeGroupConcept", "AgeGroupConcept-scheme"),
    ),
    concept(
        "Programme-deliveryModel",
        P,
        "gb:deliveryModel",
        "gbc:model-individual",
        exercises=("DeliveryModelConcept", "DeliveryModelConcept-scheme"),
    ),
    concept(
        "Programme-evidenceSetting",
        P,
        "gb:evidenceSetting",
        "gbc:setting-home",
        exercises=("SettingConcept", "SettingConcept-scheme"),
    ),
    concept("Programme-possibleSetting", P, "gb:possibleSetting", "gbc:setting-home"),
    concept(
        "Programme-targeting",
        P,
        "gb:targeting",
        "gbc:targeting-indicated",
        exercises=("TargetingConcept", "TargetingConcept-scheme"),
    ),
    concept(
        "Programme-implementedIn",
        P,
        "gb:implementedIn",
        "euc:USA",
        bad="gbc:age-infants",
        exercises=("CountryConcept", "CountryConcept-scheme"),
    ),
    boolean("Programme-implementedInUK", P, "gb:implementedInUK"),
    boolean("Programme-evaluatedInUK", P, "gb:evaluatedInUK"),
    Case(
        "Programme-spotlightSet",
        Change(add=f"{P} gb:spotlightSet <spotlight/untyped> ."),
        (ex(P, "gb:spotlightSet", "Class", "<spotlight/untyped>"),),
        Change(
            add=f"{P} gb:spotlightSet <spotlight/fixture> . <spotlight/fixture> a skos:Concept ."
        ),
    ),
    boolean("Programme-inAnySpotlightSet", P, "gb:inAnySpotlightSet"),
    text("Programme-deliverySummary", P, "gb:deliverySummary"),
    number(
        "Programme-sessionCount",
        P,
        "gb:sessionCount",
        "0",
        "MinExclusive",
        '"32"^^xsd:positiveInteger',
        exercises=INTEGERS,
    ),
    Case(
        "Programme-sessionMinHours",
        Change(add=f"{P} gb:sessionMinHours 2.0 ; gb:sessionMaxHours 1.5 ."),
        (ex(P, "gb:sessionMinHours", "LessThanOrEquals", "2.0"),),
        Change(add=f"{P} gb:sessionMinHours 1.0 ; gb:sessionMaxHours 1.5 ."),
        exercises=DECIMALS,
        comment="the shortest session cannot be longer than the longest",
    ),
    number("Programme-sessionMaxHours", P, "gb:sessionMaxHours", "0.0", "MinExclusive", "2"),
    concept(
        "Programme-sessionFrequency",
        P,
        "gb:sessionFrequency",
        "gbc:frequency-weekly",
        exercises=("FrequencyConcept", "FrequencyConcept-scheme"),
    ),
    number("Programme-minDurationMonths", P, "gb:minDurationMonths", "0", "MinExclusive", "12.0"),
    boolean("Programme-durationOpenEnded", P, "gb:durationOpenEnded"),
    Case(
        "Programme-practitionerCount",
        Change(add=f'{P} gb:practitionerCount "one" .'),
        (
            ex(P, "gb:practitionerCount", "Or", '"one"'),
            ex(P, "gb:practitionerCount", "MinExclusive", '"one"'),
        ),
        Change(add=f"{P} gb:practitionerCount 1 ."),
        exercises=INTEGERS,
        comment="a count is a number: a word fails both the datatype and the range",
    ),
    text("Programme-practitionerRole", P, "gb:practitionerRole"),
    concept(
        "Programme-practitionerQualification",
        P,
        "gb:practitionerQualification",
        "gbc:qualification-nfq-9-10",
        exercises=("QualificationConcept", "QualificationConcept-scheme"),
    ),
    text("Programme-practitionerQualificationNote", P, "gb:practitionerQualificationNote"),
    number("Programme-trainingHours", P, "gb:trainingHours", "-5.0", "MinExclusive", "92"),
    concept(
        "Programme-boosterTraining",
        P,
        "gb:boosterTraining",
        "gbc:requirement-recommended",
        exercises=("RequirementConcept", "RequirementConcept-scheme"),
    ),
    concept("Programme-supervision", P, "gb:supervision", "gbc:requirement-recommended"),
    number("Programme-supervisorCount", P, "gb:supervisorCount", "0", "MinExclusive", "1"),
    text("Programme-supervisorRole", P, "gb:supervisorRole"),
    concept(
        "Programme-supervisorQualification",
        P,
        "gb:supervisorQualification",
        "gbc:qualification-nfq-9-10",
    ),
    number(
        "Programme-supervisorTrainingHours",
        P,
        "gb:supervisorTrainingHours",
        "0.0",
        "MinExclusive",
        "92.0",
    ),
    boolean("Programme-fidelityInformationAvailable", P, "gb:fidelityInformationAvailable"),
    text("Programme-fidelitySystems", P, "gb:fidelitySystems"),
    boolean("Programme-licenceRequired", P, "gb:licenceRequired"),
    linked("Programme-deliveryActivity", P, "gb:deliveryActivity"),
    linked("Programme-theoryOfChangeStep", P, "gb:theoryOfChangeStep"),
    linked("Programme-contact", P, "gb:contact"),
    Case(
        "Programme-minChildAgeMonths",
        Change(add=f"{P} gb:minChildAgeMonths 12.0 ; gb:maxChildAgeMonths 6.0 ."),
        (ex(P, "gb:minChildAgeMonths", "LessThanOrEquals", "12.0"),),
        Change(add=f"{P} gb:minChildAgeMonths 0 ; gb:maxChildAgeMonths 6.0 ."),
    ),
    number("Programme-maxChildAgeMonths", P, "gb:maxChildAgeMonths", "-1.0", "MinInclusive", "6.0"),
    Case(
        "Programme-source",
        Change(add=f"{P} prov:wasDerivedFrom <ftp://guidebook.example.org/fixture> ."),
        (ex(P, "prov:wasDerivedFrom", "Pattern", "<ftp://guidebook.example.org/fixture>"),),
        comment="the source is a web page",
    ),
    text("Programme-altLabel", P, "skos:altLabel"),
    ordered(
        "Programme-sessionMinCount",
        P,
        "gb:sessionMinCount",
        "gb:sessionMaxCount",
        "gb:sessionMinCount",
    ),
    number("Programme-sessionMaxCount", P, "gb:sessionMaxCount", "0", "MinExclusive", "30"),
    text("Programme-sessionSchedule", P, "gb:sessionSchedule"),
    number("Programme-maxDurationMonths", P, "gb:maxDurationMonths", "0", "MinExclusive", "6.5"),
    ordered(
        "Programme-durationRange",
        P,
        "gb:minDurationMonths",
        "gb:maxDurationMonths",
        "gb:minDurationMonths",
    ),
    number("Programme-maxGroupSize", P, "gb:maxGroupSize", "-2", "MinExclusive", "12"),
    concept(
        "Programme-groupUnit",
        P,
        "gb:groupUnit",
        "gbc:participant-families",
        exercises=("ParticipantUnitConcept", "ParticipantUnitConcept-scheme"),
    ),
    text("Programme-deliveryNote", P, "gb:deliveryNote"),
    text("Programme-targetingNote", P, "gb:targetingNote"),
    text("Programme-intendedAgeDescription", P, "gb:intendedAgeDescription"),
    text("Programme-evaluatedAgeDescription", P, "gb:evaluatedAgeDescription"),
    text("Programme-evaluatedEthnicity", P, "gb:evaluatedEthnicity"),
    boolean("Programme-ethnicityReported", P, "gb:ethnicityReported"),
    concept("Programme-deliverySetting", P, "gb:deliverySetting", "gbc:setting-home"),
    concept("Programme-childOutcomeDomain", P, "gb:childOutcomeDomain", "gbc:domain-mental-health"),
    linked("Programme-externalRating", P, "gb:externalRating"),
    Case(
        "DeliveryActivity-order",
        swap(ACTIVITY, "gb:order", "1", "0"),
        (ex(ACTIVITY, "gb:order", "MinInclusive", "0"),),
    ),
    missing("DeliveryActivity-comment", ACTIVITY, "rdfs:comment", '"Weekly home visits."@en'),
    missing("TheoryOfChangeStep-order", STEP, "gb:order", "1"),
    Case(
        "TheoryOfChangeStep-comment",
        swap(
            STEP,
            "rdfs:comment",
            '"Sensitive parenting supports secure attachment."@en',
            '"Sensitive parenting supports secure attachment."',
        ),
        (
            ex(
                STEP,
                "rdfs:comment",
                "Datatype",
                '"Sensitive parenting supports secure attachment."',
            ),
        ),
    ),
    concept(
        "TheoryOfChangeStep-horizon",
        STEP,
        "gb:horizon",
        "gbc:horizon-short-term",
        exercises=("HorizonConcept", "HorizonConcept-scheme"),
    ),
    missing("Person-name", PERSON, "foaf:name", '"Fixture Contact"'),
    Case(
        "Person-mbox",
        swap(
            PERSON, "foaf:mbox", "<mailto:contact@example.org>", "<mailto:contact-at-example.org>"
        ),
        (ex(PERSON, "foaf:mbox", "Pattern", "<mailto:contact-at-example.org>"),),
        comment="an e-mail address needs an @ and a domain",
    ),
    missing("Organisation-name", ORG, "foaf:name", '"Fixture Clearinghouse"'),
    Case(
        "Organisation-homepage",
        swap(
            ORG,
            "foaf:homepage",
            "<https://clearinghouse.example.org/>",
            '"https://clearinghouse.example.org/"',
        ),
        (ex(ORG, "foaf:homepage", "NodeKind", '"https://clearinghouse.example.org/"'),),
        comment="a homepage is an IRI, not a string",
    ),
    # ------------------------------------------------------------------ assessment
    text("Assessment-label", A, "rdfs:label"),
    Case(
        "Assessment-assesses",
        Change(
            remove=f"{A} gb:assesses {P} . {P} gb:hasAssessment {A} .",
            add=f"""{P} gb:hasAssessment <programme/fixture/assessment/2021-01> .
                <programme/fixture/assessment/2021-01> a gb:Assessment ;
                    gb:assesses {P} ;
                    gb:evidenceRating gbc:rating-3-plus ; gb:evidenceLevel gbc:level-3 ;
                    gb:hasPlus true ; gb:mixedFindings false ; gb:ratingNotation "3+" ;
                    gb:costRating gbc:cost-2 ; gb:considersStudy {SA} , {SB} ;
                    gb:consideredStudiesComplete true .""",
        ),
        (ex(A, "gb:assesses", "MinCount"),),
        comment="an assessment that rates no programme (the programme has a newer one)",
    ),
    Case(
        "Assessment-partOfReview",
        swap(A, "gb:partOfReview", REVIEW, UNTYPED),
        (ex(A, "gb:partOfReview", "Class", UNTYPED),),
    ),
    boolean("Assessment-providerAgreedToTerms", A, "gb:providerAgreedToTerms"),
    Case(
        "Assessment-evidenceRating",
        Change(remove="gbc:rating-3-plus skos:inScheme gbc:evidence-rating ."),
        (ex(A, "gb:evidenceRating", "Node", "gbc:rating-3-plus"),),
        exercises=("EvidenceRatingConcept", "EvidenceRatingConcept-scheme"),
        comment="a rating concept outside the evidence-rating scheme (any other concept would"
        " also be a rating the studies do not allow, a second result)",
    ),
    Case(
        "Assessment-evidenceRating",
        Change(remove="gbc:rating-3-plus gb:evidenceLevel gbc:level-3 ."),
        (ex(A, "gb:evidenceRating", "Node", "gbc:rating-3-plus"),),
        exercises=("EvidenceRatingConcept-level",),
        name="EvidenceRatingConcept-level",
        comment="a rating concept that states no level",
    ),
    Case(
        "Assessment-evidenceRating",
        Change(remove="gbc:rating-3-plus gb:hasPlus true ."),
        (ex(A, "gb:evidenceRating", "Node", "gbc:rating-3-plus"),),
        exercises=("EvidenceRatingConcept-plus",),
        name="EvidenceRatingConcept-plus",
        comment="a rating concept that does not say whether it has a plus",
    ),
    Case(
        "Assessment-evidenceLevel",
        Change(remove="gbc:level-3 skos:inScheme gbc:evidence-level ."),
        (ex(A, "gb:evidenceLevel", "Node", "gbc:level-3"),),
        exercises=("EvidenceLevelConcept", "EvidenceLevelConcept-scheme"),
    ),
    missing("Assessment-hasPlus", A, "gb:hasPlus", "true"),
    missing("Assessment-mixedFindings", A, "gb:mixedFindings", "false"),
    missing("Assessment-ratingNotation", A, "gb:ratingNotation", '"3+"'),
    Case(
        "Assessment-costRating",
        swap(A, "gb:costRating", "gbc:cost-2", "gbc:effect-positive"),
        (ex(A, "gb:costRating", "Node", "gbc:effect-positive"),),
        swap(A, "gb:costRating", "gbc:cost-2", "gbc:cost-na"),
        exercises=("CostRatingConcept", "CostRatingConcept-scheme"),
    ),
    concept(
        "Assessment-unmetCriterion",
        A,
        "gb:unmetCriterion",
        "gbc:criterion-replicated",
        exercises=("CriterionConcept", "CriterionConcept-scheme"),
    ),
    text("Assessment-notHigherExplanation", A, "gb:notHigherExplanation"),
    text("Assessment-impactSummary", A, "gb:impactSummary"),
    text("Assessment-evidenceSummary", A, "gb:evidenceSummary"),
    linked(
        "Assessment-considersStudy",
        A,
        "gb:considersStudy",
        extra=f"{UNTYPED} gb:evaluates {P} .",
    ),
    linked("Assessment-citesAsEvidence", A, "cito:citesAsEvidence"),
    Case(
        "Assessment-consideredStudiesComplete",
        swap(A, "gb:consideredStudiesComplete", "true", '"yes"'),
        (ex(A, "gb:consideredStudiesComplete", "Datatype", '"yes"'),),
        comment="whether the list of considered studies is complete is a boolean",
    ),
    missing("Review-label", REVIEW, "rdfs:label", '"Fixture review, January 2020"@en'),
    Case(
        "Review-date",
        swap(REVIEW, "dcterms:date", '"2020-01"^^xsd:gYearMonth', '"January 2020"'),
        (
            ex(REVIEW, "dcterms:date", "Or", '"January 2020"'),
            ex(REVIEW, "dcterms:date", "Pattern", '"January 2020"'),
        ),
        swap(REVIEW, "dcterms:date", '"2020-01"^^xsd:gYearMonth', '"2020"^^xsd:gYear'),
        exercises=("GYearMonthLiteral", "GYearLiteral", "DateLiteral"),
        comment="a date in words is neither a typed date nor in date form",
    ),
    Case(
        "Review-publisher",
        swap(REVIEW, "dcterms:publisher", ORG, UNTYPED),
        (ex(REVIEW, "dcterms:publisher", "Class", UNTYPED),),
    ),
    Case(
        "SourcePageShape",
        Change(add="<urn:example:page> a gb:SourcePage ."),
        (ex("<urn:example:page>", None, "Pattern", "<urn:example:page>"),),
        Change(add="<https://guidebook.example.org/programme/other> a gb:SourcePage ."),
        comment="a source page is named by its web address",
    ),
    text("SourcePage-title", PAGE, "dcterms:title"),
    Case(
        "SourcePage-issued",
        swap(PAGE, "dcterms:issued", '"2021-03"^^xsd:gYearMonth', '"2021-03"'),
        (ex(PAGE, "dcterms:issued", "Or", '"2021-03"'),),
        swap(PAGE, "dcterms:issued", '"2021-03"^^xsd:gYearMonth', '"2021-03-01"^^xsd:date'),
        comment="a month written as a string is not a typed month",
    ),
    linked("SourcePage-publisher", PAGE, "dcterms:publisher"),
    # ------------------------------------------------------------------ study
    text("Study-label", SA, "rdfs:label"),
    Case(
        "Study-evaluates",
        Change(
            add=f"""<study/fixture-c> a gb:Study ; gb:design gbc:design-pre-post ;
                gb:studyRating gbc:study-rating-nl2 ; gb:reportedIn {REF_B} ."""
        ),
        (ex("<study/fixture-c>", "gb:evaluates", "MinCount"),),
        Change(
            add=f"""<study/fixture-c> a gb:Study ; gb:design gbc:design-pre-post ;
                gb:studyRating gbc:study-rating-nl2 ; gb:reportedIn {REF_B} ;
                gb:evaluates {P} ."""
        ),
        comment="a study that evaluates no programme",
    ),
    Case(
        "Study-studyNumber",
        swap(SA, "gb:studyNumber", '"1"', '"Study 1"'),
        (ex(SA, "gb:studyNumber", "Pattern", '"Study 1"'),),
        swap(SA, "gb:studyNumber", '"1"', '"1a"'),
    ),
    Case(
        "Study-shortCitation",
        Change(add=f'{SA} gb:shortCitation "Author (2015)"@en .'),
        (ex(SA, "gb:shortCitation", "Datatype", '"Author (2015)"@en'),),
        Change(add=f'{SA} gb:shortCitation "Author (2015)" .'),
    ),
    Case(
        "Study-design",
        swap(SB, "gb:design", "gbc:design-qed", "gbc:effect-positive"),
        (ex(SB, "gb:design", "Node", "gbc:effect-positive"),),
        swap(SB, "gb:design", "gbc:design-qed", "gbc:design-pre-post"),
        exercises=("StudyDesignConcept", "StudyDesignConcept-scheme"),
    ),
    Case(
        "Study-design",
        Change(remove="gbc:design-qed gb:rigorousDesign true ."),
        (ex(SB, "gb:design", "Node", "gbc:design-qed"),),
        exercises=("StudyDesignConcept-rigorous",),
        name="StudyDesignConcept-rigorous",
        comment="a design concept that does not say whether it supports a causal claim",
    ),
    boolean("Study-rigorouslyConducted", SB, "gb:rigorouslyConducted"),
    boolean("Study-independentOfProvider", SB, "gb:independentOfProvider"),
    concept("Study-country", SB, "gb:country", "euc:GBR", bad="gbc:age-infants"),
    Case(
        "Study-sample",
        swap(SB, "gb:sample", SAMPLE_B, UNTYPED) + Change(add=f"{UNTYPED} gb:sampleSize 40 ."),
        (ex(SB, "gb:sample", "Class", UNTYPED),),
    ),
    concept(
        "Study-timing",
        SA,
        "gb:timing",
        "gbc:timing-one-year-follow-up",
        exercises=("TimingConcept", "TimingConcept-scheme"),
    ),
    linked("Study-childOutcome", SA, "gb:childOutcome"),
    linked("Study-otherOutcome", SA, "gb:otherOutcome"),
    Case(
        "Study-studyRating",
        Change(remove="gbc:study-rating-2 skos:inScheme gbc:study-rating ."),
        (ex(SB, "gb:studyRating", "Node", "gbc:study-rating-2"),),
        exercises=("StudyRatingConcept", "StudyRatingConcept-scheme"),
    ),
    Case(
        "Study-studyRating",
        Change(add="gbc:study-rating-2 gb:levelValue 2.0 ."),
        (ex(SB, "gb:studyRating", "Node", "gbc:study-rating-2"),),
        exercises=("StudyRatingConcept-levelValue",),
        name="StudyRatingConcept-levelValue",
        comment="a study-rating concept with two level values",
    ),
    linked("Study-arm", SA, "gb:arm"),
    linked("Study-measurement", SA, "gb:measurement"),
    Case(
        "Study-reportedIn",
        swap(SB, "gb:reportedIn", REF_B, UNTYPED),
        (ex(SB, "gb:reportedIn", "Class", UNTYPED),),
    ),
    text("Study-designSummary", SA, "gb:designSummary"),
    text("Study-findingsSummary", SA, "gb:findingsSummary"),
    Case(
        "Study-childImpact",
        Change(add=study_c("gb:childImpact gbc:age-infants", effect="none")),
        (ex(SC, "gb:childImpact", "Node", "gbc:age-infants"),),
        Change(add=study_c("gb:childImpact gbc:effect-none", effect="none")),
        comment="a study's impact on balance is an effect concept (on study C, which found"
        " nothing and which the assessment did not consider: on a considered study any"
        " impact but a positive one changes the rating)",
    ),
    text("Study-timingDescription", SA, "gb:timingDescription"),
    Case(
        "Sample-sampleSize",
        Change(add="<study/unrated/sample> a gb:Sample ; gb:sampleSize 0 ."),
        (ex("<study/unrated/sample>", "gb:sampleSize", "MinExclusive", "0"),),
        Change(add="<study/unrated/sample> a gb:Sample ; gb:sampleSize 1 ."),
    ),
    text("Sample-label", SAMPLE_A, "rdfs:label"),
    text("Sample-comment", SAMPLE_A, "rdfs:comment"),
    linked("Sample-subgroup", SAMPLE_A, "gb:subgroup"),
    number(
        "Sample-meanChildAgeMonths",
        SAMPLE_A,
        "gb:meanChildAgeMonths",
        "-1",
        "MinInclusive",
        "13.31",
    ),
    Case(
        "Sample-minChildAgeMonths",
        Change(add=f"{SAMPLE_A} gb:minChildAgeMonths 24.0 ; gb:maxChildAgeMonths 12.0 ."),
        (ex(SAMPLE_A, "gb:minChildAgeMonths", "LessThanOrEquals", "24.0"),),
        Change(add=f"{SAMPLE_A} gb:minChildAgeMonths 12.0 ; gb:maxChildAgeMonths 24.0 ."),
    ),
    number(
        "Sample-maxChildAgeMonths", SAMPLE_A, "gb:maxChildAgeMonths", "-1.0", "MinInclusive", "24.0"
    ),
    Case(
        "SubgroupWithinSample",
        swap(SUBGROUP, "gb:count", "60", "121"),
        (ex(SAMPLE_A, "gb:subgroup", "SPARQL", SUBGROUP),),
        swap(SUBGROUP, "gb:count", "60", "120"),
        comment="a sub-count above its total fails; equal to it passes",
    ),
    missing("Subgroup-label", SUBGROUP, "rdfs:label", '"families at risk"@en'),
    number(
        "Subgroup-count",
        SUBGROUP,
        "gb:count",
        "0",
        "MinExclusive",
        "1",
        remove=f"{SUBGROUP} gb:count 60 .",
    ),
    number("Subgroup-percentage", SUBGROUP, "gb:percentage", "100.5", "MaxInclusive", "100"),
    concept("Sample-sampleUnit", SAMPLE_A, "gb:sampleUnit", "gbc:participant-families"),
    text("StudyArm-label", ARM, "rdfs:label"),
    Case(
        "StudyArm-armRole",
        swap(ARM, "gb:armRole", "gbc:arm-control", "gbc:effect-positive"),
        (ex(ARM, "gb:armRole", "Node", "gbc:effect-positive"),),
        swap(ARM, "gb:armRole", "gbc:arm-control", "gbc:arm-intervention"),
        exercises=("ArmRoleConcept", "ArmRoleConcept-scheme"),
    ),
    number("StudyArm-armSize", ARM, "gb:armSize", "0", "MinExclusive", "60"),
    # ------------------------------------------------------------------ measurement, outcome
    missing("Measurement-construct", M, "gb:construct", '"Child behaviour"@en'),
    text("Measurement-constructComponent", M, "gb:constructComponent"),
    Case(
        "Measurement-instrument",
        swap(M, "gb:instrument", INSTRUMENT, UNTYPED),
        (ex(M, "gb:instrument", "Class", UNTYPED),),
    ),
    Case(
        "Measurement-measureKind",
        swap(M, "gb:measureKind", "gbc:measure-expert-observation", "gbc:effect-positive"),
        (ex(M, "gb:measureKind", "Node", "gbc:effect-positive"),),
        swap(
            M, "gb:measureKind", "gbc:measure-expert-observation", "gbc:measure-direct-assessment"
        ),
        exercises=("MeasureKindConcept", "MeasureKindConcept-scheme"),
    ),
    Case(
        "Measurement-measureKind",
        Change(add="gbc:measure-expert-observation gb:independentOfParticipants false ."),
        (ex(M, "gb:measureKind", "Node", "gbc:measure-expert-observation"),),
        exercises=("MeasureKindConcept-independent",),
        name="MeasureKindConcept-independent",
        comment="a measure kind that says both that it is and that it is not independent of"
        " participants",
    ),
    missing("Instrument-label", INSTRUMENT, "rdfs:label", '"Coded observation"@en'),
    missing("Outcome-label", OUTCOME, "rdfs:label", '"Fewer behaviour problems"@en'),
    Case(
        "Outcome-beneficiary",
        Change(remove="gbc:beneficiary-child skos:inScheme gbc:beneficiary ."),
        (ex(OUTCOME, "gb:beneficiary", "Node", "gbc:beneficiary-child"),),
        exercises=("BeneficiaryConcept", "BeneficiaryConcept-scheme"),
    ),
    concept(
        "Outcome-outcomeDomain",
        OUTCOME,
        "gb:outcomeDomain",
        "gbc:domain-mental-health",
        exercises=("OutcomeDomainConcept", "OutcomeDomainConcept-scheme"),
    ),
    linked("Outcome-specialises", OUTCOME, "gb:specialises"),
    # ------------------------------------------------------------------ finding
    number("Finding-order", F, "gb:order", "0", "MinInclusive", "1"),
    Case(
        "Finding-aboutOutcome",
        Change(
            remove=f"{F} gb:aboutOutcome {OUTCOME} .",
            add=f"{F} gb:aboutOutcome {UNTYPED} . {UNTYPED} gb:beneficiary gbc:beneficiary-child .",
        ),
        (ex(F, "gb:aboutOutcome", "Class", UNTYPED),),
    ),
    Case(
        "Finding-basedOnStudy",
        Change(add=f"{F} gb:basedOnStudy {SB} . {SB} gb:measurement {M} ."),
        (ex(F, "gb:basedOnStudy", "MaxCount"),),
        comment="a finding based on two studies",
    ),
    text("Finding-statement", F, "gb:statement"),
    number("Finding-changeValue", F, "gb:changeValue", "-1.0", "MinInclusive", "40.9"),
    concept(
        "Finding-changeUnit",
        F,
        "gb:changeUnit",
        "gbc:unit-percentage-points",
        exercises=("UnitConcept", "UnitConcept-scheme"),
    ),
    concept(
        "Finding-changeDirection",
        F,
        "gb:changeDirection",
        "gbc:direction-increase",
        exercises=("DirectionConcept", "DirectionConcept-scheme"),
    ),
    Case(
        "Finding-effect",
        Change(remove="gbc:effect-positive skos:inScheme gbc:effect ."),
        (
            ex(F, "gb:effect", "Node", "gbc:effect-positive"),
            ex(FB, "gb:effect", "Node", "gbc:effect-positive"),
        ),
        exercises=("EffectConcept", "EffectConcept-scheme"),
    ),
    Case(
        "Finding-statisticallySignificant",
        Change(add=f"{F} gb:statisticallySignificant false ."),
        (ex(F, "gb:statisticallySignificant", "MaxCount"),),
        comment="a finding cannot be both significant and not",
    ),
    number(
        "Finding-improvementIndex",
        F,
        "gb:improvementIndex",
        "51",
        "MaxInclusive",
        "50",
        remove=f"{F} gb:improvementIndex 12 .",
    ),
    text("Finding-measureDescription", F, "gb:measureDescription"),
    Case(
        "Finding-measurement",
        Change(
            add=f"""{F} gb:measurement <study/fixture-a/measurement/second> .
            {SA} gb:measurement <study/fixture-a/measurement/second> .
            <study/fixture-a/measurement/second> a gb:Measurement ;
                gb:construct "Child behaviour, parent-rated"@en ;
                gb:measureKind gbc:measure-parent-report ."""
        ),
        (ex(F, "gb:measurement", "MaxCount"),),
    ),
    Case(
        "Finding-timing",
        Change(add=f"{F} gb:timing gbc:timing-six-month-follow-up ."),
        (ex(F, "gb:timing", "MaxCount"),),
        comment="a finding measured at two times",
    ),
    Case(
        "Finding-timing",
        Change(remove="gbc:timing-post-test gb:followUpValue 0 ."),
        (ex(F, "gb:timing", "Node", "gbc:timing-post-test"),),
        exercises=("TimingConcept-followUpValue",),
        name="TimingConcept-followUpValue",
        comment="a timing concept that does not say how long after the intervention it is",
    ),
    Case(
        "Finding-timing",
        Change(remove="gbc:timing-post-test gb:followUpUnit gbc:time-unit-months ."),
        (ex(F, "gb:timing", "Node", "gbc:timing-post-test"),),
        exercises=("TimingConcept-followUpUnit",),
        name="TimingConcept-followUpUnit",
        comment="a timing concept that does not say in what unit its follow-up is",
    ),
    Case(
        "Finding-followUpValue",
        Change(add=f"{F} gb:followUpValue -3 ; gb:followUpUnit gbc:time-unit-months ."),
        (ex(F, "gb:followUpValue", "MinInclusive", "-3"),),
        Change(add=f"{F} gb:followUpValue 3 ; gb:followUpUnit gbc:time-unit-months ."),
        exercises=DECIMALS,
        comment="a follow-up cannot come before the intervention ends",
    ),
    Case(
        "Finding-followUpUnit",
        Change(add=f"{F} gb:followUpValue 3 ; gb:followUpUnit gbc:effect-positive ."),
        (ex(F, "gb:followUpUnit", "Node", "gbc:effect-positive"),),
        Change(add=f"{F} gb:followUpValue 3 ; gb:followUpUnit gbc:time-unit-weeks ."),
        exercises=("TimeUnitConcept", "TimeUnitConcept-scheme"),
        comment="a follow-up's unit is a time-unit concept (three months: not long-term)",
    ),
    text("Finding-timingDescription", F, "gb:timingDescription"),
    # ------------------------------------------------------------------ reference
    missing(
        "Reference-citationText",
        REF_A,
        "gb:citationText",
        '"Author, A. (2015). A trial of the fixture programme. Journal, 1, 1-10."',
    ),
    Case(
        "Reference-title",
        Change(add=f'{REF_A} dcterms:title "A trial" , "A trial of the fixture programme" .'),
        (ex(REF_A, "dcterms:title", "MaxCount"),),
        Change(add=f'{REF_A} dcterms:title "A trial of the fixture programme" .'),
    ),
    Case(
        "Reference-year",
        Change(add=f'{REF_A} fabio:hasPublicationYear "2015" .'),
        (ex(REF_A, "fabio:hasPublicationYear", "Datatype", '"2015"'),),
        Change(add=f'{REF_A} fabio:hasPublicationYear "2015"^^xsd:gYear .'),
    ),
    linked("Reference-creator", REF_A, "dcterms:creator"),
    linked("Reference-journal", REF_A, "dcterms:isPartOf"),
    Case(
        "Reference-volume",
        Change(add=f'{REF_A} bibo:volume "vol. 62" .'),
        (ex(REF_A, "bibo:volume", "Pattern", '"vol. 62"'),),
        Change(add=f'{REF_A} bibo:volume "62" .'),
    ),
    Case(
        "Reference-pageStart",
        Change(add=f'{REF_A} bibo:pageStart "p. 199" .'),
        (ex(REF_A, "bibo:pageStart", "Pattern", '"p. 199"'),),
        Change(add=f'{REF_A} bibo:pageStart "e199" .'),
    ),
    Case(
        "Reference-pageEnd",
        Change(add=f"{REF_A} bibo:pageEnd 209 ."),
        (ex(REF_A, "bibo:pageEnd", "Datatype", "209"),),
        Change(add=f'{REF_A} bibo:pageEnd "209" .'),
    ),
    Case(
        "Reference-doi",
        Change(add=f'{REF_A} bibo:doi "https://doi.org/10.1017/S0954579406060329" .'),
        (ex(REF_A, "bibo:doi", "Pattern", '"https://doi.org/10.1017/S0954579406060329"'),),
        Change(add=f'{REF_A} bibo:doi "10.1017/S0954579406060329" .'),
        comment="a DOI is stored bare, without the resolver",
    ),
    Case(
        "Reference-pmid",
        Change(add=f'{REF_A} bibo:pmid "PMID17152394" .'),
        (ex(REF_A, "bibo:pmid", "Pattern", '"PMID17152394"'),),
        Change(add=f'{REF_A} bibo:pmid "17152394" .'),
    ),
    Case(
        "Reference-url",
        Change(add=f'{REF_A} schema:url "https://www.jstor.org/stable/1130715" .'),
        (ex(REF_A, "schema:url", "NodeKind", '"https://www.jstor.org/stable/1130715"'),),
        Change(add=f"{REF_A} schema:url <https://www.jstor.org/stable/1130715> ."),
    ),
    number(
        "EvidenceStandard-level2MinimumSampleSize",
        STANDARD,
        "gb:level2MinimumSampleSize",
        "0",
        "MinExclusive",
        '"20"^^xsd:positiveInteger',
        remove=f"{STANDARD} gb:level2MinimumSampleSize 20 .",
    ),
    Case(
        "EvidenceStandard-longTermMinimumValue",
        swap(STANDARD, "gb:longTermMinimumValue", "1", '"one"'),
        (
            ex(STANDARD, "gb:longTermMinimumValue", "Or", '"one"'),
            ex(STANDARD, "gb:longTermMinimumValue", "MinExclusive", '"one"'),
        ),
        swap(STANDARD, "gb:longTermMinimumValue", "1", "1.5"),
        comment="the long-term minimum is a number: a word fails both the datatype and the"
        " range (and a minimum of 0 or less would make every finding long-term)",
    ),
    Case(
        "EvidenceStandard-longTermMinimumUnit",
        swap(STANDARD, "gb:longTermMinimumUnit", "gbc:time-unit-years", "gbc:effect-positive"),
        (ex(STANDARD, "gb:longTermMinimumUnit", "Node", "gbc:effect-positive"),),
        swap(STANDARD, "gb:longTermMinimumUnit", "gbc:time-unit-years", "gbc:time-unit-days"),
        comment="the long-term minimum's unit is a time-unit concept (one day: study A's"
        " post-test finding is still not long-term)",
    ),
    Case(
        "EvidenceStandard-longTermMinimumUnit",
        Change(remove="gbc:time-unit-years gb:daysPerUnit 365.25 ."),
        (ex(STANDARD, "gb:longTermMinimumUnit", "Node", "gbc:time-unit-years"),),
        exercises=("TimeUnitConcept-days",),
        name="TimeUnitConcept-days",
        comment="a time unit that does not say how many days it is",
    ),
    # ------------------------------------------------------------------ external rating
    missing("ExternalRating-ratedBy", EXTERNAL, "gb:ratedBy", ORG),
    Case(
        "ExternalRating-ratingText",
        swap(EXTERNAL, "gb:ratingText", '"Promising"', '"Promising"@en'),
        (ex(EXTERNAL, "gb:ratingText", "Datatype", '"Promising"@en'),),
        comment="the rating as the registry writes it is a plain string",
    ),
    Case(
        "ExternalRating-registryRating",
        swap(EXTERNAL, "gb:registryRating", "gbc:blueprints-promising", UNTYPED),
        (ex(EXTERNAL, "gb:registryRating", "Class", UNTYPED),),
    ),
    Case(
        "ExternalRating-date",
        swap(EXTERNAL, "dcterms:date", '"2019-06"^^xsd:gYearMonth', '"June 2019"'),
        (ex(EXTERNAL, "dcterms:date", "Or", '"June 2019"'),),
        swap(EXTERNAL, "dcterms:date", '"2019-06"^^xsd:gYearMonth', '"2019-06-30"^^xsd:date'),
    ),
    Case(
        "ExternalRating-unitCost",
        swap(EXTERNAL, "gb:unitCost", "<programme/fixture/external-rating/1/unit-cost>", UNTYPED),
        (ex(EXTERNAL, "gb:unitCost", "Class", UNTYPED),),
    ),
    # ------------------------------------------------------------------ evidence: studies
    Case(
        "StudyRating3NeedsRigorousDesign",
        Change(add=study_c(design="pre-post")),
        sparql(SC, "gb:studyRating", "gbc:study-rating-3"),
        Change(add=study_c(design="qed")),
        comment="a pre-post study rated 3; the twin is a QED",
    ),
    Case(
        "StudyRating2NeedsMinimumSample",
        swap(SAMPLE_B, "gb:sampleSize", "40", "19"),
        sparql(SB, "gb:studyRating", "gbc:study-rating-2"),
        swap(SAMPLE_B, "gb:sampleSize", "40", "20"),
        comment="19 participants fail the standard's minimum of 20; 20 pass",
    ),
    Case(
        "StudyRating2NeedsMinimumSample",
        swap(STANDARD, "gb:level2MinimumSampleSize", "20", "41"),
        sparql(SB, "gb:studyRating", "gbc:study-rating-2"),
        swap(STANDARD, "gb:level2MinimumSampleSize", "20", "40"),
        name="StudyRating2NeedsMinimumSample-from-the-standard",
        comment="the minimum is read from the evidence standard in the graph, not from the rule",
    ),
    Case(
        "EvidenceStandardStated",
        Change(remove=f"{STANDARD} a gb:EvidenceStandard ; gb:level2MinimumSampleSize 20 ."),
        sparql(SA, "gb:studyRating", "gbc:study-rating-3")
        + sparql(SB, "gb:studyRating", "gbc:study-rating-2"),
        comment="without the evidence standard the minimum sample cannot be checked",
    ),
    Case(
        "RigorousStudyNeedsRigorousDesign",
        swap(SB, "gb:design", "gbc:design-qed", "gbc:design-pre-post")
        + Change(add=f"{SB} gb:rigorouslyConducted true ."),
        sparql(SB, "gb:rigorouslyConducted", "true"),
        Change(add=f"{SB} gb:rigorouslyConducted true ."),
    ),
    Case(
        "StudyImpactMatchesFindings",
        Change(add=study_c("gb:childImpact gbc:effect-none")),
        sparql(SC, "gb:childImpact", FC),
        Change(add=study_c("gb:childImpact gbc:effect-positive")),
        comment="a study said to have no child impact on balance, with a positive, significant"
        " child finding (a warning: on balance may differ from one finding)",
    ),
    # ------------------------------------------------------------------ evidence: findings
    Case(
        "PositiveFindingHasPositiveIndex",
        swap(F, "gb:improvementIndex", "12", "0"),
        sparql(F, "gb:improvementIndex", "0"),
        swap(F, "gb:improvementIndex", "12", "1"),
    ),
    Case(
        "FindingMeasurementFromItsStudy",
        Change(
            remove=f"{F} gb:measurement {M} .",
            add=f"""{F} gb:measurement <study/fixture-b/measurement/report> .
            {SB} gb:measurement <study/fixture-b/measurement/report> .
            <study/fixture-b/measurement/report> a gb:Measurement ;
                gb:construct "Child behaviour, parent-rated"@en ;
                gb:measureKind gbc:measure-parent-report .""",
        ),
        sparql(F, "gb:measurement", "<study/fixture-b/measurement/report>"),
        comment="a finding of study A that rests on a measurement of study B",
    ),
    # ------------------------------------------------------------------ evidence: programmes
    Case(
        "FollowUpHasValueAndUnit",
        Change(add=f"{F} gb:followUpValue 3 ."),
        sparql(F, "gb:followUpValue", "3"),
        Change(add=f"{F} gb:followUpValue 3 ; gb:followUpUnit gbc:time-unit-months ."),
        comment="a follow-up of 3, in no unit",
    ),
    Case(
        "FollowUpHasValueAndUnit",
        Change(add=f"{F} gb:followUpUnit gbc:time-unit-months ."),
        sparql(F, "gb:followUpUnit", "gbc:time-unit-months"),
        name="FollowUpHasValueAndUnit-unit-only",
        comment="a follow-up in months, of no number",
    ),
    Case(
        "FindingBasedOnStudyOfProgramme",
        SECOND_PROGRAMME + Change(add=f"{P} gb:hasFinding <programme/other/finding/1> ."),
        sparql(P, "gb:hasFinding", "<programme/other/finding/1>"),
        SECOND_PROGRAMME,
        comment="a programme shows a finding of another programme's study",
    ),
    # ------------------------------------------------------------------ evidence: assessments
    Case(
        "AssessmentLinkedBothWays",
        SECOND_PROGRAMME + Change(add=f"<programme/other> gb:hasAssessment {A} ."),
        sparql(A, "gb:assesses", "<programme/other>"),
        SECOND_PROGRAMME,
        comment="another programme claims this assessment, which does not assess it",
    ),
    Case(
        "ConsideredStudyEvaluatesProgramme",
        SECOND_PROGRAMME + Change(add=f"{A} gb:considersStudy <study/other> ."),
        sparql(A, "gb:considersStudy", "<study/other>"),
        SECOND_PROGRAMME,
        comment="a warning: the assessment considers a study of another programme (one that"
        " found nothing, so the rating it supports is unchanged)",
    ),
    # ------------------------------------------------------------------ ratings: the evidence
    Case(
        "RatingAgreesWithEvidence",
        claim("4"),
        sparql(A, "gb:evidenceRating", "gbc:rating-4"),
        claim("4") + DROP_UNMET + LONG_TERM + REPLICATION + CONSIDER_C,
        comment="4 claimed with one rigorous study and no long-term finding; the twin adds a"
        " rigorous replication and follows study A's finding up for a year",
    ),
    Case(
        "RatingAgreesWithEvidence",
        claim("3"),
        sparql(A, "gb:evidenceRating", "gbc:rating-3"),
        claim("3") + B_FOUND_NOTHING,
        name="RatingAgreesWithEvidence-lower",
        comment="3 claimed where the studies support 3+: a rating below the evidence is wrong"
        " too; in the twin study B found nothing, and 3 is right",
    ),
    Case(
        "RatingAgreesWithEvidence",
        B_FOUND_NOTHING,
        sparql(A, "gb:evidenceRating", "gbc:rating-3-plus"),
        claim("3") + B_FOUND_NOTHING,
        name="RatingAgreesWithEvidence-plus-needs-improvement",
        comment="3+ claimed although the other study rated 2 found no effect: the '+' counts"
        " only studies that show improvement",
    ),
    Case(
        "RatingAgreesWithEvidence",
        NO_EFFECT_TRIAL + CONSIDER_C,
        sparql(A, "gb:evidenceRating", "gbc:rating-3-plus"),
        claim("3+*") + NO_EFFECT_TRIAL + CONSIDER_C,
        name="RatingAgreesWithEvidence-star-missing",
        comment="a rigorous RCT rated 3 found no effect, and no '*' is claimed; the twin claims"
        " it (a rigorous study that found nothing can be rated 3)",
    ),
    Case(
        "RatingAgreesWithEvidence",
        claim("3+*"),
        sparql(A, "gb:evidenceRating", "gbc:rating-3-plus"),
        name="RatingAgreesWithEvidence-star-claimed",
        comment="'*' claimed although no rigorous study found no effect",
    ),
    Case(
        "RatingAgreesWithEvidence",
        NO_EFFECT_TRIAL + later_assessment("3+"),
        sparql(A_LATER, "gb:evidenceRating", "gbc:rating-3-plus"),
        NO_EFFECT_TRIAL + later_assessment("3+*"),
        name="RatingAgreesWithEvidence-as-of-its-date",
        comment="a later study found no effect: the later assessment that considered it owes a"
        " '*', the earlier one, which did not, is judged on what it considered",
    ),
    Case(
        "RatingAgreesWithEvidence",
        claim("NE"),
        sparql(A, "gb:evidenceRating", "gbc:rating-ne"),
        claim("NE") + A_FOUND_NOTHING + B_FOUND_NOTHING,
        name="RatingAgreesWithEvidence-not-effective",
        comment="NE claimed beside positive child findings; in the twin the rigorous RCT found"
        " nothing and no study found a positive effect",
    ),
    Case(
        "RatingAgreesWithEvidence",
        claim("3") + swap(SA, "gb:rigorouslyConducted", "true", "false"),
        sparql(A, "gb:evidenceRating", "gbc:rating-3"),
        claim("2+") + swap(SA, "gb:rigorouslyConducted", "true", "false"),
        name="RatingAgreesWithEvidence-level-3",
        comment="3 claimed although the only RCT was not rigorously conducted; the evidence"
        " supports 2+, an RCT rated 2 or better that shows improvement",
    ),
    Case(
        "RatingAgreesWithEvidence",
        claim("2+")
        + Change(
            remove=f"""{SA} gb:design gbc:design-rct ; gb:rigorouslyConducted true ;
                gb:studyRating gbc:study-rating-3 . {SB} gb:design gbc:design-qed .""",
            add=f"""{SA} gb:design gbc:design-pre-post ; gb:studyRating gbc:study-rating-2 .
                {SB} gb:design gbc:design-pre-post .""",
        ),
        sparql(A, "gb:evidenceRating", "gbc:rating-2-plus"),
        claim("2+")
        + Change(
            remove=f"""{SA} gb:rigorouslyConducted true ; gb:studyRating gbc:study-rating-3 .
                {SB} gb:design gbc:design-qed .""",
            add=f"""{SA} gb:studyRating gbc:study-rating-2 .
                {SB} gb:design gbc:design-pre-post .""",
        ),
        name="RatingAgreesWithEvidence-plus-2",
        comment="2+ claimed although both studies are pre-post; in the twin study A is an RCT",
    ),
    Case(
        "RatingAgreesWithEvidence",
        claim("4+") + level_4_studies(c_independent="false"),
        sparql(A, "gb:evidenceRating", "gbc:rating-4-plus"),
        claim("4+") + level_4_studies(c_independent="true"),
        name="RatingAgreesWithEvidence-plus-4",
        comment="4+ claimed with two studies rated 4, neither independent of the provider; in"
        " the twin study C is",
    ),
    # ------------------------------------------------------------------ ratings: criteria, gaps
    Case(
        "UnmetCriterionIsUnmet",
        Change(add=f"{A} gb:unmetCriterion gbc:criterion-level-3 ."),
        sparql(A, "gb:unmetCriterion", "gbc:criterion-level-3"),
        Change(add=f"{A} gb:unmetCriterion gbc:criterion-plus-4 ."),
        comment="level 3 listed as unmet although study A meets it",
    ),
    Case(
        "UnmetCriterionIsUnmet",
        Change(
            add=f"{A} gb:unmetCriterion gbc:criterion-level-2 , gbc:criterion-plus-2 ,"
            " gbc:criterion-plus-3 , gbc:criterion-independent-measure ."
        ),
        sparql(A, "gb:unmetCriterion", "gbc:criterion-level-2")
        + sparql(A, "gb:unmetCriterion", "gbc:criterion-plus-2")
        + sparql(A, "gb:unmetCriterion", "gbc:criterion-plus-3")
        + sparql(A, "gb:unmetCriterion", "gbc:criterion-independent-measure"),
        name="UnmetCriterionIsUnmet-met-criteria",
        comment="four criteria the programme meets, listed as unmet",
    ),
    Case(
        "UnmetCriterionIsUnmet",
        claim("4") + LONG_TERM + REPLICATION + CONSIDER_C,
        sparql(A, "gb:unmetCriterion", "gbc:criterion-replicated")
        + sparql(A, "gb:unmetCriterion", "gbc:criterion-long-term"),
        claim("4") + DROP_UNMET + LONG_TERM + REPLICATION + CONSIDER_C,
        name="UnmetCriterionIsUnmet-level-4-met",
        comment="replication and long-term impact listed as unmet although both are met",
    ),
    Case(
        "UnmetCriterionIsUnmet",
        claim("3+*")
        + NO_EFFECT_TRIAL
        + CONSIDER_C
        + Change(add=f"{A} gb:unmetCriterion gbc:criterion-mixed ."),
        sparql(A, "gb:unmetCriterion", "gbc:criterion-mixed"),
        claim("3+*") + NO_EFFECT_TRIAL + CONSIDER_C,
        name="UnmetCriterionIsUnmet-mixed",
        comment="mixed findings listed as an unmet criterion while the findings are mixed",
    ),
    Case(
        "RatingDerivable",
        Change(remove=f"{SB} gb:studyRating gbc:study-rating-2 ."),
        sparql(A, "gb:derivationGap", A),
        comment="an info: study B's rating is not recorded, so whether it counts for the '+'"
        " cannot be told",
    ),
    Case(
        "RatingDerivable",
        Change(remove=f"{A} gb:considersStudy {SA} , {SB} ; gb:consideredStudiesComplete true ."),
        sparql(A, "gb:derivationGap", A),
        name="RatingDerivable-no-studies-listed",
        comment="an info: the studies the assessment considered are not recorded",
    ),
    Case(
        "RatingDerivable",
        Change(remove=f"{A} gb:consideredStudiesComplete true ."),
        sparql(A, "gb:derivationGap", A),
        name="RatingDerivable-list-not-complete",
        comment="an info: the list of considered studies may be incomplete, so no count can"
        " fall short for certain",
    ),
    # ------------------------------------------------------------------ ratings: as shown
    Case(
        "AssessmentLevelMatchesRating",
        swap(A, "gb:evidenceLevel", "gbc:level-3", "gbc:level-2"),
        sparql(A, "gb:evidenceLevel", "gbc:level-2"),
    ),
    Case(
        "AssessmentPlusMatchesRating",
        swap(A, "gb:hasPlus", "true", "false"),
        sparql(A, "gb:hasPlus", "false"),
    ),
    Case(
        "RatingNotationMatchesRating",
        swap(A, "gb:ratingNotation", '"3+"', '"3"'),
        sparql(A, "gb:ratingNotation", '"3"'),
        swap(A, "gb:ratingNotation", '"3+"', '"3+"^^xsd:string'),
        comment="the twin writes the same notation with an explicit xsd:string",
    ),
    Case(
        "NL2HasNoCostRating",
        claim("NL2")
        + swap(SA, "gb:studyRating", "gbc:study-rating-3", "gbc:study-rating-nl2")
        + swap(SB, "gb:studyRating", "gbc:study-rating-2", "gbc:study-rating-nl2"),
        sparql(A, "gb:costRating", "gbc:cost-2"),
        claim("NL2")
        + swap(SA, "gb:studyRating", "gbc:study-rating-3", "gbc:study-rating-nl2")
        + swap(SB, "gb:studyRating", "gbc:study-rating-2", "gbc:study-rating-nl2")
        + Change(remove=f"{A} gb:costRating gbc:cost-2 ."),
        comment="rated NL2, as its studies (neither rated 2) support, with a cost rating",
    ),
    Case(
        "CostRatingStated",
        Change(remove=f"{A} gb:costRating gbc:cost-2 ."),
        sparql(A, "gb:costRating", A),
        comment="an info: a rating other than NL2 with no cost rating recorded",
    ),
    # --- vocabulary.ttl: with the ontology in the graph, its terms are copied in (build).
    Case(
        "OwnTermDeclared",
        Change(add=f"""{ONTOLOGY_DECLARED}
            {SA} a gb:Studdy ; gb:colour "red" ."""),
        (
            ex(SA, "rdf:type", "SPARQL", "gb:Studdy"),
            ex(SA, "gb:colour", "SPARQL", "gb:colour"),
        ),
        Change(add=ONTOLOGY_DECLARED),
        comment="a misspelt class and an unknown property of the gb: namespace",
    ),
]


# ----------------------------------------------------------------------------- building


def _parse(turtle: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=HEADER + turtle, format="turtle", publicID=ID)


def ontology() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in sorted((REPO / "ontology").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@dataclass(frozen=True)
class DataGraph:
    """One data file: its own facts and what the derivation derives from them."""

    facts: rdflib.Graph
    derived: rdflib.Graph


def build(change: Change, vocabulary: rdflib.Graph) -> DataGraph:
    """base.ttl - change.remove + change.add, with the standard and its concepts' facts.

    Removals apply before additions, so a change can restate a triple it removes. A fact
    of the standard or of a concept (not in base.ttl) is removed once they are copied in.
    """
    graph = rdflib.Graph().parse(BASE_FILE, format="turtle")
    added = _parse(change.add)
    later = []
    for triple in _parse(change.remove):
        if triple in graph:
            graph.remove(triple)
        else:
            later.append(triple)
    graph += added
    graph += _standard()
    _copy_concepts(graph, vocabulary)
    for triple in later:
        if triple not in graph:
            raise SystemExit(f"cannot remove {triple}: it is not in the graph")
        graph.remove(triple)
    graph += added
    output = derived(graph)
    # declarations read no derivation: copy them for the terms of the facts and the output
    _copy_declarations(graph, vocabulary, output)
    return DataGraph(graph, output)


@cache
def _standard() -> rdflib.Graph:
    return rdflib.Graph().parse(STANDARDS, format="turtle")


def _copy_concepts(graph: rdflib.Graph, vocabulary: rdflib.Graph) -> None:
    done: set[rdflib.URIRef] = set()
    while True:
        mentioned = {
            node
            for triple in graph
            for node in triple
            if isinstance(node, rdflib.URIRef) and str(node).startswith((GBC, EU_COUNTRY))
        } - done
        if not mentioned:
            return
        for concept in mentioned:
            if (concept, RDF.type, SKOS.Concept) not in vocabulary:
                continue  # a scheme, or no concept at all: nothing the shapes read
            for p, o in vocabulary.predicate_objects(concept):
                if p in CONCEPT_FACTS:
                    graph.add((concept, p, o))
        done |= mentioned


def _copy_declarations(
    graph: rdflib.Graph, vocabulary: rdflib.Graph, output: rdflib.Graph
) -> None:
    ontology = rdflib.URIRef(ONTOLOGY)
    if (ontology, RDF.type, None) not in graph:
        return
    used = {
        node
        for source in (graph, output)
        for triple in source
        for node in triple
        if str(node).startswith(str(GB))
    }
    for node in used:
        for kind in vocabulary.objects(node, RDF.type):
            graph.add((node, RDF.type, kind))


def derived(facts: rdflib.Graph) -> rdflib.Graph:
    """What the project's derivation (queries/derivation/) derives from ``facts`` alone."""
    store = ox.Store()
    store.load(facts.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    derive(store, find_project(REPO).derivation_files())
    triples = [q.triple for q in store.quads_for_pattern(None, None, None, DERIVED_GRAPH_NODE)]
    text = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) if triples else b""
    return rdflib.Graph().parse(data=text, format="nt")


def split(text: str) -> tuple[str, str]:
    """A data file's own facts and the derivation's output written after them (Turtle)."""
    facts, marker, output = text.partition(DERIVED_MARKER)
    if not marker:
        raise ValueError("no derivation output in this data file")
    return facts, output


def shape_files() -> dict[str, Path]:
    """Shape local name -> the shapes file that defines it."""
    found: dict[str, Path] = {}
    for path in sorted((REPO / "shapes").glob("*.ttl")):
        graph = rdflib.Graph().parse(path, format="turtle")
        for kind in ("NodeShape", "PropertyShape"):
            for shape in graph.subjects(RDF.type, rdflib.URIRef(SH + kind)):
                if str(shape).startswith(GBSH):
                    found[str(shape)[len(GBSH) :]] = path
    return found


def severities() -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted((REPO / "shapes").glob("*.ttl")):
        graph = rdflib.Graph().parse(path, format="turtle")
        for shape, severity in graph.subject_objects(rdflib.URIRef(SH + "severity")):
            if str(shape).startswith(GBSH):
                out[str(shape)[len(GBSH) :]] = str(severity)[len(SH) :]
    return out


def term(turtle_term: str) -> rdflib.term.Node:
    """A Turtle term (relative to the id/ base, with the usual prefixes) as an rdflib term."""
    graph = _parse(f"<urn:s> <urn:p> {turtle_term} .")
    (value,) = graph.objects()
    return value


def nt(node: rdflib.term.Node) -> str:
    """A term as N-Triples, which is also valid Turtle."""
    if isinstance(node, rdflib.URIRef):
        return f"<{node}>"
    if isinstance(node, rdflib.Literal):
        lexical = str(node).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        if node.language:
            return f'"{lexical}"@{node.language}'
        if node.datatype is not None and str(node.datatype) != str(rdflib.XSD.string):
            return f'"{lexical}"^^<{node.datatype}>'
        return f'"{lexical}"'
    raise TypeError(node)


def _report(case: Case, severity: dict[str, str]) -> str:
    results = []
    shape = case.shape
    for e in case.expect:
        lines = [
            "a sh:ValidationResult",
            f"sh:focusNode {nt(term(e.focus))}",
            *([f"sh:resultPath {nt(term(e.path))}"] if e.path else []),
            *([f"sh:value {nt(term(e.value))}"] if e.value is not None else []),
            f"sh:sourceShape gbsh:{shape}",
            f"sh:sourceConstraintComponent sh:{e.component}ConstraintComponent",
            f"sh:resultSeverity sh:{severity[shape]}",
        ]
        results.append("[ " + " ;\n            ".join(lines) + " ]")
    if not results:
        return "[ a sh:ValidationReport ; sh:conforms true ]"
    return (
        "[ a sh:ValidationReport ;\n        sh:conforms false ;\n        sh:result "
        + " ,\n        ".join(results)
        + " ]"
    )


def _entries(case: Case, fails: Path, passes: Path, shapes: Path, report: str) -> str:
    exercised = " , ".join(f"gbsh:{s}" for s in (case.shape, *case.exercises))
    label = case.comment or f"breaks gbsh:{case.shape}"
    fail_rel = fails.relative_to(HERE).as_posix()
    pass_rel = passes.relative_to(HERE).as_posix()
    shapes_rel = Path("..", "..", shapes.relative_to(REPO)).as_posix()
    return f"""<#{case.id}-fails> a sht:Validate ;
    rdfs:label {nt(rdflib.Literal(f"{case.id}: {label}"))} ;
    gbt:exercises {exercised} ;
    gbt:twin <#{case.id}-passes> ;
    mf:action [ sht:dataGraph <{fail_rel}> ; sht:shapesGraph <{shapes_rel}> ] ;
    mf:result {report} ;
    mf:status sht:approved .

<#{case.id}-passes> a sht:Validate ;
    rdfs:label "{case.id}: the passing twin" ;
    mf:action [ sht:dataGraph <{pass_rel}> ; sht:shapesGraph <{shapes_rel}> ] ;
    mf:result [ a sh:ValidationReport ; sh:conforms true ] ;
    mf:status sht:approved .
"""


def outputs() -> dict[Path, DataGraph | str]:
    """Every file the suite consists of: data graphs and the manifest (text)."""
    vocabulary = ontology()
    files = shape_files()
    severity = severities()
    out: dict[Path, DataGraph | str] = {COMPLETE_BASE: build(Change(), vocabulary)}
    entries: list[str] = []
    blocks: list[str] = []
    for case in CASES:
        if f"<#{case.id}-fails>" in entries:
            raise SystemExit(f"two cases are named {case.id}")
        if case.shape not in files:
            raise SystemExit(f"case {case.id}: no shape gbsh:{case.shape} in shapes/")
        fails = DATA_DIR / f"{case.id}-fails.ttl"
        out[fails] = build(case.fails, vocabulary)
        passes = DATA_DIR / f"{case.id}-passes.ttl" if case.passes else COMPLETE_BASE
        if case.passes:
            out[passes] = build(case.passes, vocabulary)
        report = _report(case, severity)
        blocks.append(_entries(case, fails, passes, files[case.shape], report))
        entries += [f"<#{case.id}-fails>", f"<#{case.id}-passes>"]
    out[MANIFEST] = MANIFEST_HEADER + "\n".join(
        [
            "<> a mf:Manifest ;",
            '    rdfs:label "guidebook-kg shapes: a failing graph and a passing '
            'twin for every shape" ;',
            "    mf:entries (",
            *(f"        {e}" for e in entries),
            "    ) .",
            "",
            *blocks,
        ]
    )
    return out


MANIFEST_HEADER = """\
# W3C SHACL test-suite manifest for shapes/*.ttl, generated by generate.py: do not edit.
# Each <#X-fails> entry's data graph breaks exactly one shape (and the concept or literal
# shapes it uses, gbt:exercises); <#X-passes> is its passing twin. Every data graph carries
# the output of the project's derivation, which the rating rules read, so any SHACL engine
# can be run over it: tests/test_shapes_manifest.py runs every engine registered in
# guidebook_kg.validate.ENGINES, comparing (focus node, path, source shape, severity).
@prefix mf:   <http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#> .
@prefix sht:  <http://www.w3.org/ns/shacl-test#> .
@prefix sh:   <http://www.w3.org/ns/shacl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix gbsh: <https://w3id.org/guidebook-kg/shapes#> .
@prefix gbt:  <https://w3id.org/guidebook-kg/shapes-tests#> .

"""


def turtle(graph: rdflib.Graph) -> str:
    for prefix, namespace in (("gb", str(GB)), ("gbc", GBC), ("euc", EU_COUNTRY)):
        graph.bind(prefix, namespace)
    return graph.serialize(format="turtle", base=ID)


def write() -> None:
    DATA_DIR.mkdir(exist_ok=True)
    written = outputs()
    for stale in DATA_DIR.glob("*.ttl"):
        if stale not in written:
            stale.unlink()
    for path, content in written.items():
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_text(
                "# Generated by tests/shapes/generate.py from base.ttl: do not edit.\n"
                + turtle(content.facts)
                + "\n"
                + DERIVED_MARKER
                + turtle(content.derived),
                encoding="utf-8",
            )


if __name__ == "__main__":
    write()
    print(
        f"wrote {MANIFEST.relative_to(REPO)} and {len(list(DATA_DIR.glob('*.ttl')))} data graphs",
        file=sys.stderr,
    )
