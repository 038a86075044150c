"""Savitzky-Golay smoothing and derivatives along the wavelength axis.

Why: derivatives remove baseline offsets (1st) and slopes (2nd) and sharpen overlapping NIR
bands; the Savitzky-Golay filter does it on a local polynomial fit so noise is not amplified
as much as with plain finite differences. All rows are filtered at once by
``scipy.signal.savgol_filter(..., axis=1)``.
"""
from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from scipy.signal import savgol_filter
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils._param_validation import Interval

from engine.constraints import Choices
from engine.operators._base import SpectralOperator

__all__ = ["SAVGOL_MODES", "FirstDerivative", "SavitzkyGolay", "SecondDerivative"]

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
