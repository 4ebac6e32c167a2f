"""Build the shapes test suite: tests/shapes/data/*.ttl and tests/shapes/manifest.ttl.

Each case below names one shape, a change to base.ttl that breaks exactly that shape
(``fails``), a change that does not (``passes``, the twin; none means base.ttl itself) and
the results the failing graph must give, written by hand from the SHACL specification
(focus node, path, constraint component, value). The concepts each graph uses are copied
from ontology/ so that every data graph stands alone, and the manifest is a W3C SHACL
test-suite manifest (sht:Validate entries), so any SHACL engine can be run over it.

Run ``python tests/shapes/generate.py`` after changing base.ttl, a case or the ontology;
tests/test_shapes_manifest.py fails while the files on disk are out of date.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import rdflib
from rdflib import RDF, Namespace

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
BASE_FILE = HERE / "base.ttl"
DATA_DIR = HERE / "data"
MANIFEST = HERE / "manifest.ttl"
# base.ttl with the facts of the concepts it uses: the twin of the cases that need no other.
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

# The concept facts the shapes read; copied for every concept a graph mentions (labels are
# left out: they only reach messages, which the tests do not compare).
CONCEPT_FACTS = frozenset(
    [
        RDF.type,
        SKOS.inScheme,
        SKOS.notation,
        GB.levelValue,
        GB.evidenceLevel,
        GB.hasPlus,
        GB.rigorousDesign,
        GB.longTerm,
        GB.independentOfParticipants,
    ]
)

# Resources of the base graph, as Turtle terms.
P = "<programme/fixture>"
A = "<programme/fixture/assessment/2020-01>"
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
OUTCOME = "<outcome/fixture-behaviour>"
ACTIVITY = "<programme/fixture/activity/1>"
STEP = "<programme/fixture/theory-of-change/1>"
PERSON = "<person/fixture-contact>"
ORG = "<organisation/fixture-clearinghouse>"
REVIEW = "<review/fixture-2020-01>"
PAGE = "<https://guidebook.example.org/programme/fixture>"
STANDARD = "<evidence-standard/eif>"

# Reusable additions.
SECOND_PROGRAMME = """
<programme/other> a gb:Programme ;
    rdfs:label "Other Programme"@en ;
    gb:hasAssessment <programme/other/assessment/2020-01> ;
    gb:hasFinding <programme/other/finding/1> .
<programme/other/assessment/2020-01> a gb:Assessment ;
    gb:assesses <programme/other> ;
    gb:evidenceRating gbc:rating-nl2 ; gb:evidenceLevel gbc:level-nl2 ;
    gb:hasPlus false ; gb:mixedFindings false ; gb:ratingNotation "NL2" .
<study/other> a gb:Study ;
    gb:evaluates <programme/other> ;
    gb:design gbc:design-pre-post ;
    gb:studyRating gbc:study-rating-nl2 ;
    gb:reportedIn <reference/fixture-b> .
<programme/other/finding/1> a gb:Finding ;
    gb:aboutOutcome <outcome/fixture-behaviour> ;
    gb:basedOnStudy <study/other> ;
    gb:timing gbc:timing-post-test ;
    gb:effect gbc:effect-none ;
    gb:statisticallySignificant false .
"""


def rigorous_study_c(rating: str = "gbc:study-rating-3", extra: str = "") -> str:
    """A second rigorously conducted RCT with a positive child finding (a replication)."""
    return f"""
<study/fixture-c> a gb:Study ;
    gb:evaluates <programme/fixture> ;
    gb:design gbc:design-rct ;
    gb:rigorouslyConducted true ;
    gb:studyRating {rating} ;
    gb:sample <study/fixture-c/sample> ;
    gb:reportedIn <reference/fixture-a> {extra}.
<study/fixture-c/sample> a gb:Sample ; gb:sampleSize 200 .
<programme/fixture/finding/3> a gb:Finding ;
    gb:aboutOutcome <outcome/fixture-behaviour> ;
    gb:basedOnStudy <study/fixture-c> ;
    gb:timing gbc:timing-post-test ;
    gb:effect gbc:effect-positive ;
    gb:statisticallySignificant true .
"""


def claim(rating: str, level: str, plus: str, notation: str) -> tuple[str, str]:
    """(remove, add) that change the assessment's claimed rating consistently."""
    return (
        f"""{A} gb:evidenceRating gbc:rating-3-plus ; gb:evidenceLevel gbc:level-3 ;
            gb:hasPlus true ; gb:ratingNotation "3+" .""",
        f"""{A} gb:evidenceRating {rating} ; gb:evidenceLevel {level} ;
            gb:hasPlus {plus} ; gb:ratingNotation "{notation}" .""",
    )


# The ontology's own declaration: a graph with it gets the declarations of the gb: terms it
# uses copied from ontology/ (as a project's data is validated with its ontology).
ONTOLOGY = "https://w3id.org/guidebook-kg/ontology"
ONTOLOGY_DECLARED = f"<{ONTOLOGY}> a <http://www.w3.org/2002/07/owl#Ontology> ."

UNMET_BASE = f"{A} gb:unmetCriterion gbc:criterion-replicated , gbc:criterion-long-term ."


@dataclass(frozen=True)
class Change:
    add: str = ""
    remove: str = ""

    def __bool__(self) -> bool:
        return bool(self.add.strip() or self.remove.strip())


