"""A deterministic engine for exact-timing tests: each word is a 100 ms tone, nothing else."""

from __future__ import annotations

import numpy as np

from narrate.audio.values import from_samples
from narrate.voices.engines import VoiceInfo

WORD_MS = 100
RATE = 22050


class FakeEngine:
    name = "fake"
    sample_rate = RATE

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def voices(self):
        return [VoiceInfo("low", "low tone"), VoiceInfo("high", "high tone")]

    def check_voice(self, voice) -> None:
        from narrate.errors import EngineError

        if voice.voice not in ("low", "high"):
            raise EngineError(f"unknown fake voice {voice.voice!r}")

    def fingerprint(self, voice) -> str:
        return "fake-1"

    def synthesize(self, text, voice):
        self.calls.append((text, voice.voice))
        n_words = len(text.split())
        hz = 200 if voice.voice == "low" else 400
        t = np.arange(int(RATE * WORD_MS / 1000) * n_words) / RATE
        tone = 0.3 * 32767 * np.sin(2 * np.pi * hz * t)
        # 50 ms of engine silence at each end, which the synth stage must trim away.
        pad = np.zeros(int(RATE * 0.05))
        return from_samples(np.concatenate([pad, tone, pad]), RATE)


class BrokenEngine(FakeEngine):
    """The fake engine, except that it cannot say the word KABOOM (for engine-failure tests)."""

    name = "broken"

    def synthesize(self, text, voice):
        from narrate.errors import EngineError

        if "KABOOM" in text:
            raise EngineError(f"cannot say {text[:20]!r}")
        return super().synthesize(text, voice)
