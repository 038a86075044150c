"""Figures of merit for regression and classification, as chemometricians report them.

Regression (on predictions y_hat against references y):
  rmse  root mean squared error (RMSECV on out-of-fold predictions, RMSEP on the test set)
  r2    coefficient of determination, 1 - SS_res / SS_tot
  mae   mean absolute error
  bias  mean(y_hat - y)
  sep   standard error of prediction: standard deviation of the residuals after removing the
        bias, sqrt(sum((e - bias)^2) / (n - 1))
  rpd   ratio of performance to deviation: sd(y, ddof=1) / sep
Classification: accuracy, balanced_accuracy, f1_macro (scikit-learn's definitions).
"""
from __future__ import annotations

import math

import numpy as np

REGRESSION_KEYS = ("rmse", "r2", "mae", "bias", "sep", "rpd")
CLASSIFICATION_KEYS = ("accuracy", "balanced_accuracy", "f1_macro")


def _finite_or_none(value: float) -> float | None:
    """JSON has no NaN/inf: undefined figures (e.g. R2 of a constant target) become null."""
    return float(value) if math.isfinite(value) else None


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float | None]:
    """The regression block of the results JSON for one set of predictions."""
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.float64).ravel()
    n = y_true.size
    residual = y_pred - y_true
    rmse = math.sqrt(float(np.mean(residual ** 2)))
    ss_tot = float(np.sum((y_true - y_true.mean()) ** 2))
    r2 = 1.0 - float(np.sum(residual ** 2)) / ss_tot if ss_tot > 0 else math.nan
    bias = float(residual.mean())
    sep = math.sqrt(float(np.sum((residual - bias) ** 2)) / (n - 1)) if n > 1 else math.nan
    sd = float(np.std(y_true, ddof=1)) if n > 1 else math.nan
    rpd = sd / sep if sep and math.isfinite(sep) and sep > 0 else math.nan
    return {"rmse": _finite_or_none(rmse), "r2": _finite_or_none(r2),
            "mae": _finite_or_none(float(np.mean(np.abs(residual)))), "bias": _finite_or_none(bias),
            "sep": _finite_or_none(sep), "rpd": _finite_or_none(rpd)}


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float | None]:
    """Accuracy, balanced accuracy and macro F1 for class labels."""
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

    y_true = np.asarray(y_true).ravel()
    y_pred = np.asarray(y_pred).ravel()
    return {"accuracy": float(accuracy_score(y_true, y_pred)),
            "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
            "f1_macro": float(f1_score(y_true, y_pred, average="macro", zero_division=0))}


def score(y_true: np.ndarray, y_pred: np.ndarray, classification: bool) -> dict[str, float | None]:
    if classification:
        return classification_metrics(y_true, y_pred)
    return regression_metrics(y_true, y_pred)


def ranking_key(metrics: dict[str, float | None], classification: bool) -> float:
    """Smaller is better: RMSECV for regression, minus balanced accuracy for classes."""
    if classification:
        value = metrics.get("balanced_accuracy")
        return -value if value is not None else math.inf
    value = metrics.get("rmse")
    return value if value is not None else math.inf
