"""EPUB chapters: contents first (nav, then NCX), headings and documents as fallbacks; parts, sections, matter."""

from __future__ import annotations

import logging

import pytest
from epub_fixtures import JPEG, PNG, Epub, chapter_doc, novel, paragraphs, xhtml

from narrate.text.reader import load_book


def titles(book) -> list[str]:
    return [c.title for c in book.chapters]


def body(chapter) -> str:
    return chapter.text[chapter.body_start:]


def test_a_typical_epub3_reads_its_chapters_and_leaves_matter_out(tmp_path):
    book = load_book(novel(3, cover=PNG).write(tmp_path / "novel.epub"))
    assert titles(book) == ["Chapter 1", "Chapter 2", "Chapter 3"]
    assert [c.cut for c in book.chapters] == ["nav"] * 3
    assert [c.slug for c in book.chapters] == ["01-chapter-1", "02-chapter-2", "03-chapter-3"]
    assert book.slug == "novel" and book.title == "A Test Book" and book.author == "Ann Author"
    whole = " ".join(c.text for c in book.chapters)
    for matter in ("volunteer", "Colophon", "public domain", "Imprint"):
        assert matter not in whole
    # The heading is the title, read once: it is before body_start, not in the body.
    assert book.chapters[0].text.startswith("Chapter 1\n\n")
    assert "Chapter 1" not in body(book.chapters[0])
    assert body(book.chapters[0]).startswith("Paragraph 1 says that person 1")


def test_all_documents_reads_the_matter_too(tmp_path):
    book = load_book(novel(2).write(tmp_path / "novel.epub"), all_documents=True)
    assert titles(book)[0] == "Titlepage" and titles(book)[-1] == "Uncopyright"
    assert len(book.chapters) == 6


def test_several_chapters_in_one_document_are_cut_at_their_anchors(tmp_path):
    parts = "".join(f'<section id="ch{i}"><h2>Chapter {i}</h2>{paragraphs(f"walker {i}", 2)}</section>'
                    for i in range(1, 4))
    epub = Epub([("text.xhtml", xhtml(parts))], toc=[(f"Chapter {i}", f"text.xhtml#ch{i}") for i in range(1, 4)])
    book = load_book(epub.write(tmp_path / "one-file.epub"))
    assert titles(book) == ["Chapter 1", "Chapter 2", "Chapter 3"]
    for i, chapter in enumerate(book.chapters, start=1):
        assert f"walker {i}" in chapter.text
        assert all(f"walker {j}" not in chapter.text for j in range(1, 4) if j != i)


def test_anchors_on_empty_elements_and_headings_in_calibre_splits(tmp_path):
    # Calibre: index_split_NNN.html, NCX links to filepos anchors on empty <a> before <p> headings.
    doc = ('<p class="calibre1"><a id="filepos100"></a></p><p class="calibre3"><b>CHAPTER I</b></p>'
           f'{paragraphs("ship", 2)}<p class="calibre1"><a id="filepos900"></a></p>'
           f'<p class="calibre3"><b>CHAPTER II</b></p>{paragraphs("sea", 2)}')
    epub = Epub([("index_split_000.html", xhtml(doc)), ("index_split_001.html", xhtml(paragraphs("sea more", 3)))],
                version="2.0", ncx=[("CHAPTER I", "index_split_000.html#filepos100"),
                                    ("CHAPTER II", "index_split_000.html#filepos900")])
    book = load_book(epub.write(tmp_path / "calibre.epub"))
    assert titles(book) == ["CHAPTER I", "CHAPTER II"]
    assert [c.cut for c in book.chapters] == ["ncx", "ncx"]
    # The second chapter runs on over the next split file, and its heading is not read twice.
    assert "sea more" in book.chapters[1].text and "CHAPTER II" not in body(book.chapters[1])
    assert book.chapters[1].files == ("OEBPS/index_split_000.html", "OEBPS/index_split_001.html")


def test_a_chapter_over_several_documents_stays_together(tmp_path):
    docs = [("c1a.xhtml", chapter_doc(1, "One", words="first half")),
            ("c1b.xhtml", xhtml(paragraphs("second half", 3))),
            ("c2.xhtml", chapter_doc(2, "Two", words="other"))]
    book = load_book(Epub(docs, toc=[("One", "c1a.xhtml"), ("Two", "c2.xhtml")]).write(tmp_path / "b.epub"))
    assert titles(book) == ["One", "Two"]
    assert "first half" in book.chapters[0].text and "second half" in book.chapters[0].text
    assert book.chapters[0].text.index("first half") < book.chapters[0].text.index("second half")


