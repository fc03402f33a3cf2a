"""Stitching stage: sentence clips + pauses -> one chapter's audio and a timeline measured on it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import Line
from .settings import Pacing
from .values import AudioSegment, from_samples


@dataclass(frozen=True)
class Placed:
    """Where a line sounds in the stitched chapter."""

    line: Line
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Stitched:
    """A stitched chapter: mono int16 samples, and where each line and scene sounds in them."""

    samples: np.ndarray
    frame_rate: int
    placed: tuple[Placed, ...]
    scene_starts_ms: tuple[int, ...]
    """Start of each section after a scene break (where a new CHAP begins)."""

    @property
    def duration_ms(self) -> int:
        return _ms(self.samples.size, self.frame_rate)

    @property
    def audio(self) -> AudioSegment:
        """The samples as a pydub value (a copy; for small chapters and tests)."""
        return from_samples(self.samples, self.frame_rate)


ROOM_TONE_TILE = 1 << 16
"""Samples of noise generated once and repeated: a constant floor without a chapter-sized noise array."""
ROOM_TONE_CHUNK = 1 << 20


def room_tone(level_db: float, n: int = ROOM_TONE_TILE) -> np.ndarray:
    """`n` samples of soft (1/f, "pink") noise at `level_db` dBFS RMS, the same every time."""
    rng = np.random.default_rng(0x726F6F6D)  # fixed: a render is repeatable
    spectrum = np.fft.rfft(rng.standard_normal(n))
    # Pink above n/256 bins (86 Hz at 22.05 kHz), flat below: a deep rumble would make the
    # floor swell and fade from one second to the next.
    spectrum /= np.sqrt(np.maximum(np.arange(spectrum.size), n // 256))
    spectrum[0] = 0.0  # no DC offset
    noise = np.fft.irfft(spectrum, n)  # periodic, so repeated tiles join without a click
    return noise * (32768 * 10 ** (level_db / 20) / np.sqrt(np.mean(noise ** 2)))


def add_room_tone(x: np.ndarray, level_db: float) -> None:
    """Add a constant noise floor at `level_db` dBFS RMS to int16 samples `x`, in place.

    ACX asks for room tone in the head, tail and pauses: digital silence sounds like a drop-out
    and is flagged. The floor runs under the speech too, as in a real room.
    """
    tile = room_tone(level_db)
    for start in range(0, x.size, ROOM_TONE_CHUNK):
        part = x[start:start + ROOM_TONE_CHUNK]
        noise = np.resize(np.roll(tile, -(start % tile.size)), part.size)
        part[:] = np.clip(np.rint(part + noise), -32768, 32767)


def _ms(frames: int, rate: int) -> int:
    return round(frames * 1000 / rate)


def _frames(ms: int, rate: int) -> int:
    return int(rate * ms / 1000)


def stitch(lines: list[Line], clips: list[list[AudioSegment]], pacing: Pacing, frame_rate: int) -> Stitched:
    """Join each line's sentence clips with the pacing's pauses; times come from the joined frames.

    The chapter is written into one preallocated array (pauses are its zeros), so stitching
    costs one chapter of memory, not two.
    """
    # First pass: where everything goes, in frames.
    layout: list[tuple[int, AudioSegment]] = []
    placed, scene_starts = [], []
    frames = 0
    for line, line_clips in zip(lines, clips, strict=True):
        if not line_clips:
            continue
        pause = pacing.before(line)
        frames += _frames(pause, frame_rate)
        if line.pause_before == "scene":
            # The section starts in the middle of the pause, so a skip lands just before the words.
            scene_starts.append(_ms(frames, frame_rate) - pause // 2)
        start = frames
        for j, clip in enumerate(line_clips):
            if j:
                frames += _frames(pacing.sentence_ms, frame_rate)
            layout.append((frames, clip))
            frames += int(clip.frame_count())
        placed.append(Placed(line, _ms(start, frame_rate), _ms(frames, frame_rate)))
    frames += _frames(pacing.tail_ms, frame_rate)
    out = np.zeros(frames, dtype=np.int16)
    for at, clip in layout:
        data = np.frombuffer(clip.raw_data, dtype=np.int16)
        out[at:at + data.size] = data
    return Stitched(out, frame_rate, tuple(placed), tuple(scene_starts))
