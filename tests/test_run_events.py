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
