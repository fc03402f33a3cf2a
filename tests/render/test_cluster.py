"""Rendering on a Dask cluster: the same book as a local render, a shared clip cache, dead workers and schedulers."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, SAMPLE_BOOK, THREE_ROOMS
from mutagen.id3 import ID3

from narrate.cli import cli
from narrate.errors import ClusterError
from narrate.render import cluster as cluster_mod
from narrate.render.pipeline import RenderOptions, render_book
from narrate.voices.synth import ClipCache

distributed = pytest.importorskip("distributed")

DURATION_TOLERANCE_MS = 250


def _local_cluster():
    return distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0")


@pytest.fixture(scope="module")
def client():
    with _local_cluster() as cluster, distributed.Client(cluster, set_as_default=False) as c:
        yield c


def _frames(path: Path) -> tuple[dict, list[tuple[str, str]]]:
    """An MP3's text frames and its chapter frames (id, title), read back with mutagen."""
    tags = ID3(path)
    text = {k: str(tags[k]) for k in ("TIT2", "TALB", "TPE1", "TRCK", "TLAN") if k in tags}
    chaps = [(c.element_id, str(c.sub_frames["TIT2"])) for c in tags.getall("CHAP")]
    return text, chaps


def _assert_same_book(cluster_dir: Path, local_dir: Path, local: dict) -> None:
    made = json.loads((cluster_dir / "book.json").read_text(encoding="utf-8"))
    assert [c["file"] for c in made["chapters"]] == [c["file"] for c in local["chapters"]]
    for ours, theirs in zip(made["chapters"], local["chapters"], strict=True):
        assert abs(ours["duration_ms"] - theirs["duration_ms"]) <= DURATION_TOLERANCE_MS
        assert _frames(cluster_dir / ours["file"]) == _frames(local_dir / theirs["file"])


def test_the_issue_lambda_renders_the_book_as_locally_on_one_shared_cache(client, rendered_sample, tmp_path):
    """`executor=lambda n: client.get_executor()` pickles (jobs carry no factory); both workers fill one cache."""
    local_dir, local = rendered_sample
    cache = tmp_path / "shared-cache"
    result = render_book(SAMPLE_BOOK, RenderOptions(out_dir=tmp_path / "out", voices_dir=tmp_path / "nv",
                                                    cache_dir=cache, executor=lambda n: client.get_executor()))
    assert sorted(result.rendered) == [1, 2]
    _assert_same_book(result.book_dir, local_dir, local)
    # Every clip was made once, by whichever worker needed it first, into the one folder both see.
    chapters = result.manifest["chapters"]
    made = sum(c["synthesized_clips"] for c in chapters)
    assert made == len(ClipCache(cache).files()) > 0
    assert not list(cache.glob("??/*.tmp"))
    again = render_book(SAMPLE_BOOK, RenderOptions(out_dir=tmp_path / "again", voices_dir=tmp_path / "nv",
                                                   cache_dir=cache, executor=lambda n: client.get_executor()))
    assert sum(c["synthesized_clips"] for c in again.manifest["chapters"]) == 0


def test_a_worker_killed_mid_render_has_its_chapter_rendered_elsewhere(client, rendered_sample, tmp_path):
    local_dir, local = rendered_sample
    pids = client.run(os.getpid)
    killed: list[str] = []

    def kill_a_busy_worker() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not killed:
            # A chapter's own job, or the parts of its pieces encoded ahead on every worker (a two-chapter book on
            # two workers): either way the worker holds part of a chapter.
            busy = [w for w, keys in client.processing().items()
                    if any(name in str(k) for k in keys for name in ("render_in_worker", "encode_pieces"))]
            if busy:
                time.sleep(0.3)  # well into the chapter
                os.kill(pids[busy[0]], signal.SIGKILL)
                killed.append(busy[0])
            time.sleep(0.02)

    watcher = threading.Thread(target=kill_a_busy_worker, daemon=True)
    watcher.start()
    result = render_book(SAMPLE_BOOK, RenderOptions(out_dir=tmp_path / "out", voices_dir=tmp_path / "nv",
                                                    cache_dir=tmp_path / "cache",
                                                    executor=cluster_mod.cluster_executor(client)))
    watcher.join()
    assert killed, "no worker was seen rendering"
    assert sorted(result.rendered) == [1, 2]
    _assert_same_book(result.book_dir, local_dir, local)
    assert not list(result.book_dir.glob(".*.part"))  # the dead worker's half-written frames are tidied
    client.wait_for_workers(2, timeout=30)  # the nanny restarted it, for the tests after this one


