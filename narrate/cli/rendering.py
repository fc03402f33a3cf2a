"""The render command's steps shared by local and cluster renders: a source rendered (and uploaded), what it says."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import NarrateError

if TYPE_CHECKING:  # `narrate --help` imports nothing of the render
    from ..publish.remote import RemoteOutput
    from ..render.options import RenderOptions
    from ..render.pipeline import RenderResult

Row = tuple[str, "dict | None", float, str]
"""A book of the summary table: its folder (or source), manifest (None if it failed), seconds, error or ""."""


def show_logs_above(display: Any) -> None:
    """On a terminal, log lines go above the display's live block."""
    if display.enabled and display.tty:
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(display.log_stream())


def render_source(source: Path, opts: RenderOptions, progress: Any,
                  remote: RemoteOutput | None) -> tuple[RenderResult, str]:
    """render_book, and where the book now is. With outputs on storage (-o URL), the book's published files
    are fetched into the staging folder first when it lacks them (only book.json when workers upload the
    chapters themselves), and what changed is uploaded afterwards (book.json last), also the chapters that
    finished when others failed (or, when workers upload, when the render was interrupted)."""
    from ..render.pipeline import render_book

    if remote is None:
        result = render_book(source, opts, progress)
        return result, str(result.book_dir)
    from ..text.reader import load_book

    slug = load_book(source, all_documents=opts.all_documents).slug
    remote.fetch(slug, chapters=not opts.upload_to)
    try:
        result = render_book(source, opts, progress)
    except NarrateError:
        if (opts.out_dir / slug / "book.json").is_file():
            remote.publish(opts.out_dir / slug)
        raise
    except KeyboardInterrupt:
        # Chapters the workers uploaded are listed at the URL at once (a small upload: book.json), so that the
        # next run, which starts from the URL's book.json, keeps them.
        if opts.upload_to and (opts.out_dir / slug / "book.json").is_file():
            try:
                remote.publish(opts.out_dir / slug)
            except NarrateError as exc:
                logging.getLogger(__name__).warning("%s", exc)
        raise
    return result, remote.publish(result.book_dir)


def book_line(result: RenderResult, where: str) -> str:
    """What a finished book says: chapters rendered, re-tagged, unchanged, and its audio length."""
    total_ms = sum(c.get("duration_ms", 0) for c in result.manifest.get("chapters", []))
    retagged = f"{len(result.retagged)} re-tagged, " if result.retagged else ""
    return (f"{where}: {len(result.rendered)} rendered, {retagged}{len(result.skipped)} "
            f"unchanged, {total_ms / 60000:.1f} min of audio")


def sum_up(rows: list[Row], quiet: bool) -> None:
    """With several books, the summary table, and one error if any did not finish."""
    if len(rows) > 1:
        if not quiet:
            from .progress import summary_table

            click.echo(summary_table(rows))
        failed = [r for r in rows if r[3]]
        if failed:
            raise NarrateError(f"{len(failed)} of {len(rows)} books did not finish (see above); "
                               "fix what is said there and run the same command again: finished chapters are kept")
