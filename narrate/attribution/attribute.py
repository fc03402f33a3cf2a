"""Attribution stage: dialogue segments -> speakers, by a sieve of rules from surest to weakest."""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import replace
from functools import cache

from ..model import DIALOGUE, Character, Gender, Script, Segment
from ..text.segment import split_text
from .characters import discover_characters, learn_genders, title_gender
from .descriptions import noun_gender
from .discourse import NARRATOR, Context
from .identities import name_described
from .ranking import Evidence, Ranker, candidates, first_person_share, load_ranker
from .tags import ENDS_READING, ENDS_SPEAKING, LEAD_IN_END, SPEECH_WORD, Decision, has_word, tag_after, tag_before
from .untagged import (
    SILENT,
    action_subject,
    chat_sender,
    kept_silent,
    leaving,
    reported_speaker,
    untagged,
    untagged_candidates,
    vocatives,
)

__all__ = ["NARRATOR", "attribute", "discover_characters", "evidence", "load_ranker", "script_book", "script_text"]


def attribute(text: str, segments: Sequence[Segment], characters: Sequence[Character] | None = None) -> list[Segment]:
    """Give every dialogue segment a speaker, the rule that chose it and a confidence."""
    if characters is None:
        characters = discover_characters([text])
    return _attribute(text, segments, characters)[0]


_OBJECT_PRONOUN = {"he": re.compile(r"\bhim\b", re.IGNORECASE), "she": re.compile(r"\bher\b", re.IGNORECASE)}


def _gender_vote(ctx: Context, d: Decision, narration: str, votes: dict[str, float]) -> None:
    """A speaker found through "he"/"she" is evidence of that speaker's gender, unless the
    paragraph also has that pronoun as an object ("Jess looked at her. ... she said"): then the
    pronoun may have been matched to the wrong person of unknown gender."""
    if not d.speaker or not d.pronoun or d.speaker == NARRATOR or ctx.gender.get(d.speaker) != "unknown":
        return
    if _OBJECT_PRONOUN[d.pronoun].search(narration):
        return
    weight = 1.0 if d.rule.startswith("tag-") else 0.5
    votes[d.speaker] = votes.get(d.speaker, 0.0) + (weight if d.pronoun == "he" else -weight)


