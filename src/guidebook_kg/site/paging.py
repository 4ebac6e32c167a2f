"""Paged listings: every list that can grow with the data is cut into pages, each with a
count, visible page links and ``rel="next"``/``"prev"`` (in the HTML head, and as a
``Link`` header on the server)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

# Rows per page: programmes on the landing page and the comparison, rows elsewhere.
PROGRAMMES_PER_PAGE = 50
ROWS_PER_PAGE = 100

T = TypeVar("T")


@dataclass
class Paging:
    """Where a page sits in its listing, with the links to its neighbours."""

    number: int
    size: int
    count: int
    href: Callable[[int], str] = field(repr=False)

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.size))

    @property
    def first(self) -> int:
        """The position of the page's first row, counting from 1 (0 when empty)."""
        return 0 if self.count == 0 else (self.number - 1) * self.size + 1

    @property
    def last(self) -> int:
        return min(self.count, self.number * self.size)

    @property
    def next(self) -> str | None:
        return self.href(self.number + 1) if self.number < self.pages else None

    @property
    def prev(self) -> str | None:
        return self.href(self.number - 1) if self.number > 1 else None

    def window(self, around: int = 3) -> list[dict[str, object]]:
        """The page links to show: the first, the last and those near this one, with gaps
        marked by ``None`` numbers."""
        wanted = {1, self.pages, *range(self.number - around, self.number + around + 1)}
        shown: list[dict[str, object]] = []
        previous = 0
        for n in sorted(n for n in wanted if 1 <= n <= self.pages):
            if n > previous + 1:
                shown.append({"number": None, "href": None, "current": False})
            shown.append({"number": n, "href": self.href(n), "current": n == self.number})
            previous = n
        return shown


def page_of(
    items: Sequence[T], number: int, size: int, href: Callable[[int], str]
) -> tuple[list[T], Paging] | None:
    """Page ``number`` of ``items`` and its paging; None when there is no such page."""
    paging = Paging(number, size, len(items), href)
    if number < 1 or number > paging.pages:
        return None
    return list(items[(number - 1) * size : number * size]), paging
