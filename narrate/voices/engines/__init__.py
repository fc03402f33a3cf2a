"""Engines: the TTS engine protocol and a registry of built-in and plug-in engines."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ...errors import EngineError

if TYPE_CHECKING:  # pydub is only needed once audio is actually made
    from pydub import AudioSegment

    from ...model import Voice

ENTRY_POINT_GROUP = "narrate.engines"

# Built-ins are registered exactly like third-party engines: "module:Class" strings,
# imported only when the engine is used, so `narrate --help` stays light.
BUILTIN_ENGINES = {
    "espeak": "narrate.voices.engines.espeak:EspeakEngine",
    "piper": "narrate.voices.engines.piper:PiperEngine",
}


@dataclass(frozen=True)
class VoiceInfo:
    """One voice an engine offers."""

    id: str
    name: str
    gender: str = "unknown"
    languages: tuple[str, ...] = ()
    description: str = ""


@runtime_checkable
class Engine(Protocol):
    """What every TTS engine provides. Engines return audio; they never write output files."""

    name: str
    sample_rate: int

    def voices(self) -> list[VoiceInfo]:
        """Every voice (and voice variant) this engine can speak with."""
        ...

    def check_voice(self, voice: Voice) -> None:
        """Raise EngineError if `voice` cannot be used with this engine (unknown id, bad range)."""
        ...

    def synthesize(self, text: str, voice: Voice) -> AudioSegment:
        """Speak `text` with `voice`; mono 16-bit audio with leading/trailing silence kept."""
        ...

    def fingerprint(self, voice: Voice) -> str:
        """Extra cache-key material (engine version, model file hash) for `voice`."""
        ...

    # Optional: `fast = True` says synthesis is much cheaper than encoding (espeak-ng), so a render
    # parallelizes whole chapters only; engines without it get sentences spread across cores.


_registered: dict[str, str | Callable[[], Engine]] = {}
_instances: dict[str, Engine] = {}
_creating = threading.Lock()


def register_engine(name: str, target: str | Callable[[], Engine]) -> None:
    """Register an engine at run time: a "module:attr" string or a zero-argument factory."""
    _registered[name] = target
    _instances.pop(name, None)


def available_engines() -> dict[str, str | Callable[[], Engine]]:
    """Engine name -> "module:attr" target (or factory): built-ins, registered, then entry points."""
    found: dict = dict(BUILTIN_ENGINES)
    found.update(_registered)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep.value)
    return found


def loadable_anywhere(name: str) -> bool:
    """Whether a fresh Python process (a spawned render worker) finds engine `name` too.

    Built-ins and entry points: yes. Engines given to register_engine live in this process only.
    """
    if name in _registered:
        return False
    return name in BUILTIN_ENGINES or any(ep.name == name for ep in entry_points(group=ENTRY_POINT_GROUP))


def get_engine(name: str) -> Engine:
    """Return the (per-process, cached) engine called `name`, or raise EngineError listing the known ones."""
    if name in _instances:
        return _instances[name]
    # Several books plan at once in one process (render --cluster): one instance per engine, as espeak needs.
    with _creating:
        if name not in _instances:
            _instances[name] = _create_engine(name)
        return _instances[name]


def _create_engine(name: str) -> Engine:
    engines = available_engines()
    if name not in engines:
        raise EngineError(f"unknown engine {name!r} (available: {', '.join(sorted(engines))})")
    target = engines[name]
    if callable(target):
        factory = target
    else:
        module_name, _, attr = target.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attr)
        except ImportError as exc:
            raise EngineError(f"engine {name!r} cannot be loaded: {exc}") from None
    return factory()
