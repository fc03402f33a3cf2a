"""Reading aloud: marks an eye skips (emphasis, footnote signs) are not said, abbreviations are said as meant."""

from __future__ import annotations

import pytest

from narrate.model import Voice
from narrate.render.plan import Pronouncer
from narrate.text.reading import read_aloud, roman_value


@pytest.mark.parametrize(("text", "said"), [
    ("It's a *medical* emergency.", "It's a medical emergency."),
    ("**Very** good, ~hello~ and ~~gone~~.", "Very good, hello and gone."),
    ("*He* said so.*", "He said so."),
    ("f*ck that, sh*t and f**king", "fuck that, shit and fucking"),  # a censored word: the word, no "asterisk"
    ("x**y and y*z", "xy and yz"),  # a mask no word fits: its letters
    ("hour.[1] Then [Illustration: Mary in the garden] she[*] left[A].", "hour. Then she left."),
    ("a list [1, 2] stays", "a list [1, 2] stays"),
    ("£5, $3.50, £1, $1,000.00 and €20.", "5 pounds, 3 dollars 50, 1 pound, 1,000 dollars and 20 euros."),
    ("It was 3:30 p.m. on the 1st. At 9 a.m. The sun rose.", "It was 3:30 PM on the 1st. At 9 AM. The sun rose."),
    ("e.g. this, i.e. that; No. 7 and Nos. 8", "for example this, that is that; number 7 and numbers 8"),
    ("The answer was no. 3 people came at 7:30 p.m., late.", "The answer was no. 3 people came at 7:30 PM, late."),
    ("CHAPTER II. THE WEDDING", "CHAPTER 2. the wedding"),
    ("Act I, Scene IV; Book XII", "Act 1, Scene 4; Book 12"),
    ("Henry VIII was king, then George III; World War II.", "Henry the 8th was king, then George the 3rd; World War 2."),
    ("Then I said: DC, MD, MIX and CV.", "Then I said: DC, MD, MIX and CV."),
    ("No more, Mr. Smith.", "No more, Mr. Smith."),
    # Prose that only looks like numbers: initials, the pronoun, "chapter" in a sentence.
    ("John D. Rockefeller met James M. Barrie.", "John D. Rockefeller met James M. Barrie."),
    ("I told Peter I would come.", "I told Peter I would come."),
    ("In this chapter I shall relate; Chapter I shall say.", "In this chapter I shall relate; Chapter I shall say."),
    ("Before the War I lived there.", "Before the War I lived there."),
    ("Louis XIV. The king and Henry V ruled, Pius X too.", "Louis the 14th. The king and Henry the 5th ruled, "
     "Pius the 10th too."),
    ("Left Munich at 8:35 P. M., on 1st May; (at 10 a.m.) and on.", "Left Munich at 8:35 PM, on 1st May; (at 10 AM) "
     "and on."),
    ("It was 2*3 or so.", "It was 2*3 or so."),
    ("Malcolm X, Louis C.K., Michael C Hall; Section C, Part D; Act III, Scene ii.",
     "Malcolm X, Louis C.K., Michael C Hall; Section C, Part D; Act 3, Scene 2."),
    ("hour.[Footnote 2: In bloom.] Then [Sidenote: May] she", "hour. Then she"),
    ("$1.5 billion, $5 million and \u00a32.5.", "1.5 billion dollars, 5 million dollars and 2.5 pounds."),
    ('"Come at 3 p.m." And he went at 5 p.m.', '"Come at 3 PM." And he went at 5 PM.'),
    ("A. M. Smith came.", "A. M. Smith came."),
])
def test_read_aloud(text: str, said: str) -> None:
    assert read_aloud(text) == said


def test_roman_values() -> None:
    assert [roman_value(n) for n in ("I", "IV", "IX", "XIV", "XL", "XC", "MCMXCIV")] == [1, 4, 9, 14, 40, 90, 1994]


def test_the_lexicon_meets_the_text_as_written_and_the_rest_is_read_aloud_around_its_phonemes() -> None:
    voice = Voice("espeak", "en-us", 175, 50, pronunciations=(("medical", "[[m'EdIk@l]]"),))
    pron = Pronouncer((("Emma", "Em-ma"), ("Henry V", "Henry the Fifth")))
    assert pron.spoken("It's a *medical* emergency, Emma.", voice) == "It's a [[m'EdIk@l]] emergency, Em-ma."
    assert pron.spoken("Henry V and Chapter II", voice) == "Henry the Fifth and Chapter 2"  # the book's entry
    assert pron.spoken("Nothing to do here.", voice) is None


def test_emphasis_marks_are_not_heard() -> None:
    """espeak said "asterisk" twice: 2.6 s against 1.5 s for the plain sentence. Now they sound the same."""
    from narrate.voices.engines import get_engine

    engine, voice = get_engine("espeak"), Voice()
    pron = Pronouncer()
    marked = engine.synthesize(pron.spoken("It's a *medical* emergency.", voice), voice)
    plain = engine.synthesize("It's a medical emergency.", voice)
    assert abs(len(marked) - len(plain)) < 50