def _uneven_book(tmp_path: Path) -> Path:
    """A two-chapter book whose first chapter is a few lines and whose second is many minutes of
    sentences never heard before: the first is done long before the second, whatever the load of
    the machine, even when every sentence is synthesized up front (the cluster is closed in between).
    Repeating a chapter's text would not do: its sentences come from the clip cache."""
    book = tmp_path / "rory-and-jess"
    book.mkdir()
    first = (SAMPLE_BOOK / "01-come-away-with-me.txt").read_text(encoding="utf-8").split("\n\n")
    (book / "01-short.txt").write_text("\n\n".join(first[:3]), encoding="utf-8")
    long = (ROOT / "tests" / "data" / "litbank" / "120_treasure_island.txt").read_text(encoding="utf-8")
    (book / "02-long.txt").write_text(long, encoding="utf-8")
    return book


def test_a_cluster_closed_mid_render_is_one_error_and_the_next_run_resumes(tmp_path):
    out = tmp_path / "out"
    opts = RenderOptions(out_dir=out, voices_dir=tmp_path / "nv", cache_dir=tmp_path / "cache")
    book = _uneven_book(tmp_path)
    with _local_cluster() as cluster, distributed.Client(cluster, set_as_default=False) as c:
        def close_after_first(p) -> None:
            if p.status == "done":
                cluster.close()

        with pytest.raises(ClusterError, match="the cluster went away.*finished chapters are kept"):
            render_book(book, RenderOptions(**{**opts.__dict__, "executor": cluster_mod.cluster_executor(c)}),
                        close_after_first)
    kept = json.loads((out / "rory-and-jess" / "book.json").read_text(encoding="utf-8"))["chapters"]
    assert len(kept) == 1
    resumed = render_book(book, RenderOptions(**{**opts.__dict__, "jobs": 1}))
    assert resumed.skipped == (kept[0]["index"],) and len(resumed.rendered) == 1


def test_cli_dead_scheduler_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(cluster_mod, "CONNECT_TIMEOUT_S", 1.0)
    result = CliRunner().invoke(cli, ["render", str(THREE_ROOMS), "-o", str(tmp_path), "--cluster",
                                      "tcp://127.0.0.1:9"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        line for line in result.output.strip().splitlines() if line.startswith("narrate: error: cannot reach")]
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_cli_renders_several_books_on_a_local_cluster_with_a_summary(tmp_path):
    result = CliRunner().invoke(cli, ["render", str(SAMPLE_BOOK), str(THREE_ROOMS), "-o", str(tmp_path / "out"),
                                      "--voices-dir", str(tmp_path / "nv"), "--cache", str(tmp_path / "cache"),
                                      "--cluster", "local:2"])
    assert result.exit_code == 0, result.output
    table = result.output[result.output.index("book "):].splitlines()
    assert table[0].split() == ["book", "chapters", "audio", "time", "failures"]
    assert "rory-and-jess" in table[1] and " 2 " in table[1] and table[1].endswith("none")
    assert "three-rooms" in table[2] and " 3 " in table[2]
    assert json.loads((tmp_path / "out" / "three-rooms" / "book.json").read_text(encoding="utf-8"))["chapters"]


def test_cluster_without_the_extra_names_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    result = CliRunner().invoke(cli, ["render", str(THREE_ROOMS), "-o", str(tmp_path), "--cluster", "local"])
    assert result.exit_code == 1
    assert "narrate-audiobook[dask]" in result.output and "Traceback" not in result.output


def test_cluster_spec():
    assert cluster_mod.ClusterSpec.parse("local") == cluster_mod.ClusterSpec()
    assert cluster_mod.ClusterSpec.parse("local:3") == cluster_mod.ClusterSpec(workers=3)
    assert cluster_mod.ClusterSpec.parse("tcp://h:8786").address == "tcp://h:8786"
    with pytest.raises(ClusterError):
        cluster_mod.ClusterSpec.parse("local:0")


WRITER = r'''
import sys
from pathlib import Path
from narrate.audio.values import AudioSegment
from narrate.voices.synth import ClipCache

cache = ClipCache(Path(sys.argv[1]))
value, frames = int(sys.argv[2]), int(sys.argv[3])
audio = AudioSegment(data=bytes([value, 0]) * frames, sample_width=2, frame_rate=22050, channels=1)
for _ in range(200):
    cache.put("ab" * 32, audio)
    cache.put_blob("pieces", "cd" * 32, bytes([value]) * frames)
'''


def test_two_processes_writing_the_same_clip_never_leave_a_torn_file(tmp_path):
    """Workers that make the same clip at once each write a whole file and rename it over the other's."""
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(v), str(n)])
               for v, n in ((1, 30000), (2, 45000))]
    cache = ClipCache(tmp_path)
    seen = set()
    while any(w.poll() is None for w in writers):
        clip = cache.get("ab" * 32)
        if clip is not None:
            seen.add((clip.raw_data[:1], len(clip.raw_data)))
        blob = cache.get_blob("pieces", "cd" * 32)
        if blob is not None:
            seen.add((blob[:1], len(blob) * 2))
    assert all(w.returncode == 0 for w in writers)
    assert seen <= {(b"\x01", 60000), (b"\x02", 90000)} and seen
    assert not [p for p in tmp_path.rglob("*.tmp")]