def nested_book(tmp_path, with_part_text=False):
    docs = []
    toc = []
    for p in (1, 2):
        part_body = f'<h2>Part {p}</h2>' + (paragraphs(f"part {p} preface", 1) if with_part_text else "")
        docs.append((f"part-{p}.xhtml", xhtml(f'<section epub:type="part" id="part-{p}">{part_body}</section>')))
        chapters = []
        for c in (1, 2):
            n = f"{p}-{c}"
            sec = "".join(f'<section id="s{n}-{s}"><h4>Scene {s}</h4>{paragraphs(f"scene {n}.{s}", 2)}</section>'
                          for s in (1, 2))
            docs.append((f"chapter-{n}.xhtml", xhtml(f'<section id="c{n}" epub:type="chapter"><h3>Chapter {c}</h3>'
                                                      f"{paragraphs(f'chapter {n}', 2)}{sec}</section>")))
            chapters.append((f"Chapter {c}", f"chapter-{n}.xhtml",
                             [(f"Scene {s}", f"chapter-{n}.xhtml#s{n}-{s}") for s in (1, 2)]))
        toc.append((f"Part {p}", f"part-{p}.xhtml", chapters))
    return load_book(Epub(docs, toc=toc).write(tmp_path / "nested.epub"))


def test_nested_contents_parts_chapters_sections(tmp_path):
    book = nested_book(tmp_path)
    # The part's title is said with its first chapter; the chapter is the level that holds the text.
    assert titles(book) == ["Part 1: Chapter 1", "Chapter 2", "Part 2: Chapter 1", "Chapter 2"]
    assert [[s.title for s in c.sections] for c in book.chapters] == [["Scene 1", "Scene 2"]] * 4
    first = book.chapters[0]
    for mark in first.sections:
        assert first.text[mark.start:].startswith(mark.title)  # a section starts at its heading
    assert "Part 1" not in first.text


def test_a_part_with_text_of_its_own_is_a_short_chapter(tmp_path):
    book = nested_book(tmp_path, with_part_text=True)
    assert titles(book)[:3] == ["Part 1", "Chapter 1", "Chapter 2"]
    assert "part 1 preface" in book.chapters[0].text


def test_ncx_only_epub2(tmp_path):
    docs = [(f"ch{i}.html", chapter_doc(i, f"Chapter {i}")) for i in (1, 2)]
    epub = Epub(docs, version="2.0", ncx=[("Chapter 1", "ch1.html"), ("Chapter 2", "ch2.html")], cover=JPEG,
                cover_style="epub2")
    book = load_book(epub.write(tmp_path / "two.epub"))
    assert titles(book) == ["Chapter 1", "Chapter 2"] and {c.cut for c in book.chapters} == {"ncx"}
    assert book.cover is not None and book.cover.read_bytes() == JPEG and book.cover.suffix == ".jpg"


def test_nav_wins_over_ncx(tmp_path):
    docs = [(f"ch{i}.xhtml", chapter_doc(i, f"Chapter {i}")) for i in (1, 2)]
    epub = Epub(docs, toc=[("Chapter 1", "ch1.xhtml"), ("Chapter 2", "ch2.xhtml")],
                ncx=[("Everything", "ch1.xhtml")])
    assert [c.cut for c in load_book(epub.write(tmp_path / "b.epub")).chapters] == ["nav", "nav"]


def test_no_contents_falls_back_to_headings_then_documents(tmp_path):
    text = "".join(f"<h2>Chapter {i}</h2>{paragraphs(f'w{i}', 2)}" for i in (1, 2, 3))
    book = load_book(Epub([("all.xhtml", xhtml(text))]).write(tmp_path / "h.epub"))
    assert titles(book) == ["Chapter 1", "Chapter 2", "Chapter 3"] and book.chapters[0].cut == "heading"
    docs = [(f"d{i}.xhtml", xhtml(paragraphs(f"doc {i}", 3), title="A Test Book")) for i in (1, 2)]
    book = load_book(Epub(docs).write(tmp_path / "d.epub"))
    assert titles(book) == ["A Test Book", "Chapter 2"] and book.chapters[0].cut == "document"


