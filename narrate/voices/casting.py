"""Casting stage: speakers -> VoiceMap; load, validate, merge and save voices/*.toml."""

from __future__ import annotations

import dataclasses
import difflib
import functools
import logging
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path

from ..errors import EngineError, VoiceMapError
from ..model import DIALOGUE, NARRATOR_SPEAKER, Script, Voice, VoiceMap
from ..text.lexicon import LexiconProblem, parse_lexicon
from ..text.sources import not_utf8

log = logging.getLogger(__name__)

VOICE_KEYS = {"engine", "voice", "rate", "pitch"}
ENTRY_KEYS = VOICE_KEYS | {"pronunciations"}
"""A [narrator] or speaker table: a voice plus the pronunciations only that voice uses."""
SPEAKER_KEYS = ENTRY_KEYS | {"gender", "aliases"}
TOP_KEYS = {"narrator", "speakers", "defaults"}
ADJUST_KEYS = {"rate", "pitch", "gender", "aliases"}
"""What a speaker table without a voice may hold: it adjusts the automatic voice."""
GENDERS = {"male", "female", "unknown"}

# Voices chosen to be far apart in pitch and timbre: the narrator sits between the male and
# female characters (~115 Hz vs ~80-100 Hz and ~170-210 Hz) and uses a British base voice.
NARRATOR = Voice("espeak", "en-gb-x-rp+m2", 165, 62)
MAIN_VOICES = {
    "male": (Voice("espeak", "en-us+m3", 175, 28), Voice("espeak", "en+m1", 170, 40),
             Voice("espeak", "en-gb-scotland+m4", 170, 36), Voice("espeak", "en-us+m7", 180, 20)),
    "female": (Voice("espeak", "en-us+f3", 175, 58), Voice("espeak", "en+f2", 170, 46),
               Voice("espeak", "en-us+f4", 180, 70), Voice("espeak", "en-gb-x-rp+f1", 170, 52)),
}
MINOR_VOICES = {
    "male": (Voice("espeak", "en-us+m5", 170, 44), Voice("espeak", "en+m6", 175, 34)),
    "female": (Voice("espeak", "en-us+f5", 170, 62), Voice("espeak", "en+f1", 175, 50)),
}
MAIN_MIN_LINES = 3
"""A speaker with fewer dialogue lines in the whole book shares the small minor pool."""


def _is_english(language: str | None) -> bool:
    return not language or language.replace("_", "-").split("-")[0].lower() in ("en", "eng", "und", "")


@functools.cache
def language_base(language: str) -> str | None:
    """The espeak voice that speaks `language` ("fr-FR" -> "fr-fr" if espeak has it, else "fr"), or None."""
    tag = language.replace("_", "-").lower().strip()
    for candidate in dict.fromkeys([tag, tag.split("-")[0]]):
        if candidate and speakable(Voice("espeak", candidate, NARRATOR.rate, NARRATOR.pitch)):
            return candidate
    return None


def _in_language(voice: Voice, base: str) -> Voice:
    """The same variant, rate and pitch on another language's base voice: "en-us+f3" -> "fr+f3"."""
    variant = voice.voice.partition("+")[2]
    return dataclasses.replace(voice, voice=f"{base}+{variant}" if variant else base)


def narrator_for(language: str | None) -> Voice:
    """The default narrator for a book's language: the British narrator for English (and when espeak has
    no voice for the language, with a warning), else the language's own voice with the same variant."""
    if _is_english(language):
        return NARRATOR
    base = language_base(language)
    if base is None:
        log.warning("espeak has no voice for the book's language %r; the English narrator reads it", language)
        return NARRATOR
    return _in_language(NARRATOR, base)


def _voices_for(pools: dict[str, tuple[Voice, ...]], language: str | None) -> dict[str, tuple[Voice, ...]]:
    base = None if _is_english(language) else language_base(language)
    if base is None:
        return pools
    return {g: tuple(_in_language(v, base) for v in vs) for g, vs in pools.items()}


