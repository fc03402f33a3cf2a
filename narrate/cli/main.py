"""Command line: parse options, call the library, turn NarrateError into one line and an exit code."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .._version import __version__
from ..errors import NarrateError

if TYPE_CHECKING:  # `narrate --help` imports nothing of the render
    from ..publish.remote import RemoteOutput
    from ..render.options import RenderOptions


def describe_os_error(exc: OSError) -> str:
    """One line for a file-system error the library did not name itself: the file and the problem."""
    where = exc.filename if exc.filename is not None else ""
    if exc.filename2 is not None:
        where = f"{where} -> {exc.filename2}"
    why = exc.strerror or str(exc)
    return f"{where}: {why}" if where != "" else why


class NarrateGroup(click.Group):
    """The one error boundary: a library error becomes `narrate: error: ...` and exit 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except NarrateError as exc:
            click.echo(f"narrate: error: {exc}", err=True)
            ctx.exit(1)
        except BrokenPipeError:
            # `narrate voices | head`: the reader has what it wanted. Python would complain again
            # when it flushes stdout at exit, so stdout goes to /dev/null first.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(141)
        except OSError as exc:
            # The library names the file for the errors it expects; this catches the rest (a
            # read-only or vanished folder met somewhere unforeseen) as one line, not a traceback.
            logging.getLogger(__name__).debug("file-system error", exc_info=True)
            click.echo(f"narrate: error: {describe_os_error(exc)}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt as exc:
            try:
                click.echo("narrate: interrupted; finished chapters are kept, run the same command to resume",
                           err=True)
            except OSError:  # a hung-up terminal
                pass
            ctx.exit(128 + getattr(exc, "signum", signal.SIGINT))


class Stopped(KeyboardInterrupt):
    """A stop signal (SIGTERM, SIGHUP) taken as Ctrl-C is: workers stopped, finished chapters recorded."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextlib.contextmanager
def _stop_signals_interrupt() -> Iterator[None]:
    """While a render runs, SIGTERM and SIGHUP raise Stopped, so it ends in order rather than mid-write."""
    def stop(signum: int, frame) -> None:
        raise Stopped(signum)

    previous = {s: signal.signal(s, stop) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


class _SayOnce(logging.Filter):
    """Lets each distinct warning or error through once: a cache that cannot be written says so once,
    not once per clip and worker."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[tuple[int, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.levelno, record.getMessage())
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    logging.basicConfig(level=level, format="narrate: %(levelname)s: %(message)s", stream=sys.stderr, force=True)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_SayOnce())


@click.group(cls=NarrateGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="narrate")
@click.option("-v", "--verbose", count=True, help="Log more (repeat for debug detail).")
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """narrate: turn plain-text stories into multi-voice, tagged audiobook MP3s.

    \b
    Typical use:
      narrate render texts/rory-and-jess        # MP3s + book.json in output/rory-and-jess/
      narrate script texts/rory-and-jess/01-come-away-with-me.txt
      narrate cast texts/rory-and-jess          # write voices/rory-and-jess.toml to edit
      narrate studio texts/rory-and-jess        # review and fix who speaks in the browser
    """
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    # Every command logs warnings (a voice-map typo, a script-file key) as `narrate: WARNING: ...`.
    _setup_logging(verbose, quiet=False)


# -- render -----------------------------------------------------------------------------------

@cli.command()
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...", type=click.Path(path_type=Path))
@click.option("-o", "--out", "out_dir", default="output", show_default=True, metavar="DIR|URL",
              help="Output folder; the book goes to DIR/<book>/. A storage URL such as s3://bucket/books (needs the "
                   "s3 extra): books are rendered in a staging folder here, then uploaded, book.json last (with "
                   "--cluster ADDRESS, the workers upload each chapter themselves).")
@click.option("--voices", "voices_path", type=click.Path(path_type=Path),
              help="Voice map TOML (default: DIR/<book>.toml in --voices-dir if present, else an automatic cast).")
@click.option("--voices-dir", type=click.Path(path_type=Path), default=Path("voices"), show_default=True,
              help="Folder of voice maps named <book>.toml.")
@click.option("--chapters", metavar="SPEC", help="Chapters to render, e.g. 1,3-5 (default: all).")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None,
              help="Worker processes (default: number of cores). Chapters render in parallel; with a neural "
                   "voice, or fewer chapters than workers, sentences are spread over them first.")
@click.option("--force", is_flag=True, help="Re-render chapters even if nothing changed.")
@click.option("--bitrate", type=click.IntRange(8, 320), default=None,
              help="MP3 bit rate in kbps (default 64; at most 160 at espeak-ng's 22.05 kHz, 320 with --acx).")
