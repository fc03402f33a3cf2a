"""Worker processes: they end with their render however it ends, leave Ctrl-C to it, and log through it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import THREE_ROOMS

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")


def _session(sid: int) -> list[tuple[int, bytes]]:
    """(pid, command line) of the live processes of session `sid` (zombies waiting to be reaped are not alive)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state, _, _, session = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:4]
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if int(session) == sid and state != "Z":
            found.append((int(entry.name), cmdline))
    return found


def _long_book(folder: Path, chapters: int = 3) -> Path:
    """Chapters long enough (espeak: a second or two each) to be caught in the middle."""
    folder.mkdir()
    for n in range(1, chapters + 1):
        (folder / f"{n:02d}.txt").write_text(
            " ".join(f"Sentence {k} of chapter {n} goes on for a while." for k in range(30)) + "\n", encoding="utf-8")
    return folder


def _start_render_and_catch_it_working(tmp_path: Path, *extra: str,
                                      chapters: int = 3) -> tuple[subprocess.Popen, Path]:
    """A render in a session of its own (as `setsid narrate render ...`), once its workers are synthesizing."""
    src = _long_book(tmp_path / "book", chapters)
    cache = tmp_path / "cache"
    env = dict(os.environ, NARRATE_CACHE_DIR=str(cache))
    proc = subprocess.Popen([sys.executable, "-m", "narrate", "render", str(src), "-o", str(tmp_path / "out"),
                             "-j", "2", *extra], stdout=subprocess.DEVNULL, stderr=(tmp_path / "err").open("w"),
                            env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        workers = [pid for pid, cmd in _session(proc.pid) if b"spawn_main" in cmd]
        if len(workers) == 2 and len(list(cache.glob("??/*.wav"))) >= 3:
            return proc, tmp_path / "out" / "book"
        time.sleep(0.02)
    proc.kill()
    pytest.fail("the render was not caught with its workers synthesizing")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGKILL],
                         ids=lambda s: s.name)
def test_workers_end_with_their_render(tmp_path, sig):
    """A render stopped by any signal, even kill -9, takes its workers with it: none lives on to write a
    chapter that book.json never lists. A signal it can catch stops it in order, with one line."""
    proc, book_dir = _start_render_and_catch_it_working(tmp_path)
    os.kill(proc.pid, sig)
    proc.wait(timeout=60)
    _wait_for_the_session_to_end(proc.pid)
    # Nobody is left to write: every MP3 there is, book.json lists.
    manifest = book_dir / "book.json"
    listed = {c["file"] for c in json.loads(manifest.read_text())["chapters"]} if manifest.exists() else set()
    assert {p.name for p in book_dir.glob("*.mp3")} <= listed
    if sig != signal.SIGKILL:
        err = (tmp_path / "err").read_text()
        assert proc.returncode == 128 + sig, err
        assert err.splitlines() == ["narrate: interrupted; finished chapters are kept, run the same command to resume"]


