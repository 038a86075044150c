"""The dataset dock: what is open, the target chooser with the target's task, and the numbers
that matter first (sample count, wavelength range, target statistics, train/test partition,
the spectra excluded from runs with one click to include them all again).

The task (regression / classification) is the engine's: its automatic choice is shown, a
numeric target the engine offers as classes (dataset.class_candidates) gets a visible offer,
and nothing is switched until the user says so (WorkbenchState.set_task -> dataset.set_task).

Why a scroll area of elided one-line values: the dock is short at 1024 x 700 and narrow at
any size; squeezed below its content the form's rows were drawn over one another ("Target",
"Samples", "Axis" overlapping), and a long partition or path line made the dock (and the
window) wider than the screen. Each value keeps one line, elided, its whole text in the
tooltip; the panel scrolls when it is shorter than its content."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSignalBlocker, QSize, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.common.elided import ElidedLabel
from app.model.spectra_data import target_summary
from app.model.state import WorkbenchState
from app.model.tasks import axis_units

#: the task chooser's entries: (shown text, the engine's task name)
TASK_ITEMS = (("Regression", "regression"), ("Classification", "classification"))


def _value_label(name: str) -> ElidedLabel:
    label = ElidedLabel("\u2014")
    label.setObjectName(name)
    return label


def _shrinkable(combo: QComboBox, chars: int) -> None:
    """A combo box that may be narrower than its longest item (Qt elides the shown text)."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)


