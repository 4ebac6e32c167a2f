# ruff: noqa: E501  (a table of facts: one fact a line reads best)
"""Facts of the IPP Guidebook page (the seed), each as a SPARQL ASK and as page text.

The graph test asks each question of the loaded graph; the page test looks for the text
in the rendered page. Prefixes come from the project's prefix table; ``ipp:`` abbreviates
the programme's IRI space, ``euc:`` the EU country table.
"""

from __future__ import annotations

from dataclasses import dataclass

from guidebook_kg.prefixes import PREFIXES

IPP = "https://w3id.org/guidebook-kg/id/"


@dataclass(frozen=True)
class SeedFact:
    name: str
    ask: str
    page: tuple[str, ...] = ()


def sparql(body: str) -> str:
    """An ASK query with the project's prefixes."""
    header = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
    header += f"PREFIX id: <{IPP}>\n"
    header += "PREFIX euc: <http://publications.europa.eu/resource/authority/country/>\n"
    return header + "ASK {\n" + body + "\n}"


P = "<https://w3id.org/guidebook-kg/id/programme/infant-parent-psychotherapy>"
A = "<https://w3id.org/guidebook-kg/id/programme/infant-parent-psychotherapy/assessment/2016-07>"
S1 = "<https://w3id.org/guidebook-kg/id/study/lieberman-1991>"
S2 = "<https://w3id.org/guidebook-kg/id/study/cicchetti-2006>"


def finding(statement: str, index: int, timing: str, long_term: bool, study: str) -> str:
    lt = "true" if long_term else "false"
    return f"""{P} gb:hasFinding ?f . ?f gb:statement ?s ; gb:improvementIndex {index} ;
      gb:timing ?t ; gb:basedOnStudy {study} ; gb:effect gbc:effect-positive ;
      gb:longTerm {lt} .
    ?t skos:prefLabel ?tl . FILTER(?t = gbc:{timing})
    FILTER(STR(?s) = "{statement}")"""


