"""Exact PLS component sweep on real NIR data (tests/data/tablet).

Why these tests: the sweep replaces per-trial refits, so it must give the *same* predictions
as sklearn's PLSRegression(n_components=k) for every k (to 1e-9), with and without scaling
and behind realistic preprocessing, and it must reproduce the reference CV answer of issue 4
(k = 9, RMSECV 2.4283, RMSEP 2.2267).
"""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cross_decomposition import PLSRegression
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline

from engine.errors import SpecError
from engine.io import load_dataset
from engine.models.plsda import PLSDA
from engine.operators import SNV, SavitzkyGolay
from engine.tuning import (
    is_sweepable,
    max_components,
    parse_finetune,
    predictions_per_component,
    sweep_predictions,
)

K = 25


@pytest.fixture(scope="module")
def tablet(tablet_dir):
    """(X_train, y_train, X_test, y_test): split.csv's test rows held out (430 train rows:
    issue 4's reference answer counts the 30 'trans' rows as training rows)."""
    data = load_dataset(tablet_dir, split_map={"trans": "train"})
    train = ~data.test_mask
    return data.X[train], data.y[train], data.X[~train], data.y[~train]


def _snv_pls(scale: bool) -> Pipeline:
    return Pipeline([("0_snv", SNV()), ("1_plsregression", PLSRegression(scale=scale))])


def _per_k_refits(pipeline: Pipeline, X: np.ndarray, y: np.ndarray, X_pred: np.ndarray,
                  ks: range) -> np.ndarray:
    """Plain sklearn: the preprocessing fitted once (it does not depend on k), then one
    PLSRegression(n_components=k) fit and predict per k."""
    pre = Pipeline(clone(pipeline).steps[:-1]).fit(X, y)
    Xt, Xp = pre.transform(X), pre.transform(X_pred)
    model = pipeline.steps[-1][1]
    return np.column_stack([clone(model).set_params(n_components=k).fit(Xt, y).predict(Xp)
                            for k in ks])


def _rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


@pytest.mark.parametrize("pipeline", [
    _snv_pls(scale=False),
    _snv_pls(scale=True),
    Pipeline([("0_savitzkygolay", SavitzkyGolay(window_length=15, polyorder=2, deriv=1)),
              ("1_snv", SNV()), ("2_plsregression", PLSRegression(scale=False))]),
], ids=["snv-scale-false", "snv-scale-true", "savgol-snv"])
def test_sweep_equals_per_k_refits(tablet, pipeline):
    X, y, X_test, _ = tablet
    swept = sweep_predictions(pipeline, X, y, X_test, K)
    assert swept.shape == (len(X_test), K)
    refits = _per_k_refits(pipeline, X, y, X_test, range(1, K + 1))
    assert _rel_err(swept, refits) < 1e-9
    # able to fail: neighbouring component counts really differ
    assert _rel_err(swept[:, 8], refits[:, 9]) > 1e-4


def test_sweep_leaves_the_pipeline_unfitted_and_unchanged(tablet):
    X, y, X_test, _ = tablet
    pipeline = _snv_pls(scale=False)
    sweep_predictions(pipeline, X[:100], y[:100], X_test[:5], 3)
    assert pipeline.steps[-1][1].n_components == 2
    assert not hasattr(pipeline.steps[-1][1], "x_rotations_")


def test_issue_4_reference_answer(tablet):
    """SNV + PLS(scale=False), KFold(5, shuffle, 0): pooled out-of-fold RMSECV per k from
    one fit per fold; best k = 9, RMSECV 2.4283, RMSEP of the refit 2.2267."""
    X, y, X_test, y_test = tablet
    assert len(X) == 430
    pipeline = _snv_pls(scale=False)
    oof = np.full((len(y), K), np.nan)
    for fit_rows, val_rows in KFold(5, shuffle=True, random_state=0).split(X):
        oof[val_rows] = sweep_predictions(pipeline, X[fit_rows], y[fit_rows], X[val_rows], K)
    rmsecv = np.sqrt(np.mean((oof - y[:, None]) ** 2, axis=0))
    best_k = int(np.argmin(rmsecv)) + 1
    assert best_k == 9
    assert rmsecv[best_k - 1] == pytest.approx(2.4283, abs=1e-4)
    refit = pipeline.set_params(**{"1_plsregression__n_components": best_k}).fit(X, y)
    rmsep = float(np.sqrt(np.mean((refit.predict(X_test) - y_test) ** 2)))
    assert rmsep == pytest.approx(2.2267, abs=1e-4)
    test_curve = sweep_predictions(pipeline, X, y, X_test, K)[:, best_k - 1]
    assert float(np.sqrt(np.mean((test_curve - y_test) ** 2))) == pytest.approx(rmsep, rel=1e-9)


