"""Whole-book outputs and presets: single MP3, M4B, ACX, book.toml pacing, feed on render."""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import subprocess

import numpy as np
import pytest
from audio_probe import decode_mp3
from click.testing import CliRunner
from conftest import SAMPLE_BOOK
from mutagen.id3 import ID3

from narrate.cli.main import cli

BOOK_TOML = '''title = "Two Short Scenes"
author = "Test Author"

[pacing]
scene_ms = 3000
paragraph_ms = 900
'''
CH1 = '''Chapter 1

"Are you coming?" asked Mara.

"In a minute," Tom said. He put on his coat.

* * *

Later, they walked to the harbour. "Look at the boats," said Mara.
'''
CH2 = '''Chapter 2

The rain had stopped. "We should go home," Tom said quietly.

"Not yet," Mara answered.
'''


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    src = tmp_path_factory.mktemp("src") / "two-scenes"
    src.mkdir()
    (src / "book.toml").write_text(BOOK_TOML, encoding="utf-8")
    (src / "01.txt").write_text(CH1, encoding="utf-8")
    (src / "02.txt").write_text(CH2, encoding="utf-8")
    return src


@pytest.fixture(scope="module")
def rendered(book, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    res = CliRunner().invoke(cli, ["render", str(book), "-o", str(out), "--single-file", "--format", "m4b",
                                   "--base-url", "http://127.0.0.1:8765/two-scenes/", "-q"])
    assert res.exit_code == 0, res.output
    book_dir = out / "two-scenes"
    return book_dir, json.loads((book_dir / "book.json").read_text())


def test_scene_break_makes_a_chapter_mark_and_book_pacing_applies(rendered):
    book_dir, manifest = rendered
    ch1 = manifest["chapters"][0]
    assert [s["title"] for s in ch1["sections"]][0] == "Chapter 1"
    assert len(ch1["sections"]) == 2 and ch1["sections"][1]["title"].startswith("2. Later")
    tags = ID3(book_dir / ch1["file"])
    assert len(tags.getall("CHAP")) == 2
    segs = ch1["segments"]
    later = next(s for s in segs if s["text"].startswith("Later"))
    before = segs[segs.index(later) - 1]
    # scene_ms from book.toml; pieces sit on whole MP3 frames, so a pause is exact to one frame (26 ms)
    assert abs(later["start_ms"] - before["end_ms"] - 3000) <= 27
    assert ch1["sections"][1]["start_ms"] == later["start_ms"] - 1500


def test_single_file_has_one_chapter_mark_per_chapter(rendered):
    book_dir, manifest = rendered
    whole = book_dir / "two-scenes.mp3"
    tags = ID3(whole)
    chaps = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    assert [str(c.sub_frames["TIT2"]) for c in chaps] == ["Chapter 1", "Chapter 2"]
    assert str(tags["TALB"]) == "Two Short Scenes"
    x, rate = decode_mp3(whole)
    total_ms = len(x) * 1000 / rate
    assert chaps[0].start_time == 0 and abs(chaps[-1].end_time - total_ms) < 60
    # Chapter 2 starts where chapter 1's audio ends (within an MP3 frame).
    ch1_ms = len(decode_mp3(book_dir / manifest["chapters"][0]["file"])[0]) * 1000 / rate
    assert abs(chaps[1].start_time - ch1_ms) < 60


def test_whole_book_chapter_frames_are_stored_in_time_order(tmp_path):
    """Players list CHAP frames as stored: the joined book's must follow the timeline (issue 14, item 6)."""
    from podcast_fixtures import encode_mp3, sine

    from narrate.audio.export import Tags
    from narrate.publish.bookfile import ChapterFile, join_mp3

    titles = ["The longest chapter title of them all", "Two", "Chapter three, medium", "4", "Five"]
    files = []
    for k, title in enumerate(titles):
        path = tmp_path / f"{k:02d}.mp3"
        path.write_bytes(encode_mp3(sine(0.5 + 0.1 * k)))
        files.append(ChapterFile(title, path))
    dest = tmp_path / "book.mp3"
    sections = join_mp3(files, dest, Tags(title="Book", album="Book", artist="A", track=1, track_total=1))
    chaps = ID3(dest).getall("CHAP")  # in file order
    assert [c.start_time for c in chaps] == [s.start_ms for s in sections]
    assert [c.start_time for c in chaps] == sorted(c.start_time for c in chaps)
    assert [str(c.sub_frames["TIT2"]) for c in chaps] == titles
    (toc,) = ID3(dest).getall("CTOC")
    assert list(toc.child_element_ids) == [c.element_id for c in chaps]


def test_m4b_after_single_file_keeps_the_mp3_and_transcodes_only_when_needed(book, tmp_path, monkeypatch, caplog):
    """Issue 14, item 7: --format m4b deleted the whole-book MP3 and transcoded on every render."""
    from narrate.publish import bookfile
    from narrate.render.pipeline import RenderOptions, render_book

    src = shutil.copytree(book, tmp_path / "two-scenes")
    base = RenderOptions(out_dir=tmp_path / "out", voices_dir=tmp_path / "none", jobs=1)
    book_dir = tmp_path / "out" / "two-scenes"
    mp3, m4b = book_dir / "two-scenes.mp3", book_dir / "two-scenes.m4b"
    render_book(src, dataclasses.replace(base, single_file=True))
    joined = mp3.read_bytes()
    manifest = render_book(src, dataclasses.replace(base, m4b=True)).manifest
    assert mp3.read_bytes() == joined and m4b.stat().st_size > 10_000
    assert set(manifest["whole_book"]) == {"mp3", "m4b"}
    assert manifest["whole_book"]["m4b"]["bytes"] == m4b.stat().st_size

    def no_ffmpeg(args):
        raise AssertionError("transcoded although nothing changed")

    monkeypatch.setattr(bookfile, "run_ffmpeg", no_ffmpeg)
    made = m4b.stat().st_mtime_ns
    render_book(src, dataclasses.replace(base, m4b=True))
    render_book(src, dataclasses.replace(base, m4b=True, single_file=True))
    assert m4b.stat().st_mtime_ns == made and mp3.read_bytes() == joined
    monkeypatch.undo()

    # A chapter changes: the MP3 asked for again is made again; the M4B not asked for is out of
    # date and goes rather than disagree with the chapters.
    (src / "02.txt").write_text(CH2 + "\nThey went home at last.\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="narrate"):
        manifest = render_book(src, dataclasses.replace(base, single_file=True)).manifest
    assert mp3.read_bytes() != joined and not m4b.exists()
    assert set(manifest["whole_book"]) == {"mp3"}
    assert "two-scenes.m4b: removed, out of date" in caplog.text
    # Without the flag, an up-to-date whole-book MP3 is kept.
    render_book(src, base)
    assert mp3.exists()


def ffmpeg_exe():
    found = shutil.which("ffmpeg")
    if found:
        return found
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    return imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg_chapters(path):
    out = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path), "-f", "ffmetadata", "-"],
                         capture_output=True, text=True, check=True).stdout
    return [line.split("=", 1)[1] for line in out.splitlines() if line.startswith("title=")][1:]


