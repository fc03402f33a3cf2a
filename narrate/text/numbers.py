"""Reading aloud: years, clock times, ranges, fractions and units written as a narrator says them."""

from __future__ import annotations

import calendar
import re

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
         "sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_DECADES = {0: "hundreds", 10: "tens", 20: "twenties", 30: "thirties", 40: "forties", 50: "fifties",
            60: "sixties", 70: "seventies", 80: "eighties", 90: "nineties"}

# Digits that are part of a larger figure are not a number of their own: "1,850", "3.1850", "\ue0001z" (a held
# phoneme block, see reading.around_phonemes).
_START = r"(?<![\w\ue000,.$\u00a3\u20ac/:-])"
_END = r"(?![\w,.:/-]\d|\d|[\w\u2019']\w)"
_MONTHS = ("January February March April May June July August September October November December "
           "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec").split()
# A four-digit number is a year where it follows a word that dates ("in 1850", "the summer of 1999",
# "May 5, 1890"), ends in "s" ("the 1920s"), carries an era, or is one end of a range of years; elsewhere it
# is a count ("1999 people", "page 1850") and the engine says it as one.
# (Not "of", "to", "about": "a population of 1850 souls", "to 1200 feet", "about 1500 men" count.)
_YEAR_WORDS = ("in since by until till from year years summer winter spring autumn fall circa c. ca. before after "
               "during early late between AD A.D.").split()
_YEAR = r"(1(?!000)\d\d\d|20\d\d)"
_BEFORE_YEAR = re.compile(r"(?:\b(?:" + "|".join(re.escape(w) for w in _YEAR_WORDS + _MONTHS) + r")\.?"
                          r"|\b(?:year|summer|winter|spring|autumn|fall|season|end|beginning|middle|close|class|events)"
                          r"\s+of|\b(?:it|year|date)\s+(?:was|is|had been)"
                          r"|\b(?:" + "|".join(_MONTHS) + r")\.?\s+\d{1,2}(?:st|nd|rd|th)?,"
                          r"|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:" + "|".join(_MONTHS) + r")\.?,?"
                          r"|\bmid-)\s*$", re.IGNORECASE)
_YEAR_START = r"(?<![\w\ue000,.$\u00a3\u20ac/:])(?<!\d-)"
_YEAR_RANGE = re.compile(_YEAR_START + _YEAR + r"\s*(?:\u2013|\u2014|-{1,2})\s*(" + _YEAR[1:-1] + r"|\d\d)"
                         r"(?![\d,.]\d|\d|-\d)")  # "1914-1918", "1914-18"
_ERA = r"(?=(\s*(?:A\.?D\.?|B\.?C\.?E?\.?|C\.?E\.?)(?![a-z]))?)"  # "1066 AD", "300 B.C."
_YEAR_CANDIDATE = re.compile(_YEAR_START + _YEAR + r"(s|\u2019s|'s)?(?!\d)(?![.,]\d)" + _ERA)
_RANGE = re.compile(_START + r"(\d{1,4})\s*(?:\u2013|\u2014|-{1,2})\s*(\d{1,4})(?![\d,.]\d|\d|-\d)")
# A telephone number, "555-1234", "800-555-1234", "(800) 555-1234", "1-800-555-1234": its digits one by one, a pause
# between groups.
_PHONE = re.compile(_START + r"(?:(1)-(?=\d{3}-\d{3}-))?(?:\((\d{3})\)\s?|(\d{3})-(?=\d{3}-))?(\d{3})-(\d{4})(?!\d|-\d)")
# (But "between 200-1000 men", "pages 100-1200" are ranges.)
_RANGE_BEFORE = re.compile(r"\b(?:between|from|pages|pp\.?|some|about|around|roughly|approximately)\s+$", re.IGNORECASE)
_CLOCK = re.compile(_START + r"([01]?\d|2[0-3]):([0-5]\d)(?![\d:])(?:\s?([AaPp][Mm])\b(?!\.))?")
# A British clock time with a stop, "10.45 tonight", "at 6.30": where the words around it tell a time of day (before
# "pm", "tonight", "in the morning"; after "at", "by", "until"); elsewhere "10.45 metres", "pi is 3.14" are decimals.
_DOT_TIME_AFTER = (r"\s*(?:[AaPp]\.?\s?[Mm]\b|o['\u2019]clock|tonight|tomorrow|(?:this|in\s+the)\s+(?:morning|afternoon|"
                   r"evening)|at\s+night)")
