"""Character discovery for attribution: names, titles, aliases and gender from raw text."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..model import Character, Gender
from ..text.chat import senders, without_chat
from ..text.names import FEMALE_FIRST, MALE_FIRST, NICKNAMES, OPENERS, STOP_CAPS
from .descriptions import TITLE_WORDS, discover_descriptions, narrated_subjects, noun_gender, tag_subjects

MALE_TITLES = frozenset("mr sir lord captain colonel admiral general major master father king prince duke count baron brother uncle".split())
FEMALE_TITLES = frozenset("mrs miss ms lady madam madame mistress dame sister aunt queen princess duchess countess mother".split())
NEUTRAL_TITLES = frozenset("dr doctor professor rev reverend sergeant corporal lieutenant inspector judge detective officer "
                            "constable deputy sheriff superintendent sgt insp supt di ds dc dci pc wpc".split())  # (not "agent": the estate agent is no Agent Cole)
TITLES = MALE_TITLES | FEMALE_TITLES | NEUTRAL_TITLES
# Titles that go with a given name ("Sir Walter", "Lady Catherine") rather than a surname.
GIVEN_NAME_TITLES = frozenset("sir lady dame lord".split())

_HONORIFIC = r"(?:Mr|Mrs|Ms|Miss|Dr|Sir|Lady|Lord|Captain|Colonel|Admiral|General|Major|Master|Madam|Madame|Dame|Professor|Aunt|Uncle)"
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
# A word of prose, not part of a handle, address or file name ("theo_k", "@theo", "theo.k@mail.com"): a name
# seen in lower case there is still a name.
_PROSE_WORD = re.compile(r"(?<![\w@./])[^\W\d_]+(?:['\u2019][^\W\d_]+)*(?![\w@]|\.\w)")
_OBJECT_LEADS = frozenset("to with at of for by from on upon towards toward about than into like and".split())
_CLAUSE_LEADS = frozenset("""and but when while as then that so because before after until if though till said
    cried replied returned asked answered observed added exclaimed rejoined continued whispered""".split())
# A capitalised word right after or before one of these verbs in narration is a speaker's name,
# even when it is also a word ("said Will", "May asked") or named only once ("said Higgins").
_TAG_VERBS = r"(?:said|asked|replied|answered|cried|exclaimed|whispered|shouted|called|added|returned|observed|remarked|muttered|murmured|agreed|admitted|insisted|continued|began|sighed|laughed)"
# Capitalised words, accented ones too ("Renée", "Zoë", "Łukasz").
_UPPER = "A-Z\u00c0-\u00d6\u00d8-\u00de\u0100-\u017f"
_LOWER = "a-z\u00df-\u00f6\u00f8-\u00ff\u0100-\u017f"
_TAG_SUBJ = rf"(?:(?:Mr|Mrs|Ms|Dr|St)\.? |[{_UPPER}][{_LOWER}]+ )?[{_UPPER}][{_LOWER}]+"
_TAG_NAME = re.compile(r"(?:^|[\"\u201d\u2019',\u2014]\s*)" + _TAG_VERBS + r"\s+(?:(?P<the>the)\s+)?(?P<a>" + _TAG_SUBJ + r")\b"
                       r"|(?:^|[\"\u201d\u2019,\u2014]\s*)(?P<b>" + _TAG_SUBJ + r")\s+" + _TAG_VERBS + r"\b",
                       re.MULTILINE)
_NOT_NAMES = frozenset("""i he she it we they you the a an this that these those his her their my our your who what
    which then there here now so but and or yet well oh ah no yes somebody someone nobody everyone everybody one""".split())
# Titles used alone as a name after "the": "said the Captain".
_BARE_TITLES = frozenset("captain colonel major general admiral doctor professor judge sergeant".split())
_PLACE_PREPS = frozenset("in at into from near through towards toward across".split())
# A name ending in one of these nouns is a place, a building, a body or an event, not a person.
PLACE_NOUNS = frozenset(
    """street streets road lane row square hill hills park house hall manor castle abbey church chapel
    cathedral college school university hospital hotel inn club company society institute museum
    office bank station river lake sea ocean bay island islands valley mountain mountains forest wood
    woods county city town village avenue bridge gate gates point pass landing theatre theater prison
    tower palace court farm mill mills cottage grange parish states state war legends directory survey
    channel zone cape fields home asylum orphanage convent buildings building gardens garden harbor
    harbour cross drive library exchange railway line lines navigation empire kingdom republic
    department committee board army navy regiment diamond st ave rd blvd""".split())
# After an article or a determiner, a capitalised word is a thing or a nationality ("the Thames",
# "an American", "a Christian"), except a bare title used as a name ("the Captain").
_ARTICLES = frozenset("a an the this that these those some any every no".split())
_HE = re.compile(r"\b(?:he|himself)\b", re.IGNORECASE)
_SHE = re.compile(r"\b(?:she|herself)\b", re.IGNORECASE)
_HIS = re.compile(r"\bhis\b", re.IGNORECASE)
_HER = re.compile(r"\bher\b", re.IGNORECASE)
_HIM = re.compile(r"\bhim\b", re.IGNORECASE)
# "her" as an object: before punctuation, a preposition or an adverb ("at her sideways"), not a noun.
_HER_OBJECT = re.compile(r"\bher\b(?=\s*(?:[^\w\s]|$|(?:and|but|or|to|with|in|on|at|as|for|from|again|back|"
                         r"away|up|down|out|off|that|so|too|[a-z]+ly|[a-z]+ways)\b))", re.IGNORECASE)
_QUOTE_MARKS = frozenset("\"'\u201c\u201d\u2018\u2019")
_POSSESSIVE = re.compile(r"\b(?:his|her)\b", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[.;:!?\u2026]")
_HIS_OWN = re.compile(r"[a-z]+\s+his\b")
_NEXT_SUBJECT = re.compile(r"\s*(He|She)\b")
_SENTENCE_END = re.compile(r"[.!?\u2026]['\"\u201d\u2019]?\s")


def _plain(word: str) -> str:
    """Lower case with a straight apostrophe: "I\u2019m" -> "i'm"."""
    return word.lower().replace("\u2019", "'")


def _is_cap(word: str) -> bool:
    return word[:1].isupper() and not word.isupper() or (len(word) == 1 and word.isupper() and word != "I")


def _split_possessive(word: str) -> str:
    for suffix in ("'s", "\u2019s", "'", "\u2019"):
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            return word[: -len(suffix)]
    return word


def name_runs(text: str, names: frozenset[str] | set[str] = frozenset()) -> list[tuple[int, int, str, bool]]:
    """Runs of capitalised words that may be names: (start, end, surface, sentence_initial).

    A word in `names` is kept even if it is usually a function word ("May", "Will")."""
    runs: list[tuple[int, int, str, bool]] = []
    run: list[tuple[int, int, str]] = []

    def flush() -> None:
        if not run:
            return
        start = run[0][0]
        j = start - 1
        while j >= 0 and text[j] in " \t\n\"'\u201c\u2018(":
            j -= 1
        # (After a blank line a paragraph starts, with a sentence: "Chapter 2: The Reply" above it ends none.)
        initial = j < 0 or text[j] in ".!?:\u2026-\u2014\n" or text[start - 1:start] in "\"\u201c\u2018'" or \
            text.count("\n", j + 1, start) >= 2
        words = [w for _, _, w in run]
        # Drop leading function words ("But Emma", "Poor Miss Taylor"),
        # and a word before a title ("Later Mr. Morel", "Then Captain Hale": a name starts at its title).
        while words and words[0].lower() not in TITLES and words[0] not in names and (
                _plain(words[0]) in STOP_CAPS or len(words) > 1 and words[1].lower() in TITLES):
            run.pop(0)
            words.pop(0)
            initial = False
        if words:
            words[-1] = _split_possessive(words[-1])
            end = run[-1][0] + len(words[-1])
            runs.append((run[0][0], end, " ".join(text[run[0][0]:end].split()), initial))
        run.clear()

    for m in _WORD.finditer(text):
        w = m.group()
        if _is_cap(w) or (w.lower() in TITLES and w[:1].isupper()):
            if run:
                gap = text[run[-1][1]:m.start()]
                prev = run[-1][2]
                # "Mr. Hale", and "St. Paul": a saint's name (or a place named after one) is one name; not
                # "Water St. Paul stopped", a street's abbreviation ending its sentence.
                ok_gap = gap.isspace() and gap.count("\n") <= 1 or (
                    gap.startswith(".") and gap[1:].isspace() and (prev.lower() in TITLES or prev == "St" and len(run) == 1))
                if not ok_gap or _split_possessive(prev) != prev:
                    flush()
            run.append((m.start(), m.end(), w))
        else:
            flush()
    flush()
    return runs


@dataclass
class _Entity:
    names: Counter
    gender_votes: float = 0.0  # > 0 male, < 0 female

    @property
    def name(self) -> str:
        # The longest frequent form is the most specific canonical name.
        best = max(self.names.items(), key=lambda kv: (kv[1] >= 2 or len(self.names) == 1, len(kv[0].split()), kv[1]))
        return best[0]


def _title_of(name: str) -> str | None:
    first = name.split()[0].rstrip(".").lower()
    return first if first in TITLES and len(name.split()) > 1 else None


def title_gender(name: str) -> Gender:
    """The gender a name's title gives ("Mr. Elton": male), or unknown."""
    return _title_gender(_title_of(name))


