"""Discourse state for attribution: who was mentioned and who spoke, and resolving tag subjects to them."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import DIALOGUE, Character, Gender, Segment
from .characters import (
    FEMALE_TITLES,
    MALE_TITLES,
    lookup,
    mention_regex,
    name_index,
    nearest_before,
)

NARRATOR = "Narrator"
"""Speaker name for a first-person narrator's own quoted words ("I said")."""

MALE_NOUNS = frozenset("father brother son husband uncle nephew man gentleman boy lad fellow sir master king grandfather papa pupil youth".split())
FEMALE_NOUNS = frozenset("mother sister daughter wife aunt niece woman lady girl mistress queen grandmother mamma mama maid".split())
_DETERMINERS = frozenset("his her the their my our this that".split())
KIN_NOUNS = frozenset("father mother brother sister son daughter husband wife uncle aunt nephew niece "
                      "grandfather grandmother papa mamma mama cousin".split())


class Context:
    """Who has been mentioned and who has spoken, in order, for resolving references."""

    def __init__(self, text: str, segments: Sequence[Segment], characters: Sequence[Character]) -> None:
        self.index = name_index(characters)
        self.gender: dict[str, Gender] = {c.name: c.gender for c in characters}
        self.gender[NARRATOR] = "unknown"
        self.surname: dict[str, str] = {}
        for c in characters:
            for form in (c.name, *c.aliases):
                words = form.split()
                if len(words) >= 2:
                    self.surname.setdefault(c.name, words[-1])
        self.speakers: list[str] = []  # distinct recent speakers, most recent last
        self.exchange: list[str | None] = []  # speakers of the current exchange, in order
        self.previous: str | None = None  # speaker of the previous turn in this exchange
        self.addressed_prev: set[str] = set()  # named by vocative in the previous turn
        self.narrated_turn = False  # a short narration paragraph without names came after the last speech
        self.positions: list[int] = []
        self.names: list[str] = []
        pattern = self.pattern = mention_regex(self.index)
        if pattern is None:
            return
        for seg in segments:
            if seg.kind == DIALOGUE:
                continue
            for m in pattern.finditer(text, seg.start, seg.end):
                name = lookup(self.index, m.group())
                if name:
                    self.positions.append(m.start())
                    self.names.append(name)

    def is_person(self, name: str) -> bool:
        return self.gender.get(name, "unknown") != "unknown" or name in self.speakers

    def recent(self, pos: int, gender: Gender | None, exclude: set[str] = frozenset(),
               since: int = -1) -> str | None:
        """The most recently mentioned character (of `gender`, if given) before `pos`."""
        i = nearest_before(self.positions, pos)
        steps = 0
        while i >= 0 and steps < 200 and self.positions[i] >= since:
            name = self.names[i]
            if name not in exclude and (gender is None or self.gender.get(name) == gender) and (
                    gender is not None or self.is_person(name)):
                return name
            i -= 1
            steps += 1
        return None

    def salient(self, pos: int, exclude: set[str], window: int = 3000) -> str | None:
        """The person most mentioned in the narration just before `pos` (recent ones weigh more)."""
        score: dict[str, float] = {}
        i = nearest_before(self.positions, pos)
        while i >= 0 and self.positions[i] >= pos - window:
            name = self.names[i]
            if name not in exclude and self.is_person(name):
                score[name] = score.get(name, 0.0) + 1.0 - (pos - self.positions[i]) / (2 * window)
            i -= 1
        for n, name in enumerate(reversed(self.speakers[-4:])):
            if name not in exclude:
                score[name] = score.get(name, 0.0) + 1.5 - 0.3 * n
        return max(score, key=score.__getitem__) if score else None

    def ranked(self, pos: int, exclude: set[str], window: int = 3000) -> list[str]:
        """Like `salient`, every candidate, best first."""
        best = self.salient(pos, exclude, window)
        if best is None:
            return []
        return [best, *self.ranked(pos, exclude | {best}, window)][:4]

    def _fits(self, name: str, gender: Gender | None, exclude: set[str]) -> bool:
        if name in exclude or name == NARRATOR:
            return False  # the first-person narrator is "I", never "he" or "she"
        g = self.gender.get(name, "unknown")
        return g == gender or (g == "unknown" and name in self.speakers)

    def pronoun(self, pos: int, gender: Gender, para_start: int, exclude: set[str],
                owner: bool = False) -> str | None:
        """he/she: a character of that gender named earlier in the paragraph; else, as a new
        turn usually changes speaker, the person the last quote addressed or another recent
        speaker of that gender; else the last one mentioned."""
        i = nearest_before(self.positions, pos)
        while i >= 0 and self.positions[i] >= para_start:
            if self._fits(self.names[i], gender, exclude):
                return self.names[i]
            i -= 1
        prev = self.previous
        if owner and prev and self._fits(prev, gender, exclude):
            return prev  # "added her husband": her = whoever just spoke
        if self.narrated_turn and prev and self._fits(prev, gender, exclude):
            return prev  # "She assured him that she had not." was the other's turn: he speaks again
        for name in sorted(self.addressed_prev):
            if self._fits(name, gender, exclude | {prev}):
                return name
        for name in reversed(self.exchange[-4:]):
            if name and self.gender.get(name) == gender and name not in exclude | {prev}:
                return name  # the other party of this exchange
        found = self.recent(pos, gender, exclude | {prev})
        if found:
            return found
        for name in reversed(self.speakers[-4:]):
            if self._fits(name, gender, exclude | {prev}):
                return name
        if prev and self._fits(prev, gender, exclude):
            return prev
        return self.recent(pos, gender, exclude)

    def resolve(self, subj: str, pos: int, para_start: int, exclude: set[str] = frozenset()) -> tuple[str | None, str]:
        """(speaker, kind) for a tag subject; kind is "name", "pronoun", "noun" or "none"."""
        word = subj.split()[0].lower()
        if word in ("he", "she"):
            return self.pronoun(pos, "male" if word == "he" else "female", para_start, exclude), "pronoun"
        if subj == "I":
            return NARRATOR, "pronoun"
        if word in ("we", "they"):
            return None, "none"
        name = lookup(self.index, subj)
        if name:
            return name, "name"
        words = subj.split()
        if words[0].rstrip(".").lower() in MALE_TITLES | FEMALE_TITLES and len(words) > 1:
            return None, "none"
        if word in _DETERMINERS:
            nouns = [w for w in words[1:] if not w.lower().endswith("ly")] or words
            return self._noun_phrase(word, nouns[-1].lower(), pos, para_start, exclude), "noun"
        return None, "none"

    def _noun_phrase(self, det: str, noun: str, pos: int, para_start: int, exclude: set[str]) -> str | None:
        gender: Gender | None = "male" if noun in MALE_NOUNS else "female" if noun in FEMALE_NOUNS else None
        if gender is None:
            return None
        avoid = set(exclude)
        owner = None
        if det in ("his", "her"):
            owner = self.pronoun(pos, "male" if det == "his" else "female", para_start, set(), owner=True)
            if owner:
                avoid.add(owner)
        if owner and noun in KIN_NOUNS and owner in self.surname:
            # "her father", "his sister": family members share a surname.
            family = {n for n, s in self.surname.items() if s == self.surname[owner]
                      and n not in avoid and self.gender.get(n) == gender}
            if family:
                best = self.recent(pos, gender, avoid | (set(self.gender) - family))
                return best or sorted(family)[0]
        for name in reversed(self.speakers[-3:]):
            if name != self.previous and self._fits(name, gender, avoid):
                return name  # "returned the excellent young man": the other party of the exchange
        return self.recent(pos, gender, avoid | {self.previous}) or self.recent(pos, gender, avoid)

    def spoke(self, name: str | None) -> None:
        if not name:
            return
        if name in self.speakers:
            self.speakers.remove(name)
        self.speakers.append(name)


