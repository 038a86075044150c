"""Transfer view: with a project trained on instrument 1 of the tablet shootout, the view pairs
the two instruments' files, fits PDS on Kennard-Stone standards (or on samples ticked by hand)
off the GUI thread, shows the RMSEP the engine computes, draws before/after, and saves a
project whose model predicts instrument 2; refusals are one line and keep what is shown."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from app.transfer.view import TransferView

TIMEOUT = 60000


def _instrument(folder: Path, tablet_dir: Path, x_name: str) -> Path:
    folder.mkdir()
    shutil.copy(tablet_dir / x_name, folder / "X.csv")
    for name in ("y.csv", "split.csv"):
        shutil.copy(tablet_dir / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def setup(tmp_path_factory, tablet_dir):
    from engine.cli import main

    root = tmp_path_factory.mktemp("transfer_view")
    primary = _instrument(root / "inst1", tablet_dir, "X.csv")
    secondary = _instrument(root / "inst2", tablet_dir, "X_instrument2.csv")
    pipeline = root / "pls.json"
    pipeline.write_text(json.dumps([{"class": "PLSRegression", "params": {"n_components": 10}}]))
    project = root / "model.nirdesk"
    assert main(["run", str(pipeline), "--data", str(primary), "--save", str(project),
                 "--verbose", "0"]) == 0
    return {"root": root, "primary": primary, "secondary": secondary, "project": project}


@pytest.fixture
def view(qtbot, setup):
    v = TransferView()
    qtbot.addWidget(v)
    v.resize(1100, 680)
    v.set_project(str(setup["project"]))
    qtbot.waitUntil(lambda: v.model_combo.count() == 1 and not v.is_busy(), timeout=TIMEOUT)
    yield v
    v.shutdown()


def _expected(setup, method: str, standards, window: int = 5):
    """The engine's own fit on the same inputs (what the view must show)."""
    from engine.io import load_data
    from engine.store import Project
    from engine.transfer.fit import fit_transfer
    from engine.transfer.pairing import pair_datasets
    from engine.transfer.standards import choose_standards

    with Project.open(setup["project"], readonly=True) as proj:
        model = proj.load_model(1, 1)
    tset = pair_datasets(load_data(setup["primary"]), load_data(setup["secondary"]), "api_mg")
    return fit_transfer(model, tset, method, choose_standards(tset, standards), window=window)


def _transfer(qtbot, view) -> None:
    view.run_transfer()
    qtbot.waitUntil(lambda: view.computed is not None and not view.is_busy(), timeout=TIMEOUT)


def test_kennard_stone_pds_shows_the_engines_rmsep_and_saves(qtbot, view, setup) -> None:
    view.set_files(str(setup["primary"]), str(setup["secondary"]))
    qtbot.waitUntil(lambda: view.prepared is not None and not view.is_busy(), timeout=TIMEOUT)
    assert view.samples.count() == 642
    assert "642 pairs by row order, 212 held out" in view.message_text()
    view.set_method("pds", 5)
    view.set_standards(20)
    _transfer(qtbot, view)
    expected = _expected(setup, "pds", 20)
    out = view.computed.outcome
    assert out.after["rmse"] == pytest.approx(expected.after["rmse"], rel=1e-9)
    assert out.after["rmse"] < 0.5 * out.before["rmse"]
    text = view.result_label.text()
    assert f"{expected.before['rmse']:.4g} untransferred" in text
    assert f"{expected.after['rmse']:.4g} with PDS" in text
    assert len(view.ticked()) == 20                        # Kennard-Stone's choice shown
    spectra = view.spectra_plot.getPlotItem().listDataItems()
    assert len(spectra) == 3
    assert len(view.pred_plot.getPlotItem().listDataItems()) == 3  # 1:1 line + 2 scatters

    target = setup["root"] / "moved.nirdesk"
    with qtbot.waitSignal(view.saved, timeout=TIMEOUT) as saved:
        view.save_to(str(target))
    assert saved.args == [str(target), 2]
    from engine.predict import predict

    result = predict(target, setup["secondary"])
    np.testing.assert_allclose(result.predictions, out.predictions_after, rtol=1e-9)


