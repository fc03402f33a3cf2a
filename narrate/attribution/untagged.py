"""Attribution: quotations without a speech tag (actions, vocatives, turn-taking)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from ..model import DIALOGUE, Segment
from ..text.chat import handle_name
from .characters import lookup
from .discourse import NARRATOR, Context
from .tags import ABBREV_DOT, NAME, SPEECH_VERBS, SUBJ, Decision, has_word, pronoun_of
from .tags import REPORTED as _REPORTED

# A sentence whose subject is a character: `Rory stared at him.`, `She smiled.`
# "Mrs. Griffin, however, expressed the need": a word between commas may part subject and verb.
_ACTION = re.compile(r"(?:^|(?<=[.!?\u2026;]\s)|(?<=\n))\s*(?:(?:But|And|Then|So|Now|Here|At last|Meanwhile)\s+)?" + SUBJ
                     + r"(?:,\s+(?:however|too|then|meanwhile|indeed|therefore|though|again|instead),"
                     # "Mr. Sleary, who ... had listened to these doctrines with profound attention, here stepped forward."
                     + r"|,\s+(?:who|whose)\b[^.;!?\"\u201c\u201d]{0,240}?,(?=\s+(?:[a-z]+ly\s+|here\s+|then\s+|now\s+)?[a-z]+ed\b))?"
                     + r"\s+(?:[a-z]+ly\s+)?[a-z]+")
# One who leaves or falls asleep in the narration before a speech is not the one who speaks it.
_GONE = re.compile(r"\b(?:went\s+(?:out|away|off)|left\s+(?:the|them|her|him|us)\b|departed|withdrew|disappeared|"
                   r"fell\s+asleep|was\s+gone|walked\s+(?:out|away|off))\b")
# Someone leaving the scene, who speaks no more in it: "When he had gone, Ginny dropped into a chair.", "Mr. Pett
# went out.", "She left the room."
_LEAVES = re.compile(r"(?:^|(?<=[.!?;]\s)|\b(?:[Ww]hen|[Aa]fter|[Oo]nce|[Aa]s\s+soon\s+as)\s+)" + SUBJ
                     + r"\s+(?:had\s+)?(?:gone(?=\s*[,.;])|left(?=\s*[,.;]|\s+the\s+(?:room|house|kitchen|office)(?:\s*(?:[,.;!?]|$)|\s+(?:and|without|with|behind|for|to)\b))|"
                     r"went\s+out|walked\s+out|stalked\s+out|stormed\s+out|hurried\s+out)")
_SENTENCES = re.compile(r"(?:[^.!?\u2026]|" + ABBREV_DOT + r")+(?:[.!?\u2026]+|$)")
_VOCATIVE_START = re.compile(r"^\W*(?:(?:my\s+)?(?:dear|dearest)\s+)?(" + NAME + r")\s*[,!?]")
_VOCATIVE_END = re.compile(r"(?:,\s*|\s+(?=(?:my\s+)?dear\s))(?:my\s+)?(?:dear\s+)?(" + NAME + r")\W*$")
_VOCATIVE_MID = re.compile(r",\s+(?:my\s+)?(?:dear\s+)?(" + NAME + r")\s*[,!?;.]")
# A stage direction inside a speech names its addressee: "(turning to Emma.)", "(to Mr. Knightley)".
_VOCATIVE_ASIDE = re.compile(r"\((?:[a-z]+\s+){0,3}(?:to|at)\s+(" + NAME + r")")
# "I can see Douglas there ...", "I heard one small urchin grumbling": the one perceived acts.
_PERCEIVED = re.compile(r"(?:[A-Z][a-z]+\s+)?I\s+(?:can\s+|could\s+)?(?:see|saw|hear|heard|watched|noticed)\s+"
                        + SUBJ.replace("(?P<subj>", "(?P<subj>(?!him\b|her\b|them\b|it\b)"))
# "Mary heard her say.", "he heard her tell a room full of women", "He heard Henrietta Watkin's
# voice.": the one heard speaks, not the listener.
_HEARD = re.compile(SUBJ + r"\s+(?:[a-z]+ly\s+)?(?:could\s+|had\s+)?(?:heard|hears|overheard)\s+(?P<obj>him|her|"
                    + NAME + r")(?:['\u2019]s\s+voice|\s+(?:say|tell|ask|call|cry|whisper|murmur|exclaim|"
                    r"reply|answer|add|remark|speak|declare|mutter|shout)\b)")
# A voice the narration right after an untagged speech names: "A man's voice beside her made her start."
_VOICE_AFTER = re.compile(r"\s*(?:An?|One)\s+(?P<words>(?:[a-z][\w-]*\s+){0,2}?[a-z][\w-]*)['\u2019]s\s+voice\b")
# A sentence whose subject is someone's eyes, face or voice: they act ("Her grave eyes met his").
_OWN_PART = re.compile(r"(?:(?:But|And|Then)\s+)?([Hh]is|[Hh]er)\s+(?:[a-z]+\s+){0,2}?(?:eyes|face|voice|hands?|lips|"
                       r"glance|gaze|cheeks|mouth|tone|brow|smile|look)\s+(?:[a-z]+ly\s+)?[a-z]+\b")
# Someone brought in as the subject of the clause nearest the speech, who then speaks: "The door opened and
# a uniformed officer leaned in.", "At the front of the room, a woman in a sequined blazer tapped it twice."
_NEWCOMER_ACTS = re.compile(
    r"(?:^|,\s+|\s+and\s+|\s+then\s+)(?:[Aa]n?|[Aa]nother)\s+(?P<words>(?:[a-z][\w'\u2019-]*,?\s+){0,3}?[a-z][\w'\u2019-]*)"
    r"(?:\s+(?:in|with|from|at|on|of|behind|beside|by)\s+(?:[\w'\u2019-]+\s+){0,3}?[\w'\u2019-]+)?\s+(?:[a-z]+ly\s+)?"
    # Verbs of coming in, turning to the others, or making oneself heard: "a waiter dropped a glass" is a noise in
    # the room, no one joining the talk.
    r"(?:(?:appear|arriv|approach|enter|emerg|lean|pok|tapp|wav|call|clear|cough|look|glanc|turn|stepp|walk|hurri|"
    r"rush|push|rais|lift|point|nodd|smil|grinn|frown|shout|yell|cri|interrupt|join|paus|stopp|pip|ask|add|signall|"
    r"beckon|gestur|peer|popp|jump|sigh|laugh|chuckl|snort|scoff|wander|stagger|shov|elbow|lung|mov|sidl|"
    r"stroll|march|storm|slipp|squeez|wait|stumbl|glar|star|blink|snapp|bark|roar|hiss|whisper|murmur|"
    r"hand|offer|reach|shrugg|wink)ed|came|burst|stood|sat|rose|ran|stuck|held|took|strode|swept|put|got|leant|knelt|"
    r"bent|shook|spoke|said|asked|called|cut|stepped|leaned)\b")
# A voice heard just before a speech: "There was a rustle, and then a girl's voice, thin and frightened: ..."
_NEWCOMER_VOICE = re.compile(r"(?:^|,\s+|\s+(?:and|then)\s+)(?:[Aa]n?|[Aa]nother)\s+"
                             r"(?P<words>(?:[a-z][\w-]*\s+){0,2}?[a-z][\w-]*)['\u2019]s\s+voice\b")
_LATER_CLAUSE = re.compile(r"[,;]\s+(?:and|but|then|so|while|as)\s|\s(?:and|then)\s+(?:I|he|she|[A-Z][a-z]+)\s")
_JOINED_CLAUSE = re.compile(r"[,;]\s+(?:and|but|so|yet)\s+(?=(?:I|he|she|[A-Z][a-z]+)\s)")
_SPEECH_VERBS = frozenset(v for v in SPEECH_VERBS if v.isalpha())
_AHEAD = 1500  # how far past a chapter's first speech its speaker may be named
# Narration saying someone let a turn pass without words ("Fanny coloured, and said nothing."); SILENT also
# takes a silence that is only a pause ("Mary was silent for a long moment.").
_KEPT_SILENT_WORDS = r"said\s+nothing|made\s+no\s+(?:verbal\s+)?(?:reply|answer|comment|response|rejoinder)"
_KEPT_SILENT = re.compile(r"\b(?:" + _KEPT_SILENT_WORDS + r")\b")
SILENT = re.compile(r"\b(?:" + _KEPT_SILENT_WORDS + r"|no\s+(?:reply|answer)|silent|silence)\b")


def _actor(ctx: Context, subj: str, pos: int, para_start: int) -> tuple[str | None, str]:
    """resolve() for the subject _ACTION found; a noun phrase's words may have run on into its verb
    ("The doctor bent down": "the doctor bent"), so a shorter beginning that names a character the
    book already describes is taken then."""
    speaker, kind = ctx.resolve(subj, pos, para_start)
    words = subj.split()
    if speaker is None and len(words) > 2 and words[0].lower() in ("the", "his", "her", "my", "our"):
        for k in range(len(words) - 1, 1, -1):
            speaker = ctx.known_description(" ".join(words[:k]), pos)
            if speaker:
                return speaker, "noun"
    return speaker, kind


def action_subject(ctx: Context, narration: str, offset: int, from_end: bool, para_start: int,
                   last_only: bool = False) -> Decision | None:
    """A character who is the subject of a narration sentence in the quote's paragraph."""
    sentences = [(m.start(), m.group()) for m in _SENTENCES.finditer(narration) if has_word(m.group())]
    if from_end:
        sentences.reverse()
    if last_only:
        sentences = sentences[:1]
        if sentences and (SILENT.search(sentences[0][1]) or _GONE.search(sentences[0][1])):
            return None  # "Fanny coloured, and said nothing.", "The doctor went out, and shut the door."
    for k, (start, sentence) in enumerate(sentences):
        body = sentence.lstrip(" \t\n\"'\u201c\u201d\u2018\u2019")
        heard = _HEARD.match(body)
        if heard:
            at = offset + start + len(sentence) - len(body)
            listener, _ = ctx.resolve(heard.group("subj"), at + heard.start("subj"), para_start)
            obj = heard.group("obj")
            pronoun = {"him": "he", "her": "she"}.get(obj)
            if pronoun:
                speaker = ctx.pronoun(at + heard.start("obj"), "male" if obj == "him" else "female", para_start,
                                      {listener} if listener else set())
            else:
                speaker = lookup(ctx.index, obj)
            if speaker and speaker != listener:
                return Decision(speaker, "action-pronoun" if pronoun else "action-name", 0.6, pronoun)
            continue
        if from_end and k == 0:
            # "Holmes was sitting with his back to me, and I had given him no sign": the clause
            # nearest the quotation says who acts last.
            joined = [j.end() for j in _JOINED_CLAUSE.finditer(body)]
            m = _ACTION.match(body[joined[-1]:]) if joined else None
            if m:
                at = offset + start + len(sentence) - len(body) + joined[-1]
                speaker, kind = _actor(ctx, m.group("subj"), at, para_start)
                if speaker and kind in ("name", "pronoun"):
                    return Decision(speaker, "action-" + kind, 0.7 if kind == "name" else 0.6, pronoun_of(m.group("subj")))
            newcomer = _newcomer_acting(ctx, body)
            if newcomer:
                return Decision(newcomer, "action-pronoun", 0.6)
        part = _OWN_PART.match(body) if k == 0 else None
        if part:
            # "Her grave eyes met his inquiringly.": she acts (in the sentence next to the quotation).
            gender = "male" if part.group(1).lower() == "his" else "female"
            speaker = ctx.pronoun(offset + start + len(sentence) - len(body), gender, para_start, set())
            if speaker:
                return Decision(speaker, "action-pronoun", 0.6, "he" if gender == "male" else "she")
            continue
        m = _PERCEIVED.match(body) or _ACTION.match(body)
        if not m:
            continue
        if m.group().split()[-1] in _SPEECH_VERBS and _REPORTED.match(body, m.end()):
            continue  # "I answered that it was the fourth of May": the one asked, not the asker
        speaker, kind = _actor(ctx, m.group("subj"), offset + start, para_start)
        if speaker and kind in ("name", "pronoun", "noun"):
            kind = "pronoun" if kind == "noun" else kind  # "The doctor bent down."
            return Decision(speaker, "action-" + kind, 0.7 if kind == "name" else 0.6, pronoun_of(m.group("subj")))
    return None


