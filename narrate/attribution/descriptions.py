"""Attribution: characters without a proper name ("the Captain", "the old man", "a rough voice")."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..model import Character, Gender

# Words that make a noun phrase point at a person without naming them.
DETERMINERS = frozenset("the a an his her my our their this that one another your its".split())
POSSESSIVES = frozenset("his her my our their your its".split())
MALE_NOUNS = frozenset(
    """man gentleman boy lad fellow father brother son husband uncle nephew grandfather papa pa daddy
    king prince duke lord sir master squire monk priest friar bridegroom groom widower landlord
    host waiter actor hero youth chap gent bachelor parson clergyman vicar rector curate bishop
    abbot knight earl baron""".split())
FEMALE_NOUNS = frozenset(
    """woman lady girl lass maid maiden mother sister daughter wife aunt niece grandmother mamma mama
    ma mummy granny queen princess duchess mistress madam dame widow bride landlady hostess waitress
    actress heroine nun governess housekeeper matron spinster handmaiden female nurse housemaid""".split())
# Nouns for a child: never a grown-up named with a title ("the boy" is not Mr. Lorry).
CHILD_NOUNS = frozenset("boy girl lad lass child kid baby infant youngster urchin".split())
KIN_NOUNS = frozenset(
    """father mother brother sister son daughter husband wife uncle aunt nephew niece grandfather
    grandmother papa mamma mama cousin""".split())
# Heads that name nobody in particular: "the man" is usually someone the scene already has.
GENERIC_HEADS = frozenset(
    "man woman gentleman lady fellow person voice stranger figure speaker other one boy girl".split())
# Titles and the words a narrator uses for them ("the doctor" is the chapter's Dr. Archie).
TITLE_WORDS = {"doctor": ("dr", "doctor"), "dr": ("dr", "doctor"), "reverend": ("rev", "reverend"),
               "professor": ("professor", "prof"),
               # British police ranks, written short before a name ("DI Okafor" is "the inspector").
               "inspector": ("inspector", "insp", "di", "dci"), "sergeant": ("sergeant", "sgt", "ds"),
               "constable": ("constable", "pc", "wpc", "dc"), "superintendent": ("superintendent", "supt")}
_STOP = frozenset("""to with in at as who whom which that and but or from for on upon after before into
    looking turning with without of by while when whose""".split())
_ADVERB = re.compile(r"^[a-z]+ly$")
# Words that end a described subject: verbs, auxiliaries and adverbs after the head noun.
_AFTER_HEAD = frozenset("""had has have was were is are would could should will did does felt then now again
    also only still just half once presently softly a an the his her their my""".split())
_NOT_HEADS = frozenset("""reply answer rejoinder remark response question words word letter note paper
    thing things same former latter rest others moment time way advice worst best most least
    first last""".split())


@dataclass(frozen=True)
class Description:
    """A parsed noun phrase: "his old mother" -> det "his", words ("old", "mother")."""

    det: str
    words: tuple[str, ...]
    owner: str | None = None
    """A named possessor: "the child's nurse" -> "child", "Tom's aunt" -> "Tom"."""

    @property
    def head(self) -> str:
        return self.words[-1]

    @property
    def key(self) -> str:
        return " ".join(self.words)

    @property
    def name(self) -> str:
        """The speaker name: the phrase without its determiner, in title case ("Old Man")."""
        return " ".join(w[:1].upper() + w[1:] for w in self.words)

    @property
    def gender(self) -> Gender:
        return noun_gender(self.head.split("-")[-1])  # "step-son"


def noun_gender(noun: str) -> Gender:
    if noun in MALE_NOUNS:
        return "male"
    if noun in FEMALE_NOUNS:
        return "female"
    return "unknown"


def parse(phrase: str) -> Description | None:
    """A person described by a noun phrase, or None ("the old man said" -> Old Man).

    Adverbs and what follows them end the phrase ("the man a little impatiently"), as do
    prepositions and relative words ("a gentleman on his way", "the voice of John Reed" is left
    to the caller). Capitalised words mean a name, not a description.
    """
    raw = phrase.split()
    if not raw:
        return None
    det = raw[0].lower()
    if det not in DETERMINERS:
        return None
    rest: list[str] = []
    owner = None
    for i, w in enumerate(raw[1:], 1):
        word = w.rstrip(",;:.!?")
        low = word.lower().replace("\u2019", "'")
        if not rest and low in _AFTER_HEAD:
            return None  # "no one were near": not a described person
        if not low or low in _STOP or rest and (_is_adverb(low, raw[i + 1:i + 2]) or low in _AFTER_HEAD
                                                or low.endswith("ing") and len(low) > 5):
            break
        # "the burly Moze" is a name; in "a shrill Welsh voice" the capital is an adjective's.
        if word[:1].isupper() and not (det in ("a", "an", "another") and raw[i + 1:i + 2]
                                       and raw[i + 1][:1].islower()):
            return None
        if low.endswith("'s") and len(low) > 2:
            owner, rest = low[:-2], []  # "the child's nurse": the nurse is the person
            continue
        if not re.fullmatch(r"[a-z][a-z'-]*", low):
            break
        rest.append(low)
        if len(rest) > 4:
            return None
        if w[-1:] in ".;:!?" or w.endswith(",") and len(raw) == i + 2:
            break  # "the old wizard, unconcerned": one word after a comma is how he said it, not who he is
    if not rest or rest[-1] in _NOT_HEADS or rest[-1] in DETERMINERS:
        return None
    if det in ("one", "another") and rest[0] == "of":
        return None
    return Description(det, tuple(rest), owner)


def _is_adverb(word: str, following: list[str]) -> bool:
    """"impatiently" ends a subject, as does "decisively smacking his leg"; "elderly" in "a thin,
    elderly gentleman" does not."""
    if not _ADVERB.match(word):
        return False
    if not following:
        return True
    nxt = following[0].rstrip(",;:.!?").lower()
    return (not nxt or nxt in _STOP or nxt in _AFTER_HEAD or bool(_ADVERB.match(nxt)) or following[0][:1].isupper()
            or nxt.endswith("ing") and len(nxt) > 5)


