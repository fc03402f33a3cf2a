"""Check: measure an MP3's loudness, peaks, noise floor and format against ACX or default rules."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError, NarrateError
from .loudness import gate_blocks
from .mp3frames import iter_file_frames

log = logging.getLogger(__name__)

PROFILES = ("default", "acx")
DEFAULT_TARGET_LUFS = -19.0

_BLOCK_S = 0.01
"""Resolution of the windowed measurements (noise floor, room tone)."""
_NOISE_WINDOW_S = 0.5
_SILENCE_DB = -50.0
"""Blocks quieter than this (or than noise floor + 10 dB, if louder) count as room tone..."""
_SILENCE_CAP_DB = -40.0
"""...but never louder than this, so a file without pauses does not read as all room tone."""
DIGITAL_SILENCE_DB = -100.0
"""A noise floor this low is digital silence (16-bit quantization noise alone is about -101 dB):
ACX asks for the room's own tone in pauses, not gaps of nothing."""
_OVERSAMPLE = 4
_PAD = 64

@dataclass(frozen=True)
class Measurements:
    """What was measured in one file; levels in dBFS (LUFS for loudness), times in seconds."""

    duration_s: float
    sample_rate: int
    channels: int
    bitrate_kbps: float
    bitrate_mode: str
    """"CBR", "VBR", "ABR" or "unknown"."""
    integrated_lufs: float
    """ITU-R BS.1770 integrated loudness; -inf for silence or files under 0.4 s."""
    rms_db: float
    """RMS over the whole file (ACX style: a full-scale sine reads -3 dB)."""
    peak_db: float
    """True-peak estimate: the sample peak of the signal oversampled 4x."""
    sample_peak_db: float
    noise_floor_db: float
    """RMS of the quietest 0.5 s window."""
    head_s: float
    """Leading room tone (near-silence) before the first sound."""
    tail_s: float
    """Trailing room tone after the last sound."""


@dataclass(frozen=True)
class RuleResult:
    """One rule applied to one measurement."""

    name: str
    passed: bool
    measured: float | str
    requirement: str
    unit: str = ""

    def measured_text(self) -> str:
        """The measured value for people, e.g. "-20.3 dB" or "CBR"."""
        if isinstance(self.measured, str):
            return self.measured
        value = "-inf" if self.measured == -math.inf else f"{self.measured:.{_digits(self.unit)}f}"
        return f"{value} {self.unit}".rstrip()


def _digits(unit: str) -> int:
    return {"Hz": 0, "kbps": 0}.get(unit, 2 if unit == "s" else 1)


@dataclass(frozen=True)
class CheckReport:
    """The rules applied to one file, with everything that was measured."""

    path: Path
    profile: str
    measurements: Measurements
    rules: tuple[RuleResult, ...]

    @property
    def passed(self) -> bool:
        return all(rule.passed for rule in self.rules)

    @property
    def failures(self) -> tuple[RuleResult, ...]:
        return tuple(rule for rule in self.rules if not rule.passed)


def check_file(path: Path, profile: str = "default", *,
               target_lufs: float = DEFAULT_TARGET_LUFS) -> CheckReport:
    """Measure an MP3 and apply a profile's rules ("acx" or "default")."""
    if profile not in PROFILES:
        raise NarrateError(f"unknown check profile {profile!r}; choose from {', '.join(PROFILES)}")
    path = Path(path)
    measured = measure_file(path)
    rules = acx_rules(measured) if profile == "acx" else default_rules(measured, target_lufs)
    return CheckReport(path=path, profile=profile, measurements=measured, rules=rules)


def acx_rules(m: Measurements) -> tuple[RuleResult, ...]:
    """ACX submission requirements (audible.com/ACX audio submission requirements)."""
    cbr_ok = m.bitrate_mode == "CBR" and m.bitrate_kbps >= 192
    return (
        RuleResult("rms", -23 <= m.rms_db <= -18, m.rms_db, "between -23 and -18 dB", "dB"),
        RuleResult("peak", m.peak_db <= -3, m.peak_db, "at most -3 dB", "dB"),
        RuleResult("noise floor", m.noise_floor_db <= -60, m.noise_floor_db, "at most -60 dB", "dB"),
        RuleResult("room tone", m.noise_floor_db > DIGITAL_SILENCE_DB, m.noise_floor_db,
                   f"above {DIGITAL_SILENCE_DB:g} dB: room noise, not digital silence", "dB"),
        RuleResult("sample rate", m.sample_rate == 44100, float(m.sample_rate), "44100 Hz", "Hz"),
        RuleResult("bitrate", cbr_ok, f"{m.bitrate_kbps:.0f} kbps {m.bitrate_mode}",
                   "192 kbps or higher, CBR"),
        RuleResult("head room tone", 0.5 <= m.head_s <= 1.0, m.head_s, "0.5 to 1 s", "s"),
        RuleResult("tail room tone", 1.0 <= m.tail_s <= 5.0, m.tail_s, "1 to 5 s", "s"),
        RuleResult("length", m.duration_s <= 120 * 60, m.duration_s / 60, "at most 120 min", "min"),
    )


