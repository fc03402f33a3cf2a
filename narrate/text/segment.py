"""Segmentation stage: chapter text -> ordered narration/dialogue segments with offsets."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..model import DIALOGUE, NARRATION, Segment
from .chat import chat_messages, chat_spans

DOUBLE_MARKS = '"\u201c\u201d\u201e\u00ab\u00bb'
SINGLE_MARKS = "'\u2018\u2019\u201a"
QUOTE_MARKS = DOUBLE_MARKS + SINGLE_MARKS
# Curly marks say which way they face; straight ones are judged by their neighbours.
_OPEN_HINT = "\u201c\u201e\u00ab\u2018\u201a"
_CLOSE_HINT = "\u201d\u00bb\u2019"
_LEFT_BOUNDARY = "([{<\u2014\u2013-/" + QUOTE_MARKS
_RIGHT_BOUNDARY = ")]}>,.;:!?\u2014\u2013-\u2026/" + QUOTE_MARKS
# Words that start with an apostrophe in old or dialect spelling ('Tis, 'em, 'till).
_ELISIONS = frozenset(
    "tis twas twill twere twould em till til cause cos n ere im er un ave ow".split()
)
# Words cut short at their end in dialect spelling (o' winder, th' mill, goin' home).
_TRAILING_ELISIONS = frozenset("o th an wi fro t ol i".split())
# Clause punctuation that ends spoken words; a quoted phrase without it, embedded in a
# sentence after a plain word, is a title or scare quote ("a 'let's go' kind of guy").
_SPEECH_END = ",.;:!?\u2026\u2014\u2013-"
_SPEECH_LEADS = frozenset(
    """said says say saying asked asks cried cries whispered whispers replied replies answered
    answers exclaimed shouted yelled called muttered murmured added began continued repeated
    thought thinks sang sighed screamed begged pleaded demanded went announced remarked observed
    returned rejoined interrupted quoted""".split()
)

_HYPOTHETICAL = re.compile(r"[,\s]*(?:would|might|could|will)\s+(?:sound|look|read|seem)\b")
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")
_PARA_SEP_BLANK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_PARA_SEP_LINE = re.compile(r"\n\s*")
_DOUBLE_RE = re.compile("[" + re.escape(DOUBLE_MARKS) + "]")
_SINGLE_RE = re.compile("[" + re.escape(SINGLE_MARKS) + "]")
_WORD_RE = re.compile(r"\w")
_LAST_WORD = re.compile(r"(\w+)\W*$")
# A paragraph made only of these marks is a scene break ("* * *", "###", "~~~", "\u2042", "\u2767").
_MARKS = "*#~=_\\-\u2022\u00b7+\u00a7\u2042\u2766\u2767\u2731\u273b\u2740"
_SCENE_BREAK = re.compile(r"^\s*(?:[" + _MARKS + r"]\s*){1,}$")
# Fan fiction's dividers of letters ("-x-x-x-", "oOoOoOo", "xXxXx", "o0o0o", "XoXoX", "~oOo~"): o, O, 0, x and X
# with marks or dots between; see _is_letter_divider for when they are no word.
_LETTER_DIVIDER = re.compile(r"^[\s." + _MARKS + r"]*(?:[oO0xX][\s." + _MARKS + r"]*){2,}$")
_CASE_TURN = re.compile(r"(?<=[a-z0])(?=[A-Z])|(?<=[A-Z0])(?=[a-z])")


def is_scene_break(text: str) -> bool:
    """Whether a paragraph's text is a scene break: marks only, no words ("* * *", "~*~*~", "-x-x-x-", "oOoOo").
    Faces ("O.O", "o_O", "x.x", "-_-") and sign-offs ("XoXo") are someone's words, read."""
    line = text.strip()
    if not line:
        return False
    if _SCENE_BREAK.match(line):
        # "-_-", "=_=": two eyes and a mouth drawn in marks, a reaction; "-*-", "___" and "~~~" divide.
        return re.fullmatch(r"([^\w\s])_+\1", line) is None
    if not _is_letter_divider(line):
        return False
    letters = [c for c in line if c in "oO0xX"]
    marks = [c for c in line if not c.isspace() and c not in "oO0xX"]
    if len(letters) < 3 and len(marks) < 3:
        return False  # "O.O", "o_O", "x.x": a face; a divider repeats its unit thrice ("oOo", "-o-o-", "* x * x *")
    kinds = {c.lower().replace("0", "o") for c in letters}
    # Hugs and kisses ("XoXo", "xOxOxO") sign off a letter; a divider of x's and o's reads the same both ways
    # ("XoXoX", "~xOx~"), as it is typed to sit centred between scenes.
    return kinds != {"x", "o"} or letters == letters[::-1]