def speaker_stats(scripts: Iterable[Script]) -> dict[str, dict]:
    """name -> {"gender", "lines"} over a whole book, most lines first."""
    stats: dict[str, dict] = {}
    for script in scripts:
        for sp in script.speakers():
            entry = stats.setdefault(sp["name"], {"gender": sp["gender"], "lines": 0})
            entry["lines"] += sp["lines"]
            if entry["gender"] == "unknown":
                entry["gender"] = sp["gender"]
    return dict(sorted(stats.items(), key=lambda kv: (-kv[1]["lines"], kv[0])))


def with_map_genders(stats: dict[str, dict], voices: VoiceMap | None) -> dict[str, dict]:
    """`stats` with each speaker's gender as the voice map gives it, where it gives one (the book only guesses)."""
    if voices is None or not voices.genders:
        return stats
    gender = {name: voices.genders.get(name) or voices.genders.get(voices.canonical(name)) for name in stats}
    return {name: {**info, "gender": gender[name]} if gender[name] else info for name, info in stats.items()}


@functools.cache
def speakable(voice: Voice) -> bool:
    """Whether the voice's engine is installed and accepts the voice (cached per process)."""
    from .engines import get_engine

    try:
        get_engine(voice.engine).check_voice(voice)
    except EngineError:
        return False
    return True


def _pool(voices: Iterable[Voice], fallback: Voice) -> tuple[Voice, ...]:
    """The voices of a built-in pool the engine can speak (espeak-ng data differs between
    builds), or the fallback alone: a cast must never name a voice that cannot render."""
    return tuple(v for v in voices if speakable(v)) or (fallback,)


def _identity(voice: Voice) -> tuple[str, str]:
    """What makes two voices sound like the same person: engine and voice id (not rate or pitch)."""
    return (voice.engine, voice.voice)


