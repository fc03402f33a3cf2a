"""Benchmark: how much of a full render a re-render costs after a voice tweak, a corrected line, or no change.

Builds a 12-chapter book from the sample texts plus short dialogue chapters, in which Jess speaks in
every chapter, renders it with a fresh clip cache in a temp folder, then re-renders
  (a) after changing Jess's rate in the voice map (every chapter changes),
  (b) after correcting one line (its speaker) in one chapter's script JSON under <out>/<book>/script/,
  (c) with nothing changed,
and prints the times, the ratios against the full render, the pieces encoded, and the peak RSS of the
render process and of its workers.

    python benchmarks/rerender.py [--jobs N] [--profile]

Targets (issue 15): (a) <= 25 % of the full render, (b) <= 5 % plus that line's synthesis, (c) <= 3 %;
peak RSS of any process <= 300 MB.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "texts" / "rory-and-jess"
TARGET_TWEAK = 0.25
TARGET_LINE = 0.05
TARGET_NOCHANGE = 0.03

DIALOGUE = [
    ("The diner", ('Jess pushed open the diner door. He nodded at the counter.\n\n'
     'Luke looked up from the coffee machine. He did not smile.\n\n'
     'Luke said, "You again."\n\n'
     'Jess said, "Me again. Coffee, please."\n\n'
     'Luke said, "Only if you pay this time."\n\n'
     'Jess said, "I always pay."\n\n'
     'Luke said, "You never pay. Sit down before I change my mind."\n')),
    ("The bridge", ('Rory walked to the bridge after lunch. She leaned on the rail and waited.\n\n'
     'Rory said, "Do you remember this place?"\n\nJess said, "I remember everything."\n\n'
     'Rory said, "Good. So do I."\n\nThe river moved slowly under them. Neither of them spoke for a while.\n')),
    ("The bus", ('The bus was late again. Jess sat on his bag and read.\n\n'
     'Rory said, "What are you reading?"\n\nJess said, "Something you have read twice already."\n\n'
     'Rory said, "Then it is a good book."\n\nJess said, "Then it is a good book."\n')),
    ("The porch", ('Jess sat on the porch steps. He looked up when Rory came out. She was carrying two cups.\n\n'
     'Jess said, "You are up early."\n\nRory said, "I could not sleep. The house is too quiet."\n\n'
     'Jess said, "It always is."\n\nRory said, "Then let us walk to town."\n')),
]


def build_book(folder: Path) -> Path:
    """Sample chapters (repeated four times) and four short dialogue chapters: 12 chapters, Jess in each."""
    folder.mkdir(parents=True)
    (folder / "book.toml").write_text('title = "Rerender Bench"\nauthor = "narrate"\n', encoding="utf-8")
    samples = sorted(SAMPLE.glob("*.txt"))
    chapters: list[tuple[str, str]] = []
    for k in range(4):
        for path in samples:
            text = path.read_text(encoding="utf-8")
            chapters.append((f"Part {k + 1} {path.stem[3:]}", text))
    chapters[3:3] = DIALOGUE
    for n, (title, text) in enumerate(chapters, start=1):
        (folder / f"{n:02d}-{title.lower().replace(' ', '-')}.txt").write_text(
            f"Chapter {n}: {title}\n\n{text}", encoding="utf-8")
    return folder


def timed(fn):
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def peak_mb() -> tuple[float, float]:
    """Peak RSS (MB) of this process and of the largest worker it waited for."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def pieces(result) -> tuple[int, int, int]:
    chapters = [c for c in result.manifest["chapters"] if c["index"] in result.rendered]
    return (sum(c.get("encoded_pieces", 0) for c in chapters), sum(c.get("cached_pieces", 0) for c in chapters),
            sum(c.get("synthesized_clips", 0) for c in chapters))


