"""Reading aloud: words an engine would spell letter by letter (interjections, shouting, abbreviations), respelt."""

from __future__ import annotations

import re

ROMAN_LOWER = r"(?=[mdclxvi])m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"

# Interjections written without a vowel: an engine spells them ("Shh" as "ess aitch aitch"). Each becomes the
# nearest word it says as a sound.
_SOUNDS = [
    (r"[Ss]+[Hh]+", "shush"),
    (r"[Hh][Mm]+[Nn]?", "hmm"),
    (r"(?:[Mm]+-?[Hh][Mm]+|[Mm][Hh][Mm]*|[Uu]h-[Hh][Mm]+)", "uh-huh"),
    (r"[Mm]{2,}", "hmm"),
    (r"(?:[Hh][Mm]+[Pp][Hh]|[Hh][Mm]+[Ff]|[Hh][Rr][Mm]+[Pp][Hh]|[Mm][Pp][Hh])", "humph"),
    (r"[Gg][Rr]{2,}", "grur"),
    (r"[Bb][Rr]{2,}", "brur"),
    (r"[Zz]{3,}", "zuzz"),
    (r"[Tt][Cc][Hh]", "tsk"),
    (r"[Pp][Ff]{2,}[Tt]*", "pfuh"),
    (r"[Pp][Ss]+[Hh]+", "pish"),
    (r"[Hh]?[Nn]+[Gg]+[Hh]?", "ungh"),
    (r"[Hh][Nn]{2,}", "hunh"),
    (r"[Nn]{3,}", "unh"),
]
_SOUND_PATTERNS = [(re.compile(p), word) for p, word in _SOUNDS]
# Candidates first: words without a vowel, three letters or more, or "Hm", "Sh", "Mm" (not "Ng", "pH", "HM": a
# name, a symbol, initials).
_VOWELLESS = re.compile(r"(?<![\w'\u2019-])(?:[^\W\daeiouyAEIOUY_]{3,}|Hm|hm|Sh|sh|Mm|mm|[Uu]h(?=-[Hh][Mm]))"
                        r"(?:-[^\W\daeiouyAEIOUY_]+)?(?![\w'\u2019]|-\w)")
# A stammer: "W-what", "N-no", "I-I" (said as the word's start, then the word).
# The stammered start has no vowel: "re-read", "no-nonsense", "co-conspirators" are words.
_STAMMER = re.compile(r"(?<![\w'\u2019-])((?:[B-DF-HJ-NP-TV-XZb-df-hj-np-tv-xz]{1,2}-)+)(?=(\w+))")
_NOT_STAMMERS = frozenset({"d-day", "s-shaped", "u-shaped", "v-shaped", "l-shaped", "t-shaped", "x-ray", "r-rated",
                           "x-rated", "b-ball", "b-movie", "g-string", "k-pop", "t-rex"})
# A letter held for effect: "Nooooo", "sooo", "Whaaat", "Goooood" (an engine says "noo-oo-oh"): the word with the
# letter once, or twice where that makes a common word ("good", "soon", "see", "hello").
_HELD_WORD = re.compile(r"(?<![\w'\u2019])[A-Za-z]*([A-Za-z])\1{2,}[A-Za-z]*(?![\w'\u2019])")
_HELD = re.compile(r"([A-Za-z])\1{2,}")
_DOUBLED = frozenset("""good soon too cool food boo see sweet shoot need feel keep moon noon zoo wee whee deep sleep free
    three tree bee knee agree hello yell well all bell tell hell kill will still off stuff miss kiss less yes mess pass
    boss loss cross bitch buzz jazz fizz hmm ooh aah baa woo whoo""".split())
# Words in capitals an engine spells when short ("STOP IT", "She said YES"): common words are said as words.
# Acronyms stay as they are.
_COMMON = frozenset("""a am an and any are as ask at bad be big boy but by can cat come cut dad day did die do does dog
    done dont down eat end far fat few fly for fun get go god going gone good got guy had has hat he her hey hi him
    his hit hot how i if in is its job just keep kid kill kind know last late leave let lie like look lot love mad
    make man may me mean mine mom more much mum must my new no nope not now of off oh ok okay old on one our out
    own pay please put ran real red run sad said saw say see she shut sit so some son stay stop such sure take tell
    than that the them then there they this those too top try two up use very wait want was way we well went were
    what when why will win with won yes yet you your yours""".split())
