"""Discourse state for attribution: who was mentioned and who spoke, and resolving tag subjects to them."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator, Sequence

from ..model import DIALOGUE, NARRATOR_SPEAKER, Character, Gender, Segment
from .characters import (
    FEMALE_TITLES,
    MALE_TITLES,
    lookup,
    mention_regex,
    name_index,
    nearest_before,
    with_titled_surnames,
)
from .descriptions import (
    CHILD_NOUNS,
    COMPANION_NOUNS,
    DETERMINERS,
    GENERIC_HEADS,
    KIN_NOUNS,
    PERSON_HEADS,
    TITLE_WORDS,
    Description,
    is_description,
    noun_gender,
    parse,
)

# "a cheery-looking elderly woman", "an old man": someone brought into the scene (not "a man's").
_INDEFINITE = re.compile(r"\b(?:[Aa]n?|[Aa]nother|[Oo]ne)\s+(?P<words>(?:[a-z][\w-]*,?\s+){0,5}[a-z][\w'\u2019-]*)")
_NEWCOMER_REACH = 1500  # the narration since the last quotation, back into the paragraphs before this one
_SCENE_REACH = 4000  # how far back someone brought in with "a"/"an" may still be "he"/"she" when no one else is
_SINGULAR = {"women": "woman", "men": "man", "ladies": "lady", "gentlemen": "gentleman", "children": "child",
             "people": "someone", "folk": "someone", "folks": "someone"}
_NOT_ADJECTIVE = frozenset("of to in with at on by for from and or but who whom which that".split())
# "... and the coffin-maker assumed an air": a person described by a noun, subject of a clause.
_DEFINITE_SUBJECT = re.compile(r"(?:^|[.!?;]\s+|,\s+(?:and|but|then)\s+|\n\s*)[Tt]he\s+(?P<words>(?:[a-z][a-z-]*\s+){0,2}?)"
                               r"(?P<head>[a-z][a-z-]*)\s+(?:[a-z]+ly\s+)?(?:had\s+|was\s+)?[a-z]+(?:ed|s)\b")
# People named by what they do: "the coffin-maker", "the gatekeeper", "the shop-keeper", "the cab-driver".
_TRADE = re.compile(r"[a-z]+-?(?:maker|keeper|seller)|[a-z]+-(?:man|woman|driver|boy|girl)")


def _person_in(phrase: str) -> list[str] | None:
    """The gendered person noun of an "a/an" phrase's words, with the adjective before it:
    "cheery-looking elderly woman in" -> ["elderly", "woman"]; "friend of the woman" -> None."""
    words = [re.sub(r"['\u2019]s$", "", w) for w in phrase.replace(",", " ").split()]  # "a man's voice": a man
    cut = next((i for i, w in enumerate(words) if w in DETERMINERS or w in _NOT_ADJECTIVE), len(words))
    at = next((i for i, w in enumerate(words[:cut]) if noun_gender(w) != "unknown"), None)
    if at is None:  # "a certain tall soldier": a person, of no gender the noun says
        at = next((i for i, w in enumerate(words[:cut]) if w in PERSON_HEADS), None)
    return None if at is None else words[max(0, at - 1):at + 1]


# "His sister was a tall, strong girl", "like a girl": a description of someone, not someone new
# ("There was a man at the door" brings one in).
_COPULA = re.compile(r"(?<![Tt]here )\b(?:was|is|were|are|be|been|being|seemed|became|like|as|such|than|what)\s+$")
# A name owning a person: "Strether's new acquaintance", "Mrs. Morel's son".
_OWNER = re.compile(r"^([A-Z][\w.]*(?:\s+[A-Z][\w.]*){0,2})['\u2019]s\s+([a-z].*)$")
NARRATOR = NARRATOR_SPEAKER
"""Speaker name for a first-person narrator's own quoted words ("I said"): read in the narrator's voice."""

_EPITHET_WINDOW = 1500
# The titles of grown-ups: "the boy" (CHILD_NOUNS) is never Mr. Lorry.
_GROWN_UP_TITLES = frozenset("mr mrs ms sir lady lord madam madame dame dr doctor professor captain colonel major "
                             "general admiral judge reverend rev".split())


def grown_up(name: str) -> bool:
    """Is this character named with a grown-up's title ("Mr. Lorry", "Lady Bertram")?"""
    return name.split()[0].rstrip(".").lower() in _GROWN_UP_TITLES


_OPENING_PRONOUN = re.compile(r"""[\s"'\u201c\u201d\u2018\u2019,;:.!?\u2014-]*(He|She)\b""")
_SUBJECT_REACH = 500
_FIRST_PERSON = re.compile(r"\bI\b")
_OBJECT_BEFORE = re.compile(r"\b(?:to|at|with|towards|toward|upon|on|from|of|for|by)\s+$")  # characters before the paragraph where "he"/"she" may find its subject
_SUBJECT_BEFORE = re.compile(
    r"""(?:^|[.!?;:\n"\u201c\u201d\u2018\u2019]\s*|[.!?;:,"\u201d\u2019\n]\s*(?i:and|but|then|so|now|when|while|as|"""
    r"""presently|here|meanwhile|at\s+last|again|suddenly)\s+)(?:(?i:old|young|little|poor|dear|good|big)\s+)?$""")
