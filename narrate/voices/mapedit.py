"""Casting stage: edit one entry of a voice map file in place, keeping the user's comments and order."""

from __future__ import annotations

import tomllib
from pathlib import Path

from ..errors import VoiceMapError
from ..model import Voice, VoiceMap
from .casting import VOICE_KEYS, _voice_table, load_voice_map, parse_voice_map

__all__ = ["merge_speaker", "set_voice"]


def _load_doc(path: Path):
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    load_voice_map(path)  # a file with errors is reported as `narrate render` would report it
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except (TOMLKitError, OSError, UnicodeDecodeError) as exc:
        raise VoiceMapError(f"{path}: cannot read for editing ({exc})") from None


def _save_doc(path: Path, doc) -> VoiceMap:
    """Check the edited document as a voice map, then write it atomically; nothing is written if it is wrong."""
    import tomlkit

    from ..audio.export import write_atomic

    text = tomlkit.dumps(doc)
    cast = parse_voice_map(tomllib.loads(text), path)
    write_atomic(path, text.encode("utf-8"))
    return cast


def _speakers(doc):
    import tomlkit

    if "speakers" not in doc:
        doc.add(tomlkit.nl())
        doc.add("speakers", tomlkit.table(is_super_table=True))
    return doc["speakers"]


def set_voice(path: Path, speaker: str | None, voice: Voice) -> VoiceMap:
    """Give `speaker` (None: the narrator) `voice` in the voice map at `path`.

    Only the engine, voice, rate and pitch keys of that one table change; a speaker without a table
    gets one at the end of [speakers]. Returns the voice map as written.
    """
    path = Path(path)
    doc = _load_doc(path)
    if speaker is None:
        if "narrator" not in doc:
            doc.add("narrator", _voice_table(voice))
            return _save_doc(path, doc)
        table = doc["narrator"]
    else:
        speakers = _speakers(doc)
        if speaker not in speakers:
            speakers[speaker] = _voice_table(voice, aliases=[])
            return _save_doc(path, doc)
        table = speakers[speaker]
    for key in sorted(VOICE_KEYS):
        table[key] = getattr(voice, key)
    return _save_doc(path, doc)


def merge_speaker(path: Path, old: str, new: str, voice: Voice) -> VoiceMap:
    """Make `old` another name of `new` for the whole book: `old` and its aliases become aliases of `new`.

    `new` keeps its own table; a `new` without one (a rename) gets one with `voice`, normally the
    voice `old` had. `old`'s own table is removed, since a name cannot be both a speaker and an alias.
    """
    path = Path(path)
    old, new = old.strip(), " ".join(new.split())
    if not new:
        raise VoiceMapError("the new name is empty")
    current = load_voice_map(path)
    new = current.canonical(new)
    if current.canonical(old) != old:
        raise VoiceMapError(f"{old!r} is already another name of {current.canonical(old)!r}")
    if old == new:
        raise VoiceMapError(f"{old!r} and {new!r} are the same speaker")
    doc = _load_doc(path)
    speakers = _speakers(doc)
    moved, gender = [old], None
    if old in speakers:
        moved += [a for a in speakers[old].get("aliases", []) if a != new]
        gender = speakers[old].get("gender")
        del speakers[old]
    if new not in speakers:
        speakers[new] = _voice_table(voice, str(gender) if gender else None, aliases=[])
    table = speakers[new]
    aliases = [str(a) for a in table.get("aliases", [])]
    table["aliases"] = aliases + [a for a in moved if a not in aliases]
    return _save_doc(path, doc)