def _is_letter_divider(text: str) -> bool:
    """A row of o's and x's that no one says: its letters turn case at least twice ("xXx", "OoO", "XoXoX"), mix o
    with 0 ("o0o0o") or stand apart between marks ("-x-x-", "o.o.o"), three symbols or more. Kisses ("xxx",
    "Xxx", "XOXO"), "Ooo" and "OOO" are words someone writes, and are read."""
    if len(text) < 3 or not _LETTER_DIVIDER.match(text):
        return False
    letters = [c for c in text if c in "oO0xX"]
    if not any(c in "oOxX" for c in letters):
        return False  # "0-0-0": a score, a number
    apart = re.search(r"[oO0xX][^oO0xX]*[^oO0xX\s][^oO0xX]*[oO0xX]", text) is not None
    zeros = "0" in letters and any(c in "oO" for c in letters)
    turns = sum(1 for a, b in zip(letters, letters[1:]) if a.isupper() != b.isupper() and "0" not in (a, b))
    return apart or zeros or turns >= 2


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph; each includes the whitespace that follows it.

    Paragraphs are separated by blank lines, or by single newlines when the text has no
    blank line at all (one paragraph per line).
    """
    if not text:
        return []
    sep = _PARA_SEP_BLANK if _BLANK_LINE.search(text) else _PARA_SEP_LINE
    spans: list[tuple[int, int]] = []
    start = 0
    for m in sep.finditer(text):
        if m.end() == len(text) or m.start() == 0:
            continue  # trailing or leading whitespace belongs to the edge paragraph
        spans += _unwrapped(text, start, m.end()) if sep is _PARA_SEP_BLANK else [(start, m.end())]
        start = m.end()
    spans += _unwrapped(text, start, len(text)) if sep is _PARA_SEP_BLANK else [(start, len(text))]
    return spans


_MIN_WRAPPED_LINES = 8
_SHORT_LINE = 0.75  # of the block's long lines: a paragraph's last line, in hard-wrapped text
_ENDS_PARAGRAPH = tuple('.!?:"\u201d\u2019\'')


def _unwrapped(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A chat log's lines, each a paragraph; a long block of hard-wrapped lines with no blank line between its paragraphs (text copied
    from a scan or a PDF) split where a paragraph ends: after a line well short of the others
    that ends a sentence. A block of a few lines, or of lines all alike, stays one paragraph."""
    chat = chat_spans(text, start, end)
    if chat:
        return chat  # a chat log: a message a paragraph
    block = text[start:end]
    lines = block.split("\n")
    if len(lines) < _MIN_WRAPPED_LINES:
        return [(start, end)]
    widths = sorted(len(ln.rstrip()) for ln in lines if ln.strip())
    if not widths:
        return [(start, end)]
    full = widths[int(len(widths) * 0.9) - 1 if len(widths) > 1 else 0]
    if full < 30:
        return [(start, end)]  # verse or a list: short lines are its form, not paragraph ends
    spans, at, pos = [], start, start
    for k, line in enumerate(lines[:-1]):
        pos += len(line) + 1
        body = line.rstrip()
        if body and len(body) < _SHORT_LINE * full and body.endswith(_ENDS_PARAGRAPH) and lines[k + 1].strip():
            spans.append((at, pos))
            at = pos
    spans.append((at, end))
    return spans


def dialogue_style(text: str) -> str:
    """"double" or "single": which quote marks this text uses for speech."""
    doubles = len(_DOUBLE_RE.findall(text))
    single_opens = 0
    for m in _SINGLE_RE.finditer(text):
        i = m.start()
        if _role(text, i, m.group(), 0, single=True) == "open":
            single_opens += 1
    return "single" if single_opens >= 2 and single_opens > doubles else "double"


