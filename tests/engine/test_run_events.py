"""The progress stream carries what a GUI needs to draw per-branch progress without guessing:
each TaskDone counts its own branch's tasks, and RunStarted names the branches of each plan
entry (the same groups the policy decided)."""
from __future__ import annotations

from engine.events import RunStarted, TaskDone
from engine.io import load_dataset
from engine.run import run

SPEC = [{"branch": [["SNV", {"class": "PLSRegression", "params": {"n_components": 3}}],
                    ["MSC", {"class": "Ridge", "params": {"alpha": 1.0}}]]},
        {"branch": [["Detrend", {"class": "PLSRegression", "params": {"n_components": 2}}]],
         "parallel": False}]


def test_task_events_count_per_branch_and_start_names_the_groups(tecator_dir):
    events = []
    ds = load_dataset(tecator_dir)
    result = run(SPEC, ds, verbose=0, on_event=events.append)
    started = [e for e in events if isinstance(e, RunStarted)]
    assert len(started) == 1
    assert started[0].group_branch_ids == [[1, 2], [3]]
    assert len(started[0].plan) == 2
    tasks = [e for e in events if isinstance(e, TaskDone)]
    seen: dict[int, int] = {}
    for e in tasks:
        assert 0 < e.branch_done <= e.branch_total
        assert e.branch_done > seen.get(e.branch_id, 0)   # counts only go up
        seen[e.branch_id] = e.branch_done
    # without throttling losses the per-branch counts add up to the run's count
    assert tasks[-1].done == tasks[-1].total
    folds = 5 + 1                                       # default KFold(5) + the refit
    for b in result.branches:
        assert b.status == "ok"
        assert seen.get(b.id, 0) <= folds   # throttling may drop all of a fast branch


def test_gui_path_runs_a_sequential_search_in_a_worker_same_numbers_and_cancellable(tablet_dir):
    """With in_process_sequential=False (the window) an Optuna search with one trial at a time
    runs as one task on the pool: the same trials and metrics as in-process (the CLI), and a
    Cancel during a slow trial returns within 2 s (in the run's own thread it could not be
    interrupted until the trial ended)."""
    import threading
    import time

    from engine.executor import TaskPool
    from engine.registry import allow_module_prefix

    allow_module_prefix("tests")
    ds = load_dataset(tablet_dir)
    spec = [{"branch": [["SNV", {"model": {"class": "Ridge"}, "finetune_params": {
        "n_trials": 6, "n_jobs": 1, "model_params": {"alpha": ["float_log", 1e-4, 1e2]}}}]],
        "parallel": False}]
    pool = TaskPool()
    try:
        here = run(spec, ds, verbose=0)
        gui = run(spec, ds, verbose=0, in_process_sequential=False, pool=pool)
        assert gui.branches[0].best_params == here.branches[0].best_params
        assert [t["value"] for t in gui.branches[0].trials] == \
            [t["value"] for t in here.branches[0].trials]
        assert gui.branches[0].metrics == here.branches[0].metrics

        slow = [{"branch": [[{"model": {"class": "tests.faulty.SlowRegressor"},
                              "finetune_params": {"n_trials": 3, "n_jobs": 1, "model_params": {
                                  "seconds": ["float", 20.0, 30.0]}}}]], "parallel": False}]
        cancel = threading.Event()
        holder = {}
        thread = threading.Thread(target=lambda: holder.update(r=run(
            slow, ds, verbose=0, in_process_sequential=False, pool=pool, cancel=cancel)))
        thread.start()
        time.sleep(2.0)            # inside the first 20-30 s trial
        t0 = time.monotonic()
        cancel.set()
        thread.join(10)
        assert not thread.is_alive() and time.monotonic() - t0 < 2.0
        assert holder["r"].cancelled and holder["r"].branches[0].status == "cancelled"
    finally:
        pool.shutdown()