def _attribute(text: str, segments: Sequence[Segment], characters: Sequence[Character],
               ranker: Ranker | None = None,
               collect: list | None = None) -> tuple[list[Segment], dict[str, float]]:
    """`attribute`, plus gender votes (> 0 male) for speakers of unknown gender.

    With a ranker, each quotation's speaker is the best of its candidates (the sieve's choice
    among them) and its confidence the ranker's probability. `collect`, if given, receives
    (start, end, candidate names, feature rows) for each ranked quotation, to fit a ranker.
    """
    votes: dict[str, float] = {}
    segs = _turns(segments)
    ctx = Context(text, segs, characters)
    first_person = first_person_share(" ".join(s.text for s in segments if s.kind != DIALOGUE))
    by_para: dict[int, list[int]] = {}
    for i, seg in enumerate(segs):
        by_para.setdefault(seg.paragraph, []).append(i)
    turns: list[str | None] = ctx.exchange  # speaker of each dialogue paragraph of the current exchange
    addressed_before: set[str] = set()
    quiet = 0  # narration-only paragraphs since the last speech
    lead_start = 0
    prev_narration: Segment | None = None  # the narration-only paragraph just before
    lead_in = ""  # narration paragraph that ends with "said," or ":" and leads into the next
    out = list(segments)
    ahead, calls = _look_ahead(ctx, segs, by_para)
    for para in sorted(by_para):
        idxs = by_para[para]
        para_start = segs[idxs[0]].start
        quotes = [i for i in idxs if segs[i].kind == DIALOGUE]
        if not quotes:
            quiet += 1
            if quiet >= 2 or len(segs[idxs[0]].text) > 1200:
                turns.clear()
                addressed_before = set()
                ctx.previous, ctx.addressed_prev = None, set()
                ctx.absent = set()
            ctx.absent |= leaving(ctx, segs[idxs[0]].text, para_start, para_start)
            prev_narration = segs[idxs[0]]
            body = segs[idxs[0]].text.rstrip()
            # A short paragraph of narration between two speeches is a turn of its own ("She assured
            # him that she had not."), also when it names who kept silent ("Fanny coloured, and said nothing.").
            ctx.narrated_turn = quiet == 1 and len(body) < 400 and (
                not (ctx.pattern and ctx.pattern.search(body)) or bool(SILENT.search(body)))
            lead_in = body if LEAD_IN_END.search(body) or ENDS_SPEAKING.search(body) else ""
            lead_start = para_start
            told = reported_speaker(ctx, segs[idxs[0]]) if quiet == 1 and turns else None
            if told:
                # "Lucy mumbled that those seemed very odd people opposite.": her turn, in other words.
                turns.append(told)
                ctx.spoke(told)
                ctx.previous, ctx.addressed_prev = told, set()
                addressed_before = set()
                ctx.narrated_turn = False
            continue
        if segs[quotes[0]].rule == "chat":
            # A chat message ("theo_k: who took my charger"): its sender, whom the handle names; the talk in
            # the room goes on around it as if it were narration.
            sender = chat_sender(ctx, segs[quotes[0] - 1].text)
            for i in quotes:
                out[i] = replace(segments[i], speaker=sender, rule="chat", confidence=0.9)
            continue
        restarted = quiet > 0
        quiet = 0
        for i in idxs:
            if i < quotes[0] and segs[i].kind != DIALOGUE:
                ctx.absent |= leaving(ctx, segs[i].text, segs[i].start, para_start)
        decisions: dict[int, Decision] = {}
        led: set[int] = set()
        lead_text = lead_in
        # Whom this paragraph's quotations open by calling ("Annie," she teased): not "she".
        opening = {i: vocatives(ctx.index, segs[i].text[:120]) for i in quotes}
        called = set().union(*opening.values())
        ctx.current = None
        for i in quotes:
            before, after = _around(segs, i)
            start = para_start
            if lead_in and (i == idxs[0] or (i == idxs[0] + 1 and not has_word(before))):
                before = lead_in + before
                start = lead_start
            d = tag_after(ctx, segs[i], after, para_start, called)
            if d is None:
                d = tag_before(ctx, segs[i], before, start, called)
                if d and i != quotes[0]:
                    led.add(i)  # "... whereupon Mrs. Griffin spoke. '...'": her tag leads into this one only
            if d and d.speaker in opening[i]:
                # "Don't, Jo. It's so boyish!" is said to Jo, whatever the narration before led to
                # (only its opening: a long speech may quote someone calling the speaker).
                d = None
            if d:
                decisions[i] = d
                ctx.current = d.speaker
        lead_in = ""
        addressed = calls[para]
        default = None
        if not decisions:
            default = untagged(ctx, segs, idxs, quotes, turns, addressed, addressed_before, para_start,
                                prev_narration)
        narration = " ".join(segs[i].text for i in idxs if segs[i].kind != DIALOGUE)
        for d in list({id(d): d for d in decisions.values()}.values()) if decisions else [default]:
            _gender_vote(ctx, d, narration, votes)
        chosen: dict[int, Decision] = {}
        if ranker is not None or collect is not None:
            proposals = [(d.speaker, d.rule) for d in untagged_candidates(
                ctx, segs, idxs, quotes, turns, addressed, addressed_before, para_start, prev_narration)
                if d.speaker]
            for i in (list(decisions) or quotes[:1]):
                d = decisions.get(i) or default
                ev = Evidence(segs[i].text, segs[i].start, d.speaker, d.rule, d.confidence, d.pronoun,
                              _narration_before(segs, idxs, i, lead_text if i == idxs[0] or i == idxs[0] + 1 else ""),
                              _narration_after(segs, idxs, i),
                              prev_narration.text if prev_narration is not None else "",
                              list(turns), addressed, addressed_before, proposals, restarted,
                              *ahead.get(para, (set(), None, None)))
                names, rows = candidates(ctx, ev, first_person)
                if collect is not None:
                    collect.append((segs[i].start, segs[i].end, names, rows))
                if ranker is not None and names:
                    chosen[i] = d if d.pinned else _ranked(ranker, names, rows, d, proposals, opening[i])
        prev_narration = None
        for i in quotes:
            if chosen:
                d = chosen.get(i) or _acted_before(ctx, segs, idxs, i, chosen, led) or _nearest_decision(i, chosen)
            else:
                d = (decisions.get(i) or _acted_before(ctx, segs, idxs, i, decisions, led)
                     or _nearest_decision(i, decisions) or default)
            out[i] = replace(segments[i], speaker=d.speaker, rule=d.rule, confidence=round(d.confidence, 2))
        last = out[quotes[-1]].speaker
        ctx.absent -= {out[i].speaker for i in quotes}  # back, and speaking
        turns.append(last)
        ctx.spoke(last)
        addressed_before = addressed - {last}
        ctx.previous, ctx.addressed_prev = last, addressed_before
        ctx.narrated_turn = False
        ctx.last_quote_end = segs[quotes[-1]].end
        ctx.last_spoken = " ".join(segs[i].text for i in quotes)
        tail = segs[idxs[-1]]
        silent = kept_silent(ctx, tail.text, last) if tail.kind != DIALOGUE and idxs[-1] > quotes[-1] else None
        if silent:
            # "... said Ogden simply. Mr. Pett grunted, but made no verbal comment.": Mr. Pett's turn
            # passed, so an untagged reply next is Ogden's again.
            turns.append(silent)
            ctx.previous = silent
        if tail.kind != DIALOGUE and (LEAD_IN_END.search(tail.text.rstrip()) and SPEECH_WORD.search(
                tail.text.rsplit(";", 1)[-1]) or idxs[-1] > quotes[-1] and ENDS_READING.search(tail.text.rstrip())):
            # `... was his daughter's; but Sir Walter's remark was, soon afterwards--` leads into
            # the quotation that opens the next paragraph.
            lead_in, lead_start = tail.text.rstrip(), tail.start
    return out, votes


