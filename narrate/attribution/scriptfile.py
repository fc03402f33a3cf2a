"""Script files: a chapter's attributed segments as editable JSON, read back and merged."""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import ExportError, InputError
from ..model import DIALOGUE, NARRATION, NARRATOR_SPEAKER, Character, Script, Segment
from .characters import name_gender

log = logging.getLogger(__name__)

__all__ = ["FORMAT", "USER_RULE", "ScriptFile", "carry_corrections", "load_script", "merge_corrections",
           "read_script_file", "save_script", "script_to_file_data"]

FORMAT = "narrate-script/1"
USER_RULE = "user"
"""The rule of a segment whose speaker or kind a person corrected by hand."""

_HELP = ('Edit "speaker" (any name; a new name is a new character) or "kind" ("dialogue" or "narration"). '
         'Leave "start", "end", "text" and the "auto_" fields alone: they tie each line to the chapter text.')
_GENDERS = ("male", "female", "unknown")
# The keys a script file holds; any other is reported (a typo such as "speakr" loses a correction).
FILE_KEYS = ("format", "chapter", "source", "text_sha256", "help", "characters", "segments")
_NARRATOR_FORMS = frozenset(("narrator", "the narrator"))
SEGMENT_KEYS = ("speaker", "kind", "start", "end", "paragraph", "rule", "confidence", "auto_speaker", "auto_kind",
                "text")
CHARACTER_KEYS = ("name", "gender", "aliases")


def text_digest(text: str) -> str:
    """SHA-256 of the chapter text, to notice when the text under a script has changed."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def script_to_file_data(script: Script, chapter_title: str, source: str, auto: Script | None = None) -> dict:
    """The file's content as plain data. `auto` is the automatic script a corrected one came from;
    it supplies `auto_speaker`/`auto_kind` for segments with rule "user" (otherwise they are null)."""
    auto_by_span = {(s.start, s.end): s for s in auto.segments} if auto else {}
    segments = []
    for seg in script.segments:
        guess = auto_by_span.get((seg.start, seg.end)) or (seg if seg.rule != USER_RULE else None)
        segments.append({
            "speaker": seg.speaker, "kind": seg.kind, "start": seg.start, "end": seg.end,
            "paragraph": seg.paragraph, "rule": seg.rule, "confidence": seg.confidence,
            "auto_speaker": guess.speaker if guess else None, "auto_kind": guess.kind if guess else None,
            "text": seg.text,
        })
    return {
        "format": FORMAT,
        "chapter": chapter_title,
        "source": source,
        "text_sha256": text_digest(script.text),
        "help": _HELP,
        "characters": [{"name": c.name, "gender": c.gender, "aliases": list(c.aliases)} for c in script.characters],
        "segments": segments,
    }


def _dumps(data: dict) -> str:
    """JSON with one line per character and per segment, so a speaker is one word to change."""
    out = ["{"]
    keys = list(data)
    for n, key in enumerate(keys):
        comma = "," if n < len(keys) - 1 else ""
        value = data[key]
        if isinstance(value, list):
            items = [" " + json.dumps(v, ensure_ascii=False) for v in value]
            body = ",\n".join(items)
            out.append(f" {json.dumps(key)}: [\n{body}\n ]{comma}" if items else f" {json.dumps(key)}: []{comma}")
        else:
            out.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{comma}")
    out.append("}")
    return "\n".join(out) + "\n"


def save_script(path: Path, script: Script, title: str, source: str, auto: Script | None = None) -> None:
    """Write the editable script file atomically (temporary file + rename), mode 0644."""
    path = Path(path)
    content = _dumps(script_to_file_data(script, title, source, auto))
    try:
        _write_text(path, content)
    except OSError as exc:
        raise ExportError(f"{path}: cannot write script file ({exc.strerror or exc})") from None


def _write_text(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(content)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _segment_lines(raw: str) -> list[int]:
    """1-based line number of each segment object, when the file keeps one segment per line."""
    lines = raw.splitlines()
    out: list[int] = []
    inside = False
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith('"segments"'):
            inside = True
        elif inside and stripped.startswith("{"):
            out.append(number)
        elif inside and stripped.startswith("]"):
            break
    return out


def _read(path: Path) -> tuple[str, dict]:
    """The file's raw text and its JSON, checked to be a narrate script of this format."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read script file: {exc}") from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno}: not valid JSON: {exc.msg}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("segments"), list):
        raise InputError(f'{path}: not a narrate script file (expected an object with a "segments" list)')
    if data.get("format", FORMAT) != FORMAT:
        raise InputError(f'{path}: "format" is {data.get("format")!r}, expected {FORMAT!r}')
    return raw, data


