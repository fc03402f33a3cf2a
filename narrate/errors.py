"""Errors: the few exception types the library raises for problems a user must fix."""

from __future__ import annotations


class NarrateError(Exception):
    """Base of every error the user can act on; the CLI prints it as one line."""


class InputError(NarrateError):
    """A text, book folder or chapter cannot be read or has nothing to say."""


class VoiceMapError(NarrateError):
    """A voice map file is malformed or names something that does not exist."""


class EngineError(NarrateError):
    """A TTS engine is unknown, not installed, or failed to synthesize."""


class DownloadError(NarrateError):
    """A voice could not be fetched: offline, not found, interrupted, or not the bytes the catalogue names."""


class ExportError(NarrateError):
    """Audio could not be encoded, tagged or written."""


class RenderError(NarrateError):
    """A render could not go on for a reason outside the book (a worker process died)."""


class ClusterError(RenderError):
    """The cluster a render runs on cannot be reached, or went away during the render."""
