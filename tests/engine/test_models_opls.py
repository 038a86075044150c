"""The OPLS filter equals Trygg & Wold's (2002) published single-y algorithm written out step
by step, and PLS with one component after it predicts what PLS with 1 + n components predicts
on the raw spectra (the known O-PLS property for a single y)."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression
from sklearn.pipeline import make_pipeline

from engine.models import OPLS


def trygg_wold(X: np.ndarray, y: np.ndarray, n_ortho: int):
    """J. Chemometrics 16 (2002) 119-128, "O-PLS" for a single y, its steps numbered as
    there (mean-centred X and y; the paper's w'w and t't divisions kept explicit)."""
    X = X - X.mean(axis=0)
    y = (y - y.mean())[:, None]
    w = X.T @ y / (y.T @ y)                     # (2) w' = y'X / y'y
    w = w / np.linalg.norm(w)                   # (3) ||w|| = 1
    w_all, p_all = [], []
    for _ in range(n_ortho):
        t = X @ w / (w.T @ w)                   # (4) t = Xw / w'w
        c = t.T @ y / (t.T @ t)                 # (5) c' = t'y / t't   (y loading, unused here)
        assert np.isfinite(c).all()
        p = X.T @ t / (t.T @ t)                 # (7) p' = t'X / t't
        w_o = p - (w.T @ p) / (w.T @ w) * w     # (8) w_o = p - [w'p / w'w] w
        w_o = w_o / np.linalg.norm(w_o)         # (9) ||w_o|| = 1
        t_o = X @ w_o / (w_o.T @ w_o)           # (10) t_o = X w_o / w_o'w_o
        p_o = X.T @ t_o / (t_o.T @ t_o)         # (11) p_o' = t_o'X / t_o't_o
        X = X - t_o @ p_o.T                     # (12) E_O-PLS = X - t_o p_o'
        w_all.append(w_o[:, 0])
        p_all.append(p_o[:, 0])
    return X, np.array(w_all).T, np.array(p_all).T


def _spectra(seed: int = 0, n: int = 50, p: int = 60):
    rng = np.random.default_rng(seed)
    axis = np.linspace(0, 6, p)
    base = np.sin(axis)
    # five interferences unrelated to y (offset, slope, bands), each well above the noise
    profiles = np.array([np.ones(p), axis, np.exp(-(axis - 2) ** 2), np.exp(-(axis - 4) ** 2),
                         np.cos(3 * axis)])
    amounts = rng.normal(size=(n, 5)) * np.array([2.0, 1.0, 0.8, 0.6, 0.4])
    conc = rng.uniform(0, 1, n)
    X = conc[:, None] * base + amounts @ profiles + rng.normal(scale=0.01, size=(n, p))
    return X, conc + rng.normal(scale=0.01, size=n)


@pytest.mark.parametrize("n_ortho", [1, 2, 4])
def test_filter_equals_the_published_algorithm(n_ortho):
    X, y = _spectra()
    model = OPLS(n_components=n_ortho).fit(X, y)
    residual, w_o, p_o = trygg_wold(X, y, n_ortho)
    np.testing.assert_allclose(model.weights_, w_o, atol=1e-9)
    np.testing.assert_allclose(model.loadings_, p_o, atol=1e-9)
    filtered = model.transform(X)
    np.testing.assert_allclose(filtered - X.mean(axis=0), residual, atol=1e-9)
    # what is removed is orthogonal to y
    removed = X - filtered
    assert np.abs(removed.T @ (y - y.mean())).max() < 1e-8 * np.abs(X.T @ y).max()


@pytest.mark.parametrize("n_ortho", [1, 2, 3])
def test_one_pls_component_after_the_filter_predicts_as_pls_with_1_plus_n(n_ortho):
    X, y = _spectra(1)
    X_new, _ = _spectra(2, n=20)
    opls = make_pipeline(OPLS(n_ortho), PLSRegression(1, scale=False)).fit(X, y)
    pls = PLSRegression(1 + n_ortho, scale=False).fit(X, y)
    a, b = opls.predict(X_new).ravel(), pls.predict(X_new).ravel()
    assert np.abs(a - b).max() <= 1e-9 * np.abs(b).max()


def test_new_spectra_are_filtered_with_the_calibration_weights():
    X, y = _spectra(3)
    X_new, _ = _spectra(4, n=7)
    model = OPLS(2).fit(X, y)
    residual = X_new - model.mean_
    for a in range(2):
        residual = residual - np.outer(residual @ model.weights_[:, a], model.loadings_[:, a])
    np.testing.assert_allclose(model.transform(X_new), residual + model.mean_, atol=1e-12)


def test_refusals_name_what_is_wrong():
    X, y = _spectra()
    with pytest.raises(ValueError, match="requires y"):
        OPLS().fit(X)
    with pytest.raises(ValueError, match="constant"):
        OPLS().fit(X, np.ones(len(X)))
    with pytest.raises(ValueError, match="n_components=60 must be <"):
        OPLS(60).fit(X[:, :30], y)


def test_an_opls_branch_runs_with_pls_diagnostics_in_the_filtered_space(tablet_dir):
    """A PLS after the filter is still a PLS model: its diagnostics come from its own latent
    space, on the spectra as it received them (filtered); the spectra view's preprocessing
    fits the filter with the target, and says so when there is none."""
    from engine.diagnostics import is_pls_family
    from engine.io import load_dataset
    from engine.pipeline import preprocess_branch
    from engine.run import run

    ds = load_dataset(tablet_dir)
    steps = [{"class": "OPLS", "params": {"n_components": 3}},
             {"class": "PLSRegression", "params": {"n_components": 1, "scale": False}}]
    [branch] = run(steps, ds, verbose=0).branches
    assert branch.status == "ok", branch.error
    assert is_pls_family(branch.model) and branch.diagnostics.kind == "pls"
    assert isinstance(branch.outliers, list)
    train = ds.train_indices
    Z, _ = preprocess_branch(steps, ds.X, ds.wavelengths, train_indices=train, y=ds.y)
    expected = OPLS(3).fit(ds.X[train], ds.y[train]).transform(ds.X)
    np.testing.assert_allclose(Z, expected, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="OPLS requires y"):
        preprocess_branch(steps, ds.X, ds.wavelengths, train_indices=train, y=None)
