"""The chemometricians' CV schemes: venetian blinds and contiguous blocks equal their standard
definitions written out, SPXY equals a textbook implementation (full distance matrices and
plain loops), leave-one-group-out holds out each replicate group, and the runner uses them."""
from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression
from sklearn.model_selection import KFold, cross_val_predict

from engine.dataset import SpectralDataset
from engine.errors import InputError, SpecError
from engine.pipeline import parse_pipeline
from engine.registry import get_entry, resolve_class
from engine.run import run
from engine.splitters import ContiguousBlocks, SPXYSplit, VenetianBlinds, spxy


# -- venetian blinds and contiguous blocks --------------------------------------------------------
def venetian_definition(n: int, k: int) -> list[list[int]]:
    """Test fold f holds rows f, f + k, f + 2k, ... (every k-th row, in data order)."""
    return [[i for i in range(n) if i % k == f] for f in range(k)]


def contiguous_definition(n: int, k: int) -> list[list[int]]:
    """k consecutive blocks; the first n mod k of them one row longer."""
    folds, start = [], 0
    for f in range(k):
        size = n // k + (1 if f < n % k else 0)
        folds.append(list(range(start, start + size)))
        start += size
    return folds


@pytest.mark.parametrize(("n", "k"), [(10, 2), (23, 5), (24, 4), (7, 7), (100, 3)])
def test_venetian_blinds_is_row_i_in_fold_i_mod_k(n, k):
    X = np.zeros((n, 3))
    splits = list(VenetianBlinds(k).split(X))
    assert VenetianBlinds(k).get_n_splits(X) == k == len(splits)
    assert [test.tolist() for _, test in splits] == venetian_definition(n, k)
    for train, test in splits:
        assert sorted(train.tolist() + test.tolist()) == list(range(n))


@pytest.mark.parametrize(("n", "k"), [(10, 2), (23, 5), (24, 4), (7, 7), (100, 3)])
def test_contiguous_blocks_are_consecutive_blocks_as_unshuffled_kfold(n, k):
    X = np.zeros((n, 3))
    splits = list(ContiguousBlocks(k).split(X))
    assert [test.tolist() for _, test in splits] == contiguous_definition(n, k)
    assert [test.tolist() for _, test in splits] == \
        [test.tolist() for _, test in KFold(k).split(X)]


@pytest.mark.parametrize("cls", [VenetianBlinds, ContiguousBlocks])
def test_ordered_folds_refuse_bad_fold_counts(cls):
    for bad in (1, 0, 2.5, "3"):
        with pytest.raises(ValueError, match="n_splits"):
            cls(bad).check_params()
    with pytest.raises(ValueError, match="cannot make 6 folds of 5 samples"):
        list(cls(6).split(np.zeros((5, 2))))
    with pytest.raises(SpecError) as info:
        parse_pipeline([{"class": cls.__name__, "params": {"n_splits": 1}}, "Ridge"])
    assert cls.__name__ in info.value.where


# -- SPXY ------------------------------------------------------------------------------------------
def naive_spxy(X: np.ndarray, y: np.ndarray, n_select: int) -> list[int]:
    """Galvao et al. (2005) written out: full Euclidean distance matrices of X and of y, each
    divided by its maximum, summed; then Kennard-Stone with plain loops (farthest pair first,
    then the sample whose nearest selected sample is farthest; first index on ties)."""
    n = len(X)
    dx = np.array([[math.dist(X[i], X[j]) for j in range(n)] for i in range(n)])
    dy = np.array([[abs(y[i] - y[j]) for j in range(n)] for i in range(n)])
    d = dx / dx.max() + dy / dy.max()
    best, first = -1.0, (0, 0)
    for i in range(n):
        for j in range(n):
            if d[i, j] > best:
                best, first = d[i, j], (i, j)
    selected = sorted(first)
    while len(selected) < n_select:
        best, pick = -1.0, -1
        for i in range(n):
            if i in selected:
                continue
            nearest = min(d[i, s] for s in selected)
            if nearest > best:
                best, pick = nearest, i
        selected.append(pick)
    return selected


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_spxy_matches_the_textbook_algorithm(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(45, 8))
    y = X[:, 0] * 3 + rng.normal(size=45)
    assert spxy(X, y, 30).tolist() == naive_spxy(X, y, 30)


