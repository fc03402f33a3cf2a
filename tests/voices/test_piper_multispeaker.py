"""Multi-speaker piper synthesis, measured: the tone-voice fixture sings a pitch chosen by the speaker id."""

from __future__ import annotations

import json
import math
import shutil

import pytest

pytest.importorskip("piper")

import numpy as np  # noqa: E402
from audio_probe import decode_mp3, f0_median, slice_ms  # noqa: E402
from click.testing import CliRunner  # noqa: E402
from conftest import DATA

from narrate.audio.values import samples  # noqa: E402
from narrate.model import Voice  # noqa: E402
from narrate.voices.engines import get_engine  # noqa: E402

TONE_DIR = DATA / "tone-voice"
TONE = TONE_DIR / "en_US-tone-multi.onnx"
# The fixture's design (see tests/data/make_tone_voice.py): F0 = 110 Hz * 1.5**sid, one 256-sample
# hop per phoneme id at length scale 1, speakers 0-2 named, speaker 3 reachable by number only.
DESIGN_F0 = {0: 110.0, 1: 165.0, 2: 247.5, 3: 371.25}
NAMES = {"low": 0, "mid": 1, "high": 2}
HOP = 256
RATE = 22050
# f0_median measures whole-sample autocorrelation lags: at 371 Hz (a 59.4-sample period) that alone
# is 0.7 % off.
F0_TOLERANCE = 0.02
TEXT = "The quick brown fox jumps over the lazy dog. It did not look back."


@pytest.fixture(scope="module")
def piper():
    return get_engine("piper")


def tone(speaker: str | None = None) -> Voice:
    return Voice("piper", str(TONE) if speaker is None else f"{TONE}#{speaker}")


def f0_of(audio) -> float:
    return f0_median(samples(audio), audio.frame_rate)


def assert_f0(measured: float, expected: float, what: str = "") -> None:
    assert abs(measured / expected - 1) < F0_TOLERANCE, f"{what}: measured {measured:.1f} Hz, designed {expected:.1f} Hz"


def phoneme_id_counts(text: str) -> list[int]:
    """Phoneme ids per sentence of `text` as piper feeds them to the model (one model run each)."""
    from narrate.voices.engines.piper import _import_piper

    piper_module, _ = _import_piper()  # imports piper's espeak bridge the way narrate must
    pv = piper_module.PiperVoice.load(TONE)
    return [len(pv.phonemes_to_ids(ph)) for ph in pv.phonemize(text) if ph]


@pytest.mark.parametrize("speaker,sid", [("low", 0), ("mid", 1), ("high", 2), ("0", 0), ("2", 2), ("3", 3)])
def test_each_speaker_sings_its_designed_pitch(piper, speaker, sid):
    audio = piper.synthesize(TEXT, tone(speaker))
    assert audio.frame_rate == RATE == piper.sample_rate_of(tone(speaker))
    assert_f0(f0_of(audio), DESIGN_F0[sid], f"#{speaker}")


def test_a_name_and_its_number_are_the_same_speaker(piper):
    for name, sid in NAMES.items():
        assert np.array_equal(samples(piper.synthesize(TEXT, tone(name))), samples(piper.synthesize(TEXT, tone(str(sid)))))


def test_speakers_differ_from_each_other(piper):
    f0s = [f0_of(piper.synthesize(TEXT, tone(str(sid)))) for sid in DESIGN_F0]
    # Each a fifth (x1.5) above the one before: far apart, whatever the estimator's rounding.
    assert all(b / a > 1.4 for a, b in zip(f0s, f0s[1:])), f0s


def test_without_a_speaker_piper_uses_the_configs_default_speaker(piper, tmp_path):
    # piper feeds sid = config default_speaker_id (0 when absent) whenever num_speakers > 1.
    assert_f0(f0_of(piper.synthesize(TEXT, tone())), DESIGN_F0[0], "no #speaker")
    shutil.copyfile(TONE, tmp_path / "moved.onnx")
    config = json.loads(TONE.with_name(TONE.name + ".json").read_text(encoding="utf-8"))
    config["default_speaker_id"] = 2
    (tmp_path / "moved.onnx.json").write_text(json.dumps(config), encoding="utf-8")
    moved = Voice("piper", str(tmp_path / "moved.onnx"))
    assert_f0(f0_of(piper.synthesize(TEXT, moved)), DESIGN_F0[2], "default_speaker_id 2")
    # The default lives in the config, which the cache key hashes: moving it re-renders.
    assert piper.fingerprint(moved) != piper.fingerprint(tone())