def test_k_max_is_clamped_to_what_pls_accepts(tablet):
    X, y, X_test, _ = tablet
    pipeline = _snv_pls(scale=False)
    swept = sweep_predictions(pipeline, X[:12], y[:12], X_test[:4], 40)
    assert swept.shape == (4, 12)        # 12 training rows -> k = 1..12 evaluated
    assert max_components(pipeline, 12) == 12
    assert max_components(pipeline, 430, n_features=8) == 8
    fitted = _snv_pls(scale=False).set_params(**{"1_plsregression__n_components": 2}).fit(
        X[:, :30], y)
    assert max_components(fitted, 430) == 30
    with pytest.raises(ValueError, match="k_max must be >= 1"):
        sweep_predictions(pipeline, X, y, X_test, 0)


def test_predictions_per_component_checks_itself_against_predict(tablet):
    X, y, X_test, _ = tablet
    pls = PLSRegression(n_components=4).fit(SNV().fit_transform(X), y)
    Xs = SNV().fit_transform(X_test)
    assert _rel_err(predictions_per_component(pls, Xs)[:, -1], pls.predict(Xs)) < 1e-12
    pls._y_mean = pls._y_mean + 1.0          # what a change of sklearn internals would do
    with pytest.raises(RuntimeError, match="PLS internals have changed"):
        predictions_per_component(pls, Xs)


_PIPES = {
    "snv-pls": lambda: _snv_pls(scale=False),
    "savgol-pls": lambda: Pipeline([("0_savitzkygolay", SavitzkyGolay()),
                                    ("1_plsregression", PLSRegression())]),
    "snv-ridge": lambda: Pipeline([("0_snv", SNV()), ("1_ridge", Ridge())]),
    "snv-plsda": lambda: Pipeline([("0_snv", SNV()), ("1_plsda", PLSDA())]),
}
NC = {"n_components": ["int", 1, 25]}


@pytest.mark.parametrize("pipeline, model_params, extra, expected", [
    ("snv-pls", NC, {}, True),
    ("snv-pls", {"n_components": ["int_log", 1, 25]}, {}, True),
    ("snv-pls", NC, {"metric": "r2", "sampler": "grid"}, True),
    ("savgol-pls", {**NC, "SavitzkyGolay__window_length": [11, 15]}, {}, True),
    ("savgol-pls", {**NC, "SavitzkyGolay__window_length": ["int", 5, 21]}, {}, False),
    ("savgol-pls", {"SavitzkyGolay__window_length": [11, 15]}, {}, False),
    ("snv-pls", {**NC, "scale": [True, False]}, {}, False),
    ("snv-pls", {"n_components": ["categorical", [2, 4, 8]]}, {}, False),
    ("snv-pls", {"model__n_components": ["int", 1, 25]}, {}, True),
    ("snv-ridge", {"alpha": ["float_log", 1e-3, 1]}, {}, False),
    ("snv-plsda", NC, {"metric": "accuracy"}, False),
])
def test_is_sweepable(pipeline, model_params, extra, expected):
    classification = extra.get("metric") == "accuracy"
    cfg = parse_finetune({"model_params": model_params, **extra}, classification=classification)
    assert is_sweepable(cfg, _PIPES[pipeline]()) is expected


def test_is_sweepable_reports_unknown_keys():
    cfg = parse_finetune({"model_params": {**NC, "MSC__reference": ["mean", "median"]}})
    with pytest.raises(SpecError, match="'MSC__reference' names no step"):
        is_sweepable(cfg, _snv_pls(scale=False))


# --- the sweep fits IKPLS, not PLSRegression: its answers must be the sklearn path's ---------

def _tuned_or(n_jobs: int) -> list:
    """SNV or MSC into a finetuned PLS (exact sweep over 1..25 components)."""
    return [{"branch": {"_or_": ["SNV", "MSC"]}, "n_jobs": n_jobs},
            {"model": {"class": "PLSRegression", "params": {"scale": False}},
             "finetune_params": {"n_trials": 25,
                                 "model_params": {"n_components": ["int", 1, 25]}}}]


def _sklearn_rmsecv_per_k(pre: Pipeline, X: np.ndarray, y: np.ndarray,
                          per_fold: list | None = None) -> np.ndarray:
    """Plain sklearn, independent of the sweep: per fold, one PLSRegression(k) fit per k;
    pooled out-of-fold RMSECV per k (KFold(5, shuffle, 0), run()'s default splitter).
    ``per_fold`` (a list) receives each fold's RMSE per k."""
    oof = np.full((len(y), K), np.nan)
    for fit_rows, val_rows in KFold(5, shuffle=True, random_state=0).split(X):
        pipe = Pipeline([*clone(pre).steps, ("pls", PLSRegression(scale=False))])
        oof[val_rows] = _per_k_refits(pipe, X[fit_rows], y[fit_rows], X[val_rows],
                                      range(1, K + 1))
        if per_fold is not None:
            per_fold.append(np.sqrt(np.mean((oof[val_rows] - y[val_rows, None]) ** 2, axis=0)))
    return np.sqrt(np.mean((oof - y[:, None]) ** 2, axis=0))


