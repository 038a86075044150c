"""The minimal window opens on the demo data, and the Qt pin exits cleanly after many curves."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pyqtgraph as pg

from app.gui import build_main_window
from engine.io import load_dataset

REPO = Path(__file__).resolve().parent.parent


def test_window_shows_demo_dataset_summary_and_one_curve_item(qtbot, tecator_dir):
    window = build_main_window(load_dataset(tecator_dir))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert "215 spectra x 100 wavelengths" in window.findChild(object, "datasetSummary").text()
    plot = window.findChild(pg.PlotWidget, "spectraPlot")
    curves = [i for i in plot.getPlotItem().items if isinstance(i, pg.PlotCurveItem)]
    assert len(curves) == 1 and curves[0].xData.size == 215 * 100
    plot.close()


def test_process_plotting_many_curves_exits_with_code_0():
    """PySide6-Essentials 6.12.0 + pyqtgraph 0.14.0 abort at exit (code 134) after ~50 curves;
    this guards the pinned version."""
    code = textwrap.dedent("""
        import os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        import numpy as np, pyqtgraph as pg
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        w = pg.PlotWidget()
        for i in range(120):
            w.plot(np.arange(200.0), np.random.default_rng(i).normal(size=200))
        w.show()
        QTimer.singleShot(200, app.quit)
        rc = app.exec()
        w.close()
        sys.exit(rc)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
