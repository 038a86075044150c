"""Run one task of any kind (fit, sweep, tune), in a worker or in-process.

Why a dispatcher of its own: the pools (engine.executor, engine.backends.dask_pool), the
sequential path of engine.run and the self-test all run "a task" without caring what kind it
is, while the kinds live at different levels: a plain fit is engine.fold, a sweep or a whole
search is engine.tuning.runner, which itself fits folds. Dispatching here, above both, keeps
every import pointing one way (tasks -> tuning.runner -> fold).

REFIT and FoldResult (engine.fold) are re-exported for the callers that import them from here.
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from engine.fold import REFIT, FoldResult, fit_predict

__all__ = ["REFIT", "FoldResult", "execute_task"]


def execute_task(kind: str, branch_id: int, fold: int, pipeline: Any, X: np.ndarray,
                 y: np.ndarray, train_idx: np.ndarray, predict_idx: np.ndarray,
                 extra: dict[str, Any] | None = None) -> FoldResult:
    """Run one task of any kind, in a worker or in-process (same code, same numbers).

    fit    fit_predict (a CV fold, or the refit on all training rows when fold == REFIT)
    sweep  one fold of the exact PLS component sweep (predictions for every k)
    tune   a whole Optuna search of one branch, trials one after the other (used when
           branches, not trials, run in parallel)
    ipls   one candidate wavelength set of an interval search, swept over all its folds
           (engine.selection.scoring; branch_id is the candidate's number)
    """
    pipeline, asked = _capped_n_jobs(pipeline)
    result = _dispatch(kind, branch_id, fold, pipeline, X, y, train_idx, predict_idx, extra)
    if asked and result.model is not None:  # the saved model keeps the n_jobs the user set
        result.model.set_params(**asked)
    return result


def usable_cpus() -> int:
    """The CPUs this process may run on (affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _capped_n_jobs(pipeline: Any) -> tuple[Any, dict[str, Any]]:
    """(pipeline to fit, the n_jobs values it had) with every step's n_jobs above the usable
    CPUs lowered to them.

    Why: RandomForest(n_jobs=1000) asks joblib for a pool of 1000 threads. Where a process
    may not start that many (a container's pids limit, a user's process limit, the memory
    for 1000 stacks) the start of a thread fails, and CPython's ThreadPool, cleaning up,
    calls ``terminate()`` on its DummyProcess workers, which have none: the user saw
    "'DummyProcess' object has no attribute 'terminate'" instead of a fit. More threads
    than CPUs never made a fit faster, so the cap costs nothing; the model is fitted with
    the cap and handed back with the value the user asked for."""
    get_params = getattr(pipeline, "get_params", None)
    if get_params is None:
        return pipeline, {}
    limit = usable_cpus()
    try:
        params = get_params(deep=True)
    except Exception:  # noqa: BLE001 - an estimator that cannot list its params: leave it
        return pipeline, {}
    asked = {key: value for key, value in params.items()
             if (key == "n_jobs" or key.endswith("__n_jobs")) and isinstance(value, int)
             and not isinstance(value, bool) and value > limit}
    if not asked:
        return pipeline, {}
    from sklearn.base import clone

    capped = clone(pipeline)
    capped.set_params(**{key: limit for key in asked})
    return capped, asked


def _dispatch(kind: str, branch_id: int, fold: int, pipeline: Any, X: np.ndarray,
              y: np.ndarray, train_idx: np.ndarray, predict_idx: np.ndarray,
              extra: dict[str, Any] | None) -> FoldResult:
    if kind == "fit":
        return fit_predict(branch_id, fold, pipeline, X, y, train_idx, predict_idx)
    from engine.tuning import runner  # scikit-learn and Optuna: only for the kinds that need them

    if kind == "sweep":
        return runner.sweep_task(branch_id, fold, pipeline, X, y, train_idx, predict_idx,
                                 extra or {})
    if kind == "tune":
        return runner.tune_task(branch_id, pipeline, X, y, extra or {})
    if kind == "ipls":
        from engine.selection.scoring import candidate_task

        return candidate_task(branch_id, pipeline, X, y, extra or {})
    raise ValueError(f"unknown task kind {kind!r}")