def _newcomer_acting(ctx: Context, sentence: str) -> str | None:
    """The described person a/an brings in as the subject of the sentence's last clause ("... and a nurse
    poked her head in."), or None."""
    last = None
    for last in _NEWCOMER_ACTS.finditer(sentence):
        pass
    for heard in _NEWCOMER_VOICE.finditer(sentence):
        if last is None or heard.start() > last.start():
            last = heard
    if last is None or _LATER_CLAUSE.search(sentence, last.end()):
        return None
    person = ctx.person_in(last.group("words"))
    return ctx.described(person) if person else None


def leaving(ctx: Context, narration: str, offset: int, para_start: int) -> set[str]:
    """The characters the narration sees leave ("When he had gone", "Draco went out")."""
    gone = set()
    for m in _LEAVES.finditer(narration):
        who, kind = ctx.resolve(m.group("subj"), offset + m.start("subj"), para_start)
        if who and kind in ("name", "pronoun"):
            gone.add(who)
    return gone


def chat_sender(ctx: Context, handle: str) -> str:
    """Who sent a chat message, from the narration before it ("[02:04] theo_k: "): the character the handle names
    ("theo_k" is Theo), the narrator for "me", else someone named by the handle ("Priya.exe" -> "Priya")."""
    name = handle_name(handle)
    if name.lower() in ("me", "i", "myself"):
        return NARRATOR
    return lookup(ctx.index, name) or ctx.described([name.lower()])


