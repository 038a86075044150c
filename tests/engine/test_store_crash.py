"""kill -9 during a save: the file always opens, holding either the state before or after it.

A forked child (a process with nirdesk already imported, so that 50 tries take seconds, not a
minute of interpreter start-ups) opens the project and saves run after run; each save is ONE
transaction that replaces the previous "latest" run and its dataset, models and predictions
and bumps a counter in ui_state. The child reports each commit on a pipe. The parent kills
it with SIGKILL at a random moment, then opens the file the way a user would and checks that
the counter equals the number of commits the child reported (or one more: the commit landed,
the report did not), and that the saved run is complete (its dataset, every model and every
prediction array, all agreeing with the counter).

This tests a process crash (the operating system keeps what was written); a power cut would
additionally rely on fsync, which synchronous=FULL requests.
"""
from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from engine.dataset import SpectralDataset
from engine.run import run
from engine.store import Project

TRIES = 50
SPEC = [{"branch": [["SNV", {"class": "PLSRegression", "params": {"n_components": 3}}],
                    ["MSC", {"class": "PLSRegression", "params": {"n_components": 4}}]]}]


def make_dataset(k: int) -> SpectralDataset:
    """A dataset whose content (hence hash) and name encode k, about 0.4 MB of spectra."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 400)).cumsum(axis=1) * 0.01 + 1.0 + k * 1e-6
    return SpectralDataset(X=X, wavelengths=np.arange(400.0, 1200.0, 2.0),
                           targets={"y": X[:, 10] * 3}, sample_ids=[f"s{i}" for i in range(120)],
                           test_mask=np.arange(120) % 4 == 0, name=f"d{k}")


def save_latest(project: Project, result, k: int) -> None:
    """One transaction: drop the previous latest run and its dataset, add run k, set counter k."""
    with project.transaction() as conn:
        for (run_id,) in conn.execute("SELECT id FROM runs WHERE id > 1").fetchall():
            project.delete_run(run_id)
        conn.execute("DELETE FROM datasets WHERE id NOT IN (SELECT dataset_id FROM runs)")
        project.record_run(result, make_dataset(k), SPEC, "crash")
        project.set_ui_state("counter", k)


def child(path: Path, result, start: int, report: int) -> None:
    """The saving process (never returns: os._exit)."""
    code = 0
    try:
        project = Project.open(path)
        k = start
        while True:
            k += 1
            save_latest(project, result, k)
            os.write(report, b".")
    except BaseException as exc:  # noqa: BLE001 - tell the parent, which fails the test
        os.write(report, b"E" + repr(exc).encode()[:500])
        code = 1
    finally:
        os._exit(code)


def check_state(path: Path, n_branches: int) -> tuple[int, bool]:
    """Open like a user and verify the content is one consistent state.

    Returns the counter and whether opening rolled back an interrupted save.
    """
    with Project.open(path) as project:
        assert project.integrity_check() == ["ok"]
        k = project.get_ui_state("counter")
        runs = project.runs()
        assert len(runs) == 2 and runs[0].id == 1
        latest = runs[-1]
        assert latest.dataset_name == f"d{k}"
        stored = project.load_run(latest.id)
        assert stored.model_branches == list(range(1, n_branches + 1))
        assert sorted(stored.predictions) == list(range(1, n_branches + 1))
        assert all(set(p) == {"cv", "test"} for p in stored.predictions.values())
        ds = project.load_dataset(latest.dataset_id)  # verifies the content hash
        np.testing.assert_array_equal(ds.X, make_dataset(k).X)
        # the first run's dataset and the latest one; the same data is stored once, so
        # before the first commit of a child (counter 0) both runs share d0
        assert len(project.datasets()) == (1 if k == 0 else 2)
        project.load_model(latest.id, 1)  # verifies the checksum, then rebuilds
        return k, project.recovered


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork to start 50 savers quickly")
def test_kill_9_during_saves_leaves_old_or_new_state(tmp_path, capsys):
    first = make_dataset(0)
    result = run(SPEC, first, verbose=0)
    path = tmp_path / "crash.nirdesk"
    with Project.create(path) as project:
        project.record_run(result, first, SPEC, "crash")
        save_latest(project, result, 0)
    rnd = random.Random(12345)
    counter, hot_journals, recovered, commits = 0, 0, 0, 0
    started = time.perf_counter()
    for attempt in range(TRIES):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            os.close(read_end)
            child(path, result, counter, write_end)
        os.close(write_end)
        time.sleep(rnd.uniform(0.005, 0.12))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        with os.fdopen(read_end, "rb") as fh:
            reported = fh.read()
        assert b"E" not in reported, reported.decode(errors="replace")
        journal = path.with_name(path.name + "-journal")
        hot_journals += journal.exists() and journal.stat().st_size > 0
        k, rolled_back = check_state(path, len(result.branches))
        recovered += rolled_back
        assert k in (counter + len(reported), counter + len(reported) + 1), (
            attempt, k, counter, reported)
        commits += k - counter
        counter = k
    seconds = time.perf_counter() - started
    with capsys.disabled():
        print(f"\nkill -9 test: {TRIES} kills, {commits} commits, {hot_journals} kills left a hot "
              f"journal (an interrupted save), {recovered} rolled back on open; the file opened "
              f"every time ({seconds:.1f} s)")
    assert hot_journals >= 5, "the kills should often land inside a save"
    assert recovered == hot_journals