def test_broken_links_are_skipped_and_a_wholly_broken_toc_falls_back(tmp_path, caplog):
    docs = [(f"ch{i}.xhtml", chapter_doc(i, f"Chapter {i}")) for i in (1, 2, 3)]
    toc = [("Chapter 1", "ch1.xhtml"), ("Missing", "nowhere.xhtml"), ("Chapter 2", "ch2.xhtml#no-such-anchor"),
           ("Chapter 3", "ch3.xhtml")]
    with caplog.at_level(logging.INFO):
        book = load_book(Epub(docs, toc=toc).write(tmp_path / "b.epub"))
    assert titles(book) == ["Chapter 1", "Chapter 2", "Chapter 3"]
    assert "nowhere.xhtml" in caplog.text
    broken = [("X", "gone-1.xhtml"), ("Y", "gone-2.xhtml")]
    book = load_book(Epub(docs, toc=broken, ncx=broken).write(tmp_path / "c.epub"))
    assert titles(book) == ["Chapter 1", "Chapter 2", "Chapter 3"] and book.chapters[0].cut == "heading"


def test_one_entry_for_the_whole_book_falls_back_to_headings(tmp_path):
    docs = [(f"ch{i}.xhtml", chapter_doc(i, f"Chapter {i}", paras=12)) for i in range(1, 5)]
    book = load_book(Epub(docs, toc=[("Start", "ch1.xhtml")]).write(tmp_path / "one.epub"))
    assert titles(book) == [f"Chapter {i}" for i in range(1, 5)] and book.chapters[0].cut == "heading"


def test_entries_to_one_place_are_implausible(tmp_path):
    docs = [(f"ch{i}.xhtml", chapter_doc(i, f"Chapter {i}")) for i in range(1, 4)]
    toc = [(f"Chapter {i}", "ch1.xhtml") for i in range(1, 4)]
    book = load_book(Epub(docs, toc=toc, ncx=toc).write(tmp_path / "same.epub"))
    assert titles(book) == ["Chapter 1", "Chapter 2", "Chapter 3"] and book.chapters[0].cut == "heading"


def test_contents_out_of_reading_order_still_read_in_order(tmp_path):
    docs = [(f"ch{i}.xhtml", chapter_doc(i, f"Chapter {i}")) for i in (1, 2, 3)]
    toc = [("Chapter 3", "ch3.xhtml"), ("Chapter 1", "ch1.xhtml"), ("Chapter 2", "ch2.xhtml")]
    book = load_book(Epub(docs, toc=toc).write(tmp_path / "b.epub"))
    assert titles(book) == ["Chapter 1", "Chapter 2", "Chapter 3"]


def test_heading_titles_and_subtitles_are_read_once(tmp_path):
    doc = xhtml('<section id="c1" epub:type="chapter"><hgroup><h2 epub:type="ordinal z3998:roman">I</h2>'
                '<p epub:type="title">The Storm</p></hgroup>' + paragraphs("x", 2) + "</section>")
    book = load_book(Epub([("c1.xhtml", doc)], toc=[("I: The Storm", "c1.xhtml")]).write(tmp_path / "b.epub"))
    chapter = book.chapters[0]
    assert (chapter.title, chapter.subtitle) == ("I", "The Storm")
    assert "Storm" not in body(chapter)
    # The same title written two ways in the contents and the heading is said once.
    doc = xhtml("<h2>CHAPTER I.<br/>Down the Rabbit-Hole.</h2>" + paragraphs("alice", 2))
    book = load_book(Epub([("c.xhtml", doc)], toc=[("Chapter 1: Down the Rabbit-Hole", "c.xhtml")])
                     .write(tmp_path / "d.epub"))
    assert (book.chapters[0].title, book.chapters[0].subtitle) == ("Chapter 1: Down the Rabbit-Hole", None)
    assert "Rabbit" not in body(book.chapters[0])
    # An empty heading (an image heading, an anchor only) neither titles nor shifts the chapter.
    doc = xhtml('<h2><a id="c1"/><img src="t.png" alt="Chapter One"/></h2>' + paragraphs("y", 2))
    book = load_book(Epub([("c1.xhtml", doc)], toc=[("Chapter One", "c1.xhtml#c1")]).write(tmp_path / "c.epub"))
    assert book.chapters[0].title == "Chapter One" and body(book.chapters[0]).startswith("Paragraph 1")


