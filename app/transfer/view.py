"""Transfer: move a trained branch to a second instrument and see what it gains.

The user picks a trained branch of the project, the transfer set's two files (the same
samples on the model's instrument and on the second one), the method (DS, PDS with its
window, or slope/bias correction) and the transfer standards: Kennard-Stone's N, or ticked by
hand in the sample list. "Transfer" fits it and shows, side by side, a few held-out pairs'
spectra (primary, secondary as measured, secondary after the transfer) and the predictions of
the held-out secondary spectra against their reference values, before and after, with the
RMSEP of both. "Save as project" writes the project plus the transferred model to a new file,
which Predict (or ``nirdesk predict``) applies to the second instrument's spectra.

Why a new file and not the open project: the window keeps its project open for writing, and
replacing that file under it would lose what it writes next; the engine writes the new file
whole or not at all (engine.transfer.project).

All slow work runs on a background thread through app.common.workers.Jobs, as the plain
functions of app.transfer.jobs; a failure is one line in the view and what is shown stays.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.common.notify import Notifier
from app.common.workers import Jobs
from app.transfer.jobs import (
    BranchChoice,
    Computed,
    Prepared,
    compute,
    list_branches,
    metric_text,
    prepare,
    save,
    user_message,
)

TITLE = "Transfer"
KIND_PROJECT = "transfer:project"
KIND_PREPARE = "transfer:prepare"
KIND_COMPUTE = "transfer:compute"
KIND_SAVE = "transfer:save"
KINDS = (KIND_PROJECT, KIND_PREPARE, KIND_COMPUTE, KIND_SAVE)
METHODS = (("pds", "Piecewise DS (PDS)"), ("ds", "Direct Standardisation (DS)"),
           ("sbc", "Slope/bias correction (SBC)"))
PRIMARY_COLOUR = QColor(120, 120, 120)
BEFORE_COLOUR = QColor("#d95f02")
AFTER_COLOUR = QColor("#1f77b4")
ERROR_STYLE = "color: #b00020;"
INFO_STYLE = "color: #505050;"


def _pen(colour: QColor, width: float = 1.2, dashed: bool = False) -> Any:
    pen = pg.mkPen(colour, width=width)
    if dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    return pen


def _joined(wavelengths: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Several spectra as one curve (NaN between them): one item per group, drawn at once."""
    if rows.size == 0:
        return np.zeros(0), np.zeros(0)
    n, p = rows.shape
    x = np.empty((n, p + 1))
    y = np.empty((n, p + 1))
    x[:, :p], x[:, p] = wavelengths, np.nan
    y[:, :p], y[:, p] = rows, np.nan
    return x.ravel(), y.ravel()


