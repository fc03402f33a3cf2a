"""Benchmark: script_text speed on a ~500 KB text, and speaker accuracy by type on the dev corpus.

Run from the repository root: `python benchmarks/attribution_speed.py [--corpus PATH] [--kb 500]`.
The dev corpus is expected at ../shared/dev-corpus relative to the repository root; the benchmark
skips with a message if it is absent.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from narrate.attribution.attribute import script_text  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "dev-corpus"


def load_scorer(corpus: Path):
    """The corpus's own score.py, so the numbers match `score.py` exactly."""
    spec = importlib.util.spec_from_file_location("devcorpus_score", corpus / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def speed(corpus: Path, kb: int) -> tuple[float, int]:
    chapters = [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*[0-9].txt"))]
    text = ""
    while len(text.encode("utf-8")) < kb * 1024:
        text += "\n\n".join(chapters) + "\n\n"
    text = text[: kb * 1024]
    start = time.perf_counter()
    script_text(text)
    return time.perf_counter() - start, len(text.encode("utf-8"))


def accuracy(corpus: Path) -> dict:
    score = load_scorer(corpus)
    totals = {"gold": 0, "found": 0, "pred": 0, "correct": 0, "spk_ok": 0, "spk_total": 0,
              "by_type": {t: [0, 0] for t in score.TYPES}}
    for txt in score.corpus_files(str(corpus)):
        text, gold = score.load(txt)
        data = json.loads(json.dumps(script_text(text).to_json()))
        result = score.score_file(text, gold, score.locate(text, score.extract_segments(data)))
        for key in ("gold", "found", "pred", "correct", "spk_ok", "spk_total"):
            totals[key] += result[key]
        for t, (ok, n) in result["by_type"].items():
            totals["by_type"][t][0] += ok
            totals["by_type"][t][1] += n
    return totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--kb", type=int, default=500)
    args = parser.parse_args()
    if not (args.corpus / "score.py").exists():
        print(f"SKIP: dev corpus not found at {args.corpus} (expected ../shared/dev-corpus)")
        return 0
    seconds, size = speed(args.corpus, args.kb)
    print(f"script_text: {size / 1024:.0f} KB in {seconds:.2f} s = {size / 1024 / seconds:.0f} KB/s")
    # Linear cost: the time per KB stays the same when the text is four times longer.
    small, small_size = speed(args.corpus, max(1, args.kb // 2))
    large, large_size = speed(args.corpus, args.kb * 2)
    ratio = (large / large_size) / (small / small_size)
    print(f"  per KB: {small / small_size * 1024 * 1000:.2f} ms at {small_size // 1024} KB, "
          f"{large / large_size * 1024 * 1000:.2f} ms at {large_size // 1024} KB (ratio {ratio:.2f}; 1.0 is linear)")
    t = accuracy(args.corpus)
    p = t["correct"] / t["pred"] if t["pred"] else 0.0
    r = t["found"] / t["gold"] if t["gold"] else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    print(f"quote F1 {f1:.4f}  speaker accuracy {t['spk_ok'] / max(1, t['spk_total']):.4f}"
          f" ({t['spk_ok']} of {t['spk_total']})")
    for name, (ok, n) in t["by_type"].items():
        print(f"  {name:9} {ok / max(1, n):.3f} ({ok} of {n})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