@pytest.mark.parametrize("rate", [175, 350, 100, 233])
def test_duration_follows_rate_through_length_scale(piper, rate):
    # narrate maps rate to length_scale = 175 / rate (the fixture's own scale is 1.0); the model
    # makes floor(T * 256 * length_scale) samples for each sentence's T phoneme ids.
    counts = phoneme_id_counts(TEXT)
    assert len(counts) == 2
    length_scale = 175 / rate
    expected = sum(math.floor(t * HOP * length_scale) for t in counts)
    got = len(samples(piper.synthesize(TEXT, Voice("piper", f"{TONE}#mid", rate=rate))))
    assert abs(got - expected) <= len(counts), (got, expected)  # float32 rounding: a sample per run


def test_pitch_shift_moves_a_speaker_but_keeps_its_duration(piper):
    base = piper.synthesize(TEXT, tone("high"))
    up = piper.synthesize(TEXT, Voice("piper", f"{TONE}#high", pitch=70))  # +2 semitones
    assert_f0(f0_of(up), DESIGN_F0[2] * 2 ** (2 / 12), "#high at pitch 70")
    assert abs(len(samples(up)) / len(samples(base)) - 1) < 0.01


def test_each_speaker_has_its_own_cache_key(piper):
    keys = {spec: piper.fingerprint(tone(spec)) for spec in (None, "low", "mid", "high", "3")}
    assert keys["low"] == piper.fingerprint(tone("0"))  # same speaker, same clips
    assert len({keys[s] for s in ("low", "mid", "high", "3")}) == 4
    assert all(k.endswith(f"/speaker:{s}/resample-v1") for k, s in
               ((keys["low"], 0), (keys["mid"], 1), (keys["high"], 2), (keys["3"], 3)))
    # Only the speaker differs: same model and config hashes.
    assert len({k.split("/speaker:")[0] for k in keys.values()}) == 1


def test_voices_lists_every_speaker(monkeypatch):
    from narrate.cli.main import cli

    monkeypatch.setenv("NARRATE_PIPER_VOICES", str(TONE_DIR))
    res = CliRunner().invoke(cli, ["voices", "--engine", "piper"])
    assert res.exit_code == 0, res.output
    lines = {line.split()[0]: line for line in res.output.splitlines() if line.strip()}
    assert "4 speakers" in lines["en_US-tone-multi"]
    for speaker, sid in [*NAMES.items(), ("3", 3)]:
        assert f"speaker {sid}" in lines[f"en_US-tone-multi#{speaker}"]
    # Every listed speaker is one the engine accepts (a single-speaker model lists none).
    piper = get_engine("piper")
    for voice_id in lines:
        if "#" in voice_id:
            piper.check_voice(Voice("piper", voice_id))


TWO_VOICES = """The Orchard

Anna and Ben stood under the old pear tree at the bottom of the orchard and looked up at the branches.

"The best ones are always at the very top of the tree," Anna said.

"Then we shall need the long ladder from the barn behind the house," Ben said.

They carried the ladder down between the rows of trees and leaned it against the trunk.
"""


def test_a_book_cast_from_one_model_keeps_each_speakers_pitch(tmp_path, monkeypatch):
    from narrate.render.pipeline import RenderOptions, render_book

    monkeypatch.setenv("NARRATE_CACHE_DIR", str(tmp_path / "cache"))
    cast = tmp_path / "cast"
    shutil.copytree(TONE_DIR, cast / "models")
    voices = cast / "orchard.toml"
    # Relative model paths: found next to the voice map, not in the current directory.
    voices.write_text('[narrator]\nengine = "piper"\nvoice = "models/en_US-tone-multi.onnx#low"\n\n'
                      '[speakers."Anna"]\nengine = "piper"\nvoice = "models/en_US-tone-multi.onnx#high"\n\n'
                      '[speakers."Ben"]\nengine = "piper"\nvoice = "models/en_US-tone-multi.onnx#1"\n',
                      encoding="utf-8")
    book = tmp_path / "orchard"
    book.mkdir()
    (book / "01-the-orchard.txt").write_text(TWO_VOICES, encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    result = render_book(book, RenderOptions(out_dir=tmp_path / "out", voices_path=voices, jobs=1))
    manifest = json.loads((result.book_dir / "book.json").read_text(encoding="utf-8"))
    (ch,) = manifest["chapters"]
    segs = ch["segments"]
    assert {s["speaker"] for s in segs} == {None, "Anna", "Ben"}
    x, rate = decode_mp3(result.book_dir / ch["file"])
    assert rate == RATE

    for speaker, sid in ((None, 0), ("Anna", 2), ("Ben", 1)):
        parts = [slice_ms(x, rate, s["start_ms"], s["end_ms"]) for s in segs if s["speaker"] == speaker]
        assert parts and sum(map(len, parts)) > 0.5 * rate
        assert_f0(f0_median(np.concatenate(parts), rate), DESIGN_F0[sid], f"{speaker or 'narrator'}")
