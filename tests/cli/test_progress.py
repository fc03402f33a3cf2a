"""Render progress on the command line: short and readable on a terminal for a 300-chapter book, lines elsewhere."""

from __future__ import annotations

import io
import logging
import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import THREE_ROOMS
from fake_engine import FakeEngine

from narrate.cli import progress as progress_module
from narrate.cli.main import cli
from narrate.cli.progress import ProgressDisplay
from narrate.render.job import Progress

CHAPTERS = 300


class QuickEngine(FakeEngine):
    name = "quick"
    fast = True


def screen(output: str) -> tuple[list[str], int]:
    """What a terminal shows after `output` (with the escapes the display uses), and the most rows ever redrawn."""
    lines: list[str] = []
    row = tallest = 0
    for token in re.split(r"(\x1b\[\d*[FJ]|\n)", output):
        if token == "\n":
            row += 1
        elif m := re.fullmatch(r"\x1b\[(\d*)F", token):
            up = int(m[1] or 1)
            tallest = max(tallest, up)
            row -= up
            assert row >= 0, "the cursor went above the output"
        elif token == "\x1b[J":
            del lines[row:]
        elif token:
            lines.extend([""] * (row + 1 - len(lines)))
            lines[row] = token  # the display writes whole rows from the first column
    return lines, tallest


@pytest.fixture(scope="module")
def long_render(tmp_path_factory) -> list[tuple[float, Progress]]:
    """Every progress report of a real 300-chapter render (a fake fast engine), with when it came."""
    from narrate.render.pipeline import RenderOptions, render_book
    from narrate.voices.engines import register_engine

    register_engine("quick", QuickEngine)
    tmp = tmp_path_factory.mktemp("long-book")
    src = tmp / "book"
    src.mkdir()
    for n in range(1, CHAPTERS + 1):
        (src / f"{n:03d}.txt").write_text("Rain.\n", encoding="utf-8")
    (src / "book.toml").write_text("[pacing]\nhead_ms = 0\ntail_ms = 0\ntitle_ms = 0\n", encoding="utf-8")
    vm = tmp / "voices.toml"
    vm.write_text('[narrator]\nengine = "quick"\nvoice = "low"\n', encoding="utf-8")
    reports: list[tuple[float, Progress]] = []
    result = render_book(src, RenderOptions(out_dir=tmp / "out", voices_path=vm, use_cache=False, jobs=2),
                         lambda p: reports.append((time.monotonic(), p)))
    assert len(result.rendered) == CHAPTERS
    return reports


def replay(reports: list[tuple[float, Progress]], tty: bool, enabled: bool = True) -> str:
    """What the display writes for `reports`, as fast or slow as they came in the render."""
    out = io.StringIO()
    now = [0.0]
    display = ProgressDisplay(out, tty=tty, enabled=enabled, clock=lambda: now[0])
    for t, p in reports:
        now[0] = t
        display(p)
    display.close()
    return out.getvalue()


def test_a_300_chapter_book_on_a_terminal_is_short_and_readable(long_render):
    """The live block holds the running chapters and the book bar, never a row per chapter: the output
    grows with the chapters (the old display redrew all of them on each update: 11.9 MB here)."""
    out = replay(long_render, tty=True)
    assert len(out.encode("utf-8")) < CHAPTERS * 1000
    lines, tallest = screen(out)
    assert tallest <= ProgressDisplay.MAX_ROWS + 2
    # What stays on the screen: each chapter once, as it finished; the live block is gone.
    assert sorted(lines) == [f"{n:>3} {n:03d}{'':<26} [{'#' * 24}] done" for n in range(1, CHAPTERS + 1)]


def test_elsewhere_progress_is_one_line_per_chapter(long_render):
    out = replay(long_render, tty=False)
    assert "\x1b" not in out
    lines = out.splitlines()
    assert len(lines) == CHAPTERS and all(line.endswith("] done") for line in lines)
    assert len(out.encode("utf-8")) < CHAPTERS * 80


def test_quiet_prints_nothing(long_render):
    assert replay(long_render, tty=True, enabled=False) == ""


