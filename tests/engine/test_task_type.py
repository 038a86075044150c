"""Task type per target: numeric class codes stay regression until the user says otherwise
(never switched silently), and `--task classification` makes PLSDA model them as classes with
the same balanced accuracy as an independent scikit-learn computation of the same folds."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import KFold

from engine.cli import main as cli_main
from engine.dataset import SpectralDataset
from engine.errors import InputError
from engine.io import load_dataset
from engine.store import Project

PLSDA_SPEC = {"name": "codes", "steps": [
    {"class": "PLSDA", "params": {"n_components": 6}}]}
PLS_SPEC = {"name": "codes", "steps": [
    {"class": "PLSRegression", "params": {"n_components": 6, "scale": False}}]}


@pytest.fixture
def coded(tmp_path, tecator_dir):
    """tecator with fat coded 1..6 by sextiles (whole numbers in y.csv) and no test part."""
    folder = tmp_path / "coded"
    folder.mkdir()
    shutil.copy(tecator_dir / "X.csv", folder / "X.csv")
    fat = np.loadtxt(tecator_dir / "y.csv", delimiter=",", skiprows=1, usecols=1)
    edges = np.quantile(fat, [1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6])
    codes = np.searchsorted(edges, fat, side="right") + 1
    (folder / "y.csv").write_text("grade\n" + "\n".join(str(c) for c in codes) + "\n")
    return folder, codes


def _write(tmp_path, spec):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(spec))
    return path


def _independent_bacc(X, codes, n_components=6):
    """One-hot PLS + argmax with KFold(5, shuffle, 0): PLSDA written out with plain sklearn."""
    classes = np.unique(codes)
    pred = np.empty_like(codes)
    for a, b in KFold(5, shuffle=True, random_state=0).split(X):
        onehot = (codes[a][:, None] == classes[None, :]).astype(float)
        pls = PLSRegression(n_components=n_components, scale=False).fit(X[a], onehot)
        pred[b] = classes[np.argmax(pls.predict(X[b]), axis=1)]
    return float(balanced_accuracy_score(codes, pred))


def test_codes_stay_regression_but_are_offered_as_classes(coded, capsys):
    folder, _ = coded
    ds = load_dataset(folder)
    assert not ds.is_classification and ds.y.dtype == np.float64
    assert ds.class_candidates() == ["grade"]
    assert cli_main(["info", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "could be classes" in out and "--task classification" in out


def test_task_classification_reports_the_independent_balanced_accuracy(coded, tmp_path,
                                                                       tecator_dir):
    folder, codes = coded
    out = tmp_path / "r.json"
    code = cli_main(["run", str(_write(tmp_path, PLSDA_SPEC)), "--data", str(folder),
                     "--task", "classification", "--out", str(out), "--verbose", "0"])
    assert code == 0
    result = json.loads(out.read_text())
    [branch] = result["branches"]
    assert branch["status"] == "ok", branch["error"]
    assert result["dataset"]["task"] == "classification"
    X = np.loadtxt(tecator_dir / "X.csv", delimiter=",", skiprows=1)
    expected = _independent_bacc(X, codes)
    assert branch["metrics"]["cv"]["balanced_accuracy"] == pytest.approx(expected, abs=1e-12)
    assert 0.2 < expected < 1.0  # a real classification, not a degenerate one


def test_without_task_the_codes_are_a_regression_target(coded, tmp_path):
    folder, _ = coded
    out = tmp_path / "r.json"
    assert cli_main(["run", str(_write(tmp_path, PLS_SPEC)), "--data", str(folder),
                     "--out", str(out), "--verbose", "0"]) == 0
    result = json.loads(out.read_text())
    assert result["dataset"]["task"] == "regression"
    assert "rmse" in result["branches"][0]["metrics"]["cv"]


def test_the_choice_is_kept_in_the_project(coded, tmp_path):
    folder, _ = coded
    project = tmp_path / "p.nirdesk"
    assert cli_main(["run", str(_write(tmp_path, PLSDA_SPEC)), "--data", str(folder),
                     "--task", "classification", "--save", str(project), "--verbose", "0"]) == 0
    with Project.open(project) as proj:
        [summary] = proj.runs()
        again = proj.load_dataset(summary.dataset_id)
    assert again.tasks == {"grade": "classification"} and again.is_classification
    assert list(np.unique(again.y)) == ["1", "2", "3", "4", "5", "6"]
    # the same spectra saved again as regression: the project remembers the latest choice
    ds = load_dataset(folder)
    with Project.open(project) as proj:
        assert proj.save_dataset(ds) == summary.dataset_id
        assert not proj.load_dataset(summary.dataset_id).tasks


def test_impossible_choices_are_refused_in_one_line(coded, tmp_path, capsys):
    folder, _ = coded
    ds = SpectralDataset(X=np.ones((4, 3)), wavelengths=[1.0, 2.0, 3.0],
                         targets={"kind": np.array(["a", "b", "a", "b"]),
                                  "fat": np.array([1.5, 2.0, 3.0, 4.0])},
                         sample_ids=["1", "2", "3", "4"], test_mask=np.zeros(4, bool))
    with pytest.raises(InputError, match="text labels"):
        ds.set_task("kind", "regression")
    with pytest.raises(InputError, match="fractional"):
        ds.set_task("fat", "classification")
    assert ds.class_candidates() == []
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["run", str(_write(tmp_path, PLSDA_SPEC)), "--data", str(folder),
                  "--task", "sideways"])
    assert exit_info.value.code == 2 and capsys.readouterr().err.count("\n") == 1
    text = tmp_path / "text"  # a text target cannot be regression: exit 2, one line
    text.mkdir()
    shutil.copy(folder / "X.csv", text / "X.csv")
    labels = ["low" if c < 4 else "high" for c in coded[1]]
    (text / "y.csv").write_text("kind\n" + "\n".join(labels) + "\n")
    code = cli_main(["run", str(_write(tmp_path, PLS_SPEC)), "--data", str(text),
                     "--task", "regression"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "text labels" in err


def test_predict_scores_numeric_codes_as_the_classes_the_model_learnt(coded, tmp_path):
    from engine.predict import predict

    folder, codes = coded
    project = tmp_path / "p.nirdesk"
    assert cli_main(["run", str(_write(tmp_path, PLSDA_SPEC)), "--data", str(folder),
                     "--task", "classification", "--save", str(project), "--verbose", "0"]) == 0
    result = predict(project, load_dataset(folder))
    assert result.task == "classification"
    labels = np.array([str(c) for c in codes])
    assert list(result.reference) == list(labels)
    expected = balanced_accuracy_score(labels, result.predictions.astype(str))
    assert result.metrics["balanced_accuracy"] == pytest.approx(expected, abs=1e-12)
    assert expected > 0.5
