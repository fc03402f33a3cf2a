"""Reading stage: what a fan fiction's writer says around a chapter's story (author's notes, disclaimers, review
pleas, dedications), told from the story itself so that it is not read unless every word is asked for."""

from __future__ import annotations

import re

from .markup import is_chapter_title
from .names import STOP_CAPS

NOTE, DISCLAIMER, PLEA, DEDICATION = "note", "disclaimer", "plea", "dedication"

_QUOTES = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb\u201e"
_LEAD = r"^[^\w" + _QUOTES + r"]*"  # "(A/N", "**A/N", "[AN:", "~Disclaimer": marks, not a speech's quote
_SEP = r"\s*[:\-\u2013\u2014.!)\]]"
# "A/N:", "A.N.", "AN:" (only with its colon: "An-mei", "An—an apple", "AN ENORMOUS crash" are a story's),
# "Author's Note", "Authors note".
_NOTE = re.compile(_LEAD + r"(?:a\s?/\s?n\b|a\.\s?n\.|an\s*:|authou?r'?s'?\s+notes?\b|author\s+notes?\b)",
                   re.IGNORECASE)
# Only these are taken for a note in the middle of a chapter: no story says "A/N" ("AN: hi" is a chat log's).
_NOTE_ANYWHERE = re.compile(_LEAD + r"(?:a\s?/\s?n\b|a\.\s?n\.|authou?r'?s'?\s+notes?" + _SEP + ")", re.IGNORECASE)
# "Disclaimer: I don't own Harry Potter.", "Disclaimer - still not mine", "Standard disclaimer applies": not a
# sentence that only mentions one ("Disclaimers were his trade").
_DISCLAIMER = re.compile(
    _LEAD + r"(?:(?:standard|usual|the\s+usual)\s+)?disclaimers?(?:" + _SEP + r"|\s+applies|\s*$)", re.IGNORECASE)
_CAPS = r"(?-i:[A-Z])[\w.'\u2019-]*"  # a word written as a name's: "Harry", "J.K.", "Rowling's"
_NAMED = _CAPS + r"(?:\s+(?:of\s+)?(?:the\s+)?" + _CAPS + r")*"  # "Harry Potter", "Lord of the Rings", "J.K. Rowling"
# "I don't own ..." / "We do not claim ...", after "Sadly," or "Obviously" as a writer says it.
_DISOWN = (_LEAD + r"(?:(?:sadly|unfortunately|obviously|still|nope|no)[\s,.!]+)?(?:i|we)\s+(?:still\s+)?"
           r"(?:do\s+not|don'?t|dont|do\s+n't)\s+(?:own|claim)\s+(?:the\s+rights\s+to\s+)?")
# A franchise's name ends the thing disowned ("Harry Potter or any of its characters", "Naruto."); a thing of
# someone's follows a name in a story ("I don't own Jake's car").
_OWN_NAME_END = (r"(?![\w'\u2019-])(?!\s+(?!(?:or|and|nor|in|at|but|though|sadly|either|whatsoever|because|it|that|"
                 r"which|so|as|characters?|etc)\b)(?-i:[a-z]))")
# What only a disclaimer disowns: a franchise or its maker ("Harry Potter", "Naruto", "Marvel"), its characters,
# or anything but the writer's own ("anything you recognise", "anything except my OCs").
_DISOWNED = re.compile(
    _DISOWN + r"(?:(?:the\s+)?" + _NAMED + _OWN_NAME_END
    + r"|(?:any\s+of\s+)?(?:the|these|its|his|her|their)?\s*(?:characters?|franchise|series|anime|manga|rights)\b"
    r"|anything\s+(?:you\s+recogni[sz]e|(?:related|associated)\s+(?:to|with))"
    r"|anything,?\s+(?:except|but|save|other\s+than|apart\s+from|besides)\s+(?:the\s+|my\s+|this\s+)?"
    r"(?:plot|story|storyline|ocs?|original|idea|own)\b)", re.IGNORECASE)