_ACRONYMS = frozenset("""TV DNA FBI CIA NSA CEO USA UK EU UN ID OK BBC CNN NYPD LAPD MI5 MI6 NHS RAF IRA KGB GPS PC ATM
    CD DVD DJ MC VIP ASAP RIP PS PM AM BC AD HQ IQ GP ER ICU""".split())
_CAPS_WORD = re.compile(r"(?<!\w)(?<!\w['\u2019])([A-Z]{2,}(?:['\u2019][A-Z]{1,2})?|A)(?!\w)(?!['\u2019]\w)")
# "MR. VILLARS", "THE REV. JOHN": a title's abbreviation in capitals is left for the engine to expand.
_CAPS_ABBREVIATIONS = frozenset("mr mrs ms dr rev st capt col gen lt sgt prof messrs esq jr sr co ltd inc".split())
# Abbreviations an engine reads as letters or as another word ("Capt." "capt", "Baker St." "Baker Saint").
_TITLES = {"Capt": "Captain", "Col": "Colonel", "Gen": "General", "Lt": "Lieutenant", "Sgt": "Sergeant",
           "Maj": "Major", "Cmdr": "Commander", "Adm": "Admiral", "Prof": "Professor", "Rev": "Reverend",
           "Revd": "Reverend", "Hon": "Honourable", "Gov": "Governor", "Sen": "Senator", "Mt": "Mount",
           "Ft": "Fort", "Messrs": "Messieurs", "Mme": "Madame", "Mlle": "Mademoiselle", "Ms": "Miz", "Fr": "Father",
           "Cpl": "Corporal", "Pvt": "Private", "Insp": "Inspector", "Supt": "Superintendent", "Det": "Detective"}
# Written without a full stop too ("Ms Smith", "Sgt Pepper"), but for words that are words of their own.
_DOTLESS = frozenset("Ms Mme Mlle Capt Lt Sgt Prof Revd Mt Fr Cpl Pvt Supt Insp Cmdr Messrs".split())
_TITLE = re.compile(r"\b(" + "|".join(_TITLES) + r")(\.?)(?=\s+(?:[A-Z]|\ue000))")
# "Baker St. The next day": a street ending a sentence; "St. Paul", "Mount St. Helens": a saint.
_STREET_END = re.compile(r"\b([A-Z][a-z]+) St\.(?=\s+(?:The|He|She|It|They|We|I|A|An|In|On|At|But|And|Then|There|"
                         r"This|That|His|Her|My|Our|When|As|After|Before|Now|So|Nobody|No|Nothing|Mr|Mrs|Ms|Miss|Dr)\b)")
_SAINT = re.compile(r"\bSt\.?(?=\s+[A-Z])")
_STREET = re.compile(r"\b([A-Z][a-z]+) (St|Rd|Ave)(\.?)(?=[\s,;:!?)]|$)")
_ROADS = {"St": "Street", "Rd": "Road", "Ave": "Avenue"}
_SUFFIX = re.compile(r"\b([A-Z][a-z]+),?\s+(Jr|Sr)\.?(?!\w)(?!\s+[A-Z][a-z])")
_VERSUS = re.compile(r"(?<=\s)vs\.?(?=\s)")
_THEM = re.compile(r"(?<!\w)['\u2019]em\b")  # "tell 'em": an engine says "em", a narrator "um"
_OW = re.compile(r"(?<![\w'\u2019-])([Oo])[Ww]+(?![\w'\u2019-])")  # "Ow!", "Owww": an engine says "oh"; "Ouw" is the cry
_DEGREES = re.compile(r"\b(Ph|M|B)\.([ADS])\.(?=\W|$)|\bPhD\b")


# A word the writer masked ("f**k", "sh*t", Victorian "d\u2014\u2014d", "D\u2014n"): said as the word its letters
# leave room for, as a narrator reads it; a mask no word fits keeps only its letters (reading._MASKED).
_MASKABLE = """fuck fucking fucked fucker fuckers fucks motherfucker shit shits shitty shitting bullshit bitch bitches
    bitching damn damned damnation goddamn goddamned hell ass asses asshole arse arsehole bastard bastards crap crappy
    dick piss pissed cunt whore slut bloody bugger devil god christ jesus""".split()