def name_gender(name: str) -> Gender:
    """The gender a name alone gives, with no text around it: its title ("Mrs. Gibbs"), its given
    name ("Lorelai Gilmore", "Tommy"), or a person noun ("the old woman"); else unknown."""
    gender = title_gender(name)
    if gender == "unknown" and name.split():
        gender = _first_gender(_given_name(name).strip(".,"))
    if gender == "unknown" and name.split():
        gender = noun_gender(name.split()[-1].lower())
    return gender


def _title_gender(title: str | None) -> Gender:
    if title in MALE_TITLES:
        return "male"
    if title in FEMALE_TITLES:
        return "female"
    return "unknown"


def _norm(name: str) -> str:
    """Surface form with one space and no dot after the title, for matching."""
    parts = name.split()
    if parts and parts[0].rstrip(".").lower() in TITLES:
        parts[0] = parts[0].rstrip(".")
    return " ".join(parts)


# What a person does as the subject of a sentence's first words ("Kofi kept his eyes on the road.", "Kofi didn't
# push.", "Kofi shrugged."): a verb of a body or a mind, or a negated auxiliary.
_ACTS = re.compile(r"\s+(?:kept|shook|stood|sat|knew|thought|told|leaned|leant|grinned|smiled|laughed|shrugged|"
                   r"nodded|sighed|frowned|winced|blinked|glanced|stared|whispered|muttered|swallowed|hesitated|"
                   r"(?:did|was|had|could|would|does|is|has|ca|wo)n[\'\u2019]t|(?:shake|grin|lean|sigh|nod|shrug|smile|"
                   r"laugh|glance|stare|frown|wince|blink|whisper|mutter|swallow|hesitate)s)\b")
