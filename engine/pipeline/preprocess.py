"""A branch's preprocessing applied to every spectrum, as its model saw it.

Why one function: the spectra view ("show the spectra after this branch's preprocessing"),
the results' Spectra tab and ``nirdesk preprocess`` must all compute exactly what a run's
refit computed: the steps before the model, built as a run builds them (wavelengths injected
into operators such as CropRange, unset seeds filled), fitted on the training rows only and
then applied to every row, with the x axis following the operators that change it
(``transform_wavelengths``). Three sources give those steps:

* a ConcreteBranch (a pipeline being edited or run): built and fitted here;
* a branch's saved JSON steps (``BranchResult.steps``, e.g. a run reloaded from a project)
  with its tuned ``best_params``: parsed back into its one branch, then as above;
* a fitted sklearn Pipeline whose last step is the model (``BranchResult.model``, fresh
  from a run): its steps before the model transform the spectra as fitted, no refit.

``build_pipeline`` lives here too (engine.run uses it for every branch it runs), so this
module needs nothing from the runner.
"""
from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.errors import Cancelled
from engine.pipeline.branches import ConcreteBranch

if TYPE_CHECKING:  # pragma: no cover
    from sklearn.pipeline import Pipeline

__all__ = ["build_pipeline", "preprocess_branch"]


def build_pipeline(branch: ConcreteBranch, wavelengths: np.ndarray, seed: int) -> Pipeline:
    """The branch's sklearn Pipeline with wavelengths injected and unset seeds filled in.

    Operators that declare ``needs_wavelengths`` get the wavelength axis as it is at their
    position (earlier crops shorten it); any ``random_state`` left at None gets ``seed`` so
    that a run is reproducible and a parallel run equals a sequential one.
    """
    pipeline = branch.build_pipeline()
    current = np.asarray(wavelengths, dtype=np.float64)
    for _, step in pipeline.steps:
        params = step.get_params(deep=False)
        if getattr(step, "needs_wavelengths", False):
            step.set_params(wavelengths=current)
        if "random_state" in params and params["random_state"] is None:
            step.set_params(random_state=seed)
        if hasattr(step, "transform_wavelengths"):
            current = np.asarray(step.transform_wavelengths(current))
    return pipeline


def preprocess_branch(source: ConcreteBranch | Sequence[Any] | Pipeline, X: np.ndarray,
                      wavelengths: np.ndarray, *, train_indices: np.ndarray | None = None,
                      y: np.ndarray | None = None, seed: int = 0,
                      best_params: dict[str, Any] | None = None,
                      cancel: threading.Event | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Apply a branch's preprocessing (the steps before its model) to every spectrum,
    fitted on the training rows only, following the wavelength axis through operators that
    change it (``transform_wavelengths``). Returns (Z, axis): one row of Z per row of X, and
    the x value of each of its columns.

    ``source`` is a ConcreteBranch, a branch's JSON steps, or a fitted Pipeline ending in
    its model (module docstring). For the first two, ``train_indices`` (row indices into X)
    are the rows the steps are fitted on, with ``y`` at those rows for steps that use it;
    ``seed`` fills unset random states as a run does and ``best_params`` (a tuned branch's
    "StepClass__param" / model parameter values) are set before fitting. A fitted Pipeline
    uses none of these.

    Raises ValueError when there is no training row or the steps do not make exactly one
    branch, SpecError for steps that do not parse, and engine.executor.Cancelled (between
    steps) once ``cancel`` is set.
    """
    X = np.asarray(X)
    axis = np.asarray(wavelengths, dtype=np.float64)
    steps, fitted = _steps_of(source, axis, seed, best_params)
    Z = X
    if fitted:
        for step in steps:
            _check(cancel)
            Z = step.transform(Z)
            _check_finite(Z, step, axis)
            axis = _next_axis(step, axis)
    else:
        train = np.asarray(train_indices if train_indices is not None else [], dtype=np.intp)
        if train.size == 0:
            raise ValueError("no training rows to fit the preprocessing on (every row is "
                             "held out for test)")
        fit_rows = X[train]
        y_fit = None if y is None else np.asarray(y)[train]
        for step in steps:
            _check(cancel)
            fit_rows = step.fit_transform(fit_rows, y_fit)
            Z = step.transform(Z)
            _check_finite(Z, step, axis)
            axis = _next_axis(step, axis)
    _check(cancel)
    return np.asarray(Z), axis


def _steps_of(source: Any, wavelengths: np.ndarray, seed: int,
              best_params: dict[str, Any] | None) -> tuple[list[Any], bool]:
    """(the steps before the model, whether they are fitted already)."""
    if isinstance(source, ConcreteBranch):
        branch = source
    elif isinstance(source, (list, tuple)):
        from engine.pipeline.spec import parse_pipeline

        expanded = parse_pipeline(list(source))
        if len(expanded.branches) != 1:
            raise ValueError(f"these steps make {len(expanded.branches)} branches, expected one")
        branch = expanded.branches[0]
    elif _is_pipeline(source):
        return [step for _, step in source.steps[:-1]], True
    else:
        raise TypeError("source must be a ConcreteBranch, a list of JSON steps or a fitted "
                        f"Pipeline, got {type(source).__name__}")
    pipeline = build_pipeline(branch, wavelengths, seed)
    if best_params:
        from engine.tuning.space import with_params

        pipeline = with_params(pipeline, best_params)
    return [step for _, step in pipeline.steps[:-1]], False


def _is_pipeline(source: Any) -> bool:
    if not hasattr(source, "steps"):
        return False
    from sklearn.pipeline import Pipeline

    return isinstance(source, Pipeline)


def _next_axis(step: Any, axis: np.ndarray) -> np.ndarray:
    if hasattr(step, "transform_wavelengths"):
        return np.asarray(step.transform_wavelengths(axis), dtype=np.float64)
    return axis


def _check_finite(Z: Any, step: Any, axis: np.ndarray) -> None:
    """Refuse a step's output that is not finite numbers (a value it overflowed on or
    divided by zero for): shown, saved or written, it would pass for a spectrum."""
    values = np.asarray(Z)
    if values.dtype.kind not in "fc" or bool(np.isfinite(values).all()):
        return
    from engine.errors import InputError

    i, j = (int(k) for k in np.argwhere(~np.isfinite(values))[0])
    where = f" at {axis[j]:g}" if values.shape[1] == axis.size else f" in column {j + 1}"
    raise InputError(f"{type(step).__name__} gives {float(values[i, j])!r} for spectrum {i + 1}"
                     f"{where}: the data is outside what this step can compute on")


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled()
