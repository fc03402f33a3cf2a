"""A whole novel in one plain-text file (a Project Gutenberg .txt): its chapter headings, title page and licence."""

from __future__ import annotations

import re
from collections.abc import Callable

from .markup import BREAK, HEADING, PARA, PG_START, SCENE_BREAK_TEXT, Block, Document, mark_boilerplate
from .reading import ROMAN, roman_value
from .segment import is_scene_break
from .sources import LANGUAGE_NAMES
from .structure import MINOR_WORDS

_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred first second third fourth "
    "fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth "
    "seventeenth eighteenth nineteenth twentieth thirtieth fortieth fiftieth last")
_WORD_NUMBER = r"(?i:(?:the\s+)?(?:" + "|".join(_NUMBER_WORDS.split()) + r")(?:[-\s](?:" + "|".join(
    _NUMBER_WORDS.split()) + r"))?)"
# Roman numerals in capitals only: "Letter I wrote" and "chapter mix" are sentences.
_NUMBER = r"(?:[IVXLCDM]+|[ivxlcdm]+(?=\.?$)|\d{1,3}|" + _WORD_NUMBER + r")"
# "CHAPTER I.", "CHAPTER I. THE WEDDING", "Chapter 1: Away", "CHAPTER THE FIRST", "Chapter Twenty-One"
_CHAPTER_LINE = re.compile(r"^(?:CHAPTER|Chapter|CHAP\.|Chap\.|STAVE|Stave|LETTER|Letter)\s+" + _NUMBER
                           + r"\b\.?(?:\s*[.:\u2014\u2013-]?\s+(?P<title>\S.{0,78}))?$")
_PART_LINE = re.compile(r"^(?:BOOK|Book|PART|Part|VOLUME|Volume|VOL\.|Vol\.)\s+" + _NUMBER
                        + r"\b\.?(?:\s*[.:\u2014\u2013-]?\s+(?P<title>\S.{0,78}))?$")
_NAMED_LINE = re.compile(r"^(?:THE |The )?(?:PREFACE|Preface|PROLOGUE|Prologue|EPILOGUE|Epilogue|INTRODUCTION|Introduction|"
                         r"FOREWORD|Foreword|AFTERWORD|Afterword|CONCLUSION|Conclusion)\.?$")
_BARE_NUMBER = re.compile(r"^(?:[IVXLC]{1,7}|\d{1,3})\.?$")
_MATTER_LINE = re.compile(r"^(?:CONTENTS|Contents|TABLE OF CONTENTS|Table of Contents|FOOTNOTES|Footnotes|NOTES|"
                          r"ILLUSTRATIONS|LIST OF ILLUSTRATIONS|List of Illustrations|INDEX)[.:]?$")
_PRODUCED = re.compile(r"(?i)^(?:produced by|e-?text prepared by|transcribed by|this e-?book was)\b")
_META = re.compile(r"^(Title|Author|Language|Translator):\s*(.+)$", re.MULTILINE)
_BLANK = re.compile(r"\n[ \t\r\f\v]*\n")
_NOTE_OPEN = re.compile(r"\[(?:Illustration|ILLUSTRATION|Footnote|FOOTNOTE|Sidenote|SIDENOTE|Transcriber|TRANSCRIBER|"
                        r"Note|NOTE)\b")
_SMALL = frozenset("a an the of and or in on at to for by with from as but nor".split())
_ROMAN_WORD = re.compile(r"^" + ROMAN + r"[.:]?$")
TITLE_LINE_WORDS = 15
"""A title page's lines are no longer than this ("EMMA", "By Jane Austen", "To my mother")."""


def _kind(line: str) -> tuple[int, str] | None:
    """(level, how) when a one-line paragraph is a heading: 1 for a part, 2 for a chapter; None otherwise."""
    if len(line) > 90:
        return None
    m = _PART_LINE.match(line)
    if m and _title_ok(m.group("title")):
        return 1, "part"
    m = _CHAPTER_LINE.match(line)
    if m and _title_ok(m.group("title")):
        return 2, "chapter"
    if _NAMED_LINE.match(line):
        return 2, "named"
    if _BARE_NUMBER.match(line):
        return 2, "number"
    return None


