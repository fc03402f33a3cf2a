"""Cluster reports: chapter progress, log records and warnings sent from Dask workers to the render's client."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import queue
import secrets
import threading
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from typing import Any

from .job import Progress, ProgressFn
from .workers import reporting_to

log = logging.getLogger(__name__)

PROGRESS, RECORD = "progress", "record"


class Interruption:
    """Shared by every book of one call: set (from the CLI's main thread, on Ctrl-C) to stop them all."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def __bool__(self) -> bool:
        return self._event.is_set()


class ClusterRelay:
    """One call's channel from workers to this client: one scheduler event topic for all its books.

    One topic, not one per book: the scheduler keeps the last events of every topic it has seen,
    so a topic per book would grow its memory with a 1,000-book call.
    """

    def __init__(self, client: Any, interruption: Interruption | None = None) -> None:
        self.client = client
        self.topic = f"narrate-{secrets.token_hex(8)}"
        self.interruption = interruption or Interruption()
        self._inboxes: dict[str, queue.SimpleQueue] = {}
        client.subscribe_topic(self.topic, self._deliver)

    def _deliver(self, event: tuple[float, Any]) -> None:
        # Runs on the client's event loop: only hand the message over to the thread of its book.
        _, (inbox, kind, payload) = event
        box = self._inboxes.get(inbox)
        if box is not None:
            box.put((kind, payload))

    def executor(self, n_workers: int) -> RelayExecutor:
        """A RenderOptions.executor factory: an executor per book whose workers report back through this relay."""
        name = secrets.token_hex(6)
        self._inboxes[name] = queue.SimpleQueue()
        return RelayExecutor(self, name)

    def _levels(self) -> tuple[int, int]:
        return logging.getLogger().getEffectiveLevel(), logging.getLogger("narrate").getEffectiveLevel()

    def close(self) -> None:
        """Stop listening (the client may already be gone)."""
        with contextlib.suppress(Exception):
            self.client.unsubscribe_topic(self.topic)


class RelayExecutor(Executor):
    """A Dask executor (tasks impure) whose tasks report progress and log records to the render that submitted them.

    run_jobs calls `relay(progress)` while it waits: the reports received so far are passed on,
    and an interrupted call raises KeyboardInterrupt here, in the thread of each book, so that every
    book stops as a local render does (finished chapters recorded, the rest cancelled).
    """

    def __init__(self, owner: ClusterRelay, inbox: str) -> None:
        self.owner = owner
        self.inbox = inbox
        self.inner = owner.client.get_executor(pure=False)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        if self.owner.interruption:
            raise KeyboardInterrupt
        # Named after the function it runs (not run_reporting), as the dashboard and client.processing() show it.
        key = f"{getattr(fn, '__name__', 'task').strip('_')}-{secrets.token_hex(8)}"
        return self.inner.submit(run_reporting, (self.owner.topic, self.inbox, self.owner._levels()), fn, args,
                                 kwargs, key=key)

    def relay(self, progress: ProgressFn | None) -> None:
        """Pass on what this executor's tasks reported: progress to `progress`, records to their loggers."""
        if self.owner.interruption:
            raise KeyboardInterrupt
        box = self.owner._inboxes.get(self.inbox)
        while box is not None:
            try:
                kind, payload = box.get_nowait()
            except queue.Empty:
                return
            if kind == PROGRESS and progress is not None:
                progress(Progress(*payload))
            elif kind == RECORD:
                record = logging.makeLogRecord(payload)
                logger = logging.getLogger(record.name)
                if logger.isEnabledFor(record.levelno):
                    logger.handle(record)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        # After an interruption nothing of this book's is left running on the workers.
        stop = cancel_futures or bool(self.owner.interruption)
        self.inner.shutdown(wait=wait and not stop)
        self.owner._inboxes.pop(self.inbox, None)


# -- on the worker ----------------------------------------------------------------------------

class TaskCancelled(Exception):
    """Ends a task on a worker whose client cancelled it; no one waits for its result."""


class _EventSender:
    """A task's line to its client, on the worker: `put(Progress)`, as a local worker's queue takes it."""

    def __init__(self, worker: Any, topic: str, inbox: str) -> None:
        self.worker, self.topic, self.inbox = worker, topic, inbox

    def put(self, item: Any) -> None:
        if isinstance(item, Progress):
            if not self.wanted():
                # Dask cannot stop a running task's thread: a chapter cancelled (Ctrl-C on the client) stops
                # itself at its next line, rather than write an MP3 that no book.json will list.
                raise TaskCancelled(f"{item.title}: cancelled by the client")
            self.send(PROGRESS, list(dataclasses.astuple(item)))

    def wanted(self) -> bool:
        """Whether the client still wants this task's result (it was not cancelled)."""
        from distributed.worker import thread_state

        key = getattr(thread_state, "key", None)
        if key is None:
            return True
        task = self.worker.state.tasks.get(key)
        return task is not None and task.state not in ("cancelled", "released", "forgotten")

    def send(self, kind: str, payload: Any) -> None:
        self.worker.log_event(self.topic, [self.inbox, kind, payload])


def _record_payload(record: logging.LogRecord) -> dict:
    """A log record as msgpack carries it: the message already formatted (its arguments need not travel)."""
    return {"name": record.name, "levelno": record.levelno, "levelname": record.levelname,
            "msg": record.getMessage(), "pathname": record.pathname, "lineno": record.lineno,
            "funcName": record.funcName, "created": record.created, "process": record.process}


class _ForwardThisThread(logging.Handler):
    """Sends the records of one task's thread (not the worker's own, nor other tasks') to the client."""

    def __init__(self, sender: _EventSender) -> None:
        super().__init__()
        self.sender = sender
        self.thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread or record.name.startswith("distributed"):
            return
        try:
            self.sender.send(RECORD, _record_payload(record))
        except Exception:  # noqa: BLE001 (a report lost is not worth failing the chapter)
            self.handleError(record)


@contextlib.contextmanager
def _client_levels(levels: tuple[int, int]) -> Iterator[None]:
    """The client's logging levels (root, narrate) for the length of a task, so -v shows workers' info too."""
    narrate = logging.getLogger("narrate")
    previous = narrate.level
    narrate.setLevel(levels[1])
    try:
        yield
    finally:
        narrate.setLevel(previous)


def run_reporting(channel: tuple[str, str, tuple[int, int]], fn: Callable[..., Any], args: tuple,
                  kwargs: dict[str, Any]) -> Any:
    """Run a task on a Dask worker with its progress, log records and warnings sent to the client.

    Python warnings are caught for the task (the workers' threads each run one task at a time) and
    sent as `py.warnings` records, which the client shows once, as it shows its own.
    """
    from distributed import get_worker

    topic, inbox, levels = channel
    sender = _EventSender(get_worker(), topic, inbox)
    handler = _ForwardThisThread(sender)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with _client_levels(levels), reporting_to(sender), warnings.catch_warnings(record=True) as caught:
            try:
                return fn(*args, **kwargs)
            finally:
                for w in caught:
                    text = f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})"
                    record = logging.LogRecord("py.warnings", logging.WARNING, w.filename, w.lineno, text, None, None)
                    sender.send(RECORD, _record_payload(record))
    finally:
        root.removeHandler(handler)
