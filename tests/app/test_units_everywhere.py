"""A wavenumber dataset is labelled in cm⁻¹ wherever its spectra are drawn: the results'
Spectra tab (a branch's preprocessed spectra) and the predict view (new spectra from an
instrument file), not only the main plot."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from app.model.spectra_data import WAVENUMBER_LABEL
from app.predict.jobs import load_spectra
from app.results.spectra_task import branch_spectra
from engine.io import load_data
from engine.pipeline import parse_pipeline
from engine.run import run

OPUS = Path(__file__).resolve().parents[1] / "data" / "formats" / "opus" / "file.0"


def test_new_spectra_from_an_instrument_file_open_in_the_predict_view(tmp_path):
    copy = tmp_path / "new.0"
    shutil.copy(OPUS, copy)
    loaded = load_spectra(str(copy))
    expected = load_data(copy)
    np.testing.assert_array_equal(loaded.dataset.X, expected.X)
    assert loaded.dataset.units == "cm-1"
    assert loaded.drawn is not None and loaded.drawn.x_label == WAVENUMBER_LABEL


def test_a_branch_of_wavenumber_data_keeps_its_units_in_the_results(tecator_dir):
    ds = load_data(tecator_dir)
    ds.units = "cm-1"   # the same numbers, declared as wavenumbers
    result = run(parse_pipeline(["SNV", {"class": "PLSRegression",
                                         "params": {"n_components": 3}}]), ds, verbose=0)
    branch = result.branches[0]
    spectra = branch_spectra(ds.X, ds.wavelengths, True, result.train_indices, ds.y, branch,
                             "SNV", units="cm-1")
    assert spectra.x_label == WAVENUMBER_LABEL
    np.testing.assert_allclose(spectra.Y.mean(axis=1), 0.0, atol=1e-9)   # SNV was applied
