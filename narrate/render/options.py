"""Render options: everything that shapes a render besides the book itself, and the ACX preset."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

from ..audio.export import Encoding
from ..audio.settings import LoudnessTarget, Pacing


@dataclass(frozen=True)
class RenderOptions:
    """Everything that shapes a render besides the book itself."""

    out_dir: Path = Path("output")
    voices_path: Path | None = None
    """Voice map; default voices/<book>.toml when it exists, else an automatic cast."""
    voices_dir: Path = Path("voices")
    chapters: str | None = None
    """Chapter selection such as "1,3-5" (1-based); None renders all."""
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    pacing: Pacing | None = None
    """Pauses; None for the book's [pacing] in book.toml over the defaults."""
    loudness: LoudnessTarget = field(default_factory=LoudnessTarget)
    encoding: Encoding = field(default_factory=Encoding)
    sample_rate: int = 22050
    cache_dir: Path | str | None = None
    """Clip cache folder, or an fsspec URL such as s3://bucket/narrate-cache (the `[s3]` extra); None for
    the user cache (NARRATE_CACHE_DIR or ~/.cache/narrate)."""
    use_cache: bool = True
    force: bool = False
    """Re-render chapters even when nothing that shapes them changed."""
    base_url: str | None = None
    """When set, also write the podcast feed (feed.xml) with enclosures under this URL."""
    feed_per_book: bool = False
    """`base_url` is the URL of the output folder, not of one book: each book's feed is at base_url/<book>/
    (several books rendered at once, served as `narrate serve` serves the folder)."""
    single_file: bool = False
    """Also write the whole book as one MP3 with a chapter mark per chapter."""
    m4b: bool = False
    """Also write the whole book as an .m4b audiobook (needs ffmpeg)."""
    acx: bool = False
    """Apply the ACX preset (see acx_options) on top of the other settings."""
    room_tone_db: float | None = None
    """A constant noise floor under each chapter, in dBFS RMS (the ACX preset's room tone);
    None: pauses are digital silence."""
    on_engine_error: str = "fail"
    """"fail": a line the engine cannot say fails its chapter (others still render);
    "narrator": say it with the narrator's voice instead, with a warning."""
    all_documents: bool = False
    """Read an EPUB's front and back matter too (cover, title page, contents, licence...)."""
    upload_to: str | None = None
    """An fsspec URL (s3://bucket/books) whose <book>/ folder is the book's real home, for workers that do not
    see this machine's disk: each chapter job puts its MP3 there itself, and out_dir (a staging folder) holds
    book.json and what this process makes (cover, re-tags, whole-book files, feed) until they are uploaded
    (publish.remote.RemoteOutput.publish). None: chapters are written into out_dir."""
    executor: Callable[[int], Executor] | None = field(default=None, compare=False)
    """Factory for the executor that runs chapter jobs, given the worker count. None: a local
    process pool. Chapter jobs are picklable pure data (the jobs carry these options without the
    factory), so e.g. `lambda n: client.get_executor(pure=False)` runs them on a Dask cluster.
    With an executor of your own, sentences are also spread over its workers when `cache_dir`
    (or NARRATE_CACHE_DIR) names a clip cache they all see; else chapters are the only unit of work.
    An executor with a `relay(progress)` method (render.relay.ClusterRelay(client).executor) has it called while
    the render waits, to pass on its workers' progress and log records."""


def job_options(options: RenderOptions) -> RenderOptions:
    """The options a chapter job carries to a worker: without the executor factory, which need not pickle
    (a lambda around a Dask client) and which a worker never uses."""
    return dataclasses.replace(options, executor=None) if options.executor is not None else options


ACX_ROOM_TONE_DB = -75.0


def acx_options(options: RenderOptions) -> RenderOptions:
    """The ACX audiobook preset: 44.1 kHz, 192 kbps CBR, RMS about -20 dB, peaks under -3 dB, room tone."""
    pacing = options.pacing or Pacing()
    return dataclasses.replace(
        options, acx=False, sample_rate=44100, encoding=Encoding(bitrate_kbps=192, quality=options.encoding.quality),
        loudness=LoudnessTarget(lufs=None, rms_db=-20.0, peak_db=-3.5),
        # ACX rejects digital silence: a floor well under its -60 dB limit, well over 16-bit quantization.
        room_tone_db=ACX_ROOM_TONE_DB if options.room_tone_db is None else options.room_tone_db,
        # ACX asks for 0.5-1 s of room tone at the head and 1-5 s at the tail.
        pacing=dataclasses.replace(pacing, head_ms=min(max(pacing.head_ms, 600), 900),
                                   tail_ms=min(max(pacing.tail_ms, 1500), 4500)))
