"""A chapter's audio fingerprint, kept apart from its speakers' names (labels, not sound)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence

from ..model import Line
from ..voices.synth import CLIP_FORMAT
from .options import RenderOptions

AUDIO_FORMAT = "audio-3"  # audio-3: no sentence break (and pause) after "Mr.", "Dr." or an initial
"""Bump when narrate makes an unchanged chapter's samples differently (stitching, levelling,
encoding), so chapters rendered before are encoded again. Tags are compared on their own."""


def digest(material: object) -> str:
    blob = json.dumps(material, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:24]


def audio_fingerprint(lines: Sequence[Line], options: RenderOptions, speakers: Sequence[str | None] | None = None) -> str:
    """What shapes a chapter's samples: its lines (text, voice, pause), pacing, levels, encoding.

    A speaker's name is not heard (their voice and the pauses their turns take are in the lines), so
    renaming one leaves the audio as it was. They were part of it before: `speakers` (one per line) gives
    the fingerprint a chapter recorded then, so that it is not encoded again.
    """
    return digest({
        "audio_format": AUDIO_FORMAT,
        # Clips made a new way (e.g. levelled differently) must reach chapters rendered before.
        "clip_format": CLIP_FORMAT,
        # A section title is in the chapter frames, so it shapes the file; lines without one keep
        # the fingerprints of chapters rendered before sections had titles.
        "lines": [(ln.kind, ln.text, ln.voice.key()) + ((speakers[i],) if speakers is not None else ())
                  + (ln.pause_before,)
                  + ((ln.section,) if ln.section else ())
                  # What the lexicon made of a line is what is heard; lines it left alone (and
                  # books without one) keep the fingerprints they had before lexicons existed.
                  + ((("spoken", ln.spoken),) if ln.spoken is not None else ()) for i, ln in enumerate(lines)],
        "pacing": dataclasses.asdict(options.pacing),
        "loudness": dataclasses.asdict(options.loudness),
        "encoding": dataclasses.asdict(options.encoding),
        "rate": options.sample_rate,
        "room_tone_db": options.room_tone_db,
    })


def _aligned(segments: object, lines: Sequence[Line]) -> list[dict | None] | None:
    """For each of `lines`, the segment of a chapter entry's `segments` made from it (same text, in order; a line
    with nothing to say has none); None when the segments are not those of these lines."""
    if not isinstance(segments, list) or not all(isinstance(seg, dict) for seg in segments):
        return None
    out: list[dict | None] = []
    todo = iter(segments)
    seg = next(todo, None)
    for ln in lines:
        if seg is not None and seg.get("text") == ln.text:
            out.append(seg)
            seg = next(todo, None)
        else:
            out.append(None)
    return out if seg is None else None


def relabelled(segments: object, lines: Sequence[Line]) -> list[dict] | None:
    """A chapter entry's `segments` under the speakers of `lines`, the lines they were made from; None when
    they are not."""
    aligned = _aligned(segments, lines)
    if aligned is None:
        return None
    return [{**seg, "speaker": ln.speaker} for ln, seg in zip(lines, aligned, strict=True) if seg is not None]


def former_fingerprint(entry: dict, lines: Sequence[Line], options: RenderOptions) -> str | None:
    """The fingerprint narrate gave `lines`, when speaker names were part of it, under the names that chapter
    entry `entry` shows: if it is the entry's, the chapter's audio is what the lines make now."""
    aligned = _aligned(entry.get("segments"), lines)
    if aligned is None:
        return None
    names = [ln.speaker if seg is None else seg.get("speaker") for ln, seg in zip(lines, aligned, strict=True)]
    return audio_fingerprint(lines, options, names)
