"""Reading aloud: the marks an eye skips and the abbreviations it expands, written out for a speech engine."""

from __future__ import annotations

import re
from collections.abc import Callable

from .chat import STAMP as CHAT_STAMP
from .names import FEMALE_FIRST, MALE_FIRST, NICKNAMES, OPENERS, STOP_CAPS
from .numbers import read_numbers
from .words import read_words, unmasked

# *so*, **so**, ~so~ (fan fiction's emphasis; _so_ the engine text drops already): the words, not "asterisk".
_EMPHASIS = re.compile(r"(?<![\w*~])(\*{1,2}|~{1,2})(?=[^\s*~])([^*~\n]*?[^\s*~])\1(?![\w*~])")
# A marker left over (its partner in another sentence, or a lone "*" as a footnote sign): not said either.
_STRAY = re.compile(r"(?<![\w*~])[*~]+(?=\w)|(?<=[\w.,;:!?'\u2019\"\u201d])[*~]+(?![\w*~])")
# Project Gutenberg's [Illustration: ...] and footnote markers ("hour.[1]", "word[*]"): not part of the story.
_ILLUSTRATION = re.compile(r"\s*\[(?:Illustration|ILLUSTRATION|Footnote|FOOTNOTE|Sidenote|SIDENOTE|"
                           r"Transcriber|TRANSCRIBER)\b[^\]]*\]")
# A word censored with asterisks ("sh*t", "f**king"): an engine spells out "asterisk"; the letters are said.
_MASKED = re.compile(r"(?<=[A-Za-z])\*+(?=[A-Za-z])")  # not "2*3"
_FOOTNOTE_MARK = re.compile(r"(?<=[\w.,;:!?'\u2019\"\u201d)])\[(?:\d{1,3}|[*\u2020\u2021\u00a7]|[A-Z])\]")
# £5 is "5 pounds" (an engine says "pound five"), $3.50 "3 dollars 50".
_MONEY = re.compile(r"([\u00a3$\u20ac])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?!\d)"
                    r"(?:\s+(thousand|million|billion|trillion)\b)?")
_UNITS = {"\u00a3": ("pound", "pounds"), "$": ("dollar", "dollars"), "\u20ac": ("euro", "euros")}
# "3 p.m. on the 1st": a time of day, not the end of a sentence (an engine pauses and falls there).
# "8:35 P. M." after a time: with a space too (never "A. M. Smith": no digit before).
_TIME_OF_DAY = re.compile(r"(?<![A-Za-z.])([AaPp])\.(?:(?<=\d [AaPp]\.)\s)?[Mm]\.")
_LATIN = {"e.g.": "for example", "i.e.": "that is", "E.g.": "For example", "I.e.": "That is"}
_LATIN_ABBR = re.compile(r"(?<!\w)([Ee]\.g\.|[Ii]\.e\.)(?=[\s,;:)]|$)")
_NUMBER_SIGN = re.compile(r"\b(No|Nos)\.(?=\s*\d)")  # "was no. 3 people came": lower case is the word no
# Roman numerals an engine reads as "roman two": a chapter's number, a monarch's.
ROMAN = r"(?=[MDCLXVI])M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
"""A Roman numeral in capitals (regex source), one letter at least."""
# (A capital word before it: "In this chapter I shall relate" is a sentence; "Chapter I shall" too, below.)
_HEADING_NUMBER = re.compile(r"\b((?:CHAPTER|Chapter|BOOK|Book|PART|Part|VOLUME|Volume|Vol\.|ACT|Act|"
                             r"SCENE|Scene|CANTO|Canto|SECTION|Section|STAVE|Stave|LETTER|Letter)\s+)(" + ROMAN
                             + r"|(?=[mdclxvi]{2})" + ROMAN.lower() + r")\b(?![\w'\u2019])(?=(\s+[a-z])?)")
# Only after a monarch's or a pope's name: "MD", "DC", "MIX" after other words are not numbers.
_REGNAL_NAMES = ("Henry Edward George William Charles James Richard John Louis Elizabeth Mary Victoria Anne Philip "
                 "Frederick Peter Catherine Napoleon Pius Leo Gregory Innocent Benedict Paul Alexander Nicholas Ivan "
                 "Ludwig Otto Friedrich Francis Ferdinand Alfonso Carlos Juan Pedro Gustav Gustavus Christian Haakon "
                 "Olaf Harold Malcolm Robert David Stephen Rudolf Wilhelm Clement Urban Boniface Sixtus Felix Ramses "
                 "Amenhotep Thutmose Ptolemy Antiochus Cleopatra Constantine Justinian Basil Michael Manuel Andronicus")
