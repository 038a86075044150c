"""Signal conversion: reflectance or transmittance to absorbance, and Kubelka-Munk units.

Why: instruments export reflectance R (or transmittance T), but Beer-Lambert's law, which
makes a linear model such as PLS appropriate, holds for absorbance ``log10(1/R)``; for
strongly scattering powders the Kubelka-Munk function ``(1 - R)^2 / (2R)`` is the usual
linearising unit instead. Both are element-wise, so every row is converted at once.

Both are undefined for R <= 0 (and log10(1/R) is what a negative reflectance never has), so a
non-positive value is refused with one line naming its row, its column and, when the engine
has injected the axis, its wavelength; nothing is clipped silently.
"""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import OneToOneFeatureMixin

from engine.operators._base import SpectralOperator, check_axis_length, check_optional_axis

__all__ = ["Absorbance", "KubelkaMunk"]


class _ReflectanceConversion(OneToOneFeatureMixin, SpectralOperator):
    """Shared checks: values in percent or fractions, all > 0, named when they are not."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "percent": ["boolean"],
        "wavelengths": ["array-like", None],
    }
    needs_wavelengths = True
    percent: bool
    wavelengths: ArrayLike | None
    _what = ""

    def __sklearn_tags__(self) -> Any:
        """Declare that only positive values are valid input (sklearn's positive_only)."""
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags

    def _check_rules(self) -> None:
        check_optional_axis(type(self).__name__, "wavelengths", self.wavelengths)

    def _check_n_features(self, n_features: int) -> None:
        name = type(self).__name__
        check_axis_length(name, check_optional_axis(name, "wavelengths", self.wavelengths),
                          n_features)

    def _fit(self, X: np.ndarray) -> None:
        self._reflectance(X)

    def _reflectance(self, X: np.ndarray) -> np.ndarray:
        """R as a fraction (divided by 100 when ``percent``); ValueError naming the first
        value <= 0 (row and column counted from 0 in the rows this step received)."""
        bad = X <= 0.0
        if bad.any():
            row, col = (int(i) for i in np.argwhere(bad)[0])
            axis = check_optional_axis(type(self).__name__, "wavelengths", self.wavelengths)
            where = f"column {col}"
            if axis is not None and axis.size == X.shape[1]:
                where += f" (wavelength {axis[col]:g})"
            raise ValueError(f"{type(self).__name__}: {self._what} needs reflectance or "
                             f"transmittance > 0; {int(bad.sum())} value(s) are <= 0, the "
                             f"first at row {row}, {where}: {X[row, col]:g} (are these "
                             "spectra already absorbance?)")
        return X / 100.0 if self.percent else X


class Absorbance(_ReflectanceConversion):
    """Convert reflectance (or transmittance) R to absorbance ``A = log10(1 / R)``.

    Parameters
    ----------
    percent : bool
        True when the values are in percent (0..100): they are divided by 100 first.
    wavelengths : array-like of shape (n_features,) or None
        Injected by the engine (``needs_wavelengths``); used only to name the wavelength of
        a refused value.

    A value <= 0 is a ValueError naming its row and column (log10(1/R) is undefined there).
    """

    _what = "log10(1/R)"

    def __init__(self, percent: bool = False, wavelengths: ArrayLike | None = None) -> None:
        self.percent = percent
        self.wavelengths = wavelengths

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return -np.log10(self._reflectance(X))


class KubelkaMunk(_ReflectanceConversion):
    """Convert diffuse reflectance R to Kubelka-Munk units ``F(R) = (1 - R)^2 / (2R)``.

    Why: for optically thick scattering samples F(R) = K/S is proportional to the
    absorber's concentration (Kubelka & Munk 1931), as absorbance is for clear samples.

    Parameters are those of :class:`Absorbance`; a value <= 0 is refused the same way.
    """

    _what = "(1-R)^2/(2R)"

    def __init__(self, percent: bool = False, wavelengths: ArrayLike | None = None) -> None:
        self.percent = percent
        self.wavelengths = wavelengths

    def _transform(self, X: np.ndarray) -> np.ndarray:
        r = self._reflectance(X)
        return (1.0 - r) ** 2 / (2.0 * r)
