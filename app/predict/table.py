"""The Predict view's table: sample id, prediction[, reference, error][, T², Q, leverage,
flag] of one PredictionResult.

A model over the result's arrays (no copy into items), so 10,000 rows cost nothing until they
are scrolled into view; SORT_ROLE gives numbers as numbers, so sorting by a column is numeric.
A spectrum outside the model (a non-empty engine flag such as "Q>99%") is marked on its whole
row: a pale red background, and a warning sign before the flag's words (colour is not the
only mark). ``flagged()`` is the mask the "flagged only" filter reads.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

__all__ = ["FLAG_COLUMN", "FLAG_MARK", "SORT_ROLE", "PredictionTable"]

SORT_ROLE = Qt.ItemDataRole.UserRole
FLAG_COLUMN = "Flag"
FLAG_MARK = "\u26a0 "            # before the flag's words in the table
FLAGGED_BACKGROUND = QColor(255, 226, 226)
SIGNIFICANT = ("T\u00b2", "Q", "Leverage")


class PredictionTable(QAbstractTableModel):
    """sample id, prediction[, reference, error] straight from the PredictionResult arrays."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._cols: list[tuple[str, np.ndarray]] = []
        self._n = 0
        self._flagged = np.zeros(0, dtype=bool)
        self._flag_brush = QBrush(FLAGGED_BACKGROUND)

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
            self._add_diagnostics(result)
        if not self._cols or self._flagged.size != self._n:
            self._flagged = np.zeros(self._n, dtype=bool)
        self.endResetModel()

    def _add_diagnostics(self, result: Any) -> None:
        """T², Q, leverage and the flag, when the engine gave them (a model saved with its
        diagnostics); an older model's result has none and the table keeps its columns."""
        for title, name in (("T\u00b2", "t2"), ("Q", "q"), ("Leverage", "leverage")):
            values = getattr(result, name, None)
            if values is not None:
                self._cols.append((title, np.asarray(values, dtype=float)))
        flags = getattr(result, "flags", None)
        if flags is not None:
            text = np.array([str(f or "") for f in flags], dtype=object)
            self._cols.append((FLAG_COLUMN, text))
            self._flagged = np.array([bool(f) for f in text], dtype=bool)
        else:
            self._flagged = np.zeros(self._n, dtype=bool)

    def flagged(self) -> np.ndarray:
        """(n,) True where the spectrum is outside the model (a copy)."""
        return self._flagged.copy()

    def is_flagged(self, row: int) -> bool:
        return bool(self._flagged[row]) if 0 <= row < self._flagged.size else False

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
        title, values = self._cols[index.column()]
        value = values[index.row()]
        flagged = bool(self._flagged[index.row()])
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._flag_brush if flagged else None
        if title == FLAG_COLUMN:
            if role == Qt.ItemDataRole.DisplayRole:
                return FLAG_MARK + str(value) if flagged else ""
            if role == Qt.ItemDataRole.ToolTipRole:
                return (f"outside the model: {value}" if flagged
                        else "inside the model's T\u00b2 and Q limits")
            if role == SORT_ROLE:
                return str(value)
            if role == Qt.ItemDataRole.ForegroundRole and flagged:
                return QBrush(QColor("#a00018"))
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            # T², Q and leverage span decades (Q of raw spectra ~1e-5): significant digits
            return f"{float(value):.4g}" if title in SIGNIFICANT else _fmt(value)
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