# (Verbs only a person does: "London looked grey", "the town seemed smaller" are no one acting.)


_PERSONAL = re.compile(r"\b(?:he|she|his|her|him|hers|himself|herself)\b", re.IGNORECASE)
_INDEFINITE = frozenset("""nothing nobody everyone everybody someone somebody something anything everything none few
    several many most all both each neither either another anyone anybody""".split())


# A sentence's subject goes on with its verb, not with an article or a pronoun ("Outside the rain fell", "Later she").
_SUBJECT_ACTS = re.compile(r"\s+(?!(?:the|a|an|his|her|its|their|my|our|your|this|that|he|she|it|they|we|i|you|"
                           r"there|then|of|and|or|to|in|on|at)\b)[a-z]+\b")
# A speech tagged with a pronoun: "'He wants to meet us,' she said."
_PRONOUN_TAG = re.compile(r"[,!?\u2026\u2014-][\"\u201d]\s+(?P<pronoun>he|she)\s+" + _TAG_VERBS + r"\b")


def _pronoun_tag_after(text: str, end: int) -> re.Match | None:
    """The pronoun tagging a speech in the rest of the paragraph, or in a next paragraph that opens with a speech
    ("Jess was waiting on the pier.\n\n'You're late,' she said.")."""
    stop = text.find("\n", end) % (len(text) + 1)
    tag = _PRONOUN_TAG.search(text, end, stop)
    if tag or stop >= len(text):
        return tag
    nxt = re.compile(r"\s*[\"\u201c]").match(text, stop)
    if not nxt:
        return None
    return _PRONOUN_TAG.search(text, nxt.end(), text.find("\n", nxt.end()) % (len(text) + 1))


def _opens_paragraph(text: str, start: int) -> bool:
    """Whether text[start] opens the text or a paragraph (after a blank line), not a line of a wrapped one."""
    j = start - 1
    while j >= 0 and text[j] in " \t":
        j -= 1
    if j < 0:
        return True
    k = j - 1
    while k >= 0 and text[k] in " \t":
        k -= 1
    return text[j] == "\n" and (k < 0 or text[k] == "\n")


def _acts_as_person(key: str, n: int, acts: Counter, lower_words: Counter) -> bool:
    """A name heard only at sentence starts, not in the lists of given names ("Kofi", "Marisol"), is a person when it
    acts there at least twice with "he"/"she" soon after ("Kofi didn't push. He watched the fields.") and is never an
    ordinary lower-case word ("Nothing happened", "Later came")."""
    return (len(key.split()) == 1 and acts[key] >= 2 and acts[key] * 2 >= n and not lower_words[key.lower()]
            and key.lower() not in STOP_CAPS | OPENERS | _INDEFINITE)


