"""Loudness stage: BS.1770 K-weighting, by scipy's IIR filter loop (loaded alone) or FFT convolution in numpy."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np

IR_S = 0.12
"""Impulse response kept, in seconds. The slowest part is the 38 Hz high-pass (a double pole at
r = 0.989 per sample at 22.05 kHz): after 0.12 s its tail is below 1e-8 of its start, and what is
cut carries under 1e-14 of the energy."""
BLOCK = 1 << 16  # samples filtered per FFT when streaming


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


def k_weighting_sections(rate: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The two K-weighting biquads (b, a) at `rate`: the head's high shelf, then the 38 Hz high-pass."""
    return [_biquad(kind, g, q, fc, rate)
            for kind, g, q, fc in (("high_shelf", 4.0, 1 / math.sqrt(2), 1500.0), ("high_pass", 0.0, 0.5, 38.0))]


@lru_cache(maxsize=8)
def impulse_response(rate: int) -> np.ndarray:
    """The K-weighting filter's impulse response, IR_S long, from its frequency response on a fine grid."""
    n = 1 << max(16, math.ceil(math.log2(4 * IR_S * rate)))
    z = np.exp(-1j * np.pi * np.arange(n // 2 + 1) / (n // 2))  # e^{-jw} on the rfft grid
    h = np.ones(z.size, dtype=complex)
    for b, a in k_weighting_sections(rate):
        h *= (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)
    return np.fft.irfft(h, n)[:int(IR_S * rate)]


@lru_cache(maxsize=8)
def step_response(rate: int) -> np.ndarray:
    """The K-weighting filter's response to a unit step, IR_S long (it passes no DC: it has decayed to ~0 by then)."""
    return np.cumsum(impulse_response(rate))


@lru_cache(maxsize=64)
def _spectrum(rate: int, nfft: int) -> np.ndarray:
    return np.fft.rfft(impulse_response(rate), nfft)


_GRAIN = 4096


@lru_cache(maxsize=4096)
def _nfft(n: int) -> int:
    """A fast FFT length >= n: a power of two below 4096, else 4096 times a number with no prime factor
    above 5 (FFTs of such lengths are fast, and few enough lengths that their filter spectra stay cached)."""
    if n <= _GRAIN:
        return 1 << math.ceil(math.log2(max(2, n)))
    need = math.ceil(n / _GRAIN)
    k = need
    while True:
        m = k
        for p in (2, 3, 5):
            while m % p == 0:
                m //= p
        if m == 1:
            return k * _GRAIN
        k += 1


DENORMAL_GUARD = 2.0 ** -60
"""A constant added to a clip as the IIR filter runs, its response subtracted after.

In the silences of speech (runs of exact zeros, thousands of samples long) the filter's state
decays into subnormal numbers, which x86 processors handle ~100x slower: K-weighting espeak-ng
speech took three times as long as K-weighting noise of the same length. With this constant under
the signal the state settles on ordinary numbers instead. A sample over 2^-7 is not changed at all
by the addition (it is under half its last bit), and the constant's own response (its step response,
which has decayed below 1e-8 of it after IR_S) is taken off again: what is left is the filter's own
rounding, ~1e-13 in a filtered sample (a few billionths of an int16 step), and espeak-ng clips are
levelled to the same samples as without it."""

IIR_AFTER_SAMPLES = 24_000_000
"""Samples a process K-weights by FFT before it imports scipy.signal for its IIR filter, when the filter's
compiled loop cannot be loaded alone (see _iir). The IIR filter is ~4x faster per clip, but `import
scipy.signal` costs ~0.7-1.2 s, about what filtering this many samples by FFT costs (~18 minutes of speech
at 22.05 kHz): paying that rent first costs at most twice the best choice made in hindsight."""
_fft_samples = 0
_sosfilt: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
_alone: bool | None = None  # whether scipy's sosfilt loop loaded on its own (None: not tried yet)


@lru_cache(maxsize=8)
def _sos(rate: int) -> np.ndarray:
    return np.array([np.concatenate([b, a]) for b, a in k_weighting_sections(rate)])


def _iir() -> Callable[[np.ndarray, np.ndarray], np.ndarray] | None:
    """An IIR filter `f(sos, y)` (filtering the float64 array `y` in place, returning it): scipy's sosfilt
    loop loaded alone, else scipy.signal's sosfilt once this process has done enough FFT filtering to pay
    for importing it (or has it already), else None."""
    global _sosfilt, _alone
    if _sosfilt is None and _alone is None:
        _alone = False
        _sosfilt = _sosfilt_alone()
        _alone = _sosfilt is not None
    if _sosfilt is None and (_fft_samples >= IIR_AFTER_SAMPLES or "scipy.signal" in sys.modules):
        from scipy.signal import sosfilt

        _sosfilt = sosfilt
    return _sosfilt


def _sosfilt_alone() -> Callable[[np.ndarray, np.ndarray], np.ndarray] | None:
    """scipy's compiled sosfilt loop (scipy.signal._sosfilt), loaded without the scipy.signal package.

    Importing scipy.signal costs ~0.7 s of CPU in every worker (it wraps and parses the docstring of each
    of its functions); the loop alone loads in ~0.02 s. It is a private module: if it is missing or does
    not filter a test signal as a biquad must, None (and scipy.signal is imported as before).
    """
    import importlib.machinery
    import importlib.util

    name = "scipy.signal._sosfilt"
    try:
        module = sys.modules.get(name)
        if module is None:
            spec = importlib.util.find_spec("scipy")
            folder = Path(spec.origin).parent / "signal" if spec and spec.origin else None
            found = [folder / f"_sosfilt{suffix}" for suffix in importlib.machinery.EXTENSION_SUFFIXES
                     if folder and (folder / f"_sosfilt{suffix}").is_file()]
            if not found:
                return None
            loader = importlib.machinery.ExtensionFileLoader(name, str(found[0]))
            module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader))
            loader.exec_module(module)
            sys.modules[name] = module  # so that a later `import scipy.signal` takes this one
        kernel = module._sosfilt

        def filt(sos: np.ndarray, y: np.ndarray) -> np.ndarray:
            kernel(sos, y.reshape(1, -1), np.zeros((1, sos.shape[0], 2)))
            return y

        x = np.array([1.0, -0.5, 0.25, 0.0, 2.0])
        b, a = (0.5, 0.2, -0.1), (1.0, -0.3, 0.1)
        want, z1, z2 = [], 0.0, 0.0
        for v in x:  # direct form II transposed, as sosfilt computes it
            out = b[0] * v + z1
            z1, z2 = b[1] * v - a[1] * out + z2, b[2] * v - a[2] * out
            want.append(out)
        if not np.allclose(filt(np.array([[*b, *a]]), x.copy()), want, rtol=1e-12, atol=1e-15):
            return None
        return filt
    except Exception:  # a scipy laid out otherwise: the public import still works
        return None


