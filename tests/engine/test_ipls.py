"""Interval PLS (engine.selection.ipls) against a brute-force search written with plain
scikit-learn, on the tablet spectra (tests/data/tablet).

Why brute force: the search scores candidates through nirdesk's pipeline (SelectRanges +
the exact component sweep on IKPLS, as pool tasks); the reference below knows none of that:
it takes the interval columns with numpy, fits sklearn's PLSRegression(k) for every k with
cross_val_predict on KFold(5, shuffle, seed 0) of the training rows, and runs the forward
(backward) search itself. Every round's chosen interval and RMSECV must match.
"""
from __future__ import annotations

import threading

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression
from sklearn.model_selection import KFold, cross_val_predict

from engine.errors import Cancelled, InputError, SpecError
from engine.io import load_dataset
from engine.run import run
from engine.selection.intervals import contiguous_runs, ranges_of, split_axis
from engine.selection.ipls import interval_pls

N_INTERVALS, K_MAX = 8, 8


@pytest.fixture(scope="module")
def tablet(tablet_dir):
    return load_dataset(tablet_dir)


def brute_rmsecv(X: np.ndarray, y: np.ndarray, columns: np.ndarray) -> tuple[float, int]:
    """Lowest RMSECV over k = 1..K_MAX of PLS on ``columns`` (and that k), plain sklearn."""
    cv = KFold(5, shuffle=True, random_state=0)
    best = (np.inf, 0)
    for k in range(1, min(K_MAX, columns.size) + 1):
        pred = cross_val_predict(PLSRegression(k, scale=False), X[:, columns], y, cv=cv)
        rmse = float(np.sqrt(np.mean((pred.ravel() - y) ** 2)))
        if rmse < best[0]:
            best = (rmse, k)
    return best


def columns_of(chosen, n_columns: int) -> np.ndarray:
    parts = np.array_split(np.arange(n_columns), N_INTERVALS)
    return np.sort(np.concatenate([parts[i] for i in chosen]))


def test_split_axis_by_count_and_width():
    axis = np.arange(600.0, 620.0, 2.0)  # 10 columns
    assert split_axis(axis, 3) == [(0, 3), (4, 6), (7, 9)]
    assert split_axis(axis, width=6.0) == [(0, 2), (3, 5), (6, 8), (9, 9)]
    assert split_axis(axis[::-1], width=6.0) == [(0, 2), (3, 5), (6, 8), (9, 9)]
    assert ranges_of(axis, split_axis(axis, 5), [0, 1, 3]) == [[600.0, 606.0], [612.0, 614.0]]
    assert contiguous_runs([0, 1, 1, 0, 1]) == [(1, 2), (4, 4)]
    with pytest.raises(ValueError, match="from 1 to the 10 wavelengths"):
        split_axis(axis, 11)
    with pytest.raises(ValueError, match="either"):
        split_axis(axis, 3, 4.0)


def test_forward_search_equals_brute_force(tablet):
    train = tablet.train_indices
    X, y = tablet.X[train], tablet.y[train]
    result = interval_pls(tablet, n_intervals=N_INTERVALS, k_max=K_MAX, max_intervals=3)

    singles = [brute_rmsecv(X, y, columns_of([i], X.shape[1])) for i in range(N_INTERVALS)]
    np.testing.assert_allclose(result.interval_rmsecv, [s[0] for s in singles], rtol=1e-8)
    assert list(result.interval_k) == [s[1] for s in singles]
    full = brute_rmsecv(X, y, np.arange(X.shape[1]))
    assert result.full.rmsecv == pytest.approx(full[0], rel=1e-8)
    assert result.full.n_components == full[1]

    chosen: list[int] = []
    best = np.inf
    for step in result.steps:
        scores = {i: brute_rmsecv(X, y, columns_of(sorted(chosen + [i]), X.shape[1]))
                  for i in range(N_INTERVALS) if i not in chosen}
        pick = min(scores, key=lambda i: (scores[i][0], i))
        assert scores[pick][0] < best
        assert step.interval == pick
        assert step.rmsecv == pytest.approx(scores[pick][0], rel=1e-8)
        assert step.n_components == scores[pick][1]
        assert step.evaluated == len(scores)
        chosen.append(pick)
        best = scores[pick][0]
    assert len(result.steps) >= 2  # the tablet has an informative pair of intervals
    assert result.selected == tuple(sorted(chosen))
    assert result.rmsecv == pytest.approx(best, rel=1e-8)
    # on the tablet, the chosen intervals are not worse than the full range
    assert result.rmsecv <= result.full.rmsecv


