"""Baseline removal: polynomial detrending and asymmetric least squares (ALS).

Why: NIR spectra carry smooth, sample-specific baselines (scatter, temperature, instrument
drift) that are unrelated to the chemistry. Both operators estimate such a baseline for each
row and subtract it, computing all rows at once (no loop over samples).
"""
from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils._param_validation import Interval

from engine.constraints import Choices
from engine.operators._base import (
    SpectralOperator,
    check_axis_length,
    check_min_features,
    check_optional_axis,
)

__all__ = ["Baseline", "Detrend", "als_baseline"]


class Detrend(OneToOneFeatureMixin, SpectralOperator):
    """Subtract from each row its least-squares polynomial trend of degree ``order``.

    Why: removes curvilinear baselines (order 1: offset + slope, order 2: + curvature);
    classically applied after SNV.

    Parameters
    ----------
    order : int
        Polynomial degree, >= 0 (0 only removes the mean). The input needs more than
        ``order`` columns.
    wavelengths : array-like of shape (n_features,) or None
        The x axis of the polynomial. ``needs_wavelengths`` is True, so the engine injects
        the axis of the input columns with ``set_params`` before fitting. When None, the
        column index is used; the result is the same for an evenly spaced axis and differs
        only for unevenly spaced wavelengths.

    The trend is the orthogonal projection of every row on the span of the polynomials,
    computed for all rows with one QR decomposition of the (rescaled) Vandermonde matrix;
    the x axis is mapped to [-1, 1] first, which keeps high orders well conditioned without
    changing the result.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "order": [Interval(Integral, 0, None, closed="left")],
        "wavelengths": ["array-like", None],
    }
    needs_wavelengths = True

    def __init__(self, order: int = 1, wavelengths: ArrayLike | None = None) -> None:
        self.order = order
        self.wavelengths = wavelengths

    def _check_rules(self) -> None:
        """Raise ValueError unless wavelengths is None or a finite 1-D axis with more
        distinct values than ``order``."""
        axis = check_optional_axis("Detrend", "wavelengths", self.wavelengths)
        if axis is not None and np.unique(axis).size <= self.order:
            raise ValueError(f"Detrend: order={self.order} needs at least {self.order + 1} "
                             "distinct wavelengths")

    def _check_n_features(self, n_features: int) -> None:
        check_min_features("Detrend", n_features, self.order + 1,
                           f"a polynomial of order {self.order}")
        check_axis_length("Detrend", check_optional_axis("Detrend", "wavelengths",
                                                         self.wavelengths), n_features)

    def _basis(self, n_features: int) -> np.ndarray:
        """Orthonormal basis (n_features, order + 1) of the polynomials up to ``order``."""
        if self.wavelengths is None:
            x = np.arange(n_features, dtype=np.float64)
        else:
            x = np.asarray(self.wavelengths, dtype=np.float64)
        lo, hi = x.min(), x.max()
        t = (2.0 * x - (lo + hi)) / (hi - lo) if hi > lo else np.zeros_like(x)
        vander = np.vander(t, self.order + 1, increasing=True)
        q, _ = np.linalg.qr(vander)
        return q

    def _transform(self, X: np.ndarray) -> np.ndarray:
        q = self._basis(X.shape[1])
        return X - (X @ q) @ q.T


def _second_difference_bands(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three non-zero bands of D'D for the (n-2, n) second-difference matrix D.

    Returns (main, first, second): main[i] = (D'D)[i, i], first[i] = (D'D)[i+1, i] and
    second[i] = (D'D)[i+2, i] (zero-padded to length n), i.e. 1 5 6 ... 6 5 1,
    -2 -4 ... -4 -2 and 1 ... 1 for n >= 4.
    """
    coef = np.array([1.0, -2.0, 1.0])
    m = n - 2
    main = np.zeros(n)
    first = np.zeros(n)
    second = np.zeros(n)
    for k in range(3):               # D[r, r + k] = coef[k] for r in 0..m-1
        main[k:k + m] += coef[k] ** 2
    for k in range(2):
        first[k:k + m] += coef[k] * coef[k + 1]
    second[:m] += coef[0] * coef[2]
    return main, first, second


