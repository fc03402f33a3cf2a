"""Chapter jobs: the unit of parallel work, rendering one chapter to a tagged MP3 and its manifest entry."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..audio.export import Section, Tags, atomic_path, build_tags, put_tag, tag_room
from ..audio.settings import Pacing
from ..errors import EngineError, ExportError, NarrateError, RenderError
from ..model import TITLE, Chapter, Line, Voice
from ..storage import open_filesystem, put_whole
from ..voices.synth import ClipCache, HeldClips, Profiles, clip_keys, default_cache_dir, sentence_spans

if TYPE_CHECKING:  # the audio code loads in the worker that renders, not to plan a render
    from .pieces import PlacedLine, Spoken
from .options import RenderOptions

log = logging.getLogger(__name__)

HOLD_BYTES = 80 << 20
"""Clips a chapter rendered with --no-cache keeps in memory rather than in its own cache (see HeldClips):
as much as the chapter keeps of clips read back at most (render.pieces.CLIP_BYTES), so the bound is the same."""

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
    parts: tuple[int, int] | None = None
    """While "encoding" a chapter's pieces in parts on every worker: how many parts are done, of how many."""


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
    upload_to: str | None = None
    """The book's folder on fsspec storage (s3://bucket/books/<book>) when the chapter goes there instead of to
    `path`: for workers that do not see the client's disk, it is rendered in a temporary folder of the worker
    and put whole at upload_to/<path's name>."""
    pieces_made: bool = False
    """Its pieces (and their energies) were encoded into `cache_dir` beforehand, spread over the workers
    (prepare_pieces, encode_pieces): the job reads them from there even with --no-cache."""


def job_cache(job: ChapterJob) -> ClipCache | None:
    """The clip cache a job reads and fills, if any."""
    if job.cache_dir is not None:
        return ClipCache(job.cache_dir)
    if not job.options.use_cache:
        return None
    return ClipCache(job.options.cache_dir or default_cache_dir())


def _sections(chapter: Chapter, placed: list[PlacedLine], scene_starts_ms: list[int],
              duration_ms: int, rate: int) -> list[Section]:
    starts = [0, *scene_starts_ms]
    titles = [chapter.title]
    for k, start in enumerate(starts[1:], start=2):
        line = next((p.line for p in placed if _ms(p.start, rate) >= start), None)
        if line is not None and line.section:
            titles.append(line.section)  # a titled section (an EPUB contents entry, a heading)
            continue
        words = " ".join((line.text if line else "").split()[:5])
        titles.append(f"{k}. {words}…" if words else f"Part {k}")
    ends = [*starts[1:], duration_ms]
    return [Section(t, s, e) for t, s, e in zip(titles, starts, ends, strict=True)]


def _ms(samples: int, rate: int) -> int:
    return round(samples * 1000 / rate)


def synth_line(line: Line, narrator: Voice, source: Path, opts: RenderOptions, cache: ClipCache,
               stats: dict, memo: HeldClips, profiles: Profiles | None = None) -> Spoken:
    """One line's sentence clips (cache keys) and the line as spoken: with the narrator's voice if its
    own failed and the options allow that fallback. Clips made have their profiles put in `profiles`."""
    from .pieces import Spoken

    try:
        return Spoken(line, tuple(clip_keys(line.said, line.voice, cache, stats, memo, profiles)))
    except EngineError as exc:
        if opts.on_engine_error != "narrator" or line.voice == narrator:
            raise EngineError(f"{source}: {exc}") from None
        log.warning("%s: %s; read with the narrator's voice instead", source, exc)
        line = dataclasses.replace(line, voice=narrator)
        return Spoken(line, tuple(clip_keys(line.said, narrator, cache, stats, memo, profiles)))


def render_chapter(job: ChapterJob, progress: ProgressFn | None = None) -> dict:
    """Synthesize, level, encode (piece by piece) and tag one chapter; return its manifest entry.

    Whatever the file system says while it runs (a folder this worker cannot see or write, a full
    disk) is this chapter's failure, a RenderError naming it: on a cluster an OSError coming back
    from a task must mean the connection, never a chapter, or one chapter's trouble stops them all.
    """
    try:
        return _render_chapter(job, progress)
    except OSError as exc:
        raise RenderError(f"{job.chapter.source}: {exc.strerror or exc}"
                          + (f" ({exc.filename})" if exc.strerror and exc.filename else "")) from None


