"""Pipeline: render_book() chains read -> script -> cast -> synthesize -> stitch -> export, in parallel."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .casting import auto_cast, check_voices, load_voice_map, speaker_stats
from .errors import EngineError, InputError, NarrateError
from .export import Encoding, Section, Tags, mp3_delay_ms, write_atomic, write_pcm_mp3
from .loudness import LoudnessTarget, normalize_samples
from .model import Book, Chapter, Script, Voice, VoiceMap
from .plan import NARRATOR_SPEAKER, TITLE, Line, plan_chapter
from .reader import load_book
from .stitch import Pacing, stitch
from .synth import CLIP_FORMAT, ClipCache, default_cache_dir, sentences, synthesize_text

log = logging.getLogger(__name__)

MANIFEST = "book.json"


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
    cache_dir: Path | None = None
    """Clip cache folder; None for the user cache (NARRATE_CACHE_DIR or ~/.cache/narrate)."""
    use_cache: bool = True
    force: bool = False
    """Re-render chapters even when nothing that shapes them changed."""
    base_url: str | None = None
    """When set, also write the podcast feed (feed.xml) with enclosures under this URL."""
    single_file: bool = False
    """Also write the whole book as one MP3 with a chapter mark per chapter."""
    m4b: bool = False
    """Also write the whole book as an .m4b audiobook (needs ffmpeg)."""
    acx: bool = False
    """Apply the ACX preset (see acx_options) on top of the other settings."""
    on_engine_error: str = "fail"
    """"fail": a line the engine cannot say fails its chapter (others still render);
    "narrator": say it with the narrator's voice instead, with a warning."""
    executor: Callable[[int], Executor] | None = field(default=None, compare=False)
    """Factory for the executor that runs chapter jobs, given the worker count. None: a local
    process pool. Chapter jobs are picklable pure data, so e.g. a Dask or Ray executor fits."""


def acx_options(options: RenderOptions) -> RenderOptions:
    """The ACX audiobook preset: 44.1 kHz, 192 kbps CBR, RMS about -20 dB, peaks under -3 dB."""
    pacing = options.pacing or Pacing()
    return dataclasses.replace(
        options, acx=False, sample_rate=44100, encoding=Encoding(bitrate_kbps=192, quality=options.encoding.quality),
        loudness=LoudnessTarget(lufs=None, rms_db=-20.0, peak_db=-3.5),
        # ACX asks for 0.5-1 s of room tone at the head and 1-5 s at the tail.
        pacing=dataclasses.replace(pacing, head_ms=min(max(pacing.head_ms, 600), 900),
                                   tail_ms=min(max(pacing.tail_ms, 1500), 4500)))


@dataclass(frozen=True)
class Progress:
    """A progress report: `done` of `total` lines of chapter `index` are synthesized."""

    index: int
    title: str
    done: int
    total: int
    status: str = "rendering"
    """"rendering", "done", "skipped" (unchanged) or "failed"."""


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


def parse_chapter_spec(spec: str | None, count: int) -> list[int]:
    """"1,3-5" -> [1, 3, 4, 5], checked against the number of chapters."""
    if not spec:
        return list(range(1, count + 1))
    chosen: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        try:
            if "-" in part:
                lo_s, hi_s = part.split("-", 1)
                lo = int(lo_s) if lo_s.strip() else 1
                hi = int(hi_s) if hi_s.strip() else count
            else:
                lo = hi = int(part)
        except ValueError:
            raise InputError(f"--chapters {spec!r}: expected numbers and ranges like 1,3-5") from None
        if lo < 1 or hi > count or lo > hi:
            raise InputError(f"--chapters {spec!r}: the book has chapters 1-{count}")
        chosen.update(range(lo, hi + 1))
    return sorted(chosen)


SCRIPT_DIR = "script"


def script_path(book_dir: Path, chapter: Chapter) -> Path:
    """Where `narrate script BOOK` keeps a chapter's editable script."""
    return book_dir / SCRIPT_DIR / f"{chapter.slug}.json"


def script_book(book: Book, book_dir: Path | None = None) -> list[Script]:
    """Split and attribute every chapter (characters discovered across the whole book).

    When `book_dir` holds an edited script for a chapter, that script is used instead, so a
    user's corrections decide who speaks.
    """
    from .attribute import script_book as _script_book

    scripts = _script_book([c.text for c in book.chapters])
    if book_dir is None:
        return scripts
    from .scriptfile import load_script

    out = []
    for chapter, auto in zip(book.chapters, scripts, strict=True):
        path = script_path(book_dir, chapter)
        out.append(load_script(path, chapter.text) if path.is_file() else auto)
    return out


