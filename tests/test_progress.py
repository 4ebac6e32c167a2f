"""Long commands say how far they have come: a bar with counts and time left on a
terminal (a real pseudo-terminal here, the command in its own process), plain step lines
in a pipe, never both, and nothing with --quiet; the line reporter's periodic lines, with
a clock the test moves."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from guidebook_kg import progress

REPO = Path(__file__).resolve().parent.parent
# What click draws and no plain line holds: a carriage return to redraw the line, the bar.
BAR = "\r"


def guidebook(*args: str) -> list[str]:
    return [sys.executable, "-m", "guidebook_kg", "--project", str(REPO), *args]


def on_terminal(args: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run ``args`` with standard error on a pseudo-terminal (120 columns); its exit
    status, what the terminal showed and standard output."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    stdout = cwd / "stdout.txt"
    with stdout.open("wb") as out:
        process = subprocess.Popen(
            args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=slave,
            env={**os.environ, "TERM": "xterm", "COLUMNS": "120"},
        )
        os.close(slave)
        shown = bytearray()
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the other side closed: the process is gone
                break
            if not chunk:
                break
            shown += chunk
        status = process.wait(timeout=120)
    os.close(master)
    return status, shown.decode("utf-8", "replace"), stdout.read_text(encoding="utf-8")


def in_a_pipe(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120,
                          check=False)


# ------------------------------------------------------------------ synth


def test_synth_draws_a_bar_on_a_terminal(tmp_path: Path) -> None:
    status, shown, _ = on_terminal(guidebook("synth", "40", "--out", "made"), tmp_path)

    assert status == 0, shown
    assert BAR in shown
    assert "Writing programmes" in shown
    assert "[########################]  40/40  100%" in shown
    # the bar, not the plain lines a log gets
    assert "Writing programmes: 40" not in shown
    assert "done in" not in shown
    assert "Wrote 40 programmes" in shown


def test_synth_writes_plain_lines_in_a_pipe(tmp_path: Path) -> None:
    finished = in_a_pipe(guidebook("synth", "40", "--out", "made"), tmp_path)

    assert finished.returncode == 0, finished.stderr
    lines = finished.stderr.splitlines()
    assert lines[0] == "Writing programmes: 40"
    assert lines[1].startswith("Writing programmes: 40 of 40 done in ")
    assert lines[2].startswith("Wrote 40 programmes")
    assert BAR not in finished.stderr
    assert "\x1b" not in finished.stderr
    assert "%" not in finished.stderr


@pytest.mark.parametrize("where", ["terminal", "pipe"])
def test_quiet_silences_the_progress(tmp_path: Path, where: str) -> None:
    args = guidebook("synth", "20", "--out", "made", "--quiet")
    if where == "terminal":
        status, shown, _ = on_terminal(args, tmp_path)
    else:
        finished = in_a_pipe(args, tmp_path)
        status, shown = finished.returncode, finished.stderr

    assert status == 0, shown
    assert shown.strip().splitlines() == [
        f"Wrote 20 programmes ({shown.split('(')[1].split(')')[0]}) to made/"
    ]


# ------------------------------------------------------------------ validate, build


def test_validate_shows_its_loading_on_a_terminal_and_in_a_pipe(tmp_path: Path) -> None:
    status, shown, report = on_terminal(guidebook("validate"), tmp_path)
    piped = in_a_pipe(guidebook("validate"), tmp_path)

    assert status == 0, shown
    assert BAR in shown
    assert "Loading files  [" in shown
    assert "Validating against the shapes (fast engine)" in shown
    assert report == piped.stdout  # the report itself is the same, on standard output
    assert piped.returncode == 0, piped.stderr
    assert BAR not in piped.stderr
    assert [line.split(":")[0] for line in piped.stderr.splitlines()] == [
        "Loading files",
        "Loading files",
        "Validating against the shapes (fast engine)",
    ]


def test_validate_of_named_files_counts_them(tmp_path: Path) -> None:
    data = REPO / "data" / "programmes"
    piped = in_a_pipe(guidebook("validate", str(data), "--fail-on", "none"), tmp_path)

    files = len(list((REPO / "ontology").glob("*.ttl"))) + len(list(data.glob("*.ttl")))
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr.splitlines()[0] == f"Loading files: {files}"
    assert "Deriving what the evidence standards say" in piped.stderr


@pytest.mark.slow
def test_build_draws_its_bars_on_a_terminal(tmp_path: Path) -> None:
    status, shown, _ = on_terminal(guidebook("build", "--out", "dist"), tmp_path)

    assert status == 0, shown
    for step in ("Loading files", "Writing the dumps", "Writing resource pages",
                 "Running the saved views"):
        assert f"{step}  [########################]" in shown, step
    assert "Validating against the shapes" in shown
    assert "Writing resource pages:" not in shown


# ------------------------------------------------------------------ push


@pytest.mark.server
def test_push_draws_a_bar_of_its_graphs_on_a_terminal_and_lines_in_a_pipe(
    tmp_path: Path,
) -> None:
    from oxigraph_server import oxigraph_server

    with oxigraph_server() as url:
        status, shown, said = on_terminal(
            guidebook("push", "--endpoint", url + "/query"), tmp_path
        )
        piped = in_a_pipe(guidebook("push", "--endpoint", url + "/query", "--replace"), tmp_path)

    assert status == 0, shown
    assert "the remote counts match" in said
    graphs = int(shown.split("Checking ")[1].split(" graph")[0])
    assert graphs > 5
    assert BAR in shown
    assert f"Pushing the graphs  [########################]  {graphs}/{graphs}" in shown
    assert f"0/{graphs}    0%  [1/{graphs}] Uploading <" in shown  # on the bar's line ...
    assert f"]  1/{graphs}  " in shown  # ... which moves as each graph is done
    assert "\n[1/" not in shown  # ... never a line of its own
    assert piped.returncode == 0, piped.stderr
    assert BAR not in piped.stderr
    lines = piped.stderr.splitlines()
    assert f"Pushing the graphs: {graphs}" in lines
    assert f"[{graphs}/{graphs}] Replaced <" in piped.stderr
    assert any(line.startswith(f"Pushing the graphs: {graphs} of {graphs} done") for line in lines)


# ------------------------------------------------------------------ the reporters


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_lines_say_the_count_and_time_left_every_ten_seconds() -> None:
    stream, clock = io.StringIO(), Clock()
    reporter = progress.Lines(stream, clock)

    with reporter.counting("Writing pages", 100) as advance:
        for _ in range(100):
            clock.now += 0.25  # 25 s in all: two lines on the way
            advance(1)
        reporter("a message while counting")

    assert stream.getvalue().splitlines() == [
        "Writing pages: 100",
        "Writing pages: 40 of 100, about 15.0 s left",
        "Writing pages: 80 of 100, about 5.0 s left",
        "a message while counting",
        "Writing pages: 100 of 100 done in 25.0 s",
    ]


def test_a_bar_shows_the_work_s_messages_on_its_own_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("COLUMNS", "120")
    stream = Terminal()
    reporter = progress.for_terminal(stream=stream)
    assert isinstance(reporter, progress.Bars)

    reporter("Before")
    with reporter.counting("Pushing the graphs", 2) as advance:
        reporter("[1/2] Uploading <g1>")
        advance(1)
        reporter("[2/2] Uploading <g2>")
        advance(1)
    reporter("After")

    shown = stream.getvalue()
    lines = shown.split("\n")
    assert lines[0] == "Before"
    assert "Pushing the graphs  [" in lines[1]
    assert "[1/2] Uploading <g1>" in lines[1]
    assert "2/2" in lines[1]
    assert lines[2] == "After"
    # a message too long for the line is cut, never wrapped
    assert max(len(frame) for frame in lines[1].split("\r")) <= 120 + len("\x1b[?25l")


def test_a_plain_callable_gets_each_step_once() -> None:
    said: list[str] = []

    with progress.counting(said.append, "Writing pages", 3) as advance:
        for _ in range(3):
            advance(1)

    assert said == ["Writing pages"]


def test_quiet_and_a_pipe_are_chosen_by_the_stream() -> None:
    assert isinstance(progress.for_terminal(quiet=True), progress.Quiet)
    assert isinstance(progress.for_terminal(stream=io.StringIO()), progress.Lines)
