"""Stitching stage: sentence clips + pauses -> one chapter's audio and a timeline measured on it."""

from __future__ import annotations

from dataclasses import dataclass, fields

from .audio import AudioSegment, silence
from .plan import TITLE, Line


@dataclass(frozen=True)
class Pacing:
    """Pauses in milliseconds. Configurable per book (book.toml [pacing]) or on the command line."""

    sentence_ms: int = 280
    """Between sentences of one segment."""
    segment_ms: int = 220
    """Between segments of one paragraph (narration and a quote inside it)."""
    paragraph_ms: int = 700
    """At the end of a paragraph."""
    speaker_ms: int = 850
    """When the voice changes between paragraphs (a new speaker takes the turn)."""
    scene_ms: int = 2000
    """At a scene break ("* * *")."""
    title_ms: int = 1200
    """After the chapter title."""
    head_ms: int = 700
    """Room tone before the title."""
    tail_ms: int = 2000
    """Room tone after the last word."""

    @classmethod
    def from_dict(cls, data: dict, where: str = "pacing") -> Pacing:
        known = {f.name for f in fields(cls)}
        for key, value in data.items():
            if key not in known:
                raise ValueError(f"{where}: unknown key {key!r} (expected one of {', '.join(sorted(known))})")
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 60000:
                raise ValueError(f"{where}: {key} must be an integer number of ms from 0 to 60000, found {value!r}")
        return cls(**data)

    def before(self, line: Line) -> int:
        return {"head": self.head_ms, TITLE: self.title_ms, "segment": self.segment_ms,
                "paragraph": self.paragraph_ms, "speaker": self.speaker_ms,
                "scene": self.scene_ms}[line.pause_before]


@dataclass(frozen=True)
class Placed:
    """Where a line sounds in the stitched chapter."""

    line: Line
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Stitched:
    audio: AudioSegment
    placed: tuple[Placed, ...]
    scene_starts_ms: tuple[int, ...]
    """Start of each section after a scene break (where a new CHAP begins)."""


def _ms(frames: int, rate: int) -> int:
    return round(frames * 1000 / rate)


def stitch(lines: list[Line], clips: list[list[AudioSegment]], pacing: Pacing, frame_rate: int) -> Stitched:
    """Join each line's sentence clips with the pacing's pauses; times come from the joined frames."""
    parts: list[bytes] = []
    frames = 0
    placed = []
    scene_starts = []

    def add(audio: AudioSegment) -> None:
        nonlocal frames
        parts.append(audio.raw_data)
        frames += int(audio.frame_count())

    for line, line_clips in zip(lines, clips, strict=True):
        if not line_clips:
            continue
        pause = pacing.before(line)
        if pause:
            add(silence(pause, frame_rate))
        if line.pause_before == "scene":
            # The section starts in the middle of the pause, so a skip lands just before the words.
            scene_starts.append(_ms(frames, frame_rate) - pause // 2)
        start = frames
        for j, clip in enumerate(line_clips):
            if j:
                add(silence(pacing.sentence_ms, frame_rate))
            add(clip)
        placed.append(Placed(line, _ms(start, frame_rate), _ms(frames, frame_rate)))
    add(silence(pacing.tail_ms, frame_rate))
    audio = AudioSegment(data=b"".join(parts), sample_width=2, frame_rate=frame_rate, channels=1)
    return Stitched(audio, tuple(placed), tuple(scene_starts))
