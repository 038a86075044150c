"""The Interval PLS window: settings, Run/Cancel, the RMSECV-per-interval plot, Add to pipeline.

The search (engine.selection.ipls, through app.ipls.jobs) runs on a background thread
(app.common.workers.Jobs); its candidates go to the pool's worker processes when Workers > 1.
The plot shows, per interval, the RMSECV of a PLS model on that interval alone (bars, left
axis) over the mean training spectrum (right axis), the chosen intervals shaded and their
bars coloured, and two dashed levels: the full range's RMSECV and the chosen set's. "Add to
pipeline" hands the chosen windows as a SelectRanges step to the shell, which inserts it
before the branch's model through the editor's undoable commands.
"""
from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.common.notify import Notifier
from app.common.plot_key import KeyEntry, PlotKey
from app.common.workers import Jobs
from app.ipls.jobs import IplsTarget, Outcome, Progress, Settings, run_search, target_of
from app.model.spectra_data import AXIS_LABELS, UNIT_LABEL
from app.model.state import snapshot_dataset
from app.model.tasks import axis_units

__all__ = ["IplsView"]

KIND = "ipls:search"
BAR_COLOUR = QColor(170, 170, 170)
CHOSEN_COLOUR = QColor("#1f77b4")
SHADE = QColor(31, 119, 180, 40)
FULL_COLOUR = "#d95f02"
CHOSEN_LINE = "#1f77b4"
SPECTRUM_COLOUR = "#303030"
ERROR_STYLE = "color: #b00020;"
INFO_STYLE = "color: #505050;"
PROGRESS_MS = 200


def _fmt(value: float) -> str:
    return f"{value:.4g}"


