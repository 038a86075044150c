"""The engine's progress stream (docs/design.md decision 4).

A run reports what happens as small immutable events given to one callback, in the thread
that called run(). The CLI prints them; the GUI's QThread turns them into Qt signals. Task
events are throttled (a GUI cannot show more than ~20 updates a second); branch and run
events are never dropped.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RunStarted:
    """What the run is about to do, before its first task: enough for a window to lay out
    its progress rows without re-deriving anything the engine decided.

    n_tasks           tasks in the whole run, the sum of the branches' counts (the first
                      TaskDone.total; a timed search can end with fewer)
    plan              the results JSON "parallel" section: decisions + reasons
    branch_names      {branch id: name} of the branches that run (disabled ones are absent)
    group_branch_ids  the branch ids of each plan entry, in plan order (disabled ones
                      included: filter with branch_names)
    branch_tasks      {branch id: tasks it will report}: CV folds + the refit, or trials x
                      folds + the refit for a tuned branch, from the folds this run made;
                      None where only the run can tell (an Optuna search with a timeout)
    branch_tuned      {branch id: True when the branch searches its parameters}
    branch_steps      {branch id: its steps as JSON}, the same as BranchResult.steps, so a
                      window names waiting branches as it will name finished ones
    """

    n_branches: int
    n_tasks: int
    plan: list[dict[str, Any]]
    branch_names: dict[int, str] = field(default_factory=dict)
    group_branch_ids: list[list[int]] = field(default_factory=list)
    branch_tasks: dict[int, int | None] = field(default_factory=dict)
    branch_tuned: dict[int, bool] = field(default_factory=dict)
    branch_steps: dict[int, list[Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskDone:
    branch_id: int
    fold: int                           # -1 = the refit on all training rows
    done: int                           # tasks finished so far in the run
    total: int
    elapsed: float                      # seconds since the run started
    branch_done: int = 0                # tasks of this branch finished so far
    branch_total: int = 0               # tasks this branch needs (grows when a search adds trials)


@dataclass(frozen=True)
class BranchDone:
    branch_id: int
    result: Any                         # engine.results.BranchResult (status "ok")


@dataclass(frozen=True)
class BranchFailed:
    branch_id: int
    error: str
    result: Any = None


@dataclass(frozen=True)
class RunFinished:
    result: Any                         # engine.results.RunResult


@dataclass(frozen=True)
class RunCancelled:
    result: Any                         # RunResult with finished branches kept, others "cancelled"


Event = RunStarted | TaskDone | BranchDone | BranchFailed | RunFinished | RunCancelled
EventCallback = Callable[[Event], None]


class Throttled:
    """Wraps a callback: TaskDone at most every ``interval`` seconds (the last one of a run is
    always delivered through the branch/run events that follow); everything else immediately."""

    def __init__(self, callback: EventCallback | None, interval: float = 0.05) -> None:
        self._callback = callback
        self._interval = interval
        self._last = 0.0

    def __call__(self, event: Event) -> None:
        if self._callback is None:
            return
        if isinstance(event, TaskDone):
            now = time.monotonic()
            if now - self._last < self._interval and event.done < event.total:
                return
            self._last = now
        self._callback(event)