def _role(text: str, i: int, mark: str, depth: int, single: bool) -> str:
    """'open', 'close' or 'skip' for the quote mark at text[i], given the nesting depth."""
    prev = text[i - 1] if i > 0 else ""
    nxt = text[i + 1] if i + 1 < len(text) else ""
    if single:
        if prev.isalnum() and nxt.isalnum():
            return "skip"  # don't, that'h, Joth'phine
        if mark != "\u2018" and (not prev or prev.isspace() or prev in _LEFT_BOUNDARY):
            word = _leading_word(text, i + 1)
            if word in _ELISIONS:
                return "skip"  # 'Tis, 'em
        if (prev.isalnum() and nxt.isspace() and i + 2 < len(text)
                and (text[i + 2].islower() or text[i + 2].isdigit())
                and (prev in "sS" or _trailing_word(text, i) in _TRAILING_ELISIONS)):
            return "skip"  # plural possessive or elision: days' journey, o' winder
    left = not prev or prev.isspace() or prev in _LEFT_BOUNDARY
    right = not nxt or nxt.isspace() or nxt in _RIGHT_BOUNDARY
    can_open = bool(nxt) and not nxt.isspace() and left and nxt not in ",.;:!?)"
    can_close = bool(prev) and (not prev.isspace() or depth > 0) and right
    if mark in _OPEN_HINT and not (can_close and not can_open and depth > 0):
        return "open"
    if mark in _CLOSE_HINT:
        if single and depth == 0:
            return "skip"  # an apostrophe outside any quotation
        return "close" if depth > 0 or not can_open else "open"
    if can_open and not can_close:
        return "open"
    if can_close and not can_open:
        return "close" if depth > 0 else "skip"
    return "close" if depth > 0 else "open"


def _trailing_word(text: str, i: int) -> str:
    j = i
    while j > 0 and i - j < 8 and text[j - 1].isalpha():
        j -= 1
    return text[j:i].lower()


def _leading_word(text: str, i: int) -> str:
    j = i
    while j < len(text) and j - i < 8 and text[j].isalpha():
        j += 1
    return text[i:j].lower()


def quote_spans(text: str, start: int, end: int, style: str) -> Iterator[tuple[int, int]]:
    """Spans (excluding marks) of top-level quotations inside one paragraph.

    Nested quotations, in the other or the same mark family, stay inside the outer span.
    A quotation still open at the paragraph's end runs to the end of the paragraph
    (multi-paragraph speeches omit the closing mark).
    """
    single = style == "single"
    marks = _SINGLE_RE if single else _DOUBLE_RE
    depth = 0
    opened = start
    for m in marks.finditer(text, start, end):
        role = _role(text, m.start(), m.group(), depth, single)
        if role == "open":
            if depth == 0:
                opened = m.end()
            depth += 1
        elif role == "close" and depth > 0:
            depth -= 1
            if depth == 0:
                yield opened, m.start()
    if depth > 0:
        yield opened, end


def _is_speech(text: str, para_start: int, qs: int, qe: int) -> bool:
    """False for quoted titles, scare quotes and empty marks; True for spoken words."""
    inner = text[qs:qe]
    if not _WORD_RE.search(inner):
        return False
    if _HYPOTHETICAL.match(text, qe + 1):
        return False  # a sentence imagined, not said: "..." would sound extremely well
    if _mentions_words(text[max(para_start, qs - 300):max(para_start, qs - 1)]) and not _tag_follows(text, qe):
        return False  # "... no word but flirtation could describe. "X and Y flirted."": words quoted as an example
    stripped = inner.rstrip()
    if _is_label(text, para_start, qs, stripped):
        return False
    if stripped and stripped[-1] in _SPEECH_END:
        return True
    if len(stripped.split()) <= 4 and _RUNS_ON.match(text, qe + 1) and not _tag_follows(text, qe) \
            and not _after_speech_lead(text, para_start, qs):
        return False  # the sentence runs on through it: "as the phrase goes, "followed the sea" with ..."
    if qe - qs > 80 or inner.count(" ") > 9:
        return True
    before = text[max(para_start, qs - 40):qs - 1].rstrip()
    if not before or not before[-1].isalnum():
        return True  # starts a sentence or follows a comma/colon: speech
    m = _LAST_WORD.search(before)
    return bool(m and m.group(1).lower() in _SPEECH_LEADS)


