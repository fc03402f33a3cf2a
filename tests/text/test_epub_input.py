"""Bad EPUB input: one clear line naming the file and the problem, through the CLI's one error boundary."""

from __future__ import annotations

import logging
import zipfile

import pytest
from click.testing import CliRunner
from epub_fixtures import CONTAINER, Epub, chapter_doc, novel

from narrate.cli.main import cli
from narrate.errors import InputError
from narrate.text import epub as epub_module
from narrate.text.reader import load_book

ENCRYPTION = ('<?xml version="1.0"?><encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
              'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
              '<enc:EncryptionMethod Algorithm="{algorithm}"/><enc:CipherData>'
              '<enc:CipherReference URI="{uri}"/></enc:CipherData></enc:EncryptedData></encryption>')


def one_line(tmp_path, path, *words: str) -> str:
    """Every command that reads a book fails on `path` with one line naming it, exit 1, nothing written."""
    out = tmp_path / "out"
    for args in (["chapters", str(path)], ["script", str(path), "-o", str(out)],
                 ["render", str(path), "-o", str(out), "-q", "-j", "1"]):
        res = CliRunner().invoke(cli, args)
        assert res.exit_code == 1, (args, res.output)
        assert "Traceback" not in res.output
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("narrate: error: "), res.output
        assert str(path) in lines[0]
        for word in words:
            assert word in lines[0], lines[0]
    assert not out.exists() or not any(p.is_file() for p in out.rglob("*")), "something was written"
    return lines[0]


def test_not_a_zip(tmp_path):
    path = tmp_path / "book.epub"
    path.write_text("Once upon a time", encoding="utf-8")
    one_line(tmp_path, path, "not a zip")


def test_a_zip_that_is_not_an_epub(tmp_path):
    path = tmp_path / "photos.epub"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("holiday.jpg", b"\xff\xd8\xff")
    one_line(tmp_path, path, "not an EPUB")


def test_drm_encrypted_content_is_refused(tmp_path):
    extra = {"META-INF/encryption.xml": ENCRYPTION.format(algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc",
                                                          uri="OEBPS/chapter-1.xhtml").encode(),
             "META-INF/rights.xml": b"<rights/>"}
    path = novel(2, extra=extra).write(tmp_path / "drm.epub")
    line = one_line(tmp_path, path, "DRM", "Adobe ADEPT")
    assert "chapter-1.xhtml" in line


def test_obfuscated_fonts_are_not_drm(tmp_path):
    font = "OEBPS/fonts/font.otf"
    extra = {"META-INF/encryption.xml": ENCRYPTION.format(algorithm="http://www.idpf.org/2008/embedding",
                                                          uri=font).encode(),
             font: b"\x00garbled font bytes" * 50}
    epub = novel(2, extra=extra, manifest_extra=[("font", "fonts/font.otf", "font/otf")])
    book = load_book(epub.write(tmp_path / "fonts.epub"))
    assert len(book.chapters) == 2


def test_missing_manifest_items(tmp_path):
    path = novel(3, leave_out=("chapter-2.xhtml",)).write(tmp_path / "holes.epub")
    one_line(tmp_path, path, "chapter-2.xhtml", "missing from the zip")
    # A manifest item outside the reading order (an image, a font) may be missing: the book still reads.
    epub = novel(2, manifest_extra=[("img", "images/gone.png", "image/png")])
    assert len(load_book(epub.write(tmp_path / "fine.epub")).chapters) == 2


@pytest.mark.parametrize("name", ["../evil.xhtml", "/etc/evil.xhtml", "OEBPS/../../evil.xhtml"])
def test_zip_names_that_leave_the_book_are_refused(tmp_path, name):
    path = novel(1, extra={name: b"<html/>"}).write(tmp_path / "escape.epub")
    one_line(tmp_path, path, "unsafe file name")


def test_a_zip_bomb_is_refused(tmp_path):
    path = novel(1, extra={"OEBPS/bomb.xhtml": b"\0" * (8 * 2**20)}).write(tmp_path / "bomb.epub")
    one_line(tmp_path, path, "zip bomb")


def test_absurd_sizes_and_counts_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(epub_module, "MAX_ENTRIES", 10)
    path = novel(1, extra={f"OEBPS/x{i}.txt": b"x" for i in range(20)}).write(tmp_path / "many.epub")
    with pytest.raises(InputError, match="files in the zip"):
        load_book(path)
    monkeypatch.setattr(epub_module, "MAX_ENTRIES", 10_000)
    monkeypatch.setattr(epub_module, "MAX_ENTRY_BYTES", 2000)
    path = novel(1, extra={"OEBPS/big.xhtml": b"y" * 5000}).write(tmp_path / "big.epub")
    with pytest.raises(InputError, match="per file"):
        load_book(path)


def test_a_header_that_lies_about_its_size_is_an_input_error(tmp_path):
    path = Epub([("c.xhtml", chapter_doc(1, "Chapter 1", paras=80))], toc=[("Chapter 1", "c.xhtml")]) \
        .write(tmp_path / "liar.epub")
    archive = epub_module.EpubArchive.__new__(epub_module.EpubArchive)
    archive.path = path
    archive.zip = zipfile.ZipFile(path)
    archive.names = {i.filename: i for i in archive.zip.infolist()}
    archive.names["OEBPS/c.xhtml"].file_size = 10  # what a forged header claims: zipfile stops there
    with pytest.raises(InputError, match="damaged"):
        archive.read("OEBPS/c.xhtml")


def test_a_book_with_no_readable_text_says_so(tmp_path):
    docs = [("cover.xhtml", '<html xmlns="http://www.w3.org/1999/xhtml"><body><img src="c.jpg" alt="A cover"/>'
                            "</body></html>")]
    path = Epub(docs, toc=[("Cover", "cover.xhtml")]).write(tmp_path / "empty.epub")
    one_line(tmp_path, path, "no readable text")


def test_missing_container_but_one_package_still_reads(tmp_path):
    path = novel(2).write(tmp_path / "nocontainer.epub")
    fixed = tmp_path / "fixed.epub"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(fixed, "w") as dst:
        for info in src.infolist():
            if info.filename != "META-INF/container.xml":
                dst.writestr(info, src.read(info))
    assert len(load_book(fixed).chapters) == 2
    assert CONTAINER  # the fixture's container names OEBPS/content.opf


def test_a_document_with_nothing_a_browser_could_show_is_an_empty_page(tmp_path, caplog):
    epub = novel(2)
    epub.docs.insert(3, ("noise.xhtml", "<!-- a page of nothing but a comment -->"))
    with caplog.at_level(logging.WARNING):
        book = load_book(epub.write(tmp_path / "noise.epub"))
    assert len(book.chapters) == 2 and "noise.xhtml" in caplog.text
