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
    """Median fundamental frequency (Hz) over voiced 40 ms frames, by autocorrelation."""
    x = x.astype(np.float64)
    n = int(0.04 * rate)
    peak = np.abs(x).max() if x.size else 0
    pitches = []
    for i in range(0, len(x) - n, n):
        fr = x[i:i + n]
        if np.sqrt((fr ** 2).mean()) < 0.05 * peak:
            continue
        fr = fr - fr.mean()
        ac = np.correlate(fr, fr, "full")[n - 1:]
        lo, hi = int(rate / hi_hz), int(rate / lo_hz)
        k = lo + int(np.argmax(ac[lo:hi]))
        if ac[0] > 0 and ac[k] > 0.3 * ac[0]:
            pitches.append(rate / k)
    return float(np.median(pitches)) if pitches else math.nan


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
