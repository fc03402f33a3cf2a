"""Casting on one multi-speaker neural model: a steady narrator, and each character a distinct speaker that fits."""

from __future__ import annotations

import dataclasses
import logging
import math

from ..audio.pitch import semitones
from ..model import Voice, VoiceMap
from .profile import ModelProfile, SpeakerProfile

log = logging.getLogger(__name__)

CENTROID_WEIGHT = 0.5
"""How much a difference in brightness counts against one in pitch (both in semitones) when spreading voices."""
STEADY_TOLERANCE_ST = 0.25
"""Narrator candidates within this much of the steadiest voice's F0 spread count as equally steady."""
SHARED_PITCH_STEP = 12
"""Pitch points (1.2 semitones) between characters who share a speaker of the model, and the narrator."""


def _distance(a: SpeakerProfile, b: SpeakerProfile) -> float:
    return math.hypot(semitones(a.f0_hz, b.f0_hz), CENTROID_WEIGHT * semitones(a.centroid_hz, b.centroid_hz))


def steady_narrator(speakers: tuple[SpeakerProfile, ...]) -> SpeakerProfile:
    """The speaker whose pitch moves least (a narrator reads for hours); among equals, the one nearest the
    middle of the model's pitches, so characters can sit above and below it."""
    steadiest = min(s.spread_st for s in speakers)
    steady = [s for s in speakers if s.spread_st <= steadiest + STEADY_TOLERANCE_ST]
    # The lower middle: low voices are fewer in most models (and in the tone fixture), and each one the
    # narrator does not take is one more for the men.
    middle = sorted(s.f0_hz for s in speakers)[(len(speakers) - 1) // 2]
    return min(steady, key=lambda s: (semitones(s.f0_hz, middle), s.speaker_id or 0))


def _pick(candidates: list[SpeakerProfile], placed: list[SpeakerProfile], gender: str) -> SpeakerProfile:
    """The candidate farthest from every voice already placed; ties go to the gender's end of the range."""
    def score(s: SpeakerProfile) -> tuple[float, float]:
        nearest = min((_distance(s, p) for p in placed), default=0.0)
        return (round(nearest, 6), s.f0_hz if gender == "female" else -s.f0_hz)

    return max(candidates, key=score)


def multi_speaker_cast(stats: dict[str, dict], existing: VoiceMap | None, profile: ModelProfile,
                       model: str) -> VoiceMap:
    """Cast a book on the speakers of one profiled model (`model` is how the voice map names it).

    The narrator (unless `existing` names one) is the steadiest speaker. Characters, most lines first,
    each get a speaker nobody else has while any is free: women from the high voices, men from the low
    ones, each as far in pitch and brightness from the voices already cast as the model allows, so the
    main characters end up furthest apart. Speakers already in `existing` keep their voices.
    """
    speakers = profile.speakers

    def voice(s: SpeakerProfile, pitch: int = 50) -> Voice:
        return Voice("piper", s.spec(model), 175, pitch)

    by_spec = {s.spec(model): s for s in speakers}
    if existing is None:
        narrator_profile = steady_narrator(speakers)
        base = VoiceMap(narrator=voice(narrator_profile))
    else:
        base = existing
    cast = dict(base.speakers)
    placed = [by_spec[v.voice] for v in [base.narrator, *cast.values()] if v.engine == "piper" and v.voice in by_spec]
    used = {"male": 0, "female": 0}
    shared: list[str] = []
    for name in cast:
        if stats.get(name, {}).get("gender") in used:
            used[stats[name]["gender"]] += 1
    for name, info in stats.items():
        if name in cast or base.canonical(name) != name:
            continue
        gender = info["gender"] if info["gender"] in used else ("male" if used["male"] <= used["female"] else "female")
        used[gender] += 1
        want = "high" if gender == "female" else "low"
        free = [s for s in speakers if s not in placed]
        fitting = [s for s in free if s.register == want]
        if fitting:
            chosen = _pick(fitting, placed, gender)
        elif free:  # no free voice of the register: the free one nearest that end of the range
            chosen = max(free, key=lambda s: s.f0_hz if gender == "female" else -s.f0_hz)
        else:  # more characters than speakers: they share, in turn, each at a pitch of its own
            pool = [s for s in speakers if s.register == want] or list(speakers)
            chosen = pool[(used[gender] - 1) % len(pool)]
            if not shared:
                log.warning("%s has %d speaker(s) for the narrator and %d characters: characters share them, "
                            "told apart by pitch (a model with more speakers gives them voices of their own)",
                            model, len(speakers), sum(1 for n in stats if base.canonical(n) == n))
            shared.append(name)
            # Women above the speaker's own pitch, men below, each further than the last of theirs on it.
            side = 1 if gender == "female" else -1
            taken = {v.pitch for v in [base.narrator, *cast.values()] if v.voice == chosen.spec(model)}
            pitch = next((p for k in range(1, 4) for p in [50 + side * SHARED_PITCH_STEP * k] if p not in taken),
                         50 + side * SHARED_PITCH_STEP * ((len(taken) % 3) + 1))
            cast[name] = voice(chosen, pitch)
            placed.append(chosen)
            continue
        cast[name] = voice(chosen)
        placed.append(chosen)
    highs = sorted((s for s in speakers if s.register == "high"), key=lambda s: -s.f0_hz) or list(speakers)
    lows = sorted((s for s in speakers if s.register == "low"), key=lambda s: s.f0_hz) or list(speakers)
    return dataclasses.replace(base, speakers=cast,
                               default_male=base.default_male or voice(lows[-1]),
                               default_female=base.default_female or voice(highs[-1]),
                               default_unknown=base.default_unknown or base.narrator)
