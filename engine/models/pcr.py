"""PCR: principal component regression.

Why: the first latent-variable regression chemometricians learn and still report beside PLS;
the spectra are compressed to their first principal components (chosen without looking at
y), and y is regressed on those scores by ordinary least squares. Comparing PCR with PLS at
the same number of components shows how much PLS gains by steering its components to y.
"""
from __future__ import annotations

from numbers import Integral
from typing import Any, ClassVar

import numpy as np
from sklearn.utils._param_validation import Interval
from sklearn.utils.extmath import svd_flip
from sklearn.utils.validation import validate_data

from engine.models._linear import LinearRegressor

__all__ = ["PCR"]


class PCR(LinearRegressor):
    """PCA of the centred spectra, then least squares of y on the first ``n_components``
    scores; stored as one regression vector in the spectra's units.

    Parameters
    ----------
    n_components : int, default 2
        Principal components kept (at most min(n_samples, n_features)).

    Attributes
    ----------
    x_mean_ : (n_features,) column means of the calibration spectra
    components_ : (n_components, n_features) PCA loadings (sklearn's sign convention)
    explained_variance_ : (n_components,) variance of each component's scores (ddof=1)
    coef_ : (n_features,) or (n_targets, n_features) regression vector on the spectra
    intercept_ : float or (n_targets,)
    n_features_in_ : int

    Predictions equal scikit-learn's ``make_pipeline(PCA(n_components), LinearRegression())``
    (the same SVD, the same least squares), folded into one vector so predicting is a single
    product and the model saves as a few arrays.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, n_components: int = 2) -> None:
        self.n_components = n_components

    def fit(self, X: Any, y: Any) -> PCR:
        """Decompose the centred X (exact SVD) and regress y on the first scores."""
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float64, multi_output=True, y_numeric=True)
        n, p = X.shape
        k = self.n_components
        if k > min(n, p):
            raise ValueError(f"PCR: n_components={k} must be <= min(n_samples, n_features) = "
                             f"{min(n, p)} ({n} samples, {p} variables)")
        self.x_mean_ = X.mean(axis=0)
        u, s, vt = np.linalg.svd(X - self.x_mean_, full_matrices=False)
        u, vt = svd_flip(u, vt)
        self.components_ = vt[:k]
        self.explained_variance_ = s[:k] ** 2 / max(n - 1, 1)
        Y = y.reshape(n, -1)
        y_mean = Y.mean(axis=0)
        scores = u[:, :k] * s[:k]
        b = np.linalg.lstsq(scores, Y - y_mean, rcond=None)[0]   # (k, n_targets)
        coef = self.components_.T @ b                            # (p, n_targets)
        intercept = y_mean - self.x_mean_ @ coef
        self._store_coefficients(coef, intercept, y)
        return self
