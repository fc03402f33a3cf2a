"""Loudness: BS.1770 measurement agrees with pyloudnorm; clips level by loudness; normalization hits target and ceiling."""

from __future__ import annotations

import math

import numpy as np
import pytest

from narrate.audio.loudness import (
    LoudnessTarget,
    clip_lufs,
    integrated_lufs,
    level_clip,
    limit,
    normalize,
    peak_dbfs,
    rms_dbfs_total,
)
from narrate.audio.values import from_samples, samples


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


def sine(rate, hz, seconds, dbfs, phase=0.0):
    """A sine whose peak is `dbfs` full scale, as float samples."""
    t = np.arange(int(rate * seconds)) / rate
    return 10 ** (dbfs / 20) * np.sin(2 * np.pi * hz * t + phase)


def rms_matched(x, dbfs):
    return x * 10 ** (dbfs / 20) / np.sqrt(np.mean(x ** 2))


@pytest.mark.parametrize("rate", [16000, 22050, 44100, 48000])
def test_clip_loudness_of_a_steady_sine_is_its_integrated_loudness(rate):
    x = sine(rate, 1000, 5, -20.0)
    # BS.1770: K-weighting is +0.69 dB at 1 kHz, cancelled by the -0.691 offset, and the mean
    # square of a -20 dBFS-peak sine is 3 dB below its peak: about -23.0 LUFS.
    assert clip_lufs(x, rate) == pytest.approx(-23.0, abs=0.1)
    assert clip_lufs(x, rate) == pytest.approx(integrated_lufs(x, rate), abs=0.05)
    as_int16 = np.round(x * 32768).astype(np.int16)
    assert clip_lufs(as_int16, rate) == pytest.approx(clip_lufs(x, rate), abs=0.01)


def test_clip_loudness_agrees_with_pyloudnorm_on_steady_noise():
    pyln = pytest.importorskip("pyloudnorm")
    rate = 22050
    x = rms_matched(np.random.default_rng(1).standard_normal(rate * 6), -24.0)
    assert clip_lufs(x, rate) == pytest.approx(pyln.Meter(rate).integrated_loudness(x), abs=0.1)


def test_clip_loudness_ignores_pauses_but_integrated_blocks_cannot_measure_a_short_clip():
    rate = 22050
    word = sine(rate, 500, 0.3, -12.0) * np.hanning(int(rate * 0.3))  # a word swells and fades
    gap = np.zeros(int(rate * 0.6))
    spoken = np.concatenate([word, gap, word, gap, word])
    assert clip_lufs(spoken, rate) == pytest.approx(clip_lufs(word, rate), abs=0.3)
    # Counting the pauses (1.2 s of 2.1 s) would have made it read ~3.7 dB quieter.
    assert clip_lufs(spoken, rate, gate_db=-math.inf) < clip_lufs(word, rate) - 3
    assert integrated_lufs(word, rate) == -math.inf  # shorter than one 400 ms block
    assert math.isfinite(clip_lufs(word, rate))


def test_equal_rms_is_not_equal_loudness():
    """A bright (espeak-like) and a dark (neural-voice-like) signal at one RMS differ in loudness."""
    from scipy.signal import butter, sosfilt

    rate = 22050
    noise = np.random.default_rng(2).standard_normal(rate * 3)
    bright = rms_matched(sosfilt(butter(4, 2000, "highpass", fs=rate, output="sos"), noise), -20.0)
    dark = rms_matched(sosfilt(butter(4, 300, "lowpass", fs=rate, output="sos"), noise), -20.0)
    # K-weighting lifts the top by ~4 dB and takes off the bottom: the bright one reads louder.
    assert clip_lufs(bright, rate) - clip_lufs(dark, rate) > 3.0
    # Equal loudness afterwards, measured the BS.1770 way, though the RMS now differs.
    lev_bright, _ = level_clip(from_samples(bright * 32768, rate), -24.0, -1.0)
    lev_dark, _ = level_clip(from_samples(dark * 32768, rate), -24.0, -1.0)
    a, b = samples(lev_bright), samples(lev_dark)
    assert integrated_lufs(a, rate) == pytest.approx(integrated_lufs(b, rate), abs=0.2)
    assert rms_dbfs_total(b) - rms_dbfs_total(a) > 3.0


