"""The project's prefix table and the IRIs of its named graphs.

This is the single place for prefix-to-namespace mappings; ``namespaces.py`` builds on it.
"""

from __future__ import annotations

from typing import Final

BASE: Final = "https://w3id.org/guidebook-kg/"

PREFIXES: Final[dict[str, str]] = {
    "gb": f"{BASE}ontology#",
    "gbc": f"{BASE}concept/",
    "gbsh": f"{BASE}shapes#",
    "id": f"{BASE}id/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "bibo": "http://purl.org/ontology/bibo/",
    "fabio": "http://purl.org/spar/fabio/",
    "cito": "http://purl.org/spar/cito/",
    "schema": "https://schema.org/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vann": "http://purl.org/vocab/vann/",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "sh": "http://www.w3.org/ns/shacl#",
}

# Named graphs: one for the ontology, one per programme file (keyed by its slug), so a
# programme can be replaced or pushed on its own.
ONTOLOGY_GRAPH: Final = f"{BASE}graph/ontology"
PROGRAMME_GRAPH_BASE: Final = f"{BASE}graph/programme/"
# What the evidence standards derive from the other graphs (queries/derivation/).
DERIVED_GRAPH: Final = f"{BASE}graph/derived"

# Longest namespace first, so that the most specific prefix wins (id: before a shorter one).
_BY_LENGTH: Final = sorted(PREFIXES.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def compact(iri: str) -> str:
    """``iri`` as a prefixed name (``gbc:level-3``) when the prefix table has its
    namespace, else unchanged. The one place IRIs are shortened for people."""
    for prefix, namespace in _BY_LENGTH:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri
