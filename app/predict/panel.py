"""Predict: pick a trained branch of a saved run, open new spectra, see and export predictions,
with the new spectra drawn over the spectra the model was trained on.

Why the plot: a prediction is only as good as the resemblance of the new spectra to the
training spectra. Seeing the new ones (coloured) on top of the training set (grey) shows at a
glance an offset, another instrument's range or a different sample type - the cases where a
model returns confident, wrong numbers.

All slow work - opening the project, loading the training spectra, reading the new file, loading
the model (skops) and predicting - runs on a background thread through app.common.workers.Jobs, as plain
functions below (no Qt in them). Each opens the project itself, read-only: an SQLite connection
belongs to the thread that made it, and a read-only open never changes the file.

Errors are one line in the panel (and the ``error`` signal): bad files name file, row and column
(the engine's InputError), a wavelength mismatch says how to resample. Nothing shown is lost on
a failure: the previous spectra, predictions and plot stay until a new load succeeds.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import (QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt,
                            Signal)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QFileDialog,
                               QHBoxLayout, QHeaderView, QLabel, QPushButton, QSizePolicy,
                               QSplitter,
                               QTableView, QVBoxLayout, QWidget)

from app.common.workers import Jobs

TRAIN_COLOUR = QColor(110, 110, 110, 110)
NEW_COLOUR = QColor("#1f77b4")
ERROR_STYLE = "color: #b00020;"
INFO_STYLE = "color: #505050;"
# Points per set drawn as curve items on the GUI thread. Measured (2-core machine, offscreen):
# 430 + 212 tablet spectra x 597 (383k points) first paint 88 ms, repaint 19 ms; 1.5 M points
# 340 ms / 75 ms. Above the cap every k-th spectrum is drawn and the legend says so.
MAX_PLOT_POINTS = 400_000
SORT_ROLE = Qt.ItemDataRole.UserRole

KIND_PROJECT = "predict:project"
KIND_TRAINING = "predict:training"
KIND_SPECTRA = "predict:spectra"
KIND_PREDICT = "predict:run"


# -- background work (plain functions, no Qt) ----------------------------------------------------


@dataclass(frozen=True)
class ModelChoice:
    """One trained branch the user can predict with."""

    run_id: int
    branch_id: int
    name: str
    task: str
    target: str | None
    cv: dict[str, Any] | None     # the branch's CV metrics
    best: bool                    # the run's best branch
    created: str
    dataset_name: str

    def label(self) -> str:
        return f"Run {self.run_id} \u00b7 branch {self.branch_id}: {self.name} \u00b7 " \
               f"{cv_text(self.cv, self.task)}" + ("  \u2605 best" if self.best else "")


def cv_text(cv: dict[str, Any] | None, task: str) -> str:
    cv = cv or {}
    if task == "classification":
        v = cv.get("balanced_accuracy")
        return "CV balanced accuracy " + ("\u2014" if v is None else f"{v:.3f}")
    v = cv.get("rmse")
    return "RMSECV " + ("\u2014" if v is None else f"{v:.4g}")


@dataclass
class ProjectModels:
    path: str
    choices: list[ModelChoice]
    default: int | None           # index into choices
    n_runs: int


@dataclass
class TrainingSpectra:
    X: np.ndarray                 # the training rows of the run's dataset
    wavelengths: np.ndarray
    model_wavelengths: np.ndarray
    dataset_name: str
    key: tuple[str, int, int]     # (project path, run id, branch id)


def list_models(path: str, cancel: threading.Event | None = None) -> ProjectModels:
    """Every branch with a saved model, newest run first; default = the latest run's best."""
    from engine.store import Project

    with Project.open(path, readonly=True) as project:
        summaries = project.runs()
        choices: list[ModelChoice] = []
        default = None
        for summary in reversed(summaries):
            stored = project.load_run(summary.id)
            saved = set(stored.model_branches)
            for b in stored.results.get("branches", []):
                if b.get("status") != "ok" or b["id"] not in saved:
                    continue
                best = b["id"] == stored.best_branch
                if best and default is None:
                    default = len(choices)
                choices.append(ModelChoice(
                    run_id=summary.id, branch_id=b["id"], name=b["name"], task=summary.task,
                    target=summary.target, cv=(b.get("metrics") or {}).get("cv"), best=best,
                    created=summary.created, dataset_name=summary.dataset_name))
    if default is None and choices:
        default = 0
    return ProjectModels(path=str(path), choices=choices, default=default, n_runs=len(summaries))


