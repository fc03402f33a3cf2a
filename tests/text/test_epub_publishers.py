"""EPUB layouts of real producers: a contents table in the text, prose that opens like a heading, a notes file
linked back to its chapter, a letter's closing in <footer>, illustration captions."""

from __future__ import annotations

from epub_fixtures import Epub, paragraphs, xhtml

from narrate.text.reader import load_book


def load(tmp_path, docs, toc=None):
    return load_book(Epub([(name, xhtml(body)) for name, body in docs], toc=toc).write(tmp_path / "b.epub"))


def text_of(book) -> str:
    return "\n".join(c.text for c in book.chapters)


def test_a_gutenberg_contents_table_is_not_read_nor_a_title(tmp_path):
    rows = "".join(f'<tr><td><a href="#c{i}">CHAPTER {r}.</a></td><td>{t}</td><td>{i * 7}</td></tr>'
                   for i, r, t in ((1, "I", "The Lane"), (2, "II", "The Lamp"), (3, "III", "The Door")))
    body = f"<h2>CONTENTS</h2><table>{rows}</table>" + "".join(
        f"<h2 id='c{i}'>CHAPTER {r}. {t.upper()}</h2>" + paragraphs(t, 3)
        for i, r, t in ((1, "I", "The Lane"), (2, "II", "The Lamp"), (3, "III", "The Door")))
    for toc in ([("Chapter I", "b.xhtml#c1"), ("Chapter II", "b.xhtml#c2"), ("Chapter III", "b.xhtml#c3")], None):
        book = load(tmp_path, [("b.xhtml", body)], toc)
        assert [c.title for c in book.chapters] == ["CHAPTER I. THE LANE", "CHAPTER II. THE LAMP",
                                                    "CHAPTER III. THE DOOR"]
        assert "CONTENTS" not in text_of(book) and "14" not in text_of(book)


def test_prose_that_opens_like_a_heading_stays_prose(tmp_path):
    lines = ["Part of her wanted to go down.", "Book it, then.", "Chapter and verse, she thought.",
             "Part I wanted to keep."]
    body = "<h1>Chapter 1</h1>" + paragraphs("Anna", 2) + "".join(f"<p>{x}</p>" for x in lines) + \
        paragraphs("Anna", 2, 3) + "<h1>Chapter Two</h1>" + paragraphs("Ben", 3)
    book = load(tmp_path, [("b.xhtml", body)])
    assert [c.title for c in book.chapters] == ["Chapter 1", "Chapter Two"]
    assert all(x in book.chapters[0].text for x in lines)


def test_a_notes_file_linked_back_to_its_chapter_is_not_read(tmp_path):
    docs = [("c1.xhtml", "<h2>Chapter 1</h2>" + paragraphs("Anna", 3)),
            ("c2.xhtml", '<h2>Chapter 2</h2><p>He slept.<a id="r1" href="n.xhtml#n1"><sup>[1]</sup></a></p>'
             + paragraphs("Ben", 3)),
            ("n.xhtml", '<p><b>Notes</b></p><p><a id="n1" href="c2.xhtml#r1">[1]</a> A light sleep, the doctor '
             'said.</p><p><sup><a href="c2.xhtml#r2">2.</a></sup> Another note.</p>')]
    book = load(tmp_path, docs, [("Chapter 1", "c1.xhtml"), ("Chapter 2", "c2.xhtml")])
    assert "light sleep" not in text_of(book) and "Notes" not in text_of(book)
    assert "Another note" not in text_of(book)
    assert "He slept." in book.chapters[1].text


def test_a_letters_closing_in_footer_is_read_and_a_caption_is_not(tmp_path):
    body = ("<h2>Chapter 1</h2>" + paragraphs("Anna", 2)
            + '<blockquote epub:type="z3998:letter"><p>Dear Tobias, the roses are up.</p><footer>'
            '<p epub:type="z3998:valediction">Yours ever,</p><p epub:type="z3998:signature">Agnes</p></footer>'
            '</blockquote><div class="figcenter"><img src="i.jpg" alt=""/><div class="caption"><p>\u201cYou will '
            'catch your death.\u201d</p></div></div><p class="caption">Plate II.</p>' + paragraphs("Anna", 2, 3)
            + "<footer><p>All rights reserved.</p></footer>")
    text = text_of(load(tmp_path, [("c1.xhtml", body)], [("Chapter 1", "c1.xhtml")]))
    assert "Yours ever," in text and "Agnes" in text
    assert "catch your death" not in text and "Plate II" not in text and "rights reserved" not in text


def test_a_parts_own_sentence_is_read_however_short_and_a_bare_subtitle_goes_with_its_title(tmp_path):
    docs = [("p1.xhtml", "<h1>Part One</h1><p>London, the winter of 1887.</p>"),
            ("c1.xhtml", "<h2>Chapter 1</h2>" + paragraphs("Anna", 3)),
            ("p2.xhtml", "<h1>Part Two</h1>"),
            ("c2.xhtml", "<h2>Chapter 2</h2>" + paragraphs("Ben", 3))]
    toc = [("Part One", "p1.xhtml", [("Chapter 1", "c1.xhtml")]), ("Part Two", "p2.xhtml", [("Chapter 2", "c2.xhtml")])]
    book = load(tmp_path, docs, toc)
    assert [c.title for c in book.chapters] == ["Part One", "Chapter 1", "Part Two: Chapter 2"]
    assert "London, the winter of 1887." in book.chapters[0].text


def test_fan_fiction_headings_with_separators_and_headings_linked_to_the_contents_are_headings(tmp_path):
    body = "".join(f'<p><a href="toc.xhtml#c{i}">{i}</a> The {t}</p><p>Chapter {i} ~ The {t}</p>' + paragraphs(t, 3)
                   for i, t in ((1, "Diner"), (2, "Bridge"), (3, "Car")))
    body += "<p>Notes</p><p>Her notes were on the table, and she read them twice before bed.</p>"
    book = load(tmp_path, [("b.xhtml", body)])
    assert [c.title for c in book.chapters] == ["Chapter 1 ~ The Diner", "Chapter 2 ~ The Bridge",
                                                "Chapter 3 ~ The Car"]
    assert "The Bridge\n" in book.chapters[0].text  # a linked number beside a title starts no note: read
    assert "Notes\n" in book.chapters[2].text


def test_page_numbers_left_as_paragraphs_are_not_read_but_section_numbers_are(tmp_path):
    docs = [(f"c{i}.xhtml", f"<h2>Chapter {i}</h2>" + paragraphs("Anna", 2, 10 * i) + f'<p class="calibre5">{11 * i}</p>'
             + paragraphs("Anna", 2, 10 * i + 5)) for i in (1, 2, 3)]
    text = text_of(load(tmp_path, docs, [(f"Chapter {i}", f"c{i}.xhtml") for i in (1, 2, 3)]))
    assert not any(f"\n{11 * i}\n" in text for i in (1, 2, 3))
    docs = [(f"c{i}.xhtml", f"<h2>Chapter {i}</h2><p>1</p>" + paragraphs("Anna", 2, 10 * i) + "<p>2</p>"
             + paragraphs("Anna", 2, 10 * i + 5)) for i in (1, 2, 3)]
    text = text_of(load(tmp_path, docs, [(f"Chapter {i}", f"c{i}.xhtml") for i in (1, 2, 3)]))
    assert text.count("\n2\n") == 3
