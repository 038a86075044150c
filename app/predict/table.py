"""The Predict view's table: sample id, prediction[, reference, error] of one PredictionResult.

A model over the result's arrays (no copy into items), so 10,000 rows cost nothing until they
are scrolled into view; SORT_ROLE gives numbers as numbers, so sorting by a column is numeric.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

__all__ = ["SORT_ROLE", "PredictionTable"]

SORT_ROLE = Qt.ItemDataRole.UserRole


class PredictionTable(QAbstractTableModel):
    """sample id, prediction[, reference, error] straight from the PredictionResult arrays."""

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

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._n

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._cols)

    def headerData(self, section: int, orientation: Qt.Orientation,
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