# -- several books at once, progress and warnings from the workers, Ctrl-C ---------------------

def _done_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.rstrip().endswith(" done")]


def test_cli_several_books_share_the_cluster_at_once(client, tmp_path):
    """A one-chapter book and a small book on two workers: the small one's chapters finish on the free worker
    while the long chapter still runs (one after another, none of them could start before it ended)."""
    # Three times the sample's first chapter: long enough that the small book's three chapters end
    # first even on a loaded machine.
    long_chapter = tmp_path / "01-come-away-with-me.txt"
    long_chapter.write_text("\n\n".join([(SAMPLE_BOOK / long_chapter.name).read_text(encoding="utf-8")] * 3),
                            encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["render", str(long_chapter), str(THREE_ROOMS), "-o", str(out), "--voices-dir",
                                      str(tmp_path / "nv"), "--no-cache", "--cluster", client.scheduler.address])
    assert result.exit_code == 0, result.output
    done = _done_lines(result.output)
    assert len(done) == 4
    assert "three-rooms:" in done[0] and "01-come-away-with-me.txt:" in done[-1]
    for book, count in (("01-come-away-with-me", 1), ("three-rooms", 3)):
        folder = out / book
        manifest = json.loads((folder / "book.json").read_text(encoding="utf-8"))
        assert len(manifest["chapters"]) == count
        # book.json is written last, after every chapter it lists.
        assert all((folder / c["file"]).stat().st_mtime <= (folder / "book.json").stat().st_mtime
                   for c in manifest["chapters"])
    table = result.output[result.output.index("book "):].splitlines()
    assert table[0].split() == ["book", "chapters", "audio", "time", "failures"]
    assert "01-come-away-with-me" in table[1] and "three-rooms" in table[2]


def _cache_that_cannot_take_clips(root: Path) -> Path:
    """A clip cache whose clip folders are files: every clip a worker makes warns that it cannot be written."""
    root.mkdir()
    for n in range(256):
        (root / f"{n:02x}").write_bytes(b"")
    return root


def test_workers_progress_and_warnings_reach_the_client(client, tmp_path, caplog):
    from narrate.render.relay import ClusterRelay

    relay = ClusterRelay(client)
    reports = []
    try:
        with caplog.at_level(logging.WARNING):
            render_book(THREE_ROOMS, RenderOptions(out_dir=tmp_path / "out", voices_dir=tmp_path / "nv",
                                                   cache_dir=_cache_that_cannot_take_clips(tmp_path / "cache"),
                                                   executor=relay.executor), reports.append)
    finally:
        relay.close()
    # Line counts and the encoding step are only known on the worker rendering the chapter.
    assert any(p.status == "rendering" and 0 < p.done < p.total for p in reports)
    assert {p.index for p in reports if p.status == "encoding"} == {1, 2, 3}
    records = [r for r in caplog.records if "cannot be written" in r.getMessage()]
    assert records and all(r.process != os.getpid() for r in records)


def test_a_worker_warning_is_shown_once_and_quiet_shows_nothing(client, tmp_path):
    args = ["render", str(THREE_ROOMS), "--voices-dir", str(tmp_path / "nv"), "--cluster", client.scheduler.address]
    cache = _cache_that_cannot_take_clips(tmp_path / "cache")
    shown = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "a"), "--cache", str(cache)])
    assert shown.exit_code == 0, shown.output
    assert shown.output.count("cannot be written") == 1
    quiet = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "b"), "--cache", str(cache), "--quiet"])
    assert quiet.exit_code == 0 and quiet.output == ""


