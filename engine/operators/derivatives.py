"""Savitzky-Golay and Norris-Williams (gap-segment) derivatives along the wavelength axis.

Why: derivatives remove baseline offsets (1st) and slopes (2nd) and sharpen overlapping NIR
bands; the Savitzky-Golay filter does it on a local polynomial fit so noise is not amplified
as much as with plain finite differences. All rows are filtered at once by
``scipy.signal.savgol_filter(..., axis=1)``. The Norris-Williams derivative (moving average
over a segment, then a difference across a gap) is the instrument software's classic
alternative (Foss WinISI, Unscrambler's "gap-segment").
"""
from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.signal import savgol_filter
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils._param_validation import Interval

from engine.constraints import Choices
from engine.operators._base import SpectralOperator

__all__ = ["SAVGOL_MODES", "FirstDerivative", "NorrisWilliams", "SavitzkyGolay",
           "SecondDerivative"]

#: Edge handling modes accepted by scipy.signal.savgol_filter.
SAVGOL_MODES = ("interp", "mirror", "nearest", "constant", "wrap")


def _savgol_constraints(min_polyorder: int) -> dict[str, list[Any]]:
    """The parameters every Savitzky-Golay operator shares; polyorder's floor differs."""
    return {
        "window_length": [Interval(Integral, 1, None, closed="left")],
        "polyorder": [Interval(Integral, min_polyorder, None, closed="left")],
        "delta": [Interval(Real, 0, None, closed="neither")],
        "mode": [Choices(*SAVGOL_MODES)],
    }


class _SavitzkyGolayBase(OneToOneFeatureMixin, SpectralOperator):
    """Shared validation and computation of the Savitzky-Golay operators.

    Subclasses define the constructor (sklearn reads the parameter names from it) and
    ``_deriv`` (the derivative order).
    """

    window_length: int
    polyorder: int
    delta: float
    mode: str

    def _deriv(self) -> int:
        raise NotImplementedError

    def _check_rules(self) -> None:
        """Raise ValueError unless window_length is odd and > polyorder and deriv <=
        polyorder (each value alone already satisfies ``_parameter_constraints``)."""
        name = type(self).__name__
        window, polyorder, deriv = self.window_length, self.polyorder, self._deriv()
        if window % 2 == 0:
            raise ValueError(f"{name}: window_length must be an odd integer >= 1; "
                             f"got {window}")
        if polyorder >= window:
            raise ValueError(f"{name}: polyorder must be < window_length "
                             f"(0 <= polyorder <= {window - 1}); got polyorder={polyorder} "
                             f"with window_length={window}")
        if deriv > polyorder:
            raise ValueError(f"{name}: deriv must be <= polyorder (0 <= deriv <= "
                             f"{polyorder}); got deriv={deriv} with polyorder={polyorder}")

    def _check_n_features(self, n_features: int) -> None:
        if self.window_length > n_features:
            largest = n_features if n_features % 2 else n_features - 1
            raise ValueError(f"{type(self).__name__}: window_length={self.window_length} "
                             f"is larger than the number of columns "
                             f"(n_features={n_features}); use an odd window_length <= "
                             f"{largest}")

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return savgol_filter(X, window_length=self.window_length, polyorder=self.polyorder,
                             deriv=self._deriv(), delta=float(self.delta), axis=1,
                             mode=self.mode)


class SavitzkyGolay(_SavitzkyGolayBase):
    """Savitzky-Golay smoothing (deriv=0) or derivative of each spectrum.

    Parameters
    ----------
    window_length : int
        Odd number of points of the moving window; must be > polyorder and at most the
        number of columns.
    polyorder : int
        Degree of the local polynomial, 0 <= polyorder < window_length.
    deriv : int
        Derivative order, 0 <= deriv <= polyorder (0 = smoothing only).
    delta : float
        Spacing between columns used to scale derivatives (> 0); 1.0 gives derivatives per
        column. Pass the wavelength step to get derivatives per wavelength unit.
    mode : {"interp", "mirror", "nearest", "constant", "wrap"}
        Edge handling, as in scipy.signal.savgol_filter.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_savgol_constraints(0),
        "deriv": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, window_length: int = 11, polyorder: int = 2, deriv: int = 0,
                 delta: float = 1.0, mode: str = "interp") -> None:
        self.window_length = window_length
        self.polyorder = polyorder
        self.deriv = deriv
        self.delta = delta
        self.mode = mode

    def _deriv(self) -> int:
        return int(self.deriv)


class FirstDerivative(_SavitzkyGolayBase):
    """First Savitzky-Golay derivative of each spectrum (SavitzkyGolay with deriv=1).

    Parameters are those of SavitzkyGolay without ``deriv``; polyorder must be >= 1.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = _savgol_constraints(1)

    def __init__(self, window_length: int = 11, polyorder: int = 2, delta: float = 1.0,
                 mode: str = "interp") -> None:
        self.window_length = window_length
        self.polyorder = polyorder
        self.delta = delta
        self.mode = mode

    def _deriv(self) -> int:
        return 1


class SecondDerivative(_SavitzkyGolayBase):
    """Second Savitzky-Golay derivative of each spectrum (SavitzkyGolay with deriv=2).

    Parameters are those of SavitzkyGolay without ``deriv``; polyorder must be >= 2.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = _savgol_constraints(2)

    def __init__(self, window_length: int = 11, polyorder: int = 3, delta: float = 1.0,
                 mode: str = "interp") -> None:
        self.window_length = window_length
        self.polyorder = polyorder
        self.delta = delta
        self.mode = mode

    def _deriv(self) -> int:
        return 2


class NorrisWilliams(OneToOneFeatureMixin, SpectralOperator):
    """Norris-Williams gap-segment derivative of each spectrum (Norris & Williams 1984).

    Why: the derivative NIR instruments' own software computes; the segment average smooths,
    the gap sets how far apart the differenced points are (Rinnan et al., TrAC 28, 2009,
    1201-1222, eq. 7-8).

    Parameters
    ----------
    gap : int
        Half-distance, in columns, between the differenced points, >= 1.
    segment : int
        Odd number of columns averaged (centred moving average) before differencing, >= 1
        (1 = no smoothing).
    order : {1, 2}
        Derivative order.

    With s the segment-averaged row and g the gap, the result at column i is
    ``(s[i+g] - s[i-g]) / (2g)`` (order 1) or ``(s[i+g] - 2 s[i] + s[i-g]) / g^2`` (order 2),
    i.e. per column, like SavitzkyGolay with delta=1. Past the ends of a row its first/last
    value is repeated (for the average and for the difference).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "gap": [Interval(Integral, 1, None, closed="left")],
        "segment": [Interval(Integral, 1, None, closed="left")],
        "order": [Interval(Integral, 1, 2, closed="both")],
    }

    def __init__(self, gap: int = 5, segment: int = 5, order: int = 1) -> None:
        self.gap = gap
        self.segment = segment
        self.order = order

    def _check_rules(self) -> None:
        if self.segment % 2 == 0:
            raise ValueError(f"NorrisWilliams: segment must be an odd integer >= 1 (a "
                             f"centred average); got {self.segment}")

    def _transform(self, X: np.ndarray) -> np.ndarray:
        g = int(self.gap)
        smooth = uniform_filter1d(X, int(self.segment), axis=1, mode="nearest")
        padded = np.pad(smooth, ((0, 0), (g, g)), mode="edge")
        after, before = padded[:, 2 * g:], padded[:, :-2 * g]
        if self.order == 1:
            return (after - before) / (2.0 * g)
        return (after - 2.0 * smooth + before) / float(g * g)
