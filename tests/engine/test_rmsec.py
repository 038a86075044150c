"""RMSEC beside RMSECV: the refitted model's figures on its own calibration rows equal an
independent scikit-learn refit on the same rows, in the result, its JSON and the project."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression
from sklearn.linear_model import Ridge
from sklearn.metrics import balanced_accuracy_score, f1_score, r2_score

from engine.io import load_dataset
from engine.run import run
from tests.reference import RefSNV, read_folder


def test_rmsec_equals_a_plain_sklearn_refit_on_the_calibration_rows(tecator_dir, tmp_path):
    ds = load_dataset(tecator_dir)
    result = run([{"branch": [["SNV", {"class": "PLSRegression", "params": {"n_components": 8}}],
                              [{"class": "Ridge", "params": {"alpha": 1.0}}]]}], ds, verbose=0)
    X, y, _, test = read_folder(tecator_dir)
    train = ~test
    references = [(RefSNV(), PLSRegression(n_components=8)), (None, Ridge(alpha=1.0))]
    for branch, (op, model) in zip(result.branches, references, strict=True):
        Xc = X[train] if op is None else op.fit_transform(X[train])
        fitted = np.asarray(model.fit(Xc, y[train]).predict(Xc)).ravel()
        residual = fitted - y[train]
        cal = branch.metrics["cal"]
        assert cal["rmse"] == pytest.approx(math.sqrt(np.mean(residual ** 2)), rel=1e-9)
        assert cal["r2"] == pytest.approx(r2_score(y[train], fitted), rel=1e-9)
        assert cal["bias"] == pytest.approx(residual.mean(), rel=1e-6, abs=1e-12)
        assert set(cal) == set(branch.metrics["cv"])
        # a calibration fits its own rows better than it predicts held-out ones
        assert cal["rmse"] < branch.metrics["cv"]["rmse"]
    out = tmp_path / "results.json"
    result.write_json(out)
    doc = json.loads(out.read_text())
    assert doc["branches"][0]["metrics"]["cal"]["rmse"] == pytest.approx(
        result.branches[0].metrics["cal"]["rmse"])


def test_a_tuned_branch_reports_rmsec_of_its_refit_with_the_best_parameters(tecator_dir):
    ds = load_dataset(tecator_dir)
    result = run([{"model": {"class": "PLSRegression"},
                   "finetune_params": {"model_params": {"n_components": ["int", 2, 12]}}}],
                 ds, verbose=0)
    branch = result.branches[0]
    k = next(v for key, v in branch.best_params.items() if key.endswith("n_components"))
    X, y, _, test = read_folder(tecator_dir)
    fitted = PLSRegression(n_components=k).fit(X[~test], y[~test]).predict(X[~test]).ravel()
    expected = math.sqrt(np.mean((fitted - y[~test]) ** 2))
    assert branch.metrics["cal"]["rmse"] == pytest.approx(expected, rel=1e-9)


def test_classification_reports_the_class_figures_on_the_calibration_rows(tecator_dir):
    ds = load_dataset(tecator_dir, target="fat")
    labels = np.where(ds.targets["fat"] > np.median(ds.targets["fat"]), "high", "low").astype(str)
    ds.targets["fat_class"] = labels
    ds.select_target("fat_class")
    result = run([{"class": "PLSDA", "params": {"n_components": 5}}], ds, verbose=0)
    branch = result.branches[0]
    train = ds.train_indices
    predicted = branch.model.predict(ds.X[train])
    cal = branch.metrics["cal"]
    assert set(cal) == {"accuracy", "balanced_accuracy", "f1_macro"}
    assert cal["balanced_accuracy"] == pytest.approx(
        balanced_accuracy_score(labels[train], predicted))
    assert cal["f1_macro"] == pytest.approx(f1_score(labels[train], predicted, average="macro"))


def test_rmsec_is_saved_in_the_project_and_read_back(tecator_dir, tmp_path):
    from engine.store import Project

    ds = load_dataset(tecator_dir)
    result = run([{"class": "PLSRegression", "params": {"n_components": 5}}], ds, verbose=0)
    path = tmp_path / "p.nirdesk"
    spec = [{"class": "PLSRegression", "params": {"n_components": 5}}]
    with Project.create(path) as project:
        run_id = project.record_run(result, ds, spec)
    with Project.open(path, readonly=True) as project:
        again = project.load_run(run_id).to_run_result()
    assert again.branches[0].metrics["cal"] == result.branches[0].metrics["cal"]


def test_the_run_log_names_rmsec_before_rmsecv(tecator_dir):
    ds = load_dataset(tecator_dir)
    lines: list[str] = []
    result = run([{"class": "PLSRegression", "params": {"n_components": 5}}], ds, verbose=1,
                 log=lines.append)
    metrics = result.branches[0].metrics
    line = next(text for text in lines if text.startswith("[1] "))
    assert (f"RMSEC {metrics['cal']['rmse']:.4g}, RMSECV {metrics['cv']['rmse']:.4g}, "
            f"RMSEP {metrics['test']['rmse']:.4g}") in line
