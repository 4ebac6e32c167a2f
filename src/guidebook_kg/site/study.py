"""The study page: a study as an evidence summary (design, country, sample and arms, timing,
its rating and what it means, its findings with improvement indices, its reports as
references, the programmes it evaluates), with its raw properties kept, collapsed, for
researchers.

Its facts come from the ``programme-page`` graphs of the programmes it evaluates (each
holds its studies three links deep, and every finding based on them), so a study page
costs no query of its own.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from guidebook_kg.namespaces import GB, RDFS
from guidebook_kg.site.graph import TripleIndex
from guidebook_kg.site.programme import (
    assessment_view,
    finding_view,
    iri_of,
    study_names,
    study_view,
)
from guidebook_kg.site.text import capitalised


def study_model(g: TripleIndex, study: str) -> dict[str, Any]:
    """Arrange the study's facts (from its programmes' page graphs) for the template."""
    s = ox.NamedNode(study)
    programmes = g.objects(s, GB.evaluates)
    # What each programme's page calls its studies ("study 2"), for the findings.
    names: dict[Any, str] = {}
    for p in programmes:
        names.update(study_names(g, p))
    own_name = names.get(s) or g.text(s, GB.shortCitation) or g.label(s)
    evaluated = []
    for p in programmes:
        current = g.one(p, GB.currentAssessment)
        evaluated.append(
            {
                "iri": p.value,
                "name": g.label(p),
                "rating": g.text(current, GB.ratingNotation) if current else None,
                "called": capitalised(study_names(g, p).get(s, "")),
            }
        )
    findings = sorted(
        (finding_view(g, f, names) for f in g.subjects(GB.basedOnStudy, s)),
        key=lambda f: (f.programme or "", g.order(ox.NamedNode(f.iri)), f.iri),
    )
    counted = []
    for a in sorted(g.subjects(GB.considersStudy, s), key=str):
        view = assessment_view(g, a, names)
        supports = [c for c in view["criteria"] if own_name in c["studies"]]
        undecided = [c for c in view["criteria"] if own_name in c["undecided"]]
        counted.append({**view, "supports": supports, "leaves_open": undecided})
    return {
        "iri": study,
        "title": g.text(s, RDFS.label) or capitalised(own_name),
        "study": study_view(g, s, own_name),
        "programmes": evaluated,
        "findings": findings,
        "assessments": counted,
        "programme_iri": iri_of(programmes[0]) if programmes else None,
        # Figures (charts of the findings) go here, one per entry; none are drawn yet.
        "figures": [],
    }
