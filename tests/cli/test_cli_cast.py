"""Tests for narrate.cli.cast: cast, preview and cache commands through click's CliRunner."""

from __future__ import annotations

import json
import os
import stat
import wave
from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner
from conftest import THREE_ROOMS, copy_book

from narrate.cli.cast import COMMANDS
from narrate.cli.main import NarrateGroup
from narrate.cli.main import cli as main_cli
from narrate.voices.casting import load_voice_map


@click.group(cls=NarrateGroup)
def cli() -> None:
    """Test group holding the commands narrate.cli.main registers."""


for _command in COMMANDS:
    cli.add_command(_command)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path with a private clip cache and the book copied to tmp_path/three-rooms."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NARRATE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NARRATE_CACHE_MAX_MB", raising=False)
    copy_book(THREE_ROOMS, tmp_path / "three-rooms")
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


@pytest.mark.parametrize("command", [["cast"], ["preview"], ["cache"], ["cache", "info"], ["cache", "clear"],
                                     ["cache", "prune"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    body = result.output.split("Options:")[0]
    assert len(body.split("\n", 2)[-1].strip()) > 20, result.output


# -- cast -------------------------------------------------------------------------------------

def test_cast_dry_run_writes_nothing(env: Path) -> None:
    result = run("cast", "three-rooms", "--dry-run")
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.output.splitlines()[1:5]}
    assert rows["Jess"][2] == "5" and rows["Rory"][1:3] == ["female", "5"] and rows["Luke"][2] == "1"
    assert "dry run" in result.output
    assert not (env / "voices").exists()


def test_cast_writes_then_keeps_edits(env: Path) -> None:
    result = run("cast", "three-rooms")
    assert result.exit_code == 0, result.output
    path = env / "voices" / "three-rooms.toml"
    assert f"wrote {Path('voices') / 'three-rooms.toml'}" in result.output
    vm = load_voice_map(path)
    assert set(vm.speakers) == {"Jess", "Rory", "Luke"}
    assert len({vm.speakers[n].voice for n in ("Jess", "Rory")} | {vm.narrator.voice}) == 3

    text = path.read_text(encoding="utf-8").replace("[speakers.Luke]", "# the diner owner\n[speakers.Luke]")
    text = text.replace('voice = "en-us+m5"', 'voice = "en-us+m7"  # gruffer')
    path.write_text(text, encoding="utf-8")
    result = run("cast", "three-rooms")
    assert result.exit_code == 0 and "up to date" in result.output
    assert path.read_text(encoding="utf-8") == text
    assert "en-us+m7" in result.output.split("Luke", 1)[1].splitlines()[0]


def test_cast_with_explicit_file_and_voices_dir(env: Path) -> None:
    assert run("cast", "three-rooms", "--voices-dir", "maps").exit_code == 0
    assert (env / "maps" / "three-rooms.toml").is_file()
    assert run("cast", "three-rooms", "--voices", "elsewhere/mine.toml").exit_code == 0
    assert load_voice_map(env / "elsewhere" / "mine.toml").speakers.keys() == {"Jess", "Rory", "Luke"}


@pytest.mark.parametrize("content, message", [
    ('[narrator]\nvoice = "en-us"\nspeed = 2\n', "[narrator]: unknown key 'speed'"),
    ('[speakers."Jess"]\nvoice = "xx-nope"\n', '[speakers."Jess"]: unknown espeak voice'),
])
def test_cast_reports_a_bad_voice_map_as_one_line(env: Path, content: str, message: str) -> None:
    path = env / "voices" / "three-rooms.toml"
    path.parent.mkdir()
    path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(cli, ["cast", "three-rooms"])
    assert result.exit_code == 1
    assert result.output.startswith(f"narrate: error: {Path('voices') / 'three-rooms.toml'}: ")
    assert message in result.output


def test_cast_missing_book_is_an_error(env: Path) -> None:
    result = CliRunner().invoke(cli, ["cast", "nope"])
    assert result.exit_code == 1 and "narrate: error: nope" in result.output


# -- preview ----------------------------------------------------------------------------------

def test_preview_speaker_first_lines_and_text(env: Path) -> None:
    result = run("preview", "three-rooms", "--speaker", "luke", "-o", "luke.wav")
    assert result.exit_code == 0, result.output
    assert "luke.wav" in result.output and "Luke" in result.output
    assert 1.0 < wav_seconds(env / "luke.wav") < 6.0
    long = run("preview", "three-rooms", "--speaker", "Luke", "-o", "long.wav",
               "--text", "This is a much longer sentence, said slowly and carefully, to hear the voice well.")
    assert long.exit_code == 0, long.output
    assert wav_seconds(env / "long.wav") > wav_seconds(env / "luke.wav") + 1.0
    # Default file name; the narrator without --speaker; no leftovers of the atomic write.
    assert run("preview", "three-rooms").exit_code == 0
    assert (env / "preview-narrator.wav").is_file()
    assert not list(env.glob(".*.part"))


def test_preview_follows_the_voice_map(env: Path) -> None:
    assert run("cast", "three-rooms").exit_code == 0
    path = env / "voices" / "three-rooms.toml"
    voice = load_voice_map(path).speakers["Rory"].voice
    result = run("preview", "three-rooms", "--speaker", "Rory", "-o", "a.wav")
    assert f"({voice}," in result.output
    text = path.read_text(encoding="utf-8").replace(f'voice = "{voice}"', 'voice = "en-us+f1"')
    path.write_text(text, encoding="utf-8")
    result = run("preview", "three-rooms", "--speaker", "Rory", "-o", "b.wav")
    assert "en-us+f1" in result.output


def test_preview_unknown_speaker_lists_the_known_ones(env: Path) -> None:
    result = CliRunner().invoke(cli, ["preview", "three-rooms", "--speaker", "Bob"])
    assert result.exit_code == 1
    assert "unknown speaker 'Bob' (known speakers: Jess, Luke, Rory; and Narrator)" in result.output
    assert not list(env.glob("*.wav"))
    # The narrator can be named too, in any case.
    narrator = run("preview", "three-rooms", "--speaker", "narrator", "-o", "n.wav")
    assert narrator.exit_code == 0 and "of Narrator (en-gb-x-rp+m2" in narrator.output, narrator.output


def test_preview_a_voice_without_a_book_as_mp3(env: Path) -> None:
    import miniaudio

    result = run("preview", "--voice", "en-us+f2", "--rate", "150", "--pitch", "70", "-o", "try.mp3")
    assert result.exit_code == 0, result.output
    snd = miniaudio.decode_file(str(env / "try.mp3"), output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1)
    x = np.frombuffer(snd.samples, dtype=np.int16)
    assert 1.5 < len(x) / snd.sample_rate < 8 and np.abs(x).max() > 3000
    from mutagen.id3 import ID3

    assert "en-us+f2" in str(ID3(str(env / "try.mp3"))["TIT2"])


@pytest.mark.parametrize("args, message", [
    (["preview"], "give a SOURCE book, or --voice"),
    (["preview", "three-rooms", "--rate", "150"], "--rate and --pitch go with --voice"),
    (["preview", "--voice", "en-us", "-o", "x.ogg"], ".wav or .mp3"),
    (["preview", "--voice", "en-us", "--pitch", "300"], "--pitch"),
])
def test_preview_bad_options_exit_2(env: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert message in result.output


def test_preview_unknown_voice_is_an_error(env: Path) -> None:
    result = CliRunner().invoke(cli, ["preview", "--voice", "xx-nope"])
    assert result.exit_code == 1 and "unknown espeak voice 'xx-nope'" in result.output


def _fake_player(folder: Path, name: str, code: int) -> None:
    folder.mkdir(exist_ok=True)
    script = folder / name
    script.write_text(f'#!/bin/sh\necho "$@" > "{folder}/played"\necho "device busy" >&2\nexit {code}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_preview_play_is_never_required(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(env / "empty-bin"))
    result = CliRunner().invoke(cli, ["preview", "--voice", "en-us", "--play", "-o", "p.wav"])
    assert result.exit_code == 0, result.output
    assert "no audio player found" in result.output and (env / "p.wav").is_file()


def test_preview_play_uses_a_player(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = env / "bin"
    _fake_player(bin_dir, "aplay", 0)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    result = CliRunner().invoke(cli, ["preview", "--voice", "en-us", "--play", "-o", "p.wav"])
    assert result.exit_code == 0, result.output
    assert (bin_dir / "played").read_text().split() == ["-q", "p.wav"]
    # A player that fails is reported with its message, and the file stays.
    (bin_dir / "aplay").unlink()
    _fake_player(bin_dir, "paplay", 3)
    result = CliRunner().invoke(cli, ["preview", "--voice", "en-us", "--play", "-o", "p.wav"])
    assert result.exit_code == 1
    assert "paplay could not play p.wav (exit 3: device busy)" in result.output
    assert (env / "p.wav").is_file()


# -- cache ------------------------------------------------------------------------------------

def test_cache_info_prune_and_clear(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run("cache", "info")
    assert result.exit_code == 0 and "clips:    0" in result.output and str(env / "cache") in result.output
    assert "2048.0 MB limit" in result.output
    run("preview", "--voice", "en-us", "--text", "One. Two. Three.", "-o", "x.wav")
    assert "clips:    3" in run("cache", "info").output
    monkeypatch.setenv("NARRATE_CACHE_MAX_MB", "0.5")
    assert "0.5 MB limit" in run("cache", "info").output
    assert "removed 0 file(s)" in run("cache", "prune").output  # 3 short clips fit in 0.5 MB
    assert "removed 3 file(s)" in run("cache", "prune", "--max-mb", "0").output
    run("preview", "--voice", "en-us", "--text", "One. Two. Three.", "-o", "x.wav")
    # A render keeps pieces and energies beside the clips: info counts them as clear removes them.
    book = env / "b.txt"
    book.write_text('"Hello there," said Ann.\n', encoding="utf-8")
    made = CliRunner().invoke(main_cli, ["render", str(book), "-o", str(env / "out"), "-q"])
    assert made.exit_code == 0, made.output
    info = run("cache", "info").output
    clips, other = (int(line.split()[1]) for line in info.splitlines() if line.startswith(("clips:", "other:")))
    assert clips >= 5 and other > 0
    assert f"removed {clips} clip(s) and {other} other file(s)" in run("cache", "clear").output
    assert "clips:    0" in run("cache", "info").output
    monkeypatch.setenv("NARRATE_CACHE_MAX_MB", "lots")
    result = CliRunner().invoke(cli, ["cache", "info"])
    assert result.exit_code == 1 and "NARRATE_CACHE_MAX_MB='lots'" in result.output


def _correct_first_line(script: Path, speaker: str) -> str:
    """Give the first dialogue line of a chapter's script file to `speaker`; return whose it was."""
    data = json.loads(script.read_text(encoding="utf-8"))
    seg = next(s for s in data["segments"] if s["kind"] == "dialogue")
    was, seg["speaker"] = seg["speaker"], speaker
    script.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return was


@pytest.mark.parametrize("out_dir", [None, "elsewhere"])
def test_a_speaker_added_by_a_script_correction_is_cast_previewed_and_said(env: Path, out_dir: str | None) -> None:
    """A user corrects a line to a new character: `cast`, `preview` and `say` know that character (with the
    gender its title gives) and give it the voice `render` gives it, from the scripts under -o/--out-dir."""
    where = ["--out-dir", out_dir] if out_dir else []
    made = CliRunner().invoke(main_cli, ["script", "three-rooms"] + (["-o", out_dir] if out_dir else []))
    assert made.exit_code == 0, made.output
    script = sorted((env / (out_dir or "output") / "three-rooms" / "script").glob("*.json"))[0]
    _correct_first_line(script, "Mrs. Gibbs")
    dry = run("cast", "three-rooms", "--dry-run", *where)
    assert dry.exit_code == 0, dry.output
    row = next(line for line in dry.output.splitlines() if line.startswith("Mrs. Gibbs"))
    assert row.split()[2] == "female"
    # Without the corrections (another output folder) and before the map names her, she is unknown.
    assert "unknown speaker" in run("preview", "three-rooms", "--speaker", "Mrs. Gibbs", "--out-dir", "none").output
    assert run("cast", "three-rooms", *where).exit_code == 0
    voice = load_voice_map(env / "voices" / "three-rooms.toml").speakers["Mrs. Gibbs"].voice
    previewed = run("preview", "three-rooms", "--speaker", "mrs. gibbs", "-o", "g.wav", *where)
    assert previewed.exit_code == 0 and f"({voice}," in previewed.output, previewed.output
    said = CliRunner().invoke(main_cli, ["say", "Hello.", "three-rooms", "--speaker", "Mrs. Gibbs", "-o", "s.wav",
                                         *where])
    assert said.exit_code == 0 and f"({voice}," in said.output, said.output


def test_say_without_a_book_is_the_default_narrator_and_reports_rate_and_pitch(env: Path) -> None:
    said = CliRunner().invoke(main_cli, ["say", "Hello there.", "-o", "hello.wav"])
    assert said.exit_code == 0, said.output
    assert said.output.strip() == "hello.wav: " + said.output.split(": ", 1)[1].strip()
    assert "of the narrator (en-gb-x-rp+m2, rate 165, pitch 62)" in said.output


def test_a_disclaimer_at_a_chapters_start_is_no_character_and_hermione_speaks(env: Path) -> None:
    """'Disclaimer: Still not mine.' under 'Chapter 2: The Reply' was cast as a character and took the lines of
    Hermione, named once, at the start of the paragraph whose speech 'she said' tags."""
    from conftest import DATA

    book = DATA / "fanfic" / "ffn_disclaimer_in_chapter.txt"
    rows = {line.split()[0]: line.split() for line in run("cast", str(book), "--dry-run").output.splitlines()[1:]}
    assert "Disclaimer" not in rows and rows["Hermione"][1:3] == ["female", "2"], rows
    script = CliRunner().invoke(main_cli, ["script", str(book)], catch_exceptions=False).output
    said = [line.split(":", 1)[0].strip() for line in script.splitlines() if "\u201c" in line]
    assert said == ["Harry", "Ron", "Hermione", "Harry", "Hermione"], script
