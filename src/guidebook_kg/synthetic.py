"""A deterministic, seeded generator of synthetic programmes shaped like the real data.

Each programme is one Turtle file modelled on ``data/programmes/infant-parent-psychotherapy.ttl``
(about 300 triples): the programme with its key characteristics and delivery details, one
assessment, 2-6 studies with samples, arms, measurements and references, and 3-8 findings.
Programme ``i`` of seed ``s`` is the same whatever ``n`` is, so a small set is a prefix of a
larger one.

Every programme is built from a *recipe* for the rating it should get: the recipe picks
studies (their ratings, designs, rigour and findings) meant to earn that rating, so that
every rating is well represented. The rating an assessment states is not taken from the
recipe: programmes are derived in batches with the project's own evidence standards
(``queries/derivation/``, as every command derives them), and each assessment states the
derived rating, '*' and unmet criteria (from the ``rating-derivation`` view). The rules
are evaluated in one place; the tests check that the recipes still earn what they aim at.

``inject_errors`` breaks chosen programmes on purpose, one error per programme, and
records each error (kind, focus node, path) so that validation results can be checked
against the list.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from guidebook_kg.errors import InputError, UsageError, where
from guidebook_kg.namespaces import GB, GBC
from guidebook_kg.prefixes import PREFIXES
from guidebook_kg.progress import Progress, counting
from guidebook_kg.project import Project

ID = PREFIXES["id"]
SLUG_PREFIX = "synth-"
MANIFEST = "synthetic.json"

# The prefixes a generated file declares (a subset of the project table, same IRIs).
_FILE_PREFIXES = (
    "gb", "gbc", "rdfs", "xsd", "skos", "dcterms", "prov", "bibo", "fabio", "cito",
    "schema", "foaf",
)
_EUC = "http://publications.europa.eu/resource/authority/country/"
_HEADER = (
    "# Synthetic programme written by guidebook_kg.synthetic (not real data).\n"
    f"@base <{ID}> .\n"
    + "".join(f"@prefix {p}: <{PREFIXES[p]}> .\n" for p in _FILE_PREFIXES)
    + f"@prefix euc: <{_EUC}> .\n\n"
)


class _Terms:
    """Prefixed names of a closed vocabulary, checked once on first use (typos raise)."""

    def __init__(self, prefix: str, vocabulary: object) -> None:
        self._prefix = prefix
        self._vocabulary = vocabulary

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        getattr(self._vocabulary, name)  # raises on a term the ontology does not have
        value = f"{self._prefix}:{name}"
        setattr(self, name, value)
        return value

    def __getitem__(self, name: str) -> str:
        cached = self.__dict__.get(name)
        if cached is None:
            self._vocabulary[name]  # type: ignore[index]
            cached = f"{self._prefix}:{name}"
            self.__dict__[name] = cached
        return cached


gb = _Terms("gb", GB)
gbc = _Terms("gbc", GBC)

A = "a"
LABEL = "rdfs:label"
COMMENT = "rdfs:comment"

# ------------------------------------------------------------------ ratings


@dataclass(frozen=True)
class Rating:
    """An asserted programme rating: the concepts and values an assessment states."""

    key: str
    concept: str
    level: str
    plus: bool
    notation: str
    costed: bool = True


RATINGS: dict[str, Rating] = {
    r.key: r
    for r in (
        Rating("NL2", "rating-nl2", "level-nl2", False, "NL2", costed=False),
        Rating("NE", "rating-ne", "level-ne", False, "NE"),
        Rating("2", "rating-2", "level-2", False, "2"),
        Rating("2+", "rating-2-plus", "level-2", True, "2+"),
        Rating("3", "rating-3", "level-3", False, "3"),
        Rating("3+", "rating-3-plus", "level-3", True, "3+"),
        Rating("4", "rating-4", "level-4", False, "4"),
        Rating("4+", "rating-4-plus", "level-4", True, "4+"),
    )
}

# How often each rating is drawn (percent).
RATING_WEIGHTS: dict[str, int] = {
    "NL2": 10, "NE": 3, "2": 12, "2+": 15, "3": 15, "3+": 20, "4": 12, "4+": 13,
}
MIXED_SHARE = 0.15
FINDING_COUNT_WEIGHTS = {3: 45, 4: 28, 5: 13, 6: 7, 7: 4, 8: 3}
STUDY_COUNT_WEIGHTS = {2: 62, 3: 22, 4: 9, 5: 4, 6: 3}

# ------------------------------------------------------------------ pools of realistic text

_NAME_A = (
    "Bright", "Early", "Family", "Growing", "Healthy", "Incredible", "Secure", "Strong",
    "Positive", "Nurturing", "Thriving", "Safe", "Confident", "Caring", "Steady", "Hopeful",
)
_NAME_B = (
    "Beginnings", "Families", "Steps", "Roots", "Futures", "Minds", "Start", "Foundations",
    "Connections", "Partners", "Horizons", "Pathways", "Bonds", "Journeys",
)
_NAME_C = (
    "Home Visiting", "Parenting Programme", "Group Programme", "Therapy", "Partnership",
    "Intervention", "Coaching", "Curriculum", "Family Support",
)
_FAMILY_NAMES = (
    "Adams", "Baker", "Chen", "Davies", "Evans", "Fischer", "Garcia", "Hughes", "Ibrahim",
    "Jones", "Khan", "Lopez", "Murphy", "Nguyen", "Olsen", "Patel", "Quinn", "Roberts",
    "Singh", "Taylor", "Usman", "Varga", "Walsh", "Young", "Zhang", "Moreno", "Kowalski",
    "Okafor", "Berg", "Rossi",
)
_INITIALS = ("A.", "B.J.", "C.", "D.M.", "E.", "F.K.", "G.", "H.L.", "J.", "K.R.", "L.", "M.S.")
_JOURNALS = (
    ("child-development", "Child Development"),
    ("development-and-psychopathology", "Development and Psychopathology"),
    ("pediatrics", "Pediatrics"),
    ("prevention-science", "Prevention Science"),
    ("journal-of-child-psychology-and-psychiatry", "Journal of Child Psychology and Psychiatry"),
    ("journal-of-consulting-and-clinical-psychology",
     "Journal of Consulting and Clinical Psychology"),
    ("infant-mental-health-journal", "Infant Mental Health Journal"),
    ("child-abuse-and-neglect", "Child Abuse & Neglect"),
)
_TITLE_WORDS = (
    ("Effects of", "Outcomes of", "A randomised trial of", "Evaluating", "Long-term results of"),
    ("a home-visiting programme", "a parenting intervention", "an early-years programme",
     "a family support service", "a school-based programme"),
    ("on child behaviour", "on attachment security", "on school readiness",
     "on maltreatment", "on emotional regulation", "on language development"),
)
# (slug, label, measure kind)
_INSTRUMENTS = (
    ("strange-situation", "Ainsworth's Strange Situation", "measure-expert-observation"),
    ("coded-observation", "Coded observation", "measure-expert-observation"),
    ("bayley-scales", "Bayley Scales of Infant Development", "measure-direct-assessment"),
    ("ppvt", "Peabody Picture Vocabulary Test", "measure-direct-assessment"),
    ("school-records", "School administrative records", "measure-administrative-data"),
    ("child-protection-records", "Child protection records", "measure-administrative-data"),
    ("child-behavior-checklist", "Child Behavior Checklist", "measure-parent-report"),
    ("sdq-parent", "Strengths and Difficulties Questionnaire (parent)", "measure-parent-report"),
    ("eyberg-inventory", "Eyberg Child Behavior Inventory", "measure-parent-report"),
    ("sdq-self", "Strengths and Difficulties Questionnaire (self-report)", "measure-self-report"),
)
_INDEPENDENT = tuple(i for i in _INSTRUMENTS if i[2] != "measure-parent-report"
                     and i[2] != "measure-self-report")
_DEPENDENT = tuple(i for i in _INSTRUMENTS if i not in _INDEPENDENT)
_CHILD_OUTCOMES = (
    ("Improved attachment security", "domain-mental-health", "Child attachment organisation"),
    ("Reduced behaviour problems", "domain-crime-violence", "Child behaviour problems"),
    ("Improved emotional regulation", "domain-mental-health", "Child emotional regulation"),
    ("Improved school readiness", "domain-school-achievement", "School readiness"),
    ("Improved language development", "domain-school-achievement", "Receptive vocabulary"),
    ("Reduced child maltreatment", "domain-maltreatment", "Substantiated maltreatment"),
    ("Reduced substance use", "domain-substance-abuse", "Substance use"),
    ("Healthier weight", "domain-obesity-physical-health", "Body mass index"),
    ("Reduced teenage pregnancy", "domain-risky-sexual-behaviour", "Teenage pregnancy"),
)
_FAMILY_OUTCOMES = (
    "Increased parental sensitivity", "Reduced parental stress", "Improved couple relationship",
    "Increased empathic behaviour", "Reduced maternal depression",
)
_UNIVERSITIES = (
    ("university-of-leeds", "University of Leeds"),
    ("university-of-oregon", "University of Oregon"),
    ("kings-college-london", "King's College London"),
    ("university-of-rochester", "University of Rochester"),
    ("university-of-queensland", "University of Queensland"),
)
_REVIEWS = (
    ("foundations-for-life-2016-07", "Foundations for Life", "2016-07"),
    ("guidebook-update-2018-03", "Guidebook update", "2018-03"),
    ("guidebook-update-2021-11", "Guidebook update", "2021-11"),
)
_AGE_GROUPS = (
    "age-antenatal", "age-infants", "age-toddlers", "age-preschool", "age-primary-school",
    "age-preadolescents", "age-adolescents",
)
_SETTINGS = (
    "setting-home", "setting-childrens-centre", "setting-primary-school",
    "setting-secondary-school", "setting-community", "setting-outpatient-health",
)
_COSTS = ("cost-1", "cost-2", "cost-3", "cost-4", "cost-5", "cost-na")
_QUALIFICATIONS = (
    "qualification-nfq-4-6", "qualification-nfq-7-8", "qualification-nfq-9-10",
)
_REQUIREMENTS = ("requirement-required", "requirement-recommended", "requirement-not-required")
_LONG_TIMINGS = ("timing-one-year-follow-up", "timing-two-year-follow-up")
_SHORT_TIMINGS = ("timing-post-test", "timing-six-month-follow-up")
_CRITERIA_LEVEL4 = ("criterion-replicated", "criterion-long-term", "criterion-independent-measure")


# ------------------------------------------------------------------ the document model


def _lit(text: str) -> str:
    if "\\" in text or '"' in text or "\n" in text:
        text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def _en(text: str) -> str:
    return _lit(text) + "@en"


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _dec(value: float) -> str:
    return f"{value:.1f}"


class Document:
    """One programme file: statements grouped by subject, in insertion order."""

    __slots__ = ("subjects",)

    def __init__(self) -> None:
        self.subjects: dict[str, list[tuple[str, str]]] = {}

    def add(self, subject: str, predicate: str, obj: str) -> None:
        self.subjects.setdefault(subject, []).append((predicate, obj))

    def values(self, subject: str, predicate: str) -> list[str]:
        return [o for p, o in self.subjects.get(subject, ()) if p == predicate]

    def set(self, subject: str, predicate: str, obj: str) -> None:
        """Replace every value of ``predicate`` on ``subject`` with ``obj``."""
        self.remove(subject, predicate)
        self.add(subject, predicate, obj)

    def remove(self, subject: str, predicate: str, obj: str | None = None) -> None:
        pairs = self.subjects.get(subject, [])
        pairs[:] = [(p, o) for p, o in pairs if not (p == predicate and obj in (None, o))]

    def drop(self, subject: str) -> None:
        """Remove a resource: its statements and every statement pointing at it."""
        self.subjects.pop(subject, None)
        for pairs in self.subjects.values():
            pairs[:] = [(p, o) for p, o in pairs if o != subject]

    def triple_count(self) -> int:
        # A Turtle collection object stands for 2 triples per member; count them so that
        # the number matches what a parser reads.
        count = 0
        for pairs in self.subjects.values():
            for _, obj in pairs:
                count += 1 + (2 * obj.count("> <") + 2 if obj.startswith("( ") else 0)
        return count

    def turtle(self) -> str:
        parts = [_HEADER]
        for subject, pairs in self.subjects.items():
            if not pairs:
                continue
            parts.append(subject)
            parts.append(" ")
            parts.append(" ;\n    ".join(f"{p} {o}" for p, o in pairs))
            parts.append(" .\n")
        return "".join(parts)


def iri(term: str) -> str:
    """The absolute IRI of an ``<iri>`` term written in a file with base ``id:``."""
    value = term[1:-1]
    return value if ":" in value.split("/", 1)[0] else ID + value


# ------------------------------------------------------------------ specs


@dataclass
class FindingSpec:
    effect: str  # "positive" | "none" | "negative"
    significant: bool
    long_term: bool
    independent: bool

    @property
    def positive(self) -> bool:
        return self.effect == "positive" and self.significant


@dataclass
class StudySpec:
    role: str  # what the recipe made it for: rigorous, nonrigorous-3, rated-2, nl2, null
    rating: int  # 1 stands for NL2
    design: str  # "rct" | "qed" | "pre-post"
    rigorous: bool
    findings: list[FindingSpec]
    provider_independent: bool | None = None
    sample_size: int = 0


@dataclass
class ProgrammeSpec:
    index: int
    slug: str
    rating: Rating
    mixed: bool
    studies: list[StudySpec]
    unmet: list[str]
    cost: str | None


@dataclass(frozen=True)
class InjectedError:
    """One deliberate error, and the results the shapes report for it.

    ``expected`` lists (focus node IRI, result path IRI or None) pairs; a validation of the
    generated project reports at least one result for each pair, and none about other
    nodes than these.
    """

    kind: str
    programme: str
    description: str
    expected: tuple[tuple[str, str | None], ...]


@dataclass
class SyntheticSet:
    """What :func:`generate` wrote."""

    root: Path
    programmes: int
    seed: int
    triples: int
    ratings: dict[str, str] = field(default_factory=dict)
    errors: list[InjectedError] = field(default_factory=list)


# ------------------------------------------------------------------ recipes


def _positive(rng: random.Random, long_term: bool | None = None,
              independent: bool | None = None) -> FindingSpec:
    lt = rng.random() < 0.35 if long_term is None else long_term
    ind = rng.random() < 0.5 if independent is None else independent
    return FindingSpec("positive", True, lt, ind)


def _null_finding(rng: random.Random) -> FindingSpec:
    roll = rng.random()
    if roll < 0.55:
        return FindingSpec("none", False, rng.random() < 0.3, rng.random() < 0.5)
    if roll < 0.8:
        # positive in direction but not significant: still not a positive finding
        return FindingSpec("positive", False, rng.random() < 0.3, rng.random() < 0.5)
    return FindingSpec("negative", rng.random() < 0.5, rng.random() < 0.3, rng.random() < 0.5)


def _rigorous(rng: random.Random, rating: int, *, long_term: bool | None = None,
              independent: bool | None = None, provider_independent: bool | None = None
              ) -> StudySpec:
    """A rigorous RCT/QED rated 3 or 4 with positive child findings.

    ``long_term`` / ``independent``: True = one positive finding has it, False = none has
    it, None = chance.
    """
    first = _positive(rng, long_term, independent)
    return StudySpec("rigorous", rating, rng.choice(("rct", "rct", "qed")), True, [first],
                     provider_independent)


def _nonrigorous_3(rng: random.Random) -> StudySpec:
    # Like IPP study 1: an RCT rated 3 that was not judged rigorously conducted.
    return StudySpec("nonrigorous-3", 3, rng.choice(("rct", "qed")), False, [_positive(rng)])


def _rated_2(rng: random.Random, design: str | None = None) -> StudySpec:
    design = design or rng.choice(("pre-post", "rct", "qed"))
    return StudySpec("rated-2", 2, design, False, [_positive(rng)])


def _nl2(rng: random.Random, design: str | None = None) -> StudySpec:
    design = design or rng.choice(("pre-post", "pre-post", "rct"))
    return StudySpec("nl2", 1, design, False, [_positive(rng)])


def _null(rng: random.Random, *, rigorous: bool = False) -> StudySpec:
    # A rigorous study's evidence is trustworthy whatever it found: rated 3 or 4.
    design = rng.choice(("rct", "qed")) if rigorous else rng.choice(("pre-post", "rct", "qed"))
    rating = rng.choice((3, 3, 4)) if rigorous else 1
    return StudySpec("null", rating, design, rigorous, [_null_finding(rng)])


def _fill(rng: random.Random, studies: list[StudySpec], count: int,
          extra: Callable[[], StudySpec]) -> None:
    while len(studies) < count:
        studies.append(extra())


def _recipe(key: str, rng: random.Random, count: int) -> tuple[list[StudySpec], list[str]]:
    """Studies that earn rating ``key``, and the criteria the recipe leaves unmet."""
    studies: list[StudySpec] = []
    unmet: list[str] = []
    if key == "NL2":
        _fill(rng, studies, count, lambda: _nl2(rng))
        unmet = ["criterion-level-2"]
    elif key == "NE":
        studies.append(_null(rng, rigorous=True))
        _fill(rng, studies, count, lambda: _null(rng, rigorous=rng.random() < 0.3))
    elif key == "2":
        studies.append(_rated_2(rng, "pre-post"))
        _fill(rng, studies, count, lambda: rng.choice((
            lambda: _rated_2(rng, "pre-post"), lambda: _nl2(rng),
        ))())
        unmet = ["criterion-level-3"]
    elif key == "2+":
        studies.append(_rated_2(rng, rng.choice(("rct", "qed"))))
        _fill(rng, studies, count, lambda: rng.choice((
            lambda: _rated_2(rng), lambda: _nl2(rng), lambda: _nonrigorous_3(rng),
        ))())
        unmet = ["criterion-level-3"]
    elif key == "3":
        lt, ind = rng.random() < 0.5, rng.random() < 0.5
        studies.append(_rigorous(rng, rng.choice((3, 3, 4)), long_term=lt, independent=ind))
        _fill(rng, studies, count, lambda: _nl2(rng))
        unmet = ["criterion-replicated", *_missing(lt, ind)]
    elif key == "3+":
        variant = rng.randrange(3)
        if variant == 0:  # one rigorous study backed by others rated 2 or better
            lt, ind = rng.random() < 0.6, rng.random() < 0.6
            studies.append(_rigorous(rng, 3, long_term=lt, independent=ind))
            studies.append(rng.choice((_rated_2, _nonrigorous_3))(rng))
            unmet = ["criterion-replicated", *_missing(lt, ind)]
        elif variant == 1:  # replicated, but nothing long-term
            ind = rng.random() < 0.6
            studies.append(_rigorous(rng, 3, long_term=False, independent=ind))
            studies.append(_rigorous(rng, rng.choice((3, 4)), long_term=False,
                                     independent=False if not ind else None))
            unmet = ["criterion-long-term", *_missing(True, ind)]
        else:  # replicated and long-term, but no measure independent of participants
            studies.append(_rigorous(rng, 3, long_term=True, independent=False))
            studies.append(_rigorous(rng, 3, long_term=None, independent=False))
            unmet = ["criterion-independent-measure"]
        _fill(rng, studies, count, lambda: rng.choice((
            lambda: _rated_2(rng), lambda: _nl2(rng),
        ))())
    elif key in ("4", "4+"):
        if key == "4+":
            studies.append(_rigorous(rng, 4, long_term=True, provider_independent=True))
            studies.append(_rigorous(rng, 4, independent=True,
                                     provider_independent=rng.choice((None, False, True))))
        elif rng.random() < 0.5:  # at most one study rated 4
            studies.append(_rigorous(rng, rng.choice((3, 4)), long_term=True,
                                     provider_independent=rng.choice((None, True))))
            studies.append(_rigorous(rng, 3, independent=True))
            unmet = ["criterion-plus-4"]
        else:  # two studies rated 4, neither independent of the provider
            studies.append(_rigorous(rng, 4, long_term=True,
                                     provider_independent=rng.choice((None, False))))
            studies.append(_rigorous(rng, 4, independent=True,
                                     provider_independent=rng.choice((None, False))))
            unmet = ["criterion-plus-4"]
        _fill(rng, studies, count, lambda: rng.choice((
            lambda: _rated_2(rng), lambda: _nl2(rng), lambda: _nonrigorous_3(rng),
            lambda: _rigorous(rng, 3, provider_independent=False),
        ))())
        if key == "4":
            # A third study rated 4 could be provider-independent: keep 4 from becoming 4+.
            for study in studies[2:]:
                if study.rating == 4:
                    study.provider_independent = False
    else:  # pragma: no cover - RATINGS and the recipes are kept in step
        raise ValueError(key)
    return studies, unmet


def _missing(long_term: bool, independent: bool) -> list[str]:
    out = []
    if not long_term:
        out.append("criterion-long-term")
    if not independent:
        out.append("criterion-independent-measure")
    return out


def _weighted(rng: random.Random, weights: dict[str, int] | dict[int, int]) -> object:
    keys = list(weights)
    return rng.choices(keys, weights=list(weights.values()))[0]


def programme_spec(seed: int, index: int, *, minimum_sample: int = 20,
                   needs: frozenset[str] = frozenset()) -> ProgrammeSpec:
    """The plan of programme ``index``: its rating, studies and findings (no text yet)."""
    rng = random.Random(f"{seed}:{index}")
    key = str(_weighted(rng, RATING_WEIGHTS))  # first draw: _draw_rating repeats it
    count = int(str(_weighted(rng, STUDY_COUNT_WEIGHTS)))
    mixed = key not in ("NE", "NL2") and rng.random() < MIXED_SHARE
    studies, unmet = _recipe(key, rng, count - 1 if mixed else count)
    if mixed:
        # A rigorous study without a positive child finding beside studies with positive ones.
        studies.append(_null(rng, rigorous=True))
    for need in sorted(needs):
        has, build = _NEEDS[need]
        if not any(has(s) for s in studies):
            studies.append(build(rng))
    # 3-8 findings on the page: top up studies with more findings of their own kind.
    total = int(str(_weighted(rng, FINDING_COUNT_WEIGHTS)))
    while sum(len(s.findings) for s in studies) < total:
        study = rng.choice(studies)
        if study.role in ("null",):
            study.findings.append(_null_finding(rng))
        elif study.role == "rigorous":
            restricted_lt = not any(f.long_term for f in study.findings if f.positive)
            restricted_ind = not any(f.independent for f in study.findings if f.positive)
            # Extra positive findings never add long-term or independent evidence the
            # recipe withheld.
            study.findings.append(FindingSpec(
                "positive", True,
                False if restricted_lt else rng.random() < 0.3,
                False if restricted_ind else rng.random() < 0.5,
            ) if rng.random() < 0.5 else _null_finding(rng))
        else:
            study.findings.append(_positive(rng) if rng.random() < 0.6 else _null_finding(rng))
    for study in studies:
        if study.rating >= 2:
            study.sample_size = rng.randint(minimum_sample + 4, minimum_sample + 580)
        else:
            study.sample_size = rng.randint(8, 120)
    rng.shuffle(studies)
    cost = rng.choice(_COSTS) if RATINGS[key].costed else None
    slug = f"{SLUG_PREFIX}{index:05d}"
    return ProgrammeSpec(index, slug, RATINGS[key], mixed, studies, unmet, cost)


# Study roles an injected error needs: how to recognise one, how to add one.
_NEEDS: dict[str, tuple[Callable[[StudySpec], bool], Callable[[random.Random], StudySpec]]] = {
    "nonrigorous-3": (lambda s: s.role == "nonrigorous-3", _nonrigorous_3),
    "rated-2": (lambda s: s.role == "rated-2", lambda rng: _rated_2(rng, "pre-post")),
    "nl2-pre-post": (lambda s: s.role == "nl2" and s.design == "pre-post",
                     lambda rng: _nl2(rng, "pre-post")),
}


# ------------------------------------------------------------------ writing one programme


@dataclass
class Built:
    """A programme's document plus the IRIs that error injection needs."""

    spec: ProgrammeSpec
    doc: Document
    programme: str
    assessment: str
    studies: list[str]
    samples: list[str]
    findings: list[list[str]]  # per study
    finding_specs: list[list[FindingSpec]]
    references: list[list[str]] = field(default_factory=list)  # per study
    subgroups: list[str | None] = field(default_factory=list)  # per study's sample
    people: dict[str, tuple[str, str]] = field(default_factory=dict)  # cited authors


