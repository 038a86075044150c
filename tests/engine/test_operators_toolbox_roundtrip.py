"""Each toolbox step of issue 18 in a real pipeline: engine.run fits it, a project saves the
run, and engine.predict on the reopened project gives exactly the in-memory model's
predictions (the fitted step reloads through the trusted-type list)."""
from __future__ import annotations

import numpy as np
import pytest

from engine.dataset import SpectralDataset
from engine.predict import predict
from engine.run import run
from engine.store import Project

STEPS = [
    {"class": "EMSC", "params": {"order": 2}},
    {"class": "RNV", "params": {"percentile": 25}},
    {"class": "NorrisWilliams", "params": {"gap": 4, "segment": 5, "order": 2}},
    {"class": "Whittaker", "params": {"lam": 50.0}},
    {"class": "GaussianSmooth", "params": {"sigma": 2.0}},
    "AirPLS",
    "ArPLS",
    "Rubberband",
    {"class": "ModPoly", "params": {"order": 3}},
    "Absorbance",
    "KubelkaMunk",
    {"class": "Resample", "params": {"step": 5.0}},
    {"class": "SelectRanges", "params": {"ranges": [[700, 1000], [1200, 1600]]}},
]


@pytest.fixture(scope="module")
def tablets(tablet_dir) -> SpectralDataset:
    table = np.loadtxt(tablet_dir / "X.csv", delimiter=",", max_rows=61)
    y = np.loadtxt(tablet_dir / "y.csv", delimiter=",", skiprows=1, max_rows=60)
    return SpectralDataset(X=table[1:], wavelengths=table[0], targets={"api_mg": y},
                           sample_ids=[f"t{i}" for i in range(60)],
                           test_mask=np.arange(60) % 4 == 0, name="tablets")


def _name(step) -> str:
    return step if isinstance(step, str) else step["class"]


@pytest.mark.parametrize("step", STEPS, ids=_name)
def test_runs_saves_reopens_and_predicts_identically(step, tablets, tmp_path) -> None:
    data = tablets
    if _name(step) in ("Absorbance", "KubelkaMunk"):       # they read reflectance
        data = SpectralDataset(X=10.0 ** -tablets.X, wavelengths=tablets.wavelengths,
                               targets=tablets.targets, sample_ids=tablets.sample_ids,
                               test_mask=tablets.test_mask, name="tablets R")
    spec = [step, {"class": "PLSRegression", "params": {"n_components": 3, "scale": False}}]
    result = run(spec, data, verbose=0, seed=0)
    [branch] = result.branches
    assert branch.model is not None, branch
    path = tmp_path / "toolbox.nirdesk"
    with Project.create(path) as project:
        run_id = project.record_run(result, data, spec)
    again = predict(path, data, run_id=run_id)
    np.testing.assert_array_equal(again.predictions, np.ravel(branch.model.predict(data.X)))
    with Project.open(path, readonly=True) as project:
        model = project.load_model(run_id, branch.id)
        np.testing.assert_array_equal(project.model_wavelengths(run_id, branch.id),
                                      data.wavelengths)
    assert type(model.steps[0][1]).__name__ == _name(step)
    rmse = np.sqrt(np.mean((again.predictions - data.targets["api_mg"]) ** 2))
    assert np.isfinite(rmse) and rmse < 3 * np.std(data.targets["api_mg"])