def line_kind(line: str) -> tuple[int, str] | None:
    """(level, how) when a paragraph of one line reads as a heading in a plain-text book ("Chapter 1: New Girl",
    "PART TWO", "Prologue"): 1 for a part, 2 for a chapter; None for anything else, bare numbers too ("IV.": only
    a whole book numbered so makes them chapters)."""
    kind = _kind(line)
    return kind if kind and kind[1] != "number" else None


def _title_ok(title: str | None) -> bool:
    # "Chapter one of my life was over." is prose that starts with the words, not a heading; "CHAPTER I. A
    # BOARDING SCHOOL." in capitals is one.
    if title is None:
        return True
    title = title.rstrip()
    return len(title.split()) <= 12 and not title.endswith((",", ";")) and (
        title.isupper() or not title.endswith((".", "!", "?")) or _title_cased(title))


def _title_cased(text: str) -> bool:
    """ "Where Is Tom?" is a title; "of my life was over." is a sentence: most longer words capitalised."""
    long = [w for w in re.findall(r"[A-Za-z']+", text) if len(w) > 3]
    return bool(long) and sum(w[0].isupper() for w in long) * 5 >= len(long) * 3


def _title_line(text: str) -> bool:
    """A chapter's own title on the line after its number ("THE WEDDING"): short, no sentence."""
    if "\n" in text or len(text) > 70 or text.endswith((",", ";", '"', "\u201d")):
        return False
    if text.isupper():
        return True  # "A BOARDING SCHOOL.": set in capitals, a title even with its full stop
    return not text.endswith((".", "?", "!")) and all(w[:1].isupper() for w in text.split() if len(w) > 3)


def plain_document(text: str, name: str) -> tuple[Document, int]:
    """The blocks of a plain-text book, and how many chapter headings it has (0 or 1: a single chapter)."""
    meta = {}
    start = PG_START.search(text)
    if start:
        for m in _META.finditer(text[:start.start()]):
            meta[m.group(1).lower()] = " ".join(m.group(2).split())
    paragraphs = [p.strip("\n") for p in _BLANK.split(text.replace("\r\n", "\n"))]
    paragraphs = [p for p in paragraphs if p.strip()]
    blocks: list[Block] = []
    kinds: list[tuple[int, str] | None] = []
    paragraphs = _without_notes(paragraphs)
    for para in paragraphs:
        lines = [ln.strip() for ln in para.split("\n") if ln.strip()]
        one = " ".join(lines)
        kind = _kind(one) if len(lines) == 1 else None
        if kind is None and len(lines) >= 2 and all(_kind(ln) for ln in lines):
            # A contents list printed line by line: not read.
            blocks.append(Block(PARA, one, matter="toc"))
            kinds.append(None)
            continue
        if is_scene_break(one):
            blocks.append(Block(BREAK, SCENE_BREAK_TEXT))
        elif _MATTER_LINE.match(one):
            blocks.append(Block(HEADING, one.rstrip(".:"), 2))
        elif kind is not None:
            blocks.append(Block(HEADING, _title_case(one), kind[0]))
        else:
            blocks.append(Block(PARA, one))
        kinds.append(kind)
    gutenberg = start is not None
    _bare_numbers(blocks, kinds, gutenberg)
    _titles_after_numbers(blocks, kinds)
    _contents_lists(blocks, kinds)
    mark_boilerplate(blocks)
    chapters = sum(1 for b, k in zip(blocks, kinds)
                   if k and k[0] == 2 and k[1] != "title" and b.matter is None and b.kind == HEADING)
    if gutenberg and chapters >= 2:
        # Between Gutenberg's header and the first heading: "Produced by ...", the title page, "AUTHOR OF ...",
        # a dedication. Not the story; prose there (a preface under a heading of its own words) is read.
        for b in blocks:
            if b.kind == HEADING and b.matter is None:
                break
            if b.kind == PARA and (_title_page_line(b.text) or _PRODUCED.match(b.text)):
                b.matter = b.matter or "titlepage"
    _title_page(blocks)
    header = None if gutenberg else title_byline(text.split("\n"))
    if header:
        # "The Winter Court" / "By: midnight_ravenclaw_77": the book's title and author, not the story.
        upto = len([p for p in _BLANK.split("\n".join(text.split("\n")[:header[2]])) if p.strip()])
        for b in blocks[:upto]:
            b.matter = b.matter or "titlepage"
        meta.setdefault("title", header[0])
        meta.setdefault("author", header[1])
    title = meta.get("title", "")
    doc = Document(name, blocks, {}, title, LANGUAGE_NAMES.get(meta.get("language", "").strip().lower(), ""), {
        "author": meta.get("author", "")} if meta.get("author") else {})
    return doc, chapters


