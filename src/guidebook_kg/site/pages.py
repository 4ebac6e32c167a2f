"""Every page of the site, from one place: ``build`` writes them all to files and ``serve``
renders each on request, both through :class:`SitePages`, so a page is the same in both
but for its links.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pyoxigraph as ox

from guidebook_kg import views
from guidebook_kg.linkeddata import Description, describe
from guidebook_kg.namespaces import GB
from guidebook_kg.site import html, sitemap
from guidebook_kg.site.compare import compare_page
from guidebook_kg.site.concept import APART, concept_page
from guidebook_kg.site.evidencemap import map_page
from guidebook_kg.site.finder import finder_page, static_finder_page
from guidebook_kg.site.forms import Choices
from guidebook_kg.site.graph import Reader, StoreReader
from guidebook_kg.site.index import downloads_page, landing_page, programme_rows, views_page
from guidebook_kg.site.links import Links
from guidebook_kg.site.ontology import ontology_page
from guidebook_kg.site.outcome import outcome_page
from guidebook_kg.site.programme import page_model
from guidebook_kg.site.ratingwords import RatingWords
from guidebook_kg.site.resource import referring, resource_page
from guidebook_kg.site.study import study_model


class RememberingEngine:
    """The store's engine, answering a query it was already asked from memory: for a
    build, whose store does not change while it runs (the paged listings, the map and
    its filters ask the same whole-graph questions on every page)."""

    def __init__(self, engine: views.Engine) -> None:
        self.engine = engine
        self._tables: dict[str, views.Table] = {}
        self._graphs: dict[str, list[ox.Triple]] = {}

    def select(self, query: str) -> views.Table:
        found = self._tables.get(query)
        if found is None:
            found = self._tables[query] = self.engine.select(query)
        return views.Table(list(found.columns), list(found.rows))

    def construct(self, query: str) -> list[ox.Triple]:
        found = self._graphs.get(query)
        if found is None:
            found = self._graphs[query] = self.engine.construct(query)
        return list(found)


class SitePages:
    """The pages of the site over one store; ``unchanging`` when the store does not
    change while the pages are made (a build), so that each question is asked once."""

    def __init__(
        self,
        store: ox.Store,
        catalogue: views.Catalogue,
        base: str,
        *,
        ontology_files: Sequence[str] = (),
        unchanging: bool = False,
    ) -> None:
        self.store = store
        self.catalogue = catalogue
        self.sitemap = sitemap.Sitemap.of(store, base)
        self.reader = StoreReader(store)
        local = views.LocalEngine(store)
        self.engine: views.Engine = RememberingEngine(local) if unchanging else local
        self.unchanging = unchanging
        self._map: dict[str, Any] = {}
        self.lookups = views.Lookups(self.engine, dict(catalogue))
        self.choices = Choices(self.engine, catalogue)
        self.words = RatingWords(self.engine, catalogue)
        self.ontology_files = list(ontology_files)
        self._rows: list[dict[str, Any]] | None = None
        # The last listing of what refers to a resource: its pages are rendered in a row.
        self._referring: tuple[str, list[tuple[str, str]]] | None = None

    # -------------------------------------------------------------- resources

    def kind(self, iri: str) -> str | None:
        return self.sitemap.kind(iri)

    def resource(
        self,
        iri: str,
        links: Links,
        number: int = 1,
        description: Description | None = None,
    ) -> html.Rendered | None:
        """The page of ``iri`` (page ``number`` of its listings), whatever kind it is; the
        generic page for a resource the site has no page for. None past the last page."""
        kind = self.sitemap.kind(iri)
        if kind == sitemap.ONTOLOGY_PAGE:
            return ontology_page(self.store, self.reader, links, self.ontology_files)
        if kind == sitemap.PROGRAMME and number == 1:
            graph = self.programme_graph(iri)
            if graph is not None:
                return html.render(
                    "programme.html.j2",
                    links,
                    title=self.reader(iri),
                    page=page_model(graph, iri),
                    alternates=links.alternates(iri),
                )
        if kind == sitemap.STUDY and number == 1:
            graph = self.study_graph(iri)
            if graph is not None:
                description = description or describe(self.store, iri)
                from guidebook_kg.site.resource import property_rows

                _, rows = property_rows(description, self.reader, links)
                model = study_model(graph, iri)
                for evaluated in model["programmes"]:
                    evaluated["badge"] = self.words(evaluated["rating"])
                return html.render(
                    "study.html.j2",
                    links,
                    title=self.reader(iri),
                    page=model,
                    rows=rows,
                    alternates=links.alternates(iri),
                )
        description = description or describe(self.store, iri)
        if kind == sitemap.OUTCOME:
            return outcome_page(description, self.reader, links, number)
        if kind == sitemap.CONCEPT:
            used = self.referring(iri, APART)
            return concept_page(description, self.reader, used, links, number)
        if kind in (sitemap.PROGRAMME, sitemap.STUDY) and number != 1:
            return None
        return resource_page(description, self.reader, self.referring(iri), links, number)

    def referring(self, iri: str, skip: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
        if self._referring is None or self._referring[0] != iri:
            self._referring = (iri, referring(self.store, self.reader, iri, skip))
        return self._referring[1]

    def programme_graph(self, iri: str) -> Reader | None:
        """What a programme's page reads: the whole graph, through the store's indexes
        (:func:`~guidebook_kg.site.programme.page_model` follows the programme's links; a
        query per programme cost more than rendering its page)."""
        return self.reader if self.reader.has(ox.NamedNode(iri)) else None

    def study_graph(self, iri: str) -> Reader | None:
        """What a study's page reads: the whole graph, as for the programmes it evaluates."""
        return self.reader if self.programmes_of(iri) else None

    def programmes_of(self, study: str) -> list[str]:
        return sorted(
            o.value
            for o in self.reader.objects(ox.NamedNode(study), GB.evaluates)
            if isinstance(o, ox.NamedNode) and self.sitemap.kind(o.value) == sitemap.PROGRAMME
        )

    def studies_of(self, programme: str) -> list[str]:
        return sorted(
            s.value
            for s in self.reader.subjects(GB.evaluates, ox.NamedNode(programme))
            if isinstance(s, ox.NamedNode) and self.sitemap.kind(s.value) == sitemap.STUDY
        )

    def in_build_order(self) -> Iterable[str]:
        """Every page, each programme followed by its studies (they share its graph)."""
        done: set[str] = set()
        for programme in self.sitemap.of_kind(sitemap.PROGRAMME):
            done.add(programme)
            yield programme
            for study in self.studies_of(programme):
                if study not in done:
                    done.add(study)
                    yield study
        for iri in sorted(self.sitemap.pages):
            if iri not in done:
                yield iri

    # -------------------------------------------------------------- the site's own pages

    def programme_rows(self) -> list[dict[str, Any]]:
        if self._rows is None:
            self._rows = programme_rows(self.store, self.reader, self.catalogue)
            for row in self._rows:
                row["badge"] = self.words(row["asserted"])
        return self._rows

    def landing(
        self, links: Links, release: Mapping[str, Any], sort: str = "name", number: int = 1
    ) -> html.Rendered | None:
        return landing_page(self.programme_rows(), links, release=release, sort=sort, number=number)

    def downloads(self, links: Links, files: Iterable[Mapping[str, Any]]) -> html.Rendered:
        return downloads_page(links, files)

    def views(self, links: Links, folder: str) -> html.Rendered:
        return views_page(links, self.catalogue, folder)

    def finder(
        self, links: Links, params: Mapping[str, str], number: int = 1
    ) -> html.Rendered | None:
        if not links.dynamic:
            return static_finder_page(links, self.engine, self.catalogue, self.choices)
        return finder_page(links, self.engine, self.catalogue, self.choices, params, number)

    def compare(
        self, links: Links, number: int = 1, chosen: Sequence[str] = ()
    ) -> html.Rendered | None:
        return compare_page(
            links, self.engine, self.catalogue, self.choices, number, chosen, self.words
        )

    def map(
        self, links: Links, params: Mapping[str, str] | None = None, number: int = 1
    ) -> html.Rendered | None:
        """The evidence gap map (filtered by ``params`` on the server)."""
        return map_page(
            links,
            self.engine,
            self.catalogue,
            self.choices,
            self.words,
            params or {},
            number,
            self._map if self.unchanging else None,
        )
