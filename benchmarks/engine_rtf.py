"""Benchmark: real-time factor (synthesis seconds / audio seconds) of espeak and piper on the same text.

Run from the repository root: `python benchmarks/engine_rtf.py [--voice en_US-joe-medium] [--repeat 1]`.
The text is about 50 seconds of speech at 175 wpm (186 words), synthesized sentence by sentence as the synthesis
stage does. Model loading is timed apart (one warm-up sentence) and left out of the factor. piper is
skipped with a message when `narrate-audiobook[piper]` or the voice is not installed. Lower is faster; the last
line is the piper/espeak ratio measured in this process.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from narrate.errors import EngineError  # noqa: E402
from narrate.model import Voice  # noqa: E402
from narrate.voices.engines import get_engine  # noqa: E402
from narrate.voices.synth import sentences  # noqa: E402

TEXT = (
    "The lane ran down from the church to the river, and in the early morning it was always empty. "
    "Martha liked it best then, before the carts came and the dust rose, when the only sound was the "
    "water turning over the stones below the old mill. She walked slowly, because there was no hurry, "
    "and because the letter in her pocket had waited three weeks already and could wait a little longer. "
    "At the bridge she stopped and leaned on the warm rail. A heron stood in the shallows, patient as a "
    "post, and did not look at her. She took out the letter, unfolded it, and read the first line again. "
    "It said what she had known it would say. Her brother was coming home at last, after eleven years, "
    "and he was not coming alone. She folded the page along its creases and put it back. Then she laughed, "
    "quietly, so as not to disturb the heron, and turned toward the village to tell her mother before "
    "anyone else could. The bells were beginning to ring for the first service of the day."
)


def measure(engine_name: str, voice: Voice, parts: list[str], repeat: int) -> tuple[float, float, float]:
    """(load seconds, synthesis seconds, audio seconds) for `parts`, best of `repeat` runs."""
    engine = get_engine(engine_name)
    start = time.perf_counter()
    engine.synthesize("Warm up.", voice)
    load_s = time.perf_counter() - start
    best_synth, audio_s = float("inf"), 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        clips = [engine.synthesize(p, voice) for p in parts]
        synth_s = time.perf_counter() - start
        audio_s = sum(len(c) for c in clips) / 1000
        best_synth = min(best_synth, synth_s)
    return load_s, best_synth, audio_s


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--voice", default="en_US-joe-medium", help="piper voice (name or path to .onnx)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per engine; the fastest counts")
    args = ap.parse_args()

    parts = sentences(TEXT)
    print(f"text: {len(TEXT.split())} words in {len(parts)} sentences; cpus: {os.cpu_count()}")
    results = {}
    for name, voice in (("espeak", Voice()), ("piper", Voice("piper", args.voice))):
        try:
            get_engine(name).check_voice(voice)
            load_s, synth_s, audio_s = measure(name, voice, parts, args.repeat)
        except EngineError as exc:
            print(f"{name:<7} skipped: {exc}")
            continue
        results[name] = synth_s / audio_s
        threads = f", onnx threads {os.environ.get('NARRATE_PIPER_THREADS', '1')}" if name == "piper" else ""
        print(f"{name:<7} load {load_s:6.2f} s  synth {synth_s:6.2f} s  audio {audio_s:6.2f} s  "
              f"RTF {results[name]:.4f}{threads}")
    if "espeak" in results and "piper" in results:
        print(f"piper/espeak RTF ratio: {results['piper'] / results['espeak']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
