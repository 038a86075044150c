"""The leaderboard shows RMSEC (the refitted model on its calibration rows) beside RMSECV,
with a tooltip saying what it is, and BAcc cal for classes; numbers from the engine's result."""
from __future__ import annotations

import csv
import os

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.common import gc_guard
from app.results.panel import ResultsPanel


@pytest.fixture
def panel(qtbot):
    gc_guard.acquire()
    p = ResultsPanel()
    qtbot.addWidget(p)
    p.resize(1280, 300)
    p.show()
    qtbot.waitExposed(p)
    yield p
    p.shutdown()
    gc_guard.release()


def _fill(panel, ds, result):
    panel.begin_run(ds, {b.id: b.name for b in result.branches})
    for b in result.branches:
        panel.add_branch(b)


def test_rmsec_column_sits_before_rmsecv_with_the_refit_error(panel, tecator_dir,
                                                              tmp_path):
    from engine.io import load_dataset
    from engine.run import run

    ds = load_dataset(tecator_dir)
    result = run([{"branch": [["SNV", {"class": "PLSRegression",
                                       "params": {"n_components": n}}] for n in (3, 12)]}],
                 ds, verbose=0)
    _fill(panel, ds, result)
    headers = panel.model.headers()
    col = headers.index("RMSEC")
    assert col + 1 == headers.index("RMSECV")
    tip = panel.model.headerData(col, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert "calibration" in tip and "training rows" in tip
    for b in result.branches:
        text = panel.model.index(panel.model.row_of(b.id), col).data()
        assert float(text) == pytest.approx(b.metrics["cal"]["rmse"], rel=1e-3)
    # more components fit the calibration rows more closely
    assert result.branches[1].metrics["cal"]["rmse"] < result.branches[0].metrics["cal"]["rmse"]
    # the leaderboard CSV carries the calibration figures beside the CV ones
    with open(panel.export_leaderboard_csv(tmp_path / "board.csv"), newline="",
              encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        cal = result.branch(int(row["branch_id"])).metrics["cal"]
        assert {k: float(row[f"cal_{k}"]) for k in cal} == cal
    if os.environ.get("NIRDESK_SHOTS"):
        panel.grab().save("/tmp/shots/H7-rmsec.png")


def test_classification_shows_balanced_accuracy_on_the_calibration_rows(panel, tecator_dir):
    from engine.io import load_dataset
    from engine.run import run

    ds = load_dataset(tecator_dir, target="fat")
    fat = ds.targets["fat"]
    ds.targets["fat_class"] = np.where(fat > np.median(fat), "high", "low").astype(str)
    ds.select_target("fat_class")
    result = run([{"class": "PLSDA", "params": {"n_components": 4}}], ds, verbose=0)
    _fill(panel, ds, result)
    headers = panel.model.headers()
    assert "RMSEC" not in headers
    col = headers.index("BAcc cal")
    text = panel.model.index(panel.model.row_of(result.branches[0].id), col).data()
    assert float(text) == pytest.approx(result.branches[0].metrics["cal"]["balanced_accuracy"],
                                        rel=1e-3)
