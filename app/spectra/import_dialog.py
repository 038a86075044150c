"""File > Import: open what the instrument wrote (issue 15), with a preview before loading.

The user picks instrument files (OPUS, JCAMP-DX, SPC, Excel, MATLAB) or a folder of
single-spectrum files and, for a folder, the reference sheet (CSV/xlsx) and its id column.
Before anything is loaded the dialog shows, computed off the GUI thread by app.model.tasks:
the first spectra drawn, the axis range and units, and for a folder the report of
engine.io.folder.plan_folder_import (matched / files without reference / references without
file). Import loads through engine.io (load_data for one file, load_folder_import for a plan)
with progress and a Cancel; the open dataset is replaced only when the import succeeded, and
the files the engine refused are listed here.

Why a dialog of its own: the engine decides every match and every refusal; this module only
asks for the inputs, shows the engine's answers and hands the loaded dataset to ``on_loaded``
(the window's DatasetController), so it can be driven and tested without the window.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.common import dialogs
from app.common.workers import Handle, Jobs
from app.model import tasks
from app.model.spectra_data import AXIS_LABELS

AUTO_ID = ""  # the id column the engine picks (id, sample, sample_id, name, file, else first)
SHEET_FILTER = "Reference sheet (*.csv *.xlsx *.xls *.txt *.tsv);;All files (*)"
SPECTRA_FILTER = ("Instrument files (*.0 *.1 *.2 *.3 *.jdx *.dx *.jcamp *.spc *.xlsx *.xls "
                  "*.mat);;All files (*)")
PREVIEW_DELAY_MS = 250  # typing in a path field waits this long before a new preview
PREVIEW_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                   "#e377c2", "#17becf")


class ImportDialog(QDialog):
    """Pick, preview, import (see the module docstring). ``on_loaded(LoadedDataset)`` is
    called on the GUI thread once an import succeeded."""

    def __init__(self, parent: QWidget | None = None, *,
                 on_loaded: Callable[[Any], None] | None = None,
                 start_dir: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Import spectra")
        self.setObjectName("importDialog")
        self.on_loaded = on_loaded
        self.start_dir = start_dir
        self.jobs = Jobs(self, name="nirdesk-import")
        self.preview: tasks.ImportPreview | None = None
        self.loaded: Any = None
        self.preview_handle: Handle | None = None
        self.import_handle: Handle | None = None
        self._files: list[str] = []
        self._progress = tasks.ImportProgress()
        self._build()
        self._debounce = QTimer(self, singleShot=True, interval=PREVIEW_DELAY_MS)
        self._debounce.timeout.connect(self.refresh_preview)
        self._poll = QTimer(self, interval=100)
        self._poll.timeout.connect(self._show_progress)
        self.resize(980, 720)

    # -- layout -----------------------------------------------------------------------------
    def _build(self) -> None:
        self.source_edit = QLineEdit(placeholderText="instrument file(s), or a folder of "
                                                     "single-spectrum files")
        self.sheet_edit = QLineEdit(placeholderText="for a folder: the CSV/xlsx sheet with one "
                                                    "row per sample")
        self.id_combo = QComboBox(editable=True)
        self.id_combo.addItem("(automatic)", AUTO_ID)
        self.id_combo.setMinimumWidth(180)
        self.excel_combo = QComboBox()          # a workbook's sheets (one .xlsx file only)
        self.excel_combo.setMinimumWidth(180)
        self.replicates_combo = QComboBox()
        self.replicates_combo.addItem("Keep every scan (replicates grouped)", "keep")
        self.replicates_combo.addItem("Average the scans of a sample", "average")
        files_btn = QPushButton("Files\u2026", clicked=self._ask_files)
        folder_btn = QPushButton("Folder\u2026", clicked=self._ask_folder)
        sheet_btn = QPushButton("Browse\u2026", clicked=self._ask_sheet)
        form = QFormLayout()
        form.addRow("Spectra:", _row(self.source_edit, files_btn, folder_btn))
        form.addRow("Reference sheet:", _row(self.sheet_edit, sheet_btn))
        form.addRow("Id column:", _row(self.id_combo, QLabel("Replicates:"),
                                       self.replicates_combo, stretch=True))
        form.addRow("Workbook sheet:", _row(self.excel_combo, stretch=True))
        self._form = form
        form.setRowVisible(self.excel_combo.parentWidget(), False)
        self.excel_combo.activated.connect(self._excel_sheet_chosen)
        self.source_edit.textEdited.connect(self._inputs_changed)
        self.sheet_edit.textEdited.connect(self._inputs_changed)
        self.id_combo.activated.connect(self._inputs_changed)
        self.id_combo.lineEdit().editingFinished.connect(self._inputs_changed)

        self.plot = pg.PlotWidget(background="w")
        self.plot.setObjectName("importPreviewPlot")
        self.plot.setMinimumHeight(220)
        self.plot.setLabel("left", "Signal")
        self.plot.setLabel("bottom", "Spectral axis")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.axis_label = QLabel("Pick spectra to see a preview.")
        self.axis_label.setObjectName("importAxisLabel")
        self.axis_label.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("importMatchTable")
        self.table.setHorizontalHeaderLabels(["Matched (file \u2192 sample)",
                                              "Files without reference",
                                              "References without file"])
        self.table.horizontalHeader().setStretchLastSection(True)
        for c in range(3):
            self.table.setColumnWidth(c, 300)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.refused_list = QListWidget()
        self.refused_list.setObjectName("importRefused")
        self.refused_list.setMaximumHeight(110)
        self.refused_list.hide()

        self.status = QLabel("")
        self.status.setObjectName("importStatus")
        self.status.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.hide()
        self.import_button = QPushButton("Import", clicked=self.start_import)
        self.import_button.setDefault(True)
        self.import_button.setEnabled(False)
        self.cancel_button = QPushButton("Cancel", clicked=self.cancel_or_close)
        buttons = _row(self.status, self.progress_bar, self.import_button, self.cancel_button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.plot, 3)
        layout.addWidget(self.axis_label)
        layout.addWidget(self.table, 2)
        layout.addWidget(self.refused_list)
        layout.addWidget(buttons)

    # -- inputs -----------------------------------------------------------------------------
    def set_source(self, source: str | list[str], sheet: str | None = None) -> None:
        """Fill the dialog (a folder, one file, or several files) and start the preview."""
        self._files = [str(p) for p in source] if isinstance(source, list) else []
        self._reset_excel_sheets()
        text = ("; ".join(Path(p).name for p in self._files) if self._files
                else str(source))
        self.source_edit.setText(text)
        if sheet is not None:
            self.sheet_edit.setText(sheet)
        self.refresh_preview()

    def source(self) -> str | list[str]:
        return list(self._files) if self._files else self.source_edit.text().strip()

    def id_column(self) -> str | None:
        data = self.id_combo.currentData()
        text = self.id_combo.currentText().strip()
        if data == AUTO_ID and text == self.id_combo.itemText(0):
            return None
        return text or None

    def replicates(self) -> str:
        return str(self.replicates_combo.currentData())

    def _ask_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Instrument files", self.start_dir,
                                                SPECTRA_FILTER)
        if paths:
            self.set_source(paths if len(paths) > 1 else paths[0])

    def _ask_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder of spectrum files", self.start_dir)
        if path:
            self.set_source(path)

    def _ask_sheet(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Reference sheet", self.start_dir,
                                              SHEET_FILTER)
        if path:
            self.sheet_edit.setText(path)
            self.refresh_preview()

    def _inputs_changed(self, *_: Any) -> None:
        if self.sender() is self.source_edit:
            self._files = []
            self._reset_excel_sheets()
        self._debounce.start()

    def _reset_excel_sheets(self) -> None:
        """Another source: its own sheets (if it is a workbook) come with its preview."""
        self._form.setRowVisible(self.excel_combo.parentWidget(), False)
        self.excel_combo.clear()

    # -- preview ----------------------------------------------------------------------------
    def refresh_preview(self) -> Handle | None:
        """Plan and read the first spectra in the background (nothing is loaded)."""
        source = self.source()
        if not source:
            return None
        sheet = self.sheet_edit.text().strip() or None
        self.import_button.setEnabled(False)
        self._set_status("Reading the first spectra\u2026")
        handle = self.jobs.submit("preview", tasks.preview_import, source, sheet,
                                  self.id_column(), excel_sheet=self.excel_sheet(),
                                  label="Preview\u2026")
        handle.finished.connect(self._show_preview)
        handle.failed.connect(self._preview_failed)
        self.preview_handle = handle
        return handle

    def excel_sheet(self) -> str | None:
        """The workbook sheet chosen (None: not a workbook yet, or let the preview pick)."""
        if not self._form.isRowVisible(self.excel_combo.parentWidget()):
            return None
        return self.excel_combo.currentText() or None

    def _excel_sheet_chosen(self, *_: Any) -> None:
        self.refresh_preview()

    def _show_excel_sheets(self, preview: tasks.ImportPreview) -> None:
        """Offer the workbook's sheets (only for one .xlsx file), the previewed one chosen."""
        shown = bool(preview.sheets)
        self._form.setRowVisible(self.excel_combo.parentWidget(), shown)
        if shown and [self.excel_combo.itemText(i) for i in range(self.excel_combo.count())] \
                != preview.sheets:
            self.excel_combo.clear()
            self.excel_combo.addItems(preview.sheets)
        if shown and preview.excel_sheet:
            self.excel_combo.setCurrentText(preview.excel_sheet)

    def _show_preview(self, preview: tasks.ImportPreview) -> None:
        self.preview = preview
        self._show_excel_sheets(preview)
        self.plot.clear()
        for i, y in enumerate(preview.curves):
            if y.shape == preview.x.shape:
                self.plot.plot(preview.x, y, pen=pg.mkPen(PREVIEW_COLOURS[i % 8], width=1))
        self.plot.setLabel("bottom", AXIS_LABELS.get(preview.units, AXIS_LABELS[""]))
        self.axis_label.setText(self.axis_text(preview))
        self._fill_table(preview.plan)
        needs_sheet = preview.plan is None and isinstance(self.source(), list)
        is_folder = isinstance(self.source(), str) and Path(self.source()).is_dir()
        if preview.plan is None and (needs_sheet or is_folder):
            self._set_status("A folder or several files need the reference sheet "
                             "(one row per sample, with the id column).")
            self.import_button.setEnabled(False)
        elif preview.plan is not None and preview.plan.n_matched == 0:
            self._set_status("No file matches a row of the sheet: check the id column.", True)
            self.import_button.setEnabled(False)
        else:
            self._set_status("Ready to import.")
            self.import_button.setEnabled(True)

    @staticmethod
    def axis_text(preview: tasks.ImportPreview) -> str:
        x = preview.x
        units = {"nm": "nm", "cm-1": "cm\u207b\u00b9"}.get(preview.units, "units unknown")
        if x.size == 0:
            return "No spectrum could be read."
        text = (f"Axis {x.min():g} \u2013 {x.max():g} {units}, {x.size:,} points; "
                f"first spectra shown: {len(preview.curves)}")
        if preview.plan is not None:
            text += "; " + "; ".join(" ".join(line.split())
                                     for line in preview.plan.summary()[:3])
        return text

    def _fill_table(self, plan: Any) -> None:
        columns: list[list[str]] = [[], [], []]
        if plan is not None:
            columns = [[f"{Path(f).name} \u2192 {sid}" for f, sid in plan.matched],
                       [Path(f).name for f in plan.unmatched_files],
                       list(plan.unmatched_ids)]
            header = [str(h) for h in plan.table.row(0)]
            if self.id_combo.count() != len(header) + 1:
                current = self.id_combo.currentText()
                self.id_combo.blockSignals(True)
                self.id_combo.clear()
                self.id_combo.addItem("(automatic)", AUTO_ID)
                for name in header:
                    self.id_combo.addItem(name, name)
                self.id_combo.setCurrentText(current)
                self.id_combo.blockSignals(False)
        self.table.setRowCount(max((len(c) for c in columns), default=0))
        for c, values in enumerate(columns):
            for r, value in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.setHorizontalHeaderLabels(
            [f"Matched ({len(columns[0])})", f"Files without reference ({len(columns[1])})",
             f"References without file ({len(columns[2])})"])

    def table_columns(self) -> list[list[str]]:
        """What the match table shows, column by column (for tests and checks)."""
        return [[self.table.item(r, c).text() for r in range(self.table.rowCount())
                 if self.table.item(r, c) is not None] for c in range(3)]

    def _preview_failed(self, exc: BaseException, tb: str) -> None:
        self.preview = None
        self.plot.clear()
        self._fill_table(None)
        self.axis_label.setText("")
        self._set_status(dialogs.error_text(exc), True)

    # -- import -----------------------------------------------------------------------------
    def start_import(self) -> Handle | None:
        """Load through engine.io in the background; the open dataset stays until it worked."""
        if self.preview is None:
            return None
        self.refused_list.clear()
        self.refused_list.hide()
        self._progress = tasks.ImportProgress()
        if self.preview.plan is not None:
            handle = self.jobs.submit("import", tasks.import_folder, self.preview.plan,
                                      self.replicates(), self._progress, label="Importing\u2026")
        else:
            handle = self.jobs.submit("import", tasks.load, str(self.source()),
                                      excel_sheet=self.preview.excel_sheet,
                                      label="Importing\u2026")
        handle.finished.connect(self._imported)
        handle.failed.connect(self._import_failed)
        handle.cancelled.connect(self._import_cancelled)
        self.import_handle = handle
        self.import_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self.progress_bar.setRange(0, 0)
        self.progress_bar.show()
        self._poll.start()
        self._set_status("Importing\u2026")
        return handle

    def _show_progress(self) -> None:
        p = self._progress
        if p.total:
            self.progress_bar.setRange(0, p.total)
            self.progress_bar.setValue(p.done)
            self.progress_bar.setFormat(f"{p.done:,} / {p.total:,} files")

    def _import_ended(self) -> None:
        self._poll.stop()
        self.progress_bar.hide()
        self.import_button.setEnabled(self.preview is not None)

    def _imported(self, loaded: tasks.LoadedDataset) -> None:
        self._import_ended()
        self.loaded = loaded
        if self.on_loaded is not None:
            self.on_loaded(loaded)
        ds = loaded.dataset
        text = f"Imported {ds.n_samples:,} spectra \u00d7 {ds.n_wavelengths:,} points."
        if loaded.refused:
            self.refused_list.addItems(loaded.refused)
            self.refused_list.show()
            n = len(loaded.refused)
            self._set_status(f"{text} {n} file{'s' if n != 1 else ''} refused (listed below).")
            self.cancel_button.setText("Close")
        else:
            self.accept()

    def _import_failed(self, exc: BaseException, tb: str) -> None:
        self._import_ended()
        self._set_status(f"{dialogs.error_text(exc)} \u2014 the open dataset stays open.", True)

    def _import_cancelled(self) -> None:
        self._import_ended()
        self._set_status("Import cancelled; the open dataset stays open.")

    def cancel_or_close(self) -> None:
        """Cancel a running import (the dialog stays), else close the dialog."""
        if self.import_handle is not None and not self.import_handle.done():
            self.import_handle.cancel()
            return
        self.reject()

    def _set_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #b00020;" if error else "")

    def done(self, result: int) -> None:
        """Closing stops the background reads (a running import is cancelled)."""
        self._poll.stop()
        self.jobs.shutdown()
        super().done(result)


def _row(*widgets: QWidget, stretch: bool = False) -> QWidget:
    box = QWidget()
    layout = QHBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        layout.addWidget(w, 1 if isinstance(w, (QLineEdit, QLabel)) and w is widgets[0] else 0)
    if stretch:
        layout.addStretch(1)
    return box

