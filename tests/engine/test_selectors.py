"""Supervised wavelength selection steps (engine.operators.selectors): VIP and selectivity
ratio against the formulas written out on sklearn's PLSRegression; CARS and MC-UVE find the
informative wavelengths of a synthetic calibration and are reproducible from their seed;
selection inside the CV folds does not leak (pure noise); bad settings are refused in one
line naming the step; a fitted selector saves, reopens and predicts identically."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import f as f_dist
from sklearn.cross_decomposition import PLSRegression
from sklearn.model_selection import KFold, cross_val_predict

from engine.dataset import SpectralDataset
from engine.io import load_dataset
from engine.operators import CARS, MCUVE, SRSelector, VIPSelector
from engine.predict import predict
from engine.run import run
from engine.selection.intervals import kept_columns, kept_windows
from engine.store import Project


@pytest.fixture(scope="module")
def tablet(tablet_dir):
    data = load_dataset(tablet_dir)
    train = data.train_indices[:120]
    return data.X[train], data.y[train], data.wavelengths


def synthetic(seed: int = 0, n: int = 80, p: int = 120, informative=(10, 11, 60, 90)):
    """y is a sum of a few columns plus a little noise; the other columns are noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = X[:, list(informative)] @ np.array([3.0, -2.0, 2.5, 1.5]) + rng.normal(0, 0.1, n)
    return X, y, set(informative)


def test_vip_equals_the_formula_on_sklearn_pls(tablet):
    X, y, _ = tablet
    sel = VIPSelector(n_components=6).fit(X, y)
    pls = PLSRegression(6, scale=False).fit(X, y)
    w, t, q = pls.x_weights_, pls.x_scores_, pls.y_loadings_[0]
    ss = q ** 2 * (t ** 2).sum(axis=0)
    vip = np.sqrt(X.shape[1] * ((w / np.linalg.norm(w, axis=0)) ** 2 @ ss) / ss.sum())
    np.testing.assert_allclose(sel.scores_, vip, rtol=1e-7)
    assert np.mean(sel.scores_ ** 2) == pytest.approx(1.0)
    np.testing.assert_array_equal(sel.support_, vip >= 1.0)
    np.testing.assert_array_equal(sel.transform(X), X[:, vip >= 1.0])
    top = VIPSelector(n_components=6, n_keep=25).fit(X, y)
    assert set(top.get_support(indices=True)) == set(np.argsort(-vip)[:25])


def test_selectivity_ratio_equals_target_projection_on_sklearn_pls(tablet):
    from engine.operators import SNV

    raw, y, wavelengths = tablet
    X = SNV().fit_transform(raw)  # raw absorbance leaves every SR under the F boundary
    sel = SRSelector(n_components=6).fit(X, y)
    pls = PLSRegression(6, scale=False).fit(X, y)
    Xc = X - X.mean(axis=0)
    w = pls.coef_.ravel() / np.linalg.norm(pls.coef_)
    t = Xc @ w
    p = Xc.T @ t / (t @ t)
    explained = np.outer(t, p)
    sr = (explained ** 2).sum(axis=0) / ((Xc - explained) ** 2).sum(axis=0)
    np.testing.assert_allclose(sel.scores_, sr, rtol=1e-6)
    n = X.shape[0]
    assert sel.threshold_ == pytest.approx(f_dist.ppf(0.95, n - 1, n - 2))
    np.testing.assert_array_equal(sel.support_, sr >= sel.threshold_)
    assert 6 < sel.support_.sum() < X.shape[1]
    on_raw = SRSelector(n_components=6).fit(raw, y)  # none passes: the 6 best are kept
    assert on_raw.scores_.max() < on_raw.threshold_
    assert set(on_raw.get_support(indices=True)) == set(np.argsort(-on_raw.scores_)[:6])
    np.testing.assert_array_equal(sel.transform_wavelengths(wavelengths),
                                  wavelengths[sel.support_])


@pytest.mark.parametrize("make", [lambda: CARS(n_components=6, n_runs=30, random_state=3),
                                  lambda: MCUVE(n_components=6, n_runs=60, random_state=3)],
                         ids=["CARS", "MCUVE"])
def test_monte_carlo_selectors_find_the_informative_wavelengths(make):
    X, y, informative = synthetic()
    sel = make().fit(X, y)
    kept = set(sel.get_support(indices=True).tolist())
    assert informative <= kept
    assert len(kept) <= 30  # most of the 116 noise columns are gone
    again = make().fit(X, y)  # the seed makes it reproducible
    np.testing.assert_array_equal(again.support_, sel.support_)
    np.testing.assert_array_equal(again.scores_, sel.scores_)


def test_cars_keeps_its_lowest_rmsecv_subset_and_shrinks_exponentially():
    X, y, _ = synthetic(1)
    sel = CARS(n_components=5, n_runs=25, random_state=0).fit(X, y)
    assert sel.best_run_ == int(np.argmin(sel.rmsecv_))
    # the subset kept is scored by the internal CV: plain sklearn on the same columns
    # can only be close (other folds), never far better than the noise level 0.1 allows
    cols = sel.get_support(indices=True)
    pred = cross_val_predict(PLSRegression(sel.n_components_, scale=False), X[:, cols], y,
                             cv=KFold(5, shuffle=True, random_state=0))
    assert np.sqrt(np.mean((pred.ravel() - y) ** 2)) < 0.3
    # EDF: the last run keeps at most 2 of the p wavelengths
    assert sel.scores_.min() >= 0 and sel.scores_.max() <= 1


def test_mcuve_cutoff_is_the_largest_noise_stability():
    X, y, informative = synthetic(2)
    sel = MCUVE(n_components=5, n_runs=50, random_state=1).fit(X, y)
    np.testing.assert_array_equal(sel.support_, sel.scores_ > sel.cutoff_)
    assert min(sel.scores_[list(informative)]) > sel.cutoff_