def default_rules(m: Measurements, target_lufs: float = DEFAULT_TARGET_LUFS,
                  tolerance_lu: float = 1.0, max_peak_db: float = -1.5) -> tuple[RuleResult, ...]:
    """narrate's own target: integrated loudness near `target_lufs`, true peak below -1.5 dB."""
    loud_ok = abs(m.integrated_lufs - target_lufs) <= tolerance_lu
    return (
        RuleResult("loudness", loud_ok, m.integrated_lufs,
                   f"{target_lufs:g} ± {tolerance_lu:g} LUFS", "LUFS"),
        RuleResult("peak", m.peak_db <= max_peak_db, m.peak_db, f"at most {max_peak_db:g} dB", "dB"),
    )


def measure_file(path: Path) -> Measurements:
    """Decode an MP3 in-process, a block at a time, and measure it; InputError if it is not a readable MP3."""
    path = Path(path)
    bitrate_kbps, mode = _mp3_format(path)
    meter = _stream(path)
    rate, channels = meter.rate, meter.channels
    energy = np.asarray(meter.energy, dtype=np.float64)
    rms_db = _db_power(meter.total / max(1, meter.frames * channels))
    block = max(1, round(rate * _BLOCK_S))
    noise_floor_db = _noise_floor(energy, block * channels, rms_db)
    head_s, tail_s = _room_tone(energy, block * channels, noise_floor_db, meter.frames / rate)
    return Measurements(
        duration_s=meter.frames / rate,
        sample_rate=rate,
        channels=channels,
        bitrate_kbps=bitrate_kbps,
        bitrate_mode=mode,
        integrated_lufs=meter.loudness(),
        rms_db=rms_db,
        peak_db=_db_amplitude(max(meter.sample_peak, meter.true_peak)),
        sample_peak_db=_db_amplitude(meter.sample_peak),
        noise_floor_db=noise_floor_db,
        head_s=head_s,
        tail_s=tail_s,
    )


STREAM_FRAMES = 1 << 16
"""Frames decoded at a time: memory stays at a block, whatever the length of the file."""


class FrameMeter:
    """Loudness, RMS, peaks and 10 ms block energies of a signal fed a block at a time."""

    def __init__(self, rate: int, channels: int) -> None:
        from .kweight import KWeighter

        self.rate, self.channels = rate, channels
        self.frames = 0
        self.total = 0.0
        self.sample_peak = 0.0
        self.true_peak = 0.0
        self.energy: list[float] = []
        self.block = max(1, round(rate * _BLOCK_S))
        self.step = int(round(0.1 * rate))
        self.subs: list[float] = []
        self.weighters = [KWeighter(rate) for _ in range(channels)]
        self._rest = np.zeros((0, channels), dtype=np.float32)  # samples short of a 10 ms block
        self._krest = np.zeros(0)  # K-weighted power short of a 100 ms sub-block
        self._context = np.zeros((0, channels), dtype=np.float32)  # the last samples, for the true peak

    def add(self, x: np.ndarray) -> None:
        """Feed samples shaped (frames, channels), float, full scale 1.0."""
        if not x.size:
            return
        self.frames += len(x)
        self.total += float(np.sum(np.square(x, dtype=np.float64)))
        self.sample_peak = max(self.sample_peak, float(np.max(np.abs(x))))
        self.true_peak = max(self.true_peak, self._peak(x))
        joined = np.concatenate([self._rest, x])
        n = len(joined) // self.block * self.block
        sq = np.square(joined[:n].reshape(-1, self.block * self.channels), dtype=np.float64)
        self.energy.extend(np.sum(sq, axis=1).tolist())
        self._rest = joined[n:]
        power = sum(np.square(w.feed(x[:, c].astype(np.float64))) for c, w in enumerate(self.weighters))
        power = np.concatenate([self._krest, power])
        m = len(power) // self.step * self.step
        self.subs.extend(power[:m].reshape(-1, self.step).sum(axis=1).tolist())
        self._krest = power[m:]

    def _peak(self, x: np.ndarray) -> float:
        from scipy.signal import resample_poly

        # The last PAD samples of a block are measured with the next one, and PAD samples before them
        # go along as context: the resampling filter's edge effects stay out of what is measured.
        joined = np.concatenate([self._context, x])
        lead = max(0, len(self._context) - _PAD)
        up = resample_poly(joined, _OVERSAMPLE, 1, axis=0)
        inner = up[lead * _OVERSAMPLE:max(lead, len(joined) - _PAD) * _OVERSAMPLE]
        self._context = joined[-2 * _PAD:]
        return float(np.max(np.abs(inner))) if inner.size else 0.0

    def finish(self) -> None:
        """Measure the true peak of the last samples held back as context."""
        if len(self._context):
            from scipy.signal import resample_poly

            up = resample_poly(self._context, _OVERSAMPLE, 1, axis=0)
            lead = max(0, len(self._context) - _PAD)
            self.true_peak = max(self.true_peak, float(np.max(np.abs(up[lead * _OVERSAMPLE:]))))

    def loudness(self) -> float:
        """BS.1770 integrated loudness (LUFS) of everything fed; -inf for silence or under 0.4 s."""
        sub = np.asarray(self.subs)
        if sub.size < 4:
            return -math.inf
        csum = np.concatenate([[0.0], np.cumsum(sub)])
        return gate_blocks((csum[4:] - csum[:-4]) / (4 * self.step))


