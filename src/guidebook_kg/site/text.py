"""Words and numbers as people read them: one home for how pages and reports write
decimals, months, lists and follow-up times."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation


def number(text: str | None) -> str | None:
    """A decimal as people write it: 92.0 -> 92, 1.50 -> 1.5."""
    if text is None:
        return None
    try:
        return format(Decimal(text).normalize(), "f")
    except InvalidOperation:
        return text


def integer(text: str | None) -> int | None:
    """A whole number, or None when ``text`` is none or not one."""
    try:
        return None if text is None else int(text)
    except ValueError:
        return None


def grouped(value: int) -> str:
    """12345 -> 12,345."""
    return f"{value:,}"


_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def month_year(text: str | None) -> str | None:
    """``2023-01`` as ``January 2023``."""
    if not text or len(text) < 7 or text[4] != "-":
        return text
    try:
        return f"{_MONTHS[int(text[5:7]) - 1]} {text[:4]}"
    except (ValueError, IndexError):
        return text


def join(items: Sequence[str], last: str = "and") -> str:
    """``a, b and c``."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


def follow_up_words(value: str, unit: str) -> str:
    """A follow-up in words: ``10`` ``Years`` as "10 years later", ``1`` ``Weeks`` as
    "1 week later", 0 as "Immediately after the intervention"."""
    amount = number(value) or value
    if Decimal(amount) == 0:
        return "Immediately after the intervention"
    noun = unit.lower()
    if amount == "1" and noun.endswith("s"):
        noun = noun[:-1]
    return f"{amount} {noun} later"


def capitalised(text: str) -> str:
    """The first letter in upper case, the rest untouched ("study 1" -> "Study 1")."""
    return text[:1].upper() + text[1:]
