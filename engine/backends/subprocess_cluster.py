"""A throwaway Dask cluster on this machine: a scheduler and workers as child processes.

Why: the tests, the Settings dialog's tests and anyone trying the Dask backend need a real
scheduler at a real tcp:// address (workers in other processes, pickling over the wire),
which an in-process LocalCluster does not exercise. This is exactly what docs/cluster.md
tells a user to run by hand (``dask scheduler`` / ``dask worker --nthreads 1``), started
with the current interpreter, every process in its own process group so that it can be
stopped completely.

    with SubprocessCluster(n_workers=2) as cluster:
        print(cluster.address)   # tcp://127.0.0.1:PORT
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class SubprocessCluster:
    """Scheduler + ``n_workers`` single-thread workers (no nanny) bound to 127.0.0.1."""

    def __init__(self, n_workers: int = 2, *, memory_limit: str = "2GB",
                 start_timeout: float = 60.0) -> None:
        self.n_workers = n_workers
        self.memory_limit = memory_limit
        self.start_timeout = start_timeout
        self.folder = Path(tempfile.mkdtemp(prefix="nirdesk-dask-"))
        self.scheduler_file = self.folder / "scheduler.json"
        self.scheduler: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.address = ""

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> SubprocessCluster:
        self.scheduler = self._spawn("scheduler", [
            "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
            "--scheduler-file", str(self.scheduler_file), "--no-dashboard",
            "--dashboard-address", "127.0.0.1:0", "--idle-timeout", "900"])
        try:
            self.address = self._wait_for_address()
            for _ in range(self.n_workers):
                self.add_worker()
            self.wait_for_workers(self.n_workers)
        except BaseException:
            self.stop()
            raise
        return self

    def add_worker(self, name: str | None = None) -> subprocess.Popen:
        """Start one more worker (it registers asynchronously: see wait_for_workers)."""
        index = len(self.workers) + 1
        proc = self._spawn(f"worker{index}", [
            "distributed.cli.dask_worker", self.address, "--nthreads", "1", "--no-nanny",
            "--no-dashboard", "--memory-limit", self.memory_limit, "--death-timeout", "30",
            "--name", name or f"worker-{index}", "--local-directory", str(self.folder)])
        self.workers.append(proc)
        return proc

    def stop_worker(self, proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        """Stop one worker abruptly (a host that goes away)."""
        _kill_group(proc, sig)
        if proc in self.workers:
            self.workers.remove(proc)

    def stop(self) -> None:
        """Kill every process group (workers first), wait for them, remove the folder."""
        for proc in list(self.workers):  # nothing to save: a polite close only costs time
            _kill_group(proc, signal.SIGKILL)
        if self.scheduler is not None:
            _kill_group(self.scheduler, signal.SIGTERM)
        procs = self.workers + ([self.scheduler] if self.scheduler else [])
        deadline = time.monotonic() + 3
        for proc in procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _kill_group(proc, signal.SIGKILL)
                proc.wait(5)
        self.workers.clear()
        self.scheduler = None
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> SubprocessCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- helpers ---------------------------------------------------------------------------
    def _spawn(self, label: str, args: list[str]) -> subprocess.Popen:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(REPO),
                                             env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        log = open(self.folder / f"{label}.log", "wb")  # noqa: SIM115 - closed with the process
        try:
            return subprocess.Popen([sys.executable, "-m", *args], cwd=REPO, env=env,
                                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        finally:
            log.close()

    def _wait_for_address(self) -> str:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.scheduler is not None and self.scheduler.poll() is not None:
                raise RuntimeError(f"the scheduler exited: {self.log('scheduler')[-500:]}")
            try:
                return json.loads(self.scheduler_file.read_text())["address"]
            except (OSError, ValueError, KeyError):
                time.sleep(0.1)
        raise TimeoutError(f"no scheduler within {self.start_timeout:g} s")

    def worker_count(self) -> int:
        from engine.backends.dask_cluster import probe

        return len(probe(self.address, 5.0).get("workers") or {})

    def wait_for_workers(self, n: int, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout or self.start_timeout)
        while time.monotonic() < deadline:
            if self.worker_count() >= n:
                return
            dead = [p for p in self.workers if p.poll() is not None]
            if dead:
                raise RuntimeError(f"a worker exited: {self.log('worker1')[-500:]}")
            time.sleep(0.2)
        raise TimeoutError(f"fewer than {n} workers after {timeout or self.start_timeout:g} s")

    def log(self, label: str) -> str:
        try:
            return (self.folder / f"{label}.log").read_text(errors="replace")
        except OSError:
            return ""


def _kill_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


# -- one cluster shared by several test modules of one pytest session ----------------------

class _Shared:
    """The one cluster several test modules share, and how many of them hold it."""

    cluster: SubprocessCluster | None = None
    users = 0


_SHARED_LOCK = threading.Lock()


def acquire_shared(n_workers: int = 2) -> SubprocessCluster:
    """The process-wide cluster (started at the first call); pair with release_shared."""
    with _SHARED_LOCK:
        if _Shared.cluster is None:
            _Shared.cluster = SubprocessCluster(n_workers).start()
        _Shared.users += 1
        return _Shared.cluster


def release_shared() -> None:
    """Stop the shared cluster when its last user lets go."""
    with _SHARED_LOCK:
        _Shared.users = max(0, _Shared.users - 1)
        if _Shared.cluster is not None and not _Shared.users:
            _Shared.cluster.stop()
            _Shared.cluster = None
