"""XHTML/HTML and Markdown -> what a listener hears: paragraphs, headings, scene breaks, nothing else."""

from __future__ import annotations

from epub_fixtures import xhtml

from narrate.text.markdown import inline_text, markdown_document
from narrate.text.markup import BREAK, HEADING, PARA, document_blocks, parse_markup
from narrate.text.reader import load_book


def blocks(body: str, **kwargs):
    doc = document_blocks(parse_markup(xhtml(body).encode("utf-8"), "t.xhtml"), "t.xhtml", **kwargs)
    return [(b.kind, b.text) for b in doc.blocks]


def texts(body: str) -> list[str]:
    return [t for _, t in blocks(body)]


def test_paragraphs_headings_and_scene_breaks():
    got = blocks("<h2>Chapter 1</h2><p>One.</p><hr/><p>Two.</p><p class='center'>* * *</p><p>Three.</p>"
                 "<p>⁂</p><p>Four.</p><div class='space-break'></div><p>Five.</p>")
    assert got == [(HEADING, "Chapter 1"), (PARA, "One."), (BREAK, "* * *"), (PARA, "Two."), (BREAK, "* * *"),
                   (PARA, "Three."), (BREAK, "* * *"), (PARA, "Four."), (BREAK, "* * *"), (PARA, "Five.")]


def test_note_references_and_note_bodies_are_not_read():
    got = texts('<p>He left<a epub:type="noteref" href="notes.xhtml#n1">1</a> early<sup>2</sup>, and'
                '<a href="#fn3" class="fnanchor">[3]</a> alone<a href="#n4"><sup>4</sup></a>.</p>'
                '<aside epub:type="footnote" id="n1"><p>A note.</p></aside>'
                '<div class="footnote"><p>[3] Another note.</p></div>')
    assert got == ["He left early, and alone."]


def test_drop_caps_and_small_caps_join_their_words():
    assert texts('<p><span class="dropcap">T</span>he night was long.</p>') == ["The night was long."]
    assert texts('<p><span class="drop-cap">“I</span> <span class="smallcaps">AM HERE</span>,” she said.</p>') == \
        ["“I am here,” she said."]
    assert texts('<p><span class="dropcap">T</span><span class="smcap">HE NIGHT</span> was long.</p>') == \
        ["The night was long."]
    assert texts('<p><span class="sc">IT WAS</span> a dark night.</p>') == ["It was a dark night."]
    assert texts('<p><img src="t.png" alt="T"/>he night.</p>') == ["The night."]
    # Small caps in the middle of a sentence (an acronym, a name) are left as written.
    assert texts('<p>He joined the <span class="sc">BBC</span> in 1950.</p>') == ["He joined the BBC in 1950."]


def test_soft_hyphens_spaces_entities_images_and_page_numbers():
    got = texts('<p>Ex\u00adtra\u00ador\u00addi\u00adnary&#160;day\u200b! Mr.\u00a0Smith &amp; co.'
                '<img src="x.png" alt="A picture of a dog"/> <span epub:type="pagebreak" id="p7" title="7"/>'
                '<span class="pagenum">[7]</span>Went on.</p>')
    assert got == ["Extraordinary day! Mr. Smith & co. Went on."]


def test_curly_quotes_and_dashes_are_kept_and_line_breaks_stay_in_the_paragraph():
    assert texts("<p>“Stop—now,” she said. ‘Why?’</p>") == ["“Stop—now,” she said. ‘Why?’"]
    assert texts("<p>Roses are red,<br/>violets are blue.</p>") == ["Roses are red,\nviolets are blue."]


def test_lists_and_tables_are_read_in_order():
    got = texts("<ul><li>Eggs</li><li>Milk</li></ul><table><tr><th>Name</th><th>Age</th></tr>"
                "<tr><td>Ann</td><td>30</td></tr></table>")
    assert got == ["Eggs", "Milk", "Name, Age", "Ann, 30"]