def _solve_pentadiagonal_spd(main: np.ndarray, first: np.ndarray, second: np.ndarray,
                             rhs: np.ndarray) -> np.ndarray:
    """Solve many symmetric positive definite pentadiagonal systems at once.

    System j (one per row of ``rhs``) has matrix A_j with diagonal ``main[j]``,
    A_j[i+1, i] = ``first[i]`` and A_j[i+2, i] = ``second[i]`` (the off-diagonal bands are
    shared by all systems). A banded LDL' factorisation, forward and back substitution are
    run together for all systems: the Python loop runs over the n columns, every step is a
    numpy operation on the whole batch. No pivoting is needed since A_j is SPD.

    main, rhs : (n_systems, n) ; first, second : (n,) ; returns (n_systems, n).
    """
    n_sys, n = rhs.shape
    # Work on (n, n_sys) arrays so that each step touches one contiguous row; two
    # leading zero rows let the recurrences run without special cases at i = 0, 1.
    a0 = np.ascontiguousarray(main.T)
    b = np.ascontiguousarray(rhs.T)
    d = np.zeros((n + 2, n_sys))     # D of LDL' (shifted by 2)
    e = np.zeros((n + 2, n_sys))     # L[i+1, i]
    f = np.zeros((n + 2, n_sys))     # L[i+2, i]
    u = np.zeros((n + 2, n_sys))     # solution of L u = b
    for i in range(n):
        k = i + 2
        e1, f2 = e[k - 1], f[k - 2]
        d_i = a0[i] - e1 * e1 * d[k - 1] - f2 * f2 * d[k - 2]
        d[k] = d_i
        u[k] = b[i] - e1 * u[k - 1] - f2 * u[k - 2]
        e[k] = (first[i] - f[k - 1] * e1 * d[k - 1]) / d_i
        f[k] = second[i] / d_i
    v = u[2:] / d[2:]
    z = np.zeros((n + 2, n_sys))     # solution of L' z = v (two trailing zero rows)
    for i in range(n - 1, -1, -1):
        z[i] = v[i] - e[i + 2] * z[i + 1] - f[i + 2] * z[i + 2]
    return z[:n].T


def als_baseline(X: np.ndarray, lam: float = 1e5, p: float = 0.01,
                 n_iter: int = 10) -> np.ndarray:
    """Asymmetric least squares baselines of all rows of ``X`` (Eilers & Boelens, 2005).

    For each row y, iterate ``n_iter`` times: solve (W + lam D'D) z = W y, with D the
    second-difference matrix and W = diag(w), then set w = p where y > z and 1 - p
    elsewhere (ties get 1 - p, so that no weight is ever 0); start with w = 1. Returns the
    last z of every row, shape of X. All rows are solved together by a batched banded
    LDL' solver; no loop over samples.
    """
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[1]
    dtd_main, dtd_first, dtd_second = _second_difference_bands(n)
    first = lam * dtd_first
    second = lam * dtd_second
    w = np.ones_like(X)
    z = X
    for _ in range(n_iter):
        z = _solve_pentadiagonal_spd(w + lam * dtd_main, first, second, w * X)
        w = np.where(z < X, p, 1.0 - p)
    return z


class Baseline(OneToOneFeatureMixin, SpectralOperator):
    """Subtract an asymmetric least squares (ALS) baseline from each spectrum.

    Why: ALS (Eilers & Boelens 2005) fits a smooth curve that stays below the absorption
    bands (points above the curve get the small weight ``p``), so it removes curved
    baselines of any shape without a polynomial model. Returns ``x - z``.

    Parameters
    ----------
    method : {"als"}
        Baseline algorithm; only "als" for now (kept as a parameter so that specs stay
        valid when other methods are added).
    lam : float
        Smoothness penalty, > 0 (typically 1e2 to 1e9; larger = stiffer baseline).
    p : float
        Asymmetry, in (0, 1): weight of the points above the baseline (typically 0.001 to
        0.1); 1 - p is the weight of the points below.
    n_iter : int
        Number of reweighting iterations (linear solves), >= 1.

    Each spectrum has its own weights, so every row has its own pentadiagonal system; they
    are solved together by a batched banded LDL' factorisation (see ``als_baseline``).
    The input needs at least 3 columns.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "method": [Choices("als")],
        "lam": [Interval(Real, 0, None, closed="neither")],
        "p": [Interval(Real, 0, 1, closed="neither")],
        "n_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, method: str = "als", lam: float = 1e5, p: float = 0.01,
                 n_iter: int = 10) -> None:
        self.method = method
        self.lam = lam
        self.p = p
        self.n_iter = n_iter

    def _check_n_features(self, n_features: int) -> None:
        check_min_features("Baseline", n_features, 3, "the ALS second-difference penalty")

    def _transform(self, X: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            z = als_baseline(X, lam=float(self.lam), p=float(self.p), n_iter=int(self.n_iter))
        if not np.all(np.isfinite(z)):
            raise ValueError(f"Baseline: the ALS system is numerically singular for "
                             f"lam={self.lam!r}; use a smaller lam")
        return X - z
