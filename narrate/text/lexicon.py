"""Pronunciations: a book's (or a voice's) lexicon of words respelled or given as espeak phonemes.

A `[pronunciations]` table maps a word (or a few words) to what the engine should be handed instead::

    [pronunciations]
    Hermione = "her-MY-oh-nee"   # a respelling, read as ordinary text
    Rory = "[[r'o@ri]]"          # espeak phoneme mnemonics in espeak's inline [[ ]] syntax
    US = "United States"

Matching is by whole words. A key in lowercase, or capitalized only in its first letter ("Hermione",
"rory"), matches the word in any case ("hermione", "HERMIONE"); a key with a capital after its first
letter ("US", "McAlister", "iPhone") matches only that exact spelling, so "US" leaves "us" alone.
Longer keys win over shorter ones they overlap, and a replacement is never looked up again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

PHONEME_BLOCK = re.compile(r"\[\[.*?\]\]")
"""espeak's inline phoneme syntax: text inside [[ ]] is phoneme mnemonics, not words."""


def exact_case(key: str) -> bool:
    """Whether `key` matches only its own spelling: it has a capital letter after its first character."""
    return any(ch.isupper() for ch in key[1:])


@dataclass(frozen=True)
class Lexicon:
    """Word -> respelling or [[phonemes]], applied to text before it goes to an engine."""

    entries: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.entries)

    @cached_property
    def _pattern(self) -> re.Pattern | None:
        if not self.entries:
            return None
        keys = sorted((k for k, _ in self.entries), key=len, reverse=True)
        alternatives = [re.escape(k) if exact_case(k) else f"(?i:{re.escape(k)})" for k in keys]
        return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")

    @cached_property
    def _lookup(self) -> tuple[dict[str, str], dict[str, str]]:
        exact = {k: v for k, v in self.entries if exact_case(k)}
        folded = {k.casefold(): v for k, v in self.entries if not exact_case(k)}
        return exact, folded

    def apply(self, text: str) -> str:
        """`text` with every listed word replaced (phoneme blocks already in it are left alone)."""
        if self._pattern is None:
            return text
        exact, folded = self._lookup

        def replace(m: re.Match) -> str:
            word = m.group(0)
            return exact[word] if word in exact else folded[word.casefold()]

        parts = PHONEME_BLOCK.split(text)
        blocks = PHONEME_BLOCK.findall(text)
        out = [self._pattern.sub(replace, parts[0])]
        for block, part in zip(blocks, parts[1:], strict=True):
            out += [block, self._pattern.sub(replace, part)]
        return "".join(out)

    def over(self, base: Lexicon) -> Lexicon:
        """This lexicon's entries, then `base`'s for words it does not list (a voice's over the book's)."""
        if not base:
            return self
        if not self:
            return base
        mine = {k if exact_case(k) else k.casefold() for k, _ in self.entries}
        kept = [(k, v) for k, v in base.entries if (k if exact_case(k) else k.casefold()) not in mine]
        return Lexicon((*self.entries, *kept))


# A respelling's syllables joined by hyphens, some in capitals for stress ("GAL-ee-unz", "her-MY-oh-nee").
_SYLLABLES = re.compile(r"\b[A-Za-z]+(?:-[A-Za-z]+)+\b")


def _unstressed(respelling: str) -> str:
    """A respelling with its stress capitals lowered: an engine spells a word in capitals letter by letter
    ("GAL" as "G A L") and takes no stress from case. Capitalised words ("United States") are left."""
    def lower(m: re.Match) -> str:
        parts = m.group().split("-")
        return m.group().lower() if any(len(p) > 1 and p.isupper() for p in parts) else m.group()

    return _SYLLABLES.sub(lower, respelling)


class LexiconProblem(ValueError):
    """A malformed [pronunciations] table: which key and what is wrong (the caller names the file)."""

    def __init__(self, key: str | None, message: str) -> None:
        super().__init__(f"[pronunciations]: {key!r}: {message}" if key else f"[pronunciations]: {message}")


def parse_lexicon(table: object) -> Lexicon:
    """Validate a `[pronunciations]` table's plain data into a Lexicon; LexiconProblem says what is wrong."""
    if not isinstance(table, dict):
        raise LexiconProblem(None, f"must be a table of word = \"pronunciation\", found {type(table).__name__}")
    entries = []
    seen: dict[str, str] = {}
    for key, value in table.items():
        if not re.search(r"\w", key) or "[[" in key or "]]" in key:
            raise LexiconProblem(key, "a key must be a word (or words) to find in the text")
        if not isinstance(value, str) or not value.strip():
            raise LexiconProblem(key, f"expected a respelling or \"[[phonemes]]\", found {value!r}")
        stripped = value.strip()
        if ("[[" in stripped or "]]" in stripped) and not PHONEME_BLOCK.fullmatch(stripped):
            raise LexiconProblem(key, f"phonemes go inside one [[ ]] pair, e.g. \"[[r'o@ri]]\", found {value!r}")
        if PHONEME_BLOCK.fullmatch(stripped) and not stripped[2:-2].strip():
            raise LexiconProblem(key, "empty [[ ]]: give espeak phoneme mnemonics inside, e.g. \"[[r'o@ri]]\"")
        folded = key if exact_case(key) else key.casefold()
        if folded in seen:
            raise LexiconProblem(key, f"the same word as {seen[folded]!r} (keys without inner capitals ignore case)")
        seen[folded] = key
        entries.append((key.strip(), stripped if PHONEME_BLOCK.fullmatch(stripped) else _unstressed(stripped)))
    return Lexicon(tuple(entries))
