"""Scatter corrections: SNV, RNV and MSC (EMSC lives in engine.operators.emsc).

Why: light scattering in diffuse reflectance NIR adds a per-spectrum offset and a
multiplicative gain that carry no chemical information; both operators remove them row by
row (vectorised over all rows, no per-sample loop).
"""
from __future__ import annotations

from numbers import Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils._param_validation import Interval

from engine.constraints import Choices
from engine.operators._base import SpectralOperator, check_min_features

__all__ = ["MSC", "RNV", "SNV"]


def _constant_rows(X: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows whose values are all equal (max == min, exactly)."""
    return X.max(axis=1) == X.min(axis=1)


class SNV(OneToOneFeatureMixin, SpectralOperator):
    """Standard normal variate: each row becomes ``(x - mean(x)) / std(x)``.

    Why: removes the additive and multiplicative scatter effects of each spectrum on its
    own (no reference needed, so fit learns nothing but the number of columns).

    The standard deviation uses ``ddof=0`` (population std, as ``np.std``). A constant row
    (all values equal, std == 0) is not an error: it is mapped to a row of zeros, the same
    convention as sklearn's StandardScaler for zero-variance data.
    """

    def __init__(self) -> None:
        pass

    def _transform(self, X: np.ndarray) -> np.ndarray:
        mean = X.mean(axis=1, keepdims=True)
        centred = X - mean
        std = np.sqrt(np.mean(centred * centred, axis=1, keepdims=True))
        constant = _constant_rows(X)[:, None]
        out = centred / np.where(constant, 1.0, std)
        out[constant[:, 0]] = 0.0
        return out


class MSC(OneToOneFeatureMixin, SpectralOperator):
    """Multiplicative scatter correction against a reference spectrum learnt in fit.

    Why: like SNV it removes offset and gain, but relative to a common reference spectrum,
    which keeps the spectra on the scale of the data set.

    Parameters
    ----------
    reference : {"mean", "median"}
        How the reference spectrum is computed from the rows seen by ``fit`` (the training
        rows only, never the rows later transformed): column-wise mean or median.

    Attributes
    ----------
    reference_ : ndarray of shape (n_features,)
        The reference spectrum.

    Each row ``x`` is regressed on the reference by ordinary least squares,
    ``x ≈ a + b * reference_`` (for all rows at once), and replaced by ``(x - a) / b``.
    A constant row (zero slope) is mapped to zeros instead of dividing by zero; a constant
    reference spectrum is a ValueError in fit, since no slope can be estimated against it.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "reference": [Choices("mean", "median")],
    }

    def __init__(self, reference: str = "mean") -> None:
        self.reference = reference

    def _check_n_features(self, n_features: int) -> None:
        check_min_features("MSC", n_features, 2, "a regression on the reference spectrum")

    def _fit(self, X: np.ndarray) -> None:
        ref = np.median(X, axis=0) if self.reference == "median" else X.mean(axis=0)
        if ref.max() == ref.min():
            raise ValueError("MSC: the reference spectrum (the "
                             f"{self.reference} of the training rows) is constant; "
                             "MSC cannot regress spectra on it")
        self.reference_ = ref

    def _transform(self, X: np.ndarray) -> np.ndarray:
        ref = self.reference_
        ref_mean = ref.mean()
        ref_c = ref - ref_mean
        x_mean = X.mean(axis=1)
        slope = (X - x_mean[:, None]) @ ref_c / (ref_c @ ref_c)
        intercept = x_mean - slope * ref_mean
        constant = _constant_rows(X)
        slope = np.where(constant, 1.0, slope)
        out = (X - intercept[:, None]) / slope[:, None]
        out[constant] = 0.0
        return out


class RNV(OneToOneFeatureMixin, SpectralOperator):
    """Robust normal variate: ``(x - P(x)) / std(x[x <= P(x)])`` for each row x.

    Why: SNV's mean and standard deviation are pulled by the absorption bands themselves;
    RNV (Guo, Wu & Massart, Chemom. Intell. Lab. Syst. 48, 1999, 41-49) centres on a low
    percentile P and scales by the spread of the values below it, the part of the spectrum
    that is mostly baseline, so strong bands do not distort the correction.

    Parameters
    ----------
    percentile : float
        The percentile P, in (0, 100] (25 in the paper; 50 = the median; 100 makes RNV
        centre on the maximum and scale by the standard deviation of the whole row).

    P is numpy's default (linear) percentile; the standard deviation uses ``ddof=0``. A row
    whose values below P do not vary (a constant row, or too few columns) is only centred
    (divided by 1), so a constant row becomes zeros as with SNV.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "percentile": [Interval(Real, 0, 100, closed="right")],
    }

    def __init__(self, percentile: float = 25.0) -> None:
        self.percentile = percentile

    def _transform(self, X: np.ndarray) -> np.ndarray:
        level = np.percentile(X, float(self.percentile), axis=1, keepdims=True)
        below = level >= X
        count = below.sum(axis=1, keepdims=True)      # >= 1: the minimum is always below
        mean = np.where(below, X, 0.0).sum(axis=1, keepdims=True) / count
        dev = np.where(below, X - mean, 0.0)
        std = np.sqrt((dev * dev).sum(axis=1, keepdims=True) / count)
        return (X - level) / np.where(std > 0.0, std, 1.0)
