"""Where a run's tasks execute: the local loky pool or a Dask cluster (docs/design.md decision 1).

Why a small facade: the CLI and the GUI choose a backend from the same three facts (an
:class:`ExecutionChoice`), and engine.run must not care which one it gets. Both pools offer
the same interface (``share``, ``run_tasks``, ``warm_workers``, ``worker_pids``, ``kill``,
``shutdown``), so ``run(..., pool=make_pool(choice), machine=machine_facts(pool))`` is all
a caller writes.

dask.distributed is an optional extra (``pip install 'nirdesk[cluster]'``). Nothing here
imports it: :func:`dask_available` only asks whether it could be imported, and
engine.backends.dask_cluster / dask_pool import it inside their functions, when a Dask pool
is actually made or a scheduler asked.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.backends._base import DASK_MISSING, INSTALL_HINT, DaskMissing, dask_available
from engine.machine import MachineFacts

__all__ = ["BACKENDS", "DASK_MISSING", "INSTALL_HINT", "DaskMissing", "ExecutionChoice",
           "close_pools", "dask_available", "known_machine_facts", "machine_facts", "make_pool",
           "remote_workers_provider", "run_workers"]

BACKENDS = ("loky", "dask")  # the names of `nirdesk run --backend` (docs/design.md)


@dataclass(frozen=True)
class ExecutionChoice:
    """Where runs execute, as the user chose it (Settings > Execution, or the CLI flags).

    backend    "loky" (the process pool on this machine) or "dask" (a Dask cluster)
    scheduler  the Dask scheduler address (tcp://HOST:PORT or tls://HOST:PORT); "" for loky
    workers    the global worker count for loky runs (-1 = auto: every usable CPU); pass it to
               engine.run.run as max_workers. Dask runs use -1: the cluster's threads are
               the limit (see :func:`run_workers`).
    """

    backend: str = "loky"
    scheduler: str = ""
    workers: int = -1

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")


_POOLS: dict[str, Any] = {}
_POOLS_LOCK = threading.Lock()


def make_pool(choice: ExecutionChoice, *, timeout: float = 5.0) -> Any:
    """The pool for ``choice``: the process-wide warm loky pool, or the Dask pool for the
    scheduler (one per address, kept and reused by later runs, like the loky pool).

    Never touches the network, so the GUI thread may call it: a Dask pool connects at its
    first use (machine_facts, run_tasks), which blocks up to ``timeout`` seconds and raises
    dask_cluster.ClusterError when the scheduler cannot be reached. Raises DaskMissing at once
    without dask.distributed and ClusterError for a malformed address (both
    NirdeskInputError: one clear line).
    """
    if choice.backend == "loky":
        from engine.executor import default_pool

        return default_pool()
    if not dask_available():
        raise DaskMissing()
    from engine.backends.dask_cluster import normalise_address
    from engine.backends.dask_pool import DaskPool

    address = normalise_address(choice.scheduler)
    with _POOLS_LOCK:
        pool = _POOLS.get(address)
        if pool is not None and pool.broken:  # shut down, or its connection failed
            pool.shutdown()
            pool = None
        if pool is None:
            pool = DaskPool(address, timeout=timeout)
            _POOLS[address] = pool
        return pool


def close_pools() -> None:
    """Disconnect every Dask pool make_pool opened (at application exit). The cluster itself
    keeps running: nirdesk never starts or stops a scheduler or a worker."""
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
    for pool in pools:
        pool.shutdown()


def run_workers(choice: ExecutionChoice) -> int:
    """max_workers for engine.run.run: the local worker count, or -1 (every cluster thread)."""
    return choice.workers if choice.backend == "loky" else -1


def machine_facts(pool: Any) -> MachineFacts | None:
    """What the parallel policy should assume for ``pool``: the cluster's threads and memory
    for a Dask pool, None for the local pool (engine.run then measures this machine)."""
    facts = getattr(pool, "machine_facts", None)
    return facts() if callable(facts) else None


def known_machine_facts(pool: Any) -> MachineFacts | None:
    """Like machine_facts but never blocks: the cluster's facts as last seen (None for the
    local pool, or a cluster not connected yet). For the editor's policy badges."""
    facts = getattr(pool, "known_machine_facts", None)
    return facts() if callable(facts) else None


def remote_workers_provider(pool: Any) -> Callable[[], list[dict[str, Any]] | None] | None:
    """For app.monitor.gauges.set_remote_workers_provider: a function that never blocks and returns
    the cluster's workers (dicts: name, cores, memory_used, memory_limit, cpu_percent), or
    None for the local pool (the gauges then show the local workers)."""
    return getattr(pool, "remote_workers", None)
