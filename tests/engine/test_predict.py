"""`nirdesk predict`: a saved model applied to spectra it never saw gives what plain scikit-learn
gives; wavelength mismatches are refused with both axes named, or resampled on request."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from engine.cli import main as cli_main
from engine.predict import predict
from engine.store import Project
from tests.reference import RefSNV, read_folder, read_train

SPEC = {"name": "predict-test", "steps": [{"branch": [
    ["SNV", {"class": "PLSRegression", "params": {"n_components": 8, "scale": False}}],
    ["StandardScaler", {"class": "Ridge", "params": {"alpha": 1.0}}],
]}]}
REFERENCE = {1: [("snv", RefSNV()), ("pls", PLSRegression(n_components=8, scale=False))],
             2: [("sc", StandardScaler()), ("ridge", Ridge(alpha=1.0))]}
DATA = Path(__file__).resolve().parents[1] / "data"


def write_folder(folder: Path, wavelengths: np.ndarray, X: np.ndarray, y: np.ndarray | None,
                 ids: list[str]) -> Path:
    """X.csv (id column + spectra, full-precision floats) and optionally y.csv."""
    folder.mkdir(parents=True)
    lines = ["sample_id," + ",".join(f"{w:g}" for w in wavelengths)]
    lines += [f"{i}," + ",".join(repr(float(v)) for v in row)
              for i, row in zip(ids, X, strict=True)]
    (folder / "X.csv").write_text("\n".join(lines) + "\n")
    if y is not None:
        (folder / "y.csv").write_text("api_mg\n" + "\n".join(repr(float(v)) for v in y) + "\n")
    return folder


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A project trained by `nirdesk run --save` on the tablet training rows, and new spectra:
    the held-out test tablets with a little measurement noise added (never seen in training)."""
    root = tmp_path_factory.mktemp("predict")
    spec = root / "spec.json"
    spec.write_text(json.dumps(SPEC))
    project = root / "model.nirdesk"
    assert cli_main(["run", str(spec), "--data", str(DATA / "tablet"), "--save", str(project),
                     "--verbose", "0"]) == 0
    X, y, wl, test = read_folder(DATA / "tablet")
    rng = np.random.default_rng(2)
    X_new = X[test] + rng.normal(scale=2e-4, size=X[test].shape)
    ids = [f"new-{i}" for i in range(len(X_new))]
    new = write_folder(root / "new", wl, X_new, y[test], ids)
    return {"root": root, "project": project, "X": X, "y": y, "wl": wl,
            "train": read_train(DATA / "tablet"),
            "X_new": X_new, "y_new": y[test], "ids": ids, "new": new}


def sklearn_predictions(s: dict, branch: int) -> np.ndarray:
    """The same pipeline fitted with plain scikit-learn (+ a numpy SNV) on the same rows."""
    model = Pipeline(REFERENCE[branch]).fit(s["X"][s["train"]], s["y"][s["train"]])
    return np.ravel(model.predict(s["X_new"]))


@pytest.mark.parametrize("branch", [1, 2])
def test_predictions_on_unseen_spectra_equal_plain_sklearn(setup, branch, capsys):
    out = setup["root"] / f"pred{branch}.csv"
    assert cli_main(["predict", str(setup["project"]), "--data", str(setup["new"]),
                     "--branch", str(branch), "--out", str(out)]) == 0
    header, rows = read_csv(out)
    assert header == ["sample_id", "prediction", "reference", "error", "t2", "q", "leverage",
                      "flag"]
    assert [r[0] for r in rows] == setup["ids"]
    pred = np.array([float(r[1]) for r in rows])
    np.testing.assert_allclose(pred, sklearn_predictions(setup, branch), rtol=0, atol=1e-9)
    np.testing.assert_array_equal([float(r[2]) for r in rows], setup["y_new"])
    np.testing.assert_allclose([float(r[3]) for r in rows], pred - setup["y_new"],
                               rtol=0, atol=1e-12)
    text = capsys.readouterr().out
    assert "predict mode" in text and f"branch {branch}:" in text and "RMSEP" in text


def test_default_is_the_best_branch_of_the_latest_run(setup):
    with Project.open(setup["project"], readonly=True) as project:
        best = project.runs()[-1].best_branch
    result = predict(setup["project"], setup["new"])
    assert result.branch_id == best and result.run_id == 1
    np.testing.assert_allclose(result.predictions, sklearn_predictions(setup, best),
                               rtol=0, atol=1e-9)
    assert result.metrics["rmse"] == pytest.approx(
        float(np.sqrt(np.mean((result.predictions - setup["y_new"]) ** 2))))
    assert [r["code"] for r in result.reasons] == ["predict_mode"]


def test_without_targets_the_csv_has_no_reference_columns(setup):
    folder = write_folder(setup["root"] / "no_y", setup["wl"], setup["X_new"][:5], None,
                          setup["ids"][:5])
    out = setup["root"] / "no_y.csv"
    assert cli_main(["predict", str(setup["project"]), "--data", str(folder), "--branch", "1",
                     "--out", str(out), "--verbose", "0"]) == 0
    header, rows = read_csv(out)
    assert header == ["sample_id", "prediction", "t2", "q", "leverage", "flag"]
    assert len(rows) == 5
    np.testing.assert_allclose([float(r[1]) for r in rows], sklearn_predictions(setup, 1)[:5],
                               rtol=0, atol=1e-9)


