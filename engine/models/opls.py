"""OPLS filter: remove the variation of the spectra that is orthogonal to y (Trygg & Wold 2002).

Why: in NIR a large part of the spectral variation (particle size, moisture, temperature)
has nothing to do with the property modelled; PLS still has to spend components on it, which
makes its loadings and regression vector hard to read. O-PLS splits that variation off into
"orthogonal" components first; a PLS with one component on the filtered spectra then
predicts exactly what a PLS with 1 + n_components components predicts on the raw spectra
(single y), but its one loading is the part of the spectra that correlates with y.

Reference: J. Trygg, S. Wold, "Orthogonal projections to latent structures (O-PLS)",
J. Chemometrics 16 (2002) 119-128, the algorithm of its Table/Appendix for a single y.
"""
from __future__ import annotations

from numbers import Integral
from typing import Any, ClassVar

import numpy as np
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import validate_data

from engine.operators._base import SpectralOperator

__all__ = ["OPLS"]


class OPLS(OneToOneFeatureMixin, SpectralOperator):
    """Removes ``n_components`` y-orthogonal components from the spectra (a supervised
    preprocessing step: fit needs one numeric y; put a PLS model after it).

    Parameters
    ----------
    n_components : int, default 1
        Orthogonal components removed (fewer than min(n_samples, n_features)).

    Attributes
    ----------
    mean_ : (n_features,) calibration mean (filtered spectra keep it, so the next step
        sees spectra on their own scale)
    weights_ : (n_features, n_components) orthogonal weights w_o (unit length)
    loadings_ : (n_features, n_components) orthogonal loadings p_o
    predictive_weight_ : (n_features,) w = X'y / ||X'y|| of the centred calibration data
    n_features_in_ : int
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, n_components: int = 1) -> None:
        self.n_components = n_components

    def fit(self, X: Any, y: Any = None) -> OPLS:
        """Learn the orthogonal weights and loadings from the calibration rows and their y."""
        self.check_params()
        if y is None:
            raise ValueError("OPLS requires y to be passed, but the target y is None (it "
                             "removes the variation orthogonal to the reference values)")
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        n, p = X.shape
        k = self.n_components
        if k >= min(n, p):
            raise ValueError(f"OPLS: n_components={k} must be < min(n_samples={n}, "
                             f"n_features={p})")
        self.mean_ = X.mean(axis=0)
        resid = X - self.mean_
        xy = resid.T @ (y - y.mean())
        norm = float(np.linalg.norm(xy))
        if norm == 0.0:
            raise ValueError("OPLS: y is constant or uncorrelated with every column; "
                             "there is no predictive direction to keep")
        w = xy / norm
        weights, loadings = np.empty((p, k)), np.empty((p, k))
        for a in range(k):
            t = resid @ w
            p_ = resid.T @ t / (t @ t)
            w_o = p_ - (w @ p_) * w
            size = float(np.linalg.norm(w_o))
            if size <= 1e-12 * float(np.linalg.norm(p_)):
                raise ValueError(f"OPLS: no orthogonal variation left for component {a + 1}; "
                                 f"use fewer components")
            w_o /= size
            t_o = resid @ w_o
            p_o = resid.T @ t_o / (t_o @ t_o)
            resid = resid - np.outer(t_o, p_o)
            weights[:, a], loadings[:, a] = w_o, p_o
        self.predictive_weight_, self.weights_, self.loadings_ = w, weights, loadings
        return self

    def _transform(self, X: np.ndarray) -> np.ndarray:
        resid = X - self.mean_
        for a in range(self.weights_.shape[1]):
            resid = resid - np.outer(resid @ self.weights_[:, a], self.loadings_[:, a])
        return resid + self.mean_

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
