"""Data model: frozen dataclasses passed between the pipeline stages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

NARRATION = "narration"
DIALOGUE = "dialogue"
SegmentKind = Literal["narration", "dialogue"]

Gender = Literal["male", "female", "unknown"]

NARRATOR_SPEAKER = "Narrator"
"""The speaker of a first-person narrator's lines: read in the narrator's voice, never a character."""
TITLE = "title"
"""The kind of a planned Line that reads the chapter title."""

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]+")  # gone: "Bad\x07Title" is BadTitle
_BREAKS = re.compile(r"[\t\x0b\x0c\r\x1c-\x1f\x85]")  # spaces: "Chapter\x0c One" is Chapter One


def full_title(title: str, subtitle: str | None) -> str:
    """A chapter's title and subtitle as one line: "CHAPTER I." and "THE WEDDING" -> "CHAPTER I. THE WEDDING"."""
    if not subtitle:
        return title
    return (title if title.endswith(("?", "!")) else title.rstrip(" .:")) + ". " + subtitle


def display_text(text: str, *, lines: bool = False) -> str:
    """A title, name or description as tags, feeds and book.json may carry it: control characters
    (a bell or an escape sequence's ESC) are dropped, separators (a form feed from a text file) read
    as spaces, runs of spaces as one, ends trimmed. With `lines`, line breaks stay (a description's
    paragraphs); without, they are spaces too."""
    text = _BREAKS.sub(" ", _CONTROL.sub("", text))
    if lines:
        return "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()
    return " ".join(text.split())


def _clean(obj: object, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, str):
            object.__setattr__(obj, name, display_text(value, lines=name == "description"))


@dataclass(frozen=True)
class Segment:
    """A contiguous span of a chapter's text, read by one voice.

    `start`/`end` are Python str offsets into the chapter text (end exclusive) and
    `text == chapter_text[start:end]`. A chapter's segments are ordered and cover the
    whole text without gaps; dialogue spans exclude their quote marks, which belong to
    the narration around them. `paragraph` numbers paragraphs from 0 so later stages
    can pause at paragraph ends.
    """

    kind: SegmentKind
    start: int
    end: int
    text: str
    paragraph: int = 0
    speaker: str | None = None
    rule: str | None = None
    """How the speaker was decided (e.g. "tag-name", "turn-taking"); None for narration."""
    confidence: float | None = None
    """0..1, how sure the attribution is; None for narration."""


@dataclass(frozen=True)
class Character:
    """A speaker discovered in a text, with the other names it goes by."""

    name: str
    gender: Gender = "unknown"
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Script:
    """A chapter's text split into attributed segments, plus the characters found."""

    text: str
    segments: tuple[Segment, ...]
    characters: tuple[Character, ...] = ()

    def speakers(self) -> list[dict]:
        """Speakers with at least one line: name, gender and number of dialogue segments."""
        lines: dict[str, int] = {}
        for seg in self.segments:
            if seg.kind == DIALOGUE and seg.speaker:
                lines[seg.speaker] = lines.get(seg.speaker, 0) + 1
        genders = {c.name: c.gender for c in self.characters}
        aliases = {c.name: list(c.aliases) for c in self.characters}
        return [
            {"name": name, "gender": genders.get(name, "unknown"), "lines": n,
             "aliases": aliases.get(name, [])}
            for name, n in sorted(lines.items(), key=lambda kv: (-kv[1], kv[0]))
        ]

    def to_json(self) -> dict:
        """The public `narrate script --json` shape (stable contract; fields may be added)."""
        return {
            "segments": [
                {
                    "kind": s.kind,
                    "text": s.text,
                    "speaker": s.speaker,
                    "start": s.start,
                    "end": s.end,
                    "paragraph": s.paragraph,
                    "rule": s.rule,
                    "confidence": s.confidence,
                }
                for s in self.segments
            ],
            "speakers": self.speakers(),
        }


@dataclass(frozen=True)
class SectionMark:
    """Where a titled section starts inside a chapter's text (a chapter mark inside its MP3)."""

    start: int
    """Offset in the chapter text of the section's first paragraph."""
    title: str

    def __post_init__(self) -> None:
        _clean(self, "title")


