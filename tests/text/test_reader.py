"""Plain-text chapters: a heading or a title line is the chapter's title, said once; anything else is its text."""

from __future__ import annotations

from pathlib import Path

import pytest

from narrate.text.reader import load_book, split_heading


@pytest.mark.parametrize("text, title, subtitle", [
    ("Chapter 4\n\nRory and Jess belong together\n\n\"Hi,\" said Jess.\n", "Chapter 4", "Rory and Jess belong together"),
    ("The Lighthouse Keeper\n\nThe lamp was lit at dusk.\n", "The Lighthouse Keeper", None),
    ("THE SISTERS\n\nThere was no hope for him this time.\n", "THE SISTERS", None),
    ("The Consul\u2019s Yarn\n\nNobody knew.\n", "The Consul\u2019s Yarn", None),
    ("THE SISTERS\n\nThere was no hope for him this time: it was the third stroke. Night\n"
     "after night I had passed the house.\n", "THE SISTERS", None),
    # A part's heading, then the chapter's number and its own title (Treasure Island as Gutenberg prints it).
    ("PART ONE--The Old Buccaneer\n\n\n\n\n1\n\nThe Old Sea-dog at the Admiral Benbow\n\n\nSQUIRE TRELAWNEY, Dr.\n"
     "Livesey, and the rest of these gentlemen having asked me\n", "PART ONE--The Old Buccaneer",
     "1. The Old Sea-dog at the Admiral Benbow"),
    ("CHAPTER ONE\n\nI.\n\nIt was a dark night, and the rain fell.\n", "CHAPTER ONE", "I."),
    ("Chapter 3\n\nII\n\nThe lamp was lit at dusk, and the keeper\nclimbed the stair.\n", "Chapter 3", "II"),
])
def test_a_heading_or_title_line_is_the_title(text, title, subtitle):
    heading, sub, body = split_heading(text)
    assert (heading, sub) == (title, subtitle)
    assert text[body:].strip() and title not in text[body:]


@pytest.mark.parametrize("text", [
    '"Hi," said Jess.\n\n"Hello."\n',                          # a speech
    "Morning came\nand the lamp went out.\n\nThen the boat.\n",  # a paragraph wrapped over lines
    "STONE GATE, WORCESTER,\n\nDear Judy,\n",                   # a letter's heading line, unfinished
    "It was late.\n\nThe lamp was lit.\n",                      # a sentence
    "the long way home\n\nShe walked.\n",                       # not capitalised
    "    So we beat on, boats against the current\n\nEnd.\n",  # an indented epigraph line
    "A lone line with no text after it\n",
    "Where was I?\n\nIn the dark.\n",                          # a question
    "Fire!\n\nEveryone ran.\n",                                # a cry
    "Because I could not stop for Death \u2013\n\nHe kindly stopped for me\n",  # a poem's line
    "It was late and the rain had not stopped\n\nShe waited.\n",  # a sentence without its stop
])
def test_other_first_lines_are_text(text):
    assert split_heading(text) == (None, None, 0)


def test_a_single_file_story_says_its_title_line_once(tmp_path):
    src = tmp_path / "lighthouse.txt"
    src.write_text("The Lighthouse Keeper\n\n\"Who is there?\" asked the keeper.\n", encoding="utf-8")
    chapter = load_book(src).chapters[0]
    assert chapter.title == "The Lighthouse Keeper"
    assert chapter.text[chapter.body_start:].startswith('"Who is there?"')


def test_a_subtitle_is_a_paragraph_of_its_own_not_the_first_line_of_the_text():
    text = "CHAPTER I\n\nThere was no possibility of taking a walk that day. We had been wandering\nindeed.\n"
    heading, subtitle, body = split_heading(text)
    assert (heading, subtitle) == ("CHAPTER I", None) and text[body:].startswith("There was no possibility")


def test_a_chapter_put_between_two_keeps_its_own_name(tmp_path):
    """"01b-interlude.txt" between 01 and 02 is "Interlude", its file 02-interlude (not "B interlude")."""
    book = tmp_path / "book"
    book.mkdir()
    for name in ("01-start.txt", "01b-interlude.txt", "02-end.txt"):
        (book / name).write_text("It was a quiet day, and nothing happened at all.\n", encoding="utf-8")
    chapters = load_book(book).chapters
    assert [(c.title, c.slug) for c in chapters] == [("Start", "01-start"), ("Interlude", "02-interlude"),
                                                     ("End", "03-end")]


@pytest.mark.parametrize("text, title, slug", [
    ("The Lighthouse Keeper\n\n\"Hello,\" said Ann.\n", "The Lighthouse Keeper", "the-lighthouse-keeper"),
    ("\"Hello,\" said Ann.\n", "Untitled", "untitled"),
])
def test_a_story_read_from_a_pipe_is_named_by_its_heading_not_by_the_descriptor(tmp_path, text, title, slug):
    """`narrate render <(cat story.txt)` reads /dev/fd/63: the book is not "63"."""
    from conftest import fed_pipe

    with fed_pipe(tmp_path / "63", text) as fifo:
        book = load_book(fifo)
    assert (book.title, book.slug) == (title, slug)
    assert (book.chapters[0].title, book.chapters[0].slug) == (title, f"01-{slug}")


@pytest.mark.parametrize("data, where", [
    (b"\xef\xbb\xbfChapter One\n\nShe ordered a caf\xe9 au lait.", 'line 3, column 18: not valid UTF-8 (byte 0xe9, "\u00e9"'),
    ("\u00c1ngel".encode("utf-8") + b" caf\xe9", 'line 1, column 10: not valid UTF-8 (byte 0xe9, "\u00e9"'),
    (b"one\rtwo\r\xe9", "line 3, column 1: not valid UTF-8 (byte 0xe9"),
    (b"one\r\ntwo\r\nab\x81", "line 3, column 3: not valid UTF-8 (byte 0x81); re-save"),
])
def test_bytes_that_are_not_utf8_are_placed_as_an_editor_shows_them(data, where):
    """After a byte-order mark, past characters Windows-1252 lacks, with old-Mac or Windows line ends."""
    from narrate.errors import InputError
    from narrate.text.sources import decode_text

    with pytest.raises(InputError) as err:
        decode_text(data, Path("x.txt"))
    assert str(err.value).startswith(f"x.txt: {where}")