@click.option("--lufs", type=click.FloatRange(-40, -6), default=None,
              help="Integrated loudness target in LUFS (default -19).")
@click.option("--acx", is_flag=True,
              help="ACX audiobook preset: 44.1 kHz, 192 kbps CBR, RMS -20 dB, peaks under -3 dB, room tone.")
@click.option("--single-file", is_flag=True, help="Also write the whole book as one MP3 with a chapter mark per chapter.")
@click.option("--format", "fmt", type=click.Choice(["mp3", "m4b"]), default="mp3", show_default=True,
              help="m4b also writes the whole book as an M4B audiobook with chapters (needs ffmpeg).")
@click.option("--base-url", metavar="URL", help="Also write feed.xml for podcast players, with files under URL "
              "(with several SOURCEs, the URL of the output folder: each book's at URL/<book>/).")
@click.option("--on-engine-error", type=click.Choice(["fail", "narrator"]), default="fail", show_default=True,
              help="A line the engine cannot say: fail its chapter (others still render), or read it "
                   "with the narrator's voice and warn.")
@click.option("--no-cache", is_flag=True,
              help="Do not read or write the synthesized clip cache (a render that spreads sentences over "
                   "workers keeps its clips in a temporary folder in the output until it ends).")
@click.option("--cache", "cache_dir", metavar="DIR|URL",
              help="Clip cache folder, or storage URL such as s3://bucket/narrate-cache (needs the s3 extra) "
                   "(default: NARRATE_CACHE_DIR, else ~/.cache/narrate/clips). With --cluster, a folder or URL "
                   "every worker sees, so each sentence is synthesized once.")
@click.option("--cluster", metavar="ADDRESS",
              help="Render on a Dask cluster: a scheduler address (tcp://host:8786), or local[:N] to start N "
                   "worker processes here. Needs the dask extra. Output and cache folders must be shared (or URLs).")
@click.option("--all", "all_documents", is_flag=True,
              help="EPUB: also read the front and back matter (cover, title page, contents, licence...).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("-v", "--verbose", count=True, help="Log more (repeat for debug detail); as narrate -v render.")
@click.pass_context
def render(ctx, sources, out_dir, voices_path, voices_dir, chapters, jobs, force, bitrate, lufs, acx, single_file, fmt,
           base_url, on_engine_error, no_cache, cache_dir, cluster, all_documents, quiet, verbose):
    """Render each SOURCE (a book folder, an .epub, .html or .md book, or a .txt chapter) to one tagged MP3 per chapter.

    Writes DIR/<book>/NN-title.mp3 and DIR/<book>/book.json (titles, durations and where each
    segment sounds). Chapters whose text, voices and settings did not change are not rendered
    again, and an interrupted render resumes where it stopped. Several SOURCEs render one after
    another (with --cluster, several at once, sharing the cluster), and a table sums them up.
    """
    import dataclasses

    from ..audio.export import Encoding
    from ..audio.settings import LoudnessTarget
    from ..render.pipeline import RenderOptions
    from ..storage import is_remote, location

    ctx.obj["verbose"] += verbose
    _setup_logging(ctx.obj["verbose"], quiet)
    cache_dir = location(cache_dir) if cache_dir else None
    out = location(out_dir)
    remote = None
    if is_remote(out):
        from ..publish.remote import RemoteOutput

        remote = RemoteOutput.open(str(out))
        out = remote.staging
    opts = RenderOptions(out_dir=out, voices_path=voices_path, voices_dir=voices_dir, chapters=chapters, force=force,
                         use_cache=not no_cache, cache_dir=cache_dir, acx=acx, single_file=single_file,
                         m4b=fmt == "m4b", base_url=base_url, feed_per_book=len(sources) > 1,
                         on_engine_error=on_engine_error,
                         all_documents=all_documents)
    if jobs:
        opts = dataclasses.replace(opts, jobs=jobs)
    if bitrate and acx and bitrate != 192:
        raise click.UsageError(f"--acx encodes at 192 kbps (ACX's rule): leave out --bitrate {bitrate}")
    if bitrate:
        from ..audio.export import check_bitrate
        from ..errors import ExportError
        from ..render.options import acx_options

        try:  # once, before any book: every book would fail on it
            check_bitrate(bitrate, (acx_options(opts) if acx else opts).sample_rate)
        except ExportError as exc:
            raise click.UsageError(f"--bitrate: {exc}") from None
        opts = dataclasses.replace(opts, encoding=Encoding(bitrate_kbps=bitrate))
    if lufs is not None:
        opts = dataclasses.replace(opts, loudness=LoudnessTarget(lufs=lufs))
    with contextlib.ExitStack() as stack:
        if cluster:
            from .cluster import connect, render_together

            opts, relay, threads = connect(stack, cluster, opts, ctx.obj["verbose"], jobs, remote)
            with _stop_signals_interrupt():
                render_together(list(sources), opts, relay, quiet, threads, remote)
        else:
            _render_sources(list(sources), opts, quiet, remote)


def _render_sources(sources: list[Path], opts: RenderOptions, quiet: bool,
                    remote: RemoteOutput | None = None) -> None:
    """Render each source in turn; with several, a book that fails does not stop the others, and a table ends."""
    import time

    from ..errors import ClusterError
    from .progress import ProgressDisplay, is_terminal
    from .rendering import Row, book_line, render_source, show_logs_above, sum_up

    rows: list[Row] = []
    for source in sources:
        display = ProgressDisplay(sys.stderr, tty=is_terminal(sys.stderr), enabled=not quiet)
        show_logs_above(display)
        start = time.monotonic()
        try:
            with _stop_signals_interrupt():
                result, where = render_source(source, opts, display, remote)
        except ClusterError:
            raise  # no book can go on without the cluster
        except NarrateError as exc:
            if len(sources) == 1:
                raise
            click.echo(f"narrate: error: {exc}", err=True)
            rows.append((str(source), None, time.monotonic() - start, str(exc)))
            continue
        finally:
            display.close()
        rows.append((where, result.manifest, time.monotonic() - start, ""))
        if not quiet:
            click.echo(book_line(result, where))
    sum_up(rows, quiet)


# -- script -----------------------------------------------------------------------------------

@cli.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print segments and speakers as JSON (chapter files).")
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path), default=Path("output"),
              show_default=True, help="For a book folder: write editable scripts to DIR/<book>/script/.")
