"""Interval PLS (iPLS): choose wavelength intervals by cross-validated PLS, forward or backward.

Nørgaard L., Saudland A., Wagner J., Nielsen J.P., Munck L., Engelsen S.B., "Interval partial
least-squares regression (iPLS): a comparative chemometric study with an example from
near-infrared spectroscopy", Applied Spectroscopy 54 (2000) 413-419: the axis is cut into
intervals and a PLS model is judged on each. The forward (and backward) variants add (remove)
one interval at a time, keeping the change that lowers RMSECV most, as Solo's iPLS does and as
Leardi & Nørgaard (J. Chemometrics 18, 2004, 486-497) describe.

How nirdesk scores a candidate (a set of intervals): the branch's preprocessing steps, a
SelectRanges step keeping the candidate's intervals (of the axis the model sees), and
PLSRegression, cross-validated on the folds a run makes (``engine.run.make_folds``: the
branch's splitter, or KFold(5, shuffle) with the seed) by the exact component sweep
(engine.tuning.pls_sweep: every k = 1..k_max from one fit per fold); its RMSECV is the lowest
over k, and that k is reported with it. Ties go to the fewer components, then to the
candidate listed first (intervals in axis order), so a search is deterministic.

Why tasks: the candidates of one round are independent PLS sweeps, the ideal parallel case.
They run as tasks of kind "ipls" (engine.selection.scoring, one task per candidate over all its
folds) on nirdesk's one pool (engine.executor.TaskPool, or a Dask pool: the same interface),
one BLAS thread per worker, the dataset memory-mapped; ``workers=1`` runs the same task
function in this process, with one BLAS thread too, so both give identical numbers.

The result is an ordinary SelectRanges step (``IplsResult.selection_step``) that a pipeline
keeps before its model.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.dataset import SpectralDataset
from engine.errors import Cancelled, InputError, SpecError
from engine.executor import Task, default_pool, error_text
from engine.fold import FoldResult
from engine.selection.intervals import interval_bounds, ranges_of, split_axis
from engine.selection.scoring import rmse_per_component
from engine.tasks import execute_task

__all__ = ["MODES", "Candidate", "IplsResult", "IplsStep", "interval_pls"]

MODES = ("forward", "backward")
Progress = Callable[[str, int, int], None]  # (what, done, total) per round


@dataclass(frozen=True)
class Candidate:
    """One scored wavelength set: its interval indices, best RMSECV, the k that gave it and
    the RMSECV for every k (index j = k - 1)."""

    intervals: tuple[int, ...]
    rmsecv: float
    n_components: int
    curve: tuple[float, ...]


@dataclass(frozen=True)
class IplsStep:
    """One accepted move of the search: the interval added (forward) or removed (backward),
    the intervals kept after it, their RMSECV and components, and how many candidates the
    round scored."""

    round: int
    action: str
    interval: int
    selected: tuple[int, ...]
    rmsecv: float
    n_components: int
    evaluated: int


@dataclass
class IplsResult:
    """What an interval search found (JSON-able through ``to_json``).

    wavelengths      the axis the model sees (after the preprocessing steps)
    intervals        (first, last) column of every interval, in axis order
    bounds           (first, last) wavelength of every interval
    interval_rmsecv  RMSECV of a PLS on each interval alone (the bars of the plot)
    interval_k       the components that gave it
    full             the full range (all intervals) scored the same way
    steps            the accepted moves, in order
    selected         the chosen intervals (axis order); rmsecv / n_components theirs
    ranges           the chosen intervals as SelectRanges windows (neighbours merged)
    """

    mode: str
    wavelengths: np.ndarray
    intervals: list[tuple[int, int]]
    bounds: list[tuple[float, float]]
    interval_rmsecv: np.ndarray
    interval_k: np.ndarray
    full: Candidate
    steps: list[IplsStep]
    selected: tuple[int, ...]
    rmsecv: float
    n_components: int
    ranges: list[list[float]]
    k_max: int
    evaluated: int
    workers: int
    seconds: float
    folds: int
    extra: dict[str, Any] = field(default_factory=dict)

    def selection_step(self) -> dict[str, Any]:
        """The pipeline step that keeps the chosen intervals (JSON step form)."""
        return {"class": "SelectRanges", "params": {"ranges": [list(r) for r in self.ranges]}}

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "k_max": self.k_max, "folds": self.folds,
                "intervals": [list(b) for b in self.bounds],
                "interval_rmsecv": [float(v) for v in self.interval_rmsecv],
                "interval_k": [int(v) for v in self.interval_k],
                "full": {"rmsecv": self.full.rmsecv, "n_components": self.full.n_components},
                "steps": [{"round": s.round, "action": s.action, "interval": s.interval,
                           "selected": list(s.selected), "rmsecv": s.rmsecv,
                           "n_components": s.n_components, "evaluated": s.evaluated}
                          for s in self.steps],
                "selected": list(self.selected), "rmsecv": self.rmsecv,
                "n_components": self.n_components, "ranges": self.ranges,
                "step": self.selection_step(), "evaluated": self.evaluated,
                "workers": self.workers, "seconds": self.seconds}


def interval_pls(dataset: SpectralDataset, *, steps: Sequence[Any] = (),
                 n_intervals: int | None = 20, width: float | None = None,
                 mode: str = "forward", k_max: int = 15, max_intervals: int | None = None,
                 scale: bool = False, workers: int = 1, pool: Any = None, seed: int = 0,
                 cancel: threading.Event | None = None,
                 progress: Progress | None = None) -> IplsResult:
    """Search the intervals of the axis the model sees that give the lowest RMSECV.

    ``steps``       the branch's steps before its model, as JSON steps (preprocessing, and
                    optionally a splitter that sets the CV); fitted inside every fold
    ``n_intervals`` / ``width``   how to cut the axis (split_axis); width wins when given
    ``mode``        "forward": start from nothing, add the interval that lowers RMSECV most
                    while one does; "backward": start from the full range, remove the
                    interval whose removal lowers RMSECV most while one does
    ``k_max``       most PLS components tried (fewer where a candidate has fewer columns)
    ``max_intervals``  forward: stop with this many intervals (None: when RMSECV stops falling)
    ``workers``     1: in this process; N > 1: the candidates of a round as N parallel tasks
                    on ``pool`` (default: the process-wide loky pool)
    ``cancel``      set it to stop (between candidates, or by killing the pool's workers):
                    raises engine.errors.Cancelled
    ``progress``    called with (what, done, total) as the candidates of a round finish

    Bad input (a class target, a spec that is not one branch, bad interval settings) raises
    SpecError or InputError, one line each.
    """
    if mode not in MODES:
        raise SpecError(f"iPLS: mode must be one of {', '.join(MODES)}, got {mode!r}")
    if not isinstance(k_max, int) or isinstance(k_max, bool) or k_max < 1:
        raise SpecError(f"iPLS: k_max must be a whole number >= 1, got {k_max!r}")
    if max_intervals is not None and (not isinstance(max_intervals, int) or max_intervals < 1):
        raise SpecError(f"iPLS: max_intervals must be None or a whole number >= 1, got "
                        f"{max_intervals!r}")
    if dataset.is_classification:
        raise InputError(f"iPLS needs a numeric target; {dataset.target!r} holds classes",
                         file=dataset.metadata.get("path", dataset.name))
    started = time.perf_counter()
    search = _Search(dataset, list(steps), k_max, scale, workers, pool, seed, cancel, progress)
    try:
        intervals = split_axis(search.axis, None if width is not None else n_intervals, width)
    except ValueError as exc:
        raise SpecError(str(exc)) from None
    search.intervals = intervals
    everything = tuple(range(len(intervals)))
    singles = [(i,) for i in everything]
    first = search.evaluate(singles + ([everything] if len(intervals) > 1 else []),
                            "intervals one by one")
    single_scores, full = first[:len(singles)], first[-1]
    moves: list[IplsStep] = []
    if mode == "forward":
        best = _best(single_scores)
        moves.append(IplsStep(1, "add", best.intervals[0], best.intervals, best.rmsecv,
                              best.n_components, len(single_scores)))
        limit = len(intervals) if max_intervals is None else min(max_intervals, len(intervals))
        while len(best.intervals) < limit:
            rest = [i for i in everything if i not in best.intervals]
            scored = search.evaluate([tuple(sorted(best.intervals + (i,))) for i in rest],
                                     f"round {len(moves) + 1}: add one of {len(rest)}")
            nxt = _best(scored)
            if not nxt.rmsecv < best.rmsecv:
                break
            added = next(i for i in nxt.intervals if i not in best.intervals)
            moves.append(IplsStep(len(moves) + 1, "add", added, nxt.intervals, nxt.rmsecv,
                                  nxt.n_components, len(scored)))
            best = nxt
    else:
        best = full
        while len(best.intervals) > 1:
            scored = search.evaluate([tuple(i for i in best.intervals if i != j)
                                      for j in best.intervals],
                                     f"round {len(moves) + 1}: remove one of "
                                     f"{len(best.intervals)}")
            nxt = _best(scored)
            if not nxt.rmsecv < best.rmsecv:
                break
            removed = next(i for i in best.intervals if i not in nxt.intervals)
            moves.append(IplsStep(len(moves) + 1, "remove", removed, nxt.intervals,
                                  nxt.rmsecv, nxt.n_components, len(scored)))
            best = nxt
    return IplsResult(
        mode=mode, wavelengths=search.axis, intervals=intervals,
        bounds=interval_bounds(search.axis, intervals),
        interval_rmsecv=np.array([c.rmsecv for c in single_scores]),
        interval_k=np.array([c.n_components for c in single_scores]), full=full,
        steps=moves, selected=best.intervals, rmsecv=best.rmsecv,
        n_components=best.n_components,
        ranges=ranges_of(search.axis, intervals, best.intervals), k_max=k_max,
        evaluated=search.evaluated, workers=search.workers,
        seconds=time.perf_counter() - started, folds=len(search.folds))


def _best(candidates: Sequence[Candidate]) -> Candidate:
    """Lowest RMSECV; ties to the candidate listed first (deterministic)."""
    return min(enumerate(candidates), key=lambda item: (item[1].rmsecv, item[0]))[1]


class _Search:
    """The fixed parts of one search (folds, pipeline template, axis) and the evaluation of
    a batch of candidates on the pool or in this process."""

    def __init__(self, dataset: SpectralDataset, steps: list[Any], k_max: int, scale: bool,
                 workers: int, pool: Any, seed: int, cancel: threading.Event | None,
                 progress: Progress | None) -> None:
        from sklearn.pipeline import Pipeline

        from engine.pipeline import build_pipeline, parse_pipeline
        from engine.run import make_folds

        spec = [*steps, {"class": "PLSRegression",
                         "params": {"n_components": k_max, "scale": bool(scale)}}]
        expanded = parse_pipeline(spec, name="iPLS")
        if len(expanded.branches) != 1:
            raise SpecError(f"iPLS: the steps before the model must make one branch, they make "
                            f"{len(expanded.branches)}")
        branch = expanded.branches[0]
        self.dataset, self.k_max, self.cancel, self.progress = dataset, k_max, cancel, progress
        self.folds = make_folds(branch, dataset, seed)
        template = build_pipeline(branch, dataset.wavelengths, seed)
        axis = np.asarray(dataset.wavelengths, dtype=np.float64)
        for _, step in template.steps[:-1]:
            if hasattr(step, "transform_wavelengths"):
                axis = np.asarray(step.transform_wavelengths(axis), dtype=np.float64)
        self.axis = axis
        self.pre = template.steps[:-1]
        self.model = template.steps[-1]
        self._pipeline_class = Pipeline
        self.workers = max(1, int(workers))
        self.pool = pool if pool is not None or self.workers == 1 else default_pool()
        self.intervals: list[tuple[int, int]] = []
        self.evaluated = 0

    def pipeline_for(self, chosen: tuple[int, ...]) -> Any:
        from sklearn.base import clone

        from engine.operators import SelectRanges

        select = SelectRanges(ranges=ranges_of(self.axis, self.intervals, chosen),
                              wavelengths=self.axis)
        steps = [(name, clone(step)) for name, step in self.pre]
        return self._pipeline_class([*steps, ("ipls_select", select),
                                     (self.model[0], clone(self.model[1]))])

    def evaluate(self, candidates: list[tuple[int, ...]], what: str) -> list[Candidate]:
        """Score every candidate (same order back)."""
        extra = {"folds": self.folds, "k_max": self.k_max}
        train = self.dataset.train_indices
        tasks = [Task(c, 0, self.pipeline_for(chosen), train, train[:0],
                      float(sum(self.intervals[i][1] - self.intervals[i][0] + 1 for i in chosen)),
                      "ipls", extra)
                 for c, chosen in enumerate(candidates)]
        got: dict[int, FoldResult] = {}
        failures: list[tuple[int, str]] = []
        self._report(what, 0, len(tasks))

        def on_result(part: FoldResult) -> None:
            got[part.branch_id] = part
            self._report(what, len(got), len(tasks))

        if self.workers == 1:
            self._run_here(tasks, on_result, failures)
        else:
            self.pool.run_tasks(tasks, self.pool.share(self.dataset.X, self.dataset.y),
                                workers=self.workers, threads=1, on_result=on_result,
                                on_failure=lambda c, message: failures.append((c, message)),
                                cancel=self.cancel)
        if failures:
            c, message = min(failures)
            raise RuntimeError(f"iPLS: scoring intervals {list(candidates[c])} failed: {message}")
        self.evaluated += len(tasks)
        y = np.asarray(self.dataset.y, dtype=np.float64)
        return [self._candidate(chosen, got[c], y) for c, chosen in enumerate(candidates)]

    def _run_here(self, tasks: list[Task], on_result: Callable[[FoldResult], None],
                  failures: list[tuple[int, str]]) -> None:
        from threadpoolctl import threadpool_limits

        X, y = self.dataset.X, self.dataset.y
        with threadpool_limits(limits=1):
            for task in tasks:
                if self.cancel is not None and self.cancel.is_set():
                    raise Cancelled()
                try:
                    on_result(execute_task(task.kind, task.branch_id, task.fold, task.pipeline,
                                           X, y, task.train_idx, task.predict_idx, task.extra))
                except Exception as exc:  # noqa: BLE001 - reported with the candidate
                    failures.append((task.branch_id, error_text(exc)))
                    return

    def _report(self, what: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(what, done, total)

    @staticmethod
    def _candidate(chosen: tuple[int, ...], part: FoldResult, y: np.ndarray) -> Candidate:
        curve = rmse_per_component(y[part.predict_idx], part.predictions)
        finite = np.where(np.isfinite(curve), curve, math.inf)
        k = int(np.argmin(finite))
        return Candidate(tuple(chosen), float(curve[k]), k + 1,
                         tuple(float(v) for v in curve))
