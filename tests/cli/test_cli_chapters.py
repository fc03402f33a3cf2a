"""`narrate chapters`, and render / script / cast on an EPUB: outputs by the book's name, chapter marks read back."""

from __future__ import annotations

import json
import tomllib

from click.testing import CliRunner
from conftest import THREE_ROOMS
from epub_fixtures import PNG, Epub, novel, paragraphs, xhtml
from mutagen.id3 import ID3

from narrate.cli.main import cli


def run(*args: str):
    res = CliRunner().invoke(cli, list(args))
    assert res.exit_code == 0, res.output
    return res.output


def test_chapters_json_contract(tmp_path):
    path = novel(3).write(tmp_path / "novel.epub")
    data = json.loads(run("chapters", str(path), "--json"))
    assert {"title", "author", "language", "chapters"} <= set(data)
    assert (data["title"], data["author"], data["language"]) == ("A Test Book", "Ann Author", "en")
    assert [c["index"] for c in data["chapters"]] == [1, 2, 3]
    first = data["chapters"][0]
    assert {"index", "title", "words", "sections"} <= set(first)
    assert first["title"] == "Chapter 1" and first["sections"] == [] and first["source"] == "nav"
    assert first["words"] == 48 and first["files"] == ["OEBPS/chapter-1.xhtml"]
    everything = json.loads(run("chapters", str(path), "--json", "--all"))
    assert len(everything["chapters"]) == 7


def test_chapters_text_output_and_other_sources(tmp_path):
    path = novel(2).write(tmp_path / "novel.epub")
    out = run("chapters", str(path))
    assert "A Test Book by Ann Author (en): 2 chapter(s), cut by EPUB 3 contents" in out
    assert " 1  Chapter 1  (48 words, EPUB 3 contents)" in out
    folder = json.loads(run("chapters", str(THREE_ROOMS), "--json"))
    assert len(folder["chapters"]) == 3 and folder["chapters"][0]["source"] == "file"


def sectioned_epub(tmp_path, **kwargs):
    body = ('<section id="c1" epub:type="chapter"><h2>Chapter 1</h2><p>“We should go,” said Anna.</p>'
            '<p>“Not yet,” said Ben.</p><section id="s1"><h3>The Road</h3><p>They walked along the road.</p></section>'
            "<hr/><p>Night fell over the hills.</p></section>")
    docs = [("c1.xhtml", xhtml(body)),
            ("c2.xhtml", xhtml('<h2>Chapter 2</h2><p>“Morning,” said Anna.</p><p>The end came soon.</p>')),
            ("colophon.xhtml", xhtml('<section epub:type="colophon"><p>Set in a fine typeface.</p></section>'))]
    toc = [("Chapter 1", "c1.xhtml", [("The Road", "c1.xhtml#s1")]), ("Chapter 2", "c2.xhtml"),
           ("Colophon", "colophon.xhtml")]
    return Epub(docs, toc=toc, cover=PNG, **kwargs).write(tmp_path / "little-book.epub")


def test_render_an_epub_with_chapter_marks_and_titles_read_once(tmp_path):
    path = sectioned_epub(tmp_path)
    out = tmp_path / "out"
    run("render", str(path), "-o", str(out), "--voices-dir", str(tmp_path / "none"), "-q", "-j", "1")
    book_dir = out / "little-book"
    assert sorted(p.name for p in book_dir.glob("*.mp3")) == ["01-chapter-1.mp3", "02-chapter-2.mp3"]
    manifest = json.loads((book_dir / "book.json").read_text(encoding="utf-8"))
    assert manifest["title"] == "A Test Book" and manifest["cover"] == "cover.png"
    tags = ID3(book_dir / "01-chapter-1.mp3")
    chaps = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    assert [c.sub_frames["TIT2"].text[0] for c in chaps] == ["Chapter 1", "The Road", "3. Night fell over the hills.…"]
    assert tags["TALB"].text[0] == "A Test Book" and tags["TPE1"].text[0] == "Ann Author" and tags.getall("APIC")
    segments = manifest["chapters"][0]["segments"]
    spoken = [s["text"].strip() for s in segments]
    assert spoken.count("Chapter 1") == 1 and segments[0]["role"] == "title"
    assert sum("The Road" in t for t in spoken) == 1  # the section heading, read once where it stands
    road = next(s for s in segments if s["text"].strip() == "The Road")
    assert abs(road["start_ms"] - chaps[1].start_time) < 1500  # the mark lands at its heading
    assert not any("typeface" in t for ch in manifest["chapters"] for t in (s["text"] for s in ch["segments"]))


def test_script_and_cast_on_an_epub_use_the_books_name_and_language(tmp_path):
    path = sectioned_epub(tmp_path, language="fr")
    out, voices = tmp_path / "out", tmp_path / "voices"
    run("script", str(path), "-o", str(out))
    assert sorted(p.name for p in (out / "little-book" / "script").glob("*.json")) == \
        ["01-chapter-1.json", "02-chapter-2.json"]
    run("cast", str(path), "--voices-dir", str(voices))
    cast = tomllib.loads((voices / "little-book.toml").read_text(encoding="utf-8"))
    assert cast["narrator"]["voice"] == "fr+m2"
    assert all(v["voice"].startswith("fr+") for v in cast.get("speakers", {}).values())
    run("cast", str(path), "--voices-dir", str(voices / "all"), "--all", "--dry-run")


def test_render_a_markdown_book(tmp_path):
    path = tmp_path / "tale.md"
    path.write_text("# Tale\n\n## One\n\nIt began.\n\n## Two\n\nIt ended.\n", encoding="utf-8")
    out = tmp_path / "out"
    run("render", str(path), "-o", str(out), "--voices-dir", str(tmp_path / "none"), "-q", "-j", "1")
    assert sorted(p.name for p in (out / "tale").glob("*.mp3")) == ["01-one.mp3", "02-two.mp3"]


def test_an_english_books_voices_are_unchanged(tmp_path):
    path = novel(1).write(tmp_path / "plain.epub")
    voices = tmp_path / "voices"
    run("cast", str(path), "--voices-dir", str(voices))
    cast = tomllib.loads((voices / "plain.toml").read_text(encoding="utf-8"))
    assert cast["narrator"]["voice"] == "en-gb-x-rp+m2"
    assert paragraphs  # fixture helpers are shared with the reader tests
