"""Nothing left behind (issue 22, points 1, 2 and 10): a parallel `nirdesk run` ended in any
way leaves no worker, no resource tracker and no /dev/shm entry of its own behind.

Each case starts `nirdesk run --parallel-branches 2` in its own session (so its process group
is exactly nirdesk and its children), waits until the pool's processes exist, waits a seeded
random moment more, then ends it: normally, SIGINT to the main process, SIGTERM, SIGKILL, or
SIGINT to the whole group (a terminal's Ctrl-C). 5 s after the main process is gone, every
child seen before the signal must be gone too, and /dev/shm must hold no entry named after
the run's pid (``nirdesk-PID-*`` data, ``sem.loky-PID-*`` semaphores); after SIGKILL the data
folder is reclaimed by the next start (engine.scratch.reclaim_stale, which every new scratch
folder calls first).
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

psutil = pytest.importorskip("psutil")

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="signals and /dev/shm: Linux")

NIRDESK = [sys.executable, "-m", "engine.cli"]
GRACE_S = 5.0
PIPELINE = """{"name": "hygiene", "steps": [
  {"branch": {"_or_": ["SNV", "MSC", "Detrend", "Baseline"]}, "n_jobs": 2},
  {"class": "PLSRegression", "params": {"n_components": 20}}]}"""


@pytest.fixture(scope="module")
def workload(tmp_path_factory) -> tuple[Path, Path]:
    """A seeded dataset big enough that the policy runs the four branches on two workers."""
    folder = tmp_path_factory.mktemp("hygiene")
    rng = np.random.default_rng(22)
    n, p = 1800, 400
    X = rng.normal(size=(n, 6)) @ rng.normal(size=(6, p)) + 0.01 * rng.normal(size=(n, p))
    y = X[:, :5].sum(axis=1) + 0.1 * rng.normal(size=n)
    data = folder / "data"
    data.mkdir()
    header = ",".join(f"{w:.2f}" for w in np.linspace(1000, 2500, p))
    np.savetxt(data / "X.csv", X, delimiter=",", header=header, comments="", fmt="%.5g")
    np.savetxt(data / "y.csv", y, delimiter=",", header="y", comments="", fmt="%.5g")
    pipeline = folder / "pipeline.json"
    pipeline.write_text(PIPELINE, encoding="utf-8")
    return pipeline, data


def _own_shm(pid: int) -> list[str]:
    if not os.path.isdir("/dev/shm"):
        return []
    return sorted(n for n in os.listdir("/dev/shm")
                  if n.startswith((f"nirdesk-{pid}-", f"sem.loky-{pid}-")))


def _descendants(pid: int) -> list:
    """The run's children: by parent chain, and by process group (re-parented ones too)."""
    found = {}
    try:
        for child in psutil.Process(pid).children(recursive=True):
            found[child.pid] = child
    except psutil.NoSuchProcess:
        pass
    for proc in psutil.process_iter():
        try:
            if proc.pid != pid and os.getpgid(proc.pid) == pid:
                found[proc.pid] = proc
        except (ProcessLookupError, psutil.Error, OSError):
            continue
    return list(found.values())


def _alive(procs: list) -> list:
    out = []
    for proc in procs:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                out.append(proc)
        except psutil.NoSuchProcess:
            continue
    return out


def _start(workload: tuple[Path, Path], folder: Path) -> subprocess.Popen:
    """Output to files, not pipes: a child holding a pipe open would make waiting for the
    main process wait for the children too, and hide how long they lived."""
    pipeline, data = workload
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    with open(folder / "stdout", "wb") as out, open(folder / "stderr", "wb") as err:
        return subprocess.Popen([*NIRDESK, "run", str(pipeline), "--data", str(data),
                                 "--parallel-branches", "2", "--verbose", "0",
                                 "--out", str(folder / "results.json")],
                                start_new_session=True, stdout=out, stderr=err, env=env,
                                cwd=Path(__file__).resolve().parents[2])


def _wait_for_pool(proc: subprocess.Popen, timeout: float = 120.0) -> None:
    """Until the loky workers run (2 workers + the resource tracker: at least 3 children)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the run ended (exit {proc.returncode}) before its workers started")
        workers = [p for p in _descendants(proc.pid) if "loky" in " ".join(_cmdline(p))]
        if len(workers) >= 3:
            return
        time.sleep(0.05)
    pytest.fail("the pool's workers never started (is the run parallel?)")


def _cmdline(proc) -> list[str]:
    try:
        return proc.cmdline()
    except psutil.Error:
        return []


CASES = ["normal", "SIGINT", "SIGTERM", "SIGKILL", "group SIGINT"]


@pytest.mark.parametrize("how", CASES)
def test_no_process_and_no_shm_entry_outlives_the_run(workload, tmp_path, how):
    moment = random.Random(f"issue22-{how}").uniform(0.0, 0.6)
    proc = _start(workload, tmp_path)
    try:
        _wait_for_pool(proc)
        children = _descendants(proc.pid)
        if how != "normal":
            time.sleep(moment)
            children = {p.pid: p for p in children + _descendants(proc.pid)}
            children = list(children.values())
            if how == "group SIGINT":
                os.killpg(proc.pid, signal.SIGINT)
            else:
                proc.send_signal({"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM,
                                  "SIGKILL": signal.SIGKILL}[how])
        signalled = time.monotonic()
        proc.wait(timeout=300)
        if how == "normal":
            signalled = time.monotonic()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    gone_at = time.monotonic()
    while _alive(children) and time.monotonic() - gone_at < GRACE_S:
        time.sleep(0.05)
    after_main = time.monotonic() - gone_at
    after_signal = time.monotonic() - signalled
    left = _alive(children)
    for p in left:  # do not leave them to the next test
        p.kill()
    stderr = (tmp_path / "stderr").read_text(errors="replace")
    print(f"{how}: exit {proc.returncode}, {len(children)} children gone {after_main:.2f} s "
          f"after the main process ({after_signal:.2f} s after the signal or the end)")
    assert not left, f"{how}: {[(p.pid, _cmdline(p)) for p in left]} still alive after {GRACE_S} s"
    if how == "SIGKILL":
        from engine.scratch import reclaim_stale

        time.sleep(0.2)  # the tracker unlinks the semaphores as it exits
        assert [n for n in _own_shm(proc.pid) if n.startswith("sem.")] == []
        reclaim_stale()  # what the next start does before making its own folder
    assert _own_shm(proc.pid) == [], f"{how}: left in /dev/shm"
    if how == "SIGKILL":
        return
    assert "Traceback" not in stderr and "leaked" not in stderr, stderr
    if how == "normal":
        assert proc.returncode == 0, stderr
    else:
        assert proc.returncode == 130, stderr
        assert stderr.strip().splitlines()[-1].startswith("nirdesk run: cancelled"), stderr
