"""A single-file story that opens with its title and a byline ("The Winter Court" / "By: ..."): they name the book."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DATA

from narrate.text.reader import load_book

STORY = "Harry woke to the sound of someone hammering on his door.\n\n\"Harry! Get up!\" Ron said.\n"


def test_a_fan_fiction_txt_gets_its_title_and_author_from_its_header_and_does_not_read_them() -> None:
    book = load_book(DATA / "fanfic" / "ffn_winter_court.txt")
    assert (book.title, book.author) == ("The Winter Court", "midnight_ravenclaw_77")
    assert [c.title for c in book.chapters] == ["Chapter 1", "Chapter 2"]
    assert not any("midnight_ravenclaw_77" in c.text for c in book.chapters)


@pytest.mark.parametrize("header", ["The Winter Court\nBy: midnight_ravenclaw_77\n\n",
                                    "The Winter Court\n\nby midnight_ravenclaw_77\n\n",
                                    "The Winter Court\nAuthor: midnight_ravenclaw_77\n\n"])
def test_a_one_chapter_txt_with_a_header_is_titled_by_it_and_reads_only_the_story(tmp_path: Path, header: str) -> None:
    path = tmp_path / "ffn_winter_court.txt"
    path.write_text(header + STORY, encoding="utf-8")
    book = load_book(path)
    assert (book.title, book.author) == ("The Winter Court", "midnight_ravenclaw_77")
    (chapter,) = book.chapters
    assert (chapter.title, chapter.subtitle) == ("The Winter Court", None)
    assert chapter.text[chapter.body_start:] == STORY


def test_a_chapter_heading_under_the_header_is_the_chapters_title(tmp_path: Path) -> None:
    path = tmp_path / "oneshot.txt"
    path.write_text("The Winter Court\nBy: someone\n\nChapter 1: Snow\n\n" + STORY, encoding="utf-8")
    (chapter,) = load_book(path).chapters
    assert chapter.title == "Chapter 1: Snow" and chapter.text[chapter.body_start:] == STORY


def test_a_markdown_header_names_the_book_and_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "wc.md"
    path.write_text("# The Winter Court\n\n*By: midnight_ravenclaw_77*\n\n**Chapter 1**\n\nHarry woke.\n\n"
                    "**Chapter 2**\n\nRon woke.\n", encoding="utf-8")
    book = load_book(path)
    assert (book.title, book.author) == ("The Winter Court", "midnight_ravenclaw_77")
    assert [c.text for c in book.chapters] == ["Chapter 1\n\nHarry woke.\n", "Chapter 2\n\nRon woke.\n"]


@pytest.mark.parametrize("suffix, chapters", [(".txt", 2), (".md", 2), (".txt", 1)])
def test_the_books_toml_title_and_author_win_over_the_header(tmp_path: Path, suffix: str, chapters: int) -> None:
    path = tmp_path / f"wc{suffix}"
    story = "Chapter 1\n\nHarry woke.\n\nChapter 2\n\nRon woke.\n" if chapters == 2 else STORY
    path.write_text("The Winter Court\nBy: someone\n\n" + story, encoding="utf-8")
    path.with_suffix(".toml").write_text('title = "Winter"\nauthor = "M. R."\nlanguage = "en-GB"\n', encoding="utf-8")
    book = load_book(path)
    assert (book.title, book.author, book.language) == ("Winter", "M. R.", "en-GB")
    assert len(book.chapters) == chapters and book.settings_file == path.with_suffix(".toml")


@pytest.mark.parametrize("text", [
    "Rain\nby the time I got home, it was dark.\n\nShe slept.",
    "Chapter 1\nby the river\n\nShe slept.",
    "\"Go,\" she said.\nby the door\n\nShe slept.",
    "It was late. The snow fell.\nBy: nobody\n",
    "The Winter Court\n\nShe said nothing, by her own account.\n",
    "The Long Night\n\nBy midnight the snow had\ncovered the road and nobody came.\n\nShe slept.",
    "The Long Night\n\nBy morning\nthe snow had gone.\n\nShe slept.",
    "The Long Night\n\nBy Morning\nThe snow had gone. Nobody came.\n\nShe slept.",
    "The Long Night\n\nBy midnight the snow had covered the road\n\nShe slept.",
    "The Long Night\nBy then it was over\n",
    "The Long Night\nby the old mill and the river\n",
    "The Long Night\nBy sunset we were home\n",
])
def test_story_lines_are_no_byline(text: str) -> None:
    from narrate.text.plain import title_byline

    assert title_byline(text.split("\n")) is None


@pytest.mark.parametrize("byline, author", [("by Jane Doe", "Jane Doe"), ("By J. R. Hartley", "J. R. Hartley"),
                                            ("by some_ao3_user", "some_ao3_user"), ("written by X", "X"),
                                            ("Written by: Daphne du Maurier", "Daphne du Maurier"),
                                            ("by Terry Pratchett and Neil Gaiman", "Terry Pratchett and Neil Gaiman"),
                                            ("by jane doe", "jane doe"), ("By Will Self", "Will Self"),
                                            ("by xXLunaLovesSnorkacksXx", "xXLunaLovesSnorkacksXx")])
def test_a_byline_is_a_short_name_on_a_line_of_its_own(byline: str, author: str) -> None:
    from narrate.text.plain import title_byline

    for text in (f"The Long Night\n{byline}\n\nBy midnight the snow had\ncovered the road.",
                 f"The Long Night\n\n{byline}\n\nShe slept.", f"The Long Night\n{byline}\nRated: T\n\nShe slept."):
        assert title_byline(text.split("\n")) == ("The Long Night", author, 2 if text.count("\n\n") == 1 else 3), text


def test_a_story_opening_by_a_time_keeps_its_first_words_and_has_no_author(tmp_path: Path) -> None:
    path = tmp_path / "long_night.txt"
    story = "By midnight the snow had\ncovered the road.\n\nNobody came.\n"
    path.write_text("The Long Night\n\n" + story, encoding="utf-8")
    book = load_book(path)
    assert book.author != "midnight the snow had"
    assert "By midnight the snow had" in "\n".join(c.text for c in book.chapters)
