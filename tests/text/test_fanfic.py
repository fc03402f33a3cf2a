"""Fan fiction's own conventions: dividers of letters between scenes, author's notes and disclaimers around a
chapter's story, chat logs."""

from __future__ import annotations

import pytest
from conftest import DATA
from epub_fixtures import xhtml

from narrate.model import DIALOGUE
from narrate.text.markdown import markdown_document
from narrate.text.markup import BREAK, SCENE_BREAK_TEXT, document_blocks, parse_markup
from narrate.text.reader import load_book
from narrate.text.reading import read_aloud
from narrate.text.segment import is_scene_break, split_text

FANFIC = DATA / "fanfic"


@pytest.mark.parametrize("divider", ["-x-x-x-", "oOoOoOoOo", "xXxXxXx", "o0o0o", "XoXoX", "oOo", "~oOo~",
                                     "x~x~x", "-o-o-", "* x * x *", "OoO"])
def test_a_divider_of_letters_is_a_scene_break(divider: str) -> None:
    assert is_scene_break(divider)


@pytest.mark.parametrize("words", ["Ooooh.", "Xxx", "xxx", "Oh.", "XOXO", "xoxo", "XXX", "Ooo", "OOO", "0-0-0",
                                   "Xx", "x x x", "Oooo", "xoxo, Gossip Girl"])
def test_kisses_and_cries_of_o_and_x_are_read(words: str) -> None:
    assert not is_scene_break(words)


@pytest.mark.parametrize("divider", ["oOoOo", "xXx", "~*~*~", "***", "* * *", "ooOOoo", "-o-o-o-", "+++", "o.o.o",
                                     "x-x-x", "___", "-*-"])
def test_a_divider_repeats_its_unit_three_times_or_more(divider: str) -> None:
    assert is_scene_break(divider)


@pytest.mark.parametrize("face", ["XoXo", "xOxO", "XoXoXo", "xoxoxo", "O.O", "o_O", "O_o", "x.x", "X_X", "o.O", "0_0",
                                  "-_-", "=_=", "*_*"])
def test_faces_and_sign_offs_of_o_and_x_are_read(face: str) -> None:
    assert not is_scene_break(face)


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


def _text(book) -> str:
    return "\n".join(c.text for c in book.chapters)


def test_author_notes_disclaimers_and_pleas_around_a_chapter_are_not_read_unless_all() -> None:
    path = FANFIC / "ffn_winter_court.txt"
    text = _text(load_book(path))
    for unread in ("A/N", "Cliffhanger", "chocolate frogs", "Shout out", "Review please", "Disclaimer"):
        assert unread not in text, unread
    for story in ("Harry woke to the sound", "we would not be having this conversation", "Nobody answered.",
                  "The corridor outside"):
        assert story in text, story
    kept = _text(load_book(path, all_documents=True))
    assert "A/N: Cliffhanger!" in kept and "Review please!!" in kept


def test_a_chapter_may_open_with_several_notes_and_the_story_after_them_is_read() -> None:
    book = load_book(FANFIC / "ffn_disclaimer_in_chapter.txt")
    one, two = (c.text[c.body_start:] for c in book.chapters)
    assert one.startswith("Harry opened the letter.") and two.startswith("Hermione read the reply twice.")
    assert "Disclaimer" not in one + two and "reviewed the prologue" not in one


def test_a_markdown_chapter_loses_its_dedication_and_notes() -> None:
    text = _text(load_book(FANFIC / "wattpad_bad_boy.md"))
    for unread in ("Dedicated to", "10k reads", "500 votes"):
        assert unread not in text, unread
    assert "Ugh. First day at a new school." in text and "Who even IS this guy" in text


def _chapter_paras(tmp_path, *paras: str, all_documents: bool = False) -> list[str]:
    body = "\n\n".join(paras)
    path = tmp_path / "fic.md"
    path.write_text(f"# Fic\n\n## Chapter 1\n\n{body}\n\n## Chapter 2\n\nThe end came.\n", encoding="utf-8")
    chapter = next(c for c in load_book(path, all_documents=all_documents).chapters if c.title == "Chapter 1")
    return [p.strip() for p in chapter.text[chapter.body_start:].split("\n\n") if p.strip()]


