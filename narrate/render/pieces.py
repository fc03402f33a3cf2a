"""Chapter audio from pieces: clip profiles -> one chapter gain -> cached MP3 pieces spliced into the file."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from ..audio.export import MP3_DELAY_SAMPLES, Encoding
from ..audio.loudness import FULL_SCALE, LIMIT_KNEE, MP3_PEAK_MARGIN_DB, LoudnessTarget
from ..audio.pieces import (
    PIECE_FORMAT,
    Profile,
    SilentFrames,
    encode_piece,
    encoder_loss_lu,
    frame_samples,
    gated_lufs,
    limited_profile,
    piece_samples,
    predicted_frames,
    profile,
    rms_db,
    to_int16,
)
from ..audio.splice import Placer, Splicer
from ..audio.stitch import Pacing, room_tone
from ..audio.values import conform
from ..errors import NarrateError
from ..model import Line
from ..voices.synth import ClipCache, HeldClips, Profiles

GAIN_STEP_DB = 0.1
"""The chapter gain's grid: a small change elsewhere in a chapter usually leaves its gain, and so
every other piece's cache key, as it was."""
HELD_BYTES = 48 << 20
"""Clip samples kept in memory between a chapter's passes: a bound, whatever the chapter's length."""
CLIP_BYTES = 80 << 20
"""All clip samples a chapter keeps in memory, those its HeldClips keep included."""


@dataclass(frozen=True)
class Spoken:
    """A line as spoken and its sentence clips (cache keys), in order."""

    line: Line
    keys: tuple[str, ...]


@dataclass(frozen=True)
class PlacedLine:
    """Where a line sounds in the chapter MP3, in decoded samples."""

    line: Line
    start: int
    end: int
    clips: tuple[tuple[int, int], ...] = ()
    """Where each of its sentence clips sounds (start, end), in order."""


@dataclass(frozen=True)
class Settings:
    """What shapes a chapter's pieces besides the clips: rate, pacing, loudness, encoder, room tone."""

    rate: int
    pacing: Pacing
    loudness: LoudnessTarget
    encoding: Encoding
    room_tone_db: float | None

    def ms(self, ms: int) -> int:
        return int(self.rate * ms / 1000)


def _key(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, (PIECE_FORMAT, *parts))).encode("utf-8")).hexdigest()


def unity_key(clip_key: str, rate: int) -> str:
    """The cache key of a clip's profile at unity gain, at `rate`."""
    return _key("unity", clip_key, rate)


def quantize(gain_db: float) -> float:
    return round(round(gain_db / GAIN_STEP_DB) * GAIN_STEP_DB, 1)


