"""A minimal main window on the demo dataset (the full app shell is the next GUI issue)."""
from __future__ import annotations

import argparse
from typing import Sequence


def run_gui(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="nirdesk", description="NIR modelling workbench")
    parser.add_argument("--data", help="dataset to open (default: the bundled tecator demo)")
    args = parser.parse_args(list(argv))

    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QVBoxLayout, QWidget
    import pyqtgraph as pg
    import numpy as np

    from engine.io import load_dataset
    from engine.resources import demo_dataset_path

    app = QApplication.instance() or QApplication([])
    dataset = load_dataset(args.data or demo_dataset_path())
    window = QMainWindow()
    window.setWindowTitle(f"nirdesk - {dataset.name}")
    central = QWidget()
    layout = QVBoxLayout(central)
    layout.addWidget(QLabel(f"{dataset.name}: {dataset.n_samples} spectra x {dataset.n_wavelengths} "
                            f"wavelengths, {dataset.n_train} train / {dataset.n_test} test, "
                            f"target {dataset.target}"))
    plot = pg.PlotWidget(labels={"bottom": "wavelength (nm)", "left": "absorbance"})
    n, p = dataset.X.shape
    x = np.tile(dataset.wavelengths, n)
    connect = np.ones(n * p, dtype=bool)
    connect[p - 1::p] = False  # break the line between spectra: one item for all of them
    plot.addItem(pg.PlotCurveItem(x, dataset.X.ravel(), connect=connect, pen=pg.mkPen(60, 120, 200, 80)))
    layout.addWidget(plot)
    window.setCentralWidget(central)
    window.resize(1000, 650)
    window.show()
    code = app.exec()
    plot.close()
    return code
