"""Benchmark: the same book rendered on the local process pool and on a two-worker Dask LocalCluster.

Run from the repository root: `python benchmarks/cluster_overhead.py [--kb 120] [--workers 2]`.
Needs the dask extra. The book is built as render_speed.py builds it (the sample chapters cycled with
numbered variations). Each render starts from an empty clip cache of its own and writes to a folder of
its own; the local render uses as many workers as the cluster has. Printed: the local render's time, the
cluster's start-up (once per `narrate render --cluster local` call, shown apart), the cluster render's
time, and the overhead ratio cluster / local (target <= 1.2 on one machine), with the clips each made.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from render_speed import build_book  # noqa: E402

from narrate.cli.cluster import _quiet_dask  # noqa: E402
from narrate.render.cluster import ClusterSpec, cluster_executor, open_cluster  # noqa: E402
from narrate.render.pipeline import RenderOptions, render_book  # noqa: E402


def _render(book: Path, work: Path, name: str, **options) -> tuple[float, dict]:
    start = time.perf_counter()
    result = render_book(book, RenderOptions(out_dir=work / name, voices_dir=work / "no-voices",
                                             cache_dir=work / f"{name}-cache", **options))
    return time.perf_counter() - start, result.manifest


def _clips(manifest: dict) -> int:
    return sum(c["synthesized_clips"] for c in manifest["chapters"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kb", type=int, default=120, help="approximate book size in KB (default 120: 3 chapters)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes on both sides (default 2)")
    args = ap.parse_args()
    _quiet_dask()
    with tempfile.TemporaryDirectory(prefix="narrate-cluster-bench-") as tmp:
        work = Path(tmp)
        book = work / "book"
        build_book(book, args.kb)
        local_s, local = _render(book, work, "local", jobs=args.workers)
        start = time.perf_counter()
        with open_cluster(ClusterSpec(workers=args.workers)) as client:
            startup_s = time.perf_counter() - start
            cluster_s, remote = _render(book, work, "cluster", jobs=args.workers,
                                        executor=cluster_executor(client))
        audio_min = sum(c["duration_ms"] for c in local["chapters"]) / 60000
        print(f"book: {len(local['chapters'])} chapters, {audio_min:.1f} min of audio, {args.workers} workers")
        print(f"local pool:   {local_s:6.1f} s  ({_clips(local)} clips synthesized)")
        print(f"cluster:      {cluster_s:6.1f} s  ({_clips(remote)} clips synthesized; start-up {startup_s:.1f} s "
              "apart)")
        print(f"overhead cluster / local: {cluster_s / local_s:.2f}x (target <= 1.2); "
              f"with start-up {(cluster_s + startup_s) / local_s:.2f}x")


if __name__ == "__main__":
    main()
