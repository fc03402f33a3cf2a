"""Render on a Dask cluster: connect (or start a local one) and hand render_book an executor that runs there."""

from __future__ import annotations

import contextlib
import logging
import re
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from ..errors import ClusterError
from .workers import ALLOCATOR_ENVIRON, TERMINAL_SIGNALS

log = logging.getLogger(__name__)

EXTRA_HINT = "pip install 'narrate-audiobook[dask]'"
CONNECT_TIMEOUT_S = 10.0
"""How long to try reaching a scheduler (Dask's own default, 30 s, is long to wait for a typo)."""
_LOCAL = re.compile(r"local(?::(\d+))?")


@dataclass(frozen=True)
class ClusterSpec:
    """Where to render: a running scheduler's address, or a local cluster of `workers` processes."""

    address: str | None = None
    """e.g. tcp://host:8786; None for a local cluster."""
    workers: int | None = None
    """Worker processes of a local cluster (one thread each); None for one per core."""

    @staticmethod
    def parse(text: str) -> ClusterSpec:
        """"local", "local:4" or a scheduler address (tcp://host:8786, host:8786)."""
        text = text.strip()
        local = _LOCAL.fullmatch(text)
        if local:
            n = int(local.group(1)) if local.group(1) else None
            if n is not None and n < 1:
                raise ClusterError(f"{text!r}: a local cluster needs at least one worker (local:1)")
            return ClusterSpec(workers=n)
        if not text:
            raise ClusterError("no cluster address: give tcp://host:8786, or local[:N] for a cluster on this machine")
        return ClusterSpec(address=text)


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ClusterError(f"rendering on a Dask cluster needs the dask extra: {EXTRA_HINT}") from None
    return distributed


@contextlib.contextmanager
def open_cluster(spec: ClusterSpec) -> Iterator[Any]:
    """A distributed.Client connected to `spec` (a local cluster is started, and stopped afterwards)."""
    distributed = _import_distributed()
    with contextlib.ExitStack() as stack:
        if spec.address is None:
            import dask

            # Dask's statistical profiler samples every worker's stack each 10 ms, a few percent of a
            # chapter's CPU on a machine with no spare core; a local cluster's dashboard is rarely read.
            # Its workers get the allocator settings of our own pool's (a nanny hands its config to the
            # worker process it starts, and sets that environment first). A cluster of someone else's
            # is left as it is configured.
            environ = {**dask.config.get("distributed.nanny.pre-spawn-environ", default={}), **ALLOCATOR_ENVIRON}
            with dask.config.set({"distributed.worker.profile.enabled": False,
                                  "distributed.nanny.pre-spawn-environ": environ}):
                cluster = stack.enter_context(distributed.LocalCluster(
                    n_workers=spec.workers, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0",
                    preload=[__name__]))
            address: Any = cluster
        else:
            address = spec.address
        try:
            client = distributed.Client(address, set_as_default=False, timeout=CONNECT_TIMEOUT_S)
        except (OSError, ValueError, TypeError) as exc:
            # Connection refused or timed out, a malformed address: one line, never a traceback.
            raise ClusterError(f"cannot reach the Dask scheduler at {spec.address} ({exc})") from None
        stack.callback(_close_quietly, client)
        yield client


def dask_setup(worker: Any) -> None:
    """Run by each worker process of a local cluster as it starts (Dask's preload): leave Ctrl-C to the client.

    A Ctrl-C at the terminal goes to the whole process group; the client cancels the render in order, while a
    worker hit by it would die mid-chapter with a traceback.
    """
    for sig in TERMINAL_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    # A chapter that fails is reported by the command in one line: not also as Dask's "Compute Failed" block,
    # traceback included, on the same terminal.
    logging.getLogger("distributed.worker").addFilter(_not_a_failed_task)


def _not_a_failed_task(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith("Compute Failed")


def _close_quietly(client: Any) -> None:
    """Close the client; a scheduler already gone is no news by now."""
    try:
        client.close(timeout=5)
    except Exception:  # noqa: BLE001 (any error of a client whose scheduler vanished)
        log.debug("closing the Dask client", exc_info=True)


def worker_threads(client: Any) -> int:
    """How many tasks the cluster runs at once (its workers' threads)."""
    try:
        return max(1, sum(client.nthreads().values()))
    except OSError as exc:
        raise ClusterError(f"the Dask scheduler went away ({exc})") from None


def cluster_executor(client: Any) -> Callable[[int], Executor]:
    """An executor factory for RenderOptions.executor running on `client`'s cluster.

    Tasks are impure: a chapter rendered again (forced, or after a worker died) must run again,
    not be answered from the scheduler's memory of an identical task.
    """
    def factory(n_workers: int) -> Executor:
        return client.get_executor(pure=False)

    return factory
