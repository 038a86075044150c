"""The model report's content (engine.report) against an independent read of the project:
the results JSON and the model blob read with plain sqlite3/json/numpy, the reference values
from the dataset's CSV files. Metrics printed equal the stored ones, the excluded ids, every
step parameter, the model's sha256, the plotted predictions and T² of the flagged samples are
the project's; two reports of one project are identical; bad run/branch ids name the choices;
a classification run gets its confusion matrices counted from the stored predictions."""
from __future__ import annotations

import hashlib
import io
import json
import sqlite3

import numpy as np
import pytest

from engine.errors import InputError
from engine.report import Figure, Table, build_report, report_choices, report_text
from engine.report.document import KeyValues, Paragraph
from tests.report_projects import (
    GRADES_SPEC,
    TABLET_EXCLUDED,
    TABLET_SPEC,
    grades_project,
    tablet_project,
)


@pytest.fixture(scope="module")
def tablet(tmp_path_factory, tablet_dir):
    return tablet_project(tmp_path_factory.mktemp("report") / "tablet.nirdesk", tablet_dir)


@pytest.fixture(scope="module")
def grades(tmp_path_factory, tecator_dir):
    return grades_project(tmp_path_factory.mktemp("report") / "grades.nirdesk", tecator_dir)


def stored(path, run_id=1):
    """(results JSON, {branch: sha256 column}, {branch: sha256 of the blob}, predictions)
    read with sqlite3 alone."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        results = json.loads(conn.execute("SELECT results FROM runs WHERE id = ?",
                                          (run_id,)).fetchone()[0])
        models = conn.execute("SELECT branch_id, sha256, model FROM branch_models "
                              "WHERE run_id = ?", (run_id,)).fetchall()
        preds = {(b, k): np.load(io.BytesIO(blob), allow_pickle=False) for b, k, blob in
                 conn.execute("SELECT branch_id, kind, data FROM predictions WHERE run_id = ?",
                              (run_id,))}
    column = {b: s for b, s, _ in models}
    computed = {b: hashlib.sha256(blob).hexdigest() for b, _, blob in models}
    return results, column, computed, preds


def table(report, title=None, first_header=None) -> Table:
    return next(t for t in report.tables()
                if (title is None or t.title == title)
                and (first_header is None or t.header[0] == first_header))


def test_metrics_are_the_stored_values_with_fixed_formatting(tablet):
    report = build_report(tablet)
    results, *_ = stored(tablet)
    best = results["best_branch"]
    branch = next(b for b in results["branches"] if b["id"] == best)
    assert report.branch_id == best and report.run_id == 1
    merit = table(report, first_header="Partition")
    rows = {row[0]: row for row in merit.rows}
    for part, label in (("cal", "Calibration (RMSEC)"), ("cv", "Cross-validation (RMSECV)"),
                        ("test", "Test (RMSEP)")):
        values = branch["metrics"][part]
        expected = [f"{values[k]:.4f}" for k in ("rmse", "r2", "bias", "sep", "rpd", "mae")]
        assert list(rows[label][2:]) == expected
    # n: calibration and test rows as the run used them (the excluded two left out)
    assert rows["Calibration (RMSEC)"][1] == str(results["dataset"]["n_train"])
    assert rows["Test (RMSEP)"][1] == str(results["dataset"]["n_test"])
    # leaderboard: every branch with its stored RMSECV and RMSEP, the best one marked
    board = table(report, title="All branches of the run")
    assert len(board.rows) == len(results["branches"]) == 2
    for row, b in zip(board.rows, results["branches"], strict=True):
        assert row[0] == f"{b['id']}" + (" *" if b["id"] == best else "")
        assert row[4] == f"{b['metrics']['cv']['rmse']:.4f}"
        assert row[6] == f"{b['metrics']['test']['rmse']:.4f}"


def test_excluded_ids_model_hash_and_dataset_facts(tablet, tablet_dir):
    report = build_report(tablet)
    results, column, computed, _ = stored(tablet)
    best = results["best_branch"]
    excluded = results["dataset"]["excluded"]   # ours, and any the loader left out
    assert set(TABLET_EXCLUDED) <= set(excluded)
    note = next(b for b in report.blocks if isinstance(b, Paragraph)
                and b.text.startswith("Excluded samples"))
    assert note.text.endswith(": " + ", ".join(excluded))
    assert f"({len(excluded)})" in note.text
    assert column[best] == computed[best]   # the stored hash is the blob's
    text = report_text(report)
    assert text.count(computed[best]) == 2   # summary and the software/model section
    summary = next(b for b in report.blocks if isinstance(b, KeyValues))
    assert dict(summary.rows)["Model sha256"] == computed[best]
    with sqlite3.connect(f"file:{tablet}?mode=ro", uri=True) as conn:
        digest, versions = conn.execute("SELECT d.content_hash, r.versions FROM datasets d "
                                        "JOIN runs r ON r.dataset_id = d.id").fetchone()
    assert f"Content sha256: {digest}" in text
    for key in ("nirdesk", "numpy", "scikit-learn"):
        assert f"{json.loads(versions)[key]}" in text
    assert "Python: " + json.loads(versions)["python"] in text
    assert str(tablet_dir / "split.csv") in text
    # the tablet's 30 'trans' rows: the partition line says why they are left out
    assert "rows labelled 'trans' (30) are neither calibration nor test: left out" in text


def test_every_step_parameter_and_the_tuned_range(tablet):
    from engine.store import Project

    report = build_report(tablet)
    results, *_ = stored(tablet)
    best = results["best_branch"]
    branch = next(b for b in results["branches"] if b["id"] == best)
    steps = table(report, title="Steps and parameters")
    cells = {(row[0].split(". ", 1)[1].split(" (")[0], row[1]): (row[2], row[3])
             for row in steps.rows}
    # what the user wrote, as the results JSON holds it
    written = [s for s in branch["steps"] if isinstance(s, dict) and "params" in s]
    assert written, "the best branch has explicit parameters"
    for step in written:
        for key, value in step["params"].items():
            match = [v for (name, k), v in cells.items() if k == key]
            assert (json.dumps(value), "set in the pipeline") in match
    # the tuned model parameter: its best value and the search range of the spec
    tuned = cells[("PLS", "n_components")]
    assert tuned[0] == str(branch["best_params"]["n_components"])
    assert tuned[1].startswith("tuned: int 2 to 12")
    # every parameter the saved model was built with (defaults too)
    with Project.open(tablet, readonly=True) as project:
        model = project.load_model(1, best)
    listed = {k for (_, k) in cells}
    for _, est in model.steps:
        assert set(est.get_params(deep=False)) <= listed
    # the CV splitter of the spec
    assert cells[("KFold", "n_splits")] == ("5", "set in the pipeline")
    assert TABLET_SPEC["steps"][0]["class"] == "KFold"


def test_plots_hold_the_stored_predictions_and_flagged_t2(tablet, tablet_dir):
    report = build_report(tablet)
    results, _, _, preds = stored(tablet)
    best = results["best_branch"]
    y = np.loadtxt(tablet_dir / "y.csv", delimiter=",", skiprows=1)
    with sqlite3.connect(f"file:{tablet}?mode=ro", uri=True) as conn:
        blobs = conn.execute("SELECT train_indices, test_indices FROM runs").fetchone()
    train_rows, test_rows = (np.load(io.BytesIO(b), allow_pickle=False) for b in blobs)
    ids = np.arange(1, y.size + 1).astype(str)
    assert not np.isin(ids[np.concatenate([train_rows, test_rows])], TABLET_EXCLUDED).any()
    pred_obs = report.figure("pred_vs_obs")
    assert isinstance(pred_obs, Figure)
    cv, test = pred_obs.series
    np.testing.assert_array_equal(test.x, y[test_rows])
    np.testing.assert_array_equal(test.y, preds[(best, "test")])
    cv_pred = preds[(best, "cv")]
    assert np.isfinite(cv_pred).all() and cv.count == cv_pred.size == train_rows.size
    np.testing.assert_array_equal(cv.x, y[train_rows])
    np.testing.assert_array_equal(cv.y, cv_pred)
    residuals = report.figure("residuals")
    np.testing.assert_allclose(residuals.series[1].y, preds[(best, "test")] - y[test_rows])
    # T² vs Q: the flagged calibration samples are the run's stored outliers, same T²
    branch = next(b for b in results["branches"] if b["id"] == best)
    t2q = report.figure("t2q")
    flagged = next(s for s in t2q.series if s.label.startswith("Calibration outside"))
    stored_t2 = np.sort([o["t2"] for o in branch["outliers"]])
    np.testing.assert_allclose(np.sort(flagged.x), stored_t2, rtol=1e-9)
    assert {g.label.split(" = ")[0] for g in t2q.guides} == {"T\u00b2 95%", "T\u00b2 99%",
                                                               "Q 95%", "Q 99%"}
    # RMSECV curve as stored, with the chosen number of components
    curve = report.figure("curve")
    np.testing.assert_array_equal(curve.series[0].y, branch["curve"]["rmsecv"])
    assert curve.guides[0].value == branch["best_params"]["n_components"]
    assert report.figure("spectra_raw").series[2].count == len(results["dataset"]["excluded"])
    assert report.figure("coefficients").series[0].count == 597


def test_two_reports_of_one_project_are_identical(tablet):
    first, second = build_report(tablet), build_report(tablet)
    assert report_text(first) == report_text(second)
    for a, b in zip(first.figures(), second.figures(), strict=True):
        for s, t in zip(a.series, b.series, strict=True):
            np.testing.assert_array_equal(s.x, t.x)
            np.testing.assert_array_equal(s.y, t.y)


def test_choices_defaults_and_refusals_name_the_choices(tablet):
    results, *_ = stored(tablet)
    [run] = report_choices(tablet)
    assert run.id == 1 and [b.id for b in run.branches] == [1, 2]
    assert run.default_branch().id == results["best_branch"]
    other = 3 - results["best_branch"]
    assert build_report(tablet, 1, other).branch_id == other
    with pytest.raises(InputError, match=r"no run 7 \(runs: 1\)"):
        build_report(tablet, 7)
    with pytest.raises(InputError, match=r"run 1 has no branch 9 \(branches: 1, 2\)"):
        build_report(tablet, 1, 9)


def test_classification_report_has_confusion_matrices_from_the_stored_predictions(grades):
    from sklearn.metrics import confusion_matrix

    report = build_report(grades)
    results, _, _, preds = stored(grades)
    assert results["dataset"]["task"] == "classification"
    with sqlite3.connect(f"file:{grades}?mode=ro", uri=True) as conn:
        train = np.load(io.BytesIO(conn.execute("SELECT train_indices FROM runs").fetchone()[0]))
        test = np.load(io.BytesIO(conn.execute("SELECT test_indices FROM runs").fetchone()[0]))
    labels = np.loadtxt(grades.parent / "grades" / "y.csv", dtype=str, skiprows=1)
    classes = sorted(set(labels))
    for name, rows, kind in (("cross-validation", train, "cv"), ("test", test, "test")):
        t = table(report, title=f"Confusion matrix, {name}")
        assert t.header == ("observed \\ predicted", *classes, "n")
        expected = confusion_matrix(labels[rows], preds[(1, kind)], labels=classes)
        got = np.array([[int(v) for v in row[1:-1]] for row in t.rows[:-1]])
        np.testing.assert_array_equal(got, expected)
        accuracy = np.trace(expected) / expected.sum()
        assert accuracy == pytest.approx(results["branches"][0]["metrics"][kind]["accuracy"])
    merit = table(report, first_header="Partition")
    cv_row = next(r for r in merit.rows if r[0] == "Cross-validation")
    metrics = results["branches"][0]["metrics"]["cv"]
    assert cv_row[2:] == tuple(f"{metrics[k]:.4f}" for k in ("accuracy", "balanced_accuracy",
                                                              "f1_macro"))
    class_table = table(report, title="Class metrics")
    assert [r[0] for r in class_table.rows] == classes
    assert report.figure("pred_vs_obs") is None and report.figure("t2q") is not None
    assert GRADES_SPEC["steps"][1]["class"] in report_text(report)
