"""The dataset description (``void.ttl``): VoID for linked-data clients and DCAT-AP 3.0.1
for catalogues (a ``dcat:Catalog`` with the dataset, its distributions and the SPARQL
service), and the service description ``serve`` answers at ``/sparql``.

Every value enters the Turtle through a filter that writes an RDF term (see
:func:`turtle_template`), so no value can break the syntax; the result is parsed and
written sorted, so it is the same bytes from one build to the next. Formats are the EU
file-type authority's IRIs, media types IANA's, and every term a DCAT-AP range asks a
class of is typed here, so the description passes the DCAT-AP shapes on its own.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from guidebook_kg.linkeddata import SYNTAXES, Term
from guidebook_kg.namespaces import DCTERMS, GB, ID, ONTOLOGY, RDF, XSD
from guidebook_kg.prefixes import compact
from guidebook_kg.site import html
from guidebook_kg.site.links import CONTEXT, VOID

DUMP_STEM = "guidebook"

# Whole-graph dumps, in the order the downloads list them: (syntax, compression).
DUMPS: tuple[tuple[str, str | None], ...] = (
    ("turtle", None),
    ("ntriples", None),
    ("ntriples", "gzip"),
    ("jsonld", None),
    ("rdfxml", None),
    ("trig", None),
    ("nquads", None),
)

_FILE_TYPES = "http://publications.europa.eu/resource/authority/file-type/"
_FILE_TYPE = {
    "turtle": "RDF_TURTLE",
    "ntriples": "RDF_N_TRIPLES",
    "jsonld": "JSON_LD",
    "rdfxml": "RDF_XML",
    "trig": "RDF_TRIG",
    "nquads": "RDF_N_QUADS",
}
_WHAT = {
    "ontology": "Ontology source file {name}: terms, concept schemes or evidence standards",
    "shapes": "SHACL shapes file {name}: rules the data is validated against",
}
_DATE_TYPES = frozenset({XSD.date, XSD.dateTime, XSD.gYear, XSD.gYearMonth})


# ------------------------------------------------------------------ downloads


def downloads(base: str, files: Mapping[str, tuple[int, str]]) -> list[dict[str, Any]]:
    """The files a consumer downloads (dumps, ontology and shapes files, the context),
    each with its URL under ``base``, title, format, size and SHA-256, in listing order."""
    wanted = [
        *(f"{DUMP_STEM}.{SYNTAXES[n].extension}{'.gz' if c else ''}" for n, c in DUMPS),
        *sorted(p for p in files if p.startswith(("ontology/", "shapes/"))),
        CONTEXT,
    ]
    return [distribution(base, path, files[path]) for path in wanted if path in files]


def distribution(base: str, path: str, file: tuple[int, str]) -> dict[str, Any]:
    size, digest = file
    name = path.rsplit("/", 1)[-1]
    compressed = name.endswith(".gz")
    syntax = _syntax(name.removesuffix(".gz"))
    folder = path.split("/", 1)[0] if "/" in path else ""
    if name == CONTEXT:
        title = "JSON-LD context: the readable keys every JSON-LD file of the dataset uses"
        description = (
            "The @context of the JSON-LD dumps and resource files: short keys for the "
            "ontology's terms and prefixes for its namespaces."
        )
    elif path.startswith(DUMP_STEM + "."):
        whole = "one named graph per programme, plus the ontology and the derived ratings"
        if not syntax.dataset:
            whole = "all programmes, the ontology and the derived ratings in one graph"
        title = f"The whole dataset as {syntax.label}{', gzip-compressed' if compressed else ''}"
        description = f"Every statement of the dataset ({whole}), as {syntax.label}."
    else:
        title = _WHAT[folder].format(name=name) + f" ({syntax.label})"
        description = f"{title}, as published with this release."
    return {
        "iri": f"{base}{VOID}#file-{re.sub(r'[^A-Za-z0-9._-]+', '-', path)}",
        "path": path,
        "url": base + path,
        "title": title,
        "description": description,
        "label": syntax.label + (", gzip" if compressed else ""),
        "media_type": syntax.media_type,
        "file_type": _FILE_TYPES + _FILE_TYPE[syntax.name],
        "compressed": compressed,
        "size": size,
        "sha256": digest,
        "dump": path.startswith(DUMP_STEM + "."),
    }


def _syntax(name: str) -> Any:
    if name == CONTEXT:
        return SYNTAXES["jsonld"]
    extension = name.rsplit(".", 1)[-1]
    for syntax in SYNTAXES.values():
        if syntax.extension == extension:
            return syntax
    raise AssertionError(f"no syntax for {name}")


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


# ------------------------------------------------------------------ statistics


@dataclass
class Statistics:
    triples: int
    entities: int
    classes: int
    properties: int
    subjects: int
    objects: int
    class_partitions: list[dict[str, Any]]
    property_partitions: list[dict[str, Any]]
    graphs: list[dict[str, Any]]
    programmes: list[str]


def statistics(store: ox.Store, union: Iterable[ox.Triple]) -> Statistics:
    """The VoID numbers, counted over the union of all graphs (each triple once)."""
    triples = 0
    subjects: set[Term] = set()
    objects: set[Term] = set()
    per_property: dict[str, int] = {}
    per_class: dict[str, set[Term]] = {}
    for triple in union:
        triples += 1
        subjects.add(triple.subject)
        objects.add(triple.object)
        predicate = triple.predicate.value
        per_property[predicate] = per_property.get(predicate, 0) + 1
        if predicate == RDF.type and isinstance(triple.object, ox.NamedNode):
            per_class.setdefault(triple.object.value, set()).add(triple.subject)
    entities = sum(1 for s in subjects if isinstance(s, ox.NamedNode) and s.value.startswith(ID))
    return Statistics(
        triples=triples,
        entities=entities,
        classes=len(per_class),
        properties=len(per_property),
        subjects=len(subjects),
        objects=len(objects),
        class_partitions=[
            {"iri": c, "slug": slug(c), "count": len(members)}
            for c, members in sorted(per_class.items())
        ],
        property_partitions=[
            {"iri": p, "slug": slug(p), "count": n} for p, n in sorted(per_property.items())
        ],
        graphs=graph_sizes(store),
        programmes=programme_iris(store),
    )


def programme_iris(store: ox.Store) -> list[str]:
    found = store.quads_for_pattern(None, ox.NamedNode(RDF.type), ox.NamedNode(GB.Programme))
    return sorted({q.subject.value for q in found if isinstance(q.subject, ox.NamedNode)})


def graph_sizes(store: ox.Store) -> list[dict[str, Any]]:
    """Each named graph with its number of triples, sorted by IRI."""
    graphs = []
    for graph in sorted(
        (g for g in store.named_graphs() if isinstance(g, ox.NamedNode)), key=lambda g: g.value
    ):
        count = sum(1 for _ in store.quads_for_pattern(None, None, None, graph))
        graphs.append({"iri": graph.value, "slug": slug(graph.value), "count": count})
    return graphs


def slug(iri: str) -> str:
    """A readable, stable fragment for a partition IRI: the prefixed name when there is
    one, else a digest."""
    short = compact(iri)
    if short != iri:
        return re.sub(r"[^A-Za-z0-9._-]+", "-", short)
    return hashlib.sha256(iri.encode("utf-8")).hexdigest()[:16]


def data_dates(store: ox.Store) -> list[str]:
    """Publication dates the data states (dcterms:issued/modified/created), sorted."""
    found: set[str] = set()
    for predicate in (DCTERMS.issued, DCTERMS.modified, DCTERMS.created):
        for quad in store.quads_for_pattern(None, ox.NamedNode(predicate), None):
            value = quad.object
            if isinstance(value, ox.Literal) and value.datatype.value in _DATE_TYPES:
                found.add(value.value[:10])
    return sorted(found)


# ------------------------------------------------------------------ the description


def void_description(
    store: ox.Store,
    *,
    base: str,
    issued: str,
    modified: str,
    stats: Statistics,
    distributions: list[dict[str, Any]],
    examples: list[str],
) -> bytes:
    """The VoID and DCAT-AP description as sorted Turtle."""
    licence = _first_object(store, ONTOLOGY, DCTERMS.license)
    creator = _first_object(store, ONTOLOGY, DCTERMS.creator)
    doc = base + VOID
    return turtle_template(
        "void.ttl.j2",
        doc=doc,
        catalog=doc + "#catalog",
        dataset=doc + "#dataset",
        publisher=doc + "#publisher",
        contact=doc + "#contact",
        publisher_name=creator.value if isinstance(creator, ox.Literal) else "guidebook-kg",
        license=licence.value if isinstance(licence, ox.NamedNode) else None,
        base=base,
        ontology=ONTOLOGY,
        uri_space=ID,
        version=modified,
        issued=issued,
        modified=modified,
        stats=stats,
        distributions=distributions,
        file_types=sorted({d["file_type"] for d in distributions}),
        media_types=sorted({d["media_type"] for d in distributions}),
        examples=examples,
    )


def service_description(
    endpoint: str, dataset: str, triples: int, graphs: list[dict[str, Any]]
) -> list[ox.Triple]:
    """The SPARQL 1.1 service description of an endpoint serving ``dataset``."""
    turtle = turtle_template(
        "service.ttl.j2",
        service=endpoint + "#service",
        endpoint=endpoint,
        dataset=dataset,
        triples=triples,
        graphs=graphs,
    )
    return [q.triple for q in ox.parse(turtle, format=ox.RdfFormat.TURTLE)]


def turtle_template(template: str, **values: Any) -> bytes:
    """Render a ``*.ttl.j2`` template and rewrite it as sorted Turtle.

    Values enter the Turtle only through filters that write RDF terms (``iri``, ``lit``,
    ``int``, ``typed``, ``date``), so no value can break the syntax; parsing the result
    checks that, and sorting makes the output independent of template order.
    """
    # Turtle, not HTML: the filters write RDF terms, so HTML escaping must be off.
    env = html.environment().overlay(autoescape=False)
    env.filters.update(
        iri=_iri_term, lit=_literal_term, int=_int_term, typed=_typed_term, date=_date_term
    )
    text = env.get_template(template).render(**values)
    parser = ox.parse(text.encode("utf-8"), format=ox.RdfFormat.TURTLE)
    triples = [q.triple for q in parser]
    prefixes = dict(sorted(parser.prefixes.items()))
    triples.sort(key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    data = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes)
    return data if data is not None else b""


def _first_object(store: ox.Store, subject: str, predicate: str) -> Term | None:
    found = sorted(
        (
            q.object
            for q in store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None)
        ),
        key=str,
    )
    return found[0] if found else None


def _iri_term(value: str) -> str:
    return str(ox.NamedNode(value))


def _literal_term(value: object) -> str:
    return str(ox.Literal(str(value)))


def _int_term(value: int) -> str:
    return str(ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD.integer)))


def _typed_term(value: object, datatype: str) -> str:
    return str(ox.Literal(str(value), datatype=ox.NamedNode(datatype)))


def _date_term(value: str) -> str:
    datatype = {4: XSD.gYear, 7: XSD.gYearMonth, 10: XSD.date}[len(value)]
    return str(ox.Literal(value, datatype=ox.NamedNode(datatype)))