def reported_speaker(ctx: Context, seg: Segment) -> str | None:
    """Who speaks in other words in a narration paragraph that opens "Lucy mumbled that ...", by name."""
    first = next((m for m in _SENTENCES.finditer(seg.text) if has_word(m.group())), None)
    if first is None:
        return None
    body = first.group().lstrip(" \t\n")
    m = _ACTION.match(body)
    if not m or m.group().split()[-1] not in _SPEECH_VERBS or not _REPORTED.match(body, m.end()):
        return None
    speaker, kind = ctx.resolve(m.group("subj"), seg.start + first.start(), seg.start)
    # By name only: "She assured him that she had not." is left to the turn-taking (a narrated turn).
    return speaker if kind == "name" else None


def vocatives(index: dict[str, str], quote: str) -> set[str]:
    """The characters a quotation addresses by name ("Emma, my dear", "(turning to Emma.)"), by the
    name index of `characters.name_index`."""
    found = set()
    for pattern in (_VOCATIVE_START, _VOCATIVE_END, _VOCATIVE_MID, _VOCATIVE_ASIDE):
        for m in pattern.finditer(quote):
            surface = m.group(1)
            # A chapter's first word set in capitals: "TOMMY, old thing!"
            name = lookup(index, surface) or (lookup(index, surface.title()) if surface.isupper() else None)
            if name:
                found.add(name)
    return found


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