def test_an_authors_note_runs_on_with_its_chatty_paragraphs_until_the_story_begins(tmp_path) -> None:
    paras = _chapter_paras(
        tmp_path, "AN: thanks for 100 reviews", "Seriously you guys are the best, I can't believe it!!",
        "Sorry for the wait, on with the chapter :)", "The castle was quiet that night.", "Nobody slept.")
    assert paras == ["The castle was quiet that night.", "Nobody slept."]


def test_an_authors_note_mid_chapter_goes_but_a_sentence_about_a_disclaimer_stays(tmp_path) -> None:
    paras = _chapter_paras(
        tmp_path, "The disclaimer on the form was in tiny print.", "I don't own a car, so I walked.",
        "Author's Note: sorry, had to say this here.", "\"Please review!\" said the teacher.", "Ooooh.", "Xxx")
    assert paras == ["The disclaimer on the form was in tiny print.", "I don't own a car, so I walked.",
                     "\"Please review!\" said the teacher.", "Ooooh.", "Xxx"]


def test_notes_at_a_chapters_start_and_end_go(tmp_path) -> None:
    notes = ["Disclaimer: Still not mine.", "Author's Note: This one is for my sister.", "-x-x-x-"]
    ends = ["A/N: Thanks for reading!", "Shout out to Guest who reviewed ch 1, you made my day!", "Please review!"]
    paras = _chapter_paras(tmp_path, *notes, "It rained.", "It rained again.", *ends)
    assert paras == ["It rained.", "It rained again."]
    assert _chapter_paras(tmp_path, *notes, "It rained.", *ends, all_documents=True)[0] == notes[0]


@pytest.mark.parametrize("story", [
    "I don't own this house, but I've lived in it for ten years.",
    "\"We don't own anything anymore,\" said Mum.",
    "We don't own anything anymore, Mum said, and we never will.",
    "I don't own anything. Everything I had burned with the house.",
    "An-mei Hsu was born in Kweilin before the war.",
    "An\u2014an apple, she thought. That was all it was.",
    "AN ENORMOUS crash woke the whole street.",
    "Harry belongs to Ginny now, whatever anyone says.",
    "The house belongs to Mr. Dursley.",
    "I don't own Jake's car, but I drive it most days.",
    "I don't own it.",
    "\u2018We don't own anything anymore,\u2019 Mum said.",
])
def test_story_that_opens_or_closes_a_chapter_like_a_note_is_read(tmp_path, story: str) -> None:
    from narrate.text.notes import note_kind

    assert note_kind(story) is None
    assert _chapter_paras(tmp_path, story, "It rained.", story) == [story, "It rained.", story]


@pytest.mark.parametrize("note", [
    "I don't own Harry Potter.", "Sadly, I do not own Naruto or any of its characters.", "Disclaimer: not mine.",
    "I don't own the characters, only the plot.", "I don't own anything.", "I don't own anything you recognise.",
    "I don't own anything except my OCs.", "All rights belong to J.K. Rowling.",
    "Harry Potter and all related characters belong to J.K. Rowling.", "Naruto belongs to Masashi Kishimoto.",
    "Everything belongs to Rick Riordan, I'm just playing in his world.", "AN: hi", "A/N thanks!",
    "Author's Note: this one is short.", "(A/N: sorry!)", "I don't own anything. All rights go to Marvel.",
    "I don't own Marvel characters.", "We don't own the Lord of the Rings in any way.", "I don't own Naruto",
])
def test_notes_and_disclaimers_have_their_shape(note: str) -> None:
    from narrate.text.notes import note_kind

    assert note_kind(note) is not None


