"""Data model: text that reaches tags, feeds and book.json carries no control characters."""

from __future__ import annotations

from pathlib import Path

from narrate.model import Book, Chapter, SectionMark, display_text


def test_display_text_drops_controls_and_reads_separators_as_spaces():
    assert display_text("Bad\x07Title") == "BadTitle"
    assert display_text("Chapter\x0c One\x07\n") == "Chapter One"
    assert display_text("  A\tB\r\nC  ") == "A B C"
    assert display_text("First.\n\nSecond\x1b.", lines=True) == "First.\n\nSecond."


def test_book_and_chapter_metadata_are_cleaned_whatever_made_them():
    chapter = Chapter(1, "Chapter\x0c One", "text", Path("x.txt"), subtitle="Sub\x01title",
                      sections=(SectionMark(0, "Part\x0b Two"),))
    book = Book("b", "Bad\x07Title", "A\x1bWriter", (chapter,), description="One.\x00\n\nTwo.")
    assert (chapter.title, chapter.subtitle, chapter.sections[0].title) == ("Chapter One", "Subtitle", "Part Two")
    assert (book.title, book.author, book.description) == ("BadTitle", "AWriter", "One.\n\nTwo.")