def test_a_python_warning_on_a_worker_is_logged_here(client, caplog):
    import warnings

    from narrate.render.relay import ClusterRelay

    relay = ClusterRelay(client)
    try:
        pool = relay.executor(1)
        pool.submit(warnings.warn, "a worker's own warning", UserWarning).result(timeout=30)
        with caplog.at_level(logging.WARNING):
            deadline = time.monotonic() + 10
            while "a worker's own warning" not in caplog.text and time.monotonic() < deadline:
                pool.relay(None)
                time.sleep(0.05)
        pool.shutdown()
    finally:
        relay.close()
    record = next(r for r in caplog.records if "a worker's own warning" in r.getMessage())
    assert record.name == "py.warnings" and "UserWarning" in record.getMessage()


def _page_faults_of_clip_sized_arrays() -> tuple[str | None, int]:
    """Run on a worker: its MALLOC_TRIM_THRESHOLD_, and the page faults of making and freeing 200 clip-sized arrays."""
    import resource

    import numpy as np

    sizes = np.random.default_rng(0).integers(20_000, 400_000, 200)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for n in sizes:
        x = np.ones(n)
        (x * x + np.abs(x)).sum()
    return os.environ.get("MALLOC_TRIM_THRESHOLD_"), resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_a_local_cluster_starts_its_workers_with_our_pools_allocator_and_leaves_others_alone(client, monkeypatch):
    """Dask starts a worker with MALLOC_TRIM_THRESHOLD_=65536, under which glibc maps every clip-sized array
    afresh (~100k page faults for 200 of them, a fifth more CPU per chapter). `--cluster local` starts its
    workers with our pool's settings; a cluster narrate did not start keeps its own."""
    # A nanny copies its settings into this process's environment, where they would win over ours
    # (an allocator setting of the user's own is respected): the `client` cluster's are not the user's.
    for name in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_"):
        monkeypatch.setenv(name, "")  # recorded, so that what the nanny sets is undone after the test
        monkeypatch.delenv(name)
    with cluster_mod.open_cluster(cluster_mod.ClusterSpec(workers=1)) as ours:
        setting, faults = ours.submit(_page_faults_of_clip_sized_arrays, pure=False).result(timeout=60)
        threads = ours.run(lambda: os.environ.get("OMP_NUM_THREADS"))
    assert setting == str(64 << 20) and faults < 10_000
    assert list(threads.values()) == ["1"]  # Dask's other settings for its workers are kept
    setting, faults = client.submit(_page_faults_of_clip_sized_arrays, pure=False).result(timeout=60)
    assert setting == "65536" and faults > 50_000


def test_a_local_cluster_runs_its_workers_without_dasks_profiler():
    with cluster_mod.open_cluster(cluster_mod.ClusterSpec(workers=1)) as c:
        profiling = c.run(lambda dask_worker: "profile" in dask_worker.periodic_callbacks)
    assert list(profiling.values()) == [False]


def _workers_idle(client, timeout_s: float = 30) -> None:
    """Wait until no worker holds a task any more (a cancelled chapter's thread has stopped too)."""
    deadline = time.monotonic() + timeout_s
    while any(client.run(lambda dask_worker: len(dask_worker.state.tasks)).values()):
        assert time.monotonic() < deadline, "tasks still held by the workers"
        time.sleep(0.1)


def _only_listed_mp3s(book_dir: Path) -> list[str]:
    listed = [c["file"] for c in json.loads((book_dir / "book.json").read_text(encoding="utf-8"))["chapters"]]
    assert sorted(p.name for p in book_dir.glob("*.mp3")) == sorted(listed)
    assert not list(book_dir.glob(".*.part"))
    return listed


def test_an_interrupted_call_cancels_its_chapters_on_the_workers(client, tmp_path):
    """Chapters running on the workers stop at their next line; none writes an MP3 after the render stopped."""
    from narrate.render.relay import ClusterRelay

    relay = ClusterRelay(client)

    def interrupt_mid_chapter(p) -> None:
        if p.status == "rendering" and p.done >= 5:
            relay.interruption.set()

    opts = RenderOptions(out_dir=tmp_path / "out", voices_dir=tmp_path / "nv", use_cache=False,
                         executor=relay.executor)
    try:
        with pytest.raises(KeyboardInterrupt):
            render_book(SAMPLE_BOOK, opts, interrupt_mid_chapter)
        _workers_idle(client)
    finally:
        relay.close()
    assert _only_listed_mp3s(tmp_path / "out" / "rory-and-jess") == []


