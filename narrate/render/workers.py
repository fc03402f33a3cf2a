"""Worker processes of a render: spawned, silent on Ctrl-C, gone with their parent, logging through it."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import SpawnContext, SpawnProcess
from typing import Any

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # <malloc.h>
HEAP_KEEP_BYTES = 64 << 20
"""Freed memory a worker keeps for reuse rather than handing back to the kernel (see _keep_freed_memory)."""
STOP_GRACE_S = 5.0
"""How long a worker asked to stop (SIGTERM) may take before it is killed."""


# Signals a terminal sends to its whole foreground process group (Ctrl-C, a closed window). Workers
# leave them to the parent, which stops the pool in order; a worker's own KeyboardInterrupt would
# print a traceback or, inside espeak's callback, be lost while the worker writes on.
TERMINAL_SIGNALS = frozenset(getattr(signal, name) for name in ("SIGINT", "SIGHUP") if hasattr(signal, name))


class _WorkerProcess(SpawnProcess):
    """A pool worker process (spawned: espeak state must never be shared by a forked child)."""

    def start(self) -> None:
        # A blocked signal stays blocked through fork and exec, so a Ctrl-C while the worker
        # boots waits (and is dropped) until _init_worker ignores it, instead of killing it midway.
        if not hasattr(signal, "pthread_sigmask"):
            return super().start()
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, TERMINAL_SIGNALS)
        try:
            super().start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _ignore_terminal_signals() -> None:
    for sig in TERMINAL_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, TERMINAL_SIGNALS)


class _WorkerContext(SpawnContext):
    """The spawn context, remembering every worker it starts so that an interrupted render can stop them."""

    def __init__(self) -> None:
        self.started: list[_WorkerProcess] = []

    def Process(self, *args: Any, **kwargs: Any) -> _WorkerProcess:  # noqa: N802 (multiprocessing's name)
        process = _WorkerProcess(*args, **kwargs)
        self.started.append(process)
        return process


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os._exit(1)


def _die_with_parent(parent_pid: int) -> None:
    """End this worker as soon as the render that started it ends, however it ends (even kill -9).

    Otherwise an orphaned worker finishes its chapter and writes an MP3 that book.json never lists.
    """
    armed = False
    if sys.platform.startswith("linux"):
        try:
            armed = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent_pid,), name="narrate-parent-watch", daemon=True).start()
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)


def _stop_workers(processes: list[_WorkerProcess]) -> None:
    """Stop workers now (SIGTERM, then SIGKILL), without waiting for their chapters.

    A render that says it stopped must not have a worker write a chapter afterwards.
    """
    alive = [p for p in processes if p.is_alive()]
    for p in alive:
        p.terminate()
    for p in alive:
        p.join(STOP_GRACE_S)
        if p.is_alive():
            p.kill()
            p.join()


@contextlib.contextmanager
def worker_pool(n_workers: int):
    """A process pool whose workers end with this process, its progress queue, and a `stop` that ends them now.

    On any exception (Ctrl-C, a stop signal turned into one, a worker that died) the workers are
    stopped at once instead of being waited for.
    """
    ctx = _WorkerContext()
    queue = ctx.Queue()
    levels = (logging.getLogger().getEffectiveLevel(), logging.getLogger("narrate").getEffectiveLevel())
    pool = ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx, initializer=_init_worker,
                               initargs=(queue, os.getpid(), levels))

    def stop() -> None:
        _stop_workers(ctx.started)
        pool.shutdown(wait=True, cancel_futures=True)

    try:
        yield pool, queue, stop
    except BaseException:
        stop()
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        queue.close()


def _log_to_parent(queue: Any, levels: tuple[int, int]) -> None:
    """Send this worker's log records to the parent, which shows them as it shows its own (format,
    --quiet, a warning said once), at the parent's levels (root, then narrate)."""
    from logging.handlers import QueueHandler

    root = logging.getLogger()
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    # With a handler in place, a library's bare logging.debug() no longer sets up a format of its own.
    root.addHandler(QueueHandler(queue))
    root.setLevel(levels[0])
    logging.getLogger("narrate").setLevel(levels[1])


_queue: Any = None  # in a worker: the queue to its parent
_task = threading.local()  # a task's own line to its client (a Dask worker's, see render.relay)


def _keep_freed_memory() -> None:
    """Have glibc reuse freed memory for the next arrays instead of returning it to the kernel at once.

    A worker allocates and frees arrays of a clip's size (~1 MB) thousands of times a chapter, and an
    encoder's tables with each piece. By default glibc maps each such block afresh (or trims the heap
    under it), so every page is faulted in and zeroed again: a tenth of a chapter's CPU time, most of
    it in the kernel. Blocks up to HEAP_KEEP_BYTES / 2 now come from the heap, which keeps up to
    HEAP_KEEP_BYTES free; memory stays bounded (larger blocks are still mapped and unmapped).
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(M_MMAP_THRESHOLD, HEAP_KEEP_BYTES // 2)
        libc.mallopt(M_TRIM_THRESHOLD, HEAP_KEEP_BYTES)
    except (OSError, AttributeError):  # not glibc (musl has no mallopt): the defaults only cost time
        pass


ALLOCATOR_ENVIRON = {"MALLOC_MMAP_THRESHOLD_": str(HEAP_KEEP_BYTES // 2), "MALLOC_TRIM_THRESHOLD_": str(HEAP_KEEP_BYTES)}
"""_keep_freed_memory's settings as glibc reads them from the environment at a process's start: for worker
processes started by others (a local Dask cluster's nannies, which would otherwise give Dask's own
MALLOC_TRIM_THRESHOLD_=65536, a fifth more CPU per chapter)."""


def _init_worker(queue: Any, parent_pid: int, levels: tuple[int, int]) -> None:
    global _queue
    _ignore_terminal_signals()
    _keep_freed_memory()
    _die_with_parent(parent_pid)
    _log_to_parent(queue, levels)
    _queue = queue


def parent_queue() -> Any:
    """Where a worker's progress reports go (anything with `put`): the task's own line (reporting_to), else the
    queue to the parent in a worker of worker_pool(). None elsewhere."""
    return getattr(_task, "queue", None) or _queue


@contextlib.contextmanager
def reporting_to(queue: Any):
    """For the task running in this thread, progress reports go to `queue` (its `put`)."""
    previous = getattr(_task, "queue", None)
    _task.queue = queue
    try:
        yield
    finally:
        _task.queue = previous