@dataclass(frozen=True)
class Chapter:
    """One chapter of a book: its source text, title and where the body starts."""

    index: int
    """1-based position in the book."""
    title: str
    text: str
    source: Path
    subtitle: str | None = None
    body_start: int = 0
    """Offset in `text` after the heading lines, which are read as the title instead."""
    slug: str = ""
    """Safe file stem for outputs, e.g. "01-come-away-with-me"."""
    sections: tuple[SectionMark, ...] = ()
    """Titled sections after body_start (an EPUB's deeper contents entries, inner headings), in text order.
    Scene breaks ("* * *") start untitled sections of their own."""
    cut: str = "file"
    """Where the chapter's start came from: "file", "nav" (EPUB 3 contents), "ncx" (EPUB 2 contents),
    "heading" or "document"."""
    files: tuple[str, ...] = ()
    """The documents inside an EPUB the text comes from, in reading order; empty for a text file."""

    def __post_init__(self) -> None:
        _clean(self, "title", "subtitle")


@dataclass(frozen=True)
class Book:
    """A book: metadata plus chapters in reading order."""

    slug: str
    title: str
    author: str
    chapters: tuple[Chapter, ...]
    language: str = "en"
    description: str = ""
    cover: Path | None = None
    source: Path | None = None
    pacing: dict = field(default_factory=dict)
    """Pause lengths from book.toml [pacing] (validated by the stitch stage)."""
    pronunciations: tuple[tuple[str, str], ...] = ()
    """book.toml [pronunciations]: (word, respelling or "[[phonemes]]") pairs, validated (see text.lexicon)."""
    settings_file: Path | None = None

    def __post_init__(self) -> None:
        _clean(self, "title", "author", "description")


@dataclass(frozen=True)
class Voice:
    """How one speaker sounds: engine name plus engine-specific voice and prosody."""

    engine: str = "espeak"
    voice: str = "en-us+m3"
    rate: int = 175
    """Words per minute."""
    pitch: int = 50
    """0..100, engine-relative (espeak: 50 is the voice's normal pitch)."""
    pronunciations: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)
    """The voice map entry's own [pronunciations], over the book's. Not part of how the voice sounds: it
    changes the text a line hands the engine (Line.spoken), so only lines with a listed word change."""

    def key(self) -> tuple:
        return (self.engine, self.voice, self.rate, self.pitch)


@dataclass(frozen=True)
class VoiceMap:
    """The cast: a narrator voice and one voice per speaker name, plus aliases."""

    narrator: Voice = field(default_factory=Voice)
    speakers: dict[str, Voice] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    """alias -> canonical speaker name (book-wide renames and merges)."""
    default_male: Voice | None = None
    default_female: Voice | None = None
    default_unknown: Voice | None = None
    source: Path | None = None
    adjusted: dict[str, dict[str, int]] = field(default_factory=dict)
    """speaker -> rate and/or pitch set on the automatic voice (a [speakers."Name"] table with no voice)."""
    genders: dict[str, str] = field(default_factory=dict)
    """speaker -> "male" or "female" as the map says, over the book's guess (the automatic voice follows it)."""

    def canonical(self, speaker: str) -> str:
        """The speaker name `speaker` is another name of (an alias matches in any case: "anna" is the book's
        "Anna"), or `speaker` itself."""
        if speaker in self.aliases:
            return self.aliases[speaker]
        folded = speaker.casefold()
        return next((name for alias, name in self.aliases.items() if alias.casefold() == folded), speaker)


@dataclass(frozen=True)
class Line:
    """One thing to say: a segment (or the chapter title) with its voice and the pause before it."""

    kind: str
    """"narration", "dialogue" or "title"."""
    text: str
    voice: Voice
    speaker: str | None
    paragraph: int
    pause_before: str
    """"head", "segment", "paragraph", "speaker", "beat" (after a silent turn: '"..."'), "scene" or "title" —
    resolved to ms by the stitcher."""
    segment_index: int | None = None
    """Index into the script's segments (None for the title)."""
    section: str | None = None
    """The title of the chapter's section that starts with this line (None: no titled section starts here)."""
    spoken: str | None = None
    """What the engine is handed when the pronunciation lexicon changed `text` (None: `text` itself).
    `text` stays what the book says: book.json and scripts show it."""

    @property
    def said(self) -> str:
        """The text to synthesize: `spoken` if the lexicon changed the line, else `text`."""
        return self.text if self.spoken is None else self.spoken
