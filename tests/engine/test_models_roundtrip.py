"""Each new model (and the OPLS, OSC and EPO filters) in a real pipeline: engine.run fits it,
a project saves the run, and predictions from the reopened project equal the in-memory model's
exactly (the fitted state reloads through the trusted-type list, with nothing unpickled)."""
from __future__ import annotations

import numpy as np
import pytest

from engine.dataset import SpectralDataset
from engine.predict import predict
from engine.run import run
from engine.store import Project

REGRESSION = {
    "PCR": ["SNV", {"class": "PCR", "params": {"n_components": 6}}],
    "MLR": [{"class": "SelectRanges", "params": {"ranges": [[900, 905], [1100, 1104]]}},
            "MLR"],
    "OPLS": [{"class": "OPLS", "params": {"n_components": 2}},
             {"class": "PLSRegression", "params": {"n_components": 1, "scale": False}}],
    "OSC": [{"class": "OSC", "params": {"n_components": 2}},
            {"class": "PLSRegression", "params": {"n_components": 4, "scale": False}}],
}


@pytest.fixture(scope="module")
def tablets(tablet_dir) -> SpectralDataset:
    table = np.loadtxt(tablet_dir / "X.csv", delimiter=",", max_rows=81)
    y = np.loadtxt(tablet_dir / "y.csv", delimiter=",", skiprows=1, max_rows=80)
    return SpectralDataset(X=table[1:], wavelengths=table[0], targets={"api_mg": y},
                           sample_ids=[f"t{i}" for i in range(80)],
                           test_mask=np.arange(80) % 4 == 0, name="tablets")


def _roundtrip(spec, data, tmp_path):
    result = run(spec, data, verbose=0, seed=0)
    [branch] = result.branches
    assert branch.status == "ok", branch.error
    path = tmp_path / "models.nirdesk"
    with Project.create(path) as project:
        run_id = project.record_run(result, data, spec)
    again = predict(path, data, run_id=run_id)
    with Project.open(path, readonly=True) as project:
        model = project.load_model(run_id, branch.id)
    return branch, again, model


@pytest.mark.parametrize("name", list(REGRESSION))
def test_regression_pipeline_runs_saves_reopens_and_predicts_identically(name, tablets,
                                                                         tmp_path):
    branch, again, model = _roundtrip(REGRESSION[name], tablets, tmp_path)
    np.testing.assert_array_equal(again.predictions, np.ravel(branch.model.predict(tablets.X)))
    np.testing.assert_array_equal(np.ravel(model.predict(tablets.X)),
                                  np.ravel(branch.model.predict(tablets.X)))
    assert any(type(step).__name__ == name for _, step in model.steps)
    y = tablets.targets["api_mg"]
    assert np.sqrt(np.mean((again.predictions - y) ** 2)) < np.std(y)


def test_epo_pipeline_runs_saves_reopens_and_predicts_identically(tablets, tablet_dir,
                                                                   tmp_path):
    """EPO's difference spectra travel in the spec (instrument 1 - instrument 2 of the
    same 80 tablets); the reopened model projects with the same directions."""
    other = np.loadtxt(tablet_dir / "X_instrument2.csv", delimiter=",", skiprows=1,
                       max_rows=80)
    spec = [{"class": "EPO", "params": {"n_components": 3,
                                        "differences": (tablets.X - other).tolist()}},
            {"class": "PLSRegression", "params": {"n_components": 6, "scale": False}}]
    branch, again, model = _roundtrip(spec, tablets, tmp_path)
    np.testing.assert_array_equal(again.predictions, np.ravel(branch.model.predict(tablets.X)))
    np.testing.assert_array_equal(model[0].projection_, branch.model[0].projection_)
    np.testing.assert_array_equal(np.ravel(model.predict(other)),
                                  np.ravel(branch.model.predict(other)))


@pytest.mark.parametrize("name", ["SIMCA", "PLSDAOneVsRest"])
def test_class_pipeline_runs_saves_reopens_and_predicts_identically(name, tablets, tmp_path):
    y = tablets.targets["api_mg"]
    labels = np.where(y > np.median(y), "high", "low").astype(str)
    data = SpectralDataset(X=tablets.X, wavelengths=tablets.wavelengths,
                           targets={"grade": labels}, sample_ids=tablets.sample_ids,
                           test_mask=tablets.test_mask, name="tablet grades")
    branch, again, model = _roundtrip(["SNV", {"class": name, "params": {"n_components": 3}}],
                                      data, tmp_path)
    np.testing.assert_array_equal(again.predictions, branch.model.predict(data.X))
    Z = branch.model[:-1].transform(data.X)
    np.testing.assert_array_equal(model[-1].membership(model[:-1].transform(data.X)),
                                  branch.model[-1].membership(Z))
    np.testing.assert_array_equal(model[-1].decision_function(Z),
                                  branch.model[-1].decision_function(Z))