def _stream(path: Path) -> FrameMeter:
    """Decode `path` block by block into a FrameMeter."""
    import miniaudio

    try:
        info = miniaudio.get_file_info(str(path))
        meter = FrameMeter(info.sample_rate, info.nchannels)
        for chunk in miniaudio.stream_file(str(path), output_format=miniaudio.SampleFormat.FLOAT32,
                                           nchannels=info.nchannels, sample_rate=info.sample_rate,
                                           frames_to_read=STREAM_FRAMES):
            meter.add(np.asarray(chunk, dtype=np.float32).reshape(-1, info.nchannels))
    except miniaudio.MiniaudioError as exc:
        raise InputError(f"{path}: cannot decode audio ({exc})") from exc
    if not meter.frames:
        raise InputError(f"{path}: contains no audio")
    meter.finish()
    return meter


def _db_power(power: float) -> float:
    return 10 * math.log10(power) if power > 0 else -math.inf


def _db_amplitude(amplitude: float) -> float:
    return 20 * math.log10(amplitude) if amplitude > 0 else -math.inf


def _mp3_format(path: Path) -> tuple[float, str]:
    """Bitrate in kbps and CBR/VBR/ABR, from mutagen, confirmed by walking the frame headers."""
    import mutagen.mp3

    if not path.is_file():
        raise InputError(f"{path}: file not found")
    if path.suffix.lower() in (".m4b", ".m4a", ".mp4"):
        # narrate makes its M4B from the MP3s it checks: check those (the whole-book MP3, or each chapter).
        raise InputError(f"{path}: narrate check reads MP3 files; check the chapter MP3s (or the --single-file "
                         "MP3) the M4B was made from")
    try:
        info = mutagen.mp3.MP3(path).info
    except (mutagen.MutagenError, OSError) as exc:
        raise InputError(f"{path}: not a readable MP3 file ({exc})") from exc
    mode = {mutagen.mp3.BitrateMode.CBR: "CBR", mutagen.mp3.BitrateMode.VBR: "VBR",
            mutagen.mp3.BitrateMode.ABR: "ABR"}.get(info.bitrate_mode, "unknown")
    with open(path, "rb") as fh:
        rates = _frame_bitrates(fh)
    if len(rates) == 1 and mode in ("unknown", "CBR"):
        return float(next(iter(rates))), "CBR"
    if len(rates) > 1:
        return info.bitrate / 1000, "ABR" if mode == "ABR" else "VBR"
    return info.bitrate / 1000, mode


def _frame_bitrates(fh) -> set[int]:
    """Bitrates (kbps) of all MPEG Layer III frames of an open file; empty if the stream cannot be walked."""
    try:
        return {frame.kbps for frame in iter_file_frames(fh)}
    except ValueError:
        return set()  # free-format or invalid: cannot tell


def _noise_floor(energy: np.ndarray, block_values: int, fallback_db: float) -> float:
    width = round(_NOISE_WINDOW_S / _BLOCK_S)
    if len(energy) < width:
        return fallback_db
    sums = np.cumsum(np.concatenate(([0.0], energy)))
    windows = (sums[width:] - sums[:-width]) / (width * block_values)
    return _db_power(float(np.min(np.maximum(windows, 0.0))))


def _room_tone(energy: np.ndarray, block_values: int, noise_floor_db: float,
               duration_s: float) -> tuple[float, float]:
    threshold_db = min(max(_SILENCE_DB, noise_floor_db + 10), _SILENCE_CAP_DB)
    threshold = 10 ** (threshold_db / 10) * block_values
    loud = np.flatnonzero(energy > threshold)
    if not len(loud):
        return duration_s, duration_s
    head = loud[0] * _BLOCK_S
    tail = max(0.0, duration_s - (loud[-1] + 1) * _BLOCK_S)
    return float(head), float(tail)
