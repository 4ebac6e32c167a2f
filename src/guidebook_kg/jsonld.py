"""JSON-LD with the project's published ``@context``: readable keys instead of full IRIs.

pyoxigraph 0.5 writes JSON-LD in expanded form only (every key a full IRI), and rdflib's
writer is far too slow for whole dumps, so this module writes the compacted form itself.
It is not the general JSON-LD compaction algorithm, only the subset a flat RDF graph
needs, chosen so that expanding the output with the same context gives back exactly the
input triples:

- one node object per subject in ``@graph``, sorted by ``@id``; values sorted;
- a key is the context's term for the property when the term's type coercion fits the
  value (``"@type": "@id"`` terms take only IRIs and blank nodes), else a compact IRI
  (``gb:x``) with an explicit value object, which any context expands correctly;
- IRIs are compacted with the context's prefixes; literals become native JSON only when
  that round-trips exactly (plain strings, canonical integers and booleans);
- well-formed RDF lists behind a ``"@container": "@list"`` term become JSON arrays.

The context travels inline, so a dump can be read without fetching anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox

from guidebook_kg.errors import InputError, where
from guidebook_kg.namespaces import RDF, XSD
from guidebook_kg.prefixes import PREFIXES
from guidebook_kg.project import Project

# The project's context file in ontology/, published at the top of every build.
CONTEXT_FILE = "context.jsonld"

_TYPE = RDF.type
_FIRST = RDF.first
_REST = RDF.rest
_NIL = RDF.nil
_STRING = XSD.string
_INTEGER = XSD.integer
_BOOLEAN = XSD.boolean

Subject = ox.NamedNode | ox.BlankNode
Value = ox.NamedNode | ox.BlankNode | ox.Literal


@dataclass(frozen=True)
class Term:
    """A context term: its name and how it coerces values."""

    name: str
    iri_valued: bool  # "@type": "@id"
    list_container: bool  # "@container": "@list"


class Context:
    """A JSON-LD context of prefixes and terms, as the project publishes it."""

    def __init__(self, document: Mapping[str, Any], source: str = "context") -> None:
        body = document.get("@context")
        if not isinstance(body, dict):
            raise InputError(f"{source}: a JSON-LD context file needs an '@context' object")
        self.body: dict[str, Any] = body
        self._encoded: str | None = None
        self.prefixes: dict[str, str] = {}
        self._terms: dict[str, Term] = {}
        definitions: dict[str, tuple[str, dict[str, Any]]] = {}
        for name, definition in body.items():
            if name.startswith("@"):
                continue
            if isinstance(definition, str):
                definitions[name] = (definition, {})
            elif isinstance(definition, dict) and isinstance(definition.get("@id"), str):
                definitions[name] = (definition["@id"], definition)
            else:
                raise InputError(f"{source}: term {name!r} has no '@id'")
        for name, (iri, definition) in definitions.items():
            # A prefix is a plain term whose absolute IRI ends like a namespace.
            if not definition and iri.endswith(("/", "#")) and "://" in iri:
                self.prefixes[name] = iri
        for name, (iri, definition) in definitions.items():
            if name in self.prefixes:
                continue
            full = self.expand(iri)
            term = Term(
                name,
                definition.get("@type") == "@id",
                definition.get("@container") == "@list",
            )
            if full in self._terms:
                raise InputError(
                    f"{source}: terms {self._terms[full].name!r} and {name!r} both name <{full}>"
                )
            self._terms[full] = term
        # Longest namespace first, so that the most specific prefix wins.
        self._by_length = sorted(self.prefixes.items(), key=lambda kv: (-len(kv[1]), kv[0]))

    def encoded(self) -> str:
        """The context body as JSON text one level deep in a document, encoded once."""
        if self._encoded is None:
            text = json.dumps(self.body, indent=2, ensure_ascii=False)
            self._encoded = text.replace("\n", "\n  ")
        return self._encoded

    @classmethod
    def from_file(cls, path: Path) -> Context:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as err:
            raise InputError(f"{where(path)}: cannot read: {err.strerror or err}") from None
        except json.JSONDecodeError as err:
            raise InputError(f"{where(path, err.lineno, err.colno)}: {err.msg}") from None
        if not isinstance(document, dict):
            raise InputError(f"{where(path)}: a JSON-LD context file must be a JSON object")
        return cls(document, where(path))

    def expand(self, value: str) -> str:
        """The full IRI of a compact IRI (``gb:Programme``); other strings unchanged."""
        prefix, sep, rest = value.partition(":")
        if sep and prefix in self.prefixes and not rest.startswith("//"):
            return self.prefixes[prefix] + rest
        return value

    def term(self, iri: str) -> Term | None:
        return self._terms.get(iri)

    def compact_iri(self, iri: str) -> str:
        """``iri`` shortened with a prefix, or unchanged when no prefix fits.

        An absolute IRI whose scheme is also a prefix or term name would be misread on
        expansion; none of ours looks like that, so it is an error rather than a
        silent corruption.
        """
        for name, namespace in self._by_length:
            if iri.startswith(namespace) and len(iri) > len(namespace):
                local = iri[len(namespace) :]
                if not local.startswith("//"):
                    return f"{name}:{local}"
        scheme = iri.partition(":")[0]
        if scheme in self.prefixes or any(t.name == scheme for t in self._terms.values()):
            raise InputError(
                f"<{iri}> cannot be written as JSON-LD with this context: its scheme "
                f"{scheme!r} is also a context term",
                hint="rename that term in ontology/context.jsonld",
            )
        return iri


def project_context(project: Project) -> Context:
    """The project's published JSON-LD context (``ontology/context.jsonld``).

    A project without one (e.g. a small test project) gets a context of the prefix table
    alone: valid JSON-LD with compact IRIs as keys.
    """
    path = project.ontology_dir / CONTEXT_FILE
    if path.is_file():
        return Context.from_file(path)
    return Context({"@context": dict(sorted(PREFIXES.items()))}, "prefix table")


def document(triples: Iterable[ox.Triple], context: Context) -> dict[str, Any]:
    """The compacted JSON-LD document (context inline) for ``triples``."""
    by_subject: dict[Subject, dict[str, set[Value]]] = {}
    for triple in triples:
        subject = triple.subject
        if isinstance(subject, ox.Triple):
            raise InputError("RDF-star triples cannot be written as JSON-LD 1.1")
        obj = triple.object
        if isinstance(obj, ox.Triple):
            raise InputError("RDF-star triples cannot be written as JSON-LD 1.1")
        by_subject.setdefault(subject, {}).setdefault(triple.predicate.value, set()).add(obj)

    lists = _well_formed_lists(by_subject, context)
    consumed = {node for chain in lists.values() for node in chain[1]}
    nodes = []
    for subject in sorted(by_subject, key=_sort_key):
        if subject in consumed:
            continue
        nodes.append(_node(subject, by_subject[subject], context, lists))
    return {"@context": context.body, "@graph": nodes}


def dumps(triples: Iterable[ox.Triple], context: Context) -> bytes:
    """:func:`document` as deterministic UTF-8 bytes (sorted keys, two-space indent)."""
    graph = document(triples, context)["@graph"]
    # The same text as json.dumps of the whole document: a nested value is its own text
    # indented one level (JSON strings hold no raw newline). The context, the same in
    # every file, is encoded once.
    text = (
        '{\n  "@context": '
        + context.encoded()
        + ',\n  "@graph": '
        + json.dumps(graph, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        + "\n}\n"
    )
    return text.encode("utf-8")


def _node(
    subject: Subject,
    properties: dict[str, set[Value]],
    context: Context,
    lists: dict[ox.BlankNode, tuple[list[Value], list[ox.BlankNode]]],
) -> dict[str, Any]:
    node: dict[str, Any] = {"@id": _id(subject, context)}
    entries: dict[str, list[Any]] = {}
    bare_lists: dict[str, list[Any]] = {}
    for predicate in sorted(properties):
        values = sorted(properties[predicate], key=_sort_key)
        if predicate == _TYPE and all(isinstance(v, ox.NamedNode) for v in values):
            node["@type"] = [context.compact_iri(v.value) for v in values]
            continue
        term = context.term(predicate)
        if term is not None and term.list_container:
            # A list-container term holds exactly one list, as a bare array; anything
            # else (a second list, a non-list value) goes under the compact IRI.
            if len(values) == 1 and _is_list(values[0], lists):
                bare_lists[term.name] = _members(values[0], term, context, lists)
                continue
            key = context.compact_iri(predicate)
            for value in values:
                if _is_list(value, lists):
                    item: Any = {"@list": _members(value, None, context, lists)}
                else:
                    item = _value(value, None, context)
                entries.setdefault(key, []).append(item)
            continue
        for value in values:
            if term is not None and (not term.iri_valued or not isinstance(value, ox.Literal)):
                key, item = term.name, _value(value, term, context)
            else:
                key, item = context.compact_iri(predicate), _value(value, None, context)
            entries.setdefault(key, []).append(item)
    for key in sorted([*entries, *bare_lists]):
        if key in bare_lists:
            node[key] = bare_lists[key]
        else:
            items = entries[key]
            node[key] = items[0] if len(items) == 1 else items
    return node


def _is_list(
    value: Value, lists: dict[ox.BlankNode, tuple[list[Value], list[ox.BlankNode]]]
) -> bool:
    return (isinstance(value, ox.BlankNode) and value in lists) or (
        isinstance(value, ox.NamedNode) and value.value == _NIL
    )


def _members(
    value: Value,
    term: Term | None,
    context: Context,
    lists: dict[ox.BlankNode, tuple[list[Value], list[ox.BlankNode]]],
) -> list[Any]:
    if isinstance(value, ox.BlankNode):
        return [_value(m, term, context) for m in lists[value][0]]
    return []


def _value(value: Value, term: Term | None, context: Context) -> Any:
    if isinstance(value, ox.Literal):
        return _literal(value, context)
    if term is not None and term.iri_valued:
        return _id(value, context)
    return {"@id": _id(value, context)}


def _literal(literal: ox.Literal, context: Context) -> Any:
    datatype = literal.datatype.value
    lexical = literal.value
    if literal.language:
        return {"@value": lexical, "@language": literal.language}
    if datatype == _STRING:
        return lexical
    if datatype == _BOOLEAN and lexical in ("true", "false"):
        return lexical == "true"
    if datatype == _INTEGER and _canonical_integer(lexical):
        return int(lexical)
    return {"@value": lexical, "@type": context.compact_iri(datatype)}


def _canonical_integer(lexical: str) -> bool:
    # JSON numbers come back in canonical form, so only canonical lexicals may go native;
    # very long ones lose precision in some JSON readers.
    try:
        return str(int(lexical)) == lexical and abs(int(lexical)) < 2**53
    except ValueError:
        return False


def _id(node: Subject, context: Context) -> str:
    if isinstance(node, ox.BlankNode):
        return f"_:{node.value}"
    return context.compact_iri(node.value)


def _well_formed_lists(
    by_subject: dict[Subject, dict[str, set[Value]]], context: Context
) -> dict[ox.BlankNode, tuple[list[Value], list[ox.BlankNode]]]:
    """Heads of RDF lists that can be written as JSON arrays: their members and nodes.

    Only lists behind a list-container term, each list node a blank node used exactly
    once, with exactly one rdf:first and one rdf:rest and nothing else, and members the
    term can hold (no literals behind an IRI-valued term).
    """
    references: dict[Value, int] = {}
    heads: list[tuple[ox.BlankNode, Term]] = []
    for properties in by_subject.values():
        for predicate, values in properties.items():
            term = context.term(predicate)
            for value in values:
                references[value] = references.get(value, 0) + 1
                if term is not None and term.list_container and isinstance(value, ox.BlankNode):
                    heads.append((value, term))
    found: dict[ox.BlankNode, tuple[list[Value], list[ox.BlankNode]]] = {}
    for head, term in heads:
        members: list[Value] = []
        chain: list[ox.BlankNode] = []
        node: Value = head
        while isinstance(node, ox.BlankNode):
            found_properties = by_subject.get(node)
            if (
                found_properties is None
                or node in chain
                or references.get(node, 0) != 1
                or set(found_properties) != {_FIRST, _REST}
                or len(found_properties[_FIRST]) != 1
                or len(found_properties[_REST]) != 1
            ):
                break
            chain.append(node)
            members.append(next(iter(found_properties[_FIRST])))
            node = next(iter(found_properties[_REST]))
        else:
            fits = not term.iri_valued or not any(isinstance(m, ox.Literal) for m in members)
            if isinstance(node, ox.NamedNode) and node.value == _NIL and chain and fits:
                found[head] = (members, chain)
    return found


def _sort_key(term: Value) -> tuple[int, str]:
    # IRIs, then blank nodes, then literals; each by its N-Triples form.
    rank = 0 if isinstance(term, ox.NamedNode) else 1 if isinstance(term, ox.BlankNode) else 2
    return rank, str(term)


class Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


def write_sorted(
    triples: Iterable[ox.Triple],
    blank: Iterable[ox.Triple],
    context: Context,
    output: Writable,
) -> None:
    """Write the same bytes as :func:`dumps` to ``output``, one node at a time.

    ``triples`` must come sorted by subject (IRIs before blank nodes, each by its
    N-Triples form: the order of a sorted N-Triples file) and hold each triple once;
    ``blank`` is every triple among them with a blank node as subject or object, which
    is all that finding the lists needs. Only one subject's statements are held at once.
    """
    linked: dict[Subject, dict[str, set[Value]]] = {}
    for triple in blank:
        subject, obj = _writable(triple)
        linked.setdefault(subject, {}).setdefault(triple.predicate.value, set()).add(obj)
    lists = _well_formed_lists(linked, context)
    consumed = {node for chain in lists.values() for node in chain[1]}
    output.write(('{\n  "@context": ' + context.encoded() + ',\n  "@graph": ').encode("utf-8"))
    separator = b"[\n    "
    current: Subject | None = None
    properties: dict[str, set[Value]] = {}

    def node() -> None:
        nonlocal separator
        if current is None or current in consumed:
            return
        text = json.dumps(_node(current, properties, context, lists), indent=2, ensure_ascii=False)
        output.write(separator + text.replace("\n", "\n    ").encode("utf-8"))
        separator = b",\n    "

    for triple in triples:
        subject, obj = _writable(triple)
        if subject != current:
            node()
            current, properties = subject, {}
        properties.setdefault(triple.predicate.value, set()).add(obj)
    node()
    output.write(b"[]\n}\n" if separator == b"[\n    " else b"\n  ]\n}\n")


def _writable(triple: ox.Triple) -> tuple[Subject, Value]:
    subject, obj = triple.subject, triple.object
    if isinstance(subject, ox.Triple) or isinstance(obj, ox.Triple):
        raise InputError("RDF-star triples cannot be written as JSON-LD 1.1")
    return subject, obj
