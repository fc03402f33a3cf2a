"""The render command's --cluster: connect to a Dask cluster (or start one here) and render on it."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..render.options import RenderOptions

if TYPE_CHECKING:  # `narrate --help` imports nothing of the render
    from ..publish.remote import RemoteOutput
    from ..render.pipeline import RenderResult
    from ..render.relay import ClusterRelay

log = logging.getLogger(__name__)

DASK_LOGGERS = ("distributed", "distributed.client", "distributed.scheduler", "distributed.worker",
                "distributed.nanny", "distributed.core", "distributed.comm", "distributed.batched")


def _quiet_dask() -> None:
    """Dask logs its workers' comings and goings at INFO on stderr; only its errors belong in narrate's output.

    Workers of a local cluster are new processes that read their logging levels from the environment.
    """
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")
    # Importing distributed sets its loggers from its own defaults ("distributed.client": warning): after it.
    try:
        import distributed  # noqa: F401
    except ImportError:
        pass  # open_cluster names the extra to install

    for name in DASK_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


def _hush_dask() -> None:
    """After Ctrl-C the cluster is torn down with work cancelled on it: what Dask says of that ("Couldn't gather
    keys") is expected, not an error to show, where its logs are quieted (not with -vv)."""
    if logging.getLogger("distributed").level == logging.ERROR:
        for name in DASK_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)


def connect(stack: contextlib.ExitStack, address: str, opts: RenderOptions, verbose: int,
            jobs: int | None, remote: RemoteOutput | None = None) -> tuple[RenderOptions, ClusterRelay, int]:
    """Open the cluster `address` names for as long as `stack` lives; return `opts` rendering on it, the relay
    of its workers' reports, and how many tasks the cluster runs at once.

    With outputs on storage (`remote`), workers of a cluster elsewhere upload each chapter there themselves:
    they need not see this machine's staging folder. A local cluster's workers write into it, as locally.
    """
    from ..render.cluster import ClusterSpec, open_cluster, worker_threads
    from ..render.relay import ClusterRelay
    from ..voices.synth import default_cache_dir

    spec = ClusterSpec.parse(address)
    if verbose < 2:
        _quiet_dask()
    client = stack.enter_context(open_cluster(spec))
    relay = ClusterRelay(client)
    stack.callback(relay.close)
    cache_dir = opts.cache_dir
    if cache_dir is None and opts.use_cache:
        if spec.address is None:
            cache_dir = default_cache_dir()  # workers on this machine: this machine's cache is theirs
        elif not os.environ.get("NARRATE_CACHE_DIR"):
            log.warning("each worker keeps its own clip cache; give --cache a folder they all see so that "
                        "each sentence is synthesized once")
    threads = worker_threads(client)
    upload_to = remote.url if remote is not None and spec.address is not None else None
    opts = dataclasses.replace(opts, executor=relay.executor, cache_dir=cache_dir, jobs=jobs or threads,
                               upload_to=upload_to)
    return opts, relay, threads


def books_in_flight(threads: int) -> int:
    """How many books render at once: enough chapters queued to keep every worker busy across the end of a book,
    few enough that the client holds only a handful of books' texts and plans (a 1,000-book call stays small)."""
    return min(MAX_BOOKS_IN_FLIGHT, max(2, threads // 8 + 1))


MAX_BOOKS_IN_FLIGHT = 8
POLL_S = 0.2


def render_together(sources: list[Path], opts: RenderOptions, relay: ClusterRelay, quiet: bool, threads: int,
                    remote: RemoteOutput | None = None) -> None:
    """Render several books at once on the cluster `opts.executor` runs on, each in a thread of this process that
    plans it, submits its tasks and writes its book.json (last, as locally); a table sums them up.

    Ctrl-C (or a stop signal) stops every book: finished chapters are recorded, the rest cancelled on the
    workers, and KeyboardInterrupt goes on to the CLI's boundary.
    """
    from ..errors import ClusterError, NarrateError
    from .progress import ProgressDisplay, is_terminal
    from .rendering import Row, book_line, render_source, show_logs_above, sum_up

    display = ProgressDisplay(sys.stderr, tty=is_terminal(sys.stderr), enabled=not quiet)
    show_logs_above(display)
    single = len(sources) == 1

    starts: dict[int, float] = {}

    def render_one(n: int, source: Path) -> tuple[RenderResult, str]:
        if relay.interruption:
            raise KeyboardInterrupt
        starts[n] = time.monotonic()
        report = display if single else display.for_book(_short_name(source))
        return render_source(source, opts, report, remote)

    rows: dict[int, Row] = {}
    pool = ThreadPoolExecutor(max_workers=books_in_flight(threads), thread_name_prefix="narrate-book")
    futures = {pool.submit(render_one, n, source): n for n, source in enumerate(sources)}
    cluster_error: ClusterError | None = None
    try:
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
            for fut in done:
                n = futures[fut]
                seconds = time.monotonic() - starts.get(n, time.monotonic())
                try:
                    result, where = fut.result()
                except ClusterError as exc:
                    cluster_error = cluster_error or exc  # every other book meets it too
                    rows[n] = (str(sources[n]), None, seconds, str(exc))
                except NarrateError as exc:
                    if single:
                        raise
                    with display.lock:
                        display.clear()
                        click.echo(f"narrate: error: {exc}", err=True)
                    rows[n] = (str(sources[n]), None, seconds, str(exc))
                else:
                    # The table needs only each chapter's length: a 1,000-book call keeps no book's segments.
                    lengths = [{"duration_ms": c.get("duration_ms", 0)} for c in result.manifest.get("chapters", [])]
                    rows[n] = (where, {"chapters": lengths}, seconds, "")
                    if not quiet:
                        with display.lock:
                            display.clear()
                            click.echo(book_line(result, where))
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            _hush_dask()
        _stop_all(relay, pool, futures)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        display.close()
    if cluster_error is not None:
        raise cluster_error
    sum_up([rows[n] for n in range(len(sources))], quiet)


def _stop_all(relay: ClusterRelay, pool: ThreadPoolExecutor, futures: dict) -> None:
    """Stop every book of the call: none starts, each running one records what finished and cancels the rest."""
    relay.interruption.set()
    pool.shutdown(wait=False, cancel_futures=True)
    # Books never started are cancelled now, and a cancelled future never counts as done for wait().
    wait([fut for fut in futures if not fut.cancelled()], timeout=STOP_WAIT_S)


STOP_WAIT_S = 30.0
"""How long to wait for the books' threads to record their finished chapters once stopped."""


def _short_name(source: Path) -> str:
    """A book's name in the progress display: its folder or file name."""
    return source.name or str(source)