_DOT_CLOCK = re.compile(_START + r"(1[0-2]|0?[1-9])\.([0-5]\d)(?=" + _DOT_TIME_AFTER + ")")
# (Not "rose by 2.50", "up from 3.15": a quantity; nor "at 2.50 each", "at 1.25 metres", "at 3.15 per cent": a price
# or a measure.)
_MEASURES = """per percent each apiece a an metres meters metre meter miles mile feet foot inches kilos kilograms grams
    pounds dollars euros pence cents points degrees seconds minutes yards acres litres liters gallons tons tonnes km kg
    cm mm m g lb lbs""".split()
_DOT_CLOCK_AFTER_WORD = re.compile(
    r"(?<!\bincreased )(?<!\bdecreased )(?<!\bmultiplied )(?<!\bdivided )(?<!\breduced )(?<!\brose )(?<!\bfell )"
    r"(?<!\bgrew )(?<!\bup )(?<!\bdown )\b((?:[Aa]t|[Bb]y|[Uu]ntil|[Tt]ill|[Ff]rom|[Bb]efore|[Aa]fter|[Aa]round|"
    r"[Ss]ince)\s+)(2[0-3]|1\d|0?[1-9])\.([0-5]\d)(?![\d.,]?\d)"
    r"(?!(?:\s*(?:to|and|-|\u2013)\s*\d+(?:\.\d+)?)?\s*(?:%|(?:" + "|".join(_MEASURES) + r")\b))")  # "from 1.20 to 1.45%"
# A market's or a rate's words in the clause before ("the euro traded at 1.18", "shares closed at 1.25") or after it
# ("1.18 against the dollar", "9.58s", "1.25, up 2%"): a decimal, whatever the word before it.
_QUANTITY_BEFORE = re.compile(r"\b(?:trad(?:ed|es?|ing)|settled|settles?|shares?|stocks?|index|indices|markets?|"
                              r"currenc(?:y|ies)|euros?|dollars?|pounds?|sterling|yen|yuan|francs?|roubles?|rupees?|"
                              r"pesos?|bitcoin|prices?|priced|rates?|yields?|bonds?|oil|gold|inflation|interest|"
                              r"mortgages?|GDP|growth|unemployment|odds|ratio|average|valued|quoted|pegged|Dow|FTSE|"
                              r"Nasdaq|Nikkei|futures|exchange|clocked|timed|measured|weighed|scored|rated|ranked)\b",
                              re.IGNORECASE)
_QUANTITY_AFTER = re.compile(r"\s?(?:s|secs?)\b|\s+(?:against|versus|vs\b|a\s+share|per\s+share|times|higher|lower|"
                             r"cents?|pence)\b|\s*,?\s+(?:up|down)\s+[\d.]")
# A race's: a decimal unless the words tell a time ("ran the race at 9.58", but "the race starts at 2.30").
_RACE = re.compile(r"\b(?:race|laps?|sprint|record)\b", re.IGNORECASE)
# Words that make it a time of day: a meeting, a train, a meal, waking and leaving ("meet me at 10.30") ...
_TIME_BEFORE = re.compile(r"\b(?:meet|meeting|met|see\s+you|trains?|bus|coach|ferry|flight|plane|dinner|lunch|"
                          r"breakfast|supper|appointment|alarm|woke|wake|arriv(?:e|es|ed|ing)|left|leav(?:e|es|ing)|"
                          r"start(?:s|ed)?|began|begins?|ends?|ended|opens?|opened|closes?|closed|curfew|class|lesson|"
                          r"shift|service|mass|show|party|home|back)\b", re.IGNORECASE)
# ... or a clause going on after it with its subject, or a day's part ("at 9.15 she left", "at 6.47 that morning").
_TIME_AFTER = re.compile(r"\s*,?\s+(?:(?:I|he|she|we|they|you|it|there|the|his|her|my|our|their|[A-Z][a-z]+)\s+[a-z]"
                         r"|sharp\b|precisely\b|exactly\b|on\s+the\s+dot\b|(?:that|next|every|each|on|in\s+the)\s+"
                         r"(?:morning|afternoon|evening|night|day|[A-Z][a-z]+day)\b)")