def _is_label(text: str, para_start: int, qs: int, inner: str) -> bool:
    """A few words quoted in the middle of a sentence, after a plain word: a name, a term or a
    title ("known as "Tuppence."", "what is called "a scene,""), not something said.

    Exclamations and questions stay speech (her gentle "How do you do?"), as do quotations after
    a speaking verb ("and said "Good-night"").
    """
    words = inner.split()
    if not words or any(ch in inner for ch in "?!") or _tag_follows(text, qs + len(inner)):
        return False
    before = text[max(para_start, qs - 60):qs - 1].rstrip()
    letters = [ch for ch in inner if ch.isalpha()]
    if len(letters) > 3 and all(ch.isupper() for ch in letters):
        # A heading or a sign: a board marked "THE BOTTOMS", the banner. "WELCOME HOME." But opening its
        # paragraph, capitals are shouted ("I WILL NOT," he roared).
        return bool(before)
    if not before or not before[-1].isalpha():
        return False
    m = _LAST_WORD.search(before)
    last = m.group(1) if m else ""
    if last.lower() == "called" and len(words) <= 3 and inner[:1].islower():
        return True  # a name for a thing: "it was called "paprika hendl,"", "called "darlin',""
    if last.lower() in _SPEECH_LEADS:
        return False
    capitals = sum(1 for w in words if w[:1].isupper() or w.lower() in _TITLE_SMALL)
    if len(words) >= 2 and capitals == len(words) and any(w[:1].isupper() for w in words[1:]):
        return True  # a title: "Frank on the Mississippi,"
    clause = re.split(r"[.;:!?]", before)[-1].lower().split()[-8:]
    if any(w.strip(",") in _SPEECH_LEADS - {"called"} for w in clause):
        return False  # "replied her brother "how to ...", "Mary said they were "full of lace.""
    # A phrase the sentence runs on through (look out for "the seafaring man"), or a short one.
    return inner[:1].islower() and last.islower() or len(words) <= 3


_RUNS_ON = re.compile(r"[ \t]+(?!(?:he|she|I|they|we|it)\b)[a-z]")
_TITLE_SMALL = frozenset("a an the of on in and or to for at by with as".split())


def _after_speech_lead(text: str, para_start: int, qs: int) -> bool:
    m = _LAST_WORD.search(text[max(para_start, qs - 40):qs - 1].rstrip())
    return bool(m and m.group(1).lower() in _SPEECH_LEADS)


def _tag_follows(text: str, qe: int) -> bool:
    """Is the closing mark at `qe` followed by a speech tag ("said the dying man", "he announced")?"""
    return any(w.strip(",.") in _SPEECH_LEADS for w in text[qe + 1:qe + 40].lower().split()[:3])


_WORDS_NOUN = re.compile(r"\b(?:word|words|phrase|expression|term|describe|described|written|wrote)\b")
_SPEECH_VERB_RE = re.compile(r"\b(?:" + "|".join(sorted(_SPEECH_LEADS)) + r"|spoke|replied|answered|exclaimed)\b")


def _mentions_words(before: str) -> bool:
    """Does the sentence just before a quotation (ended by a full stop) talk about words, not speech?"""
    before = before.rstrip()
    if not before.endswith("."):
        return False
    body = before[:-1]
    cut = max(body.rfind("."), body.rfind("!"), body.rfind("?"), body.rfind('"'))
    sentence = body[cut + 1:]
    return bool(_WORDS_NOUN.search(sentence)) and not _SPEECH_VERB_RE.search(sentence)


# Dialogue dashes (Joyce): a paragraph opening with a dash and a capital is a speech. The speech
# runs to the paragraph's end, or to a speech tag ("--Come up, Kinch, he said."); after the tag
# the paragraph is speech again only if it still talks in the first or second person.
_DASH_OPEN = re.compile(r"[ \t]*(?:--|\u2014|\u2015)[ \t]*(?=[A-Z])")
_SAYING = "said|asked|answered|replied|cried|exclaimed|whispered|shouted|murmured|muttered|called|added|returned"
_DASH_TAG = re.compile(
    r"(?<=[,.!?\u2026])\s+(?:(?:[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?|he|she|I|they|we)\s+(?:[a-z]+ly\s+)?(?:"
    + "|".join(sorted(_SPEECH_LEADS)) + r"|answered|asked|called|cried|said)\b"
    r"|(?:" + "|".join(sorted(_SPEECH_LEADS)) + r")\s+(?:he|she|I|[A-Z][a-z]+)\b"
    # ", said the old man.", ", asked her mother from the kitchen.", ", the waiter said." (verbs that only say:
    # "the old dog went to sleep", "his father thought it was" go on with the speech)
    r"|(?:" + _SAYING + r")\s+(?:the|a|an|his|her|their|my|our)\s+[a-z]"
    r"|(?:the|his|her|their|my|our)\s+(?:[a-z]+\s+){0,2}[a-z]+\s+(?:" + _SAYING + r")(?=[\s,.;!?]))")
