"""The parallel executor: identical numbers, failure isolation, cancel, overrides, events."""
from __future__ import annotations

import itertools
import json
import os
import threading
import time

import numpy as np
import psutil
import pytest

from engine.events import BranchDone, BranchFailed, RunCancelled, RunFinished, RunStarted, TaskDone
from engine.executor import TaskPool
from engine.io import load_dataset
from engine.registry import allow_module_prefix
from engine.run import run
from tests.faulty import DyingRegressor, MemoryHogRegressor, RaisingRegressor, SlowRegressor
from tests.patterns import FOUR

allow_module_prefix("tests")



@pytest.fixture(autouse=True)
def no_startup_cost(monkeypatch):
    """The test data is tiny: without this the policy would (rightly) run it sequentially,
    and the pool would not be exercised. The policy's own rule is tested in test_policy."""
    import engine.policy as policy

    monkeypatch.setattr(policy, "COLD_START_SECONDS", 0.0)
    monkeypatch.setattr(policy, "WARM_START_SECONDS", 0.0)
    monkeypatch.setattr(policy, "TASK_OVERHEAD_SECONDS", 0.0)


@pytest.fixture(scope="module")
def pool():
    p = TaskPool()
    yield p
    p.shutdown()


def _children() -> list[psutil.Process]:
    return psutil.Process().children(recursive=True)


def _comparable(result) -> list[dict]:
    doc = result.to_json()
    return [{k: v for k, v in b.items() if k != "seconds"} for b in doc["branches"]]


def test_parallel_results_identical_to_sequential(tablet_dir, pool):
    ds = load_dataset(tablet_dir)
    seq = run(FOUR, ds, verbose=0, parallel_branches=1, pool=pool)
    par = run(FOUR, ds, verbose=0, parallel_branches=2, pool=pool)
    assert seq.parallel[0]["mode"] == "sequential"
    assert par.parallel[0]["mode"] == "parallel" and par.parallel[0]["workers"] == 2
    assert json.dumps(_comparable(seq)) == json.dumps(_comparable(par))
    for a, b in zip(seq.branches, par.branches, strict=True):
        np.testing.assert_array_equal(a.oof_predictions, b.oof_predictions)
        np.testing.assert_array_equal(a.test_predictions, b.test_predictions)


def test_pool_stays_warm_between_runs(tecator_dir, pool):
    ds = load_dataset(tecator_dir)
    run(FOUR, ds, verbose=0, parallel_branches=2, pool=pool)
    first = set(pool.worker_pids())
    run(FOUR, ds, verbose=0, parallel_branches=2, pool=pool)
    assert len(first) == 2 and set(pool.worker_pids()) == first


@pytest.mark.parametrize("bad, expected", [
    (RaisingRegressor("singular matrix in fold"), "ValueError: singular matrix in fold"),
    (MemoryHogRegressor(), "MemoryError"),
    (DyingRegressor(os.getpid()), "worker process died"),
])
def test_a_failing_branch_is_isolated(bad, expected, tecator_dir, pool):
    from sklearn.cross_decomposition import PLSRegression
    from sklearn.linear_model import Ridge

    from engine.operators import SNV

    ds = load_dataset(tecator_dir)
    spec = [{"branch": [[SNV(), PLSRegression(n_components=5)], [SNV(), bad], [Ridge()]],
             "n_jobs": 2}]
    events = []
    result = run(spec, ds, verbose=0, parallel_branches=2, pool=pool, on_event=events.append)
    assert [b.status for b in result.branches] == ["ok", "failed", "ok"]
    assert expected in result.branches[1].error
    assert result.best_branch in (1, 3)
    assert any(isinstance(e, BranchFailed) and e.branch_id == 2 for e in events)
    assert sum(isinstance(e, BranchDone) for e in events) == 2
    assert isinstance(events[-1], RunFinished)


