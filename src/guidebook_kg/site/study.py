"""The study page: a study as an evidence summary (design, country, sample and arms, timing,
its rating and what it means, its findings with improvement indices, its reports as
references, the programmes it evaluates), with its raw properties kept, collapsed, for
researchers.

Its facts are read from the graph the way the pages of the programmes it evaluates read
them (the study, its findings, the assessments that consider it), so a study page costs
no query of its own.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from guidebook_kg.namespaces import GB, RDFS
from guidebook_kg.site import charts
from guidebook_kg.site.graph import Reader
from guidebook_kg.site.programme import (
    FindingView,
    assessment_view,
    bar,
    finding_view,
    iri_of,
    study_names,
    study_view,
)
from guidebook_kg.site.text import capitalised


def study_model(g: Reader, study: str) -> dict[str, Any]:
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
    title = g.text(s, RDFS.label) or capitalised(own_name)
    return {
        "iri": study,
        "title": title,
        "study": study_view(g, s, own_name),
        "programmes": evaluated,
        "findings": findings,
        "assessments": counted,
        "programme_iri": iri_of(programmes[0]) if programmes else None,
        "figures": _figures(g, title, findings, len(programmes) > 1),
    }


def _figures(
    g: Reader, title: str, findings: list[FindingView], several: bool
) -> list[charts.Figure]:
    """The improvement-index chart of the study's findings (of every programme it
    evaluates, each named when there are several)."""
    bars = [
        bar(f, f.outcome or "Outcome not recorded", programme=several, study=False)
        for f in findings
    ]
    figure = charts.index_chart(
        "chart-findings", [(None, bars)], f"Improvement indices of the findings of {title}"
    )
    return [figure] if figure is not None else []