def test_standards_ticked_by_hand(qtbot, view, setup) -> None:
    view.set_files(str(setup["primary"]), str(setup["secondary"]))
    qtbot.waitUntil(lambda: view.prepared is not None and not view.is_busy(), timeout=TIMEOUT)
    view.set_method("ds")
    chosen = [str(i) for i in range(1, 400, 25)]          # 16 calibration tablets
    view.set_standards(chosen)
    assert sorted(view.ticked(), key=int) == chosen
    _transfer(qtbot, view)
    out = view.computed.outcome
    assert sorted(view.prepared.tset.sample_ids[out.standards].tolist(), key=int) == chosen
    assert out.after["rmse"] == pytest.approx(_expected(setup, "ds", chosen).after["rmse"])


def test_mismatched_axes_are_one_line_and_keep_the_view(qtbot, view, setup) -> None:
    folder = setup["root"] / "cropped"
    if not folder.exists():
        folder.mkdir()
        with open(setup["secondary"] / "X.csv") as src, open(folder / "X.csv", "w") as dst:
            for line in src:
                dst.write(",".join(line.rstrip("\n").split(",")[:-10]) + "\n")
    with qtbot.waitSignal(view.error, timeout=TIMEOUT) as err:
        view.set_files(str(setup["primary"]), str(folder))
    line = err.args[0]
    assert "\n" not in line and "587 wavelengths" in line and str(folder) in line
    assert view.message_text() == line
    assert view.prepared is None and not view.save_button.isEnabled()


def test_save_refuses_the_open_project(qtbot, view, setup) -> None:
    view.set_files(str(setup["primary"]), str(setup["secondary"]))
    qtbot.waitUntil(lambda: view.prepared is not None and not view.is_busy(), timeout=TIMEOUT)
    view.set_standards(10)
    _transfer(qtbot, view)
    before = setup["project"].read_bytes()
    with qtbot.waitSignal(view.error, timeout=5000):
        view.save_to(str(setup["project"]))
    assert "new project file" in view.message_text()
    assert setup["project"].read_bytes() == before


def test_the_window_opens_the_transfer_view_on_its_project_and_dataset(qtbot, tmp_path,
                                                                       setup) -> None:
    """Run > Transfer opens the view on the window's project, the open dataset as primary."""
    from app.common.settings import AppSettings
    from app.shell.main_window import MainWindow

    w = MainWindow(AppSettings(tmp_path / "settings.ini"), quiet=True)
    qtbot.addWidget(w)
    handle = w.open_dataset(str(setup["primary"]))
    qtbot.waitUntil(lambda: w.state.dataset is not None, timeout=TIMEOUT)
    assert handle is not None
    w.actions["transfer"].trigger()
    view = w.bench.transfer_view
    assert view is not None and w.bench.transfer_dialog.isVisible()
    assert view.primary_edit.text() == w.state.dataset_path
    qtbot.waitUntil(lambda: not view.is_busy(), timeout=TIMEOUT)
    assert view._project == w.bench.project_path()
    w.close()
    w.shutdown()
    assert view._closed


def test_predict_views_calibration_of_a_transferred_model_is_the_primarys(setup) -> None:
    """Predict's T² vs Q plot places the run's (instrument 1) calibration spectra: for the
    transferred model they are where the source model puts them, not passed through PDS."""
    from app.predict.jobs import load_training
    from engine.transfer.project import transfer_project

    target = setup["root"] / "for-predict.nirdesk"
    transfer_project(setup["project"], setup["primary"], setup["secondary"], "pds",
                     standards=15, save=target)
    source = load_training(str(setup["project"]), 1, 1).influence
    moved = load_training(str(target), 2, 1).influence
    assert source.t2 is not None and moved.t2 is not None
    np.testing.assert_allclose(moved.t2, source.t2, rtol=1e-10)
    np.testing.assert_allclose(moved.q, source.q, rtol=1e-10)
