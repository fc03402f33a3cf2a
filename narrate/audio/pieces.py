"""Export stage: MP3 pieces encoded alone, silent frames between them, and per-frame loudness profiles."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ExportError
from .export import MP3_DELAY_SAMPLES, Encoding, encode_pcm
from .kweight import k_weight, step_response
from .loudness import FULL_SCALE, LIMIT_KNEE, STEP_S, capped_gain_db, gate_blocks, limit, squared_clip_lufs
from .mp3frames import iter_frames, run_of_frames
from .values import AudioSegment, from_samples

PIECE_FORMAT = "piece-1"
"""Bump when a piece is encoded or profiled differently, so cached pieces made the old way are not spliced."""


def frame_samples(rate: int) -> int:
    """PCM samples per MP3 frame at `rate`: 1152 for MPEG-1 rates (32 kHz and up), 576 below."""
    return 1152 if rate >= 32000 else 576


def encode_piece(x: np.ndarray, rate: int, enc: Encoding) -> tuple[bytes, int]:
    """Encode int16 samples alone; return the frames and how many there are.

    A piece starts with an empty bit reservoir (its first frame's main_data_begin is 0), so
    pieces follow one another into a valid stream; its samples sound MP3_DELAY_SAMPLES after
    its first frame starts, and its padding is silence under the pause that follows it.
    """
    data = encode_pcm(x, rate, enc)
    first = next(iter_frames(data), None)
    if first is None:
        raise ExportError("MP3 encoding produced no frames")
    start = first.offset
    head = data[start:start + first.length]
    if b"Xing" in head or b"Info" in head:  # a gapless-info frame: it would sound as a frame of its own
        start += first.length
    n, end = run_of_frames(data, start)
    if not n or (end != len(data) and next(iter_frames(data[end:]), None) is not None):
        # Not one run of like frames to the end (a header that changes): walk it frame by frame.
        frames = [f for f in iter_frames(data) if f.offset >= start]
        if not frames:
            raise ExportError("MP3 encoding produced no frames")
        n, end = len(frames), frames[-1].offset + frames[-1].length
    side = start + 4
    if data[side] != 0 or (first.samples == 1152 and data[side + 1] & 0x80):
        raise ExportError("internal: an MP3 piece does not start with an empty bit reservoir")
    return (data if start == 0 and end == len(data) else data[start:end]), n


class SilentFrames:
    """Frames that decode to exact digital silence: a header and all-zero side information.

    With no bits of main data they need no reservoir, so they fit between any two pieces; the
    padding bit alternates as LAME's does, keeping the stream at its nominal bit rate.
    """

    def __init__(self, rate: int, enc: Encoding) -> None:
        probe, _ = encode_piece(np.zeros(1, dtype=np.int16), rate, enc)
        frame = next(iter_frames(probe))
        self.header = bytearray(probe[:4])
        self.header[2] &= ~0x02  # padding off; set per frame below
        per = 144 if frame.samples == 1152 else 72
        self.length = per * enc.bitrate_kbps * 1000 // rate
        self.remainder = per * enc.bitrate_kbps * 1000 % rate
        self.rate = rate
        self.owed = 0

    def frames(self, n: int) -> bytes:
        out = bytearray()
        padded = bytes(self.header[:2]) + bytes([self.header[2] | 0x02, self.header[3]])
        for _ in range(n):
            self.owed += self.remainder
            if self.owed >= self.rate:
                self.owed -= self.rate
                out += padded + bytes(self.length + 1 - 4)
            else:
                out += bytes(self.header) + bytes(self.length - 4)
        return bytes(out)


def predicted_frames(n_samples: int, rate: int) -> int:
    """How many frames LAME makes of `n_samples` encoded alone, or one more (an upper bound for planning)."""
    return math.ceil((n_samples + MP3_DELAY_SAMPLES) / frame_samples(rate)) + 1


@dataclass(frozen=True)
class Profile:
    """What the chapter's loudness needs of one clip: energies per MP3 frame of its piece."""

    samples: int
    peak: float
    """Sample peak, full scale 1.0."""
    k: np.ndarray
    """Sum of squares of the K-weighted signal in each frame of the piece (full scale 1.0)."""
    e: np.ndarray
    """Sum of squares of the signal itself in each frame (for an RMS target)."""

    def scaled(self, gain: float) -> Profile:
        g2 = gain * gain
        return Profile(self.samples, self.peak * gain, self.k * g2, self.e * g2)

    def to_bytes(self) -> bytes:
        head = np.array([self.samples, self.peak, self.k.size], dtype=np.float64)
        return np.concatenate([head, self.k, self.e]).astype(np.float64).tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Profile:
        a = np.frombuffer(data, dtype=np.float64)
        n = int(a[2])
        if a.size != 3 + 2 * n:
            raise ValueError("truncated profile")
        return cls(int(a[0]), float(a[1]), a[3:3 + n], a[3 + n:])


def _per_frame(sq: np.ndarray, spf: int) -> np.ndarray:
    """Sums of `sq` in each frame of a piece whose samples sound from MP3_DELAY_SAMPLES on."""
    n = math.ceil((MP3_DELAY_SAMPLES + sq.size) / spf)
    out = np.zeros(n)
    if not sq.size:
        return out
    # Frame k holds samples k * spf - MP3_DELAY_SAMPLES onwards: sum each frame's run in one pass.
    first = MP3_DELAY_SAMPLES // spf
    bounds = np.arange((first + 1) * spf - MP3_DELAY_SAMPLES, sq.size, spf)
    out[first:first + bounds.size + 1] = np.add.reduceat(sq, np.concatenate([[0], bounds]))
    return out


def profile(x: np.ndarray, rate: int) -> Profile:
    """The profile of float samples `x` (full scale 1.0) as a piece: frame 0 is the piece's first frame."""
    if not x.size:
        return Profile(0, 0.0, np.zeros(0), np.zeros(0))
    y = k_weight(x, rate, tail=True)
    return _profile(x.size, float(np.abs(x).max()), y * y, x * x, rate)


def _profile(n: int, peak: float, ky2: np.ndarray, x2: np.ndarray, rate: int) -> Profile:
    """The profile of a clip of `n` samples, sample peak `peak`, whose squares are `x2` and whose
    K-weighting (with its tail), squared, is `ky2`."""
    spf = frame_samples(rate)
    k = _per_frame(ky2, spf)
    e = _per_frame(x2, spf)
    e = np.pad(e, (0, k.size - e.size))
    return Profile(n, peak, k, e)


@dataclass(frozen=True)
class LevelledClip:
    """A sentence clip levelled by its K-weighted loudness (loudness.level_clip), and its profile as a piece."""

    audio: AudioSegment
    short_db: float
    """How many dB it stays short of the target so that its peaks do not clip (0.0 normally)."""
    profile: Profile
    """The levelled clip's profile at the clip's own rate."""


def level_and_profile(audio: AudioSegment, target_lufs: float, peak_db: float) -> LevelledClip:
    """loudness.level_clip, and the levelled clip's profile, from one K-weighting of the clip.

    Levelling is a scalar gain, so the levelled clip's K-weighted energies are the clip's times
    the gain squared (the int16 rounding after it adds ~1e-7 of the energy); and clip_lufs filters
    the clip less its first sample, which is the clip filtered less that sample times the filter's
    step response (it is linear). One filtering instead of two: the costliest step after encoding.
    """
    rate = audio.frame_rate
    x = np.frombuffer(audio.raw_data, dtype=np.int16)
    if not x.size:
        return LevelledClip(audio, 0.0, profile(np.zeros(0), rate))
    top = _int16_peak(x)
    f = x / FULL_SCALE
    y = k_weight(f, rate, tail=True)
    # clip_lufs's filtering differs from this one in the first IR_S only (see above): kept aside, so
    # that the filtered clip and the clip can be squared in place (neither is needed after that).
    step = step_response(rate)[:f.size]
    head = y[:step.size] - f[0] * step
    sq = np.square(y, out=y)
    unity = _profile(x.size, top / FULL_SCALE, sq, np.square(f, out=f), rate)
    if not top:
        return LevelledClip(audio, 0.0, unity)
    sq[:step.size] = head * head
    current = squared_clip_lufs(sq[:x.size], rate)
    if not math.isfinite(current):
        return LevelledClip(audio, 0.0, unity)
    gain_db, short = capped_gain_db(20 * math.log10(top / FULL_SCALE), current, target_lufs, peak_db)
    return LevelledClip(_gained(x, gain_db, rate, top), short, unity.scaled(10 ** (gain_db / 20)))


def _int16_peak(x: np.ndarray) -> int:
    """The largest magnitude among int16 samples `x` (0 if none), read without a float copy."""
    return max(int(x.max()), -int(x.min())) if x.size else 0


def _gained(x: np.ndarray, gain_db: float, rate: int, top: int | None = None) -> AudioSegment:
    """AudioSegment.apply_gain(gain_db) of mono int16 samples `x`, in numpy: audioop.mul's product of each
    sample and the factor, held within int16 and floored, as pydub computes it (in half its time).
    `top`, the samples' largest magnitude if known, spares the clipping when no product can need it."""
    gain = 10 ** (float(gain_db) / 20)
    y = x * gain
    if top is None or top * gain > 32767:  # products are monotonic: none exceeds top * gain
        np.clip(y, -32768, 32767, out=y)
    np.floor(y, out=y)
    return from_samples(y.astype(np.int16), rate)


def limited_profile(unity: Profile, x: np.ndarray, rate: int, gain: float, ceiling: float) -> Profile:
    """The profile of int16 samples `x` (whose profile is `unity`) gained and limited, without filtering
    them again.

    The limiter only flattens the highest peaks, so each frame's K-weighted energy is taken to
    change as its plain energy does (see tests/render/test_pieces.py for how close that comes); and
    only the samples over the limiter's knee are looked at again, as no other sample changes (found
    on the int16 samples: scaling the knee by 2^15 is exact, so they are those a float copy would give).
    """
    spf = frame_samples(rate)
    knee = LIMIT_KNEE * ceiling / gain * FULL_SCALE
    over = np.flatnonzero((x > knee) | (x < -knee))
    v = x[over] * (1 / FULL_SCALE) * gain
    flat = limit(v.copy(), ceiling)
    base = unity.e * (gain * gain)
    # What the limiter takes off, in the frame each sample falls in (frame 0 is the piece's first).
    e = base + np.bincount((over + MP3_DELAY_SAMPLES) // spf, weights=flat * flat - v * v, minlength=base.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(base > 0, e / base, 1.0)
    top = _int16_peak(x)
    peak = float(np.abs(flat).max()) if over.size else top / FULL_SCALE * gain
    return Profile(unity.samples, peak, unity.k * (gain * gain) * ratio, e)


def levelled(x: np.ndarray, gain: float, ceiling: float) -> np.ndarray:
    """Float samples `x` gained and soft-limited under `ceiling` (full scale 1.0): what a piece holds."""
    return limit(x * gain, ceiling)


def to_int16(y: np.ndarray, room: np.ndarray | None = None) -> np.ndarray:
    z = y * FULL_SCALE
    if room is not None:
        z += room[:z.size]
    return np.clip(np.rint(z), -32768, 32767).astype(np.int16)


def piece_samples(x: np.ndarray, gain: float, ceiling: float, room: np.ndarray | None = None) -> np.ndarray:
    """to_int16(levelled(x / FULL_SCALE, gain, ceiling), room) for int16 samples `x`, in one float array
    instead of four (the same samples, but for a rare rounding tie that may land one step apart)."""
    y = x * gain
    limit(y, ceiling * FULL_SCALE)
    if room is not None:
        y += room[:y.size]
    np.rint(y, out=y)
    if room is not None or ceiling * FULL_SCALE > 32767:  # else the limiter has kept y within int16
        np.clip(y, -32768, 32767, out=y)
    return y.astype(np.int16)


def gated_lufs(k_frames: np.ndarray, rate: int) -> float:
    """Integrated loudness from K-weighted energies per frame: BS.1770 gating over blocks of 4 sub-blocks
    of whole frames (about 100 ms each, so blocks of about 400 ms with 75% overlap)."""
    spf = frame_samples(rate)
    step = max(1, round(STEP_S * rate / spf))
    n = k_frames.size // step
    if n < 4:
        return -math.inf
    sub = k_frames[:n * step].reshape(n, step).sum(axis=1)
    csum = np.concatenate([[0.0], np.cumsum(sub)])
    return gate_blocks((csum[4:] - csum[:-4]) / (4 * step * spf))


def rms_db(e_frames: np.ndarray, total_samples: int) -> float:
    total = float(e_frames.sum())
    return 10 * math.log10(total / total_samples) if total > 0 and total_samples else -math.inf


# How many LU quieter LAME's output measures than its input, on espeak-ng speech (three voices,
# levelled to -19 LUFS): 0.44 at 22.05/24 kHz for 64 and 128 kbps; 0.43 at 44.1 kHz, 64 kbps;
# 0.27 at 44.1 kHz, 192 kbps. A constant of the encoder settings, not of the chapter.
def encoder_loss_lu(rate: int, enc: Encoding) -> float:
    """The encoder's loudness loss for these settings (measured once, see above)."""
    if rate < 32000:
        return 0.44
    return 0.27 if enc.bitrate_kbps >= 128 else 0.43
