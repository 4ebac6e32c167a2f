"""Writing the loaded graph as one RDF file."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, TypeVar

import pyoxigraph as ox

from guidebook_kg.errors import InputError
from guidebook_kg.fsutil import write_output
from guidebook_kg.prefixes import PREFIXES
from guidebook_kg.store import quads, union_triples

# pyoxigraph 0.5.13 serializes JSON-LD natively (without a @context), so rdflib is not
# needed here.
FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
}

# Formats that keep the named graphs; the others get the union as one default graph.
DATASET_FORMATS = frozenset({"trig", "nquads"})

_WITH_PREFIXES = frozenset({"turtle", "trig", "rdfxml"})

# RDF/XML writes a predicate as an XML element name, so the IRI must end in an NCName.
# pyoxigraph 0.5.13 does not check this and writes a broken element (<oxprefix:>) instead.
_NCNAME_TAIL = re.compile(r"[^\W\d][\w.\-]*$")
_T = TypeVar("_T", ox.Triple, ox.Quad)


def export(
    store: ox.Store, fmt: str, out: Path | None = None, *, stream: BinaryIO | None = None
) -> None:
    """Serialize ``store`` as ``fmt`` into ``out`` (atomically), or to ``stream``/stdout."""
    if out is None:
        target = stream if stream is not None else sys.stdout.buffer
        write(store, fmt, target)
        target.flush()
        return
    write_output(out, lambda handle: write(store, fmt, handle))


def write(store: ox.Store, fmt: str, handle: BinaryIO) -> None:
    """Serialize ``store`` as ``fmt`` into an open binary file."""
    rdf_format = _rdf_format(fmt)
    statements: Iterable[ox.Triple] | Iterable[ox.Quad]
    if fmt in DATASET_FORMATS:
        statements = quads(store)
    else:
        statements = union_triples(store)
        if fmt == "rdfxml":
            statements = xml_writable(statements)
    prefixes = PREFIXES if fmt in _WITH_PREFIXES else None
    ox.serialize(statements, handle, rdf_format, prefixes=prefixes)


def _rdf_format(fmt: str) -> ox.RdfFormat:
    try:
        return FORMATS[fmt]
    except KeyError:
        raise InputError(
            f"unknown export format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}"
        ) from None


def xml_writable(statements: Iterable[_T]) -> Iterator[_T]:
    """Pass ``statements`` through, refusing one RDF/XML cannot write.

    pyoxigraph writes broken RDF/XML without a word when a predicate IRI does not end in
    an XML name, so every RDF/XML writer streams its statements through this first.
    """
    for statement in statements:
        if not _NCNAME_TAIL.search(statement.predicate.value):
            raise InputError(
                f"predicate <{statement.predicate.value}> (subject {statement.subject}) "
                "cannot be written as RDF/XML: its IRI does not end in an XML name",
                hint="choose another syntax, or rename the property so that its IRI ends "
                "in a letter or '_' word",
            )
        yield statement