# "I don't own anything.": a disclaimer only as the whole paragraph, or with more of one after it ("... All rights
# go to Marvel."); "I don't own anything. Everything I had burned." and "I don't own it." are a story's.
_DISOWNED_ALL = re.compile(_DISOWN + r"(?:anything|any\s+of\s+(?:this|it))\s*[.!]*(?:\s+|$)", re.IGNORECASE)
# "All rights belong to J.K. Rowling", "Naruto belongs to Masashi Kishimoto", "Harry Potter and all related
# characters belong to ...", "Everything belongs to its rightful owners": the maker named, the sentence done.
_OWNED = re.compile(
    _LEAD + r"(?:(?:all\s+)?(?:rights|(?:the\s+)?characters|credit)|everything|it\s+all|all\s+of\s+(?:this|it)|"
    + _NAMED + r"(?:,?\s+(?:and|&)\s+(?:all\s+)?(?:related|its|their|the|other)?\s*(?:characters|" + _NAMED
    + r"))?)\s+(?:belongs?|goes|go|(?:is|are)\s+(?:owned\s+by|reserved\s+to))\s+(?:to\s+)?(?:(?:the|their|its)\s+"
    r"(?:rightful\s+|respective\s+)*(?:owners?|creators?|authors?)|" + _NAMED + r")\s*(?:[.!,;]|$)",
    re.IGNORECASE)
# A closing quote after a speech's last mark: somebody speaking ('We don't own anything anymore," said Mum.').
_SPOKEN = re.compile(r"[,.!?\u2026\u2014-](?:[\"\u201d]|\u2019(?!s\b))")
# A whole paragraph that asks for reviews, votes or comments ("Review please!! \u2193\u2193\u2193", "Please R&R").
_PLEA = re.compile(
    _LEAD + r"(?:please\s+)?(?:review|r\s?&\s?r|read\s+(?:and|&|n)\s+review|vote|comment|leave\s+a\s+(?:review|"
    r"comment)|don'?t\s+forget\s+to\s+(?:review|vote|comment)|thanks?\s+(?:you\s+)?(?:so\s+much\s+)?for\s+reading)"
    r"(?:\s+(?:and|&)\s+(?:review|vote|comment|follow|favou?rite))*(?:\s+please)?[\W_]*$", re.IGNORECASE)
_DEDICATION = re.compile(_LEAD + r"(?:this\s+(?:chapter|story|fic|one)\s+is\s+)?dedicated\s+to\b", re.IGNORECASE)
# The words of a writer talking to readers: what an author's note runs on with, never a story's narration.
_CHATTY = re.compile(r"\b(?:you\s+guys|guys|review(?:s|ed|ers?|ing)?|shout[- ]?outs?|ch\.?\s?\d+|update[sd]?|"
                     r"updating|chapters?|fics?|"
                     r"readers?|lol|omg|thanks|thank\s+you|beta|kudos|comments?|follows?|favou?rites?|hiatus|"
                     r"wattpad|tumblr|ao3|enjoy)\b|!!|[:;]-?[)D(P]|<3", re.IGNORECASE)
# Speech in a paragraph: double quotes, or a single curly one opening it.
_SPEECH = re.compile("[\"\u201c\u201d\u00ab\u00bb\u201e]|(?:^|\\s)\u2018")
# A writer speaking to readers, never a story's narration: "you guys", "u", "lol", "!!", ":)", "<3".
_ADDRESS = re.compile(r"\b(?:you|u|ya|y'?all|guys|lol|omg)\b|!!|[:;]-?[)D(P]|<3", re.IGNORECASE)
_PAST = (r"(?:was|were|had|\w{2,}ed|said|went|came|took|made|got|saw|knew|thought|felt|found|gave|told|left|ran|sat|"
         r"stood|heard|began|brought|kept|held|wrote|read|fell|woke|spoke|rose|stayed|put|set|let)")
# Someone in the past tense: "Harry read", "she thanked", "the roads were" (a name, he, she, they, or "the" thing).
_NARRATION = re.compile(r"(?:^|(?<=[\s(]))(?:[Hh]e|[Ss]he|[Tt]hey|(?P<name>[A-Z][a-z]+)|[Tt]he\s+[a-z]+)\s+" + _PAST
                        + r"\b")
RUN_ON = 2
"""An author's note runs on for at most this many paragraphs after the one that says it is one."""


def note_kind(text: str) -> str | None:
    """NOTE, DISCLAIMER, PLEA or DEDICATION when a paragraph is a writer's words around the story, else None.

    A paragraph that opens with a quote mark is somebody speaking, never a note."""
    text = text.strip()
    if not text or text[0] in _QUOTES:
        return None
    if _NOTE.match(text):
        return NOTE
    if _DISCLAIMER.match(text) or _disclaims(text):
        return DISCLAIMER
    if len(text.split()) <= 12 and _PLEA.match(text):
        return PLEA
    if _DEDICATION.match(text) and len(text.split()) <= 40:
        return DEDICATION
    return None


