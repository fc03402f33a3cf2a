"""A whole novel in one .txt file (Project Gutenberg's): its chapters, without title page, contents or licence."""

from __future__ import annotations

import json
from pathlib import Path

from narrate.text.reader import load_book

BODY = ("Emma Woodhouse, handsome, clever, and rich, with a comfortable home\nand happy disposition, seemed to "
        "unite some of the best blessings\nof existence.[1] \"Poor Miss Taylor!\" said Emma.\n")
GUTENBERG = f"""\ufeffThe Project Gutenberg eBook of Emma, by Jane Austen

This eBook is for the use of anyone anywhere in the United States and
most other parts of the world at no cost and with almost no restrictions.

Title: Emma

Author: Jane Austen

Language: English

*** START OF THE PROJECT GUTENBERG EBOOK EMMA ***




EMMA

By Jane Austen


CONTENTS

     I. THE WEDDING
    II. THE WESTONS


PREFACE

A few words before the story begins, as the author wished them said.


VOLUME I


CHAPTER I.

THE WEDDING

{BODY}
[Illustration: Emma at Hartfield]

* * *

Mr. Knightley came in. "Good evening," he said.


CHAPTER II. THE WESTONS

Mr. Weston was a native of Highbury, and born of a respectable family.


FOOTNOTES:

[1] A note about blessings.

*** END OF THE PROJECT GUTENBERG EBOOK EMMA ***

THE FULL PROJECT GUTENBERG LICENSE
PLEASE READ THIS BEFORE YOU DISTRIBUTE OR USE THIS WORK
"""


def test_a_gutenberg_novel_in_one_file_is_its_chapters_and_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "pg158.txt"
    path.write_text(GUTENBERG.replace("\n", "\r\n"), encoding="utf-8")
    book = load_book(path)
    assert (book.title, book.author, book.language) == ("Emma", "Jane Austen", "en")
    assert [(c.title, c.subtitle) for c in book.chapters] == [
        ("Preface", None), ("Volume I: Chapter I.", "The Wedding"), ("Chapter II. The Westons", None)]
    text = "\n".join(c.text for c in book.chapters)
    for unread in ("Gutenberg", "CONTENTS", "By Jane Austen", "Illustration", "A note about", "LICENSE", "EMMA\n"):
        assert unread not in text, unread
    one = book.chapters[1].text
    assert "comfortable home and happy disposition" in one  # hard wraps are no paragraph breaks
    assert "* * *" in one and "Mr. Knightley came in." in one


def test_a_story_of_numbered_chapters_in_one_file_is_cut_and_a_single_chapter_is_not(tmp_path: Path) -> None:
    two = tmp_path / "story.txt"
    two.write_text('Chapter 1: Away\n\n"Go," said Rory.\n\nChapter 2\n\n"Stay," said Jess.\n', encoding="utf-8")
    assert [c.title for c in load_book(two).chapters] == ["Chapter 1: Away", "Chapter 2"]
    one = tmp_path / "04-chapter-4.txt"
    one.write_text('Chapter 4\n\n"Go," said Rory. She meant chapter one of her life.\n', encoding="utf-8")
    (chapter,) = load_book(one).chapters
    assert chapter.title == "Chapter 4" and chapter.source == one
    numbers = tmp_path / "numbers.txt"
    numbers.write_text("I.\n\nFirst words.\n\nII.\n\nSecond words.\n\nIII.\n\nThird words.\n", encoding="utf-8")
    assert [c.title for c in load_book(numbers).chapters] == ["I.", "II.", "III."]
    few = tmp_path / "few.txt"
    few.write_text("I.\n\nFirst words.\n\nII.\n\nSecond words.\n", encoding="utf-8")
    assert len(load_book(few).chapters) == 1  # two bare numbers could be anything: one chapter, as ever


def test_a_gutenberg_novel_renders_chapter_by_chapter_without_its_licence(tmp_path: Path) -> None:
    from narrate.render.pipeline import RenderOptions, render_book

    path = tmp_path / "pg158.txt"
    path.write_text(GUTENBERG, encoding="utf-8")
    result = render_book(path, RenderOptions(out_dir=tmp_path / "out", voices_dir=tmp_path, jobs=1))
    manifest = json.loads((result.book_dir / "book.json").read_text(encoding="utf-8"))
    # The part's heading is said as the start of its first chapter's title, as in an EPUB.
    assert [c["title"] for c in manifest["chapters"]] == ["Preface", "Volume I: Chapter I.", "Chapter II. The Westons"]
    said = " ".join(s["text"] for c in manifest["chapters"] for s in c["segments"])
    assert "Gutenberg" not in said and "Illustration" not in said
    assert all((result.book_dir / c["file"]).stat().st_size > 1000 for c in manifest["chapters"])


def test_prose_before_the_first_heading_is_read_and_a_title_page_is_not(tmp_path: Path) -> None:
    story = tmp_path / "story.txt"
    opening = "It was raining when the bus came, and nobody on it knew yet what the town would do to them. " * 4
    story.write_text(f"{opening}\n\nChapter 1\n\nFirst words.\n\nChapter 2\n\nSecond words.\n", encoding="utf-8")
    text = "\n".join(c.text for c in load_book(story).chapters)
    assert "It was raining" in text
    titled = tmp_path / "titled.txt"
    titled.write_text("THE RAIN\n\nby A. Writer\n\nTo my mother\n\nChapter 1\n\nFirst words.\n\nChapter 2\n\n"
                      "Second words.\n", encoding="utf-8")
    text = "\n".join(c.text for c in load_book(titled).chapters)
    assert "A. Writer" not in text and "To my mother" not in text and "First words." in text


