"""The Dask backend on a real scheduler with two workers (separate processes on 127.0.0.1):
same numbers as a local run, data scattered once, failures per branch, a worker lost mid-run,
cancel, the CLI flags, and no dask import at engine import time."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")  # the optional extra; CI installs nirdesk[cluster]

from engine.backends import (
    DASK_MISSING,
    ExecutionChoice,
    machine_facts,
    make_pool,
    remote_workers_provider,
)
from engine.backends.dask_cluster import ClusterError, cluster_facts, normalise_address
from engine.backends.dask_pool import DaskPool
from engine.cli import main as cli_main
from engine.events import BranchDone
from engine.io import load_dataset
from engine.registry import allow_module_prefix
from engine.run import run
from tests.faulty import RaisingRegressor, SlowRegressor
from tests.patterns import FOUR
from tests.reference import cv_rmse, read_folder, read_train

allow_module_prefix("tests")
REPO = Path(__file__).resolve().parents[2]

TUNED = ["SNV", {"model": {"class": "Ridge"},
                 "finetune_params": {"n_trials": 6, "n_jobs": 2,
                                     "model_params": {"alpha": ["float_log", 1e-3, 1e2]}}}]


@pytest.fixture()
def pool(dask_cluster):
    p = DaskPool(dask_cluster.address)
    yield p
    p.shutdown()


@pytest.fixture(autouse=True)
def no_startup_cost(monkeypatch):
    """The test data is small: without this the policy would rightly run it sequentially."""
    import engine.policy as policy

    monkeypatch.setattr(policy, "COLD_START_SECONDS", 0.0)
    monkeypatch.setattr(policy, "WARM_START_SECONDS", 0.0)
    monkeypatch.setattr(policy, "TASK_OVERHEAD_SECONDS", 0.0)


@pytest.fixture(scope="module")
def tablet(tablet_dir):
    return load_dataset(tablet_dir)


def _without_seconds(value):
    """The results JSON minus wall times (which differ between any two runs)."""
    if isinstance(value, dict):
        return {k: _without_seconds(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [_without_seconds(v) for v in value]
    return value


def _comparable(result) -> list[dict]:
    return _without_seconds(result.to_json()["branches"])


def _assert_same(a, b) -> None:
    assert json.dumps(_comparable(a)) == json.dumps(_comparable(b))
    for x, y in zip(a.branches, b.branches, strict=True):
        if x.status != "ok":
            continue
        for key in ("rmse", "r2", "mae", "bias", "sep", "rpd"):
            assert abs(x.metrics["cv"][key] - y.metrics["cv"][key]) <= 1e-12
        np.testing.assert_array_equal(x.oof_predictions, y.oof_predictions)
        np.testing.assert_array_equal(x.test_predictions, y.test_predictions)


def test_four_branches_on_the_cluster_equal_the_local_run(tablet, pool, tablet_dir):
    facts = machine_facts(pool)
    assert facts.usable_cpus == 2 and facts.pool_warm_workers == 2
    remote = run(FOUR, tablet, verbose=0, pool=pool, machine=facts, in_process_sequential=False)
    local = run(FOUR, tablet, verbose=0, parallel_branches=1)  # in this process, 1 BLAS thread
    assert remote.parallel[0]["mode"] == "parallel" and remote.parallel[0]["workers"] == 2
    assert [b.status for b in remote.branches] == ["ok"] * 4
    _assert_same(remote, local)
    # and the numbers are right: StandardScaler + ElasticNet by plain scikit-learn
    from sklearn.linear_model import ElasticNet
    from sklearn.preprocessing import StandardScaler

    X, y, _, test = read_folder(tablet_dir)
    rmsecv, rmsep, _ = cv_rmse([("scale", StandardScaler()),
                                ("enet", ElasticNet(alpha=0.5, max_iter=300))], X, y,
                               np.flatnonzero(read_train(tablet_dir)), test=np.flatnonzero(test))
    assert remote.branches[2].metrics["cv"]["rmse"] == pytest.approx(rmsecv, rel=1e-9)
    assert remote.branches[2].metrics["test"]["rmse"] == pytest.approx(rmsep, rel=1e-9)


def test_finetune_trials_on_the_cluster_equal_the_local_run(tablet, pool):
    from engine.executor import TaskPool

    remote = run(TUNED, tablet, verbose=0, pool=pool, machine=machine_facts(pool))
    local_pool = TaskPool()  # trials n_jobs=2 locally too: the same batches of Optuna trials
    try:
        local = run(TUNED, tablet, verbose=0, pool=local_pool)
    finally:
        local_pool.shutdown()
    for result in (remote, local):
        assert result.branches[0].tuning["trial_n_jobs"] == 2  # trials went to the pool
    assert ([t["value"] for t in remote.branches[0].trials]
            == [t["value"] for t in local.branches[0].trials])
    assert remote.branches[0].best_params == local.branches[0].best_params
    _assert_same(remote, local)


def test_the_dataset_is_scattered_once_per_dataset_not_per_task(tablet, pool, monkeypatch):
    client = pool.connect()
    calls = []
    real = client.scatter
    monkeypatch.setattr(client, "scatter", lambda *a, **k: calls.append(k) or real(*a, **k))
    for _ in range(2):  # two runs on the open dataset: the workers keep their copies
        result = run(FOUR, tablet, verbose=0, pool=pool, machine=machine_facts(pool))
        assert [b.status for b in result.branches] == ["ok"] * 4
    assert len(calls) == 1 and calls[0]["broadcast"] is True
    x_future = pool.share(tablet.X, tablet.y).futures[0]
    assert set(client.who_has([x_future])[x_future.key]) == {w["address"] for w in pool.workers()}
    other = load_dataset(REPO / "resources" / "demo" / "tecator")
    run(FOUR, other, verbose=0, pool=pool, machine=machine_facts(pool))
    assert len(calls) == 2  # a new dataset is scattered (and the old one released)


def test_a_failing_branch_is_reported_as_locally(tablet, pool):
    from sklearn.linear_model import Ridge

    from engine.operators import SNV

    spec = [{"branch": [[SNV(), Ridge()], [SNV(), RaisingRegressor("singular matrix in fold")],
                        [Ridge(alpha=2.0)]], "n_jobs": 2}]
    remote = run(spec, tablet, verbose=0, pool=pool, machine=machine_facts(pool))
    local = run(spec, tablet, verbose=0, parallel_branches=1)
    assert [b.status for b in remote.branches] == ["ok", "failed", "ok"]
    assert (remote.branches[1].error == local.branches[1].error
            == "ValueError: singular matrix in fold")
    _assert_same(remote, local)


def test_losing_a_worker_mid_run_still_completes(tablet, dask_cluster, pool):
    """A third worker is killed while it runs a task: Dask re-runs its tasks elsewhere."""
    extra = dask_cluster.add_worker("doomed")
    try:
        dask_cluster.wait_for_workers(3, timeout=30)
        client = pool.connect()
        spec = [{"branch": [[SlowRegressor(0.4)], [SlowRegressor(0.5)], [SlowRegressor(0.6)]],
                 "n_jobs": 3}]
        holder = {}
        thread = threading.Thread(target=lambda: holder.setdefault(
            "result", run(spec, tablet, verbose=0, pool=pool, machine=machine_facts(pool))))
        thread.start()
        doomed = next(w["address"] for w in _wait_for(lambda: [
            w for w in pool.workers() if w["name"] == "doomed"]))
        _wait_for(lambda: client.processing(workers=[doomed]).get(doomed))  # busy with a task
        dask_cluster.stop_worker(extra)
        thread.join(60)
        assert not thread.is_alive(), "the run hung after a worker died"
    finally:
        dask_cluster.stop_worker(extra)
    result = holder["result"]
    assert [b.status for b in result.branches] == ["ok"] * 3
    train = tablet.train_indices
    assert result.branches[0].test_predictions == pytest.approx(
        np.full(tablet.n_test, tablet.y[train].mean()))


def test_a_scheduler_without_workers_fails_the_branches_instead_of_hanging(tablet):
    from engine.backends.subprocess_cluster import SubprocessCluster

    with SubprocessCluster(n_workers=0) as empty:
        pool = DaskPool(empty.address, no_worker_timeout=1.0)
        try:
            start = time.monotonic()
            result = run(FOUR, tablet, verbose=0, pool=pool, machine=machine_facts(pool),
                         in_process_sequential=False)  # as the CLI and the app run on dask
            assert time.monotonic() - start < 10
        finally:
            pool.shutdown()
    assert [b.status for b in result.branches] == ["failed"] * 4
    assert all("no Dask worker" in b.error for b in result.branches)


def _wait_for(condition, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def test_cancel_cancels_the_futures_within_2_s(tablet, pool):
    from sklearn.linear_model import Ridge

    spec = [{"branch": [[Ridge()]]}, {"branch": [[SlowRegressor(2.5)], [SlowRegressor(2.5)]],
                                       "n_jobs": 2}]
    cancel = threading.Event()
    events, holder = [], {}
    thread = threading.Thread(target=lambda: holder.setdefault("result", run(
        spec, tablet, verbose=0, pool=pool, machine=machine_facts(pool), cancel=cancel,
        on_event=events.append, in_process_sequential=False)))
    thread.start()
    _wait_for(lambda: any(isinstance(e, BranchDone) for e in events))
    client = pool.connect()
    _wait_for(lambda: any(client.processing().values()))  # the slow fits are running
    t0 = time.monotonic()
    cancel.set()
    thread.join(10)
    assert not thread.is_alive() and time.monotonic() - t0 < 2.0
    result = holder["result"]
    assert result.cancelled
    assert [b.status for b in result.branches] == ["ok", "cancelled", "cancelled"]
    assert not pool._outstanding
    # the scheduler has forgotten every task of the run (only the scattered data remains)
    keys = lambda dask_scheduler: [str(k) for k in dask_scheduler.tasks]  # noqa: E731 - by value
    _wait_for(lambda: not [k for k in client.run_on_scheduler(keys) if k.startswith("nirdesk-")],
              timeout=5)
    time.sleep(2.5)  # let the running sleeps end before the next test uses the workers


def test_remote_workers_provider_for_the_gauges(pool, monkeypatch):
    provider = remote_workers_provider(pool)
    assert provider() is None  # not connected yet: no cluster to show
    client = pool.connect()
    asked_from = []
    real = client.scheduler_info
    monkeypatch.setattr(client, "scheduler_info",
                        lambda *a, **k: (asked_from.append(threading.current_thread())
                                         or real(*a, **k)))
    pool._rows_time = 0.0  # the cached list is stale now
    rows = provider()
    assert threading.current_thread() not in asked_from  # the GUI thread never waits
    _wait_for(lambda: asked_from)  # the refresh ran on a thread of its own
    assert len(rows) == 2
    for row in rows:
        assert set(row) == {"name", "cores", "memory_used", "memory_limit", "cpu_percent"}
        assert row["cores"] == 1 and row["memory_limit"] == 2_000_000_000
        assert 0 < row["memory_used"] < row["memory_limit"]
    assert remote_workers_provider(make_pool(ExecutionChoice())) is None  # loky: local gauges
    from engine.backends import known_machine_facts

    facts = known_machine_facts(pool)  # from the cached rows (a refresh may have run since)
    assert (facts.usable_cpus, facts.total_memory, facts.pool_warm_workers) == (2, 4_000_000_000, 2)
    assert 0 < facts.available_memory < 2 * 2_000_000_000
    assert known_machine_facts(make_pool(ExecutionChoice())) is None


def test_make_pool_keeps_one_lazy_pool_per_scheduler(dask_cluster):
    from engine.backends import close_pools

    choice = ExecutionChoice("dask", dask_cluster.address)
    first = make_pool(choice)
    assert make_pool(ExecutionChoice("dask", dask_cluster.address.removeprefix("tcp://"))) is first
    assert not first.connected  # made without touching the network (safe on the GUI thread)
    first.connect()
    assert make_pool(choice) is first and first.connected
    first.shutdown()
    second = make_pool(choice)
    assert second is not first and not second.broken
    close_pools()
    assert second.broken


def test_cluster_facts_use_the_smallest_worker():
    rows = [{"name": "a", "cores": 2, "memory_used": 1_000, "memory_limit": 9_000},
            {"name": "b", "cores": 1, "memory_used": 500, "memory_limit": 2_500}]
    facts = cluster_facts(rows)
    assert facts.usable_cpus == 3 and facts.pool_warm_workers == 3
    assert facts.total_memory == 9_000 + 2_500
    assert facts.available_memory == 3 * min((9_000 - 1_000) / 2, (2_500 - 500) / 1)


def test_version_warnings_name_the_worker_and_what_differs():
    from engine.backends.dask_cluster import version_warnings

    mine = {"python": "3.11.7", "nirdesk": "0.1.0", "scikit-learn": "1.9.0", "numpy": "2.1.0"}
    theirs = {"tcp://a:1": dict(mine),
              "tcp://b:1": {**mine, "scikit-learn": "1.8.0"},
              "tcp://c:1": {**mine, "nirdesk": None},
              "tcp://d:1": ModuleNotFoundError("No module named 'engine'")}
    lines = version_warnings(mine, theirs)
    assert lines == ["tcp://b:1: scikit-learn 1.8.0 (here 1.9.0)",
                     "tcp://c:1: nirdesk is not installed; install nirdesk 0.1.0 on every worker",
                     "tcp://d:1: cannot run nirdesk code (ModuleNotFoundError: No module named "
                     "'engine'); install nirdesk 0.1.0 on the workers"]


@pytest.mark.parametrize("text, expected", [
    ("10.0.0.5:8786", "tcp://10.0.0.5:8786"), (" tls://head:8786 ", "tls://head:8786")])
def test_addresses_are_normalised(text, expected):
    assert normalise_address(text) == expected


@pytest.mark.parametrize("text", ["", "http://localhost:8787", "tcp://host", "tcp://host:port"])
def test_bad_addresses_are_refused_in_one_line(text):
    with pytest.raises(ClusterError) as info:
        normalise_address(text)
    assert "\n" not in str(info.value) and "tcp://HOST:PORT" in str(info.value)


def test_tls_address_without_certificates_says_what_to_configure(monkeypatch):
    from engine.backends.dask_cluster import probe

    for name in ("CA_FILE", "CLIENT__CERT", "CLIENT__KEY"):
        monkeypatch.delenv(f"DASK_DISTRIBUTED__COMM__TLS__{name}", raising=False)
    with pytest.raises(ClusterError, match=r"needs TLS certificates.*docs/cluster\.md"):
        probe("tls://127.0.0.1:8786", 1.0)


def test_cli_dask_backend_gives_the_local_metrics(tmp_path, tablet_dir, dask_cluster):
    spec = tmp_path / "four.json"
    spec.write_text(json.dumps(FOUR))
    outs = {}
    for backend in ("loky", "dask"):
        outs[backend] = tmp_path / f"{backend}.json"
        extra = (["--backend", "dask", "--scheduler", dask_cluster.address,
                  "--parallel-branches", "2"]
                 if backend == "dask" else ["--parallel-branches", "1"])  # local: in this process
        assert cli_main(["run", str(spec), "--data", str(tablet_dir), "--out", str(outs[backend]),
                         "--verbose", "0", *extra]) == 0
    docs = {k: json.loads(v.read_text()) for k, v in outs.items()}
    assert ([b["metrics"] for b in docs["dask"]["branches"]]
            == [b["metrics"] for b in docs["loky"]["branches"]])
    assert docs["dask"]["parallel"][0]["mode"] == "parallel"


def test_cli_unreachable_scheduler_exits_2_with_one_line(tmp_path, tablet_dir, capsys):
    spec = tmp_path / "four.json"
    spec.write_text(json.dumps(FOUR))
    start = time.monotonic()
    code = cli_main(["run", str(spec), "--data", str(tablet_dir), "--backend", "dask",
                     "--scheduler", "tcp://127.0.0.1:1", "--verbose", "0"])
    err = capsys.readouterr().err
    assert code == 2 and time.monotonic() - start < 9
    assert err.count("\n") == 1 and "tcp://127.0.0.1:1" in err and "Traceback" not in err


def test_cli_without_distributed_exits_2_with_the_install_hint(tmp_path, tablet_dir, capsys,
                                                               monkeypatch):
    import engine.backends

    monkeypatch.setattr(engine.backends, "dask_available", lambda: False)
    code = cli_main(["run", str(REPO / "resources/demo/pipeline.json"), "--data", str(tablet_dir),
                     "--backend", "dask", "--scheduler", "tcp://127.0.0.1:8786"])
    assert code == 2
    assert capsys.readouterr().err == f"nirdesk run: {DASK_MISSING}\n"
    assert DASK_MISSING == "--backend dask needs dask.distributed: pip install 'nirdesk[cluster]'"


def test_engine_never_imports_distributed_by_itself():
    code = ("import sys, engine.run, engine.cli, engine.predict, engine.backends, "
            "engine.backends.dask_cluster, engine.backends.dask_pool, "
            "engine.backends.subprocess_cluster; "
            "engine.cli.build_parser(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('distributed', 'dask')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