def kept_silent(ctx: Context, narration: str, speaker: str | None) -> str | None:
    """The one the narration after a speech says kept silent ("Mr. Pett grunted, but made no verbal
    comment.") while the speaker went on acting ("Ogden celebrated his victory by ..."): another than the
    speaker, whose turn passed without words. A silence alone ("Mary was silent for a long moment.") is
    a pause before the answer, not the answer."""
    if ctx.pattern is None or speaker is None:
        return None
    silent = None
    for m in _SENTENCES.finditer(narration):
        sentence = m.group()
        if silent is None and _KEPT_SILENT.search(sentence):
            names = {n for n in (lookup(ctx.index, x.group()) for x in ctx.pattern.finditer(sentence)) if n}
            if len(names) == 1 and speaker not in names:
                silent = names.pop()
        elif silent and (a := _ACTION.match(sentence.lstrip(" \t\n\"'\u201c\u201d\u2018\u2019"))) and \
                lookup(ctx.index, a.group("subj")) == speaker:
            return silent
    return None


def untagged(ctx: Context, segs: list[Segment], idxs: list[int], quotes: list[int], turns: list[str | None],
              addressed: set[str], addressed_before: set[str], para_start: int,
              prev_narration: Segment | None) -> Decision:
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
    for d in untagged_candidates(ctx, segs, idxs, quotes, turns, addressed, addressed_before, para_start,
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
            # The family is evidence the ranker's features do not carry: it may not overrule it.
            return d if d is first_choice else replace(d, pinned=True)
    if first_choice or deferred:
        return first_choice or deferred[0]
    if not turns and not ctx.speakers and addressed:
        # The very first speech, calling someone before anyone is named ("TOMMY, old thing!"
        # opening a chapter): someone the narration names next.
        end = segs[quotes[-1]].end
        for name in dict.fromkeys(ctx.mentioned_in(end, end + _AHEAD)):
            if name not in addressed and ctx.is_person(name):
                return Decision(name, "salience", 0.25)
    return Decision(None, "unknown", 0.0)


def _named_in(ctx: Context, quote: str) -> set[str]:
    """The characters a quotation names (as vocatives or in the third person)."""
    if ctx.pattern is None:
        return set()
    return {name for name in (lookup(ctx.index, m.group()) for m in ctx.pattern.finditer(quote)) if name}


def _voice_after(ctx: Context, segs: list[Segment], idxs: list[int]) -> Decision | None:
    """The person whose voice the narration paragraph right after this one says was heard."""
    last = max(i for i in idxs if segs[i].kind == DIALOGUE)
    nxt = idxs[-1] + 1
    if any(has_word(segs[i].text) for i in idxs if i > last) or nxt >= len(segs) or segs[nxt].kind == DIALOGUE:
        return None
    if nxt + 1 < len(segs) and segs[nxt + 1].paragraph == segs[nxt].paragraph:
        return None  # a paragraph with speech of its own: its voice is its own speaker's
    m = _VOICE_AFTER.match(segs[nxt].text)
    person = ctx.person_in(m.group("words")) if m else None
    return Decision(ctx.described(person), "tag-noun", 0.7) if person else None


def untagged_candidates(ctx: Context, segs: list[Segment], idxs: list[int], quotes: list[int],
                         turns: list[str | None], addressed: set[str], addressed_before: set[str],
                         para_start: int, prev_narration: Segment | None) -> Iterator[Decision]:
    """Every speaker the untagged rules propose for a dialogue paragraph, best first."""
    first = quotes[0]
    heard = _voice_after(ctx, segs, idxs)
    if heard:
        yield heard
    lead = [segs[i] for i in idxs if i < first]
    trail = [segs[i] for i in idxs if i > first and segs[i].kind != DIALOGUE]
    for seg, from_end in ([(s, True) for s in lead] + [(s, False) for s in trail]):
        d = action_subject(ctx, seg.text, seg.start, from_end, para_start)
        if d and d.speaker not in addressed:
            yield d
    if prev_narration is not None and not any(has_word(s.text) for s in lead):
        # "Mr. Sleary emptied his glass and recalled the ladies." then an untagged speech.
        d = action_subject(ctx, prev_narration.text, prev_narration.start, True, prev_narration.start,
                            last_only=True)
        if d and d.speaker not in addressed:
            yield Decision(d.speaker, "action-previous", d.confidence - 0.15)
        elif (d and turns and turns[-1] and turns[-1] != d.speaker and turns[-1] not in addressed
              and d.speaker in ctx.named_in(ctx.last_spoken)):
            # '"Jo does use such slang words!" observed Amy. // Jo immediately sat up ... and began to
            # whistle. // "Don't, Jo. It's so boyish!"': the one who acted, on being spoken of, is
            # called, and the one who spoke of Jo answers what Jo did (in '"In the garret," said Meg.
            # // Beth went to the door. // "No, Beth; ..."' Meg did not speak of Beth: not Meg).
            yield Decision(turns[-1], "continuation", 0.5)
    previous = turns[-1] if turns else None
    reply_to = [n for n in addressed_before if n != previous and n not in addressed and n not in ctx.absent]
    if previous and len(reply_to) == 1:
        yield Decision(reply_to[0], "vocative-reply", 0.6)
    if len(turns) >= 2 and turns[-2] and turns[-2] != previous and turns[-2] not in addressed | ctx.absent:
        yield Decision(turns[-2], "turn-taking", 0.55)
    exclude = set(addressed) | ctx.absent | ({previous} if previous else set())
    for other in ctx.ranked(segs[first].start, exclude):
        yield Decision(other, "turn-taking" if previous else "salience", 0.4 if previous else 0.3)
    if previous and previous not in addressed | ctx.absent:
        yield Decision(previous, "continuation", 0.3)