# A departure or an event by its time: "the 8.15 train", "an 8.30 meeting", "the 6.10 from Paddington".
_DOT_CLOCK_BEFORE_NOUN = re.compile(r"\b((?:[Tt]he|[Aa]n?|his|her|my|our|their|that|this|its)\s+)(2[0-3]|1\d|0?[1-9])"
                                    r"\.([0-5]\d)(?=\s+(?:(?:trains?|bus|coach|ferry|flight|plane|boat|service|sailing|"
                                    r"departure|arrival|express|shuttle|tram|sleeper|show|performance|screening|"
                                    r"meeting|appointment|news|bulletin|mass|class|lecture|kick-?off)\b|(?:from|to)\s+"
                                    r"[A-Z]))")
# The other end of a span of them: "from 9.30 to 5.30".
_DOT_CLOCK_SPAN = re.compile(r"(\d:[0-5]\d\s*(?:to|and|till|until|-|\u2013)\s*)(2[0-3]|1\d|0?[1-9])\.([0-5]\d)(?![\d.,]?\d)"
                             r"(?!\s*(?:%|(?:" + "|".join(_MEASURES) + r")\b))")
# An ISO date, "2024-03-15": "March fifteenth, twenty twenty-four" (an engine says "two thousand and twenty-four dash
# zero three dash fifteen"); a month or day that cannot be is no date.
_ISO_DATE = re.compile(_START + r"(1\d\d\d|20\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?![\w-]|[.:/]\d)")
_ORDINALS = {1: "first", 2: "second", 3: "third", 5: "fifth", 8: "eighth", 9: "ninth", 12: "twelfth"}
_MILITARY = re.compile(_START + r"([01]\d|2[0-3])([0-5]\d)(?=\s+hours\b)")
_FRACTION = re.compile(_START + r"(\d{1,2})/(\d{1,2})(?![\d/])")
# Halves, thirds and quarters only: "on 4/5", "9/10", "15/16" are as often dates and scores.
_DENOMINATORS = {2: ("half", "halves"), 3: ("third", "thirds"), 4: ("quarter", "quarters")}
# "5 km", "10kg", "a 9mm": the unit's name, not its letters (not "in", "m", "g": too often words or other units).
_UNIT_NAMES = {"km": "kilometre", "kg": "kilogram", "cm": "centimetre", "mm": "millimetre", "ft": "foot",
               "lb": "pound", "lbs": "pound", "oz": "ounce", "mph": "miles per hour", "kph": "kilometres per hour",
               "km/h": "kilometres per hour", "yd": "yard", "yds": "yard", "mg": "milligram", "ml": "millilitre",
               "kW": "kilowatt", "MHz": "megahertz", "GHz": "gigahertz"}
_UNIT = re.compile(_START + r"(\d+(?:\.\d+)?)\s?(" + "|".join(re.escape(u) for u in sorted(_UNIT_NAMES, key=len,
                                                                                          reverse=True))
                   + r")(?:\.(?=\s+[a-z]))?(?![\w/])")
# "the 400m", "2m tall": metres where the "m" is written onto the number and the words around it measure (see
# _m_sense: "a 40m deal", "made 5m last year" are millions, a bare "40m" either; "5 m" apart is as often a letter).
_METRES = re.compile(_START + r"(\d+(?:\.\d+)?)(m)(?![\w/'\u2019]|-(?!(?:long|high|wide|tall|deep)\b))")
# A number with "ers": "the 49ers", "the 76ers" (an engine says "forty-nine ers"), "a 49er".
_NUMBER_ERS = re.compile(_START + r"([1-9][1-9])(ers?)\b")
# A registry or serial number, "NCC-1701", "ISO-8601": its letters, then the number in pairs as a year is said.
_SERIAL = re.compile(r"(?<![\w-])([A-Z]{2,4})-((?!0)\d{4})(?!\w|[.,:/-]\d)")
_FEET_INCHES = re.compile(_START + r"(\d)['\u2032\u2019](\d{1,2})(?:\"|\u2033|\u201d|'')(?!\w)")
_CENTS = re.compile(r"([\u00a3$\u20ac])0?\.(\d\d)(?!\d)")  # "$0.50", "$.50"
_DOUBLE_O = re.compile(_START + r"007\b")
_VULGAR = {"\u00bd": ("a half", "half"), "\u00bc": ("a quarter", "quarter"), "\u00be": ("three quarters", None),
           "\u2153": ("a third", "third"), "\u2154": ("two thirds", None)}