def test_ctrl_c_with_chapters_still_waiting_for_a_worker_says_one_line(tmp_path):
    """Six chapters on two workers: some have not started when Ctrl-C comes. Python 3.11's process pool
    printed a traceback from its own thread (InvalidStateError) when such a chapter had been cancelled."""
    proc, _ = _start_render_and_catch_it_working(tmp_path, chapters=6)
    os.kill(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    _wait_for_the_session_to_end(proc.pid)
    err = (tmp_path / "err").read_text()
    assert err.splitlines() == ["narrate: interrupted; finished chapters are kept, run the same command to resume"]


def _wait_for_the_session_to_end(sid: int) -> None:
    deadline = time.monotonic() + 15
    while _session(sid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _session(sid) == []


def test_workers_leave_ctrl_c_to_the_render(tmp_path):
    """SIGINT reaching a worker (a terminal sends it to every process of the group) is the parent's to act
    on: the worker neither dies with a traceback, nor prints "Exception ignored", nor fails its chapter."""
    proc, book_dir = _start_render_and_catch_it_working(tmp_path, "-q")
    for pid, cmd in _session(proc.pid):
        if b"spawn_main" in cmd:
            os.kill(pid, signal.SIGINT)
    assert proc.wait(timeout=120) == 0, (tmp_path / "err").read_text()
    assert (tmp_path / "err").read_text() == ""
    assert len(json.loads((book_dir / "book.json").read_text())["chapters"]) == 3


def test_ctrl_c_on_a_terminal_stops_everything_with_one_line(tmp_path):
    """Ctrl-C on a terminal signals the whole process group: one line, exit 130, and no chapter is written
    after that line (book.json lists every MP3 there is once all processes are gone)."""
    proc, book_dir = _start_render_and_catch_it_working(tmp_path)
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    _wait_for_the_session_to_end(proc.pid)
    err = (tmp_path / "err").read_text()
    assert err.splitlines() == ["narrate: interrupted; finished chapters are kept, run the same command to resume"]
    manifest = book_dir / "book.json"
    listed = {c["file"] for c in json.loads(manifest.read_text())["chapters"]} if manifest.exists() else set()
    assert {p.name for p in book_dir.glob("*.mp3")} <= listed


@pytest.mark.parametrize("quiet", [True, False], ids=["quiet", "default"])
def test_workers_log_as_the_command_line_says(tmp_path, quiet):
    """Workers use the CLI's level and format, and a warning every clip repeats is said once: with a
    cache "folder" that is a file, --quiet prints nothing, otherwise one line for reading and one for writing."""
    cache = tmp_path / "cache"
    cache.write_text("not a folder")
    env = dict(os.environ, NARRATE_CACHE_DIR=str(cache))
    res = subprocess.run([sys.executable, "-m", "narrate", "render", str(THREE_ROOMS), "-o", str(tmp_path / "out"),
                          "-j", "2", *(["-q"] if quiet else [])], env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    if quiet:
        assert res.stderr == ""
        return
    warnings = [line for line in res.stderr.splitlines() if "WARNING" in line]
    assert warnings == [f"narrate: WARNING: clip cache {cache} cannot be read (Not a directory); clips are "
                        "synthesized again",
                        f"narrate: WARNING: clip cache {cache} cannot be written (Not a directory); clips are not "
                        "kept for the next render"]



FAULTS_PROBE = """
import resource, sys
import numpy as np
from narrate.render.workers import _keep_freed_memory
if sys.argv[1] == "tuned":
    _keep_freed_memory()
sizes = np.random.default_rng(0).integers(20_000, 400_000, 200)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for n in sizes:
    x = np.ones(n)  # a clip's worth of samples, and the temporaries made of it
    (x * x + np.abs(x)).sum()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_workers_reuse_freed_memory_instead_of_faulting_it_in_again():
    """Clip-sized arrays of varying size, made and freed 200 times, fault ~100k pages in by default
    (glibc trims the heap and maps large blocks afresh); a worker reuses freed memory instead."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}  # glibc's own defaults

    def faults(mode: str) -> int:
        return int(subprocess.run([sys.executable, "-c", FAULTS_PROBE, mode], capture_output=True, text=True,
                                  check=True, env=env).stdout)

    assert faults("default") > 50_000
    assert faults("tuned") < 10_000


def test_an_interrupted_render_leaves_no_half_written_file(tmp_path):
    """Stopped while its workers write chapter MP3s (".<chapter>.mp3.<random>.part"), the render removes them
    before it exits: the folder holds finished chapters and nothing else of this render."""
    # Six chapters on two workers: each is encoded by its own chapter job (four would have their pieces encoded in
    # parts beforehand, and then be spliced so fast that the poll below missed the .part files now and then).
    src = _long_book(tmp_path / "book", chapters=6)
    env = dict(os.environ, NARRATE_CACHE_DIR=str(tmp_path / "cache"))
    book_dir = tmp_path / "out" / "book"
    proc = subprocess.Popen([sys.executable, "-m", "narrate", "render", str(src), "-o", str(tmp_path / "out"),
                             "-j", "2", "--no-cache"], stdout=subprocess.DEVNULL,
                            stderr=(tmp_path / "err").open("w"), env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and not list(book_dir.glob(".*.part")):
        time.sleep(0.005)
    if proc.poll() is not None:
        pytest.fail("the render ended before it was caught writing a chapter")
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=60) == 130, (tmp_path / "err").read_text()
    _wait_for_the_session_to_end(proc.pid)
    assert list(book_dir.glob(".*.part")) == []
