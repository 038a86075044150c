"""MLR: multiple linear regression (ordinary least squares) on the given variables.

Why: after a wavelength selection (a handful of bands chosen by SelectRanges, iPLS or by
hand) chemometricians fit y on those few absorbances directly, with no latent variables.
On whole spectra OLS cannot work (more variables than samples: infinitely many exact fits),
so MLR refuses that case with a message that says what to do instead of returning one
arbitrary solution as scikit-learn's LinearRegression would.
"""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.utils.validation import validate_data

from engine.models._linear import LinearRegressor

__all__ = ["MLR"]


class MLR(LinearRegressor):
    """Ordinary least squares of y on every column of X.

    Parameters
    ----------
    fit_intercept : bool, default True
        Fit an offset (the columns and y are centred first).

    Attributes
    ----------
    coef_ : (n_features,) or (n_targets, n_features)
    intercept_ : float or (n_targets,)
    rank_ : rank of the (centred) X; below n_features when columns are collinear, in which
        case the minimum-norm solution is kept
    n_features_in_ : int

    Refuses more variables than samples allow (n_features + 1 > n_samples with an intercept).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {"fit_intercept": ["boolean"]}

    def __init__(self, fit_intercept: bool = True) -> None:
        self.fit_intercept = fit_intercept

    def fit(self, X: Any, y: Any) -> MLR:
        """Least squares; ValueError when there are too many variables for the samples."""
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float64, multi_output=True, y_numeric=True)
        n, p = X.shape
        unknowns = p + (1 if self.fit_intercept else 0)
        if unknowns > n:
            extra = " plus an intercept" if self.fit_intercept else ""
            raise ValueError(f"MLR: {p} variables{extra} for {n} samples: ordinary least "
                             f"squares needs at least as many samples as unknowns; select "
                             f"a few wavelengths first (SelectRanges, CropRange) or use a "
                             f"latent-variable model (PLSRegression, PCR)")
        Y = y.reshape(n, -1)
        if self.fit_intercept:
            x_mean, y_mean = X.mean(axis=0), Y.mean(axis=0)
        else:
            x_mean, y_mean = np.zeros(p), np.zeros(Y.shape[1])
        coef, _, self.rank_, _ = np.linalg.lstsq(X - x_mean, Y - y_mean, rcond=None)
        intercept = y_mean - x_mean @ coef
        self._store_coefficients(coef, intercept, y)
        return self
