"""The project's IRIs: the one module that spells them.

Terms are checked on access, so a typo fails loudly instead of minting a new IRI;
tests/test_ontology.py keeps these lists equal to the terms declared in ontology/.
"""

from __future__ import annotations

from collections.abc import Iterable

from guidebook_kg.prefixes import BASE, PREFIXES

ONTOLOGY = BASE + "ontology"
ID = PREFIXES["id"]


class Vocabulary:
    """A closed namespace: ``GB.Programme`` gives the IRI string, ``GB.Nonsense`` raises."""

    def __init__(self, namespace: str, terms: Iterable[str]) -> None:
        self._namespace = namespace
        self._terms = frozenset(terms)

    @property
    def namespace(self) -> str:
        return self._namespace

    @property
    def terms(self) -> frozenset[str]:
        return self._terms

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name: str) -> str:
        if name not in self._terms:
            raise AttributeError(f"{name!r} is not a term of {self._namespace}")
        return self._namespace + name

    def __contains__(self, iri: object) -> bool:
        return (
            isinstance(iri, str)
            and iri.startswith(self._namespace)
            and iri[len(self._namespace) :] in self._terms
        )


GB = Vocabulary(
    PREFIXES["gb"],
    [
        "Assessment",
        "DeliveryActivity",
        "EvidenceStandard",
        "Finding",
        "Instrument",
        "Measurement",
        "Outcome",
        "Programme",
        "Reference",
        "Review",
        "Sample",
        "SourcePage",
        "Study",
        "StudyArm",
        "Subgroup",
        "TheoryOfChangeStep",
        "aboutOutcome",
        "acronym",
        "ageGroup",
        "aim",
        "arm",
        "armRole",
        "assesses",
        "basedOnStudy",
        "beneficiary",
        "boosterTraining",
        "changeDirection",
        "changeUnit",
        "changeValue",
        "childOutcome",
        "citationText",
        "considersStudy",
        "construct",
        "constructComponent",
        "contact",
        "costRating",
        "count",
        "country",
        "deliveryActivity",
        "deliveryModel",
        "deliverySummary",
        "design",
        "designSummary",
        "durationOpenEnded",
        "effect",
        "evaluatedInUK",
        "evaluates",
        "evidenceLevel",
        "evidenceRating",
        "evidenceSetting",
        "evidenceSummary",
        "fidelityInformationAvailable",
        "fidelitySystems",
        "findingsSummary",
        "hasAssessment",
        "hasFinding",
        "hasPlus",
        "horizon",
        "impactSummary",
        "implementedIn",
        "implementedInUK",
        "improvementIndex",
        "inAnySpotlightSet",
        "independentOfParticipants",
        "independentOfProvider",
        "instrument",
        "level2MinimumSampleSize",
        "levelValue",
        "licenceRequired",
        "longTerm",
        "maxChildAgeMonths",
        "maxUnitCost",
        "meanChildAgeMonths",
        "measureDescription",
        "measureKind",
        "measurement",
        "minChildAgeMonths",
        "minDurationMonths",
        "minUnitCost",
        "mixedFindings",
        "monthsAfterIntervention",
        "notHigherExplanation",
        "order",
        "otherOutcome",
        "outcomeDomain",
        "partOfReview",
        "percentage",
        "possibleSetting",
        "practitionerCount",
        "practitionerQualification",
        "practitionerQualificationNote",
        "practitionerRole",
        "providerAgreedToTerms",
        "ratingNotation",
        "reportedIn",
        "rigorousDesign",
        "rigorouslyConducted",
        "sample",
        "sampleSize",
        "sessionCount",
        "sessionFrequency",
        "sessionMaxHours",
        "sessionMinHours",
        "shortCitation",
        "specialises",
        "spotlightSet",
        "statement",
        "statisticallySignificant",
        "studyNumber",
        "studyRating",
        "subgroup",
        "supervision",
        "supervisorCount",
        "supervisorQualification",
        "supervisorRole",
        "supervisorTrainingHours",
        "targetPopulation",
        "targeting",
        "theoryOfChangeStep",
        "timing",
        "trainingHours",
        "unmetCriterion",
    ],
)

