"""Audio values: pydub import, numpy conversions, conforming and trimming of clips."""

from __future__ import annotations

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
    x = samples(audio)
    if x.size == 0:
        return audio
    loud = np.flatnonzero(np.abs(x.astype(np.int32)) > threshold * FULL_SCALE)
    if loud.size == 0:
        return audio[:0]
    margin = int(audio.frame_rate * margin_ms / 1000)
    a = max(0, loud[0] - margin)
    b = min(x.size, loud[-1] + 1 + margin)
    return from_samples(x[a:b], audio.frame_rate)