def load_training(path: str, run_id: int, branch_id: int, cancel: threading.Event | None = None
                  ) -> TrainingSpectra:
    """The spectra the model was fitted on (the run's training rows) and the model's axis."""
    from engine.store import Project

    with Project.open(path, readonly=True) as project:
        stored = project.load_run(run_id)
        ds = project.load_dataset(stored.dataset_id)
        model_wl = project.model_wavelengths(run_id, branch_id)
    rows = (stored.train_indices if stored.train_indices is not None
            else np.flatnonzero(~ds.test_mask))
    return TrainingSpectra(X=ds.X[rows], wavelengths=ds.wavelengths, model_wavelengths=model_wl,
                           dataset_name=ds.name, key=(str(path), int(run_id), int(branch_id)))


def load_spectra(path: str, cancel: threading.Event | None = None) -> Any:
    """New spectra in any layout the engine reads (targets optional)."""
    from app.model.tasks import resolve_dataset_path
    from engine.io import load_dataset

    return load_dataset(resolve_dataset_path(path))


def run_prediction(path: str, dataset: Any, run_id: int, branch_id: int, resample: bool,
                   cancel: threading.Event | None = None) -> tuple[Any, list[str]]:
    """engine.predict.predict on an already loaded dataset; returns (result, log lines)."""
    from engine.predict import predict

    messages: list[str] = []
    result = predict(path, dataset, branch=branch_id, resample=resample, run_id=run_id,
                     log=messages.append)
    return result, messages


def user_message(exc: BaseException, action: str) -> tuple[str, bool]:
    """(one line for the panel, whether it is the user's input rather than a bug)."""
    from engine.errors import NirdeskInputError

    if isinstance(exc, NirdeskInputError):
        return " ".join(str(exc).split()), True
    if isinstance(exc, (OSError, MemoryError)):
        return f"cannot {action}: {type(exc).__name__}: {exc}", True
    return f"nirdesk failed to {action} ({type(exc).__name__}: {exc}); this is a bug", False