class PieceMaker:
    """Clips' profiles and encoded pieces, through the cache (keyed by everything that shapes them).

    `fresh` holds the profiles of clips this process just made (measured as they were levelled).
    Without `keep`, the cache is the render's own and dies with it: pieces and profiles, which only
    a later render would read, are not written to it.
    """

    def __init__(self, cache: ClipCache, memo: HeldClips, s: Settings,
                 fresh: Profiles | None = None, keep: bool = True) -> None:
        self.cache, self.memo, self.s = cache, memo, s
        self.fresh = fresh if fresh is not None else {}
        self.keep = keep
        self.profiles: dict[str, Profile] = {}
        self.ceiling = 10 ** ((s.loudness.peak_db - MP3_PEAK_MARGIN_DB) / 20)
        self.room = None if s.room_tone_db is None else room_tone(s.room_tone_db)
        self.silent = SilentFrames(s.rate, s.encoding)
        self.encoded = 0
        self.reused = 0
        self.enc_id = (s.encoding.bitrate_kbps, s.encoding.quality, s.rate)
        self.held: dict[str, np.ndarray] = {}
        self.held_bytes = 0

    def pcm(self, key: str) -> np.ndarray:
        """The clip's samples at the chapter's rate, float, full scale 1.0."""
        return self.pcm16(key) * (1 / FULL_SCALE)

    def pcm16(self, key: str) -> np.ndarray:
        """The clip's int16 samples at the chapter's rate (read-only)."""
        x = self.held.get(key)
        if x is None:
            clip = self.memo.get(key)
            in_memory = self.memo.holds(key)
            if clip is None:
                clip = self.cache.get(key)
            if clip is None:
                raise NarrateError(f"clip {key[:12]} vanished from the cache {self.cache.root} during the render; "
                                   "run the render again")
            x = np.frombuffer(conform(clip, self.s.rate).raw_data, dtype=np.int16)
            # The loudness passes and the encoder each need the clip: up to HELD_BYTES of clips read from
            # the cache are kept between them (a chapter of some minutes), within what the HeldClips leave of
            # CLIP_BYTES; beyond that, they are read again.
            room = min(HELD_BYTES, CLIP_BYTES - self.memo.held_bytes)
            if not in_memory and self.held_bytes + x.nbytes <= room:
                self.held[key] = x
                self.held_bytes += x.nbytes
        return x

    def profile(self, key: str) -> Profile:
        """The clip's profile at unity gain (before the limiter)."""
        if key in self.profiles:
            return self.profiles[key]
        pkey = unity_key(key, self.s.rate)
        rate, prof = self.fresh.pop(key, (None, None))
        if rate != self.s.rate:
            prof = self._load(pkey)
        if prof is None:
            prof = profile(self.pcm(key), self.s.rate)
            self._store("profiles", pkey, prof.to_bytes())
        elif rate == self.s.rate:
            self._store("profiles", pkey, prof.to_bytes())
        self.profiles[key] = prof
        return prof

    def _store(self, kind: str, pkey: str, data: bytes) -> None:
        if self.keep:
            self.cache.put_blob(kind, pkey, data)

    def limited(self, key: str, gain_db: float) -> Profile:
        """The clip's profile once gained by `gain_db` and limited (measured only if the limiter touches it)."""
        prof = self.profile(key)
        gain = 10 ** (gain_db / 20)
        if prof.peak * gain <= LIMIT_KNEE * self.ceiling:
            return prof.scaled(gain)
        if not self.keep:  # only a render that keeps them stores them
            return limited_profile(prof, self.pcm16(key), self.s.rate, gain, self.ceiling)
        pkey = _key("limited", key, self.s.rate, f"{gain_db:.1f}", self.ceiling)
        lim = self._load(pkey)
        if lim is None:
            lim = limited_profile(prof, self.pcm16(key), self.s.rate, gain, self.ceiling)
            self._store("profiles", pkey, lim.to_bytes())
        return lim

    def _load(self, pkey: str) -> Profile | None:
        data = self.cache.get_blob("profiles", pkey)
        try:
            return Profile.from_bytes(data) if data else None
        except ValueError:
            return None

    def piece(self, key: str, gain_db: float) -> tuple[bytes, int]:
        """The clip's MP3 frames at the chapter gain, and how many frames they are."""
        pkey = _key("piece", key, f"{gain_db:.1f}", self.ceiling, self.enc_id, self.s.room_tone_db)
        data = self.cache.get_blob("pieces", pkey) if self.keep else None
        if data and len(data) > 4:
            self.reused += 1
            return data[4:], int.from_bytes(data[:4], "little")
        x = piece_samples(self.pcm16(key), 10 ** (gain_db / 20), self.ceiling, self._tone(self.profile(key).samples))
        frames, n = encode_piece(x, self.s.rate, self.s.encoding)
        self._store("pieces", pkey, n.to_bytes(4, "little") + frames)
        self.encoded += 1
        return frames, n

    def _tone(self, n: int) -> np.ndarray | None:
        # The same floor under every piece, from the same phase: a piece is identical in every render.
        return None if self.room is None else np.resize(self.room, n)

    def gap(self, n: int) -> bytes:
        """`n` frames of pause: silence, or room tone in a piece of its own (cached by length)."""
        spf = frame_samples(self.s.rate)
        inner = n * spf - MP3_DELAY_SAMPLES - 2 * spf
        if self.room is None or inner < spf:
            return self.silent.frames(n)
        pkey = _key("room", n, self.enc_id, self.s.room_tone_db)
        data = self.cache.get_blob("pieces", pkey)
        if data:
            return data
        while True:
            frames, got = encode_piece(to_int16(np.zeros(inner), self._tone(inner)), self.s.rate, self.s.encoding)
            if got <= n or inner < 2 * spf:
                break
            inner -= spf
        data = frames + self.silent.frames(max(0, n - got))
        # Kept even in a render's own cache: the same pause lengths come back all through the chapter.
        self.cache.put_blob("pieces", pkey, data)
        return data