_STAR_MASK = re.compile(r"(?<![\w*])([A-Za-z*]*\*[A-Za-z*]*)(?![\w*])")  # one character class: no backtracking
# "Lord B\u2014\u2014y", "Mr. B****y": a name the writer kept back, not a swear word.
_TITLE_BEFORE = re.compile(r"\b(?:Lord|Lady|Mr|Mrs|Miss|Ms|Sir|Dame|Colonel|Col|Captain|Capt|General|Gen|Dr|Doctor|"
                           r"Major|Duke|Duchess|Count|Countess|Baron|Baroness|Madame|Mme|St|Saint|Rev|Reverend|of|at|in)"
                           r"\.?\s+$")
_DASH_MASK = re.compile(r"(?<![\w\u2014-])([A-Za-z])(?:\u2014+|-{2,})([a-z]{1,2})(?![\w\u2014-])")


def _fits(masked: str, word: str, wild: str) -> bool:
    return len(masked) == len(word) and all(m == wild or m == w for m, w in zip(masked.lower(), word, strict=True))


def _dash_fits(first: str, last: str, word: str) -> bool:
    return len(word) > len(last) + 1 and word[0] == first.lower() and word.endswith(last)


def _cased(word: str, like: str) -> str:
    return word.upper() if like.isupper() and len(like) > 1 else word.capitalize() if like[:1].isupper() else word


def unmasked(text: str) -> str:
    """Masked swearing said as the word it masks, where one word fits."""
    def kept_back(m: re.Match) -> bool:
        # A capital after a title or mid-sentence is a name ("Lord B\u2014\u2014y", "we met B\u2014\u2014n"); at a
        # sentence's start it is the word ("D\u2014n you!").
        before = m.string[max(0, m.start() - 30):m.start()]
        return bool(_TITLE_BEFORE.search(before)) or m.group(0)[:1].isupper() and bool(
            re.search(r"[\w,;]\s+$", before))

    def star(m: re.Match) -> str:
        found = [w for w in _MASKABLE if _fits(m.group(1), w, "*")]
        return _cased(found[0], m.group(1)) if len(found) == 1 and not kept_back(m) else m.group(0)

    def dash(m: re.Match) -> str:
        found = [w for w in ("damned", "damn", "devil", "hell", "god", "bloody", "bastard", "blast", "blasted")
                 if _dash_fits(m.group(1), m.group(2), w)]
        return _cased(found[0], m.group(1)) if found and not kept_back(m) else m.group(0)

    out = _STAR_MASK.sub(star, text) if "*" in text else text
    return _DASH_MASK.sub(dash, out) if "\u2014" in out or "--" in out else out


def _sound(m: re.Match) -> str:
    token = m.group(0)
    said = next((word for pattern, word in _SOUND_PATTERNS if pattern.fullmatch(token)), None)
    # In capitals, only a held sound ("SHHH", "HMMM"): "MPH", "TCH" are abbreviations.
    if said is None or token.isupper() and len(set(token)) == len(token):
        return token
    return said.capitalize() if token[:1].isupper() else said


def _stammer(m: re.Match) -> str:
    starts, word = m.group(1).split("-")[:-1], m.group(2)
    if any(not word.lower().startswith(s.lower()) or s.lower() == word.lower() for s in starts) or \
            f"{starts[-1]}-{word}".lower() in _NOT_STAMMERS:
        return m.group(0)
    # "W-what": "wha, what" (the word up to its first vowel, then the word); "T-t-today": "to, to, today".
    first = re.match(r"[^aeiouyAEIOUY]*[aeiouyAEIOUY]+", word)
    return ((first.group(0) if first else word).lower() + ", ") * len(starts)


def _held(m: re.Match) -> str:
    word = m.group(0)
    if len(set(word.lower())) == 1 or re.fullmatch(ROMAN_LOWER, word) or word.isupper() and len(word) <= 4 and \
            word.count(word[0]) == len(word) - 1:
        return word  # "www", "KKK", "xiii", "AAA"
    if word.isupper() and _HELD.search(word).group(1) in "IVXLCDM":
        return word  # "VIII", "WWIII": a Roman numeral, not a held letter
    once = _HELD.sub(lambda h: h.group(1), word)
    twice = _HELD.sub(lambda h: h.group(1) * 2, word)
    return twice if twice.lower() in _DOUBLED and once.lower() not in ("so", "no") else once


