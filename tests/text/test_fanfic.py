"""Fan fiction's own conventions: dividers of letters between scenes, author's notes and disclaimers around a
chapter's story."""

from __future__ import annotations

import pytest
from conftest import DATA
from epub_fixtures import xhtml

from narrate.text.markdown import markdown_document
from narrate.text.markup import BREAK, SCENE_BREAK_TEXT, document_blocks, parse_markup
from narrate.text.reader import load_book
from narrate.text.segment import is_scene_break

FANFIC = DATA / "fanfic"


@pytest.mark.parametrize("divider", ["-x-x-x-", "oOoOoOoOo", "xXxXxXx", "o0o0o", "XoXoX", "oOo", "~oOo~",
                                     "x~x~x", "-o-o-", "* x * x *", "OoO"])
def test_a_divider_of_letters_is_a_scene_break(divider: str) -> None:
    assert is_scene_break(divider)


@pytest.mark.parametrize("words", ["Ooooh.", "Xxx", "xxx", "Oh.", "XOXO", "xoxo", "XXX", "Ooo", "OOO", "0-0-0",
                                   "Xx", "x x x", "Oooo", "xoxo, Gossip Girl"])
def test_kisses_and_cries_of_o_and_x_are_read(words: str) -> None:
    assert not is_scene_break(words)


def test_dividers_of_letters_in_a_txt_book_are_scene_breaks_and_kisses_are_read() -> None:
    book = load_book(FANFIC / "ffn_winter_court.txt")
    text = "\n".join(c.text for c in book.chapters)
    for divider in ("-x-x-x-", "oOoOoOoOo"):
        assert divider not in text
    assert SCENE_BREAK_TEXT in book.chapters[0].text and SCENE_BREAK_TEXT in book.chapters[1].text


def test_dividers_of_letters_in_markdown_and_html_are_scene_breaks() -> None:
    md = markdown_document("One.\n\n-x-x-x-\n\nTwo.\n\nxXxXxXx\n\nLove, Mum\n\nXxx\n", "t.md")
    assert [(b.kind, b.text) for b in md.blocks] == [
        ("para", "One."), (BREAK, SCENE_BREAK_TEXT), ("para", "Two."), (BREAK, SCENE_BREAK_TEXT),
        ("para", "Love, Mum"), ("para", "Xxx")]
    doc = document_blocks(parse_markup(xhtml("<p>One.</p><p>oOoOoOo</p><p>Two.</p><p>Ooooh.</p>").encode(), "t.xhtml"),
                          "t.xhtml")
    assert [b.kind for b in doc.blocks] == ["para", BREAK, "para", "para"]
