"""The render command's --cluster: connect to a Dask cluster (or start one here) and render on it."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os

from ..render.options import RenderOptions

log = logging.getLogger(__name__)

DASK_LOGGERS = ("distributed", "distributed.client", "distributed.scheduler", "distributed.worker",
                "distributed.nanny", "distributed.core", "distributed.comm", "distributed.batched")


def _quiet_dask() -> None:
    """Dask logs its workers' comings and goings at INFO on stderr; only its errors belong in narrate's output.

    Workers of a local cluster are new processes that read their logging levels from the environment.
    """
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")
    for name in DASK_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


def connect(stack: contextlib.ExitStack, address: str, opts: RenderOptions, verbose: int,
            jobs: int | None) -> RenderOptions:
    """Open the cluster `address` names for as long as `stack` lives; return `opts` rendering on it."""
    from ..render.cluster import ClusterSpec, cluster_executor, open_cluster, worker_threads
    from ..voices.synth import default_cache_dir

    spec = ClusterSpec.parse(address)
    if verbose < 2:
        _quiet_dask()
    client = stack.enter_context(open_cluster(spec))
    cache_dir = opts.cache_dir
    if cache_dir is None and opts.use_cache:
        if spec.address is None:
            cache_dir = default_cache_dir()  # workers on this machine: this machine's cache is theirs
        elif not os.environ.get("NARRATE_CACHE_DIR"):
            log.warning("each worker keeps its own clip cache; give --cache a folder they all see so that "
                        "each sentence is synthesized once")
    return dataclasses.replace(opts, executor=cluster_executor(client), cache_dir=cache_dir,
                               jobs=jobs or worker_threads(client))
