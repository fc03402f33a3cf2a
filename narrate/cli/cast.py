"""CLI: the cast, preview and cache commands (registered on the main group by narrate.cli.main)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import click

from ..errors import NarrateError
from ..model import NARRATOR_SPEAKER

# Library modules are imported inside the commands so `narrate --help` stays light.

CACHE_MAX_ENV = "NARRATE_CACHE_MAX_MB"
PREVIEW_TEXT = "Hello. This is how I sound when I read your story aloud."
PREVIEW_RATE = 22050
PREVIEW_GAP_MS = 300
MAX_PROFILED = 100
"""Speakers a piper cast measures at most: enough spread for a book, a minute or two for a 900-speaker model."""
# Tried in this order; each entry: program, extra arguments, formats it can play.
PLAYERS = (
    ("paplay", (), {".wav"}),
    ("aplay", ("-q",), {".wav"}),
    ("afplay", (), {".wav", ".mp3"}),
    ("ffplay", ("-nodisp", "-autoexit", "-loglevel", "error"), {".wav", ".mp3"}),
)


def _voices_path(book, voices_path: Path | None, voices_dir: Path) -> Path:
    return voices_path if voices_path is not None else voices_dir / f"{book.slug}.toml"


# -- cast -------------------------------------------------------------------------------------

@click.command("cast")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--voices", "voices_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Voice map to create or update (default: VOICES_DIR/<book>.toml).")
@click.option("--voices-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("voices"),
              show_default=True, help="Folder of voice maps, one <book>.toml per book.")
@click.option("--dry-run", is_flag=True, help="Show the cast without writing anything.")
@click.option("--all", "all_documents", is_flag=True,
              help="EPUB: also read the front and back matter (cover, title page, contents, licence...).")
@click.option("--engine", type=click.Choice(["espeak", "piper"]), default="espeak", show_default=True,
              help="espeak: a voice per speaker by gender. piper: each speaker a distinct speaker of one "
                   "multi-speaker model, matched by measured pitch.")
@click.option("--model", metavar="NAME", help="piper model to cast on (default: the installed one with most speakers).")
@click.option("--max-speakers", type=click.IntRange(2), default=MAX_PROFILED, show_default=True,
              help="piper: how many of the model's speakers to hear out (spread over its ids) before casting.")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
              show_default=True, help="Where `narrate render` and `narrate script` write the book: the speakers "
                                      "of its corrected scripts (DIR/<book>/script) are cast too.")
def cast_command(source: Path, voices_path: Path | None, voices_dir: Path, dry_run: bool,
                 all_documents: bool, engine: str, model: str | None, max_speakers: int, out_dir: Path) -> None:
    """Find the speakers in SOURCE and write a voice map to edit.

    Creates voices/<book>.toml with a [narrator] table and one [speakers."Name"] table per
    speaker (engine, voice, rate in words per minute, pitch 0-99). Run it again after the
    text changes: new speakers are added, and everything you edited, comments included,
    is kept. `narrate render` uses the file automatically.

    With --engine piper, the narrator is the steadiest speaker of a multi-speaker piper model and each
    character a distinct other one, women on the higher voices and men on the lower, main characters as
    far apart as the model allows (`narrate voices profile MODEL` shows what was measured).
    """
    import sys

    from ..render.pipeline import script_book
    from ..text.reader import load_book
    from ..voices.casting import (
        auto_cast,
        check_voices,
        speaker_stats,
        update_voice_map_file,
        warn_unused_speakers,
        with_map_genders,
    )
    from ..voices.castrecord import CAST_FILE, read_cast, with_recorded
    from ..voices.profile import speaker_profile

    if model is not None and engine != "piper":
        raise click.UsageError("--model goes with --engine piper")
    book = load_book(source, all_documents=all_documents)
    stats = speaker_stats(script_book(book, out_dir / book.slug))
    path = _voices_path(book, voices_path, voices_dir)
    existed = path.is_file()
    caster = None
    if engine == "piper":
        from ..voices.multicast import multi_speaker_cast
        from ..voices.profile import profile_model
        from .voices import pick_model, profile_progress

        model = model or pick_model()
        profile, _ = profile_model(model, profile_progress(sys.stderr), max_speakers)
        def caster(st, ex, _language):
            return multi_speaker_cast(st, ex, profile, model)

    if caster is None:
        # The automatic voices the book was rendered with so far, for the speakers the map does not name yet.
        recorded = read_cast(out_dir / book.slug / CAST_FILE, book.language)

        def caster(st, ex, language):
            return auto_cast(st, with_recorded(ex, recorded, st, language), language)

    cast, added = update_voice_map_file(path, book.title, stats, dry_run=dry_run, language=book.language,
                                        caster=caster)
    check_voices(cast)
    stats = with_map_genders(stats, cast)
    warn_unused_speakers(cast, stats)

    def describe(voice) -> str:
        measured = speaker_profile(voice)
        return f"{voice.voice} rate {voice.rate} pitch {voice.pitch}" + \
            (f" ({voice.engine})" if voice.engine != "espeak" else "") + \
            (f", F0 {measured.f0_hz:.0f} Hz" if measured else "")

    width = max([len("speaker"), len("(narrator)"), *(len(n) for n in stats)]) + 2
    click.echo(f"{'speaker':<{width}}{'gender':<9}{'lines':>5}  voice")
    click.echo(f"{'(narrator)':<{width}}{'':<9}{'':>5}  {describe(cast.narrator)}")
    for name, info in stats.items():
        canonical = cast.canonical(name)
        voice = cast.speakers.get(canonical)
        shown = describe(voice) if voice else "the narrator's" if name == NARRATOR_SPEAKER else "default for its gender"
        if canonical != name:
            shown = f"= {canonical}: {shown}"
        mark = "  (new)" if name in added else ""
        click.echo(f"{name:<{width}}{info['gender']:<9}{info['lines']:>5}  {shown}{mark}")
    if not stats:
        click.echo("(no dialogue speakers found; only the narrator reads)")
    if dry_run:
        verb = "would add" if existed else "would create with"
        click.echo(f"dry run: {path} not written ({verb} {len(added)} speaker(s))")
    elif added or not existed:
        click.echo(f"{'wrote' if not existed else 'updated'} {path} ({len(added)} new speaker(s)); "
                   f"edit it, then run `narrate render {source}`")
    else:
        click.echo(f"{path} is up to date (no new speakers)")


# -- preview ----------------------------------------------------------------------------------

def _write_audio(path: Path, audio, title: str, album: str) -> None:
    """Write a preview as MP3 or WAV (by suffix), atomically."""
    import wave

    from ..audio.export import Encoding, Section, Tags, atomic_path, write_mp3

    if path.suffix.lower() == ".mp3":
        tags = Tags(title=title, album=album, artist="narrate preview", track=1, track_total=1)
        write_mp3(path, audio, tags, [Section(title, 0, len(audio))], Encoding())
        return
    try:
        with atomic_path(path) as tmp, wave.open(str(tmp), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(audio.frame_rate)
            w.writeframes(audio.raw_data)
    except OSError as exc:
        raise NarrateError(f"{path}: cannot write ({exc.strerror})") from None


def _play(path: Path) -> str | None:
    """Play `path` with the first player found; return its name, or None when there is none."""
    for program, args, formats in PLAYERS:
        exe = shutil.which(program)
        if exe is None or path.suffix.lower() not in formats:
            continue
        proc = subprocess.run([exe, *args, str(path)], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            detail = (proc.stderr or "").strip().splitlines()
            raise NarrateError(f"{program} could not play {path} (exit {proc.returncode}"
                               f"{': ' + detail[-1] if detail else ''}); the preview is saved there")
        return program
    return None


def _slug(name: str) -> str:
    from ..text.reader import slugify

    return slugify(name, "voice")


@click.command("preview")
@click.argument("source", required=False, type=click.Path(path_type=Path))
@click.option("--speaker", metavar="NAME", help="Speaker whose voice to hear (default: the narrator).")
@click.option("--text", metavar="TEXT", help="Say this instead of the speaker's first lines.")
@click.option("-o", "--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Output .wav or .mp3 (default: preview-<speaker>.wav).")
@click.option("--play", is_flag=True, help="Play the preview if an audio player is found.")
@click.option("--voices", "voices_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Voice map (default: VOICES_DIR/<book>.toml if present, else the automatic cast).")
@click.option("--voices-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("voices"),
              show_default=True, help="Folder of voice maps, one <book>.toml per book.")
@click.option("--voice", "voice_id", metavar="VOICE",
              help="Try this voice instead of the voice map's, e.g. en-us+f2 (SOURCE then optional).")
@click.option("--engine", default="espeak", show_default=True, help="Engine for --voice.")
@click.option("--rate", type=click.IntRange(20, 1000), default=None, help="Words per minute for --voice.")
@click.option("--pitch", type=click.IntRange(0, 100), default=None,
              help="Pitch for --voice: 50 is the voice's own (espeak 0-99, piper 0-100).")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
              show_default=True, help="Where `narrate render` and `narrate script` write the book: the speakers "
                                      "of its corrected scripts (DIR/<book>/script) have voices too.")
def preview_command(source, speaker, text, out_path, play, voices_path, voices_dir, voice_id, engine,
                    rate, pitch, out_dir) -> None:
    """Render a few seconds of one speaker's voice to a file, and optionally play it.

    \b
    narrate preview texts/rory-and-jess --speaker Rory --play
    narrate preview texts/rory-and-jess --speaker Jess --text "Come away with me."
    narrate preview --voice en-us+f2 --rate 160 --pitch 60 -o try.mp3
    """
    import dataclasses

    from ..audio.export import check_output_file
    from ..audio.values import silence
    from ..model import Voice
    from ..render.pipeline import RenderOptions, resolve_voices, script_book
    from ..text.reader import load_book
    from ..voices.casting import find_speaker, speaker_lines, speaker_stats
    from ..voices.engines import get_engine
    from ..voices.synth import ClipCache, default_cache_dir, synthesize_text

    if source is None and voice_id is None:
        raise click.UsageError("give a SOURCE book, or --voice to try a voice without one")
    if voice_id is None and (rate is not None or pitch is not None):
        raise click.UsageError("--rate and --pitch go with --voice")
    album = "narrate preview"
    voice = None
    name = speaker
    if source is not None:
        book = load_book(source)
        album = book.title
        scripts = script_book(book, out_dir / book.slug)  # with the user's corrections, as render casts
        cast = resolve_voices(book, scripts, RenderOptions(voices_path=voices_path, voices_dir=voices_dir,
                                                                   out_dir=out_dir))
        if speaker is not None:
            name = find_speaker(speaker, speaker_stats(scripts), cast)
        voice = cast.speakers.get(name, cast.narrator) if name else cast.narrator
        if text is None:
            text = " ".join(speaker_lines(scripts, cast, name, [c.body_start for c in book.chapters]))
    if voice_id is not None:
        base = voice or Voice()
        voice = dataclasses.replace(base, engine=engine, voice=voice_id,
                                    rate=rate if rate is not None else base.rate,
                                    pitch=pitch if pitch is not None else base.pitch)
        get_engine(voice.engine).check_voice(voice)
    text = text or PREVIEW_TEXT
    if source is not None:
        from ..render.plan import Pronouncer

        text = Pronouncer(book.pronunciations).spoken(text, voice) or text  # heard as a render says it
    out_path = out_path or Path(f"preview-{_slug(name or 'narrator')}.wav")
    if out_path.suffix.lower() not in (".wav", ".mp3"):
        raise click.BadParameter("expected a .wav or .mp3 file name", param_hint="'-o' / '--out'")
    check_output_file(out_path)  # before synthesizing, which is the slow part
    clips = synthesize_text(text, voice, PREVIEW_RATE, ClipCache(default_cache_dir()))
    if not clips:
        raise NarrateError(f"{voice.voice} produced no sound for {text[:40]!r}")
    audio = clips[0]
    for clip in clips[1:]:
        audio = audio + silence(PREVIEW_GAP_MS, PREVIEW_RATE) + clip
    _write_audio(out_path, audio, f"{name or 'Narrator'}: {voice.voice}", album)
    who = name or ("the narrator" if voice_id is None else "the voice")
    click.echo(f"{out_path}: {len(audio) / 1000:.1f} s of {who} "
               f"({voice.voice}, rate {voice.rate}, pitch {voice.pitch})")
    if play:
        player = _play(out_path)
        if player is None:
            names = ", ".join(p for p, _, formats in PLAYERS if out_path.suffix.lower() in formats)
            click.echo(f"no audio player found ({names}); open {out_path} yourself", err=True)


# -- cache ------------------------------------------------------------------------------------

def cache_limit_bytes() -> int:
    """The clip cache size limit (NARRATE_CACHE_MAX_MB, else the library default)."""
    from ..voices.synth import default_cache_bytes

    return default_cache_bytes()


def _cache():
    from ..voices.synth import ClipCache, default_cache_dir

    return ClipCache(default_cache_dir(), max_bytes=cache_limit_bytes())


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


@click.group("cache")
def cache_group() -> None:
    """Inspect or empty the cache of synthesized clips.

    Clips are kept by a hash of their text, voice and engine version, so re-rendering after
    a small edit only synthesizes what changed. The folder is NARRATE_CACHE_DIR, else
    ~/.cache/narrate/clips; NARRATE_CACHE_MAX_MB sets its size limit.
    """


@cache_group.command("info")
def cache_info() -> None:
    """Show where the clip cache is, how many clips it holds and its size."""
    cache = _cache()
    clips = cache.files()
    everything = cache.all_files()
    clip_bytes = sum(p.stat().st_size for p in clips)
    total = sum(p.stat().st_size for p in everything)
    click.echo(f"location: {cache.root}")
    click.echo(f"clips:    {len(clips)} ({_mb(clip_bytes)})")
    # Beside the clips: their encoded MP3 pieces, loudness energies and books' scripts, which the size limit counts.
    click.echo(f"other:    {len(everything) - len(clips)} file(s) (MP3 pieces, energies, scripts; "
               f"{_mb(total - clip_bytes)})")
    click.echo(f"size:     {_mb(total)} of {_mb(cache.max_bytes)} limit")


@cache_group.command("clear")
def cache_clear() -> None:
    """Delete every cached clip (the next render synthesizes everything again)."""
    cache = _cache()
    clips = len(cache.files())
    size = cache.size_bytes()
    removed = cache.clear()
    click.echo(f"removed {clips} clip(s) and {removed - clips} other file(s), {_mb(size)}, from {cache.root}")


@cache_group.command("prune")
@click.option("--max-mb", type=click.FloatRange(0), default=None,
              help="Size to shrink to (default: NARRATE_CACHE_MAX_MB or 2048).")
def cache_prune(max_mb: float | None) -> None:
    """Delete the least recently used clips until the cache fits its size limit."""
    cache = _cache()
    if max_mb is not None:
        cache.max_bytes = int(max_mb * 1024 * 1024)
    removed = cache.prune()
    click.echo(f"removed {removed} file(s) (clips, pieces, energies, scripts); {_mb(cache.size_bytes())} left "
               f"in {cache.root}")


COMMANDS = [cast_command, preview_command, cache_group]
