"""Talking to a Dask scheduler: addresses, probing, connecting, and what the cluster offers.

Why apart from the pool: Settings > Execution's Test connection, the CLI's connection check
and the parallel policy's cluster facts all need these, none of them needs the task
machinery of engine.backends.dask_pool. Every function here that talks to the network is
blocking with a timeout: call it off the GUI thread.

dask.distributed is imported only inside the functions (``nirdesk[cluster]`` is optional).
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.backends.versions import worker_versions
from engine.errors import NirdeskInputError
from engine.executor import error_text
from engine.machine import MachineFacts

DEFAULT_TIMEOUT_S = 5.0        # connecting to the scheduler (the GUI's Test connection too)


class ClusterError(NirdeskInputError):
    """The scheduler cannot be used (bad address, nothing answers, not a Dask scheduler).

    An input error: the CLI prints it as one line and exits 2; the GUI shows the line."""


# -- addresses and connecting ---------------------------------------------------------------


def normalise_address(address: str) -> str:
    """``HOST:PORT`` -> ``tcp://HOST:PORT``; refuse what cannot be a scheduler address."""
    text = (address or "").strip()
    if not text:
        raise ClusterError("no Dask scheduler address given (expected tcp://HOST:PORT)")
    if "://" not in text:
        text = "tcp://" + text
    scheme, _, rest = text.partition("://")
    if scheme not in ("tcp", "tls"):
        raise ClusterError(f"{address!r} is not a Dask scheduler address: use tcp://HOST:PORT "
                           "or tls://HOST:PORT (the dashboard's http:// address will not do)")
    host, sep, port = rest.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ClusterError(f"{address!r} is not a Dask scheduler address: expected "
                           f"{scheme}://HOST:PORT with a port number (the default is 8786)")
    return text


def _security() -> Any:
    """TLS settings from the Dask configuration (distributed.comm.tls.* in
    ~/.config/dask/*.yaml or DASK_DISTRIBUTED__COMM__TLS__* variables); none for tcp://."""
    from distributed.security import Security

    return Security()


async def _identity(address: str, timeout: float, security: Any) -> dict[str, Any]:
    from distributed.comm import connect

    comm = await connect(address, timeout=timeout, **security.get_connection_args("client"))
    try:
        await comm.write({"op": "identity", "n_workers": -1, "reply": True})
        return await asyncio.wait_for(comm.read(), timeout)
    finally:
        comm.abort()


