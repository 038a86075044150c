"""More baseline removals: airPLS, arPLS, rubberband (convex hull) and modified polynomial.

Why several: no baseline algorithm suits every spectrum, and practitioners reach for the one
their lab validated. airPLS and arPLS are ALS's successors that choose their weights from the
residuals themselves (no asymmetry p to tune); the rubberband follows the lower convex hull
(no parameter at all); the modified polynomial (ModPoly) keeps a polynomial under the bands by
clipping the spectrum to it, iteratively. Each operator subtracts its baseline from the row.

airPLS and arPLS call pybaselines (BSD-3, the maintained implementations of the papers), one
spectrum at a time with one fitter set up per call; the rubberband and ModPoly are written here
on numpy/scipy, ModPoly vectorised over the rows. No pybaselines object is ever stored on an
operator, so fitted models hold numpy arrays only (the skops trusted-type list is unchanged).
"""
from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike
from scipy.spatial import ConvexHull, QhullError
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils._param_validation import Interval

from engine.operators._base import (
    SpectralOperator,
    check_axis_length,
    check_min_features,
    check_optional_axis,
)

__all__ = ["AirPLS", "ArPLS", "ModPoly", "Rubberband", "modpoly_baselines",
           "rubberband_baselines"]


def _penalised(method: str, X: np.ndarray, **params: Any) -> np.ndarray:
    """pybaselines' ``method`` baseline of every row (imported here: only these steps need
    it). Its "almost all points below the baseline" warning is not an error: the last
    baseline is kept, as pybaselines does."""
    from pybaselines import Baseline as Fitter  # type: ignore[import-untyped]

    fitter = Fitter(x_data=np.arange(X.shape[1], dtype=np.float64))
    solve = getattr(fitter, method)
    out = np.empty_like(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, row in enumerate(X):
            out[i] = solve(row, **params)[0]
    return out


class _PenalisedBaseline(OneToOneFeatureMixin, SpectralOperator):
    """Shared parameters and checks of the Whittaker-penalised baselines."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "lam": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
    }
    _method = ""
    lam: float
    max_iter: int
    tol: float

    def _check_n_features(self, n_features: int) -> None:
        check_min_features(type(self).__name__, n_features, 3,
                           "the second-difference penalty")

    def _transform(self, X: np.ndarray) -> np.ndarray:
        z = _penalised(self._method, X, lam=float(self.lam), max_iter=int(self.max_iter),
                       tol=float(self.tol))
        if not np.all(np.isfinite(z)):
            raise ValueError(f"{type(self).__name__}: the baseline is not finite for "
                             f"lam={self.lam!r}; use a smaller lam")
        return X - z


class AirPLS(_PenalisedBaseline):
    """Adaptive iteratively reweighted penalised least squares baseline (airPLS).

    Zhang, Chen & Liang, Analyst 135, 2010, 1138-1146, through ``pybaselines.Baseline.airpls``:
    a Whittaker smoother (second differences, smoothness ``lam``) whose weights are 0 where
    the row lies above the baseline and ``exp(i |d| / |sum of negative d|)`` where it lies
    below (i = iteration); it stops when the negative residuals' L1 norm falls under ``tol``
    times the row's L1 norm, or after ``max_iter`` iterations. As pybaselines documents, the
    weights follow the author's corrected equation 9 and the two end points get no special
    weight (the paper's MATLAB code set them).

    Parameters
    ----------
    lam : float
        Smoothness, > 0 (1e4 to 1e8 are typical; larger = stiffer).
    max_iter : int
        Maximum number of reweighting iterations, >= 1.
    tol : float
        Convergence threshold, > 0.
    """

    _method = "airpls"

    def __init__(self, lam: float = 1e6, max_iter: int = 50, tol: float = 1e-3) -> None:
        self.lam = lam
        self.max_iter = max_iter
        self.tol = tol


class ArPLS(_PenalisedBaseline):
    """Asymmetrically reweighted penalised least squares baseline (arPLS).

    Baek, Park, Ahn & Choo, Analyst 140, 2015, 250-257, through ``pybaselines.Baseline.arpls``:
    a Whittaker smoother whose weights are the logistic function
    ``1 / (1 + exp(2 (d - (2 s - m)) / s))`` of the residual d, with m and s the mean and
    standard deviation (ddof=1) of the negative residuals; it stops when the weights change
    by less than ``tol`` (relative norm) or after ``max_iter`` iterations.

    Parameters are those of :class:`AirPLS` (lam default 1e5).
    """

    _method = "arpls"

    def __init__(self, lam: float = 1e5, max_iter: int = 50, tol: float = 1e-3) -> None:
        self.lam = lam
        self.max_iter = max_iter
        self.tol = tol


def _ascending_axis(wavelengths: Any, n: int, owner: str) -> np.ndarray:
    axis = check_optional_axis(owner, "wavelengths", wavelengths)
    check_axis_length(owner, axis, n)
    return np.arange(n, dtype=np.float64) if axis is None else axis


def rubberband_baselines(X: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The lower convex hull of every row of ``X`` over the axis ``x``, linearly
    interpolated at every column (the "rubberband" stretched under the spectrum).

    ``x`` may be ascending or descending. A row whose points are all collinear (a constant
    or straight row: no 2-D hull exists) is its own baseline.
    """
    order = np.argsort(x, kind="stable")
    xs = x[order]
    out = np.empty_like(X)
    points = np.empty((xs.size, 2))
    points[:, 0] = xs
    for i, row in enumerate(X[:, order]):
        points[:, 1] = row
        try:
            vertices = ConvexHull(points).vertices   # counter-clockwise
        except QhullError:
            out[i, order] = np.interp(xs, xs[[0, -1]], row[[0, -1]])
            continue
        # counter-clockwise from the leftmost vertex runs along the bottom to the rightmost
        start = int(np.argmin(vertices))
        lower = np.roll(vertices, -start)
        lower = lower[:int(np.argmax(lower)) + 1]
        out[i, order] = np.interp(xs, xs[lower], row[lower])
    return out


class Rubberband(OneToOneFeatureMixin, SpectralOperator):
    """Subtract the rubberband baseline: the lower convex hull of each spectrum.

    Why: no parameter to tune, and the result is never negative; the classic baseline of
    FT-IR/NIR software (OPUS "rubberband correction"). Each row's hull is computed with
    scipy.spatial.ConvexHull (Qhull) and linearly interpolated between its vertices; the
    result is the same as ``pybaselines.Baseline.rubberband`` with its defaults.

    Parameters
    ----------
    wavelengths : array-like of shape (n_features,) or None
        The x axis, injected by the engine (``needs_wavelengths``); when None the column
        index is used (the same result for an evenly spaced axis).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "wavelengths": ["array-like", None],
    }
    needs_wavelengths = True

    def __init__(self, wavelengths: ArrayLike | None = None) -> None:
        self.wavelengths = wavelengths

    def _check_rules(self) -> None:
        check_optional_axis("Rubberband", "wavelengths", self.wavelengths)

    def _check_n_features(self, n_features: int) -> None:
        _ascending_axis(self.wavelengths, n_features, "Rubberband")

    def _transform(self, X: np.ndarray) -> np.ndarray:
        x = _ascending_axis(self.wavelengths, X.shape[1], "Rubberband")
        return X - rubberband_baselines(X, x)


def modpoly_baselines(X: np.ndarray, x: np.ndarray, order: int, tol: float = 1e-3,
                      max_iter: int = 250) -> np.ndarray:
    """Modified polynomial baselines of all rows (Lieber & Mahadevan-Jansen, Appl.
    Spectrosc. 57, 2003, 1363-1367).

    Each row y is fitted by a least-squares polynomial of degree ``order``; then, repeatedly,
    y is replaced by min(y, fit) and refitted, until the fit changes by less than ``tol``
    (``|new - old| / |old|``, Euclidean norms) or after ``max_iter`` refits. Rows converge
    independently (a converged row is no longer updated), exactly as
    ``pybaselines.Baseline.modpoly`` run row by row; the polynomial basis is orthonormalised
    on x mapped to [-1, 1], so all rows are fitted by two matrix products.
    """
    lo, hi = x.min(), x.max()
    t = (2.0 * x - (lo + hi)) / (hi - lo) if hi > lo else np.zeros_like(x)
    q, _ = np.linalg.qr(np.vander(t, order + 1, increasing=True))
    y = np.array(X, dtype=np.float64, copy=True)
    base = (y @ q) @ q.T
    active = np.ones(y.shape[0], dtype=bool)
    tiny = np.finfo(np.float64).eps
    for _ in range(max_iter):
        # whole-array passes (cheaper than gathering the active rows): a converged row's y
        # may still be clipped, but its baseline is no longer updated
        np.minimum(y, base, out=y)
        new = (y @ q) @ q.T
        change = np.linalg.norm(new - base, axis=1) / np.maximum(
            np.linalg.norm(base, axis=1), tiny)
        base[active] = new[active]
        active &= change >= tol
        if not active.any():
            break
    return base


class ModPoly(OneToOneFeatureMixin, SpectralOperator):
    """Subtract a modified polynomial baseline (iterative polynomial fit kept under the bands).

    Why: a plain polynomial fit (Detrend) passes through the bands and removes part of them;
    clipping the spectrum to the fit and refitting pushes the polynomial down to the
    baseline (Lieber & Mahadevan-Jansen 2003). See :func:`modpoly_baselines`.

    Parameters
    ----------
    order : int
        Polynomial degree, >= 0 (2 to 5 typical). The input needs more than ``order``
        columns.
    tol : float
        Convergence threshold on the relative change of the fit, > 0.
    max_iter : int
        Maximum number of refits, >= 1.
    wavelengths : array-like of shape (n_features,) or None
        The x axis, injected by the engine; None = the column index.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "order": [Interval(Integral, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "wavelengths": ["array-like", None],
    }
    needs_wavelengths = True

    def __init__(self, order: int = 2, tol: float = 1e-3, max_iter: int = 250,
                 wavelengths: ArrayLike | None = None) -> None:
        self.order = order
        self.tol = tol
        self.max_iter = max_iter
        self.wavelengths = wavelengths

    def _check_rules(self) -> None:
        axis = check_optional_axis("ModPoly", "wavelengths", self.wavelengths)
        if axis is not None and np.unique(axis).size <= self.order:
            raise ValueError(f"ModPoly: order={self.order} needs at least {self.order + 1} "
                             "distinct wavelengths")

    def _check_n_features(self, n_features: int) -> None:
        check_min_features("ModPoly", n_features, self.order + 1,
                           f"a polynomial of order {self.order}")
        _ascending_axis(self.wavelengths, n_features, "ModPoly")

    def _transform(self, X: np.ndarray) -> np.ndarray:
        x = _ascending_axis(self.wavelengths, X.shape[1], "ModPoly")
        return X - modpoly_baselines(X, x, int(self.order), float(self.tol),
                                     int(self.max_iter))