def build_programme(spec: ProgrammeSpec) -> Built:
    """Write the statements of one programme (its file's whole content)."""
    rng = random.Random(f"text:{spec.slug}")
    doc = Document()
    slug = spec.slug
    p = f"<programme/{slug}>"
    number = spec.index
    name = (f"{rng.choice(_NAME_A)} {rng.choice(_NAME_B)} {rng.choice(_NAME_C)} {number}")
    acronym = "".join(w[0] for w in name.split() if w[0].isalpha()) + str(number)
    month = rng.choice(("01", "03", "06", "07", "09", "11"))
    review_slug, review_title, review_date = rng.choice(_REVIEWS)
    assessment = f"<programme/{slug}/assessment/{review_date}>"
    source_page = f"<https://guidebook.eif.org.uk/programme/{slug}>"
    eif = "<organisation/early-intervention-foundation>"

    add = doc.add
    add(p, A, gb.Programme)
    add(p, LABEL, _en(name))
    add(p, gb.acronym, _lit(acronym))
    add(p, "dcterms:description", _en(
        f"{name} is a {rng.choice(_NAME_C).lower()} for families with young children "
        "who may be at risk of poor outcomes."))
    add(p, gb.aim, _en(f"{acronym} aims to improve children's outcomes by supporting "
                       "parents to provide sensitive and consistent care."))
    add(p, gb.targetPopulation, _en("Parents and carers identified as needing extra support, "
                                    "who attend sessions with their child."))
    max_age = rng.choice((6, 12, 24, 36, 60, 120))
    add(p, gb.maxChildAgeMonths, _dec(max_age))
    add(p, gb.hasAssessment, assessment)
    for age in rng.sample(_AGE_GROUPS, rng.randint(1, 3)):
        add(p, gb.ageGroup, gbc[age])
    add(p, gb.deliveryModel, gbc[rng.choice(("model-individual", "model-group"))])
    settings = rng.sample(_SETTINGS, 2)
    add(p, gb.evidenceSetting, gbc[settings[0]])
    for setting in settings:
        add(p, gb.possibleSetting, gbc[setting])
    add(p, gb.targeting, gbc[rng.choice(
        ("targeting-universal", "targeting-selected", "targeting-indicated"))])
    in_uk = rng.random() < 0.4
    add(p, gb.implementedIn, "euc:GBR" if in_uk else "euc:USA")
    add(p, gb.implementedInUK, _bool(in_uk))
    add(p, gb.evaluatedInUK, _bool(in_uk and rng.random() < 0.5))
    add(p, gb.inAnySpotlightSet, "false")
    sessions = rng.randint(6, 40)
    add(p, gb.deliverySummary, _en(
        f"{acronym} is delivered in {sessions} sessions by one trained practitioner."))
    add(p, gb.sessionCount, str(sessions))
    add(p, gb.sessionMinHours, "1.0")
    add(p, gb.sessionMaxHours, rng.choice(("1.5", "2.0")))
    add(p, gb.sessionFrequency, gbc[rng.choice(
        ("frequency-weekly", "frequency-fortnightly", "frequency-monthly"))])
    add(p, gb.minDurationMonths, _dec(rng.randint(2, 18)))
    add(p, gb.durationOpenEnded, _bool(rng.random() < 0.3))
    add(p, gb.practitionerCount, str(rng.randint(1, 2)))
    add(p, gb.practitionerRole, _en(rng.choice(
        ("family support worker", "health visitor", "clinical practitioner", "teacher"))))
    qualification = rng.choice(_QUALIFICATIONS)
    add(p, gb.practitionerQualification, gbc[qualification])
    add(p, gb.trainingHours, _dec(rng.randint(8, 100)))
    add(p, gb.boosterTraining, gbc[rng.choice(_REQUIREMENTS)])
    add(p, gb.supervision, gbc[rng.choice(_REQUIREMENTS)])
    add(p, gb.supervisorCount, "1")
    add(p, gb.supervisorRole, _en("programme supervisor"))
    add(p, gb.supervisorQualification, gbc[qualification])
    add(p, gb.fidelityInformationAvailable, _bool(rng.random() < 0.6))
    add(p, gb.licenceRequired, _bool(rng.random() < 0.5))
    for k in range(1, rng.randint(1, 2) + 1):
        node = f"<programme/{slug}/activity/{k}>"
        add(p, gb.deliveryActivity, node)
        add(node, A, gb.DeliveryActivity)
        add(node, gb.order, str(k))
        add(node, COMMENT, _en(f"Step {k} of a session: the practitioner works with the "
                               "parent and child on the week's topic."))
    steps = rng.randint(2, 3)
    for k in range(1, steps + 1):
        node = f"<programme/{slug}/theory-of-change/{k}>"
        add(p, gb.theoryOfChangeStep, node)
        add(node, A, gb.TheoryOfChangeStep)
        add(node, gb.order, str(k))
        if k >= steps - 1:
            add(node, gb.horizon, gbc["horizon-short-term" if k < steps else "horizon-long-term"])
        add(node, COMMENT, _en(f"Step {k} of the theory of change."))
    contact = f"<person/{slug}-contact>"
    org_slug, _ = rng.choice(_UNIVERSITIES)
    add(p, gb.contact, contact)
    add(contact, A, "foaf:Person")
    add(contact, "foaf:name", _lit(f"{rng.choice(_INITIALS)} {rng.choice(_FAMILY_NAMES)}"))
    add(contact, "foaf:mbox", f"<mailto:contact-{slug}@example.org>")
    add(contact, "schema:affiliation", f"<organisation/{org_slug}>")

    # outcomes: 1-3 child outcomes per programme, one family outcome
    child_outcomes = []
    for k, (label, domain, construct) in enumerate(
            rng.sample(_CHILD_OUTCOMES, rng.randint(1, 3)), start=1):
        node = f"<outcome/{slug}-{k}>"
        child_outcomes.append((node, construct))
        add(node, A, gb.Outcome)
        add(node, LABEL, _en(label))
        add(node, gb.outcomeDomain, gbc[domain])
        add(node, gb.beneficiary, gbc["beneficiary-child"])
    family = f"<outcome/{slug}-family>"
    add(family, A, gb.Outcome)
    add(family, LABEL, _en(rng.choice(_FAMILY_OUTCOMES)))
    add(family, gb.beneficiary, gbc["beneficiary-family"])
    add(p, gb.otherOutcome, family)
    add(p, "prov:wasDerivedFrom", source_page)

    # studies
    study_nodes: list[str] = []
    sample_nodes: list[str] = []
    finding_nodes: list[list[str]] = []
    references: list[str] = []
    study_references: list[list[str]] = []
    subgroups: list[str | None] = []
    people: dict[str, tuple[str, str]] = {}
    finding_no = 0
    for k, study in enumerate(spec.studies, start=1):
        s = f"<study/{slug}-{k}>"
        study_nodes.append(s)
        year = rng.randint(1988, 2022)
        lead = rng.choice(_FAMILY_NAMES)
        citation = f"{lead} et al ({year})"
        add(s, A, gb.Study)
        add(s, LABEL, _en(f"{name} study {k}: {citation}"))
        add(s, gb.evaluates, p)
        add(s, gb.studyNumber, _lit(str(k)))
        add(s, gb.shortCitation, _lit(citation))
        add(s, gb.design, gbc[f"design-{study.design}"])
        add(s, gb.rigorouslyConducted, _bool(study.rigorous))
        # Stated for every study (unstated is what real records do; the benchmark wants
        # ratings the evidence decides).
        add(s, gb.independentOfProvider, _bool(bool(study.provider_independent)))
        add(s, gb.country, "euc:GBR" if rng.random() < 0.3 else "euc:USA")
        sample = f"<study/{slug}-{k}/sample>"
        sample_nodes.append(sample)
        add(s, gb.sample, sample)
        add(sample, A, gb.Sample)
        add(sample, gb.sampleSize, str(study.sample_size))
        add(sample, LABEL, _en(f"{study.sample_size} families with a child under "
                               f"{max_age} months"))
        if rng.random() < 0.5:
            add(sample, gb.meanChildAgeMonths, f"{rng.uniform(1, max_age):.2f}")
        subgroup = None
        if rng.random() < 0.25:
            # like IPP's "137 of whom were at risk of maltreating their child"
            subgroup = f"<study/{slug}-{k}/sample/subgroup-1>"
            add(sample, gb.subgroup, subgroup)
            add(subgroup, A, gb.Subgroup)
            add(subgroup, LABEL, _en("families referred by children's services"))
            add(subgroup, gb.count, str(rng.randint(1, study.sample_size)))
        subgroups.append(subgroup)
        add(s, gb.studyRating, gbc[f"study-rating-{study.rating}" if study.rating > 1
                                   else "study-rating-nl2"])
        # arms
        arms = ["intervention", "control"] if study.design != "pre-post" else ["intervention"]
        for role in arms:
            arm = f"<study/{slug}-{k}/arm/{role}>"
            add(s, gb.arm, arm)
            add(arm, A, gb.StudyArm)
            add(arm, LABEL, _en(f"{role.capitalize()} group"))
            add(arm, gb.armRole, gbc[f"arm-{role}"])
        # findings and the measurements they rest on
        timings: dict[str, None] = {}
        measurements: dict[int, str] = {}
        nodes: list[str] = []
        positive_outcomes: dict[str, None] = {}
        for finding in study.findings:
            finding_no += 1
            f = f"<programme/{slug}/finding/{finding_no}>"
            nodes.append(f)
            outcome, construct = rng.choice(child_outcomes)
            pool = _INDEPENDENT if finding.independent else _DEPENDENT
            reusable = [i for i in measurements if _INSTRUMENTS[i] in pool]
            # Findings of one study mostly rest on the same one or two measurements.
            if reusable and rng.random() < 0.75:
                instrument_index = rng.choice(reusable)
            else:
                instrument_index = _INSTRUMENTS.index(rng.choice(pool))
            m = measurements.get(instrument_index)
            if m is None:
                inst_slug, _, kind = _INSTRUMENTS[instrument_index]
                m = f"<study/{slug}-{k}/measurement/{inst_slug}>"
                measurements[instrument_index] = m
                add(s, gb.measurement, m)
                add(m, A, gb.Measurement)
                add(m, gb.construct, _en(construct))
                add(m, gb.instrument, f"<instrument/{inst_slug}>")
                add(m, gb.measureKind, gbc[kind])
            timing = rng.choice(_LONG_TIMINGS if finding.long_term else _SHORT_TIMINGS)
            timings[timing] = None
            if finding.effect == "positive":
                g = rng.uniform(0.1, 1.2)
            elif finding.effect == "none":
                g = rng.uniform(-0.05, 0.05)
            else:
                g = -rng.uniform(0.1, 0.6)
            index = round(100 * 0.5 * (1 + math.erf(g / math.sqrt(2)))) - 50
            if finding.positive:
                positive_outcomes[outcome] = None
                index = max(index, 1)
            elif finding.effect != "positive":
                index = min(index, 0)
            direction = "direction-increase" if g >= 0 else "direction-reduction"
            add(p, gb.hasFinding, f)
            add(f, A, gb.Finding)
            add(f, gb.order, str(finding_no))
            add(f, gb.aboutOutcome, outcome)
            add(f, gb.basedOnStudy, s)
            add(f, gb.statement, _en(f"Effect size of {abs(g):.2f} on {construct.lower()}"))
            add(f, gb.changeValue, f"{abs(g):.2f}")
            add(f, gb.changeUnit, gbc["unit-effect-size"])
            add(f, gb.changeDirection, gbc[direction])
            add(f, gb.measurement, m)
            add(f, gb.improvementIndex, str(index))
            add(f, gb.timing, gbc[timing])
            add(f, gb.effect, gbc[f"effect-{finding.effect}"])
            add(f, gb.statisticallySignificant, _bool(finding.significant))
        finding_nodes.append(nodes)
        for timing in timings:
            add(s, gb.timing, gbc[timing])
        for outcome in positive_outcomes:
            add(s, gb.childOutcome, outcome)
        add(s, gb.otherOutcome, family)
        # references: 1-2 papers per study
        study_references.append([])
        for r in range(1, (2 if rng.random() < 0.12 else 1) + 1):
            ref = f"<reference/{slug}-{k}-{r}>"
            references.append(ref)
            study_references[-1].append(ref)
            add(s, gb.reportedIn, ref)
            authors = [lead, *rng.sample(_FAMILY_NAMES, rng.randint(0, 1))]
            author_nodes = []
            for family_name in dict.fromkeys(authors):
                initials = rng.choice(_INITIALS)
                person = f"<person/{family_name.lower()}-{initials.replace('.', '').lower()}>"
                people[person] = (family_name, initials)
                author_nodes.append(person)
            journal = rng.randrange(len(_JOURNALS))
            title = " ".join(rng.choice(words) for words in _TITLE_WORDS)
            ref_year = year + r - 1
            volume = ref_year - 1930
            first_page = rng.randint(1, 900)
            add(ref, A, gb.Reference)
            add(ref, A, "fabio:JournalArticle")
            add(ref, gb.citationText, _lit(
                f"{', '.join(people[a][0] + ', ' + people[a][1] for a in author_nodes)} "
                f"({ref_year}). {title}. {_JOURNALS[journal][1]}, {volume}, "
                f"{first_page}-{first_page + 14}."))
            add(ref, "dcterms:title", _lit(title))
            add(ref, "bibo:authorList", "( " + " ".join(author_nodes) + " )")
            for author in author_nodes:
                add(ref, "dcterms:creator", author)
            add(ref, "fabio:hasPublicationYear", f'"{ref_year}"^^xsd:gYear')
            add(ref, "dcterms:isPartOf", f"<journal/{_JOURNALS[journal][0]}>")
            add(ref, "bibo:volume", _lit(str(volume)))
            add(ref, "bibo:pageStart", _lit(str(first_page)))
            add(ref, "bibo:pageEnd", _lit(str(first_page + 14)))
        add(s, gb.designSummary, _en(_DESIGN_TEXT[study.design]))
        add(s, gb.findingsSummary, _en(
            "This study identified statistically significant positive impact on child "
            "outcomes." if any(f.positive for f in study.findings) else
            "This study found no statistically significant positive impact on child outcomes."))

    # the assessment
    rating = spec.rating
    add(assessment, A, gb.Assessment)
    add(assessment, LABEL, _en(f"EIF assessment of {name} ({review_title}, {review_date})"))
    add(assessment, gb.assesses, p)
    add(assessment, gb.partOfReview, f"<review/{review_slug}>")
    add(assessment, "prov:wasAttributedTo", eif)
    add(assessment, gb.providerAgreedToTerms, _bool(rng.random() < 0.8))
    add(assessment, gb.evidenceRating, gbc[rating.concept])
    add(assessment, gb.evidenceLevel, gbc[rating.level])
    add(assessment, gb.hasPlus, _bool(rating.plus))
    add(assessment, gb.mixedFindings, _bool(spec.mixed))
    add(assessment, gb.ratingNotation, _lit(rating.notation + ("*" if spec.mixed else "")))
    if spec.cost is not None:
        add(assessment, gb.costRating, gbc[spec.cost])
    add(assessment, gb.impactSummary, _en(f"{name} has evidence rated {rating.notation}."))
    for criterion in spec.unmet:
        add(assessment, gb.unmetCriterion, gbc[criterion])
    if spec.unmet:
        add(assessment, gb.notHigherExplanation, _en(
            "This programme does not receive a higher rating because not every criterion "
            "of the next level is met."))
    add(assessment, gb.evidenceSummary, _en(
        f"{name}'s evidence comes from {len(spec.studies)} studies."))
    for s in study_nodes:
        add(assessment, gb.considersStudy, s)
    add(assessment, gb.consideredStudiesComplete, "true")
    for ref in references:
        add(assessment, "cito:citesAsEvidence", ref)
    add(assessment, "dcterms:source", source_page)
    add(assessment, "prov:wasDerivedFrom", source_page)

    add(source_page, A, gb.SourcePage)
    add(source_page, "dcterms:title", _en(f"{name} - EIF Guidebook"))
    add(source_page, "dcterms:issued", f'"2023-{month}"^^xsd:gYearMonth')
    add(source_page, "dcterms:publisher", eif)
    # Reviews, journals, instruments, people and organisations are described once, in the
    # shared file (every statement has one home: load refuses a fact stated twice).
    return Built(spec, doc, p, assessment, study_nodes, sample_nodes, finding_nodes,
                 [s.findings for s in spec.studies], study_references, subgroups, people)


