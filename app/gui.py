"""A minimal main window on the demo dataset (the full app shell is the next GUI issue)."""
from __future__ import annotations

import argparse
from typing import Sequence


def build_main_window(dataset):
    """The window: a one-line dataset summary over every spectrum drawn as ONE curve item."""
    import numpy as np
    import pyqtgraph as pg
    from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

    window = QMainWindow()
    window.setWindowTitle(f"nirdesk - {dataset.name}")
    central = QWidget()
    layout = QVBoxLayout(central)
    summary = QLabel(f"{dataset.name}: {dataset.n_samples} spectra x {dataset.n_wavelengths} "
                     f"wavelengths, {dataset.n_train} train / {dataset.n_test} test, "
                     f"target {dataset.target}")
    summary.setObjectName("datasetSummary")
    layout.addWidget(summary)
    plot = pg.PlotWidget(labels={"bottom": "wavelength (nm)", "left": "absorbance"})
    plot.setObjectName("spectraPlot")
    n, p = dataset.X.shape
    connect = np.ones(n * p, dtype=bool)
    connect[p - 1::p] = False  # break the line between spectra: one item for all of them
    plot.addItem(pg.PlotCurveItem(np.tile(dataset.wavelengths, n), dataset.X.ravel(),
                                  connect=connect, pen=pg.mkPen(60, 120, 200, 80)))
    layout.addWidget(plot)
    window.setCentralWidget(central)
    window.resize(1000, 650)
    return window


def run_gui(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="nirdesk", description="NIR modelling workbench")
    parser.add_argument("--data", help="dataset to open (default: the bundled tecator demo)")
    args = parser.parse_args(list(argv))

    from PySide6.QtWidgets import QApplication

    from engine.io import load_dataset
    from engine.resources import demo_dataset_path

    app = QApplication.instance() or QApplication([])
    window = build_main_window(load_dataset(args.data or demo_dataset_path()))
    window.show()
    code = app.exec()
    # close plot widgets explicitly before interpreter teardown (PySide6 exit-abort pitfall)
    for child in window.findChildren(__import__("pyqtgraph").PlotWidget):
        child.close()
    window.close()
    return code
