"""A saved view's parameters as form fields: a drop-down wherever the graph says what the
values can be (programmes, the concepts of a scheme, concept schemes, levels on a scale,
yes/no), a text box only for free values. The options are what the parameter binder
accepts (``gbc:age-infants``, a programme's slug), so a form never offers a value the
view would refuse."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guidebook_kg import views
from guidebook_kg.namespaces import programme_slug
from guidebook_kg.prefixes import compact


class Choices:
    """The values of each kind of parameter, looked up once per site."""

    def __init__(self, engine: views.Engine, catalogue: views.Catalogue) -> None:
        self.engine = engine
        self.catalogue = catalogue
        self._concepts: dict[str, list[dict[str, str]]] = {}
        self._programmes: list[dict[str, str]] | None = None
        self._schemes: list[dict[str, str]] | None = None

    def concepts(self, scheme: str) -> list[dict[str, str]]:
        """The concepts of ``scheme`` in the scheme's order: value, label, level."""
        if scheme not in self._concepts:
            view = self.catalogue.get(views.CONCEPTS_VIEW)
            rows = []
            if view is not None:
                table = views.run_on(self.engine, view, {"scheme": scheme}, self.catalogue)
                seen = set()
                for record in table.records():
                    concept = record.get("concept")
                    if concept is None or concept.value in seen:
                        continue
                    seen.add(concept.value)
                    label = record.get("label") or record.get("notation")
                    level = record.get("level_value")
                    rows.append(
                        {
                            "value": compact(concept.value),
                            "text": label.value if label is not None else compact(concept.value),
                            "level": "" if level is None else str(level.value),
                        }
                    )
            self._concepts[scheme] = rows
        return self._concepts[scheme]

    def programmes(self) -> list[dict[str, str]]:
        if self._programmes is None:
            lookups = views.Lookups(self.engine, self.catalogue)
            found = [
                {"value": programme_slug(iri) or iri, "text": name or programme_slug(iri) or iri}
                for iri, name in lookups.programmes()
            ]
            self._programmes = sorted(found, key=lambda p: p["text"].lower())
        return self._programmes

    def schemes(self) -> list[dict[str, str]]:
        if self._schemes is None:
            lookups = views.Lookups(self.engine, self.catalogue)
            self._schemes = [
                {"value": compact(s.iri), "text": s.names[-1]} for s in lookups.schemes()
            ]
        return self._schemes

    def options(self, parameter: views.Parameter) -> list[dict[str, str]]:
        """The values a drop-down offers for ``parameter`` (none: a text box)."""
        kind = parameter.type
        if kind == "programme":
            return self.programmes()
        if kind == "concept" and parameter.scheme:
            return [
                {"value": c["value"], "text": c["text"]} for c in self.concepts(parameter.scheme)
            ]
        if kind == "scheme":
            return self.schemes()
        if kind == "boolean":
            return [{"value": "true", "text": "yes"}, {"value": "false", "text": "no"}]
        if kind == "integer" and parameter.scale:
            low = parameter.minimum if parameter.minimum is not None else -(10**9)
            high = parameter.maximum if parameter.maximum is not None else 10**9
            levels: dict[int, list[str]] = {}
            for c in self.concepts(parameter.scale):
                if c["level"] and low <= int(float(c["level"])) <= high:
                    levels.setdefault(int(float(c["level"])), []).append(c["text"])
            return [
                {"value": str(n), "text": " / ".join(texts)} for n, texts in sorted(levels.items())
            ]
        first, last = parameter.minimum, parameter.maximum
        if kind == "integer" and first is not None and last is not None and last - first <= 20:
            return [{"value": str(n), "text": str(n)} for n in range(first, last + 1)]
        return []

    def fields(self, view: views.View, given: Mapping[str, str]) -> list[dict[str, Any]]:
        """The form fields of ``view``, filled with the values ``given``."""
        fields = []
        for p in view.parameters:
            value = given.get(p.name, p.default or "")
            options = self.options(p)
            fields.append(
                {
                    "name": p.name,
                    "label": p.label,
                    "required": p.required,
                    "description": p.description,
                    "value": value,
                    "placeholder": p.default or "",
                    "options": options,
                    # A value the options do not spell the same way (a label typed in a URL)
                    # is still shown as given.
                    "unlisted": bool(value) and all(o["value"] != value for o in options),
                }
            )
        return fields
