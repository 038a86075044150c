"""Two runs side by side: the same branches' metrics, matched by branch name, with deltas.

For the project's runs history ("compare two runs"): did changing the split, the seed or a
preprocessing parameter help? Runs come as RunResult objects or as the JSON dicts of
RunResult.to_json() (what a project stores), so a saved run never needs its models loaded.
Rows are matched by branch name (ids change when branches are added); a branch present in one
run only gets empty cells on the other side. Delta = B - A, green when B is better (lower
RMSE, higher R2 / accuracy), red when worse.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.results import data as D
from app.results.leaderboard import BRANCH_ID_ROLE, SORT_ROLE, LeaderboardProxy

# (key, header, block, metric, higher is better)
REGRESSION = (("rmsecv", "RMSECV", "cv", "rmse", False),
              ("r2cv", "R\u00b2 CV", "cv", "r2", True),
              ("rmsep", "RMSEP", "test", "rmse", False),
              ("r2test", "R\u00b2 test", "test", "r2", True))
CLASSIFICATION = (("bacccv", "BAcc CV", "cv", "balanced_accuracy", True),
                  ("acccv", "Acc CV", "cv", "accuracy", True),
                  ("bacctest", "BAcc test", "test", "balanced_accuracy", True),
                  ("acctest", "Acc test", "test", "accuracy", True))
BETTER = QColor("#1b7f1b")
WORSE = QColor("#b00020")

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class RunBranch:
    name: str                         # what matches a branch across runs
    status: str
    metrics: dict[str, Any]
    steps: list[Any] | None = None    # its JSON steps: the short name shown


def run_branches(run: Any) -> tuple[list[RunBranch], str]:
    """(branches, task) of a RunResult or its JSON dict."""
    if isinstance(run, dict):
        raw = [(b.get("name", ""), b.get("status", "ok"), b.get("metrics") or {},
                b.get("steps")) for b in run.get("branches", [])]
        task = run.get("task")
    else:
        raw = [(b.name, b.status, b.metrics or {}, getattr(b, "steps", None))
               for b in run.branches]
        task = getattr(run, "task", None)
    branches = [RunBranch(str(n), str(s), m, st) for n, s, m, st in raw]
    if task is None:  # the JSON contract has no task: the metric names tell
        cv = next((b.metrics.get("cv") for b in branches if b.metrics.get("cv")), None) or {}
        task = "classification" if "balanced_accuracy" in cv else "regression"
    return branches, task


def _value(branch: RunBranch | None, block: str, name: str) -> float | None:
    if branch is None:
        return None
    value = (branch.metrics.get(block) or {}).get(name)
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


Pair = tuple[str, RunBranch | None, RunBranch | None]


def match(a: list[RunBranch], b: list[RunBranch]) -> list[Pair]:
    """Pairs by name, A's order first then B-only branches; a name repeated in a run pairs
    its first occurrence with the other run's first, its second with the second, ..."""
    def keyed(branches: list[RunBranch]) -> dict[tuple[str, int], RunBranch]:
        seen: dict[str, int] = {}
        out = {}
        for br in branches:
            k = seen.get(br.name, 0)
            seen[br.name] = k + 1
            out[(br.name, k)] = br
        return out

    ka, kb = keyed(a), keyed(b)
    keys = list(ka) + [k for k in kb if k not in ka]
    return [(k[0], ka.get(k), kb.get(k)) for k in keys]


