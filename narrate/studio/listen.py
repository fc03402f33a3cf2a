"""Studio: a line or a voice synthesized on demand, as WAV bytes, through the clip cache renders use."""

from __future__ import annotations

import io
import wave

from ..audio.values import AudioSegment, silence
from ..errors import EngineError
from ..model import Voice
from ..voices.synth import ClipCache, default_cache_dir, synthesize_text

RATE = 22050
GAP_MS = 250
MAX_CHARS = 2000
"""Longer text is cut: a line heard in the studio is a check, not a render."""


def speak(text: str, voice: Voice) -> bytes:
    """`text` said by `voice` as a mono 16-bit WAV file."""
    clips = synthesize_text(text[:MAX_CHARS], voice, RATE, ClipCache(default_cache_dir()))
    if not clips:
        raise EngineError(f"{voice.voice} produced no sound for {text[:40]!r}")
    audio: AudioSegment = clips[0]
    for clip in clips[1:]:
        audio = audio + silence(GAP_MS, RATE) + clip
    return wav_bytes(audio)


def wav_bytes(audio: AudioSegment) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(audio.frame_rate)
        w.writeframes(audio.raw_data)
    return buf.getvalue()
