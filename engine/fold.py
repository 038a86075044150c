"""The unit of work: fit a branch's pipeline on some rows, predict others.

Kept as a plain top-level function of arrays and an unfitted pipeline so that a process pool
can run it unchanged (the parallel executor sends exactly these arguments to its workers).
It sits below both the task dispatcher (engine.tasks) and the searches (engine.tuning.runner,
which fits one fold per trial here): the dependency points one way, tasks -> tuning -> fold.
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
    """What every task returns, from a worker or in-process (see engine.tasks.execute_task)."""

    branch_id: int
    fold: int                  # 0-based fold, or REFIT
    predict_idx: np.ndarray    # rows of the full dataset that were predicted
    predictions: np.ndarray
    seconds: float
    model: Any = None          # the fitted pipeline, only for the REFIT task
    warnings: list[str] = field(default_factory=list)  # distinct warnings raised while fitting
    extra: dict[str, Any] | None = None  # sweep / tuning payload (see engine.tuning.runner)


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
    # ResourceWarnings are the garbage collector's report on objects of earlier work (an
    # unclosed file collected during this fit), never about the fit: recording them made a
    # branch's warnings depend on when the collector ran.
    messages = list(dict.fromkeys(f"{w.category.__name__}: {str(w.message).splitlines()[0]}"
                                  for w in caught
                                  if not issubclass(w.category, ResourceWarning)))
    return FoldResult(branch_id, fold, predict_idx, predictions, time.perf_counter() - start,
                      model if fold == REFIT else None, messages)
