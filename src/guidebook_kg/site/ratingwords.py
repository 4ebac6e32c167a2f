"""A rating's notation in words, for the small rating badges of the site: "3+*" is level 3
(its label), a '+' (what the 3+ rating means) and a '*' (mixed findings).

The words are the concept schemes' own (the ``concepts`` view on the evidence ratings and
levels), so a badge says what the ontology says, on any engine the site or ``guidebook
map`` reads; what the '*' means is written once, in the templates' ``star_words`` macro.
"""

from __future__ import annotations

from dataclasses import dataclass

from guidebook_kg import views

RATINGS = "https://w3id.org/guidebook-kg/concept/evidence-rating"
LEVELS = "https://w3id.org/guidebook-kg/concept/evidence-level"
STAR = "*"


@dataclass(frozen=True)
class RatingBadge:
    """What a badge shows and says: the notation, its level (for its colour, "none" when
    it has none), the level's words, what the '+' adds, and whether it has the '*'."""

    notation: str
    level: str
    level_words: str | None
    plus_words: str | None
    star: bool


class RatingWords:
    """The badges of the notations of one engine's concept schemes, looked up once."""

    def __init__(self, engine: views.Engine, catalogue: views.Catalogue) -> None:
        self.engine = engine
        self.catalogue = catalogue
        self._ratings: dict[str, dict[str, str]] | None = None
        self._levels: dict[str, str] = {}

    def _load(self) -> dict[str, dict[str, str]]:
        if self._ratings is not None:
            return self._ratings
        self._ratings = {}
        view = self.catalogue.get(views.CONCEPTS_VIEW)
        if view is None:
            return self._ratings
        for scheme, into in ((LEVELS, "levels"), (RATINGS, "ratings")):
            table = views.run_on(self.engine, view, {"scheme": scheme}, self.catalogue)
            for record in table.records():
                notation = _text(record.get("notation"))
                if notation is None:
                    continue
                level = _text(record.get("level_value")) or ""
                if into == "levels":
                    label = _text(record.get("label"))
                    if label is not None:
                        self._levels.setdefault(level or notation, label)
                else:
                    self._ratings.setdefault(
                        notation,
                        {"level": level, "definition": _text(record.get("definition")) or ""},
                    )
        return self._ratings

    def __call__(self, notation: str | None) -> RatingBadge | None:
        """The badge of ``notation`` ("3+", "4+*", "NE"); None for no rating."""
        if not notation:
            return None
        ratings = self._load()
        star = notation.endswith(STAR)
        base = notation.removesuffix(STAR)
        found = ratings.get(base)
        level = found["level"] if found else ""
        level_words = self._levels.get(level or base)
        plus_words = found["definition"] if found and base.endswith("+") else None
        # NL2 ranks as level 1; a level without a number (NE) has no colour of its own.
        return RatingBadge(notation, level if level.isdigit() else "none", level_words,
                           plus_words or None, star)


def _text(term: object) -> str | None:
    value = getattr(term, "value", None)
    return None if value is None else str(value)