class ComparisonModel(QAbstractTableModel):
    """Columns: Branch, then per metric: A, B, delta (B - A)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.task = "regression"
        self.metrics = REGRESSION
        self.pairs: list[tuple[str, RunBranch | None, RunBranch | None]] = []
        self.labels = ("A", "B")

    def set_runs(self, a: Any, b: Any, labels: tuple[str, str] = ("A", "B")) -> None:
        (ba, ta), (bb, tb) = run_branches(a), run_branches(b)
        self.beginResetModel()
        self.task = ta if ta == tb else "mixed"
        self.metrics = CLASSIFICATION if ta == "classification" else REGRESSION
        self.pairs = match(ba, bb)
        self.labels = labels
        self.endResetModel()

    def headers(self) -> list[str]:
        out = ["Branch"]
        for _, title, *_ in self.metrics:
            out += [f"{title} A", f"{title} B", f"\u0394 {title}"]
        return out

    def cell(self, row: int, col: int) -> float | None:
        """The number in a metric cell (None when missing)."""
        _, a, b = self.pairs[row]
        _, _, block, name, _ = self.metrics[(col - 1) // 3]
        va, vb = _value(a, block, name), _value(b, block, name)
        which = (col - 1) % 3
        if which == 0:
            return va
        if which == 1:
            return vb
        return None if va is None or vb is None else vb - va

    def delta(self, name: str, key: str) -> float | None:
        """B - A of metric ``key`` (e.g. "rmsecv") for the branch called ``name``."""
        row = next(i for i, p in enumerate(self.pairs) if p[0] == name)
        col = 1 + 3 * [m[0] for m in self.metrics].index(key) + 2
        return self.cell(row, col)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.pairs)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else 1 + 3 * len(self.metrics)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.headers()[section]
        if role == Qt.ItemDataRole.ToolTipRole and section > 0:
            which = (section - 1) % 3
            return (self.labels[0], self.labels[1],
                    f"{self.labels[1]} minus {self.labels[0]}")[which]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        name, a, b = self.pairs[row]
        if role == BRANCH_ID_ROLE:
            return row
        if col == 0:
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                missing = " (only in A)" if b is None else " (only in B)" if a is None else ""
                steps = (a or b).steps
                short = D.branch_label(name, steps) if role == Qt.ItemDataRole.DisplayRole \
                    else name
                return short + missing
            if role == SORT_ROLE:
                return name
            return None
        value = self.cell(row, col)
        if role == SORT_ROLE:
            return value
        if role == Qt.ItemDataRole.DisplayRole:
            if value is None:
                side = a if (col - 1) % 3 == 0 else b if (col - 1) % 3 == 1 else None
                return side.status if side is not None and side.status != "ok" else ""
            sign = "+" if (col - 1) % 3 == 2 and value > 0 else ""
            return sign + D.format_number(value, 3 if (col - 1) % 3 == 2 else 4)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and (col - 1) % 3 == 2 and value:
            higher_better = self.metrics[(col - 1) // 3][4]
            return QBrush(BETTER if (value > 0) == higher_better else WORSE)
        return None


class RunComparison(QWidget):
    """The comparison table with a caption naming run A and run B."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runComparison")
        self.model = ComparisonModel(self)
        self.proxy = LeaderboardProxy(self)
        self.proxy.setSourceModel(self.model)
        self.caption = QLabel("Choose two runs to compare.")
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        self.table = QTableView()
        self.table.setObjectName("runComparisonTable")
        self.table.setModel(self.proxy)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.caption)
        layout.addWidget(self.table)

    def set_runs(self, a: Any, b: Any, label_a: str = "Run A", label_b: str = "Run B") -> None:
        self.model.set_runs(a, b, (label_a, label_b))
        only_a = sum(1 for _, x, y in self.model.pairs if y is None)
        only_b = sum(1 for _, x, y in self.model.pairs if x is None)
        extra = "".join([f"; {only_a} only in A" if only_a else "",
                         f"; {only_b} only in B" if only_b else ""])
        mixed = "; the runs model different kinds of target" if self.model.task == "mixed" else ""
        self.caption.setText(f"A = {label_a}   B = {label_b}   \u0394 = B \u2212 A   "
                             f"({len(self.model.pairs)} branches{extra}{mixed})")
        fm = self.fontMetrics()
        for col, title in enumerate(self.model.headers()):
            numbers = fm.horizontalAdvance("+0.000000" if col % 3 == 0 else "0.00000")
            width = max(fm.horizontalAdvance(title) + 24, numbers + 10)
            self.table.setColumnWidth(col, 220 if col == 0 else width)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.proxy.sort(-1)  # A's order until the user clicks a header

    def clear(self) -> None:
        self.model.beginResetModel()
        self.model.pairs = []
        self.model.endResetModel()
        self.caption.setText("Choose two runs to compare.")
