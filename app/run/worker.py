"""The run worker: a QObject living on the run QThread that calls engine.run.run().

Why a separate object: the engine calls its event callback and its log in the thread that
runs it. Here that is the run thread, so every event becomes a Qt signal (queued to the GUI
thread by Qt) and no widget is ever touched off the GUI thread. The worker owns no GUI
state; it receives one immutable ``RunJob`` per run and answers with signals only.

The ``started`` signal carries the plan JSON with, per entry, the facts the panel needs to
group rows and size progress bars (branch ids, tasks per branch, tuned or not), copied from
the engine's RunStarted event: the plan JSON itself keeps the results-file shape.
"""
from __future__ import annotations

import copy
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from engine.errors import NirdeskInputError
from engine.events import BranchDone, BranchFailed, RunCancelled, RunFinished, RunStarted, TaskDone


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


def annotate_plan(event: RunStarted) -> list[dict[str, Any]]:
    """A copy of the event's plan JSON where every entry also has what the panel draws:

    branch_ids  the branches it runs (only those that run: disabled ones are left out)
    tasks       {branch id: tasks it will report, or None when only the run can tell}
    tuned       {branch id: True when the branch searches its parameters}
    steps       {branch id: its steps as JSON} (for the results table's short names)

    All of it is read from the event (the engine's own groups and counts); nothing here
    re-derives what the engine decided.
    """
    out = copy.deepcopy(event.plan)
    for entry, ids in zip(out, event.group_branch_ids, strict=True):
        running = [i for i in ids if i in event.branch_names]
        entry["branch_ids"] = running
        entry["tasks"] = {i: event.branch_tasks.get(i) for i in running}
        entry["tuned"] = {i: bool(event.branch_tuned.get(i, False)) for i in running}
        entry["steps"] = {i: event.branch_steps.get(i, []) for i in running}
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
            expanded = (pipeline if isinstance(pipeline, ExpandedPipeline)
                        else parse_pipeline(pipeline))
            extra = dict(job.extra)
            if "machine" not in extra:   # a cluster pool: the policy judges the cluster's cores
                from engine.backends import machine_facts

                facts = machine_facts(job.pool)   # loky: None; Dask: connects (<= 5 s) here
                if facts is not None:
                    extra["machine"] = facts
            result = run(expanded, job.dataset, verbose=2, seed=job.seed, target=job.target,
                         log=self.log_line.emit, on_event=self._on_event,
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

    def _on_event(self, event: Any) -> None:
        """Called by the engine on this thread: translate, never touch a widget."""
        if isinstance(event, RunStarted):
            self.started.emit(annotate_plan(event), dict(event.branch_names))
        elif isinstance(event, TaskDone):
            self.task_done.emit(event)
        elif isinstance(event, (BranchDone, BranchFailed)):
            if event.result is not None:
                self.branch_finished.emit(event.result)
        elif isinstance(event, (RunFinished, RunCancelled)):
            pass  # run() returns the same result: done() carries it
