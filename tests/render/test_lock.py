"""The render lock: two renders into one output folder do not both write it; a dead one never blocks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import THREE_ROOMS, copy_book

from narrate.cli.main import cli
from narrate.errors import RenderError
from narrate.render.lock import book_lock

pytestmark = pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux flock and /proc/locks")


def _locked(folder: Path) -> bool:
    """Whether some process holds a flock on `folder` (read from /proc/locks, without taking it)."""
    st = folder.stat()
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "FLOCK" in fields and fields[fields.index("FLOCK") + 4].endswith(f":{st.st_ino}"):
            return True
    return False


def _hold_lock(folder: Path) -> subprocess.Popen:
    """Another process holding the folder's lock, as a render does while it runs."""
    code = ("import os, sys, time\nfrom pathlib import Path\nfrom narrate.render.lock import book_lock\n"
            "with book_lock(Path(sys.argv[1])):\n    print('locked', flush=True)\n    time.sleep(600)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(folder)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_two_renders_into_one_folder_the_second_stops_with_one_line(tmp_path):
    """Two renders of one book at different bit rates: the one that comes second stops with exit 1 and a
    line saying why, the first finishes, and book.json agrees with the files."""
    src = copy_book(THREE_ROOMS, tmp_path / "three-rooms")
    out = tmp_path / "out"
    env = dict(os.environ, NARRATE_CACHE_DIR=str(tmp_path / "cache"))
    first = subprocess.Popen([sys.executable, "-m", "narrate", "render", str(src), "-o", str(out), "-j", "1",
                              "-q", "--bitrate", "128"], env=env, stderr=subprocess.PIPE, text=True)
    book_dir = out / "three-rooms"
    deadline = time.monotonic() + 60
    while not (book_dir.is_dir() and _locked(book_dir)) and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert first.poll() is None, "the first render ended before the second one started"
    second = CliRunner().invoke(cli, ["render", str(src), "-o", str(out), "-q", "--bitrate", "64"])
    assert second.exit_code == 1
    assert second.output.strip().splitlines() == [
        f"narrate: error: {book_dir}: another render is writing this book right now; wait for it to finish, "
        "or render into another output folder (-o)"]
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    from mutagen.mp3 import MP3

    manifest = json.loads((book_dir / "book.json").read_text())
    assert len(manifest["chapters"]) == 3
    for chapter in manifest["chapters"]:
        path = book_dir / chapter["file"]
        assert path.stat().st_size == chapter["bytes"]
        assert MP3(path).info.bitrate == 128_000
    assert sorted(p.name for p in book_dir.glob("*.mp3")) == sorted(c["file"] for c in manifest["chapters"])


def test_a_lock_is_one_process_at_a_time_and_leaves_nothing(tmp_path):
    holder = _hold_lock(tmp_path)
    try:
        with pytest.raises(RenderError, match="another render is writing this book"):
            with book_lock(tmp_path):
                pass
    finally:
        holder.kill()
        holder.wait()
    with book_lock(tmp_path):
        assert _locked(tmp_path)
    assert not _locked(tmp_path) and list(tmp_path.iterdir()) == []  # no lock file left behind


def test_a_lock_held_by_a_killed_process_does_not_block(tmp_path):
    """kill -9 of a render while it holds the lock: the next render goes ahead at once."""
    out = tmp_path / "out"
    (out / "three-rooms").mkdir(parents=True)
    holder = _hold_lock(out / "three-rooms")
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    res = CliRunner().invoke(cli, ["render", str(THREE_ROOMS), "-o", str(out), "-q", "-j", "1", "--chapters", "1"])
    assert res.exit_code == 0, res.output