def test_backward_search_equals_brute_force(tablet):
    train = tablet.train_indices
    X, y = tablet.X[train], tablet.y[train]
    result = interval_pls(tablet, n_intervals=5, k_max=K_MAX, mode="backward")
    parts = np.array_split(np.arange(X.shape[1]), 5)
    kept = list(range(5))
    best = brute_rmsecv(X, y, np.arange(X.shape[1]))[0]
    for step in result.steps:
        scores = {j: brute_rmsecv(X, y, np.sort(np.concatenate(
            [parts[i] for i in kept if i != j]))) for j in kept}
        drop = min(scores, key=lambda j: (scores[j][0], kept.index(j)))
        assert step.interval == drop and step.action == "remove"
        assert step.rmsecv == pytest.approx(scores[drop][0], rel=1e-8)
        kept.remove(drop)
        best = scores[drop][0]
    assert result.selected == tuple(kept)
    assert result.rmsecv == pytest.approx(best, rel=1e-8)
    if len(kept) > 1:  # the search stopped because no removal helped any more
        stop = [brute_rmsecv(X, y, np.sort(np.concatenate([parts[i] for i in kept if i != j])))
                for j in kept]
        assert min(s[0] for s in stop) >= best


def test_parallel_search_equals_sequential(tablet):
    from engine.executor import TaskPool

    pool = TaskPool()
    try:
        par = interval_pls(tablet, n_intervals=6, k_max=6, max_intervals=2, workers=2, pool=pool)
    finally:
        pool.shutdown()
    seq = interval_pls(tablet, n_intervals=6, k_max=6, max_intervals=2)
    assert par.selected == seq.selected and par.workers == 2
    assert par.rmsecv == seq.rmsecv  # bit for bit: one BLAS thread on both sides
    np.testing.assert_array_equal(par.interval_rmsecv, seq.interval_rmsecv)


def test_result_is_a_selection_step_a_run_reproduces(tablet):
    result = interval_pls(tablet, n_intervals=N_INTERVALS, k_max=K_MAX, max_intervals=2,
                          steps=["SNV"])
    step = result.selection_step()
    assert step["class"] == "SelectRanges"
    spec = ["SNV", step, {"class": "PLSRegression",
                          "params": {"n_components": result.n_components, "scale": False}}]
    ran = run(spec, tablet, verbose=0)
    assert ran.branches[0].status == "ok"
    assert ran.branches[0].metrics["cv"]["rmse"] == pytest.approx(result.rmsecv, rel=1e-8)


def test_preprocessing_is_fitted_inside_the_folds(tablet):
    """A step that learns from the training rows (MSC's mean spectrum) is fitted per fold."""
    from sklearn.pipeline import make_pipeline

    from engine.operators import MSC

    train = tablet.train_indices
    X, y = tablet.X[train], tablet.y[train]
    result = interval_pls(tablet, n_intervals=4, k_max=5, max_intervals=1, steps=["MSC"])
    cols = np.array_split(np.arange(X.shape[1]), 4)[result.selected[0]]
    cv = KFold(5, shuffle=True, random_state=0)
    pred = cross_val_predict(make_pipeline(MSC(), _Columns(cols),
                                           PLSRegression(result.n_components, scale=False)),
                             X, y, cv=cv)
    assert result.rmsecv == pytest.approx(float(np.sqrt(np.mean((pred.ravel() - y) ** 2))),
                                          rel=1e-8)


class _Columns:
    """Keep fixed columns (a plain transformer for the reference pipeline)."""

    def __init__(self, cols=None):
        self.cols = cols

    def get_params(self, deep=True):
        return {"cols": self.cols}

    def set_params(self, **params):
        self.cols = params.get("cols", self.cols)
        return self

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X)[:, self.cols]


def test_bad_input_is_one_line(tablet, tablet_dir):
    with pytest.raises(SpecError, match="mode must be one of forward, backward"):
        interval_pls(tablet, mode="sideways")
    with pytest.raises(SpecError, match="from 1 to the 597 wavelengths"):
        interval_pls(tablet, n_intervals=1000)
    with pytest.raises(SpecError, match="k_max"):
        interval_pls(tablet, k_max=0)
    with pytest.raises(SpecError, match="one branch"):
        interval_pls(tablet, steps=[{"branch": [["SNV"], ["MSC"]]}], n_intervals=4)
    labels = load_dataset(tablet_dir)
    labels.targets["grade"] = np.where(labels.y > 200, "high", "low").astype(object)
    labels.select_target("grade")
    with pytest.raises(InputError, match="numeric target"):
        interval_pls(labels)


def test_cancel_stops_the_search(tablet):
    cancel = threading.Event()
    seen = []

    def progress(what, done, total):
        seen.append(done)
        if done >= 2:
            cancel.set()

    with pytest.raises(Cancelled):
        interval_pls(tablet, n_intervals=10, k_max=4, cancel=cancel, progress=progress)
    assert max(seen) == 2