def write_scripts(book: Book, out_dir: Path, force: bool = False) -> list[tuple[Chapter, Path, Script]]:
    """Write each chapter's editable script to DIR/<book>/script/, keeping user corrections unless `force`."""
    from .scriptfile import load_script, merge_corrections, save_script

    book_dir = out_dir / book.slug
    written = []
    for chapter, auto in zip(book.chapters, script_book(book), strict=True):
        path = script_path(book_dir, chapter)
        script = auto
        if path.is_file() and not force:
            script = merge_corrections(load_script(path, chapter.text), auto)
        save_script(path, script, chapter.title, str(chapter.source), auto=auto)
        written.append((chapter, path, script))
    return written


def resolve_voices(book: Book, scripts: list[Script], options: RenderOptions) -> VoiceMap:
    """The voice map in force: --voices, else voices/<book>.toml, else an automatic cast; gaps auto-cast."""
    path = options.voices_path
    if path is None:
        candidate = options.voices_dir / f"{book.slug}.toml"
        path = candidate if candidate.is_file() else None
    existing = load_voice_map(path) if path else None
    stats = speaker_stats(scripts)
    stats.pop(NARRATOR_SPEAKER, None)  # speaks with the narrator's voice unless the map says otherwise
    voices = auto_cast(stats, existing)
    check_voices(voices)
    return voices


def _fingerprint(job_material: dict) -> str:
    blob = json.dumps(job_material, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:24]


def plan_jobs(book: Book, scripts: list[Script], voices: VoiceMap, options: RenderOptions,
              book_dir: Path, selected: list[int]) -> list[ChapterJob]:
    jobs = []
    total = len(book.chapters)
    for chapter, script in zip(book.chapters, scripts, strict=True):
        if chapter.index not in selected:
            continue
        lines = tuple(plan_chapter(chapter, script, voices))
        tags = Tags(title=chapter.title, subtitle=chapter.subtitle, album=book.title, artist=book.author,
                    track=chapter.index, track_total=total, language=book.language, cover=book.cover,
                    comment=f"Narrated by narrate {__version__}")
        material = {
            "version": __version__,
            # Clips made a new way (e.g. levelled differently) must reach chapters rendered before.
            "clip_format": CLIP_FORMAT,
            "lines": [(ln.kind, ln.text, ln.voice.key(), ln.speaker, ln.pause_before) for ln in lines],
            "tags": dataclasses.asdict(tags),
            "cover_mtime": book.cover.stat().st_mtime if book.cover else None,
            "pacing": dataclasses.asdict(options.pacing),
            "loudness": dataclasses.asdict(options.loudness),
            "encoding": dataclasses.asdict(options.encoding),
            "rate": options.sample_rate,
        }
        jobs.append(ChapterJob(chapter, lines, tags, book_dir / f"{chapter.slug}.mp3", options,
                               _fingerprint(material)))
    return jobs


def _sections(chapter: Chapter, stitched, duration_ms: int, delay_ms: int) -> list[Section]:
    starts = [0, *(s + delay_ms for s in stitched.scene_starts_ms)]
    titles = [chapter.title]
    for k, start in enumerate(starts[1:], start=2):
        first = next((p.line.text for p in stitched.placed if p.start_ms + delay_ms >= start), "")
        words = " ".join(first.split()[:5])
        titles.append(f"{k}. {words}…" if words else f"Part {k}")
    ends = [*starts[1:], duration_ms]
    return [Section(t, s, e) for t, s, e in zip(titles, starts, ends, strict=True)]


def _clip_cache(opts: RenderOptions) -> ClipCache | None:
    return ClipCache(opts.cache_dir or default_cache_dir()) if opts.use_cache else None


def _synth_line(line: Line, narrator: Voice, source: Path, opts: RenderOptions, stats: dict | None = None):
    """One line's sentence clips, falling back to the narrator's voice if the options say so."""
    cache = _clip_cache(opts)
    stats = {} if stats is None else stats
    try:
        clips = synthesize_text(line.text, line.voice, opts.sample_rate, cache, stats)
    except EngineError as exc:
        if opts.on_engine_error != "narrator" or line.voice == narrator:
            raise EngineError(f"{source}: {exc}") from None
        log.warning("%s: %s; read with the narrator's voice instead", source, exc)
        clips = synthesize_text(line.text, narrator, opts.sample_rate, cache, stats)
    return clips, stats


