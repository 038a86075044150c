"""Resampling of the spectra onto another wavelength axis (linear interpolation).

Why: spectra from two instruments, or from one instrument before and after a service, rarely
share their wavelengths; a model needs one common axis. Resample interpolates every row onto
a given axis (or a regular step) as a pipeline step, so the same resampling is applied
when the model predicts, and the engine's wavelength axis follows (``transform_wavelengths``).

Linear interpolation only between measured points: extrapolating past the measured range
would invent data, so a target wavelength outside it is refused (``outside="refuse"``,
the default, naming the wavelengths) or dropped (``outside="crop"``).
"""
from __future__ import annotations

from numbers import Real
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from engine.constraints import Choices
from engine.operators._base import (
    SpectralOperator,
    as_axis,
    check_axis_length,
    check_min_features,
    check_optional_axis,
)

__all__ = ["Resample"]

# Relative tolerance at the ends of the measured range (a target of 1100.0000000001 on an
# axis ending at 1100 is inside it, not an extrapolation).
_RTOL = 1e-9


class Resample(SpectralOperator):
    """Interpolate each spectrum linearly onto a new wavelength axis.

    Parameters
    ----------
    axis : array-like of shape (n_targets,) or None
        The target wavelengths (any order, kept as given).
    step : float or None
        Instead of ``axis``: a regular grid with this spacing, from the first input
        wavelength towards the last one (never past it). With neither axis nor step (the
        default), the grid is regular from the first to the last input wavelength with as
        many points as the input: an unevenly spaced axis made even. Giving both is refused.
    outside : {"refuse", "crop"}
        What to do with target wavelengths outside the measured range: "refuse" (a
        ValueError naming them) or "crop" (they are left out of the output).
    wavelengths : array-like of shape (n_features,) or None
        The wavelength of every input column, injected by the engine
        (``needs_wavelengths``); it must be strictly increasing or decreasing. When None,
        the column index is the input axis (axis and step are then in columns).

    The interpolation is between neighbouring input columns: resample before selecting
    windows (SelectRanges), not after, or a target inside a removed gap is interpolated
    across it.

    Attributes
    ----------
    target_ : ndarray of shape (n_outputs,)
        The wavelengths of the output columns.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "axis": ["array-like", None],
        "step": [None, Interval(Real, 0, None, closed="neither")],
        "outside": [Choices("refuse", "crop")],
        "wavelengths": ["array-like", None],
    }
    needs_wavelengths = True

    def __init__(self, axis: ArrayLike | None = None, step: float | None = None,
                 outside: str = "refuse", wavelengths: ArrayLike | None = None) -> None:
        self.axis = axis
        self.step = step
        self.outside = outside
        self.wavelengths = wavelengths

    def _check_rules(self) -> None:
        if self.axis is not None and self.step is not None:
            raise ValueError("Resample: give either axis (the target wavelengths) or step (a "
                             "regular spacing), not both")
        if self.axis is not None:
            as_axis("Resample", "axis", self.axis)
        axis = check_optional_axis("Resample", "wavelengths", self.wavelengths)
        if axis is not None:
            self._target(axis)

    def _check_n_features(self, n_features: int) -> None:
        check_min_features("Resample", n_features, 2, "interpolation")
        check_axis_length("Resample", check_optional_axis("Resample", "wavelengths",
                                                          self.wavelengths), n_features)

    def _input_axis(self, n_features: int) -> np.ndarray:
        axis = check_optional_axis("Resample", "wavelengths", self.wavelengths)
        return np.arange(n_features, dtype=np.float64) if axis is None else axis

    def _target(self, source: np.ndarray) -> np.ndarray:
        """The output wavelengths for the input axis ``source`` (ValueError as documented)."""
        steps = np.diff(source)
        if source.size < 2 or not (np.all(steps > 0) or np.all(steps < 0)):
            raise ValueError("Resample: the input wavelengths must be strictly increasing or "
                             "decreasing to interpolate between them")
        lo, hi = float(source.min()), float(source.max())
        tol = _RTOL * max(abs(lo), abs(hi), 1.0)
        if self.axis is None and self.step is None:
            return np.linspace(source[0], source[-1], source.size)
        if self.step is not None:
            step = float(self.step)
            count = int(np.floor((hi - lo) / step + 1e-9)) + 1
            sign = 1.0 if source[-1] > source[0] else -1.0
            return source[0] + sign * step * np.arange(count)
        target = as_axis("Resample", "axis", self.axis)
        inside = (target >= lo - tol) & (target <= hi + tol)
        if inside.all():
            return target
        if self.outside == "crop":
            if not inside.any():
                raise ValueError(f"Resample: no target wavelength lies inside the measured "
                                 f"range {lo:g} to {hi:g}")
            return target[inside]
        out = target[~inside]
        shown = ", ".join(f"{v:g}" for v in out[:5]) + (" ..." if out.size > 5 else "")
        raise ValueError(f"Resample: {out.size} target wavelength(s) lie outside the measured "
                         f"range {lo:g} to {hi:g} ({shown}); nirdesk does not extrapolate: "
                         "narrow the axis or set outside='crop'")

    def _fit(self, X: np.ndarray) -> None:
        source = self._input_axis(X.shape[1])
        target = self._target(source)
        order = np.argsort(source)
        xs = source[order]
        t = np.clip(target, xs[0], xs[-1])          # within the tolerance of the ends
        j = np.clip(np.searchsorted(xs, t, side="right") - 1, 0, xs.size - 2)
        self.target_ = target
        self.left_ = order[j]
        self.right_ = order[j + 1]
        self.weight_ = (t - xs[j]) / (xs[j + 1] - xs[j])

    def _transform(self, X: np.ndarray) -> np.ndarray:
        w = self.weight_
        return X[:, self.left_] * (1.0 - w) + X[:, self.right_] * w

    def transform_wavelengths(self, wavelengths: ArrayLike) -> np.ndarray:
        """The output axis for the input axis ``wavelengths`` (works before fitting)."""
        source = as_axis("Resample", "wavelengths", wavelengths)
        return self._target(source)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """One name per output column: its wavelength ("1100", "1102.5")."""
        check_is_fitted(self)
        return np.asarray([f"{v:g}" for v in self.target_], dtype=object)
