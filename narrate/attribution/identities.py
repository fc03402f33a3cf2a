"""Described speakers who turn out to have a name: "the gentleman" of a scene is Mr. Greyson."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ..model import DIALOGUE, Character, Segment
from .characters import lookup, name_index
from .descriptions import is_description
from .tags import INTRODUCTION as _INTRODUCTION
from .untagged import vocatives

_REACH = 5000
_DESCRIBED_OPENING = re.compile(r"""[\s"'\u201c\u201d\u2018\u2019]*The\s+((?:[a-z-]+\s+){0,2}[a-z]+)\b""")
# The narration naming someone it has only described: "Her name was Duchess", "his name was Jim Hawkins".
_NAME_GIVEN = re.compile(r"\b([Hh]is|[Hh]er)\s+name\s+(?:was|is)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\b")
"""How far (in characters) around the moment a described speaker gets a name that name holds:
about a scene. The same phrase elsewhere in the book may describe someone else."""


@dataclass(frozen=True)
class _Turn:
    """One dialogue paragraph: its number, its speaker, the rule that chose it and its quotations."""

    paragraph: int
    speaker: str | None
    rule: str
    start: int
    quotes: tuple[str, ...]


def name_described(chapters: list[list[Segment]], characters: Sequence[Character]) -> tuple[Character, ...]:
    """Rename a described speaker's lines in the scene where the story gives its name, and make
    the description an alias of that name. Three signs, each about one scene:

    - it introduces itself: "I am Parson Tringham", "my name is Greyson";
    - the other party of a two-person exchange answers it by a name no one else in the scene
      answers to ("Don't you really know, Durbeyfield, ..." after the man with the basket spoke);
    - its turn in a two-person exchange is taken by a name the chapter has not mentioned before
      ("asked a gentleman" ... "said Mr. Greyson to himself, as he walked away").
    """
    described = {c.name for c in characters if is_description(c)}
    if not described:
        return tuple(characters)
    gender = {c.name: c.gender for c in characters}
    named = [c for c in characters if not is_description(c)]
    index = name_index(named)
    forms = {c.name: (c.name, *c.aliases) for c in named}
    aliases: dict[str, set[str]] = {}
    grown: dict[str, str] = {}  # a character's name -> the fuller form of it a described speaker gave
    for segs in chapters:
        turns = _turns(segs)
        talking = {frozenset((a.speaker, b.speaker)) for a, b in zip(turns, turns[1:])}
        for old, name, where in _named_in(segs, described, index, gender, forms):
            for k, seg in enumerate(segs):
                if seg.speaker == old and abs(seg.start - where) <= _REACH:
                    segs[k] = replace(seg, speaker=name)
            aliases.setdefault(name, set()).add(old)
            known = lookup(index, name.split()[-1]) if name not in forms else None
            # Not one the described speaker talks with: "I am Mycroft Holmes," says the stranger to Holmes.
            if (known and known not in grown and set(known.split()) < set(name.split())
                    and frozenset((known, old)) not in talking):
                # "I be plain Jack Durbeyfield" from the man the narration calls Durbeyfield: one character,
                # under the fuller name.
                grown[known] = name
    if grown:
        for segs in chapters:
            for k, seg in enumerate(segs):
                if seg.speaker in grown:
                    segs[k] = replace(seg, speaker=grown[seg.speaker])
    out = []
    for c in characters:
        if c.name in grown:
            aliases.setdefault(grown[c.name], set()).update((c.name, *c.aliases))
            continue
        if c.name in aliases:
            c = replace(c, aliases=tuple(dict.fromkeys((*c.aliases, *sorted(aliases.pop(c.name))))))
        out.append(c)
    for name, old in aliases.items():
        g = next((gender[o] for o in old if gender.get(o, "unknown") != "unknown"), "unknown")
        out.append(Character(name, g, tuple(sorted(old))))
    return tuple(out)


