"""Exact PLS component sweep: the predictions of every n_components from ONE fit.

The fit is IKPLS (``engine.models.IKPLS``, Dayal & MacGregor 1997, algorithm 2: X'X r as
X'(X r)), not sklearn's PLSRegression: the same model (same weights, loadings, rotations up to
rounding) computed without deflating X, several times faster for a 20-25 component fit
(bench/pls_sweep_ikpls.py, engine/models/ikpls.py for the measurements). Only the per-k
predictions of the search come from IKPLS; the model a finetuned branch refits at the chosen
k and saves is still the user's PLSRegression.

Why this is exact (sklearn's NIPALS PLSRegression, engine/.venv sklearn 1.9 ``_pls.py``):
fit(k) runs the same deflation loop as fit(K) for its first k components, so the weights W,
X loadings P and y loadings Q of a k-component fit are the first k columns of those of a
K-component fit (K >= k). The rotations are R = W (P^T W)^+, and P^T W is *unit upper
triangular* (p_i^T w_j = 0 for i > j because X_i w_j = 0 after deflation; p_i^T w_i = 1),
so its inverse is upper triangular and the leading k x k block of the inverse is the inverse
of the leading block: R_k = R_K[:, :k]. sklearn predicts

    y_hat_k = ((X - x_mean) / x_std) @ R_k @ Q_k^T * y_std + y_mean

(x_std, y_std are 1 when scale=False), which is a cumulative sum over components of
t_j * q_j with t = ((X - x_mean) / x_std) @ R_K: one fit, one matrix product, one cumsum.
The centring/scaling statistics come from sklearn's private ``_x_mean``/``_x_std``/
``_y_mean``/``_y_std``; ``predictions_per_component`` checks its K-th column against the
public ``predict`` on every call, so a change of sklearn internals fails loudly, never
silently.

The same structure holds for IKPLS (its R = W (P'W)^-1 is built column by column, so R_k is
R_K[:, :k]; its ``x_mean_``, ``x_std_``, ``y_mean_``, ``y_std_`` are public). The sweep does
NOT check IKPLS against a sklearn fit at run time (that fit would cost what IKPLS saves):
the check is dropped, and tests/engine/test_pls_sweep.py proves on real spectra (tablets,
tecator) that every column equals sklearn's PLSRegression(k) refits to 1e-9 and that
RMSECV per k and the chosen k equal the sklearn path, sequential and parallel;
tests/engine/test_ikpls.py does the same for the model alone.

Clamping: PLSRegression accepts at most min(n_train_rows, n_features) components (features
as they enter the model). ``sweep_predictions`` evaluates k = 1..min(k_max, that bound) and
returns exactly that many columns: column j holds k = j + 1, and ``result.shape[1]`` is the
largest k evaluated. A CV caller whose folds allow different maxima keeps the smallest width.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.cross_decomposition import PLSRegression
from sklearn.pipeline import Pipeline

from engine.models.ikpls import IKPLS
from engine.tuning.space import METRICS, FinetuneConfig, resolve_param

__all__ = ["is_sweepable", "max_components", "predictions_per_component", "sweep_predictions"]


def is_sweepable(config: FinetuneConfig, pipeline: Pipeline) -> bool:
    """True when one fit per fold can replace the trials: the model (last step) is exactly
    PLSRegression (subclasses such as PLS-DA predict differently), the metric is a
    regression metric, the only model dimension is n_components (int or int_log, low >= 1),
    and every other dimension is categorical on a preprocessing step (the caller then loops
    over their combinations). Raises SpecError for keys that name no parameter.
    """
    model_name, model = pipeline.steps[-1]
    if type(model) is not PLSRegression or METRICS[config.metric][0] != "regression":
        return False
    found_components = False
    for dim in config.dimensions:
        step, _, param = resolve_param(pipeline, dim.key).partition("__")
        if step == model_name:
            if (param != "n_components" or dim.kind not in ("int", "int_log")
                    or dim.int_bounds()[0] < 1):
                return False
            found_components = True
        elif dim.kind != "categorical":
            return False
    return found_components


def max_components(pipeline: Pipeline, n_train_rows: int, n_features: int | None = None) -> int:
    """The most components PLSRegression accepts: min(n_train_rows, n_features).

    ``n_features`` is the number of columns entering the model; None reads it from a fitted
    model (``n_features_in_``), and for an unfitted one only the row bound applies (spectra
    have far more columns than rows, so the rows are what bind in practice).
    """
    if n_features is None:
        n_features = getattr(pipeline.steps[-1][1], "n_features_in_", None)
    bound = int(n_train_rows) if n_features is None else min(int(n_train_rows), int(n_features))
    return max(bound, 0)


def sweep_predictions(pipeline: Pipeline, X_train: np.ndarray, y_train: np.ndarray,
                      X_pred: np.ndarray, k_max: int) -> np.ndarray:
    """Predictions for X_pred of the pipeline with n_components = 1..k for every k.

    Fits a clone of the preprocessing on (X_train, y_train) once and IKPLS (algorithm 2,
    with the PLS model's ``scale``) with min(k_max, max_components) components once. Returns shape
    (n_pred, k_evaluated): column j is the prediction with j + 1 components (see the module
    doc for the clamping rule).
    The pipeline itself is not modified. ``y_train`` must be one target (1-D or one column).
    """
    if int(k_max) < 1:
        raise ValueError(f"k_max must be >= 1, got {k_max}")
    y = _one_target(y_train)
    pre, model = _preprocessing_and_model(pipeline)
    Xt = pre.fit_transform(X_train, y) if pre is not None else np.asarray(X_train, float)
    Xp = pre.transform(X_pred) if pre is not None else np.asarray(X_pred, float)
    k = min(int(k_max), max_components(pipeline, Xt.shape[0], Xt.shape[1]))
    ikpls = IKPLS(n_components=k, scale=bool(model.scale), algorithm=2).fit(Xt, y)
    return _cumulative_predictions(ikpls, Xp)


def predictions_per_component(pls: PLSRegression, X: np.ndarray) -> np.ndarray:
    """(n, K) predictions of a fitted one-target PLSRegression truncated to 1..K components.

    Checks the last column against ``pls.predict`` (relative 1e-8): the formula relies on
    sklearn's private centring attributes, and a mismatch must fail, not mislead.
    """
    X = np.asarray(X, dtype=np.float64)
    if pls.y_loadings_.shape[0] != 1:
        raise ValueError("the component sweep handles one target; this PLS has "
                         f"{pls.y_loadings_.shape[0]}")
    scores = ((X - pls._x_mean) / pls._x_std) @ pls.x_rotations_
    preds = np.cumsum(scores * pls.y_loadings_[0], axis=1) * pls._y_std[0] + pls._y_mean[0]
    _check_against_predict(pls, X, preds[:, -1])
    return preds


def _cumulative_predictions(model: IKPLS, X: np.ndarray) -> np.ndarray:
    """(n, K) predictions of a fitted one-target IKPLS truncated to 1..K components."""
    X = np.asarray(X, dtype=np.float64)
    scores = ((X - model.x_mean_) / model.x_std_) @ model.x_rotations_
    preds: np.ndarray = (np.cumsum(scores * model.y_loadings_[0], axis=1) * model.y_std_[0]
                         + model.y_mean_[0])
    return preds


def _check_against_predict(pls: PLSRegression, X: np.ndarray, last: np.ndarray) -> None:
    expected = np.asarray(pls.predict(X), dtype=np.float64).ravel()
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1.0)
    if not np.allclose(last, expected, rtol=1e-8, atol=1e-8 * scale):
        raise RuntimeError("PLS component sweep disagrees with PLSRegression.predict; "
                           "scikit-learn's PLS internals have changed, the sweep needs updating")


def _one_target(y: Any) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"the component sweep handles one target; y has shape {y.shape}")
    return y


def _preprocessing_and_model(pipeline: Pipeline) -> tuple[Pipeline | None, PLSRegression]:
    """Unfitted clones: the preprocessing steps as a Pipeline (None if there are none) and
    the PLS model."""
    fresh = clone(pipeline)
    model = fresh.steps[-1][1]
    if not isinstance(model, PLSRegression):
        raise ValueError(f"the component sweep needs a PLSRegression model, got "
                         f"{type(model).__name__}")
    pre = Pipeline(fresh.steps[:-1]) if len(fresh.steps) > 1 else None
    return pre, model
