"""The selected spectra as a small table: sample id, target value, partition.

A QTableView over a model that reads the rows lazily, so selecting all 10,000 spectra with a
box costs nothing until rows scroll into view. Clicking a row highlights that spectrum.
A spectrum excluded from runs reads "excluded" in its partition cell, in grey italics, so a
selection made in a scores plot shows at once which of its points are already left out; the
window's Exclude / Re-include actions are the table's context menu (set_actions).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.model.spectra_data import format_value
from app.model.state import WorkbenchState

EXCLUDED_COLOUR = QColor("#8a8a8a")


class SelectionModel(QAbstractTableModel):
    def __init__(self, state: WorkbenchState) -> None:
        super().__init__()
        self.state = state
        self.rows = np.zeros(0, dtype=np.intp)

    def refresh(self) -> None:
        self.beginResetModel()
        self.rows = self.state.selection.copy() if self.state.dataset is not None else \
            np.zeros(0, dtype=np.intp)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else int(self.rows.size)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else 3

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Vertical:
            return str(int(self.rows[section]) + 1)
        ds = self.state.dataset
        target = ds.target if ds is not None and ds.target else "target"
        return ("Sample", target, "Partition")[section]

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        ds = self.state.dataset
        row = int(self.rows[index.row()])
        excluded = bool(ds.excluded[row])
        if role == Qt.ItemDataRole.ForegroundRole:
            return EXCLUDED_COLOUR if excluded else None
        if role == Qt.ItemDataRole.FontRole:
            if not excluded:
                return None
            font = QFont()
            font.setItalic(True)
            return font
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        col = index.column()
        if col == 0:
            return str(ds.sample_ids[row])
        if col == 1:
            return format_value(ds.y[row]) if ds.target is not None else ""
        part = "test" if ds.test_mask[row] else "train"
        return f"{part} \u00b7 excluded" if excluded else part

    def refresh_marks(self) -> None:
        """Exclusions changed: repaint the cells (the rows are the same)."""
        if self.rows.size:
            self.dataChanged.emit(self.index(0, 0), self.index(self.rows.size - 1, 2))


class SelectionTable(QWidget):
    row_activated = Signal(int)  # dataset row of the clicked table row

    def __init__(self, state: WorkbenchState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.model = SelectionModel(state)
        self.view = QTableView()
        self.view.setObjectName("selectionTable")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setDefaultSectionSize(20)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.summary = QLabel("Click a spectrum, or Shift+drag a box, to select")
        self.summary.setObjectName("selectionSummary")
        self.summary.setWordWrap(True)
        self.clear = QPushButton("Clear")
        self.clear.setToolTip("Clear the selection (Esc)")
        self.clear.clicked.connect(lambda: state.set_selection([]))
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.view)
        self.view.clicked.connect(lambda i: self.row_activated.emit(int(self.model.rows[i.row()])))
        for event in ("selection", "dataset", "target", "task"):
            state.events.connect(event, self._refresh)
        state.events.connect("exclusions", self._refresh_marks)
        self._refresh()

    def set_actions(self, actions: list[QAction]) -> None:
        """The table's context menu (the window's undoable Exclude / Re-include actions)."""
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.view.addActions(actions)

    def _refresh_marks(self) -> None:
        self.model.refresh_marks()
        self._summarise()

    def _refresh(self) -> None:
        self.model.refresh()
        self._summarise()

    def _summarise(self) -> None:
        n = self.model.rows.size
        self.clear.setEnabled(n > 0)
        ds = self.state.dataset
        if n:
            gone = int(ds.excluded[self.model.rows].sum()) if ds is not None else 0
            self.summary.setText(f"{n:,} spectr{'um' if n == 1 else 'a'} selected"
                                 + (f" ({gone:,} excluded)" if gone else ""))
        else:
            self.summary.setText("Click a spectrum, or Shift+drag a box, to select")
