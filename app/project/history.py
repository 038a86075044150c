"""The project's runs history, and two runs' leaderboards side by side.

RunsHistory lists every run of the project (engine.store.RunSummary: date, name (the run's own,
else its pipeline's), pipeline, dataset, target, branches, best branch and its RMSECV or
balanced accuracy, seconds, cancelled). Rename (F2, the right-click menu) asks for a name and
emits ``rename_requested``; ``bind`` sends it to the ProjectController.
Selecting one run emits ``run_selected(run_id)`` (the window loads it into the results panel
through ProjectController.load_run); selecting two (Ctrl+click) and pressing Compare shows
their leaderboards matched by branch name, with the difference "newer minus older" for each
metric.

Why match by branch name and not by id: ids are positions in the pipeline, so the same lane
gets another id as soon as a lane is added above it; the name (steps and their parameters) is
what a chemometrician means by "the same branch". A branch present in one run only is listed
with a dash for the other.

The widget reads nothing itself: rows come from ``set_runs``, leaderboards (results JSON
dicts) through ``show_comparison``; ``bind(controller)`` wires both to a ProjectController,
whose background thread reads the runs.
"""
from __future__ import annotations

import contextlib
import math
from datetime import datetime
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

VALUE_ROLE = Qt.ItemDataRole.UserRole + 1    # the number behind a cell (float | None)
RUN_ID_ROLE = Qt.ItemDataRole.UserRole + 2
BETTER = QColor("#1b7a1b")
WORSE = QColor("#b00020")
DASH = "\u2014"

RUN_COLUMNS = ("Run", "Date", "Name", "Pipeline", "Dataset", "Target", "Branches", "Best branch",
               "Best CV", "Seconds", "Status")

# (block, metric, label, lower is better) per task: what the comparison shows
COMPARE_METRICS = {
    "regression": (("cv", "rmse", "RMSECV", True), ("test", "rmse", "RMSEP", True),
                   ("cv", "r2", "R\u00b2 CV", False)),
    "classification": (("cv", "balanced_accuracy", "Bal. acc. CV", False),
                       ("test", "balanced_accuracy", "Bal. acc. test", False),
                       ("cv", "accuracy", "Accuracy CV", False)),
}


