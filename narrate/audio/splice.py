"""Export stage: a chapter spliced from MP3 pieces on a whole-frame timeline, with exact start times."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import BinaryIO

from .export import MP3_DELAY_SAMPLES
from .pieces import frame_samples


class Placer:
    """Where each piece's first frame goes, given the pauses the pacing asks for.

    The timeline the pacing describes (in decoded samples) is followed exactly; each piece is
    put on the whole frame nearest to where it belongs, so the rounding error is carried
    forward instead of adding up, and no piece ever starts before the previous one ends.
    """

    def __init__(self, rate: int, head_samples: int) -> None:
        self.spf = frame_samples(rate)
        self.ideal = MP3_DELAY_SAMPLES + head_samples  # where the next piece's first sample belongs
        self.cursor = 0  # frames used so far

    def pause(self, samples: int) -> None:
        self.ideal += samples

    def place(self, n_samples: int, n_frames: int) -> tuple[int, int]:
        """Put a piece of `n_samples` in `n_frames`; return (silent frames before it, decoded sample where it sounds)."""
        frame = max(self.cursor, round((self.ideal - MP3_DELAY_SAMPLES) / self.spf))
        gap = frame - self.cursor
        self.cursor = frame + n_frames
        self.ideal += n_samples
        return gap, frame * self.spf + MP3_DELAY_SAMPLES

    def end(self, tail_samples: int) -> int:
        """Frames of silence to close the chapter `tail_samples` after the last piece."""
        last = max(self.cursor, math.ceil((self.ideal + tail_samples) / self.spf))
        gap = last - self.cursor
        self.cursor = last
        return gap


class Splicer:
    """Writes pieces' frames into `out` where a Placer puts them, filling the gaps with `gap_frames(n)`."""

    def __init__(self, out: BinaryIO, rate: int, head_samples: int, gap_frames: Callable[[int], bytes]) -> None:
        self.out = out
        self.placer = Placer(rate, head_samples)
        self.gap_frames = gap_frames

    def pause(self, samples: int) -> None:
        self.placer.pause(samples)

    def piece(self, frames: bytes, n_frames: int, n_samples: int) -> int:
        """Write one piece; return the decoded sample where its first sample sounds."""
        gap, start = self.placer.place(n_samples, n_frames)
        if gap:
            self.out.write(self.gap_frames(gap))
        self.out.write(frames)
        return start

    def finish(self, tail_samples: int) -> int:
        """Close the chapter; return its length in decoded samples."""
        gap = self.placer.end(tail_samples)
        if gap:
            self.out.write(self.gap_frames(gap))
        return self.placer.cursor * self.placer.spf
