"""Cover art checks for podcast apps: image sizes read from PNG and JPEG headers, and the feed's warnings."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import pytest
from podcast_fixtures import make_book

from narrate.publish.artwork import artwork_problem, image_size
from narrate.publish.feed import write_feed


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def jpeg(width: int, height: int, progressive: bool = False) -> bytes:
    """A JPEG's header as cameras and editors write it: APP0 (JFIF), a quantization table, then the frame."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    dqt = b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + bytes(64)
    sof = (b"\xff\xc2" if progressive else b"\xff\xc0") + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + dqt + b"\xff" + sof + b"\xff\xd9"  # a fill byte before the frame marker


@pytest.mark.parametrize(("data", "size"), [
    (png(1400, 1400), (1400, 1400)), (png(200, 100), (200, 100)),
    (jpeg(3000, 3000), (3000, 3000)), (jpeg(640, 480, progressive=True), (640, 480)),
    (b"\xff\xd8\xff\xe0fakejpeg", None), (b"GIF89a", None), (b"", None),
])
def test_image_size_from_the_header(data: bytes, size) -> None:
    assert image_size(data) == size


def test_what_podcast_apps_would_make_of_a_cover() -> None:
    assert artwork_problem(png(1400, 1400)) is None and artwork_problem(jpeg(3000, 3000)) is None
    assert "square" in artwork_problem(png(200, 100))
    assert "1400-3000" in artwork_problem(jpeg(800, 800))
    assert "no cover" in artwork_problem(None)


def test_the_feed_warns_of_a_cover_apps_refuse_or_none(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    book = make_book(tmp_path / "a")
    (book / "cover.jpg").write_bytes(jpeg(200, 100))
    with caplog.at_level("WARNING"):
        write_feed(book, "http://127.0.0.1:8000/a/")
    assert "the cover is 200x100" in caplog.text
    caplog.clear()
    (book / "cover.jpg").write_bytes(jpeg(1600, 1600))
    with caplog.at_level("WARNING"):
        write_feed(book, "http://127.0.0.1:8000/a/")
    assert "cover" not in caplog.text
    bare = make_book(tmp_path / "b", cover=False)
    with caplog.at_level("WARNING"):
        write_feed(bare, "http://127.0.0.1:8000/b/")
    assert "no cover" in caplog.text


@pytest.mark.parametrize("source, where", [("story.txt", "story.toml"), ("novel.md", "novel.toml"),
                                           ("book", "book/book.toml"), (None, "book.toml")])
def test_the_no_cover_warning_names_the_file_that_sets_the_cover(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                                  source: str | None, where: str) -> None:
    if source == "book":
        (tmp_path / "book").mkdir()
    elif source:
        (tmp_path / source).write_text("Once.\n", encoding="utf-8")
    bare = make_book(tmp_path / "out", cover=False)
    if source:
        manifest = json.loads((bare / "book.json").read_text(encoding="utf-8"))
        manifest["source"] = str(tmp_path / source)
        (bare / "book.json").write_text(json.dumps(manifest), encoding="utf-8")
    with caplog.at_level("WARNING"):
        write_feed(bare, "http://127.0.0.1:8000/b/")
    expected = str(tmp_path / where) if source else where
    assert f"set cover in {expected} to a square" in caplog.text