def load_script(path: Path, text: str) -> Script:
    """Read a (possibly hand-corrected) script file back, checked against the chapter `text`.

    A segment whose speaker or kind differs from its `auto_speaker`/`auto_kind` (or whose rule is
    already "user") gets rule "user" and confidence 1.0. Raises InputError naming the file, the
    segment and the key for anything malformed, and when the chapter text has changed (see
    read_script_file and carry_corrections for a script whose chapter was edited since).
    """
    path = Path(path)
    raw, data = _read(path)
    digest = data.get("text_sha256")
    if digest is not None and digest != text_digest(text):
        raise InputError(f"{path}: the chapter text changed since this script was written; "
                         "run `narrate script` to carry its corrections over to the new text")
    return _parse(path, raw, data, text)


@dataclass(frozen=True)
class ScriptFile:
    """A script file read against the chapter text it was written for."""

    path: Path
    script: Script
    lines: tuple[int, ...]
    """1-based line of each segment in the file (empty when the file is not one segment per line)."""

    def describe(self, index: int) -> str:
        """'FILE: segment N (line L): the correction (speaker "X") of “text”', for messages."""
        seg = self.script.segments[index]
        what = f'speaker "{seg.speaker}"' if seg.kind == DIALOGUE and seg.speaker else f'kind "{seg.kind}"'
        text = " ".join(seg.text.split())
        text = text if len(text) <= 60 else text[:59] + "…"
        return f"{self.path}: {_segment_at(index, self.lines)}: the correction ({what}) of “{text}”"


def read_script_file(path: Path, chapter_text: str | None = None) -> ScriptFile:
    """Read a script file against its own text (its segments' texts, end to end), whatever the
    chapter says now; InputError if the file is malformed or its "text" fields were edited.
    `chapter_text`, the chapter's text now, lets the error name the edited segment when the chapter is the one
    the file was written for."""
    path = Path(path)
    raw, data = _read(path)
    pieces = []
    for n, item in enumerate(data["segments"]):
        piece = item.get("text") if isinstance(item, dict) else None
        if not isinstance(piece, str):
            raise InputError(f'{path}: segment {n}: "text": expected a string, found {piece!r}')
        pieces.append(piece)
    text = "".join(pieces)
    digest = data.get("text_sha256")
    if digest is not None and digest != text_digest(text):
        # Where the segments stop joining up: the first whose "start" is not where the texts before it end.
        cursor, where = 0, ""
        lines = _segment_lines(raw)
        for n, item in enumerate(data["segments"]):
            if item.get("start") != cursor:
                where = f" {_segment_at(n, lines)}:"
                break
            cursor += len(pieces[n])
        else:
            if chapter_text is not None and text_digest(chapter_text) == digest:
                # A text edited to one of the same length: the segment whose text is not the chapter's there.
                cursor = 0
                for n, piece in enumerate(pieces):
                    if chapter_text[cursor:cursor + len(piece)] != piece:
                        where = f" {_segment_at(n, lines)}:"
                        break
                    cursor += len(piece)
        raise InputError(f'{path}:{where} the segments\' "text" was edited, or a segment removed or moved '
                         '(together they no longer give the text the script was written for); only "speaker" and '
                         '"kind" may be edited')
    return ScriptFile(path, _parse(path, raw, data, text), tuple(_segment_lines(raw)))


def _segment_at(n: int, lines: Sequence[int]) -> str:
    """"segment 4 (line 158)": where segment `n` is in its file, for messages (its line when the file has one per
    segment)."""
    return f"segment {n}" + (f" (line {lines[n]})" if n < len(lines) else "")


