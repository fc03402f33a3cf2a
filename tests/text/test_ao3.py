"""An Archive of Our Own download (HTML, EPUB): the story's chapters, not its tags, notes or "drop by and comment"."""

from __future__ import annotations

import zipfile
from pathlib import Path

from conftest import DATA
from epub_fixtures import Epub

from narrate.text.reader import load_book

AO3_EPUB = DATA / "fanfic" / "ao3_lighthouse.epub"
"""AO3's EPUB as calibre splits it: the preface, a file per chapter (its notes inside), the afterword."""

AO3 = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"/>
<title>Coffee and Other Emergencies - stars_hollow_fan - Gilmore Girls [Archive of Our Own]</title></head>
<body>
<div id="preface">
  <p class="message"><b>Coffee and Other Emergencies</b><br/>Posted originally on the
    <a href="http://archiveofourown.org/">Archive of Our Own</a> at <a href="http://archiveofourown.org/works/1">x</a>.</p>
  <div class="meta">
    <dl class="tags"><dt>Rating:</dt><dd><a href="#">General Audiences</a></dd>
      <dt>Fandom:</dt><dd><a href="#">Gilmore Girls</a></dd>
      <dt>Stats:</dt><dd>Published: 2021-03-04 Words: 412 Chapters: 2/2</dd></dl>
    <h1>Coffee and Other Emergencies</h1>
    <div class="byline">by <a rel="author" href="#">stars_hollow_fan</a>, <a rel="author" href="#">co_writer</a></div>
    <p>Summary</p>
    <blockquote class="userstuff"><p>Lorelai needs coffee.</p><p>Luke has opinions.</p></blockquote>
    <p>Notes</p>
    <blockquote class="userstuff"><p>Thanks to my beta. Comments and kudos make my day!</p></blockquote>
  </div>
</div>
<div id="chapters" class="userstuff">
  <div class="meta group"><h2 class="heading">Chapter 1: Bottomless</h2>
    <p>Chapter Notes</p><blockquote class="userstuff"><p>Set in season two. Sorry for the wait!</p></blockquote></div>
  <div class="userstuff">
    <p>The diner was empty except for Luke.</p>
    <div class="meta"><p>Her phone buzzed twice.</p></div>
    <p>\u201cCoffee. Now. Please,\u201d Lorelai said.</p>
  </div>
  <div class="meta" id="endnotes1"><p>Chapter End Notes</p>
    <blockquote class="userstuff"><p>Next chapter: Friday night dinner. Leave a comment!</p></blockquote></div>
  <div class="meta group"><h2 class="heading">Chapter 2: Gazpacho</h2></div>
  <div class="userstuff"><p>\u201cRichard, the soup is cold,\u201d Emily said.</p></div>
</div>
<div id="afterword">
  <div class="meta group"><p>End Notes</p><blockquote class="userstuff"><p>Find me on tumblr.</p></blockquote></div>
  <p class="message">Please <a href="#">drop by the Archive and comment</a> to let the creator know if you enjoyed
    their work!</p>
</div>
</body></html>
"""


def test_an_ao3_download_is_its_chapters_with_its_title_author_and_summary(tmp_path: Path) -> None:
    path = tmp_path / "Coffee_and_Other_Emergencies.html"
    path.write_text(AO3, encoding="utf-8")
    book = load_book(path)
    assert (book.title, book.author) == ("Coffee and Other Emergencies", "stars_hollow_fan & co_writer")
    assert book.description == "Lorelai needs coffee. Luke has opinions."
    assert [c.title for c in book.chapters] == ["Chapter 1: Bottomless", "Chapter 2: Gazpacho"]
    text = "\n".join(c.text for c in book.chapters)
    assert "The diner was empty" in text and "the soup is cold" in text
    assert "Her phone buzzed" in text  # a "meta" block inside the story's own text is the story
    for unread in ("Rating", "General Audiences", "Summary", "beta", "Chapter Notes", "season two",
                   "Leave a comment", "tumblr", "drop by the Archive", "Posted originally"):
        assert unread not in text, unread


def test_a_page_that_is_not_from_ao3_keeps_its_meta_blocks(tmp_path: Path) -> None:
    """Only an AO3 download's preface and notes are left out: another page's "meta group" div is text."""
    path = tmp_path / "story.html"
    path.write_text('<html><head><title>Story</title></head><body><h1>Story</h1><h2>One</h2><div class="meta group">'
                    "<p>It was a dark night.</p></div><p>First.</p><h2>Two</h2><p>Second.</p></body></html>",
                    encoding="utf-8")
    book = load_book(path)
    assert "dark night" in "\n".join(c.text for c in book.chapters)


def _assert_only_the_story(book) -> None:
    assert [c.title for c in book.chapters] == ["Chapter 1: Salt and Paper", "Chapter 2: The Keeper's Log",
                                                "Chapter 3: Light"]
    text = "\n".join(c.text for c in book.chapters)
    assert "The lighthouse at Tern Point had not been lit" in text and "a fishing boat turned for home" in text
    for unread in ("Chapter Notes", "kudos keep me going", "See the end of the chapter", "Chapter End Notes",
                   "Warning for brief mention", "End Notes", "Works inspired", "drop by the Archive", "Preface"):
        assert unread not in text, unread


def test_an_ao3_epub_split_into_files_is_its_chapters_without_notes_or_afterword() -> None:
    book = load_book(AO3_EPUB)
    _assert_only_the_story(book)
    assert (book.title, book.author) == ("The Lighthouse at Tern Point", "saltwater_quill")
    everything = load_book(AO3_EPUB, all_documents=True)
    assert "kudos keep me going" in "\n".join(c.text for c in everything.chapters)


def test_an_ao3_epub_is_known_by_its_preface_when_its_package_does_not_say(tmp_path: Path) -> None:
    with zipfile.ZipFile(AO3_EPUB) as zf:
        names = sorted(n for n in zf.namelist() if n.endswith(".xhtml"))
        docs = [(n, zf.read(n).decode("utf-8")) for n in names]
    labels = ["Preface", "Chapter 1: Salt and Paper", "Chapter 2: The Keeper's Log", "Chapter 3: Light", "Afterword"]
    epub = Epub(docs, title="The Lighthouse at Tern Point", authors=("saltwater_quill",),
                toc=list(zip(labels, names, strict=True)))
    _assert_only_the_story(load_book(epub.write(tmp_path / "lighthouse.epub")))