def connected_lines(x: np.ndarray, X: np.ndarray, max_points: int = MAX_PLOT_POINTS
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """x / y / connect arrays drawing every row of X as one polyline item (pyqtgraph's
    multi-line pattern), and the stride used (1 = every spectrum; more above ``max_points``)."""
    n, p = X.shape
    stride = max(1, math.ceil(n * p / max_points)) if n and p else 1
    Y = X[::stride]
    m = Y.shape[0]
    xs = np.tile(np.asarray(x, dtype=np.float64), m)
    connect = np.ones(m * p, dtype=bool)
    if p:
        connect[p - 1::p] = False
    return xs, np.ascontiguousarray(Y, dtype=np.float64).ravel(), connect, stride


# -- the table -----------------------------------------------------------------------------------


class PredictionTable(QAbstractTableModel):
    """sample id, prediction[, reference, error] straight from the PredictionResult arrays
    (a model over arrays, so 10,000 rows cost nothing until they are scrolled into view)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._cols: list[tuple[str, np.ndarray]] = []
        self._n = 0

    def set_result(self, result: Any | None) -> None:
        self.beginResetModel()
        if result is None:
            self._cols, self._n = [], 0
        else:
            self._cols = [("Sample", np.asarray(result.sample_ids)),
                          ("Prediction", np.asarray(result.predictions))]
            if result.reference is not None and result.error is not None:
                self._cols += [("Reference", np.asarray(result.reference)),
                               ("Error" if result.task != "classification" else "Wrong",
                                np.asarray(result.error))]
            self._n = len(result.predictions)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else self._n

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._cols)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._cols[section][0] if section < len(self._cols) else None
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self._cols[index.column()][1][index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _fmt(value)
        if role == Qt.ItemDataRole.ToolTipRole:
            return repr(float(value)) if isinstance(value, (float, np.floating)) else str(value)
        if role == SORT_ROLE:
            numeric = isinstance(value, (float, np.floating, np.integer))
            return float(value) if numeric else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def column(self, name: str) -> np.ndarray:
        return next(values for title, values in self._cols if title == name)

    def titles(self) -> list[str]:
        return [title for title, _ in self._cols]


def _fmt(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.3f}" if abs(value) < 1e4 else f"{float(value):.5g}"
    return str(value)


def summary_text(result: Any) -> str:
    n = len(result.predictions)
    head = f"Run {result.run_id}, branch {result.branch_id} ({result.branch_name}): {n} predictions"
    if result.resampled:
        head += ", resampled onto the model's wavelengths"
    m = result.metrics
    if not m:
        return head + (f"; the data has no {result.target!r} column, so no RMSEP" if result.target
                       else "")

    def f(key: str, digits: str = ".4g") -> str:
        v = m.get(key)
        return "\u2014" if v is None else format(v, digits)
    if result.task == "classification":
        return head + f" \u00b7 accuracy {f('accuracy', '.3f')} \u00b7 balanced accuracy " \
                      f"{f('balanced_accuracy', '.3f')}"
    return (head + f" \u00b7 RMSEP {f('rmse')} \u00b7 R\u00b2 {f('r2', '.3f')}"
            f" \u00b7 bias {f('bias')}")


# -- the panel -----------------------------------------------------------------------------------


class PredictPanel(QWidget):
    """Predict with a saved model. Signals: predicted(PredictionResult), error(str)."""

    predicted = Signal(object)
    error = Signal(str)

    def __init__(self, parent: QWidget | None = None, jobs: Jobs | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("predictPanel")
        self._own_jobs = jobs is None
        self._jobs = jobs or Jobs(self)
        self._jobs.finished.connect(self._on_finished)
        self._jobs.failed.connect(self._on_failed)
        self._project: str | None = None
        self._models: ProjectModels | None = None
        self._training_cache: dict[tuple[str, int, int], TrainingSpectra] = {}
        self.training: TrainingSpectra | None = None
        self.dataset: Any = None           # the new spectra (engine SpectralDataset)
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
        self.proxy = QSortFilterProxyModel(self)
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
        self._train_curve: pg.PlotCurveItem | None = None
        self._new_curve: pg.PlotCurveItem | None = None

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
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(self.plot)
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
        self._draw_training()
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
            self._jobs.submit(KIND_PROJECT, "Reading the project", list_models, self._project)
        self._update_buttons()

    def open_spectra(self, path: str) -> None:
        """Load new spectra off the GUI thread; what is shown stays until they are ready."""
        self._info(f"Loading {Path(path).name}\u2026")
        self._jobs.submit(KIND_SPECTRA, "Loading spectra", load_spectra, str(path))
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
        self._jobs.submit(KIND_PREDICT, "Predicting", run_prediction, self._project, self.dataset,
                          choice.run_id, choice.branch_id, self.resample_box.isChecked())
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
        return any(self._jobs.is_busy(k) for k in (KIND_PROJECT, KIND_TRAINING, KIND_SPECTRA,
                                                   KIND_PREDICT))

    def message_text(self) -> str:
        return self.message.text()

    def shutdown(self) -> None:
        """Stop the background thread (when the panel owns it) and close the plot widget (the
        PySide6/pyqtgraph exit pitfall). Call before the window closes."""
        if self._closed:
            return
        self._closed = True
        for kind in (KIND_PROJECT, KIND_TRAINING, KIND_SPECTRA, KIND_PREDICT):
            self._jobs.cancel(kind)
        if self._own_jobs:
            self._jobs.shutdown()
        self.plot.close()

    # -- results from the background thread --------------------------------------------
    def _on_finished(self, kind: str, token: int, payload: Any) -> None:
        if self._closed or not kind.startswith("predict:"):
            return
        if kind == KIND_PROJECT:
            self._show_models(payload)
        elif kind == KIND_TRAINING:
            self._training_cache[payload.key] = payload
            if self._pending_training == payload.key:
                self.training = payload
                self._draw_training()
                self._info_after_training()
        elif kind == KIND_SPECTRA:
            self.dataset = payload
            self.dataset_path = payload.metadata.get("path") or payload.name
            self.result = None
            self.table_model.set_result(None)
            self.summary.setText("")
            self._show_spectra_label()
            self._draw_new()
            self._info_after_training(f"Loaded {payload.n_samples} spectra. ")
        elif kind == KIND_PREDICT:
            result, messages = payload
            self.result = result
            self.log_lines = messages
            self.table_model.set_result(result)
            self.summary.setText(summary_text(result))
            note = next((m for m in messages if m.startswith("resampled")), "")
            self._info(f"Predicted {len(result.predictions)} spectra."
                       + (f" ({note})" if note else ""))
            self.message.setToolTip("\n".join(messages))
            self.predicted.emit(result)
        self._update_buttons()

    def _on_failed(self, kind: str, token: int, exc: Any, tb: str) -> None:
        if self._closed or not kind.startswith("predict:"):
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
            self._draw_training()
            self._info_after_training()
        else:
            self._info("Loading the training spectra\u2026")
            self._jobs.submit(KIND_TRAINING, "Loading the training spectra", load_training, *key)
        self._update_buttons()

    def _info_after_training(self, prefix: str = "") -> None:
        if self.dataset is None:
            self._info(prefix + "Open the spectra to predict (any dataset layout; reference "
                       "values optional).")
        elif self.training is not None and not _same_axis(self.dataset.wavelengths,
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

    def _draw_training(self) -> None:
        if self._train_curve is not None:
            self.plot.removeItem(self._train_curve)
            self._train_curve = None
        t = self.training
        if t is None or t.X.size == 0:
            self._legend_visibility()
            return
        x, y, connect, stride = connected_lines(t.wavelengths, t.X)
        n = t.X.shape[0]
        name = f"training ({n})" if stride == 1 else f"training (every {stride}th of {n})"
        self._train_curve = pg.PlotCurveItem(x, y, connect=connect, skipFiniteCheck=True,
                                             pen=pg.mkPen(TRAIN_COLOUR, width=1), name=name)
        self._train_curve.setZValue(0)
        self.plot.addItem(self._train_curve)
        self._legend_visibility()

    def _draw_new(self) -> None:
        if self._new_curve is not None:
            self.plot.removeItem(self._new_curve)
            self._new_curve = None
        ds = self.dataset
        if ds is None or ds.X.size == 0:
            self._legend_visibility()
            return
        x, y, connect, stride = connected_lines(ds.wavelengths, ds.X)
        n = ds.n_samples
        colour = QColor(NEW_COLOUR)
        colour.setAlpha(220 if n <= 20 else max(50, min(220, int(255 * 7 / math.sqrt(n)))))
        name = f"new ({n})" if stride == 1 else f"new (every {stride}th of {n})"
        self._new_curve = pg.PlotCurveItem(x, y, connect=connect, pen=pg.mkPen(colour, width=1),
                                           skipFiniteCheck=True, name=name)
        self._new_curve.setZValue(1)
        self.plot.addItem(self._new_curve)
        self._legend_visibility()
        self.plot.getPlotItem().enableAutoRange()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """A narrow dock puts the plot under the table instead of beside it."""
        want = Qt.Orientation.Vertical if event.size().width() < 700 else Qt.Orientation.Horizontal
        if self.splitter.orientation() != want:
            self.splitter.setOrientation(want)
        super().resizeEvent(event)

    def _legend_visibility(self) -> None:
        self.legend.setVisible(self._train_curve is not None or self._new_curve is not None)

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
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setText(text)
        self.message.setToolTip(details or "")
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


def _same_axis(a: np.ndarray, b: np.ndarray) -> bool:
    """The engine's tolerance (a millionth of the model's spacing), for the early hint only;
    the engine decides when predicting."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return False
    spacing = float(np.median(np.abs(np.diff(b)))) if b.size > 1 else 1.0
    return bool(np.allclose(a, b, rtol=0.0, atol=1e-6 * max(spacing, 1e-12)))
