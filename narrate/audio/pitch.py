"""Audio analysis for casting: a voice's pitch (F0 per voiced frame) and brightness (spectral centroid)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

FRAME_S = 0.04
HOP_S = 0.01
F0_RANGE_HZ = (60.0, 500.0)
VOICED_LEVEL = 0.2
"""A frame is a candidate when its RMS is at least this share of the loudest frame's (about -14 dB)."""
VOICED_PERIODICITY = 0.5
"""...and its autocorrelation at the best lag is over this share of its energy (clearly periodic)."""


@dataclass(frozen=True)
class PitchStats:
    """What a stretch of speech says about the voice that made it."""

    f0_hz: float
    """Median fundamental frequency of the voiced frames."""
    spread_st: float
    """Interquartile range of the voiced frames' F0, in semitones: how much the voice moves (0 = a monotone)."""
    centroid_hz: float
    """Median spectral centroid of the voiced frames: higher sounds brighter or thinner."""
    voiced_frames: int


def _frames(x: np.ndarray, rate: int) -> list[np.ndarray]:
    n, hop = int(FRAME_S * rate), int(HOP_S * rate)
    return [x[i:i + n] for i in range(0, len(x) - n, hop)]


def _f0(frame: np.ndarray, rate: int) -> float | None:
    """The frame's F0 by autocorrelation with parabolic interpolation, or None when it is not periodic."""
    n = len(frame)
    f = frame - frame.mean()
    spec = np.fft.rfft(f, 2 * n)
    ac = np.fft.irfft(spec * np.conj(spec))[:n]
    if ac[0] <= 0:
        return None
    lo_lag, hi_lag = int(rate / F0_RANGE_HZ[1]), min(n - 2, int(rate / F0_RANGE_HZ[0]))
    lag = lo_lag + int(np.argmax(ac[lo_lag:hi_lag]))
    if ac[lag] / ac[0] <= VOICED_PERIODICITY:
        return None
    a, b, c = ac[lag - 1], ac[lag], ac[lag + 1]
    denom = a - 2 * b + c
    shift = 0.5 * (a - c) / denom if denom else 0.0  # the true peak between whole-sample lags
    return rate / (lag + max(-0.5, min(0.5, shift)))


def _centroid(frame: np.ndarray, rate: int) -> float:
    mag = np.abs(np.fft.rfft(frame * np.hanning(len(frame))))
    freqs = np.fft.rfftfreq(len(frame), 1 / rate)
    total = mag.sum()
    return float((freqs * mag).sum() / total) if total > 0 else 0.0


def pitch_stats(x: np.ndarray, rate: int) -> PitchStats:
    """F0 median and spread and spectral centroid over the voiced frames of mono samples `x`."""
    x = np.asarray(x, dtype=np.float64)
    frames = _frames(x, rate)
    levels = [float(np.sqrt(np.mean(f ** 2))) for f in frames]
    loudest = max(levels, default=0.0)
    f0s, centroids = [], []
    for f, level in zip(frames, levels, strict=True):
        if loudest <= 0 or level < VOICED_LEVEL * loudest:
            continue
        f0 = _f0(f, rate)
        if f0 is not None:
            f0s.append(f0)
            centroids.append(_centroid(f, rate))
    if not f0s:
        return PitchStats(math.nan, math.nan, math.nan, 0)
    st = 12 * np.log2(np.asarray(f0s))
    q1, q3 = np.percentile(st, [25, 75])
    return PitchStats(f0_hz=float(np.median(f0s)), spread_st=float(q3 - q1),
                      centroid_hz=float(np.median(centroids)), voiced_frames=len(f0s))


def semitones(a_hz: float, b_hz: float) -> float:
    """How far apart two pitches are, in semitones (always >= 0)."""
    return abs(12 * math.log2(a_hz / b_hz))