# Words after which a name is an object, never a subject ("said to Lucy", "looked at Jess").
OBJECT_LEADS = frozenset("to with at of for by from on upon towards toward about than into like".split())
# A name's own verb right after it ("Moze returned", "Carol quickly turned"): the name is that clause's subject;
# so is a name the first-person narrator joins ("Herncastle and I met again"), whatever the verb's tense.
_VERB_NEXT = re.compile(r"\s+(?:(?:[a-z]+ly\s+)?[a-z]{2,}ed|and\s+I\s+(?:[a-z]+ly\s+)?[a-z]{2,})\b")
# A wordless answer to a question: "She nodded", "He shook his head", "She shrugged".
_REPLY_GESTURE = re.compile(r"\b(?:nodded|nods|shook\s+(?:his|her)\s+head|shakes\s+(?:his|her)\s+head|shrugged|shrugs)\b")
# "He"/"She" opening a sentence of narration: its subject.
_PRONOUN_SUBJECT = re.compile(r"""(?:(?:^|[.!?;]['"\u2019\u201d]?\s+|\n\s*\n\s*|['"\u2019\u201d]\s+)(He|She)"""
                              r"|[.!?;,]\s*(?:and|but|then|so|when|while|as)\s+(he|she))\b")
_MENTION_TITLES = ("doctor", "captain", "colonel", "major", "general", "admiral", "professor", "sergeant",
                   "lieutenant", "judge", "squire", "parson", "vicar", "rector")
_SENTENCE_BREAK = re.compile(r"[.!?\"\u201c\u201d]|\n\s*\n")
_VOICE_OF = re.compile(r"\bvoice\s+of\s+((?:[A-Z][\w.'\u2019-]*\s*){1,3})")