_MARKS_ONLY = re.compile(r"[\s\"\u201c\u201d\u2018\u2019'\u00ab\u00bb]*")


def _turns(segments: Sequence[Segment]) -> list[Segment]:
    """The segments numbered by turn: a paragraph's quotations with nothing but quote marks
    between them ("I'll run back." "Do," she answered.) are two speakers' turns, as if the
    writer had broken the paragraph there; every later paragraph moves up by one."""
    out, shift = [], 0
    for k, seg in enumerate(segments):
        if (seg.kind == DIALOGUE and k >= 2 and segments[k - 2].kind == DIALOGUE
                and segments[k - 2].paragraph == seg.paragraph
                and _MARKS_ONLY.fullmatch(segments[k - 1].text)):
            shift += 1
        out.append(seg if not shift else replace(seg, paragraph=seg.paragraph + shift))
    return out


def _around(segs: list[Segment], i: int) -> tuple[str, str]:
    """The narration right before and right after quotation i, within its paragraph."""
    para = segs[i].paragraph
    before = segs[i - 1].text if i > 0 and segs[i - 1].paragraph == para else ""
    after = segs[i + 1].text if i + 1 < len(segs) and segs[i + 1].paragraph == para else ""
    return before, after


def _look_ahead(ctx: Context, segs: list[Segment], by_para: dict[int, list[int]]
                ) -> tuple[dict[int, tuple[set[str], str | None, str | None]], dict[int, set[str]]]:
    """For each dialogue paragraph, what the next ones say about it: whom the next (adjacent)
    paragraph calls by name, and whom the next two name in an explicit tag ("said Emma"). A reply
    that calls Henry was most likely said to the one who just spoke, and speakers alternate.
    Also whom each dialogue paragraph's own quotations call by name."""
    pre = copy.copy(ctx)  # tags are read on a copy: the real pass keeps its own discourse state
    pre.described_as, pre.speakers, pre.exchange, pre.addressed_prev = {}, [], [], set()
    dialogue = [p for p in sorted(by_para) if any(segs[i].kind == DIALOGUE for i in by_para[p])]
    called: dict[int, set[str]] = {}
    tagged: dict[int, str | None] = {}
    for para in dialogue:
        idxs = by_para[para]
        called[para] = set()
        tagged[para] = None
        for i in idxs:
            if segs[i].kind != DIALOGUE:
                continue
            called[para] |= vocatives(ctx.index, segs[i].text)
            before, after = _around(segs, i)
            start = segs[idxs[0]].start
            d = tag_after(pre, segs[i], after, start) or tag_before(pre, segs[i], before, start)
            if d and d.rule == "tag-name" and tagged[para] is None:
                tagged[para] = d.speaker
    out = {}
    for k, para in enumerate(dialogue):
        nxt = dialogue[k + 1] if k + 1 < len(dialogue) and dialogue[k + 1] - para <= 2 else None
        nxt2 = dialogue[k + 2] if nxt is not None and k + 2 < len(dialogue) and dialogue[k + 2] - nxt <= 2 else None
        out[para] = (called[nxt] if nxt is not None else set(), tagged.get(nxt), tagged.get(nxt2))
    return out, called


