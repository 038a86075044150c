"""The numeric range nirdesk computes with: finite values no larger than MAX_ABS_VALUE.

Why a bound on finite values: 1e300 is a valid float, but the first thing every model does
is square and sum it (centring, variances, X'X), which overflows to inf; the run then failed
deep in a solver ("A has a NaN entry") and predict returned the same meaningless number for
every spectrum. No measurement comes near 1e100 (absorbance, reflectance, counts), and
squares of values up to it summed over a billion cells stay far inside float64 (1.8e308),
so a value beyond it is a broken export, refused where it is read with its file, row and
column, like NaN.
"""
from __future__ import annotations

import numpy as np

__all__ = ["MAX_ABS_VALUE", "first_out_of_range", "out_of_range_message"]

#: the largest magnitude accepted in spectra and numeric targets
MAX_ABS_VALUE = 1e100


def first_out_of_range(values: np.ndarray) -> tuple[int, ...] | None:
    """The index of the first finite value of ``values`` beyond ±MAX_ABS_VALUE, or None."""
    if values.size == 0 or (values.max() <= MAX_ABS_VALUE and values.min() >= -MAX_ABS_VALUE):
        return None    # two reductions without temporaries: the common case of a large block
    big = np.abs(values) > MAX_ABS_VALUE
    if not big.any():
        return None
    return tuple(int(k) for k in np.argwhere(big)[0])


def out_of_range_message(text: str) -> str:
    """The refusal of one value (``text`` as written in the file, or formatted)."""
    return (f"{text!r} is too large to compute with (values beyond ±{MAX_ABS_VALUE:g} overflow "
            "when squared; check the export or rescale the data)")
