"""Predict: pick a trained branch of a saved run, open new spectra, see and export predictions,
with the new spectra drawn over the spectra the model was trained on.

Why the plot: a prediction is only as good as the resemblance of the new spectra to the
training spectra. Seeing the new ones (coloured) on top of the training set (grey) shows at a
glance an offset, another instrument's range or a different sample type - the cases where a
model returns confident, wrong numbers. Both sets are drawn by the shared spectra layer
(app.common.spectra_layer, rendered off the GUI thread like the main view): one content, two
draw groups (training, then new on top), every spectrum whatever their number, line opacity
from app.common.colours.alpha_for.

Outlier flags (issue 16): a model saved with its diagnostics gives, per new spectrum, T², Q,
leverage and a flag naming the limit broken (engine.predict); the table shows them, marks the
flagged rows and can show only those, a line says how many are outside the model, and the
"T² vs Q" tab plots the new spectra over the calibration's (app.predict.flags). A model saved
before nirdesk kept diagnostics still predicts; the line says why there are no flags.

All slow work runs on a background thread through app.common.workers.Jobs, as the plain
functions of app.predict.jobs. Errors are one line in the panel (bad files name file, row
and column; a wavelength mismatch says how to resample), relayed to the window's notifier
and the ``error`` signal. Nothing shown is lost on a failure: the previous spectra,
predictions and plot stay until a new load succeeds.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.common import colours
from app.common.notify import Notifier
from app.common.render import Content, DrawGroup, Renderer
from app.common.spectra_layer import SpectraLayer
from app.common.workers import Jobs
from app.predict.flags import FlagFilterProxy, InfluencePlot
from app.predict.jobs import (
    NO_DIAGNOSTICS,
    LoadedSpectra,
    ModelChoice,
    ProjectModels,
    TrainingSpectra,
    flag_summary,
    list_models,
    load_spectra,
    load_training,
    prediction_notes,
    run_prediction,
    same_axis,
    summary_text,
    user_message,
)
from app.predict.table import FLAG_COLUMN, SORT_ROLE, PredictionTable

TRAIN_COLOUR = QColor(110, 110, 110)
TRAIN_MAX_ALPHA = 110          # the training set stays a grey background under the new spectra
NEW_COLOUR = QColor("#1f77b4")
ERROR_STYLE = "color: #b00020;"
INFO_STYLE = "color: #505050;"
FLAGGED_STYLE = "color: #a00018; font-weight: bold;"
TITLE = "Predict"

KIND_PROJECT = "predict:project"
KIND_TRAINING = "predict:training"
KIND_SPECTRA = "predict:spectra"
KIND_PREDICT = "predict:run"
KINDS = (KIND_PROJECT, KIND_TRAINING, KIND_SPECTRA, KIND_PREDICT)


def draw_groups(training: Any, new: Any) -> tuple[DrawGroup, ...]:
    """The plot's groups: every training spectrum (grey), then every new one (blue, on top);
    ``training`` / ``new`` are SpectraData or None. Opacity falls with the count
    (colours.alpha_for), the training set never darker than TRAIN_MAX_ALPHA."""
    groups = []
    if training is not None:
        alpha = min(TRAIN_MAX_ALPHA, colours.alpha_for(training.n_samples))
        groups.append(DrawGroup(np.arange(training.n_samples),
                                colours.rgba(TRAIN_COLOUR, alpha), data=training))
    if new is not None:
        groups.append(DrawGroup(np.arange(new.n_samples),
                                colours.rgba(NEW_COLOUR, colours.alpha_for(new.n_samples)),
                                data=new))
    return tuple(groups)


class PredictPanel(QWidget):
    """Predict with a saved model. Signals: predicted(PredictionResult), error(str).

    ``jobs``: a background thread to share (default: the panel's own); ``notifier``: the
    window's (default: one of the panel's own, which only records)."""

    predicted = Signal(object)
    error = Signal(str)

    def __init__(self, parent: QWidget | None = None, jobs: Jobs | None = None,
                 notifier: Notifier | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("predictPanel")
        self._own_jobs = jobs is None
        self._jobs = jobs or Jobs(self, name="nirdesk-predict")
        self.notifier = notifier or Notifier(self)
        self._project: str | None = None
        self._models: ProjectModels | None = None
        self._training_cache: dict[tuple[str, int, int], TrainingSpectra] = {}
        self.training: TrainingSpectra | None = None
        self.dataset: Any = None           # the new spectra (engine SpectralDataset)
        self._new_drawn: Any = None        # their SpectraData as drawn
        self.dataset_path: str | None = None
        self.result: Any = None            # the last PredictionResult
        self.log_lines: list[str] = []
        self._pending_training: tuple[str, int, int] | None = None
        self._closed = False

        self.model_combo = QComboBox()
        self.model_combo.setObjectName("predictModel")
        self.model_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setMinimumContentsLength(30)
        self.model_combo.currentIndexChanged.connect(self._on_model_changed)
        self.open_button = QPushButton("Open spectra\u2026")
        self.open_button.setObjectName("predictOpen")
        self.open_button.clicked.connect(self._ask_open)
        self.spectra_label = QLabel("No spectra")
        self.spectra_label.setObjectName("predictSpectra")
        # a long file name must not make the dock wider: clipped, full text in the tooltip
        self.spectra_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.resample_box = QCheckBox("Resample to the model's wavelengths")
        self.resample_box.setObjectName("predictResample")
        self.resample_box.setToolTip("Interpolate each new spectrum linearly onto the wavelengths "
                                     "the model was trained on (never beyond the measured range)")
        self.predict_button = QPushButton("Predict")
        self.predict_button.setObjectName("predictRun")
        self.predict_button.setDefault(True)
        self.predict_button.clicked.connect(self.predict)
        self.export_button = QPushButton("Export CSV\u2026")
        self.export_button.setObjectName("predictExport")
        self.export_button.clicked.connect(self._ask_export)
        self.message = QLabel("")
        self.message.setObjectName("predictMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary = QLabel("")
        self.summary.setObjectName("predictSummary")
        self.summary.setWordWrap(True)

        self.table_model = PredictionTable(self)
        self.proxy = FlagFilterProxy(self)
        self.proxy.setSourceModel(self.table_model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setObjectName("predictTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)   # file order until clicked
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 4)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)

        self.flag_line = QLabel("")
        self.flag_line.setObjectName("predictFlags")
        self.flag_line.setWordWrap(True)
        self.flag_line.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.flagged_only_box = QCheckBox("Flagged only")
        self.flagged_only_box.setObjectName("predictFlaggedOnly")
        self.flagged_only_box.setToolTip("Show only the spectra outside the model's 99 % "
                                         "limits of T\u00b2 or Q")
        self.flagged_only_box.toggled.connect(self.proxy.set_flagged_only)
        self.flagged_only_box.setEnabled(False)
        self.influence = InfluencePlot()

        self.plot = pg.PlotWidget(background="w")
        self.plot.setObjectName("predictPlot")
        # pyqtgraph views' size hints follow their own size: never let one grow the dialog
        self.plot.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        item = self.plot.getPlotItem()
        for side in ("bottom", "left"):   # explicit: the panel may be built before the
            axis = item.getAxis(side)       # spectra view sets pyqtgraph's global colours
            axis.setPen("k")
            axis.setTextPen("k")
        item.setLabel("bottom", "Wavelength (nm)")
        item.setLabel("left", "Signal")
        self.legend = item.addLegend(offset=(10, -10), labelTextColor="k", labelTextSize="9pt",
                                     brush=pg.mkBrush(255, 255, 255, 220), pen=pg.mkPen("#c0c0c0"))
        self.renderer = Renderer(self)
        self.layer = SpectraLayer(self.renderer)
        item.addItem(self.layer)
        self._generation = 0

        top = QHBoxLayout()
        top.addWidget(QLabel("Model:"))
        top.addWidget(self.model_combo, 1)
        files = QHBoxLayout()
        files.addWidget(self.open_button)
        files.addWidget(self.spectra_label, 1)
        row = QHBoxLayout()
        row.addWidget(self.resample_box)
        row.addStretch(1)
        row.addWidget(self.predict_button)
        row.addWidget(self.export_button)
        table_side = QWidget()
        table_box = QVBoxLayout(table_side)
        table_box.setContentsMargins(0, 0, 0, 0)
        table_box.setSpacing(2)
        flags_row = QHBoxLayout()
        flags_row.addWidget(self.flag_line, 1)
        flags_row.addWidget(self.flagged_only_box)
        table_box.addLayout(flags_row)
        table_box.addWidget(self.table, 1)
        self.plot_tabs = QTabWidget()
        self.plot_tabs.setObjectName("predictPlotTabs")
        self.plot_tabs.setDocumentMode(True)
        self.plot_tabs.addTab(self.plot, "Spectra")
        self.plot_tabs.addTab(self.influence, "T\u00b2 vs Q")
        self.plot_tabs.setTabToolTip(1, "The new spectra on the calibration's influence plot, "
                                        "with the 95 % and 99 % limits")
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(table_side)
        split.addWidget(self.plot_tabs)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([400, 600])       # the table needs room for four numeric columns
        split.setChildrenCollapsible(False)
        self.splitter = split
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 6, 6, 6)
        box.addLayout(top)
        box.addLayout(files)
        box.addLayout(row)
        box.addWidget(self.message)
        box.addWidget(split, 1)
        box.addWidget(self.summary)
        self.set_project(None)

    # -- public API ---------------------------------------------------------------------
    def set_project(self, project_path: str | None) -> None:
        """List the project's trained branches (off the GUI thread); None = no project."""
        self._project = None if project_path is None else str(project_path)
        self._models = None
        self.training = None
        self._pending_training = None      # a late answer for the previous project is dropped
        self._training_cache.clear()       # the file may have been replaced (Save As)
        self._draw()
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        self.model_combo.blockSignals(False)
        if self._project is None:
            self._jobs.cancel(KIND_PROJECT)
            self.model_combo.setPlaceholderText("No project open")
            self._info("Open or save a project (.nirdesk) with a trained run to predict.")
        else:
            self.model_combo.setPlaceholderText("Reading the project\u2026")
            self._info(f"Reading {Path(self._project).name}\u2026")
            self._submit(KIND_PROJECT, "Reading the project", self._show_models, list_models,
                         self._project)
        self._update_buttons()

    def open_spectra(self, path: str) -> None:
        """Load new spectra off the GUI thread; what is shown stays until they are ready."""
        self._info(f"Loading {Path(path).name}\u2026")
        self._submit(KIND_SPECTRA, "Loading spectra", self._spectra_loaded, load_spectra,
                     str(path))
        self._update_buttons()

    def predict(self) -> None:
        """Predict the loaded spectra with the chosen branch (off the GUI thread)."""
        choice = self.current_choice()
        if self._project is None or choice is None:
            self._fail("Choose a project with a trained run first.")
            return
        if self.dataset is None:
            self._fail("Open the spectra to predict first.")
            return
        if self._jobs.is_busy(KIND_SPECTRA):
            self._fail("Wait until the spectra are loaded.")
            return
        self._info(f"Predicting {self.dataset.n_samples} spectra with run {choice.run_id}, "
                   f"branch {choice.branch_id}\u2026")
        self._submit(KIND_PREDICT, "Predicting", self._predicted, run_prediction, self._project,
                     self.dataset, choice.run_id, choice.branch_id,
                     self.resample_box.isChecked())
        self._update_buttons()

    def export_csv(self, path: str) -> bool:
        """Write sample_id, prediction[, reference, error] (full precision); False on failure."""
        if self.result is None:
            self._fail("Nothing to export yet: predict first.")
            return False
        try:
            self.result.write_csv(path)
        except Exception as exc:  # noqa: BLE001 - shown as one line, never a traceback
            self._fail(user_message(exc, "write the predictions")[0])
            return False
        self._info(f"Saved {len(self.result.predictions)} predictions to {path}")
        return True

    def current_choice(self) -> ModelChoice | None:
        if self._models is None:
            return None
        i = self.model_combo.currentIndex()
        return self._models.choices[i] if 0 <= i < len(self._models.choices) else None

    def choices(self) -> list[ModelChoice]:
        return list(self._models.choices) if self._models else []

    def select_model(self, run_id: int, branch_id: int) -> None:
        for i, c in enumerate(self.choices()):
            if (c.run_id, c.branch_id) == (run_id, branch_id):
                self.model_combo.setCurrentIndex(i)
                return
        raise ValueError(f"no trained branch {branch_id} in run {run_id}")

    def is_busy(self) -> bool:
        return any(self._jobs.is_busy(k) for k in KINDS)

    def is_drawn(self) -> bool:
        """The plot shows the current training and new spectra (nothing pending)."""
        return self.layer.is_current()

    def message_text(self) -> str:
        return self.message.text()

    def shutdown(self) -> None:
        """Stop the background thread (when the panel owns it) and close the plot widget (the
        PySide6/pyqtgraph exit pitfall). Call before the window closes."""
        if self._closed:
            return
        self._closed = True
        for kind in KINDS:
            self._jobs.cancel(kind)
        if self._own_jobs:
            self._jobs.shutdown()
        self.renderer.shutdown()
        self.plot.close()
        self.influence.close_plot()

    # -- results from the background thread --------------------------------------------
    def _submit(self, kind: str, label: str, done: Any, fn: Any, *args: Any) -> None:
        handle = self._jobs.submit(kind, fn, *args, label=label)
        handle.finished.connect(lambda payload: self._finished(done, payload))
        handle.failed.connect(lambda exc, tb: self._failed(kind, exc, tb))

    def _finished(self, done: Any, payload: Any) -> None:
        if self._closed:
            return
        done(payload)
        self._update_buttons()

    def _training_loaded(self, training: TrainingSpectra) -> None:
        self._training_cache[training.key] = training
        if self._pending_training == training.key:
            self.training = training
            self._draw()
            self._show_influence()
            self._info_after_training()

    def _spectra_loaded(self, loaded: LoadedSpectra) -> None:
        payload = loaded.dataset
        self.dataset = payload
        self._new_drawn = loaded.drawn
        self.dataset_path = payload.metadata.get("path") or payload.name
        self.result = None
        self.table_model.set_result(None)
        self.summary.setText("")
        self._show_flags()
        self._show_spectra_label()
        self._draw()
        self.plot.getPlotItem().enableAutoRange()
        self._info_after_training(f"Loaded {payload.n_samples} spectra. ")

    def _predicted(self, payload: tuple[Any, list[str]]) -> None:
        result, messages = payload
        self.result = result
        self.log_lines = messages
        self.table_model.set_result(result)
        self._fit_columns()
        self.summary.setText(summary_text(result))
        self._show_flags()
        note = next((m for m in messages if m.startswith("resampled")), "")
        self._info(f"Predicted {len(result.predictions)} spectra."
                   + (f" ({note})" if note else ""))
        self.message.setToolTip("\n".join(messages))
        self.predicted.emit(result)

    def _failed(self, kind: str, exc: Any, tb: str) -> None:
        if self._closed:
            return
        action = {KIND_PROJECT: "open the project", KIND_TRAINING: "read the training spectra",
                  KIND_SPECTRA: "load the spectra", KIND_PREDICT: "predict"}[kind]
        text, is_input = user_message(exc, action)
        if kind == KIND_PROJECT:
            self.model_combo.setPlaceholderText("No usable project")
        if kind == KIND_PREDICT and "wavelengths do not match" in text:
            text = text.replace("resample the spectra onto the model's wavelengths with --resample",
                                "tick \u201cResample to the model's wavelengths\u201d to "
                                "interpolate them onto the model's axis")
            self.resample_box.setStyleSheet("font-weight: bold;")
            self.resample_box.setFocus()
        self._fail(text, None if is_input else tb)
        self._update_buttons()

    # -- internals ----------------------------------------------------------------------
    def _show_models(self, models: ProjectModels) -> None:
        if models.path != self._project:
            return
        self._models = models
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for c in models.choices:
            self.model_combo.addItem(c.label())
            self.model_combo.setItemData(self.model_combo.count() - 1,
                                         f"{c.dataset_name}, target {c.target}, {c.created}",
                                         Qt.ItemDataRole.ToolTipRole)
        self.model_combo.blockSignals(False)
        if not models.choices:
            self.model_combo.setPlaceholderText("No trained branches")
            why = ("the project has no runs yet" if models.n_runs == 0
                   else "no run in the project has a branch with a saved model")
            self._fail(f"{Path(models.path).name}: {why}; run a pipeline and save it to the "
                       "project to predict.")
            return
        self.model_combo.setCurrentIndex(models.default or 0)
        self._on_model_changed(self.model_combo.currentIndex())

    def _on_model_changed(self, index: int) -> None:
        choice = self.current_choice()
        self.resample_box.setStyleSheet("")
        if choice is None:
            return
        key = (str(self._project), choice.run_id, choice.branch_id)
        self._pending_training = key
        cached = self._training_cache.get(key)
        if cached is not None:
            self.training = cached
            self._draw()
            self._show_influence()
            self._info_after_training()
        else:
            self._info("Loading the training spectra\u2026")
            self._submit(KIND_TRAINING, "Loading the training spectra", self._training_loaded,
                         load_training, *key)
        self._update_buttons()

    def _show_influence(self) -> None:
        """The calibration side of the T² vs Q tab for the chosen model, and the new spectra
        again when the predictions on screen are that model's."""
        info = self.training.influence if self.training is not None else None
        self.influence.set_calibration(info, "" if info is not None else
                                       NO_DIAGNOSTICS[:1].upper() + NO_DIAGNOSTICS[1:] + ".")
        self._show_new_influence()

    def _show_new_influence(self) -> None:
        r, choice = self.result, self.current_choice()
        same = (r is not None and choice is not None
                and (r.run_id, r.branch_id) == (choice.run_id, choice.branch_id))
        if same and getattr(r, "t2", None) is not None:
            self.influence.set_new(r.t2, r.q, self.table_model.flagged())
        else:
            self.influence.set_new(None, None, None)

    def _show_flags(self) -> None:
        """The flag line, the "flagged only" box and the new spectra on the T² vs Q tab."""
        r = self.result
        has_flags = r is not None and getattr(r, "flags", None) is not None
        self.flagged_only_box.setEnabled(has_flags)
        if not has_flags and self.flagged_only_box.isChecked():
            self.flagged_only_box.setChecked(False)
        if r is None:
            self.flag_line.setText("")
            self.flag_line.setToolTip("")
        else:
            n = int(self.table_model.flagged().sum())
            self.flag_line.setText(("\u26a0 " if n else "") + flag_summary(r))
            self.flag_line.setStyleSheet(FLAGGED_STYLE if n else INFO_STYLE)
            self.flag_line.setToolTip("\n".join(prediction_notes(r)))
        self._show_new_influence()

    def _fit_columns(self) -> None:
        """Numbers share the width; the flag column takes what its words need."""
        header = self.table.horizontalHeader()
        for col, title in enumerate(self.table_model.titles()):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents
                                        if title == FLAG_COLUMN else
                                        QHeaderView.ResizeMode.Stretch)

    def flagged_rows(self) -> list[int]:
        """Rows of the new spectra the table marks as outside the model."""
        return [int(i) for i in np.flatnonzero(self.table_model.flagged())]

    def _info_after_training(self, prefix: str = "") -> None:
        if self.dataset is None:
            self._info(prefix + "Open the spectra to predict (any dataset layout; reference "
                       "values optional).")
        elif self.training is not None and not same_axis(self.dataset.wavelengths,
                                                         self.training.model_wavelengths):
            self._info(prefix + "Their wavelengths differ from the model's: tick \u201cResample "
                       "to the model's wavelengths\u201d to predict them.")
        elif self.current_choice() is not None:
            self._info(prefix + "Press Predict.")
        else:
            self._info(prefix + "Choose a project with a trained run to predict them.")

    def _show_spectra_label(self) -> None:
        ds = self.dataset
        wl = ds.wavelengths
        targets = f", targets: {', '.join(ds.targets)}" if ds.targets else ", no reference values"
        self.spectra_label.setText(f"{Path(str(self.dataset_path)).name}: {ds.n_samples} spectra x "
                                   f"{wl.size} wavelengths {wl.min():g}\u2013{wl.max():g}{targets}")
        self.spectra_label.setToolTip(str(self.dataset_path))

    def _draw(self) -> None:
        """The training spectra (grey) and the new ones (blue, on top) as one content of the
        shared spectra layer; the legend names both with their counts."""
        training = self.training.drawn if self.training is not None else None
        new = self._new_drawn if self.dataset is not None else None
        groups = draw_groups(training, new)
        self.legend.clear()
        if not groups:
            self.layer.set_content(None)
            self.legend.setVisible(False)
            return
        self._generation += 1
        self.layer.set_content(Content(groups[0].data, groups, self._generation))
        names = [n for n, d in (("training", training), ("new", new)) if d is not None]
        for group, name in zip(groups, names, strict=True):
            sample = pg.PlotDataItem(pen=pg.mkPen(QColor(*group.rgba), width=1))
            self.legend.addItem(sample, f"{name} ({group.rows.size})")
        self.legend.setVisible(True)

    def resizeEvent(self, event) -> None:
        """A narrow dock puts the plot under the table instead of beside it."""
        want = Qt.Orientation.Vertical if event.size().width() < 700 else Qt.Orientation.Horizontal
        if self.splitter.orientation() != want:
            self.splitter.setOrientation(want)
        super().resizeEvent(event)

    def _update_buttons(self) -> None:
        predicting = self._jobs.is_busy(KIND_PREDICT) or self._jobs.is_busy(KIND_SPECTRA)
        ready = self.current_choice() is not None and self.dataset is not None
        self.predict_button.setEnabled(ready and not predicting)
        self.export_button.setEnabled(self.result is not None)
        self.model_combo.setEnabled(self._models is not None and bool(self._models.choices))

    def _info(self, text: str) -> None:
        self.message.setStyleSheet(INFO_STYLE)
        self.message.setText(text)
        self.message.setToolTip("")

    def _fail(self, text: str, details: str | None = None) -> None:
        """The problem's one line in the panel's message line (where the user looks), and
        through the window's notifier (recorded and relayed, no dialog over the panel)."""
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setText(text)
        self.message.setToolTip(details or "")
        self.notifier.error(TITLE, text, details=details or "", inline=True)
        self.error.emit(text)

    def _ask_open(self) -> None:
        start = str(Path(self.dataset_path).parent) if self.dataset_path else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open spectra to predict", start,
                                              "Spectra (*.csv *.csv.gz);;All files (*)")
        if path:
            self.open_spectra(path)

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export predictions", "predictions.csv",
                                              "CSV (*.csv)")
        if path:
            self.export_csv(path)