# Not a middle initial ("John D. Rockefeller", "James M. Barrie") nor the pronoun ("I told Peter I would").
_POSSESSIVE_OR_END = r"(?=['\u2019]s\b|(?![\w'\u2019-]))"  # "George III's", "George III."
_REGNAL = re.compile(r"\b((?:" + "|".join(_REGNAL_NAMES.split()) + r")\s+)(" + ROMAN + r")\b" + _POSSESSIVE_OR_END)
# Any other name with a number of two letters or more ("Episode IV", "Sonnet XVIII", "Aegon II"): the number.
# Only I, V, X: "Washington DC", "Smith MD" are letters.
_SMALL_ROMAN = r"(?=[XVI]{2})X{0,3}(?:IX|IV|V?I{0,3})"
_NAME_NUMBER = re.compile(r"\b([A-Z][a-z]+\s+)(" + _SMALL_ROMAN + r")" + _POSSESSIVE_OR_END)
# "Henry I," "Elizabeth I's", "Edward I of England": the First (before a verb, "I" is the pronoun:
# "told Henry I would").
_REGNAL_FIRST = re.compile(r"\b((?:" + "|".join(_REGNAL_NAMES.split()) + r")\s+)I(?=['\u2019]s\b|\s+of\s+[A-Z])")
# "Henry the VIII", "Louis the XIV's court": written with "the", the number is still an ordinal (an engine says
# "the roman eight"). One letter only after a ruler's name: "Peter the I" is rare, "Thorpe the V" nothing at all.
# After any other word it must be a name (see _the_numeral): "Check the IV line", "Watch the IV drip" are a drip.
_THE_NUMERAL = re.compile(r"\b([A-Z][a-z]+)(\s+the\s+)(" + _SMALL_ROMAN + r"|[IVX])" + _POSSESSIVE_OR_END
                          + r"(?=(?:\s+([a-z]+))?)")
# Mid-sentence: after a word or a comma (a capital there is a name's); after a stop, a quote or a colon it may be
# any word opening a sentence ("Check the IV", "Turn the IV off").
_MID_SENTENCE = re.compile(r"[\w,;]\s+$")
# Words that go on a sentence after a name, never a noun the numeral qualifies: "Aegon the III died", "... the III was".
_CLAUSE_WORD = re.compile(r"(?:was|is|had|has|and|or|of|who|whose|would|could|did|said|himself|herself|"
                          r"[a-z]{2,}(?<!e)ed)")
_REGNAL_NAME_SET = frozenset(_REGNAL_NAMES.split())
# A generation's number after a person's full name ("Thurston Howell III", "Henry Ford II", "Mr. Howell III"): "the
# Third", as after a monarch's. Only II to IV (a family rarely gets further) and only where the words before are surely
# a person's name (see _generation): "Street Fighter II", "Final Fantasy IV" are titles, said as numbers below.
_NAME_WORD = r"[A-Z][a-z]+(?:[A-Z][a-z]+)?"  # "Howell", "McCoy"
_GENERATION = re.compile(r"\b(" + _NAME_WORD + r"\s+)(II|III|IV)" + _POSSESSIVE_OR_END)
_PERSON_TITLES = "Mr Mrs Ms Miss Dr Sir Dame Judge Senator Governor President Professor Reverend Rev Colonel Captain"
_BEFORE_SURNAME = re.compile(r"(?:\b(" + "|".join(_PERSON_TITLES.split()) + r")\.?\s+)?(?:\b(" + _NAME_WORD
                             + r")\s+)?(?:(?<![\w.])(" + _NAME_WORD + r"|[A-Z]\.)\s+)?$")
_GIVEN_NAMES = MALE_FIRST | FEMALE_FIRST | frozenset(NICKNAMES)
_WAR = re.compile(r"\b(World\s+War\s+)(I{1,3})\b(?![\w'\u2019-])")


def read_aloud(text: str) -> str:
    """`text` as a speech engine should be handed it: the words a listener should hear, nothing else.
    espeak phoneme blocks ("[[m'EdIk@l]]", from a pronunciation lexicon) pass through as they are."""
    return around_phonemes(text, _read)


PHONEMES = re.compile(r"\[\[.*?\]\]")
"""An espeak phoneme block, "[[r'o@ri]]": what a pronunciation lexicon puts in a line, to pass on untouched."""
# A placeholder that reads as a word: "*[[...]]*" is still emphasis around it, "[[...]]'s" an apostrophe after a
# name.
_HOLD = "\ue000{}z"
_HELD = re.compile("\ue000(\\d+)z")


def around_phonemes(text: str, change: Callable[[str], str]) -> str:
    """`change(text)` with the espeak phoneme blocks in it held aside (their apostrophes are stress marks, their
    brackets no notes) and put back as they were."""
    blocks = PHONEMES.findall(text)
    if not blocks:
        return change(text)
    held = PHONEMES.sub(lambda m, n=iter(range(len(blocks))): _HOLD.format(next(n)), text)
    return _HELD.sub(lambda m: blocks[int(m.group(1))], change(held))


def _regnal(m: re.Match) -> str:
    numeral = m.group(2)
    # One letter: "I" is the pronoun ("I told Peter I would"), other letters are initials ("John D. Rockefeller",
    # "Louis C.K.") or a name ("Malcolm X"), but V and X after a king's name are his number ("Henry V", "Pius X").
    if len(numeral) == 1 and (numeral not in "VX" or m.group(1).startswith("Malcolm")
                              or m.string[m.end():m.end() + 1] == "."):
        return m.group(0)
    return f"{m.group(1)}the {_ordinal(roman_value(numeral))}"


