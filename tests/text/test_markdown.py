"""Markdown books: chapter headings written as '#' headings, as bold lines or as plain lines agree with .txt and HTML."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DATA

from narrate.text.markdown import markdown_document
from narrate.text.markup import HEADING, PARA
from narrate.text.reader import load_book

FANFIC = DATA / "fanfic"
STORY = "{one}\n\nShe walked in. \"Hi,\" said Ava.\n\n{two}\n\nHe walked out. \"Bye,\" said Jace.\n"


def chapters(path: Path) -> list[tuple[str, str]]:
    return [(c.title, c.text[c.body_start:]) for c in load_book(path).chapters]


def test_a_wattpad_story_with_bold_chapter_lines_is_cut_at_them() -> None:
    book = load_book(FANFIC / "wattpad_bad_boy.md")
    assert [c.title for c in book.chapters] == ["Chapter One - New Girl", "Chapter Two - Detention"]
    assert book.title == "The Bad Boy Next Door"
    first = book.chapters[0].text
    assert "Detention" not in first and "I didn't answer that." in first  # no title read mid-episode
    assert book.chapters[1].text[book.chapters[1].body_start:].startswith("Of course he was in my homeroom.")


@pytest.mark.parametrize("name", ["md_bold_chapter_headings.md", "md_plain_chapter_lines.md"])
def test_bold_or_plain_chapter_lines_in_markdown_are_chapters(name: str) -> None:
    got = chapters(FANFIC / name)
    assert [t for t, _ in got] in (["Chapter 1 - New Girl", "Chapter 2 - Detention"],
                                   ["Chapter 1: New Girl", "Chapter 2: Detention"])
    assert [body for _, body in got] == ['She walked in. "Hi," said Ava.\n', 'He walked out. "Bye," said Jace.\n']


@pytest.mark.parametrize("one, two", [
    ("**Chapter 1 - New Girl**", "**Chapter 2 - Detention**"),
    ("__Chapter One: New Girl__", "__Chapter Two: Detention__"),
    ("Chapter 1 - New Girl", "Chapter 2 - Detention"),
    ("***Prologue***", "**Chapter Twenty-One: Home**"),
])
def test_markdown_txt_and_html_agree_on_chapter_lines(tmp_path: Path, one: str, two: str) -> None:
    md = tmp_path / "story.md"
    md.write_text(STORY.format(one=one, two=two), encoding="utf-8")
    plain = [ln.strip("*_") for ln in (one, two)]
    txt = tmp_path / "story.txt"
    txt.write_text(STORY.format(one=plain[0], two=plain[1]), encoding="utf-8")
    html = tmp_path / "story.html"
    html.write_text("<html><body>" + "".join(f"<p>{p}</p>" for p in STORY.format(
        one=f"<b>{plain[0]}</b>", two=f"<b>{plain[1]}</b>").split("\n\n")) + "</body></html>", encoding="utf-8")
    assert chapters(md) == chapters(txt) == chapters(html)
    assert len(chapters(md)) == 2


def test_bold_narration_a_quoted_or_listed_chapter_line_and_a_long_line_stay_text() -> None:
    doc = markdown_document("**Stop.**\n\n**\"WHAT?\"**\n\n> Chapter 3\n\n- Chapter 4\n\n"
                            "**Chapter one of my life was over.**\n\nChapter 5 was the worst, she said.\n", "s.md")
    assert all(b.kind == PARA for b in doc.blocks), doc.blocks


def test_a_title_line_after_a_chapter_line_is_its_title_and_a_contents_list_is_not_read() -> None:
    doc = markdown_document("Chapter 1\n\nChapter 2\n\n**Chapter 1**\n\n**New Girl**\n\nShe walked in.\n\n"
                            "**Chapter 2**\n\nHe walked out.\n", "s.md")
    read = [(b.kind, b.text) for b in doc.blocks if b.matter is None]
    assert read == [(HEADING, "Chapter 1"), (HEADING, "New Girl"), (PARA, "She walked in."),
                    (HEADING, "Chapter 2"), (PARA, "He walked out.")]
    assert [b.text for b in doc.blocks if b.matter == "toc"] == ["Chapter 1", "Chapter 2"]