def test_story_after_an_authors_note_is_read_though_it_says_thanks_or_chapter(tmp_path) -> None:
    story = ["Thanks to the storm, the roads were closed for a week.", "Harry read the chapter twice, then the review.",
             "\"Thanks for the comments,\" said Ginny.", "It rained."]
    paras = _chapter_paras(tmp_path, "A/N: Short one today, sorry!", *story)
    assert paras == story
    for end in (["She read the chapter again, and thanked her sister."],
                ["Thanks to the storm, the roads were closed.", "Tom updated the chapter list and left."]):
        assert _chapter_paras(tmp_path, "It rained.", "A/N: sorry, had to say this here.", *end) == ["It rained.", *end]


CHAT = """It was two in the morning when my phone lit up for the ninth time.

[02:04] theo_k: who took my charger
[02:04] theo_k: i know one of u has it
[02:05] priya.exe: not me
[02:06] theo_k: CANT my phone is at 3%

I typed "I have it, sorry" and then deleted it.

[02:07] me: i have it. sorry. ill bring it to breakfast

Dear Sir:
I write to you about the charger.
"""


def test_a_chat_log_is_a_message_a_paragraph_read_without_its_timestamps():
    segs = split_text(CHAT)
    assert "".join(s.text for s in segs) == CHAT  # the chapter's text, all of it, in order
    by_paragraph: dict[int, str] = {}
    for s in segs:
        by_paragraph[s.paragraph] = by_paragraph.get(s.paragraph, "") + read_aloud(s.text)
    heard = [" ".join(t.split()) for t in by_paragraph.values()]
    # A paragraph each, so a pause between messages, as between paragraphs.
    assert heard[1:5] == ["theo_k: who took my charger", "theo_k: i know one of u has it", "priya.exe: not me",
                          "theo_k: CANT my phone is at 3%"]
    assert "me: i have it. sorry. ill bring it to breakfast" in heard
    assert "Dear Sir: I write to you about the charger." in heard  # a letter's salutation is no chat
    assert read_aloud("At 10:30: the train.") == "At 10:30: the train."


@pytest.mark.parametrize("block", ["Q: Where were you?\nA: Out.\nQ: Out where?\nA: Just out.",
                                   "Milk: two pints\nEggs: a dozen\nBread: brown",
                                   "Location: Hogwarts\nDate: 1 September",
                                   "Monday: rain\nTuesday: more rain",
                                   "Time: 9:15\nPlace: the pier"])
def test_lines_of_a_list_a_form_or_an_interview_are_no_chat_log(block: str) -> None:
    text = f"She read it twice.\n\n{block}\n\nThen she put it away.\n"
    assert not [s for s in split_text(text) if s.rule == "chat"]
    assert sum(s.kind == DIALOGUE for s in split_text(text)) == 0


@pytest.mark.parametrize("block", ["Sam: u up\nMarcus: no", "Me: hi\nMom: call me", "Jun: ok\nKofi: ok\nJun: bye",
                                   "11:48 PM - Sam: hi\n11:49 PM - Kofi: hey"])
def test_chat_logs_whose_senders_are_capitalised_are_still_chat(block: str) -> None:
    text = f"My phone buzzed.\n\n{block}\n\nI put it down.\n"
    assert len([s for s in split_text(text) if s.rule == "chat"]) == len(block.split("\n"))


def test_a_timestamp_before_a_handle_alone_is_not_read() -> None:
    assert read_aloud("[02:04] theo_k:").strip() == "theo_k:"


def test_a_chat_log_in_markdown_is_a_message_a_paragraph() -> None:
    doc = markdown_document("# One\n\nMy phone lit up.\n\n**theo_k:** who took my charger\n"
                            "priya.exe: not me\ntheo_k: *liar*\n\nI slept.\n", "one.md")
    paras = [b.text for b in doc.blocks if b.kind == "para"]
    assert paras == ["My phone lit up.", "theo_k: who took my charger", "priya.exe: not me", "theo_k: liar", "I slept."]


def test_a_list_right_under_a_chat_log_is_no_chat() -> None:
    text = "[02:04] theo_k: who took my charger\n\n[02:05] priya.exe: not me\n\nMilk: two pints\n\nEggs: a dozen\n\n" \
           "theo_k: liar\n"
    chat = [s.text for s in split_text(text) if s.rule == "chat"]
    assert chat == ["who took my charger\n\n", "not me\n\n", "liar\n"]
