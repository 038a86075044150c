"""The spectra after one branch's preprocessing, for the results' Spectra tab (no Qt).

Runs on the results panel's background thread (app.common.workers.Jobs). Why two ways:
- a branch fresh from a run carries its refitted pipeline (``result.model``, fitted on all
  training rows with the tuned parameters): its steps before the model ARE the preprocessing
  the model saw, so they transform the spectra as they are (no refit, exactly what predicted);
- a run reloaded from a project has no model in memory: the steps are rebuilt from the saved
  step JSON with the best parameters set, fitted on the training rows only and applied to all
  rows - what the run's refit did.
"""
from __future__ import annotations

import threading
from typing import Any

import numpy as np

from app.model.spectra_data import SpectraData
from app.model.tasks import Cancelled


def branch_spectra(X: np.ndarray, wavelengths: np.ndarray, wavelengths_known: bool,
                   train_indices: np.ndarray, y: np.ndarray | None, result: Any, title: str,
                   seed: int = 0, cancel: threading.Event | None = None) -> SpectraData:
    """Every spectrum (all rows) after the branch's preprocessing steps."""
    steps = _fitted_steps(result)
    x = np.asarray(wavelengths, dtype=np.float64)
    Z = X
    if steps is None:
        steps = _unfitted_steps(result, wavelengths, seed)
        fit_rows = X[np.asarray(train_indices)]
        if fit_rows.shape[0] == 0:
            raise ValueError("no training rows to fit the preprocessing on")
        y_fit = None if y is None else np.asarray(y)[np.asarray(train_indices)]
        for _, step in steps:
            _check(cancel)
            fit_rows = step.fit_transform(fit_rows, y_fit)
            Z = step.transform(Z)
            x = _next_axis(step, x)
    else:
        for _, step in steps:
            _check(cancel)
            Z = step.transform(Z)
            x = _next_axis(step, x)
    _check(cancel)
    return SpectraData.build(np.asarray(Z), x, wavelengths_known=wavelengths_known, title=title)


def _fitted_steps(result: Any) -> list[tuple[str, Any]] | None:
    model = getattr(result, "model", None)
    steps = getattr(model, "steps", None)
    if not steps:
        return None
    return list(steps[:-1])


def _unfitted_steps(result: Any, wavelengths: np.ndarray, seed: int) -> list[tuple[str, Any]]:
    from engine.pipeline import parse_pipeline
    from engine.run import build_pipeline

    expanded = parse_pipeline(list(result.steps))
    if len(expanded.branches) != 1:
        raise ValueError(f"branch {result.id}: its saved steps make {len(expanded.branches)} "
                         f"branches, expected one")
    pipeline = build_pipeline(expanded.branches[0], wavelengths, seed)
    if result.best_params:
        from engine.tuning.space import with_params

        pipeline = with_params(pipeline, result.best_params)
    return list(pipeline.steps[:-1])


def _next_axis(step: Any, x: np.ndarray) -> np.ndarray:
    if hasattr(step, "transform_wavelengths"):
        return np.asarray(step.transform_wavelengths(x), dtype=np.float64)
    return x


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled()
