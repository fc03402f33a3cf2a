"""Parallel rendering: sentences synthesized across all cores, then chapter jobs on a process pool."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, CancelledError, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ClusterError, EngineError, NarrateError, RenderError
from ..model import Voice
from ..storage import is_remote, location
from ..voices.engines import get_engine, loadable_anywhere
from ..voices.synth import ClipCache, Profiles, default_cache_dir, sentences, synthesize_sentence
from .job import ChapterJob, Progress, ProgressFn, render_chapter
from .workers import parent_queue, worker_pool

log = logging.getLogger(__name__)

# Below this many new sentences, a fast engine's pre-synthesis pass costs more (worker start-up,
# clips written and read back) than it saves.
MIN_FAST_SENTENCES = 24
# Work per pre-synthesis task, in characters: large enough that inter-process overhead is small
# next to a fast engine's synthesis, small enough that a slow engine's tasks balance across cores.
BATCH_CHARS = (200, 5000)
# Pieces are encoded in parts across the workers when the chapters number fewer than this many per worker
# (with more, whole chapters keep every core busy), this many sentences are new (their pieces too), and
# a part holds this many pieces at least.
SPREAD_BELOW = 3
MIN_SPREAD_SENTENCES = 120
MIN_SPREAD_PIECES = 40
PRIVATE_CACHE_PREFIX = ".clips-"


def _is_fast(engine_name: str) -> bool:
    """Whether an engine synthesizes so fast that chapters are enough parallel work (espeak-ng)."""
    return bool(getattr(get_engine(engine_name), "fast", False))


# -- sentence pre-synthesis -------------------------------------------------------------------

@dataclass
class SentencePlan:
    """Which sentence clips a render still has to make, and which lines of which job need each."""

    todo: dict[str, tuple[Voice, str]] = field(default_factory=dict)
    """cache key -> (voice, sentence), in first-needed order."""
    users: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    """cache key -> (job number, line number) of every occurrence."""
    remaining: list[list[int]] = field(default_factory=list)
    """Per job, per line: sentences not yet in the cache."""
    slow: bool = False
    """Some clip needs an engine that is not fast (a neural voice)."""

    def first_needed_by(self, key: str) -> int:
        """The job credited with synthesizing clip `key` (the others find it cached)."""
        return self.users[key][0][0]

    def lines_done(self, job: int) -> int:
        """How many lines of job number `job` have every clip they need."""
        return sum(1 for n in self.remaining[job] if n == 0)


def plan_sentences(jobs: list[ChapterJob], cache: ClipCache) -> SentencePlan:
    """Find every sentence of `jobs` whose clip is not in `cache` (each distinct clip once)."""
    plan = SentencePlan()
    fingerprints: dict[tuple, str] = {}
    for j, job in enumerate(jobs):
        per_line = []
        for i, line in enumerate(job.lines):
            voice = line.voice
            if voice.key() not in fingerprints:
                fingerprints[voice.key()] = get_engine(voice.engine).fingerprint(voice)
            missing = 0
            for sentence in sentences(line.said):
                key = ClipCache.key(voice, sentence, fingerprints[voice.key()])
                if key not in plan.todo:
                    if key in cache:
                        cache.touch(key)  # needed by this render: the last clips pruning may take
                        continue
                    plan.todo[key] = (voice, sentence)
                    plan.slow = plan.slow or not _is_fast(voice.engine)
                plan.users.setdefault(key, []).append((j, i))
                missing += 1
            per_line.append(missing)
        plan.remaining.append(per_line)
    return plan


def worth_presynthesizing(plan: SentencePlan, n_jobs: int, workers: int) -> bool:
    """Spread sentences over the cores when chapters alone would leave cores idle or synthesis is slow."""
    if workers < 2 or not plan.todo:
        return False
    if plan.slow:
        # Neural synthesis dominates the render: sentence-sized work keeps every core busy
        # until the end instead of waiting on the longest chapter.
        return len(plan.todo) >= 2
    return n_jobs < workers and len(plan.todo) >= MIN_FAST_SENTENCES


def _batches(plan: SentencePlan, workers: int) -> list[list[str]]:
    """The keys of `plan.todo` in runs of about the same amount of text, one run per task."""
    if plan.slow:
        size = BATCH_CHARS[0]
    else:
        total = sum(len(sentence) for _, sentence in plan.todo.values())
        size = min(BATCH_CHARS[1], max(BATCH_CHARS[0], total // (workers * 16)))
    batches: list[list[str]] = [[]]
    chars = 0
    for key, (_, sentence) in plan.todo.items():
        if chars >= size:
            batches.append([])
            chars = 0
        batches[-1].append(key)
        chars += len(sentence)
    return batches


def synthesize_batch(items: list[tuple[Voice, str]], cache_dir: Path) -> list[int]:
    """Synthesize sentences into the cache at `cache_dir`; return the positions that failed.

    A failure is not raised here: the chapter job meets the same sentence again and fails or
    falls back to the narrator's voice, as the render options say.
    """
    from .pieces import unity_key

    cache = ClipCache(cache_dir)
    failed = []
    fingerprints: dict[tuple, str] = {}
    profiles: Profiles = {}
    for n, (voice, sentence) in enumerate(items):
        try:
            if voice.key() not in fingerprints:
                fingerprints[voice.key()] = get_engine(voice.engine).fingerprint(voice)
            synthesize_sentence(sentence, voice, cache, fingerprint=fingerprints[voice.key()], profiles=profiles)
            # The profile measured as the clip was levelled, for the chapter job (which need not filter it again).
            for key, (rate, prof) in profiles.items():
                cache.put_blob("profiles", unity_key(key, rate), prof.to_bytes())
            profiles.clear()
        except EngineError as exc:
            log.debug("pre-synthesis of %r failed: %s", sentence[:40], exc)
            failed.append(n)
    return failed


def presynthesize(plan: SentencePlan, jobs: list[ChapterJob], pool: Executor, workers: int, cache_dir: Path,
                  progress: ProgressFn | None, queue: Any = None) -> dict[int, int]:
    """Fill the cache with every clip `plan` lists, sentences spread over `pool`.

    Reports each job's lines as they become ready; returns how many clips each job is credited
    with synthesizing (for its manifest entry, since the chapter job itself then finds them cached).
    Log records the workers put on `queue` are passed on meanwhile.
    """
    def report(j: int) -> None:
        if progress:
            job = jobs[j]
            progress(Progress(job.chapter.index, job.chapter.title, plan.lines_done(j), len(job.lines)))

    for j in range(len(jobs)):
        report(j)
    cache = ClipCache(cache_dir)
    credit = {j: 0 for j in range(len(jobs))}
    pending: dict[Future, list[str]] = {}
    for keys in _batches(plan, workers):
        pending[pool.submit(synthesize_batch, [plan.todo[k] for k in keys], cache_dir)] = keys
    try:
        while pending:
            finished, _ = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            _drain(queue, progress)
            for fut in finished:
                keys = pending.pop(fut)
                failed = {keys[n] for n in fut.result()}
                changed: set[int] = set()
                for key in keys:
                    # Credit only clips the chapters will find: not failures, not clips the cache
                    # could not store (a full disk); the chapter job makes and counts those itself.
                    if key not in failed and key in cache:
                        credit[plan.first_needed_by(key)] += 1
                    for j, i in plan.users[key]:
                        plan.remaining[j][i] -= 1
                        changed.add(j)
                for j in sorted(changed):
                    report(j)
    except BaseException:
        _cancel(pending, pool)
        raise
    return credit


# -- pieces spread over the workers --------------------------------------------------------------

def worth_spreading_pieces(plan: SentencePlan, n_jobs: int, workers: int) -> bool:
    """Encode the chapters' pieces in parts across every worker when there are too few chapters to keep the
    workers busy to the end (one chapter, the most common book, would encode on one core) and enough new
    sentences for the parts to outweigh their cost (each task reads the chapter's clip list and energies
    again): a corrected line or two is re-made in this process, with no workers to start."""
    return workers >= 2 and n_jobs < SPREAD_BELOW * workers and len(plan.todo) >= MIN_SPREAD_SENTENCES


def spread_pieces(jobs: list[ChapterJob], pool: Executor, workers: int, queue: Any = None,
                  progress: ProgressFn | None = None) -> dict[int, int]:
    """Encode every chapter's pieces into its cache (the jobs' cache_dir), in parts spread over `pool`: for each
    chapter, its gain first (prepare_pieces), then its pieces in runs (encode_pieces); the chapter jobs then
    splice what they find there. Returns how many pieces were encoded for each chapter (by chapter index).

    A chapter whose preparation fails is left to its chapter job, which meets the same trouble and reports it.
    """
    from .job import encode_pieces, prepare_pieces

    made = {job.chapter.index: 0 for job in jobs}
    parts: dict[int, list[int]] = {}  # job -> [parts encoded, parts], shown while the chapter waits for them
    pending: dict[Future, tuple[str, int]] = {}
    for j, job in enumerate(jobs):
        pending[pool.submit(prepare_pieces, job)] = ("prepare", j)
        if progress:
            progress(Progress(job.chapter.index, job.chapter.title, len(job.lines), len(job.lines), "encoding"))
    try:
        while pending:
            finished, _ = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            _drain(queue, progress)
            for fut in finished:
                kind, j = pending.pop(fut)
                try:
                    result = fut.result()
                except (BrokenProcessPool, CancelledError):
                    raise  # the pool or the cluster is gone: no chapter can go on
                except Exception as exc:  # noqa: BLE001 (a head start only: the chapter job makes what is missing)
                    log.debug("%s: pieces not made ahead (%s: %s)", jobs[j].chapter.source, type(exc).__name__, exc)
                    continue
                if kind == "encode":
                    made[jobs[j].chapter.index] += result
                    parts[j][0] += 1
                    _report_parts(jobs[j], parts[j], progress)
                    continue
                gain_db, keys = result
                # Parts of a few seconds' encoding each: the last to end leaves other cores idle for no longer.
                size = max(MIN_SPREAD_PIECES, -(-len(keys) // (2 * workers)))
                for lo in range(0, len(keys), size):
                    pending[pool.submit(encode_pieces, jobs[j], gain_db, keys[lo:lo + size])] = ("encode", j)
                parts[j] = [0, -(-len(keys) // size)]
                _report_parts(jobs[j], parts[j], progress)
    except BaseException:
        _cancel(pending, pool)
        raise
    return made


def _report_parts(job: ChapterJob, done_of: list[int], progress: ProgressFn | None) -> None:
    if progress and done_of[1]:
        progress(Progress(job.chapter.index, job.chapter.title, len(job.lines), len(job.lines), "encoding",
                          (done_of[0], done_of[1])))


def _ahead(plan: SentencePlan, jobs: list[ChapterJob], pool: Executor, workers: int, cache_dir: Path | str,
           presynth: bool, spread: bool, progress: ProgressFn | None,
           queue: Any) -> tuple[list[ChapterJob], dict[int, int], dict[int, int]]:
    """Before the chapter jobs: new sentences synthesized across the workers (`presynth`), then the chapters'
    pieces encoded in parts (`spread`). Returns the jobs to run, and the clips and pieces made for each
    chapter (by index), which its manifest entry counts as its own."""
    credit: dict[int, int] = {}
    pieces: dict[int, int] = {}
    if presynth:
        log.info("synthesizing %d new clips across %d workers", len(plan.todo), workers)
        by_job = presynthesize(plan, jobs, pool, workers, cache_dir, progress, queue)
        credit = {jobs[j].chapter.index: n for j, n in by_job.items()}
    if spread:
        log.info("encoding the pieces of %d chapter(s) across %d workers", len(jobs), workers)
        pieces = spread_pieces(jobs, pool, workers, queue, progress)
        jobs = [dataclasses.replace(job, pieces_made=True) for job in jobs]
    return jobs, credit, pieces


def _cancel(futures: Iterable[Future], pool: Executor) -> None:
    """Cancel the futures not started yet, unless `pool` is a process pool: Python 3.11's breaks with a
    traceback from its own thread (InvalidStateError) when its workers are then stopped under a future
    cancelled this way; its shutdown(cancel_futures=True), which worker_pool's stop calls, cancels them."""
    if isinstance(pool, ProcessPoolExecutor):
        return
    for fut in futures:
        fut.cancel()