def k_weight(x: np.ndarray, rate: int, tail: bool = False) -> np.ndarray:
    """K-weighted float64 copy of `x` (full scale as given), filtered from rest.

    With `tail`, the filter's ringing after the last sample is kept too (a clip placed in silence),
    for IR_S seconds (what the FFT path keeps of it; the IIR path agrees with it to ~1e-8).
    """
    global _fft_samples
    ir = impulse_response(rate)
    n = x.size + ir.size - 1
    iir = _iir()
    if iir is not None:
        # Filtered with a tiny constant added (see DENORMAL_GUARD), whose response is then taken off again.
        y = np.full(n if tail else x.size, DENORMAL_GUARD)
        np.add(x, DENORMAL_GUARD, out=y[:x.size])
        y = iir(_sos(rate), y)
        m = min(y.size, ir.size)
        y[:m] -= DENORMAL_GUARD * step_response(rate)[:m]
        return y
    _fft_samples += x.size
    if x.size > 4 * BLOCK:
        kw = KWeighter(rate)
        parts = [kw.feed(x)]
        return np.concatenate(parts + [kw.carry]) if tail else parts[0]
    nfft = _nfft(n)
    y = np.fft.irfft(np.fft.rfft(x.astype(np.float64), nfft) * _spectrum(rate, nfft), nfft)
    return y[:n] if tail else y[:x.size]


class KWeighter:
    """Streaming K-weighting: feed blocks of samples, get the same number of filtered samples back."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.ir = impulse_response(rate)
        self.nfft = _nfft(BLOCK + self.ir.size - 1)
        self.spectrum = _spectrum(rate, self.nfft)
        self.carry = np.zeros(self.ir.size - 1)

    def feed(self, x: np.ndarray) -> np.ndarray:
        """Filter the next samples (any length up to BLOCK) continuing from those fed before."""
        if x.size > BLOCK:
            return np.concatenate([self.feed(x[i:i + BLOCK]) for i in range(0, x.size, BLOCK)])
        y = np.fft.irfft(np.fft.rfft(x.astype(np.float64), self.nfft) * self.spectrum, self.nfft)
        y = y[:x.size + self.carry.size]
        y[:self.carry.size] += self.carry  # what earlier blocks ring on into this one
        self.carry = y[x.size:].copy()
        return y[:x.size]