GBC = Vocabulary(
    PREFIXES["gbc"],
    [
        "age-adolescents",
        "age-antenatal",
        "age-group",
        "age-infants",
        "age-preadolescents",
        "age-preschool",
        "age-primary-school",
        "age-toddlers",
        "arm-alternative-intervention",
        "arm-control",
        "arm-intervention",
        "arm-reference-group",
        "arm-role",
        "beneficiary",
        "beneficiary-child",
        "beneficiary-family",
        "change-direction",
        "cost-1",
        "cost-2",
        "cost-3",
        "cost-4",
        "cost-5",
        "cost-na",
        "cost-rating",
        "criterion",
        "criterion-independent-measure",
        "criterion-level-2",
        "criterion-level-3",
        "criterion-long-term",
        "criterion-mixed",
        "criterion-plus-3",
        "criterion-plus-4",
        "criterion-replicated",
        "delivery-model",
        "design-pre-post",
        "design-qed",
        "design-rct",
        "direction-increase",
        "direction-reduction",
        "domain-crime-violence",
        "domain-maltreatment",
        "domain-mental-health",
        "domain-obesity-physical-health",
        "domain-risky-sexual-behaviour",
        "domain-school-achievement",
        "domain-substance-abuse",
        "effect",
        "effect-negative",
        "effect-none",
        "effect-positive",
        "evidence-level",
        "evidence-rating",
        "frequency",
        "frequency-daily",
        "frequency-fortnightly",
        "frequency-monthly",
        "frequency-weekly",
        "horizon",
        "horizon-long-term",
        "horizon-short-term",
        "level-2",
        "level-3",
        "level-4",
        "level-ne",
        "level-nl2",
        "measure-administrative-data",
        "measure-direct-assessment",
        "measure-expert-observation",
        "measure-kind",
        "measure-parent-report",
        "measure-self-report",
        "model-group",
        "model-individual",
        "outcome-domain",
        "qualification",
        "qualification-nfq-1-3",
        "qualification-nfq-4-6",
        "qualification-nfq-7-8",
        "qualification-nfq-9-10",
        "rating-2",
        "rating-2-plus",
        "rating-3",
        "rating-3-plus",
        "rating-4",
        "rating-4-plus",
        "rating-ne",
        "rating-nl2",
        "requirement",
        "requirement-not-required",
        "requirement-recommended",
        "requirement-required",
        "setting",
        "setting-childrens-centre",
        "setting-community",
        "setting-home",
        "setting-inpatient-health",
        "setting-outpatient-health",
        "setting-primary-school",
        "setting-secondary-school",
        "study-design",
        "study-rating",
        "study-rating-2",
        "study-rating-3",
        "study-rating-4",
        "study-rating-nl2",
        "targeting",
        "targeting-indicated",
        "targeting-selected",
        "targeting-universal",
        "timing",
        "timing-one-year-follow-up",
        "timing-post-test",
        "timing-six-month-follow-up",
        "timing-two-year-follow-up",
        "unit",
        "unit-effect-size",
        "unit-percentage-points",
    ],
)

# Standard vocabularies, closed to the terms the code reads or writes (the publishing
# modules: ontology documentation, resource pages, JSON-LD), so typos fail here too.
RDF = Vocabulary(PREFIXES["rdf"], ["type", "first", "rest", "nil", "langString"])
RDFS = Vocabulary(
    PREFIXES["rdfs"],
    [
        "label",
        "comment",
        "subClassOf",
        "subPropertyOf",
        "domain",
        "range",
        "isDefinedBy",
        "seeAlso",
    ],
)
OWL = Vocabulary(
    PREFIXES["owl"],
    [
        "Ontology",
        "Class",
        "ObjectProperty",
        "DatatypeProperty",
        "inverseOf",
        "versionInfo",
        "versionIRI",
    ],
)
SKOS = Vocabulary(
    PREFIXES["skos"],
    [
        "Concept",
        "ConceptScheme",
        "prefLabel",
        "altLabel",
        "definition",
        "notation",
        "scopeNote",
        "inScheme",
        "topConceptOf",
        "closeMatch",
    ],
)
DCTERMS = Vocabulary(
    PREFIXES["dcterms"],
    [
        "title",
        "description",
        "issued",
        "modified",
        "created",
        "date",
        "license",
        "creator",
        "publisher",
        "source",
        "isPartOf",
    ],
)
FOAF = Vocabulary(PREFIXES["foaf"], ["name", "mbox"])
# Read by the programme page (render.py).
SCHEMA = Vocabulary(PREFIXES["schema"], ["affiliation", "url"])
PROV = Vocabulary(PREFIXES["prov"], ["wasDerivedFrom"])
VANN = Vocabulary(PREFIXES["vann"], ["preferredNamespacePrefix", "preferredNamespaceUri"])
XSD = Vocabulary(
    PREFIXES["xsd"],
    [
        "string",
        "integer",
        "boolean",
        "date",
        "dateTime",
        "gYear",
        "gYearMonth",
        "decimal",
    ],
)


def programme_iri(slug: str) -> str:
    """The IRI of the programme whose slug (file stem) is ``slug``."""
    return ID + "programme/" + slug


def programme_slug(iri: str) -> str | None:
    """The slug of a programme IRI, or None when ``iri`` is not one."""
    prefix = ID + "programme/"
    if iri.startswith(prefix) and "/" not in iri[len(prefix) :]:
        return iri[len(prefix) :]
    return None