def _named_in(segs: list[Segment], described: set[str], index: dict[str, str], gender: dict[str, str],
              forms: dict[str, tuple[str, ...]]) -> list[tuple[str, str, int]]:
    """(description, name, offset) for each described speaker of one chapter that gets a name."""
    turns = _turns(segs)
    found: dict[str, tuple[str, int]] = {}

    def agree(old: str, name: str) -> bool:
        a, b = gender.get(old, "unknown"), gender.get(name, "unknown")
        return a == b or "unknown" in (a, b)

    first_line = {}
    for t in turns:
        first_line.setdefault(t.speaker, t.start)
    for seg in segs:
        if seg.kind != DIALOGUE or seg.speaker not in described or seg.speaker in found:
            continue
        m = _INTRODUCTION.search(seg.text)
        if m and (len(m.group(1).split()) >= 2 or m.group(1) in index):  # "I am Sure" is no name
            name = lookup(index, m.group(1)) or " ".join(m.group(1).split())
            if agree(seg.speaker, name):
                found[seg.speaker] = (name, seg.start)
    for k, t in enumerate(turns[:-1]):
        if t.speaker not in described or t.speaker in found:
            continue
        reply = turns[k + 1]
        if reply.paragraph - t.paragraph <= 2 and reply.speaker and reply.speaker != t.speaker:
            # A quotation that is little more than a name ("Miss Trotwood," said the visitor)
            # may be the speaker naming herself, not calling the other.
            called = set().union(*(vocatives(index, q) for q in reply.quotes if len(q.split()) > 3))
            called -= {reply.speaker}
            if len(called) == 1:
                name = called.pop()
                # Not one the narration named before as someone else there ("Orrin Vale had served three lords"
                # while "the captain" talked: the captain is no Orrin, whatever a line given to the wrong one says).
                if (first_line.get(name, 1 << 60) > t.start and agree(t.speaker, name)
                        and not _narrated_before(segs, forms.get(name, (name,)), t.start)):
                    found[t.speaker] = (name, t.start)
    for k in range(1, len(turns)):
        # Called by a name, then answering: "turned to his son, saying, 'George, persuade them!'" //
        # "'It's so obvious,' said the son": the son is George, if George has not spoken as himself.
        t, caller = turns[k], turns[k - 1]
        if t.speaker not in described or t.speaker in found or first_line.get(t.speaker) != t.start:
            continue
        if t.paragraph - caller.paragraph > 2 or not caller.speaker or caller.speaker == t.speaker:
            continue
        called = set().union(*(vocatives(index, q) for q in caller.quotes)) - {caller.speaker}
        if len(called) != 1:
            continue
        name = next(iter(called))
        head = t.speaker.split()[-1].lower()
        # The call is made to the one described, in the caller's own paragraph ("turned to his son, saying,
        # 'George, ...'"), not to someone absent ('"Where are you, John?" cried Mrs. Hale.' // said the servant).
        if _narration_names(segs, head, lambda s: s.paragraph == caller.paragraph):
            # Not one the narration has shown in the scene ("Mr. Denham had come in ... 'Now, what would you
            # do, Mr. Denham?' // 'Surely she could learn Persian,' broke in a thin, elderly gentleman").
            if (first_line.get(name, 1 << 60) > t.start and agree(t.speaker, name)
                    and not _narrated_before(segs, forms.get(name, (name,)), t.start)):
                found[t.speaker] = (name, t.start)
        elif (agree(t.speaker, name) and name in {u.speaker for u in turns[max(0, k - 7):k - 1]}
              and _answers(segs, t) and not _narration_names(segs, head, lambda s: s.start < t.start)):
            # '"Snake, what's this here deal?" inquired Jim. // "Reckon you'll l'arn," replied the leader.':
            # one who answers the call, made to someone talking in this scene, is that one, unless the
            # narration has shown that one before ("the footman waited by the door": he answers for his master).
            found[t.speaker] = (name, t.start)
    heads = {d.split()[-1].lower(): d for d in described}
    for k, seg in enumerate(segs):
        # Called by a name, then brought on by description: "'How do you do, Mr. Beebe?' // The
        # clergyman, who had the air of one on a holiday, did not remember the ladies" is Mr. Beebe.
        if seg.kind != DIALOGUE:
            continue
        after = next((s for s in segs[k + 1:] if s.paragraph != seg.paragraph or s.kind == DIALOGUE), None)
        if after is None or after.kind == DIALOGUE or after.paragraph != seg.paragraph + 1:
            continue
        m = _DESCRIBED_OPENING.match(after.text)
        owner = next((heads[w] for w in m.group(1).lower().split() if w in heads), None) if m else None
        if owner is None or owner in found or first_line.get(owner, -1) < seg.start:
            continue
        # The one described was brought in before the call ("... revealed a clergyman"): the call greets
        # them, not someone leaving ("Lucy rose as the old man went out. 'Good night, Mr. Emerson.'").
        head = owner.split()[-1].lower()
        if not any(s.kind != DIALOGUE and seg.start - 1500 <= s.start < seg.start and re.search(
                rf"\b(?:an?|the)\s+(?:[a-z-]+\s+){{0,2}}{re.escape(head)}\b", s.text, re.IGNORECASE) for s in segs):
            continue
        called = vocatives(index, seg.text) - {seg.speaker}
        if len(called) == 1:
            name = called.pop()
            if agree(owner, name) and not _narrated_before(segs, forms.get(name, (name,)), seg.start):
                found[owner] = (name, seg.start)
    for k in range(2, len(turns)):
        t, other, mine = turns[k], turns[k - 1], turns[k - 2]
        if (mine.speaker in described and mine.speaker not in found and t.rule == "tag-name"
                and t.speaker not in described and other.speaker not in (t.speaker, mine.speaker)
                and t.paragraph - mine.paragraph == 2 and first_line.get(t.speaker) == t.start
                and agree(mine.speaker, t.speaker)
                and not _mentioned_before(segs, forms.get(t.speaker, (t.speaker,)), first_line[mine.speaker])):
            found[mine.speaker] = (t.speaker, t.start)
    for seg in segs:
        if seg.kind == DIALOGUE:
            continue
        for m in _NAME_GIVEN.finditer(seg.text):
            # "I knew she was a wise old horse ... Her name was Duchess": the last one of that gender
            # to speak, if a description, has that name.
            where = seg.start + m.start()
            want = "male" if m.group(1).lower() == "his" else "female"
            last = next((t for t in reversed(turns) if t.start < where and t.speaker
                         and gender.get(t.speaker) == want), None)
            name = " ".join(m.group(2).split())
            if (last is not None and last.speaker in described and last.speaker not in found
                    and where - last.start <= _REACH and lookup(index, name) in (None, name)):
                found[last.speaker] = (name, where)
    return [(old, name, where) for old, (name, where) in found.items() if name != old]