SHARED = "shared"


def shared_document(people: dict[str, tuple[str, str]]) -> Document:
    """The shared file: EIF, the reviews, journals, instruments and organisations, and the
    ``people`` the programmes cite."""
    doc = Document()
    add = doc.add
    eif = "<organisation/early-intervention-foundation>"
    add(eif, A, "foaf:Organization")
    add(eif, "foaf:name", _lit("Early Intervention Foundation"))
    add(eif, "foaf:homepage", "<https://www.eif.org.uk/>")
    for slug, title, date in _REVIEWS:
        review = f"<review/{slug}>"
        add(review, A, gb.Review)
        add(review, LABEL, _en(f"{title}, {date}"))
        add(review, "dcterms:title", _en(title))
        add(review, "dcterms:date", f'"{date}"^^xsd:gYearMonth')
        add(review, "dcterms:publisher", eif)
    for slug, title in _JOURNALS:
        add(f"<journal/{slug}>", A, "fabio:Journal")
        add(f"<journal/{slug}>", "dcterms:title", _lit(title))
    for slug, label, _ in _INSTRUMENTS:
        add(f"<instrument/{slug}>", A, gb.Instrument)
        add(f"<instrument/{slug}>", LABEL, _en(label))
    for slug, name in _UNIVERSITIES:
        add(f"<organisation/{slug}>", A, "foaf:Organization")
        add(f"<organisation/{slug}>", "foaf:name", _lit(name))
    for person, (family_name, initials) in sorted(people.items()):
        add(person, A, "foaf:Person")
        add(person, "foaf:familyName", _lit(family_name))
        add(person, "foaf:givenName", _lit(initials))
        add(person, "foaf:name", _lit(f"{family_name}, {initials}"))
    return doc


