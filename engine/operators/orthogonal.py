"""Orthogonalisation filters: OSC (Fearn 2000) and EPO (Roger, Chauchard & Bellon-Maurel 2003).

Why: both remove a subspace of the spectra before the model instead of letting PLS spend
components on it. OSC removes the largest variation that is orthogonal to y on the
calibration set (particle size, moisture: whatever does not predict the property). EPO
removes the directions along which an external parameter (instrument, temperature, a
batch) moves the spectra of the same samples, learnt from difference spectra the user
measured; a model calibrated after EPO is then insensitive to that parameter.

Both are one fit (no iteration) and one projection per new spectrum; the OPLS filter
(engine.models.opls) is the third step of the palette's "Orthogonalisation" group.
"""
from __future__ import annotations

from numbers import Integral
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import validate_data

from engine.operators._base import SpectralOperator

__all__ = ["EPO", "OSC"]


def _sign_fixed(vectors: np.ndarray) -> np.ndarray:
    """Columns of ``vectors`` with their largest-magnitude element positive, so that a fit
    gives the same weights whatever sign the SVD returned (as sklearn's svd_flip)."""
    rows = np.argmax(np.abs(vectors), axis=0)
    signs = np.sign(vectors[rows, np.arange(vectors.shape[1])])
    signs[signs == 0] = 1.0
    return vectors * signs


