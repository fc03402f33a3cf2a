"""Every LitBank excerpt (77 real novel openings) renders with the default cast, end to end."""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from audio_probe import decode_mp3
from conftest import DATA

LITBANK = DATA / "litbank"
EXCERPTS = sorted(LITBANK.glob("*.txt"))
# 8 kHz and 16 kbps keep the 77 renders (about 13 hours of speech) affordable; casting, synthesis,
# stitching, loudness and tagging run exactly as at the default rate.
RATE, KBPS = 8000, 16


def _render(args: tuple[Path, Path]) -> tuple[str, str | None, str | None]:
    """(excerpt name, book.json path or None, error or None); runs in a worker process."""
    from narrate.audio.export import Encoding
    from narrate.errors import NarrateError
    from narrate.render.pipeline import RenderOptions, render_book

    src, out = args
    options = RenderOptions(out_dir=out, voices_dir=out / "no-voices", jobs=1, sample_rate=RATE,
                            encoding=Encoding(bitrate_kbps=KBPS))
    try:
        result = render_book(src, options)
    except NarrateError as exc:
        return src.name, None, str(exc)
    return src.name, str(result.book_dir / "book.json"), None


@pytest.fixture(scope="module")
def litbank_renders(tmp_path_factory) -> dict[str, tuple[str | None, str | None]]:
    out = tmp_path_factory.mktemp("litbank")
    with ProcessPoolExecutor(2) as pool:
        done = pool.map(_render, [(src, out) for src in EXCERPTS])
        return {name: (manifest, error) for name, manifest, error in done}


def test_the_corpus_is_all_there():
    assert len(EXCERPTS) == 77


def test_every_litbank_excerpt_renders_with_the_default_cast(litbank_renders):
    failed = {name: error for name, (_, error) in litbank_renders.items() if error}
    assert not failed, f"{len(failed)} of {len(EXCERPTS)} excerpts failed: {failed}"


def test_litbank_renders_are_whole_and_use_only_voices_espeak_accepts(litbank_renders):
    from narrate.model import Voice
    from narrate.voices.engines import get_engine

    espeak = get_engine("espeak")
    voices_heard: set[str] = set()
    for name, (manifest_path, _) in litbank_renders.items():
        manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
        # An excerpt with two chapter headings or more is read as a novel in one file: a chapter each.
        chapters = manifest["chapters"]
        segments = [s for chapter in chapters for s in chapter["segments"]]
        for chapter in chapters:
            samples, rate = decode_mp3(Path(manifest_path).parent / chapter["file"])
            assert rate == RATE
            decoded_ms = len(samples) * 1000 / rate
            # book.json's duration is the audio's, within one MP3 frame (1152 samples at 8 kHz: 144 ms).
            assert abs(decoded_ms - chapter["duration_ms"]) <= 150, name
        words = len((LITBANK / name).read_text(encoding="utf-8").split())
        # Every word is read: at most ~300 words a minute even for the fastest voice of the cast.
        assert sum(c["duration_ms"] for c in chapters) >= words / 300 * 60_000, name
        speakers = {s["speaker"] for s in segments if s["kind"] == "dialogue" and s["speaker"]}
        dialogue_voices = {s["voice"] for s in segments if s["kind"] == "dialogue"}
        if len(speakers) >= 2:
            assert len(dialogue_voices) >= 2, name  # characters are not all read in one voice
        voices_heard |= {s["voice"] for s in segments}
    for voice in voices_heard:
        espeak.check_voice(Voice("espeak", voice))