_DESIGN_TEXT = {
    "rct": "An RCT: families were randomly assigned to the programme or to a control group "
           "receiving services as usual.",
    "qed": "A quasi-experimental design: families receiving the programme were compared with "
           "a matched group who did not.",
    "pre-post": "A pre-post study: one group of families was measured before and after the "
                "programme, without a comparison group.",
}


# ------------------------------------------------------------------ injected errors

Expected = list[tuple[str, str]]  # (node as written in the file, prefixed path)
Mutation = Callable[["Built", dict[str, str]], Expected]


@dataclass(frozen=True)
class ErrorKind:
    """A kind of error the shapes catch, and how to put one into a built programme."""

    name: str
    description: str
    ratings: frozenset[str]  # programmes with these asserted ratings can take it
    needs: str | None  # a study role the programme must have
    inject: Mutation


def _study_with(built: Built, role: str, design: str | None = None) -> int:
    return next(k for k, s in enumerate(built.spec.studies)
                if s.role == role and (design is None or s.design == design))


def _a_finding(built: Built, positive: bool | None = None) -> str:
    """A finding of the programme (a positive child finding, a non-positive one, any)."""
    for nodes, specs in zip(built.findings, built.finding_specs, strict=True):
        for node, spec in zip(nodes, specs, strict=True):
            if positive is None or spec.positive == positive:
                return node
    return built.findings[0][0]


