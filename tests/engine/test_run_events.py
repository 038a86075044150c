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


FACTS_SPEC = [{"branch": [
    [{"class": "KFold", "params": {"n_splits": 3, "shuffle": True, "random_state": 0}},
     "SNV", {"class": "PLSRegression", "params": {"n_components": 3}}],
    [{"class": "ShuffleSplit", "params": {"n_splits": 4, "test_size": 0.25, "random_state": 1}},
     "MSC", "Ridge"],
    [{"model": {"class": "Ridge"}, "finetune_params": {
        "n_trials": 3, "model_params": {"alpha": ["float_log", 1e-3, 1e2]}}}],
    [{"model": {"class": "PLSRegression"}, "finetune_params": {
        "model_params": {"n_components": ["int", 1, 6]}}}],
    [{"model": {"class": "Ridge"}, "finetune_params": {
        "n_trials": 2, "timeout": 600, "model_params": {"alpha": ["float", 0.1, 10.0]}}}],
    ["Detrend", {"class": "Lasso", "enabled": False}],
]}]


def _unthrottled(monkeypatch):
    """Every TaskDone delivered, so the per-branch counts can be compared exactly."""
    import engine.run as run_module
    from engine.events import Throttled

    monkeypatch.setattr(run_module, "Throttled", lambda callback: Throttled(callback, 0.0))


def test_run_started_announces_the_tasks_each_branch_reports(tecator_dir, monkeypatch):
    """RunStarted.branch_tasks is what the branches' TaskDone counts actually reach: folds of
    the branch's own splitter + the refit, trials x folds + the refit when tuned; None only
    for a search a timeout may stop. A disabled branch is not announced."""
    _unthrottled(monkeypatch)
    events = []
    result = run(FACTS_SPEC, load_dataset(tecator_dir), verbose=0, on_event=events.append)
    [started] = [e for e in events if isinstance(e, RunStarted)]
    # expected from the splitters as written (KFold(3), ShuffleSplit(4), default KFold(5))
    assert started.branch_tasks == {1: 3 + 1, 2: 4 + 1, 3: 3 * 5 + 1, 4: 1 * 5 + 1, 5: None}
    assert started.branch_tuned == {1: False, 2: False, 3: True, 4: True, 5: True}
    # the steps a window names waiting rows with are the finished branches' own steps
    assert started.branch_steps == {b.id: b.steps for b in result.branches}
    assert started.group_branch_ids == [[1, 2, 3, 4, 5, 6]] and 6 not in started.branch_names
    reached: dict[int, list[TaskDone]] = {}
    for e in events:
        if isinstance(e, TaskDone):
            reached.setdefault(e.branch_id, []).append(e)
    assert [(b.id, b.status) for b in result.branches] == [(i, "ok") for i in range(1, 6)]
    for bid, expected in started.branch_tasks.items():
        done = reached[bid]
        assert [e.branch_done for e in done] == list(range(1, len(done) + 1))
        if expected is not None:
            assert len(done) == expected == done[-1].branch_total
    timed = result.branches[4]
    assert len(reached[5]) == len(timed.trials) * 5 + 1     # it finished its 2 trials
    assert started.n_tasks == sum(len(v) for v in reached.values()) == \
        [e for e in events if isinstance(e, TaskDone)][-1].total


def test_a_search_run_in_a_worker_is_announced_as_one_task_plus_the_refit(tecator_dir,
                                                                           monkeypatch):
    """The window's path (in_process_sequential=False) sends a sequential Optuna search to a
    worker as one task: RunStarted says so, and the timeout no longer makes it unknown."""
    from engine.executor import TaskPool

    _unthrottled(monkeypatch)
    spec = [{"branch": [[FACTS_SPEC[0]["branch"][2][0]], [FACTS_SPEC[0]["branch"][4][0]]]}]
    events = []
    pool = TaskPool()
    try:
        run(spec, load_dataset(tecator_dir), verbose=0, on_event=events.append, pool=pool,
            in_process_sequential=False)
    finally:
        pool.shutdown()
    [started] = [e for e in events if isinstance(e, RunStarted)]
    assert started.branch_tasks == {1: 2, 2: 2}
    for bid in (1, 2):
        assert [e.branch_done for e in events
                if isinstance(e, TaskDone) and e.branch_id == bid] == [1, 2]
