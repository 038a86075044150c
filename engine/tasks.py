"""The unit of work: fit a branch's pipeline on some rows, predict others.

Kept as a plain top-level function of arrays and an unfitted pipeline so that a process pool
can run it unchanged (the parallel executor sends exactly these arguments to its workers).
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

REFIT = -1  # fold number of the final fit on all training rows


@dataclass(frozen=True)
class FoldResult:
    branch_id: int
    fold: int                  # 0-based fold, or REFIT
    predict_idx: np.ndarray    # rows of the full dataset that were predicted
    predictions: np.ndarray
    seconds: float
    model: Any = None          # the fitted pipeline, only for the REFIT task
    warnings: list[str] = field(default_factory=list)  # distinct warnings raised while fitting
    extra: dict[str, Any] | None = None  # sweep / tuning payload (see engine.tuning.runner)


def execute_task(kind: str, branch_id: int, fold: int, pipeline: Any, X: np.ndarray,
                 y: np.ndarray, train_idx: np.ndarray, predict_idx: np.ndarray,
                 extra: dict[str, Any] | None = None) -> FoldResult:
    """Run one task of any kind, in a worker or in-process (same code, same numbers).

    fit    fit_predict (a CV fold, or the refit on all training rows when fold == REFIT)
    sweep  one fold of the exact PLS component sweep (predictions for every k)
    tune   a whole Optuna search of one branch, trials one after the other (used when
           branches, not trials, run in parallel)
    """
    if kind == "fit":
        return fit_predict(branch_id, fold, pipeline, X, y, train_idx, predict_idx)
    from engine.tuning import runner

    if kind == "sweep":
        return runner.sweep_task(branch_id, fold, pipeline, X, y, train_idx, predict_idx, extra or {})
    if kind == "tune":
        return runner.tune_task(branch_id, pipeline, X, y, extra or {})
    raise ValueError(f"unknown task kind {kind!r}")


def fit_predict(branch_id: int, fold: int, pipeline: Any, X: np.ndarray, y: np.ndarray,
                train_idx: np.ndarray, predict_idx: np.ndarray) -> FoldResult:
    """Fit a clone of ``pipeline`` on X[train_idx] and predict X[predict_idx].

    Preprocessing is part of the pipeline, so it is fitted on the training rows of this fold
    only. Predictions are returned as a 1-D array (PLS returns a column for a 1-D target).
    """
    start = time.perf_counter()
    from sklearn.base import clone  # already loaded in a worker; lazily for the app's start-up

    model = clone(pipeline)
    # Warnings (e.g. a Lasso that did not converge) are collected and reported once per branch
    # instead of flooding the terminal or the log with one copy per fold.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X[train_idx], y[train_idx])
        if predict_idx.size:
            predictions = np.asarray(model.predict(X[predict_idx]))
            if predictions.ndim == 2 and predictions.shape[1] == 1:
                predictions = predictions[:, 0]
        else:
            predictions = np.empty(0, dtype=y.dtype)
    messages = list(dict.fromkeys(f"{w.category.__name__}: {str(w.message).splitlines()[0]}"
                                  for w in caught))
    return FoldResult(branch_id, fold, predict_idx, predictions, time.perf_counter() - start,
                      model if fold == REFIT else None, messages)