def discover_characters(texts: Sequence[str]) -> tuple[Character, ...]:
    """Find the named people across all texts, merge their aliases and guess their gender."""
    counts: Counter = Counter()
    mid: Counter = Counter()
    place: Counter = Counter()
    article: Counter = Counter()
    display: dict[str, str] = {}
    lower_words: Counter = Counter()
    tagged: set[str] = set()
    chatting = set().union(*(senders(text) for text in texts))  # "priya.exe: not me": Priya is someone
    spans = [_dialogue_spans(text) for text in texts]
    masks = [_dialogue_mask(sp) for sp in spans]
    narration = [_narration_only(text, sp) for text, sp in zip(texts, spans)]
    for text, spoken in zip(texts, masks):
        for m in _PROSE_WORD.finditer(without_chat(text)):
            w = m.group()
            if w.islower():
                lower_words[w] += 1
        for m in _TAG_NAME.finditer(text):
            name = m.group("a") or m.group("b")
            if spoken(m.start("a") if m.group("a") else m.start("b")) or name.split()[0].lower() in _NOT_NAMES:
                continue
            if m.group("the"):
                if name.lower() in _BARE_TITLES:  # "said the Captain"
                    tagged.add(name)
                continue
            key = _norm(name)
            if key.split()[0].lower() not in TITLES or len(key.split()) > 1:
                tagged.add(key)
    acts: Counter = Counter()
    speaks: Counter = Counter()
    said_by: dict[str, set[Gender]] = defaultdict(set)  # the pronouns that tag the speech of a paragraph it opens
    for text, spoken in zip(texts, masks):
        for start, end, surface, initial in name_runs(text, tagged):
            if spoken(start):
                continue  # names said inside quotations are vocatives or hearsay, not evidence
            key = _norm(surface)
            if (_plain(key) in STOP_CAPS or key.lower() in TITLES) and key not in tagged:
                continue
            counts[key] += 1
            if initial and _ACTS.match(text, end) and _PERSONAL.search(text, end, end + 120):
                acts[key] += 1
            tag = initial and _opens_paragraph(text, start) and _SUBJECT_ACTS.match(text, end) and \
                _pronoun_tag_after(text, end)
            if tag:
                speaks[key] += 1
                if tag.start() < text.find("\n", end) % (len(text) + 1):
                    # (A next paragraph's "she said" may be someone answering: no evidence of gender.)
                    said_by[key].add("female" if tag.group("pronoun").lower() == "she" else "male")
            display.setdefault(key, surface)
            if not initial:
                mid[key] += 1
            before = text[max(0, start - 12):start].split()
            if before and before[-1].lower() in _PLACE_PREPS:
                place[key] += 1
            if before and before[-1] in _ARTICLES:
                article[key] += 1
    parts = {w for key in counts if len(key.split()) > 1 for w in key.split()[-2:]}

    def initial_only(key: str) -> bool:
        return mid[key] == 0

    keep = []
    for key, n in counts.items():
        words = key.split()
        titled = _title_of(key) is not None
        if words[-1].lower() in PLACE_NOUNS and not (titled and len(words) == 2) and key not in tagged:
            # "Spruce Street", "Blodgett College", "the Royal George Hotel"; but the subject of a speech tag is
            # a person, whatever their name means ("said Lane", "Tom Hill said").
            continue
        if article[key] * 2 > n and key.lower() not in _BARE_TITLES:
            continue  # "the Admiral Benbow", "an American"
        if key in tagged:
            keep.append(key)  # the subject of a speech tag is a person
            continue
        if n == 1 and len(words) == 1 and not initial_only(key) and _first_gender(key) != "unknown":
            keep.append(key)  # a known given name, mentioned once ("I had not seen Martha")
            continue
        if len(words) == 1 and speaks[key] and not lower_words[key.lower()] and \
                key.lower() not in STOP_CAPS | OPENERS | _INDEFINITE:
            # The one name of a paragraph whose speech "she said" tags ("Hermione read the reply twice. 'He
            # wants to meet us,' she said."): a person, though named once and only at a sentence's start.
            keep.append(key)
            continue
        if not titled and len(words) == 1 and lower_words[key.lower()] > n // 3:
            continue  # an ordinary word, capitalised ("Hope", "Will")
        if not titled and mid[key] == 0 and key not in parts and not _acts_as_person(key, n, acts, lower_words) and (
                lower_words[key.lower()] or len(words) == 1 and _first_gender(key) == "unknown"
                or len(words) > 1 and (lower_words[words[0].lower()] or words[0].lower() in STOP_CAPS | OPENERS)
                and words[0].lower() not in _NAME_ADJECTIVES):
            continue  # only ever starts sentences: "Well", "Perhaps", "Throughout Senior year she..."
        if n < 2 and not titled and len(words) == 1 and key not in parts and key not in chatting:
            continue
        if place[key] * 2 > n and not titled:
            continue
        keep.append(key)
    # Pronouns vote on each surface form first, so that forms of opposite genders are never
    # merged ("Mr. Hilbery" and "Katharine Hilbery"); then on the merged characters.
    singles = [_Entity(Counter({k: counts[k]})) for k in keep]
    _vote_gender(singles, narration)
    form_gender = {next(iter(e.names)): _entity_gender(replace(e, gender_votes=e.gender_votes / 2)) for e in singles}
    entities = _merge(keep, counts, form_gender)
    _vote_gender(entities, narration)
    out = []
    for ent in sorted(entities, key=lambda e: -sum(e.names.values())):
        name = ent.name
        aliases = tuple(sorted((display.get(n, n) for n in ent.names if n != name), key=lambda a: (-ent.names[_norm(a)], a)))
        out.append(Character(display.get(name, name), _entity_gender(ent), aliases))
    out = _known_as(out, texts)
    named_words = {w.rstrip(".").lower() for c in out for form in (c.name, *c.aliases) for w in form.split()}

    def known(head: str) -> bool:
        # "the Captain" of "Captain Hale", "the doctor" of "Dr. Archie": the named character.
        return any(w in named_words for w in TITLE_WORDS.get(head, (head,)))

    out += _called_only(texts, spans, named_words, counts, lower_words)
    subjects = [s for text, spoken in zip(texts, masks) for s in tag_subjects(text, spoken)]
    taken = {c.name for c in out}
    narrated = [s for text in narration for s in narrated_subjects(text)]
    described = [c for c in discover_descriptions(subjects, known, narrated) if c.name not in taken]
    out += [_described_gender(c, narration) for c in described]
    titled: dict[str, set[Gender]] = defaultdict(set)
    for text in texts:
        for m in _GENDER_TITLE.finditer(text):
            titled[m.group(2)].add(_title_gender(m.group(1).lower()))
    out = [_titled_gender(c, titled) if c.gender == "unknown" else c for c in out]
    # Still unknown: the pronoun that tags the speech of the paragraphs they open ("Hermione read the reply.
    # 'He wants to meet us,' she said."), when it is always the same.
    return tuple(replace(c, gender=next(iter(said_by[_norm(c.name)])))
                 if c.gender == "unknown" and len(said_by.get(_norm(c.name), ())) == 1 else c for c in out)