@pytest.mark.parametrize("step", [{"class": "VIPSelector", "params": {"n_components": 1,
                                                                      "n_keep": 40}},
                                  {"class": "CARS", "params": {"n_components": 3,
                                                               "n_runs": 20}}],
                         ids=["VIP", "CARS"])
def test_selection_inside_the_folds_does_not_leak(step):
    """Pure-noise spectra and a random y: nothing predicts y. Choosing wavelengths on all
    rows and cross-validating afterwards finds 'good' wavelengths by chance (optimistic
    RMSECV); the same selection as a pipeline step is refitted in every fold and the RMSECV
    stays at the spread of y."""
    rng = np.random.default_rng(7)
    n, p = 60, 1500
    X, y = rng.normal(size=(n, p)), rng.normal(size=n)
    data = SpectralDataset(X=X, wavelengths=np.arange(p, dtype=float), targets={"y": y},
                           sample_ids=[f"s{i}" for i in range(n)],
                           test_mask=np.zeros(n, bool), name="noise")
    spread = float(np.std(y))
    model = {"class": "PLSRegression", "params": {"n_components": 2, "scale": False}}
    # the leak, written with plain sklearn: select once on every row, then cross-validate
    cls = VIPSelector if step["class"] == "VIPSelector" else CARS
    chosen = cls(**step["params"], random_state=0) if cls is CARS else cls(**step["params"])
    cols = chosen.fit(X, y).get_support(indices=True)
    pred = cross_val_predict(PLSRegression(2, scale=False), X[:, cols], y,
                             cv=KFold(5, shuffle=True, random_state=0))
    leaky = float(np.sqrt(np.mean((pred.ravel() - y) ** 2)))
    honest = run([step, model], data, verbose=0, seed=0).branches[0].metrics["cv"]["rmse"]
    assert leaky < 0.7 * spread          # the leak is real ...
    assert honest > 0.95 * spread        # ... and absent inside the folds
    assert honest > leaky * 1.25


def test_bad_settings_are_one_line_naming_the_step():
    X, y, _ = synthetic()
    with pytest.raises(ValueError, match="CARS") as info:
        CARS(n_runs=1).fit(X, y)
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match=r"VIPSelector.*threshold"):
        VIPSelector(threshold=-1).check_params()
    with pytest.raises(ValueError, match=r"MCUVE.*sample_ratio"):
        MCUVE(sample_ratio=1.5).check_params()
    with pytest.raises(ValueError, match="SRSelector requires y"):
        SRSelector().fit(X)
    with pytest.raises(ValueError, match="VIPSelector: y is constant"):
        VIPSelector().fit(X, np.ones(len(y)))


def test_kept_wavelengths_follow_the_fitted_steps(tablet):
    from sklearn.pipeline import make_pipeline

    from engine.operators import SNV, CropRange, Resample

    X, y, wavelengths = tablet
    crop = CropRange(800, 1600, wavelengths=wavelengths)
    pipe = make_pipeline(SNV(), crop, VIPSelector(n_components=5)).fit(X, y)
    axis = wavelengths
    for _, step in pipe.steps:
        axis = step.transform_wavelengths(axis)
    inner = pipe.steps[2][1].get_support(indices=True)
    expected = np.flatnonzero((wavelengths >= 800) & (wavelengths <= 1600))[inner]
    np.testing.assert_array_equal(kept_columns(wavelengths, axis), expected)
    windows = kept_windows(wavelengths, expected)
    assert windows[0][0] == wavelengths[expected[0]] and windows[-1][1] == wavelengths[expected[-1]]
    assert sum(int(np.sum((wavelengths >= a) & (wavelengths <= b))) for a, b in windows) \
        == expected.size
    assert kept_columns(wavelengths, wavelengths) is None          # nothing dropped
    resampled = Resample(step=5.0).transform_wavelengths(wavelengths)
    assert kept_columns(wavelengths, resampled) is None            # new columns


@pytest.mark.parametrize("step", [{"class": "VIPSelector", "params": {"n_components": 4}},
                                  {"class": "SRSelector", "params": {"n_components": 4}},
                                  {"class": "CARS", "params": {"n_components": 4,
                                                               "n_runs": 10}},
                                  {"class": "MCUVE", "params": {"n_components": 4,
                                                                "n_runs": 20}}],
                         ids=lambda s: s["class"])
def test_runs_saves_reopens_and_predicts_identically(step, tablet_dir, tmp_path):
    table = np.loadtxt(tablet_dir / "X.csv", delimiter=",", max_rows=81)
    y = np.loadtxt(tablet_dir / "y.csv", delimiter=",", skiprows=1, max_rows=80)
    data = SpectralDataset(X=table[1:], wavelengths=table[0], targets={"api_mg": y},
                           sample_ids=[f"t{i}" for i in range(80)],
                           test_mask=np.arange(80) % 4 == 0, name="tablets")
    spec = [step, {"class": "PLSRegression", "params": {"n_components": 3, "scale": False}}]
    result = run(spec, data, verbose=0, seed=0)
    [branch] = result.branches
    assert branch.status == "ok", branch.error
    path = tmp_path / "selection.nirdesk"
    with Project.create(path) as project:
        run_id = project.record_run(result, data, spec)
    again = predict(path, data, run_id=run_id)
    np.testing.assert_array_equal(again.predictions, np.ravel(branch.model.predict(data.X)))
    # a run fills the unset seed: the same run again selects the same wavelengths
    second = run(spec, data, verbose=0, seed=0).branches[0]
    np.testing.assert_array_equal(second.model.steps[0][1].support_,
                                  branch.model.steps[0][1].support_)
