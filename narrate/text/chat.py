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