@dataclass(frozen=True)
class Expect:
    focus: str
    path: str | None
    component: str
    value: str | None = None
    shape: str | None = None  # default: the case's shape


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


def ex(
    focus: str, path: str | None, component: str, value: str | None = None, shape: str | None = None
) -> Expect:
    return Expect(focus, path, component, value, shape)


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
    target = "<thing/untyped>"
    return Case(
        shape,
        Change(add=f"{focus} {path} {target} . {extra}"),
        (ex(focus, path, "Class", target),),
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


def missing(shape: str, focus: str, path: str, value: str, severity_note: str = "") -> Case:
    return Case(
        shape,
        Change(remove=f"{focus} {path} {value} ."),
        (ex(focus, path, "MinCount"),),
        comment=f"{path} is required{severity_note}",
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
    linked(
        "Programme-hasFinding", P, "gb:hasFinding", extra=f"<thing/untyped> gb:basedOnStudy {SA} ."
    ),
    Case(
        "Programme-findingsShown",
        Change(remove=f"{P} gb:hasFinding {F} ."),
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
    Case(
        "DeliveryActivity-order",
        Change(remove=f"{ACTIVITY} gb:order 1 .", add=f"{ACTIVITY} gb:order 0 ."),
        (ex(ACTIVITY, "gb:order", "MinInclusive", "0"),),
    ),
    missing("DeliveryActivity-comment", ACTIVITY, "rdfs:comment", '"Weekly home visits."@en'),
    missing("TheoryOfChangeStep-order", STEP, "gb:order", "1"),
    Case(
        "TheoryOfChangeStep-comment",
        Change(
            remove=f'{STEP} rdfs:comment "Sensitive parenting supports secure attachment."@en .',
            add=f'{STEP} rdfs:comment "Sensitive parenting supports secure attachment." .',
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
        Change(
            remove=f"{PERSON} foaf:mbox <mailto:contact@example.org> .",
            add=f"{PERSON} foaf:mbox <mailto:contact-at-example.org> .",
        ),
        (ex(PERSON, "foaf:mbox", "Pattern", "<mailto:contact-at-example.org>"),),
        comment="an e-mail address needs an @ and a domain",
    ),
    missing("Organisation-name", ORG, "foaf:name", '"Fixture Clearinghouse"'),
    Case(
        "Organisation-homepage",
        Change(
            remove=f"{ORG} foaf:homepage <https://clearinghouse.example.org/> .",
            add=f'{ORG} foaf:homepage "https://clearinghouse.example.org/" .',
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
                    gb:costRating gbc:cost-2 .""",
        ),
        (ex(A, "gb:assesses", "MinCount"),),
        comment="an assessment that rates no programme (the programme has a newer one)",
    ),
    Case(
        "Assessment-partOfReview",
        Change(
            remove=f"{A} gb:partOfReview {REVIEW} .", add=f"{A} gb:partOfReview <thing/untyped> ."
        ),
        (ex(A, "gb:partOfReview", "Class", "<thing/untyped>"),),
    ),
    boolean("Assessment-providerAgreedToTerms", A, "gb:providerAgreedToTerms"),
    Case(
        "Assessment-evidenceRating",
        Change(
            remove=f"{A} gb:evidenceRating gbc:rating-3-plus .",
            add=f"{A} gb:evidenceRating gbc:effect-positive .",
        ),
        (ex(A, "gb:evidenceRating", "Node", "gbc:effect-positive"),),
        exercises=("EvidenceRatingConcept", "EvidenceRatingConcept-scheme"),
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
        Change(
            remove=f"{A} gb:costRating gbc:cost-2 .", add=f"{A} gb:costRating gbc:effect-positive ."
        ),
        (ex(A, "gb:costRating", "Node", "gbc:effect-positive"),),
        Change(remove=f"{A} gb:costRating gbc:cost-2 .", add=f"{A} gb:costRating gbc:cost-na ."),
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
        extra=f"<thing/untyped> gb:evaluates {P} .",
    ),
    linked("Assessment-citesAsEvidence", A, "cito:citesAsEvidence"),
    missing("Review-label", REVIEW, "rdfs:label", '"Fixture review, January 2020"@en'),
    Case(
        "Review-date",
        Change(
            remove=f'{REVIEW} dcterms:date "2020-01"^^xsd:gYearMonth .',
            add=f'{REVIEW} dcterms:date "January 2020" .',
        ),
        (
            ex(REVIEW, "dcterms:date", "Or", '"January 2020"'),
            ex(REVIEW, "dcterms:date", "Pattern", '"January 2020"'),
        ),
        Change(
            remove=f'{REVIEW} dcterms:date "2020-01"^^xsd:gYearMonth .',
            add=f'{REVIEW} dcterms:date "2020"^^xsd:gYear .',
        ),
        exercises=("GYearMonthLiteral", "GYearLiteral", "DateLiteral"),
        comment="a date in words is neither a typed date nor in date form",
    ),
    Case(
        "Review-publisher",
        Change(
            remove=f"{REVIEW} dcterms:publisher {ORG} .",
            add=f"{REVIEW} dcterms:publisher <thing/untyped> .",
        ),
        (ex(REVIEW, "dcterms:publisher", "Class", "<thing/untyped>"),),
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
        Change(
            remove=f'{PAGE} dcterms:issued "2021-03"^^xsd:gYearMonth .',
            add=f'{PAGE} dcterms:issued "2021-03" .',
        ),
        (ex(PAGE, "dcterms:issued", "Or", '"2021-03"'),),
        Change(
            remove=f'{PAGE} dcterms:issued "2021-03"^^xsd:gYearMonth .',
            add=f'{PAGE} dcterms:issued "2021-03-01"^^xsd:date .',
        ),
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
        Change(remove=f'{SA} gb:studyNumber "1" .', add=f'{SA} gb:studyNumber "Study 1" .'),
        (ex(SA, "gb:studyNumber", "Pattern", '"Study 1"'),),
        Change(remove=f'{SA} gb:studyNumber "1" .', add=f'{SA} gb:studyNumber "1a" .'),
    ),
    Case(
        "Study-shortCitation",
        Change(add=f'{SA} gb:shortCitation "Author (2015)"@en .'),
        (ex(SA, "gb:shortCitation", "Datatype", '"Author (2015)"@en'),),
        Change(add=f'{SA} gb:shortCitation "Author (2015)" .'),
    ),
    Case(
        "Study-design",
        Change(
            remove=f"{SB} gb:design gbc:design-qed .", add=f"{SB} gb:design gbc:effect-positive ."
        ),
        (ex(SB, "gb:design", "Node", "gbc:effect-positive"),),
        Change(
            remove=f"{SB} gb:design gbc:design-qed .", add=f"{SB} gb:design gbc:design-pre-post ."
        ),
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
        Change(
            remove=f"{SB} gb:sample {SAMPLE_B} .",
            add=f"{SB} gb:sample <thing/untyped> . <thing/untyped> gb:sampleSize 40 .",
        ),
        (ex(SB, "gb:sample", "Class", "<thing/untyped>"),),
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
        Change(remove=f"{SB} gb:reportedIn {REF_B} .", add=f"{SB} gb:reportedIn <thing/untyped> ."),
        (ex(SB, "gb:reportedIn", "Class", "<thing/untyped>"),),
    ),
    missing("Study-referenced", SB, "gb:reportedIn", REF_B, " (a warning)"),
    text("Study-designSummary", SA, "gb:designSummary"),
    text("Study-findingsSummary", SA, "gb:findingsSummary"),
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
        Change(remove=f"{SUBGROUP} gb:count 60 .", add=f"{SUBGROUP} gb:count 121 ."),
        (ex(SAMPLE_A, "gb:subgroup", "SPARQL", SUBGROUP),),
        Change(remove=f"{SUBGROUP} gb:count 60 .", add=f"{SUBGROUP} gb:count 120 ."),
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
    text("StudyArm-label", ARM, "rdfs:label"),
    Case(
        "StudyArm-armRole",
        Change(
            remove=f"{ARM} gb:armRole gbc:arm-control .",
            add=f"{ARM} gb:armRole gbc:effect-positive .",
        ),
        (ex(ARM, "gb:armRole", "Node", "gbc:effect-positive"),),
        Change(
            remove=f"{ARM} gb:armRole gbc:arm-control .",
            add=f"{ARM} gb:armRole gbc:arm-intervention .",
        ),
        exercises=("ArmRoleConcept", "ArmRoleConcept-scheme"),
    ),
    # ------------------------------------------------------------------ measurement, outcome
    missing("Measurement-construct", M, "gb:construct", '"Child behaviour"@en'),
    text("Measurement-constructComponent", M, "gb:constructComponent"),
    Case(
        "Measurement-instrument",
        Change(
            remove=f"{M} gb:instrument {INSTRUMENT} .", add=f"{M} gb:instrument <thing/untyped> ."
        ),
        (ex(M, "gb:instrument", "Class", "<thing/untyped>"),),
    ),
    Case(
        "Measurement-measureKind",
        Change(
            remove=f"{M} gb:measureKind gbc:measure-expert-observation .",
            add=f"{M} gb:measureKind gbc:effect-positive .",
        ),
        (ex(M, "gb:measureKind", "Node", "gbc:effect-positive"),),
        Change(
            remove=f"{M} gb:measureKind gbc:measure-expert-observation .",
            add=f"{M} gb:measureKind gbc:measure-direct-assessment .",
        ),
        exercises=("MeasureKindConcept", "MeasureKindConcept-scheme"),
    ),
    Case(
        "Measurement-measureKind",
        Change(remove="gbc:measure-expert-observation gb:independentOfParticipants true ."),
        (ex(M, "gb:measureKind", "Node", "gbc:measure-expert-observation"),),
        exercises=("MeasureKindConcept-independent",),
        name="MeasureKindConcept-independent",
        comment="a measure kind that does not say whether it is independent of participants",
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
            add=f"{F} gb:aboutOutcome <thing/untyped> . "
            "<thing/untyped> gb:beneficiary gbc:beneficiary-child .",
        ),
        (ex(F, "gb:aboutOutcome", "Class", "<thing/untyped>"),),
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
        (ex(F, "gb:effect", "Node", "gbc:effect-positive"),),
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
        Change(remove=f"{F} gb:timing gbc:timing-post-test ."),
        (ex(F, "gb:timing", "MinCount"),),
    ),
    Case(
        "Finding-timing",
        Change(remove="gbc:timing-post-test gb:longTerm false ."),
        (ex(F, "gb:timing", "Node", "gbc:timing-post-test"),),
        exercises=("TimingConcept-longTerm",),
        name="TimingConcept-longTerm",
        comment="a timing concept that does not say whether it is long-term",
    ),
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
    # ------------------------------------------------------------------ evidence: studies
    Case(
        "StudyRating3NeedsRigorousDesign",
        Change(
            add=f"""<study/fixture-c> a gb:Study ; gb:evaluates {P} ;
                gb:design gbc:design-pre-post ; gb:studyRating gbc:study-rating-3 ;
                gb:sample <study/fixture-c/sample> ; gb:reportedIn {REF_A} .
            <study/fixture-c/sample> a gb:Sample ; gb:sampleSize 50 .
            <programme/fixture/finding/3> a gb:Finding ; gb:aboutOutcome {OUTCOME} ;
                gb:basedOnStudy <study/fixture-c> ; gb:timing gbc:timing-post-test ;
                gb:effect gbc:effect-positive ; gb:statisticallySignificant true ."""
        ),
        (ex("<study/fixture-c>", "gb:studyRating", "SPARQL", "gbc:study-rating-3"),),
        Change(
            add=f"""<study/fixture-c> a gb:Study ; gb:evaluates {P} ;
                gb:design gbc:design-qed ; gb:studyRating gbc:study-rating-3 ;
                gb:sample <study/fixture-c/sample> ; gb:reportedIn {REF_A} .
            <study/fixture-c/sample> a gb:Sample ; gb:sampleSize 50 .
            <programme/fixture/finding/3> a gb:Finding ; gb:aboutOutcome {OUTCOME} ;
                gb:basedOnStudy <study/fixture-c> ; gb:timing gbc:timing-post-test ;
                gb:effect gbc:effect-positive ; gb:statisticallySignificant true ."""
        ),
        comment="a pre-post study rated 3; the twin is a QED",
    ),
    Case(
        "StudyRating3NeedsPositiveChildFinding",
        Change(
            remove=f"{SB} gb:studyRating gbc:study-rating-2 .",
            add=f"{SB} gb:studyRating gbc:study-rating-3 .",
        ),
        (ex(SB, "gb:studyRating", "SPARQL", "gbc:study-rating-3"),),
        Change(
            remove=f"{SB} gb:studyRating gbc:study-rating-2 .",
            add=f"""{SB} gb:studyRating gbc:study-rating-3 .
            <programme/fixture/finding/2> a gb:Finding ; gb:aboutOutcome {OUTCOME} ;
                gb:basedOnStudy {SB} ; gb:timing gbc:timing-post-test ;
                gb:effect gbc:effect-positive ; gb:statisticallySignificant true .""",
        ),
        comment="study B rated 3 with no finding; the twin adds its positive child finding",
    ),
    Case(
        "StudyRating3NeedsPositiveChildFinding",
        Change(
            remove=f"""{SB} gb:studyRating gbc:study-rating-2 .
                {A} gb:mixedFindings false ; gb:ratingNotation "3+" .""",
            add=f"""{SB} gb:studyRating gbc:study-rating-3 .
            {A} gb:mixedFindings true ; gb:ratingNotation "3+*" .
            <programme/fixture/finding/2> a gb:Finding ; gb:aboutOutcome {OUTCOME} ;
                gb:basedOnStudy {SB} ; gb:timing gbc:timing-post-test ;
                gb:effect gbc:effect-positive ; gb:statisticallySignificant false .""",
        ),
        (ex(SB, "gb:studyRating", "SPARQL", "gbc:study-rating-3"),),
        name="StudyRating3NeedsPositiveChildFinding-not-significant",
        comment="study B rated 3 whose only positive finding is not statistically significant"
        " (so the findings are mixed, and the assessment says so)",
    ),
    Case(
        "StudyRating2NeedsMinimumSample",
        Change(remove=f"{SAMPLE_B} gb:sampleSize 40 .", add=f"{SAMPLE_B} gb:sampleSize 19 ."),
        (ex(SB, "gb:studyRating", "SPARQL", "gbc:study-rating-2"),),
        Change(remove=f"{SAMPLE_B} gb:sampleSize 40 .", add=f"{SAMPLE_B} gb:sampleSize 20 ."),
        comment="19 participants fail the standard's minimum of 20; 20 pass",
    ),
    Case(
        "StudyRating2NeedsMinimumSample",
        Change(
            remove=f"{STANDARD} gb:level2MinimumSampleSize 20 .",
            add=f"{STANDARD} gb:level2MinimumSampleSize 41 .",
        ),
        (ex(SB, "gb:studyRating", "SPARQL", "gbc:study-rating-2"),),
        Change(
            remove=f"{STANDARD} gb:level2MinimumSampleSize 20 .",
            add=f"{STANDARD} gb:level2MinimumSampleSize 40 .",
        ),
        name="StudyRating2NeedsMinimumSample-from-the-standard",
        comment="the minimum is read from the evidence standard in the graph, not from the rule",
    ),
    Case(
        "EvidenceStandardStated",
        Change(remove=f"{STANDARD} a gb:EvidenceStandard ; gb:level2MinimumSampleSize 20 ."),
        (
            ex(SA, "gb:studyRating", "SPARQL", "gbc:study-rating-3"),
            ex(SB, "gb:studyRating", "SPARQL", "gbc:study-rating-2"),
        ),
        comment="without the evidence standard the minimum sample cannot be checked",
    ),
    Case(
        "RigorousStudyNeedsRigorousDesign",
        Change(
            remove=f"{SB} gb:design gbc:design-qed .",
            add=f"{SB} gb:design gbc:design-pre-post ; gb:rigorouslyConducted true .",
        ),
        (ex(SB, "gb:rigorouslyConducted", "SPARQL", "true"),),
        Change(add=f"{SB} gb:rigorouslyConducted true ."),
    ),
    # ------------------------------------------------------------------ evidence: findings
    Case(
        "PositiveFindingHasPositiveIndex",
        Change(remove=f"{F} gb:improvementIndex 12 .", add=f"{F} gb:improvementIndex 0 ."),
        (ex(F, "gb:improvementIndex", "SPARQL", "0"),),
        Change(remove=f"{F} gb:improvementIndex 12 .", add=f"{F} gb:improvementIndex 1 ."),
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
        (ex(F, "gb:measurement", "SPARQL", "<study/fixture-b/measurement/report>"),),
        comment="a finding of study A that rests on a measurement of study B",
    ),
    Case(
        "FindingBasedOnStudyOfProgramme",
        Change(add=SECOND_PROGRAMME + f"{P} gb:hasFinding <programme/other/finding/1> ."),
        (ex(P, "gb:hasFinding", "SPARQL", "<programme/other/finding/1>"),),
        Change(add=SECOND_PROGRAMME),
        comment="a programme shows a finding of another programme's study",
    ),
    # ------------------------------------------------------------------ evidence: assessments
    Case(
        "AssessmentLinkedBothWays",
        Change(add=SECOND_PROGRAMME + f"<programme/other> gb:hasAssessment {A} ."),
        (ex(A, "gb:assesses", "SPARQL", "<programme/other>"),),
        Change(add=SECOND_PROGRAMME),
        comment="another programme claims this assessment, which does not assess it",
    ),
    Case(
        "ConsideredStudyEvaluatesProgramme",
        Change(add=SECOND_PROGRAMME + f"{A} gb:considersStudy <study/other> ."),
        (ex(A, "gb:considersStudy", "SPARQL", "<study/other>"),),
        Change(add=SECOND_PROGRAMME),
    ),
    Case(
        "Level2Supported",
        Change(
            remove=claim("", "", "", "")[0]
            + f" {SA} gb:studyRating gbc:study-rating-3 . {SB} gb:studyRating gbc:study-rating-2 .",
            add=claim("gbc:rating-2", "gbc:level-2", "false", "2")[1]
            + f" {SA} gb:studyRating gbc:study-rating-nl2 ."
            + f" {SB} gb:studyRating gbc:study-rating-nl2 .",
        ),
        (ex(A, "gb:evidenceRating", "SPARQL", "gbc:rating-2"),),
        Change(
            remove=claim("", "", "", "")[0] + f" {SA} gb:studyRating gbc:study-rating-3 .",
            add=claim("gbc:rating-2", "gbc:level-2", "false", "2")[1]
            + f" {SA} gb:studyRating gbc:study-rating-nl2 .",
        ),
        comment="rated 2 with no study rated 2 or better; the twin keeps study B rated 2",
    ),
    Case(
        "Level3Supported",
        Change(
            remove=claim("", "", "", "")[0] + f" {SA} gb:rigorouslyConducted true .",
            add=claim("gbc:rating-3", "gbc:level-3", "false", "3")[1]
            + f" {SA} gb:rigorouslyConducted false .",
        ),
        (ex(A, "gb:evidenceRating", "SPARQL", "gbc:rating-3"),),
        Change(
            remove=claim("", "", "", "")[0],
            add=claim("gbc:rating-3", "gbc:level-3", "false", "3")[1],
        ),
        comment="rated 3 but the only RCT was not rigorously conducted",
    ),
    Case(
        "Level3Supported",
        Change(
            remove=claim("", "", "", "")[0]
            + f" {F} gb:statisticallySignificant true . {SA} gb:studyRating gbc:study-rating-3 .",
            add=claim("gbc:rating-3", "gbc:level-3", "false", "3")[1]
            + f" {F} gb:statisticallySignificant false ."
            + f" {SA} gb:studyRating gbc:study-rating-2 .",
        ),
        (ex(A, "gb:evidenceRating", "SPARQL", "gbc:rating-3"),),
        name="Level3Supported-no-significant-child-outcome",
        comment="rated 3 but the rigorous study's child finding is not significant",
    ),
    Case(
        "Level4Replicated",
        Change(
            remove=claim("", "", "", "")[0]
            + " "
            + UNMET_BASE
            + f" {F} gb:timing gbc:timing-post-test .",
            add=claim("gbc:rating-4", "gbc:level-4", "false", "4")[1]
            + f" {A} gb:unmetCriterion gbc:criterion-replicated ."
            + f" {F} gb:timing gbc:timing-one-year-follow-up .",
        ),
        (ex(A, "gb:evidenceRating", "SPARQL", "gbc:rating-4"),),
        Change(
            remove=claim("", "", "", "")[0]
            + " "
            + UNMET_BASE
            + f" {F} gb:timing gbc:timing-post-test .",
            add=claim("gbc:rating-4", "gbc:level-4", "false", "4")[1]
            + f" {F} gb:timing gbc:timing-one-year-follow-up ."
            + rigorous_study_c(),
        ),
        comment="rated 4 with one rigorous study; the twin adds a rigorous replication",
    ),
    Case(
        "Level4LongTerm",
        Change(
            remove=claim("", "", "", "")[0] + " " + UNMET_BASE,
            add=claim("gbc:rating-4", "gbc:level-4", "false", "4")[1]
            + f" {A} gb:unmetCriterion gbc:criterion-long-term ."
            + rigorous_study_c(),
        ),
        (ex(A, "gb:evidenceRating", "SPARQL", "gbc:rating-4"),),
        Change(
            remove=claim("", "", "", "")[0]
            + " "
            + UNMET_BASE
            + f" {F} gb:timing gbc:timing-post-test .",
            add=claim("gbc:rating-4", "gbc:level-4", "false", "4")[1]
            + f" {F} gb:timing gbc:timing-one-year-follow-up ."
            + rigorous_study_c(),
        ),
        comment="rated 4, replicated, but every positive child finding is at post-test",
    ),
    Case(
        "Level4IndependentMeasure",
        Change(
            remove=claim("", "", "", "")[0]
            + " "
            + UNMET_BASE
            + f" {F} gb:timing gbc:timing-post-test ."
            + f" {M} gb:measureKind gbc:measure-expert-observation .",
            add=claim("gbc:rating-4", "gbc:level-4", "false", "4")[1]
            + f" {A} gb:unmetCriterion gbc:criterion-independent-measure ."
            + f" {F} gb:timing gbc:timing-one-year-follow-up ."
            + f" {M} gb:measureKind gbc:measure-parent-report ."
            + rigorous_study_c(),
        ),
        (ex(A, "gb:evidenceRating", "SPARQL", "gbc:rating-4"),),
        Change(
            remove=claim("", "", "", "")[0]
            + " "
            + UNMET_BASE
            + f" {F} gb:timing gbc:timing-post-test .",
            add=claim("gbc:rating-4", "gbc:level-4", "false", "4")[1]
            + f" {F} gb:timing gbc:timing-one-year-follow-up ."
            + rigorous_study_c(),
        ),
        comment="rated 4 but the positive child findings rest on parent report or no measure",
    ),
    Case(
        "Plus2Supported",
        Change(
            remove=claim("", "", "", "")[0] + f" {SB} gb:design gbc:design-qed .",
            add=claim("gbc:rating-2-plus", "gbc:level-2", "true", "2+")[1]
            + f" {SB} gb:design gbc:design-pre-post .",
        ),
        (ex(A, "gb:evidenceRating", "SPARQL", "gbc:rating-2-plus"),),
        Change(
            remove=claim("", "", "", "")[0],
            add=claim("gbc:rating-2-plus", "gbc:level-2", "true", "2+")[1],
        ),
        comment="2+ needs a study rated 2 that is an RCT or QED; the twin's study B is a QED",
    ),
    Case(
        "Plus3Supported",
        Change(
            remove=f"{SB} gb:studyRating gbc:study-rating-2 .",
            add=f"{SB} gb:studyRating gbc:study-rating-nl2 .",
        ),
        (ex(A, "gb:evidenceRating", "SPARQL", "gbc:rating-3-plus"),),
        comment="3+ with no other study rated 2 or better",
    ),
    Case(
        "Plus4Supported",
        Change(
            remove=claim("", "", "", "")[0]
            + " "
            + UNMET_BASE
            + f" {F} gb:timing gbc:timing-post-test . {SA} gb:studyRating gbc:study-rating-3 .",
            add=claim("gbc:rating-4-plus", "gbc:level-4", "true", "4+")[1]
            + f" {F} gb:timing gbc:timing-one-year-follow-up ."
            + f" {SA} gb:studyRating gbc:study-rating-4 ."
            + rigorous_study_c("gbc:study-rating-4"),
        ),
        (ex(A, "gb:evidenceRating", "SPARQL", "gbc:rating-4-plus"),),
        Change(
            remove=claim("", "", "", "")[0]
            + " "
            + UNMET_BASE
            + f" {F} gb:timing gbc:timing-post-test . {SA} gb:studyRating gbc:study-rating-3 .",
            add=claim("gbc:rating-4-plus", "gbc:level-4", "true", "4+")[1]
            + f" {F} gb:timing gbc:timing-one-year-follow-up ."
            + f" {SA} gb:studyRating gbc:study-rating-4 ."
            + rigorous_study_c("gbc:study-rating-4", "; gb:independentOfProvider true "),
        ),
        comment="4+ with two studies rated 4, neither independent of the provider",
    ),
    Case(
        "NotEffectiveSupported",
        Change(
            remove=claim("", "", "", "")[0],
            add=claim("gbc:rating-ne", "gbc:level-ne", "false", "NE")[1],
        ),
        (ex(A, "gb:evidenceRating", "SPARQL", "gbc:rating-ne"),),
        Change(
            remove=claim("", "", "", "")[0]
            + f""" {SA} gb:studyRating gbc:study-rating-3 .
                {F} gb:effect gbc:effect-positive ; gb:statisticallySignificant true ;
                    gb:improvementIndex 12 .""",
            add=claim("gbc:rating-ne", "gbc:level-ne", "false", "NE")[1]
            + f""" {SA} gb:studyRating gbc:study-rating-nl2 .
                {F} gb:effect gbc:effect-none ; gb:statisticallySignificant false ;
                    gb:improvementIndex 0 .""",
        ),
        comment="NE beside a significant positive child finding; the twin's RCT found none",
    ),
    Case(
        "MixedFindingsMatchStudies",
        Change(
            add=f"""<programme/fixture/finding/2> a gb:Finding ; gb:aboutOutcome {OUTCOME} ;
                gb:basedOnStudy {SB} ; gb:timing gbc:timing-post-test ;
                gb:effect gbc:effect-none ; gb:statisticallySignificant false ."""
        ),
        (ex(A, "gb:mixedFindings", "SPARQL", "false"),),
        Change(
            remove=f'{A} gb:mixedFindings false ; gb:ratingNotation "3+" .',
            add=f"""{A} gb:mixedFindings true ; gb:ratingNotation "3+*" .
            <programme/fixture/finding/2> a gb:Finding ; gb:aboutOutcome {OUTCOME} ;
                gb:basedOnStudy {SB} ; gb:timing gbc:timing-post-test ;
                gb:effect gbc:effect-none ; gb:statisticallySignificant false .""",
        ),
        comment="study B's only child finding shows no effect beside study A's positive one",
    ),
    Case(
        "MixedFindingsMatchStudies",
        Change(
            remove=f'{A} gb:mixedFindings false ; gb:ratingNotation "3+" .',
            add=f'{A} gb:mixedFindings true ; gb:ratingNotation "3+*" .',
        ),
        (ex(A, "gb:mixedFindings", "SPARQL", "true"),),
        name="MixedFindingsMatchStudies-claimed",
        comment="'*' claimed although no study shows no effect",
    ),
    Case(
        "AssessmentLevelMatchesRating",
        Change(
            remove=f"{A} gb:evidenceLevel gbc:level-3 .", add=f"{A} gb:evidenceLevel gbc:level-2 ."
        ),
        (ex(A, "gb:evidenceLevel", "SPARQL", "gbc:level-2"),),
    ),
    Case(
        "AssessmentPlusMatchesRating",
        Change(remove=f"{A} gb:hasPlus true .", add=f"{A} gb:hasPlus false ."),
        (ex(A, "gb:hasPlus", "SPARQL", "false"),),
    ),
    Case(
        "RatingNotationMatchesRating",
        Change(remove=f'{A} gb:ratingNotation "3+" .', add=f'{A} gb:ratingNotation "3" .'),
        (ex(A, "gb:ratingNotation", "SPARQL", '"3"'),),
        Change(
            remove=f'{A} gb:ratingNotation "3+" .', add=f'{A} gb:ratingNotation "3+"^^xsd:string .'
        ),
        comment="the twin writes the same notation with an explicit xsd:string",
    ),
    Case(
        "NL2HasNoCostRating",
        Change(
            remove=claim("", "", "", "")[0],
            add=claim("gbc:rating-nl2", "gbc:level-nl2", "false", "NL2")[1],
        ),
        (ex(A, "gb:costRating", "SPARQL", "gbc:cost-2"),),
        Change(
            remove=claim("", "", "", "")[0] + f" {A} gb:costRating gbc:cost-2 .",
            add=claim("gbc:rating-nl2", "gbc:level-nl2", "false", "NL2")[1],
        ),
    ),
    Case(
        "CostRatingStated",
        Change(remove=f"{A} gb:costRating gbc:cost-2 ."),
        (ex(A, "gb:costRating", "SPARQL"),),
    ),
    Case(
        "UnmetCriterionIsUnmet",
        Change(add=f"{A} gb:unmetCriterion gbc:criterion-level-3 ."),
        (ex(A, "gb:unmetCriterion", "SPARQL", "gbc:criterion-level-3"),),
        Change(add=f"{A} gb:unmetCriterion gbc:criterion-plus-4 ."),
        comment="level 3 listed as unmet although study A meets it",
    ),
    Case(
        "UnmetCriterionIsUnmet",
        Change(
            add=f"{A} gb:unmetCriterion gbc:criterion-level-2 , gbc:criterion-plus-3 ,"
            " gbc:criterion-independent-measure ."
        ),
        (
            ex(A, "gb:unmetCriterion", "SPARQL", "gbc:criterion-level-2"),
            ex(A, "gb:unmetCriterion", "SPARQL", "gbc:criterion-plus-3"),
            ex(A, "gb:unmetCriterion", "SPARQL", "gbc:criterion-independent-measure"),
        ),
        name="UnmetCriterionIsUnmet-met-criteria",
        comment="three criteria the programme meets, listed as unmet",
    ),
    Case(
        "UnmetCriterionIsUnmet",
        Change(
            remove=f"{F} gb:timing gbc:timing-post-test .",
            add=f"{F} gb:timing gbc:timing-one-year-follow-up ." + rigorous_study_c(),
        ),
        (
            ex(A, "gb:unmetCriterion", "SPARQL", "gbc:criterion-replicated"),
            ex(A, "gb:unmetCriterion", "SPARQL", "gbc:criterion-long-term"),
        ),
        name="UnmetCriterionIsUnmet-level-4-met",
        comment="replication and long-term impact listed as unmet although both are met",
    ),
    Case(
        "UnmetCriterionIsUnmet",
        Change(
            remove=f'{A} gb:mixedFindings false ; gb:ratingNotation "3+" .',
            add=f"""{A} gb:mixedFindings true ; gb:ratingNotation "3+*" ;
                gb:unmetCriterion gbc:criterion-mixed .
            <programme/fixture/finding/2> a gb:Finding ; gb:aboutOutcome {OUTCOME} ;
                gb:basedOnStudy {SB} ; gb:timing gbc:timing-post-test ;
                gb:effect gbc:effect-negative ; gb:statisticallySignificant true .""",
        ),
        (ex(A, "gb:unmetCriterion", "SPARQL", "gbc:criterion-mixed"),),
        Change(
            remove=f'{A} gb:mixedFindings false ; gb:ratingNotation "3+" .',
            add=f"""{A} gb:mixedFindings true ; gb:ratingNotation "3+*" .
            <programme/fixture/finding/2> a gb:Finding ; gb:aboutOutcome {OUTCOME} ;
                gb:basedOnStudy {SB} ; gb:timing gbc:timing-post-test ;
                gb:effect gbc:effect-negative ; gb:statisticallySignificant true .""",
        ),
        name="UnmetCriterionIsUnmet-mixed",
        comment="mixed findings listed as an unmet criterion while the findings are mixed",
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


def build(change: Change, vocabulary: rdflib.Graph) -> rdflib.Graph:
    """base.ttl - change.remove + change.add, with the facts of every concept it mentions.

    Removals apply before additions, so a change can restate a triple it removes; a
    removed concept fact (not in base.ttl) is removed after the concepts are copied in.
    """
    graph = rdflib.Graph().parse(BASE_FILE, format="turtle")
    later = []
    for triple in _parse(change.remove):
        if triple in graph:
            graph.remove(triple)
        else:
            later.append(triple)
    graph += _parse(change.add)
    _copy_concepts(graph, vocabulary)
    _copy_declarations(graph, vocabulary)
    for triple in later:
        if triple not in graph:
            raise SystemExit(f"cannot remove {triple}: it is not in the graph")
        graph.remove(triple)
    return graph


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


def _copy_declarations(graph: rdflib.Graph, vocabulary: rdflib.Graph) -> None:
    ontology = rdflib.URIRef(ONTOLOGY)
    if (ontology, RDF.type, None) not in graph:
        return
    used = {node for triple in graph for node in triple if str(node).startswith(str(GB))}
    for node in used:
        for kind in vocabulary.objects(node, RDF.type):
            graph.add((node, RDF.type, kind))


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


def outputs() -> dict[Path, rdflib.Graph | str]:
    """Every file the suite consists of: data graphs (as graphs) and the manifest (text)."""
    vocabulary = ontology()
    files = shape_files()
    severity = severities()
    out: dict[Path, rdflib.Graph | str] = {COMPLETE_BASE: build(Change(), vocabulary)}
    entries: list[str] = []
    blocks: list[str] = []
    seen: set[str] = set()
    for case in CASES:
        if case.id in seen:
            raise SystemExit(f"two cases are named {case.id}")
        seen.add(case.id)
        if case.shape not in files:
            raise SystemExit(f"case {case.id}: no shape gbsh:{case.shape} in shapes/")
        fails = DATA_DIR / f"{case.id}-fails.ttl"
        out[fails] = build(case.fails, vocabulary)
        if case.passes:
            passes = DATA_DIR / f"{case.id}-passes.ttl"
            out[passes] = build(case.passes, vocabulary)
        else:
            passes = COMPLETE_BASE
        shapes = files[case.shape]
        results = []
        for e in case.expect:
            shape = e.shape or case.shape
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
        exercised = " , ".join(f"gbsh:{s}" for s in (case.shape, *case.exercises))
        label = case.comment or f"breaks gbsh:{case.shape}"
        fail_rel = fails.relative_to(HERE).as_posix()
        pass_rel = passes.relative_to(HERE).as_posix()
        shapes_rel = Path("..", "..", shapes.relative_to(REPO)).as_posix()
        report = (
            "[ a sh:ValidationReport ;\n        sh:conforms false ;\n        sh:result "
            + " ,\n        ".join(results)
            + " ]"
            if results
            else "[ a sh:ValidationReport ; sh:conforms true ]"
        )
        blocks.append(f"""<#{case.id}-fails> a sht:Validate ;
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
""")
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
# shapes it uses, gbt:exercises); <#X-passes> is its passing twin. Any SHACL engine can be
# run over it: tests/test_shapes_manifest.py runs every engine registered in
# guidebook_kg.validate.ENGINES, comparing (focus node, path, source shape, severity).
@prefix mf:   <http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#> .
@prefix sht:  <http://www.w3.org/ns/shacl-test#> .
@prefix sh:   <http://www.w3.org/ns/shacl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix gbsh: <https://w3id.org/guidebook-kg/shapes#> .
@prefix gbt:  <https://w3id.org/guidebook-kg/shapes-tests#> .

"""


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
            for prefix, namespace in (("gb", str(GB)), ("gbc", GBC), ("euc", EU_COUNTRY)):
                content.bind(prefix, namespace)
            path.write_text(
                "# Generated by tests/shapes/generate.py from base.ttl: do not edit.\n"
                + content.serialize(format="turtle", base=ID),
                encoding="utf-8",
            )


if __name__ == "__main__":
    write()
    print(
        f"wrote {MANIFEST.relative_to(REPO)} and {len(list(DATA_DIR.glob('*.ttl')))} data graphs",
        file=sys.stderr,
    )
