"""Run one task of any kind (fit, sweep, tune), in a worker or in-process.

Why a dispatcher of its own: the pools (engine.executor, engine.backends.dask_pool), the
sequential path of engine.run and the self-test all run "a task" without caring what kind it
is, while the kinds live at different levels: a plain fit is engine.fold, a sweep or a whole
search is engine.tuning.runner, which itself fits folds. Dispatching here, above both, keeps
every import pointing one way (tasks -> tuning.runner -> fold).

REFIT and FoldResult (engine.fold) are re-exported for the callers that import them from here.
"""
from __future__ import annotations

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