def _wordlike(word: str) -> bool:
    # Not an acronym, and a vowel other than a Roman numeral's I ("WWIII", "XIV").
    return word not in _ACRONYMS and bool(re.search(r"[AEOUY]", word) or "I" in word and not re.search(
        r"(?:I{2,3}|IV|VI{0,3}|IX|XI{0,3})$", word))


def _caps(text: str) -> str:
    words = list(_CAPS_WORD.finditer(text))
    if not words:
        return text
    out, last = [], 0
    for k, m in enumerate(words):
        word = m.group(1)
        # Shouting: capitals beside capitals ("DO IT NOW") are ordinary words; alone, only common ones.
        near = [w for w in (words[k - 1] if k else None, words[k + 1] if k + 1 < len(words) else None)
                if w is not None and _wordlike(w.group(1))
                and re.fullmatch(r"[ ,'\u2019-]*", text[min(w.end(), m.end()):max(w.start(), m.start())])]
        if not _wordlike(word) or text[m.end():m.end() + 1] == "." and word.lower() in _CAPS_ABBREVIATIONS \
                or len(word) > 1 and re.fullmatch(r"X{0,3}(?:IX|IV|V?I{0,3})", word):  # "FANTASY VIII", "AN IV"
            continue
        if not (near or word != "A" and word.lower().replace("\u2019", "").replace("'", "") in _COMMON):
            continue
        out.append(text[last:m.start()] + word.lower())
        last = m.end()
    return "".join(out) + text[last:]


# Chat shorthand in fan fiction's texts and messages: what it stands for (an engine slurs "idk" into one word).
_CHAT = {"idk": "I don't know", "ikr": "I know, right", "brb": "be right back", "tbh": "to be honest",
         "btw": "by the way", "smh": "shaking my head", "imo": "in my opinion", "imho": "in my humble opinion",
         "nvm": "never mind", "ttyl": "talk to you later", "gr8": "great", "l8r": "later", "b4": "before",
         "2day": "today", "2nite": "tonight", "thx": "thanks", "ily": "I love you", "ilysm": "I love you so much",
         "wyd": "what are you doing", "hbu": "how about you", "jk": "just kidding", "ur": "your", "u": "you",
         "r": "are", "pls": "please", "plz": "please", "fyi": "for your information"}
# In lower case only: "JK Rowling", "Imo State", "Ur of the Chaldees" are names.
_CHAT_LOWER_ONLY = frozenset({"jk", "imo", "ur", "u", "r", "b4"})
_CHAT_WORD = re.compile(r"(?<![\w'\u2019.-])(" + "|".join(sorted(_CHAT, key=len, reverse=True)) + r")(?![\w'\u2019-])",
                        re.IGNORECASE)
# A lone "u" or "r" only beside other chat ("u ok?", "r u coming"), never "Section u", "r." in a list.
_CHAT_SHORT = frozenset({"u", "r", "ur"})
_AUTHORS_NOTE = re.compile(r"(?<!\w)A/N\b:?")
# Emoji are named by an engine ("loudly crying face"); a heart drawn as "<3" is a heart.
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200d]+")
_HEART = re.compile(r"(?<![\w<])<3+(?!\d)")
_HEART_SIGN = re.compile("[\u2665\u2764]\ufe0f?")  # "I \u2665 NY": said, before the other signs are dropped
_BULLET = re.compile(r"(?m)^[ \t]*[*\u2022\u00b7][ \t]+")
_LINE_SLASH = re.compile(r"\s+/\s+")  # song lines run together: "little star / How I wonder"
# "he/she": "he or she"; "AC/DC": "AC DC" (not "c/o", "n/a", nor a web address: "example.com/about").
_WORD_SLASH = re.compile(r"(?<![\w./])([A-Za-z]{2,})/([A-Za-z]{2,})(?![\w/.])")
_IV = re.compile(r"\b(an\s+)IV\b|\bIV(?=\s+(?:drip|line|bag|pole|fluids?|antibiotics))")