_MIXED = re.compile(r"(\d)\s?([\u00bd\u00bc\u00be\u2153\u2154])")
_VULGAR_BEFORE_A = re.compile(r"([\u00bd\u00bc\u2153])(?=\s+an?\b)")


def two_digits(n: int) -> str:
    """0-99 in words: "seven", "forty-two"."""
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")


def ordinal_words(n: int) -> str:
    """1-99 as an ordinal in words: "first", "twelfth", "twentieth", "thirty-first"."""
    tens, ones = divmod(n, 10)
    if n >= 20 and ones:
        return f"{_TENS[tens]}-{ordinal_words(ones)}"
    if n in _ORDINALS:
        return _ORDINALS[n]
    said = two_digits(n)
    return said[:-1] + "ieth" if said.endswith("y") else said + "th"


def _iso_date(m: re.Match) -> str:
    year, month, day = (int(g) for g in m.groups())
    if day > calendar.monthrange(year, month)[1]:
        return m.group(0)  # "2023-02-29"
    return f"{_MONTHS[month - 1]} {ordinal_words(day)}, {year_words(year)}"  # (not calendar.month_name: a locale's)


def year_words(year: int, plural: bool = False) -> str:
    """A year as it is said: 1999 "nineteen ninety-nine", 1905 "nineteen oh five", 1900 "nineteen hundred",
    2005 "two thousand five", 2019 "twenty nineteen"; `plural` for its decade ("the nineteen twenties")."""
    high, low = divmod(year, 100)
    if plural and low % 10 == 0:
        if 2000 <= year <= 2009:
            return "two thousands"
        return f"{two_digits(high)} {_DECADES[low]}"
    if 2000 <= year <= 2009:
        return "two thousand" + (f" {_ONES[low]}" if low else "") + ("s" if plural else "")
    if low == 0:
        said = f"{two_digits(high)} hundred"
    elif low < 10:
        said = f"{two_digits(high)} oh {_ONES[low]}"
    else:
        said = f"{two_digits(high)} {two_digits(low)}"
    if plural:
        said = said[:-1] + "ies" if said.endswith("y") else said + "s"
    return said


def _years(text: str) -> str:
    out, last = [], 0
    for m in _YEAR_CANDIDATE.finditer(text):
        suffix, era = m.group(2), m.group(3)
        before = text[max(0, m.start() - 40):m.start()]
        after = text[m.end():m.end() + 12]
        ranged = re.match(r"\s*(?:to|and|or)\s+" + _YEAR + r"\b", after)
        listed = out and re.fullmatch(r"(?:\s*,)?\s*(?:and|or|to)?\s*", text[last:m.start()])  # "in 1914 and 1918"
        if re.search(r"\b(?:it|year|date)\s+(?:was|is|had been)\s*$", before, re.IGNORECASE) and \
                re.match(r"\s+[a-z]", after) and not re.match(r"\s+(?:when|and|but|in|on|at|before|after|again|then)\b",
                                                            after):
            continue  # "It was 1250 pounds in total": a count
        if not (suffix == "s" or era or ranged or listed or _BEFORE_YEAR.search(before)):
            continue
        said = year_words(int(m.group(1)), plural=suffix == "s")
        if suffix and suffix != "s":
            said += "\u2019s"
        out.append(text[last:m.start()] + said)
        last = m.end()
    return "".join(out) + text[last:]


_BETWEEN = re.compile(r"\bbetween\s+$", re.IGNORECASE)


def _to(m: re.Match) -> str:
    """The word a range is said with: "between 1990 and 2000", else "1990 to 2000"."""
    return "and" if _BETWEEN.search(m.string[max(0, m.start() - 9):m.start()]) else "to"


def _year_range(m: re.Match) -> str:
    first, last = m.group(1), m.group(2)
    if len(last) == 2:  # "1914-18": "nineteen fourteen to eighteen"
        end = two_digits(int(last)) if last[0] != '0' else 'oh ' + _ONES[int(last)]
        return f"{year_words(int(first))} {_to(m)} {end}"
    return f"{first} {_to(m)} {last}"