def _with_derived(chapters: list[list[Segment]], characters: Sequence[Character]) -> tuple[Character, ...]:
    """The characters plus speakers attribution derived from them ("her husband" of Mrs. Elton
    speaks as Mr. Elton), with the gender their title gives."""
    known = {c.name for c in characters}
    new = dict.fromkeys(s.speaker for segs in chapters for s in segs
                        if s.kind == DIALOGUE and s.speaker and s.speaker not in known and s.speaker != NARRATOR)
    return (*characters, *(Character(n, _derived_gender(n)) for n in new))


def _derived_gender(name: str) -> Gender:
    """"Mr. Elton" by his title, "Elderly Woman" by her noun."""
    gender = title_gender(name)
    return gender if gender != "unknown" else noun_gender(name.split()[-1].lower())


def _ranked(ranker: Ranker, names: list[str], rows, sieve: Decision,
            proposals: list[tuple[str, str]], called: set[str] = frozenset()) -> Decision:
    """The ranker's choice, keeping the rule that proposed it (the sieve's, if it agrees); never one
    the quotation opens by calling ("Tom, where is the doctor's horse?" is not Tom's)."""
    probs = ranker.probabilities(rows).copy()
    for k, name in enumerate(names):
        if name in called:
            probs[k] = -1.0
    if probs.max() < 0:
        return sieve
    best = int(probs.argmax())
    if sieve.speaker in names:
        # The sieve knows things the features do not (a child's "papa" within the family): the
        # ranker overrules it only by a clear margin.
        own = names.index(sieve.speaker)
        if probs[best] - probs[own] < ranker.margin:
            best = own
    name = names[best]
    confidence = min(0.99, float(probs[best]))
    if name == sieve.speaker:
        # Agreement: the ranker's probability and the rule's own reliability, averaged.
        return Decision(name, sieve.rule, (confidence + sieve.confidence) / 2, sieve.pronoun)
    rule = next((r for n, r in proposals if n == name), "ranked")
    # Overruling the sieve is a doubtful call whatever the margin.
    return Decision(name, rule if rule != sieve.rule else "ranked", confidence / 2)


def _narration_before(segs: list[Segment], idxs: list[int], i: int, lead_in: str) -> str:
    """The narration of quote i's paragraph before it (after the previous quote), with a lead-in."""
    parts = []
    for j in reversed([j for j in idxs if j < i]):
        if segs[j].kind == DIALOGUE:
            break
        parts.append(segs[j].text)
    return lead_in + "".join(reversed(parts))


def _narration_after(segs: list[Segment], idxs: list[int], i: int) -> str:
    parts = []
    for j in [j for j in idxs if j > i]:
        if segs[j].kind == DIALOGUE:
            break
        parts.append(segs[j].text)
    return "".join(parts)



