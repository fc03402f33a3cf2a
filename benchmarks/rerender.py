"""Benchmark: how much of a full render a re-render costs (no change; one minor speaker's voice changed).

Builds a 10-chapter book from the sample texts plus short dialogue chapters, with a minor
speaker (Luke) who speaks only in one chapter, renders it with a fresh clip cache in a temp
folder, then re-renders (a) with nothing changed and (b) after changing Luke's voice in the
voice map. Prints the times and the ratios against the full render.

    python benchmarks/rerender.py [--jobs N] [--profile]

Targets: (a) <= 5 % of the full render, (b) <= 30 %.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "texts" / "rory-and-jess"
TARGET_NOCHANGE = 0.05
TARGET_MINOR = 0.30

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
    """Sample chapters (repeated) and short dialogue chapters; Luke speaks only in 'The diner'."""
    folder.mkdir(parents=True)
    (folder / "book.toml").write_text('title = "Rerender Bench"\nauthor = "narrate"\n', encoding="utf-8")
    samples = sorted(SAMPLE.glob("*.txt"))
    chapters: list[tuple[str, str]] = []
    for k in range(3):
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel chapters")
    parser.add_argument("--profile", action="store_true", help="profile the two re-renders")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="narrate-rerender-"))
    os.environ["NARRATE_CACHE_DIR"] = str(tmp / "cache")
    from narrate.render.pipeline import RenderOptions, render_book, script_book
    from narrate.text.reader import load_book
    from narrate.voices.casting import load_voice_map, speaker_stats, update_voice_map_file

    try:
        src = build_book(tmp / "rerender-bench")
        book = load_book(src)
        stats = speaker_stats(script_book(book))
        voices_path = tmp / "voices" / f"{book.slug}.toml"
        update_voice_map_file(voices_path, book.title, stats)
        if "Luke" not in stats:
            print(f"benchmark book is broken: no speaker Luke in {list(stats)}", file=sys.stderr)
            return 1
        opts = RenderOptions(out_dir=tmp / "out", voices_dir=tmp / "voices", jobs=args.jobs)
        luke_chapters = [c.index for c, s in zip(book.chapters, script_book(book), strict=True)
                         if any(seg.speaker == "Luke" for seg in s.segments)]

        full_s, full = timed(lambda: render_book(src, opts))
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        same_s, same = timed(lambda: render_book(src, opts))

        luke = load_voice_map(voices_path).speakers["Luke"]
        text = voices_path.read_text(encoding="utf-8")
        head, table = text.split("[speakers.Luke]", 1)
        table = table.replace(f"pitch = {luke.pitch}", f"pitch = {min(99, luke.pitch + 30)}", 1)
        voices_path.write_text(head + "[speakers.Luke]" + table, encoding="utf-8")
        minor_s, minor = timed(lambda: render_book(src, opts))
        if profiler:
            profiler.disable()

        audio_min = sum(c["duration_ms"] for c in full.manifest["chapters"]) / 60000
        print(f"book: {len(book.chapters)} chapters, {audio_min:.1f} min of audio, "
              f"Luke speaks in chapter(s) {luke_chapters}; jobs={args.jobs}")
        print(f"full render          {full_s:7.2f} s  rendered {len(full.rendered)}")
        print(f"(a) no change        {same_s:7.2f} s  rendered {len(same.rendered)}  "
              f"ratio {same_s / full_s:6.1%}  (target <= {TARGET_NOCHANGE:.0%})")
        print(f"(b) Luke's voice     {minor_s:7.2f} s  rendered {len(minor.rendered)}  "
              f"ratio {minor_s / full_s:6.1%}  (target <= {TARGET_MINOR:.0%})")
        ok = same_s / full_s <= TARGET_NOCHANGE and minor_s / full_s <= TARGET_MINOR
        ok = ok and not same.rendered and list(minor.rendered) == luke_chapters
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