def _phone(m: re.Match) -> str:
    groups = [g for g in m.groups() if g]
    if len(groups) == 2 and _RANGE_BEFORE.search(m.string[max(0, m.start() - 16):m.start()]):
        return m.group(0)
    return ", ".join(" ".join(g) for g in groups)


def _range(m: re.Match) -> str:
    # "pages 5-10" is a range; "a 50-50 chance", "10-4", "won 3-2", "747-400" are numbers said one after the other.
    a, b = m.group(1), m.group(2)
    return f"{a} {_to(m)} {b}" if int(a) < int(b) else f"{a} {b}"


def _clock(m: re.Match) -> str:
    hour, minute = m.group(1), int(m.group(2))
    rest = m.string[m.end():m.end() + 12]
    if hour.startswith("0") and len(hour) == 2 or int(hour) > 12:
        return _twenty_four(hour, minute)
    half = f" {m.group(3).upper()}" if m.group(3) else ""  # "7:05am", "7:05 am": "seven oh five A M"
    if minute == 0:
        if half or re.match(r"\s*(?:[AaPp]\.?\s?[Mm]\b|o['\u2019]clock|noon|midnight|sharp|tonight|in the)", rest):
            return hour + half
        before = m.string[max(0, m.start() - 20):m.start()]
        # "at 10:00", "the 6:00 train": a time; "ran the mile in 4:00 flat", "2:00 left", "the timer read 5:00":
        # minutes, said as the number.
        lasting = re.match(r"\s*(?:flat|left|remaining|to go|on the clock|minutes?|mins?)\b", rest) or \
            re.search(r"\b(?:in|read|reads|showed|shows|ran|run|timer|clock)\s+$", before, re.IGNORECASE)
        return hour if lasting else f"{hour} o'clock"
    if minute < 10:
        return f"{hour} oh {_ONES[minute]}{half}"
    return m.group(0)  # "3:30": an engine says "three thirty"


def _clause_before(m: re.Match) -> str:
    """The words of a match's clause before it ("It cost two pounds. At 7.30 ...": only "At ")."""
    return re.split(r"[.!?;]\s", m.string[max(0, m.start() - 50):m.start()])[-1]


def _quantity(m: re.Match) -> bool:
    """Whether the words around a dot number make it a market's or a rate's figure."""
    return bool(_QUANTITY_BEFORE.search(_clause_before(m)) or _QUANTITY_AFTER.match(m.string, m.end()))


def _dot_clock(m: re.Match) -> str:
    # "am", "pm", "o'clock" make any number a time; "tonight", "this morning" not one a market trades at.
    if _quantity(m) and not re.match(r"\s*(?:[AaPp]\.?\s?[Mm]\b|o['\u2019]clock)", m.string[m.end():]):
        return m.group(0)
    return f"{m.group(1)}:{m.group(2)}"


def _dot_clock_after_word(m: re.Match) -> str:
    if _quantity(m):
        return m.group(0)
    # "by", "until", "before" are a time's words; "at", "around", "from" as much a price's or a rate's: a time where
    # other words say so or on the five minutes a time is told by ("at 7.30", not "at 1.18"; "at 6.47 she woke").
    weak = m.group(1).split()[0].lower() in ("at", "around", "from")
    told = _TIME_BEFORE.search(_clause_before(m)) or _TIME_AFTER.match(m.string, m.end())
    if not told and (_RACE.search(_clause_before(m)) or weak and int(m.group(3)) % 5):
        return m.group(0)
    return f"{m.group(1)}{m.group(2)}:{m.group(3)}"


def _twenty_four(hour: str, minute: int) -> str:
    """"08:00", "0800 hours", "14:30": "oh eight hundred", "fourteen thirty"."""
    said = "oh " + _ONES[int(hour)] if hour.startswith("0") else two_digits(int(hour))
    return said + (" hundred" if minute == 0 else f" {'oh ' + _ONES[minute] if minute < 10 else two_digits(minute)}")