def test_a_single_chapter_that_only_looks_numbered_stays_one_chapter(tmp_path: Path) -> None:
    """Sections under one chapter heading, sentences that start with "Letter I" or "Chapter one", an opening
    dialogue before the first heading: one chapter, read whole, as before."""
    files = {
        "sections.txt": "Chapter 4\n\nI\n\nFirst part of it.\n\nII\n\nSecond part.\n\nIII\n\nThird part.\n",
        "letter.txt": "Letter I wrote to him was never answered.\n\nChapter one of my life was over.\n\nThen spring.\n",
        "opening.txt": '"Wake up."\n\n"No."\n\nShe groaned.\n\nChapter 1\n\nFirst words.\n\nChapter 2\n\nSecond words.\n',
    }
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        (chapter,) = load_book(path).chapters
        assert chapter.text == text, name


def test_novels_the_second_trial_found_collapsed_are_cut_into_their_chapters(tmp_path: Path) -> None:
    """A title with an apostrophe, a dedication, a contents list of titles, "Chapter 1: Where Is Tom?": each made
    a novel one chapter of everything."""
    books = {
        "apostrophe.txt": "THE PILGRIM'S TALE\n\nby Mary O'Brien\n\nFor my mother, who always believed in me.\n\n"
                          "Chapter 1\n\nShe left at dawn.\n\nChapter 2\n\nShe came to the sea.\n",
        "contents.txt": "THE LIGHTHOUSE\n\nCONTENTS\n\nThe Keeper\nThe Storm\n\nChapter 1: The Keeper\n\nHe kept it."
                        "\n\nChapter 2: The Storm\n\nIt came.\n",
        "asked.txt": "Chapter 1: Where Is Tom?\n\nTom was gone.\n\nChapter 2: Found Him!\n\nIn the barn.\n",
    }
    titles = {"apostrophe.txt": ["Chapter 1", "Chapter 2"], "contents.txt": ["Chapter 1: The Keeper",
                                                                             "Chapter 2: The Storm"],
              "asked.txt": ["Chapter 1: Where Is Tom?", "Chapter 2: Found Him!"]}
    for name, text in books.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        book = load_book(path)
        assert [c.title for c in book.chapters] == titles[name], name
        said = "\n".join(c.text for c in book.chapters)
        assert "believed in me" not in said and "The Keeper\nThe Storm" not in said


def test_gutenberg_notes_front_matter_and_scene_numbers(tmp_path: Path) -> None:
    pg = tmp_path / "pg.txt"
    pg.write_text("Title: The Lighthouse\n\nAuthor: Mary Ann Smith\n\n*** START OF THE PROJECT GUTENBERG EBOOK X ***"
                  "\n\nProduced by Jane Doe and the Online Distributed Proofreading Team\n\nTHE LIGHTHOUSE\n\n"
                  "BY MARY ANN SMITH\n\nAUTHOR OF \"THE KEEPER'S DAUGHTER,\" ETC.\n\nCHAPTER I.\n\nThe lamp was lit."
                  "\n\n[Illustration: \"COME HERE!\" SAID SHE.\n\n[_Page 23_]]\n\n[Footnote 2: In bloom in June.]\n\n"
                  "CHAPTER II.\n\nThe storm came.\n\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\n", encoding="utf-8")
    book = load_book(pg)
    said = "\n".join(c.text for c in book.chapters)
    assert [c.title for c in book.chapters] == ["Chapter I.", "Chapter II."]
    for unread in ("Produced by", "BY MARY", "AUTHOR OF", "COME HERE", "Page 23", "In bloom"):
        assert unread not in said, unread
    fic = tmp_path / "scenes.txt"
    fic.write_text("1.\n\nShe left.\n\n2.\n\nHe stayed.\n\n3.\n\nThey met.\n", encoding="utf-8")
    assert len(load_book(fic).chapters) == 1  # a story's numbered scenes, not chapters


def test_notes_go_and_the_words_around_them_stay(tmp_path: Path) -> None:
    """A [Sidenote: ...] opening a paragraph took the paragraph; an [Illustration: ... never closed took the rest of
    the book."""
    path = tmp_path / "notes.txt"
    path.write_text("CHAPTER I.\n\n[Sidenote: The king dies.] The king died in the spring.\n\n"
                    "[Illustration: The diner at night\n\nShe ordered coffee.\n\nCHAPTER II.\n\nHe paid.\n\n"
                    "CHAPTER III.\n\n\u2018Wake up.\u2019\n\nThe end came.\n", encoding="utf-8")
    book = load_book(path)
    said = "\n".join(c.text for c in book.chapters)
    assert len(book.chapters) == 3 and "The king died in the spring." in said and "She ordered coffee." in said
    assert "Sidenote" not in said and "diner at night" not in said
    tom = tmp_path / "tom.txt"
    tom.write_text("Chapter i.\n\nFirst words.\n\nChapter ii.\n\nSecond words.\n", encoding="utf-8")
    assert [c.title for c in load_book(tom).chapters] == ["Chapter i.", "Chapter ii."]
    opening = tmp_path / "british.txt"
    opening.write_text("\u2018Wake up.\u2019\n\n\u2018No.\u2019\n\nChapter 1\n\nFirst.\n\nChapter 2\n\nSecond.\n",
                       encoding="utf-8")
    assert len(load_book(opening).chapters) == 1  # a short opening in single quotes keeps the story whole