def test_cli_ctrl_c_on_a_cluster_is_one_line_exit_130_and_the_next_run_resumes(client, tmp_path):
    args = [sys.executable, "-m", "narrate", "render", str(SAMPLE_BOOK), "-o", str(tmp_path / "out"), "--voices-dir",
            str(tmp_path / "nv"), "--cache", str(tmp_path / "cache"), "--cluster", client.scheduler.address]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    # Interrupted while the workers are busy with it (speaking, encoding pieces or chapters).
    while not any(client.processing().values()):
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    # A chapter that finished first was reported as done (a line of the progress display): nothing else.
    lines = err.strip().splitlines()
    assert lines[-1] == "narrate: interrupted; finished chapters are kept, run the same command to resume", err
    assert all(line.split()[-1] == "done" for line in lines[:-1]), err
    _workers_idle(client)
    kept = _only_listed_mp3s(tmp_path / "out" / "rory-and-jess")
    resumed = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{2 - len(kept)} rendered, {len(kept)} unchanged" in resumed.stdout


def test_ctrl_c_at_a_terminal_stops_a_local_cluster_render_with_one_line(tmp_path):
    """A terminal's Ctrl-C goes to the whole process group: the local cluster's workers leave it to the client."""
    cache = tmp_path / "cache"
    args = [sys.executable, "-m", "narrate", "render", str(SAMPLE_BOOK), "-o", str(tmp_path / "out"), "--voices-dir",
            str(tmp_path / "nv"), "--cache", str(cache), "--cluster", "local:2"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while not ClipCache(cache).files():  # the workers are speaking
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == [
        "narrate: interrupted; finished chapters are kept, run the same command to resume"]
    _only_listed_mp3s(tmp_path / "out" / "rory-and-jess")


def test_cli_a_failing_chapter_fails_alone_among_books_rendered_at_once(client, tmp_path):
    out = tmp_path / "out"
    (out / "three-rooms" / "02-the-diner.mp3").mkdir(parents=True)  # a folder where its MP3 goes: it cannot be written
    result = CliRunner().invoke(cli, ["render", str(THREE_ROOMS), str(SAMPLE_BOOK / "02-chapter-4.txt"), "-o", str(out),
                                      "--voices-dir", str(tmp_path / "nv"), "--cache", str(tmp_path / "cache"),
                                      "--cluster", client.scheduler.address])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    kept = json.loads((out / "three-rooms" / "book.json").read_text(encoding="utf-8"))["chapters"]
    assert [c["index"] for c in kept] == [1, 3]
    other = json.loads((out / "02-chapter-4" / "book.json").read_text(encoding="utf-8"))["chapters"]
    assert len(other) == 1
    table = result.output[result.output.index("book "):].splitlines()
    assert "three-rooms" in table[1] and not table[1].endswith("none")
    assert "02-the-diner.mp3: cannot write" in result.output  # its one line, above the table
    assert "02-chapter-4" in table[2] and table[2].endswith("none")
    assert result.output.strip().splitlines()[-1].startswith("narrate: error: 1 of 2 books did not finish")


def test_a_failing_chapter_on_a_local_cluster_is_one_line_without_dasks_report(tmp_path):
    """The workers of `--cluster local` printed Dask's "Compute Failed" block (traceback included) for a chapter
    that fails, besides narrate's own line; -q did not hide it."""
    out = tmp_path / "out"
    (out / "three-rooms" / "02-the-diner.mp3").mkdir(parents=True)  # a folder where its MP3 goes: it cannot be written
    args = [sys.executable, "-m", "narrate", "render", str(THREE_ROOMS), "-o", str(out), "--voices-dir",
            str(tmp_path / "nv"), "--cache", str(tmp_path / "cache"), "--cluster", "local:2", "-q"]
    run = subprocess.run(args, capture_output=True, text=True, timeout=180)
    assert run.returncode == 1
    assert "Compute Failed" not in run.stderr and "Traceback" not in run.stderr, run.stderr
    assert "02-the-diner.mp3" in run.stderr


def test_dask_stays_quiet_after_its_own_logging_set_up():
    """distributed sets "distributed.client" to WARNING when imported: quieting must outlast that."""
    code = ("import logging; from narrate.cli.cluster import _quiet_dask; _quiet_dask(); import distributed; "
            "print(logging.getLogger('distributed.client').level)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(logging.ERROR)
