"""Norris-Williams, Whittaker and Gaussian smoothing against independent computations: the
gap-segment formula with explicit loops, the Whittaker system solved densely with
np.linalg.solve, and an explicitly built Gaussian kernel convolved with np.convolve."""
from __future__ import annotations

import numpy as np
import pytest

from engine.operators import GaussianSmooth, NorrisWilliams, Whittaker

TABLE = np.loadtxt("tests/data/tablet/X.csv", delimiter=",", max_rows=11)
X = TABLE[1:]


def norris_williams_loops(x: np.ndarray, gap: int, segment: int, order: int) -> np.ndarray:
    n, h = x.size, segment // 2
    s = np.array([np.mean([x[min(max(j, 0), n - 1)] for j in range(i - h, i + h + 1)])
                  for i in range(n)])
    out = np.empty(n)
    for i in range(n):
        after, before = s[min(i + gap, n - 1)], s[max(i - gap, 0)]
        out[i] = (after - before) / (2 * gap) if order == 1 else \
            (after - 2 * s[i] + before) / gap ** 2
    return out


@pytest.mark.parametrize("gap,segment,order", [(1, 1, 1), (5, 5, 1), (3, 7, 2), (10, 1, 2)])
def test_norris_williams_matches_the_gap_segment_formula(gap: int, segment: int,
                                                         order: int) -> None:
    out = NorrisWilliams(gap=gap, segment=segment, order=order).fit_transform(X)
    expected = np.array([norris_williams_loops(x, gap, segment, order) for x in X])
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-12)


def test_norris_williams_of_a_line_is_its_slope_and_even_segment_is_refused() -> None:
    line = 0.5 + 0.01 * np.arange(50.0)
    out = NorrisWilliams(gap=3, segment=5).fit_transform(line[None, :])
    np.testing.assert_allclose(out[0, 5:-5], 0.01, rtol=1e-9)
    with pytest.raises(ValueError, match="segment must be an odd"):
        NorrisWilliams(segment=4).check_params()


@pytest.mark.parametrize("lam,order", [(1.0, 1), (100.0, 2), (1e4, 2), (50.0, 3)])
def test_whittaker_solves_the_penalised_system(lam: float, order: int) -> None:
    n = X.shape[1]
    D = np.diff(np.eye(n), order, axis=0)
    expected = np.linalg.solve(np.eye(n) + lam * D.T @ D, X.T).T
    out = Whittaker(lam=lam, order=order).fit_transform(X)
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-10)


def test_whittaker_keeps_polynomials_below_its_order_and_needs_columns() -> None:
    t = np.linspace(-1, 1, 40)
    np.testing.assert_allclose(Whittaker(lam=1e6, order=2).fit_transform(
        (0.3 + 2 * t)[None, :]), (0.3 + 2 * t)[None, :], atol=1e-9)
    with pytest.raises(ValueError, match="n_features=2"):
        Whittaker(order=2).fit(np.ones((3, 2)))


@pytest.mark.parametrize("sigma,mode,pad", [(1.0, "nearest", "edge"), (2.5, "reflect",
                                                                       "symmetric"),
                                            (4.0, "mirror", "reflect")])
def test_gaussian_smooth_is_the_normalised_kernel(sigma: float, mode: str, pad: str) -> None:
    radius = int(4.0 * sigma + 0.5)
    k = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (k / sigma) ** 2)
    kernel /= kernel.sum()
    expected = np.array([np.convolve(np.pad(x, radius, mode=pad), kernel, mode="valid")
                         for x in X])
    out = GaussianSmooth(sigma=sigma, mode=mode).fit_transform(X)
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-12)