def _fmt(value: float | None, digits: int = 4, signed: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return DASH
    if signed and value == 0:
        return "0"
    return f"{value:+.{digits}g}" if signed else f"{value:.{digits}g}"


def _when(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return iso or DASH


def best_cv_value(summary: Any) -> tuple[str, float | None]:
    """('RMSECV' | 'Bal. acc.', value) of a run summary's best branch."""
    cv = summary.best_cv or {}
    if summary.task == "classification":
        return "Bal. acc.", cv.get("balanced_accuracy")
    return "RMSECV", cv.get("rmse")


def metric(branch: dict | None, block: str, name: str) -> float | None:
    if branch is None:
        return None
    value = ((branch.get("metrics") or {}).get(block) or {}).get(name)
    return None if value is None else float(value)


def match_branches(a: dict, b: dict) -> list[tuple[str, dict | None, dict | None]]:
    """(name, branch of a, branch of b) for every branch name in either run: a's order first,
    then the names only b has."""
    by_b = {br["name"]: br for br in b.get("branches", [])}
    rows = [(br["name"], br, by_b.pop(br["name"], None)) for br in a.get("branches", [])]
    rows += [(name, None, br) for name, br in by_b.items()]
    return rows


def _run_label(summary: Any) -> str:
    """The run's own name, else its pipeline's (RunSummary.label; plain records too)."""
    return getattr(summary, "name", None) or summary.pipeline_name


def _ask_name(parent: QWidget, current: str) -> str | None:
    text, ok = QInputDialog.getText(parent, "Rename run", "Name of the run (empty: the "
                                    "pipeline's name):", text=current)
    return text if ok else None


class _Item(QTableWidgetItem):
    """Sorts on the number behind the cell (10 after 9); cells without one sort last."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        a, b = self.data(VALUE_ROLE), other.data(VALUE_ROLE)
        if a is None or b is None:
            return (a is not None) if (a is None) != (b is None) else self.text() < other.text()
        return a < b


def _item(text: str, value: float | None = None, align_right: bool = False) -> QTableWidgetItem:
    item = _Item(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    item.setData(VALUE_ROLE, value)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class RunComparisonTable(QWidget):
    """Two runs' leaderboards side by side: per metric, run A, run B and B - A."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = QLabel("")
        self.caption.setObjectName("compareCaption")
        self.caption.setWordWrap(True)
        self.table = QTableWidget(0, 0)
        self.table.setObjectName("compareTable")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.table, 1)
        self.columns: list[str] = []

    def show_runs(self, a: dict, b: dict, label_a: str, label_b: str, task: str) -> None:
        metrics = COMPARE_METRICS.get(task, COMPARE_METRICS["regression"])
        headers = ["Branch"]
        for _, _, label, _ in metrics:
            headers += [f"{label} A", f"{label} B", f"\u0394 {label}"]
        self.columns = headers
        rows = match_branches(a, b)
        t = self.table
        t.setSortingEnabled(False)
        t.clear()
        t.setColumnCount(len(headers))
        t.setHorizontalHeaderLabels(headers)
        t.setRowCount(len(rows))
        bold = QFont()
        bold.setBold(True)
        for r, (name, ba, bb) in enumerate(rows):
            item = _item(name)
            item.setToolTip(name)
            if ba is not None and bb is not None and a.get("best_branch") == ba["id"]:
                item.setFont(bold)
            t.setItem(r, 0, item)
            col = 1
            for block, key, _, lower in metrics:
                va, vb = metric(ba, block, key), metric(bb, block, key)
                delta = None if va is None or vb is None else vb - va
                t.setItem(r, col, _item(_fmt(va), va, True))
                t.setItem(r, col + 1, _item(_fmt(vb), vb, True))
                cell = _item(_fmt(delta, 3, signed=True), delta, True)
                if delta:
                    cell.setForeground(QBrush(BETTER if (delta < 0) == lower else WORSE))
                t.setItem(r, col + 2, cell)
                col += 3
        header = t.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        t.setSortingEnabled(True)
        only = sum(1 for _, x, y in rows if x is None or y is None)
        self.caption.setText(
            f"<b>A</b> = {label_a} &nbsp; <b>B</b> = {label_b} &nbsp; \u0394 = B \u2212 A "
            f"(<span style='color:{BETTER.name()}'>green</span>: B better, "
            f"<span style='color:{WORSE.name()}'>red</span>: B worse)"
            + (f"; {only} branch(es) in one run only" if only else ""))

    def value(self, branch: str, column: str) -> float | None:
        """The number in a cell (tests, export)."""
        c = self.columns.index(column)
        for r in range(self.table.rowCount()):
            if self.table.item(r, 0).text() == branch:
                return self.table.item(r, c).data(VALUE_ROLE)
        raise KeyError(branch)


class RunsHistory(QWidget):
    """The runs list with Show and Compare."""

    run_selected = Signal(int)            # exactly one run selected (or Show pressed)
    compare_requested = Signal(int, int)  # older run id, newer run id
    rename_requested = Signal(int, str)   # run id, new name ("" = back to the pipeline's)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runsHistory")
        self._runs: list[Any] = []
        self._fetch = None
        self._controller = None
        self._sorted_once = False
        self.table = QTableWidget(0, len(RUN_COLUMNS))
        self.table.setObjectName("runsTable")
        self.table.setHorizontalHeaderLabels(RUN_COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.table.itemDoubleClicked.connect(lambda _i: self._show())
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.rename_action = QAction("Rename run\u2026", self)
        self.rename_action.setShortcut(QKeySequence(Qt.Key.Key_F2))
        self.rename_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.rename_action.triggered.connect(self.rename_selected)
        self.addAction(self.rename_action)
        #: asks for a run's new name: (parent, current) -> text or None (tests replace it)
        self.ask_name = _ask_name

        self.hint = QLabel("No runs yet: runs are added to the project as they finish.")
        self.hint.setObjectName("historyHint")
        self.show_button = QPushButton("Show")
        self.show_button.setToolTip("Show the selected run's results")
        self.show_button.clicked.connect(self._show)
        self.compare_button = QPushButton("Compare")
        self.compare_button.setObjectName("compareButton")
        self.compare_button.setToolTip("Select two runs (Ctrl+click) to compare their "
                                       "leaderboards branch by branch")
        self.compare_button.clicked.connect(self.compare_selected)
        bar = QHBoxLayout()
        bar.addWidget(self.hint, 1)
        bar.addWidget(self.show_button)
        bar.addWidget(self.compare_button)

        self.comparison = RunComparisonTable()
        self.comparison.setObjectName("runComparison")
        self.comparison.hide()
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.comparison)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)
        self._update_buttons()

    # -- wiring -----------------------------------------------------------------------------
    def bind(self, controller: Any) -> None:
        """Follow a ProjectController: its runs, and its background reads for Compare."""
        self._controller = controller
        controller.runs_changed.connect(self._refresh)
        self.rename_requested.connect(controller.rename_run)
        self._fetch = controller.fetch_results
        self._refresh()

    def _refresh(self) -> None:
        if self._controller is not None:
            self.set_runs(self._controller.runs())

    # -- rows -------------------------------------------------------------------------------
    def set_runs(self, runs: list[Any]) -> None:
        """Newest first. The selection is kept by run id."""
        keep = set(self.selected_run_ids())
        self._runs = list(runs)
        t = self.table
        t.blockSignals(True)
        t.setSortingEnabled(False)
        t.clearContents()
        t.setRowCount(len(runs))
        for r, s in enumerate(reversed(self._runs)):
            label, value = best_cv_value(s)
            cells = [
                _item(str(s.id), float(s.id), True), _item(_when(s.created)),
                _item(_run_label(s)), _item(s.pipeline_name), _item(s.dataset_name),
                _item(s.target or DASH),
                _item(str(s.n_branches), float(s.n_branches), True),
                _item(s.best_name or DASH),
                _item(f"{label} {_fmt(value)}" if value is not None else DASH, value, True),
                _item(f"{s.seconds:.1f}", float(s.seconds), True),
                _item("cancelled" if s.cancelled else "finished")]
            best_col = RUN_COLUMNS.index("Best branch")
            for c, item in enumerate(cells):
                item.setData(RUN_ID_ROLE, s.id)
                if s.best_name:
                    item.setToolTip(s.best_name if c == best_col else "")
                t.setItem(r, c, item)
            cells[2].setToolTip(f"{_run_label(s)}\n(pipeline: {s.pipeline_name}; F2 renames)")
            cells[3].setToolTip(s.pipeline_name)
            if s.cancelled:
                cells[-1].setForeground(QBrush(WORSE))
        header = t.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(RUN_COLUMNS.index("Best branch"),
                                    QHeaderView.ResizeMode.Stretch)
        if not self._sorted_once:   # newest first until the user sorts by another column
            header.setSortIndicator(0, Qt.SortOrder.DescendingOrder)
            self._sorted_once = True
        t.setSortingEnabled(True)
        for r in range(t.rowCount()):
            if t.item(r, 0).data(RUN_ID_ROLE) in keep:
                t.selectRow(r)
        t.blockSignals(False)
        self.hint.setText(f"{len(runs)} run(s) in the project. Select two to compare."
                          if runs else "No runs yet: runs are added to the project as they "
                          "finish.")
        self._update_buttons()

    def selected_run_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self.table.item(r, 0).data(RUN_ID_ROLE) for r in rows
                if self.table.item(r, 0) is not None]

    def select_runs(self, run_ids: list[int]) -> None:
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for r in range(self.table.rowCount()):
            if self.table.item(r, 0).data(RUN_ID_ROLE) in run_ids:
                self.table.selectRow(r)
        self.table.setSelectionMode(mode)

    def summary(self, run_id: int) -> Any:
        return next(s for s in self._runs if s.id == run_id)

    def rename_selected(self) -> None:
        """Ask for the selected run's name (one run selected)."""
        ids = self.selected_run_ids()
        if len(ids) != 1:
            return
        summary = self.summary(ids[0])
        text = self.ask_name(self, getattr(summary, "name", None) or "")
        if text is not None:
            self.rename_requested.emit(ids[0], text.strip())

    def _context_menu(self, pos: QPoint) -> None:
        item = self.table.itemAt(pos)
        if item is None:
            return
        if item.data(RUN_ID_ROLE) not in self.selected_run_ids():
            self.table.selectRow(item.row())
        menu = QMenu(self)
        menu.addAction(self.rename_action)
        menu.exec(self.table.viewport().mapToGlobal(pos))

    def _update_buttons(self) -> None:
        n = len(self.selected_run_ids())
        self.rename_action.setEnabled(n == 1)
        self.show_button.setEnabled(n == 1)
        self.compare_button.setEnabled(n == 2)

    def _on_selection(self) -> None:
        self._update_buttons()
        ids = self.selected_run_ids()
        if len(ids) == 1:
            self.run_selected.emit(ids[0])

    def _show(self) -> None:
        ids = self.selected_run_ids()
        if len(ids) == 1:
            self.run_selected.emit(ids[0])

    # -- comparison ---------------------------------------------------------------------------
    def compare_selected(self) -> None:
        ids = sorted(self.selected_run_ids())
        if len(ids) != 2:
            return
        a, b = ids
        self.compare_requested.emit(a, b)
        if self._fetch is not None:
            self._fetch([a, b], lambda results: self.show_comparison(a, b, results[a],
                                                                     results[b]))

    def _label(self, run_id: int) -> str:
        try:
            s = self.summary(run_id)
        except StopIteration:
            return f"run {run_id}"
        target = f", {s.target}" if s.target else ""
        return f"run {run_id} ({_when(s.created)}, {_run_label(s)} on {s.dataset_name}{target})"

    def show_comparison(self, id_a: int, id_b: int, results_a: dict, results_b: dict) -> None:
        """Show two runs' leaderboards (results JSON dicts) side by side."""
        task = "regression"
        with contextlib.suppress(StopIteration):
            task = self.summary(id_a).task
        self.comparison.show_runs(results_a, results_b, self._label(id_a), self._label(id_b),
                                  task)
        self.comparison.show()
        total = max(self.splitter.height(), 200)
        self.splitter.setSizes([int(total * 0.4), int(total * 0.6)])
