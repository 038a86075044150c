"""Partition labels other than train/test in the window (issue 21): the tablet's split.csv
labels 30 rows 'trans'. The Dataset panel says they are left out and why, they are drawn and
counted as excluded (never silently training rows), and Include all makes them training rows
as one undoable edit (the window's way of mapping the label to train)."""
from __future__ import annotations

import csv

import numpy as np

from app.common.settings import AppSettings
from app.shell.main_window import MainWindow

WAIT = 60_000


def _labels(folder) -> np.ndarray:
    with open(folder / "split.csv", newline="") as fh:
        return np.array([r[0].strip() for r in list(csv.reader(fh))[1:]])


def test_trans_rows_are_left_out_named_and_can_be_included(qtbot, tmp_path, tablet_dir) -> None:
    w = MainWindow(AppSettings(tmp_path / "settings.ini"), quiet=True)
    qtbot.addWidget(w)
    w.apply_default_size((1280, 800))
    w.show()
    qtbot.waitExposed(w)
    w.start(data=str(tablet_dir))
    qtbot.waitUntil(lambda: w.state.dataset is not None and w.is_settled(), timeout=WAIT)
    labels = _labels(tablet_dir)
    trans = np.flatnonzero(labels == "trans")
    ds = w.state.dataset
    np.testing.assert_array_equal(np.flatnonzero(ds.excluded), trans)
    np.testing.assert_array_equal(ds.train_indices, np.flatnonzero(labels == "cal"))
    panel = w.dataset_panel
    assert "30 labelled 'trans'" in panel.notes.text() and "--split-map" in panel.notes.text()
    assert panel.excluded.full_text().startswith("30")
    assert panel.partition.full_text().startswith("400 train")
    # Include all: the 30 rows train (one undoable edit)
    include = w.actions["include_all"]
    assert include.isEnabled() and "30" in include.text()
    include.trigger()
    qtbot.waitUntil(lambda: not w.state.dataset.excluded.any(), timeout=WAIT)
    assert w.state.dataset.train_indices.size == 430
    assert panel.partition.full_text().startswith("430 train")
    w.bench.editor.actions()["undo"].trigger()   # Edit > Undo
    qtbot.waitUntil(lambda: w.state.dataset.excluded.sum() == 30, timeout=WAIT)
    assert w.state.dataset.train_indices.size == 400
