"""How long work says how far it has come.

The library reports through a plain callable, ``progress(message)``, for each step ("Writing
the dumps"), and counts the items of a step that loops with :func:`counting`; it never
decides how that looks. The command line does (:func:`for_terminal`): on a terminal, a
bar with counts and time left for each counted step (click's progress bar) and a line for
each other step; when standard error is not a terminal (a CI log, a pipe), plain lines
only, never a bar: a counted step's start with its count, its end with its time, and a
line with the count every few seconds while a long one runs; with ``--quiet``, nothing. A
callable that is not a :class:`Reporter` (a test's ``list.append``) gets the steps and a
line for each counted step.
"""

from __future__ import annotations

import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any, TextIO, cast

Progress = Callable[[str], None]
Advance = Callable[[int], None]

# A line-mode report of a long step comes at most this often, in seconds.
LINE_INTERVAL = 10.0


def _nothing(message: str) -> None:
    return None


def _skip(n: int = 1) -> None:
    return None


class Reporter(ABC):
    """A progress callable that can also count the items of a step."""

    @abstractmethod
    def __call__(self, message: str) -> None:
        """Say that a step begins."""

    @contextmanager
    def counting(self, label: str, total: int) -> Iterator[Advance]:
        """A step of ``total`` items; the context gives the function to call as each (or
        each ``n``) is done."""
        self(label)
        yield _skip


class Quiet(Reporter):
    """Says nothing (``--quiet``)."""

    def __call__(self, message: str) -> None:
        return None

    @contextmanager
    def counting(self, label: str, total: int) -> Iterator[Advance]:
        yield _skip


class Lines(Reporter):
    """Plain lines, for logs: each step (a counted one with its count), its end with its
    time, and while it runs a line every :data:`LINE_INTERVAL` seconds with its count and
    time left."""

    def __init__(self, stream: IO[str], clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.clock = clock

    def __call__(self, message: str) -> None:
        print(message, file=self.stream, flush=True)

    @contextmanager
    def counting(self, label: str, total: int) -> Iterator[Advance]:
        self(f"{label}: {total:,}")
        started = last = self.clock()
        done = 0

        def advance(n: int = 1) -> None:
            nonlocal done, last
            done += n
            now = self.clock()
            if now - last >= LINE_INTERVAL and done < total:
                last = now
                left = (now - started) / done * (total - done)
                self(f"{label}: {done:,} of {total:,}, about {_duration(left)} left")

        yield advance
        self(f"{label}: {done:,} of {total:,} done in {_duration(self.clock() - started)}")


class Bars(Reporter):
    """For a terminal: a line per step, and a bar with counts and time left for each
    counted step; what the work says while the bar runs shows after the bar, on its
    line, instead of below it. A finished bar stays above what follows."""

    # The bar is drawn again at most this often, in seconds (drawing costs more than a
    # small item of work), and whenever the work says something.
    REDRAW = 0.1

    def __init__(self, stream: IO[str], clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.clock = clock
        self._bar: Any = None
        self._pending = 0
        self._drawn = 0.0

    def __call__(self, message: str) -> None:
        bar = self._bar
        if bar is None:
            print(message, file=self.stream, flush=True)
            return
        # On the bar's line, cut to the room left on it: a line that wraps cannot be
        # drawn over.
        import shutil

        bar.current_item = None
        room = shutil.get_terminal_size().columns - len(bar.format_progress_line()) - 3
        item = message if len(message) <= room else message[: max(room - 1, 0)] + "\u2026"
        self._draw(item if room >= 4 else None)

    def _draw(self, item: str | None = None) -> None:
        self._drawn = self.clock()
        pending, self._pending = self._pending, 0
        if item is not None:
            self._bar.current_item = item
        if pending:
            self._bar.update(pending)
        else:
            self._bar.render_progress()

    @contextmanager
    def counting(self, label: str, total: int) -> Iterator[Advance]:
        import click

        def shown(item: str | None) -> str | None:
            return item

        def advance(n: int = 1) -> None:
            self._pending += n
            if self.clock() - self._drawn >= self.REDRAW:
                self._draw()

        with click.progressbar(
            iterable=None,
            length=total,
            label=label,
            file=cast("TextIO", self.stream),
            show_eta=True,
            show_percent=True,
            show_pos=True,
            width=24,
            item_show_func=shown,
        ) as bar:
            self._bar, self._pending, self._drawn = bar, 0, self.clock()
            try:
                yield advance
                self._draw()
            finally:
                self._bar = None


@contextmanager
def counting(progress: Progress, label: str, total: int) -> Iterator[Advance]:
    """Count the items of a step on ``progress`` (a :class:`Reporter`, or any callable,
    which is then told the step once)."""
    if isinstance(progress, Reporter):
        with progress.counting(label, total) as advance:
            yield advance
    else:
        progress(label)
        yield _skip


def for_terminal(quiet: bool = False, stream: IO[str] | None = None) -> Reporter:
    """What the command line shows on ``stream`` (standard error): bars on a terminal,
    lines elsewhere, nothing when ``quiet``."""
    if quiet:
        return Quiet()
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return Bars(stream)
    return Lines(stream)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds + 0.5), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