def test_scripts_styles_svg_and_math_are_not_read():
    assert texts("<style>p{}</style><script>var x;</script><svg><text>svg</text></svg><p>Text.</p>") == ["Text."]


def test_paragraph_headings_by_class_or_words():
    got = blocks('<p class="ChapterNumber_1">4</p><p class="ChapterTitle">The Long Road</p>'
                 '<p class="calibre5"><b>CHAPTER IV</b></p><p>Body.</p>')
    assert got == [(HEADING, "4"), (HEADING, "The Long Road"), (HEADING, "CHAPTER IV"), (PARA, "Body.")]


def test_anchors_point_at_the_block_they_open():
    doc = document_blocks(parse_markup(xhtml('<p><a id="a"/></p><h2 id="b">Title</h2><p>x <a id="c"/>y</p>'
                                             '<div id="d"><p>z</p></div><a id="end"/>').encode(), "t"), "t")
    assert doc.anchors == {"a": 0, "b": 0, "c": 1, "d": 2, "end": 3}


def test_html_with_a_declared_encoding_and_no_xml():
    data = ('<html><head><meta charset="windows-1252"><title>T</title></head><body><p>Caf\xe9 au lait'
            "<p>Second</body></html>").encode("cp1252")
    doc = document_blocks(parse_markup(data, "t.html", xml_first=False), "t.html")
    assert [b.text for b in doc.blocks] == ["Café au lait", "Second"]


# -- Markdown ---------------------------------------------------------------------------------

def test_markdown_inline_syntax_reads_as_words():
    assert inline_text("**Bold** and _it_ and `code` and [a link](http://x.y) ![img](a.png)[^1]") == \
        "Bold and it and code and a link"
    assert inline_text(r"Stars \*not emphasis\* and snake_case_name") == "Stars *not emphasis* and snake_case_name"


def test_markdown_blocks():
    text = ("---\ntitle: My Story\nauthor: Jo\n---\n\n# Part One\n\nChapter One\n===========\n\n"
            "It was *late*.\nStill late.\n\n```\ncode();\n```\n\n    indented code\n\n***\n\n> A quote\n> goes on.\n\n"
            "- item one\n- item two\n\n## Two ##\n\nEnd.<!-- hidden -->\n<!--\nhidden too\n-->\n")
    doc = markdown_document(text, "s.md")
    assert doc.title == "My Story" and doc.meta == {"author": "Jo"}
    assert [(b.kind, b.text, b.level) for b in doc.blocks] == [
        (HEADING, "Part One", 1), (HEADING, "Chapter One", 1), (PARA, "It was late. Still late.", 0),
        # A story has no code: a fence line is a scene break and what it holds is read, as is an indented line.
        (BREAK, "* * *", 0), (PARA, "code();", 0), (BREAK, "* * *", 0), (PARA, "indented code", 0),
        (BREAK, "* * *", 0), (PARA, "A quote goes on.", 0), (PARA, "item one", 0), (PARA, "item two", 0),
        (HEADING, "Two", 2), (PARA, "End.", 0)]


def test_a_tilde_scene_break_or_an_indented_paragraph_loses_nothing(tmp_path):
    """~~~ alone (a fan fiction scene break) was read as a code fence with no end: the rest of the book was gone,
    without a word; tab-indented paragraphs were skipped as code."""
    path = tmp_path / "tilde.md"
    path.write_text("# Story\n\n## Chapter 1\n\n\tShe left.\n\n~~~\n\n    He stayed.\n\n## Chapter 2\n\n"
                    "Morning came.\n", encoding="utf-8")
    book = load_book(path)
    assert [c.title for c in book.chapters] == ["Chapter 1", "Chapter 2"]
    body = book.chapters[0].text[book.chapters[0].body_start:]
    assert "She left." in body and "He stayed." in body and body.index("* * *") < body.index("He stayed.")


