"""airPLS, arPLS, rubberband and ModPoly against independent computations on tablet spectra:
the papers' algorithms written out with scipy.sparse (airPLS, arPLS), a monotone-chain lower
hull (rubberband) and pybaselines' own implementations run row by row (rubberband, ModPoly).

Differences from the papers, all as pybaselines documents them: airPLS uses the author's
corrected weighting (equation 9) and gives the two end points no special weight (the paper's
MATLAB code set them to the largest weight), and caps the iteration factor at 50; arPLS's
standard deviation has ddof=1, as MATLAB's std. The written-out references below follow that.
They solve with a sparse LU (spsolve), pybaselines with a banded Cholesky: the round-off of
the two solvers, amplified by the condition of W + lam D'D (weights near 0) over up to 51
reweightings, reaches 3e-9 (arPLS) and 2e-8 (airPLS at lam=1e6, whose weights run from 0
above the baseline to e^50 below it) on these spectra: arPLS is compared to 1e-8, airPLS 1e-7.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from pybaselines import Baseline as Fitter
from scipy import sparse
from scipy.sparse.linalg import spsolve

from engine.operators import AirPLS, ArPLS, ModPoly, Rubberband

TABLE = np.loadtxt("tests/data/tablet/X.csv", delimiter=",", max_rows=9)
WL, X = TABLE[0], TABLE[1:]


def penalty(n: int, lam: float) -> sparse.csc_matrix:
    D = sparse.diags([1.0, -2.0, 1.0], [0, 1, 2], shape=(n - 2, n))
    return (lam * (D.T @ D)).tocsc()


def arpls_paper(y: np.ndarray, lam: float, tol: float, max_iter: int) -> np.ndarray:
    """Baek et al. 2015, Analyst 140, 250, algorithm 1 (with max_iter + 1 solves)."""
    H, w = penalty(y.size, lam), np.ones(y.size)
    for _ in range(max_iter + 1):
        z = spsolve((sparse.diags(w) + H).tocsc(), w * y)
        d = y - z
        dn = d[d < 0]
        m, s = dn.mean(), dn.std(ddof=1)
        with np.errstate(over="ignore"):
            wt = 1.0 / (1.0 + np.exp(2.0 * (d - (2.0 * s - m)) / s))
        if np.linalg.norm(w - wt) / np.linalg.norm(w) < tol:
            break
        w = wt
    return z


def airpls_paper(y: np.ndarray, lam: float, tol: float, max_iter: int) -> np.ndarray:
    """Zhang et al. 2010, Analyst 135, 1138, with the corrected weights (see module doc)."""
    H, w = penalty(y.size, lam), np.ones(y.size)
    norm_y = np.abs(y).sum()
    for i in range(1, max_iter + 2):
        z = spsolve((sparse.diags(w) + H).tocsc(), w * y)
        d = y - z
        neg = d < 0
        dssn = abs(d[neg].sum())
        if dssn / norm_y < tol:
            break
        w = np.zeros(y.size)
        w[neg] = np.exp(min(i, 50) * np.abs(d[neg]) / dssn)
    return z


@pytest.mark.parametrize("lam,tol", [(1e5, 1e-3), (1e3, 1e-2)])
def test_arpls_is_the_papers_algorithm(lam: float, tol: float) -> None:
    out = ArPLS(lam=lam, tol=tol).fit_transform(X)
    expected = np.array([y - arpls_paper(y, lam, tol, 50) for y in X])
    np.testing.assert_allclose(out, expected, rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("lam,tol", [(1e6, 1e-3), (1e4, 1e-2)])
def test_airpls_is_the_papers_algorithm(lam: float, tol: float) -> None:
    out = AirPLS(lam=lam, tol=tol).fit_transform(X)
    expected = np.array([y - airpls_paper(y, lam, tol, 50) for y in X])
    np.testing.assert_allclose(out, expected, rtol=1e-7, atol=1e-7)


def lower_hull(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Andrew's monotone chain, lower half; collinear points dropped."""
    hull: list[int] = []
    for i in range(x.size):
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            cross = (x[b] - x[a]) * (y[i] - y[a]) - (y[b] - y[a]) * (x[i] - x[a])
            if cross > 0:
                break
            hull.pop()
        hull.append(i)
    return np.interp(x, x[hull], y[hull])


def test_rubberband_is_the_lower_convex_hull_and_pybaselines_rubberband() -> None:
    out = Rubberband(wavelengths=WL).fit_transform(X)
    expected = np.array([y - lower_hull(WL, y) for y in X])
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-12)
    fitter = Fitter(x_data=WL)
    np.testing.assert_allclose(out, np.array([y - fitter.rubberband(y)[0] for y in X]),
                               rtol=1e-9, atol=1e-12)
    assert out.min() >= -1e-12                       # the hull lies under every point


def test_rubberband_follows_a_descending_axis_and_keeps_straight_rows() -> None:
    out = Rubberband(wavelengths=WL[::-1]).fit_transform(X[:, ::-1])
    np.testing.assert_allclose(out[:, ::-1], Rubberband(wavelengths=WL).fit_transform(X),
                               atol=1e-12)
    line = np.vstack([np.full(20, 2.0), np.linspace(0, 1, 20)])
    np.testing.assert_allclose(Rubberband().fit_transform(line), 0.0, atol=1e-12)


@pytest.mark.parametrize("order,tol,max_iter", [(2, 1e-3, 250), (4, 1e-4, 100), (1, 1e-2, 5)])
def test_modpoly_equals_pybaselines_modpoly_row_by_row(order: int, tol: float,
                                                        max_iter: int) -> None:
    out = ModPoly(order=order, tol=tol, max_iter=max_iter, wavelengths=WL).fit_transform(X)
    fitter = Fitter(x_data=WL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = np.array([y - fitter.modpoly(y, poly_order=order, tol=tol,
                                                max_iter=max_iter)[0] for y in X])
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-9)


def test_modpoly_stays_under_the_bands_better_than_a_plain_fit() -> None:
    t = np.linspace(-1.0, 1.0, 300)
    base = 1.0 + 0.5 * t - 0.3 * t ** 2
    peaks = np.exp(-0.5 * ((t - 0.2) / 0.05) ** 2)
    spectrum = (base + peaks)[None, :]
    out = ModPoly(order=2, tol=1e-6, max_iter=500).fit_transform(spectrum)
    plain = spectrum - np.polyval(np.polyfit(t, spectrum[0], 2), t)
    assert np.mean(np.abs(out[0] - peaks)) < 0.5 * np.mean(np.abs(plain[0] - peaks))
    assert np.median(out[0][np.abs(t - 0.2) > 0.3]) < 0.05   # the baseline regions near 0


@pytest.mark.parametrize("cls", [AirPLS, ArPLS])
def test_penalised_baselines_need_three_columns(cls) -> None:
    with pytest.raises(ValueError, match="n_features=2"):
        cls().fit(np.ones((3, 2)))