def render_chapter(job: ChapterJob, progress: ProgressFn | None = None, synth_pool: Executor | None = None) -> dict:
    """Synthesize, stitch, level, encode and tag one chapter; return its manifest entry.

    With `synth_pool`, the sentences are synthesized in parallel there (used when a render
    has a single chapter, e.g. one chapter with a slow neural voice).
    """
    opts = job.options
    stats: dict = {}
    total = len(job.lines)
    narrator = job.lines[0].voice  # the title is always read by the narrator
    source = job.chapter.source
    if synth_pool is not None:
        # Sentences, not lines, are the unit here: a few long paragraphs would not balance.
        futures = [[synth_pool.submit(_synth_line, dataclasses.replace(line, text=sentence), narrator, source, opts)
                    for sentence in sentences(line.text)] for line in job.lines]
        clips = []
        for n, line_futures in enumerate(futures, start=1):
            line_clips = []
            for fut in line_futures:
                sentence_clips, sentence_stats = fut.result()
                line_clips.extend(sentence_clips)
                for key, value in sentence_stats.items():
                    stats[key] = stats.get(key, 0) + value
            clips.append(line_clips)
            if progress:
                progress(Progress(job.chapter.index, job.chapter.title, n, total))
    else:
        clips = []
        for n, line in enumerate(job.lines, start=1):
            clips.append(_synth_line(line, narrator, source, opts, stats)[0])
            if progress:
                progress(Progress(job.chapter.index, job.chapter.title, n, total))
    stitched = stitch(list(job.lines), clips, opts.pacing, opts.sample_rate)
    del clips  # the stitched samples hold the chapter now
    normalize_samples(stitched.samples, opts.sample_rate, opts.loudness)
    delay = mp3_delay_ms(opts.sample_rate)  # where stitched time 0 sounds in the MP3
    duration_ms = stitched.duration_ms + delay
    sections = _sections(job.chapter, stitched, duration_ms, delay)
    size = write_pcm_mp3(job.path, stitched.samples, opts.sample_rate, job.tags, sections, opts.encoding)
    cache = _clip_cache(opts)
    if cache:
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


# -- process pool plumbing --------------------------------------------------------------------

_worker_queue = None


def _init_worker(queue) -> None:
    global _worker_queue
    _worker_queue = queue


def _render_in_worker(job: ChapterJob) -> dict:
    def report(p: Progress) -> None:
        if _worker_queue is not None and (p.done == p.total or p.done % 5 == 0):
            _worker_queue.put(p)

    return render_chapter(job, report)


def _run_jobs(jobs: list[ChapterJob], n_workers: int, options: RenderOptions, progress: ProgressFn | None,
              on_done: Callable[[dict], None]) -> list[tuple[ChapterJob, NarrateError]]:
    """Render every job; a failed chapter is reported and the others go on. Returns the failures."""
    failures: list[tuple[ChapterJob, NarrateError]] = []

    def finish(job: ChapterJob, get_entry: Callable[[], dict]) -> None:
        try:
            entry = get_entry()
        except NarrateError as exc:
            failures.append((job, exc))
            status = "failed"
        else:
            on_done(entry)
            status = "done"
        if progress:
            progress(Progress(job.chapter.index, job.chapter.title, len(job.lines), len(job.lines), status))

    if (len(jobs) == 1 and options.jobs > 1 and options.executor is None
            and sum(len(sentences(line.text)) for line in jobs[0].lines) >= 24):
        # One chapter and several cores: parallelize its lines instead of chapters.
        import multiprocessing as mp

        with ProcessPoolExecutor(max_workers=options.jobs, mp_context=mp.get_context("spawn")) as pool:
            finish(jobs[0], lambda: render_chapter(jobs[0], progress, synth_pool=pool))
        return failures
    if n_workers == 1 and options.executor is None:
        for job in jobs:
            finish(job, lambda job=job: render_chapter(job, progress))
        return failures

    queue, executor = None, None
    if options.executor is not None:
        executor = options.executor(n_workers)
    else:
        import multiprocessing as mp

        ctx = mp.get_context("spawn")  # espeak state must never be shared by a forked child
        queue = ctx.Manager().Queue() if progress else None
        executor = ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx, initializer=_init_worker,
                                       initargs=(queue,))
    with executor:
        pending: dict[Future, ChapterJob] = {executor.submit(_render_in_worker, j): j for j in jobs}
        try:
            while pending:
                finished, _ = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                _drain(queue, progress)
                for fut in finished:
                    finish(pending.pop(fut), fut.result)
            _drain(queue, progress)
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise
    return failures


def _drain(queue, progress: ProgressFn | None) -> None:
    if queue is None or progress is None:
        return
    while True:
        try:
            item = queue.get_nowait()
        except Exception:  # queue.Empty from a manager proxy
            return
        progress(item)


# -- the whole book ---------------------------------------------------------------------------

def load_manifest(book_dir: Path) -> dict:
    path = book_dir / MANIFEST
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError):
        log.warning("%s is unreadable; chapters will be re-rendered", path)
        return {}
    return data if isinstance(data, dict) else {}


