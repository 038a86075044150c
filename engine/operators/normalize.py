"""Row normalisation of spectra.

Why: divides each spectrum by a size measure so that path length or sample amount
differences do not dominate the model; all rows are scaled at once.
"""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.base import OneToOneFeatureMixin

from engine.constraints import Choices
from engine.operators._base import SpectralOperator

__all__ = ["NORMALIZE_METHODS", "Normalize"]

#: Accepted values of Normalize(method=...).
NORMALIZE_METHODS = ("vector", "area", "max")


class Normalize(OneToOneFeatureMixin, SpectralOperator):
    """Divide each row by its norm.

    Parameters
    ----------
    method : {"vector", "area", "max"}
        "vector": Euclidean (L2) norm, ``sqrt(sum(x**2))``;
        "area": sum of absolute values, ``sum(|x|)`` (the L1 norm: the area under |x| with
        unit column spacing, independent of the wavelength axis, never cancelled by
        negative parts as a signed trapezoid area would be);
        "max": largest absolute value, ``max(|x|)``.

    A row whose norm is 0 (all zeros) is returned unchanged instead of dividing by zero,
    as sklearn.preprocessing.normalize does.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "method": [Choices(*NORMALIZE_METHODS)],
    }

    def __init__(self, method: str = "vector") -> None:
        self.method = method

    def _transform(self, X: np.ndarray) -> np.ndarray:
        if self.method == "vector":
            norm = np.linalg.norm(X, axis=1)
        elif self.method == "area":
            norm = np.abs(X).sum(axis=1)
        else:
            norm = np.abs(X).max(axis=1)
        norm = np.where(norm == 0.0, 1.0, norm)
        return X / norm[:, None]
