"""PCR equals scikit-learn's PCA + LinearRegression, MLR equals least squares written out
(and refuses whole spectra with a message saying what to do); a PCR branch gets the PCA
diagnostics, not the PLS ones."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline

from engine.dataset import SpectralDataset
from engine.diagnostics import is_pls_family
from engine.models import MLR, PCR
from engine.run import run


def _data(seed: int = 0, n: int = 60, p: int = 40):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)).cumsum(axis=1)
    y = X[:, 4] - 0.5 * X[:, p - 2] + rng.normal(scale=0.2, size=n)
    X_new = rng.normal(size=(15, p)).cumsum(axis=1)
    return X, y, X_new


@pytest.mark.parametrize("k", [1, 3, 10, 40])
def test_pcr_equals_pca_then_linear_regression(k):
    X, y, X_new = _data()
    ours = PCR(n_components=k).fit(X, y)
    ref = make_pipeline(PCA(n_components=k, svd_solver="full"), LinearRegression()).fit(X, y)
    scale = np.abs(ref.predict(X_new)).max()
    assert np.abs(ours.predict(X_new) - ref.predict(X_new)).max() <= 1e-9 * scale
    np.testing.assert_allclose(np.abs(ours.components_), np.abs(ref[0].components_),
                               atol=1e-9)
    np.testing.assert_allclose(ours.explained_variance_, ref[0].explained_variance_,
                               rtol=1e-9)


def test_pcr_with_every_component_is_least_squares_and_fits_several_targets():
    X, y, X_new = _data(1, n=60, p=20)
    Y = np.column_stack([y, 2 * y + X[:, 0]])
    full = PCR(n_components=20).fit(X, Y)
    ols = LinearRegression().fit(X, Y)
    np.testing.assert_allclose(full.predict(X_new), ols.predict(X_new), rtol=1e-9, atol=1e-9)
    assert full.predict(X_new).shape == (15, 2)


def test_pcr_refuses_more_components_than_the_data_holds():
    X, y, _ = _data(p=5)
    with pytest.raises(ValueError, match="n_components=6 must be <= min"):
        PCR(n_components=6).fit(X, y)


def test_mlr_equals_the_normal_equations_on_selected_wavelengths():
    X, y, X_new = _data(2)
    cols = [3, 10, 25, 33]
    Xs = X[:, cols]
    design = np.column_stack([np.ones(len(Xs)), Xs])
    beta = np.linalg.solve(design.T @ design, design.T @ y)           # (X'X)^-1 X'y, written out
    model = MLR().fit(Xs, y)
    np.testing.assert_allclose(model.intercept_, beta[0], rtol=1e-9)
    np.testing.assert_allclose(model.coef_, beta[1:], rtol=1e-9)
    np.testing.assert_allclose(model.predict(X_new[:, cols]),
                               beta[0] + X_new[:, cols] @ beta[1:], rtol=1e-9)
    through_origin = MLR(fit_intercept=False).fit(Xs, y)
    np.testing.assert_allclose(through_origin.coef_, np.linalg.lstsq(Xs, y, rcond=None)[0],
                               rtol=1e-9)


def test_mlr_refuses_whole_spectra_with_what_to_do():
    X, y, _ = _data(p=80)
    with pytest.raises(ValueError) as info:
        MLR().fit(X, y)
    message = str(info.value)
    assert "80 variables plus an intercept for 60 samples" in message
    assert "SelectRanges" in message and "PCR" in message
    MLR(fit_intercept=False).fit(X[:, :60], y)          # 60 unknowns, 60 samples: allowed


def test_a_pcr_branch_runs_with_pca_diagnostics(tablet_dir):
    from engine.io import load_dataset

    ds = load_dataset(tablet_dir)
    result = run(["SNV", {"class": "PCR", "params": {"n_components": 8}}], ds, verbose=0)
    [branch] = result.branches
    assert branch.status == "ok", branch.error
    assert not is_pls_family(branch.model)
    assert branch.diagnostics is not None and branch.diagnostics.kind == "pca"
    assert isinstance(branch.outliers, list)
    assert branch.metrics["cal"]["rmse"] < branch.metrics["cv"]["rmse"]


def test_the_runner_reports_mlr_refusal_on_the_branch():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 50))
    ds = SpectralDataset(X=X, wavelengths=np.arange(50.0), targets={"y": X[:, 0]},
                         sample_ids=[str(i) for i in range(30)],
                         test_mask=np.zeros(30, dtype=bool), name="wide")
    result = run([{"branch": [["MLR"], [{"class": "SelectRanges",
                                         "params": {"ranges": [[0, 4]]}}, "MLR"]]}], ds,
                 verbose=0)
    wide, narrow = result.branches
    assert wide.status == "failed" and "50 variables" in wide.error
    assert narrow.status == "ok" and narrow.metrics["cv"]["rmse"] < 1e-9


def test_the_new_models_are_blas_bound_for_the_parallel_policy(monkeypatch):
    """PCR, MLR, SIMCA (and the OPLS filter) spend their time in BLAS/LAPACK like PLS, so an
    `_or_` into them on a large matrix runs sequentially with every core, as PLS does."""
    from engine import policy
    from engine.machine import DataFacts, MachineFacts
    from engine.pipeline import parse_pipeline
    from engine.registry import cost_of

    assert {cost_of(name) for name in ("PCR", "MLR", "SIMCA", "OPLS")} == {"blas"}
    assert cost_of(PCR()) == cost_of(MLR(fit_intercept=False)) == "blas"
    monkeypatch.setattr(policy, "BLAS_BOUND_MIN_ELEMENTS", 1_000_000)
    machine = MachineFacts(usable_cpus=2, total_memory=16 * 2**30,
                           available_memory=8 * 2**30, pool_warm_workers=2)
    data = DataFacts(n_train=20_000, n_features=1_000)
    spec = [{"branch": {"_or_": ["SNV", "MSC", "Detrend"]}, "n_jobs": 2},
            {"class": "PCR", "params": {"n_components": 10}}]
    [group] = policy.decide(parse_pipeline(spec), machine=machine, data=data).groups
    assert group.mode == "sequential" and group.reasons[0].code == "blas_bound"
