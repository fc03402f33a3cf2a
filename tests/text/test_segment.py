"""Tests for the segmentation stage: quotes, paragraphs, offsets, typographic variants."""

from __future__ import annotations

from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from narrate.model import DIALOGUE, NARRATION
from narrate.text.segment import paragraphs, split_text

TEXTS = ROOT / "texts" / "rory-and-jess"
QUOTES = "\"'\u201c\u201d\u2018\u2019\u201e\u00ab\u00bb\u201a"


def dialogue(text: str) -> list[str]:
    return [s.text for s in split_text(text) if s.kind == DIALOGUE]


def check_cover(text: str) -> None:
    segs = split_text(text)
    if not text:
        assert segs == []
        return
    assert segs[0].start == 0
    assert segs[-1].end == len(text)
    for a, b in zip(segs, segs[1:]):
        assert a.end == b.start
        assert a.paragraph <= b.paragraph
    for s in segs:
        assert 0 <= s.start < s.end <= len(text)
        assert s.text == text[s.start:s.end]
        assert s.kind in (NARRATION, DIALOGUE)
        assert s.speaker is None and s.rule is None and s.confidence is None
        if s.kind == DIALOGUE:
            # The marks themselves belong to the narration around the quotation: a dialogue
            # span starts right after an opening mark and ends right before a closing one
            # (or at the end of its paragraph, for an unclosed quotation).
            assert s.start > 0 and text[s.start - 1] in QUOTES
            closed = s.end < len(text) and text[s.end] in QUOTES
            assert closed or s is segs[-1] or segs[segs.index(s) + 1].paragraph != s.paragraph


def test_sample_chapter_one_quotes():
    text = (TEXTS / "01-come-away-with-me.txt").read_text(encoding="utf-8")
    found = dialogue(text)
    assert len(found) == 18
    assert found[0] == "Come away with me\u2026"
    assert found[-1] == "For coming with me\u2026"
    # Title and scare quote stay narration; so does the single-quoted remembered line.
    joined = "\n".join(found)
    assert "Last weeks fights" not in joined
    assert "let's see where the road takes us" not in joined
    assert "His words echoed" not in joined
    assert not any(q.startswith("I know you couldn't count") for q in found)
    check_cover(text)


def test_sample_chapter_two_quotes():
    text = (TEXTS / "02-chapter-4.txt").read_text(encoding="utf-8")
    assert dialogue(text) == ["Can I buy you some pie Rory?", "If I can have some coffee that sounds great."]
    check_cover(text)


def test_paragraphs_blank_lines_and_single_newlines():
    assert paragraphs("a\nb\n\nc\n") == [(0, 5), (5, 7)]
    assert paragraphs("a\nb\nc") == [(0, 2), (2, 4), (4, 5)]
    segs = split_text('"Hi," she said.\n\n"Bye."\n')
    assert [s.paragraph for s in segs if s.kind == DIALOGUE] == [0, 1]
    assert segs[-1].text.endswith("\n")


def test_split_by_tag_gives_two_quotes():
    assert dialogue('"Yes," said Emma, "I do."') == ["Yes,", "I do."]


def test_curly_quotes_and_nested_single():
    text = "\u201cShe said \u2018poor Miss Taylor\u2019 again,\u201d he sighed. \u201cIt\u2019s true.\u201d"
    assert dialogue(text) == ["She said \u2018poor Miss Taylor\u2019 again,", "It\u2019s true."]


def test_british_single_quotes_with_apostrophes():
    text = (
        "\u2018\u2019Tis very odd,\u2019 said Emma. \u2018Three days\u2019 journey, and he said "
        "\u201cno\u201d to me.\u2019\n\n\u2018Don\u2019t sit by th\u2019 winder,\u2019 he said.\n\n"
        "\u2018Yes.\u2019 \u2018No.\u2019\n"
    )
    found = dialogue(text)
    assert found[0] == "\u2019Tis very odd,"
    assert found[1] == "Three days\u2019 journey, and he said \u201cno\u201d to me."
    assert found[2] == "Don\u2019t sit by th\u2019 winder,"
    assert found[3:] == ["Yes.", "No."]


def test_nested_double_quotes_inside_speech():
    text = '"We agreed, "No. Never." And then he said "My darling;" and "My love!"" said Sleary.'
    assert dialogue(text) == ['We agreed, "No. Never." And then he said "My darling;" and "My love!"']


