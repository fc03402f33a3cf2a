"""Audio values: pydub import, numpy conversions, conforming and trimming of clips."""

from __future__ import annotations

import math
import warnings

import numpy as np

with warnings.catch_warnings():
    # pydub warns at import when no ffmpeg is on PATH; narrate never asks pydub to run one.
    warnings.simplefilter("ignore", RuntimeWarning)
    from pydub import AudioSegment

__all__ = ["AudioSegment", "from_samples", "samples", "silence", "trim"]

FULL_SCALE = 32768.0


def samples(audio: AudioSegment) -> np.ndarray:
    """Mono int16 samples of `audio` as a numpy array (a copy)."""
    return np.frombuffer(audio.raw_data, dtype=np.int16).copy()


def from_samples(data: np.ndarray, frame_rate: int) -> AudioSegment:
    """A mono 16-bit AudioSegment from float or int samples (floats are clipped to int16)."""
    if data.dtype != np.int16:
        data = np.clip(np.round(data), -32768, 32767).astype(np.int16)
    return AudioSegment(data=data.tobytes(), sample_width=2, frame_rate=frame_rate, channels=1)


def silence(ms: int, frame_rate: int) -> AudioSegment:
    return AudioSegment.silent(duration=ms, frame_rate=frame_rate).set_sample_width(2).set_channels(1)


def conform(audio: AudioSegment, frame_rate: int) -> AudioSegment:
    """Mono, 16-bit, at `frame_rate` (engines differ; the chapter has one format)."""
    if audio.channels != 1:
        audio = audio.set_channels(1)
    if audio.sample_width != 2:
        audio = audio.set_sample_width(2)
    if audio.frame_rate != frame_rate:
        audio = audio.set_frame_rate(frame_rate)
    return audio


def trim(audio: AudioSegment, threshold: float = 0.01, margin_ms: int = 15) -> AudioSegment:
    """Cut leading and trailing near-silence so pauses are ours, not the engine's."""
    x = np.frombuffer(audio.raw_data, dtype=np.int16)
    if x.size == 0:
        return audio
    # |sample| > threshold * FULL_SCALE is, for integer samples, |sample| > its floor.
    over = max(-1, math.floor(threshold * FULL_SCALE))
    first = _loud_edge(x, over, forward=True) if over < FULL_SCALE else -1
    if first < 0:
        return audio[:0]
    last = _loud_edge(x, over, forward=False)
    margin = int(audio.frame_rate * margin_ms / 1000)
    a = max(0, first - margin)
    b = min(x.size, last + 1 + margin)
    return audio if a == 0 and b == x.size else from_samples(x[a:b], audio.frame_rate)


TRIM_SCAN = 4096
"""Samples looked at per step when trim looks for a clip's first or last loud sample."""


def _loud_edge(x: np.ndarray, over: int, forward: bool) -> int:
    """The index of the first (or last) sample of int16 `x` whose magnitude exceeds `over`, or -1.

    Looked for from that end a block at a time: an engine's silence at the ends is short, so most of
    a clip is never scanned (a mask of the whole clip cost ~1% of a chapter's CPU).
    """
    starts = range(0, x.size, TRIM_SCAN) if forward else range((x.size - 1) // TRIM_SCAN * TRIM_SCAN, -1, -TRIM_SCAN)
    for start in starts:
        block = x[start:start + TRIM_SCAN]
        hits = np.flatnonzero((block > over) | (block < -over))
        if hits.size:
            return start + int(hits[0] if forward else hits[-1])
    return -1