def test_front_matter_known_by_guide_file_name_and_content(tmp_path):
    docs = [("cover.xhtml", xhtml('<div><img src="images/cover.jpg" alt="Cover"/></div>')),
            ("front.xhtml", xhtml("<h1>A Test Book</h1><p>by Ann Author</p>")),
            ("legal.xhtml", xhtml("<p>Copyright © 2021 Ann Author. All rights reserved.</p><p>ISBN 978-1-23456-789-0</p>"
                                  "<p>First published in 2021 by Some Press.</p>")),
            ("dedication.xhtml", xhtml("<p>For my mother.</p>")),
            ("contents.xhtml", xhtml('<h2>Contents</h2><p><a href="ch1.xhtml">Chapter 1</a></p>'
                                     '<p><a href="ch2.xhtml">Chapter 2</a></p><p><a href="ch3.xhtml">Chapter 3</a></p>')),
            *[(f"ch{i}.xhtml", chapter_doc(i, f"Chapter {i}")) for i in (1, 2, 3)],
            ("about.xhtml", xhtml("<h2>Also by Ann Author</h2><p>Another Book</p><p>A Third Book</p>"))]
    toc = [("Chapter 1", "ch1.xhtml"), ("Chapter 2", "ch2.xhtml"), ("Chapter 3", "ch3.xhtml"),
           ("Also by Ann Author", "about.xhtml")]
    for version, kwargs in (("2.0", {"ncx": toc, "guide": [("text", "ch1.xhtml"), ("toc", "contents.xhtml")]}),
                            ("3.0", {"toc": toc})):
        book = load_book(Epub(docs, version=version, **kwargs).write(tmp_path / f"f{version}.epub"))
        assert titles(book) == ["Chapter 1", "Chapter 2", "Chapter 3"], version
        assert "Copyright" not in book.chapters[0].text and "mother" not in book.chapters[0].text


def test_a_long_dedication_or_preface_is_read(tmp_path):
    preface = xhtml('<section epub:type="preface"><h2>Preface</h2>' + paragraphs("the author", 4) + "</section>",
                    body_type="frontmatter")
    letter = xhtml('<section epub:type="dedication">' + paragraphs("my dear friend", 4) + "</section>")
    docs = [("dedication.xhtml", letter), ("preface.xhtml", preface), ("ch1.xhtml", chapter_doc(1, "Chapter 1"))]
    toc = [("Dedication", "dedication.xhtml"), ("Preface", "preface.xhtml"), ("Chapter 1", "ch1.xhtml")]
    book = load_book(Epub(docs, toc=toc).write(tmp_path / "p.epub"))
    assert titles(book) == ["Dedication", "Preface", "Chapter 1"]


def test_gutenberg_epub3_boilerplate_and_printed_contents_are_not_read(tmp_path):
    # Project Gutenberg's ebookmaker: pg-header / pg-footer sections, a printed contents table of links,
    # page numbers in <span class="pagenum">, footnote anchors, chapters cut by nav links into one file.
    header = ('<section class="pg-boilerplate pgheader" id="pg-header"><h2>The Project Gutenberg eBook of A Test '
              "Book</h2><p>This ebook is for the use of anyone anywhere in the United States.</p>"
              "<p>*** START OF THE PROJECT GUTENBERG EBOOK A TEST BOOK ***</p></section>")
    contents = ('<h2>CONTENTS</h2><table><tr><td><a href="#link2HCH0001">CHAPTER I.</a></td></tr>'
                '<tr><td><a href="#link2HCH0002">CHAPTER II.</a></td></tr><tr><td><a href="#link2HCH0003">'
                "CHAPTER III.</a></td></tr></table>")
    chapters = "".join(
        f'<div class="chapter"><h2><a id="link2HCH000{i}"></a>CHAPTER {"I" * i}.</h2>'
        f'<p><span class="pagenum"><a id="page_{i}">[{i}]</a></span>It was a fine day{""}'
        f'<a class="fnanchor" href="#Footnote_{i}" id="FNanchor_{i}">[{i}]</a> for walking.</p>'
        f'{paragraphs(f"ch{i}", 2)}<div class="footnote"><p><a id="Footnote_{i}"></a>[{i}] A note.</p></div></div>'
        for i in (1, 2, 3))
    footer = ('<section class="pg-boilerplate pgheader" id="pg-footer"><p>*** END OF THE PROJECT GUTENBERG EBOOK '
              "***</p><p>Updated editions will replace the previous one.</p></section>")
    docs = [("wrap0000.xhtml", xhtml('<div><img src="cover.jpg" alt="cover"/></div>')),
            ("pg-0.xhtml", xhtml(header + "<h1>A TEST BOOK</h1><p>by Ann Author</p>" + contents + chapters + footer))]
    toc = [("A TEST BOOK", "pg-0.xhtml#pg-header"),
           *[(f"CHAPTER {'I' * i}.", f"pg-0.xhtml#link2HCH000{i}") for i in (1, 2, 3)],
           ("THE FULL PROJECT GUTENBERG LICENSE", "pg-0.xhtml#pg-footer")]
    book = load_book(Epub(docs, toc=toc).write(tmp_path / "pg.epub"))
    assert titles(book) == ["CHAPTER I.", "CHAPTER II.", "CHAPTER III."]
    text = " ".join(c.text for c in book.chapters)
    for unread in ("Gutenberg", "[1]", "A note", "CONTENTS", "Updated editions"):
        assert unread not in text, unread
    assert body(book.chapters[0]).startswith("It was a fine day for walking.")