# A lone given name calling someone at a quotation's start or end, or between commas: "Thea, come here",
# "Feel pretty sick, Thea?", "I tell you, Thea, it is so".
_CALL_EDGE = re.compile(r"^\W*([A-Z][a-z]{2,})\s*[,!?]|,\s*([A-Z][a-z]{2,})\s*[,!?.]*\W*$")
# Between commas, but not an item of a list ("to Paris, Rome, and Vienna").
_CALL_MID = re.compile(r",\s+([A-Z][a-z]{2,})\s*(?:[!?]|,(?!\s*(?:and|or|nor)\b|\s*[A-Z]))")
_NOT_CALLED = frozenset("""sir madam ma'am mister mistress master miss missus mother father papa mamma mama mammy
    daddy mummy granny grandma grandpa grandmother grandfather uncle aunt auntie cousin brother sister son daughter
    lord lady god heaven heavens christ jesus gentlemen ladies boys girls friends dear darling honey sweetheart
    love doctor captain colonel major general sergeant professor judge parson nurse officer squire governor guv
    monsieur madame mademoiselle signor signora signore senor senora herr frau fraulein sire majesty highness
    excellency lordship ladyship reverence padre comrade citizen""".split())


# "Priscilla Haas, who everyone called Cilla", "Margaret, known as Peggy", "Margaret, nicknamed Peggy".
_CALLED = re.compile(r"\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\s*,?\s+(?:who(?:m)?\s+(?:everyone|everybody|people|they|we|"
                     r"most people|her friends|his friends|the others)\s+called|(?:better\s+)?known\s+as|nicknamed)"
                     r"\s+([A-Z][a-z]{2,})\b")  # (not a bare "called": "Tom called Sarah to apologise")


def _known_as(chars: list[Character], texts: Sequence[str]) -> list[Character]:
    """The characters with the short names they go by: a pet form of their given name said anywhere ("Liz" of
    Elizabeth Adebayo, "Now, Liz, ..."), or one the narration gives them ("Priscilla Haas, who everyone called
    Cilla"), when it fits one character only and is no character of its own."""
    names = {form for c in chars for form in (c.name, *c.aliases)}
    by_first: dict[str, list[int]] = defaultdict(list)
    for k, c in enumerate(chars):
        words = [w for w in c.name.split() if w.rstrip(".").lower() not in TITLES]
        if words:
            by_first[words[0].lower()].append(k)
    extra: dict[int, list[str]] = defaultdict(list)
    joined = "\n".join(texts)
    for nick, fulls in NICKNAMES.items():
        owners = {k for full in fulls for k in by_first.get(full, ())}
        surface = nick.capitalize()
        # Not a word of the language too ("Will you...?", "the bill", "Pat it dry"): said in lower case anywhere.
        # Said as a name: inside a sentence or called ("Now, Liz, ..."), not opening one ("Will you ...?").
        if len(owners) == 1 and surface not in names and not re.search(r"\b" + nick + r"\b", joined) and \
                re.search(r"[a-z,;]\s+" + surface + r"\b|\b" + surface + r"\s*[,!?]", joined):
            extra[owners.pop()].append(surface)
    merged: set[int] = set()
    for m in _CALLED.finditer(joined):
        full, nick = m.group(1), m.group(2)
        owners = {k for k, c in enumerate(chars) if full in (c.name, *c.aliases) or c.name.startswith(full + " ")}
        # The name they go by may have been found as a person of its own: it is this one.
        own = [k for k, c in enumerate(chars) if c.name == nick and not c.aliases and k not in owners]
        if len(owners) == 1 and (nick not in names or len(own) == 1):
            extra[next(iter(owners))].append(nick)
            merged.update(own)
    return [replace(c, aliases=(*c.aliases, *dict.fromkeys(extra[k]))) if extra.get(k) else c
            for k, c in enumerate(chars) if k not in merged]


def _called_only(texts: Sequence[str], spans: list[list[tuple[int, int]]], named: set[str],
                 counts: Counter, lower_words: Counter) -> list[Character]:
    """People the narration never names but others call by name ("Feel pretty sick, Thea?" he
    asked): a known given name called at a quotation's start or end, or any name called twice; never an
    ordinary word ("Hope"), a kinship or courtesy word ("Mother", "Sir", "Monsieur"), an item of a list
    ("Tom, Dick, and Harry"), or a form of a known name (`named`: the words of the names found so far)."""
    calls: Counter = Counter()
    at_edge: set[str] = set()
    for text, quotes in zip(texts, spans):
        for start, end in quotes:
            quote = text[start:end]  # sliced: "^" and "$" are the quotation's own ends
            for m in _CALL_EDGE.finditer(quote):
                word = m.group(1) or m.group(2)
                calls[word] += 1
                at_edge.add(word)
            for m in _CALL_MID.finditer(quote):
                calls[m.group(1)] += 1
    out = []
    for word, n in sorted(calls.items()):
        low = word.lower()
        if low in named or low in _NOT_CALLED or low in STOP_CAPS or low in TITLES or lower_words[low] or counts[word]:
            continue
        if any(w[:2] == low[:2] for w in named):
            continue  # perhaps a pet name of one already known ("Loo" for Louisa): not a second person
        if any(re.search(r"\b(?:[Tt]he|an?)\s+(?:[a-z]+\s+)?" + word + r"\b", text) for text in texts):
            continue  # "the young Thquire": a title or a noun, whatever it is called
        gender = _first_gender(word)
        said = sum(len(re.findall(r"\b" + word + r"\b", text)) for text in texts)
        # A known given name, called at a quotation's start or end or twice; an unknown word called twice and
        # also said otherwise than in a call ("Thquire!" is Sleary's "Squire"), never as a place or as a part
        # of a longer name ("the Battle of Trafalgar", "National Prosperity").
        if gender != "unknown" and (n >= 2 or word in at_edge) or n >= 2 and said > n and not any(
                re.search(r"\b(?:of|in|at|to|from|near|by)\s+" + word + r"\b|\b" + word + r"\s+[A-Z]", text)
                for text in texts):
            out.append(Character(word, gender))
    return out


