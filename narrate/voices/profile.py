"""Voice profiles: how each speaker of a piper model sounds (median F0, its spread, brightness), measured once and cached."""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from ..audio.pitch import pitch_stats
from ..audio.values import samples
from ..errors import EngineError
from ..model import Voice
from .engines import get_engine

log = logging.getLogger(__name__)

PROBE_TEXT = ("The quick brown fox jumps over the lazy dog. Where are you going? "
              "I never said she stole my money, and I am not sorry.")
"""A statement, a question and an emphatic line: enough voiced speech to show a voice's pitch and range."""
PROFILE_VERSION = "profile-v1"
"""Bump when the probe or the measures change, so profiles cached before are measured again."""
LOW_HIGH_SPLIT_HZ = 160.0
"""Median F0 under this is a low voice (most men's), over it a high one (most women's and children's)."""


@dataclass(frozen=True)
class SpeakerProfile:
    """One speaker of a model, measured on the probe."""

    speaker: str
    """What follows '#' in a voice spec: a name from the model's speaker_id_map, else the number; "" for a
    single-speaker model."""
    speaker_id: int | None
    f0_hz: float
    spread_st: float
    """Interquartile range of F0 in semitones: small is a steady voice."""
    centroid_hz: float
    register: str
    """"low" or "high" (see LOW_HIGH_SPLIT_HZ)."""

    def spec(self, model: str) -> str:
        """The voice map's `voice` for this speaker of `model`."""
        return f"{model}#{self.speaker}" if self.speaker else model


@dataclass(frozen=True)
class ModelProfile:
    """Every speaker of one model file (by its sha256), measured."""

    model: str
    """The model's name (file stem)."""
    sha256: str
    speakers: tuple[SpeakerProfile, ...]

    def to_dict(self) -> dict:
        return {"version": PROFILE_VERSION, "model": self.model, "sha256": self.sha256,
                "speakers": [asdict(s) for s in self.speakers]}

    @classmethod
    def from_dict(cls, data: dict) -> ModelProfile:
        return cls(model=data["model"], sha256=data["sha256"],
                   speakers=tuple(SpeakerProfile(**s) for s in data["speakers"]))


def profile_cache_dir() -> Path:
    """Where profiles are kept: NARRATE_CACHE_DIR/profiles, else the user's cache folder."""
    # Profiles stay on this machine when the clip cache is remote storage (s3://...).
    if os.environ.get("NARRATE_CACHE_DIR") and "://" not in os.environ["NARRATE_CACHE_DIR"]:
        return Path(os.environ["NARRATE_CACHE_DIR"]) / "profiles"
    import platformdirs

    return Path(platformdirs.user_cache_dir("narrate")) / "profiles"


def _cache_path(sha256: str) -> Path:
    return profile_cache_dir() / f"{sha256[:32]}.json"


def _model(spec: str):
    from .engines.piper import file_sha256

    model = get_engine("piper").resolve(spec).model
    return model, file_sha256(model.path)


def cached_profile(spec: str) -> ModelProfile | None:
    """The cached profile of the model `spec` names (a name or path, '#speaker' ignored), or None."""
    try:
        model, digest = _model(spec)
        data = json.loads(_cache_path(digest).read_text(encoding="utf-8"))
        if data.get("version") != PROFILE_VERSION or data.get("sha256") != digest:
            return None
        return ModelProfile.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError, EngineError):
        return None


def speakers_of(spec: str) -> list[tuple[str, int | None]]:
    """(speaker spec, id) for every speaker of the model: named ones by name, the rest by number."""
    model = get_engine("piper").resolve(spec).model
    if model.num_speakers <= 1:
        return [("", None)]
    names = {sid: name for name, sid in model.speakers.items()}
    return [(names.get(sid, str(sid)), sid) for sid in range(model.num_speakers)]


ProfileProgress = Callable[[int, int], None]
"""(speakers done, speakers in all)."""


def spread_sample(items: list, n: int | None) -> list:
    """`n` of `items` spread evenly from first to last (all of them when n is None or not smaller)."""
    if n is None or n >= len(items):
        return list(items)
    if n <= 1:
        return list(items[:1])
    return [items[round(i * (len(items) - 1) / (n - 1))] for i in range(n)]


def profile_model(spec: str, progress: ProfileProgress | None = None,
                  max_speakers: int | None = None) -> tuple[ModelProfile, bool]:
    """Measure the speakers of a piper model on the probe text; (profile, whether it all came from the cache).

    `max_speakers` measures that many speakers spread over the model's range of ids (a model of 900
    speakers takes a while to hear out); None measures them all. Measurements are kept per model file
    (its sha256) and only speakers not measured before are synthesized.
    """
    model, digest = _model(spec)
    cached = cached_profile(spec)
    have = {s.speaker_id: s for s in cached.speakers} if cached else {}
    wanted = spread_sample(speakers_of(spec), max_speakers)
    todo = [(speaker, sid) for speaker, sid in wanted if sid not in have]
    if cached is not None and not todo:
        return ModelProfile(model.name, digest, tuple(have[sid] for _, sid in wanted if sid in have)), True
    engine = get_engine("piper")
    speakers = todo
    measured = list(have.values())
    for n, (speaker, sid) in enumerate(speakers, start=1):
        audio = engine.synthesize(PROBE_TEXT, Voice("piper", f"{spec}#{speaker}" if speaker else spec))
        stats = pitch_stats(samples(audio), audio.frame_rate)
        if math.isnan(stats.f0_hz):
            log.warning("piper voice %s speaker %s: no voiced speech in the probe; left out", model.name, speaker)
        else:
            measured.append(SpeakerProfile(speaker=speaker, speaker_id=sid, f0_hz=round(stats.f0_hz, 2),
                                           spread_st=round(stats.spread_st, 3),
                                           centroid_hz=round(stats.centroid_hz, 1),
                                           register="low" if stats.f0_hz < LOW_HIGH_SPLIT_HZ else "high"))
        if progress:
            progress(n, len(speakers))
    measured.sort(key=lambda s: -1 if s.speaker_id is None else s.speaker_id)
    profile = ModelProfile(model=model.name, sha256=digest, speakers=tuple(measured))
    try:
        from ..audio.export import write_atomic

        _cache_path(digest).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(_cache_path(digest), json.dumps(profile.to_dict(), indent=1).encode("utf-8"))
    except OSError as exc:
        log.warning("cannot keep the voice profile in %s (%s)", profile_cache_dir(), exc.strerror or exc)
    ids = {sid for _, sid in wanted}
    return dataclasses.replace(profile, speakers=tuple(s for s in measured if s.speaker_id in ids)), False


def speaker_profile(voice: Voice) -> SpeakerProfile | None:
    """The cached profile of a piper voice's speaker (never measured here), or None."""
    if voice.engine != "piper":
        return None
    try:
        resolved = get_engine("piper").resolve(voice.voice)
    except EngineError:
        return None
    profile = cached_profile(str(resolved.model.path))
    if profile is None:
        return None
    wanted = resolved.speaker_id if resolved.speaker_id is not None else (0 if len(profile.speakers) > 1 else None)
    return next((s for s in profile.speakers if s.speaker_id == wanted), None)