def _render_chapter(job: ChapterJob, progress: ProgressFn | None) -> dict:
    if job.upload_to is not None:
        return _render_and_upload(job, progress)
    with contextlib.ExitStack() as stack:
        cache = job_cache(job)
        if cache is None:  # --no-cache: a private cache for this chapter alone, gone afterwards
            cache = ClipCache(Path(stack.enter_context(tempfile.TemporaryDirectory(
                dir=job.path.parent, prefix=".clips-"))))
        # A cache that dies with the render holds no clip a later render reads: the first of them stay in
        # memory, the rest in a file of their own beside the chapter.
        memo = stack.enter_context(HeldClips(0, None) if job.options.use_cache
                                   else HeldClips(HOLD_BYTES, job.path.parent))
        return _render(job, cache, memo, progress)


def _render_and_upload(job: ChapterJob, progress: ProgressFn | None) -> dict:
    """render_chapter into a temporary folder of this machine, then the MP3 put whole at its URL.

    Only the manifest entry goes back to the client: a chapter's MP3 (300 MB for ten hours) never passes
    through the scheduler or the client. A chapter that fails or is cancelled uploads nothing.
    """
    url = f"{job.upload_to}/{job.path.name}"
    with tempfile.TemporaryDirectory(prefix="narrate-chapter-") as tmp:
        here = dataclasses.replace(job, path=Path(tmp) / job.path.name, upload_to=None)
        entry = render_chapter(here, progress)
        if progress:
            # Reported again before the upload: on a cluster this raises (relay.TaskCancelled) when the client
            # cancelled the chapter while it was encoding, so no file that no book.json lists reaches the URL.
            progress(Progress(job.chapter.index, job.chapter.title, len(job.lines), len(job.lines), "encoding"))
        try:
            fs, target, atomic = open_filesystem(url)
            put_whole(fs, str(here.path), target, atomic)
        except NarrateError:
            raise
        except Exception as exc:  # noqa: BLE001 (a storage library's own errors: credentials, a bucket refusing)
            raise ExportError(f"{url}: cannot upload ({type(exc).__name__}: {exc})") from None
    return entry


def _settings(opts: RenderOptions):
    from .pieces import Settings

    return Settings(opts.sample_rate, opts.pacing or Pacing(), opts.loudness, opts.encoding, opts.room_tone_db)


def _spoken(job: ChapterJob, cache: ClipCache, memo: HeldClips, stats: dict, fresh: Profiles | None = None,
            progress: ProgressFn | None = None) -> list[Spoken]:
    """Every line of the job with its sentence clips (synthesized where the cache has none)."""
    narrator = job.lines[0].voice  # the title is always read by the narrator
    spoken = []
    for n, line in enumerate(job.lines, start=1):
        spoken.append(synth_line(line, narrator, job.chapter.source, job.options, cache, stats, memo, fresh))
        if progress:
            progress(Progress(job.chapter.index, job.chapter.title, n, len(job.lines)))
    return spoken


def _shared_maker(job: ChapterJob):
    """A PieceMaker on the job's cache that keeps what it makes there (for the other workers and the chapter
    job), whether or not the render keeps a cache; and its settings."""
    from .pieces import PieceMaker

    cache = ClipCache(job.cache_dir) if job.cache_dir is not None else job_cache(job)
    if cache is None:
        raise RenderError("internal: pieces are made ahead only into a cache the chapter job reads")
    settings = _settings(job.options)
    return PieceMaker(cache, HeldClips(0, None), settings, keep=True), settings


def prepare_pieces(job: ChapterJob) -> tuple[float, list[str]]:
    """The chapter's gain (its limited energies kept in the cache) and its clips with sound, each once, in
    order: what encode_pieces needs to encode the chapter's pieces in parts, on several workers at once."""
    from .pieces import chapter_gain, walk

    maker, settings = _shared_maker(job)
    spoken = _spoken(job, maker.cache, maker.memo, {})
    keys = dict.fromkeys(key for _, _, _, key, _ in walk(spoken, maker, settings))
    return chapter_gain(spoken, maker, settings), list(keys)