def _fraction(m: re.Match) -> str:
    top, bottom = int(m.group(1)), int(m.group(2))
    before = m.string[max(0, m.start() - 10):m.start()]
    if re.search(r"\b(?:part|chapter|ch|pt|episode|book|vol)\.?\s+$", before, re.IGNORECASE):
        return f"{top} of {bottom}"  # "Part 2/3": the second of three
    if (top, bottom) == (1, 2) and re.match(r"\s+an?\b", m.string[m.end():m.end() + 4]):
        return "half"  # "1/2 a bottle"
    if bottom == 10 and top <= 10 and not re.match(r"\s+of\b", m.string[m.end():m.end() + 4]) and \
            re.search(r"\b(?:a|an|scored|rated|rate|gave|give|solid|was|is|it's|maybe)\s+$", before, re.IGNORECASE):
        return f"{top} out of 10"  # "a 7/10", "rated it 9/10" (not "1/10 of the money", "on 3/10")
    if (top, bottom) == (9, 11):
        return "nine eleven"
    if (top, bottom) == (24, 7):
        return "twenty-four seven"
    if top == bottom == 50:
        return "fifty-fifty"
    if bottom not in _DENOMINATORS or not 0 < top < bottom:
        return m.group(0)
    one, many = _DENOMINATORS[bottom]
    return f"{_ONES[top] if top < 20 else top} {one if top == 1 else many}"


def _unit(m: re.Match) -> str:
    amount, unit = m.group(1), m.group(2)
    name = "metre" if unit == "m" else _UNIT_NAMES[unit]
    single = re.search(r"\b(?:an?|one|his|her|my|your|their|our|this|that)\s+$", m.string[max(0, m.start() - 7):m.start()],
                       re.IGNORECASE)
    if " per " in name or amount == "1" or single or m.string[m.end():m.end() + 1] == "-":  # "a 9mm", "100m-long"
        return f"{amount} {name}"
    if name == "foot":
        return f"{amount} feet"
    return f"{amount} {name}s"


def _number_ers(m: re.Match) -> str:
    said = two_digits(int(m.group(1)))
    return said + (m.group(2)[1:] if said.endswith("e") else m.group(2))  # "forty-niners", "seventy-sixers"


def _feet_inches(m: re.Match) -> str:
    feet, inches = m.group(1), m.group(2)
    return f"{feet} foot {inches}"


def _cents(m: re.Match) -> str:
    cents = str(int(m.group(2)))
    unit = "pence" if m.group(1) == "\u00a3" else "cents"
    return f"{cents} {'penny' if cents == '1' and unit == 'pence' else 'cent' if cents == '1' else unit}"


# "$1.2M", "$500K", "45K likes", "2.3M views": thousand, million, billion (not "221B Baker Street", "3M").
_SCALED = re.compile(r"([$\u00a3\u20ac])?(?<![\w.])(\d+(?:\.\d+)?)([KkMBm]|bn)\b(?=(\s+[a-z]+)?)")
# ("\u00a35m", "5m people", "made 5m": "m" is a million after a currency sign or in a sum's words; metres in a
# length's, see _m_sense.)
_SCALES = {"K": "thousand", "k": "thousand", "M": "million", "m": "million", "B": "billion", "bn": "billion"}
_CURRENCY = {"$": "dollars", "\u00a3": "pounds", "\u20ac": "euros"}
_DECADE_APOSTROPHE = re.compile(r"(?<![\w.])(\d*0)['\u2019]s\b")  # "the 80's", "the 1960's": a plural, no "'s"
# "at 0600", "by 0930": "oh six hundred" (not "PIN 0000", "call 0800").
_LEADING_ZERO_TIME = re.compile(r"\b((?:at|by|until|till|before|after|since|from)\s+)0(\d)([0-5]\d)(?!\d|[,.]\d)",
                                re.IGNORECASE)
_BARE_DECIMAL = re.compile(r"(?<![\w.,$\u00a3\u20ac])\.(\d{2,3})\b")  # "a .45 round", "batting .312"
_HOUSE = re.compile(r"\b(\d)(\d\d)([A-Z])\b")  # "221B Baker Street": "two twenty-one B"
_HUNDREDTH = re.compile(r"\b([1-9])(00|000)th\b")  # "100th": "one hundredth" (an engine says "hundred th")
_BY = re.compile(r"\b(\d+)x(\d+)\b")  # "a 4x100 relay"
# The emergency number ("dial 911", "the 911 operator"), not "$911", "2,911" or a Porsche 911.
_NINE_ONE_ONE = re.compile(r"\b((?:dial|dialed|dialled|call|called|ring|phone|the|to|a)\s+)911\b", re.IGNORECASE)