def _design_not_rigorous(b: Built, ctx: dict[str, str]) -> Expected:
    s = b.studies[_study_with(b, "nonrigorous-3")]
    b.doc.set(s, gb.design, gbc["design-pre-post"])
    return [(s, gb.studyRating)]


def _rating_not_recorded(b: Built, ctx: dict[str, str]) -> Expected:
    # A record without the ratings of its rigorous studies: level 3 cannot be checked.
    for study, spec in zip(b.studies, b.spec.studies, strict=True):
        if spec.role == "rigorous":
            b.doc.remove(study, gb.studyRating)
    return [(b.assessment, gb.derivationGap)]


def _follow_up_without_unit(b: Built, ctx: dict[str, str]) -> Expected:
    finding = _a_finding(b)
    b.doc.add(finding, gb.followUpValue, "18")
    return [(finding, gb.followUpValue)]


def _impact_contradicts_findings(b: Built, ctx: dict[str, str]) -> Expected:
    # A study rated NL2 with a positive finding: saying it had no impact on balance
    # contradicts the finding, and (rated NL2) changes no criterion of the rating.
    k = _study_with(b, "nl2", "pre-post")
    b.doc.set(b.studies[k], gb.childImpact, gbc["effect-none"])
    return [(b.studies[k], gb.childImpact)]


