"""Loudness stage: ITU-R BS.1770 integrated loudness, normalization and a peak limiter."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .audio import FULL_SCALE, AudioSegment, from_samples, samples

BLOCK_S = 0.4
STEP_S = 0.1  # 75% overlap of 400 ms gating blocks
ABSOLUTE_GATE = -70.0
MP3_PEAK_MARGIN_DB = 1.0


def _biquad(kind: str, gain_db: float, q: float, fc: float, rate: int) -> tuple[np.ndarray, np.ndarray]:
    # RBJ cookbook biquads with the BS.1770 K-weighting parameters (as pyloudnorm uses).
    a_ = 10 ** (gain_db / 40.0)
    w0 = 2.0 * math.pi * fc / rate
    alpha = math.sin(w0) / (2.0 * q)
    cos = math.cos(w0)
    if kind == "high_shelf":
        sq = 2 * math.sqrt(a_) * alpha
        b = [a_ * ((a_ + 1) + (a_ - 1) * cos + sq), -2 * a_ * ((a_ - 1) + (a_ + 1) * cos),
             a_ * ((a_ + 1) + (a_ - 1) * cos - sq)]
        a = [(a_ + 1) - (a_ - 1) * cos + sq, 2 * ((a_ - 1) - (a_ + 1) * cos), (a_ + 1) - (a_ - 1) * cos - sq]
    else:  # high_pass
        b = [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2]
        a = [1 + alpha, -2 * cos, 1 - alpha]
    return np.array(b) / a[0], np.array(a) / a[0]


def block_powers(x: np.ndarray, rate: int) -> np.ndarray:
    """Mean square of the K-weighted signal in each 400 ms gating block (75% overlap)."""
    from scipy.signal import lfilter

    y = x.astype(np.float64) / FULL_SCALE if x.dtype == np.int16 else x.astype(np.float64)
    for kind, g, q, fc in (("high_shelf", 4.0, 1 / math.sqrt(2), 1500.0), ("high_pass", 0.0, 0.5, 38.0)):
        b, a = _biquad(kind, g, q, fc, rate)
        y = lfilter(b, a, y)
    step = int(round(STEP_S * rate))
    n_steps = y.size // step
    if n_steps < 4:
        return np.zeros(0)
    sub = (y[: n_steps * step] ** 2).reshape(n_steps, step).sum(axis=1)
    # A 400 ms block is 4 consecutive 100 ms sub-blocks.
    csum = np.concatenate([[0.0], np.cumsum(sub)])
    return (csum[4:] - csum[:-4]) / (4 * step)


def integrated_lufs(x: np.ndarray, rate: int) -> float:
    """Integrated loudness (LUFS) of mono samples, gated as BS.1770-4 prescribes."""
    z = block_powers(x, rate)
    if z.size == 0:
        return -math.inf
    with np.errstate(divide="ignore"):
        lk = -0.691 + 10 * np.log10(z)
    z = z[lk >= ABSOLUTE_GATE]
    if z.size == 0:
        return -math.inf
    relative = -0.691 + 10 * math.log10(z.mean()) - 10.0
    with np.errstate(divide="ignore"):
        lk = -0.691 + 10 * np.log10(z)
    gated = z[lk > relative]
    return -0.691 + 10 * math.log10(gated.mean()) if gated.size else -math.inf


def lufs_of(audio: AudioSegment) -> float:
    return integrated_lufs(samples(audio), audio.frame_rate)


def peak_dbfs(x: np.ndarray) -> float:
    peak = float(np.abs(x.astype(np.float64)).max()) / FULL_SCALE if x.size else 0.0
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def rms_dbfs_total(x: np.ndarray) -> float:
    """Unweighted RMS of the whole signal, pauses included (how ACX measures RMS)."""
    if not x.size:
        return -math.inf
    ms = float(np.mean((x.astype(np.float64) / FULL_SCALE) ** 2))
    return 10 * math.log10(ms) if ms > 0 else -math.inf


def limit(y: np.ndarray, ceiling: float) -> np.ndarray:
    """Soft-knee peak limiter on float samples (full scale 1.0): nothing exceeds `ceiling`."""
    knee = ceiling * 0.8
    over = np.abs(y) > knee
    if not over.any():
        return y
    out = y.copy()
    mag = np.abs(y[over])
    room = ceiling - knee
    out[over] = np.sign(y[over]) * (knee + room * np.tanh((mag - knee) / room))
    return out


@dataclass(frozen=True)
class LoudnessTarget:
    """Where a chapter's level should land."""

    lufs: float | None = -19.0
    """Integrated loudness target; None to aim at `rms_db` instead."""
    rms_db: float | None = None
    """Whole-file RMS target in dBFS (the ACX rule), used when `lufs` is None."""
    peak_db: float = -1.5
    """Sample peak ceiling in dBFS."""


def normalize(audio: AudioSegment, target: LoudnessTarget) -> AudioSegment:
    """Gain to the target loudness (or RMS), then limit peaks to the ceiling; twice, to settle."""
    x = samples(audio).astype(np.float64) / FULL_SCALE
    if not x.size or not np.any(x):
        return audio
    # MP3 encoding overshoots sample peaks by up to ~0.5 dB, so the limiter aims lower.
    ceiling = 10 ** ((target.peak_db - MP3_PEAK_MARGIN_DB) / 20)
    for _ in range(3):
        if target.lufs is not None:
            current = integrated_lufs(x, audio.frame_rate)
            goal = target.lufs
        else:
            current = rms_dbfs_total((x * FULL_SCALE))
            goal = target.rms_db
        if not math.isfinite(current):
            break
        gain = 10 ** ((goal - current) / 20)
        x = limit(x * gain, ceiling)
        if abs(goal - current) < 0.1:
            break
    return from_samples(x * FULL_SCALE, audio.frame_rate)
