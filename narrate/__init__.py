"""narrate: turn plain-text stories into multi-voice, tagged audiobook MP3s."""

from .errors import EngineError, ExportError, InputError, NarrateError, RenderError, VoiceMapError
from .model import Book, Chapter, Character, Script, Segment, Voice, VoiceMap

__version__ = "0.1.0"

__all__ = [
    "Book", "Chapter", "Character", "EngineError", "ExportError", "InputError",
    "NarrateError", "RenderError", "Script", "Segment", "Voice", "VoiceMap", "VoiceMapError", "__version__",
]
