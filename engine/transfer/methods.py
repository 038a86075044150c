"""The fitted transfers that travel inside a saved model.

Why estimators: a transfer is only useful if ``nirdesk predict`` applies it every time, so it
becomes part of the saved model itself. DS and PDS are transformers put in front of the
branch's fitted pipeline (secondary spectra in, spectra in the primary's space out); the
slope/bias correction wraps the branch's final model and corrects what it predicts. Both
save and load through skops with nirdesk's explicit trusted-type list (engine.store.trusted),
like every other step; their fitted state is plain numpy arrays.

Direct Standardisation (Wang, Veltkamp & Kowalski, Anal. Chem. 1991, 63, 2750-2756): with
the transfer samples' spectra S1 (primary) and S2 (secondary), both mean-centred,

    F = pinv(S2 - m2) (S1 - m1),        x1_hat = (x2 - m2) F + m1

one full p x p matrix. Piecewise DS (the same paper; Bouveresse & Massart, Vib. Spectrosc.
1996, 11, 3-15) regresses each primary channel i only on the secondary channels of a window
centred on i, so that each local regression has few unknowns for few samples; the local
vectors form a banded F. ``tolerance`` truncates each pseudo-inverse: singular values below
``tolerance`` x the largest one are discarded (a truncated-SVD regression, the usual remedy
for windows or full spectra with more channels than transfer samples).

Slope/bias correction (Bouveresse, Hartmann, Massart, Last & Prebble, Anal. Chem. 1996, 68,
982-990): the model's predictions of the transfer samples' secondary spectra are regressed on
what it predicts from their primary spectra, y1_hat = bias + slope y2_hat (least squares), and
that line is applied to every later prediction.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

__all__ = ["DirectStandardisation", "PiecewiseDirectStandardisation", "SlopeBiasCorrected",
           "calibration_model", "local_pinv", "slope_bias"]


def local_pinv(a: np.ndarray, tolerance: float | None) -> np.ndarray:
    """The pseudo-inverse of ``a`` keeping singular values above ``tolerance`` x the largest.

    None: the plain pseudo-inverse, with the round-off cut-off max(m, n) x machine epsilon
    (LAPACK's and numpy.linalg.lstsq's). Not numpy.pinv's fixed 1e-15: mean-centred transfer
    spectra always have one singular value that is pure round-off (n rows, rank n - 1), and
    inverting it would amplify noise by ~1e14."""
    cut = max(a.shape) * np.finfo(np.float64).eps if tolerance is None else float(tolerance)
    return np.linalg.pinv(a, rcond=cut)


def _pair(X_secondary: Any, X_primary: Any) -> tuple[np.ndarray, np.ndarray]:
    X2 = np.asarray(X_secondary, dtype=np.float64)
    X1 = np.asarray(X_primary, dtype=np.float64)
    if X2.ndim != 2 or X1.shape != X2.shape:
        raise ValueError(f"the secondary spectra {X2.shape} and the primary spectra {X1.shape} "
                         "must have the same rows and wavelengths")
    if X2.shape[0] < 2:
        raise ValueError(f"a transfer needs at least 2 transfer samples, got {X2.shape[0]}")
    if not (np.all(np.isfinite(X1)) and np.all(np.isfinite(X2))):
        raise ValueError("the transfer spectra hold NaN or infinite values")
    return X2, X1


class _Standardisation(TransformerMixin, BaseEstimator):
    """x1_hat = (x2 - secondary_mean_) @ F_ + primary_mean_ (the shared form of DS and PDS).

    ``fit(X_secondary, X_primary)``: the secondary spectra are X (what the transform is
    applied to) and the primary spectra of the same samples are the "target", as in
    scikit-learn's supervised transformers.
    """

    tolerance: float | None

    def fit(self, X: Any, y: Any) -> _Standardisation:
        X2, X1 = _pair(X, y)
        self.secondary_mean_ = X2.mean(axis=0)
        self.primary_mean_ = X1.mean(axis=0)
        self.F_ = self._coefficients(X2 - self.secondary_mean_, X1 - self.primary_mean_)
        self.n_features_in_ = X2.shape[1]
        self.n_standards_ = X2.shape[0]
        return self

    def _coefficients(self, c2: np.ndarray, c1: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "F_")
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"the spectra have {X.shape[-1]} wavelengths, the transfer was "
                             f"fitted on {self.n_features_in_}")
        return (X - self.secondary_mean_) @ self.F_ + self.primary_mean_


class DirectStandardisation(_Standardisation):
    """Direct Standardisation (Wang, Veltkamp & Kowalski 1991): one p x p matrix F from the
    mean-centred transfer spectra, F = pinv(S2c) S1c (module docstring).

    tolerance  relative singular-value cut-off of the pseudo-inverse (None: the plain one)
    """

    def __init__(self, tolerance: float | None = None) -> None:
        self.tolerance = tolerance

    def _coefficients(self, c2: np.ndarray, c1: np.ndarray) -> np.ndarray:
        return local_pinv(c2, self.tolerance) @ c1


class PiecewiseDirectStandardisation(_Standardisation):
    """Piecewise Direct Standardisation (Wang et al. 1991; Bouveresse & Massart 1996): primary
    channel i regressed on the secondary channels i - window//2 .. i + window//2 (cut at the
    ends of the axis), mean-centred, with a truncated pseudo-inverse per window.

    window     odd number of secondary channels per primary channel (>= 1)
    tolerance  relative singular-value cut-off of each window's pseudo-inverse
    """

    def __init__(self, window: int = 5, tolerance: float | None = 0.01) -> None:
        self.window = window
        self.tolerance = tolerance

    def _coefficients(self, c2: np.ndarray, c1: np.ndarray) -> np.ndarray:
        window = int(self.window)
        if window < 1 or window % 2 == 0:
            raise ValueError(f"the PDS window must be an odd number of channels >= 1, "
                             f"not {self.window}")
        p = c2.shape[1]
        half = window // 2
        banded = np.zeros((p, p), dtype=np.float64)
        for i in range(p):
            lo, hi = max(0, i - half), min(p, i + half + 1)
            banded[lo:hi, i] = local_pinv(c2[:, lo:hi], self.tolerance) @ c1[:, i]
        return banded


def calibration_model(model: Any) -> Any:
    """``model`` as it applies to the PRIMARY instrument's spectra: a transferred model
    (engine.transfer.fit) without its leading DS/PDS step and with its final model unwrapped
    from a slope/bias correction; any other model unchanged.

    Why: a transferred model reads secondary spectra, but its calibration spectra (the run's
    training rows, which the Results diagnostics and the Predict view's T² vs Q plot place in
    the model's space) were measured on the primary; passed through the transfer they would
    land somewhere they never were.
    """
    steps = getattr(model, "steps", None)
    if not steps:
        return model.estimator if isinstance(model, SlopeBiasCorrected) else model
    kept = [(name, step) for name, step in steps if not isinstance(step, _Standardisation)]
    name, final = kept[-1]
    if isinstance(final, SlopeBiasCorrected):
        kept[-1] = (name, final.estimator)
    if len(kept) == len(steps) and kept[-1][1] is steps[-1][1]:
        return model
    from sklearn.pipeline import Pipeline

    return Pipeline(kept)


def slope_bias(predicted_secondary: Any, predicted_primary: Any) -> tuple[np.ndarray, np.ndarray]:
    """(slope, bias) per output of the least-squares line y1_hat = bias + slope y2_hat."""
    y2 = np.asarray(predicted_secondary, dtype=np.float64)
    y1 = np.asarray(predicted_primary, dtype=np.float64)
    y2 = y2.reshape(len(y2), -1)
    y1 = y1.reshape(len(y1), -1)
    if y2.shape != y1.shape or y2.shape[0] < 2:
        raise ValueError("a slope/bias correction needs at least 2 paired predictions")
    slope = np.empty(y2.shape[1])
    bias = np.empty(y2.shape[1])
    for j in range(y2.shape[1]):
        centred = y2[:, j] - y2[:, j].mean()
        spread = float(centred @ centred)
        if spread <= 1e-12 * max(1.0, float(np.abs(y2[:, j]).max()) ** 2):
            raise ValueError("the transfer samples' predictions do not vary: a slope cannot be "
                             "fitted (choose samples that span the target's range)")
        slope[j] = float(centred @ (y1[:, j] - y1[:, j].mean())) / spread
        bias[j] = y1[:, j].mean() - slope[j] * y2[:, j].mean()
    return slope, bias


class SlopeBiasCorrected(RegressorMixin, BaseEstimator):
    """A fitted regressor whose predictions are corrected: bias_ + slope_ * estimator.predict(X).

    Built by :meth:`from_transfer` around an already fitted model (it is never refitted here:
    ``fit`` refits the inner estimator and keeps the correction, for scikit-learn's API).
    ``pls_`` exposes the inner PLS so that the model's diagnostics (T², Q) still find it.
    """

    def __init__(self, estimator: Any = None) -> None:
        self.estimator = estimator

    @classmethod
    def from_transfer(cls, estimator: Any, predicted_secondary: Any, predicted_primary: Any
                      ) -> SlopeBiasCorrected:
        corrected = cls(estimator)
        corrected.slope_, corrected.bias_ = slope_bias(predicted_secondary, predicted_primary)
        if hasattr(estimator, "n_features_in_"):
            corrected.n_features_in_ = estimator.n_features_in_
        return corrected

    def fit(self, X: Any, y: Any) -> SlopeBiasCorrected:
        self.estimator.fit(X, y)
        if not hasattr(self, "slope_"):
            self.slope_, self.bias_ = np.ones(1), np.zeros(1)
        return self

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "slope_")
        raw = np.asarray(self.estimator.predict(X), dtype=np.float64)
        if raw.ndim == 1:
            return self.bias_[0] + self.slope_[0] * raw
        return self.bias_ + self.slope_ * raw

    @property
    def pls_(self) -> Any:
        """The inner PLSRegression (engine.diagnostics.pls.pls_of looks for ``pls_``)."""
        inner = self.estimator
        from sklearn.cross_decomposition import PLSRegression

        if isinstance(inner, PLSRegression):
            return inner
        return getattr(inner, "pls_", None)
