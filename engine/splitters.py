"""Cross-validation splitters nirdesk adds to scikit-learn's.

Why Kennard-Stone: with few reference samples, chemometricians pick the calibration set so
that it spans the spectral space (each new sample is the one farthest from those already
chosen); the rest becomes the validation set. It is deterministic, so it is one split.
SPXY (Galvao et al. 2005) is the same selection on a distance that also looks at the
reference values, so the calibration set spans y as well as the spectra.

Why venetian blinds and contiguous blocks: they are the two deterministic K-fold schemes of
the chemometrics packages (PLS_Toolbox, Unscrambler). Venetian blinds deals the rows out in
data order (row i to fold i mod k), so each fold spans a sorted or time-ordered set evenly;
contiguous blocks keeps consecutive rows together (k blocks in data order), so drift or
replicate scans stored side by side never sit on both sides of a split.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
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

__all__ = ["ContiguousBlocks", "KennardStoneSplit", "SPXYSplit", "VenetianBlinds",
           "kennard_stone", "spxy"]

#: Metrics accepted by name (sklearn's own plus common scipy ones pairwise_distances takes).
#: ("precomputed", "haversine" and "nan_euclidean" make no sense for whole spectra.)
KS_METRICS: tuple[str, ...] = tuple(sorted(
    (set(distance_metrics()) - {"precomputed", "haversine", "nan_euclidean"})
    | {"braycurtis", "canberra", "chebyshev", "correlation", "minkowski", "sqeuclidean"}))


Distances = Callable[[int], np.ndarray]


def _farthest_pair(chunks: Iterable[np.ndarray]) -> tuple[int, int]:
    """Indices (i, j), i < j, of the two most distant rows, from row chunks of the pairwise
    distance matrix; first pair in row-major order on ties. Chunked so memory stays bounded
    for many samples."""
    best, pair, start = -np.inf, (0, 1), 0
    for chunk in chunks:
        flat = int(np.argmax(chunk))
        r, c = divmod(flat, chunk.shape[1])
        if chunk[r, c] > best:
            best, pair = chunk[r, c], (start + r, c)
        start += chunk.shape[0]
    i, j = pair
    return (i, j) if i < j else (j, i)


def _select(n: int, n_select: int, pair: tuple[int, int], distance_to: Distances
            ) -> np.ndarray:
    """The Kennard-Stone loop: start with ``pair``; then repeatedly add the row whose distance
    to its nearest selected row is largest (ties: lowest index). ``distance_to(row)`` is the
    distance of every row to that one. O(n_select * n) distances, no n x n matrix kept."""
    if not 2 <= n_select <= n:
        raise ValueError(f"Kennard-Stone needs 2 <= n_select <= n_samples ({n}); "
                         f"got {n_select}")
    first, second = pair
    selected = np.empty(n_select, dtype=np.intp)
    selected[:2] = first, second
    nearest = np.minimum(distance_to(first), distance_to(second))
    nearest[[first, second]] = -np.inf
    for k in range(2, n_select):
        new = int(np.argmax(nearest))
        selected[k] = new
        nearest = np.minimum(nearest, distance_to(new))
        nearest[new] = -np.inf
    return selected


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
    pair = _farthest_pair(pairwise_distances_chunked(X, metric=metric))
    return _select(n, n_select, pair,
                   lambda row: pairwise_distances(X, X[[row]], metric=metric)[:, 0])


def spxy(X: Any, y: Any, n_select: int, metric: str = "euclidean") -> np.ndarray:
    """SPXY selection (Galvao et al. 2005) of ``n_select`` rows, in selection order.

    Kennard-Stone on d(i, j) = dx(i, j) / max(dx) + dy(i, j) / max(dy): the spectral distance
    (``metric``) and the distance between reference values (Euclidean over y's columns),
    each divided by its largest value over all pairs so both weigh the same.
    """
    X = check_array(X, dtype=np.float64)
    Y = check_array(np.asarray(y, dtype=np.float64).reshape(X.shape[0], -1), dtype=np.float64)
    n = X.shape[0]
    if not 2 <= n_select <= n:
        raise ValueError(f"SPXY needs 2 <= n_select <= n_samples ({n}); got {n_select}")
    max_x = max(float(c.max()) for c in pairwise_distances_chunked(X, metric=metric))
    max_y = max(float(c.max()) for c in pairwise_distances_chunked(Y))
    if max_x == 0 or max_y == 0:
        which = "spectra" if max_x == 0 else "reference values"
        raise ValueError(f"SPXY needs distinct {which}: all {n} are identical")

    def joint(start_rows: tuple[int, int]) -> np.ndarray:
        a, b = start_rows
        return (pairwise_distances(X[a:b], X, metric=metric) / max_x
                + pairwise_distances(Y[a:b], Y) / max_y)

    step = 256
    pair = _farthest_pair(joint((a, min(a + step, n))) for a in range(0, n, step))
    return _select(n, n_select, pair,
                   lambda row: (pairwise_distances(X, X[[row]], metric=metric)[:, 0] / max_x
                                + pairwise_distances(Y, Y[[row]])[:, 0] / max_y))


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
        train = self._select_train(X, y, n - self._n_test(n))
        mask = np.zeros(n, dtype=bool)
        mask[train] = True
        yield np.flatnonzero(mask), np.flatnonzero(~mask)

    def _select_train(self, X: np.ndarray, y: Any, n_train: int) -> np.ndarray:
        return kennard_stone(X, n_train, self.metric)

    def _iter_test_indices(self, X: Any = None, y: Any = None, groups: Any = None
                           ) -> Iterator[np.ndarray]:
        for _, test in self.split(X, y, groups):
            yield test

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Always 1: the selection is deterministic."""
        return 1


class SPXYSplit(KennardStoneSplit):
    """One (train, test) split: train = the SPXY selection (Kennard-Stone on the joint
    normalised spectral and reference-value distances, Galvao et al. 2005), test = the rest.

    Parameters as :class:`KennardStoneSplit` (``metric`` is the spectral distance); ``y``
    is required and must be numeric (reference values, not class labels).
    """

    def check_params(self) -> None:
        check_constraints("SPXYSplit", self._parameter_constraints,
                          {"test_size": self.test_size, "metric": self.metric})

    def _select_train(self, X: np.ndarray, y: Any, n_train: int) -> np.ndarray:
        if y is None:
            raise ValueError("SPXYSplit needs the reference values y (it spans X and y)")
        values = np.asarray(y)
        if values.dtype.kind not in "biuf":
            raise ValueError("SPXYSplit needs numeric reference values; these are class "
                             "labels (use KennardStoneSplit or a stratified split)")
        return spxy(X, values, n_train, self.metric)


class _OrderedFolds(BaseCrossValidator):
    """k deterministic folds of the rows in data order (shared by the two schemes below)."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_splits": [Interval(Integral, 2, None, closed="left")],
    }

    def __init__(self, n_splits: int = 5) -> None:
        self.n_splits = n_splits

    def check_params(self) -> None:
        """Raise ValueError for an n_splits that can never work (no data needed)."""
        check_constraints(type(self).__name__, self._parameter_constraints,
                          {"n_splits": self.n_splits})

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        return int(self.n_splits)

    def split(self, X: Any, y: Any = None, groups: Any = None
              ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield (train, test) index arrays, fold 0 first; ``y`` and ``groups`` are ignored."""
        self.check_params()
        X, y, groups = indexable(X, y, groups)
        n = len(X)
        if self.n_splits > n:
            raise ValueError(f"{type(self).__name__}: cannot make {self.n_splits} folds of "
                             f"{n} samples")
        yield from super().split(X, y, groups)

    def _fold_of_rows(self, n: int) -> np.ndarray:
        raise NotImplementedError

    def _iter_test_indices(self, X: Any = None, y: Any = None, groups: Any = None
                           ) -> Iterator[np.ndarray]:
        fold = self._fold_of_rows(len(X))
        for k in range(self.n_splits):
            yield np.flatnonzero(fold == k)


class VenetianBlinds(_OrderedFolds):
    """Venetian blinds cross-validation: row i (in data order) is tested in fold i mod k.

    Each fold takes every k-th row, so with rows sorted by y or by time every fold spans the
    whole range. Deterministic: no shuffle, no random state.
    """

    def _fold_of_rows(self, n: int) -> np.ndarray:
        return np.arange(n) % self.n_splits


class ContiguousBlocks(_OrderedFolds):
    """Contiguous blocks cross-validation: k blocks of consecutive rows in data order, the
    first n mod k blocks one row longer (the same folds as KFold(k) without shuffling,
    named as chemometricians know it). Rows stored side by side (replicates, a drifting
    run) stay together on one side of each split."""

    def _fold_of_rows(self, n: int) -> np.ndarray:
        k = self.n_splits
        sizes = np.full(k, n // k)
        sizes[: n % k] += 1
        return np.repeat(np.arange(k), sizes)


def needs_spectra(splitter: Any) -> bool:
    """Whether ``splitter`` looks at the spectra's values to split (Kennard-Stone, SPXY, or a
    splitter nirdesk does not know), rather than only at the number of rows, y or the groups
    (scikit-learn's KFold family, the ordered folds). A run then spares a copy of the training
    spectra for the others (issue 20: 640 MB for 80,000 x 1,000)."""
    if isinstance(splitter, KennardStoneSplit):
        return True
    return not (type(splitter).__module__.startswith("sklearn.model_selection")
                or isinstance(splitter, _OrderedFolds))