def test_the_first_frame_counts_every_chapter_queued():
    """Every chapter is reported queued at once, first: the first frame drawn says 0/300, never 0/1."""
    out = io.StringIO()
    display = ProgressDisplay(out, tty=True)
    for n in range(1, 301):
        display(Progress(n, f"Chapter {n}", 0, 10, "queued"))
    assert out.getvalue() == ""
    display(Progress(1, "Chapter 1", 1, 10))
    assert screen(out.getvalue())[0][-1].endswith(" 0/300 chapters")


def test_a_chapter_encoded_in_parts_shows_how_many_are_done():
    out = io.StringIO()
    display = ProgressDisplay(out, tty=True)
    display(Progress(1, "Chapter 1", 10, 10, "encoding", (3, 8)))
    assert screen(out.getvalue())[0][0].endswith("] encoding 3/8")
    assert display.row(Progress(1, "Chapter 1", 10, 10, "encoding")).endswith("] encoding")
    both = display.for_book("Emma")
    both(Progress(2, "Two", 10, 10, "encoding", (1, 4)))
    assert display.row(display.latest[(1, 2)]).endswith("encoding 1/4")


def test_many_running_chapters_fit_in_a_few_rows():
    """Sentences spread over the workers (a neural voice) keep every chapter running at once."""
    out = io.StringIO()
    display = ProgressDisplay(out, tty=True)
    for n in range(1, CHAPTERS + 1):
        display(Progress(n, f"Chapter {n}", 0, 10, "queued"))
    for n in range(1, CHAPTERS + 1):
        display.last_draw = -1e9  # as if every report came after a pause
        display(Progress(n, f"Chapter {n}", 3, 10))
    lines, tallest = screen(out.getvalue())
    assert tallest <= ProgressDisplay.MAX_ROWS + 2
    assert lines[-2] == f"{'':>3} … and {CHAPTERS - ProgressDisplay.MAX_ROWS} more chapters in progress"
    assert lines[-1].endswith(f"[{'#' * 7}{'.' * 17}] 0/{CHAPTERS} chapters")


def test_the_command_on_a_terminal_keeps_log_lines_above_the_bar(tmp_path, monkeypatch):
    """Through the CLI: a warning is printed above the live block, not into it; --quiet prints nothing."""
    monkeypatch.setattr(progress_module, "is_terminal", lambda stream: True)
    # The command sets up logging on streams that end with the CliRunner: the root's handlers come back after.
    monkeypatch.setattr(logging.getLogger(), "handlers", list(logging.getLogger().handlers))
    cache = tmp_path / "cache"
    cache.write_text("a file, not a folder")  # one warning while the chapters render
    monkeypatch.setenv("NARRATE_CACHE_DIR", str(cache))
    res = CliRunner().invoke(cli, ["render", str(THREE_ROOMS), "-o", str(tmp_path / "out"), "-j", "1"])
    assert res.exit_code == 0, res.output
    assert "\x1b[" in res.stderr
    lines, _ = screen(res.stderr)
    warnings = [line for line in lines if "WARNING" in line]
    assert len(warnings) == 2 and all(line.startswith("narrate: WARNING: clip cache") for line in warnings)
    assert sorted(line[:3] for line in lines if line.endswith("] done")) == ["  1", "  2", "  3"]
    assert len(lines) == 5
    quiet = CliRunner().invoke(cli, ["render", str(THREE_ROOMS), "-o", str(tmp_path / "out"), "-j", "1", "-q",
                                     "--force"])
    assert quiet.exit_code == 0 and quiet.stderr == "" and quiet.stdout == ""


def test_summary_table_lists_each_book_and_what_failed():
    from narrate.cli.progress import summary_table

    table = summary_table([
        ("out/rory", {"chapters": [{"duration_ms": 60000}, {"duration_ms": 30000}]}, 4.25, ""),
        ("books/broken", None, 0.5, "books/broken: no chapters found"),
    ]).splitlines()
    assert table[0].split() == ["book", "chapters", "audio", "time", "failures"]
    assert table[1].split() == ["out/rory", "2", "1.5", "min", "4.2", "s", "none"]
    assert table[2].split()[:4] == ["books/broken", "-", "-", "0.5"] and table[2].endswith("no chapters found")