_NAME_ADJECTIVES = frozenset({"old", "young", "little", "poor"})  # "Old Cotter looked at me"
_GENDER_TITLE = re.compile(r"\b(Mr|Mrs|Miss|Ms|Sir|Lady|Lord|Madam|Madame|Master)\.?\s+(\w+)")


def _titled_gender(character: Character, titled: dict[str, set[Gender]]) -> Character:
    """A character of unknown gender called "Mr Cotter" somewhere, even in dialogue ("How do you
    mean, Mr Cotter?"), and never by a title of the other gender, is of that gender."""
    genders = titled.get(character.name, set())
    if len(genders) == 1 and "unknown" not in genders and " " not in character.name:
        return replace(character, gender=next(iter(genders)))
    return character


def _described_gender(character: Character, narration: Sequence[str]) -> Character:
    """A described character of unknown gender ("the doctor") takes the gender of the pronouns
    that follow it as a sentence subject ("The doctor bent down. He lifted the towel"), when at
    least two such sentences agree and none disagrees."""
    if character.gender != "unknown":
        return character
    key = re.escape(character.aliases[0]).replace(r"\ ", r"\s+")
    subject = re.compile(r"(?:^|[.!?;]['\"\u201d\u2019]?\s+|\n\s*)[Tt]he\s+" + key + r"(?:\s+|,[^,.;]{1,40},\s*)(?:[a-z]+ly\s+)?[a-z]")
    votes = []
    for text in narration:
        for m in subject.finditer(text):
            end = _SENTENCE_END.search(text, m.end())
            own = text[m.end():end.start() if end else m.end() + 200][:300]
            # The pronoun in the subject's own sentence, or opening the next one (a blanked
            # quotation reads as a full stop, so the "she" of a tag after it is not taken).
            nxt = _NEXT_SUBJECT.match(text, end.end()) if end else None
            he, she = _HE.search(own), _SHE.search(own)
            if he and (not she or he.start() < she.start()) or not (he or she) and nxt and nxt.group(1) == "He":
                votes.append("male")
            elif she or not he and nxt and nxt.group(1) == "She":
                votes.append("female")
            elif _HIS_OWN.match(own):
                votes.append("male")  # "The doctor shook his head" ("her" may be an object)
    if len(votes) >= 2 and len(set(votes)) == 1:
        return replace(character, gender=votes[0])
    return character


def _dialogue_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every quotation in the text."""
    from ..text.segment import split_text  # local: segment does not depend on this module

    return [(s.start, s.end) for s in split_text(text) if s.kind == "dialogue"]


def _narration_only(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with every quotation blanked (offsets kept): pronouns inside speech ("he" for the
    speaker's father) say nothing of the gender of a name in the narration around it. A blanked
    quotation reads as a full stop, so a name after it still starts a sentence."""
    chars = list(text)
    for a, b in spans:
        while a > 0 and chars[a - 1] in _QUOTE_MARKS:
            a -= 1
        while b < len(chars) and chars[b] in _QUOTE_MARKS:
            b += 1
        if b > a:
            chars[a:b] = "." + " " * (b - a - 1)
    return "".join(chars)


def _dialogue_mask(spans: list[tuple[int, int]]):
    """A predicate: is this offset inside a quotation?"""
    starts = [a for a, _ in spans]

    def inside(pos: int) -> bool:
        i = bisect_left(starts, pos + 1) - 1
        return i >= 0 and spans[i][0] <= pos < spans[i][1]

    return inside