# Counted things and sums a "45K", "2.3M" or "5m" goes with ("a 5K race", "apartment 3B", "a 401k" are names).
_COUNTED = frozenset("""likes views followers subscribers fans people words hits downloads comments reviews readers votes
    plays streams copies users members visitors units sales customers listeners viewers voters residents homes
    households jobs workers employees tourists passengers barrels shares tonnes tons years dollars pounds euros deal
    deals contract budget revenue profit profits loss losses debt fine fee bid bonus salary payout settlement
    investment funding grant loan valuation turnover jackpot prize""".split())
_QUANTIFIERS = (r"(?:(?:about|almost|nearly|over|around|some|roughly|just|only|another|an\s+extra|a\s+further|"
                r"an\s+estimated|more\s+than|less\s+than|up\s+to|at\s+least)\s+)*")
# A sum the words before tell: "made 5m", "worth 40m", "a budget of 3m", "raised over 2m".
_SUM_BEFORE = re.compile(r"\b(?:made|makes?|making|earn(?:ed|s|ing)?|rais(?:ed|es?|ing)|lost|los(?:es?|ing)|worth|"
                         r"paid|pay(?:s|ing)?|costs?|spen[dt]|spending|owed?|owes|won|wins?|sold|sells?|bought|buy|"
                         r"invest(?:ed)?|valued|priced|fined|borrowed|charged|generated|saved|collected|donated|"
                         r"(?:budget|revenues?|profits?|loss(?:es)?|turnover|debt|fine|fee|bid|offer|salary|sales|"
                         r"value|price|population|audience|cost)\s+of)\s+" + _QUANTIFIERS + "$", re.IGNORECASE)
# ... or after: "5m last year", "5m a year", "5m in revenue".
_SUM_AFTER = re.compile(r"\s+(?:(?:last|this|next|a|per|each|every)\s+(?:year|month|week|season)|annually|"
                        r"in\s+(?:revenue|sales|funding|profits?|cash|debt|damages|compensation|investment|assets|"
                        r"donations|wages|fees))\b")
# A length: a race, a drop, a height ("the 100m sprint", "a 50m pool", "2m-high") ...
_LENGTH_AFTER = re.compile(r"(?:-|\s+)(?:sprints?|races?|dash|hurdles|relay|freestyle|backstroke|breaststroke|"
                           r"butterfly|medley|finals?|heats?|record|title|champion|gold|event|runner|sprinter|"
                           r"swimmer|pool|drops?|fall|plunge|dive|cliff|wall|tower|mast|yacht|waves?|tunnel|rope|"
                           r"cable|ladder|hole|shaft|radius|gap|stretch|high|tall|wide|deep|long|thick|underwater|"
                           r"inland|offshore|square|in\s+(?:length|height|depth|diameter|width|circumference))\b")
# ... a body moving it ("ran 400m", "swam the 50m", "a depth of 10m") ...
_LENGTH_BEFORE = re.compile(r"\b(?:ran|run|runs|running|swam|swim|swims|swimming|sprinted|walked|walk|jumped|jump|"
                            r"leapt|leaped|threw|throw|thrown|dived|dove|fell|fall|falls|falling|dropped|plunged|"
                            r"sank|climbed|climb|measured|measuring|measures|(?:depth|height|length|distance|width|"
                            r"altitude|range)\s+of)\s+(?:(?:the|a|an)\s+)?" + _QUANTIFIERS + "$", re.IGNORECASE)
# ... a place it is from ("10m from the door", "5m away"), weaker than a sum's words ("raised 5m from investors") ...
_LENGTH_PLACE = re.compile(r"\s+(?:away|off|ahead|behind|above|below|beneath|under|up|down|from|across|along|"
                           r"into|short)\b")
# ... or a race by its name: "won the 100m.", "in the 400m" (not any "the 40m.": "paid the 40m." is a sum).
_EVENT = re.compile(r"\b(?:won|wins?|winning|in|entered|enters?|for)\s+the\s+$", re.IGNORECASE)
_EVENT_END = re.compile(r"\s*(?:[.,;:!?)\"\u201d\u2019]|$)")


