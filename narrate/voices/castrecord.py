"""The automatic voices a book was rendered with, kept beside its chapters so the next render keeps them."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

from ..model import Voice, VoiceMap
from .casting import MAIN_MIN_LINES, narrator_for, speakable

log = logging.getLogger(__name__)

CAST_FILE = ".cast.json"
"""In the book's output folder, beside book.json: hidden, as a memory of this machine's renders, not a part
of the book that is uploaded or served."""
FORMAT = "narrate-cast/1"

Recorded = dict[str, tuple[Voice, str, str]]
"""speaker -> (the automatic voice it was given, the gender and the tier, "main" or "minor", it was cast for)."""


def _tier(info: dict) -> str:
    return "main" if info.get("lines", 0) >= MAIN_MIN_LINES else "minor"


def read_cast(path: Path, language: str | None) -> Recorded:
    """The automatic voices recorded at `path` for a book in `language`; {} when there is no record, it is
    unreadable (it is only a memory: the cast is made anew) or it was made for another language."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or data.get("language") != language:
            return {}
        return {name: (Voice(entry["engine"], entry["voice"], int(entry["rate"]), int(entry["pitch"])),
                       str(entry["gender"]), str(entry["tier"]))
                for name, entry in data["speakers"].items()}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("%s: unreadable (%s); the automatic cast is made anew", path, exc)
        return {}


def with_recorded(existing: VoiceMap | None, recorded: Recorded, stats: dict[str, dict],
                  language: str | None) -> VoiceMap | None:
    """What auto_cast starts from: the user's voice map (None: none) with the recorded voice of every speaker it
    does not name, who still speaks and was cast for the gender the book now gives them: a speaker's automatic
    voice does not move when other speakers come, go, or change places in the count of lines (one who now
    speaks enough to be a main character leaves the minor voices others share, and is cast again; a main
    character who now speaks less keeps theirs)."""
    if not recorded:
        return existing
    base = existing or VoiceMap(narrator=narrator_for(language))  # what auto_cast starts from without a map
    # A voice the user has since given someone (or the narrator) is theirs now.
    mapped = {(v.engine, v.voice) for v in (base.narrator, *base.speakers.values())}
    # A main character who now speaks less keeps the voice of their own (sharing a minor voice would move them,
    # and re-render every chapter they speak in); one who became a main character leaves the shared minor voice.
    keep = {name: voice for name, (voice, gender, tier) in recorded.items()
            if name in stats and stats[name]["gender"] == gender and (_tier(stats[name]) == tier or tier == "main")
            and name not in base.speakers and base.canonical(name) == name
            and (voice.engine, voice.voice) not in mapped and speakable(voice)}
    return dataclasses.replace(base, speakers={**base.speakers, **keep}) if keep else base


def write_cast(path: Path, cast: VoiceMap, automatic: list[str], stats: dict[str, dict],
               language: str | None) -> None:
    """Record the voices of the `automatic` speakers of `cast` (those the user's map does not name); the
    file is rewritten only when they changed."""
    from ..audio.export import write_atomic

    voices = {name: cast.speakers[name] for name in sorted(automatic)}
    before = read_cast(path, language)

    def tier(name: str, voice: Voice) -> str:
        # The tier the voice was cast for: a main character who speaks less now still has a main voice.
        kept = before.get(name)
        return kept[2] if kept is not None and kept[0] == voice else _tier(stats.get(name, {}))

    speakers = {name: {"engine": v.engine, "voice": v.voice, "rate": v.rate, "pitch": v.pitch,
                       "gender": stats.get(name, {}).get("gender", "unknown"), "tier": tier(name, v)}
                for name, v in voices.items()}
    data = json.dumps({"format": FORMAT, "language": language, "speakers": speakers}, ensure_ascii=False,
                      indent=1).encode("utf-8")
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    write_atomic(path, data)