_ANSWER_TAG = re.compile(r"""[\s,;!?"'\u201d\u2019\u2014-]*(?:(?:replied|answered|returned|rejoined|responded)\s+the"""
                         r"""|the\s+(?:[a-z-]+\s+){0,2}[a-z]+\s+(?:replied|answered|returned|rejoined|responded))\b""")


def _narration_names(segs: list[Segment], head: str, where: Callable[[Segment], bool]) -> bool:
    """Does a narration segment `where` says use the noun `head` ("the leader", "The son")?"""
    pattern = re.compile(rf"\b{re.escape(head)}\b", re.IGNORECASE)
    return any(s.kind != DIALOGUE and where(s) and pattern.search(s.text) for s in segs)


def _answers(segs: list[Segment], t: _Turn) -> bool:
    """Is a turn's first quotation tagged as an answer given by a described speaker ("replied the leader")?"""
    k = next(i for i, s in enumerate(segs) if s.start == t.start)
    after = segs[k + 1] if k + 1 < len(segs) else None
    return after is not None and after.kind != DIALOGUE and after.paragraph == t.paragraph and bool(
        _ANSWER_TAG.match(after.text))


def _turns(segs: list[Segment]) -> list[_Turn]:
    by_para: dict[int, list[Segment]] = {}
    for seg in segs:
        if seg.kind == DIALOGUE:
            by_para.setdefault(seg.paragraph, []).append(seg)
    return [_Turn(p, qs[-1].speaker, (qs[-1].rule or "").split("+")[0], qs[0].start, tuple(q.text for q in qs))
            for p, qs in sorted(by_para.items())]


def _mentioned_before(segs: list[Segment], names: tuple[str, ...], pos: int) -> bool:
    """Is any of these names written (in narration or speech) before `pos`?"""
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")\b")
    return any(pattern.search(seg.text) for seg in segs if seg.start < pos)


def _narrated_before(segs: list[Segment], names: tuple[str, ...], pos: int) -> bool:
    """Is any of these names written in the narration before `pos`?"""
    return _mentioned_before([seg for seg in segs if seg.kind != DIALOGUE], names, pos)