class TransferView(QWidget):
    """Calibration transfer. Signals: saved(path, run_id), error(str)."""

    saved = Signal(str, int)
    error = Signal(str)

    def __init__(self, parent: QWidget | None = None, jobs: Jobs | None = None,
                 notifier: Notifier | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transferView")
        self._own_jobs = jobs is None
        self._jobs = jobs or Jobs(self, name="nirdesk-transfer")
        self.notifier = notifier or Notifier(self)
        self._project: str | None = None
        self._choices: list[BranchChoice] = []
        self.prepared: Prepared | None = None
        self.computed: Computed | None = None
        self.saved_path: str | None = None
        self._closed = False

        self.model_combo = QComboBox()
        self.model_combo.setObjectName("transferModel")
        self.model_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setMinimumContentsLength(30)
        self.model_combo.currentIndexChanged.connect(lambda _i: self._inputs_changed())
        self.primary_edit = QLineEdit()
        self.primary_edit.setObjectName("transferPrimary")
        self.primary_edit.setPlaceholderText("the transfer samples on the model's instrument "
                                             "(dataset folder or file)")
        self.secondary_edit = QLineEdit()
        self.secondary_edit.setObjectName("transferSecondary")
        self.secondary_edit.setPlaceholderText("the same samples on the second instrument")
        for edit in (self.primary_edit, self.secondary_edit):
            edit.editingFinished.connect(self._inputs_changed)
        self.primary_button = QPushButton("Browse\u2026")
        self.primary_button.clicked.connect(lambda: self._browse(self.primary_edit))
        self.secondary_button = QPushButton("Browse\u2026")
        self.secondary_button.clicked.connect(lambda: self._browse(self.secondary_edit))

        self.method_combo = QComboBox()
        self.method_combo.setObjectName("transferMethod")
        for key, text in METHODS:
            self.method_combo.addItem(text, key)
        self.method_combo.currentIndexChanged.connect(self._method_changed)
        self.window_spin = QSpinBox()
        self.window_spin.setObjectName("transferWindow")
        self.window_spin.setRange(1, 101)
        self.window_spin.setSingleStep(2)
        self.window_spin.setValue(5)
        self.window_spin.setToolTip("PDS window: the odd number of secondary channels each "
                                    "primary channel is regressed on")
        self.ks_radio = QRadioButton("Kennard-Stone")
        self.ks_radio.setObjectName("transferKennardStone")
        self.ks_radio.setChecked(True)
        self.hand_radio = QRadioButton("Ticked by hand")
        self.hand_radio.setObjectName("transferByHand")
        group = QButtonGroup(self)
        group.addButton(self.ks_radio)
        group.addButton(self.hand_radio)
        self.n_spin = QSpinBox()
        self.n_spin.setObjectName("transferStandards")
        self.n_spin.setRange(2, 100000)
        self.n_spin.setValue(20)
        self.n_spin.setSuffix(" standards")
        self.transfer_button = QPushButton("Transfer")
        self.transfer_button.setObjectName("transferRun")
        self.transfer_button.setDefault(True)
        self.transfer_button.clicked.connect(self.run_transfer)
        self.save_button = QPushButton("Save as project\u2026")
        self.save_button.setObjectName("transferSave")
        self.save_button.clicked.connect(self._ask_save)

        self.samples = QListWidget()
        self.samples.setObjectName("transferSamples")
        self.samples.setToolTip("The transfer set's pairs. Ticked = transfer standards (by "
                                "hand, or Kennard-Stone's choice after a transfer); pairs held "
                                "out for testing are in grey and score the transfer")
        self.samples_label = QLabel("Pairs")
        self.message = QLabel("")
        self.message.setObjectName("transferMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label = QLabel("")
        self.result_label.setObjectName("transferResult")
        self.result_label.setWordWrap(True)
        self.result_label.setStyleSheet("font-weight: bold;")

        self.spectra_plot = self._plot("transferSpectraPlot", "Wavelength (nm)", "Signal")
        self.pred_plot = self._plot("transferPredPlot", "Reference", "Predicted")
        self.tabs = QTabWidget()
        self.tabs.setObjectName("transferTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.spectra_plot, "Spectra before / after")
        self.tabs.addTab(self.pred_plot, "Predicted vs reference")

        grid = QGridLayout()
        grid.addWidget(QLabel("Model:"), 0, 0)
        grid.addWidget(self.model_combo, 0, 1, 1, 2)
        grid.addWidget(QLabel("Primary:"), 1, 0)
        grid.addWidget(self.primary_edit, 1, 1)
        grid.addWidget(self.primary_button, 1, 2)
        grid.addWidget(QLabel("Secondary:"), 2, 0)
        grid.addWidget(self.secondary_edit, 2, 1)
        grid.addWidget(self.secondary_button, 2, 2)
        grid.setColumnStretch(1, 1)
        settings = QHBoxLayout()
        settings.addWidget(QLabel("Method:"))
        settings.addWidget(self.method_combo)
        settings.addWidget(QLabel("Window:"))
        settings.addWidget(self.window_spin)
        settings.addSpacing(12)
        settings.addWidget(QLabel("Standards:"))
        settings.addWidget(self.ks_radio)
        settings.addWidget(self.n_spin)
        settings.addWidget(self.hand_radio)
        settings.addStretch(1)
        settings.addWidget(self.transfer_button)
        settings.addWidget(self.save_button)
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        left_box.addWidget(self.samples_label)
        left_box.addWidget(self.samples, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 4)
        split.setSizes([180, 720])
        split.setChildrenCollapsible(False)
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 6, 6, 6)
        box.addLayout(grid)
        box.addLayout(settings)
        box.addWidget(self.message)
        box.addWidget(split, 1)
        box.addWidget(self.result_label)
        self._method_changed()
        self.set_project(None)

    def _plot(self, name: str, bottom: str, left: str) -> pg.PlotWidget:
        plot = pg.PlotWidget(background="w")
        plot.setObjectName(name)
        plot.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        item = plot.getPlotItem()
        for side in ("bottom", "left"):
            axis = item.getAxis(side)
            axis.setPen("k")
            axis.setTextPen("k")
        item.setLabel("bottom", bottom)
        item.setLabel("left", left)
        item.showGrid(x=True, y=True, alpha=0.15)
        item.addLegend(offset=(10, 10), labelTextColor="k", labelTextSize="9pt",
                       brush=pg.mkBrush(255, 255, 255, 220), pen=pg.mkPen("#c0c0c0"))
        return plot

    # -- public API ---------------------------------------------------------------------
    def set_project(self, project_path: str | None) -> None:
        """List the project's trained branches (off the GUI thread); None = no project."""
        self._project = None if project_path is None else str(project_path)
        self._choices = []
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        self.model_combo.blockSignals(False)
        self.prepared = None
        if self._project is None:
            self.model_combo.setPlaceholderText("No project open")
            self._info("Open or save a project (.nirdesk) with a trained run to transfer.")
        else:
            self.model_combo.setPlaceholderText("Reading the project\u2026")
            self._submit(KIND_PROJECT, "Reading the project", self._show_branches,
                         list_branches, self._project)
        self._update_buttons()

    def set_files(self, primary: str | None = None, secondary: str | None = None) -> None:
        """Fill in the transfer set's files and pair them (off the GUI thread)."""
        if primary is not None:
            self.primary_edit.setText(str(primary))
        if secondary is not None:
            self.secondary_edit.setText(str(secondary))
        self._inputs_changed()

    def set_method(self, method: str, window: int | None = None) -> None:
        index = self.method_combo.findData(method)
        if index < 0:
            raise ValueError(f"unknown transfer method {method!r}")
        self.method_combo.setCurrentIndex(index)
        if window is not None:
            self.window_spin.setValue(window)

    def set_standards(self, standards: int | list[str]) -> None:
        """N for Kennard-Stone, or the sample ids to tick by hand."""
        if isinstance(standards, int):
            self.ks_radio.setChecked(True)
            self.n_spin.setValue(standards)
            return
        self.hand_radio.setChecked(True)
        wanted = {str(s) for s in standards}
        for i in range(self.samples.count()):
            item = self.samples.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.text() in wanted
                               else Qt.CheckState.Unchecked)

    def ticked(self) -> list[str]:
        return [self.samples.item(i).text() for i in range(self.samples.count())
                if self.samples.item(i).checkState() == Qt.CheckState.Checked]

    def run_transfer(self) -> None:
        """Fit the chosen transfer on the paired set (pairing first if needed)."""
        if self.prepared is None or self.prepared.key != self._key():
            if self._key() is None:
                self._fail("Choose a trained branch and both files first.")
                return
            self._prepare(then_compute=True)
            return
        method = str(self.method_combo.currentData())
        standards: int | list[str] = (self.n_spin.value() if self.ks_radio.isChecked()
                                      else self.ticked())
        self._info(f"Fitting {method.upper()}\u2026")
        self._submit(KIND_COMPUTE, "Fitting the transfer", self._computed, compute,
                     self.prepared, method, self.window_spin.value(), standards)
        self._update_buttons()

    def save_to(self, path: str) -> None:
        """Write the project plus the transferred model to ``path`` (off the GUI thread)."""
        if self.prepared is None or self.computed is None:
            self._fail("Nothing to save yet: run the transfer first.")
            return
        if self._project is not None and Path(path).resolve() == Path(self._project).resolve():
            self._fail("Save the transferred model as a new project file: the open project "
                       "cannot be replaced while the window writes to it.")
            return
        self._info(f"Saving {Path(path).name}\u2026")
        self._submit(KIND_SAVE, "Saving the transferred project", self._saved, save,
                     self.prepared, self.computed, str(path))
        self._update_buttons()

    def is_busy(self) -> bool:
        return any(self._jobs.is_busy(k) for k in KINDS)

    def message_text(self) -> str:
        return self.message.text()

    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        for kind in KINDS:
            self._jobs.cancel(kind)
        if self._own_jobs:
            self._jobs.shutdown()
        # The plots are not close()d here, unlike the long-lived panels': pyqtgraph's close()
        # clears the scene of a widget that stays alive inside this view until Qt deletes it,
        # and with this view's legend and scatter items that corrupted a live Python object
        # (a later garbage collection crashed in the test suite, 4 runs in 5). They go with
        # the view, which holds a few curves only.

    # -- background results ----------------------------------------------------------------
    def _submit(self, kind: str, label: str, done: Any, fn: Any, *args: Any) -> None:
        handle = self._jobs.submit(kind, fn, *args, label=label)
        handle.finished.connect(lambda payload: self._finished(done, payload))
        handle.failed.connect(lambda exc, tb: self._failed(kind, exc, tb))

    def _finished(self, done: Any, payload: Any) -> None:
        if self._closed:
            return
        done(payload)
        self._update_buttons()

    def _failed(self, kind: str, exc: Any, tb: str) -> None:
        if self._closed:
            return
        action = {KIND_PROJECT: "open the project", KIND_PREPARE: "pair the transfer set",
                  KIND_COMPUTE: "fit the transfer", KIND_SAVE: "save the project"}[kind]
        text, is_input = user_message(exc, action)
        if kind == KIND_PROJECT:
            self.model_combo.setPlaceholderText("No usable project")
        self._fail(text, None if is_input else tb)
        self._update_buttons()

    def _show_branches(self, choices: list[BranchChoice]) -> None:
        self._choices = choices
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for c in choices:
            self.model_combo.addItem(c.label())
        self.model_combo.blockSignals(False)
        if not choices:
            self.model_combo.setPlaceholderText("No trained branches")
            self._fail("The project has no trained branch yet: run a pipeline first.")
            return
        best = next((i for i, c in enumerate(choices) if c.best), 0)
        self.model_combo.setCurrentIndex(best)
        self._inputs_changed()

    def _prepared(self, payload: tuple[Prepared, bool]) -> None:
        prepared, then_compute = payload
        if prepared.key != self._key():
            return   # the inputs changed meanwhile: a newer pairing is on its way
        self.prepared = prepared
        self.computed = None
        self._fill_samples(prepared)
        tset = prepared.tset
        note = f" ({'; '.join(tset.notes)})" if tset.notes else ""
        excluded = int(tset.excluded.sum())
        left_out = f", {excluded} excluded" if excluded else ""
        self._info(f"{tset.n_pairs} pairs by {tset.paired_by}, {int(tset.held_out.sum())} held "
                   f"out for testing{left_out}{note}.")
        if then_compute:
            self.run_transfer()

    def _computed(self, computed: Computed) -> None:
        self.computed = computed
        out = computed.outcome
        ids = set(self.prepared.tset.sample_ids[out.standards].tolist()) if self.prepared \
            else set()
        for i in range(self.samples.count()):
            item = self.samples.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.text() in ids
                               else Qt.CheckState.Unchecked)
        self.result_label.setText(metric_text(out))
        notes = " ".join(n[:1].upper() + n[1:] + "." for n in out.notes)
        self._info(f"{out.label} fitted. {notes}".strip())
        self._draw(computed)

    def _saved(self, payload: tuple[str, int]) -> None:
        path, run_id = payload
        self.saved_path = path
        self._info(f"Saved {Path(path).name} (run {run_id} holds the transferred model): open it "
                   "and predict the second instrument's spectra.")
        self.notifier.status(f"Transferred model saved to {path}", 10000)
        self.saved.emit(path, run_id)

    # -- internals ---------------------------------------------------------------------------
    def _key(self) -> tuple[str, int, int, str, str] | None:
        i = self.model_combo.currentIndex()
        primary, secondary = self.primary_edit.text().strip(), self.secondary_edit.text().strip()
        if self._project is None or not (0 <= i < len(self._choices)) or not primary \
                or not secondary:
            return None
        c = self._choices[i]
        return (self._project, c.run_id, c.branch_id, primary, secondary)

    def _inputs_changed(self) -> None:
        key = self._key()
        if key is None or (self.prepared is not None and self.prepared.key == key):
            self._update_buttons()
            return
        self._prepare(then_compute=False)

    def _prepare(self, then_compute: bool) -> None:
        key = self._key()
        if key is None:
            return
        self._info("Reading and pairing the transfer set\u2026")

        def job(*args: Any, cancel: Any = None) -> tuple[Prepared, bool]:
            return prepare(*args, cancel=cancel), then_compute

        self._submit(KIND_PREPARE, "Pairing the transfer set", self._prepared, job, *key)
        self._update_buttons()

    def _fill_samples(self, prepared: Prepared) -> None:
        self.samples.clear()
        held = prepared.held_out
        grey = QColor(150, 150, 150)
        for sid, out in zip(prepared.sample_ids, held, strict=True):
            item = QListWidgetItem(sid)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            if out:
                item.setForeground(grey)
            self.samples.addItem(item)
        self.samples_label.setText(f"Pairs ({len(held)}, {int(held.sum())} held out)")
        self.samples_label.setToolTip("Held out: rows marked test in a split.csv, or excluded; "
                                      "they are never Kennard-Stone standards")

    def _method_changed(self, _index: int = 0) -> None:
        self.window_spin.setEnabled(self.method_combo.currentData() == "pds")

    def _draw(self, computed: Computed) -> None:
        out, tset = computed.outcome, self.prepared.tset if self.prepared else None
        if tset is None:
            return
        rows = computed.drawn
        wl = computed.wavelengths
        item = self.spectra_plot.getPlotItem()
        item.clear()
        n = rows.size
        for label, data, pen in (
                (f"primary ({n} pairs)", tset.primary[rows], _pen(PRIMARY_COLOUR, 2.2)),
                ("secondary as measured", tset.secondary[rows], _pen(BEFORE_COLOUR)),
                (f"secondary after {out.method.upper()}", out.transferred[rows],
                 _pen(AFTER_COLOUR, 1.2, dashed=True))):
            x, y = _joined(wl, data)
            item.addItem(pg.PlotDataItem(x, y, pen=pen, name=label, connect="finite"))
        item.enableAutoRange()
        pred = self.pred_plot.getPlotItem()
        pred.clear()
        if computed.reference is not None:
            ref = computed.reference
            ev = out.evaluated
            before = np.asarray(out.predictions_before[ev], dtype=np.float64)
            after = np.asarray(out.predictions_after[ev], dtype=np.float64)
            lo = float(np.nanmin([ref.min(), before.min(), after.min()]))
            hi = float(np.nanmax([ref.max(), before.max(), after.max()]))
            pred.addItem(pg.PlotDataItem([lo, hi], [lo, hi], pen=_pen(QColor(0, 0, 0), 1.0,
                                                                      dashed=True)))
            for label, values, colour in (
                    (f"untransferred (RMSEP {out.before['rmse']:.3g})", before, BEFORE_COLOUR),
                    (f"after {out.method.upper()} (RMSEP {out.after['rmse']:.3g})", after,
                     AFTER_COLOUR)):
                pred.addItem(pg.ScatterPlotItem(ref, values, size=6, pen=None,
                                                brush=pg.mkBrush(colour), name=label))
            pred.enableAutoRange()

    def _browse(self, edit: QLineEdit) -> None:
        start = edit.text() or str(Path(self._project).parent if self._project else Path.home())
        path, _ = QFileDialog.getOpenFileName(
            self, "Open the transfer set's spectra", start,
            "Spectra (*.csv *.csv.gz *.txt *.xlsx *.mat *.jdx *.dx *.spc *.0 *.1);;All files (*)")
        if path:
            folder = Path(path).parent
            # X.csv of a dataset folder stands for the folder (its y.csv and split.csv)
            edit.setText(str(folder if Path(path).name == "X.csv" else path))
            self._inputs_changed()

    def _ask_save(self) -> None:
        start = Path(self._project).with_name(Path(self._project).stem + "-transferred.nirdesk") \
            if self._project else Path.home() / "transferred.nirdesk"
        path, _ = QFileDialog.getSaveFileName(self, "Save the transferred model as a project",
                                              str(start), "nirdesk project (*.nirdesk)")
        if path:
            self.save_to(path if path.endswith(".nirdesk") else path + ".nirdesk")

    def _update_buttons(self) -> None:
        busy = self.is_busy()
        self.transfer_button.setEnabled(not busy and self._key() is not None)
        self.save_button.setEnabled(not busy and self.computed is not None)

    def _info(self, text: str) -> None:
        self.message.setStyleSheet(INFO_STYLE)
        self.message.setText(text)

    def _fail(self, text: str, tb: str | None = None) -> None:
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setText(text)
        self.message.setToolTip(tb or "")
        self.error.emit(text)
