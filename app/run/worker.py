"""The run worker: a QObject living on the run QThread that calls engine.run.run().

Why a separate object: the engine calls its event callback and its log in the thread that
runs it. Here that is the run thread, so every event becomes a Qt signal (queued to the GUI
thread by Qt) and no widget is ever touched off the GUI thread. The worker owns no GUI
state; it receives one immutable ``RunJob`` per run and answers with signals only.

It also adds to the plan what the panel needs to group rows and size progress bars
(branch ids per plan entry, expected tasks per branch): the engine's plan JSON keeps the
results-file shape (step, mode, workers, reasons), which has neither.
"""
from __future__ import annotations

import copy
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from engine.errors import NirdeskInputError
from engine.events import (BranchDone, BranchFailed, RunCancelled, RunFinished, RunStarted,
                           TaskDone)


@dataclass
class RunJob:
    """Everything one run needs, handed from the GUI thread to the worker once.

    ``dataset`` is the controller's shallow copy (the GUI may switch the target of its own
    object while the run goes on); ``cancel`` is set by the GUI thread.
    """

    dataset: Any
    pipeline: Any
    pool: Any
    cancel: threading.Event
    workers: int = -1
    seed: int = 0
    target: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # more run() keyword arguments
    ended: threading.Event = field(default_factory=threading.Event)  # set by the run thread


def owner_group(expanded: Any, branch: Any) -> int | None:
    """Index of the top-level branch step whose plan runs ``branch`` (None: the trunk).

    Mirrors engine.policy's ownership rule: a branch belongs to the first branch step it
    went through, walked up to the top-level step that contains it.
    """
    index = branch.group
    while index is not None and expanded.groups[index].parent is not None:
        index = expanded.groups[index].parent
    return index


def n_folds(branch: Any) -> int | None:
    """Folds the branch's splitter makes, when it can say without the data."""
    splitter = getattr(branch.splitter, "estimator", None)
    value = getattr(splitter, "n_splits", None)
    if not isinstance(value, int) or isinstance(value, bool):
        try:
            value = splitter.get_n_splits()
        except Exception:  # noqa: BLE001 - splitters that need X or groups
            return None
    return value if isinstance(value, int) and value >= 1 else None


def annotate_plan(plan: list[dict[str, Any]], expanded: Any, names: dict[int, str],
                  group_ids: list[list[int]] | None = None) -> list[dict[str, Any]]:
    """A copy of the plan JSON where every entry also has

    branch_ids  the branches it runs (only those that run: disabled ones are left out)
    tasks       {branch id: expected tasks, or None when unknown (tuned branches)}
    tuned       {branch id: True when the branch searches its parameters}

    ``group_ids`` (the engine's RunStarted.group_branch_ids) names each entry's branches; an
    older engine without it: the entries are in the policy's order, by their smallest branch
    id (of all branches, disabled ones included), which is how the groups are rebuilt here.
    """
    if group_ids is not None and len(group_ids) == len(plan):
        by_id = {b.id: b for b in expanded.branches}
        groups = [[by_id[i] for i in ids if i in by_id] for ids in group_ids]
    else:
        owned: dict[int | None, list[Any]] = {}
        for branch in expanded.branches:
            owned.setdefault(owner_group(expanded, branch), []).append(branch)
        groups = sorted(owned.values(), key=lambda bs: min(b.id for b in bs))
    out = copy.deepcopy(plan)
    if len(groups) != len(out):  # should not happen; fall back to one group of everything
        groups = [list(expanded.branches)] + [[] for _ in out[1:]]
    for entry, branches in zip(out, groups):
        running = [b for b in branches if b.id in names]
        entry["branch_ids"] = [b.id for b in running]
        entry["tuned"] = {b.id: b.model.finetune is not None for b in running}
        entry["tasks"] = {}
        for b in running:
            k = n_folds(b)
            entry["tasks"][b.id] = None if (k is None or entry["tuned"][b.id]) else k + 1
    return out


def one_line(exc: BaseException) -> str:
    """The message a user sees for an input error: the engine's text names file/row/column."""
    if isinstance(exc, NirdeskInputError):
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class RunWorker(QObject):
    """Runs one job at a time on the thread it was moved to; reports through signals only.

    done(result) or failed(message) is always the last signal of a job, exactly once.
    """

    started = Signal(object, object)    # annotated plan (list of dicts), {branch id: name}
    task_done = Signal(object)          # engine.events.TaskDone
    branch_finished = Signal(object)    # engine.results.BranchResult (ok or failed)
    log_line = Signal(str)
    done = Signal(object)               # engine.results.RunResult (cancelled or not)
    failed = Signal(str)                # one line: bad input, or an unexpected error

    @Slot(object)
    def run(self, job: RunJob) -> None:
        from engine.pipeline import ExpandedPipeline, parse_pipeline
        from engine.run import run

        try:
            pipeline = job.pipeline
            expanded = pipeline if isinstance(pipeline, ExpandedPipeline) else parse_pipeline(pipeline)
            state = {"expanded": expanded}
            extra = dict(job.extra)
            if "machine" not in extra:   # a cluster pool: the policy judges the cluster's cores
                from engine.backends import machine_facts

                facts = machine_facts(job.pool)   # loky: None; Dask: connects (<= 5 s) here
                if facts is not None:
                    extra["machine"] = facts
            result = run(expanded, job.dataset, verbose=2, seed=job.seed, target=job.target,
                         log=self.log_line.emit, on_event=lambda e: self._on_event(e, state),
                         cancel=job.cancel, pool=job.pool, in_process_sequential=False,
                         max_workers=job.workers, **extra)
        except NirdeskInputError as exc:
            self.failed.emit(one_line(exc))
        except Exception as exc:  # noqa: BLE001 - never lost: the GUI shows one line
            self.log_line.emit(traceback.format_exc().rstrip())
            self.failed.emit(one_line(exc))
        else:
            self.done.emit(result)
        finally:
            job.ended.set()

    def _on_event(self, event: Any, state: dict[str, Any]) -> None:
        """Called by the engine on this thread: translate, never touch a widget."""
        if isinstance(event, RunStarted):
            names = dict(event.branch_names)
            self.started.emit(annotate_plan(event.plan, state["expanded"], names,
                                            getattr(event, "group_branch_ids", None) or None), names)
        elif isinstance(event, TaskDone):
            self.task_done.emit(event)
        elif isinstance(event, (BranchDone, BranchFailed)):
            if event.result is not None:
                self.branch_finished.emit(event.result)
        elif isinstance(event, (RunFinished, RunCancelled)):
            pass  # run() returns the same result: done() carries it