class OSC(OneToOneFeatureMixin, SpectralOperator):
    """Orthogonal signal correction, Fearn's direct form (a supervised preprocessing step:
    fit needs y; put a model after it).

    T. Fearn, "On orthogonal signal correction", Chemometrics and Intelligent Laboratory
    Systems 50 (2000) 47-52. With X and y centred on the calibration rows, the weights w
    maximise the variance of the scores t = Xw subject to w'w = 1 and t'y = 0; they are the
    leading eigenvectors of M X'X M with M = I - X'y (y'X X'y)^-1 y'X (the projector
    orthogonal to X'y), i.e. the leading right singular vectors of Z = XM. All components
    come from one decomposition (no deflation, no iteration): T = XW, P = X'T (T'T)^-1, and
    the corrected spectra are X - T P'. The scores are orthogonal to y on the calibration
    rows by construction. New spectra: t = (x - mean) W, x - t P'; the calibration mean is
    kept, so the next step sees spectra on their own scale.

    Parameters
    ----------
    n_components : int, default 1
        Orthogonal components removed (at most the rank of Z, which is < min(n_samples,
        n_features)).

    Attributes
    ----------
    mean_ : (n_features,) calibration mean
    weights_ : (n_features, n_components) the weights W (unit length, orthonormal)
    loadings_ : (n_features, n_components) the loadings P = X'T (T'T)^-1
    scores_ : (n_samples, n_components) calibration scores T (orthogonal to y)
    n_features_in_ : int
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, n_components: int = 1) -> None:
        self.n_components = n_components

    def fit(self, X: Any, y: Any = None) -> OSC:
        """Learn the weights and loadings of the y-orthogonal components."""
        self.check_params()
        if y is None:
            raise ValueError("OSC requires y to be passed, but the target y is None (it "
                             "removes the variation orthogonal to the reference values)")
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True, multi_output=True)
        n, p = X.shape
        k = int(self.n_components)
        if k >= min(n, p):
            raise ValueError(f"OSC: n_components={k} must be < min(n_samples={n}, "
                             f"n_features={p})")
        self.mean_ = X.mean(axis=0)
        Xc = X - self.mean_
        Y = np.asarray(y, dtype=np.float64).reshape(n, -1)
        xy = Xc.T @ (Y - Y.mean(axis=0))                          # (p, q) = X'y
        if not np.any(xy):
            raise ValueError("OSC: y is constant or uncorrelated with every column; "
                             "there is no direction to keep orthogonal to")
        basis, _ = np.linalg.qr(xy)                               # orthonormal span of X'y
        Z = Xc - (Xc @ basis) @ basis.T                           # Z = X M
        _, sv, vt = np.linalg.svd(Z, full_matrices=False)
        if k > sv.size or sv[k - 1] <= 1e-12 * max(float(sv[0]), 1e-300):
            raise ValueError(f"OSC: no orthogonal variation left for component {k}; "
                             "use fewer components")
        weights = _sign_fixed(vt[:k].T)
        scores = Xc @ weights
        self.weights_ = weights
        self.scores_ = scores
        # P = X'T (T'T)^-1 column by column: the scores are mutually orthogonal
        self.loadings_ = Xc.T @ scores / np.sum(scores * scores, axis=0)
        return self

    def _transform(self, X: np.ndarray) -> np.ndarray:
        resid = X - self.mean_
        return X - (resid @ self.weights_) @ self.loadings_.T

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


def _differences(value: Any, n_features: int | None) -> np.ndarray | None:
    """``value`` as a (k, n_features) float array of finite difference spectra, or None."""
    if value is None:
        return None
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("EPO: differences must be a list of difference spectra (lists of "
                         "numbers)") from None
    arr = np.atleast_2d(arr)
    if arr.ndim != 2 or arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"EPO: differences must be one or more spectra of finite numbers; "
                         f"got shape {np.shape(value)}")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"EPO: differences have {arr.shape[1]} values per spectrum but the "
                         f"input has {n_features} columns; they must match")
    return arr


class EPO(OneToOneFeatureMixin, SpectralOperator):
    """External parameter orthogonalisation: project the spectra onto the orthogonal
    complement of the main directions of the difference spectra.

    J.-M. Roger, F. Chauchard, V. Bellon-Maurel, "EPO-PLS external parameter
    orthogonalisation of PLS application to temperature-independent measurement of sugar
    content of intact fruits", Chemometrics and Intelligent Laboratory Systems 66 (2003)
    191-204. The difference spectra D are spectra of the same samples under the levels of
    the external parameter minus their mean over the levels (for two instruments or two
    temperatures: x1 - x2 per sample); P holds the first ``n_components`` eigenvectors of
    D'D (the right singular vectors of D, not centred: D is already a deviation), and
    every spectrum becomes x (I - P P'). Nothing is learnt from the training spectra: fit
    only decomposes D and checks it is as wide as the spectra.

    Parameters
    ----------
    n_components : int, default 2
        Directions of D removed (at most the rank of D).
    differences : array-like of shape (n_differences, n_features)
        The difference spectra D (a list of spectra, one value per wavelength).

    Attributes
    ----------
    projection_ : (n_features, n_components) P (orthonormal columns)
    n_features_in_ : int
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "differences": ["array-like", None],
    }

    def __init__(self, n_components: int = 2, differences: ArrayLike | None = None) -> None:
        self.n_components = n_components
        self.differences = differences

    def _check_rules(self) -> None:
        _differences(self.differences, None)

    def _check_n_features(self, n_features: int) -> None:
        if self.differences is None:
            raise ValueError("EPO needs the difference spectra (differences: spectra of "
                             "the same samples under two levels of the external parameter, "
                             "subtracted)")
        _differences(self.differences, n_features)

    def _fit(self, X: np.ndarray) -> None:
        D = _differences(self.differences, X.shape[1])
        assert D is not None   # _check_n_features refused None
        _, sv, vt = np.linalg.svd(D, full_matrices=False)
        k = int(self.n_components)
        if k > sv.size or sv[k - 1] <= 1e-12 * max(float(sv[0]), 1e-300):
            rank = int(np.sum(sv > 1e-12 * max(float(sv[0]), 1e-300)))
            raise ValueError(f"EPO: n_components={k} but the {D.shape[0]} difference spectra "
                             f"span only {rank} direction(s); use at most {rank}")
        self.projection_ = _sign_fixed(vt[:k].T)

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return X - (X @ self.projection_) @ self.projection_.T
