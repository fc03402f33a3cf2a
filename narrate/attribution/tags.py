"""Attribution: speech tags around a quotation ("said Jess", "she asked", "Here Anne spoke--")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Segment
from .characters import lookup
from .descriptions import KIN_NOUNS, PERSON_HEADS, noun_gender, owned_person
from .discourse import OBJECT_LEADS, Context

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
    "recollected reflected reminded replied ventured volunteered wondered wailed spoke speaks"
).split()
# "went on" (goes on speaking), never "went" alone: "Alexandra went into the store" is no speech tag.
SPEECH_VERBS.append(r"went\s+on")
SPEECH_VERBS += (
    "advised warned ordered commanded assured informed stated commented whimpered sneered teased scolded "
    "hinted soothed coaxed implored entreated grunted roared bellowed thundered drawled lisped stuttered "
    "mumbled mocked ejaculated interposed counselled consoled"
    " queried chuckled lamented moaned remonstrated intimated snarled barked croaked panted whined howled hollered"
    " screeched squealed jeered taunted rasped quavered cautioned conceded confided countered asserted averred"
    " acknowledged vowed swore reasoned reassured marvelled marveled expostulated vociferated quoth uttered"
    " wheezed sputtered spluttered babbled chattered hazarded opined pronounced proclaimed demurred accused"
    " apologized apologised challenged complained crowed snorted scoffed sniffed"
).split()
SPEECH_VERBS += [r"put\s+in", r"broke\s+in", r"cut\s+in", r"burst\s+out", r"called\s+out", r"spoke\s+up", r"piped\s+up",
                 r"called\s+back", r"shot\s+back", r"sang\s+out", r"cried\s+out"]
VERB = r"(?:" + "|".join(sorted(set(SPEECH_VERBS), key=len, reverse=True)) + r")"
# Verbs whose next name is the one spoken to, never an inverted subject: `she told Amory, "..."`.
_TOLD = frozenset("told tells informed assured reminded".split())
VERB_INVERTED = r"(?:" + "|".join(sorted(set(SPEECH_VERBS) - _TOLD, key=len, reverse=True)) + r")"
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Dr|Sir|Lady|Lord|Captain|Colonel|Admiral|General|Major|Master|Madam|Madame|Dame|Professor|Aunt|Uncle)"
NAME = r"(?:" + _TITLE + r"\.?\s+)?[A-Z][\w'\u2019-]*(?:\s+[A-Z][\w'\u2019-]*){0,2}"
_PRON = r"(?:[Hh]e|[Ss]he|I|[Yy]ou|[Ww]e|[Tt]hey|[Ss]omebody|[Ss]omeone|[Aa]nother(?=\s*[,.;:!?\u2014]))\b"
# A noun phrase's words never run on into a relative clause ("another voice, which Margaret knew").
_NP_WORD = r"(?!(?:which|who|whom|whose|that|where|when)\b)[a-z][\w'\u2019-]*"
_NP = (r"(?:(?:[Hh]is|[Hh]er|[Tt]he|[Tt]heir|[Mm]y|[Oo]ur|[Tt]his|[Tt]hat)\s+"
       r"(?:" + _NP_WORD + r",?\s+){0,3}" + _NP_WORD +
       # "a shrill Welsh voice": after "a", a capital may be an adjective's
       r"|(?:[Aa]n?|[Aa]nother)\s+(?:" + _NP_WORD + r",?\s+|[A-Z][a-z]+\s+(?=[a-z])){0,3}" + _NP_WORD +
       # "cried one of the women", "said one of them": one of a company
       r"|[Oo]ne\s+of\s+(?:them|us|those|these|(?:the|his|her|their|my|our)(?:\s+[a-z][\w-]*){1,2}))")
SUBJ = r"(?P<subj>" + _NP + "|" + NAME + "|" + _PRON + r")"
_ADV = r"(?:\s+(?:[a-z]+ly|then|again|at\s+last|at\s+once|now|only|still|just|had|was|kept|quickly|once|often|always|also|first|soon|even))*"
SPEECH_NOUN = r"(?:reply|answer|rejoinder|remark|response|observation|retort|question|inquiry|enquiry|words|cry|exclamation|farewell|speech|greeting)\b"
_LEAD = r"""^[\s,;:\u2014\u2013\-"'\u201c\u201d\u2018\u2019]*"""
_TRAIL = r"""[\s"'\u201c\u201d\u2018\u2019]*$"""
_PREPOSITION = r"(?:to|at|with|in|of|for|from|on|upon|and|but|as|into|by|after|before|unto|toward|towards)\b"
# After a quotation: `said Jess`, `Jess said`, `she asked`, `He trailed off`, `was the reply`.
# The lowercase words skipped before a name ("said the young Jess") are never an indefinite phrase's:
# "said a shrill Welsh voice" is a voice, not the character "Welsh".
# "interposed, more softly, a young wife": a manner set off by commas between the verb and its subject.
_MANNER = (r"(?:\s*,\s*(?:(?:with|after|in)\s+(?:[a-z]+\s+){0,3}[a-z]+|"
           r"(?:[a-z]+\s+){0,2}(?:[a-z]+ly|presently|again|then|at\s+last|at\s+once))\s*,)?")
_AFTER_INVERTED = re.compile(_LEAD + r"(?:\w+ly\s+)?" + VERB_INVERTED + _ADV + _MANNER + r"\s+(?:(?:the\s+)?(?:(?!" + _PREPOSITION
                             + r"|(?:an?|another)\s"
                             + r")[a-z]+\s+){0,3}(?=[A-Z]))?" + SUBJ)
_AFTER_NORMAL = re.compile(_LEAD + SUBJ + _ADV + r"\s+" + VERB + r"\b")
_NOT_SAYING = re.compile(r"\b(?:not|n't|never|nothing|too|what|how|unable|failed|nobody|no\s+one)\b")
_AFTER_ANY_VERB = re.compile(_LEAD + r"[a-z]+ed\s+(?P<subj>" + NAME + r")(?=\s*[,.;:!?\u2014])")
_AFTER_NOUN = re.compile(
    _LEAD + r"(?:was|were|came)\s+(?P<subj>" + NAME + r"|his|her|the)(?:'s|\u2019s)?\s+"
    r"(?:\w+\s+){0,3}?" + SPEECH_NOUN
)
# `"Oh! certainly," was his daughter's`: the rejoinder is left unsaid; the one it belongs to speaks.
_AFTER_OWNED = re.compile(_LEAD + r"(?:was|were)\s+(?P<subj>(?:his|her|their|the)\s+[a-z]+|" + NAME
                          + r")(?:'s|\u2019s)(?=\s*[;,.:!?\u2014-])")
# Before a quotation: `Jess whispered`, `he continued, not giving up.`, `said Emma,`.
_INFINITIVE = r"(?:to\s+(?:add|say|reply|answer|ask|observe|remark|exclaim|inquire|enquire|whisper|murmur|speak))"
# `"The story will tell," I took upon myself to reply.`, `he ventured to say`
_AFTER_INFINITIVE = re.compile(_LEAD + SUBJ + r"(?:\s+[a-z]+){1,4}?\s+" + _INFINITIVE + r"\b")
_BEFORE_NORMAL = re.compile(SUBJ + _ADV + r"\s+(?:" + VERB + "|" + _INFINITIVE + r")\b[^.!?\"\u201c\u201d]{0,80}[.,:;\u2014\u2013\-]*" + _TRAIL)
_BEFORE_INVERTED = re.compile(r"\b" + VERB_INVERTED + _ADV + r"\s+" + SUBJ + r"[^.!?\"\u201c\u201d]{0,60}[,:;\u2014\u2013\-]*" + _TRAIL)
ABBREV_DOT = r"(?:(?<=\bMr)|(?<=\bMrs)|(?<=\bMs)|(?<=\bDr)|(?<=\bSt))\."  # "Mr." ends no sentence


@dataclass(frozen=True)
class Decision:
    """One rule's choice of speaker for a quotation, with how sure that rule usually is."""

    speaker: str | None
    rule: str
    confidence: float
    pronoun: str | None = None
    """"he"/"she" when the speaker was found through that pronoun (evidence of gender)."""
    pinned: bool = False
    """Chosen on evidence the ranker does not see (a child's "papa" within the family): kept as it is."""


def pronoun_of(subj: str) -> str | None:
    """"he" or "she" when a tag subject is that pronoun."""
    word = subj.split()[0].lower() if subj.split() else ""
    return word if word in ("he", "she") else None


_TAG_CONF = {"name": 0.95, "pronoun": 0.8, "noun": 0.65}
# "he continued": the speaker goes on with his own speech, so he is the one who spoke last.
# A speaker naming themself: "I am Parson Tringham", "my name is Greyson".
INTRODUCTION = re.compile(r"\b(?:I am|I'm|I\u2019m|I be|my name is|my name's|my name\u2019s)\s+(?:plain\s+|called\s+)?"
                          r"((?:(?:Mr|Mrs|Miss|Dr|Parson|Captain|Colonel|Major|Sir|Lady|Father|Sister)\.?\s+)?"
                          r"[A-Z][a-z]+(?:\s+[A-Z][a-z']+)?)\b(?!['\u2019]s\b)")  # not "I am Mary's nurse"
_CONTINUING = re.compile(r"\b(?:continued|continues|went\s+on|goes\s+on|resumed|persisted|pursued|proceeded)\b")


def tag_after(ctx: Context, seg: Segment, after: str, para_start: int, called: set[str] = frozenset()
              ) -> Decision | None:
    """The speaker a tag right after the quotation names: `said Jess`, `she asked`, `was his reply`.
    `called`: whom the paragraph's quotations call by name ("Annie," she said): never "she"."""
    for pattern in (_AFTER_INVERTED, _AFTER_NORMAL, _AFTER_NOUN, _AFTER_OWNED, _AFTER_INFINITIVE):
        m = pattern.match(after)
        if not m:
            continue
        if pattern is _AFTER_INFINITIVE and _NOT_SAYING.search(m.group(0)):
            continue  # "Tom did not know what to say", "was too stunned to reply": he says nothing
        if pattern is _AFTER_NORMAL and REPORTED.match(after, m.end()):
            # "I answered that it was the fourth of May": the answer to this quotation, reported.
            return None
        subj = m.group("subj")
        if subj.lower() in ("his", "her"):
            subj = "he" if subj.lower() == "his" else "she"
        pronoun = pronoun_of(subj)
        if pronoun and _CONTINUING.search(m.group(0)):
            speaker = ctx.continuing("male" if pronoun == "he" else "female")
            if speaker:
                return Decision(speaker, "tag-pronoun", _TAG_CONF["pronoun"], pronoun)
        words = subj.split()
        if (words[0] in ("the", "The") and _CONTINUING.search(m.group(0)) and len(words) > 1
                and noun_gender(words[-1]) != "unknown"):
            # "continued the young man": the one who just spoke, if he fits, goes on.
            speaker = ctx.continuing(noun_gender(words[-1]))
            if speaker and speaker == ctx.previous:
                return Decision(speaker, "tag-noun", _TAG_CONF["noun"])
        if subj.split(",")[0].split()[-1] == "voice":
            # "replied another voice, which Margaret knew to be that of Mrs. Gibson"
            owner = _THAT_OF.search(after, m.end(), m.end() + 160)
            name = ctx.resolve(owner.group(1), seg.start, para_start)[0] if owner else None
            if name:
                return Decision(name, "tag-name", _TAG_CONF["name"] - 0.05)
        speaker, kind = ctx.resolve(subj, seg.start, para_start,
                                    addressees(ctx, after[m.end():m.end() + 60]) | called)
        if kind == "noun":
            # '"I am Mary Lennox," the little girl said': whoever the phrase seemed to mean, she says who she is.
            speaker = _self_named(ctx, seg.text) or speaker
            role = _ROLE.match(after, m.end())
            if speaker and role and role.group("head") in PERSON_HEADS:
                # '... asked the man, who was a porter': "said the porter" is that man from now on.
                ctx.described_as[role.group("head")] = speaker
        if speaker:
            return Decision(speaker, "tag-" + kind, _TAG_CONF[kind], pronoun)
        if kind != "none":
            return None
    m = _AFTER_ANY_VERB.match(after)
    if m and seg.text.rstrip().endswith((",", "!", "?", "\u2014", "-")) and _opens_sentence(ctx.text, seg.start):
        # '"I just love common workmen," glowed Carol.': a verb of any manner between a quotation
        # that breaks off mid-sentence and a character's name is its tag.
        speaker, kind = ctx.resolve(m.group("subj"), seg.start, para_start)
        if speaker and kind == "name":
            return Decision(speaker, "tag-name", _TAG_CONF["name"] - 0.1)
    return None


# Words that may come before a speaker's "I am ...": "Oh, sir, I am Mary Lennox."
_BEFORE_INTRODUCTION = re.compile(r"^[\W_]*(?:(?:oh|ah|why|well|yes|no|nay|please|sir|madam|ma'am)\b[\W_]*)*$",
                                  re.IGNORECASE)


def _self_named(ctx: Context, quote: str) -> str | None:
    """The known character a quotation's opening says the speaker is ("I am Mary Lennox"), not
    one believed in ("She thinks I am Jane")."""
    m = INTRODUCTION.search(quote[:60])
    return lookup(ctx.index, m.group(1)) if m and _BEFORE_INTRODUCTION.match(quote[:m.start()]) else None


# "she found herself accosted by Captain Wentworth, in a reserved yet hurried sort of farewell.": the agent speaks.
# Only a manner may follow the name ("..., in a reserved yet hurried sort of farewell."): in "She was
# interrupted by Mrs. Bennet, but went on quietly:" or "addressed by Mr. Collins, she replied," someone else speaks.
_SPOKEN_TO_BY = re.compile(r"\b(?:accosted|addressed|greeted|hailed|interrupted|questioned|saluted)\s+by\s+(?P<subj>"
                           + NAME + r")(?!['\u2019]s\b)(?:\s*,?\s+(?:in|with)\s+[^.!?;:,\"\u201c\u201d]{1,70})?"
                           r"[.,:;\u2014\u2013\-]*" + _TRAIL)


def tag_before(ctx: Context, seg: Segment, before: str, para_start: int, called: set[str] = frozenset()
               ) -> Decision | None:
    """The speaker the narration leading into the quotation names: `Jess whispered,`, `said Emma:`."""
    # Only the last sentence of the narration before the quotation can lead into it.
    tail = before[-300:]
    by = _SPOKEN_TO_BY.search(tail)
    speaker = lookup(ctx.index, by.group("subj")) if by else None
    if speaker:
        return Decision(speaker, "tag-name", _TAG_CONF["name"] - 0.1)
    owned = _POSSESSED.search(tail)
    if owned and not ((tail[:owned.start()].split()[-1:] or [""])[0].lower() in OBJECT_LEADS | _TOLD
                      or any(w in PERSON_HEADS or w in KIN_NOUNS or w in SPEECH_VERBS
                             for w in owned.group().split()[1:])
                      or SPEECH_WORD.search(tail[max(0, owned.start() - 20):owned.start()])):
        # `but her gentle "How do you do?"`: her words.
        pronoun = "he" if owned.group(1).lower() == "his" else "she"
        speaker = ctx.resolve(pronoun, seg.start, para_start, called)[0]
        if speaker:
            return Decision(speaker, "tag-pronoun", _TAG_CONF["pronoun"] - 0.1, pronoun)
    # The clause nearest the quotation first: in `He told the whole; and she had only to add,`
    # the speaker is "she", not "He".
    semi = tail.rfind(";")
    tails = [tail[semi + 1:], tail] if semi >= 0 and has_word(tail[semi + 1:]) else [tail]
    for part in tails:
        for pattern in (_BEFORE_INVERTED, _BEFORE_NORMAL):
            m = pattern.search(part)
            if m and pattern is _BEFORE_NORMAL and _SUBORDINATE.search(part, max(0, m.start("subj") - 12),
                                                                     m.start("subj")):
                m = None  # "when he spoke to her, and then said:": the one who said is not the one in "when"
            if m:
                pronoun = pronoun_of(m.group("subj"))
                if pronoun in ("he", "she") and _CONTINUING.search(m.group(0)):
                    # '"... Phew!" continued he, waxing warm, "..."': the one going on.
                    speaker = ctx.continuing("male" if pronoun == "he" else "female")
                    if speaker:
                        return Decision(speaker, "tag-pronoun", _TAG_CONF["pronoun"] - 0.05, pronoun)
                kin = _kin_antecedent(tail, len(tail) - len(part) + m.start("subj"), m.group("subj"))
                speaker = ctx.resolve(kin, seg.start, para_start)[0] if kin else None
                if speaker:
                    return Decision(speaker, "tag-pronoun", _TAG_CONF["pronoun"] - 0.05, pronoun_of(m.group("subj")))
                speaker, kind = ctx.resolve(m.group("subj"), seg.start, para_start,
                                            addressees(ctx, part[m.end("subj"):m.end()]) | called)
                if speaker:
                    return Decision(speaker, "tag-" + kind, _TAG_CONF[kind] - 0.05, pronoun_of(m.group("subj")))
    return _lead_in(ctx, tail, seg.start - len(tail), para_start)


_TO_WHOM = re.compile(r"(?:" + VERB + r")?" + _ADV + r"[\s,]*(?:to|at)\s+(" + NAME + r")")


def addressees(ctx: Context, rest: str) -> set[str]:
    """The character a tag says the words were spoken to ("she said to Lucy"): not the speaker."""
    m = _TO_WHOM.match(rest)
    if not m:
        return set()
    name = lookup(ctx.index, m.group(1))
    return {name} if name else set()


_CLAUSES = re.compile(r"(?:[^.!?;\u2026]|" + ABBREV_DOT + r")+(?:[.!?;\u2026]+|$)")
SPEECH_WORD = re.compile(r"\b" + VERB + r"\b|\b" + SPEECH_NOUN)
# "I read his record aloud.": the words read out are the reader's to say.
READ_ALOUD = r"read(?=\s+(?:[\w'\u2019]+\s+){0,3}(?:aloud|out)\b)"
ENDS_READING = re.compile(r"\b" + READ_ALOUD + r"(?:\s+[\w'\u2019]+){1,4}[.:]\s*$")


def _gerund(verb: str) -> str:
    """The -ing form of a past tense: remarked -> remarking, replied -> replying, observed -> observing."""
    if verb.endswith("ied"):
        return verb[:-3] + "ying"
    return verb[:-1] + "ing" if verb.endswith("eed") else verb[:-2] + "ing"  # agreed -> agreeing


# A clause may lead into its quotation with the speaking verb's -ing form: "... by leaning towards him and
# remarking:".
_GERUNDS = sorted({_gerund(v) for v in SPEECH_VERBS if v.endswith("ed") and " " not in v and "\\" not in v})
_LEAD_WORD = re.compile(r"\b" + VERB + r"\b|\b" + SPEECH_NOUN + r"|\b" + READ_ALOUD + r"|\b(?:" + "|".join(_GERUNDS) + r")(?=[\s:,\u2014\"'\u201c\u2018-]*$)")
_SUBJECT_WORD = re.compile(r"\b(?:he|she|He|She|I)\b")


# Another clause with a subject of its own after the speaking verb: ", and Ellen listened", ", the old man turned".
_NEW_SUBJECT = re.compile(r"(?:\b(?:and|but|while|when|whereupon|until)\s+|,\s+)(?:[A-Z][a-z]+|he|she|they|[Tt]he(?:\s+[a-z]+){1,2})"
                          r"\s+(?:[a-z]+ly\s+)?(?:[a-z]+ed|[a-z]+s)\b")


def _lead_in(ctx: Context, tail: str, offset: int, para_start: int) -> Decision | None:
    """The subject of a clause with a speaking verb that leads into the quotation.

    `Sissy dropped a curtsey to Mr. Gradgrind ..., and said in a faltering way,`,
    `Edmund, to whom this was chiefly addressed, replied,`, `Here Anne spoke--`.
    """
    clauses = list(_CLAUSES.finditer(tail))
    if not clauses:
        return None
    clause = clauses[-1]
    if not has_word(clause.group()) and len(clauses) > 1:
        clause = clauses[-2]
    body = clause.group()
    heard = _HEARD_SAY.search(body)
    if heard:
        # "I remember hearing him call the rat-catcher by saying,": the one heard speaks.
        obj = heard.group("obj")
        pronoun = {"him": "he", "her": "she"}.get(obj)
        speaker, kind = ctx.resolve(pronoun or obj, offset + clause.start() + heard.start("obj"), para_start)
        if speaker:
            kind = "name" if kind == "name" else "pronoun"
            return Decision(speaker, "tag-" + kind, _TAG_CONF[kind] - 0.1, pronoun)
    verb = None
    for verb in _LEAD_WORD.finditer(body):
        pass
    if verb is None:
        return None
    # A clause that runs on into the quotation ("grumbled to her as they walked behind the others in
    # the muck of the stockyards, "...") may say more after its verb than one that ends before it,
    # unless a subject of its own follows ("..., and Ellen listened without a word until the end, "..."").
    rest = body[verb.end():]
    said_after = len(rest.split())
    runs_on = body.rstrip(" \t\n\"'\u201c\u2018").endswith((",", ":", "\u2014"))
    if said_after > 8 and (not runs_on or said_after > 30 or _NEW_SUBJECT.search(rest)):
        return None
    candidates = []
    if ctx.pattern is not None:
        for m in ctx.pattern.finditer(tail, clause.start(), clause.start() + verb.start()):
            # "Strether's new acquaintance pursued": the acquaintance speaks, not Strether.
            owned = owned_person(tail, m.end())
            candidates.append((m.start(), f"{m.group()}'s {owned}" if owned else m.group()))
    if ctx.described_pattern is not None:  # "My uncle saw me staring and said to me:"
        for m in ctx.described_pattern.finditer(tail, clause.start(), clause.start() + verb.start()):
            candidates.append((m.start(), m.group()))
    for m in _SUBJECT_WORD.finditer(body, 0, verb.start()):
        candidates.append((clause.start() + m.start(), m.group()))
    taken = {pos for pos, _ in candidates}
    for m in _DEFINITE_PERSON.finditer(tail, clause.start(), clause.start() + verb.start()):
        # "the old lady came up to my room and said": someone described, as a tag would say it.
        words = m.group("words").split()
        head = next((k for k, w in enumerate(words) if w in PERSON_HEADS), None)
        if m.start() not in taken and head is not None:
            candidates.append((m.start(), " ".join(["the", *words[:head + 1]])))
    candidates.sort()
    subjects = [(pos, surface) for pos, surface in candidates
                if not (tail[max(0, pos - 15):pos].split()[-1:] or [""])[0].lower() in OBJECT_LEADS]
    # A later clause joined by "and"/"but" has its own subject: in `Then Jack Lawton cracked his
    # fingers and Father Arnall looked at his copybook and said:` the speaker is Father Arnall.
    ends = {pos + len(surface) for pos, surface in candidates}
    joined = [(pos, surface) for pos, surface in subjects
              if (m := _JOINED.search(tail, max(0, pos - 12), pos)) and m.start() not in ends]
    # The verb's own subject first: in `I remember him ... breaking out in that old sea-song that
    # he sang so often afterwards:` the singer is "he", not "I".
    verb_at = clause.start() + verb.start()
    adjacent = [(pos, surface) for pos, surface in subjects if _ADJACENT.fullmatch(tail, pos + len(surface), verb_at)]
    # A subject in a clause that "when"/"as"/"if" opens is not the speaker's: in `When I came close
    # she bowed and said,` the speaker is "she".
    main = [c for c in subjects if not _SUBORDINATE.search(tail, max(0, c[0] - 12), c[0])]
    subjects = main + [c for c in subjects if c not in main]
    for pos, surface in adjacent[-1:] + joined[-1:] + subjects:
        kin = _kin_antecedent(tail, pos, surface)
        if kin:
            # "Her mutterings were chiefly to her husband; and he murmured, in reply,": her husband.
            speaker, _ = ctx.resolve(kin, offset + pos, para_start)
            if speaker:
                return Decision(speaker, "tag-pronoun", _TAG_CONF["pronoun"] - 0.1, pronoun_of(surface))
        # "He beckoned Kronborg into the living-room and said": he is not the one he beckoned.
        objects = {n for p, form in candidates if p > pos and pronoun_of(form) is None
                   for n in [ctx.resolve(form, offset + p, para_start)[0]] if n} if pronoun_of(surface) else set()
        speaker, kind = ctx.resolve(surface, offset + pos, para_start, objects)
        if speaker:
            kind = "name" if kind == "name" else "pronoun"
            return Decision(speaker, "tag-" + kind, _TAG_CONF[kind] - 0.1, pronoun_of(surface))
        break
    return None



_KIN_NP = re.compile(r"\b(?:his|her)\s+(\w+)\b")


def _kin_antecedent(tail: str, pos: int, surface: str) -> str | None:
    """"his wife"/"her husband" earlier in the sentence of a "she"/"he" that fits it, with no one
    named between: the phrase, to resolve in its stead."""
    gender = {"he": "male", "she": "female"}.get(surface.lower())
    if gender is None:
        return None
    start = max(tail.rfind(".", 0, pos), tail.rfind("!", 0, pos), tail.rfind("?", 0, pos)) + 1
    found = None
    for m in _KIN_NP.finditer(tail, start, pos):
        if m.group(1) in KIN_NOUNS and noun_gender(m.group(1)) == gender:
            found = m
    if found is None or re.search(r"\b[A-Z][a-z]+\b", tail[found.end():pos]):
        return None
    return found.group()


_HEARD_SAY = re.compile(r"\b(?:hear|heard|hearing|overheard)\s+(?P<obj>him|her|" + NAME + r")\s+(?:\w+\s+){0,6}?"
                        r"(?:say|saying|said|call|calling|cry|crying|tell|telling|ask|asking|exclaim|exclaiming|"
                        r"whisper|whispering|mutter|muttering|shout|shouting)\b")
# A relative clause saying what a described speaker is: "the man, who was a porter in the employ of ...".
_ROLE = re.compile(r"\s*,\s*who\s+(?:was|is)\s+(?:a|an|the)\s+(?:[a-z-]+\s+){0,2}?(?P<head>[a-z-]+)\b")
_THAT_OF = re.compile(r"\b(?:to\s+be|was|as)\s+that\s+of\s+(" + NAME + r")")
REPORTED = re.compile(r"(?:\s+(?:to\s+)?(?:him|her|them|me|us))?\s+that\b")
_POSSESSED = re.compile(r"\b([Hh]is|[Hh]er)\s+(?:(?![a-z]+ly\b)[a-z]+\s+){1,2}[\"'\u201c\u2018]*$")
_DEFINITE_PERSON = re.compile(r"\b[Tt]he\s+(?P<words>(?:[a-z][\w-]*\s+){0,2}[a-z]+)\b")
_ADJACENT = re.compile(r"\s+(?:(?:[a-z]+ly|then|had|has|have|now|again|also|only|just|at\s+once)\s+)*")
_SUBORDINATE = re.compile(r"\b(?:[Ww]hen|[Aa]s|[Ww]hile|[Ii]f|[Bb]ecause|[Ss]ince|[Tt]hough|[Aa]lthough|[Uu]ntil|[Bb]efore|"
                          r"[Aa]fter|[Oo]nce|[Ww]henever)\s+$")
_JOINED = re.compile(r"\s+(?:and|but|then|so|yet)\s+$")
# "My uncle explained to old Cotter." leads into the next paragraph's words (a name may end it).
ENDS_SPEAKING = re.compile(r"\b(?:" + VERB + r"|" + SPEECH_NOUN + r"|" + READ_ALOUD + r")(?:\s+(?:[a-z]+|(?:Mr|Mrs|Dr|Miss)\.?|[A-Z][a-z]+)){0,4}[.:]\s*$")
LEAD_IN_END = re.compile(r"(?:[,:]|--|\u2014|\u2013)\s*$")


def _opens_sentence(text: str, start: int) -> bool:
    """Does the quotation starting at `start` open its sentence (not "The words, "I have sold the farm,"
    haunted Jane")?"""
    before = text[max(0, start - 200):start].rstrip(" \t\n\"'\u201c\u2018")
    return not before or before.endswith((".", "!", "?", "\u2026", ":", "\"", "\u201d", "\u2019", "\n"))


def has_word(s: str) -> bool:
    """Has `s` a letter or digit (more than punctuation and space)?"""
    return any(ch.isalnum() for ch in s)