def _small_sample(b: Built, ctx: dict[str, str]) -> Expected:
    k = _study_with(b, "rated-2")
    b.doc.set(b.samples[k], gb.sampleSize, str(int(ctx["minimum_sample"]) - 1))
    subgroup = b.subgroups[k]
    if subgroup is not None:
        b.doc.set(subgroup, gb.count, "1")
    return [(b.studies[k], gb.studyRating)]


def _rigorous_pre_post(b: Built, ctx: dict[str, str]) -> Expected:
    s = b.studies[_study_with(b, "nl2", "pre-post")]
    b.doc.set(s, gb.rigorouslyConducted, "true")
    return [(s, gb.rigorouslyConducted)]


def _level_mismatch(b: Built, ctx: dict[str, str]) -> Expected:
    other = "level-2" if b.spec.rating.level != "level-2" else "level-3"
    b.doc.set(b.assessment, gb.evidenceLevel, gbc[other])
    return [(b.assessment, gb.evidenceLevel)]


def _plus_mismatch(b: Built, ctx: dict[str, str]) -> Expected:
    b.doc.set(b.assessment, gb.hasPlus, _bool(not b.spec.rating.plus))
    return [(b.assessment, gb.hasPlus)]


def _notation_mismatch(b: Built, ctx: dict[str, str]) -> Expected:
    notation = b.spec.rating.notation + ("*" if b.spec.mixed else "")
    b.doc.set(b.assessment, gb.ratingNotation, _lit(notation + "?"))
    return [(b.assessment, gb.ratingNotation)]


def _nl2_with_cost(b: Built, ctx: dict[str, str]) -> Expected:
    b.doc.add(b.assessment, gb.costRating, gbc["cost-2"])
    return [(b.assessment, gb.costRating)]


def _missing_cost(b: Built, ctx: dict[str, str]) -> Expected:
    b.doc.remove(b.assessment, gb.costRating)
    return [(b.assessment, gb.costRating)]


def _two_costs(b: Built, ctx: dict[str, str]) -> Expected:
    b.doc.add(b.assessment, gb.costRating, gbc["cost-1" if b.spec.cost != "cost-1" else "cost-2"])
    return [(b.assessment, gb.costRating)]


def _unmet_but_met(b: Built, ctx: dict[str, str]) -> Expected:
    b.doc.add(b.assessment, gb.unmetCriterion, gbc["criterion-level-2"])
    return [(b.assessment, gb.unmetCriterion)]


def _foreign_finding(b: Built, ctx: dict[str, str]) -> Expected:
    b.doc.add(b.programme, gb.hasFinding, ctx["foreign_finding"])
    return [(b.programme, gb.hasFinding)]


def _considers_foreign_study(b: Built, ctx: dict[str, str]) -> Expected:
    b.doc.add(b.assessment, gb.considersStudy, ctx["foreign_study"])
    return [(b.assessment, gb.considersStudy)]


def _one_way_link(b: Built, ctx: dict[str, str]) -> Expected:
    b.doc.remove(b.assessment, gb.assesses)
    return [(b.assessment, gb.assesses)]


def _negative_index(b: Built, ctx: dict[str, str]) -> Expected:
    f = _a_finding(b, positive=True)
    b.doc.set(f, gb.improvementIndex, "-7")
    return [(f, gb.improvementIndex)]


def _index_out_of_range(b: Built, ctx: dict[str, str]) -> Expected:
    f = _a_finding(b, positive=True)
    b.doc.set(f, gb.improvementIndex, "64")
    return [(f, gb.improvementIndex)]


def _ill_typed_index(b: Built, ctx: dict[str, str]) -> Expected:
    f = _a_finding(b)
    b.doc.set(f, gb.improvementIndex, '"high"^^xsd:integer')
    return [(f, gb.improvementIndex)]


def _measurement_of_other_study(b: Built, ctx: dict[str, str]) -> Expected:
    # Only in programmes rated below 3, where measurements do not change the rating.
    f = b.findings[0][0]
    other = b.doc.values(b.studies[1], gb.measurement)[0]
    b.doc.set(f, gb.measurement, other)
    return [(f, gb.measurement)]


def _mixed_flag_wrong(b: Built, ctx: dict[str, str]) -> Expected:
    b.doc.set(b.assessment, gb.mixedFindings, _bool(not b.spec.mixed))
    # the rating disagrees with the evidence, and the notation with the stated flag
    return [(b.assessment, gb.evidenceRating), (b.assessment, gb.ratingNotation)]


def _subgroup_too_big(b: Built, ctx: dict[str, str]) -> Expected:
    k = next((k for k, g in enumerate(b.subgroups) if g is not None), 0)
    subgroup = b.subgroups[k] or f"<study/{b.spec.slug}-{k + 1}/sample/subgroup-1>"
    if b.subgroups[k] is None:
        b.doc.add(b.samples[k], gb.subgroup, subgroup)
        b.doc.add(subgroup, A, gb.Subgroup)
        b.doc.add(subgroup, LABEL, _en("families referred by children's services"))
    b.doc.set(subgroup, gb.count, str(b.spec.studies[k].sample_size + 5))
    return [(b.samples[k], gb.subgroup)]


def _claims(key: str) -> Mutation:
    """Assert rating ``key`` consistently (level, plus, notation, cost) where the
    studies do not support it."""
    def inject(b: Built, ctx: dict[str, str]) -> Expected:
        rating = RATINGS[key]
        a = b.assessment
        b.doc.set(a, gb.evidenceRating, gbc[rating.concept])
        b.doc.set(a, gb.evidenceLevel, gbc[rating.level])
        b.doc.set(a, gb.hasPlus, _bool(rating.plus))
        b.doc.set(a, gb.ratingNotation, _lit(rating.notation + ("*" if b.spec.mixed else "")))
        if rating.costed and not b.doc.values(a, gb.costRating):
            b.doc.add(a, gb.costRating, gbc["cost-na"])
        b.doc.remove(a, gb.unmetCriterion)
        return [(a, gb.evidenceRating)]

    return inject


def _positive_findings(b: Built, flag: str) -> Iterator[str]:
    for nodes, specs in zip(b.findings, b.finding_specs, strict=True):
        for node, spec in zip(nodes, specs, strict=True):
            if spec.positive and getattr(spec, flag):
                yield node


def _no_long_term(b: Built, ctx: dict[str, str]) -> Expected:
    # A level-4 programme whose long-term findings are moved to the post-test.
    for node in _positive_findings(b, "long_term"):
        b.doc.set(node, gb.timing, gbc["timing-post-test"])
    return [(b.assessment, gb.evidenceRating)]


def _no_independent_measure(b: Built, ctx: dict[str, str]) -> Expected:
    # A level-4 programme whose independent measures turn out to be parent reports.
    for node in _positive_findings(b, "independent"):
        for measurement in b.doc.values(node, gb.measurement):
            b.doc.set(measurement, gb.measureKind, gbc["measure-parent-report"])
    return [(b.assessment, gb.evidenceRating)]


