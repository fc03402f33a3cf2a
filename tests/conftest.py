"""Shared fixtures: an isolated clip cache and one render of the sample book for the whole session."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_BOOK = ROOT / "texts" / "rory-and-jess"
DATA = Path(__file__).resolve().parent / "data"
THREE_ROOMS = DATA / "three-rooms"
"""A small three-chapter book: Jess (5 lines) and Rory (5) in every chapter, Luke (1) only in chapter 2."""


def copy_book(book: Path, dest: Path) -> Path:
    """A private copy of a fixture book, for tests that render or edit it."""
    shutil.copytree(book, dest, dirs_exist_ok=True)
    return dest


@contextlib.contextmanager
def fed_pipe(path: Path, text: str):
    """A named pipe at `path` that a thread writes `text` into once, while the body reads it (as a shell's
    `<(cat story.txt)` hands narrate /dev/fd/63)."""
    os.mkfifo(path)

    def feed() -> None:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    yield path
    writer.join(timeout=10)


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    # Tests never read or fill the user's real cache, nor see the voices downloaded into their data folder.
    os.environ["NARRATE_CACHE_DIR"] = str(tmp_path_factory.mktemp("clip-cache"))
    os.environ["NARRATE_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    os.environ.pop("NARRATE_VOICES_URL", None)
    yield


@pytest.fixture(scope="session")
def rendered_sample(tmp_path_factory):
    """The sample book rendered once with default settings: (book_dir, manifest)."""
    from narrate.render.pipeline import RenderOptions, render_book

    out = tmp_path_factory.mktemp("render")
    result = render_book(SAMPLE_BOOK, RenderOptions(out_dir=out, voices_dir=out / "no-voices"))
    manifest = json.loads((result.book_dir / "book.json").read_text(encoding="utf-8"))
    return result.book_dir, manifest


@pytest.fixture(scope="session")
def s3():
    """A local S3 server (moto) with an empty bucket, as s3://BUCKET; the AWS environment points every process
    started from here (cluster workers too) at it. Never the network."""
    import socket

    moto_server = pytest.importorskip("moto.server")
    s3fs = pytest.importorskip("s3fs")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        s3fs.S3FileSystem.clear_instance_cache()
        s3fs.S3FileSystem().mkdir("narrate-test")
        yield "s3://narrate-test"
        s3fs.S3FileSystem.clear_instance_cache()
    server.stop()