# -- chapter jobs -----------------------------------------------------------------------------

def _render_in_worker(job: ChapterJob, line_progress: bool = True) -> dict:
    queue = parent_queue()

    def report(p: Progress) -> None:
        if queue is None or (p.status == "rendering" and not line_progress):
            return
        if p.status != "rendering" or p.done == p.total or p.done % 5 == 0:
            queue.put(p)

    return render_chapter(job, report)


def _drain(queue: Any, progress: ProgressFn | None) -> None:
    """Pass on the progress reports and log records workers have queued (a multiprocessing queue), or
    have an executor that relays its workers' reports itself (render.relay) pass them on."""
    if queue is None:
        return
    relay = getattr(queue, "relay", None)
    if relay is not None:
        relay(progress)
        return
    while True:
        try:
            item = queue.get_nowait()
        except Exception:  # queue.Empty, or a queue closed under us
            return
        if isinstance(item, logging.LogRecord):
            logging.getLogger(item.name).handle(item)
        elif progress is not None:
            progress(item)


Failures = list[tuple[ChapterJob, NarrateError]]


def run_jobs(jobs: list[ChapterJob], workers: int, executor: Callable[[int], Executor] | None,
             progress: ProgressFn | None, on_done: Callable[[dict], None], scratch_dir: Path) -> Failures:
    """Render every job on up to `workers` cores; a failed chapter is reported, the others go on.

    With the local process pool, clips that are not cached yet are first synthesized sentence by
    sentence across every worker (when a slow neural engine speaks, or when there are fewer
    chapters than cores), so no core waits on the longest chapter; the chapter jobs then stitch
    and encode from the cache. `scratch_dir` holds a private cache for that when the jobs have
    none (--no-cache); it is removed afterwards.
    """
    failures: Failures = []
    ended: set[int] = set()
    if progress is not None:
        outer = progress

        def progress(p: Progress) -> None:
            # A worker's last reports travel through a queue and may arrive after its chapter was
            # finished here: a chapter reported done (or failed) stays so.
            if p.index not in ended or p.status in ("done", "failed"):
                outer(p)

        for job in jobs:
            progress(Progress(job.chapter.index, job.chapter.title, 0, len(job.lines), "queued"))

    def finish(job: ChapterJob, get_entry: Callable[[], dict], credit: int = 0, pieces: int = 0) -> None:
        try:
            entry = get_entry()
        except NarrateError as exc:
            failures.append((job, exc))
            status = "failed"
        except Exception as exc:
            # Dask gives up on a task whose workers died too often (distributed.KilledWorker): that
            # chapter fails, the others go on.
            if type(exc).__name__ != "KilledWorker":
                raise
            failures.append((job, RenderError(f"{job.chapter.source}: the workers rendering it kept dying ({exc})")))
            status = "failed"
        else:
            if credit:
                entry["synthesized_clips"] += credit
                entry["cached_clips"] = max(0, entry["cached_clips"] - credit)
            # Encoded ahead, in parts on several workers: this render's work all the same (the chapter job
            # found them made; any it had to make again it counted itself).
            pieces = min(pieces, entry.get("cached_pieces", 0))
            if pieces:
                entry["encoded_pieces"] += pieces
                entry["cached_pieces"] -= pieces
            on_done(entry)
            status = "done"
        ended.add(job.chapter.index)
        if progress:
            progress(Progress(job.chapter.index, job.chapter.title, len(job.lines), len(job.lines), status))

    if executor is not None:
        _run_elsewhere(jobs, workers, executor, progress, finish)
        return failures
    engines = {line.voice.engine for job in jobs for line in job.lines}
    local_only = sorted(name for name in engines if not loadable_anywhere(name))  # once per engine
    if local_only and workers > 1:
        log.info("engine(s) %s registered in this process only: chapters render here, one at a time",
                 ", ".join(local_only))
    if jobs and jobs[0].options.use_cache:
        # This machine's cache is pruned once, after every chapter: a listing of the whole cache per
        # chapter costs more than re-encoding a speaker's lines.
        shared = jobs[0].options.cache_dir or default_cache_dir()
        jobs = [dataclasses.replace(job, prune_cache=False) if job.cache_dir in (None, shared) else job
                for job in jobs]
        _run_local(jobs, workers, local_only, progress, finish, scratch_dir)
        _prune(shared)
    else:
        _run_local(jobs, workers, local_only, progress, finish, scratch_dir)
    return failures