def _core(subject: Callable[[Built], str], predicate: str, value: str | None,
          add: bool = False) -> Mutation:
    """A structural error: replace (or add) one value of one resource."""
    def inject(b: Built, ctx: dict[str, str]) -> Expected:
        node = subject(b)
        if value is None:
            b.doc.remove(node, predicate)
        elif add:
            b.doc.add(node, predicate, value)
        else:
            b.doc.set(node, predicate, value)
        return [(node, predicate)]

    return inject


_ALL = frozenset(RATINGS)
_COSTED = frozenset(k for k, r in RATINGS.items() if r.costed)
_POSITIVE = _ALL - {"NE"}
_BELOW_3 = frozenset({"NL2", "NE", "2", "2+"})
_WITH_OTHER_STUDIES = frozenset({"2", "2+", "3+", "4", "4+"})


def _programme(b: Built) -> str:
    return b.programme


ERROR_KINDS: tuple[ErrorKind, ...] = (
    # the evidence standards (shapes/evidence.ttl)
    ErrorKind("design-not-rigorous", "a study rated 3 whose design is not an RCT or QED",
              _WITH_OTHER_STUDIES, "nonrigorous-3", _design_not_rigorous),
    ErrorKind("rating-not-derivable", "a rigorous study whose rating is not recorded (info)",
              frozenset({"3", "3+", "4", "4+"}), None, _rating_not_recorded),
    ErrorKind("follow-up-without-unit", "a finding's follow-up without its time unit",
              _ALL, None, _follow_up_without_unit),
    ErrorKind("impact-contradicts-findings",
              "a study said to have no child impact beside its positive finding (warning)",
              _POSITIVE - {"NL2"}, "nl2-pre-post", _impact_contradicts_findings),
    ErrorKind("sample-below-minimum",
              "a study rated 2 whose sample is smaller than the level-2 minimum",
              _WITH_OTHER_STUDIES, "rated-2", _small_sample),
    ErrorKind("rigorous-without-design",
              "a study marked rigorously conducted whose design is pre-post",
              _POSITIVE, "nl2-pre-post", _rigorous_pre_post),
    ErrorKind("negative-index", "a positive finding with a negative improvement index",
              _POSITIVE, None, _negative_index),
    ErrorKind("measurement-of-other-study",
              "a finding resting on a measurement of another study (warning)",
              _BELOW_3 - {"NE"}, None, _measurement_of_other_study),
    ErrorKind("foreign-finding", "a programme showing a finding of another programme's study",
              _ALL, None, _foreign_finding),
    ErrorKind("one-way-assessment-link", "an assessment that does not name its programme",
              _ALL, None, _one_way_link),
    ErrorKind("considers-foreign-study",
              "an assessment considering a study of another programme (warning)",
              _ALL, None, _considers_foreign_study),
    ErrorKind("claims-level-2", "rating 2 without a study rated 2 or better",
              frozenset({"NL2"}), None, _claims("2")),
    ErrorKind("claims-level-3", "rating 3 without a rigorous study rated 3",
              frozenset({"2", "2+"}), None, _claims("3")),
    ErrorKind("claims-level-4", "rating 4 short of the level-4 criteria",
              frozenset({"3", "3+"}), None, _claims("4")),
    ErrorKind("level-4-without-long-term", "rating 4 without a long-term child outcome",
              frozenset({"4", "4+"}), None, _no_long_term),
    ErrorKind("level-4-without-independent-measure",
              "rating 4 without a measure independent of participants",
              frozenset({"4", "4+"}), None, _no_independent_measure),
    ErrorKind("claims-plus-2", "2+ without a study rated 2 with an RCT or QED design",
              frozenset({"2"}), None, _claims("2+")),
    ErrorKind("claims-plus-3", "3+ without another study rated 2 or better",
              frozenset({"3"}), None, _claims("3+")),
    ErrorKind("claims-plus-4", "4+ without two studies rated 4, one independent",
              frozenset({"4"}), None, _claims("4+")),
    ErrorKind("claims-not-effective", "NE beside a positive child finding",
              frozenset({"NL2"}), None, _claims("NE")),
    ErrorKind("mixed-flag-wrong", "a mixed-findings flag the studies contradict",
              _ALL, None, _mixed_flag_wrong),
    ErrorKind("level-mismatch", "an assessment level that is not its rating's level",
              _ALL, None, _level_mismatch),
    ErrorKind("plus-mismatch", "an assessment plus flag that is not its rating's",
              _ALL, None, _plus_mismatch),
    ErrorKind("notation-mismatch", "a rating notation that is not the rating's notation",
              _ALL, None, _notation_mismatch),
    ErrorKind("nl2-with-cost", "an NL2 assessment with a cost rating",
              frozenset({"NL2"}), None, _nl2_with_cost),
    ErrorKind("missing-cost", "an assessment above NL2 without a cost rating",
              _COSTED, None, _missing_cost),
    ErrorKind("unmet-but-met", "an unmet criterion that the evidence meets",
              _ALL - _BELOW_3 | {"2", "2+"}, None, _unmet_but_met),
    ErrorKind("subgroup-exceeds-sample", "a subgroup counting more than its whole sample",
              _ALL, None, _subgroup_too_big),
    # the structure of every class (shapes/structure.ttl): one of each constraint kind
    ErrorKind("missing-label", "a programme without a name (sh:minCount)",
              _ALL, None, _core(_programme, LABEL, None)),
    ErrorKind("two-acronyms", "a programme with two acronyms (sh:maxCount)",
              _ALL, None, _core(_programme, gb.acronym, _lit("XYZ"), add=True)),
    ErrorKind("two-costs", "an assessment with two cost ratings (sh:maxCount)",
              _COSTED, None, _two_costs),
    ErrorKind("not-a-boolean", "a yes/no fact written as text (sh:datatype)",
              _ALL, None, _core(_programme, gb.implementedInUK, _lit("yes"))),
    ErrorKind("ill-typed-index", "an improvement index that is not a number (ill-typed)",
              _ALL, None, _ill_typed_index),
    ErrorKind("concept-of-wrong-scheme", "a delivery model that is a setting (sh:node)",
              _ALL, None, _core(_programme, gb.deliveryModel, gbc["setting-home"])),
    ErrorKind("contact-not-a-person", "a contact that is an organisation (sh:class)",
              _ALL, None, _core(_programme, gb.contact,
                                "<organisation/early-intervention-foundation>")),
    ErrorKind("bad-volume", "a journal volume that is not a number (sh:pattern)",
              _ALL, None, _core(lambda b: b.references[0][0], "bibo:volume", _lit("vol. 7"))),
    ErrorKind("two-english-labels", "a study with two English labels (sh:uniqueLang)",
              _ALL, None, _core(lambda b: b.studies[0], LABEL, _en("Another name"), add=True)),
    ErrorKind("no-sessions", "a session count of 0 (sh:minExclusive)",
              _ALL, None, _core(_programme, gb.sessionCount, "0")),
    ErrorKind("index-out-of-range", "an improvement index above 50 (sh:maxInclusive)",
              _POSITIVE, None, _index_out_of_range),
    ErrorKind("session-hours-reversed",
              "a shortest session longer than the longest (sh:lessThanOrEquals)",
              _ALL, None, _core(_programme, gb.sessionMinHours, "3.0")),
    ErrorKind("source-as-text", "a source web address written as text (sh:nodeKind)",
              _ALL, None, _core(_programme, "prov:wasDerivedFrom",
                                _lit("https://guidebook.eif.org.uk/"))),
    ErrorKind("date-as-text", "a publication date written as plain text (sh:or)",
              _ALL, None, _core(lambda b: f"<https://guidebook.eif.org.uk/programme/{b.spec.slug}>",
                                "dcterms:issued", _lit("June 2023"))),
    # the vocabulary (shapes/vocabulary.ttl)
    ErrorKind("undeclared-term", "a property of the gb: namespace the ontology does not declare",
              _ALL, None, _core(_programme, "gb:colour", _lit("red"), add=True)),
)


def _draw_rating(seed: int, index: int) -> str:
    # The first draw of the programme's own generator, as programme_spec makes it.
    return str(_weighted(random.Random(f"{seed}:{index}"), RATING_WEIGHTS))