def _m_sense(text: str, start: int, end: int) -> str | None:
    """What a lower-case "m" written onto a number means, by the words around it: "million" ("a 40m deal", "made 5m
    last year"), "metres" ("the 100m sprint", "ran 400m", "10m from the door"), or None where nothing tells (a bare
    "40m" is as often money in news as a length in a story: it is left as written)."""
    before, after = text[max(0, start - 40):start], text[end:end + 40]
    noun = re.match(r"\s+([a-z]+)", after)
    if noun and noun.group(1) in _COUNTED:  # the noun it counts or sizes tells most: "a 40m deal", "a 50m pool"
        return "million"
    if _LENGTH_AFTER.match(after):
        return "metres"
    if _SUM_AFTER.match(after) or _SUM_BEFORE.search(before):
        return "million"
    event = _EVENT.search(before) and _EVENT_END.match(after)
    return "metres" if _LENGTH_BEFORE.search(before) or _LENGTH_PLACE.match(after) or event else None


def _scaled(m: re.Match) -> str:
    currency, amount, scale, noun = m.group(1), m.group(2), _SCALES[m.group(3)], m.group(4)
    if currency:
        return f"{amount} {scale} {_CURRENCY[currency]}"
    if m.group(3) == "m":
        return f"{amount} {scale}" if _m_sense(m.string, m.start(), m.end()) == "million" else m.group(0)
    counted = noun and noun.strip() in _COUNTED or _SUM_BEFORE.search(m.string[max(0, m.start() - 40):m.start()])
    return f"{amount} {scale}" if counted else m.group(0)


def _metres(m: re.Match) -> str:
    return _unit(m) if _m_sense(m.string, m.start(), m.end()) == "metres" else m.group(0)


def read_numbers(text: str) -> str:
    """Numbers as they are said (before money and the rest: "$0.50" is "50 cents", "1914-1918" two years)."""
    if not any(c.isdigit() for c in text) and not any(v in text for v in _VULGAR):
        return text
    out = _CENTS.sub(_cents, text)
    out = _ISO_DATE.sub(_iso_date, out)
    out = _SCALED.sub(_scaled, out)
    out = _DECADE_APOSTROPHE.sub(r"\1s", out)
    out = _BARE_DECIMAL.sub(r"\1", out)
    out = _HOUSE.sub(lambda m: f"{m.group(1)} {m.group(2)} {m.group(3)}", out)
    out = _HUNDREDTH.sub(lambda m: f"{_ONES[int(m.group(1))]} {'hundredth' if m.group(2) == '00' else 'thousandth'}",
                         out)
    out = _BY.sub(r"\1 by \2", out)
    out = _NINE_ONE_ONE.sub(r"\1nine one one", out)
    if any(v in out for v in _VULGAR):  # "1\u00bd" "one and a half", "\u00bd a cup" "half a cup"
        out = _MIXED.sub(lambda m: f"{m.group(1)} and {_VULGAR[m.group(2)][0]}", out)
        out = _VULGAR_BEFORE_A.sub(lambda m: _VULGAR[m.group(1)][1], out)
    out = _DOUBLE_O.sub("double oh seven", out)
    out = _MILITARY.sub(lambda m: _twenty_four(m.group(1), int(m.group(2))), out)
    out = _LEADING_ZERO_TIME.sub(lambda m: m.group(1) + _twenty_four("0" + m.group(2), int(m.group(3))), out)
    out = _DOT_CLOCK.sub(_dot_clock, out)
    out = _DOT_CLOCK_AFTER_WORD.sub(_dot_clock_after_word, out)
    out = _DOT_CLOCK_BEFORE_NOUN.sub(r"\1\2:\3", out)
    out = _DOT_CLOCK_SPAN.sub(r"\1\2:\3", out)
    out = _CLOCK.sub(_clock, out)
    out = _FEET_INCHES.sub(_feet_inches, out)
    out = _SERIAL.sub(lambda m: f"{m.group(1)} {year_words(int(m.group(2)))}", out)
    out = _YEAR_RANGE.sub(_year_range, out)
    out = _years(out)
    out = _PHONE.sub(_phone, out)
    out = _RANGE.sub(_range, out)
    out = _FRACTION.sub(_fraction, out)
    out = _UNIT.sub(_unit, out)
    out = _METRES.sub(_metres, out)
    out = _NUMBER_ERS.sub(_number_ers, out)
    return out
