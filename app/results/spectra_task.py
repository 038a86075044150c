"""The spectra after one branch's preprocessing, for the results' Spectra tab (no Qt).

Runs on the results panel's background thread (app.common.workers.Jobs); the work is
engine.pipeline.preprocess_branch, from one of two sources:
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


def branch_spectra(X: np.ndarray, wavelengths: np.ndarray, wavelengths_known: bool,
                   train_indices: np.ndarray, y: np.ndarray | None, result: Any, title: str,
                   seed: int = 0, cancel: threading.Event | None = None,
                   units: str = "nm") -> SpectraData:
    """Every spectrum (all rows) after the branch's preprocessing steps, its x axis named by
    ``units`` (the dataset's: "nm", "cm-1" or "" for unknown)."""
    from engine.pipeline import preprocess_branch

    model = getattr(result, "model", None)
    source = model if getattr(model, "steps", None) else list(result.steps)
    try:
        Z, x = preprocess_branch(source, X, wavelengths, train_indices=train_indices, y=y,
                                 seed=seed, best_params=result.best_params or None,
                                 cancel=cancel)
    except ValueError as exc:
        raise ValueError(f"branch {result.id}: {exc}") from None
    return SpectraData.build(Z, x, wavelengths_known=wavelengths_known, title=title,
                             units=units)