def test_book_toml_with_the_same_stem_overrides_metadata(tmp_path):
    path = novel(2, cover=PNG, description="<p>An <i>exciting</i> tale.</p>").write(tmp_path / "novel.epub")
    book = load_book(path)
    assert book.description == "An exciting tale." and book.cover.read_bytes() == PNG
    (tmp_path / "cover.jpg").write_bytes(JPEG)
    (tmp_path / "novel.toml").write_text('title = "Better Title"\nauthor = "B. Author"\nlanguage = "fr"\n'
                                         'cover = "cover.jpg"\n', encoding="utf-8")
    book = load_book(path)
    assert (book.title, book.author, book.language) == ("Better Title", "B. Author", "fr")
    assert book.cover == (tmp_path / "cover.jpg").resolve()
    assert book.settings_file == tmp_path / "novel.toml"


def test_metadata_epub3_refines_and_languages(tmp_path):
    epub = novel(1, language="de-DE", authors=("Erste Autorin", "Zweiter Autor"))
    book = load_book(epub.write(tmp_path / "de.epub"))
    assert book.language == "de-DE" and book.author == "Erste Autorin, Zweiter Autor"


@pytest.mark.parametrize("markup", [
    # Not well-formed XHTML: an unclosed <p>, a stray </div>, an HTML entity, an unquoted attribute.
    "<h2>Chapter 1</h2><p>First&nbsp;paragraph, broken<p>Second paragraph</div><p class=x>Third &mdash; end",
    "<h2>Chapter 1</h2><p>First paragraph, broken</p><p>Second paragraph<p>Third <b>end</p>",
])
def test_malformed_xhtml_is_read_as_a_browser_would(tmp_path, markup):
    raw = ('<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title>'
           f"</head><body>{markup}</body></html>")
    book = load_book(Epub([("c.xhtml", raw)], toc=[("Chapter 1", "c.xhtml")]).write(tmp_path / "m.epub"))
    text = body(book.chapters[0])
    assert "First" in text and "Second paragraph" in text and "Third" in text


def test_nonlinear_documents_are_not_read_by_default(tmp_path):
    docs = [("ch1.xhtml", chapter_doc(1, "Chapter 1")), ("notes.xhtml", xhtml(paragraphs("a popup note", 4))),
            ("ch2.xhtml", chapter_doc(2, "Chapter 2"))]
    book = load_book(Epub(docs, nonlinear=("notes.xhtml",)).write(tmp_path / "n.epub"))
    assert "popup" not in " ".join(c.text for c in book.chapters)


