"""Any input: odd encodings and shapes render or fail with one line; a killed render resumes cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from narrate.cli.main import cli
from narrate.text.reader import load_book, read_text, slugify


def render(src, out, *extra):
    return CliRunner().invoke(cli, ["render", str(src), "-o", str(out), "-q", "-j", "1", *extra])


@pytest.mark.parametrize("name,data", [
    ("bom.txt", "\ufeff\"Hi,\" said Ann.\n".encode("utf-8")),
    ("crlf.txt", b"Line one.\r\n\r\n\"Two,\" said Bo.\r\n"),
    ("utf16.txt", "\"Hello,\" said Zoë. Emoji 🙂 and 日本語 too.\n".encode("utf-16")),
])
def test_encodings_and_line_endings_are_read(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    text = read_text(path)
    assert "\r" not in text and not text.startswith("\ufeff")


@pytest.mark.parametrize("name,text", [
    ("all-dialogue.txt", '"Hello."\n\n"Hi."\n\n"How are you?"\n'),
    ("no-dialogue.txt", "It rained. Nobody spoke at all that day.\n"),
    ("unbalanced.txt", 'She said "this never closes. And the story goes on.\n\nNext paragraph.\n'),
    ("odd-chars.txt", "Emoji 🙂🎉 and 日本語, Ελληνικά, a very long word "
                      + "x" * 300 + " and a number 12345678901234567890123.\n"),
])
def test_odd_chapters_render(tmp_path, name, text):
    src = tmp_path / name
    src.write_text(text, encoding="utf-8")
    res = render(src, tmp_path / "out")
    assert res.exit_code == 0, res.output
    book_dir = tmp_path / "out" / slugify(src.stem)
    manifest = json.loads((book_dir / "book.json").read_text())
    assert manifest["chapters"][0]["duration_ms"] > 1000
    assert not list(book_dir.glob(".*.part"))


def test_book_folder_ignores_non_text_files_and_makes_safe_names(tmp_path):
    src = tmp_path / "My \"Book\": a/b"  # a slash is impossible in a name; quotes and colons are not
    src = tmp_path / 'My "Book": part 1'
    src.mkdir()
    (src / "cover-notes.pdf").write_bytes(b"%PDF-1.4 binary \x00\x01")
    (src / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00")
    (src / '01 "Quoted" title?.txt').write_text("A short chapter. \"Yes,\" said Kim.\n", encoding="utf-8")
    book = load_book(src)
    assert [c.source.name for c in book.chapters] == ['01 "Quoted" title?.txt']
    assert book.slug == "my-book-part-1" and book.chapters[0].slug == "01-quoted-title"
    res = render(src, tmp_path / "out")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "out" / "my-book-part-1" / "01-quoted-title.mp3").is_file()


def test_huge_single_paragraph_scripts_quickly():
    from narrate.attribution.attribute import script_text

    text = ("The road went on and on, and nobody said anything at all. " * 180_000)[:10_000_000]
    start = time.perf_counter()
    script = script_text(text)
    assert time.perf_counter() - start < 60
    assert script.segments[-1].end == len(text)


BOOK_CHAPTER = "Chapter {n}\n\n" + ("\"We walk on,\" said Ada. The path turned and turned again. " * 12) + "\n"


def test_kill_9_then_render_again_resumes(tmp_path):
    src = tmp_path / "killbook"
    src.mkdir()
    for n in range(1, 5):
        (src / f"{n:02d}.txt").write_text(BOOK_CHAPTER.format(n=n) + f"Chapter {n} ends here.\n", encoding="utf-8")
    out = tmp_path / "out"
    env = {**os.environ, "NARRATE_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.Popen([sys.executable, "-m", "narrate", "render", str(src), "-o", str(out), "-j", "1", "-q"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest_path = out / "killbook" / "book.json"
    deadline = time.time() + 120
    while time.time() < deadline:
        if manifest_path.exists() and len(json.loads(manifest_path.read_text())["chapters"]) >= 1:
            break
        if proc.poll() is not None:
            pytest.fail("render finished before it could be killed")
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_first = json.loads(manifest_path.read_text())["chapters"]
    assert 1 <= len(done_first) < 4
    finished = {c["file"]: (out / "killbook" / c["file"]).stat().st_mtime_ns for c in done_first}

    res = subprocess.run([sys.executable, "-m", "narrate", "render", str(src), "-o", str(out), "-j", "1"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    manifest = json.loads(manifest_path.read_text())
    assert [c["index"] for c in manifest["chapters"]] == [1, 2, 3, 4]
    for name, mtime in finished.items():  # finished chapters were kept, not rendered again
        assert (out / "killbook" / name).stat().st_mtime_ns == mtime
    leftovers = [p.name for p in (out / "killbook").iterdir()
                 if p.name.startswith(".") and p.name != ".cast.json" or p.suffix == ".part"]
    assert leftovers == []
    for c in manifest["chapters"]:
        assert (out / "killbook" / c["file"]).stat().st_size == c["bytes"]


def test_only_txt_files_are_chapters_and_the_others_are_logged(tmp_path, caplog):
    import logging

    src = tmp_path / "book"
    src.mkdir()
    (src / "01-one.txt").write_text('"Hi," said Ann.\n', encoding="utf-8")
    (src / "02-two.TXT").write_text("It rained.\n", encoding="utf-8")
    for name in ("notes.md", "CHANGELOG.md", "draft.text", "README.txt"):
        (src / name).write_text("Not a chapter, though it has words.\n", encoding="utf-8")
    (src / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
    (src / "book.toml").write_text('title = "B"\ncover = "cover.png"\n', encoding="utf-8")
    (src / ".hidden.txt").write_text("Hidden.\n", encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="narrate.text.reader"):
        book = load_book(src)
    assert [c.source.name for c in book.chapters] == ["01-one.txt", "02-two.TXT"]
    (record,) = [r for r in caplog.records if "not chapters" in r.getMessage()]
    assert record.levelno == logging.INFO
    assert record.getMessage().endswith("skipped: CHANGELOG.md, README.txt, draft.text, notes.md")
