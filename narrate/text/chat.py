"""Chat logs inside a story: each "handle: message" line is a paragraph of its own, read without its timestamp."""

from __future__ import annotations

import re

# "[02:04] theo_k: who took my charger", "theo_k: ur a menace", "11:48 PM - Sam: hi", "(9:15) Marcus: never".
_STAMP = r"[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp]\.?[Mm]\.?)?[\])]?[ \t]*(?:[-\u2013\u2014|>][ \t]*)?"
_LINE = re.compile(r"[ \t]*(?:" + _STAMP + r")?@?[^\s:\[\]()\"\u201c\u201d*]{1,24}:[ \t]+\S[^\n]*")
STAMP = re.compile(r"(?m)^[ \t]*" + _STAMP + r"(?=@?[^\s:\[\]()\"\u201c\u201d*][^\s:\[\]()\"\u201c\u201d]{0,23}:[ \t])")
"""A chat message's timestamp, at the start of its line: a listener would hear "oh two oh four" before each."""


def chat_spans(text: str, start: int, end: int) -> list[tuple[int, int]] | None:
    """(start, end) of each line of text[start:end] when it is a chat log, two or more lines each "handle:
    message" (so that each message is heard as its own); None for any other block ("Dear Sir:" above a letter)."""
    block = text[start:end]
    lines = block.rstrip().split("\n")
    if len(lines) < 2 or not all(_LINE.fullmatch(line) for line in lines):
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


def chat_messages(text: str, spans: list[tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """For each paragraph (by number) that is a chat message, where its handle is and where its message starts:
    a "handle: message" line among others like it, or with a timestamp of its own ("[02:07] me: i have it")."""
    found = {}
    lines = [(_HANDLE.match(text, ps, pe), ps, pe) for ps, pe in spans]
    lines = [(m if m and m.group("handle").lower().rstrip(".") not in _LABELS else None, ps, pe) for m, ps, pe in lines]
    for k, (m, ps, pe) in enumerate(lines):
        if not m or "\n" in text[ps:pe].rstrip():
            continue
        beside = any(0 <= j < len(lines) and lines[j][0] for j in (k - 1, k + 1))
        if beside or m.group("stamp"):
            found[k] = (m.start("handle"), m.end())
    return found


def handle_name(line: str) -> str:
    """The name in a chat message's handle ("[02:04] theo_k: " -> "Theo", "@priya.exe: " -> "Priya")."""
    found = _HANDLE.match(line + "?")  # (the narration before a message ends with the space after the colon)
    handle = found.group("handle") if found else line.strip().rstrip(":")
    m = re.match(r"[^\W\d_]+", handle.lstrip("@"))
    word = m.group() if m else handle.lstrip("@")
    return word[:1].upper() + word[1:].lower() if word.islower() or word.isupper() else word


_LINE_HANDLE = re.compile(r"(?m)^[ \t]*(?:" + _STAMP + r")?@?[^\s:\[\]()\"\u201c\u201d*]{1,24}:(?=[ \t]+\S)")


def without_handles(text: str) -> str:
    """`text` with the handles that open lines blanked out ("marcus: go to sleep" is no lower-case "marcus" of
    the prose), the same length."""
    return _LINE_HANDLE.sub(lambda m: " " * len(m.group()), text)


def senders(text: str) -> set[str]:
    """The names chat logs in `text` give their senders ("theo_k" -> "Theo"; not "me"): people of the story."""
    lines = [line for line in text.split("\n") if line.strip()]
    found = [_HANDLE.match(line) for line in lines]
    found = [m if m and m.group("handle").lower().rstrip(".") not in _LABELS else None for m in found]
    names = set()
    for k, m in enumerate(found):
        if m and (m.group("stamp") or any(0 <= j < len(found) and found[j] for j in (k - 1, k + 1))):
            names.add(handle_name(m.group()))
    return names - {"Me", "I"}