def probe(address: str, timeout: float = DEFAULT_TIMEOUT_S) -> dict[str, Any]:
    """Ask the scheduler who it is, without making a Client; one-line ClusterError if not.

    Why not just ``Client(address, timeout=...)``: a Client whose connection fails stays
    half-built and, when it is collected, waits twice the timeout and prints a traceback
    at interpreter exit. This plain request fails cleanly, so a Client is made only for
    an address that answered.
    """
    address = normalise_address(address)
    _require_distributed()
    security = _security()
    if address.startswith("tls://") and not (security.tls_ca_file and security.tls_client_cert):
        raise ClusterError(f"{address} needs TLS certificates: set distributed.comm.tls.ca-file "
                           "and client cert/key in the Dask configuration (see docs/cluster.md)")
    try:
        reply = _run_coroutine(lambda: asyncio.wait_for(_identity(address, timeout, security),
                                                        timeout + 1))
    except (OSError, TimeoutError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else "no answer"
        if "Timed out" in detail or isinstance(exc, TimeoutError):
            detail = f"no answer within {timeout:g} s"
        raise ClusterError(f"cannot reach a Dask scheduler at {address} ({detail}); check the "
                           "address and that `dask scheduler` runs there") from None
    except Exception as exc:  # noqa: BLE001 - garbage from a non-Dask server (even MemoryError)
        raise ClusterError(f"{address} answered, but not as a Dask scheduler "
                           f"({type(exc).__name__}); check the host and port") from None
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        raise ClusterError(f"{address} answered, but not as a Dask scheduler; check the host "
                           "and port")
    return reply


def _run_coroutine(make: Callable[[], Any]) -> Any:
    """asyncio.run, also from a thread whose event loop is already running (a notebook):
    there the coroutine runs on a short-lived thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(make())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="nirdesk-dask-probe", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _require_distributed() -> None:
    from engine.backends._base import DaskMissing, dask_available

    if not dask_available():
        raise DaskMissing()


def connect(address: str, timeout: float = DEFAULT_TIMEOUT_S) -> Any:
    """A dask.distributed Client for ``address`` (blocking, at most about ``timeout`` s)."""
    address = normalise_address(address)
    probe(address, timeout)
    from distributed import Client

    try:
        return Client(address, timeout=timeout, set_as_default=False, security=_security(),
                      name="nirdesk")
    except Exception as exc:  # noqa: BLE001 - it answered a moment ago; still one line
        raise ClusterError(f"cannot connect to the Dask scheduler at {address}: "
                           f"{error_text(exc)}") from None


# -- what the cluster offers ----------------------------------------------------------------


def worker_rows(identity: dict[str, Any]) -> list[dict[str, Any]]:
    """The workers of a scheduler identity as app.monitor.gauges wants them, sorted by name:
    name, cores (threads), memory_used and memory_limit (bytes; limit None when unlimited),
    cpu_percent (the worker process's CPU use as psutil reports it: 100 = one core busy)."""
    rows = []
    for address, w in (identity.get("workers") or {}).items():
        metrics = w.get("metrics") or {}
        name = w.get("name", address)
        rows.append({"name": str(name), "address": str(address),
                     "host": str(w.get("host", "")),
                     "cores": int(w.get("nthreads") or 0),
                     "memory_used": int(metrics.get("memory") or 0),
                     "memory_limit": int(w["memory_limit"]) if w.get("memory_limit") else None,
                     "cpu_percent": float(metrics.get("cpu") or 0.0),
                     "status": str(w.get("status", "running"))})
    return sorted(rows, key=lambda r: r["name"])


def cluster_facts(rows: list[dict[str, Any]], fallback: MachineFacts | None = None) -> MachineFacts:
    """MachineFacts for the parallel policy from a cluster's workers.

    usable_cpus       every worker thread of the cluster (one task per thread at a time)
    total_memory      the sum of the workers' memory limits
    available_memory  threads x the SMALLEST free memory per thread of any worker
                      ((limit - used) / threads). The policy divides available memory by
                      what one task needs; the scheduler, not nirdesk, picks the worker of
                      each task, so every thread slot must be able to hold a task: the
                      smallest worker sets the pace. (A plain sum would let one big worker
                      vouch for a small one that then runs out of memory.)
    pool_warm_workers every worker thread: cluster workers are already running, so the
                      policy never charges a cold start for them.
    Workers without a memory limit count as having this machine's available memory
    (``fallback``), the best guess without a number from the cluster.
    """
    fallback = fallback or MachineFacts.current()
    running = [r for r in rows if r.get("status", "running") == "running" and r["cores"] > 0]
    threads = sum(r["cores"] for r in running)
    if not running:
        return MachineFacts(usable_cpus=1, total_memory=fallback.total_memory,
                            available_memory=fallback.available_memory, pool_warm_workers=0)
    per_thread = []
    total = 0
    for r in running:
        limit = r["memory_limit"]
        if limit:
            total += limit
            per_thread.append(max(0, limit - r["memory_used"]) / r["cores"])
        else:
            total += fallback.total_memory
            per_thread.append(fallback.available_memory / r["cores"])
    return MachineFacts(usable_cpus=threads, total_memory=int(total),
                        available_memory=int(threads * min(per_thread)),
                        pool_warm_workers=threads)


@dataclass
class ClusterInfo:
    """What Test connection shows: the workers, their totals, and version warnings."""

    address: str
    workers: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)

    @property
    def cores(self) -> int:
        return sum(w["cores"] for w in self.workers)

    @property
    def memory_limit(self) -> int:
        return sum(w["memory_limit"] or 0 for w in self.workers)

    def summary(self) -> str:
        """One line, e.g. "connected to tcp://10.0.0.5:8786: 2 workers, 4 cores, 15.6 GB"."""
        n = len(self.workers)
        text = (f"connected to {self.address}: {n} worker{'s' if n != 1 else ''}, "
                f"{self.cores} core{'s' if self.cores != 1 else ''}")
        if self.memory_limit:
            text += f", {fmt_bytes(self.memory_limit)}"
        if not n:
            text += " (start workers with: dask worker " + self.address + ")"
        return text


def fmt_bytes(n: float | None) -> str:
    if not n:
        return "-"
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n / 1e3:.0f} kB"


def version_warnings(mine: dict[str, str | None], theirs: dict[str, Any]) -> list[str]:
    """One line per worker whose nirdesk / scikit-learn / numpy / Python differs from ours
    (different versions can compute different numbers, or fail to unpickle a pipeline)."""
    lines = []
    for worker, facts in sorted(theirs.items()):
        if isinstance(facts, BaseException) or not isinstance(facts, dict):
            lines.append(f"{worker}: cannot run nirdesk code ({error_text(facts)}); install "
                         f"nirdesk {mine.get('nirdesk') or ''} on the workers".replace("  ", " "))
            continue
        if facts.get("nirdesk") is None:
            lines.append(f"{worker}: nirdesk is not installed; install nirdesk "
                         f"{mine.get('nirdesk')} on every worker")
            continue
        diffs = [f"{k} {facts.get(k)} (here {v})" for k, v in mine.items() if facts.get(k) != v]
        if diffs:
            lines.append(f"{worker}: " + ", ".join(diffs))
    return lines


def check_connection(address: str, timeout: float = DEFAULT_TIMEOUT_S) -> ClusterInfo:
    """Connect, list the workers (cores, memory), check their versions, disconnect.

    Blocking (at most about 2 x ``timeout`` s): the GUI calls it on a background thread.
    Raises ClusterError (one line) when the address is bad or nothing answers.
    """
    address = normalise_address(address)
    identity = probe(address, timeout)
    info = ClusterInfo(address, worker_rows(identity))
    if not info.workers:
        return info
    client = connect(address, timeout)
    try:
        theirs = client.run(worker_versions, on_error="return", callback_timeout=timeout)
        info.warnings = version_warnings(worker_versions(), theirs)
    except Exception as exc:  # noqa: BLE001 - the workers did not answer: say so, keep the list
        info.warnings = [f"the workers did not report their versions ({error_text(exc)})"]
    finally:
        client.close(timeout=2)
    return info
