"""Smoothing along the wavelength axis: the Whittaker smoother and Gaussian smoothing.

Why: noise in NIR spectra is mostly high-frequency, while the bands are broad. The Whittaker
smoother (Eilers 2003) balances fidelity against roughness with one parameter and has no
window to choose and no edge artefacts; a Gaussian kernel is the smoothest moving average.
Both filter every row at once: the Whittaker system is the same for every spectrum, so it
is factorised once and solved for all rows together.
"""
from __future__ import annotations

from math import comb
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from scipy.linalg import solveh_banded
from scipy.ndimage import gaussian_filter1d
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils._param_validation import Interval

from engine.constraints import Choices
from engine.operators._base import SpectralOperator, check_min_features

__all__ = ["GAUSSIAN_MODES", "GaussianSmooth", "Whittaker", "difference_penalty_bands"]

#: Edge handling of the Gaussian filter (scipy.ndimage's names).
GAUSSIAN_MODES = ("nearest", "reflect", "mirror", "constant", "wrap")


def difference_penalty_bands(n: int, order: int) -> np.ndarray:
    """The upper bands of D'D for the (n - order, n) difference matrix D of ``order``.

    Returns ``bands`` of shape (order + 1, n) with ``bands[k, i] = (D'D)[i, i + k]``
    (zero where i + k >= n): D's rows are the signed binomial coefficients, so D'D is a
    symmetric band matrix of half-width ``order``.
    """
    coef = np.array([(-1.0) ** (order - j) * comb(order, j) for j in range(order + 1)])
    m = n - order
    bands = np.zeros((order + 1, n))
    for k in range(order + 1):
        for j in range(order + 1 - k):   # D[r, r + j] * D[r, r + j + k] lands on column r + j
            bands[k, j:j + m] += coef[j] * coef[j + k]
    return bands


class Whittaker(OneToOneFeatureMixin, SpectralOperator):
    """Whittaker smoother: each row x becomes the z minimising ``|x - z|^2 + lam |D z|^2``.

    Why: one parameter (``lam``) sets the smoothness; the penalty on the ``order``-th
    differences D z leaves polynomials of degree < order untouched (Eilers, Anal. Chem. 75,
    2003, 3631-3636).

    Parameters
    ----------
    lam : float
        Smoothness, > 0 (larger = smoother; typical 1 to 1e4 for NIR spectra).
    order : int
        Order of the differences penalised, 1 to 4 (2 is the usual choice).

    z solves ``(I + lam D'D) z = x``; the matrix is the same for every row, so one banded
    Cholesky solve handles all rows (scipy.linalg.solveh_banded). The input needs more
    than ``order`` columns.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "lam": [Interval(Real, 0, None, closed="neither")],
        "order": [Interval(Integral, 1, 4, closed="both")],
    }

    def __init__(self, lam: float = 100.0, order: int = 2) -> None:
        self.lam = lam
        self.order = order

    def _check_n_features(self, n_features: int) -> None:
        check_min_features("Whittaker", n_features, self.order + 1,
                           f"a difference penalty of order {self.order}")

    def _transform(self, X: np.ndarray) -> np.ndarray:
        n, d = X.shape[1], int(self.order)
        bands = float(self.lam) * difference_penalty_bands(n, d)
        upper = np.zeros((d + 1, n))       # solveh_banded's upper form: row d is the diagonal
        for k in range(d + 1):
            upper[d - k, k:] = bands[k, :n - k]
        upper[d] += 1.0
        return solveh_banded(upper, X.T, lower=False, check_finite=False).T


class GaussianSmooth(OneToOneFeatureMixin, SpectralOperator):
    """Convolve each row with a normalised Gaussian kernel of standard deviation ``sigma``.

    Parameters
    ----------
    sigma : float
        Standard deviation of the kernel in columns, > 0. The kernel is cut at 4 sigma.
    mode : {"nearest", "reflect", "mirror", "constant", "wrap"}
        How the row is extended past its ends (scipy.ndimage.gaussian_filter1d's modes;
        "nearest" repeats the end values).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "sigma": [Interval(Real, 0, None, closed="neither")],
        "mode": [Choices(*GAUSSIAN_MODES)],
    }

    def __init__(self, sigma: float = 2.0, mode: str = "nearest") -> None:
        self.sigma = sigma
        self.mode = mode

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return gaussian_filter1d(X, float(self.sigma), axis=1, mode=self.mode, truncate=4.0)
