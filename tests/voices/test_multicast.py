"""Voice profiles and multi-speaker casting, measured: the tone fixture's speakers sing known pitches."""

from __future__ import annotations

import json
import tomllib

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import DATA, THREE_ROOMS, copy_book

from narrate.cli.main import cli
from narrate.model import Voice, VoiceMap
from narrate.voices.multicast import multi_speaker_cast, steady_narrator
from narrate.voices.profile import ModelProfile, SpeakerProfile

TONE_DIR = DATA / "tone-voice"
TONE = "en_US-tone-multi"
DESIGN_F0 = {0: 110.0, 1: 165.0, 2: 247.5, 3: 371.25}


@pytest.fixture
def tone_env(tmp_path, monkeypatch):
    pytest.importorskip("piper")
    monkeypatch.setenv("NARRATE_PIPER_VOICES", str(TONE_DIR))
    monkeypatch.setenv("NARRATE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_profile_measures_each_speaker_once(tone_env, monkeypatch):
    res = CliRunner().invoke(cli, ["voices", "profile", TONE])
    assert res.exit_code == 0, res.output
    rows = {line.split()[0]: line.split() for line in res.output.splitlines()[2:]}
    for name, sid in (("low", 0), ("mid", 1), ("high", 2), ("3", 3)):
        row = rows[name]
        assert int(row[1]) == sid
        assert abs(float(row[2]) / DESIGN_F0[sid] - 1) < 0.01, row  # a tone: its F0 exactly, no spread
        assert float(row[3]) < 0.2
        assert row[5] == ("low" if sid == 0 else "high")
    assert float(rows["3"][4]) > float(rows["low"][4])  # higher tones, brighter spectrum
    assert list((tone_env / "cache" / "profiles").glob("*.json"))

    from narrate.voices.engines.piper import PiperEngine

    def no_synthesis(*args):
        raise AssertionError("a cached profile is not measured again")

    monkeypatch.setattr(PiperEngine, "synthesize", no_synthesis)
    again = CliRunner().invoke(cli, ["voices", "profile", str(TONE_DIR / f"{TONE}.onnx")])
    assert again.exit_code == 0 and "(cached profile)" in again.output.splitlines()[0]


def speaker(sid: int, f0: float, spread: float = 2.0, centroid: float | None = None) -> SpeakerProfile:
    return SpeakerProfile(str(sid), sid, f0, spread, centroid or f0 * 4, "low" if f0 < 160 else "high")


def test_main_characters_spread_over_a_big_model():
    speakers = tuple(speaker(i, f0, spread) for i, (f0, spread) in enumerate(
        [(85, 3), (95, 2), (105, 3), (120, 2.5), (140, 3), (175, 3), (190, 1.0), (210, 3), (230, 2), (260, 3)]))
    profile = ModelProfile("big", "0" * 64, speakers)
    assert steady_narrator(speakers).speaker_id == 6  # the steadiest by far
    stats = {"Ann": {"gender": "female", "lines": 9}, "Bob": {"gender": "male", "lines": 8},
             "Cat": {"gender": "female", "lines": 7}, "Dan": {"gender": "male", "lines": 6},
             "Eve": {"gender": "female", "lines": 1}}
    cast = multi_speaker_cast(stats, None, profile, "big")
    f0 = {name: speakers[int(v.voice.split("#")[1])].f0_hz for name, v in cast.speakers.items()}
    assert cast.narrator.voice == "big#6"
    assert len({v.voice for v in [cast.narrator, *cast.speakers.values()]}) == 6  # all distinct
    assert min(f0["Ann"], f0["Cat"], f0["Eve"]) > 160 > max(f0["Bob"], f0["Dan"])
    # The first of each gender takes the far end of the range; the second is as far from everyone as possible.
    assert f0["Ann"] == 260 and f0["Bob"] == 85
    assert f0["Dan"] == 120 and f0["Cat"] == 230


def test_existing_entries_are_kept_and_avoided():
    speakers = (speaker(0, 100), speaker(1, 200), speaker(2, 300), speaker(3, 120))
    profile = ModelProfile("m", "0" * 64, speakers)
    existing = VoiceMap(narrator=Voice("espeak", "en-gb-x-rp+m2"), speakers={"Ann": Voice("piper", "m#2")})
    cast = multi_speaker_cast({"Ann": {"gender": "female", "lines": 5}, "Bea": {"gender": "female", "lines": 5}},
                              existing, profile, "m")
    assert cast.narrator == existing.narrator and cast.speakers["Ann"] == Voice("piper", "m#2")
    assert cast.speakers["Bea"].voice == "m#1"  # the other high voice


def test_more_characters_than_speakers_share(monkeypatch):
    speakers = (speaker(0, 100, 1), speaker(1, 200))
    stats = {f"M{i}": {"gender": "male", "lines": 5} for i in range(3)}
    cast = multi_speaker_cast(stats, None, ModelProfile("m", "0" * 64, speakers), "m")
    assert {v.voice for v in cast.speakers.values()} <= {"m#0", "m#1"}


def test_a_one_speaker_model_tells_its_characters_apart_by_pitch_and_says_so(caplog):
    """A model of one speaker (piper's joe): every character had the narrator's exact voice, and nothing said
    so. Now women sit above its pitch and men below, each its own, with a warning."""
    import logging

    stats = {"Ann": {"gender": "female", "lines": 9}, "Bob": {"gender": "male", "lines": 8},
             "Cat": {"gender": "female", "lines": 7}, "Dan": {"gender": "male", "lines": 1}}
    with caplog.at_level(logging.WARNING, logger="narrate.voices.multicast"):
        cast = multi_speaker_cast(stats, None, ModelProfile("m", "0" * 64, (speaker(0, 120),)), "m")
    voices = [cast.narrator, *cast.speakers.values()]
    assert len({(v.voice, v.pitch) for v in voices}) == len(voices) == 5
    assert cast.speakers["Ann"].pitch > 50 and cast.speakers["Cat"].pitch > 50
    assert cast.speakers["Bob"].pitch < 50 and cast.speakers["Dan"].pitch < 50
    assert "has 1 speaker(s) for the narrator and 4 characters" in caplog.text


def test_cast_and_render_on_the_tone_model(tone_env):
    from audio_probe import decode_mp3, f0_median, slice_ms

    book = copy_book(THREE_ROOMS, tone_env / "three-rooms")
    res = CliRunner().invoke(cli, ["cast", str(book), "--engine", "piper", "--model", TONE])
    assert res.exit_code == 0, res.output
    table = {line.split()[0]: line for line in res.output.splitlines()[1:5]}
    assert "F0 165 Hz" in table["(narrator)"] and "Hz" in table["Rory"]
    voices = tomllib.loads((tone_env / "voices" / "three-rooms.toml").read_text(encoding="utf-8"))
    chosen = [voices["narrator"]["voice"], *(v["voice"] for v in voices["speakers"].values())]
    assert len(set(chosen)) == 4 and all(v.startswith(f"{TONE}#") for v in chosen)

    res = CliRunner().invoke(cli, ["render", str(book), "-o", "out", "-j", "1", "--chapters", "2"])
    assert res.exit_code == 0, res.output
    manifest = json.loads((tone_env / "out" / "three-rooms" / "book.json").read_text(encoding="utf-8"))
    (chapter,) = manifest["chapters"]
    x, rate = decode_mp3(tone_env / "out" / "three-rooms" / chapter["file"])

    def f0(who) -> float:
        parts = [slice_ms(x, rate, s["start_ms"], s["end_ms"]) for s in chapter["segments"] if s["speaker"] == who]
        return f0_median(np.concatenate(parts), rate)

    measured = {who: f0(who) for who in (None, "Jess", "Rory", "Luke")}
    # Four distinct speakers, each a fifth or more from the next; Rory, the woman, the highest.
    ordered = sorted(measured.values())
    assert all(b / a > 1.4 for a, b in zip(ordered, ordered[1:])), measured
    assert measured["Rory"] == max(measured.values()) and measured["Rory"] > 300
    assert measured["Jess"] == min(measured.values())


def test_cast_options_are_checked(tone_env):
    book = copy_book(THREE_ROOMS, tone_env / "three-rooms")
    res = CliRunner().invoke(cli, ["cast", str(book), "--model", TONE])
    assert res.exit_code == 2 and "--model goes with --engine piper" in res.output
    res = CliRunner().invoke(cli, ["cast", str(book), "--engine", "piper", "--model", "en_GB-nobody-low"])
    assert res.exit_code == 1 and "'en_GB-nobody-low' not found" in res.output


def test_a_big_model_can_be_heard_out_in_part_and_extended(tone_env, monkeypatch):
    from narrate.voices.engines.piper import PiperEngine

    said = []
    real = PiperEngine.synthesize
    monkeypatch.setattr(PiperEngine, "synthesize", lambda self, text, voice: said.append(voice.voice) or
                        real(self, text, voice))
    res = CliRunner().invoke(cli, ["voices", "profile", TONE, "--max-speakers", "2"])
    assert res.exit_code == 0, res.output
    assert [line.split()[0] for line in res.output.splitlines()[2:]] == ["low", "3"]  # the ends of the range
    assert said == [f"{TONE}#low", f"{TONE}#3"]
    res = CliRunner().invoke(cli, ["voices", "profile", TONE])
    assert [line.split()[0] for line in res.output.splitlines()[2:]] == ["low", "mid", "high", "3"]
    assert said[2:] == [f"{TONE}#mid", f"{TONE}#high"]  # only the speakers not measured before