def _without_notes(paragraphs: list[str]) -> list[str]:
    """The paragraphs without Project Gutenberg's bracketed notes ([Illustration: ...], [Footnote 2: ...],
    [Sidenote: ...], [Transcriber's Note: ...]): only the note goes, the words around it stay. A caption may run
    over two or three paragraphs ("[Illustration: ..." / "[_Page 23_]]"); a bracket never closed takes only its
    own paragraph."""
    out: list[str] = []
    k = 0
    while k < len(paragraphs):
        para, changed = paragraphs[k], False
        k += 1
        while (m := _NOTE_OPEN.search(para)) is not None:
            changed = True
            end = _closing([para, *paragraphs[k:k + 2]], m.start())
            if end is None:  # never closed: this paragraph's note, from its bracket on
                para = para[:m.start()]
                break
            last, close = end
            tail = (para if last == 0 else paragraphs[k + last - 1])[close:]
            k += last  # the paragraphs the note ran over
            para = para[:m.start()] + " " + tail  # and again: it may hold another note
        if changed:
            para = re.sub(r"[ \t]{2,}", " ", para.strip())
        if para.strip():
            out.append(para)
    return out


def _closing(texts: list[str], at: int) -> tuple[int, int] | None:
    """(index of the text in `texts` where the bracket opened at texts[0][at] closes, offset just after its
    "]"); None when it does not close in them."""
    depth = 0
    for j, text in enumerate(texts):
        for pos in range(at if j == 0 else 0, len(text)):
            if text[pos] == "[":
                depth += 1
            elif text[pos] == "]":
                depth -= 1
                if depth == 0:
                    return j, pos + 1
    return None


def _bare_numbers(blocks: list[Block], kinds: list, gutenberg: bool) -> None:
    """Bare numbers ("IV.", "3.") are chapters in a book numbered so throughout (three or more, counting up from
    one, each over text); under chapter headings they are sections; otherwise they are just text."""
    at = [i for i, k in enumerate(kinds) if k and k[1] == "number"]
    if not gutenberg and any(blocks[i].text[:1].isdigit() for i in at):
        at_roman = [i for i in at if not blocks[i].text[:1].isdigit()]
        for i in set(at) - set(at_roman):  # "1.", "2.": a story's scenes, numbered; read as they are
            blocks[i] = Block(PARA, blocks[i].text)
            kinds[i] = None
        at = at_roman
    values = [_value(blocks[i].text) for i in at]
    counted = len(at) >= 3 and values == list(range(1, len(at) + 1)) and all(
        i + 1 < len(blocks) and blocks[i + 1].kind == PARA for i in at)
    titled = any(k and k[1] == "chapter" for k in kinds)
    for i in at:
        if counted and titled:
            blocks[i] = Block(HEADING, blocks[i].text, 3)
            kinds[i] = (3, "number")
        elif not counted:
            blocks[i] = Block(PARA, blocks[i].text)
            kinds[i] = None


def _value(text: str) -> int:
    number = text.rstrip(".")
    return int(number) if number.isdigit() else roman_value(number)


def _titles_after_numbers(blocks: list[Block], kinds: list) -> None:
    """"CHAPTER I." then "THE WEDDING": the second line is the chapter's title, a heading with it."""
    for i in range(len(blocks) - 1):
        k = kinds[i]
        if (k and k[1] in ("chapter", "number", "part") and blocks[i].kind == HEADING and kinds[i + 1] is None
                and blocks[i + 1].kind == PARA and _title_line(blocks[i + 1].text)):
            blocks[i + 1] = Block(HEADING, _title_case(blocks[i + 1].text), blocks[i].level)
            kinds[i + 1] = (blocks[i].level, "title")