def test_unclosed_multi_paragraph_quote():
    text = '"First paragraph of a long speech.\n\n"Second paragraph," he said.\n'
    found = dialogue(text)
    assert found[0].startswith("First paragraph of a long speech.")
    assert found[1] == "Second paragraph,"


def test_scare_quotes_and_titles_are_narration():
    assert dialogue('He was a "let\'s see" kind of guy. We watched "Casablanca" again.') == []
    assert dialogue('Her gentle "How do you do?" pleased him.') == ["How do you do?"]


def test_single_style_scare_quote_closes_before_lowercase_word():
    text = "\u2018Hi,\u2019 said he. His inquiries after \u2018poor Isabella\u2019 and her children; then he said, \u2018Good.\u2019\n"
    assert dialogue(text) == ["Hi,", "Good."]


def test_imagined_sentence_is_narration():
    assert dialogue('"I have let my house to Admiral Croft," would sound extremely well.') == []


def test_dash_closed_quote():
    assert dialogue('"Oh! no, no"--cried Emma--"not at all."') == ["Oh! no, no", "not at all."]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab ,.!?\n\n-'\"\u201c\u201d\u2018\u2019\u2026\u00e9\u4e2d\U0001f600")), max_size=200))
def test_property_segments_cover_text(text):
    check_cover(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_property_any_unicode(text):
    check_cover(text)


def test_huge_single_paragraph_is_fast():
    text = ('He said "hello there, friend" and left. ' * 25000) + '"unclosed'
    segs = split_text(text)
    assert segs[-1].end == len(text)


def test_sentence_quoted_as_an_example_of_words_is_narration():
    text = ('They looked as no word but flirtation could describe. "Mr. Hale and Miss Bell flirted '
            'together." They knew it.\n\n"Come," he said in a few words. "We go."\n')
    kinds = [(s.kind, s.text) for s in split_text(text) if s.kind == DIALOGUE]
    assert kinds == [(DIALOGUE, "Come,"), (DIALOGUE, "We go.")]


def test_dialogue_dashes_run_to_the_tag_or_the_paragraph_end():
    text = ("Stephen sat by the fire.\n\n--What is your name?\n\nStephen had answered.\n\n"
            "--Come up, Kinch, he said sternly. You fearful jesuit!\n\n"
            "--Tripping and sweeping, Buck Mulligan said. He pointed his finger at the sea.\n\n"
            "--A gentleman.--\n")
    assert dialogue(text) == ["What is your name?", "Come up, Kinch,", "You fearful jesuit!",
                              "Tripping and sweeping,", "A gentleman."]


def test_a_few_dashes_in_quoted_prose_are_not_dialogue_dashes():
    text = '"Yes," said Tom.\n\n--and then nothing.\n\n"No," said Anna.\n'
    assert dialogue(text) == ["Yes,", "No,"]


def test_names_terms_titles_and_headings_in_quotes_are_narration():
    text = ('She was known as "Tuppence." She laughed.\n\n'
            'He read to them from "Frank on the Mississippi," every night.\n\n'
            'They looked out for "the seafaring man with one leg."\n\n'
            '"THE BOTTOMS" succeeded to "Hell Row".\n\n'
            'Mary said they were "full of lace." He said "Good-night", and left.\n\n'
            '"God," said the dying man, "God will give him blood to drink!"\n\n'
            'The dish was called "paprika hendl," and I liked it. She always called him "darlin\'," and smiled.\n\n'
            '"Come here!" he called.\n')
    assert dialogue(text) == ["full of lace.", "Good-night", "God,", "God will give him blood to drink!",
                              "Come here!"]


def test_hard_wrapped_text_with_no_blank_lines_between_paragraphs_is_split_where_lines_end_short():
    from narrate.text.segment import paragraphs

    body = ("Gabriel's features adhered throughout their form so exactly to the\n"
            "middle line between the beauty of St. John and the ugliness of\n"
            "Judas Iscariot, that not a single lineament could be selected and\n"
            "called worthy either of distinction or notoriety, and so it was.\n"
            "The gatekeeper surveyed the retreating vehicle.\n"
            '"That\'s a handsome maid," he said to Oak.\n'
            '"But she has her faults," said Gabriel.\n'
            '"True, farmer."\n'
            "Gabriel, perhaps a little piqued by the comely traveller's indifference,\n"
            "glanced back to where he had witnessed her performance over the toll.\n")
    text = "THE TITLE\n\n" + body
    starts = [text[a:b].split("\n")[0] for a, b in paragraphs(text)]
    assert starts == ["THE TITLE", "Gabriel's features adhered throughout their form so exactly to the",
                      '"That\'s a handsome maid," he said to Oak.', '"But she has her faults," said Gabriel.',
                      '"True, farmer."', "Gabriel, perhaps a little piqued by the comely traveller's indifference,"]
    # Ordinary paragraphs, each a few wrapped lines, stay whole; so do verse lines.
    prose = "One line of a paragraph that is wrapped at\nsixty or so.\n\nAnother paragraph here.\n"
    assert len(paragraphs(prose)) == 2
    verse = "THE POEM\n\n" + "\n".join(["Old longings nomadic leap,", "Chafing at custom's chain;"] * 5) + "\n"
    assert len(paragraphs(verse)) == 2


def test_an_indented_epigraph_under_the_heading_is_narration_but_an_indented_song_later_is_speech():
    text = ("CHAPTER I.\n\n    \"Since I can do no good because a woman,\n     Reach constantly at something near it.\"\n"
            "          --The Maid's Tragedy\n\nMiss Brooke had that kind of beauty which seems to be thrown into relief "
            "by poor dress, and then the captain broke out in the old song he sang so often:\n\n"
            "          \"Fifteen men on the dead man's chest--\n             Yo-ho-ho, and a bottle of rum!\"\n")
    assert dialogue(text) == ["Fifteen men on the dead man's chest--\n             Yo-ho-ho, and a bottle of rum!"]
    # A text that indents every paragraph opens with speech all the same.
    indented = '    "Come in," said Tom.\n\n    Anna came in and sat down by the fire, and looked at him for a while.\n'
    assert dialogue(indented) == ["Come in,"]


def test_a_dash_after_a_tag_opens_the_speech_again_and_is_not_said():
    text = ("Ann and Tom met at the gate.\n\n\u2014Hello, said Ann. \u2014I live here.\n\n\u2014Do you? said Tom.\n\n"
            "--What is your name?\n\n--Ann, she said. --And yours?\n")
    said = [s.text for s in split_text(text) if s.kind == DIALOGUE]
    assert said == ["Hello,", "I live here.", "Do you?", "What is your name?", "Ann,", "And yours?"]


def test_shouted_speech_in_capitals_is_speech_and_a_sign_mid_sentence_is_not():
    text = ('\u201cI WILL NOT,\u201d he roared.\n\n"STOP THAT AT ONCE." Tom stood up.\n\n'
            'They passed a board marked "THE BOTTOMS" and went on.\n')
    assert dialogue(text) == ["I WILL NOT,", "STOP THAT AT ONCE."]


def test_dash_dialogue_ends_its_speech_at_a_tag_with_a_described_speaker():
    """'―Who was that? asked her mother from the kitchen.': the tag is narration, not said in a character's voice."""
    text = ("\u2015Good evening, said Pedro.\n\n\u2015Good evening, answered Maria.\n\n"
            "\u2015Who was that? asked her mother from the kitchen.\n\n\u2015Go away, said the old man.\n\n"
            "\u2015Nothing, the waiter said. I saw nothing.\n")
    assert dialogue(text) == ["Good evening,", "Good evening,", "Who was that?", "Go away,", "Nothing,", "I saw nothing."]


def test_dash_speech_goes_on_past_a_clause_with_a_verb_that_does_not_say():
    text = ("\u2014We waited all night, the old dog went to sleep at my feet.\n\n"
            "\u2014I know, his father thought it was a mistake too.\n\n\u2014Yes, said Tom.\n\n\u2014No, said Ann.\n")
    assert dialogue(text)[:2] == ["We waited all night, the old dog went to sleep at my feet.",
                                  "I know, his father thought it was a mistake too."]


def test_capitals_quoted_after_words_in_their_paragraph_are_a_sign_not_speech():
    for text in ('There was a board that said, "KEEP OUT."\n', 'He looked up at the banner. "WELCOME HOME."\n'):
        assert dialogue(text) == [], text