class Context:
    """Who has been mentioned and who has spoken, in order, for resolving references."""

    def __init__(self, text: str, segments: Sequence[Segment], characters: Sequence[Character]) -> None:
        named = [c for c in characters if not is_description(c)]
        self.index = with_titled_surnames(name_index(named), named)
        self.text = text
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
        self.current: str | None = None  # speaker a tag gave an earlier quotation of this paragraph
        self.addressed_prev: set[str] = set()  # named by vocative in the previous turn
        self.absent: set[str] = set()  # who the narration saw leave this scene ("When he had gone, ...")
        self.narrated_turn = False  # a short narration paragraph without names came after the last speech
        self.last_quote_end = 0  # where the last dialogue paragraph's last quotation ended
        self.last_spoken = ""  # the words of the last dialogue paragraph's quotations
        self.descriptions = {c.name: c.name.lower() for c in characters if is_description(c)}
        self.descriptions_by_key = {k: n for n, k in self.descriptions.items()}
        self.described_as: dict[str, str] = {}  # a phrase resolved once keeps its character
        self.name_words = {c.name: {w.rstrip(".").lower() for form in (c.name, *c.aliases) for w in form.split()}
                           for c in characters}
        self.positions: list[int] = []
        self.names: list[str] = []
        pattern = self.pattern = mention_regex(self.index)
        described = self.described_pattern = _description_regex(self.descriptions_by_key)
        # "the doctor" in the narration is the chapter's one doctor, Dr. Archie.
        bearer = {}
        for title in _MENTION_TITLES:
            forms = TITLE_WORDS.get(title, (title,))
            named = [n for n, words in self.name_words.items()
                     if n not in self.descriptions and any(f in words for f in forms)]
            if len(named) == 1 and title not in self.descriptions_by_key:
                bearer[title] = named[0]
        titled = re.compile(r"\b[Tt]he\s+(" + "|".join(bearer) + r")\b", re.IGNORECASE) if bearer else None
        found: list[tuple[int, str]] = []
        own: set[int] = set()  # "my mother": the narrator's own, never an epithet for someone named
        acting: set[int] = set()  # names acting in narration of their own, not in a speech tag's paragraph
        spoken = {seg.paragraph for seg in segments if seg.kind == DIALOGUE}
        self._pronoun_subjects: dict[Gender, list[int]] = {"male": [], "female": []}
        self._indefinites: list[tuple[int, int, str]] = []  # narration's "a/an ..." phrases: start, end, words
        for seg in segments:
            if seg.kind == DIALOGUE:
                continue
            self._indefinites += [(m.start(), m.end(), m.group("words"))
                                  for m in _INDEFINITE.finditer(text, seg.start, seg.end)]
            # The narration's own text, so that "^" is the start of the segment ("She knew ...").
            for m in _PRONOUN_SUBJECT.finditer(text[seg.start:seg.end]):
                word = m.group(1) or m.group(2)
                where = seg.start + (m.start(1) if m.group(1) else m.start(2))
                self._pronoun_subjects["male" if word.lower() == "he" else "female"].append(where)
            for m in pattern.finditer(text, seg.start, seg.end) if pattern else ():
                name = lookup(self.index, m.group())
                if name:
                    found.append((m.start(), name))
                    if seg.paragraph not in spoken and _VERB_NEXT.match(text, m.end()) and _opens_clause(text, m.start()):
                        acting.add(m.start())  # "At the juncture Moze returned.": its sentence's subject
            for m in described.finditer(text, seg.start, seg.end) if described else ():
                found.append((m.start(), self.descriptions_by_key[" ".join(m.group(1).lower().split())]))
                if m.group().split()[0].lower() in ("my", "our"):
                    own.add(m.start())
            for m in titled.finditer(text, seg.start, seg.end) if titled else ():
                found.append((m.start(), bearer[m.group(1).lower()]))
        found.sort()
        # A gendered description ("the lad", "the old man") soon after a character of that gender
        # was named is an epithet for that character, not a mention of a person of its own; a child
        # noun is no grown-up's ("Mr. Lorry sat by the fire ... and the boy followed him").
        kept: list[tuple[int, str]] = []
        last_named: dict[Gender, tuple[int, str]] = {}
        for p, n in found:
            g = self.gender.get(n, "unknown")
            head = n.split()[-1].lower()
            at, last = last_named.get(g, (-10**9, ""))
            if n not in self.descriptions:
                last_named[g] = (p, n)
            elif (g != "unknown" and noun_gender(head) == g and p - at < _EPITHET_WINDOW and p not in own
                  and not (head in CHILD_NOUNS and grown_up(last))):
                # Only a noun that carries the gender itself: "the doctor", known as a man from
                # the pronouns that follow him, is his own character, not an epithet.
                continue
            kept.append((p, n))
        self.positions = [p for p, _ in kept]
        self.names = [n for _, n in kept]
        self.mention_count = Counter(self.names)
        # Mentions that are the subject of their sentence ("Mrs. Morel did her work.").
        self.is_subject = [p in acting or bool(_SUBJECT_BEFORE.search(text, max(0, p - 30), p))
                           for p in self.positions]
        self._acting = acting

    def mentions_between(self, start: int, end: int) -> list[tuple[int, str]]:
        """(offset, character) of the narration mentions in [start, end), in order."""
        i = bisect_left(self.positions, start)
        j = bisect_left(self.positions, end)
        return list(zip(self.positions[i:j], self.names[i:j]))

    def mentioned_in(self, start: int, end: int) -> list[str]:
        """The characters mentioned in narration in [start, end), each once, in order."""
        return list(dict.fromkeys(n for _, n in self.mentions_between(start, end)))

    def subjects_in(self, start: int, end: int) -> list[str]:
        """The characters that are the subject of a narration sentence in [start, end)."""
        i = bisect_left(self.positions, start)
        j = bisect_left(self.positions, end)
        return [self.names[k] for k in range(i, j) if self.is_subject[k]]

    def objects_in(self, start: int, end: int) -> set[str]:
        """The characters named right after a preposition in [start, end) ("said to Lucy")."""
        i = bisect_left(self.positions, start)
        j = bisect_left(self.positions, end)
        return {self.names[k] for k in range(i, j)
                if _OBJECT_BEFORE.search(self.text, max(0, self.positions[k] - 12), self.positions[k])}

    def distance_to_mention(self, name: str, pos: int, window: int = 5000) -> int | None:
        """Characters from the last narration mention of `name` before `pos` (None if none near)."""
        i = nearest_before(self.positions, pos)
        while i >= 0 and self.positions[i] >= pos - window:
            if self.names[i] == name:
                return pos - self.positions[i]
            i -= 1
        return None

    def named_in(self, quote: str) -> set[str]:
        """The characters a quotation names (as vocatives or in the third person)."""
        if self.pattern is None:
            return set()
        return {name for name in (lookup(self.index, m.group()) for m in self.pattern.finditer(quote)) if name}

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

    def _fits(self, name: str, gender: Gender | None, exclude: set[str], anyone: bool = False) -> bool:
        if name in exclude or name == NARRATOR:
            return False  # the first-person narrator is "I", never "he" or "she"
        g = self.gender.get(name, "unknown")
        return anyone or g == gender or (g == "unknown" and name in self.speakers)

    def pronoun(self, pos: int, gender: Gender, para_start: int, exclude: set[str],
                owner: bool = False) -> str | None:
        """he/she: a character of that gender named earlier in the paragraph; else, as a new
        turn usually changes speaker, the person the last quote addressed or another recent
        speaker of that gender; else the last one mentioned."""
        prev = self.previous
        if prev and self.last_quote_end and self._fits(prev, gender, exclude) and self._same_pronoun_since(
                gender, pos) and not self._answering(pos):
            return prev  # "He was a little troubled here. ... "Pray don't," said he": still him
        subject = self._subject(pos, gender, para_start, exclude)
        newcomer = self._newcomer(gender, pos, para_start) or self._described_subject(gender, pos, para_start)
        if subject is None and newcomer is None and prev and self._fits(prev, gender, exclude) and \
                self._only_owner_since(prev, gender, pos):
            return prev  # '"..., you rat!" // Accustomed to John Reed's abuse, I never replied. // "...?" he asked'
        if subject and newcomer and newcomer[0] not in exclude and self._last_mention(subject, pos) < newcomer[1]:
            # Brought in after the subject was last named: "Silas ... I once said to an old labouring
            # man ... 'No,' he answered".
            return newcomer[0]
        if subject is None and not any(self._fits(n, gender, exclude) for n in self.mentioned_in(para_start, pos)):
            # The last paragraph's subject, unless this paragraph has named someone who fits
            # ("His cough annoyed the doctor. 'Exactly as if ...' he thought": the doctor).
            subject = self._subject(para_start, gender, max(para_start - _SUBJECT_REACH, self.last_quote_end),
                                    exclude, strict=True)
        if subject:
            return subject
        if newcomer and newcomer[0] not in exclude:
            return newcomer[0]
        if self._pronoun_subject_since(gender, self.last_quote_end, pos):
            found = self.antecedent(gender, pos, exclude)
            if found and (not self.last_quote_end or self._last_mention(found, pos) >= self.last_quote_end):
                return found  # "She knew he wanted them for her. 'H'm!' she said": the one "she" has meant
            # Named before the last quotation only: the "she" that opens the narration after "Feel
            # pretty sick, Thea?" he asked is more likely the one that quotation called.
            called = next((n for n in sorted(self.addressed_prev) if self._fits(n, gender, exclude | {prev})), None)
            if not called and self._answering(pos):
                # '"And you were his comfort through everything?" // She nodded': the one asked, the
                # other party of the exchange.
                called = next((n for n in reversed(self.exchange[-4:]) if n and n != prev
                               and self._fits(n, gender, exclude)), None)
            if called or found:
                return called or found
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
        return self.recent(pos, gender, exclude) or self._earlier_newcomer(gender, pos, exclude)

    def _only_owner_since(self, name: str, gender: Gender, pos: int) -> bool:
        """Is the narration since the last quotation the first-person narrator's own, naming `name`
        only as an owner ("Accustomed to John Reed's abuse, I never had an idea of replying") and no
        one else of that gender? A third person's narrated turn ("The clergyman explained that ...
        he had observed Durbeyfield's name") passes the turn instead."""
        if not self.last_quote_end or self.current is not None:
            return False
        if any(n and n not in (name, NARRATOR) and self.gender.get(n, "unknown") in (gender, "unknown")
               for n in self.exchange[-4:]):
            return False  # "I thought Lestrade's theory absurd": Holmes, also talking, may answer him
        if not _FIRST_PERSON.search(self.text, self.last_quote_end, pos):
            return False
        mentions = self.mentions_between(self.last_quote_end, pos)
        if not mentions or any(n != name and self.gender.get(n) == gender for _, n in mentions):
            return False
        return all(n != name or self.text.startswith(("'s", "\u2019s"), self._mention_end(p)) for p, n in mentions)

    def _mention_end(self, pos: int) -> int:
        m = self.pattern.match(self.text, pos) if self.pattern else None
        return m.end() if m else pos

    def _answering(self, pos: int) -> bool:
        """Does a new paragraph at `pos` answer a quotation that asked a question, with a gesture ("She nodded")?"""
        asked = self.text[max(0, self.last_quote_end - 2):self.last_quote_end].rstrip("\"'\u201d\u2019").endswith("?")
        between = self.text[self.last_quote_end:pos]
        return asked and "\n\n" in between and bool(_REPLY_GESTURE.search(between))

    def _earlier_newcomer(self, gender: Gender, pos: int, exclude: set[str]) -> str | None:
        """When no character of that gender is in sight, the last person of that gender the narration
        brought in with "a"/"an", before the last quotation too ("A man's voice beside her made
        her start. ... 'It must be!' he muttered"), not further back than a scene."""
        since = pos - _SCENE_REACH
        # "Once a certain tall soldier ... He came flying back ... from a truthful cavalryman ... 'We're
        # goin',' he said": the one brought in before "he" began to stand for him.
        pronouns = self._pronoun_subjects[gender]
        k = bisect_left(pronouns, since)
        until = pronouns[k] if k < len(pronouns) and pronouns[k] < pos else pos
        found: dict[tuple[bool, bool], list[str]] = {}
        for start, _end, person, exact in self._brought_in(gender, since, pos):
            found[(start < until, exact)] = person  # before the pronoun's first use first; then "a woman" for "she"
        best = next((found[k] for k in ((True, True), (True, False), (False, True), (False, False)) if k in found),
                    None)
        name = self._described(best) if best else None
        return name if name not in exclude else None

    def antecedent(self, gender: Gender, pos: int, exclude: set[str] = frozenset(), window: int = 3000) -> str | None:
        """Whom "he"/"she" at `pos` stands for, centering-style: going back sentence by sentence,
        the first character of that gender named in a sentence, its subject if it is one; a
        sentence whose subject is already that pronoun, before the name, is passed over ("She left
        him alone, and went to get Annie a toffee": she is still the one before)."""
        i = nearest_before(self.positions, pos)
        pronouns = self._pronoun_subjects[gender]
        while i >= 0 and self.positions[i] >= pos - window:
            p, name = self.positions[i], self.names[i]
            i -= 1
            if name in exclude or not self._fits(name, gender, set()):
                continue
            if self.is_subject[i + 1]:
                return name
            start, end = _sentence_around(self.text, p)
            j = bisect_left(pronouns, start)
            if j < len(pronouns) and pronouns[j] < p:
                continue  # the sentence's own "she" came first: this one is not the antecedent
            return name  # "cried the voice of John Reed; then he paused"
        return None

    def _pronoun_subject_since(self, gender: Gender, since: int, pos: int) -> bool:
        """Has a narration sentence in [since, pos) "he"/"she" of this gender as its subject?"""
        positions = self._pronoun_subjects[gender]
        i = bisect_left(positions, since)
        return i < len(positions) and positions[i] < pos

    def continuing(self, gender: Gender) -> str | None:
        """The last speaker of the exchange who fits "he"/"she" (for "he continued"); first the one
        an earlier quotation of this paragraph was given ("'My boy,' returned my father, '...'
        continued he")."""
        for name in reversed([n for n in (*self.exchange, self.current) if n]):
            if name != NARRATOR and self.gender.get(name, "unknown") in (gender, "unknown"):
                return name
        return None

    def _same_pronoun_since(self, gender: Gender, pos: int) -> bool:
        """Does the narration since the last quotation open with this "He"/"She", naming no one
        of that gender? Then the pronoun still means whoever spoke last."""
        between = self.text[self.last_quote_end:pos]
        m = _OPENING_PRONOUN.match(between)
        if not m or (m.group(1).lower() == "he") != (gender == "male"):
            return False
        return not any(self.gender.get(n) == gender for n in self.mentioned_in(self.last_quote_end, pos))

    def _subject(self, pos: int, gender: Gender, since: int, exclude: set[str], strict: bool = False) -> str | None:
        """The last sentence subject since `since` that "he"/"she" can stand for (one of unknown
        gender counts: "The parson rode nearer. ... he said"). `strict`: one of unknown gender who has
        spoken counts only where a narration paragraph of its own has it act ("At the juncture Moze returned.")."""
        i = nearest_before(self.positions, pos)
        while i >= 0 and self.positions[i] >= since:
            name = self.names[i]
            g = self.gender.get(name, "unknown")
            if self.is_subject[i] and name not in exclude and name != NARRATOR and (
                    g == gender or g == "unknown" and (name in self.descriptions or name in self.speakers
                                                 and (not strict or self.positions[i] in self._acting))):
                return name
            i -= 1
        return None

    def resolve(self, subj: str, pos: int, para_start: int, exclude: set[str] = frozenset()) -> tuple[str | None, str]:
        """(speaker, kind) for a tag subject; kind is "name", "pronoun", "noun" or "none"."""
        word = subj.split()[0].lower()
        if word in ("he", "she"):
            return self.pronoun(pos, "male" if word == "he" else "female", para_start, exclude), "pronoun"
        if subj == "I" or word == "you" and len(subj.split()) == 1:
            # "I said"; and in a story told in the second person, '"Sure," you say': the one it is told of.
            return NARRATOR, "pronoun"
        if word in ("we", "they"):
            return None, "none"
        if word in ("somebody", "someone") or subj.strip().lower() == "another":
            # '"We say, of course," somebody exclaimed', '"People say," said another': a voice from the
            # company, not any one of its names.
            return self._described(["someone"]), "noun"
        if word == "one" and subj.split()[1:2] == ["of"]:
            # "cried one of the women": a woman of them; "said one of them": someone.
            noun = _SINGULAR.get(subj.split()[-1], subj.split()[-1].removesuffix("s"))
            return self._described([noun] if noun in PERSON_HEADS else ["someone"]), "noun"
        m = _OWNER.match(subj)
        if m:  # "Cameron's companion": someone with Cameron, never Cameron
            owner = lookup(self.index, m.group(1))
            rest = m.group(2)
            if rest.split()[-1] in COMPANION_NOUNS:
                partner = self._partner(owner)
                if partner:
                    return partner, "noun"
            return self._noun_phrase("the " + rest, pos, para_start, exclude | {owner}), "noun"
        # "a shrill Welsh voice" is someone described, never the character "Welsh".
        name = lookup(self.index, subj) if word not in ("a", "an", "another") else None
        if name:
            return name, "name"
        words = subj.split()
        if words[0].rstrip(".").lower() in MALE_TITLES | FEMALE_TITLES and len(words) > 1:
            return None, "none"
        if word in DETERMINERS:
            return self._noun_phrase(subj, pos, para_start, exclude), "noun"
        return None, "none"

    def _noun_phrase(self, subj: str, pos: int, para_start: int, exclude: set[str]) -> str | None:
        """A described speaker: "said the doctor", "her father replied", "asked a rough voice".

        "the voice of John Reed" is John Reed; a title word is the character who bears it ("the
        Captain"); "his sister" is a woman of his family. A phrase first used with "the" and a
        gendered noun ("returned the excellent young man") is the other party of the exchange;
        after that, and for "a"/"an" phrases and other nouns, it is the character the phrase
        describes (book-wide), and later uses of the phrase or its noun go to that same one.
        """
        m = _VOICE_OF.search(subj)
        if m:
            return lookup(self.index, m.group(1))
        d = parse(subj)
        if d is None:
            return None
        if d.owner and d.head == "voice":
            d = Description(d.det, (d.owner,))  # "his mother's voice"
        if d.head == "voice" and d.det in ("a", "an"):
            owner = self._voice_owner(subj, pos)
            if owner:
                return owner
        gender: Gender | None = noun_gender(d.head.split("-")[-1])  # "step-son"
        gender = None if gender == "unknown" else gender
        avoid = set(exclude)
        if d.det in ("his", "her") and d.head in KIN_NOUNS and gender:
            owner = self.pronoun(pos, "male" if d.det == "his" else "female", para_start, set(), owner=True)
            if owner:
                avoid.add(owner)
            if owner and owner in self.surname:
                # "her father", "his sister": family members share a surname.
                family = {n for n, s in self.surname.items() if s == self.surname[owner]
                          and n not in avoid and self.gender.get(n) == gender}
                if family:
                    best = self.recent(pos, gender, avoid | (set(self.gender) - family))
                    return best or sorted(family)[0]
            spouse = _spouse(owner, d.head) if owner else None
            if spouse:
                # Mrs. Elton's husband is Mr. Elton, though the chapter never names him so.
                self.gender.setdefault(spouse, gender)
                self.surname.setdefault(spouse, spouse.split()[-1])
                return spouse
        if d.det in ("his", "her") and d.head in COMPANION_NOUNS:
            # "replied his companion": the one he has been talking with.
            partner = self._partner(self.pronoun(pos, "male" if d.det == "his" else "female", para_start, set(),
                                                 owner=True))
            if partner and partner not in exclude:
                return partner
        if d.det in ("my", "our"):
            # The narrator's own people ("said my father") are not the other party of the scene.
            return self.descriptions_by_key.get(d.key) or self._described_head(d.head, pos)
        titled = self._titled(d.head, pos)
        if titled:
            return titled
        entity = self.descriptions_by_key.get(d.key) or self._described_head(d.head, pos)
        if d.det == "the" and entity and self._introduced(d.head, pos):
            # "... turned out to be those of a white man and a burro. 'Hello there,' the man
            # called": the man just brought in, not anyone the scene had before.
            self.described_as.pop(d.key, None)
            return entity
        if d.key in self.described_as:
            return self.described_as[d.key]
        if d.det in ("a", "an", "another"):
            # Someone new: "asked a rough voice"; "called a girl's voice" is a girl the book has not
            # described before, never whoever was there.
            if entity is None and (gender or d.head in PERSON_HEADS or d.head == "voice"):
                entity = self._described(list(d.words[-2:]))
            return entity
        generic = d.head in GENERIC_HEADS
        if entity is None and gender is None and not generic:
            return None  # no one is described that way: "the words", "the paper"
        if entity and not generic and not gender and (entity in self.speakers or self._mentioned(entity, pos)):
            return entity  # "The doctor came forwards. ... said the doctor"
        if d.head == "other" and len(self.exchange) >= 2:
            other = next((n for n in reversed(self.exchange[:-1]) if n and n != self.previous), None)
            if other:
                return other
        if generic:
            # ... of the same age: "the old man" is not the boy talking.
            talking = [n for n in reversed(self.exchange[-4:]) if n in self.descriptions and n not in avoid
                       and (gender is None or self.gender.get(n, "unknown") in (gender, "unknown"))
                       and (n.split()[-1].lower() in CHILD_NOUNS) == (d.head in CHILD_NOUNS)]
            talking.sort(key=lambda n: n == self.previous)
            if talking:
                return talking[0]  # "said the man": the stranger already talking
        if d.head in CHILD_NOUNS:
            avoid |= {n for n in self.gender if grown_up(n)}  # "asked the boy" is not Mr. Lorry
        # Someone the scene already has ("returned the excellent young man", "said the visitor").
        for name in reversed([n for n in self.exchange[-4:] if n] or self.speakers[-3:]):
            if name != self.previous and self._fits(name, gender, avoid, anyone=gender is None):
                self.described_as[d.key] = name
                return name
        if gender:
            found = self.recent(pos, gender, avoid | {self.previous}, since=pos - 4000)
            if found:
                self.described_as[d.key] = found
                return found
        return entity

    def _newcomer(self, gender: Gender, pos: int, para_start: int) -> tuple[str, int] | None:
        """Someone the narration since the last quotation brought in with "a"/"an", whom "he"/"she"
        then stands for: "I faced a cheery-looking elderly woman ... she bowed and said" is that
        woman (a described character, "Elderly Woman"), never the first-person narrator or a
        character of an earlier scene. Not when a name of that gender, or the same pronoun,
        came between: then the pronoun has an antecedent of its own."""
        since = max(para_start - _NEWCOMER_REACH, self.last_quote_end)
        found = None
        exact = False
        for start, end, person, fits in self._brought_in(gender, since, pos):
            # A man, a woman before a child or a soldier: "a woman servant came into a room in which
            # a child was sleeping ... she said" is the woman.
            if fits or not exact:
                found, exact = (start, end, person), fits
        if found is None or self._pronoun_subject_since(gender, since, found[0]):
            return None
        if any(self.gender.get(n) == gender for n in self.mentioned_in(found[1], pos)):
            return None
        return self._described(found[2]), found[0]

    def _brought_in(self, gender: Gender, since: int, pos: int) -> Iterator[tuple[int, int, list[str], bool]]:
        """The people the narration in [since, pos) brings in with "a"/"an"/"one" who may be "he"/"she"
        of `gender` (not after a copula: "he was a man of his word"): start, end, the adjective and
        noun, and whether the noun has that gender (not one of none, as "soldier")."""
        for start, end, phrase in self._indefinites[bisect_left(self._indefinites, (since,)):]:
            if end > pos:
                break
            person = _person_in(phrase)
            if person and noun_gender(person[-1]) in (gender, "unknown") and not _COPULA.search(
                    self.text, max(since, start - 12), start):
                yield start, end, person, noun_gender(person[-1]) == gender

    def _described_subject(self, gender: Gender, pos: int, para_start: int) -> tuple[str, int] | None:
        """The person the narration since the last quotation last made a subject, as "the <noun>", whom
        "he"/"she" then stands for: "... the coffin-maker assumed an air of professional gravity.
        'Good-mawnin', suh,' he said". Not when a name of that gender came after it."""
        since = max(para_start - _NEWCOMER_REACH, self.last_quote_end)
        found = None
        for m in _DEFINITE_SUBJECT.finditer(self.text, since, pos):
            head = m.group("head")
            if noun_gender(head) == gender or noun_gender(head) == "unknown" and (head in PERSON_HEADS
                                                                                  or _TRADE.fullmatch(head)):
                found = m
        if found is None or any(self.gender.get(n) == gender for n in self.mentioned_in(found.end(), pos)):
            return None
        words = found.group("words").split()
        return self._described(words[-1:] + [found.group("head")]), found.start("head")

    def _last_mention(self, name: str, pos: int) -> int:
        """Where `name` was last mentioned before `pos` (-1: not at all)."""
        i = nearest_before(self.positions, pos)
        while i >= 0 and self.names[i] != name:
            i -= 1
        return self.positions[i] if i >= 0 else -1

    def _voice_owner(self, subj: str, pos: int) -> str | None:
        """Whose "a terrible voice" it is when the same sentence brings someone in: "cried a
        terrible voice, as a man started up from among the graves" is the man's (who then speaks
        as "the man": one character, one voice)."""
        at = self.text.find(subj, pos, pos + 2000)
        if at < 0:
            return None
        at += subj.index("voice") + len("voice")  # the tag's subject may run on: "a terrible voice, as a"
        rest = self.text[at:at + 200]
        rest = rest[:m.start()] if (m := re.search(r"[.!?;\n\"\u201c\u201d]", rest)) else rest
        for m in _INDEFINITE.finditer(rest):
            person = _person_in(m.group("words"))
            if person:
                return self._described(person)
        return None

    def known_description(self, phrase: str, pos: int) -> str | None:
        """The character a definite phrase already names ("the doctor", "the Captain"), without
        guessing among the scene's people as a speech tag's phrase may."""
        d = parse(phrase)
        if d is None or d.det in ("a", "an", "another"):
            return None
        return self.descriptions_by_key.get(d.key) or self._described_head(d.head, pos) or self._titled(d.head, pos)

    def person_in(self, phrase: str) -> list[str] | None:
        """The gendered person noun of an "a/an" phrase's words, with the adjective before it."""
        return _person_in(phrase)

    def described(self, words: list[str]) -> str:
        """The described character for "[adjective] noun" (see `_described`)."""
        return self._described(words)

    def _described(self, words: list[str]) -> str:
        """The described character for "[adjective] noun" ("elderly woman"): one the book already
        has for that phrase or noun, or a new one named by it ("Elderly Woman"), gendered by the noun."""
        key = " ".join(words)
        name = (self.descriptions_by_key.get(key) or self.descriptions_by_key.get(words[-1])
                or " ".join(w[:1].upper() + w[1:] for w in words))
        self.gender.setdefault(name, noun_gender(words[-1]))
        return name

    def _partner(self, owner: str | None) -> str | None:
        """The other party of the exchange `owner` is in, if it is a two-sided one."""
        talking = [n for n in self.exchange[-4:] if n]
        if owner is None or owner not in talking:
            return None
        others = {n for n in talking if n != owner}
        return others.pop() if len(others) == 1 else None

    def _introduced(self, head: str, pos: int, window: int = 700) -> bool:
        """Has the narration since the last quotation (and near `pos`) brought in "a <head>"?"""
        since = max(self.last_quote_end, pos - window)
        return re.search(r"\b(?:[Aa]n?|[Aa]nother)\s+(?:[a-z][\w-]*\s+){0,2}" + re.escape(head) + r"\b",
                         self.text[since:pos]) is not None

    def _mentioned(self, name: str, pos: int, window: int = 6000) -> bool:
        i = nearest_before(self.positions, pos)
        while i >= 0 and self.positions[i] >= pos - window:
            if self.names[i] == name:
                return True
            i -= 1
        return False

    def _titled(self, head: str, pos: int) -> str | None:
        """The named character a title word points at: "the Captain" -> Captain Hale."""
        forms = TITLE_WORDS.get(head, (head,))
        bearers = [n for n, words in self.name_words.items() if any(f in words for f in forms)
                   and n not in self.descriptions]
        if not bearers:
            return None
        if len(bearers) == 1:
            return bearers[0]
        i = nearest_before(self.positions, pos)
        while i >= 0:
            if self.names[i] in bearers:
                return self.names[i]
            i -= 1
        return None

    def _described_head(self, head: str, pos: int) -> str | None:
        """The described character with this noun, the one mentioned last ("the gentleman")."""
        same = [n for n, k in self.descriptions.items() if k.split()[-1] == head]
        if len(same) <= 1:
            return same[0] if same else None
        i = nearest_before(self.positions, pos)
        while i >= 0:
            if self.names[i] in same:
                return self.names[i]
            i -= 1
        return same[0]

    def spoke(self, name: str | None) -> None:
        if not name:
            return
        if name in self.speakers:
            self.speakers.remove(name)
        self.speakers.append(name)


