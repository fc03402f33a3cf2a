"""Loudness: BS.1770 measurement agrees with pyloudnorm; normalization hits target and ceiling."""

from __future__ import annotations

import numpy as np
import pytest

from narrate.audio import from_samples, samples
from narrate.loudness import LoudnessTarget, integrated_lufs, limit, normalize, peak_dbfs, rms_dbfs_total


def speechlike(rate, seconds=20, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(rate * seconds) / rate
    bursts = (np.sin(2 * np.pi * 0.7 * t) > 0).astype(float)  # talk, pause, talk...
    return rng.standard_normal(t.size) * 0.08 * bursts * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))


@pytest.mark.parametrize("rate", [22050, 44100])
def test_matches_pyloudnorm(rate):
    pyln = pytest.importorskip("pyloudnorm")
    x = speechlike(rate)
    assert integrated_lufs(x, rate) == pytest.approx(pyln.Meter(rate).integrated_loudness(x), abs=0.01)


@pytest.mark.parametrize("target", [-19.0, -23.0, -16.0])
def test_normalize_reaches_target_under_ceiling(target):
    rate = 22050
    x = speechlike(rate) * 32768
    x[rate * 5] = 32000  # a spike the limiter must catch
    out = samples(normalize(from_samples(x, rate), LoudnessTarget(lufs=target, peak_db=-1.5)))
    assert integrated_lufs(out, rate) == pytest.approx(target, abs=0.2)
    assert peak_dbfs(out) <= -1.5 - 0.5  # margin left for MP3 overshoot


def test_rms_target_for_acx():
    rate = 44100
    out = samples(normalize(from_samples(speechlike(rate) * 32768, rate),
                            LoudnessTarget(lufs=None, rms_db=-20.0, peak_db=-3.5)))
    assert rms_dbfs_total(out) == pytest.approx(-20.0, abs=0.3)
    assert peak_dbfs(out) <= -3.5


def test_limiter_is_soft_and_bounded():
    y = np.linspace(-2, 2, 1001).astype(np.float32)
    limit(y, 0.5)
    assert np.abs(y).max() <= 0.5 and np.all(np.diff(y) >= 0)  # monotonic, no foldover


def test_silence_is_left_alone():
    silent = from_samples(np.zeros(22050), 22050)
    assert samples(normalize(silent, LoudnessTarget())).max() == 0