def walk(spoken: list[Spoken], maker: PieceMaker, s: Settings):
    """(line, index of clip in line, key, pause before it in samples) for every clip with sound."""
    for sp in spoken:
        keys = [k for k in sp.keys if maker.profile(k).samples]
        for j, key in enumerate(keys):
            pause = s.pacing.before(sp.line) if j == 0 else s.pacing.sentence_ms
            yield sp, j, len(keys), key, s.ms(pause)


def chapter_gain(spoken: list[Spoken], maker: PieceMaker, s: Settings) -> float:
    """The chapter's gain in dB (on the GAIN_STEP_DB grid), from the clips' profiles: no chapter in memory."""
    placer = Placer(s.rate, 0)
    starts: list[tuple[int, str]] = []
    spf = frame_samples(s.rate)
    for _, _, _, key, pause in walk(spoken, maker, s):
        placer.pause(pause)
        n = maker.profile(key).samples
        _, start = placer.place(n, predicted_frames(n, s.rate))
        starts.append(((start - MP3_DELAY_SAMPLES) // spf, key))
    placer.end(s.ms(s.pacing.tail_ms))
    total = placer.cursor
    target = s.loudness

    def measure(gain_db: float | None) -> float:
        acc = np.zeros(total + 8 + int(0.5 * s.rate / spf))
        for frame, key in starts:
            prof = maker.profile(key) if gain_db is None else maker.limited(key, gain_db)
            energy = prof.k if target.lufs is not None else prof.e
            acc[frame:frame + energy.size] += energy[:max(0, acc.size - frame)]
        if target.lufs is not None:
            return gated_lufs(acc, s.rate)
        return rms_db(acc, total * spf)

    goal = target.lufs + encoder_loss_lu(s.rate, s.encoding) if target.lufs is not None else target.rms_db
    if goal is None:
        return 0.0
    first = measure(None)
    if not math.isfinite(first):
        return 0.0
    gain = quantize(goal - first)
    # The limiter takes a little off the loudest clips; measured once at this gain and made up for.
    limited = measure(gain)
    return quantize(gain + goal - limited) if math.isfinite(limited) else gain


def write_chapter(out: BinaryIO, spoken: list[Spoken], maker: PieceMaker, s: Settings,
                  gain_db: float) -> tuple[list[PlacedLine], int]:
    """Splice the chapter's pieces into `out`; return where each line sounds and the length in samples."""
    placed: list[PlacedLine] = []
    splicer = Splicer(out, s.rate, 0, maker.gap)
    clips: list[tuple[int, int]] = []
    for sp, j, n_clips, key, pause in walk(spoken, maker, s):
        splicer.pause(pause)
        frames, n_frames = maker.piece(key, gain_db)
        at = splicer.piece(frames, n_frames, maker.profile(key).samples)
        if j == 0:
            clips = []
        clips.append((at, at + maker.profile(key).samples))
        if j == n_clips - 1:
            placed.append(PlacedLine(sp.line, clips[0][0], clips[-1][1], tuple(clips)))
    total = splicer.finish(s.ms(s.pacing.tail_ms))
    return placed, total