def _the_numeral(m: re.Match) -> str:
    name, numeral, word_after = m.group(1), m.group(3), m.group(4)
    if name not in _REGNAL_NAME_SET:
        # Not a ruler's: only a person's name makes it a number, a given name or a capital mid-sentence, and no
        # common word ("when Aegon the III died", not "Behind the IV stand"); nor before a noun the numeral qualifies
        # ("gave Tom the IV bag": the intravenous line).
        named = name.lower() not in STOP_CAPS | OPENERS and (
            name.lower() in _GIVEN_NAMES or _MID_SENTENCE.search(m.string[max(0, m.start() - 10):m.start()]))
        if len(numeral) == 1 or not named or word_after and not _CLAUSE_WORD.fullmatch(word_after):
            return m.group(0)
    value = roman_value(numeral)
    return f"{name}{m.group(2)}{'First' if value == 1 else _ordinal(value)}"


def _generation(m: re.Match) -> str:
    # A person's name: a title before the surname ("Mr. Howell III"), a middle initial ("Thurston B. Howell III"), or
    # a known given name among the two words before it ("Henry Ford II", "John Jacob Astor IV").
    before = _BEFORE_SURNAME.search(m.string[max(0, m.start() - 40):m.start()])
    title, first, second = before.groups() if before else (None, None, None)
    given = any(w and w.lower() in _GIVEN_NAMES for w in (first, second))
    if not (title or given or second and second.endswith(".")):
        return m.group(0)
    return f"{m.group(1)}the {_ordinal(roman_value(m.group(2)))}"


def _name_number(m: re.Match) -> str:
    if set(m.group(2)) == {"X"}:
        return m.group(0)  # "Love, Mum XX": kisses
    # A plain number: "Sonnet 18", "Episode 4", and "Aegon 2" (a ruler the list of _REGNAL_NAMES does not know
    # is better said so than "roman two"; "Vatican the Second" would be worse).
    return f"{m.group(1)}{roman_value(m.group(2))}"


def _heading_number(m: re.Match) -> str:
    numeral = m.group(2)
    # "Chapter I shall" is a sentence; "Section C", "Part D" are letters: of one letter, only I, V and X count.
    if numeral == "I" and m.group(3) or len(numeral) == 1 and numeral not in "IVX":
        return m.group(0)
    return m.group(1) + str(roman_value(numeral.upper()))


def _read(text: str) -> str:
    out = CHAT_STAMP.sub("", text)
    out = _ILLUSTRATION.sub("", out)
    out = _FOOTNOTE_MARK.sub("", out)
    out = _EMPHASIS.sub(r"\2", out)
    out = _STRAY.sub("", out)
    out = _MASKED.sub("", unmasked(out))
    out = read_numbers(out)
    out = _MONEY.sub(_money, out)
    out = _TIME_OF_DAY.sub(_time_of_day, out)
    out = _LATIN_ABBR.sub(lambda m: _LATIN[m.group(1)], out)
    out = _NUMBER_SIGN.sub(lambda m: "numbers" if m.group(1).lower() == "nos" else "number", out)
    out = _HEADING_NUMBER.sub(_heading_number, out)
    out = _REGNAL.sub(_regnal, out)
    out = _REGNAL_FIRST.sub(lambda m: m.group(1) + "the First", out)
    out = _WAR.sub(lambda m: m.group(1) + str(roman_value(m.group(2))), out)
    out = _THE_NUMERAL.sub(_the_numeral, out)
    out = _GENERATION.sub(_generation, out)
    out = _NAME_NUMBER.sub(_name_number, out)
    return read_words(out)


def roman_value(numeral: str) -> int:
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for here, after in zip(numeral, [*numeral[1:], ""]):
        v = values[here]
        total += -v if after and values[after] > v else v
    return total


def _money(m: re.Match) -> str:
    one, many = _UNITS[m.group(1)]
    amount, decimals, scale = m.group(2), m.group(3), m.group(4)
    if scale:  # "$1.5 billion": "1.5 billion dollars"
        return f"{amount}{'.' + decimals if decimals else ''} {scale} {many}"
    if decimals and len(decimals) != 2:
        return f"{amount}.{decimals} {many}"
    words = f"{amount} {one if amount == '1' else many}"
    return f"{words} {int(decimals)}" if decimals and decimals != "00" else words  # "$1.05": "one dollar five"


def _time_of_day(m: re.Match) -> str:
    # Its full stop stays where a sentence ends ("at 3 p.m. The sun ...", '"at 3 p.m." And', at the end), and only
    # there (not before a comma, "7:30 p.m., OK?", nor in brackets going on: "(at 10 a.m.) and").
    rest = m.string[m.end():].lstrip("\"\u201d\u2019)]").lstrip()
    ends = not rest or rest[:1].isupper()
    return m.group(1).upper() + "M" + ("." if ends else "")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