def test_a_standard_ebooks_shaped_book_with_parts(tmp_path):
    """Standard Ebooks' layout: parts in files of their own, chapters wrapped in their part's section again,
    roman-numeral headings, a half-title, a dedication, endnotes with backlinks, landmarks."""
    def doc(body: str, kind: str = "bodymatter z3998:fiction") -> str:
        return xhtml(body, body_type=kind)

    docs = [("text/titlepage.xhtml", doc('<section epub:type="titlepage"><h1 epub:type="title">The Book</h1>'
                                          '<p>By <b epub:type="z3998:author-name">Ann Author</b>.</p>'
                                          '<img src="../images/titlepage.svg" alt=""/></section>', "frontmatter")),
            ("text/imprint.xhtml", doc('<section epub:type="imprint"><h2 epub:type="title">Imprint</h2>'
                                        "<p>This ebook is the product of many hours of hard work by volunteers for "
                                        "Standard Ebooks, and builds on the hard work of other literature lovers."
                                        "</p></section>", "frontmatter")),
            ("text/dedication.xhtml", doc('<section epub:type="dedication"><p>To my wife.</p></section>',
                                          "frontmatter")),
            ("text/halftitlepage.xhtml", doc('<section epub:type="halftitlepage"><hgroup>'
                                              '<h2 epub:type="fulltitle">The Book</h2></hgroup></section>',
                                              "frontmatter"))]
    toc = [("Titlepage", "text/titlepage.xhtml"), ("Imprint", "text/imprint.xhtml"),
           ("Dedication", "text/dedication.xhtml"), ("The Book", "text/halftitlepage.xhtml")]
    for p, roman in ((1, "I"), (2, "II")):
        docs.append((f"text/part-{p}.xhtml", doc(f'<section id="part-{p}" epub:type="part"><h2>'
                                                 f'<span epub:type="label">Part</span> '
                                                 f'<span epub:type="ordinal z3998:roman">{roman}</span></h2></section>')))
        chapters = []
        for c, croman in ((1, "I"), (2, "II")):
            note = ('<a href="endnotes.xhtml#note-1" id="noteref-1" epub:type="noteref">1</a>'
                    if (p, c) == (1, 1) else "")
            docs.append((f"text/chapter-{p}-{c}.xhtml", doc(
                f'<section id="part-{p}" epub:type="part"><section id="chapter-{p}-{c}" epub:type="chapter">'
                f'<h3 epub:type="ordinal z3998:roman">{croman}</h3><p>Story of part {p} chapter {c} begins.{note}</p>'
                f'{paragraphs(f"part {p} chapter {c}", 4)}<hr/><p>Later that day.</p></section></section>')))
            chapters.append((croman, f"text/chapter-{p}-{c}.xhtml"))
        toc.append((f"Part {roman}", f"text/part-{p}.xhtml", chapters))
    docs += [("text/endnotes.xhtml", doc('<section epub:type="endnotes"><h2 epub:type="title">Endnotes</h2><ol>'
                                          '<li id="note-1" epub:type="endnote"><p>A learned note. <a href="'
                                          'chapter-1-1.xhtml#noteref-1" epub:type="backlink">↩</a></p></li></ol>'
                                          "</section>", "backmatter")),
             ("text/colophon.xhtml", doc('<section epub:type="colophon"><h2 epub:type="title">Colophon</h2>'
                                         "<p>The Book was published in 1900.</p></section>", "backmatter"))]
    toc += [("Endnotes", "text/endnotes.xhtml"), ("Colophon", "text/colophon.xhtml")]
    epub = Epub(docs, title="The Book", toc=toc, landmarks=[("bodymatter", "text/part-1.xhtml")])
    book = load_book(epub.write(tmp_path / "se.epub"))
    assert titles(book) == ["Part I: I", "II", "Part II: I", "II"]
    text = " ".join(c.text for c in book.chapters)
    for unread in ("volunteers", "wife", "learned note", "1900", "↩"):
        assert unread not in text, unread
    assert body(book.chapters[0]).startswith("Story of part 1 chapter 1 begins.\n\n")
    assert all("* * *" in c.text for c in book.chapters)


def test_a_part_title_without_a_link_in_the_nav(tmp_path):
    docs = [(f"ch{i}.xhtml", chapter_doc(i, f"Chapter {i}")) for i in (1, 2, 3)]
    toc = [("Part One", None, [("Chapter 1", "ch1.xhtml"), ("Chapter 2", "ch2.xhtml")]),
           ("Part Two", None, [("Chapter 3", "ch3.xhtml")])]
    book = load_book(Epub(docs, toc=toc).write(tmp_path / "spans.epub"))
    assert titles(book) == ["Part One: Chapter 1", "Chapter 2", "Part Two: Chapter 3"]


