"""Benchmark: `narrate render` vs bare espeak-ng synthesis + MP3 encoding of the same text, in one run.

Builds a large book from the sample texts (default ~500 KB; --kb to change), then times
  (a) the reference: every paragraph synthesized by espeak-ng through the same binding with
      one voice, concatenated and MP3-encoded with the same encoder settings, in one process;
  (b) `narrate render BOOK --no-cache` with default settings (all cores),
and prints (b)/(a), audio seconds per wall second, and the peak memory of each.
Targets: (b)/(a) <= 0.6 on a 2-core machine (issue 15); peak RSS of any process <= 300 MB, whatever the length.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "texts" / "rory-and-jess").glob("*.txt"))

REFERENCE = r'''
import sys, time, re, json
from pathlib import Path
from narrate.voices.engines import get_engine
from narrate.model import Voice
from narrate.audio.values import AudioSegment
from narrate.audio.export import Encoding, encode_mp3
engine = get_engine("espeak")
voice = Voice()
total_ms = 0
out = Path(sys.argv[2])
for path in sorted(Path(sys.argv[1]).glob("*.txt")):
    parts = []
    for para in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        if para.strip():
            parts.append(engine.synthesize(" ".join(para.split()), voice).raw_data)
    audio = AudioSegment(data=b"".join(parts), sample_width=2, frame_rate=engine.sample_rate, channels=1)
    total_ms += len(audio)
    (out / (path.stem + ".mp3")).write_bytes(encode_mp3(audio, Encoding()))
print(json.dumps({"audio_ms": total_ms}))
'''


def build_book(folder: Path, kb: int) -> int:
    """Chapters of about 40 KB each, made by cycling the sample chapters with numbered variations."""
    texts = [p.read_text(encoding="utf-8") for p in SAMPLES]
    folder.mkdir(parents=True)
    (folder / "book.toml").write_text('title = "Benchmark Book"\nauthor = "narrate"\n', encoding="utf-8")
    size, n = 0, 0
    while size < kb * 1024:
        n += 1
        body = []
        k = 0
        while sum(map(len, body)) < 40 * 1024:
            # A number in every sentence of each copy keeps them all distinct, as in a real novel: no
            # sentence is synthesized or encoded once for several places (no free cache or piece hits).
            day = iter(range(10**6))
            body.append(re.sub(r"([.!?\u2026]+[\"\u201d]?)(\s)",
                               lambda m: f", on day {n * 10**4 + k * 100 + next(day)}{m[1]}{m[2]}",
                               texts[k % len(texts)]))
            k += 1
        text = f"Chapter {n}\n\n" + "\n\n".join(body)
        (folder / f"{n:03d}.txt").write_text(text, encoding="utf-8")
        size += len(text.encode("utf-8"))
    return size


# Runs a command and reports the largest RSS of it and all its descendants (pool workers), and the CPU
# seconds they used (user + system): a figure that another program running meanwhile does not swing.
MEASURE = (
    "import resource, subprocess, sys\n"
    "r = subprocess.run(sys.argv[1:])\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(u.ru_maxrss, u.ru_utime + u.ru_stime, file=sys.stderr)\n"
    "sys.exit(r.returncode)\n"
)


def timed(cmd: list[str], env: dict) -> tuple[float, str, float, float]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    peak_kb, cpu_s = proc.stderr.strip().splitlines()[-1].split()
    return wall, proc.stdout, int(peak_kb) / 1024, float(cpu_s)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kb", type=int, default=500, help="approximate book size in KB (default 500)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="narrate-bench-") as tmp:
        tmp = Path(tmp)
        size = build_book(tmp / "bench-book", args.kb)
        env = {**os.environ, "NARRATE_CACHE_DIR": str(tmp / "cache")}
        print(f"book: {size / 1024:.0f} KB in {len(list((tmp / 'bench-book').glob('*.txt')))} chapters, "
              f"{os.cpu_count()} cores")
        (tmp / "ref").mkdir()
        ref_s, ref_out, ref_mb, ref_cpu = timed([sys.executable, "-c", REFERENCE, str(tmp / "bench-book"), str(tmp / "ref")], env)
        audio_s = json.loads(ref_out)["audio_ms"] / 1000
        print(f"(a) bare espeak-ng + MP3 encode, 1 process: {ref_s:7.1f} s  ({audio_s / ref_s:6.1f} audio-s/s, "
              f"peak RSS {ref_mb:.0f} MB)")
        nar_s, _, nar_mb, nar_cpu = timed([sys.executable, "-m", "narrate", "render", str(tmp / "bench-book"), "-o",
                                  str(tmp / "out"), "--no-cache", "-q", "-j", str(args.jobs)], env)
        manifest = json.loads((tmp / "out" / "bench-book" / "book.json").read_text())
        book_audio_s = sum(c["duration_ms"] for c in manifest["chapters"]) / 1000
        print(f"(b) narrate render (split, attribute, cast, stitch, loudness, encode, tag), -j {args.jobs}: "
              f"{nar_s:7.1f} s  ({book_audio_s / nar_s:6.1f} audio-s/s, peak RSS of a process {nar_mb:.0f} MB)")
        print(f"ratio (b)/(a) = {nar_s / ref_s:.2f}   (target <= 0.6)")
        print(f"CPU time: (a) {ref_cpu:.1f} s, (b) {nar_cpu:.1f} s over {args.jobs} processes: (b)/(a) = "
              f"{nar_cpu / ref_cpu:.2f}; with every core busy the wall ratio cannot go below "
              f"{nar_cpu / ref_cpu / max(1, args.jobs):.2f}")


if __name__ == "__main__":
    main()
