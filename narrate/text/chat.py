"""Chat logs inside a story: each "handle: message" line is a paragraph of its own, read without its timestamp."""

from __future__ import annotations

import re

from .names import FEMALE_FIRST, MALE_FIRST, STOP_CAPS

# "[02:04] theo_k: who took my charger", "theo_k: ur a menace", "11:48 PM - Sam: hi", "(9:15) Marcus: never".
_STAMP = r"[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp]\.?[Mm]\.?)?[\])]?[ \t]*(?:[-\u2013\u2014|>][ \t]*)?"
_LINE = re.compile(r"[ \t]*(?:" + _STAMP + r")?@?[^\s:\[\]()\"\u201c\u201d*]{1,24}:[ \t]+\S[^\n]*")
STAMP = re.compile(r"(?m)^[ \t]*" + _STAMP + r"(?=@?[^\s:\[\]()\"\u201c\u201d*][^\s:\[\]()\"\u201c\u201d]{0,23}:(?:[ \t]|$))")
"""A chat message's timestamp, at the start of its line: a listener would hear "oh two oh four" before each."""


def chat_spans(text: str, start: int, end: int) -> list[tuple[int, int]] | None:
    """(start, end) of each line of text[start:end] when it is a chat log, two or more lines each "handle:
    message" (so that each message is heard as its own); None for any other block ("Dear Sir:" above a letter,
    "Milk: two pints" in a shopping list)."""
    block = text[start:end]
    lines = block.rstrip().split("\n")
    if len(lines) < 2 or not all(_LINE.fullmatch(line) for line in lines):
        return None
    found = [_HANDLE.match(line) for line in lines]
    if not all(found) or not all(_chat_run([m for m in found if m])):
        return None
    spans, at = [], start
    for line in lines[:-1]:
        spans.append((at, at + len(line) + 1))
        at += len(line) + 1
    return spans + [(at, end)]


_HANDLE = re.compile(r"[ \t]*(?P<stamp>" + _STAMP + r")?(?P<handle>@?[^\s:\[\]()\"\u201c\u201d*]{1,24}):[ \t]+(?=\S)")


# Words before a colon that label a line, never a sender: "Note: the coffee was cold.", "Summary: ..."
_LABELS = frozenset("""note notes nb ps pps edit update warning warnings summary disclaimer rating pairing pairings tags
    author chapter part book fandom characters title words status beta series category language dedication""".split())


def _handle(m: re.Match | None) -> re.Match | None:
    """The match when it is a handle, not a label ("Note: ...")."""
    return m if m and m.group("handle").lower().rstrip(".") not in _LABELS else None


# Senders a phone shows by what they are to its owner.
_KIN = frozenset("me mom mum dad mam mama papa nan gran grandma grandpa".split())


def _handle_like(m: re.Match) -> bool:
    """A handle as only a chat shows one: "@sam", "theo_k", "priya.exe", "me"."""
    handle = m.group("handle")
    return handle[:1] == "@" or handle[:1].islower() or bool(re.search(r"[_\d.]", handle))


def _named(words: list[str]) -> bool:
    """Whether capitalised words before colons are senders: given names ("Sam: u up"), or one heard twice."""
    if any(len(w) < 2 or w.lower() in STOP_CAPS and w.lower() not in _KIN for w in words):
        return False  # "Q:"/"A:", weekdays and months
    given = all(w.lower() in MALE_FIRST or w.lower() in FEMALE_FIRST or w.lower() in _KIN for w in words)
    return given or len(set(words)) < len(words)


def _chat_run(found: list[re.Match]) -> list[bool]:
    """Which of neighbouring "word: text" lines are chat: a timestamp's line, a handle only a chat shows ("theo_k",
    "me") or one a timestamped line has, among other chat lines; and stretches of capitalised words that are
    senders. "Q:"/"A:", "Milk: two pints", "Location: Hogwarts", "Monday: rain" are no chat."""
    senders = {m.group("handle").lower() for m in found if m.group("stamp")}
    like = [bool(m.group("stamp")) or _handle_like(m) or m.group("handle").lower() in senders for m in found]
    out = like if sum(like) > 1 or senders else [False] * len(found)
    out = list(out)
    k = 0
    while k < len(found):
        if like[k]:
            k += 1
            continue
        end = k
        while end < len(found) and not like[end]:
            end += 1
        words = [m.group("handle").lstrip("@") for m in found[k:end]]
        beside = any(out[j] for j in (k - 1, end) if 0 <= j < len(found))
        if (len(words) > 1 or beside) and _named(words):
            out[k:end] = [True] * (end - k)
        k = end
    return out


def chat_messages(text: str, spans: list[tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """For each paragraph (by number) that is a chat message, where its handle is and where its message starts:
    a "handle: message" line among others like it that make a chat log, or with a timestamp of its own."""
    lines = [_handle(_HANDLE.match(text, ps, pe)) if "\n" not in text[ps:pe].rstrip() else None for ps, pe in spans]
    return {k: (m.start("handle"), m.end()) for k, m in _logged(lines).items()}


def _logged(found: list[re.Match | None]) -> dict[int, re.Match]:
    """Of the handles on consecutive lines (None where a line is no "handle: message"), those of chat logs:
    each run of neighbours that reads as a log, and a timestamped message alone."""
    out, k = {}, 0
    while k < len(found):
        if not found[k]:
            k += 1
            continue
        run = k
        while run < len(found) and found[run]:
            run += 1
        group = found[k:run]
        out.update((k + j, m) for j, (m, chat) in enumerate(zip(group, _chat_run(group))) if chat)
        k = run
    return out


def handle_name(line: str) -> str:
    """The name in a chat message's handle ("[02:04] theo_k: " -> "Theo", "@priya.exe: " -> "Priya")."""
    found = _HANDLE.match(line + "?")  # (the narration before a message ends with the space after the colon)
    handle = found.group("handle") if found else line.strip().rstrip(":")
    m = re.match(r"[^\W\d_]+", handle.lstrip("@"))
    word = m.group() if m else handle.lstrip("@")
    return word[:1].upper() + word[1:].lower() if word.islower() or word.isupper() else word


def _chat_lines(text: str) -> list[tuple[int, int, re.Match]]:
    """(start, end, handle) of each chat message line in `text` (blank lines between messages do not part them)."""
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]*\S[^\n]*", text)]
    found = _logged([_handle(_HANDLE.match(text, s, e)) for s, e in lines])
    return [(*lines[k], m) for k, m in sorted(found.items())]


def without_chat(text: str) -> str:
    """`text` with its chat messages blanked out, the same length: "marcus: go to sleep theo" is no lower-case
    "marcus" or "theo" of the prose (chat is written in lower case)."""
    out = list(text)
    for start, end, _ in _chat_lines(text):
        out[start:end] = " " * (end - start)
    return "".join(out)


def senders(text: str) -> set[str]:
    """The names chat logs in `text` give their senders ("theo_k" -> "Theo"; not "me"): people of the story."""
    return {handle_name(m.group()) for _, _, m in _chat_lines(text)} - {"Me", "I"}
