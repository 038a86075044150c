"""The dataset controller without any window (pytest-qt, offscreen): it loads and parses off
the GUI thread into the WorkbenchState, computes the chosen branch's preprocessing (equal to
an independent numpy MSC fitted on the training rows), caches it, and reports failures through
the notifier while what is open stays open."""
from __future__ import annotations

import json

import numpy as np
import pytest

from app.common.notify import Notifier
from app.model.state import PREPROCESSED, RAW, WorkbenchState
from app.spectra.controller import DatasetController
from engine.errors import InputError
from engine.io import load_dataset
from tests.reference import RefMSC

WAIT = 30_000


@pytest.fixture
def ctrl(qtbot):
    notifier = Notifier(quiet=True)
    c = DatasetController(WorkbenchState(), notifier)
    yield c
    c.shutdown()


def test_open_dataset_and_pipeline_fill_the_state(ctrl, qtbot, tecator_dir):
    from engine.resources import demo_pipeline_path

    files, loaded = [], []
    ctrl.dataset_file_opened.connect(lambda path, by_user: files.append((path, by_user)))
    ctrl.dataset_loaded.connect(loaded.append)
    ctrl.open_dataset(tecator_dir, "fat", by_user=False).wait()
    st = ctrl.state
    assert st.dataset is loaded[0] and st.dataset.target == "fat"
    assert files == [(str(tecator_dir), False)]
    np.testing.assert_array_equal(st.shown.Y, load_dataset(tecator_dir).X)
    opened = []
    ctrl.pipeline_opened.connect(lambda p, path, by_user: opened.append((path, by_user)))
    ctrl.open_pipeline(demo_pipeline_path()).wait()
    assert opened == [(str(demo_pipeline_path()), True)]
    assert [b.id for b in st.pipeline.branches] == [1, 2, 3, 4]
    assert not ctrl.is_busy()


def test_preprocessed_spectra_equal_an_independent_msc_and_come_from_the_cache(ctrl, qtbot,
                                                                                tecator_dir,
                                                                                tmp_path):
    spec = tmp_path / "two.json"
    spec.write_text(json.dumps({"steps": [{"branch": [["SNV", "PLSRegression"],
                                                      ["MSC", "PLSRegression"]]}]}))
    ctrl.open_dataset(tecator_dir).wait()
    ctrl.open_pipeline(spec).wait()
    st = ctrl.state
    raw = st.shown
    with qtbot.waitSignal(ctrl.busy_changed, timeout=WAIT,
                          check_params_cb=lambda busy, _label: not busy):
        st.set_display(PREPROCESSED, 2)
    ds = st.dataset
    expected = RefMSC().fit(ds.X[~ds.test_mask]).transform(ds.X)
    np.testing.assert_allclose(st.shown.Y, expected, rtol=1e-10, atol=1e-12)
    pre = st.shown
    st.set_display(RAW)
    assert st.shown is raw
    st.set_display(PREPROCESSED, 2)
    assert st.shown is pre and not ctrl.is_busy()      # from the cache, at once
    # excluded rows leave the fit as they leave a run's: MSC's mean spectrum changes
    excluded = np.flatnonzero(~ds.test_mask)[:20]
    with qtbot.waitSignal(ctrl.busy_changed, timeout=WAIT,
                          check_params_cb=lambda busy, _label: not busy):
        st.set_excluded(excluded)
    fit_rows = np.setdiff1d(np.flatnonzero(~ds.test_mask), excluded)
    expected = RefMSC().fit(ds.X[fit_rows]).transform(ds.X)
    np.testing.assert_allclose(st.shown.Y, expected, rtol=1e-10, atol=1e-12)


def test_failures_go_to_the_notifier_and_keep_what_is_open(ctrl, qtbot, tecator_dir, tmp_path,
                                                           capsys):
    ctrl.open_dataset(tecator_dir).wait()
    before = ctrl.state.dataset
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "X.csv").write_text("1000,1100,1200\n0.1,0.2\n")
    failed = []
    ctrl.load_failed.connect(failed.append)
    with pytest.raises(InputError):
        ctrl.open_dataset(bad).wait()
    assert ctrl.state.dataset is before
    [line] = ctrl.notifier.errors
    assert failed == [line] and "X.csv" in line and "row 2" in line
    assert f"nirdesk: Cannot open the dataset: {line}" in capsys.readouterr().err
    # a branch that does not suit the data: raw spectra shown, one line, not a bug
    spec = tmp_path / "wide.json"
    spec.write_text('{"steps": [{"class": "SavitzkyGolay", "params": {"window_length": 501}},'
                    ' {"class": "PLSRegression", "params": {"n_components": 2}}]}')
    ctrl.open_pipeline(spec).wait()
    with qtbot.waitSignal(ctrl.preprocessing_failed, timeout=WAIT):
        ctrl.state.set_display(PREPROCESSED, 1)
    assert ctrl.state.display == RAW and ctrl.state.shown is ctrl.state.raw
    assert "window_length" in ctrl.notifier.errors[-1]
    assert "nirdesk: Branch 1: SavitzkyGolay" in capsys.readouterr().err
