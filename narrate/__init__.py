"""narrate: turn stories into multi-voice, tagged audiobook MP3s (the public API; deeper modules are internal)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._version import __version__
from .errors import DownloadError, EngineError, ExportError, InputError, NarrateError, RenderError, VoiceMapError
from .model import NARRATOR_SPEAKER, Book, Chapter, Character, Script, Segment, Voice, VoiceMap

# Everything beyond the data model is imported on first use, so `import narrate` (and `narrate
# --help`) stays light: rendering pulls in numpy, pydub and the encoder.
_LAZY = {
    "load_book": "text.reader",
    "read_text": "text.reader",
    "split_text": "text.segment",
    "script_text": "attribution.attribute",
    "load_script": "attribution.scriptfile",
    "save_script": "attribution.scriptfile",
    "auto_cast": "voices.casting",
    "load_voice_map": "voices.casting",
    "fetch_catalogue": "voices.catalogue",
    "download_voice": "voices.catalogue",
    "remove_voice": "voices.catalogue",
    "profile_model": "voices.profile",
    "multi_speaker_cast": "voices.multicast",
    "Lexicon": "text.lexicon",
    "parse_lexicon": "text.lexicon",
    "Engine": "voices.engines",
    "VoiceInfo": "voices.engines",
    "available_engines": "voices.engines",
    "get_engine": "voices.engines",
    "register_engine": "voices.engines",
    "Encoding": "audio.export",
    "LoudnessTarget": "audio.loudness",
    "Pacing": "audio.stitch",
    "check_file": "audio.check",
    "Progress": "render.job",
    "RenderOptions": "render.options",
    "acx_options": "render.options",
    "RenderResult": "render.pipeline",
    "render_book": "render.pipeline",
    "script_book": "render.pipeline",
    "write_scripts": "render.pipeline",
    "write_feed": "publish.feed",
    "serve": "publish.serve",
}

__all__ = [
    "NARRATOR_SPEAKER", "Book", "Chapter", "Character", "DownloadError", "EngineError", "ExportError", "InputError",
    "NarrateError", "RenderError", "Script", "Segment", "Voice", "VoiceMap", "VoiceMapError", "__version__",
    *_LAZY,
]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'narrate' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from .attribution.attribute import script_text
    from .attribution.scriptfile import load_script, save_script
    from .audio.check import check_file
    from .audio.export import Encoding
    from .audio.loudness import LoudnessTarget
    from .audio.settings import Pacing
    from .publish.feed import write_feed
    from .publish.serve import serve
    from .render.job import Progress
    from .render.options import RenderOptions, acx_options
    from .render.pipeline import RenderResult, render_book, script_book, write_scripts
    from .text.lexicon import Lexicon, parse_lexicon
    from .text.reader import load_book, read_text
    from .text.segment import split_text
    from .voices.casting import auto_cast, load_voice_map
    from .voices.catalogue import download_voice, fetch_catalogue, remove_voice
    from .voices.engines import Engine, VoiceInfo, available_engines, get_engine, register_engine
    from .voices.multicast import multi_speaker_cast
    from .voices.profile import profile_model