def _parse(path: Path, raw: str, data: dict, text: str) -> Script:
    _warn_unknown_keys(str(path), data, FILE_KEYS)
    digest = data.get("text_sha256")
    characters = _load_characters(path, data.get("characters", []))
    line_of = _segment_lines(raw)
    segments: list[Segment] = []
    cursor = 0
    for n, item in enumerate(data["segments"]):
        where = f"{path}: {_segment_at(n, line_of)}"
        seg = _load_segment(where, item, text)
        if seg.start != cursor:
            raise _changed(where, "start", f"segments must follow each other without gaps; expected {cursor}, "
                                            f"found {seg.start}", digest is None)
        cursor = seg.end
        segments.append(seg)
    if cursor != len(text):
        where = f"{path}: segment {len(segments) - 1}" if segments else str(path)
        raise _changed(where, "end", f"segments end at {cursor} but the chapter has {len(text)} characters",
                       digest is None)
    known = {c.name for c in characters}
    for seg in segments:
        if seg.speaker and seg.speaker not in known:
            # A new name typed by the user: cast by the gender its title or given name shows.
            characters.append(Character(seg.speaker, name_gender(seg.speaker)))
            known.add(seg.speaker)
    return Script(text, tuple(segments), tuple(characters))


def _warn_unknown_keys(where: str, item: dict, known: tuple[str, ...]) -> None:
    for key in item:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f'; did you mean "{close[0]}"?' if close else ""
            log.warning('%s: unknown key "%s" ignored%s', where, key, hint)


def _changed(where: str, key: str, detail: str, maybe_text: bool) -> InputError:
    hint = "; only \"speaker\" and \"kind\" may be edited" + (
        " (`narrate script --force` writes the file afresh, keeping this one as .bak)" if maybe_text else "")
    return InputError(f'{where}: "{key}": {detail}{hint}')


def _load_characters(path: Path, items: object) -> list[Character]:
    if not isinstance(items, list):
        raise InputError(f'{path}: "characters": expected a list, found {type(items).__name__}')
    out = []
    for n, item in enumerate(items):
        where = f"{path}: character {n}"
        if not isinstance(item, dict):
            raise InputError(f"{where}: expected an object, found {type(item).__name__}")
        _warn_unknown_keys(where, item, CHARACTER_KEYS)
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise InputError(f'{where}: "name": expected a non-empty string, found {name!r}')
        gender = item.get("gender", "unknown")
        if gender not in _GENDERS:
            raise InputError(f'{where}: "gender": expected one of {", ".join(_GENDERS)}, found {gender!r}')
        aliases = item.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise InputError(f'{where}: "aliases": expected a list of strings, found {aliases!r}')
        out.append(Character(name.strip(), gender, tuple(aliases)))
    return out


def _load_segment(where: str, item: object, text: str) -> Segment:
    if not isinstance(item, dict):
        raise InputError(f"{where}: expected an object, found {type(item).__name__}")
    _warn_unknown_keys(where, item, SEGMENT_KEYS)
    for key in ("start", "end", "paragraph"):
        value = item.get(key, 0 if key == "paragraph" else None)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InputError(f'{where}: "{key}": expected a non-negative integer, found {value!r}')
    start, end = item["start"], item["end"]
    if end < start or end > len(text):
        raise _changed(where, "end", f"{end} is outside the chapter (0..{len(text)}) or before start", True)
    seg_text = item.get("text")
    if not isinstance(seg_text, str):
        raise InputError(f'{where}: "text": expected a string, found {seg_text!r}')
    if text[start:end] != seg_text:
        raise _changed(where, "text", f"does not match the chapter text at {start}..{end}", True)
    kind = item.get("kind")
    if kind not in (DIALOGUE, NARRATION):
        raise InputError(f'{where}: "kind": expected "dialogue" or "narration", found {kind!r}')
    speaker = item.get("speaker")
    if speaker is not None and not isinstance(speaker, str):
        raise InputError(f'{where}: "speaker": expected a name or null, found {speaker!r}')
    if kind == DIALOGUE and isinstance(speaker, str) and not speaker.strip() and item.get("auto_speaker"):
        # Most likely a name deleted to retype: said, not silently read in the narrator's voice.
        log.warning('%s: "speaker" is empty: the line is read by the narrator; write a name (or "Narrator", '
                    'or null)', where)
    speaker = (" ".join(speaker.split()) or None) if speaker else None
    if speaker and speaker.casefold() in _NARRATOR_FORMS:
        speaker = NARRATOR_SPEAKER  # "narrator", "The Narrator": the narrator's voice, never a character of its own
    rule = item.get("rule")
    if rule is not None and not isinstance(rule, str):
        raise InputError(f'{where}: "rule": expected a string or null, found {rule!r}')
    confidence = item.get("confidence")
    if confidence is not None and (not isinstance(confidence, (int, float)) or isinstance(confidence, bool)):
        raise InputError(f'{where}: "confidence": expected a number or null, found {confidence!r}')
    if kind == NARRATION:
        speaker = None
    corrected = rule == USER_RULE
    if "auto_kind" in item or "auto_speaker" in item:
        corrected = corrected or kind != item.get("auto_kind") or speaker != item.get("auto_speaker")
    if corrected:
        rule, confidence = USER_RULE, 1.0
    elif kind == NARRATION:
        rule, confidence = None, None
    return Segment(kind, start, end, seg_text, item.get("paragraph", 0), speaker, rule, confidence)