def test_spxy_differs_from_kennard_stone_when_y_matters():
    """Spectra that barely differ but whose y spread widely: SPXY picks by y too."""
    from engine.splitters import kennard_stone

    rng = np.random.default_rng(7)
    X = rng.normal(scale=0.01, size=(30, 5))
    X[:3] += 5.0                                   # three spectral extremes
    y = np.linspace(0, 100, 30)
    assert set(spxy(X, y, 6)) != set(kennard_stone(X, 6))
    assert {0, 29} & set(spxy(X, y, 6).tolist())   # a y extreme is in the calibration set


def test_spxy_split_on_tablet_like_data_is_the_selection_and_the_rest(tablet):
    _, X = tablet
    y = X[:, 100]
    train, test = next(SPXYSplit(test_size=4).split(X, y))
    assert sorted(train.tolist()) == sorted(naive_spxy(X, y, 8))
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(12))


def test_spxy_refuses_class_labels_and_missing_y():
    X = np.random.default_rng(0).normal(size=(10, 3))
    with pytest.raises(ValueError, match="class labels"):
        next(SPXYSplit().split(X, np.array(list("ababababab"))))
    with pytest.raises(ValueError, match="reference values"):
        next(SPXYSplit().split(X))


# -- registry and the runner ---------------------------------------------------------------------
def test_the_schemes_are_registered_splitters():
    for name in ("VenetianBlinds", "ContiguousBlocks", "SPXYSplit", "LeaveOneGroupOut"):
        entry = get_entry(name)
        assert entry is not None and entry.kind == "splitter" and not entry.trusted
        assert resolve_class(name) is entry.load()


def _dataset(n: int = 36, groups: np.ndarray | None = None) -> SpectralDataset:
    rng = np.random.default_rng(11)
    X = rng.normal(size=(n, 20)).cumsum(axis=1)
    y = X[:, 5] - X[:, 12] + rng.normal(scale=0.1, size=n)
    return SpectralDataset(X=X, wavelengths=np.arange(1000.0, 1020.0), targets={"y": y},
                           target="y", name="toy", sample_ids=np.arange(n).astype(str),
                           test_mask=np.zeros(n, dtype=bool), groups=groups)


@pytest.mark.parametrize(("spec", "reference"), [
    ({"class": "VenetianBlinds", "params": {"n_splits": 4}}, VenetianBlinds(4)),
    ({"class": "ContiguousBlocks", "params": {"n_splits": 3}}, KFold(3)),
])
def test_the_runner_cross_validates_with_the_scheme(spec, reference):
    ds = _dataset()
    result = run([spec, {"class": "PLSRegression", "params": {"n_components": 3}}], ds,
                 verbose=0)
    branch = result.branches[0]
    pred = cross_val_predict(PLSRegression(3), ds.X, ds.y, cv=reference).ravel()
    rmse = math.sqrt(np.mean((pred - ds.y) ** 2))
    assert branch.metrics["cv"]["rmse"] == pytest.approx(rmse, rel=1e-9)


def test_leave_one_group_out_holds_out_each_replicate_group():
    groups = np.repeat([f"s{i}" for i in range(12)], 3)
    ds = _dataset(groups=groups)
    result = run([{"class": "LeaveOneGroupOut"},
                  {"class": "PLSRegression", "params": {"n_components": 3}}], ds, verbose=0)
    branch = result.branches[0]
    pred = np.empty(36)
    for g in np.unique(groups):
        held = groups == g
        pred[held] = PLSRegression(3).fit(ds.X[~held], ds.y[~held]).predict(ds.X[held]).ravel()
    assert branch.metrics["cv"]["rmse"] == pytest.approx(
        math.sqrt(np.mean((pred - ds.y) ** 2)), rel=1e-9)


def test_spxy_on_class_labels_is_an_input_error():
    ds = _dataset()
    ds.targets["c"] = np.where(ds.y > np.median(ds.y), "hi", "lo").astype(str)
    ds.select_target("c")
    with pytest.raises(InputError, match="class labels"):
        run([{"class": "SPXYSplit"}, {"class": "PLSDA", "params": {"n_components": 2}}], ds,
            verbose=0)