def test_mismatched_wavelengths_are_refused_naming_both_axes(setup, capsys):
    folder = write_folder(setup["root"] / "coarse", setup["wl"][::2], setup["X_new"][:, ::2], None,
                          setup["ids"])
    out = setup["root"] / "coarse.csv"
    assert cli_main(["predict", str(setup["project"]), "--data", str(folder),
                     "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "299 wavelengths 600..1792" in err and "597 wavelengths 600..1792" in err
    assert "--resample" in err and not out.exists()
    assert cli_main(["predict", str(setup["project"]), "--data", str(folder), "--out", str(out),
                     "--resample"]) == 0
    assert "resampled 212 spectra" in capsys.readouterr().out
    _, rows = read_csv(out)
    coarse = np.array([float(r[1]) for r in rows])
    # mg, a close approximation
    assert np.median(np.abs(coarse - sklearn_predictions(setup, 1))) < 1.0


def test_resampling_a_finer_grid_reproduces_the_exact_spectra(setup):
    wl, X = setup["wl"], setup["X_new"]
    fine = np.arange(wl[0], wl[-1] + 0.5, 1.0)  # 1 nm: every model wavelength is a grid point
    X_fine = np.array([np.interp(fine, wl, row) for row in X])
    folder = write_folder(setup["root"] / "fine", fine, X_fine, None, setup["ids"])
    result = predict(setup["project"], folder, branch=1, resample=True)
    assert result.resampled
    np.testing.assert_allclose(result.predictions, sklearn_predictions(setup, 1), rtol=0, atol=1e-9)


def test_resampling_never_extrapolates(setup, capsys):
    keep = setup["wl"] >= 700
    folder = write_folder(setup["root"] / "short", setup["wl"][keep], setup["X_new"][:, keep], None,
                          setup["ids"])
    assert cli_main(["predict", str(setup["project"]), "--data", str(folder), "--resample",
                     "--out", str(setup["root"] / "short.csv")]) == 2
    err = capsys.readouterr().err
    assert ("extrapolat" in err and "597 wavelengths 600..1792" in err
            and "547 wavelengths 700..1792" in err)


def test_a_run_appended_with_save_and_chosen_with_run(setup, tmp_path, capsys):
    project = tmp_path / "two.nirdesk"
    spec = setup["root"] / "spec.json"
    for _ in range(2):
        assert cli_main(["run", str(spec), "--data", str(DATA / "tablet"), "--save", str(project),
                         "--verbose", "0"]) == 0
    with Project.open(project, readonly=True) as p:
        assert ([r.id for r in p.runs()] == [1, 2] and len(p.datasets()) == 1
                and len(p.pipelines()) == 1)
    out = tmp_path / "o.csv"
    assert cli_main(["predict", str(project), "--data", str(setup["new"]), "--run", "1",
                     "--branch", "2", "--out", str(out)]) == 0
    assert "run 1, branch 2:" in capsys.readouterr().out
    assert cli_main(["predict", str(project), "--data", str(setup["new"]), "--branch", "9",
                     "--out", str(out)]) == 2
    assert "has no branch 9 (branches: 1, 2)" in capsys.readouterr().err
    assert cli_main(["info", str(project)]) == 0
    text = capsys.readouterr().out
    assert "runs         2" in text and "tablet: 642 samples x 597 wavelengths; api_mg" in text
    assert "best [" in text and "RMSECV" in text


def test_a_project_without_runs_and_an_unwritable_output(setup, tmp_path, capsys):
    Project.create(tmp_path / "empty.nirdesk").close()
    assert cli_main(["predict", str(tmp_path / "empty.nirdesk"), "--data", str(setup["new"]),
                     "--out", str(tmp_path / "o.csv")]) == 2
    assert "no runs" in capsys.readouterr().err
    assert cli_main(["predict", str(setup["project"]), "--data", str(setup["new"]),
                     "--out", str(tmp_path / "missing" / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert "cannot write the predictions" in err and err.count("\n") == 1


def test_the_api_takes_an_open_project_and_a_loaded_dataset(setup):
    """What the GUI does: project already open, spectra already loaded; the policy's reason is
    logged for a pipeline without branch steps too."""
    fixture = DATA / "project_v1.nirdesk"
    messages: list[str] = []
    with Project.open(fixture, readonly=True) as project:
        ds = project.load_dataset(1)
        stored = project.load_run(1)
        result = predict(project, ds, log=messages.append)
    np.testing.assert_array_equal(result.predictions[stored.test_indices],
                                  stored.predictions[1]["test"])
    assert any("predict mode" in m for m in messages)


def test_a_text_reference_column_is_refused_with_one_line(setup, capsys):
    """New data whose target column holds words (a lab's 'high'/'low' grades) cannot be compared
    with a regression model's numbers: exit 2 naming the column, no traceback."""
    folder = write_folder(setup["root"] / "text_y", setup["wl"], setup["X_new"][:4], None,
                          setup["ids"][:4])
    (folder / "y.csv").write_text("api_mg\nhigh\nlow\nhigh\nlow\n")
    out = setup["root"] / "text_y.csv"
    assert cli_main(["predict", str(setup["project"]), "--data", str(folder), "--branch", "1",
                     "--out", str(out), "--verbose", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "'api_mg' column holds text" in err and "text_y" in err and not out.exists()