def test_all_documents_still_leaves_note_references_and_page_numbers_unread(tmp_path):
    doc = xhtml('<h2>Chapter 1</h2><p>Words<a epub:type="noteref" href="#n1">1</a> here'
                '<span class="pagenum">[12]</span>.</p>' + paragraphs("more", 2))
    book = load_book(Epub([("c.xhtml", doc)], toc=[("Chapter 1", "c.xhtml")]).write(tmp_path / "a.epub"),
                     all_documents=True)
    assert body(book.chapters[0]).startswith("Words here.")


def test_a_story_in_numbered_sections_among_single_chapter_stories_is_one_chapter(tmp_path):
    # Standard Ebooks' short-story collections: one story has sections I, II, III; the others have none.
    def story(slug: str, title: str, sections: int) -> str:
        if not sections:
            return xhtml(f'<article id="{slug}" epub:type="se:short-story"><h2 epub:type="title">{title}</h2>'
                         f"{paragraphs(slug, 120)}</article>")
        inner = "".join(f'<section id="{slug}-{i}" epub:type="chapter"><h3 epub:type="ordinal z3998:roman">'
                        f'{"I" * i}</h3>{paragraphs(f"{slug} {i}", 60)}</section>' for i in range(1, sections + 1))
        return xhtml(f'<article id="{slug}" epub:type="se:short-story"><h2 epub:type="title">{title}</h2>'
                     f"{inner}</article>")

    docs = [("scandal.xhtml", story("scandal", "A Scandal in Bohemia", 3)),
            ("league.xhtml", story("league", "The Redheaded League", 0)),
            ("identity.xhtml", story("identity", "A Case of Identity", 0)),
            ("valley.xhtml", story("valley", "The Boscombe Valley Mystery", 0))]
    toc = [("A Scandal in Bohemia", "scandal.xhtml", [("I" * i, f"scandal.xhtml#scandal-{i}") for i in (1, 2, 3)]),
           ("The Redheaded League", "league.xhtml"), ("A Case of Identity", "identity.xhtml"),
           ("The Boscombe Valley Mystery", "valley.xhtml")]
    book = load_book(Epub(docs, toc=toc).write(tmp_path / "stories.epub"))
    assert titles(book) == ["A Scandal in Bohemia", "The Redheaded League", "A Case of Identity",
                            "The Boscombe Valley Mystery"]
    # Section I opens the story, so it is said with the title; II and III are marks inside it.
    assert book.chapters[0].subtitle == "I"
    assert [s.title for s in book.chapters[0].sections] == ["II", "III"]


def test_an_anchor_after_its_heading_still_starts_the_chapter_at_the_heading(tmp_path):
    text = "".join(f'<h2>Chapter {i}</h2><a id="c{i}"/>{paragraphs(f"w{i}", 2)}' for i in (1, 2))
    book = load_book(Epub([("t.xhtml", xhtml(text))], toc=[(f"Chapter {i}", f"t.xhtml#c{i}") for i in (1, 2)])
                     .write(tmp_path / "after.epub"))
    assert titles(book) == ["Chapter 1", "Chapter 2"]
    assert "Chapter 2" not in book.chapters[0].text and body(book.chapters[1]).startswith("Paragraph 1")


def test_a_language_written_as_a_name_becomes_a_code(tmp_path, caplog):
    """Metadata saying "German" (not a language code) is read as "de", with a warning; book.toml's own
    language must be a code: "german" there is an error that says what to write, "de_DE" is "de-DE"."""
    from narrate.errors import InputError

    with caplog.at_level(logging.WARNING, logger="narrate.text.books"):
        book = load_book(novel(1, language="German").write(tmp_path / "g.epub"))
    assert book.language == "de" and "'German' is not a language code" in caplog.text
    assert load_book(novel(1, language="tlhIngan Hol").write(tmp_path / "k.epub")).language == "en"
    folder = tmp_path / "book"
    folder.mkdir()
    (folder / "01.txt").write_text('"Hallo," sagte Anna.\n', encoding="utf-8")
    for value, message in (("german", 'write language = "de"'), ("klingon", 'write one such as "en", "de" or "pt-BR"')):
        (folder / "book.toml").write_text(f'title = "T"\nlanguage = "{value}"\n', encoding="utf-8")
        with pytest.raises(InputError, match=f"book.toml: language '{value}' is not a language code: {message}"):
            load_book(folder)
    (folder / "book.toml").write_text('title = "T"\nlanguage = "de_DE"\n', encoding="utf-8")
    assert load_book(folder).language == "de-DE"