def _contents_lists(blocks: list[Block], kinds: list) -> None:
    """Chapter headings with no text before the next chapter heading are a contents list printed one entry per
    paragraph ("CHAPTER I. THE WEDDING", "CHAPTER II. ..."), not chapters: not read, with a "Contents" above."""
    _heading_runs(blocks, kinds)
    for blk in blocks:
        if blk.kind == HEADING and _MATTER_LINE.match(blk.text) and re.match(r"(?i)(table of )?contents", blk.text):
            blk.matter = "toc"


def _heading_runs(blocks: list[Block], kinds: list) -> None:
    """Chapter headings with no text between them are a contents list: not read."""
    heads = [i for i, k in enumerate(kinds) if k and k[0] == 2 and k[1] != "title"]
    for a, b in zip(heads, heads[1:]):
        if not any(blocks[j].kind == PARA and blocks[j].matter is None for j in range(a + 1, b)):
            for j in range(a, b):
                blocks[j].matter = "toc"
                kinds[j] = None


def line_headings(blocks: list[Block], kinds: list) -> None:
    """What a plain-text book makes of its one-line headings (`kinds`: from line_kind, None for other blocks),
    for other sources whose paragraphs say "Chapter 1": a title line right after one is its title; several with
    no text between are a contents list, not read."""
    _titles_after_numbers(blocks, kinds)
    _heading_runs(blocks, kinds)


def opens_with_prose(doc: Document) -> bool:
    """Does a story's opening scene come before the first heading: dialogue ('"Wake up." "No."'), too short to be
    kept as a chapter of its own (under MINOR_WORDS)? A title page, a dedication, a copyright line, a contents
    list or an epigraph there are not (they are not read, as in an EPUB)."""
    lead = []
    for b in doc.blocks:
        if b.kind == HEADING and b.matter is None:
            break
        if b.kind == PARA and b.matter is None:
            lead.append(b.text)
    said = [t for t in lead if t[:1] in "\"\u201c\u2018'"]
    attributed = any(t.startswith(("\u2014", "--", "\u2013")) for t in lead)  # an epigraph's "-- Shakespeare"
    return len(said) >= 2 and not attributed and sum(len(t.split()) for t in lead) < MINOR_WORDS


def _title_page_line(text: str) -> bool:
    # Not a quotation: double quotes anywhere, or a single one opening the line ("\u2018Wake up.\u2019"; an
    # apostrophe inside, "THE PILGRIM\u2019S TALE", is a title's).
    return len(text.split()) <= TITLE_LINE_WORDS and not any(q in text for q in "\"\u201c\u201d") and (
        text[:1] not in "'\u2018") and (
        text.isupper() or not text.endswith((".", "!", "?")) or len(text.split()) <= 6)


def _title_page(blocks: list[Block]) -> None:
    """The few short lines that open the text right before its first heading (title, author, a dedication) are
    the title page: not read. Short lines that prose follows ("Rain." then the story) are its opening: read."""
    lines = []
    for b in blocks:
        if b.matter is not None:
            continue
        if b.kind == PARA and _title_page_line(b.text):
            lines.append(b)
            continue
        if b.kind == HEADING:
            for line in lines:
                line.matter = "titlepage"
        return


def _title_case(text: str) -> str:
    """A heading set in capitals as a title is written ("CHAPTER IV. MARTHA'S DAY" -> "Chapter IV. Martha's Day"):
    podcast apps and players show it. Roman numerals stay as they are; other headings are left alone."""
    if not text.isupper():
        return text
    words = text.split()
    out = []
    for k, w in enumerate(words):
        if _ROMAN_WORD.match(w):
            out.append(w)
        elif k and w.lower() in _SMALL and not out[-1].endswith((".", ":")):
            out.append(w.lower())
        else:
            out.append(w[:1] + w[1:].lower())
    return " ".join(out)



_BYLINE = re.compile(r"^(?:(?:written\s+)?by(?:\s*:\s*|\s+)|author\s*:\s*)(?P<author>\S.*)$", re.IGNORECASE)
_NOT_NAME = frozenset("the a an this that these those my his her their our your its now then which way".split())
# Words a sentence is made of and no name has: "By midnight the snow had", "by then it was over".
_SENTENCE_WORDS = frozenset("""a an the this that these those my his her their our your its it he she they we i you me
    him us them who what which was were is are am be been being had has have do did does will would could should can
    may might must shall not no or but nor so yet if then than when while as at in on of to from for with into onto
    upon over under after before about through until since there here now all some every each just only still even
    also very too up down out off away back again time way""".split())