def encode_pieces(job: ChapterJob, gain_db: float, keys: list[str]) -> int:
    """Encode the pieces of clips `keys` of the chapter at `gain_db` into the job's cache, where the chapter
    job then finds them; return how many were encoded (not found there already)."""
    maker, _ = _shared_maker(job)
    for key in keys:
        maker.piece(key, gain_db)
    return maker.encoded


def _render(job: ChapterJob, cache: ClipCache, memo: HeldClips, progress: ProgressFn | None) -> dict:
    from .pieces import PieceMaker, chapter_gain, write_chapter

    opts = job.options
    stats: dict = {}
    fresh: Profiles = {}
    total = len(job.lines)
    spoken = _spoken(job, cache, memo, stats, fresh, progress)
    if progress:
        progress(Progress(job.chapter.index, job.chapter.title, total, total, "encoding"))
    settings = _settings(opts)
    # Pieces and profiles are written for later renders only where a later render looks (not --no-cache),
    # or where the workers that made this chapter's pieces ahead put them.
    maker = PieceMaker(cache, memo, settings, fresh, keep=opts.use_cache or job.pieces_made)
    gain_db = chapter_gain(spoken, maker, settings)
    rate = opts.sample_rate
    # The frames are written after room enough for any tag this chapter can have: the tag, known once the
    # timeline is, then goes in front of them without a rewrite of a file that may hold hours of audio.
    room = tag_room(job.tags, 1 + sum(1 for line in job.lines if line.pause_before == "scene"))
    try:
        with atomic_path(job.path) as tmp, open(tmp, "r+b") as out:
            out.seek(room)
            placed, total_samples = write_chapter(out, spoken, maker, settings, gain_db)
            duration_ms = _ms(total_samples, rate)
            scenes = [_ms(p.start, rate) - settings.pacing.before(p.line) // 2
                      for p in placed if p.line.pause_before == "scene"]
            sections = _sections(job.chapter, placed, scenes, duration_ms, rate)
            put_tag(out, build_tags(job.tags, sections, duration_ms), room)
            if progress:
                # Reported again before the file takes its name: on a cluster this raises (relay.TaskCancelled)
                # when the client cancelled the chapter while it was encoding, so a render that was stopped (and
                # has tidied its folder) never gets a chapter file afterwards.
                progress(Progress(job.chapter.index, job.chapter.title, total, total, "encoding"))
    except OSError as exc:
        raise ExportError(f"{job.path}: cannot write ({exc.strerror or exc})") from None
    size = job.path.stat().st_size
    if job.prune_cache:
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
        "encoded_pieces": maker.encoded,
        "cached_pieces": maker.reused,
        "gain_db": gain_db,
        "sections": [dataclasses.asdict(s) for s in sections],
        "segments": [
            {"kind": "narration" if p.line.kind == TITLE else p.line.kind,
             "role": "title" if p.line.kind == TITLE else None,
             "speaker": p.line.speaker, "voice": p.line.voice.voice, "engine": p.line.voice.engine,
             "rate": p.line.voice.rate, "pitch": p.line.voice.pitch,
             "text": p.line.text, "start_ms": _ms(p.start, rate), "end_ms": _ms(p.end, rate),
             **_sentences(p, rate)}
            for p in placed
        ],
    }


def _sentences(p: PlacedLine, rate: int) -> dict:
    """{"sentences": [[end, start_ms, end_ms], ...]} for a line of several sentence clips: where each sentence
    of its text ends (a str offset, closing quote marks included) and when it is heard, for captions a
    sentence long; {} when the line is one sentence, or its text splits otherwise than the clips."""
    spans = sentence_spans(p.line.text)
    # Said otherwise than written (the book's pronunciations: "Dr." as "Doctor"), the clips are the sentences
    # of what was said: only where both split alike do the text's sentences have their times.
    if len(p.clips) < 2 or len(spans) != len(p.clips) or (
            p.line.spoken is not None and len(sentence_spans(p.line.spoken)) != len(p.clips)):
        return {}
    return {"sentences": [[end, _ms(a, rate), _ms(b, rate)] for (_, end), (a, b) in zip(spans, p.clips)]}
