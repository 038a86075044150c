"""The runner's numbers equal an independent scikit-learn computation of the same folds."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression
from sklearn.linear_model import ElasticNet, Lasso, Ridge
from sklearn.preprocessing import StandardScaler

from engine.cli import main as cli_main
from engine.dataset import SpectralDataset
from engine.errors import InputError
from engine.io import load_dataset
from engine.run import run
from tests.faulty import failing_model
from tests.reference import RefDetrend, RefMSC, RefSNV, cv_rmse, read_folder, read_train

FOUR_BRANCHES = [{"branch": [
    ["SNV", {"class": "PLSRegression", "params": {"n_components": 10}}],
    ["MSC", {"class": "Ridge", "params": {"alpha": 1.0}}],
    ["StandardScaler", {"class": "ElasticNet", "params": {"alpha": 0.5}}],
    ["Detrend", {"class": "Lasso", "params": {"alpha": 0.1}}],
], "n_jobs": 1}]

REFERENCE_STEPS = [
    [("snv", RefSNV()), ("pls", PLSRegression(n_components=10))],
    [("msc", RefMSC()), ("ridge", Ridge(alpha=1.0))],
    [("sc", StandardScaler()), ("enet", ElasticNet(alpha=0.5))],
    [("dt", RefDetrend(1)), ("lasso", Lasso(alpha=0.1))],
]


def _rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_cli_four_branches_on_tablet_match_plain_sklearn(tablet_dir, tmp_path):
    spec = tmp_path / "four.json"
    spec.write_text(json.dumps(FOUR_BRANCHES))
    out = tmp_path / "results.json"
    assert cli_main(["run", str(spec), "--data", str(tablet_dir), "--out", str(out),
                     "--verbose", "0"]) == 0
    results = json.loads(out.read_text())
    assert results["schema"] == "nirdesk.results/1"
    # split.csv: 400 'cal', 212 'test' and 30 'trans' rows, which are neither: left out
    assert results["dataset"]["n_train"] == 400 and results["dataset"]["n_test"] == 212
    assert results["dataset"]["n_excluded"] == 30

    X, y, _, test = read_folder(tablet_dir)
    train = np.flatnonzero(read_train(tablet_dir))
    assert [b["status"] for b in results["branches"]] == ["ok"] * 4
    for branch, steps in zip(results["branches"], REFERENCE_STEPS, strict=True):
        rmsecv, rmsep, _ = cv_rmse(steps, X, y, train, test=np.flatnonzero(test))
        assert _rel(branch["metrics"]["cv"]["rmse"], rmsecv) < 1e-9, branch["name"]
        assert _rel(branch["metrics"]["test"]["rmse"], rmsep) < 1e-9, branch["name"]
    best = min(results["branches"], key=lambda b: b["metrics"]["cv"]["rmse"])
    assert results["best_branch"] == best["id"]


def _synthetic_folder(tmp_path, n=120, p=80, seed=7):
    """A dataset nirdesk has never seen: smooth random spectra with a scatter effect and a
    target carried by two absorption bands."""
    rng = np.random.default_rng(seed)
    wl = np.linspace(1100, 2500, p)
    conc = rng.uniform(0, 1, size=(n, 2))
    bands = np.stack([np.exp(-((wl - c) / 60) ** 2) for c in (1450, 1940)])
    X = (conc @ bands + 0.2 + rng.uniform(0.8, 1.2, (n, 1)) * (0.1 + wl / 5000)
         + rng.normal(0, 0.002, (n, p)))
    y = 10 * conc[:, 0] + 3 * conc[:, 1] + rng.normal(0, 0.05, n)
    folder = tmp_path / "synthetic"
    folder.mkdir()
    np.savetxt(folder / "X.csv", X, delimiter=",", header=",".join(f"{w:.3f}" for w in wl),
               comments="")
    np.savetxt(folder / "y.csv", y, delimiter=",", header="analyte", comments="")
    split = np.where(np.arange(n) % 4 == 0, "test", "cal")
    (folder / "split.csv").write_text("split\n" + "\n".join(split) + "\n")
    return folder


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_unseen_synthetic_data_matches_plain_sklearn(tmp_path):
    folder = _synthetic_folder(tmp_path)
    ds = load_dataset(folder)
    result = run(FOUR_BRANCHES, ds, verbose=0)
    X, y, _, test = read_folder(folder)
    np.testing.assert_allclose(ds.X, X, rtol=0, atol=0)
    # Lasso on these strongly collinear synthetic bands is ill-conditioned: the 1e-16 rounding
    # difference between two Detrend implementations moves its CV error by ~1e-7 (measured),
    # so that branch gets 1e-6; the well-conditioned ones are held to 1e-9.
    tolerance = [1e-9, 1e-9, 1e-9, 1e-6]
    for branch, steps, tol in zip(result.branches, REFERENCE_STEPS, tolerance, strict=True):
        rmsecv, rmsep, oof = cv_rmse(steps, X, y, np.flatnonzero(~test))
        assert _rel(branch.metrics["cv"]["rmse"], rmsecv) < tol
        assert _rel(branch.metrics["test"]["rmse"], rmsep) < tol
        np.testing.assert_allclose(branch.oof_predictions, oof, rtol=tol * 100)


def test_all_regression_metrics_against_numpy(tecator_dir):
    ds = load_dataset(tecator_dir, target="fat")
    result = run([{"class": "PLSRegression", "params": {"n_components": 8}}], ds, verbose=0)
    b = result.branches[0]
    y = ds.y[ds.train_indices]
    e = b.oof_predictions - y
    sep = np.sqrt(np.sum((e - e.mean()) ** 2) / (len(e) - 1))
    expected = {"rmse": np.sqrt(np.mean(e ** 2)), "mae": np.mean(np.abs(e)), "bias": e.mean(),
                "r2": 1 - np.sum(e ** 2) / np.sum((y - y.mean()) ** 2), "sep": sep,
                "rpd": np.std(y, ddof=1) / sep}
    for key, value in expected.items():
        assert math.isclose(b.metrics["cv"][key], value, rel_tol=1e-9), key
    # the final model predicts the test rows
    yt = ds.y[ds.test_indices]
    assert math.isclose(b.metrics["test"]["rmse"],
                        float(np.sqrt(np.mean((b.test_predictions - yt) ** 2))), rel_tol=1e-12)
    np.testing.assert_allclose(np.ravel(b.model.predict(ds.X[ds.test_indices])), b.test_predictions)


def test_classification_target_uses_class_metrics(tecator_dir):
    from sklearn.metrics import balanced_accuracy_score

    ds = load_dataset(tecator_dir, target="fat")
    labels = np.where(ds.targets["fat"] > np.median(ds.targets["fat"]), "high", "low").astype(str)
    ds.targets["fat_class"] = labels
    ds.select_target("fat_class")
    result = run([{"branch": [["SNV", {"class": "PLSDA", "params": {"n_components": 5}}],
                              ["SNV", {"class": "PLSRegression"}]]}], ds, verbose=0)
    ok, wrong = result.branches
    assert ok.status == "ok"
    assert set(ok.metrics["cv"]) == {"accuracy", "balanced_accuracy", "f1_macro"}
    ytr = labels[ds.train_indices]
    assert ok.metrics["cv"]["balanced_accuracy"] == pytest.approx(
        balanced_accuracy_score(ytr, ok.oof_predictions.astype(str)))
    assert wrong.status == "failed" and "regression model" in wrong.error
    assert result.best_branch == ok.id


def test_failing_branch_is_reported_and_others_finish(tecator_dir):
    ds = load_dataset(tecator_dir)
    # a model whose fit raises (parameters that cannot suit the data are refused earlier)
    result = run([{"branch": [[failing_model("cannot fit this data")],
                              [{"class": "Ridge"}]]}], ds, verbose=0)
    bad, good = result.branches
    assert bad.status == "failed" and "cannot fit this data" in bad.error
    assert good.status == "ok" and result.best_branch == good.id
    doc = result.to_json()
    assert doc["branches"][0]["metrics"] == {"cv": None, "test": None}
    json.dumps(doc, allow_nan=False)


def test_fewer_samples_than_folds_is_an_input_error():
    rng = np.random.default_rng(0)
    ds = SpectralDataset(X=rng.normal(size=(4, 10)), wavelengths=np.arange(10.0),
                         targets={"y": rng.normal(size=4)}, sample_ids=np.arange(4),
                         test_mask=np.zeros(4, bool), name="tiny.csv")
    with pytest.raises(InputError, match=r"only 4 training samples.*5 folds"):
        run(["PLSRegression"], ds, verbose=0)


def test_seed_changes_default_folds_and_is_reproducible(tecator_dir):
    ds = load_dataset(tecator_dir)
    spec = [{"class": "PLSRegression", "params": {"n_components": 5}}]
    a = run(spec, ds, verbose=0, seed=0).branches[0].metrics["cv"]["rmse"]
    b = run(spec, ds, verbose=0, seed=0).branches[0].metrics["cv"]["rmse"]
    c = run(spec, ds, verbose=0, seed=3).branches[0].metrics["cv"]["rmse"]
    assert a == b and a != c


def test_crop_range_gets_the_wavelengths(tecator_dir):
    ds = load_dataset(tecator_dir)
    spec = [{"class": "CropRange", "params": {"start": 900, "stop": 1000}}, "PLSRegression"]
    b = run(spec, ds, verbose=0).branches[0]
    assert b.status == "ok", b.error
    keep = (ds.wavelengths >= 900) & (ds.wavelengths <= 1000)
    assert b.model[-1].x_weights_.shape[0] == keep.sum()


def test_verbose_2_prints_a_timing_table(tecator_dir):
    lines = []
    run(["SNV", "PLSRegression"], load_dataset(tecator_dir), verbose=2, log=lines.append)
    table = lines[-1]
    assert "CV fit s" in table and "refit s" in table and "wall time" in table


def test_disabled_steps_are_skipped(tecator_dir):
    ds = load_dataset(tecator_dir)
    spec = [{"class": "SNV", "enabled": False},
            {"branch": [[{"class": "PLSRegression", "params": {"n_components": 5}}],
                        [{"class": "Ridge", "enabled": False}]]}]
    result = run(spec, ds, verbose=0)
    assert [b.name for b in result.branches] == [result.branches[0].name]
    plain = run([{"class": "PLSRegression", "params": {"n_components": 5}}], ds, verbose=0)
    assert result.branches[0].metrics == plain.branches[0].metrics


def test_group_kfold_keeps_replicates_together(tecator_dir):
    ds = load_dataset(tecator_dir)
    ds.sample_ids = np.array([f"s{i // 3}" for i in range(ds.n_samples)])  # triplicate scans
    spec = [{"class": "GroupKFold", "params": {"n_splits": 4}}, "PLSRegression"]
    from engine.pipeline import parse_pipeline
    from engine.run import make_folds

    branch = parse_pipeline(spec).branches[0]
    for train, val in make_folds(branch, ds, seed=0):
        assert not set(ds.sample_ids[train]) & set(ds.sample_ids[val])
    assert run(spec, ds, verbose=0).branches[0].status == "ok"


def test_fit_warnings_are_collected_once_per_branch(tecator_dir):
    ds = load_dataset(tecator_dir)
    spec = [{"class": "Lasso", "params": {"alpha": 1e-4, "max_iter": 5}}]
    with __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("error")  # nothing may leak out of the runner
        b = run(spec, ds, verbose=0).branches[0]
    assert b.status == "ok"
    assert len(b.warnings) == 1 and b.warnings[0].startswith("ConvergenceWarning")
    assert b.to_json()["warnings"] == b.warnings


def test_resource_warnings_of_earlier_work_are_not_the_branch_warnings(tecator_dir):
    """A ResourceWarning is the garbage collector's report on an object of earlier work that
    happens to be collected during a fit: it says nothing about the branch, and recording it
    made sequential and parallel runs differ by when the collector ran."""
    from engine.registry import allow_module_prefix
    from tests.faulty import LeakyRegressor

    allow_module_prefix("tests")
    b = run([LeakyRegressor()], load_dataset(tecator_dir), verbose=0).branches[0]
    assert b.status == "ok"
    assert b.warnings == ["UserWarning: the fit itself had a problem"]