def test_level_clip_reaches_the_target():
    rate = 22050
    clip = from_samples(speechlike(rate, seconds=3) * 0.2 * 32768, rate)
    out, short = level_clip(clip, -24.0, -1.0)
    assert short == 0.0
    assert clip_lufs(samples(out), rate) == pytest.approx(-24.0, abs=0.05)


def test_level_clip_caps_gain_so_peaks_do_not_clip():
    rate = 22050
    # Quiet overall but with one loud click: the loudness target would need ~+20 dB.
    x = sine(rate, 300, 1.0, -40.0)
    x[rate // 2] = 10 ** (-6 / 20)
    out, short = level_clip(from_samples(x * 32768, rate), -20.0, -1.0)
    y = samples(out)
    assert peak_dbfs(y) <= -1.0 + 0.01 and np.abs(y.astype(np.int32)).max() < 32767
    assert short > 10  # it stays quieter than asked, and says by how much
    assert clip_lufs(y, rate) == pytest.approx(-20.0 - short, abs=0.1)


@pytest.mark.parametrize("n", [0, 1, 5, 200])
def test_silent_empty_and_tiny_clips(n):
    rate = 22050
    silent = from_samples(np.zeros(n), rate)
    assert clip_lufs(samples(silent), rate) == -math.inf
    out, short = level_clip(silent, -24.0, -1.0)
    assert samples(out).tolist() == [0] * n and short == 0.0
    if n >= 5:
        # Shorter than a 100 ms frame: still measured, and levelled.
        tiny = from_samples(sine(rate, 1000, n / rate, -30.0, phase=np.pi / 2) * 32768, rate)
        assert math.isfinite(clip_lufs(samples(tiny), rate))
        out, _ = level_clip(tiny, -24.0, -1.0)
        assert peak_dbfs(samples(out)) <= -1.0 + 0.01


@pytest.mark.parametrize("x, max_gain_db", [
    (np.full(4000, 1000), 0.0),
    (np.array([300]), 0.0),
    (np.round(33 * np.sin(np.arange(4000) / 3)), 30.0),
], ids=["dc", "one-sample", "a-60-dBFS-whisper"])
def test_nothing_audible_is_not_raised_into_a_thump(x, max_gain_db):
    rate = 22050
    x = x.astype(np.int16)
    out, _ = level_clip(from_samples(x, rate), -24.0, -1.0)
    # DC and a lone sample are under the absolute gate: untouched. A far-off whisper gains at most 30 dB.
    assert peak_dbfs(samples(out)) <= peak_dbfs(x) + max_gain_db + 0.01


def test_a_dc_offset_does_not_ring_into_the_level():
    rate = 22050
    x = sine(rate, 1000, 0.2, -20.0)  # short, where a start-up transient would weigh most
    assert clip_lufs(x + 0.3, rate) == pytest.approx(clip_lufs(x, rate), abs=0.05)


def test_the_mp3_encoders_loudness_loss_is_measured_on_the_chapter():
    from narrate.audio.export import Encoding, mp3_loudness_loss
    from narrate.model import Voice
    from narrate.voices.engines import get_engine

    speech = samples(get_engine("espeak").synthesize("The quick brown fox jumps over the lazy dog. " * 8, Voice()))
    loss = mp3_loudness_loss(speech, 22050, Encoding(bitrate_kbps=64))
    assert 0.1 < loss < 1.5  # measured ~0.45 LU on espeak speech at 22.05 kHz
    assert mp3_loudness_loss(np.zeros(22050 * 60, dtype=np.int16), 22050, Encoding()) == 0.0


def test_numpy_k_weighting_matches_the_scipy_filter():
    """The FFT K-weighting agrees with the recursive biquads (scipy) it replaced, within 0.05 LU."""
    from scipy.signal import sosfilt

    from narrate.audio.kweight import KWeighter, k_weighting_sections

    for rate in (22050, 44100):
        x = speechlike(rate, seconds=20) * 0.3
        sos = np.array([np.concatenate([b, a]) for b, a in k_weighting_sections(rate)])
        ref = sosfilt(sos, x)
        kw = KWeighter(rate)
        ours = np.concatenate([kw.feed(x[i:i + 7000]) for i in range(0, x.size, 7000)])
        assert np.max(np.abs(ours - ref)) < 1e-6
        blocks = ref[: ref.size // 4410 * 4410]
        assert -0.691 + 10 * math.log10(np.mean(ours[:blocks.size] ** 2)) == pytest.approx(
            -0.691 + 10 * math.log10(np.mean(blocks ** 2)), abs=0.05)


def test_k_weight_switches_to_the_iir_filter_only_after_enough_fft_work(monkeypatch):
    """Where the IIR loop cannot be loaded alone: a process that K-weights little never imports scipy.signal;
    one that K-weights a lot switches to its IIR filter, which gives the FFT path's result (tail included) to ~1e-8."""
    import subprocess
    import sys

    from narrate.audio import kweight

    probe = ("import sys, numpy as np; from narrate.audio import kweight\n"
             "kweight._alone = False\n"
             "kweight.k_weight(np.ones(50000), 22050, tail=True)\n"
             "print('scipy.signal' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
    x = speechlike(22050, seconds=3) * 0.3
    with monkeypatch.context() as m:
        m.setattr(kweight, "_iir", lambda: None)  # as in a process that has not filtered enough yet
        fft = kweight.k_weight(x, 22050, tail=True)
    monkeypatch.setattr(kweight, "_sosfilt", None)
    monkeypatch.setattr(kweight, "_alone", False)
    monkeypatch.setattr(kweight, "_fft_samples", kweight.IIR_AFTER_SAMPLES)
    iir = kweight.k_weight(x, 22050, tail=True)
    assert kweight._sosfilt is not None
    assert iir.shape == fft.shape
    assert np.max(np.abs(iir - fft)) < 1e-7


def test_the_iir_loop_loads_without_scipy_signal_and_filters_as_its_sosfilt():
    """k_weight filters with scipy's sosfilt loop loaded alone (no ~0.7 s import of scipy.signal in each
    worker), as scipy.signal.sosfilt filters, with and without the tail: to 1e-12 (the filter's own rounding;
    its DENORMAL_GUARD changes the last bits), even over long silences."""
    import subprocess
    import sys

    probe = ("import sys, numpy as np; from narrate.audio import kweight\n"
             "y = kweight.k_weight(np.ones(50000), 22050, tail=True)\n"
             "print(kweight._alone, 'scipy.signal' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.split() == ["True", "False"]
    from scipy.signal import sosfilt

    from narrate.audio import kweight

    x = speechlike(22050, seconds=3) * 0.3
    tail = np.zeros(kweight.impulse_response(22050).size - 1)
    assert kweight._iir() is not None and kweight._alone
    sos = kweight._sos(22050)
    gaps = np.concatenate([x[:20000], np.zeros(30000), x[20000:40000], np.zeros(5), x[40000:]])
    for signal in (x, gaps, np.zeros(3000)):
        assert np.max(np.abs(kweight.k_weight(signal, 22050, tail=True)
                             - sosfilt(sos, np.concatenate([signal, tail])))) < 1e-12
        assert np.max(np.abs(kweight.k_weight(signal, 22050) - sosfilt(sos, signal))) < 1e-12


def test_level_and_profile_matches_levelling_then_profiling_again():
    """One K-weighting gives what level_clip and a second filtering of the levelled clip give: the same
    samples, and frame energies within 1e-4 of them (real espeak-ng speech)."""
    from narrate.audio.pieces import level_and_profile, profile
    from narrate.audio.values import trim
    from narrate.model import Voice
    from narrate.voices.engines import get_engine

    engine = get_engine("espeak")
    for text, voice in (("Rory leaned on the rail, and the river moved slowly under them.", Voice()),
                        ("You never pay. Sit down before I change my mind!", Voice(voice="en-us+f3", pitch=70))):
        clip = trim(engine.synthesize(text, voice))
        expected, short = level_clip(clip, -24.0, -1.0)
        got = level_and_profile(clip, -24.0, -1.0)
        assert got.audio.raw_data == expected.raw_data and got.short_db == short
        again = profile(samples(expected) / 32768, clip.frame_rate)
        assert got.profile.samples == again.samples
        assert got.profile.peak == pytest.approx(again.peak, rel=1e-3)
        assert np.max(np.abs(got.profile.k - again.k)) < 1e-4 * again.k.max()
        assert np.max(np.abs(got.profile.e - again.e)) < 1e-4 * again.e.max()
