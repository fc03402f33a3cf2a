"""Benchmark: rendering a book with a neural (piper) narrator on every core, sentence- vs chapter-parallel.

Run from the repository root: `python benchmarks/neural_render.py [--voice en_US-joe-medium] [--jobs N]`.
The book has three chapters of unequal length (1, 1 and 3 variants of a ~50 s passage), so chapters alone
balance badly across cores. Each render starts from an empty clip cache. Printed, as ratios against
the reference measured in the same run (raw piper synthesis of the same sentences, one process):

* one core: `narrate render --jobs 1`;
* chapters: every core, with chapters as the only unit of parallel work (the pre-synthesis pass off);
* sentences: every core, sentences spread over the workers first (what `narrate render` does).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from engine_rtf import TEXT  # noqa: E402

import narrate.render.parallel  # noqa: E402
from narrate.errors import EngineError  # noqa: E402
from narrate.model import Voice  # noqa: E402
from narrate.render.pipeline import RenderOptions, render_book  # noqa: E402
from narrate.voices.engines import get_engine  # noqa: E402
from narrate.voices.synth import sentences  # noqa: E402

SIZES = (1, 1, 3)
# Every copy of the passage gets its own opening words, so no sentence repeats: a repeated
# sentence would come from the clip cache and flatter the renders.
OPENERS = ("Then", "Once", "Again", "Later", "At last")


def passages() -> list[str]:
    out = []
    for opener in OPENERS[:sum(SIZES)]:
        out.append(" ".join(f"{opener}, {s[0].lower()}{s[1:]}" for s in sentences(TEXT)))
    return out


def write_book(root: Path) -> Path:
    book = root / "neural-bench"
    book.mkdir()
    texts = iter(passages())
    for n, size in enumerate(SIZES, start=1):
        body = "\n\n".join(next(texts) for _ in range(size))
        (book / f"{n:02d}-part-{n}.txt").write_text(body + "\n", encoding="utf-8")
    return book


def _synthesize_share(voice: Voice, parts: list[str]) -> None:
    engine = get_engine("piper")
    for s in parts:
        engine.synthesize(s, voice)


def raw_parallel(voice: Voice, parts: list[str], jobs: int) -> float:
    """Wall seconds for raw piper synthesis of `parts` dealt out over `jobs` fresh processes
    (start-up and model loading included, as a render pays them too): this machine's floor."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    start = time.perf_counter()
    with ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn")) as pool:
        list(pool.map(_synthesize_share, [voice] * jobs, [parts[k::jobs] for k in range(jobs)]))
    return time.perf_counter() - start


def render(book: Path, root: Path, name: str, voices: Path, jobs: int) -> tuple[float, float]:
    """(wall seconds, audio seconds) of one render from an empty cache."""
    start = time.perf_counter()
    result = render_book(book, RenderOptions(out_dir=root / name, voices_path=voices, jobs=jobs,
                                             cache_dir=root / f"cache-{name}"))
    wall = time.perf_counter() - start
    return wall, sum(c["duration_ms"] for c in result.manifest["chapters"]) / 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--voice", default="en_US-joe-medium", help="piper voice (name or path to .onnx)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: cores)")
    args = ap.parse_args()
    voice = Voice("piper", args.voice)
    try:
        get_engine("piper").check_voice(voice)
    except EngineError as exc:
        print(f"skipped: {exc}")
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        book = write_book(root)
        voices = root / "voices.toml"
        voices.write_text(f'[narrator]\nengine = "piper"\nvoice = "{args.voice}"\n', encoding="utf-8")
        parts = [s for passage in passages() for s in sentences(passage)]
        engine = get_engine("piper")
        engine.synthesize("Warm up.", voice)  # model loading is not synthesis
        start = time.perf_counter()
        for s in parts:
            engine.synthesize(s, voice)
        reference = time.perf_counter() - start
        print(f"book: {len(SIZES)} chapters ({'+'.join(map(str, SIZES))} x {len(TEXT.split())} words), "
              f"{len(parts)} sentences; cpus {os.cpu_count()}, jobs {args.jobs}")
        print(f"reference: raw piper synthesis of the same sentences, one process: {reference:.1f} s")
        floor = raw_parallel(voice, parts, args.jobs)
        print(f"raw piper synthesis dealt over {args.jobs} processes: {floor:.1f} s = {floor / reference:.2f} x "
              f"reference (what {args.jobs} cores give this machine)")

        one, audio = render(book, root, "one", voices, 1)
        real = narrate.render.parallel.worth_presynthesizing
        narrate.render.parallel.worth_presynthesizing = lambda *a: False
        try:
            chapters, _ = render(book, root, "chapters", voices, args.jobs)
        finally:
            narrate.render.parallel.worth_presynthesizing = real
        spread, _ = render(book, root, "sentences", voices, args.jobs)
        print(f"audio: {audio:.1f} s")
        for label, wall in (("one core", one), ("chapters", chapters), ("sentences", spread)):
            print(f"{label:<10} {wall:6.1f} s  = {wall / reference:.2f} x reference  "
                  f"({audio / wall:.1f} audio-s per s)")
        print(f"sentences / chapters: {spread / chapters:.2f}; sentences / raw parallel floor: {spread / floor:.2f}; "
              f"speed-up over one core: {one / spread:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
