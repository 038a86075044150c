"""IKPLS (engine.models.IKPLS) against scikit-learn's NIPALS PLSRegression.

Why: IKPLS replaces sklearn's PLS fits inside the component sweep, so it must be the SAME
model: predictions for every component count 1..20, on real NIR spectra (tests/data/tablet,
read with plain numpy) and on random data, one and several targets, with and without
scaling, by both of Dayal & MacGregor's algorithms (X'X formed, or X'(X r)). For one
target NIPALS and IKPLS differ only by rounding (reached: ~1e-13 relative on the tablets;
asserted 1e-8). For several targets sklearn's NIPALS finds each weight by a
power iteration that stops at ``tol`` (1e-6 by default: up to ~1e-3 apart on random data
whose X'Y has close singular values); run to its fixed point (tol=0, 3000 iterations) it
meets IKPLS's exact singular vector (reached ~1e-14, asserted 1e-8).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression
from sklearn.exceptions import ConvergenceWarning

from engine.dataset import SpectralDataset
from engine.models import IKPLS
from engine.predict import predict
from engine.run import run
from engine.store import Project

KS = range(1, 21)


@pytest.fixture(scope="module")
def tablet(tablet_dir):
    table = np.loadtxt(tablet_dir / "X.csv", delimiter=",")
    y = np.loadtxt(tablet_dir / "y.csv", delimiter=",", skiprows=1)
    return table[1:], y, table[0]


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


@pytest.mark.parametrize("algorithm", [1, 2])
@pytest.mark.parametrize("scale", [False, True])
def test_equals_sklearn_pls_for_every_component_count_on_tablets(tablet, scale, algorithm):
    X, y, _ = tablet
    fit_rows, new_rows = slice(0, 500), slice(500, None)
    for k in KS:
        ref = PLSRegression(k, scale=scale).fit(X[fit_rows], y[fit_rows])
        got = IKPLS(k, scale=scale, algorithm=algorithm).fit(X[fit_rows], y[fit_rows])
        assert got.predict(X[new_rows]).shape == (len(y) - 500,)
        assert _rel(got.predict(X[new_rows]), ref.predict(X[new_rows])) < 1e-8, k
        assert _rel(got.coef_, ref.coef_) < 1e-8, k
        assert _rel(got.x_rotations_, ref.x_rotations_) < 1e-8, k
        assert _rel(got.y_loadings_, ref.y_loadings_) < 1e-8, k
    # able to fail: neighbouring component counts give different models
    assert _rel(IKPLS(9).fit(X, y).predict(X), IKPLS(10).fit(X, y).predict(X)) > 1e-4


@pytest.mark.parametrize("algorithm", [1, 2])
def test_equals_sklearn_pls_on_random_data_one_target(algorithm):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 40)) @ rng.normal(size=(40, 40))
    y = X[:, :5] @ rng.normal(size=5) + rng.normal(size=60)
    X_new = rng.normal(size=(15, 40))
    for scale in (False, True):
        for k in KS:
            ref = PLSRegression(k, scale=scale).fit(X, y).predict(X_new)
            got = IKPLS(k, scale=scale, algorithm=algorithm).fit(X, y).predict(X_new)
            assert _rel(got, ref) < 1e-8


@pytest.mark.parametrize("algorithm", [1, 2])
@pytest.mark.parametrize("scale", [False, True])
def test_equals_sklearn_pls_with_several_targets(scale, algorithm):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(80, 30))
    Y = X[:, :4] @ rng.normal(size=(4, 3)) + 0.1 * rng.normal(size=(80, 3))
    X_new = rng.normal(size=(10, 30))
    worst_default = 0.0
    for k in KS:
        got = IKPLS(k, scale=scale, algorithm=algorithm).fit(X, Y).predict(X_new)
        assert got.shape == (10, 3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)   # tol=0 never "converges"
            exact = PLSRegression(k, scale=scale, tol=0.0, max_iter=3000).fit(X, Y)
        assert _rel(got, exact.predict(X_new)) < 1e-8, k
        default = PLSRegression(k, scale=scale).fit(X, Y).predict(X_new)
        worst_default = max(worst_default, _rel(got, default))
    # sklearn's default tol=1e-6 stops the power iteration short: on this random data (close
    # singular values of X'Y) its predictions are up to ~1e-3 apart; the difference is that
    # stopping rule, not the model
    assert 1e-8 < worst_default < 1e-2


def test_refuses_more_components_than_rank_and_predicts_1d(tablet):
    X, y, _ = tablet
    with pytest.raises(ValueError, match="n_components=6 must be <= min"):
        IKPLS(6).fit(X[:5], y[:5])
    assert IKPLS(2).fit(X[:50], y[:50, None]).predict(X[:3]).shape == (3, 1)
    # the scores of new spectra (standardised X times the rotations) equal sklearn's transform
    got = IKPLS(3).fit(X[:50], y[:50])
    scores = ((X[:4] - got.x_mean_) / got.x_std_) @ got.x_rotations_
    ref = PLSRegression(3, scale=False).fit(X[:50], y[:50]).transform(X[:4])
    assert _rel(scores, ref) < 1e-8


def test_saves_reopens_and_predicts_identically(tablet, tmp_path):
    X, y, wl = tablet
    data = SpectralDataset(X=X[:120], wavelengths=wl, targets={"api_mg": y[:120]},
                           sample_ids=[f"t{i}" for i in range(120)],
                           test_mask=np.arange(120) % 4 == 0, name="tablets")
    spec = ["SNV", {"class": "IKPLS", "params": {"n_components": 6}}]
    result = run(spec, data, verbose=0, seed=0)
    [branch] = result.branches
    assert branch.status == "ok", branch.error
    path = tmp_path / "models.nirdesk"
    with Project.create(path) as project:
        run_id = project.record_run(result, data, spec)
    again = predict(path, data, run_id=run_id)
    with Project.open(path, readonly=True) as project:
        model = project.load_model(run_id, branch.id)
    in_memory = np.ravel(branch.model.predict(data.X))
    np.testing.assert_array_equal(again.predictions, in_memory)
    np.testing.assert_array_equal(np.ravel(model.predict(data.X)), in_memory)
    assert type(model.steps[-1][1]) is IKPLS