def test_m4b_has_chapters(rendered):
    book_dir, _ = rendered
    m4b = book_dir / "two-scenes.m4b"
    assert m4b.stat().st_size > 10_000
    assert ffmpeg_chapters(m4b) == ["Chapter 1", "Chapter 2"]


def test_ffmpeg_reads_the_chapter_frames(rendered):
    book_dir, manifest = rendered
    assert ffmpeg_chapters(book_dir / manifest["chapters"][0]["file"])[:2] == ["Chapter 1", "2. Later, they walked to the…"]


def test_feed_written_on_render(rendered):
    import podcastparser

    book_dir, manifest = rendered
    with open(book_dir / "feed.xml", "rb") as fh:
        feed = podcastparser.parse("http://127.0.0.1:8765/two-scenes/feed.xml", fh)
    titles = [e["title"] for e in sorted(feed["episodes"], key=lambda e: e["published"])]
    assert titles == ["Chapter 1", "Chapter 2"]


def test_m4b_without_ffmpeg_is_a_clear_error(monkeypatch):
    import builtins

    from narrate.errors import ExportError
    from narrate.publish import bookfile

    monkeypatch.setattr(bookfile.shutil, "which", lambda name: None)
    real_import = builtins.__import__

    def no_imageio(name, *args, **kwargs):
        if name == "imageio_ffmpeg":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_imageio)
    with pytest.raises(ExportError, match=r"pip install 'narrate-audiobook\[m4b\]'"):
        bookfile.find_ffmpeg()


def test_acx_preset_passes_narrate_check(book, tmp_path):
    res = CliRunner().invoke(cli, ["render", str(book), "-o", str(tmp_path), "--acx", "-q", "--chapters", "2"])
    assert res.exit_code == 0, res.output
    mp3 = next((tmp_path / "two-scenes").glob("02-*.mp3"))
    ok = CliRunner().invoke(cli, ["check", "--acx", str(mp3)])
    assert ok.exit_code == 0, ok.output
    assert "PASS  room tone" in ok.output


def test_acx_pauses_hold_a_constant_room_tone(book, tmp_path):
    """Head, tail and pauses of an ACX chapter are a steady noise floor, not digital silence (item 11)."""
    from audio_probe import rms_db, slice_ms

    from narrate.render.pipeline import RenderOptions, render_book

    result = render_book(book, RenderOptions(out_dir=tmp_path, voices_dir=tmp_path, jobs=1, acx=True, chapters="2"))
    ch = result.manifest["chapters"][0]
    x, rate = decode_mp3(result.book_dir / ch["file"])
    segs = ch["segments"]
    quiet = [(0, segs[0]["start_ms"]), (segs[-1]["end_ms"], ch["duration_ms"])]
    quiet += [(a["end_ms"], b["start_ms"]) for a, b in zip(segs, segs[1:]) if b["start_ms"] - a["end_ms"] >= 600]
    assert len(quiet) >= 4
    levels = []
    for start, end in quiet:
        gap = slice_ms(x, rate, start + 150, end - 150)  # clear of the words' own fade
        levels.append(rms_db(gap))
        assert np.mean(gap == 0) < 0.2, (start, end)  # noise, not runs of zeros
    assert all(-90 <= level <= -60 for level in levels), levels
    assert max(levels) - min(levels) < 3, levels  # constant