_CLAUSE_BREAK = re.compile(r"[.!?;:,\n\u2014]")
_VERB_WORD = re.compile(r"\b(?:[a-z]+ed|saw|found|heard|met|left|told|knew|felt|took|made|gave|let|got|went|came|"
                        r"kept|held|brought|caught|had|has|was|were|is|see|find|watch|watches)\b")


def _opens_clause(text: str, pos: int) -> bool:
    """Is the name at `pos` its clause's first actor: nothing before it since the clause began but a
    conjunction or an opening phrase ("At the juncture Moze returned"), no verb whose object it is
    ("... and saw Moze stretched out")?"""
    start = max(0, pos - 120)
    breaks = [m.end() for m in _CLAUSE_BREAK.finditer(text, start, pos)]
    prefix = text[breaks[-1] if breaks else start:pos]
    words = prefix.split()
    return not (words and words[-1].lower() in OBJECT_LEADS) and not _VERB_WORD.search(prefix)


def _spouse(owner: str, head: str) -> str | None:
    """"her husband" of Mrs. Elton: Mr. Elton; "his wife" of Mr Shepherd: Mrs Shepherd."""
    words = owner.split()
    if len(words) != 2:
        return None
    title, dot = words[0].rstrip("."), "." if words[0].endswith(".") else ""
    if head == "husband" and title == "Mrs":
        return f"Mr{dot} {words[1]}"
    if head == "wife" and title == "Mr":
        return f"Mrs{dot} {words[1]}"
    return None


def _sentence_around(text: str, pos: int) -> tuple[int, int]:
    """Start and end of the narration sentence holding `pos` (roughly: between sentence marks)."""
    m = _SENTENCE_BREAK.search(text[max(0, pos - 400):pos][::-1])
    start = pos - m.start() if m else max(0, pos - 400)
    m = _SENTENCE_BREAK.search(text, pos, pos + 400)
    return start, m.start() if m else min(len(text), pos + 400)


def _description_regex(keys: dict[str, str]) -> re.Pattern[str] | None:
    """Mentions of described characters in narration: "the old man", "a rough voice"."""
    if not keys:
        return None
    alts = "|".join(r"\s+".join(re.escape(w) for w in k.split()) for k in sorted(keys, key=len, reverse=True))
    return re.compile(r"\b(?:the|an?|this|that|his|her|my|our|their)\s+(" + alts + r")\b", re.IGNORECASE)
