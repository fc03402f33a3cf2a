"""Audio settings: pauses and loudness targets, plain data that a render's plan needs without any audio code."""

from __future__ import annotations

from dataclasses import dataclass, fields

from ..model import TITLE, Line


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
                # A silent turn ('"..."'): its own turn's pause, then the next one's.
                "beat": 2 * self.speaker_ms,
                "scene": self.scene_ms}[line.pause_before]


@dataclass(frozen=True)
class LoudnessTarget:
    """Where a chapter's level should land."""

    lufs: float | None = -19.0
    """Integrated loudness target; None to aim at `rms_db` instead."""
    rms_db: float | None = None
    """Whole-file RMS target in dBFS (the ACX rule), used when `lufs` is None."""
    peak_db: float = -1.5
    """Sample peak ceiling in dBFS."""
