"""Planning stage: an attributed script + a voice map -> the ordered lines to speak and where to pause."""

from __future__ import annotations

import dataclasses
import re

from ..model import DIALOGUE, NARRATOR_SPEAKER, TITLE, Chapter, Line, Script, Voice, VoiceMap, full_title
from ..text.lexicon import Lexicon
from ..text.reading import read_aloud
from ..text.segment import is_scene_break

_WORD = re.compile(r"\w")
# The quotation marks a narration segment keeps at an edge next to a speech belong to that speech
# ('Jess whispered "', '" He wiped away her tears'): book.json and the transcripts show the narration without
# them. Only marks set off from the words by a space or a line end: "'Twas", 'reading "Ulysses"' keep theirs.
_MARK = "[\"\u201c\u201d\u201e\u00ab\u00bb'\u2018\u2019]"
_LEADING_MARKS = re.compile(r"^\s*" + _MARK + r"+(?=\s|$)")
_TRAILING_MARKS = re.compile(r"(?:^|(?<=\s))" + _MARK + r"+\s*$")
# A quotation of nothing but an ellipsis or a dash, a paragraph of its own ('"..."', '“—”'): someone
# says nothing, a beat the writer wrote. It is heard as a silent turn: a longer pause before the next line.
_SILENT_TURN = re.compile(r"^\s*" + _MARK + r"\s*(?:…|\.\s*\.\s*\.|[—–-])[\s.…—–?!-]*" + _MARK
                          + r"\s*$")



def voice_for(speaker: str | None, voices: VoiceMap, genders: dict[str, str]) -> Voice:
    """The voice for a speaker: its own entry, else its gender's default, else the narrator."""
    if speaker is None:
        return voices.narrator  # an unattributed quote
    name = voices.canonical(speaker)
    if name in voices.speakers:
        return voices.speakers[name]
    if name == NARRATOR_SPEAKER:
        return voices.narrator  # a first-person narrator speaks in the narration voice
    gender = genders.get(name, "unknown")
    fallback = {"male": voices.default_male, "female": voices.default_female}.get(gender)
    return fallback or voices.default_unknown or voices.narrator


class Pronouncer:
    """What a line's voice is handed: its text through the book's lexicon with the voice's own entries over it,
    then read aloud (text.reading)."""

    def __init__(self, book_entries: tuple[tuple[str, str], ...] = ()) -> None:
        self.book = Lexicon(tuple(book_entries))
        self._by_voice: dict[tuple, Lexicon] = {}

    def spoken(self, text: str, voice: Voice) -> str | None:
        """What `voice` is handed for `text`, or None when the lexicon changes nothing."""
        lexicon = self._by_voice.get(voice.pronunciations)
        if lexicon is None:
            lexicon = self._by_voice[voice.pronunciations] = Lexicon(voice.pronunciations).over(self.book)
        # The book's and the voice's own pronunciations first (an entry for "Henry V" or "p.m." must meet the text
        # as written), then the text is read aloud (emphasis marks, footnote signs, "Chapter II") around what
        # they put in: espeak phoneme blocks pass untouched.
        said = read_aloud(lexicon.apply(text))
        return None if said == text else said


def _with_pronunciation(line: Line, pronouncer: Pronouncer | None) -> Line:
    if pronouncer is None:
        return line
    spoken = pronouncer.spoken(line.text, line.voice)
    return line if spoken is None else dataclasses.replace(line, spoken=spoken)


def _quote_beside(script: Script, j: int, paragraph: int) -> bool:
    """Whether segment `j` is a quotation whose marks the narration beside it holds: dialogue, or
    any segment within the same paragraph (a quote the user made narration: its marks are still
    in the narration around it, and '" He wiped' would be shown and captioned so)."""
    if not 0 <= j < len(script.segments):
        return False
    other = script.segments[j]
    return other.kind == DIALOGUE or other.paragraph == paragraph


def plan_chapter(chapter: Chapter, script: Script, voices: VoiceMap,
                 pronouncer: Pronouncer | None = None) -> list[Line]:
    """Lines in reading order: the title first, then every segment with words after the heading.

    A line that opens one of the chapter's titled sections carries its title and the scene pause.
    `pronouncer` (the book's [pronunciations] and the voices' own) sets each changed line's `spoken`.
    """
    genders = {c.name: c.gender for c in script.characters}
    title_text = full_title(chapter.title, chapter.subtitle)
    lines = [Line(TITLE, title_text, voices.narrator, None, -1, "head")]
    prev_para, prev_voice_owner = -1, None
    pending_scene = pending_beat = False
    marks = sorted(chapter.sections, key=lambda m: m.start)
    next_mark, pending_section = 0, None
    for i, seg in enumerate(script.segments):
        while next_mark < len(marks) and marks[next_mark].start < seg.end:
            pending_section = marks[next_mark].title
            next_mark += 1
        if seg.end <= chapter.body_start:
            pending_section = None  # a section at the very start is the chapter itself
            continue
        text = seg.text if seg.start >= chapter.body_start else seg.text[chapter.body_start - seg.start:]
        if seg.kind != DIALOGUE and is_scene_break(text):
            pending_scene = True
            continue
        if not _WORD.search(text):
            pending_beat = pending_beat or bool(_SILENT_TURN.match(text))
            continue
        if seg.kind != DIALOGUE:
            if _quote_beside(script, i - 1, seg.paragraph):
                text = _LEADING_MARKS.sub("", text)
            if _quote_beside(script, i + 1, seg.paragraph):
                text = _TRAILING_MARKS.sub("", text)
            text = text.strip()
        speaker = voices.canonical(seg.speaker) if seg.kind == DIALOGUE and seg.speaker else None
        owner = speaker if seg.kind == DIALOGUE else None
        section = None
        if len(lines) == 1:
            pause = TITLE
        elif pending_scene or pending_section:
            pause = "scene"
            section = pending_section
        elif pending_beat and seg.paragraph != prev_para:
            pause = "beat"
        elif seg.paragraph != prev_para:
            pause = "speaker" if owner != prev_voice_owner else "paragraph"
        else:
            pause = "segment"
        lines.append(Line(seg.kind, text, voice_for(speaker, voices, genders) if seg.kind == DIALOGUE
                          else voices.narrator, speaker, seg.paragraph, pause, i, section))
        pending_scene, pending_section, pending_beat = False, None, False
        prev_para, prev_voice_owner = seg.paragraph, owner
    return [_with_pronunciation(line, pronouncer) for line in lines]