_SENTENCE_STOP = re.compile(r"[.!?\u2026](?=\s|$)")
_PERSONAL = re.compile(r"\b(?:I|I'm|I'll|(?i:me|my|you|your|we|us|our))\b")
_TRAILING_DASH = re.compile(r"(?:\s|--|\u2014|\u2015)+$")


def _dash_paragraphs(text: str, spans: list[tuple[int, int]]) -> bool:
    """Does this text mark its dialogue with dashes rather than quotation marks?"""
    dashed = sum(1 for ps, pe in spans if _DASH_OPEN.match(text, ps, pe))
    quoted = sum(1 for ps, pe in spans if text[ps:pe].lstrip()[:1] in QUOTE_MARKS)
    return dashed >= 3 and dashed > quoted


def _dash_spans(text: str, ps: int, pe: int) -> Iterator[tuple[int, int]]:
    """Speech spans of a paragraph that opens with a dialogue dash."""
    m = _DASH_OPEN.match(text, ps, pe)
    start = m.end()
    end = ps + len(_TRAILING_DASH.sub("", text[ps:pe]))
    tag = _DASH_TAG.search(text, start, end)
    if tag is None:
        yield start, end
        return
    yield start, tag.start()
    stop = _SENTENCE_STOP.search(text, tag.end(), end)
    if stop is None:
        return
    rest = stop.end()
    while rest < end and text[rest].isspace():
        rest += 1
    dash = _DASH_OPEN.match(text, rest, end)
    if dash:
        yield dash.end(), end  # "--Ann, she said. --And yours?": a dash opens the speech again (and is not said)
    elif rest < end and _PERSONAL.search(text, rest, end):
        yield rest, end


_WORD_LIKE = re.compile(r"[^\W\d_]+")
_TOLD_WORDS = 12  # a paragraph this long is the story, not a heading


def _indented(text: str, ps: int, pe: int) -> bool:
    """Is every line of the paragraph text[ps:pe] indented (a block quotation, verse, an epigraph)?
    Its first line's indentation is before `ps`, where the blank lines before it end."""
    block = text[ps:pe]
    first = text[text.rfind("\n", 0, ps) + 1:ps] + block[:len(block) - len(block.lstrip(" \t"))]
    lines = [ln for ln in block.split("\n")[1:] if ln.strip()]
    return len(first) >= 2 and not first.strip() and all(ln[:2].strip() == "" for ln in lines)


def split_text(text: str) -> list[Segment]:
    """Split a chapter into contiguous narration and dialogue segments covering all of it."""
    style = dialogue_style(text)
    spans = paragraphs(text)
    dashes = _dash_paragraphs(text, spans)
    out: list[Segment] = []
    # Has the chapter's narration begun (more than headings)? Not asked in a text that indents all
    # its paragraphs: there an indented opening is the story's.
    told = sum(_indented(text, ps, pe) for ps, pe in spans) * 2 > len(spans)
    chats = chat_messages(text, spans)
    for number, (ps, pe) in enumerate(spans):
        if number in chats:
            # "theo_k: who took my charger": the handle is read as narration, the message in the sender's voice.
            start = chats[number][1]
            out += [Segment(NARRATION, ps, start, text[ps:start], number),
                    Segment(DIALOGUE, start, pe, text[start:pe], number, rule="chat")]
            continue
        cursor = ps
        dashed = dashes and _DASH_OPEN.match(text, ps, pe)
        # Indented lines before the story begins are an epigraph ("    'Wooed and married and a'.'"
        # under the chapter heading): the narrator reads them, whatever their quote marks.
        epigraph = not told and _indented(text, ps, pe)
        told = told or (not epigraph and len(_WORD_LIKE.findall(text[ps:pe])) >= _TOLD_WORDS)
        for qs, qe in (_dash_spans(text, ps, pe) if dashed else quote_spans(text, ps, pe, style)):
            if epigraph or not dashed and not _is_speech(text, ps, qs, qe):
                continue
            if qs > cursor:
                out.append(Segment(NARRATION, cursor, qs, text[cursor:qs], number))
            # An unclosed quotation keeps the paragraph's trailing whitespace.
            qend = pe if qe == pe else qe
            out.append(Segment(DIALOGUE, qs, qend, text[qs:qend], number))
            cursor = qend
        if cursor < pe:
            out.append(Segment(NARRATION, cursor, pe, text[cursor:pe], number))
    return out