def _run_local(jobs: list[ChapterJob], workers: int, local_only: list[str], progress: ProgressFn | None,
               finish: Callable[..., None], scratch_dir: Path) -> None:
    """run_jobs on this machine: in this process, or on a pool of workers (see run_jobs)."""
    if workers < 2 or len(jobs) == 0 or local_only:
        for job in jobs:
            finish(job, lambda job=job: render_chapter(job, progress))
        return

    options = jobs[0].options
    with contextlib.ExitStack() as stack:
        if options.use_cache:
            cache_dir = options.cache_dir or default_cache_dir()
        else:
            cache_dir = Path(stack.enter_context(
                tempfile.TemporaryDirectory(dir=scratch_dir, prefix=PRIVATE_CACHE_PREFIX)))
        plan = plan_sentences(jobs, ClipCache(cache_dir))
        spread = worth_spreading_pieces(plan, len(jobs), workers)
        presynth = worth_presynthesizing(plan, len(jobs), workers) or (spread and bool(plan.todo))
        if not presynth and not spread and len(jobs) == 1:
            # One chapter and nothing worth spreading: starting worker processes would cost more.
            finish(jobs[0], lambda: render_chapter(jobs[0], progress))
            return
        n_workers = workers if presynth or spread else min(workers, len(jobs))
        try:
            with worker_pool(n_workers) as (pool, queue, stop):
                if presynth or spread:
                    # Every chapter reads its clips from this cache, so none may prune it until all are done.
                    jobs = [dataclasses.replace(job, cache_dir=cache_dir, prune_cache=False) for job in jobs]
                jobs, credit, pieces = _ahead(plan, jobs, pool, n_workers, cache_dir, presynth, spread, progress,
                                              queue)
                _run_chapters(pool, jobs, queue, progress, finish, credit, line_progress=not (presynth or spread),
                              stop=stop, pieces=pieces)
        except (BrokenProcessPool, EOFError, ConnectionError):
            # A worker process died (the OOM killer, a crash in an engine's native code, a kill):
            # nothing to fix in the book.
            raise RenderError("a worker process stopped unexpectedly (killed, or out of memory?); finished "
                              "chapters are kept: run the same command again, perhaps with fewer --jobs") from None


