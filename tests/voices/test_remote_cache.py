"""The clip cache on S3 (fsspec), against moto's local S3 server: clips whole, shared by cluster workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import THREE_ROOMS

from narrate.cli import cli
from narrate.model import Voice
from narrate.voices.synth import ClipCache, synthesize_sentence


def test_clips_and_blobs_round_trip_on_s3(s3):
    url = f"{s3}/round-trip"
    voice = Voice("espeak", "en-us+m3")
    stats: dict = {}
    made = synthesize_sentence("Come away with me, Rory.", voice, ClipCache(url), stats)
    again = synthesize_sentence("Come away with me, Rory.", voice, ClipCache(url), stats)
    assert stats == {"synthesized": 1, "cached": 1}
    assert again.raw_data == made.raw_data and again.frame_rate == made.frame_rate and len(made) > 500
    cache = ClipCache(url)
    assert type(cache).__name__ == "RemoteClipCache"
    assert cache.put_blob("pieces", "ab" * 32, b"frames") and cache.get_blob("pieces", "ab" * 32) == b"frames"
    assert cache.get_blob("pieces", "cd" * 32) is None
    assert len(cache.files()) == 1 and len(cache.all_files()) == 2
    assert cache.size_bytes() == len(made.raw_data) + 44 + len(b"frames")  # the clip as a WAV file, the blob
    cache.max_bytes = 0
    assert cache.prune() == 2 and cache.all_files() == []


WRITER = r'''
import sys
from narrate.audio.values import AudioSegment
from narrate.voices.synth import ClipCache

cache = ClipCache(sys.argv[1])
value, frames = int(sys.argv[2]), int(sys.argv[3])
audio = AudioSegment(data=bytes([value, 0]) * frames, sample_width=2, frame_rate=22050, channels=1)
for _ in range(25):
    cache.put("ab" * 32, audio)
'''


def test_two_processes_writing_one_clip_on_s3_never_show_a_torn_clip(s3):
    url = f"{s3}/torn"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, url, str(v), str(n)])
               for v, n in ((1, 300_000), (2, 450_000))]
    cache = ClipCache(url)
    seen = set()
    while any(w.poll() is None for w in writers):
        clip = cache.get("ab" * 32)
        if clip is not None:
            seen.add((clip.raw_data[:1], len(clip.raw_data)))
    assert all(w.returncode == 0 for w in writers)
    assert seen <= {(b"\x01", 600_000), (b"\x02", 900_000)} and seen
    assert [p for p in cache.fs.find(cache.base) if not p.endswith(".wav")] == []


def test_a_cluster_render_shares_one_s3_cache(s3, tmp_path):
    """Both workers read and fill the cache on S3: each clip is made once, and a second render makes none."""
    distributed = pytest.importorskip("distributed")
    url = f"{s3}/cluster"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address="127.0.0.1:0") as cluster:
        args = ["render", str(THREE_ROOMS), "--voices-dir", str(tmp_path / "nv"), "--cache", url, "--cluster",
                cluster.scheduler_address, "-q"]
        first = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "a")])
        assert first.exit_code == 0, first.output
        second = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "b")])
        assert second.exit_code == 0, second.output

    def made(out: str) -> int:
        manifest = json.loads((tmp_path / out / "three-rooms" / "book.json").read_text(encoding="utf-8"))
        assert len(manifest["chapters"]) == 3
        return sum(c["synthesized_clips"] for c in manifest["chapters"])

    # Every clip made is on S3 (two chapters running at once may both make a line they share: a few made twice).
    assert 0 < len(ClipCache(url).files()) <= made("a")
    assert made("b") == 0  # the second render's workers found every clip there
    assert not any(p.name.startswith("s3:") for p in tmp_path.rglob("*"))  # nothing was written to a local "s3:" folder


HIDE_S3FS = """
import importlib.abc, sys


class _NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "s3fs":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NotInstalled())
"""


def test_s3_cache_without_the_extra_is_one_line(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(HIDE_S3FS, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-m", "narrate", "render", str(THREE_ROOMS), "-o", str(tmp_path / "out"),
                           "--cache", "s3://bucket/cache"], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("narrate: error: s3://bucket/cache: ") and "narrate-audiobook[s3]" in line


def test_a_local_render_imports_nothing_of_fsspec(tmp_path):
    code = ("import sys\nfrom narrate.cli import main\nsys.argv = ['narrate', 'render', sys.argv[1], '-o', sys.argv[2],"
            " '-j', '1', '-q', '--chapters', '1']\ntry:\n    main()\nexcept SystemExit as e:\n    assert not e.code\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fsspec', 's3fs', 'distributed')))")
    env = {k: v for k, v in os.environ.items() if k != "NARRATE_CACHE_DIR"}
    env["NARRATE_CACHE_DIR"] = str(tmp_path / "cache")
    done = subprocess.run([sys.executable, "-c", code, str(THREE_ROOMS), str(tmp_path / "out")], capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert (tmp_path / "out" / "three-rooms" / "book.json").is_file()
