"""The validation report model, shared by every validation engine.

Engines (pyshacl, the fast SPARQL engine) produce :class:`ValidationResult` objects; the
renderers and the CLI only ever see this model, so engines can be swapped or compared.
Terms are kept as N-Triples strings (``<iri>``, ``"lit"^^<dt>``, ``_:b0``) so that results
from different RDF libraries compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

SH = "http://www.w3.org/ns/shacl#"


class Severity(IntEnum):
    """SHACL severities, ordered so that ``>=`` means 'at least as serious'."""

    INFO = 1
    WARNING = 2
    VIOLATION = 3

    @property
    def iri(self) -> str:
        return SH + self.name.capitalize()

    @classmethod
    def from_iri(cls, iri: str) -> Severity:
        name = iri.removeprefix(SH).upper()
        try:
            return cls[name]
        except KeyError:
            raise ValueError(f"unknown SHACL severity {iri!r}") from None


@dataclass(frozen=True, order=True)
class ValidationResult:
    """One sh:ValidationResult. Terms are N-Triples strings; absent ones are None."""

    focus_node: str
    source_shape: str
    path: str | None
    value: str | None
    constraint_component: str
    severity: Severity
    message: str = field(default="", compare=False)

    def key(self) -> tuple[str, str | None, str, str | None, str]:
        """What two engines must agree on: focus, path, shape, value, component."""
        return (self.focus_node, self.path, self.source_shape, self.value,
                self.constraint_component)


@dataclass
class ValidationReport:
    """The results of validating one data graph against one shapes graph."""

    results: list[ValidationResult]
    engine: str
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def conforms(self) -> bool:
        return not any(r.severity is Severity.VIOLATION for r in self.results)

    def count(self, severity: Severity) -> int:
        return sum(1 for r in self.results if r.severity is severity)

    def at_or_above(self, severity: Severity) -> list[ValidationResult]:
        return [r for r in self.results if r.severity >= severity]
