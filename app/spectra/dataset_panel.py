"""The dataset dock: what is open, the target chooser, and the numbers that matter first
(sample count, wavelength range, target statistics, train/test partition)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from app.model.spectra_data import target_summary
from app.model.state import WorkbenchState


def _value_label(name: str) -> QLabel:
    label = QLabel("\u2014")
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class DatasetPanel(QWidget):
    def __init__(self, state: WorkbenchState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.title = QLabel("No dataset")
        self.title.setObjectName("datasetTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.path = QLabel("")
        self.path.setObjectName("datasetPath")
        self.path.setWordWrap(True)
        self.path.setStyleSheet("color: palette(mid);")

        self.target = QComboBox()
        self.target.setObjectName("targetChooser")
        self.target.setToolTip("The reference column to model and to colour the spectra by")
        self.samples = _value_label("sampleCount")
        self.wavelengths = _value_label("wavelengthRange")
        self.partition = _value_label("partition")
        self.stats_form = QFormLayout()
        self.stats_form.setContentsMargins(0, 0, 0, 0)
        self.notes = QLabel("")
        self.notes.setObjectName("datasetNotes")
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet("color: #8a5a00;")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Target:", self.target)
        form.addRow("Samples:", self.samples)
        form.addRow("Axis:", self.wavelengths)
        form.addRow("Partition:", self.partition)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.path)
        layout.addLayout(form)
        stats_title = QLabel("Target statistics")
        stats_title.setStyleSheet("font-weight: bold;")
        layout.addWidget(stats_title)
        layout.addLayout(self.stats_form)
        layout.addWidget(self.notes)
        layout.addStretch(1)

        self.target.activated.connect(lambda i: state.set_target(self.target.itemText(i)))
        state.events.connect("dataset", self._refresh)
        state.events.connect("target", self._refresh_target)
        self._refresh()

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
        self.samples.setText(f"{ds.n_samples:,} spectra \u00d7 {ds.n_wavelengths:,} points")
        wl = ds.wavelengths
        if meta.get("wavelengths_unknown"):
            self.wavelengths.setText(f"columns 1 \u2013 {ds.n_wavelengths} "
                                     "(the file has no wavelength header)")
        else:
            self.wavelengths.setText(f"{wl[0]:g} \u2013 {wl[-1]:g} nm")
        source = meta.get("split_file") or meta.get("partition_column")
        if meta.get("layout") == "nirs4all" and ds.n_test:
            source = "cal / val files"
        how = f" ({Path(source).name})" if source else ""
        if ds.n_test == 0:
            how = " (no test rows in the files)"
        self.partition.setText(f"{ds.n_train:,} train \u00b7 {ds.n_test:,} test{how}")
        notes = meta.get("notes") or []
        self.notes.setText("\n".join(notes))
        self.notes.setVisible(bool(notes))
        self._refresh_target()

    def _refresh_target(self) -> None:
        ds = self.state.dataset
        if ds is None:
            return
        with QSignalBlocker(self.target):
            if ds.target:
                self.target.setCurrentText(ds.target)
        while self.stats_form.rowCount():
            self.stats_form.removeRow(0)
        y = self.state.y
        for label, text in target_summary(y, ds.test_mask):
            value = QLabel(text)
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.stats_form.addRow(f"{label}:", value)