@click.option("--force", is_flag=True, help="Overwrite edited scripts instead of keeping the corrections.")
@click.option("--all", "all_documents", is_flag=True,
              help="EPUB: also read the front and back matter (cover, title page, contents, licence...).")
def script(source: Path, as_json: bool, out_dir: Path, force: bool, all_documents: bool) -> None:
    """Show who says what in SOURCE: narration and attributed dialogue.

    For a chapter file, prints each quote with its speaker; with --json prints
    {"segments": [{kind, text, speaker, start, end, rule, confidence, ...}], "speakers":
    [{name, gender, lines}]}, where start/end are string offsets into the UTF-8 decoded text.

    For a book folder or an .epub, .html or .md book, characters are discovered across the whole book and an editable
    script per chapter is written to DIR/<book>/script/NN-title.json (with --json, a summary is printed:
    {"book", "title", "chapters": [{index, title, script, speakers}]}). Change a line's
    "speaker" (or "kind") there and `narrate render` uses it; only the changed lines are
    synthesized again. Re-running `narrate script` keeps your corrections unless --force (which keeps the
    corrected file aside as .bak).
    """
    from ..text.reader import is_book_file, read_text

    if source.is_dir() or (is_book_file(source) and source.is_file()):
        from ..render.pipeline import write_scripts

        _setup_logging((click.get_current_context().find_root().obj or {}).get("verbose", 0), False)
        from ..text.reader import load_book

        book = load_book(source, all_documents=all_documents)
        written = write_scripts(book, out_dir, force=force)
        if as_json:
            click.echo(json.dumps({"book": book.slug, "title": book.title, "chapters": [
                {"index": chapter.index, "title": chapter.title, "script": str(path), "speakers": result.speakers()}
                for chapter, path, result in written]}, ensure_ascii=False))
            return
        for chapter, path, result in written:
            speakers = ", ".join(f"{sp['name']} {sp['lines']}" for sp in result.speakers()) or "no dialogue"
            click.echo(f"{path}: {chapter.title} ({speakers})")
        return
    from ..attribution.attribute import script_text

    text = read_text(source)
    result = script_text(text)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
        return
    for seg in result.segments:
        if seg.kind == "dialogue":
            click.echo(f"{seg.speaker or '?':>16}: “{' '.join(seg.text.split())}”")
    click.echo("")
    for sp in result.speakers():
        click.echo(f"{sp['name']} ({sp['gender']}): {sp['lines']} line{'' if sp['lines'] == 1 else 's'}")


def _register_plugins() -> None:
    from . import cast, chapters, podcast, say, studio, voices

    for command in (*cast.COMMANDS, *say.COMMANDS, *chapters.COMMANDS, *podcast.COMMANDS, *voices.COMMANDS,
                    *studio.COMMANDS):
        cli.add_command(command)


_register_plugins()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="narrate")


if __name__ == "__main__":  # pragma: no cover
    main()