class DatasetPanel(QScrollArea):
    #: the width the panel asks for: its elided values would otherwise ask for their whole
    #: text (a long path), and a window laid out from size hints gave the dock 320 px
    PREFERRED_WIDTH = 240

    def sizeHint(self) -> QSize:  # Qt override
        return QSize(self.PREFERRED_WIDTH, super().sizeHint().height())

    def __init__(self, state: WorkbenchState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.setObjectName("datasetPanel")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.body = QWidget()
        self.body.setObjectName("datasetPanelBody")
        self.title = QLabel("No dataset")
        self.title.setObjectName("datasetTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.path = ElidedLabel("", mode=Qt.TextElideMode.ElideMiddle)
        self.path.setObjectName("datasetPath")
        self.path.setStyleSheet("color: palette(mid);")

        self.target = QComboBox()
        self.target.setObjectName("targetChooser")
        self.target.setToolTip("The reference column to model and to colour the spectra by")
        self.task = QComboBox()
        self.task.setObjectName("taskChooser")
        self.task.setToolTip("What the target is modelled as: a quantity (regression) or "
                             "classes (classification)")
        for text, task in TASK_ITEMS:
            self.task.addItem(text, task)
        _shrinkable(self.target, 5)
        _shrinkable(self.task, 5)
        self.offer = QWidget()
        self.offer.setObjectName("classOffer")
        self.offer_text = QLabel("")
        self.offer_text.setObjectName("classOfferText")
        self.offer_text.setWordWrap(True)
        self.offer_text.setStyleSheet("color: palette(link);")
        self.offer_button = QPushButton("Use classes")
        self.offer_button.setObjectName("classOfferButton")
        self.offer_button.setToolTip("Model this target as classes (classification); the "
                                     "task chooser switches it back")
        # its own full-width rows under the form: a wrapped label inside a form field is
        # given the height of its first lines only and clips the rest in a narrow dock
        offer_layout = QVBoxLayout(self.offer)
        offer_layout.setContentsMargins(0, 0, 0, 0)
        offer_layout.setSpacing(2)
        offer_layout.addWidget(self.offer_text)
        offer_row = QHBoxLayout()
        offer_row.addStretch(1)
        offer_row.addWidget(self.offer_button)
        offer_layout.addLayout(offer_row)
        self.offer.setVisible(False)
        self.samples = _value_label("sampleCount")
        self.wavelengths = _value_label("wavelengthRange")
        self.partition = _value_label("partition")
        self.excluded = _value_label("excludedCount")
        # the shell gives the undoable "Include all" action (set_include_action): the panel
        # shows it, the undo history belongs to the editor, a feature this one never imports
        self.include_button = QToolButton()
        self.include_button.setObjectName("includeAllButton")
        self.include_button.setVisible(False)
        excluded_row = QHBoxLayout()
        excluded_row.setContentsMargins(0, 0, 0, 0)
        excluded_row.addWidget(self.excluded, 1)
        excluded_row.addWidget(self.include_button)
        self.stats_form = QFormLayout()
        self.stats_form.setContentsMargins(0, 0, 0, 0)
        self.notes = QLabel("")
        self.notes.setObjectName("datasetNotes")
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet("color: #8a5a00;")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Target:", self.target)
        form.addRow("Task:", self.task)   # own row: beside the target it was cut at 200 px
        form.addRow("Samples:", self.samples)
        form.addRow("Axis:", self.wavelengths)
        form.addRow("Partition:", self.partition)
        form.addRow("Excluded:", excluded_row)
        layout = QVBoxLayout(self.body)
        layout.addWidget(self.title)
        layout.addWidget(self.path)
        layout.addLayout(form)
        layout.addWidget(self.offer)
        stats_title = QLabel("Target statistics")
        stats_title.setStyleSheet("font-weight: bold;")
        layout.addWidget(stats_title)
        layout.addLayout(self.stats_form)
        layout.addWidget(self.notes)
        layout.addStretch(1)
        self.setWidget(self.body)

        self.target.activated.connect(lambda i: state.set_target(self.target.itemText(i)))
        state.events.connect("dataset", self._refresh)
        self.task.activated.connect(self._task_chosen)
        self.offer_button.clicked.connect(self._accept_offer)
        state.events.connect("target", self._refresh_target)
        # classes are counted, quantities summarised: the statistics follow the task too
        state.events.connect("task", self._refresh_target)
        state.events.connect("exclusions", self._refresh_excluded)
        self._refresh()

    def set_include_action(self, action: QAction) -> None:
        """Show ``action`` (the window's undoable Include all) beside the excluded count."""
        self.include_button.setDefaultAction(action)
        self._refresh_excluded()

    def _refresh(self) -> None:
        ds = self.state.dataset
        if ds is None:
            return
        meta = ds.metadata
        self.title.setText(ds.name)
        where = self.state.dataset_path or meta.get("path", "")
        self.path.setText(f"{meta.get('layout', '?')} layout \u00b7 {where}")
        self.path.setToolTip(str(where))
        with QSignalBlocker(self.target):
            self.target.clear()
            self.target.addItems(ds.target_names)
            self.target.setCurrentText(ds.target or "")
            self.target.setEnabled(len(ds.target_names) > 1)
            if not ds.target_names:
                self.target.addItem("(no target)")
            for i, name in enumerate(ds.target_names):
                self.target.setItemData(i, name, Qt.ItemDataRole.ToolTipRole)
        self.samples.setText(f"{ds.n_samples:,} spectra \u00d7 {ds.n_wavelengths:,} points")
        wl = ds.wavelengths
        if meta.get("wavelengths_unknown"):
            self.wavelengths.setText(f"columns 1 \u2013 {ds.n_wavelengths} "
                                     "(the file has no wavelength header)")
        else:
            unit = {"nm": " nm", "cm-1": " cm\u207b\u00b9"}.get(axis_units(ds), "")
            self.wavelengths.setText(f"{wl[0]:g} \u2013 {wl[-1]:g}{unit}")
        self._refresh_excluded()
        notes = meta.get("notes") or []
        self.notes.setText("\n".join(notes))
        self.notes.setVisible(bool(notes))
        self._refresh_target()

    def _refresh_excluded(self) -> None:
        """The count of spectra left out of runs (their ids in the tooltip), and the train /
        test counts, which leave them out as the engine does."""
        ds = self.state.dataset
        n = 0 if ds is None else ds.n_excluded
        if ds is not None:
            self._refresh_partition(ds)
        if n == 0:
            self.excluded.setText("none")
            self.excluded.setToolTip("Select spectra and use Exclude selected to leave them "
                                     "out of the runs")
        else:
            ids = ds.excluded_ids
            shown = ", ".join(ids[:20]) + (f", \u2026 ({len(ids) - 20} more)"
                                            if len(ids) > 20 else "")
            self.excluded.setText(f"{n:,} excluded")
            self.excluded.setToolTip(f"Left out of every run: {shown}")
        self.excluded.setStyleSheet("color: #b00020;" if n else "")
        self.include_button.setVisible(n > 0 and self.include_button.defaultAction() is not None)

    def _refresh_partition(self, ds) -> None:
        meta = ds.metadata
        source = meta.get("split_file") or meta.get("partition_column")
        if meta.get("layout") == "nirs4all" and ds.n_test:
            source = "cal / val files"
        how = f" ({Path(source).name})" if source else ""
        if ds.n_test == 0 and not (ds.test_mask & ds.excluded).any():
            how = " (no test rows in the files)"
        self.partition.setText(f"{ds.n_train:,} train \u00b7 {ds.n_test:,} test{how}")

    def _refresh_target(self) -> None:
        ds = self.state.dataset
        if ds is None:
            return
        with QSignalBlocker(self.target):
            if ds.target:
                self.target.setCurrentText(ds.target)
        self.target.setToolTip(f"Target: {ds.target}\nThe reference column to model and to "
                               "colour the spectra by" if ds.target else
                               "The reference column to model and to colour the spectra by")
        while self.stats_form.rowCount():
            self.stats_form.removeRow(0)
        y = self.state.y
        for label, text in target_summary(y, ds.test_mask):
            value = ElidedLabel(text)
            self.stats_form.addRow(f"{label}:", value)
        self._refresh_task()

    # -- the target's task -------------------------------------------------------------------
    def _refresh_task(self) -> None:
        """The chooser shows the engine's task for the target (its automatic choice until the
        user picks); a task the engine would refuse for these values cannot be picked."""
        ds = self.state.dataset
        name = ds.target if ds is not None else None
        self.task.setEnabled(name is not None)
        if ds is None or name is None:
            self.offer.setVisible(False)
            return
        current = ds.task(name)
        model = self.task.model()
        with QSignalBlocker(self.task):
            for row, (_text, task) in enumerate(TASK_ITEMS):
                refusal = _refusal(ds, name, task)
                item = model.item(row)  # type: ignore[attr-defined]
                item.setEnabled(refusal is None)
                item.setToolTip(refusal or "")
                if task == current:
                    self.task.setCurrentIndex(row)
        automatic = name not in ds.tasks
        self.task.setToolTip(f"{name} is modelled as {current}"
                             + (" (automatic)" if automatic else " (your choice)"))
        offered = name in ds.class_candidates()
        if offered:
            n_values = int(np.unique(ds.targets[name]).size)
            self.offer_text.setText(f"Classification? {n_values} whole-number values")
            self.offer.setToolTip(f"{name} holds only {n_values} whole-number values, which "
                                  "look like class codes; it stays regression until you choose")
        self.offer.setVisible(offered)

    def _task_chosen(self, row: int) -> None:
        ds = self.state.dataset
        if ds is not None and ds.target is not None:
            self.state.set_task(ds.target, str(self.task.itemData(row)))

    def _accept_offer(self) -> None:
        ds = self.state.dataset
        if ds is not None and ds.target is not None:
            self.state.set_task(ds.target, "classification")


def _refusal(dataset: object, name: str, task: str) -> str | None:
    """Why the engine would refuse ``task`` for target ``name`` (None: it accepts it). The
    engine's own check, so the window never re-derives what text or fractions allow."""
    from engine.errors import InputError

    try:
        dataset._check_task(name, task)  # type: ignore[attr-defined]
    except InputError as exc:
        return str(exc).split(": ", 1)[-1] if ": " in str(exc) else str(exc)
    return None
