"""The worker side of an interval search: one candidate wavelength set scored over all folds.

Why one task per candidate (not per candidate x fold): a candidate's sweep on one fold takes
a few milliseconds on tablet-sized data, about what a pool round trip costs; a task that runs
all folds of its candidate keeps the pool's overhead small beside the work, so the candidates
of one round really do run in parallel (bench/ipls.py).
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from engine.fold import FoldResult

__all__ = ["candidate_task", "rmse_per_component"]


def candidate_task(candidate: int, pipeline: Any, X: np.ndarray, y: np.ndarray,
                   extra: dict[str, Any]) -> FoldResult:
    """Out-of-fold predictions for k = 1..k_max of ``pipeline`` (selection + PLS model),
    from the exact component sweep (engine.tuning.pls_sweep) on every fold of
    ``extra["folds"]``. ``predictions`` is (n_predicted, k): column j holds k = j + 1, cut to
    the smallest number of components every fold allowed; ``predict_idx`` the rows."""
    from engine.tuning.pls_sweep import sweep_predictions

    start = time.perf_counter()
    k_max = int(extra["k_max"])
    pipeline, X = _columns_first(pipeline, X)
    parts, rows = [], []
    for train_idx, predict_idx in extra["folds"]:
        parts.append(sweep_predictions(pipeline, np.asarray(X[train_idx]),
                                       np.asarray(y[train_idx]), np.asarray(X[predict_idx]),
                                       k_max))
        rows.append(np.asarray(predict_idx))
    width = min(p.shape[1] for p in parts)
    predictions = np.concatenate([p[:, :width] for p in parts])
    return FoldResult(candidate, 0, np.concatenate(rows), predictions,
                      time.perf_counter() - start, extra={"candidate": candidate})


def _columns_first(pipeline: Any, X: np.ndarray) -> tuple[Any, np.ndarray]:
    """When the candidate's wavelength selection is the pipeline's first step (no
    preprocessing before it, the usual iPLS), take its columns once and drop the step.

    Why: the selection is stateless, so the result is the same arrays, while every fold's
    rows are then copied from the candidate's few columns instead of the whole spectrum.
    The copies of whole rows made a candidate memory-bound: two workers copying at once ran
    each candidate ~1.8x slower than one process did, and the parallel search was no faster
    than the sequential one (bench/ipls.py)."""
    steps = getattr(pipeline, "steps", None) or []
    mask_of = getattr(steps[0][1], "_selection_mask", None) if steps else None
    if mask_of is None or len(steps) < 2:
        return pipeline, X
    columns = np.flatnonzero(mask_of(X.shape[1]))
    return pipeline[1:], np.asarray(X[:, columns])


def rmse_per_component(y_true: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """RMSECV for every k: the columns of ``predictions`` against ``y_true``."""
    y = np.asarray(y_true, dtype=np.float64).reshape(-1, 1)
    return np.sqrt(np.mean((np.asarray(predictions, dtype=np.float64) - y) ** 2, axis=0))
