"""KennardStoneSplit against a deliberately naive reference implementation."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.model_selection import cross_val_score

from engine.errors import SpecError
from engine.pipeline import parse_pipeline
from engine.splitters import KennardStoneSplit, kennard_stone


def naive_kennard_stone(X: np.ndarray, n_select: int, dist) -> list[int]:
    """Textbook Kennard-Stone with plain loops: start from the farthest pair, then add the
    sample whose nearest selected sample is farthest (first index on ties)."""
    n = len(X)
    best, first = -1.0, None
    for i in range(n):
        for j in range(n):
            d = dist(X[i], X[j])
            if d > best:
                best, first = d, (i, j)
    selected = sorted(first)
    while len(selected) < n_select:
        best, pick = -1.0, None
        for i in range(n):
            if i in selected:
                continue
            nearest = min(dist(X[i], X[s]) for s in selected)
            if nearest > best:
                best, pick = nearest, i
        selected.append(pick)
    return selected


DISTANCES = {
    "euclidean": lambda a, b: float(np.sqrt(((a - b) ** 2).sum())),
    "manhattan": lambda a, b: float(np.abs(a - b).sum()),
}


@pytest.mark.parametrize("metric", list(DISTANCES))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_selection_matches_naive_reference(metric, seed):
    X = np.random.default_rng(seed).normal(size=(40, 6))
    expected = naive_kennard_stone(X, 25, DISTANCES[metric])
    assert kennard_stone(X, 25, metric).tolist() == expected


def test_split_is_one_sorted_partition():
    X = np.random.default_rng(3).normal(size=(40, 6))
    splitter = KennardStoneSplit(test_size=0.25)
    splits = list(splitter.split(X, np.zeros(40), groups=np.arange(40)))
    assert splitter.get_n_splits(X) == 1 and len(splits) == 1
    train, test = splits[0]
    assert len(test) == 10 and len(train) == 30
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(40))
    assert np.all(np.diff(train) > 0) and np.all(np.diff(test) > 0)
    assert set(train) == set(naive_kennard_stone(X, 30, DISTANCES["euclidean"]))


def test_train_spans_the_extremes():
    X = np.linspace(0, 1, 21)[:, None]
    train, test = next(KennardStoneSplit(test_size=5).split(X))
    assert {0, 20} <= set(train) and len(test) == 5


def test_works_as_cv_in_sklearn():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(30, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0])
    scores = cross_val_score(Ridge(alpha=1e-6), X, y, cv=KennardStoneSplit(test_size=0.2))
    assert scores.shape == (1,) and scores[0] > 0.99


@pytest.mark.parametrize("test_size", [0, 1.0, -0.1, True, "0.2"])
def test_bad_test_size(test_size):
    with pytest.raises(ValueError, match="test_size"):
        KennardStoneSplit(test_size=test_size).check_params()


def test_test_size_leaving_fewer_than_two_training_samples():
    with pytest.raises(ValueError, match="at least 2 training"):
        next(KennardStoneSplit(test_size=9).split(np.zeros((10, 2))))


def test_spec_validation_uses_check_params():
    with pytest.raises(SpecError) as info:
        parse_pipeline([{"class": "KennardStoneSplit", "params": {"test_size": 2.5}}, "Ridge"])
    assert info.value.where == "step 1 (KennardStoneSplit)"
    p = parse_pipeline([{"class": "KennardStoneSplit", "params": {"test_size": 0.3}}, "Ridge"])
    assert p.branches[0].splitter.estimator.test_size == 0.3
