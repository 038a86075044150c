"""Cross-validation splitters nirdesk adds to scikit-learn's.

Why Kennard-Stone: with few reference samples, chemometricians pick the calibration set so
that it spans the spectral space (each new sample is the one farthest from those already
chosen); the rest becomes the validation set. It is deterministic, so it is one split.
"""
from __future__ import annotations

from collections.abc import Iterator
from numbers import Integral
from typing import Any, ClassVar

import numpy as np
from sklearn.metrics import pairwise_distances, pairwise_distances_chunked
from sklearn.metrics.pairwise import distance_metrics
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils import indexable
from sklearn.utils._param_validation import Interval, RealNotInt
from sklearn.utils.validation import check_array

from engine.constraints import Choices, check_constraints

__all__ = ["KennardStoneSplit", "kennard_stone"]

#: Metrics accepted by name (sklearn's own plus common scipy ones pairwise_distances takes).
#: ("precomputed", "haversine" and "nan_euclidean" make no sense for whole spectra.)
KS_METRICS: tuple[str, ...] = tuple(sorted(
    (set(distance_metrics()) - {"precomputed", "haversine", "nan_euclidean"})
    | {"braycurtis", "canberra", "chebyshev", "correlation", "minkowski", "sqeuclidean"}))


def _farthest_pair(X: np.ndarray, metric: str) -> tuple[int, int]:
    """Indices (i, j), i < j, of the two most distant rows; first pair in row-major order on
    ties. Chunked so memory stays bounded for many samples."""
    best, pair, start = -np.inf, (0, 1), 0
    for chunk in pairwise_distances_chunked(X, metric=metric):
        flat = int(np.argmax(chunk))
        r, c = divmod(flat, chunk.shape[1])
        if chunk[r, c] > best:
            best, pair = chunk[r, c], (start + r, c)
        start += chunk.shape[0]
    i, j = pair
    return (i, j) if i < j else (j, i)


def kennard_stone(X: Any, n_select: int, metric: str = "euclidean") -> np.ndarray:
    """Kennard-Stone selection of ``n_select`` rows of X, in selection order.

    Starts with the two most distant rows; then repeatedly adds the row whose distance to
    its nearest selected row is largest (ties: lowest index). One pass over the samples per
    selected sample (vectorised), O(n_select * n) distances, no n x n matrix kept.
    """
    X = check_array(X, dtype=np.float64)
    n = X.shape[0]
    if not 2 <= n_select <= n:
        raise ValueError(f"Kennard-Stone needs 2 <= n_select <= n_samples ({n}); "
                         f"got {n_select}")
    first, second = _farthest_pair(X, metric)
    selected = np.empty(n_select, dtype=np.intp)
    selected[:2] = first, second
    nearest = np.minimum(pairwise_distances(X, X[[first]], metric=metric)[:, 0],
                         pairwise_distances(X, X[[second]], metric=metric)[:, 0])
    nearest[[first, second]] = -np.inf
    for k in range(2, n_select):
        new = int(np.argmax(nearest))
        selected[k] = new
        nearest = np.minimum(nearest, pairwise_distances(X, X[[new]], metric=metric)[:, 0])
        nearest[new] = -np.inf
    return selected


class KennardStoneSplit(BaseCrossValidator):
    """One (train, test) split: train = the Kennard-Stone selection, test = the rest.

    Parameters
    ----------
    test_size : float in (0, 1) or int >= 1, default 0.25
        Fraction (rounded up, as sklearn's ShuffleSplit) or number of test samples.
    metric : str, default "euclidean"
        Distance between spectra, any name of ``KS_METRICS``.

    ``y`` and ``groups`` are ignored (the selection looks at the spectra only).
    Indices are returned sorted.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "test_size": [Interval(RealNotInt, 0, 1, closed="neither"),
                      Interval(Integral, 1, None, closed="left")],
        "metric": [Choices(*KS_METRICS)],
    }

    def __init__(self, test_size: float | int = 0.25, metric: str = "euclidean") -> None:
        self.test_size = test_size
        self.metric = metric

    def check_params(self) -> None:
        """Raise ValueError for a test_size or metric that can never work (no data needed):
        the values against ``_parameter_constraints``."""
        check_constraints("KennardStoneSplit", self._parameter_constraints,
                          {"test_size": self.test_size, "metric": self.metric})

    def _n_test(self, n_samples: int) -> int:
        ts = self.test_size
        n_test = int(ts) if isinstance(ts, Integral) else int(np.ceil(ts * n_samples))
        if not 1 <= n_test <= n_samples - 2:
            raise ValueError(f"KennardStoneSplit: test_size={ts!r} gives {n_test} test samples "
                             f"of {n_samples}; need 1..{n_samples - 2} (at least 2 training "
                             f"samples)")
        return n_test

    def split(self, X: Any, y: Any = None, groups: Any = None
              ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield the single (train, test) pair of sorted index arrays."""
        self.check_params()
        X, y, groups = indexable(X, y, groups)
        X = check_array(X, dtype=np.float64)
        n = X.shape[0]
        train = kennard_stone(X, n - self._n_test(n), self.metric)
        mask = np.zeros(n, dtype=bool)
        mask[train] = True
        yield np.flatnonzero(mask), np.flatnonzero(~mask)

    def _iter_test_indices(self, X: Any = None, y: Any = None, groups: Any = None
                           ) -> Iterator[np.ndarray]:
        for _, test in self.split(X, y, groups):
            yield test

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Always 1: the selection is deterministic."""
        return 1
