"""CLI: the voices group: installed engine voices, the downloadable catalogue, download and remove."""

from __future__ import annotations

import sys
import time

import click

# Library modules are imported inside the commands so `narrate --help` stays light.


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"


def _list_installed(engine: str, lang: str | None) -> None:
    from ..voices.engines import get_engine

    eng = get_engine(engine)
    for v in eng.voices():
        if lang and not v.id.startswith(lang):
            continue
        click.echo(f"{v.id:<28} {v.gender:<8} {v.name}" + (f"  ({v.description})" if v.description else ""))


def _list_available(url: str | None, language: str | None) -> None:
    from ..voices.catalogue import fetch_catalogue, installed_names
    from ..voices.engines import get_engine

    catalogue = fetch_catalogue(url)
    installed = installed_names()
    # A voice piper finds in a NARRATE_PIPER_VOICES folder or a pip package is usable without a download.
    elsewhere = {m.name for m in get_engine("piper").models()} - installed
    rows = catalogue.matching(language)
    width = max([len("name"), *(len(v.key) for v in rows)]) + 2
    click.echo(f"{'name':<{width}}{'language':<10}{'quality':<9}{'speakers':>8}{'size':>10}  installed")
    for v in rows:
        status = "yes" if v.key in installed else "elsewhere" if v.key in elsewhere else "no"
        click.echo(f"{v.key:<{width}}{v.language:<10}{v.quality:<9}{v.num_speakers:>8}{_size(v.size_bytes):>10}  "
                   f"{status}")
    if not rows:
        click.echo(f"(no voice for language {language!r} in {catalogue.url})" if language
                   else f"(the catalogue at {catalogue.url} lists no voice)")


@click.group("voices", invoke_without_command=True)
@click.option("--engine", default=None, help="Engine whose voices to list (default: espeak; the catalogue is piper's).")
@click.option("--lang", "--language", "lang", default=None,
              help="Only voices of this language: an id prefix such as en (with --available: en, en_GB).")
@click.option("--available", is_flag=True, help="List the voices one can download (piper's voice catalogue).")
@click.option("--from", "url", metavar="URL", help="Catalogue base URL (default: NARRATE_VOICES_URL, else piper's).")
@click.pass_context
def voices_group(ctx: click.Context, engine: str | None, lang: str | None, available: bool, url: str | None) -> None:
    """List the voices an engine offers (espeak: base voices and the +variants that change them).

    \b
    narrate voices                          # installed espeak voices and variants
    narrate voices --engine piper           # installed piper voices and their speakers
    narrate voices --available --lang en    # downloadable piper voices
    narrate voices download en_US-lessac-medium
    narrate voices remove en_US-lessac-medium
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = {**(ctx.obj or {}), "url": url}
        return
    if available:
        if engine not in (None, "piper"):
            raise click.BadParameter("only piper voices have a catalogue", param_hint="'--engine'")
        _list_available(url, lang)
        return
    _list_installed(engine or "espeak", lang)


class _Progress:
    """Download progress on stderr: a line redrawn in place on a terminal, a line per file otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0
        self.started: set[str] = set()

    def __call__(self, p) -> None:
        if p.name not in self.started:
            self.started.add(p.name)
            if not self.tty:
                click.echo(f"downloading {p.name} ({_size(p.total_bytes)})", err=True)
        now = time.monotonic()
        if self.tty and (now - self.last > 0.1 or p.done_bytes >= p.total_bytes):
            self.last = now
            pct = 100 * p.done_bytes / p.total_bytes if p.total_bytes else 100
            click.echo(f"\r{p.name}: {pct:5.1f}% of {_size(p.total_bytes)}", err=True, nl=False)
            if p.done_bytes >= p.total_bytes:
                click.echo("", err=True)


@voices_group.command("download")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@click.option("--from", "url", metavar="URL", help="Catalogue base URL (default: NARRATE_VOICES_URL, else piper's).")
@click.pass_context
def download_command(ctx: click.Context, names: tuple[str, ...], url: str | None) -> None:
    """Download piper voices from the catalogue into narrate's data folder.

    Each file is checked against the catalogue's size and MD5 and moved into place only when whole;
    an interrupted download resumes where it stopped when run again. Name a downloaded voice in a voice
    map as `voice = "NAME"` (or "NAME#SPEAKER") with `engine = "piper"`.
    """
    from ..voices.catalogue import download_voice, fetch_catalogue, installed_names

    catalogue = fetch_catalogue(url or (ctx.obj or {}).get("url"))
    for name in names:
        catalogue.get(name)  # every name checked before anything is fetched
    for name in names:
        if name in installed_names():
            click.echo(f"{name}: already installed")
            continue
        path = download_voice(catalogue, name, _Progress())
        click.echo(f"{name}: installed in {path.parent}")


@voices_group.command("remove")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
def remove_command(names: tuple[str, ...]) -> None:
    """Delete downloaded voices from narrate's data folder."""
    from ..voices.catalogue import remove_voice

    for name in names:
        removed = remove_voice(name)
        click.echo(f"{name}: removed {len(removed)} file(s) from {removed[0].parent}")


def pick_model() -> str:
    """The installed piper model with the most speakers (NarrateError when there is none)."""
    from ..errors import NarrateError
    from ..voices.engines import get_engine

    models = get_engine("piper").models()
    if not models:
        raise NarrateError("no piper voice installed: `narrate voices --available` lists them, "
                           "`narrate voices download NAME` installs one")
    return max(models, key=lambda m: (m.num_speakers, m.name)).name


def profile_progress(stream):
    """A progress callback for profiling: a line redrawn on a terminal, nothing when piped."""
    if not stream.isatty():
        return None

    def show(done: int, total: int) -> None:
        click.echo(f"\rprofiling speakers: {done} of {total}", err=True, nl=done == total)

    return show


@voices_group.command("profile")
@click.argument("model")
@click.option("--max-speakers", type=click.IntRange(1), default=None,
              help="Measure only this many speakers, spread over the model's ids (default: all).")
def profile_command(model: str, max_speakers: int | None) -> None:
    """Measure how each speaker of a piper MODEL sounds: median F0, its spread, brightness, low or high.

    Each speaker reads a short probe; the profile is cached per model file, so it is measured once.
    `narrate cast --engine piper` casts from it.
    """
    from ..voices.profile import profile_model

    profile, cached = profile_model(model, profile_progress(sys.stderr), max_speakers)
    click.echo(f"{profile.model}: {len(profile.speakers)} speaker(s)" + (" (cached profile)" if cached else ""))
    click.echo(f"{'speaker':<12}{'id':>5}{'F0 Hz':>9}{'spread st':>11}{'centroid Hz':>13}  register")
    for s in profile.speakers:
        sid = "" if s.speaker_id is None else str(s.speaker_id)
        click.echo(f"{s.speaker or '-':<12}{sid:>5}{s.f0_hz:>9.1f}{s.spread_st:>11.2f}{s.centroid_hz:>13.0f}  {s.register}")


COMMANDS = [voices_group]
