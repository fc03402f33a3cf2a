"""Measuring helpers for tests: decode MP3s in-process and estimate pitch, level and silence."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np


def decode_mp3(path: Path) -> tuple[np.ndarray, int]:
    """Mono int16 samples and sample rate of an MP3, decoded without ffmpeg."""
    import miniaudio

    dec = miniaudio.mp3_read_file_s16(str(path))  # native rate; decode_file would resample to 44.1k
    x = np.frombuffer(dec.samples, dtype=np.int16)
    if dec.nchannels > 1:
        x = x.reshape(-1, dec.nchannels).mean(axis=1).astype(np.int16)
    return x.copy(), dec.sample_rate


def f0_median(x: np.ndarray, rate: int, lo_hz: float = 60, hi_hz: float = 450) -> float:
    """Median fundamental frequency (Hz) of the voiced 40 ms frames of `x` (10 ms apart), by autocorrelation.

    A frame counts when its level is within 14 dB of the loudest frame and its autocorrelation at
    the best lag is over half its energy (clearly periodic).
    """
    n, hop = int(0.04 * rate), int(0.01 * rate)
    lo_lag, hi_lag = int(rate / hi_hz), int(rate / lo_hz)
    x = x.astype(np.float64)
    frames = [x[i:i + n] for i in range(0, len(x) - n, hop)]
    if not frames:
        return math.nan
    loudest = max(np.sqrt(np.mean(f ** 2)) for f in frames)
    f0s = []
    for f in frames:
        if np.sqrt(np.mean(f ** 2)) < 0.2 * loudest:
            continue
        f = f - f.mean()
        spec = np.fft.rfft(f, 2 * n)
        ac = np.fft.irfft(spec * np.conj(spec))[:n]
        if ac[0] <= 0:
            continue
        lag = lo_lag + int(np.argmax(ac[lo_lag:hi_lag]))
        if ac[lag] / ac[0] > 0.5:
            f0s.append(rate / lag)
    return float(np.median(f0s)) if f0s else math.nan


def rms_db(x: np.ndarray) -> float:
    ms = float(np.mean((x.astype(np.float64) / 32768) ** 2)) if x.size else 0.0
    return 10 * math.log10(ms) if ms > 0 else -math.inf


def slice_ms(x: np.ndarray, rate: int, start_ms: int, end_ms: int) -> np.ndarray:
    return x[int(start_ms * rate / 1000): int(end_ms * rate / 1000)]


def silent_runs_ms(x: np.ndarray, rate: int, threshold: float = 0.01, min_ms: int = 150) -> list[tuple[int, int]]:
    """(start_ms, end_ms) of stretches quieter than `threshold` of full scale lasting >= min_ms."""
    quiet = np.abs(x.astype(np.int32)) < threshold * 32768
    runs, start = [], None
    for i, q in enumerate(np.append(quiet, False)):
        if q and start is None:
            start = i
        elif not q and start is not None:
            if (i - start) * 1000 / rate >= min_ms:
                runs.append((int(start * 1000 / rate), int(i * 1000 / rate)))
            start = None
    return runs
