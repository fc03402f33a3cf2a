"""Studio: one book's script files and voice map as the studio reads and edits them, with undo."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..attribution.scriptfile import USER_RULE, read_script_file, save_script
from ..errors import InputError, NarrateError
from ..model import DIALOGUE, NARRATION, NARRATOR_SPEAKER, Book, Chapter, Script, Voice, VoiceMap
from ..render.pipeline import (
    RenderOptions,
    book_text_digest,
    load_manifest,
    resolve_voices,
    script_book,
    script_path,
    write_scripts,
)
from ..render.plan import plan_chapter
from ..text.reader import load_book
from ..voices.casting import speaker_stats, update_voice_map_file
from ..voices.mapedit import merge_speaker, set_voice
from ..voices.synth import default_cache_dir

log = logging.getLogger(__name__)

DOUBTFUL = 0.5
"""Lines attributed with less confidence than this are marked for review (the README's threshold)."""
MAX_NAME = 80
UNDO_DEPTH = 200
_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class Snapshot:
    """The bytes of the files one edit changed, as they were before it (None: the file did not exist), and as it
    left them: undo puts them back only while they are so (not over a change made since outside the studio)."""

    label: str
    files: tuple[tuple[Path, bytes | None], ...]
    after: tuple[bytes | None, ...] = ()


@dataclass(frozen=True)
class StudioConfig:
    """Where a book comes from and where its studio reads and writes."""

    source: Path
    out_dir: Path = Path("output")
    voices_path: Path | None = None
    """The voice map to edit; None: voices_dir/<book>.toml."""
    voices_dir: Path = Path("voices")
    jobs: int | None = None
    """Render worker processes; None: the render default."""


@dataclass
class Workspace:
    """A book opened in the studio: every read goes to the files the CLI uses, every edit is saved at once."""

    config: StudioConfig
    book: Book
    auto: list[Script]
    """The automatic attribution of each chapter, kept so saved scripts record what the user changed."""
    voices_path: Path
    undo_stack: list[Snapshot] = field(default_factory=list)
    redo_stack: list[Snapshot] = field(default_factory=list)
    """Edits undone, to make again; a new edit clears it."""
    lock: threading.RLock = field(default_factory=threading.RLock)
    _read: dict[Path, tuple[tuple[int, int, int], Script]] = field(default_factory=dict, repr=False)
    """Scripts as last read, by the file's identity: one page asks for each several times."""
    source_state: tuple = ()
    """The book's files as they were when it was last read (names, times, sizes): see refresh."""
    source_problem: str | None = None
    """Why the book's files as they are now cannot be read (the studio shows the book as it was before)."""
    _reading: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _version: tuple[Book, str] | None = field(default=None, repr=False)

    @property
    def version(self) -> str:
        """The chapters as the studio numbers them, and their texts: a page that shows other numbers, or lines of
        another text (a line's number is its place in its chapter's text), must read them again. Worked out once
        per reading of the book (every request asks)."""
        book = self.book
        if self._version is None or self._version[0] is not book:
            material = "\n".join(c.slug for c in book.chapters) + "\n" + book_text_digest(book)
            self._version = (book, hashlib.sha256(material.encode("utf-8")).hexdigest()[:16])
        return self._version[1]

    def refresh(self) -> bool:
        """Read the book again if its files changed since (a chapter edited, added or removed while the studio
        runs): its chapters, scripts and numbers are then those a render reads. True when it was read again.

        The new book is read outside the lock every request waits on, and swapped in whole. Files that cannot
        be read now (a chapter half written) leave the book as it was, with `source_problem` saying why. When
        the chapters are numbered anew, the undo steps (which name the old script files) are dropped.
        """
        with self._reading:  # one reader at a time; the others find the state read
            state = source_state(self.config.source)
            if state == self.source_state:
                return False
            try:
                book, auto = _read_book(self.config)
            except NarrateError as exc:
                with self.lock:
                    self.source_state, self.source_problem = state, str(exc)
                log.warning("%s; the studio shows the book as it was", exc)
                return False
            log.info("%s changed: read again", self.config.source)
            with self.lock:
                renumbered = [c.slug for c in book.chapters] != [c.slug for c in self.book.chapters]
                self.book, self.auto, self.source_state, self.source_problem = book, auto, state, None
                self._read.clear()
                if renumbered:
                    self.undo_stack.clear()
                    self.redo_stack.clear()
            return True

    @property
    def book_dir(self) -> Path:
        return self.config.out_dir / self.book.slug

    def render_options(self, chapters: str | None = None) -> RenderOptions:
        opts = RenderOptions(out_dir=self.config.out_dir, voices_path=self.voices_path,
                             voices_dir=self.config.voices_dir, chapters=chapters)
        return dataclasses.replace(opts, jobs=self.config.jobs) if self.config.jobs else opts

    # -- reading ------------------------------------------------------------------------------

    def chapter(self, index: int) -> Chapter:
        if not 1 <= index <= len(self.book.chapters):
            raise InputError(f"no chapter {index}: the book has chapters 1-{len(self.book.chapters)}")
        return self.book.chapters[index - 1]

    def script(self, index: int) -> Script:
        path = script_path(self.book_dir, self.chapter(index))
        try:
            st = path.stat()
        except OSError:
            st = None
        # Saves replace the file (a new inode); an editor's in-place write changes its time or size.
        key = (st.st_ino, st.st_mtime_ns, st.st_size) if st else None
        known = self._read.get(path)
        if key is not None and known is not None and known[0] == key:
            return known[1]
        script = read_script_file(path).script
        if key is not None:
            self._read[path] = (key, script)
        return script

    def scripts(self) -> list[Script]:
        return [self.script(c.index) for c in self.book.chapters]

    def voices(self) -> VoiceMap:
        self._ensure_map()
        return resolve_voices(self.book, self.scripts(), self.render_options())

    def _ensure_map(self) -> None:
        with self.lock:
            if not self.voices_path.is_file():
                # Removed (or moved) while the studio runs: the map it edits is made again, as at its start.
                log.warning("%s: not found; written again from the book's speakers", self.voices_path)
                _new_voice_map(self.voices_path, self.book, self.scripts())

    # -- editing ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _remembered(self, label: str, paths: list[Path]) -> Iterator[None]:
        """Run an edit of `paths` as one undo step (none when it fails)."""
        before = tuple((p, _bytes(p)) for p in paths)
        yield
        self.undo_stack.append(Snapshot(label, before, tuple(_bytes(p) for p in paths)))
        self.redo_stack.clear()
        del self.undo_stack[:-UNDO_DEPTH]

    def _save(self, index: int, script: Script) -> None:
        chapter = self.chapter(index)
        save_script(script_path(self.book_dir, chapter), script, chapter.title, str(chapter.source),
                    auto=self.auto[index - 1])

    def _segment(self, script: Script, index: int, segment: int):
        if not 0 <= segment < len(script.segments):
            raise InputError(f"chapter {index} has no line {segment} (it has {len(script.segments)})")
        return script.segments[segment]

    def set_speaker(self, index: int, segment: int, speaker: str) -> None:
        """Make a line dialogue spoken by `speaker` (a known character or a new name)."""
        name = check_name(speaker)
        with self.lock:
            name = self._known_form(name)
            script = self.script(index)
            seg = self._segment(script, index, segment)
            changed = dataclasses.replace(seg, kind=DIALOGUE, speaker=name, rule=USER_RULE, confidence=1.0)
            self._edit(index, script, segment, changed, f"chapter {index} line {segment}: speaker {name}")

    def _known_form(self, name: str) -> str:
        """`name` as the book or the voice map spells it, when it is one of theirs typed in another case ("rory"
        for "Rory"): the same speaker, not a new one with a voice of its own."""
        if name.casefold() == NARRATOR_SPEAKER.casefold():
            return NARRATOR_SPEAKER
        cast = self.voices()
        known = [*speaker_stats(self.scripts()), *cast.speakers, *cast.aliases]
        if name in known:
            return name
        return next((k for k in known if k.casefold() == name.casefold()), name)

    def set_kind(self, index: int, segment: int, kind: str, speaker: str | None = None) -> None:
        """Turn a line into narration, or into dialogue (by `speaker`, else its automatic speaker)."""
        if kind not in (DIALOGUE, NARRATION):
            raise InputError(f'kind must be "dialogue" or "narration", found {kind!r}')
        with self.lock:
            script = self.script(index)
            seg = self._segment(script, index, segment)
            if kind == NARRATION:
                changed = dataclasses.replace(seg, kind=NARRATION, speaker=None, rule=USER_RULE, confidence=1.0)
            else:
                auto = self.auto[index - 1].segments[segment] if segment < len(self.auto[index - 1].segments) \
                    else None
                name = self._known_form(check_name(speaker)) if speaker else (
                    auto.speaker if auto and auto.speaker else None)
                if name is None:
                    raise InputError("a line turned into dialogue needs a speaker")
                changed = dataclasses.replace(seg, kind=DIALOGUE, speaker=name, rule=USER_RULE, confidence=1.0)
            self._edit(index, script, segment, changed, f"chapter {index} line {segment}: {kind}")

    def _edit(self, index: int, script: Script, segment: int, changed, label: str) -> None:
        segments = list(script.segments)
        segments[segment] = changed
        path = script_path(self.book_dir, self.chapter(index))
        with self._remembered(label, [path]):
            self._save(index, dataclasses.replace(script, segments=tuple(segments)))

    def merge(self, old: str, new: str) -> None:
        """Rename `old` to `new`, or merge it into `new` when that speaker exists: an alias in the voice map."""
        old, new = check_name(old), check_name(new)
        with self.lock:
            cast = self.voices()
            known = {*speaker_stats(self.scripts()), *cast.speakers, *cast.aliases}
            if old not in known:
                raise InputError(f"no speaker {old!r} in the book or its voice map")
            if old != new and cast.canonical(old) == cast.canonical(new):
                same = cast.canonical(old)
                raise InputError(f"{old!r} and {new!r} are already one speaker"
                                 + (f" ({same!r})" if same not in (old, new) else ""))
            voice = cast.speakers.get(cast.canonical(old)) or voice_of(self, old, cast)
            with self._remembered(f"{old} -> {new}", [self.voices_path]):
                merge_speaker(self.voices_path, old, new, voice)

    def set_voice(self, speaker: str | None, voice: Voice, was: dict | None = None) -> None:
        """Give `speaker` (None: the narrator) a new voice in the voice map. `was`: the voice the page showed
        (engine, voice, rate, pitch); if it is not the one the map gives now (another tab's change, a hand edit),
        nothing is written: StaleEdit."""
        from ..voices.casting import check_voices

        if speaker is not None:
            speaker = check_name(speaker)
        # An unknown voice is refused before anything is written, in the words of the table it was meant for.
        check_voices(VoiceMap(narrator=voice) if speaker is None else VoiceMap(speakers={speaker: voice}))
        with self.lock:
            self._ensure_map()
            if was is not None:
                cast = self.voices()
                now = _voice_dict(cast.narrator if speaker is None else cast.speakers.get(cast.canonical(speaker))
                                  or voice_of(self, speaker, cast))
                if {k: was.get(k) for k in now} != now:
                    raise StaleEdit(f"the voice of {speaker or 'the narrator'} changed since this page showed it "
                                    "(in another tab, or in the file): the page shows it again; do it once more")
            with self._remembered(f"voice of {speaker or 'the narrator'}", [self.voices_path]):
                set_voice(self.voices_path, speaker, voice)

    def undo(self) -> str:
        """Put back the files the last edit changed; returns what was undone (and can be redone)."""
        return self._step(self.undo_stack, self.redo_stack, "undo", back=True)

    def redo(self) -> str:
        """Make again the last edit undone; returns what was redone."""
        return self._step(self.redo_stack, self.undo_stack, "redo", back=False)

    def _step(self, source: list[Snapshot], target: list[Snapshot], what: str, back: bool) -> str:
        from ..audio.export import write_atomic

        with self.lock:
            if not source:
                raise InputError(f"nothing to {what}")
            snap = source[-1]
            before = tuple(content for _, content in snap.files)
            expected = snap.after if back else before
            for (path, _), now in zip(snap.files, expected, strict=True):
                if _bytes(path) != now:
                    # Changed since, by hand or by `narrate script`: writing the other version would lose that.
                    source.clear()
                    raise InputError(f"{path} changed outside the studio since \"{snap.label}\": not {what}ne "
                                     f"(that would lose the change); the {what} steps before it are dropped too")
            source.pop()
            wanted = before if back else snap.after
            for (path, _), content in zip(snap.files, wanted, strict=True):
                if content is None:
                    path.unlink(missing_ok=True)
                else:
                    write_atomic(path, content)
            target.append(snap)
            return snap.label


class StaleEdit(InputError):
    """An edit made on what the page showed, which is no longer so: refused (409), the page reads it again."""


def _bytes(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def check_name(name: object) -> str:
    """A speaker name as typed, tidied; InputError for an empty, over-long or control-character name."""
    if not isinstance(name, str):
        raise InputError(f"a speaker name must be a string, found {name!r}")
    tidy = " ".join(name.split())
    if not tidy:
        raise InputError("a speaker name cannot be empty")
    if len(tidy) > MAX_NAME:
        raise InputError(f"a speaker name has at most {MAX_NAME} characters")
    if any(not ch.isprintable() for ch in tidy):
        raise InputError("a speaker name cannot hold control characters")
    return tidy


def voice_of(ws: Workspace, speaker: str | None, cast: VoiceMap) -> Voice:
    """The voice `speaker` is read with: its own, else its gender's default (as the render plans it)."""
    from ..render.plan import voice_for

    genders = {c.name: c.gender for s in ws.scripts() for c in s.characters}
    return voice_for(speaker, cast, genders)


# What a book's reading looks at: its chapter texts, its settings and a cover (not notes, backups or drafts).
_BOOK_FILES = re.compile(r"(?i).*\.(?:txt|toml|jpe?g|png)")


def source_state(source: Path) -> tuple:
    """What changes when the files a book is read from do: each one's name, time and size (a folder's chapter
    texts, settings and cover; a single file and the settings file of the same name beside it)."""
    try:
        if source.is_dir():
            files = [p for p in source.iterdir() if not p.name.startswith(".") and _BOOK_FILES.fullmatch(p.name)]
        else:
            files = [p for p in (source, source.with_suffix(".toml")) if p.exists()]
        return tuple(sorted((p.name, st.st_mtime_ns, st.st_size) for p in files if p.is_file()
                            for st in [p.stat()]))
    except OSError:
        return ()


def _read_book(config: StudioConfig) -> tuple[Book, list[Script]]:
    """The book and its automatic attribution; its scripts written if they are missing or older than its text."""
    book = load_book(config.source)
    book_dir = config.out_dir / book.slug
    fresh = True
    for chapter in book.chapters:
        path = script_path(book_dir, chapter)
        if not path.is_file() or read_script_file(path).script.text != chapter.text:
            fresh = False
            break
    # Attributed once (the cache keeps it while the text is the same), for the script files and the studio.
    auto = script_book(book, cache_dir=default_cache_dir())
    if not fresh:
        write_scripts(book, config.out_dir, auto_scripts=auto)
    return book, auto


def open_workspace(config: StudioConfig) -> Workspace:
    """Read the book, write its scripts if they are missing or older than its text, and make sure a voice
    map exists to edit (as `narrate script` and `narrate cast` would)."""
    state = source_state(config.source)
    book, auto = _read_book(config)
    book_dir = config.out_dir / book.slug
    voices_path = config.voices_path or config.voices_dir / f"{book.slug}.toml"
    if not voices_path.is_file():
        _new_voice_map(voices_path, book, [read_script_file(script_path(book_dir, c)).script for c in book.chapters])
    return Workspace(config, book, auto, voices_path, source_state=state)


def _new_voice_map(path: Path, book: Book, scripts: list[Script]) -> None:
    """The voice map to edit, written as `narrate cast` writes one: the book's speakers, cast automatically."""
    update_voice_map_file(path, book.title, speaker_stats(scripts), language=book.language)


# -- views ------------------------------------------------------------------------------------

def has_words(text: str) -> bool:
    return bool(_WORD.search(text))


def rendered_lines(ws: Workspace, index: int, script: Script, cast: VoiceMap) -> dict[int, dict]:
    """Segment index -> its manifest entry (start_ms, end_ms, voice...) in the chapter's rendered MP3.

    The manifest lists the lines as planned when it was rendered; they are matched to the script's
    segments by planning the chapter again and pairing lines of equal text in order.
    """
    entry = chapter_entry(ws, index)
    if entry is None:
        return {}
    placed = [s for s in entry.get("segments", []) if s.get("role") != "title"]
    lines = [ln for ln in plan_chapter(ws.chapter(index), script, cast) if ln.segment_index is not None]
    out: dict[int, dict] = {}
    k = 0
    for line in lines:
        while k < len(placed) and placed[k].get("text") != line.text:
            k += 1
        if k == len(placed):
            break
        out[line.segment_index] = placed[k]
        k += 1
    return out


def chapter_entry(ws: Workspace, index: int) -> dict | None:
    """The chapter's entry in book.json, when it has been rendered and its MP3 is there."""
    chapter = ws.chapter(index)
    for entry in load_manifest(ws.book_dir).get("chapters", []):
        if isinstance(entry, dict) and entry.get("index") == index and entry.get("title") == chapter.title:
            return entry
    return None


def chapter_lines(ws: Workspace, index: int, cast: VoiceMap | None = None) -> dict:
    """A chapter's lines for the page: text, kind, speaker, confidence, and where it sounds if rendered."""
    from ..render.plan import voice_for

    cast = cast or ws.voices()
    script = ws.script(index)
    heard = rendered_lines(ws, index, script, cast)
    genders = {c.name: c.gender for c in script.characters}
    body_start = ws.chapter(index).body_start
    out = []
    for i, seg in enumerate(script.segments):
        speaker = cast.canonical(seg.speaker) if seg.kind == DIALOGUE and seg.speaker else None
        voice = voice_for(speaker, cast, genders) if seg.kind == DIALOGUE else cast.narrator
        at = heard.get(i)
        out.append({
            "i": i, "kind": seg.kind, "text": seg.text, "paragraph": seg.paragraph,
            "speaker": speaker, "named": seg.speaker, "rule": seg.rule, "confidence": seg.confidence,
            "doubtful": seg.kind == DIALOGUE and seg.confidence is not None and seg.confidence < DOUBTFUL,
            # The heading is read as the chapter's title, not as a line of its own.
            "words": has_words(seg.text) and seg.end > body_start, "voice": voice.voice,
            "start_ms": at["start_ms"] if at else None, "end_ms": at["end_ms"] if at else None,
            # Heard as it is now only if the render used the voice the line has now.
            "fresh": bool(at) and at.get("voice") == voice.voice and at.get("engine") == voice.engine
            # (rate and pitch are in book.json since audio-2; older renders are taken as they say)
            and at.get("rate", voice.rate) == voice.rate and at.get("pitch", voice.pitch) == voice.pitch,
        })
    return {"index": index, "title": ws.chapter(index).title, "lines": out}


def pending(ws: Workspace, cast: VoiceMap | None = None) -> list[int]:
    """The chapters a render would encode now (never rendered, or changed since), as render_book decides it."""
    from ..render.pipeline import pending_chapters

    return pending_chapters(ws.book, ws.scripts(), cast or ws.voices(), ws.render_options())


def chapter_summaries(ws: Workspace) -> list[dict]:
    """Every chapter with its progress: lines, doubtful lines, rendered and whether edits wait for a render."""
    cast = ws.voices()
    waiting = set(pending(ws, cast))
    out = []
    for chapter in ws.book.chapters:
        view = chapter_lines(ws, chapter.index, cast)
        spoken = [ln for ln in view["lines"] if ln["words"]]
        rendered = chapter_entry(ws, chapter.index) is not None
        out.append({
            "index": chapter.index, "title": chapter.title,
            "lines": sum(ln["kind"] == DIALOGUE for ln in spoken), "segments": len(spoken),
            "doubtful": sum(ln["doubtful"] for ln in spoken), "rendered": rendered,
            "stale": rendered and chapter.index in waiting,
        })
    return out


def cast_view(ws: Workspace) -> dict:
    """The voice map as rows (narrator first, then speakers by lines), with each speaker's line count and aliases."""
    cast = ws.voices()
    stats = speaker_stats([ws.script(c.index) for c in ws.book.chapters])
    lines: dict[str, int] = {}
    for name, info in stats.items():
        lines[cast.canonical(name)] = lines.get(cast.canonical(name), 0) + info["lines"]
    aliases: dict[str, list[str]] = {}
    for alias, owner in cast.aliases.items():
        aliases.setdefault(owner, []).append(alias)
    rows = [{"speaker": None, "lines": None, "aliases": [], **_voice_dict(cast.narrator)}]
    names = sorted(set(lines) | set(cast.speakers), key=lambda n: (-lines.get(n, 0), n))
    for name in names:
        voice = cast.speakers.get(name) or voice_of(ws, name, cast)
        rows.append({"speaker": name, "lines": lines.get(name, 0), "aliases": sorted(aliases.get(name, [])),
                     "own": name in cast.speakers, **_voice_dict(voice)})
    return {"file": str(ws.voices_path), "rows": rows}


def _voice_dict(voice: Voice) -> dict:
    return {"engine": voice.engine, "voice": voice.voice, "rate": voice.rate, "pitch": voice.pitch}