def _prune(cache_dir: Path | str) -> None:
    """Trim the cache to its limit after a book; not a cache on remote storage, whose listing per book would cost
    more than it saves (a bucket lifecycle rule bounds it, or `narrate cache prune`)."""
    if not is_remote(cache_dir):
        ClipCache(cache_dir).prune()


def shared_cache_dir(jobs: list[ChapterJob]) -> Path | str | None:
    """The clip cache named for every worker to share (the options' cache_dir, else NARRATE_CACHE_DIR), if any."""
    if not jobs or not jobs[0].options.use_cache:
        return None
    named = jobs[0].options.cache_dir or os.environ.get("NARRATE_CACHE_DIR")
    if not named:
        return None
    where = location(named)
    return where.absolute() if isinstance(where, Path) else where  # a URL (s3://...) every worker reaches


def _run_elsewhere(jobs: list[ChapterJob], workers: int, executor: Callable[[int], Executor],
                   progress: ProgressFn | None, finish: Callable[..., None]) -> None:
    """run_jobs on an executor of the caller's (e.g. a Dask cluster): sentences first when the workers
    share a clip cache and it pays, then chapters; this process records each chapter as it finishes.

    The executor's futures being cancelled under us, or its connection failing, means the cluster
    went away: ClusterError, with the chapters finished by then already recorded.
    """
    cache_dir = shared_cache_dir(jobs)
    presynth = spread = False
    if cache_dir is not None:
        # Every job reads and fills the cache every worker sees, not each worker's own.
        jobs = [dataclasses.replace(job, cache_dir=cache_dir, prune_cache=False) for job in jobs]
        plan = plan_sentences(jobs, ClipCache(cache_dir))
        spread = worth_spreading_pieces(plan, len(jobs), workers)
        presynth = worth_presynthesizing(plan, len(jobs), workers) or (spread and bool(plan.todo))
    try:
        with executor(workers if presynth or spread else max(1, min(workers, len(jobs)))) as pool:
            # An executor that relays its workers' reports (render.relay) is asked for them as we wait.
            relay = pool if hasattr(pool, "relay") else None
            credit: dict[int, int] = {}
            pieces: dict[int, int] = {}
            if cache_dir is not None:
                jobs, credit, pieces = _ahead(plan, jobs, pool, workers, cache_dir, presynth, spread, progress, relay)
            _run_chapters(pool, jobs, relay, progress, finish, credit, line_progress=not (presynth or spread),
                          pieces=pieces)
    except (CancelledError, OSError) as exc:
        why = f" ({exc})" if str(exc) else ""
        raise ClusterError(f"the cluster went away during the render{why}; finished chapters are kept: run the "
                           "same command again to resume") from None
    if cache_dir is not None:
        _prune(cache_dir)


