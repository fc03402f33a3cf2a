"""Attribution stage: dialogue segments -> speakers, by a sieve of rules from surest to weakest."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache

from ..model import DIALOGUE, Character, Script, Segment
from ..text.segment import split_text
from .characters import discover_characters, learn_genders, lookup, name_index
from .descriptions import is_description
from .discourse import NARRATOR, Context
from .ranking import Evidence, Ranker, candidates, first_person_share, load_ranker

__all__ = ["NARRATOR", "attribute", "discover_characters", "evidence", "load_ranker", "script_book", "script_text"]

SPEECH_VERBS = (
    "said says say saying asked asks asking replied replies replying answered answers answering "
    "cried cries crying exclaimed exclaims whispered whispers whispering murmured murmurs muttered "
    "mutters shouted shouts yelled yells called calls added adds continued continues began begins "
    "observed observes remarked remarks returned returns rejoined rejoins retorted retorts inquired "
    "inquires enquired enquires questioned questions responded responds declared declares sighed "
    "sighs laughed laughs snapped snaps stammered stammers sobbed sobs pleaded pleads begged begs "
    "demanded demands insisted insists suggested suggests explained explains protested protests "
    "interrupted interrupts repeated repeats submitted presumed thought thinks trailed pursued resumed urged groaned "
    "gasped breathed growled grumbled hissed screamed shrieked sang told tells admitted agreed "
    "announced argued assented blurted called chimed concluded confessed corrected echoed "
    "faltered joked lied mused nodded objected offered persisted prompted proceeded promised "
    "recollected reflected reminded replied ventured volunteered wondered wailed went spoke speaks"
).split()
_VERB = r"(?:" + "|".join(sorted(set(SPEECH_VERBS), key=len, reverse=True)) + r")"
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Dr|Sir|Lady|Lord|Captain|Colonel|Admiral|General|Major|Master|Madam|Madame|Dame|Professor|Aunt|Uncle)"
_NAME = r"(?:" + _TITLE + r"\.?\s+)?[A-Z][\w'\u2019-]*(?:\s+[A-Z][\w'\u2019-]*){0,2}"
_PRON = r"(?:[Hh]e|[Ss]he|I|[Ww]e|[Tt]hey)\b"
_NP = (r"(?:(?:[Hh]is|[Hh]er|[Tt]he|[Tt]heir|[Mm]y|[Oo]ur|[Tt]his|[Tt]hat|[Aa]n?|[Aa]nother)\s+"
       r"(?:[a-z][\w'\u2019-]*,?\s+){0,3}[a-z][\w'\u2019-]*)")
_SUBJ = r"(?P<subj>" + _NP + "|" + _NAME + "|" + _PRON + r")"
_ADV = r"(?:\s+(?:[a-z]+ly|then|again|at\s+last|at\s+once|now|only|still|just|had|was|kept|quickly))*"
_SPEECH_NOUN = r"(?:reply|answer|rejoinder|remark|response|observation|retort|question|inquiry|enquiry|words|cry|exclamation|farewell|speech|greeting)\b"
_LEAD = r"""^[\s,;:\u2014\u2013\-"'\u201c\u201d\u2018\u2019]*"""
_TRAIL = r"""[\s"'\u201c\u201d\u2018\u2019]*$"""
_PREPOSITION = r"(?:to|at|with|in|of|for|from|on|upon|and|but|as|into|by|after|before|unto|toward|towards)\b"
# After a quotation: `said Jess`, `Jess said`, `she asked`, `He trailed off`, `was the reply`.
_AFTER_INVERTED = re.compile(_LEAD + r"(?:\w+ly\s+)?" + _VERB + _ADV + r"\s+(?:(?:the\s+)?(?:(?!" + _PREPOSITION
                             + r")[a-z]+\s+){0,3}(?=[A-Z]))?" + _SUBJ)
_AFTER_NORMAL = re.compile(_LEAD + _SUBJ + _ADV + r"\s+" + _VERB + r"\b")
_AFTER_NOUN = re.compile(
    _LEAD + r"(?:was|were|came)\s+(?P<subj>" + _NAME + r"|his|her|the)(?:'s|\u2019s)?\s+"
    r"(?:\w+\s+){0,3}?" + _SPEECH_NOUN
)
# Before a quotation: `Jess whispered`, `he continued, not giving up.`, `said Emma,`.
_INFINITIVE = r"(?:to\s+(?:add|say|reply|answer|ask|observe|remark|exclaim|inquire|enquire|whisper|murmur|speak))"
_BEFORE_NORMAL = re.compile(_SUBJ + _ADV + r"\s+(?:" + _VERB + "|" + _INFINITIVE + r")\b[^.!?\"\u201c\u201d]{0,80}[.,:;\u2014\u2013\-]*" + _TRAIL)
_BEFORE_INVERTED = re.compile(_VERB + _ADV + r"\s+" + _SUBJ + r"[^.!?\"\u201c\u201d]{0,60}[,:;\u2014\u2013\-]*" + _TRAIL)
# A sentence whose subject is a character: `Rory stared at him.`, `She smiled.`
_ACTION = re.compile(r"(?:^|(?<=[.!?\u2026;]\s)|(?<=\n))\s*(?:(?:But|And|Then|So|Now|Here|At last|Meanwhile)\s+)?" + _SUBJ + r"\s+(?:[a-z]+ly\s+)?[a-z]+")
_ABBREV_DOT = r"(?:(?<=\bMr)|(?<=\bMrs)|(?<=\bMs)|(?<=\bDr)|(?<=\bSt))\."  # "Mr." ends no sentence
_SENTENCES = re.compile(r"(?:[^.!?\u2026]|" + _ABBREV_DOT + r")+(?:[.!?\u2026]+|$)")
_VOCATIVE_START = re.compile(r"^\W*(?:(?:my\s+)?(?:dear|dearest)\s+)?(" + _NAME + r")\s*[,!?]")
_VOCATIVE_END = re.compile(r"[,\s](?:my\s+)?(?:dear\s+)?(" + _NAME + r")\W*$")
_VOCATIVE_MID = re.compile(r",\s+(?:my\s+)?(?:dear\s+)?(" + _NAME + r")\s*[,!?;.]")
# A stage direction inside a speech names its addressee: "(turning to Emma.)", "(to Mr. Knightley)".
_VOCATIVE_ASIDE = re.compile(r"\((?:[a-z]+\s+){0,3}(?:to|at)\s+(" + _NAME + r")")



@dataclass(frozen=True)
class _Decision:
    speaker: str | None
    rule: str
    confidence: float
    pronoun: str | None = None
    """"he"/"she" when the speaker was found through that pronoun (evidence of gender)."""


def _pronoun_of(subj: str) -> str | None:
    word = subj.split()[0].lower() if subj.split() else ""
    return word if word in ("he", "she") else None


_TAG_CONF = {"name": 0.95, "pronoun": 0.8, "noun": 0.65}
# "he continued": the speaker goes on with his own speech, so he is the one who spoke last.
_CONTINUING = re.compile(r"\b(?:continued|continues|went\s+on|goes\s+on|resumed|persisted|pursued|proceeded)\b")


def _tag_after(ctx: Context, seg: Segment, after: str, para_start: int) -> _Decision | None:
    for pattern in (_AFTER_INVERTED, _AFTER_NORMAL, _AFTER_NOUN):
        m = pattern.match(after)
        if not m:
            continue
        subj = m.group("subj")
        if subj.lower() in ("his", "her"):
            subj = "he" if subj.lower() == "his" else "she"
        pronoun = _pronoun_of(subj)
        if pronoun and _CONTINUING.search(m.group(0)):
            speaker = ctx.continuing("male" if pronoun == "he" else "female")
            if speaker:
                return _Decision(speaker, "tag-pronoun", _TAG_CONF["pronoun"], pronoun)
        speaker, kind = ctx.resolve(subj, seg.start, para_start)
        if speaker:
            return _Decision(speaker, "tag-" + kind, _TAG_CONF[kind], pronoun)
        if kind != "none":
            return None
    return None


def _tag_before(ctx: Context, seg: Segment, before: str, para_start: int) -> _Decision | None:
    # Only the last sentence of the narration before the quotation can lead into it.
    tail = before[-300:]
    # The clause nearest the quotation first: in `He told the whole; and she had only to add,`
    # the speaker is "she", not "He".
    semi = tail.rfind(";")
    tails = [tail[semi + 1:], tail] if semi >= 0 and _has_word(tail[semi + 1:]) else [tail]
    for part in tails:
        for pattern in (_BEFORE_INVERTED, _BEFORE_NORMAL):
            m = pattern.search(part)
            if m:
                speaker, kind = ctx.resolve(m.group("subj"), seg.start, para_start)
                if speaker:
                    return _Decision(speaker, "tag-" + kind, _TAG_CONF[kind] - 0.05, _pronoun_of(m.group("subj")))
    return _lead_in(ctx, tail, seg.start - len(tail), para_start)


_CLAUSES = re.compile(r"(?:[^.!?;\u2026]|" + _ABBREV_DOT + r")+(?:[.!?;\u2026]+|$)")
_SPEECH_WORD = re.compile(r"\b" + _VERB + r"\b|\b" + _SPEECH_NOUN)
_SUBJECT_WORD = re.compile(r"\b(?:he|she|He|She|I)\b")


def _lead_in(ctx: Context, tail: str, offset: int, para_start: int) -> _Decision | None:
    """The subject of a clause with a speaking verb that leads into the quotation.

    `Sissy dropped a curtsey to Mr. Gradgrind ..., and said in a faltering way,`,
    `Edmund, to whom this was chiefly addressed, replied,`, `Here Anne spoke--`.
    """
    clauses = list(_CLAUSES.finditer(tail))
    if not clauses:
        return None
    clause = clauses[-1]
    if not _has_word(clause.group()) and len(clauses) > 1:
        clause = clauses[-2]
    body = clause.group()
    verb = None
    for verb in _SPEECH_WORD.finditer(body):
        pass
    if verb is None or len(body[verb.end():].split()) > 8:
        return None
    candidates = []
    if ctx.pattern is not None:
        for m in ctx.pattern.finditer(tail, clause.start(), clause.start() + verb.start()):
            candidates.append((m.start(), m.group()))
    for m in _SUBJECT_WORD.finditer(body, 0, verb.start()):
        candidates.append((clause.start() + m.start(), m.group()))
    for pos, surface in sorted(candidates):
        words = tail[max(0, pos - 15):pos].split()
        if words and words[-1].lower() in _OBJECT_LEADS:
            continue
        speaker, kind = ctx.resolve(surface, offset + pos, para_start)
        if speaker:
            kind = "name" if kind == "name" else "pronoun"
            return _Decision(speaker, "tag-" + kind, _TAG_CONF[kind] - 0.1, _pronoun_of(surface))
        break
    return None


# "I can see Douglas there ...", "I heard one small urchin grumbling": the one perceived acts.
_PERCEIVED = re.compile(r"(?:[A-Z][a-z]+\s+)?I\s+(?:can\s+|could\s+)?(?:see|saw|hear|heard|watched|noticed)\s+"
                        + _SUBJ.replace("(?P<subj>", "(?P<subj>(?!him\b|her\b|them\b|it\b)"))
_SILENT = re.compile(r"\b(?:said nothing|made no (?:reply|answer)|no (?:reply|answer)|silent|silence)\b")
_OBJECT_LEADS = frozenset("to with at of for by from on upon towards toward about than into like".split())


def _action_subject(ctx: Context, narration: str, offset: int, from_end: bool, para_start: int,
                    last_only: bool = False) -> _Decision | None:
    """A character who is the subject of a narration sentence in the quote's paragraph."""
    sentences = [(m.start(), m.group()) for m in _SENTENCES.finditer(narration) if _has_word(m.group())]
    if from_end:
        sentences.reverse()
    if last_only:
        sentences = sentences[:1]
        if sentences and _SILENT.search(sentences[0][1]):
            return None  # "Fanny coloured, and said nothing."
    for start, sentence in sentences:
        body = sentence.lstrip(" \t\n\"'\u201c\u201d\u2018\u2019")
        m = _PERCEIVED.match(body) or _ACTION.match(body)
        if not m:
            continue
        speaker, kind = ctx.resolve(m.group("subj"), offset + start, para_start)
        if speaker and kind in ("name", "pronoun", "noun"):
            kind = "pronoun" if kind == "noun" else kind  # "The doctor bent down."
            return _Decision(speaker, "action-" + kind, 0.7 if kind == "name" else 0.6, _pronoun_of(m.group("subj")))
    return None


def _vocatives(ctx: Context, quote: str) -> set[str]:
    found = set()
    for pattern in (_VOCATIVE_START, _VOCATIVE_END, _VOCATIVE_MID, _VOCATIVE_ASIDE):
        for m in pattern.finditer(quote):
            name = lookup(ctx.index, m.group(1))
            if name:
                found.add(name)
    return found


_ENDS_SPEAKING = re.compile(r"\b(?:" + _VERB + r"|" + _SPEECH_NOUN + r")(?:\s+[a-z]+){0,4}[.:]\s*$")
_LEAD_IN_END = re.compile(r"(?:[,:]|--|\u2014|\u2013)\s*$")


def attribute(text: str, segments: Sequence[Segment], characters: Sequence[Character] | None = None) -> list[Segment]:
    """Give every dialogue segment a speaker, the rule that chose it and a confidence."""
    if characters is None:
        characters = discover_characters([text])
    return _attribute(text, segments, characters)[0]


_OBJECT_PRONOUN = {"he": re.compile(r"\bhim\b", re.IGNORECASE), "she": re.compile(r"\bher\b", re.IGNORECASE)}


def _gender_vote(ctx: Context, d: _Decision, narration: str, votes: dict[str, float]) -> None:
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
    ctx = Context(text, segments, characters)
    first_person = first_person_share(" ".join(s.text for s in segments if s.kind != DIALOGUE))
    segs = list(segments)
    by_para: dict[int, list[int]] = {}
    for i, seg in enumerate(segs):
        by_para.setdefault(seg.paragraph, []).append(i)
    turns: list[str | None] = ctx.exchange  # speaker of each dialogue paragraph of the current exchange
    addressed_before: set[str] = set()
    quiet = 0  # narration-only paragraphs since the last speech
    lead_start = 0
    prev_narration: Segment | None = None  # the narration-only paragraph just before
    lead_in = ""  # narration paragraph that ends with "said," or ":" and leads into the next
    out = list(segs)
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
            prev_narration = segs[idxs[0]]
            body = segs[idxs[0]].text.rstrip()
            ctx.narrated_turn = quiet == 1 and len(body) < 400 and not (ctx.pattern and ctx.pattern.search(body))
            lead_in = body if _LEAD_IN_END.search(body) or _ENDS_SPEAKING.search(body) else ""
            lead_start = para_start
            continue
        restarted = quiet > 0
        quiet = 0
        decisions: dict[int, _Decision] = {}
        lead_text = lead_in
        for i in quotes:
            after = segs[i + 1].text if i + 1 < len(segs) and segs[i + 1].paragraph == para else ""
            before = segs[i - 1].text if i > 0 and segs[i - 1].paragraph == para else ""
            start = para_start
            if lead_in and (i == idxs[0] or (i == idxs[0] + 1 and not _has_word(before))):
                before = lead_in + before
                start = lead_start
            d = _tag_after(ctx, segs[i], after, para_start) or _tag_before(ctx, segs[i], before, start)
            if d:
                decisions[i] = d
        lead_in = ""
        addressed = set().union(*(_vocatives(ctx, segs[i].text) for i in quotes))
        default = None
        if not decisions:
            default = _untagged(ctx, segs, idxs, quotes, turns, addressed, addressed_before, para_start,
                                prev_narration)
        narration = " ".join(segs[i].text for i in idxs if segs[i].kind != DIALOGUE)
        for d in list({id(d): d for d in decisions.values()}.values()) if decisions else [default]:
            _gender_vote(ctx, d, narration, votes)
        chosen: dict[int, _Decision] = {}
        if ranker is not None or collect is not None:
            proposals = [(d.speaker, d.rule) for d in _untagged_candidates(
                ctx, segs, idxs, quotes, turns, addressed, addressed_before, para_start, prev_narration)
                if d.speaker]
            for i in (list(decisions) or quotes[:1]):
                d = decisions.get(i) or default
                ev = Evidence(segs[i].text, segs[i].start, d.speaker, d.rule, d.confidence, d.pronoun,
                              _narration_before(segs, idxs, i, lead_text if i == idxs[0] or i == idxs[0] + 1 else ""),
                              _narration_after(segs, idxs, i),
                              prev_narration.text if prev_narration is not None else "",
                              list(turns), addressed, addressed_before, proposals, restarted)
                names, rows = candidates(ctx, ev, first_person)
                if collect is not None:
                    collect.append((segs[i].start, segs[i].end, names, rows))
                if ranker is not None and names:
                    chosen[i] = _ranked(ranker, names, rows, d, proposals)
        prev_narration = None
        for i in quotes:
            if chosen:
                d = chosen.get(i) or _nearest_decision(i, chosen)
            else:
                d = decisions.get(i) or _nearest_decision(i, decisions) or default
            out[i] = replace(segs[i], speaker=d.speaker, rule=d.rule, confidence=round(d.confidence, 2))
        last = out[quotes[-1]].speaker
        turns.append(last)
        ctx.spoke(last)
        addressed_before = addressed - {last}
        ctx.previous, ctx.addressed_prev = last, addressed_before
        ctx.narrated_turn = False
        ctx.last_quote_end = segs[quotes[-1]].end
        tail = segs[idxs[-1]]
        if tail.kind != DIALOGUE and _LEAD_IN_END.search(tail.text.rstrip()) and _SPEECH_WORD.search(
                tail.text.rsplit(";", 1)[-1]):
            # `... was his daughter's; but Sir Walter's remark was, soon afterwards--` leads into
            # the quotation that opens the next paragraph.
            lead_in, lead_start = tail.text.rstrip(), tail.start
    return out, votes


def _ranked(ranker: Ranker, names: list[str], rows, sieve: _Decision,
            proposals: list[tuple[str, str]]) -> _Decision:
    """The ranker's choice, keeping the rule that proposed it (the sieve's, if it agrees)."""
    probs = ranker.probabilities(rows)
    best = int(probs.argmax())
    name = names[best]
    confidence = min(0.99, float(probs[best]))
    if name == sieve.speaker:
        # Agreement: the ranker's probability and the rule's own reliability, averaged.
        return _Decision(name, sieve.rule, (confidence + sieve.confidence) / 2, sieve.pronoun)
    rule = next((r for n, r in proposals if n == name), "ranked")
    # Overruling the sieve is a doubtful call whatever the margin.
    return _Decision(name, rule if rule != sieve.rule else "ranked", confidence / 2)


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


def _has_word(s: str) -> bool:
    return any(ch.isalnum() for ch in s)


def _nearest_decision(i: int, decisions: dict[int, _Decision]) -> _Decision | None:
    if not decisions:
        return None
    j = min(decisions, key=lambda k: (abs(k - i), k < i))
    d = decisions[j]
    if j == i:
        return d
    return _Decision(d.speaker, d.rule + "+paragraph", max(0.0, d.confidence - 0.05))


_PARENT_VOCATIVE = re.compile(r"(?:^|[,;!?]\s*|\b(?:dear|dearest)\s+)(papa|mamma|mama|father|mother)\s*[,;.!?\-]",
                              re.IGNORECASE)


def _kin_addressee(ctx: Context, quote: str, previous: str | None) -> str | None:
    """The parent a quotation addresses as "papa"/"mamma": the last speaker of that gender."""
    m = _PARENT_VOCATIVE.search(quote)
    if not m:
        return None
    gender = "male" if m.group(1).lower() in ("papa", "father") else "female"
    if previous and ctx.gender.get(previous) == gender:
        return previous
    return next((n for n in reversed(ctx.speakers) if ctx.gender.get(n) == gender), None)


def _untagged(ctx: Context, segs: list[Segment], idxs: list[int], quotes: list[int], turns: list[str | None],
              addressed: set[str], addressed_before: set[str], para_start: int,
              prev_narration: Segment | None) -> _Decision:
    """The sieve's lower rules, for a dialogue paragraph with no speech tag.

    A child says "papa" to a parent who shares the child's surname: when the quotation
    addresses a parent, candidates of another family are passed over.
    """
    previous = turns[-1] if turns else None
    spoken = " ".join(segs[i].text for i in quotes)
    parent = _kin_addressee(ctx, spoken, previous)
    family = ctx.surname.get(parent) if parent else None
    named = _named_in(ctx, spoken) - addressed
    first_choice = None
    deferred = []
    for d in _untagged_candidates(ctx, segs, idxs, quotes, turns, addressed, addressed_before, para_start,
                                  prev_narration):
        if d.speaker in named:
            deferred.append(d)  # people do not talk about themselves by name: "Edmund wants her to go."
            continue
        first_choice = first_choice or d
        if parent is None:
            return d
        if d.speaker == parent:
            continue
        if family is None or ctx.surname.get(d.speaker) == family:
            return d
    return first_choice or (deferred[0] if deferred else _Decision(None, "unknown", 0.0))


def _named_in(ctx: Context, quote: str) -> set[str]:
    """The characters a quotation names (as vocatives or in the third person)."""
    if ctx.pattern is None:
        return set()
    return {name for name in (lookup(ctx.index, m.group()) for m in ctx.pattern.finditer(quote)) if name}


def _untagged_candidates(ctx: Context, segs: list[Segment], idxs: list[int], quotes: list[int],
                         turns: list[str | None], addressed: set[str], addressed_before: set[str],
                         para_start: int, prev_narration: Segment | None) -> Iterator[_Decision]:
    first = quotes[0]
    lead = [segs[i] for i in idxs if i < first]
    trail = [segs[i] for i in idxs if i > first and segs[i].kind != DIALOGUE]
    for seg, from_end in ([(s, True) for s in lead] + [(s, False) for s in trail]):
        d = _action_subject(ctx, seg.text, seg.start, from_end, para_start)
        if d and d.speaker not in addressed:
            yield d
    if prev_narration is not None and not any(_has_word(s.text) for s in lead):
        # "Mr. Sleary emptied his glass and recalled the ladies." then an untagged speech.
        d = _action_subject(ctx, prev_narration.text, prev_narration.start, True, prev_narration.start,
                            last_only=True)
        if d and d.speaker not in addressed:
            yield _Decision(d.speaker, "action-previous", d.confidence - 0.15)
    previous = turns[-1] if turns else None
    reply_to = [n for n in addressed_before if n != previous and n not in addressed]
    if previous and len(reply_to) == 1:
        yield _Decision(reply_to[0], "vocative-reply", 0.6)
    if len(turns) >= 2 and turns[-2] and turns[-2] != previous and turns[-2] not in addressed:
        yield _Decision(turns[-2], "turn-taking", 0.55)
    exclude = set(addressed) | ({previous} if previous else set())
    for other in ctx.ranked(segs[first].start, exclude):
        yield _Decision(other, "turn-taking" if previous else "salience", 0.4 if previous else 0.3)
    if previous and previous not in addressed:
        yield _Decision(previous, "continuation", 0.3)


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
    characters = _introductions(chapters, characters)
    return [Script(t, tuple(segs), tuple(characters)) for t, segs in zip(texts, chapters)], collect or []


_INTRODUCTION = re.compile(r"\b(?:I am|I'm|I\u2019m|I be|my name is|my name's|my name\u2019s)\s+"
                           r"((?:(?:Mr|Mrs|Miss|Dr|Parson|Captain|Colonel|Major|Sir|Lady|Father|Sister)\.?\s+)?"
                           r"[A-Z][a-z]+(?:\s+[A-Z][a-z']+)?)\b")
_INTRODUCED_REACH = 5000


def _introductions(chapters: list[list[Segment]], characters: Sequence[Character]) -> tuple[Character, ...]:
    """A described speaker who says who he is ("I am Parson Tringham") is that character, in the
    scene around the introduction: his lines there are renamed, and the description becomes an
    alias of the name."""
    described = {c.name for c in characters if is_description(c)}
    by_name = {c.name: c for c in characters}
    index = name_index([c for c in characters if not is_description(c)])
    aliases: dict[str, set[str]] = {}
    for segs in chapters:
        for seg in list(segs):
            if seg.kind != DIALOGUE or seg.speaker not in described:
                continue
            m = _INTRODUCTION.search(seg.text)
            if not m or len(m.group(1).split()) < 2 and m.group(1) not in index:
                continue  # "I am Sure" is no name; one word must be a known character's
            name = lookup(index, m.group(1)) or " ".join(m.group(1).split())
            old = seg.speaker
            for k, other in enumerate(segs):
                if other.speaker == old and abs(other.start - seg.start) <= _INTRODUCED_REACH:
                    segs[k] = replace(other, speaker=name)
            aliases.setdefault(name, set()).add(old)
    out = []
    for c in characters:
        if c.name in aliases:
            c = replace(c, aliases=tuple(dict.fromkeys((*c.aliases, *sorted(aliases.pop(c.name))))))
        out.append(c)
    for name, old in aliases.items():
        gender = next((by_name[o].gender for o in old if by_name[o].gender != "unknown"), "unknown")
        out.append(Character(name, gender, tuple(sorted(old))))
    return tuple(out)


if __name__ == "__main__":
    import json
    import sys

    with open(sys.argv[1], encoding="utf-8") as fh:
        print(json.dumps(script_text(fh.read()).to_json()))