class IplsView(QWidget):
    """Interval PLS. Signals: add_step(container, index, step) when the user adds the
    result; error(str) for a failed search."""

    add_step = Signal(tuple, int, object)
    error = Signal(str)

    def __init__(self, parent: QWidget | None = None, jobs: Jobs | None = None,
                 notifier: Notifier | None = None,
                 pool_provider: Callable[[], Any] | None = None,
                 run_active: Callable[[], bool] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("iplsView")
        self._own_jobs = jobs is None
        self._jobs = jobs or Jobs(self, name="nirdesk-ipls")
        self.notifier = notifier or Notifier(self)
        self._pool_provider = pool_provider
        self._run_active = run_active or (lambda: False)
        self._dataset: Any = None
        self._target: IplsTarget | None = None
        self._progress = Progress()
        self.handle: Any = None
        self.outcome: Outcome | None = None
        self._closed = False

        self.intervals_spin = QSpinBox()
        self.intervals_spin.setObjectName("iplsIntervals")
        self.intervals_spin.setRange(2, 200)
        self.intervals_spin.setValue(20)
        self.intervals_spin.setToolTip("The axis is cut into this many intervals of equal "
                                       "column counts")
        self.mode_combo = QComboBox()
        self.mode_combo.setObjectName("iplsMode")
        self.mode_combo.addItem("Forward (add intervals)", "forward")
        self.mode_combo.addItem("Backward (remove intervals)", "backward")
        self.k_spin = QSpinBox()
        self.k_spin.setObjectName("iplsComponents")
        self.k_spin.setRange(1, 40)
        self.k_spin.setValue(15)
        self.k_spin.setToolTip("Most PLS components tried for each candidate (the exact "
                               "component sweep scores every count up to this)")
        self.workers_spin = QSpinBox()
        self.workers_spin.setObjectName("iplsWorkers")
        self.workers_spin.setRange(1, 64)
        self.workers_spin.setValue(2)
        self.workers_spin.setToolTip("Candidates of one round scored in parallel by this many "
                                     "worker processes (1: in the background thread)")
        self.run_button = QPushButton("Search")
        self.run_button.setObjectName("iplsRun")
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("iplsCancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.add_button = QPushButton("Add to pipeline")
        self.add_button.setObjectName("iplsAdd")
        self.add_button.setEnabled(False)
        self.add_button.setToolTip("Insert the chosen windows as a SelectRanges step before "
                                   "the branch's model (Undo removes it)")
        self.add_button.clicked.connect(self._add)

        controls = QHBoxLayout()
        for label, widget in (("Intervals", self.intervals_spin), ("Mode", self.mode_combo),
                              ("Max LVs", self.k_spin), ("Workers", self.workers_spin)):
            controls.addWidget(QLabel(label))
            controls.addWidget(widget)
        controls.addStretch(1)
        controls.addWidget(self.run_button)
        controls.addWidget(self.cancel_button)
        controls.addWidget(self.add_button)

        self.target_label = QLabel()
        self.target_label.setObjectName("iplsTarget")
        self.target_label.setWordWrap(True)
        self.target_label.setStyleSheet(INFO_STYLE)
        self.status_label = QLabel("Set the intervals and press Search.")
        self.status_label.setObjectName("iplsStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setSizePolicy(QSizePolicy.Policy.Preferred,
                                        QSizePolicy.Policy.Minimum)

        self.plot = pg.PlotWidget(background="w")
        self.plot.setObjectName("iplsPlot")
        self.plot.setMinimumHeight(260)
        item = self.plot.getPlotItem()
        item.setLabel("left", "RMSECV of the interval alone")
        item.showAxis("right")
        item.setLabel("right", "Mean spectrum")
        self.spectrum_box = pg.ViewBox()
        item.scene().addItem(self.spectrum_box)
        self.spectrum_box.setZValue(item.zValue() + 1)  # the spectrum over the bars
        item.getAxis("right").linkToView(self.spectrum_box)
        self.spectrum_box.setXLink(item.vb)
        item.vb.sigResized.connect(self._sync_boxes)
        self.spectrum_curve = pg.PlotCurveItem(pen=pg.mkPen(SPECTRUM_COLOUR, width=1.2))
        self.spectrum_box.addItem(self.spectrum_curve)
        self.bars: pg.BarGraphItem | None = None
        self.shades: list[pg.LinearRegionItem] = []
        self.full_line = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen(
            FULL_COLOUR, width=1.5, style=Qt.PenStyle.DashLine))
        self.chosen_line = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen(
            CHOSEN_LINE, width=1.5, style=Qt.PenStyle.DashLine))
        for line in (self.full_line, self.chosen_line):
            line.setZValue(20)
            line.setVisible(False)
            item.addItem(line, ignoreBounds=True)
        self.key = PlotKey(item)

        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.target_label)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.status_label)

        self._timer = QTimer(self)
        self._timer.setInterval(PROGRESS_MS)
        self._timer.timeout.connect(self._show_progress)
        self.set_context(None, None)

    # -- context ------------------------------------------------------------------------------
    def set_context(self, dataset: Any, expanded: Any) -> None:
        """The open dataset and the edited pipeline (an engine ExpandedPipeline or None)."""
        self._dataset = dataset
        try:
            self._target = target_of(expanded)
            text = f"Searching on {self._target.text}."
        except ValueError as exc:
            self._target, text = None, str(exc)
        if dataset is None:
            text = "Open a dataset first."
        self.target_label.setText(text)
        self._sync_buttons()

    def settings(self) -> Settings:
        return Settings(n_intervals=self.intervals_spin.value(),
                        mode=str(self.mode_combo.currentData()), k_max=self.k_spin.value(),
                        workers=self.workers_spin.value())

    # -- search -------------------------------------------------------------------------------
    def is_busy(self) -> bool:
        return self.handle is not None and not self.handle.done()

    def start(self) -> Any:
        """Start the search (returns its Jobs handle, None when it cannot start)."""
        if self.is_busy() or self._dataset is None or self._target is None:
            return None
        if self._run_active():
            self._say("A run is going: search the intervals when it has finished.", error=True)
            return None
        settings = self.settings()
        pool = None
        if settings.workers > 1 and self._pool_provider is not None:
            pool = self._pool_provider()
        self._progress = Progress()
        self.handle = self._jobs.submit(KIND, run_search, snapshot_dataset(self._dataset),
                                        self._target, settings, pool=pool,
                                        progress=self._progress, label="Interval PLS")
        self.handle.finished.connect(self._finished)
        self.handle.failed.connect(lambda exc, _tb: self._failed(exc))
        self.handle.cancelled.connect(self._cancelled)
        self._say(f"Searching {settings.n_intervals} intervals ({settings.mode})\u2026")
        self._timer.start()
        self._sync_buttons()
        return self.handle

    def cancel(self) -> None:
        if self.is_busy():
            self.handle.cancel()

    def _show_progress(self) -> None:
        what, done, total = self._progress.read()
        if total:
            self._say(f"{what}: {done} of {total} candidates scored\u2026")

    def _finished(self, outcome: Outcome) -> None:
        if self._closed:
            return
        self._timer.stop()
        self.outcome = outcome
        self._draw(outcome)
        self._say(self.result_text(outcome))
        self._sync_buttons()

    def _failed(self, exc: BaseException) -> None:
        if self._closed:
            return
        from app.common.dialogs import error_text

        self._timer.stop()
        message = error_text(exc)
        self._say(f"The search failed: {message}", error=True)
        self.error.emit(message)
        self._sync_buttons()

    def _cancelled(self) -> None:
        if self._closed:
            return
        self._timer.stop()
        self._say("Search cancelled.")
        self._sync_buttons()

    # -- result -------------------------------------------------------------------------------
    @staticmethod
    def result_text(outcome: Outcome) -> str:
        r = outcome.result
        windows = ", ".join(f"{_fmt(a)}\u2013{_fmt(b)}" for a, b in r.ranges)
        better = "lower than" if r.rmsecv < r.full.rmsecv else "not lower than"
        lines = [f"Chosen {len(r.selected)} of {len(r.intervals)} intervals ({r.mode}): "
                 f"{windows}. RMSECV {_fmt(r.rmsecv)} with {r.n_components} LVs, {better} the "
                 f"full range's {_fmt(r.full.rmsecv)} with {r.full.n_components} LVs.",
                 f"{r.evaluated} candidates scored on {r.folds} CV folds in {r.seconds:.1f} s "
                 f"({r.workers} worker{'s' if r.workers > 1 else ''})."]
        return "\n".join(lines + outcome.notes)

    def _draw(self, outcome: Outcome) -> None:
        r = outcome.result
        item = self.plot.getPlotItem()
        for shade in self.shades:
            item.removeItem(shade)
        self.shades = []
        if self.bars is not None:
            item.removeItem(self.bars)
        axis = r.wavelengths
        step = float(np.median(np.abs(np.diff(axis)))) if axis.size > 1 else 1.0
        lo = np.array([min(a, b) for a, b in r.bounds]) - step / 2
        hi = np.array([max(a, b) for a, b in r.bounds]) + step / 2
        chosen = set(r.selected)
        brushes = [pg.mkBrush(CHOSEN_COLOUR if i in chosen else BAR_COLOUR)
                   for i in range(len(r.intervals))]
        self.bars = pg.BarGraphItem(x0=lo, x1=hi, y0=0.0, height=r.interval_rmsecv,
                                    brushes=brushes, pen=pg.mkPen("w", width=0.5))
        self.bars.setZValue(5)
        item.addItem(self.bars)
        for a, b in r.ranges:
            shade = pg.LinearRegionItem(values=(min(a, b) - step / 2, max(a, b) + step / 2),
                                        movable=False, brush=pg.mkBrush(SHADE),
                                        pen=pg.mkPen(None))
            shade.setZValue(-10)
            item.addItem(shade, ignoreBounds=True)
            self.shades.append(shade)
        self.full_line.setPos(r.full.rmsecv)
        self.chosen_line.setPos(r.rmsecv)
        for line in (self.full_line, self.chosen_line):
            line.setVisible(True)
        self.key.set([KeyEntry(BAR_COLOUR.name(), "interval alone", "\u25a0"),
                      KeyEntry(CHOSEN_COLOUR.name(), "chosen interval", "\u25a0"),
                      KeyEntry(FULL_COLOUR, f"full range {_fmt(r.full.rmsecv)} "
                               f"({r.full.n_components} LVs)", "- -"),
                      KeyEntry(CHOSEN_LINE, f"chosen set {_fmt(r.rmsecv)} "
                               f"({r.n_components} LVs)", "- -"),
                      KeyEntry(SPECTRUM_COLOUR, "mean spectrum (right axis)", "\u2014")])
        finite = np.isfinite(outcome.mean)
        self.spectrum_curve.setData(axis[finite], outcome.mean[finite])
        # the levels that matter (full range, chosen set) stay readable: bars of hopeless
        # intervals are cut at 3x the larger level (zoom out with the mouse to see them)
        level = max(r.full.rmsecv, r.rmsecv)
        top = min(float(np.nanmax(np.r_[r.interval_rmsecv, level])), 3.0 * level)
        item.vb.setRange(xRange=(float(lo.min()), float(hi.max())), yRange=(0.0, top * 1.08),
                         padding=0.01)
        if finite.any():
            ymin, ymax = float(outcome.mean[finite].min()), float(outcome.mean[finite].max())
            pad = 0.05 * (ymax - ymin or 1.0)
            self.spectrum_box.setYRange(ymin - pad, ymax + pad, padding=0)
        item.setLabel("bottom", AXIS_LABELS.get(axis_units(self._dataset), UNIT_LABEL))
        self._sync_boxes()

    def _sync_boxes(self) -> None:
        vb = self.plot.getPlotItem().vb
        self.spectrum_box.setGeometry(vb.sceneBoundingRect())
        self.spectrum_box.linkedViewChanged(vb, self.spectrum_box.XAxis)

    def selection_step(self) -> dict[str, Any] | None:
        return None if self.outcome is None else self.outcome.result.selection_step()

    def _add(self) -> None:
        if self.outcome is None:
            return
        target = self._target
        if target is None or target.steps != self.outcome.target.steps:
            self._say("The branch's steps changed since the search: search again before "
                      "adding its windows.", error=True)
            return
        self.add_step.emit(target.container, target.index, self.selection_step())
        self._say("Added the chosen windows to the pipeline before the model (Edit > Undo "
                  "removes them).")
        self.add_button.setEnabled(False)

    # -- plumbing -----------------------------------------------------------------------------
    def _say(self, text: str, error: bool = False) -> None:
        self.status_label.setStyleSheet(ERROR_STYLE if error else "")
        self.status_label.setText(html.escape(text).replace("\n", "<br>"))

    def _sync_buttons(self) -> None:
        busy = self.is_busy()
        ready = self._dataset is not None and self._target is not None
        self.run_button.setEnabled(ready and not busy)
        self.cancel_button.setEnabled(busy)
        self.add_button.setEnabled(not busy and self.outcome is not None)

    def status_text(self) -> str:
        return self.status_label.text()

    def shutdown(self) -> None:
        """Cancel a search and stop the background thread (at close)."""
        self._closed = True
        self._timer.stop()
        if self.is_busy():
            self.handle.cancel()
        if self._own_jobs:
            self._jobs.shutdown()
