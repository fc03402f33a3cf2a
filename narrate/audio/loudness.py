"""Loudness stage: ITU-R BS.1770 integrated loudness, normalization and a peak limiter."""

from __future__ import annotations

import math

import numpy as np

from .kweight import KWeighter, k_weight
from .settings import LoudnessTarget
from .values import FULL_SCALE, AudioSegment, from_samples, samples

BLOCK_S = 0.4
STEP_S = 0.1  # 75% overlap of 400 ms gating blocks
ABSOLUTE_GATE = -70.0
MP3_PEAK_MARGIN_DB = 2.5
"""dB kept below the peak target before encoding: LAME's output of limited speech overshoots it by 1.5 dB and, now and then, more."""


CHUNK = 1 << 20  # samples measured at a time, so memory does not grow with chapter length


def block_powers(x: np.ndarray, rate: int) -> np.ndarray:
    """Mean square of the K-weighted signal in each 400 ms gating block (75% overlap), measured chunk by chunk."""
    scale = 1 / FULL_SCALE if x.dtype == np.int16 else 1.0
    step = int(round(STEP_S * rate))
    n_steps = x.size // step
    if n_steps < 4:
        return np.zeros(0)
    weighter = KWeighter(rate)
    sub = np.empty(n_steps, dtype=np.float64)
    chunk = (CHUNK // step) * step
    for start in range(0, n_steps * step, chunk):
        part = x[start:min(start + chunk, n_steps * step)].astype(np.float64)
        if scale != 1.0:
            part *= scale
        y = weighter.feed(part).reshape(-1, step)
        sub[start // step:start // step + y.shape[0]] = np.einsum("ij,ij->i", y, y)
    # A 400 ms block is 4 consecutive 100 ms sub-blocks.
    csum = np.concatenate([[0.0], np.cumsum(sub)])
    return (csum[4:] - csum[:-4]) / (4 * step)


def integrated_lufs(x: np.ndarray, rate: int) -> float:
    """Integrated loudness (LUFS) of mono samples, gated as BS.1770-4 prescribes."""
    return gate_blocks(block_powers(x, rate))


def gate_blocks(z: np.ndarray) -> float:
    """BS.1770-4 integrated loudness (LUFS) from the mean squares of its 400 ms gating blocks:
    the absolute gate at -70 LUFS, then the relative gate 10 LU under what passed it."""
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


# 100 ms is the sub-block integrated_lufs builds its gating blocks from: the short gaps between
# words stay in, as they do in BS.1770, while longer pauses at commas drop out. (With 20 ms
# frames, a neural voice that leaves more air between words came out ~0.3 LU quieter than espeak.)
CLIP_FRAME_S = 0.1
CLIP_GATE_DB = -34.0  # frames this far below the clip's loudest frame are pauses, not speech
MAX_CLIP_GAIN_DB = 30.0  # see level_clip


def clip_lufs(x: np.ndarray, rate: int, frame_s: float = CLIP_FRAME_S, gate_db: float = CLIP_GATE_DB) -> float:
    """K-weighted loudness (LUFS scale) of one sentence clip, over the frames that carry sound.

    `integrated_lufs` gates 400 ms blocks, and a sentence clip may be shorter than one or
    hold only a few; so the clip is K-weighted as BS.1770 prescribes and its mean square
    taken over the `frame_s` frames within `gate_db` of its loudest frame. On a long steady
    signal it agrees with `integrated_lufs`. A clip shorter than a frame is one frame.
    int16 input is full scale 32768; float input is full scale 1.0. Empty clips, and clips
    whose loudest frame is under the -70 LUFS absolute gate, are -inf.
    """
    if not x.size:
        return -math.inf
    y = x.astype(np.float64)
    if x.dtype == np.int16:
        y /= FULL_SCALE
    if not np.any(y):
        return -math.inf
    # Start the filter as if the first sample had always been there: a clip that begins off
    # zero (a DC offset, a cut mid-sound) then does not ring the 38 Hz high-pass into its level.
    # (K-weighting passes no DC, so that is filtering the clip less its first sample from rest.)
    return weighted_clip_lufs(k_weight(y - y[0], rate), rate, frame_s, gate_db)


def weighted_clip_lufs(y: np.ndarray, rate: int, frame_s: float = CLIP_FRAME_S, gate_db: float = CLIP_GATE_DB) -> float:
    """clip_lufs of a clip already K-weighted (`y`, full scale 1.0, filtered as clip_lufs filters it)."""
    return squared_clip_lufs(y * y, rate, frame_s, gate_db)


def squared_clip_lufs(sq: np.ndarray, rate: int, frame_s: float = CLIP_FRAME_S, gate_db: float = CLIP_GATE_DB) -> float:
    """weighted_clip_lufs from the squares of the K-weighted clip (which a caller may have made for more than this)."""
    if not sq.size:
        return -math.inf
    n = max(1, int(round(frame_s * rate)))
    starts = np.arange(0, sq.size, n)
    if starts.size > 1 and sq.size - starts[-1] < n // 2:
        starts = starts[:-1]  # a short remainder joins the last frame rather than be a noisy frame of its own
    lengths = np.diff(np.append(starts, sq.size))
    energy = np.add.reduceat(sq, starts)
    power = energy / lengths
    loudest = float(power.max())
    # Below BS.1770's absolute gate nothing is heard: DC, filter residue, a stray sample.
    if loudest <= 0 or -0.691 + 10 * math.log10(loudest) < ABSOLUTE_GATE:
        return -math.inf
    voiced = power >= loudest * 10 ** (gate_db / 10)
    return -0.691 + 10 * math.log10(float(energy[voiced].sum() / lengths[voiced].sum()))


def clip_gain_db(x: np.ndarray, current_lufs: float, target_lufs: float, peak_db: float) -> tuple[float, float]:
    """The gain (dB) that takes int16 clip `x`, measuring `current_lufs`, to `target_lufs` (see level_clip),
    and how many dB that stays short of the target because of the peak cap."""
    return capped_gain_db(peak_dbfs(x), current_lufs, target_lufs, peak_db)


def capped_gain_db(clip_peak_db: float, current_lufs: float, target_lufs: float, peak_db: float) -> tuple[float, float]:
    """clip_gain_db for a clip whose peak is `clip_peak_db` (dBFS)."""
    gain = target_lufs - current_lufs
    # Gaining up a peaky clip could clip int16; one clip a little quieter is the lesser harm.
    # And no clip is raised more than MAX_CLIP_GAIN_DB: that much quieter is not speech to
    # bring forward but noise (a click, hum) that would become a thump.
    room = min(peak_db - clip_peak_db, MAX_CLIP_GAIN_DB)
    short = max(0.0, gain - room)
    return gain - short, short


def level_clip(audio: AudioSegment, target_lufs: float, peak_db: float) -> tuple[AudioSegment, float]:
    """Gain `audio` so its `clip_lufs` is `target_lufs`, but never so far that a peak passes `peak_db`.

    Returns the levelled clip and how many dB it stays short of the target because of
    that cap (0.0 normally). Silent clips come back unchanged.
    """
    x = samples(audio)
    current = clip_lufs(x, audio.frame_rate)
    if not math.isfinite(current):
        return audio, 0.0
    gain, short = clip_gain_db(x, current, target_lufs, peak_db)
    return audio.apply_gain(gain), short


def lufs_of(audio: AudioSegment) -> float:
    return integrated_lufs(samples(audio), audio.frame_rate)


def peak_dbfs(x: np.ndarray) -> float:
    peak = float(np.abs(x.astype(np.float64)).max()) / FULL_SCALE if x.size else 0.0
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def rms_dbfs_total(x: np.ndarray) -> float:
    """Unweighted RMS of the whole signal, pauses included (how ACX measures RMS).

    int16 input is full scale 32768; float input is full scale 1.0.
    """
    if not x.size:
        return -math.inf
    total = 0.0
    for start in range(0, x.size, CHUNK):
        y = x[start:start + CHUNK].astype(np.float32)
        if x.dtype == np.int16:
            y *= 1 / FULL_SCALE
        total += float(np.einsum("i,i->", y, y, dtype=np.float64))
    ms = total / x.size
    return 10 * math.log10(ms) if ms > 0 else -math.inf


LIMIT_KNEE = 0.8
"""Where the limiter starts to bend, as a fraction of its ceiling: samples below it pass unchanged."""


def limit(y: np.ndarray, ceiling: float) -> np.ndarray:
    """Soft-knee peak limiter on float samples (full scale 1.0), in place: nothing exceeds `ceiling`."""
    knee = ceiling * LIMIT_KNEE
    over = np.flatnonzero(np.abs(y) > knee)
    if over.size:
        v = y[over]
        room = ceiling - knee
        y[over] = np.sign(v) * (knee + room * np.tanh((np.abs(v) - knee) / room))
    return y


def normalize_samples(x: np.ndarray, rate: int, target: LoudnessTarget) -> np.ndarray:
    """Gain int16 samples to the target loudness (or RMS) and limit peaks, in place, chunk by chunk.

    Gain is linear, so one measurement gives the exact gain; the limiter then lowers the
    loudness a little, so it is measured once more and corrected (two passes at most).
    Memory stays at one chunk of floats beside the samples.
    """
    if not x.size or not np.any(x):
        return x
    # MP3 encoding overshoots sample peaks, most where the limiter has flattened them: measured
    # up to ~1.15 dB on a chapter limited to -16 LUFS. So the limiter aims 1.5 dB lower.
    ceiling = 10 ** ((target.peak_db - MP3_PEAK_MARGIN_DB) / 20)
    goal = target.lufs if target.lufs is not None else target.rms_db
    for _ in range(2):
        current = integrated_lufs(x, rate) if target.lufs is not None else rms_dbfs_total(x)
        if not math.isfinite(current) or abs(goal - current) < 0.05:
            break
        gain = np.float32(10 ** ((goal - current) / 20) / FULL_SCALE)
        for start in range(0, x.size, CHUNK):
            part = x[start:start + CHUNK].astype(np.float32)
            part *= gain
            limit(part, ceiling)
            part *= FULL_SCALE
            np.rint(part, out=part)
            np.clip(part, -32768, 32767, out=part)
            x[start:start + CHUNK] = part
    return x


def normalize(audio: AudioSegment, target: LoudnessTarget) -> AudioSegment:
    """normalize_samples for a pydub value (returns a new value)."""
    x = samples(audio)
    return from_samples(normalize_samples(x, audio.frame_rate, target), audio.frame_rate)