def auto_cast(stats: dict[str, dict], existing: VoiceMap | None = None, language: str | None = "en") -> VoiceMap:
    """Deterministic cast: main speakers get distinct voices by gender, minor ones share a pool.

    `language` is the book's: a book in another language espeak speaks gets that language's voices (the
    narrator too, unless `existing` names one); English books keep the English defaults.

    Speakers already in `existing` keep their voices, and new main speakers avoid the voice
    ids (engine + voice, whatever the rate or pitch) of the narrator and of every speaker
    already cast. Speakers of unknown gender alternate between the male and female pools.
    """
    base = existing or VoiceMap(narrator=narrator_for(language))
    speakers = dict(base.speakers)
    taken = {_identity(base.narrator)} | {_identity(v) for v in speakers.values()}
    used = {"male": 0, "female": 0}
    for name in speakers:
        gender = stats.get(name, {}).get("gender")
        if gender in used:
            used[gender] += 1
    minor_used = {"male": 0, "female": 0}
    # Voices no minor speaker may share: the narrator's and the main speakers' (past the main pool, a main
    # speaker takes a minor voice of its own: the minor speakers then share what is left of that pool).
    own = {_identity(base.narrator)} | {_identity(v) for n, v in speakers.items()
                                        if stats.get(n, {}).get("lines", 0) >= MAIN_MIN_LINES}
    main_pools = {g: _pool(vs, base.narrator) for g, vs in _voices_for(MAIN_VOICES, language).items()}
    minor_pools = {g: _pool(vs, base.narrator) for g, vs in _voices_for(MINOR_VOICES, language).items()}
    for name, info in canonical_stats(stats, base).items():
        if name in speakers:
            continue
        gender = info["gender"] if info["gender"] in ("male", "female") else \
            ("male" if used["male"] <= used["female"] else "female")
        if info["lines"] >= MAIN_MIN_LINES:
            pool = main_pools[gender]
            # Past the main pool, the minor pool's voices no one has yet; past both, a main voice again at
            # another pitch: two characters of a scene never sound exactly alike.
            free = [v for v in (*pool, *minor_pools[gender]) if _identity(v) not in taken]
            voice = free[0] if free else _repitched(pool[used[gender] % len(pool)], used[gender] // len(pool))
            used[gender] += 1
            own.add(_identity(voice))
        else:
            # A minor voice a main speaker has is not shared with them: two sisters of a scene never sound alike.
            pool = [v for v in minor_pools[gender] if _identity(v) not in own] or \
                [_repitched(v, 1) for v in minor_pools[gender]]
            voice = pool[minor_used[gender] % len(pool)]
            minor_used[gender] += 1
        speakers[name] = voice
        taken.add(_identity(voice))
    return dataclasses.replace(base, speakers=speakers,
                               default_male=base.default_male or minor_pools["male"][0],
                               default_female=base.default_female or minor_pools["female"][0],
                               default_unknown=base.default_unknown or minor_pools["male"][-1])


def canonical_stats(stats: dict[str, dict], voices: VoiceMap) -> dict[str, dict]:
    """`stats` under the speaker names of the voice map: the lines of a table's aliases ("Rory" of
    `[speakers."Lorelai"] aliases = ["Rory"]`) count as that speaker's, who is cast for them, most lines first;
    with the gender the map gives a speaker over the book's guess."""
    merged: dict[str, dict] = {}
    for name, info in stats.items():
        entry = merged.setdefault(voices.canonical(name), {"gender": "unknown", "lines": 0})
        entry["lines"] += info.get("lines", 0)
        if entry["gender"] == "unknown":
            entry["gender"] = info.get("gender", "unknown")
    for name in merged:
        if name in voices.genders:
            merged[name]["gender"] = voices.genders[name]
    return dict(sorted(merged.items(), key=lambda kv: -kv[1]["lines"]))


def _repitched(voice: Voice, cycle: int) -> Voice:
    """`voice` again, for the `cycle`-th time, at a pitch as far from its own as the range allows."""
    step = 14 * cycle if voice.pitch + 14 * cycle <= 99 else -14 * cycle
    return dataclasses.replace(voice, pitch=max(0, min(99, voice.pitch + step)))


def find_speaker(name: str, stats: dict[str, dict], voices: VoiceMap) -> str:
    """The canonical speaker `name` refers to (exact, alias, then case-insensitive), or VoiceMapError listing them.

    With the book's speakers in `stats`, a voice map table that names none of them (a typo, "Meeg") is no speaker.
    """
    known = list(dict.fromkeys([voices.canonical(n) for n in stats] if stats else voices.speakers))
    canonical = voices.canonical(name)
    if canonical in known:
        return canonical
    if name.casefold() == NARRATOR_SPEAKER.casefold():
        return NARRATOR_SPEAKER  # the narrator's voice (a first-person narrator's own lines too)
    folded = {n.casefold(): n for n in [*known, *voices.aliases]}
    if name.casefold() in folded:
        return voices.canonical(folded[name.casefold()])
    listing = ", ".join(sorted(known)) or "none found"
    raise VoiceMapError(f"unknown speaker {name!r} (known speakers: {listing}; and {NARRATOR_SPEAKER})")


def unused_speakers(voices: VoiceMap, stats: dict[str, dict]) -> list[tuple[str, str | None]]:
    """Speaker tables of a voice map that name nobody in the book, each with the closest speaker
    who does speak (or None): `[speakers."Rorry"]` is a typo for "Rory", and its voice goes unused."""
    heard = set(stats)
    used = heard | {voices.canonical(name) for name in heard}
    unused = []
    for name in [*voices.speakers, *voices.adjusted]:
        if name not in used:
            close = difflib.get_close_matches(name, sorted(heard), n=1, cutoff=0.6) or \
                difflib.get_close_matches(name.casefold(), sorted(heard, key=str.casefold), n=1, cutoff=0.6)
            unused.append((name, close[0] if close else None))
    return unused


def warn_unused_speakers(voices: VoiceMap, stats: dict[str, dict]) -> None:
    """Log a warning for each voice-map speaker table that names nobody in the book."""
    where = f"{voices.source}: " if voices.source else ""
    for name, close in unused_speakers(voices, stats):
        hint = f'; did you mean "{close}"?' if close else " (its voice is not used)"
        log.warning('%s[speakers."%s"]: no speaker of that name in the book%s', where, name, hint)


def warn_same_voices(voices: VoiceMap, stats: dict[str, dict]) -> None:
    """Log a warning for speakers of the book the voice map gives one voice (engine, voice, rate and pitch
    alike), the narrator included: a listener cannot tell them apart. Aliases are the way to say they are one."""
    where = f"{voices.source}: " if voices.source else ""
    heard = {voices.canonical(name) for name in stats}
    tables = [("[narrator]", voices.narrator)] + [(f'[speakers."{n}"]', v) for n, v in voices.speakers.items()
                                                   if n in heard]
    seen: dict[tuple, str] = {}
    for table, voice in tables:
        first = seen.setdefault(voice.key(), table)
        if first != table:
            log.warning("%s%s and %s have the same voice (%s, rate %d, pitch %d): a listener cannot tell them "
                        "apart (for one character, make one name an alias of the other)", where, first, table,
                        voice.voice, voice.rate, voice.pitch)


def speaker_lines(scripts: Iterable[Script], voices: VoiceMap, speaker: str | None,
                  body_starts: Iterable[int] = (), max_words: int = 25, max_lines: int = 3) -> list[str]:
    """The first lines `speaker` says in the book (None: the first narration), enough for a few seconds.

    `body_starts` gives each chapter's `body_start`, so headings are not taken for narration.
    """
    out: list[str] = []
    words = 0
    starts = list(body_starts)
    for n, script in enumerate(scripts):
        skip = starts[n] if n < len(starts) else 0
        for seg in script.segments:
            if seg.end <= skip:
                continue
            who = voices.canonical(seg.speaker) if seg.kind == DIALOGUE and seg.speaker else None
            if seg.kind == DIALOGUE and speaker is None:
                continue
            if speaker is not None and who != speaker:
                continue
            text = " ".join(seg.text.split())
            if not any(ch.isalpha() for ch in text):
                continue
            out.append(text)
            words += len(text.split())
            if words >= max_words or len(out) >= max_lines:
                return out
    return out


# -- reading ---------------------------------------------------------------------------------

def _check_values(values: dict, where: str) -> None:
    """Type- and range-check voice fields; the message names the key, the range and what was found."""
    for key in ("engine", "voice"):
        if key in values and (not isinstance(values[key], str) or not values[key].strip()):
            raise VoiceMapError(f"{where}: {key} must be a non-empty string, found {values[key]!r}")
    for key, lo, hi in (("rate", 20, 1000), ("pitch", 0, 100)):  # each engine checks its own range too
        if key in values:
            v = values[key]
            if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
                raise VoiceMapError(f"{where}: {key} must be a whole number from {lo} to {hi}, found {v!r}")


def _voice_from_table(table: dict, where: str, defaults: dict, allowed: set[str],
                      base: Path | None = None) -> Voice:
    for key in table:
        if key not in allowed:
            raise VoiceMapError(f"{where}: unknown key {key!r} (expected one of {', '.join(sorted(allowed))})")
    own = {k: v for k, v in table.items() if k in VOICE_KEYS}
    _check_values(own, where)
    merged = {**defaults, **own}
    if "voice" not in merged:
        raise VoiceMapError(f"{where}: missing key 'voice'")
    fields = {k: merged[k] for k in VOICE_KEYS if k in merged}
    if fields.get("engine") == "piper" and base is not None:
        # A model path in a voice map is relative to the map, wherever render runs from.
        from .engines.piper import rebase_model_path

        fields["voice"] = rebase_model_path(fields["voice"], base)
    if "pronunciations" in table:
        try:
            fields["pronunciations"] = parse_lexicon(table["pronunciations"]).entries
        except LexiconProblem as exc:
            raise VoiceMapError(f"{where}: {exc}") from None
    return Voice(**{**dataclasses.asdict(Voice()), **fields})


def parse_voice_map(data: dict, path: Path) -> VoiceMap:
    """Validate a voice map's plain data; every error names the file, the table and the key."""
    for key in data:
        if key not in TOP_KEYS and not isinstance(data[key], dict):
            raise VoiceMapError(f"{path}: unknown key {key!r} outside any table (voice settings go in [narrator], "
                                f"[speakers.\"Name\"] or [defaults])")
        if key not in TOP_KEYS:
            raise VoiceMapError(f"{path}: unknown table [{key}] (expected [narrator], [speakers.\"Name\"], [defaults])")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise VoiceMapError(f"{path}: [defaults] must be a table")
    for key in defaults:
        if key not in VOICE_KEYS - {"voice"}:
            raise VoiceMapError(f"{path}: [defaults]: unknown key {key!r} (expected engine, rate, pitch)")
    _check_values(defaults, f"{path}: [defaults]")
    narrator_t = data.get("narrator")
    if narrator_t is None:
        narrator = NARRATOR
    elif not isinstance(narrator_t, dict):
        raise VoiceMapError(f"{path}: [narrator] must be a table")
    else:
        narrator = _voice_from_table(narrator_t, f"{path}: [narrator]", defaults, ENTRY_KEYS, path.parent)
    speakers: dict[str, Voice] = {}
    aliases: dict[str, str] = {}
    table = data.get("speakers", {})
    if not isinstance(table, dict):
        raise VoiceMapError(f"{path}: [speakers] must be a table of [speakers.\"Name\"] tables")
    adjusted: dict[str, dict[str, int]] = {}
    genders: dict[str, str] = {}
    for name, entry in table.items():
        where = f"{path}: [speakers.\"{name}\"]"
        if not isinstance(entry, dict):
            raise VoiceMapError(f"{where}: must be a table with voice, rate, pitch")
        if "voice" not in entry and "engine" not in entry and entry and not entry.keys() - ADJUST_KEYS:
            # No voice: the automatic one, adjusted ("make Rory a little higher") or cast for the gender given
            # ("Sam is a woman", where the book guessed otherwise).
            _check_values(entry, where)
            adjusted[name] = {k: entry[k] for k in ("rate", "pitch") if k in entry}
        else:
            speakers[name] = _voice_from_table(entry, where, defaults, SPEAKER_KEYS, path.parent)
        gender = entry.get("gender", "unknown")
        if gender not in GENDERS:
            raise VoiceMapError(f"{where}: gender must be male, female or unknown, found {gender!r}")
        if gender != "unknown":
            genders[name] = gender
        names = entry.get("aliases", [])
        if not isinstance(names, list) or not all(isinstance(a, str) and a.strip() for a in names):
            raise VoiceMapError(f"{where}: aliases must be a list of names, found {names!r}")
        for alias in names:
            if alias == name:
                raise VoiceMapError(f"{where}: aliases: {alias!r} is the speaker's own name")
            if alias in aliases and aliases[alias] != name:
                raise VoiceMapError(f"{where}: alias {alias!r} is already an alias of {aliases[alias]!r}")
            aliases[alias] = name
    for alias, owner in aliases.items():
        if alias in speakers or alias in adjusted:
            raise VoiceMapError(f"{path}: {alias!r} is both a speaker table and an alias of {owner!r}")
    return VoiceMap(narrator=narrator, speakers=speakers, aliases=aliases, source=path, adjusted=adjusted,
                    genders=genders)


def adjusted_cast(voices: VoiceMap) -> VoiceMap:
    """The cast with each [speakers] table that sets only rate or pitch applied to that speaker's automatic voice."""
    if not voices.adjusted:
        return voices
    speakers = {name: dataclasses.replace(voice, **voices.adjusted[name]) if name in voices.adjusted else voice
                for name, voice in voices.speakers.items()}
    return dataclasses.replace(voices, speakers=speakers)


def load_voice_map(path: Path) -> VoiceMap:
    """Read and validate a voice map TOML file (VoiceMapError naming the file on any problem)."""
    path = Path(path)
    if path.is_dir():
        raise VoiceMapError(f"{path}: is a folder, expected a voice map file")
    if not path.exists():
        raise VoiceMapError(f"{path}: voice map not found")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VoiceMapError(not_utf8(path, exc)) from None
    except OSError as exc:
        raise VoiceMapError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        # tomllib, not tomlkit: it reports every error, a duplicate key included, with its line.
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise VoiceMapError(f"{path}: invalid TOML ({exc})") from None
    return parse_voice_map(data, path)


def check_voices(voices: VoiceMap) -> None:
    """Ask each engine whether it can speak each voice; name the file and table on failure."""
    from .engines import get_engine

    where = f"{voices.source}: " if voices.source else ""
    entries = [("[narrator]", voices.narrator)] + [(f'[speakers."{n}"]', v) for n, v in voices.speakers.items()]
    for table, voice in entries:
        try:
            get_engine(voice.engine).check_voice(voice)
        except EngineError as exc:
            raise VoiceMapError(f"{where}{table}: {exc}") from None


# -- writing ---------------------------------------------------------------------------------

def _voice_table(voice: Voice, gender: str | None = None, aliases: list[str] | None = None):
    import tomlkit

    t = tomlkit.table()
    t.add("engine", voice.engine)
    t.add("voice", voice.voice)
    t.add("rate", voice.rate)
    t.add("pitch", voice.pitch)
    if gender:
        t.add("gender", gender)
    if aliases is not None:
        t.add("aliases", aliases)
    # A blank line after the table, so a table the user wrote after [speakers] stays apart.
    t.add(tomlkit.nl())
    return t


Caster = Callable[[dict[str, dict], VoiceMap | None, str | None], VoiceMap]
"""(speaker stats, the voice map so far or None for a new one, the book's language) -> the whole cast."""


def update_voice_map_file(path: Path, title: str, stats: dict[str, dict], dry_run: bool = False,
                          language: str | None = "en", caster: Caster | None = None) -> tuple[VoiceMap, list[str]]:
    """Add entries for new speakers to `path` (created if missing), keeping every user edit.

    A new file's narrator speaks the book's `language` (see narrator_for). `caster` chooses the voices
    (default: auto_cast, espeak voices by gender; multicast casts on one multi-speaker model).

    Returns the resulting voice map and the names that were added.
    """
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    from ..audio.export import write_atomic

    path = Path(path)
    caster = caster or auto_cast
    if path.exists():
        existing = load_voice_map(path)
        try:
            doc = tomlkit.parse(path.read_text(encoding="utf-8"))
        except (TOMLKitError, OSError, UnicodeDecodeError) as exc:
            raise VoiceMapError(f"{path}: cannot read for editing ({exc})") from None
    else:
        existing = VoiceMap(narrator=narrator_for(language), source=path)
        doc = tomlkit.document()
        doc.add(tomlkit.comment(f'narrate voice map for "{title}".'))
        doc.add(tomlkit.comment("Edit voice, rate (words per minute) and pitch (0-99), then run `narrate render` again."))
        doc.add(tomlkit.comment("`narrate voices` lists espeak voices; add a variant with +, e.g. en-us+f2."))
        doc.add(tomlkit.comment("aliases: other names of the same speaker, merged into this voice book-wide."))
        doc.add(tomlkit.nl())
    # A first-person narrator's own lines are read in the narrator's voice (as a render without a map
    # casts them): no voice of its own, nor a character's slot taken, unless the user adds one.
    stats = {name: info for name, info in canonical_stats(stats, existing).items() if name != NARRATOR_SPEAKER}
    cast = caster(stats, existing if path.exists() else None, language)
    if not path.exists():
        doc.add("narrator", _voice_table(cast.narrator))
    added = [n for n in cast.speakers if n not in existing.speakers]
    if added:
        if "speakers" not in doc:
            doc.add(tomlkit.nl())
            doc.add("speakers", tomlkit.table(is_super_table=True))
        for name in added:
            if name in existing.adjusted:
                # A table that only adjusted the automatic voice gets that voice written in, its rate and pitch kept.
                table = doc["speakers"][name]
                voice = cast.speakers[name]
                for key, value in (("engine", voice.engine), ("voice", voice.voice), ("rate", voice.rate),
                                   ("pitch", voice.pitch)):
                    if key not in table:
                        table[key] = value
                continue
            doc["speakers"][name] = _voice_table(cast.speakers[name], stats[name]["gender"], [])
    if not dry_run and (added or not path.exists()):
        write_atomic(path, tomlkit.dumps(doc).encode("utf-8"))
    return dataclasses.replace(adjusted_cast(cast), source=path), added