def is_description(character: Character) -> bool:
    """Is this a character discovered from a description rather than a name?"""
    return character.name.lower() in character.aliases


def describe(description: Description) -> Character:
    key = description.key
    return Character(description.name, description.gender, (key, "the " + key))


TAG_VERBS = (
    "said says asked asks replied replies answered answers cried cries exclaimed whispered shouted "
    "called added returned observed remarked muttered murmured continued began repeated inquired "
    "enquired demanded concluded rejoined retorted interrupted responded sighed laughed growled "
    "screamed pleaded moaned sobbed gasped snapped explained suggested admitted agreed protested pursued "
    "resumed")
_VERBS = r"(?:" + "|".join(TAG_VERBS.split()) + r"|went on|broke in)"
_DET = r"(?:[Tt]he|[Aa]n?|[Hh]is|[Hh]er|[Mm]y|[Oo]ur|[Tt]heir|[Oo]ne|[Aa]nother)"
_PHRASE = _DET + r"\s+(?:[A-Za-z][\w'\u2019-]*,?\s+){0,5}[A-Za-z][\w'\u2019-]*"
# The end of a quotation before its tag: a closing mark, or in dialogue set with dashes, the comma itself
# ("―Go away, said the old man.").
_CLOSE = r"""(?:[,!?\u2014-]*["\u201d\u2019']|[,!?](?=\s+(?:said|asked|answered|replied|cried)\s))\s*"""
_TAG_SUBJECTS = re.compile(
    # "returned, gravely, the old sergeant", "said, with a heavy sigh, the old man"
    _CLOSE + _VERBS + r"(?:\s*,\s*[a-z][a-z ]{0,40},)?\s+(?P<a>" + _PHRASE + r")"
    r"|" + _CLOSE + r"(?P<b>" + _DET + r"\s+(?:[a-z][\w'\u2019-]*,?\s+){0,3}[a-z][\w'\u2019-]*)\s+(?:[a-z]+ly\s+)?"
    + _VERBS + r"\b")


_OWNED_SUBJECT = re.compile(r"\b[A-Z][\w.]*['\u2019]s\s+(?P<np>(?:[a-z][\w-]*,?\s+){0,2}?(?P<head>[a-z][\w-]*))\s+"
                            r"(?:[a-z]+ly\s+)?" + _VERBS + r"\b")


def tag_subjects(text: str, spoken: Callable[[int], bool]) -> list[str]:
    """Noun phrases that are the subject of a speech tag next to a quotation ("said the old man"),
    and persons a name owns that speak ("Strether's new acquaintance pursued": the acquaintance)."""
    out = []
    for m in _TAG_SUBJECTS.finditer(text):
        start = m.start("a") if m.group("a") else m.start("b")
        if not spoken(start):
            out.append(m.group("a") or m.group("b"))
    for m in _OWNED_SUBJECT.finditer(text):
        if m.group("head") in OWNED_PERSONS and not spoken(m.start()):
            out.append("the " + m.group("np").replace(",", ""))
    return out