def correct_one_line(script: Path) -> str:
    """Give one short line of Jess's in `script` to Rory instead; return its text."""
    data = json.loads(script.read_text(encoding="utf-8"))
    seg = next(s for s in data["segments"] if s.get("speaker") == "Jess" and len(s["text"]) < 60)
    seg["speaker"] = "Rory"
    script.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    return seg["text"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel chapters")
    parser.add_argument("--profile", action="store_true", help="profile the re-renders")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="narrate-rerender-"))
    os.environ["NARRATE_CACHE_DIR"] = str(tmp / "cache")
    from narrate.render.pipeline import RenderOptions, render_book, script_book, write_scripts
    from narrate.text.reader import load_book
    from narrate.voices.casting import load_voice_map, speaker_stats, update_voice_map_file

    try:
        src = build_book(tmp / "rerender-bench")
        book = load_book(src)
        scripts = script_book(book)
        stats = speaker_stats(scripts)
        voices_path = tmp / "voices" / f"{book.slug}.toml"
        update_voice_map_file(voices_path, book.title, stats)
        jess_chapters = [c.index for c, s in zip(book.chapters, scripts, strict=True)
                         if any(seg.speaker == "Jess" for seg in s.segments)]
        if len(jess_chapters) != len(book.chapters):
            print(f"benchmark book is broken: Jess speaks only in chapters {jess_chapters}", file=sys.stderr)
            return 1
        opts = RenderOptions(out_dir=tmp / "out", voices_dir=tmp / "voices", jobs=args.jobs)

        full_s, full = timed(lambda: render_book(src, opts))
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()

        jess = load_voice_map(voices_path).speakers["Jess"]
        text = voices_path.read_text(encoding="utf-8")
        head, table = text.split("[speakers.Jess]", 1)
        table = table.replace(f"rate = {jess.rate}", f"rate = {jess.rate + 25}", 1)
        voices_path.write_text(head + "[speakers.Jess]" + table, encoding="utf-8")
        tweak_s, tweak = timed(lambda: render_book(src, opts))

        written = write_scripts(book, opts.out_dir)  # the user's editable scripts (same attribution: no re-render)
        line = correct_one_line(written[0][1])
        line_s, fixed = timed(lambda: render_book(src, opts))

        same_s, same = timed(lambda: render_book(src, opts))
        if profiler:
            profiler.disable()

        audio_min = sum(c["duration_ms"] for c in full.manifest["chapters"]) / 60000
        print(f"book: {len(book.chapters)} chapters, {audio_min:.1f} min of audio, "
              f"Jess speaks in every chapter; jobs={args.jobs}")
        print(f"full render            {full_s:7.2f} s  rendered {len(full.rendered)}  "
              f"pieces encoded/cached/clips made {pieces(full)}")
        print(f"(a) Jess's rate        {tweak_s:7.2f} s  rendered {len(tweak.rendered)}  "
              f"ratio {tweak_s / full_s:6.1%}  (target <= {TARGET_TWEAK:.0%})  pieces {pieces(tweak)}")
        print(f"(b) one corrected line {line_s:7.2f} s  rendered {len(fixed.rendered)}  "
              f"ratio {line_s / full_s:6.1%}  (target <= {TARGET_LINE:.0%} + that line's synthesis)  "
              f"pieces {pieces(fixed)}  line {line[:40]!r}")
        print(f"(c) no change          {same_s:7.2f} s  rendered {len(same.rendered)}  "
              f"ratio {same_s / full_s:6.1%}  (target <= {TARGET_NOCHANGE:.0%})")
        own, workers = peak_mb()
        print(f"peak RSS: render process {own:.0f} MB, largest worker {workers:.0f} MB  (target <= 300 MB)")
        ok = (tweak_s / full_s <= TARGET_TWEAK and line_s / full_s <= TARGET_LINE
              and same_s / full_s <= TARGET_NOCHANGE and max(own, workers) <= 300)
        ok = ok and not same.rendered and len(fixed.rendered) == 1
        print("targets met" if ok else "TARGET MISSED")
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        return 0 if ok else 1
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
