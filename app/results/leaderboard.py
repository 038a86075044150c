"""The leaderboard: one row per branch, filled as branches finish, sortable by any column.

LeaderboardModel holds the rows (a branch waits, runs, then gets its BranchResult);
LeaderboardProxy sorts on a numeric role so that 10 sorts after 9 and a missing figure
(failed branch, no test rows) stays at the bottom in both directions - a chemometrician sorting
by RMSEP wants the failures out of the way, not on top. The best branch (engine's rule: lowest
RMSECV, highest balanced accuracy for classes) is bold on a pale green background.
"""
from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QBrush, QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView, QWidget

from app.results import data as D

SORT_ROLE = Qt.ItemDataRole.UserRole + 1     # float | str | None (None sorts last)
BRANCH_ID_ROLE = Qt.ItemDataRole.UserRole + 2
BEST_BACKGROUND = QColor("#dff3df")
FAILED_COLOUR = QColor("#b00020")
PENDING_COLOUR = QColor("#808080")
WARNING_COLOUR = QColor("#a86400")

_Index = QModelIndex | QPersistentModelIndex


class _Row:
    __slots__ = ("id", "name", "result", "status", "steps")

    def __init__(self, bid: int, name: str, status: str, result: Any = None,
                 steps: list[Any] | None = None) -> None:
        self.id, self.name, self.status, self.result = bid, name, status, result
        self.steps = steps if steps is not None else getattr(result, "steps", None)


