"""Audio values: pydub import, numpy conversions, trimming and levelling of clips."""

from __future__ import annotations

import math
import warnings

import numpy as np

with warnings.catch_warnings():
    # pydub warns at import when no ffmpeg is on PATH; narrate never asks pydub to run one.
    warnings.simplefilter("ignore", RuntimeWarning)
    from pydub import AudioSegment

__all__ = ["AudioSegment", "from_samples", "level", "rms_dbfs", "samples", "silence", "trim"]

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


def rms_dbfs(audio: AudioSegment, frame_ms: int = 20, gate: float = 0.02) -> float:
    """RMS level in dBFS over the frames that carry sound (pauses are not counted)."""
    x = samples(audio).astype(np.float64) / FULL_SCALE
    n = max(1, int(audio.frame_rate * frame_ms / 1000))
    usable = x[: x.size - x.size % n].reshape(-1, n) if x.size >= n else x.reshape(1, -1)
    if usable.size == 0:
        return -math.inf
    frame_rms = np.sqrt((usable ** 2).mean(axis=1))
    voiced = frame_rms[frame_rms > gate * frame_rms.max()] if frame_rms.max() > 0 else frame_rms
    power = float((voiced ** 2).mean()) if voiced.size else 0.0
    return 10 * math.log10(power) if power > 0 else -math.inf


def level(audio: AudioSegment, target_dbfs: float) -> AudioSegment:
    """Gain `audio` so its voiced RMS is `target_dbfs` (evens out voices and sentences)."""
    current = rms_dbfs(audio)
    if not math.isfinite(current):
        return audio
    return audio.apply_gain(target_dbfs - current)
