"""Chapter jobs: the unit of parallel work, rendering one chapter to a tagged MP3 and its manifest entry."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..audio.export import Section, Tags, mp3_delay_ms, mp3_loudness_loss, write_pcm_mp3
from ..audio.loudness import normalize_samples
from ..audio.stitch import Stitched, add_room_tone, stitch
from ..audio.values import AudioSegment
from ..errors import EngineError
from ..model import TITLE, Chapter, Line, Voice
from ..voices.synth import ClipCache, default_cache_dir, synthesize_text
from .options import RenderOptions

log = logging.getLogger(__name__)

MIN_LOSS_LU = 0.1  # smaller encoder losses are left alone (measurement noise)
MAX_LOSS_LU = 2.0  # a bigger one means a measurement gone wrong, not an encoder


@dataclass(frozen=True)
class Progress:
    """A progress report: `done` of `total` lines of chapter `index` are synthesized."""

    index: int
    title: str
    done: int
    total: int
    status: str = "rendering"
    """"queued" (to be rendered; reported for every such chapter before any starts), "rendering",
    "encoding" (all lines synthesized; stitching, levelling and writing the MP3), "done",
    "skipped" (unchanged), "retagged" (same audio, new tags) or "failed"."""


ProgressFn = Callable[[Progress], None]


@dataclass(frozen=True)
class ChapterJob:
    """A unit of parallel work: pure data in, one MP3 and its manifest entry out."""

    chapter: Chapter
    lines: tuple[Line, ...]
    tags: Tags
    path: Path
    options: RenderOptions
    fingerprint: str
    """What shapes the chapter's samples: lines, voices, pacing, levels, encoding (not its tags)."""
    cache_dir: Path | None = None
    """Clip cache to read and fill. None: the options' (their cache_dir, else the user cache of
    the machine the job runs on), or no cache when the options say use_cache=False."""
    prune_cache: bool = True
    """Trim the cache to its size limit afterwards (not while other jobs still need its clips)."""
    tags_fingerprint: str = ""
    """What the ID3 tag holds besides the audio's own timeline (track n/total, book title, cover...)."""


def job_cache(job: ChapterJob) -> ClipCache | None:
    """The clip cache a job reads and fills, if any."""
    if job.cache_dir is not None:
        return ClipCache(job.cache_dir)
    if not job.options.use_cache:
        return None
    return ClipCache(job.options.cache_dir or default_cache_dir())


def _sections(chapter: Chapter, stitched: Stitched, duration_ms: int, delay_ms: int) -> list[Section]:
    starts = [0, *(s + delay_ms for s in stitched.scene_starts_ms)]
    titles = [chapter.title]
    for k, start in enumerate(starts[1:], start=2):
        line = next((p.line for p in stitched.placed if p.start_ms + delay_ms >= start), None)
        if line is not None and line.section:
            titles.append(line.section)  # a titled section (an EPUB contents entry, a heading)
            continue
        words = " ".join((line.text if line else "").split()[:5])
        titles.append(f"{k}. {words}…" if words else f"Part {k}")
    ends = [*starts[1:], duration_ms]
    return [Section(t, s, e) for t, s, e in zip(titles, starts, ends, strict=True)]


def synth_line(line: Line, narrator: Voice, source: Path, opts: RenderOptions, cache: ClipCache | None,
               stats: dict) -> tuple[list[AudioSegment], Line]:
    """One line's sentence clips and the line as spoken: with the narrator's voice if its own failed
    and the options allow that fallback."""
    try:
        return synthesize_text(line.said, line.voice, opts.sample_rate, cache, stats), line
    except EngineError as exc:
        if opts.on_engine_error != "narrator" or line.voice == narrator:
            raise EngineError(f"{source}: {exc}") from None
        log.warning("%s: %s; read with the narrator's voice instead", source, exc)
        clips = synthesize_text(line.said, narrator, opts.sample_rate, cache, stats)
        return clips, dataclasses.replace(line, voice=narrator)


def render_chapter(job: ChapterJob, progress: ProgressFn | None = None) -> dict:
    """Synthesize, stitch, level, encode and tag one chapter; return its manifest entry."""
    opts = job.options
    cache = job_cache(job)
    stats: dict = {}
    total = len(job.lines)
    narrator = job.lines[0].voice  # the title is always read by the narrator
    clips, spoken = [], []
    for n, line in enumerate(job.lines, start=1):
        line_clips, as_spoken = synth_line(line, narrator, job.chapter.source, opts, cache, stats)
        clips.append(line_clips)
        spoken.append(as_spoken)  # book.json names the voice actually heard
        if progress:
            progress(Progress(job.chapter.index, job.chapter.title, n, total))
    if progress:
        progress(Progress(job.chapter.index, job.chapter.title, total, total, "encoding"))
    stitched = stitch(spoken, clips, opts.pacing, opts.sample_rate)
    del clips  # the stitched samples hold the chapter now
    aim = opts.loudness
    if aim.lufs is not None:
        # Aim above the target by what the encoder will take off, so the MP3 itself measures on
        # target. The loss hardly depends on level (0.437 LU before normalizing, 0.436 after, on
        # a test chapter), so it is measured first and the chapter is gained once.
        loss = mp3_loudness_loss(stitched.samples, opts.sample_rate, opts.encoding)
        if loss > MIN_LOSS_LU:
            aim = dataclasses.replace(aim, lufs=aim.lufs + min(loss, MAX_LOSS_LU))
    normalize_samples(stitched.samples, opts.sample_rate, aim)
    if opts.room_tone_db is not None:
        add_room_tone(stitched.samples, opts.room_tone_db)  # after levelling: its level is absolute
    delay = mp3_delay_ms(opts.sample_rate)  # where stitched time 0 sounds in the MP3
    duration_ms = stitched.duration_ms + delay
    sections = _sections(job.chapter, stitched, duration_ms, delay)
    size = write_pcm_mp3(job.path, stitched.samples, opts.sample_rate, job.tags, sections, opts.encoding)
    if cache and job.prune_cache:
        cache.prune()
    return {
        "index": job.chapter.index,
        "title": job.chapter.title,
        "subtitle": job.chapter.subtitle,
        "file": job.path.name,
        "source": str(job.chapter.source),
        "bytes": size,
        "duration_ms": duration_ms,
        "fingerprint": job.fingerprint,
        "tags_fingerprint": job.tags_fingerprint,
        "synthesized_clips": stats.get("synthesized", 0),
        "cached_clips": stats.get("cached", 0),
        "sections": [dataclasses.asdict(s) for s in sections],
        "segments": [
            {"kind": "narration" if p.line.kind == TITLE else p.line.kind,
             "role": "title" if p.line.kind == TITLE else None,
             "speaker": p.line.speaker, "voice": p.line.voice.voice, "engine": p.line.voice.engine,
             "text": p.line.text, "start_ms": p.start_ms + delay, "end_ms": p.end_ms + delay}
            for p in stitched.placed
        ],
    }