def plan_errors(seed: int, n: int, *, dense: bool = False,
                kinds: tuple[ErrorKind, ...] = ERROR_KINDS) -> dict[int, list[ErrorKind]]:
    """Which programmes get which errors: every kind once.

    Spread (the default): one error per programme, so each result can be traced to one
    error. Dense: the errors packed into as few programmes as their ratings allow, for a
    small graph that still breaks every shape (results then also come from how errors in
    one programme combine).
    """
    rng = random.Random(f"{seed}:inject")
    # Programme 1 stays clean: other programmes point at its finding and study.
    order = list(range(2, n + 1))
    rng.shuffle(order)
    ratings = {i: _draw_rating(seed, i) for i in order}
    plan: dict[int, list[ErrorKind]] = {}
    for kind in kinds:
        candidates = [i for i in order if ratings[i] in kind.ratings
                      and (dense or i not in plan)]
        if not candidates:
            raise UsageError(
                f"{n} programmes are too few to inject an error of kind {kind.name!r}",
                hint="generate more programmes: each kind needs a programme whose rating "
                "it can break (100 are enough for every seed tried)",
            )
        chosen = min(candidates, key=lambda i: len(plan.get(i, ()))) if dense else candidates[0]
        plan.setdefault(chosen, []).append(kind)
    return plan


# ------------------------------------------------------------------ writing a project


# Programmes are derived this many at a time: one store per batch keeps memory flat.
BATCH = 500


def programmes(n: int, seed: int = 0, *, inject_errors: bool = False, dense: bool = False,
               minimum_sample: int = 20, standards: Project | None = None,
               ) -> Iterator[tuple[Built, list[InjectedError]]]:
    """Build programmes 1..n (with their injected errors), in order.

    With ``standards`` (a project: its ontology, derivation steps and views), each
    assessment states the rating the evidence standards derive from its studies; without
    it, the rating the recipe aimed at (what the tests of the recipes compare with).
    """
    if n < 1:
        raise UsageError("the number of programmes must be at least 1")
    plan = plan_errors(seed, n, dense=dense) if inject_errors else {}
    first = f"{SLUG_PREFIX}{1:05d}"
    ctx = {
        "minimum_sample": str(minimum_sample),
        "foreign_finding": f"<programme/{first}/finding/1>",
        "foreign_study": f"<study/{first}-1>",
    }
    for start in range(1, n + 1, BATCH):
        batch = []
        for index in range(start, min(start + BATCH, n + 1)):
            kinds = plan.get(index, [])
            needs = frozenset(k.needs for k in kinds if k.needs)
            spec = programme_spec(seed, index, minimum_sample=minimum_sample, needs=needs)
            batch.append((build_programme(spec), kinds))
        if standards is not None:
            settle_ratings([built for built, _ in batch], standards)
        for built, kinds in batch:
            errors = []
            for kind in kinds:
                expected = kind.inject(built, ctx)
                errors.append(InjectedError(
                    kind.name, built.spec.slug, kind.description,
                    tuple((iri(node) if node.startswith("<") else node, _expand(path))
                          for node, path in expected),
                ))
            yield built, errors


def settle_ratings(batch: list[Built], standards: Project) -> None:
    """Make each assessment state the rating, '*' and unmet criteria that the evidence
    standards of ``standards`` derive from its studies (and update the specs to match)."""
    from guidebook_kg import derive, views
    from guidebook_kg.prefixes import ONTOLOGY_GRAPH, PROGRAMME_GRAPH_BASE

    store = ox.Store()
    for path in standards.ontology_files():
        store.load(path=path, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(ONTOLOGY_GRAPH))
    for built in batch:
        store.load(built.doc.turtle().encode("utf-8"), format=ox.RdfFormat.TURTLE,
                   base_iri=ID, to_graph=ox.NamedNode(PROGRAMME_GRAPH_BASE + built.spec.slug))
    derive.derive(store, standards.derivation_files())
    ratings = {
        r.assessment: r
        for r in views.rate(views.LocalEngine(store), views.load_views(standards), explain=True)
    }
    for built in batch:
        found = ratings.get(iri(built.assessment))
        spec = built.spec
        aimed = spec.rating.notation + ("*" if spec.mixed else "")
        if found is not None and found.derived is not None:
            notation = found.derived
        elif found is not None and spec.rating.notation in found.possible and found.gaps:
            # Some recipes leave a fact unstated on purpose (independence from the
            # provider): the record then allows the rating the recipe aimed at.
            notation = aimed
        else:
            raise InputError(
                f"synthetic programme {spec.slug}: its studies do not allow the rating "
                f"{aimed} its recipe aims at",
                hint="the recipes in guidebook_kg.synthetic no longer match ontology/"
                "standards.ttl; change the recipe",
            )
        rating = RATINGS[notation.rstrip("*")]
        spec.rating, spec.mixed = rating, notation.endswith("*")
        spec.unmet = sorted(
            c.iri.removeprefix(GBC.namespace) for c in found.criteria if c.why_not_higher
        )
        if not rating.costed:
            spec.cost = None
        elif spec.cost is None:
            spec.cost = random.Random(f"cost:{spec.slug}").choice(_COSTS)
        _state_rating(built)


def _state_rating(built: Built) -> None:
    """Write the spec's rating, '*', cost and unmet criteria into the assessment."""
    doc, a, spec, rating = built.doc, built.assessment, built.spec, built.spec.rating
    doc.set(a, gb.evidenceRating, gbc[rating.concept])
    doc.set(a, gb.evidenceLevel, gbc[rating.level])
    doc.set(a, gb.hasPlus, _bool(rating.plus))
    doc.set(a, gb.mixedFindings, _bool(spec.mixed))
    doc.set(a, gb.ratingNotation, _lit(rating.notation + ("*" if spec.mixed else "")))
    doc.remove(a, gb.costRating)
    if spec.cost is not None:
        doc.add(a, gb.costRating, gbc[spec.cost])
    doc.remove(a, gb.unmetCriterion)
    doc.remove(a, gb.notHigherExplanation)
    for criterion in spec.unmet:
        doc.add(a, gb.unmetCriterion, gbc[criterion])
    if spec.unmet:
        doc.add(a, gb.notHigherExplanation, _en(
            "This programme does not receive a higher rating because not every criterion "
            "of the next level is met."))


def _expand(prefixed: str) -> str:
    prefix, local = prefixed.split(":", 1)
    return PREFIXES[prefix] + local


def minimum_sample_size(project: Project) -> int:
    """``gb:level2MinimumSampleSize`` as the project's ontology states it."""
    store = ox.Store()
    for path in project.ontology_files():
        store.load(path=path, format=ox.RdfFormat.TURTLE)
    values = [q.object for q in store.quads_for_pattern(
        None, ox.NamedNode(GB.level2MinimumSampleSize), None)]
    if len(values) != 1 or not isinstance(values[0], ox.Literal):
        raise InputError(
            f"{where(project.ontology_dir)}: expected one gb:level2MinimumSampleSize, "
            f"found {len(values)}",
            hint="state the number once, on the evidence standard in ontology/standards.ttl",
        )
    return int(values[0].value)


def _quiet(message: str) -> None:
    return None


def generate(n: int, out: Path, *, seed: int = 0, inject_errors: bool = False,
             dense: bool = False, source: Project,
             progress: Progress = _quiet) -> SyntheticSet:
    """Write a project folder ``out`` with ``n`` synthetic programmes.

    ``out`` gets copies of the ontology, shapes and queries of ``source`` and one data
    file per programme, plus ``synthetic.json`` (seed, ratings, injected errors). The
    folder appears complete or not at all: it is written beside ``out`` and renamed.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{where(out)} already exists and is not empty",
                         hint="choose a new folder or remove this one")
    minimum = minimum_sample_size(source)
    tmp = out.parent / f".{out.name}.{os.getpid()}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        target = Project(tmp)
        for src, dst in ((source.ontology_dir, target.ontology_dir),
                         (source.shapes_dir, target.shapes_dir),
                         (source.queries_dir, target.queries_dir)):
            if src.is_dir():
                shutil.copytree(src, dst)
            else:
                dst.mkdir(parents=True)
        target.data_dir.mkdir(parents=True)
        result = SyntheticSet(out, n, seed, 0)
        people: dict[str, tuple[str, str]] = {}
        with counting(progress, "Writing programmes", n) as advance:
            for built, errors in programmes(n, seed, inject_errors=inject_errors, dense=dense,
                                            minimum_sample=minimum, standards=source):
                (target.data_dir / f"{built.spec.slug}.ttl").write_text(
                    built.doc.turtle(), encoding="utf-8")
                result.triples += built.doc.triple_count()
                people.update(built.people)
                result.ratings[built.spec.slug] = (
                    built.spec.rating.notation + ("*" if built.spec.mixed else ""))
                result.errors.extend(errors)
                advance(1)
        shared = shared_document(people)
        (target.data_dir / f"{SHARED}.ttl").write_text(shared.turtle(), encoding="utf-8")
        result.triples += shared.triple_count()
        manifest = {
            "programmes": n, "seed": seed, "triples": result.triples,
            "ratings": result.ratings, "errors": [asdict(e) for e in result.errors],
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return result


def load_manifest(root: Path) -> dict[str, Any]:
    """The ``synthetic.json`` a generated project carries."""
    path = Path(root) / MANIFEST
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{where(path)}: no such file",
                         hint="generate the project with `guidebook synth`") from None
    return data
