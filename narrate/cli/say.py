"""CLI: `narrate say`, one line in a book's voice and with its pronunciations, to check how a name sounds."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from ..errors import NarrateError
from .cast import PLAYERS, PREVIEW_GAP_MS, PREVIEW_RATE, _play, _slug, _write_audio

# Library modules are imported inside the command so `narrate --help` stays light.


@click.command("say")
@click.argument("text")
@click.argument("source", required=False, type=click.Path(path_type=Path))
@click.option("--speaker", metavar="NAME", help="Say it in this speaker's voice (default: the narrator).")
@click.option("--voice", "voice_id", metavar="VOICE", help="Say it in this voice instead, e.g. en-us+f2.")
@click.option("--engine", default=None, help="Engine for --voice (default: espeak).")
@click.option("-o", "--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a .wav or .mp3 file (default without --play: say-<speaker>.wav).")
@click.option("--play", is_flag=True, help="Play it with an audio player found on this machine.")
@click.option("--voices", "voices_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Voice map (default: VOICES_DIR/<book>.toml if present, else the automatic cast).")
@click.option("--voices-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("voices"),
              show_default=True, help="Folder of voice maps, one <book>.toml per book.")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
              show_default=True, help="Where `narrate render` and `narrate script` write the book: the speakers "
                                      "of its corrected scripts (DIR/<book>/script) have voices too.")
def say_command(text, source, speaker, voice_id, engine, out_path, play, voices_path, voices_dir, out_dir) -> None:
    """Say TEXT with SOURCE's cast and [pronunciations], to check how a name comes out.

    \b
    narrate say "Hermione and Rory came in." texts/rory-and-jess --speaker Jess --play
    narrate say "Rory" texts/rory-and-jess -o rory.mp3
    narrate say "Hello there" --voice en_US-joe-medium --engine piper -o joe.wav

    Prints what the engine was handed when the lexicon changed the text.
    """
    import dataclasses

    from ..audio.export import check_output_file
    from ..audio.values import silence
    from ..model import Voice
    from ..render.pipeline import RenderOptions, resolve_voices, script_book
    from ..render.plan import Pronouncer
    from ..text.reader import load_book
    from ..voices.casting import find_speaker, narrator_for, speaker_stats
    from ..voices.engines import get_engine
    from ..voices.synth import ClipCache, default_cache_dir, synthesize_text

    if not any(ch.isalnum() for ch in text):
        raise click.BadParameter("nothing to say: the text has no words", param_hint="'TEXT'")
    if speaker and voice_id:
        raise click.UsageError("give --speaker or --voice, not both")
    if speaker and source is None:
        raise click.UsageError("--speaker needs a SOURCE book")
    if engine and not voice_id:
        raise click.UsageError("--engine goes with --voice")
    if out_path is not None and out_path.suffix.lower() not in (".wav", ".mp3"):
        raise click.BadParameter("expected a .wav or .mp3 file name", param_hint="'-o' / '--out'")
    # Without a book, the narrator a book in English gets (what "the narrator" means everywhere else).
    voice, name, pronouncer, album = narrator_for("en"), speaker, Pronouncer(), "narrate say"
    if source is not None:
        book = load_book(source)
        album = book.title
        pronouncer = Pronouncer(book.pronunciations)
        scripts = script_book(book, out_dir / book.slug)  # with the user's corrections, as render casts
        cast = resolve_voices(book, scripts, RenderOptions(voices_path=voices_path, voices_dir=voices_dir,
                                                                   out_dir=out_dir))
        voice = cast.narrator
        if speaker is not None:
            name = find_speaker(speaker, speaker_stats(scripts), cast)
            voice = cast.speakers.get(name, cast.narrator)
    if voice_id is not None:
        voice = dataclasses.replace(Voice(), engine=engine or "espeak", voice=voice_id)
    get_engine(voice.engine).check_voice(voice)
    spoken = pronouncer.spoken(text, voice)
    if spoken is not None:
        click.echo(f"said as: {spoken}")
    if out_path is None and not play:
        out_path = Path(f"say-{_slug(name or 'narrator')}.wav")
    if out_path is not None:
        check_output_file(out_path)
    clips = synthesize_text(spoken or text, voice, PREVIEW_RATE, ClipCache(default_cache_dir()))
    if not clips:
        raise NarrateError(f"{voice.voice} produced no sound for {text[:40]!r}")
    audio = clips[0]
    for clip in clips[1:]:
        audio = audio + silence(PREVIEW_GAP_MS, PREVIEW_RATE) + clip
    who = name or ("the narrator" if voice_id is None else voice.voice)
    if out_path is not None:
        _write_audio(out_path, audio, f"{who}: {text[:60]}", album)
        click.echo(f"{out_path}: {len(audio) / 1000:.1f} s of {who} "
                   f"({voice.voice}, rate {voice.rate}, pitch {voice.pitch})")
    if play:
        with tempfile.TemporaryDirectory() as folder:
            target = out_path or Path(folder) / "say.wav"
            if out_path is None:
                _write_audio(target, audio, who, album)
            if _play(target) is None:
                names = ", ".join(p for p, _, formats in PLAYERS if target.suffix.lower() in formats)
                if out_path is None:  # nothing is kept: the command did nothing asked of it
                    raise NarrateError(f"no audio player found (tried {names}); use -o FILE to save it instead")
                # As `narrate preview --play`: the file asked for is there, only the playing is missing.
                click.echo(f"no audio player found ({names}); open {out_path} yourself", err=True)


COMMANDS = [say_command]