def _slash(m: re.Match) -> str:
    left, right = m.group(1), m.group(2)
    joint = " or " if left.islower() and right.islower() and right != "or" else " "  # "he/she", "and/or"
    return left + joint + right


def _chat(m: re.Match) -> str:
    word = m.group(1)
    low = word.lower()
    if low in _CHAT_SHORT:
        # "r u ok?", "u there?": beside other chat; not "Section u", "Plan r".
        before = re.search(r"(\w+)\s+$", m.string[max(0, m.start() - 12):m.start()])
        after = re.match(r"\s+(\w+)", m.string[m.end():m.end() + 12])
        if not (before and before.group(1).lower() in _CHAT_NEIGHBOURS
                or after and after.group(1).lower() in _CHAT_NEIGHBOURS):
            return word  # (in capitals, _CHAT_LOWER_ONLY below keeps it)
    # "R u ok?": a capital at a sentence's start is still chat (beside other chat, as above); elsewhere "R", "U", "Ur"
    # in capitals are names ("U Thant", "Ur of the Chaldees").
    opens = low in _CHAT_SHORT and word[1:] == word[1:].lower() and _SENTENCE_START.search(m.string[:m.start()][-4:])
    if not word.islower() and not opens and (low in _CHAT_LOWER_ONLY or not (word.isupper() or word[1:].islower())):
        return word
    said = _CHAT[low]
    return said[:1].upper() + said[1:] if word[:1].isupper() else said


_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|^[\"'\u201c\u2018(]|\s[\"'\u201c\u2018(])$")
_CHAT_NEIGHBOURS = frozenset("""u r ur ok okay k lol omg idk pls plz ya there coming doing going gonna wanna sure ready
    free up home mad alive awake still serious thinking ever can will did do are were love miss""".split())


def read_words(text: str) -> str:
    """Words respelt for an engine: interjections, stammers, held letters, shouting, abbreviations, chat."""
    out = _HEART_SIGN.sub(" heart ", text)
    out = _EMOJI.sub("", out)
    out = _HEART.sub(" heart ", out) if "<3" in out else out
    out = _BULLET.sub("", out)
    out = _AUTHORS_NOTE.sub("Author's note:", out)
    out = _LINE_SLASH.sub(", ", out)
    out = _WORD_SLASH.sub(_slash, out)
    out = _IV.sub(lambda m: (m.group(1) or "") + "I V", out)
    out = _CHAT_WORD.sub(_chat, out)
    out = _THEM.sub("um", out)
    out = _OW.sub(r"\1uw", out)
    out = _DEGREES.sub(_degree, out)
    out = _TITLE.sub(_title, out)
    out = _STREET_END.sub(r"\1 Street.", out)
    out = _SAINT.sub("Saint", out)
    out = _STREET.sub(_street, out)
    out = _SUFFIX.sub(lambda m: m.group(1) + (" Junior" if m.group(2) == "Jr" else " Senior"), out)
    out = _VERSUS.sub("versus", out)
    out = _VOWELLESS.sub(_sound, out)
    out = _HELD_WORD.sub(_held, out)
    out = _STAMMER.sub(_stammer, out)
    return _caps(out)


def _title(m: re.Match) -> str:
    return _TITLES[m.group(1)] if m.group(2) or m.group(1) in _DOTLESS else m.group(0)


def _street(m: re.Match) -> str:
    # The stop stays where it may end a sentence ("on Baker St."), not before a comma.
    ends = re.match(r"\s*(?:$|[\"'\u201d\u2019)]*\s+[A-Z])", m.string[m.end():m.end() + 8])
    return f"{m.group(1)} {_ROADS[m.group(2)]}{m.group(3) if ends else ''}"


def _degree(m: re.Match) -> str:
    said = "P H D" if m.group(0) == "PhD" or m.group(1) == "Ph" else f"{m.group(1)} {m.group(2)}"
    # "She had a B.A. The next year": its stop ended the sentence too.
    ends = m.group(0).endswith(".") and re.match(r"\s*(?:$|[\"'\u201d\u2019)]*\s+[A-Z])", m.string[m.end():m.end() + 8])
    return said + ("." if ends else "")