def _disclaims(text: str) -> bool:
    """Does a paragraph disown the story's world as a writer does ("I don't own Harry Potter", "All rights belong
    to J.K. Rowling"), not as a story's someone says he owns nothing ("I don't own this house, but ...")?"""
    if _SPOKEN.search(text):
        return False
    if _DISOWNED.match(text) or _OWNED.match(text):
        return True
    m = _DISOWNED_ALL.match(text)
    rest = text[m.end():] if m else ""
    return m is not None and (not rest or _disclaims(rest))


def _chatty(text: str) -> bool:
    """A paragraph of a writer talking to readers, that an author's note runs on with: chatty words, nobody speaking
    in quotes, and no story told in it ("Thanks to the storm, the roads were closed.", "Harry read the chapter
    twice.") unless it speaks to the readers ("you guys", ":)", "!!") too."""
    if _SPEECH.search(text) or not _CHATTY.search(text):
        return False
    return _ADDRESS.search(text) is not None or not _narrates(text)


def _narrates(text: str) -> bool:
    """Does a paragraph tell of someone in the past tense ("Harry read", "she thanked", "the roads were")? A writer's
    own "I" and "we", and "it was", do not count: they are a note's ("It was so fun to write!")."""
    return any(m.group("name") is None or m.group("name").lower() not in STOP_CAPS  # "Thanks", "Sorry": no one
               for m in _NARRATION.finditer(text))


def author_notes(paras: list[str | None]) -> set[int]:
    """Indices of the paragraphs of one chapter (None for a scene break) that are not its story: the notes,
    disclaimers, pleas and dedications it opens or closes with (an author's note with the chatty paragraphs it
    runs on with), and any paragraph in between that says it is an author's note ("A/N: ...")."""
    drop: set[int] = set()
    n = len(paras)
    i = 0
    breaks: list[int] = []  # scene breaks between the notes and the story go with the notes
    while i < n:  # the opening: breaks and a chapter's title line pass, notes go, the story stops it
        text = paras[i]
        if text is None or is_chapter_title(text) and len(text) <= 80:
            if text is None:
                breaks.append(i)
            i += 1
            continue
        kind = note_kind(text)
        if kind is None:
            break
        drop.add(i)
        i += 1
        if kind == NOTE:
            i = _run_on(paras, i, drop)
    if drop:
        drop.update(breaks)
    breaks = []
    end = n
    closing = False
    while end > i:  # the close, from the last paragraph back
        text = paras[end - 1]
        if text is None:
            breaks.append(end - 1)
            end -= 1
            continue
        if note_kind(text) is not None:
            drop.add(end - 1)
            end -= 1
            closing = True
            continue
        # Chatty paragraphs after an author's note near the end are its own ("A/N: Thanks!" / "Shout out to ...").
        k = end - 1
        while k > max(i, end - 1 - RUN_ON) and paras[k] is not None and note_kind(paras[k]) is None \
                and _chatty(paras[k]):
            k -= 1
        if k < end - 1 and paras[k] is not None and note_kind(paras[k]) == NOTE:
            drop.update(range(k, end))
            end = k
            closing = True
            continue
        break
    if closing:
        drop.update(breaks)
    for k in range(i, end):
        if paras[k] is not None and _NOTE_ANYWHERE.match(paras[k]) and paras[k].strip()[:1] not in _QUOTES:
            drop.add(k)
    return drop


def _run_on(paras: list[str | None], i: int, drop: set[int]) -> int:
    """After an author's note at paras[i - 1]: the chatty paragraphs it runs on with (or to the one closing its
    bracket, "(A/N: ..." ... "...enjoy!)") join it in `drop`; the index after them."""
    opened = paras[i - 1].lstrip()[:1] in "(["
    closer = ")" if paras[i - 1].lstrip()[:1] == "(" else "]"
    if opened and closer not in paras[i - 1]:
        for k in range(i, min(len(paras), i + RUN_ON + 1)):
            if paras[k] is not None and paras[k].rstrip().endswith(closer):
                drop.update(range(i, k + 1))
                return k + 1
    k = i
    while k < min(len(paras), i + RUN_ON) and paras[k] is not None and note_kind(paras[k]) is None \
            and _chatty(paras[k]):
        drop.add(k)
        k += 1
    return k