def _acted_before(ctx: Context, segs: list[Segment], idxs: list[int], i: int, decisions: dict[int, Decision],
                  led: set[int]) -> Decision | None:
    """For an untagged quotation whose paragraph's only tags lead into later quotations ("He sprang
    to his feet. '...' And ... whereupon Mrs. Griffin spoke. '...'"): the subject acting just before it."""
    para_start = segs[idxs[0]].start
    before = [j for j in idxs if j < i]
    if not before or segs[before[-1]].kind == DIALOGUE:
        return None
    seg = segs[before[-1]]
    if any(j < i for j in decisions):
        # "'I will!' cried the ladies. Mrs. Griffin, however, expressed the need for a little more
        # light. 'Who was it ...?'": someone else named acting between two quotations speaks the second.
        # Only after a described speaker or a company ("cried the ladies"): a named speaker's paragraph
        # is his ('"Go home," said Tom. Mary turned away. "Did you hear me?"').
        earlier = decisions[max(j for j in decisions if j < i)]
        if not earlier.rule.startswith("tag-noun"):
            return None
        acted = action_subject(ctx, seg.text, seg.start, True, para_start)
        return acted if acted and acted.rule == "action-name" and acted.speaker != earlier.speaker else None
    if not any(j > i for j in decisions) or not all(j in led for j in decisions if j > i):
        return None
    return action_subject(ctx, seg.text, seg.start, True, para_start)


def _nearest_decision(i: int, decisions: dict[int, Decision]) -> Decision | None:
    if not decisions:
        return None
    j = min(decisions, key=lambda k: (abs(k - i), k < i))
    d = decisions[j]
    if j == i:
        return d
    return Decision(d.speaker, d.rule + "+paragraph", max(0.0, d.confidence - 0.05))


def script_text(text: str, characters: Sequence[Character] | None = None, *, use_ranker: bool = True,
                ranker: Ranker | None = None) -> Script:
    """Split and attribute one chapter; characters are discovered from it if not given."""
    if characters is None:
        characters = discover_characters([text])
    return script_book([text], characters, use_ranker=use_ranker, ranker=ranker)[0]


def script_book(texts: Sequence[str], characters: Sequence[Character] | None = None, *,
                use_ranker: bool = True, ranker: Ranker | None = None) -> list[Script]:
    """Script every chapter, with characters discovered across the whole book.

    Speakers whose gender the text alone left unknown learn it from the pronouns that
    attribution matched to them ("Okay..." She said.); the chapters are then attributed again,
    as "he"/"she" tags resolve better once genders are known. The sieve's choices are ranked
    by `ranker` (default: the one shipped with narrate) unless `use_ranker` is False.
    """
    scripts, _ = _script(texts, characters, _pick_ranker(use_ranker, ranker), None)
    return scripts


def evidence(text: str, ranker: Ranker | None = None) -> list[tuple[int, int, list[str], object]]:
    """For fitting a ranker: (start, end, candidate names, feature rows) of each ranked quotation
    of one chapter, as attribution with `ranker` (None: the sieve alone) sees them."""
    collected: list = []
    _script([text], None, ranker, collected)
    return collected


def _pick_ranker(use_ranker: bool, ranker: Ranker | None) -> Ranker | None:
    if not use_ranker:
        return None
    return ranker if ranker is not None else _default_ranker()


@cache
def _default_ranker() -> Ranker | None:
    return load_ranker()


def _script(texts: Sequence[str], characters: Sequence[Character] | None, ranker: Ranker | None,
            collect: list | None) -> tuple[list[Script], list]:
    if characters is None:
        characters = discover_characters(texts)
    splits = [split_text(t) for t in texts]
    runs = [_attribute(t, segs, characters, ranker) for t, segs in zip(texts, splits)]
    votes: dict[str, float] = {}
    for _, chapter_votes in runs:
        for name, v in chapter_votes.items():
            votes[name] = votes.get(name, 0.0) + v
    learned = learn_genders(characters, votes)
    if learned != tuple(characters) or collect is not None:
        characters = learned
        runs = [_attribute(t, segs, characters, ranker, collect) for t, segs in zip(texts, splits)]
    chapters = [segs for segs, _ in runs]
    characters = name_described(chapters, _with_derived(chapters, characters))
    return [Script(t, tuple(segs), tuple(characters)) for t, segs in zip(texts, chapters)], collect or []


if __name__ == "__main__":
    import json
    import sys

    with open(sys.argv[1], encoding="utf-8") as fh:
        print(json.dumps(script_text(fh.read()).to_json()))