def _write_manifest(book: Book, book_dir: Path, entries: dict[int, dict]) -> None:
    manifest = {
        "narrate_version": __version__,
        "slug": book.slug,
        "title": book.title,
        "author": book.author,
        "language": book.language,
        "description": book.description,
        "cover": f"cover{book.cover.suffix.lower()}" if book.cover else None,
        "chapters": [entries[i] for i in sorted(entries)],
    }
    write_atomic(book_dir / MANIFEST, (json.dumps(manifest, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))


@dataclass(frozen=True)
class RenderResult:
    book_dir: Path
    rendered: tuple[int, ...]
    skipped: tuple[int, ...]
    manifest: dict


def render_book(source: Path, options: RenderOptions | None = None,
                progress: ProgressFn | None = None) -> RenderResult:
    """Render a book (folder or single .txt) to DIR/<book>/ : one MP3 per chapter plus book.json."""
    options = options or RenderOptions()
    book = load_book(source)
    if options.pacing is None:
        try:
            options = dataclasses.replace(options, pacing=Pacing.from_dict(book.pacing, "[pacing]"))
        except ValueError as exc:
            raise InputError(f"{book.settings_file}: {exc}") from None
    if options.acx:
        options = acx_options(options)
    selected = parse_chapter_spec(options.chapters, len(book.chapters))
    book_dir = options.out_dir / book.slug
    scripts = script_book(book, book_dir)
    voices = resolve_voices(book, scripts, options)
    book_dir.mkdir(parents=True, exist_ok=True)
    jobs = plan_jobs(book, scripts, voices, options, book_dir, selected)

    previous = {c.get("index"): c for c in load_manifest(book_dir).get("chapters", [])
                if isinstance(c, dict) and isinstance(c.get("index"), int)}
    # Keep entries of chapters still in the book (a partial --chapters render keeps the rest).
    entries = {i: e for i, e in previous.items()
               if 1 <= i <= len(book.chapters) and (book_dir / str(e.get("file", ""))).is_file()}
    todo, skipped = [], []
    for job in jobs:
        old = entries.get(job.chapter.index)
        if (not options.force and old and old.get("fingerprint") == job.fingerprint
                and job.path.is_file() and job.path.stat().st_size == old.get("bytes")):
            skipped.append(job.chapter.index)
            if progress:
                progress(Progress(job.chapter.index, job.chapter.title, len(job.lines), len(job.lines), "skipped"))
        else:
            todo.append(job)
    if book.cover:
        dest = book_dir / f"cover{book.cover.suffix.lower()}"
        cover = book.cover.read_bytes()
        if not dest.is_file() or dest.read_bytes() != cover:
            write_atomic(dest, cover)

    def on_done(entry: dict) -> None:
        entries[entry["index"]] = entry
        # Written after every chapter so an interrupted render keeps what it finished.
        _write_manifest(book, book_dir, entries)

    # Longest chapters first: with chapters as the unit of parallel work, this keeps every
    # core busy until the end instead of leaving one long chapter running alone.
    todo.sort(key=lambda j: -sum(len(line.text) for line in j.lines))
    n_workers = max(1, min(options.jobs, len(todo)))
    failures = _run_jobs(todo, n_workers, options, progress, on_done)
    _write_manifest(book, book_dir, entries)
    _remove_stale(book_dir)
    if failures:
        first = failures[0][1]
        done = len(todo) - len(failures)
        raise type(first)(f"{first} ({len(failures)} chapter(s) failed; {done} rendered and kept; "
                          "fix it and run again to finish)")
    if options.single_file or options.m4b:
        _export_whole_book(book, book_dir, entries, options)
    if options.base_url:
        from .feed import write_feed

        write_feed(book_dir, options.base_url)
    return RenderResult(book_dir, tuple(sorted(j.chapter.index for j in todo)), tuple(skipped),
                        load_manifest(book_dir))


def _export_whole_book(book: Book, book_dir: Path, entries: dict[int, dict], options: RenderOptions) -> None:
    from .bookfile import ChapterFile, join_mp3, make_m4b

    missing = [c.index for c in book.chapters if c.index not in entries]
    if missing:
        raise InputError(f"{book.source}: whole-book output needs every chapter rendered; "
                         f"missing chapter(s) {', '.join(map(str, missing))}")
    files = [ChapterFile(entries[i]["title"], book_dir / entries[i]["file"]) for i in sorted(entries)]
    tags = Tags(title=book.title, album=book.title, artist=book.author, track=1, track_total=1,
                language=book.language, cover=book.cover, comment=f"Narrated by narrate {__version__}")
    single = book_dir / f"{book.slug}.mp3"
    sections = join_mp3(files, single, tags)
    if options.m4b:
        make_m4b(single, sections, book_dir / f"{book.slug}.m4b", tags, options.encoding.bitrate_kbps)
        if not options.single_file:
            single.unlink(missing_ok=True)


def _remove_stale(book_dir: Path) -> None:
    """Delete leftovers of interrupted writes (.part files); never touch other files."""
    for leftover in book_dir.glob(".*.part"):
        leftover.unlink(missing_ok=True)