# Lower-case words of a name: "Daphne du Maurier", "Ludwig van Beethoven".
_PARTICLES = frozenset("de du da di del della der den van von la le bin ibn al el y".split())
_AND = frozenset(("and", "&"))
BYLINE_WORDS = 5
"""A byline's author has at most this many words ("J. R. R. Tolkien", "Terry Pratchett and Neil Gaiman")."""
# A header's field under the byline, in the same paragraph: "Rated: T", "Summary: ...", "Fandom: Harry Potter".
_FIELD = re.compile(r"^[A-Z][A-Za-z' ]{0,24}:\s*\S")


def title_byline(lines: list[str], shown: Callable[[str], str] = str.strip) -> tuple[str, str, int] | None:
    """(title, author, index of the line after the byline) when a text opens with a short title line and a
    'By: X' / 'by X' / 'written by X' / 'Author: X' line under it, as fan fiction is saved ("The Winter Court" /
    "By: midnight_ravenclaw_77"); None otherwise. `shown` turns a raw line into the words it shows (Markdown's)."""
    found = [(k, shown(ln)) for k, ln in enumerate(lines[:12]) if ln.strip()][:2]
    if len(found) < 2:
        return None
    (_, title), (k, by) = found
    m = _BYLINE.match(by)
    if not m or _BYLINE.match(title) or not _header_title(title):
        return None
    author = m.group("author").strip()
    if not _name_like(author) or not _ends_paragraph(lines, k, shown):
        return None  # "By midnight the snow had" / "covered the road": the story's first sentence
    return title, author, k + 1


def _name_like(author: str) -> bool:
    """Does a byline's rest read as a name or a handle ("Jane Doe", "J. R. Hartley", "some_ao3_user", "jane doe"),
    not as the rest of a sentence ("the time I got home, it was dark.", "midnight the snow had")?"""
    words = author.split()
    if (len(words) > BYLINE_WORDS or len(author) > 60 or words[0].lower() in _NOT_NAME
            or not re.search(r"\w", author) or author.endswith((",", ";", ":", "!", "?")) or "," in author
            or author.endswith(".") and not re.search(r"\b[A-Z]\.$", author)):
        return False
    joined = [w for w in words if w.lower() in _AND]
    names = [w for w in words if w.lower() not in _AND]
    if joined and (words[0] in joined or words[-1] in joined or not all(_proper(w) for w in names)):
        return False  # "Terry Pratchett and Neil Gaiman" are two; "midnight and dawn" is a phrase
    plain = [w for w in names if not _proper(w) and w not in _PARTICLES]
    if any(w.lower() in _SENTENCE_WORDS for w in plain):
        return False
    # A name written in lower case is all lower case ("jane doe"); a few lower-case words among capitalised ones
    # ("Morning came", "midnight Harry") are a sentence.
    return not plain or len(plain) == len(names)


def _proper(word: str) -> bool:
    """A word written as a name's ("Jane", "J.", "O'Neil") or a handle's ("some_ao3_user", "xXLunaXx", "r2d2")."""
    return word[:1].isupper() or bool(re.search(r"[\d_@]|[a-z][A-Z]", word))


def _ends_paragraph(lines: list[str], k: int, shown: Callable[[str], str]) -> bool:
    """Does the byline at lines[k] end its paragraph (or run on only into a header's fields or a chapter heading),
    not a sentence wrapped onto the next line?"""
    after = shown(lines[k + 1]) if k + 1 < len(lines) else ""
    if not after.strip() or _FIELD.match(after) or _kind(after) is not None:
        return True
    if after[:1].islower():
        return False  # "By midnight the snow had" / "covered the road ..."
    # A text of blank-line paragraphs: a line under the byline is its paragraph's; one paragraph a line: its own.
    return not any(not ln.strip() for ln in lines)


def _header_title(text: str) -> bool:
    # Short, no sentence, nobody speaking, no chapter heading ("Chapter 1" / "by the river" is a story's).
    return (0 < len(text) <= 80 and len(text.split()) <= 12 and re.search(r"\w", text) is not None
            and not text.endswith((".", ",", ";", ":")) and not any(q in text for q in "\"\u201c\u201d")
            and text[:1] not in "'\u2018" and _kind(text) is None)