FACTS: list[SeedFact] = [
    # identity
    SeedFact("name and acronym", f'{P} a gb:Programme ; rdfs:label "Infant-Parent Psychotherapy"@en ; gb:acronym "IPP" .',
             ("Infant-Parent Psychotherapy", "IPP")),
    SeedFact("description", f'{P} dcterms:description ?d . FILTER(CONTAINS(STR(?d), "psychoanalytic intervention targeting mother-infant dyads"))',
             ("psychoanalytic intervention targeting mother-infant dyads",)),
    SeedFact("aim: measured by the Strange Situation", f'{P} gb:aim ?a . FILTER(CONTAINS(STR(?a), "shift an insecure to a secure attachment"))',
             ("shift an insecure to a secure attachment",)),
    SeedFact("scope note: not psychotherapy in general", f'{P} skos:scopeNote ?n . FILTER(CONTAINS(STR(?n), "psychotherapy with children as a broader practice"))',
             ("psychotherapy with children as a broader practice",)),
    SeedFact("infants under six months", f"{P} gb:maxChildAgeMonths 6.0 .", ("six months",)),
    SeedFact("review: Foundations for Life, July 2016", f'{A} gb:partOfReview ?r . ?r dcterms:title "Foundations for Life"@en ; dcterms:date "2016-07"^^xsd:gYearMonth .',
             ("Foundations for Life", "July 2016")),
    SeedFact("page published January 2023", f'{A} prov:wasDerivedFrom ?page . ?page dcterms:issued "2023-01"^^xsd:gYearMonth .',
             ("January 2023",)),
    SeedFact("source page URL", f"{A} dcterms:source <https://guidebook.eif.org.uk/programme/infant-parent-psychotherapy> .",
             ("https://guidebook.eif.org.uk/programme/infant-parent-psychotherapy",)),
    SeedFact("provider agreed to terms of reference", f"{A} gb:providerAgreedToTerms true .", ("terms of reference",)),
    # ratings
    SeedFact("evidence rating 3+", f'{A} gb:assesses {P} ; gb:evidenceRating gbc:rating-3-plus ; gb:evidenceLevel gbc:level-3 ; gb:hasPlus true ; gb:ratingNotation "3+" .',
             ("3+",)),
    SeedFact("no mixed findings", f"{A} gb:mixedFindings false ."),
    SeedFact("cost rating NA", f"{A} gb:costRating gbc:cost-na . gbc:cost-na skos:notation \"NA\" .",
             ("NA", "not available")),
    SeedFact("short-term positive impact", f'{A} gb:impactSummary ?s . FILTER(CONTAINS(STR(?s), "short-term positive impact"))',
             ("short-term positive impact",)),
    SeedFact("why not 4: not replicated", f'{A} gb:unmetCriterion gbc:criterion-replicated ; gb:notHigherExplanation ?e . FILTER(CONTAINS(STR(?e), "not yet replicated"))',
             ("not yet replicated",)),
    SeedFact("what level 3 means", 'gbc:level-3 skos:definition ?d . FILTER(CONTAINS(STR(?d), "rigorously conducted RCT or QED"))',
             ("rigorously conducted RCT or QED",)),
    SeedFact("what the plus means", 'gbc:rating-3-plus skos:definition ?d . FILTER(CONTAINS(STR(?d), "other studies rated 2 or better"))',
             ("other studies rated 2 or better",)),
    SeedFact("about the evidence: two RCTs in the US", f'{A} gb:evidenceSummary ?s . FILTER(CONTAINS(STR(?s), "two RCTs which were conducted in the US"))',
             ("two RCTs which were conducted in the US",)),
    # child outcomes
    SeedFact("domain: mental health and wellbeing", f"{P} gb:hasFinding ?f . ?f gb:aboutOutcome/gb:specialises? ?o . ?o rdfs:label \"Improved attachment security\"@en ; gb:outcomeDomain gbc:domain-mental-health . gbc:domain-mental-health skos:prefLabel \"Supporting children's mental health and wellbeing\"@en .",
             ("Supporting children's mental health and wellbeing", "Improved attachment security")),
    SeedFact("improved attachment security based on study 1", f"{P} gb:hasFinding ?f . ?f gb:basedOnStudy {S1} ; gb:aboutOutcome ?o . ?o rdfs:label \"Improved attachment security\"@en .",
             ("Based on study 1",)),
    SeedFact("40.9 points, index +50, immediately after", finding("40.9-percentage point increase in proportion of participants with secure attachment", 50, "timing-post-test", False, S2),
             ("40.9-percentage point increase", "+50", "Immediately after the intervention")),
    SeedFact("40.9 is a percentage-point increase", f"{P} gb:hasFinding ?f . ?f gb:changeValue 40.9 ; gb:changeUnit gbc:unit-percentage-points ; gb:changeDirection gbc:direction-increase ."),
    SeedFact("28.7 points, index +33, a year later, long-term", finding("28.7-percentage point increase in proportion of participants with secure attachment", 33, "timing-one-year-follow-up", True, S2),
             ("28.7-percentage point increase", "+33", "A year later", "Long-term")),
    SeedFact("38.6 points insecure to secure, index +50", finding("38.6-percentage point increase in proportion of participants moving from insecure to secure attachment", 50, "timing-post-test", False, S2),
             ("38.6-percentage point increase", "% changing from insecure to secure")),
    SeedFact("34.5 points reduction in stable disorganised, index +32", finding("34.5-percentage point reduction in proportion of participants with stable disorganised attachment", 32, "timing-post-test", False, S2)
             + " ?f gb:changeDirection gbc:direction-reduction .",
             ("34.5-percentage point reduction", "+32", "% stable disorganised")),
    SeedFact("measured by coded observation of the Strange Situation", f'{P} gb:hasFinding ?f . ?f gb:measureDescription "coded observation of Ainsworth\'s Strange Situation"@en ; gb:measurement/gb:instrument/rdfs:label "Ainsworth\'s Strange Situation"@en .',
             ("coded observation of Ainsworth's Strange Situation",)),
    SeedFact("other outcome: increased empathic behaviour", f'{P} gb:otherOutcome ?o . ?o rdfs:label "Increased empathic behaviour"@en ; gb:beneficiary gbc:beneficiary-family .',
             ("Increased empathic behaviour",)),
    # key characteristics
    SeedFact("age group: infants", f'{P} gb:ageGroup ?g . ?g skos:prefLabel "Infants"@en .', ("Infants",)),
    SeedFact("delivery model: individual", f'{P} gb:deliveryModel ?m . ?m skos:prefLabel "Individual"@en .', ("Individual",)),
    SeedFact("setting of the evidence and possible setting: home", f'{P} gb:evidenceSetting gbc:setting-home ; gb:possibleSetting gbc:setting-home .', ("Home",)),
    SeedFact("targeted indicated", f'{P} gb:targeting ?t . ?t skos:prefLabel "Targeted indicated"@en .', ("Targeted indicated",)),
    SeedFact("implemented in the United States", f'{P} gb:implementedIn euc:USA . euc:USA skos:prefLabel "United States"@en .', ("United States",)),
    SeedFact("not implemented or evaluated in the UK, in no spotlight set", f"{P} gb:implementedInUK false ; gb:evaluatedInUK false ; gb:inAnySpotlightSet false .",
             ("not been implemented in the UK", "does not include evaluation conducted in the UK", "Spotlight set")),
    # delivery
    SeedFact("32 sessions of 1 to 1.5 hours, one clinical practitioner", f'{P} gb:sessionCount 32 ; gb:sessionMinHours 1.0 ; gb:sessionMaxHours 1.5 ; gb:practitionerCount 1 ; gb:practitionerRole "clinical practitioner"@en .',
             ("32 sessions", "1 to 1.5 hours", "clinical practitioner")),
    SeedFact("weekly, 12 months or longer", f"{P} gb:sessionFrequency gbc:frequency-weekly ; gb:minDurationMonths 12.0 ; gb:durationOpenEnded true .",
             ("weekly", "12 months or longer")),
    SeedFact("practitioner: Masters or higher, NFQ-9/10", f'{P} gb:practitionerQualification gbc:qualification-nfq-9-10 ; gb:practitionerQualificationNote ?q . FILTER(CONTAINS(STR(?q), "Masters (or higher)"))',
             ("Masters (or higher)", "NFQ-9/10")),
    SeedFact("92 hours of training, booster recommended", f"{P} gb:trainingHours 92.0 ; gb:boosterTraining gbc:requirement-recommended .",
             ("92 hours", "Booster training")),
    SeedFact("supervision: one host agency supervisor, NFQ-9/10, 92 hours", f'{P} gb:supervision gbc:requirement-recommended ; gb:supervisorCount 1 ; gb:supervisorRole "host agency supervisor"@en ; gb:supervisorQualification gbc:qualification-nfq-9-10 ; gb:supervisorTrainingHours 92.0 .',
             ("host agency supervisor",)),
    SeedFact("fidelity systems: not available", f"{P} gb:fidelityInformationAvailable false .", ("fidelity",)),
    SeedFact("no licence required", f"{P} gb:licenceRequired false .", ("no licence required",)),
    SeedFact("delivery activities in order", f'{P} gb:deliveryActivity ?a . ?a gb:order 2 ; rdfs:comment ?c . FILTER(CONTAINS(STR(?c), "empathic, non-didactic support"))',
             ("empathic, non-didactic support",)),
    SeedFact("theory of change: five ordered steps, short and long term", f'{P} gb:theoryOfChangeStep ?s1, ?s4, ?s5 . ?s1 gb:order 1 . ?s4 gb:order 4 ; gb:horizon gbc:horizon-short-term . ?s5 gb:order 5 ; gb:horizon gbc:horizon-long-term ; rdfs:comment ?c . FILTER(CONTAINS(STR(?c), "reduced risk of child maltreatment"))',
             ("Positive and sensitive parent/child interactions", "reduced risk of child maltreatment")),
    SeedFact("contact: Chandra Ghosh, UCSF", f'{P} gb:contact ?c . ?c foaf:name "Chandra Ghosh" ; foaf:mbox <mailto:chandra.ghosh@ucsf.edu> ; schema:affiliation/foaf:name "University of California San Francisco" .',
             ("Chandra Ghosh", "chandra.ghosh@ucsf.edu", "University of California San Francisco")),
    # study 1
    SeedFact("study 1: Lieberman et al (1991), RCT, United States, rated 3", f'{S1} gb:evaluates {P} ; gb:studyNumber "1" ; gb:shortCitation "Lieberman et al (1991)" ; gb:design gbc:design-rct ; gb:country euc:USA ; gb:studyRating gbc:study-rating-3 ; gb:timing gbc:timing-post-test .',
             ("Study 1", "Lieberman et al (1991)", "RCT")),
    SeedFact("study 1 sample: 100 Spanish-speaking mothers, toddlers 12-24 months", f'{S1} gb:sample ?s . ?s gb:sampleSize 100 ; gb:minChildAgeMonths 12.0 ; gb:maxChildAgeMonths 24.0 ; rdfs:label ?l . FILTER(CONTAINS(STR(?l), "Spanish-speaking mothers at risk of depression"))',
             ("100 Spanish-speaking mothers at risk of depression", "Mexico or Central America")),
    SeedFact("study 1 arms: IPP, no additional therapy, secure group", f"{S1} gb:arm ?a, ?b, ?c . ?a gb:armRole gbc:arm-intervention . ?b gb:armRole gbc:arm-control . ?c gb:armRole gbc:arm-reference-group .",
             ("no additional therapy", "securely attached")),
    SeedFact("study 1 measures: Q-sort by direct assessment, Maternal Attitude Scale by parent report", f'{S1} gb:measurement ?m1, ?m2 . ?m1 gb:instrument/rdfs:label "Attachment Q-sort"@en ; gb:measureKind gbc:measure-direct-assessment . ?m2 gb:instrument/rdfs:label "Maternal Attitude Scale (Spanish version)"@en ; gb:measureKind gbc:measure-parent-report .',
             ("Attachment Q-sort", "Maternal Attitude Scale", "parent report")),
    SeedFact("study 1 reference: Child Development 62, 199-209", f'{S1} gb:reportedIn ?r . ?r dcterms:title "Preventive intervention and outcome with anxiously attached dyads" ; fabio:hasPublicationYear "1991"^^xsd:gYear ; bibo:volume "62" ; bibo:pageStart "199" ; bibo:pageEnd "209" ; dcterms:isPartOf/dcterms:title "Child Development" ; schema:url <https://www.jstor.org/stable/1130715?seq=1#page_scan_tab_contents> .',
             ("Preventive intervention and outcome with anxiously attached dyads", "Child Development", "199-209")),
    SeedFact("study 1 reference authors in order", f"{S1} gb:reportedIn ?r . ?r bibo:authorList (?a ?b ?c) . ?a foaf:familyName \"Lieberman\" . ?b foaf:familyName \"Weston\" . ?c foaf:familyName \"Pawl\" .",
             ("Lieberman, A.F.", "Weston, D.R.", "Pawl, J.H.")),
    # study 2
    SeedFact("study 2: three reports, RCT, rated 3, post-test and one-year follow-up", f'{S2} gb:studyNumber "2" ; gb:design gbc:design-rct ; gb:rigorouslyConducted true ; gb:studyRating gbc:study-rating-3 ; gb:timing gbc:timing-post-test, gbc:timing-one-year-follow-up ; gb:shortCitation "Cicchetti et al (2006); Cicchetti et al (2011); Stronach et al (2013)" .',
             ("Study 2", "Cicchetti et al (2006)", "Stronach et al (2013)")),
    SeedFact("study 2 sample: 189 mothers, 137 at risk of maltreating", f"{S2} gb:sample ?s . ?s gb:sampleSize 189 ; gb:subgroup ?g . ?g gb:count 137 .",
             ("189 mothers", "137")),
    SeedFact("study 2 sample: mean age 13.31 months, 74.1% minority", f"{S2} gb:sample ?s . ?s gb:meanChildAgeMonths 13.31 ; gb:subgroup ?g . ?g gb:percentage 74.1 .",
             ("13.31", "74.1%")),
    SeedFact("study 2 arms: IPP, PPI, standard care", f'{S2} gb:arm ?a, ?b, ?c . ?a gb:armRole gbc:arm-intervention . ?b gb:armRole gbc:arm-alternative-intervention ; rdfs:label ?l . ?c gb:armRole gbc:arm-control . FILTER(CONTAINS(STR(?l), "PPI"))',
             ("psycho-educational parenting intervention", "standard care")),
    SeedFact("study 2 measures: Strange Situation (expert), CBCL (parent)", f'{S2} gb:measurement ?m1, ?m2 . ?m1 gb:instrument/rdfs:label "Ainsworth\'s Strange Situation"@en ; gb:measureKind gbc:measure-expert-observation . ?m2 gb:instrument/rdfs:label "Child Behavior Checklist"@en ; gb:measureKind gbc:measure-parent-report .',
             ("Child Behavior Checklist", "expert observation")),
    SeedFact("study 2 reference 2006: Development and Psychopathology 18, 623-649", f'{S2} gb:reportedIn ?r . ?r fabio:hasPublicationYear "2006"^^xsd:gYear ; bibo:volume "18" ; bibo:pageStart "623" ; bibo:pageEnd "649" ; bibo:pmid "17152394" ; dcterms:isPartOf/dcterms:title "Development and Psychopathology" .',
             ("Fostering secure attachment in infants in maltreating families through preventive interventions", "623-649")),
    SeedFact("study 2 reference 2011: 23, 789-800, four authors", f'{S2} gb:reportedIn ?r . ?r fabio:hasPublicationYear "2011"^^xsd:gYear ; bibo:volume "23" ; bibo:pageStart "789" ; bibo:pageEnd "800" ; dcterms:creator ?p . ?p foaf:familyName "Sturge-Apple" .',
             ("Normalising the development of cortisol regulation", "789-800", "Sturge-Apple")),
    SeedFact("study 2 reference 2013: 25, 919-930, PubMed 24229539", f'{S2} gb:reportedIn ?r . ?r fabio:hasPublicationYear "2013"^^xsd:gYear ; bibo:volume "25" ; bibo:pageStart "919" ; bibo:pageEnd "930" ; schema:url <https://www.ncbi.nlm.nih.gov/pubmed/24229539> .',
             ("Preventive interventions and sustained attachment security in maltreated children", "919-930", "https://www.ncbi.nlm.nih.gov/pubmed/24229539")),
    SeedFact("both studies rated 3", f"{S1} gb:studyRating gbc:study-rating-3 . {S2} gb:studyRating gbc:study-rating-3 ."),
]