def _run_chapters(pool: Executor, jobs: list[ChapterJob], queue: Any, progress: ProgressFn | None,
                  finish: Callable[..., None], credit: dict[int, int], line_progress: bool = True,
                  stop: Callable[[], None] | None = None, pieces: dict[int, int] | None = None) -> None:
    """Submit every chapter job to `pool` and `finish` each as it ends, relaying worker progress.

    When interrupted, `stop` ends the workers at once; chapters that were written by then are
    still finished (recorded in book.json), so no MP3 is left that the manifest does not list.
    """
    pending: dict[Future, ChapterJob] = {pool.submit(_render_in_worker, j, line_progress): j for j in jobs}
    try:
        while pending:
            finished, _ = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            _drain(queue, progress)
            for fut in finished:
                job = pending.pop(fut)
                finish(job, fut.result, credit.get(job.chapter.index, 0), (pieces or {}).get(job.chapter.index, 0))
        _drain(queue, progress)
    except BaseException:
        if stop is not None:
            stop()  # our pool cancels what has not started itself (see _cancel)
        else:
            _cancel(pending, pool)
        # Chapters whose results are here (a cluster's futures hold them already) are recorded, whatever stopped us.
        for fut, job in pending.items():
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                finish(job, fut.result, credit.get(job.chapter.index, 0), (pieces or {}).get(job.chapter.index, 0))
        raise