class LeaderboardModel(QAbstractTableModel):
    """Rows in branch-id order; columns: Branch, the task's metrics, Best params, Seconds,
    Status (see app.results.data for the metric columns)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.task = "regression"
        self._rows: list[_Row] = []
        self._by_id: dict[int, int] = {}
        self._best: int | None = None
        self._metric_cols = D.metric_columns(self.task)

    # -- filling ----------------------------------------------------------------------------
    def reset(self, task: str, branch_names: dict[int, str], status: str = D.STATUS_WAITING,
              branch_steps: dict[int, list[Any]] | None = None) -> None:
        """List the branches of a run that starts; ``branch_steps`` (the JSON steps of each
        branch, when known) gives the waiting rows their short names, else they show their
        full name until their result arrives."""
        steps = branch_steps or {}
        self.beginResetModel()
        self.task = task
        self._metric_cols = D.metric_columns(task)
        self._rows = [_Row(int(bid), str(name), status, steps=steps.get(bid))
                      for bid, name in sorted(branch_names.items())]
        self._by_id = {r.id: i for i, r in enumerate(self._rows)}
        self._best = None
        self.endResetModel()

    def clear(self) -> None:
        self.reset(self.task, {})

    def set_result(self, result: Any) -> int:
        """Put a finished branch in its row (adding the row if begin_run did not know it);
        returns the source row. Only that row and the best row's old/new places change."""
        bid = int(result.id)
        row = self._by_id.get(bid)
        if row is None:
            row = len(self._rows)
            self.beginInsertRows(QModelIndex(), row, row)
            self._rows.append(_Row(bid, result.name, result.status, result))
            self._by_id[bid] = row
            self.endInsertRows()
        else:
            r = self._rows[row]
            r.result, r.status, r.name = result, result.status, result.name or r.name
            r.steps = getattr(result, "steps", None) or r.steps
            self._row_changed(row)
        self._update_best()
        return row

    def set_results(self, results: list[Any], best: int | None = None) -> None:
        """A whole run at once (one reset, not one signal per branch)."""
        self.beginResetModel()
        self._rows = [_Row(int(r.id), r.name, r.status, r)
                      for r in sorted(results, key=lambda r: r.id)]
        self._by_id = {r.id: i for i, r in enumerate(self._rows)}
        self._best = best if best is not None else D.best_branch(results, self.task)
        self.endResetModel()

    def set_status(self, bid: int, status: str) -> None:
        """Mark a branch that has no result yet (e.g. "running" when its first task is done)."""
        row = self._by_id.get(int(bid))
        if row is not None and self._rows[row].result is None and self._rows[row].status != status:
            self._rows[row].status = status
            self._row_changed(row)

    def _update_best(self) -> None:
        best = D.best_branch([r.result for r in self._rows if r.result is not None], self.task)
        if best != self._best:
            old, self._best = self._best, best
            for bid in (old, best):
                if bid is not None and bid in self._by_id:
                    self._row_changed(self._by_id[bid])

    def _row_changed(self, row: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    # -- reading ----------------------------------------------------------------------------
    @property
    def best_id(self) -> int | None:
        return self._best

    def branch_ids(self) -> list[int]:
        return [r.id for r in self._rows]

    def row_of(self, bid: int) -> int | None:
        return self._by_id.get(int(bid))

    def result(self, bid: int) -> Any:
        row = self._by_id.get(int(bid))
        return None if row is None else self._rows[row].result

    def results(self) -> list[Any]:
        return [r.result for r in self._rows if r.result is not None]

    def status(self, bid: int) -> str | None:
        row = self._by_id.get(int(bid))
        return None if row is None else self._rows[row].status

    def name(self, bid: int) -> str:
        row = self._by_id.get(int(bid))
        return "" if row is None else self._rows[row].name

    def headers(self) -> list[str]:
        return ["Branch"] + [c[1] for c in self._metric_cols] + ["Best params", "Seconds", "Status"]

    # -- Qt model ---------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._metric_cols) + 4

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < self.columnCount():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.headers()[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            n = len(self._metric_cols)
            if 1 <= section <= n:
                return self._metric_cols[section - 1][4]
            return {0: "branch id and its steps", n + 1: "the parameters the search chose",
                    n + 2: "CPU seconds spent on the branch (folds, refit, search)",
                    n + 3: "ok, failed (see the error), cancelled, waiting or running"
                    }.get(section)
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        col = index.column()
        n = len(self._metric_cols)
        if role == BRANCH_ID_ROLE:
            return row.id
        if role == SORT_ROLE:
            return self._sort_value(row, col, n)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, col, n)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 0:
                return f"{row.id}: {row.name}"
            if row.result is not None and row.result.error:
                return f"{row.status}: {row.result.error}"
            if col == n + 1 and row.result is not None and row.result.best_params:
                return D.format_params(row.result.best_params)
            if col == n + 3 and row.result is not None and row.result.warnings:
                return "warnings:\n" + "\n".join(f"\u2022 {w}" for w in row.result.warnings)
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if 1 <= col <= n or col == n + 2:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and row.id == self._best:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.BackgroundRole and row.id == self._best:
            return QBrush(BEST_BACKGROUND)
        if role == Qt.ItemDataRole.ForegroundRole:
            if row.status in ("failed", "cancelled") and col in (0, n + 3):
                return QBrush(FAILED_COLOUR)
            if col == n + 3 and row.result is not None and row.result.warnings:
                return QBrush(WARNING_COLOUR)
            if row.result is None:
                return QBrush(PENDING_COLOUR)
        return None

    def _text(self, row: _Row, col: int, n: int) -> str:
        if col == 0:
            return f"{row.id}: {D.branch_label(row.name, row.steps)}"
        result = row.result
        if col == n + 3:
            text = "ok, best" if row.id == self._best else row.status
            warned = row.result is not None and row.result.warnings
            return text + (" \u26a0" if warned else "")
        if result is None:
            return "\u2026" if row.status == D.STATUS_RUNNING and col == n + 2 else ""
        if 1 <= col <= n:
            _, _, block, name, _ = self._metric_cols[col - 1]
            value = D.metric_value(result, block, name)
            if value is None and result.status != "ok":
                return ""
            return D.format_number(value, 3 if name == "bias" else 4)
        if col == n + 1:
            return D.format_params(result.best_params)
        if col == n + 2:
            return f"{result.seconds:.2f}"
        return ""

    def _sort_value(self, row: _Row, col: int, n: int) -> Any:
        if col == 0:
            return float(row.id)
        result = row.result
        if col == n + 3:
            return row.status
        if result is None:
            return None
        if 1 <= col <= n:
            _, _, block, name, _ = self._metric_cols[col - 1]
            return D.metric_value(result, block, name)
        if col == n + 1:
            return D.format_params(result.best_params) or None
        if col == n + 2:
            return float(result.seconds) if result.status == "ok" or result.seconds else None
        return None


class LeaderboardProxy(QSortFilterProxyModel):
    """Sorts on SORT_ROLE: numbers as numbers, text case-insensitively, None always last."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    def lessThan(self, left: _Index, right: _Index) -> bool:
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        a = None if isinstance(a, float) and math.isnan(a) else a
        b = None if isinstance(b, float) and math.isnan(b) else b
        ascending = self.sortOrder() == Qt.SortOrder.AscendingOrder
        if a is None or b is None:
            if a is None and b is None:
                return _id(left) < _id(right)
            # None last: "greatest" when ascending, "smallest" when descending (Qt reverses)
            return (b is None) if ascending else (a is None)
        if isinstance(a, str) or isinstance(b, str):
            a, b = str(a).casefold(), str(b).casefold()
        if a == b:
            return _id(left) < _id(right) if ascending else _id(left) > _id(right)
        return a < b


def _id(index: _Index) -> int:
    return int(index.data(BRANCH_ID_ROLE) or 0)


class LeaderboardView(QTableView):
    """The table: whole-row single selection, click a header to sort, compact rows.

    Columns can be chosen: the header's right-click menu shows or hides each column but the
    branch; ``hidden_changed(header texts)`` lets the window keep the choice in its settings
    (a 1280 px window shows five columns beside the plots, so RPD, bias and the best
    parameters needed sideways scrolling)."""

    branch_activated = Signal(int)   # the current row's branch id (mouse or keyboard)
    hidden_changed = Signal(list)    # header texts of the hidden columns (the user's choice)

    def __init__(self, model: LeaderboardModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = model
        self.proxy = LeaderboardProxy(self)
        self.proxy.setSourceModel(model)
        self.setModel(self.proxy)
        self.setObjectName("leaderboard")
        self.setSortingEnabled(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(False)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setHighlightSections(False)
        header.setSortIndicatorShown(True)
        header.setMinimumSectionSize(36)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._column_menu)
        self._hidden: set[str] = set()
        model.modelReset.connect(self.fit_columns)
        model.modelReset.connect(self._apply_hidden)
        self.selectionModel().currentRowChanged.connect(self._on_current)
        self.sort_by_ranking()

    def sort_by_ranking(self) -> None:
        key, ascending = D.RANKING_COLUMN[self.source.task]
        keys = [c[0] for c in D.metric_columns(self.source.task)]
        order = Qt.SortOrder.AscendingOrder if ascending else Qt.SortOrder.DescendingOrder
        self.sortByColumn(1 + keys.index(key), order)

    def fit_columns(self) -> None:
        """Numbers fit their header; the branch name gets what is left (elided, full text in
        the tooltip)."""
        fm = self.fontMetrics()
        n = self.source.columnCount()
        for col, title in enumerate(self.source.headers()):
            if col == 0:
                continue
            width = fm.horizontalAdvance(title) + 26
            if col == n - 3:      # best params
                width = max(width, 110)
            elif col == n - 1:    # status
                width = max(width, fm.horizontalAdvance("cancelled") + 14)
            elif 1 <= col <= n - 4:
                width = max(width, fm.horizontalAdvance("-0.00000") + 12)
            self.setColumnWidth(col, width)
        names = [fm.horizontalAdvance(self.source.data(self.source.index(r, 0)) or "")
                 for r in range(self.source.rowCount())]
        self.setColumnWidth(0, min(260, max([150] + [w + 16 for w in names])))

    # -- column chooser ------------------------------------------------------------------------
    def hidden_columns(self) -> list[str]:
        """Header texts of the hidden columns, in column order."""
        return [t for t in self.source.headers() if t in self._hidden]

    def set_hidden_columns(self, names: list[str], notify: bool = False) -> None:
        """Hide the columns with these header texts (unknown names are kept for the other
        task's columns); the branch column always shows."""
        self._hidden = {str(n) for n in names if str(n) != self.source.headers()[0]}
        self._apply_hidden()
        if notify:
            self.hidden_changed.emit(sorted(self._hidden))

    def _apply_hidden(self) -> None:
        for col, title in enumerate(self.source.headers()):
            self.setColumnHidden(col, col > 0 and title in self._hidden)

    def column_menu(self) -> QMenu:
        """The header's menu: one checkable entry per column, and Show all."""
        menu = QMenu(self)
        menu.setObjectName("leaderboardColumns")
        for col, title in enumerate(self.source.headers()):
            if col == 0:
                continue
            action = QAction(title, menu)
            action.setCheckable(True)
            action.setChecked(title not in self._hidden)
            tip = self.source.headerData(col, Qt.Orientation.Horizontal,
                                         Qt.ItemDataRole.ToolTipRole)
            if tip:
                action.setToolTip(str(tip))
            action.toggled.connect(lambda on, t=title: self._toggle_column(t, on))
            menu.addAction(action)
        menu.addSeparator()
        show_all = menu.addAction("Show all columns")
        show_all.triggered.connect(lambda: self.set_hidden_columns([], notify=True))
        return menu

    def _toggle_column(self, title: str, shown: bool) -> None:
        hidden = set(self._hidden)
        if shown:
            hidden.discard(title)
        else:
            hidden.add(title)
        self.set_hidden_columns(sorted(hidden), notify=True)

    def _column_menu(self, pos) -> None:
        self.column_menu().exec(self.horizontalHeader().mapToGlobal(pos))

    def branch_at_row(self, proxy_row: int) -> int | None:
        index = self.proxy.index(proxy_row, 0)
        return None if not index.isValid() else int(index.data(BRANCH_ID_ROLE))

    def proxy_row_of(self, bid: int) -> int | None:
        row = self.source.row_of(bid)
        if row is None:
            return None
        return self.proxy.mapFromSource(self.source.index(row, 0)).row()

    def select_branch(self, bid: int) -> None:
        row = self.proxy_row_of(bid)
        if row is not None:
            self.selectRow(row)
            self.setCurrentIndex(self.proxy.index(row, 0))

    def current_branch(self) -> int | None:
        index = self.currentIndex()
        return None if not index.isValid() else int(index.data(BRANCH_ID_ROLE))

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.branch_activated.emit(int(current.data(BRANCH_ID_ROLE)))