PERSON_HEADS = (MALE_NOUNS | FEMALE_NOUNS | {"stranger", "child", "doctor", "captain", "officer", "soldier",
                                              "servant", "clerk", "porter", "sailor", "driver", "prisoner"}) - KIN_NOUNS
# Nouns for someone else that a name can own: "Strether's new acquaintance", "Cameron's companion".
COMPANION_NOUNS = frozenset("""companion friend acquaintance visitor guest partner comrade neighbour neighbor
    servant maid attendant cousin fiancee fiance sweetheart lover rival host hostess interlocutor""".split())
OWNED_PERSONS = MALE_NOUNS | FEMALE_NOUNS | KIN_NOUNS | COMPANION_NOUNS
_OWNED = re.compile(r"['\u2019]s((?:\s+[a-z][\w-]*,?){1,3})")


def owned_person(text: str, end: int) -> str | None:
    """The person a name owns when `text[end:]` goes on with one ("'s new acquaintance" -> "new
    acquaintance"): someone other than the owner. Body parts and voices are the owner's own."""
    m = _OWNED.match(text, end)
    if not m:
        return None
    words = [w.rstrip(",") for w in m.group(1).split()]
    for i, word in enumerate(words):
        if word in OWNED_PERSONS:
            return " ".join(words[:i + 1])
    return None
_NARRATED_SUBJECT = re.compile(
    r"(?:^|[.!?]['\"\u201d\u2019]?\s+|\n\s*)(?P<np>[Tt]he\s+(?:[a-z][a-z-]*\s+){0,2}?(?P<head>[a-z]+))"
    r"\s+(?:[a-z]+ly\s+)?(?:had\s+|was\s+|did\s+)?[a-z]+(?:ed|s)\b")
# A first-person narrator's parent, acting: "My mother folds her napkin." (often never named: the family's other
# members are, and "my brother" is one of them).
_PARENTS = frozenset("mother father grandmother grandfather mama mamma papa ma pa mummy daddy granny".split())
_MY_PARENT_SUBJECT = re.compile(
    r"(?:^|[.!?]['\"\u201d\u2019]?\s+|\n\s*)(?P<np>[Mm]y\s+(?P<head>[a-z]+))"
    # A life told, not a scene acted ("My mother died when I was six.", "My father used to say ..."): a
    # parent who may not be there.
    r"\s+(?!(?:always|never|once)\b)(?:[a-z]+ly\s+)?(?:had\s+|was\s+|did\s+|is\s+|has\s+)?"
    r"(?!(?:died|used|passed|lived|worked|loved|raised|named|married|divorced|remarried|moved|owned|taught|believed|"
    r"liked|hated|wanted|called|kept|grew|left|was|had)\b)[a-z]+(?:ed|s)\b")
MIN_NARRATED = 2  # a described person must recur as a subject: one "The man nodded." is scenery


def narrated_subjects(narration: str) -> list[str]:
    """Definite noun phrases naming a kind of person that open sentences of narration ("The girl
    flushed.", "The old man shook his head."), as a speech tag's subject would be given, and a
    first-person narrator's parents ("My mother watches.")."""
    return ([m.group("np") for m in _NARRATED_SUBJECT.finditer(narration) if m.group("head") in PERSON_HEADS]
            + [m.group("np") for m in _MY_PARENT_SUBJECT.finditer(narration) if m.group("head") in _PARENTS])


def discover_descriptions(subjects: Sequence[str], known: Callable[[str], bool],
                          narrated: Sequence[str] = ()) -> tuple[Character, ...]:
    """Characters for the described speakers of speech tags, most frequent first.

    `subjects` are the noun phrases found as subjects of speech verbs ("the old man", "a rough
    voice"); `known(head)` says whether a named character already answers to that word (the
    Captain of "Captain Hale"), in which case no new character is made.
    """
    counts: Counter = Counter()
    first: dict[str, Description] = {}
    for phrase in subjects:
        d = parse(phrase)
        if d is None or known(d.head):
            continue
        counts[d.key] += 1
        first.setdefault(d.key, d)
    recurring: Counter = Counter()
    for phrase in narrated:
        d = parse(phrase)
        if d is None or known(d.head) or d.key in counts:
            continue
        recurring[d.key] += 1
        first.setdefault(d.key, d)
    found = [k for k, _ in counts.most_common()] + [k for k, n in recurring.most_common() if n >= MIN_NARRATED]
    return tuple(describe(first[k]) for k in found)