def test_bad_pacing_names_book_toml(book, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(book, bad)
    (bad / "book.toml").write_text('title = "x"\n[pacing]\nscene = 3\n', encoding="utf-8")
    res = CliRunner().invoke(cli, ["render", str(bad), "-o", str(tmp_path / "o")])
    assert res.exit_code == 1 and "book.toml" in res.output and "unknown key 'scene'" in res.output


def test_podcast_client_subscribes_over_http(book, tmp_path):
    """Render with --base-url, serve the output, and consume it as a podcast client would."""
    import threading
    import urllib.request

    import feedparser
    import podcastparser

    from narrate.publish.serve import make_server

    server = make_server(tmp_path, "127.0.0.1", 0)
    port = server.server_address[1]
    base = f"http://127.0.0.1:{port}/two-scenes/"
    res = CliRunner().invoke(cli, ["render", str(book), "-o", str(tmp_path), "--base-url", base, "-q"])
    assert res.exit_code == 0, res.output
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(base + "feed.xml", timeout=10) as r:
            body = r.read()
        feed = podcastparser.parse(base + "feed.xml", __import__("io").BytesIO(body))
        episodes = sorted(feed["episodes"], key=lambda e: e["published"])
        assert [e["title"] for e in episodes] == ["Chapter 1", "Chapter 2"]
        parsed = feedparser.parse(body)
        assert parsed.feed.title == "Two Short Scenes" and len(parsed.entries) == 2
        ep = episodes[0]
        enclosure = ep["enclosures"][0]
        size = (tmp_path / "two-scenes" / enclosure["url"].rsplit("/", 1)[1]).stat().st_size
        assert enclosure["file_size"] == size
        req = urllib.request.Request(enclosure["url"], headers={"Range": "bytes=100-1099"})
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 206 and len(r.read()) == 1000
            assert r.headers["Content-Range"] == f"bytes 100-1099/{size}"
        with urllib.request.urlopen(ep["chapters_json_url"] if "chapters_json_url" in ep
                                    else base + enclosure["url"].rsplit("/", 1)[1].replace(".mp3", ".chapters.json"),
                                    timeout=10) as r:
            chapters = json.loads(r.read())
        assert chapters["version"] == "1.2.0" and chapters["chapters"][0]["title"] == "Chapter 1"
        transcript_url = next(t["url"] for t in ep.get("transcripts", [])) if ep.get("transcripts") else \
            base + enclosure["url"].rsplit("/", 1)[1].replace(".mp3", ".vtt")
        with urllib.request.urlopen(transcript_url, timeout=10) as r:
            vtt = r.read().decode()
        assert vtt.startswith("WEBVTT") and "<v Mara>" in vtt and "<v Tom>" in vtt
    finally:
        server.shutdown()
        server.server_close()


def test_an_m4b_without_ffmpeg_is_refused_before_any_chapter_is_rendered(tmp_path, monkeypatch):
    """--format m4b with no ffmpeg (none on the system, no [m4b] extra): the one-line error comes first, not
    after every chapter was rendered for it."""
    import builtins

    real_import = builtins.__import__

    def no_imageio(name, *args, **kwargs):
        if name == "imageio_ffmpeg":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    monkeypatch.setattr(builtins, "__import__", no_imageio)
    res = CliRunner().invoke(cli, ["render", str(SAMPLE_BOOK), "-o", str(tmp_path / "o"), "--format", "m4b", "-q"])
    assert res.exit_code == 1 and "M4B output needs ffmpeg" in res.output
    assert not list((tmp_path / "o").rglob("*.mp3"))


def test_several_books_with_one_base_url_get_a_feed_each_under_their_folder(tmp_path):
    """`narrate render a b --base-url URL`: URL is the output folder's, each book's feed and files at URL/<book>/
    (as `narrate serve` serves the folder); both feeds pointed at URL/<file> before, which is nothing."""
    import feedparser
    from conftest import THREE_ROOMS

    res = CliRunner().invoke(cli, ["render", str(SAMPLE_BOOK), str(THREE_ROOMS), "-o", str(tmp_path / "o"), "-q",
                                   "--base-url", "http://127.0.0.1:8768/books/"])
    assert res.exit_code == 0, res.output
    for slug in ("rory-and-jess", "three-rooms"):
        feed = feedparser.parse((tmp_path / "o" / slug / "feed.xml").read_bytes())
        hrefs = [e.enclosures[0].href for e in feed.entries]
        assert hrefs and all(h.startswith(f"http://127.0.0.1:8768/books/{slug}/") for h in hrefs), hrefs
        for href in hrefs:
            assert (tmp_path / "o" / slug / href.rsplit("/", 1)[1]).is_file()