def test_a_markdown_file_is_a_book_whose_headings_are_chapters(tmp_path):
    path = tmp_path / "story.md"
    path.write_text("# The Story\n\n## One\n\nFirst words.\n\n## Two\n\nSecond words.\n\n### A scene\n\nMore.\n",
                    encoding="utf-8")
    book = load_book(path)
    assert book.title == "The Story" and book.slug == "story"
    assert [c.title for c in book.chapters] == ["One", "Two"]
    assert [s.title for s in book.chapters[1].sections] == ["A scene"]
    assert book.chapters[1].text[book.chapters[1].body_start:].startswith("Second words.")


def test_a_markdown_book_cut_only_into_parts_has_a_chapter_per_part(tmp_path):
    path = tmp_path / "parts.md"
    words = " ".join(["The wind blew over the moor and the sheep lay still."] * 30)
    path.write_text(f"# Parts Book\n\n## Part One\n\n{words}\n\n## Part Two\n\n{words}\n\n"
                    f"## Part the Third\n\n{words}\n", encoding="utf-8")
    book = load_book(path)
    assert [c.title for c in book.chapters] == ["Part One", "Part Two", "Part the Third"]


def test_an_html_file_is_a_book(tmp_path):
    path = tmp_path / "page.html"
    path.write_text('<html lang="fr"><head><title>Le Livre</title><meta name="author" content="Jeanne"></head>'
                    "<body><h1>Le Livre</h1><h2>Un</h2><p>Premier.<h2>Deux</h2><p>Second.</body></html>",
                    encoding="utf-8")
    book = load_book(path)
    assert (book.title, book.author, book.language) == ("Le Livre", "Jeanne", "fr")
    assert [c.title for c in book.chapters] == ["Un", "Deux"]


def test_a_pages_footer_is_not_read():
    assert texts("<p>The lamp was lit.</p><footer><p>\u00a9 2024 Lee Ward. All rights reserved.</p></footer>") == [
        "The lamp was lit."]


def test_a_notes_section_is_back_matter():
    from narrate.text.structure import is_matter_label

    assert is_matter_label("Notes") and is_matter_label("Endnotes") and not is_matter_label("Notes from a Cellar")


def test_the_body_of_a_note_whose_reference_is_left_out_is_not_read():
    body = ('<p>She slept<sup><a href="#n3">3</a></sup> at last.</p><p>Morning came.</p>'
            '<p id="n3" class="note">3. A light sleep.</p>')
    assert texts(body) == ["She slept at last.", "Morning came."]


def test_an_html_page_whose_title_says_less_than_its_one_top_heading_keeps_its_chapters(tmp_path):
    path = tmp_path / "two.html"
    path.write_text("<html><head><title>Cafe</title></head><body><h1>Cafe Stories</h1><h2>Chapter 1</h2>"
                    "<p>One two three.</p><h2>Chapter 2</h2><p>Four five six.</p></body></html>", encoding="utf-8")
    book = load_book(path)
    assert book.title == "Cafe Stories" and [c.title for c in book.chapters] == ["Chapter 1", "Chapter 2"]


def test_an_html_page_keeps_its_title_when_its_one_top_heading_is_a_chapter_or_says_something_else(tmp_path):
    path = tmp_path / "story.html"
    path.write_text("<html><head><title>The Long Road</title></head><body><h1>Chapter 1: Departure</h1>"
                    "<h2>Morning</h2><p>One two three.</p><h2>Evening</h2><p>Four five six.</p></body></html>",
                    encoding="utf-8")
    assert load_book(path).title == "The Long Road"
    path.write_text("<html><head><title>The Long Road</title></head><body><h1>Stories</h1>"
                    "<h2>One</h2><p>One two three.</p><h2>Two</h2><p>Four five six.</p></body></html>",
                    encoding="utf-8")
    assert load_book(path).title == "The Long Road"
