"""Which resources have a page, what kind of page, and where the others are shown.

A resource under the base with a type gets a page of its own (a programme, a study, an
outcome, a concept, or the generic page of anything else: a person, an organisation, an
instrument ...), unless it is a *part* of another resource (``site/queries/parts.rq``): an
assessment, finding or theory-of-change step is shown on its programme's page, a sample,
arm, measurement or reference on its study's page, each at an anchor. So every link on
every page has one target, the same in a build and on the server, and a part never gets
a thin page of its own. Terms of the ontology (``ontology#Study``) are shown on the
ontology's page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.resources import files

import pyoxigraph as ox

from guidebook_kg.namespaces import GB, ONTOLOGY, RDF, SKOS

# The kind of page a resource gets, by its class; anything else gets the generic page.
PROGRAMME, STUDY, OUTCOME, CONCEPT, RESOURCE, ONTOLOGY_PAGE = (
    "programme",
    "study",
    "outcome",
    "concept",
    "resource",
    "ontology",
)
_KINDS = {
    GB.Programme: PROGRAMME,
    GB.Study: STUDY,
    GB.Outcome: OUTCOME,
    SKOS.Concept: CONCEPT,
    SKOS.ConceptScheme: CONCEPT,
}
# Several classes: the first kind in this order wins.
_PRECEDENCE = (PROGRAMME, STUDY, OUTCOME, CONCEPT, RESOURCE)

# A path segment that is safe as a file name in a build and a URL path on the server.
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]*$")


def _parts_query() -> str:
    return files("guidebook_kg").joinpath("site/queries/parts.rq").read_text(encoding="utf-8")


@dataclass
class Sitemap:
    """The pages of the site (IRI -> kind) and the page each part is shown on."""

    base: str
    pages: dict[str, str] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, store: ox.Store, base: str) -> Sitemap:
        sitemap = cls(base)
        direct: dict[str, set[str]] = {}
        solutions = store.query(_parts_query(), use_default_graph_as_union=True)
        assert isinstance(solutions, ox.QuerySolutions)
        for row in solutions:
            part, owner = row["part"], row["owner"]
            if isinstance(part, ox.NamedNode) and isinstance(owner, ox.NamedNode):
                direct.setdefault(part.value, set()).add(owner.value)
        kinds: dict[str, set[str]] = {}
        for quad in store.quads_for_pattern(None, ox.NamedNode(RDF.type), None):
            subject, cls_ = quad.subject, quad.object
            if isinstance(subject, ox.NamedNode) and isinstance(cls_, ox.NamedNode):
                iri = subject.value
                if iri.startswith(base) and iri not in direct and sitemap.safe(iri):
                    kinds.setdefault(iri, set()).add(_KINDS.get(cls_.value, RESOURCE))
        for iri, found in kinds.items():
            sitemap.pages[iri] = next(k for k in _PRECEDENCE if k in found)
        sitemap.pages[ONTOLOGY] = ONTOLOGY_PAGE
        for part in direct:
            page = sitemap._page_of(part, direct)
            if page is not None:
                sitemap.owners[part] = page
        return sitemap

    def _page_of(self, part: str, direct: dict[str, set[str]]) -> str | None:
        seen = {part}
        current = part
        while current not in self.pages:
            owners = sorted(direct.get(current, ()))
            if not owners or owners[0] in seen:
                return None
            current = owners[0]
            seen.add(current)
        return current

    def safe(self, iri: str) -> bool:
        rest = iri[len(self.base) :]
        return bool(rest) and all(_SAFE_SEGMENT.match(s) for s in rest.split("/"))

    def kind(self, iri: str) -> str | None:
        return self.pages.get(iri)

    def target(self, iri: str) -> tuple[str, str] | None:
        """The page ``iri`` is shown on and its anchor there ("" for the top), or None
        when the site does not show it."""
        if iri in self.pages:
            return iri, ""
        owner = self.owners.get(iri)
        if owner is not None:
            return owner, anchor(iri, owner)
        if iri.startswith(ONTOLOGY + "#"):
            return ONTOLOGY, iri[len(ONTOLOGY) + 1 :]
        return None

    def path(self, page: str) -> str:
        """The file of a page in a build: its IRI's path under the base, plus .html."""
        if page == ONTOLOGY:
            return "ontology.html"
        return page[len(self.base) :] + ".html"

    def of_kind(self, kind: str) -> list[str]:
        return sorted(iri for iri, k in self.pages.items() if k == kind)

    def parts_of(self, page: str) -> list[str]:
        return sorted(p for p, owner in self.owners.items() if owner == page)


def anchor(iri: str, page: str) -> str:
    """A part's anchor on its page: its IRI after the page's (``finding-1`` for
    ``.../programme/x/finding/1`` on ``.../programme/x``), else its last two segments."""
    if iri.startswith(page + "/"):
        rest = iri[len(page) + 1 :]
    else:
        rest = "/".join(iri.rstrip("/").split("/")[-2:])
    return re.sub(r"[^A-Za-z0-9_-]+", "-", rest).strip("-") or "part"


def domain_anchor(domain: str) -> str:
    """Where a programme's page shows its findings in the outcome ``domain``."""
    return "outcomes-" + anchor(domain, "")