def test_cancel_stops_workers_within_2_s_and_keeps_finished_branches(tecator_dir, pool):
    from sklearn.linear_model import Ridge

    ds = load_dataset(tecator_dir)
    # group 1 (one quick branch) finishes first; group 2's slow fits are running on the pool
    spec = [{"branch": [[Ridge()]]},
            {"branch": [[SlowRegressor(30)], [SlowRegressor(30)]], "n_jobs": 2}]
    cancel = threading.Event()
    events = []
    holder = {}

    def target():
        holder["result"] = run(spec, ds, verbose=0, parallel_branches=2, pool=pool,
                               cancel=cancel, on_event=events.append)

    thread = threading.Thread(target=target)
    thread.start()
    deadline = time.monotonic() + 30
    while not any(isinstance(e, BranchDone) for e in events) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the slow fits are now running in the workers
    workers = pool.worker_pids()
    assert workers
    t0 = time.monotonic()
    cancel.set()
    thread.join(10)
    assert not thread.is_alive()
    assert time.monotonic() - t0 < 2.0
    assert not [p for p in workers
                if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    from joblib.externals.loky.backend import resource_tracker as lr
    assert [(p.pid, p.ppid(), lr._resource_tracker._pid, " ".join(p.cmdline())[-30:])
            for p in _children()] == []
    result = holder["result"]
    assert result.cancelled and isinstance(events[-1], RunCancelled)
    assert [b.status for b in result.branches] == ["ok", "cancelled", "cancelled"]


def test_events_stream_plan_progress_and_results(tecator_dir, pool):
    ds = load_dataset(tecator_dir)
    events = []
    result = run(FOUR, ds, verbose=0, parallel_branches=2, pool=pool, on_event=events.append)
    assert (isinstance(events[0], RunStarted) and events[0].n_tasks == 24
            and events[0].n_branches == 4)
    assert events[0].plan == result.parallel
    tasks = [e for e in events if isinstance(e, TaskDone)]
    assert tasks and tasks[-1].done == 24
    assert all(a.done < b.done for a, b in itertools.pairwise(tasks))
    assert {e.branch_id for e in events if isinstance(e, BranchDone)} == {1, 2, 3, 4}
    assert isinstance(events[-1], RunFinished) and events[-1].result is result


def test_parallel_branches_override_and_results_section(tecator_dir, pool):
    ds = load_dataset(tecator_dir)
    spec = [{"branch": [["SNV", "PLSRegression"], ["MSC", "Ridge"]]}]  # sequential by default
    default = run(spec, ds, verbose=0, pool=pool)
    assert default.parallel[0]["mode"] == "sequential"
    assert {r["code"] for r in default.parallel[0]["reasons"]} >= {"user_sequential"}
    forced = run([{"branch": [["SNV", "PLSRegression"], ["MSC", "Ridge"]], "n_jobs": 2}], ds,
                 verbose=0, pool=pool, parallel_branches=1)
    assert forced.parallel[0]["mode"] == "sequential"
    section = forced.to_json()["parallel"][0]
    assert set(section) == {"step", "path", "mode", "workers", "reasons"}
    assert section["path"] == [0]
    for reason in section["reasons"]:
        assert set(reason) == {"code", "severity", "branch", "message", "fix", "path", "data"}


def test_model_with_own_n_jobs_forces_sequential_and_says_why(tecator_dir, pool):
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import Ridge

    from engine.operators import SNV

    ds = load_dataset(tecator_dir)
    spec = [{"branch": [[SNV(), Ridge()],
                        [SNV(), RandomForestRegressor(n_estimators=5, n_jobs=-1)]],
             "parallel": True}]
    lines = []
    result = run(spec, ds, verbose=1, pool=pool, log=lines.append)
    section = result.parallel[0]
    assert section["mode"] == "sequential"
    messages = " ".join(r["message"] for r in section["reasons"])
    assert "Parallel execution disabled: Branch 2 uses n_jobs=-1" in messages
    assert any(line.startswith("warning: Parallel execution disabled") for line in lines)
