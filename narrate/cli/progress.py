"""Render progress on the command line: running chapters and a book bar on a terminal, plain lines elsewhere."""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

RUNNING = ("rendering", "encoding")
FINISHED = ("done", "failed")
KEPT = ("skipped", "retagged")  # the audio was kept: unchanged, or only its tags rewritten
LABELS = {"done": "done", "skipped": "unchanged", "retagged": "re-tagged", "failed": "FAILED", "encoding": "encoding"}


def is_terminal(stream: TextIO) -> bool:
    """Whether `stream` is a terminal (where a live display can be redrawn in place)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _columns(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return 80


class ProgressDisplay:
    """Shows render progress (a `ProgressFn`) on `stream`.

    On a terminal: a live block at the bottom, redrawn in place at most every INTERVAL_S: the
    chapters being rendered (at most MAX_ROWS) and a bar for the whole book. Each chapter that
    finishes or fails is printed once above it. So the output grows with the chapters, not with
    chapters times updates, and the block never outgrows the screen.
    Elsewhere (a pipe, a log file): one line per chapter finished, unchanged or failed.
    """

    WIDTH = 24
    MAX_ROWS = 6
    INTERVAL_S = 0.1

    def __init__(self, stream: TextIO, tty: bool, enabled: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.tty = tty
        self.enabled = enabled
        self.clock = clock
        self.latest: dict[Any, Any] = {}  # chapter index (or book and index) -> its latest Progress
        self.drawn = 0  # rows of the live block on the screen now
        self.last_draw = -math.inf
        self.books = 0  # books shown at once (for_book), 0 for one book shown plainly
        # Several books render at once on a cluster, each reporting from its own thread.
        self.lock = threading.RLock()

    def for_book(self, name: str) -> Callable[[Any], None]:
        """A ProgressFn for one of several books shown together: its chapters are named after the book."""
        self.books += 1
        book = self.books

        def report(p: Any) -> None:
            self(_BookProgress(p.index, f"{name}: {p.title}", p.done, p.total, p.status, key=(book, p.index),
                               parts=getattr(p, "parts", None)))

        return report

    def __call__(self, p: Any) -> None:
        if not self.enabled:
            return
        with self.lock:
            self._update(p)

    def _update(self, p: Any) -> None:
        self.latest[getattr(p, "key", p.index)] = p
        if not self.tty:
            if p.status in (*FINISHED, *KEPT):
                self._write(self.row(p) + "\n")
            return
        if p.status in FINISHED:
            self._draw(above=self.row(p))
        elif p.status == "queued":
            return  # every chapter is queued at once, first: the block is drawn once they are all known
        elif not self.drawn or self.clock() - self.last_draw >= self.INTERVAL_S:
            self._draw()

    def row(self, p: Any) -> str:
        """One chapter: index, title, bar, and where it is."""
        frac = p.done / p.total if p.total else 1.0
        title = (p.title[:28] + "…") if len(p.title) > 29 else p.title
        label = LABELS.get(p.status, f"{p.done}/{p.total}")
        parts = getattr(p, "parts", None)
        if p.status == "encoding" and parts:
            label = f"encoding {parts[0]}/{parts[1]}"  # its pieces, in parts on every worker
        return f"{p.index:>3} {title:<29} {self._bar(frac)} {label}"

    def book_row(self) -> str:
        """The whole book: lines spoken of the chapters to render, chapters finished, unchanged, failed."""
        todo = [p for p in self.latest.values() if p.status not in KEPT]
        lines = sum(p.total for p in todo)
        done = sum(p.total if p.status in (*FINISHED, "encoding") else p.done for p in todo)
        finished = sum(p.status in FINISHED for p in todo)
        failed = sum(p.status == "failed" for p in todo)
        skipped = len(self.latest) - len(todo)
        text = f"{finished}/{len(todo)} chapters"
        text += f", {skipped} unchanged" if skipped else ""
        text += f", {failed} failed" if failed else ""
        label = "books" if self.books > 1 else "book"
        return f"{'':>3} {label:<29} {self._bar(done / lines if lines else 1.0)} {text}"

    def block(self) -> list[str]:
        """The live rows: running chapters, then the book."""
        running = [self.latest[i] for i in sorted(self.latest) if self.latest[i].status in RUNNING]
        rows = [self.row(p) for p in running[:self.MAX_ROWS]]
        if len(running) > self.MAX_ROWS:
            rows.append(f"{'':>3} … and {len(running) - self.MAX_ROWS} more chapters in progress")
        return [*rows, self.book_row()]

    def clear(self) -> None:
        """Erase the live block (it comes back with the next update)."""
        with self.lock:
            if self.drawn:
                self._write(f"\x1b[{self.drawn}F\x1b[J")
                self.drawn = 0

    def close(self) -> None:
        """The render is over: erase the live block; the lines printed above it stay."""
        if self.enabled and self.tty:
            self.clear()

    def log_stream(self) -> _LinesAbove:
        """A stream for log messages that erases the live block first, so the two never overlap."""
        return _LinesAbove(self)

    def _bar(self, frac: float) -> str:
        filled = int(min(max(frac, 0.0), 1.0) * self.WIDTH)
        return f"[{'#' * filled}{'.' * (self.WIDTH - filled)}]"

    def _draw(self, above: str | None = None) -> None:
        width = max(_columns(self.stream) - 1, 20)  # a row that wraps would throw the cursor arithmetic off
        out = [f"\x1b[{self.drawn}F\x1b[J"] if self.drawn else []
        if above is not None:
            out.append(above[:width] + "\n")
        rows = [r[:width] for r in self.block()]
        out += [r + "\n" for r in rows]
        self._write("".join(out))
        self.drawn = len(rows)
        self.last_draw = self.clock()

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except OSError:  # a closed pipe or a hung-up terminal: progress is not worth failing a render for
            pass


def summary_table(rows: list[tuple[str, dict | None, float, str]]) -> str:
    """Books rendered in one call, one row each: chapters, audio length, time taken and what failed.

    Each row is (book folder or source, its manifest or None when the book could not be read, seconds, error or "").
    """
    head = ("book", "chapters", "audio", "time", "failures")
    table = [head]
    for name, manifest, seconds, error in rows:
        listed = (manifest or {}).get("chapters", [])
        audio_min = sum(c.get("duration_ms", 0) for c in listed) / 60000
        table.append((name, str(len(listed)) if manifest is not None else "-",
                      f"{audio_min:.1f} min" if manifest is not None else "-", f"{seconds:.1f} s",
                      (error[:60] + "…") if len(error) > 61 else (error or "none")))
    widths = [max(len(r[k]) for r in table) for k in range(len(head))]
    lines = ["  ".join(cell.ljust(w) if k in (0, 4) else cell.rjust(w)
                       for k, (cell, w) in enumerate(zip(r, widths, strict=True))).rstrip() for r in table]
    return "\n".join(lines)


class _LinesAbove:
    """A text stream writing above a ProgressDisplay's live block."""

    def __init__(self, display: ProgressDisplay) -> None:
        self.display = display

    def write(self, text: str) -> int:
        with self.display.lock:
            self.display.clear()
            return self.display.stream.write(text)

    def flush(self) -> None:
        self.display.stream.flush()


@dataclass(frozen=True)
class _BookProgress:
    """A chapter's progress among several books': its title names the book, its key tells the books apart."""

    index: int
    title: str
    done: int
    total: int
    status: str
    key: tuple[int, int]
    parts: tuple[int, int] | None = None