NEAR = 0.75
"""How alike (difflib ratio, whitespace ignored) a changed line must be to its old self to keep a correction."""


def merge_corrections(old: Script, new_auto: Script) -> Script:
    """`new_auto` with the user's corrections from `old` carried over (see carry_corrections)."""
    return carry_corrections(old, new_auto)[0]


def carry_corrections(old: Script, new_auto: Script) -> tuple[Script, tuple[int, ...]]:
    """`new_auto` with the user's corrections (rule "user") from `old`, and the indices (in
    `old.segments`) of corrections that fit no line of `new_auto`.

    Lines are aligned by their text, so a correction survives an edit elsewhere in the chapter,
    a segment moved by inserted or deleted text, and a small edit of its own line (a fixed typo).
    Characters named only by surviving corrections are carried over from `old`.
    """
    corrected = [i for i, s in enumerate(old.segments) if s.rule == USER_RULE]
    if not corrected:
        return new_auto, ()
    placed = _align(old.segments, new_auto.segments, corrected)
    segments = list(new_auto.segments)
    for i, j in placed.items():
        user = old.segments[i]
        segments[j] = replace(segments[j], kind=user.kind, speaker=user.speaker, rule=USER_RULE, confidence=1.0)
    characters = list(new_auto.characters)
    known = {c.name for c in characters}
    old_chars = {c.name: c for c in old.characters}
    for seg in segments:
        if seg.rule == USER_RULE and seg.speaker and seg.speaker not in known:
            characters.append(old_chars.get(seg.speaker, Character(seg.speaker)))
            known.add(seg.speaker)
    lost = tuple(i for i in corrected if i not in placed)
    return Script(new_auto.text, tuple(segments), tuple(characters)), lost


def _align(old: tuple[Segment, ...], new: tuple[Segment, ...], wanted: list[int]) -> dict[int, int]:
    """Old segment index -> new segment index, for each of `wanted` that has a counterpart."""
    a = [" ".join(s.text.split()) for s in old]
    b = [" ".join(s.text.split()) for s in new]
    wanted_set = set(wanted)
    placed: dict[int, int] = {}
    # autojunk off: in a long chapter, a line said often ("Yes.") must still align.
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            placed.update({i: j1 + i - i1 for i in range(i1, i2) if i in wanted_set})
        elif tag == "replace":
            free = list(range(j1, j2))
            for i in (i for i in range(i1, i2) if i in wanted_set):
                j = _nearest(a[i], b, free)
                if j is not None:
                    placed[i] = j
                    free.remove(j)
    return placed


def _nearest(line: str, new: list[str], candidates: list[int]) -> int | None:
    best, best_ratio = None, NEAR
    for j in candidates:
        m = difflib.SequenceMatcher(None, line, new[j], autojunk=False)
        if m.real_quick_ratio() >= best_ratio and m.quick_ratio() >= best_ratio and m.ratio() >= best_ratio:
            best, best_ratio = j, m.ratio()
    return best