def _merge(keys: list[str], counts: Counter, form_gender: dict[str, Gender]) -> list[_Entity]:
    """Group surface forms that name the same person (Emma / Emma Woodhouse / Miss Woodhouse).

    Forms of opposite genders never join, and a married woman's "Mrs. Hale" is not the "Margaret
    Hale" of the same family: the given names of a family name its children as often as its wife.
    """
    parent = {k: k for k in keys}
    gender: dict[str, Gender] = {k: form_gender.get(k, "unknown") for k in keys}

    def find(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra == rb or "unknown" not in (gender[ra], gender[rb]) and gender[ra] != gender[rb]:
            return
        parent[rb] = ra
        if gender[ra] == "unknown":
            gender[ra] = gender[rb]

    full = [k for k in keys if _title_of(k) is None and len(k.split()) >= 2]
    titled = [k for k in keys if _title_of(k) is not None]
    singles = [k for k in keys if _title_of(k) is None and len(k.split()) == 1]
    single_set = set(singles)
    by_first: dict[str, list[str]] = defaultdict(list)
    by_last: dict[str, list[str]] = defaultdict(list)
    for k in full:
        by_first[k.split()[0]].append(k)
        by_last[k.split()[-1]].append(k)
    titled_set = {_norm(t) for t in titled}
    for k in titled:
        title, rest = k.split()[0], k.split()[1:]
        rest_s = " ".join(rest)
        if rest_s in by_first.get(rest[0], []) or rest_s in full:
            union(rest_s, k)  # "Mr Frank Churchill" ~ "Frank Churchill"
            continue
        if len(rest) == 1:
            tl = title.lower()
            pool = by_first.get(rest[0], []) if tl in GIVEN_NAME_TITLES else []
            longer = [t for t in titled if t != k and t.split()[0] == title and t.split()[1] == rest[0]]
            if len(longer) == 1:
                union(longer[0], k)  # "Sir Walter" ~ "Sir Walter Elliot"
                continue
            longer = [t for t in titled if len(t.split()) > 2 and t.split()[0] == title and t.split()[-1] == rest[0]]
            if len(longer) == 1:
                union(longer[0], k)  # "Dr. Archie" ~ "Dr. Howard Archie"
                continue
            if tl == "mrs" or tl == "mr" and f"Mrs {rest[0]}" in titled_set:
                continue  # husband and wife: the family's given names are its children
            if tl not in GIVEN_NAME_TITLES or not pool:
                g = _title_gender(tl)
                pool = [f for f in by_last.get(rest[0], []) if _first_gender(f.split()[0]) in (g, "unknown")
                        and not any(t.split()[1:] == f.split() and t.split()[0] != title for t in titled_set)]
            if len(pool) == 1:
                union(pool[0], k)
    for k in singles:
        if k.lower() in TITLES:
            same = [t for t in titled if t.split()[0].rstrip(".") == k]
            if len(same) == 1:
                union(same[0], k)  # "the Captain" is the chapter's only Captain
            continue
        firsts = by_first.get(k, [])
        if not firsts:
            # "Tom" for "Thomas Hardy", "Pip" for "Philip Pirrip"; "Meg" for the book's only "Margaret".
            firsts = [f for full in NICKNAMES.get(k.lower(), ()) for f in by_first.get(full.capitalize(), [])] or \
                [full.capitalize() for full in NICKNAMES.get(k.lower(), ()) if full.capitalize() in single_set]
        if len(firsts) == 1:
            union(firsts[0], k)
            continue
        with_last = [t for t in titled if t.split()[-1] == k]
        with_last += [f for f in by_last.get(k, []) if f not in with_last]
        if gender[k] != "unknown":
            # "Morel sat down. He ..." is Mr. Morel, not Mrs. Morel: the family's forms of the
            # surname's own gender (from its pronouns) are the ones it can be.
            mine = {find(t) for t in with_last if gender[find(t)] == gender[k] and _title_of(t) is not None}
            if len(mine) == 1:  # (one person, maybe under several forms: "DI Okafor", "DI Grace Okafor")
                union(mine.pop(), k)
                continue
            with_last = [t for t in with_last if gender[find(t)] in (gender[k], "unknown")]
        men = {find(t) for t in with_last if gender[find(t)] == "male"}
        if gender[k] == "unknown" and len(men) == 1 and all(gender[find(t)] != "unknown" for t in with_last):
            # "continued Crawford", with Mr. Crawford and Miss Crawford in the book: a surname alone is
            # how the narration names a man.
            union(men.pop(), k)
            continue
        if with_last:
            heard: Counter = Counter()  # per person, whatever forms name them
            for t in with_last:
                heard[find(t)] += counts[t]
            (best, most), *rest = heard.most_common()
            if not rest or most >= 2 * rest[0][1]:
                union(best, k)
            continue
        given = [t for t in titled if t.split()[0].rstrip(".").lower() in GIVEN_NAME_TITLES and t.split()[1] == k]
        if len(given) == 1:
            union(given[0], k)
    groups: dict[str, Counter] = defaultdict(Counter)
    for k in keys:
        groups[find(k)][k] = counts[k]
    return [_Entity(c) for c in groups.values()]


def _first_gender(first: str) -> Gender:
    low = first.lower()
    if low not in MALE_FIRST and low not in FEMALE_FIRST and not low.isascii():
        # The lists spell names without accents: "Zoë" is a Zoe, "José" a Jose.
        low = "".join(c for c in unicodedata.normalize("NFKD", low) if not unicodedata.combining(c))
    if low in MALE_FIRST:
        return "male"
    if low in FEMALE_FIRST:
        return "female"
    fulls = {_first_gender(full) for full in NICKNAMES.get(low, ())}  # "Tommy" is a Thomas
    return fulls.pop() if len(fulls) == 1 else "unknown"


def _given_name(name: str) -> str:
    """The first word of a name after its titles: "Rev. James Flynn" -> "James"."""
    words = name.split()
    while len(words) > 1 and words[0].rstrip(".").lower() in TITLES | {"rev", "reverend"}:
        words = words[1:]
    return words[0]


def _entity_gender(ent: _Entity) -> Gender:
    for name in ent.names:
        g = _title_gender(_title_of(name) or name.lower())  # "Mr. Hale", "the Captain"
        if g != "unknown":
            return g
    for name in ent.names:
        g = _first_gender(_given_name(name))
        if g != "unknown":
            return g
    if ent.gender_votes >= 1:
        return "male"
    if ent.gender_votes <= -1:
        return "female"
    return "unknown"


def _vote_gender(entities: list[_Entity], texts: Sequence[str]) -> None:
    """Pronouns in the sentence after a sentence-initial name vote on that name's gender.

    `texts` are the narration only (quotations blanked by `_narration_only`)."""
    owner = {n: e for e in entities for n in e.names}
    for text in texts:
        runs = [(s, e, _norm(n), i) for s, e, n, i in name_runs(text, set(owner)) if _norm(n) in owner]
        starts = [r[0] for r in runs]
        for idx, (s, e, key, initial) in enumerate(runs):
            before = text[max(0, s - 15):s].split()
            if not initial and not (before and before[-1].lower() in _CLAUSE_LEADS | _NAME_ADJECTIVES):
                continue  # "asked Rory to", "with Emma": not a subject the pronouns go back to
            if not re.match(r"(?:['\u2019]s\s+(?:[a-z]+\s+){0,2}[a-z]+[\s,]+|[\s,]+)(?:[a-z]+ly\s+)?[a-z]", text[e:e + 50]):
                continue  # the name is not followed by its verb ("Strether's first question, when he")
            stop = starts[idx + 1] if idx + 1 < len(starts) else len(text)
            m = _SENTENCE_END.search(text, e)
            end = m.end() if m else len(text)
            m2 = _SENTENCE_END.search(text, end)
            end2 = m2.end() if m2 else len(text)
            window = text[e:min(stop, end2, e + 300)]
            own = text[e:min(stop, end, e + 300)]
            he = _HE.search(window)
            she = _SHE.search(window)
            if he and (not she or he.start() < she.start()):
                if not _HIM.search(own):  # "Rory threw the words at him. He had left": he is him
                    owner[key].gender_votes += 1.0
            elif she:
                if not _HER_OBJECT.search(own):  # "Jess looked at her. She smiled."
                    owner[key].gender_votes -= 1.0
            else:
                his, her = len(_HIS.findall(window)), len(_HER.findall(window))
                owner[key].gender_votes += 0.25 * (his > her) - 0.25 * (her > his)
            # A possessive in the name's own clause is its own: "said Sissy, wiping her eyes",
            # "Strether took off his hat" (a second name ends the clause: "to Mr. Gradgrind ... his").
            clause = _CLAUSE_END.search(text, e, min(stop, e + 120))
            owned = _POSSESSIVE.search(text, e, clause.start() if clause else min(stop, e + 120))
            if owned and not _HER_OBJECT.match(text, owned.start()):
                owner[key].gender_votes += 0.5 if owned.group().lower() == "his" else -0.5


def learn_genders(characters: Sequence[Character], votes: dict[str, float]) -> tuple[Character, ...]:
    """Characters with a gender filled in where it was unknown and the votes (> 0 male,
    < 0 female) are clear: at least two, all but a few of them one way."""
    out = []
    for c in characters:
        v = votes.get(c.name, 0.0)
        if c.gender == "unknown" and abs(v) >= 1.5:
            c = replace(c, gender="male" if v > 0 else "female")
        out.append(c)
    return tuple(out)


def name_index(characters: Sequence[Character]) -> dict[str, str]:
    """Every normalised surface form (name or alias) -> canonical character name."""
    index: dict[str, str] = {}
    for c in characters:
        for form in (c.name, *c.aliases):
            index.setdefault(_norm(form), c.name)
    return index


_SURNAME_TITLES = {"male": ("Mr",), "female": ("Mrs", "Ms", "Miss")}


def with_titled_surnames(index: dict[str, str], characters: Sequence[Character]) -> dict[str, str]:
    """`index` plus "Ms Adebayo" for Elizabeth Adebayo: a title of her gender before a surname no one else
    bears, the form a speech calls her by though the narration never does. Forms already known keep theirs."""
    bearers: dict[str, set[str]] = defaultdict(set)
    for c in characters:
        for form in (c.name, *c.aliases):
            words = form.split()
            if len(words) >= 2 and words[0].rstrip(".").lower() not in TITLES:
                bearers[words[-1]].add(c.name)
            elif len(words) == 1:
                bearers[words[0]].add(c.name)  # "Adebayo" as someone's own name: no one's surname to give
    out = dict(index)
    for c in characters:
        words = c.name.split()
        if len(words) < 2 or c.gender not in _SURNAME_TITLES or bearers.get(words[-1]) != {c.name}:
            continue
        for title in _SURNAME_TITLES[c.gender]:
            out.setdefault(f"{title} {words[-1]}", c.name)
    return out


def mention_regex(index: dict[str, str]) -> re.Pattern[str] | None:
    """A regex finding any known name form in text (longest first, dots/spaces flexible)."""
    if not index:
        return None
    parts = []
    for form in sorted(index, key=len, reverse=True):
        words = form.split()
        pat = r"\.?\s+".join(re.escape(w) for w in words)
        parts.append(pat)
    return re.compile(r"(?<![\w'\u2019])(?:" + "|".join(parts) + r")(?![\w])")


def lookup(index: dict[str, str], surface: str) -> str | None:
    """Canonical name for a surface form (possessive and dots tolerated), or None."""
    key = _norm(_split_possessive(" ".join(surface.split())))
    return index.get(key)


def nearest_before(positions: list[int], pos: int) -> int:
    """Index of the last position < pos, or -1."""
    return bisect_left(positions, pos) - 1