def _one_se_choice(rmsecv: np.ndarray, per_fold: list) -> int:
    """The one-standard-error rule, written out: the smallest k whose RMSECV is at most the
    minimum's RMSECV plus the standard error of the minimum's per-fold RMSEs."""
    folds = np.asarray(per_fold)                      # (n_folds, K)
    k_min = int(np.argmin(rmsecv))
    se = folds[:, k_min].std(ddof=1) / np.sqrt(folds.shape[0])
    return int(np.flatnonzero(rmsecv <= rmsecv[k_min] + se)[0]) + 1


@pytest.mark.parametrize("folder, target", [("tablet_dir", None), ("tecator_dir", "fat")],
                         ids=["tablet", "tecator"])
@pytest.mark.parametrize("n_jobs", [1, 2], ids=["sequential", "parallel"])
def test_finetuned_sweep_rmsecv_per_k_equals_sklearn_refits(folder, target, n_jobs, request,
                                                            monkeypatch):
    """engine.run's exact sweep (IKPLS inside) gives, per branch, the RMSECV of every k that
    sklearn's PLSRegression(k) refits give (1e-8 relative) and so chooses the same k; the
    refitted model stays sklearn's PLSRegression."""
    import engine.policy as policy
    from engine.executor import TaskPool
    from engine.operators import MSC
    from engine.run import run

    for name in ("COLD_START_SECONDS", "WARM_START_SECONDS", "TASK_OVERHEAD_SECONDS"):
        monkeypatch.setattr(policy, name, 0.0)     # small data: force the parallel path
    data = load_dataset(request.getfixturevalue(folder), target=target)
    pool = TaskPool()
    try:
        result = run(_tuned_or(n_jobs), data, verbose=0, pool=pool)
    finally:
        pool.shutdown()
    assert result.parallel[0]["mode"] == ("parallel" if n_jobs == 2 else "sequential")
    train = data.train_indices   # the tablet's 'trans' rows of split.csv are left out
    assert train.size == {"tablet_dir": 400, "tecator_dir": 172}[folder]
    X, y = data.X[train], data.y[train]
    for branch, pre in zip(result.branches, (SNV(), MSC()), strict=True):
        assert branch.status == "ok", branch.error
        assert branch.tuning["method"] == "exact_sweep"
        per_fold: list = []
        expected = _sklearn_rmsecv_per_k(Pipeline([("pre", pre)]), X, y, per_fold)
        got = np.asarray(branch.curve["rmsecv"])
        assert got.shape == expected.shape
        assert float(np.max(np.abs(got - expected) / expected)) < 1e-8
        # the default choice is the one-standard-error rule; the plain minimum is kept beside
        assert branch.tuning["selection"] == "one_se"
        assert branch.best_params == {"n_components": _one_se_choice(expected, per_fold)}
        assert branch.tuning["minimum"]["params"] == {
            "n_components": int(np.argmin(expected)) + 1}
        assert type(branch.model[-1]) is PLSRegression


def test_a_choice_at_the_edge_of_the_searched_range_is_a_branch_warning(tablet_dir):
    """On the tablet data the RMSECV still falls from 1 to 3 components: a search over 1..3
    takes 3 and says that it sits at the edge of the range (issue 21: 19 or 20 of 1..20 were
    taken without a word)."""
    from engine.run import run

    spec = [{"class": "SNV"},
            {"model": {"class": "PLSRegression", "params": {"scale": False}},
             "finetune_params": {"model_params": {"n_components": ["int", 1, 3]}}}]
    branch = run(spec, load_dataset(tablet_dir), verbose=0).branches[0]
    assert branch.status == "ok", branch.error
    rmsecv = branch.curve["rmsecv"]
    assert rmsecv[2] < rmsecv[1] < rmsecv[0]
    assert branch.best_params == {"n_components": 3}
    assert any("largest count searched (1..3)" in w for w in branch.warnings)
    wide = run([spec[0], {**spec[1], "finetune_params": {
        "model_params": {"n_components": ["int", 1, 20]}}}], load_dataset(tablet_dir),
               verbose=0).branches[0]
    assert not any("largest count searched" in w for w in wide.warnings)


def test_an_unknown_selection_rule_is_refused_at_parse():
    from engine.tuning.space import parse_finetune

    assert parse_finetune({}).selection == "one_se"
    assert parse_finetune({"selection": "minimum"}).selection == "minimum"
    with pytest.raises(SpecError, match="selection"):
        parse_finetune({"selection": "smallest"})
