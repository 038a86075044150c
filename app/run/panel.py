"""The run panel: overall progress and time, a row per branch grouped by branch step, the log.

Why it only listens: every number shown comes from the RunController's signals (which the
engine emits at most ~20 times a second), so the panel never asks the engine anything and
cannot block the GUI thread. Progress bars in the tree are painted by a delegate rather
than being widgets, so a generator with hundreds of branches stays cheap to update.

Fits a ~400 px right-hand dock (tree above log) and a wide bottom area (side by side).
"""
from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QModelIndex, QRect, Qt, QTimer, Slot
from PySide6.QtGui import QColor, QFont, QFontDatabase, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QSizePolicy,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.progress import RemainingTime

PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 1   # (done, total or None, unit, status)
BRANCH_ROLE = Qt.ItemDataRole.UserRole + 2     # branch id on branch rows
COL_NAME, COL_PROGRESS, COL_STATUS, COL_SECONDS = range(4)
LOG_LIMIT = 20000  # lines kept in the log (a long tuned run must not grow without bound)
PROGRESS_LOG_SECONDS = 5.0  # a "tasks done" line in the log at most this often during a run

STATUS_COLOURS = {"ok": "#2e7d32", "failed": "#c62828", "cancelled": "#8d6e63",
                  "running": "#1565c0", "queued": "#757575"}
ENDED_BAR_STATUSES = ("failed", "cancelled")  # drawn as a full bar of their colour, named
WARNING_COLOUR = "#b35c00"  # group headers whose plan overrode the user's parallel request

# Reason codes that explain why a group ran one branch after the other.
SEQUENTIAL_CODES = ("model_n_jobs", "neural_network", "gpu", "memory", "nested_parallelism",
                    "user_sequential", "predict_mode", "too_small", "blas_bound",
                    "workers_capped")


def clock(seconds: float) -> str:
    """0:07, 1:05, 1:02:03."""
    s = max(0, round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def group_title(entry: dict[str, Any]) -> tuple[str, str]:
    """(header text, tooltip) of one plan entry: "parallel ×N" or "sequential — <reason>".

    The header says "sequential" itself, so a reason whose message is that verdict ("Sequential:
    <why>") shows only its ``data["why"]``; the reasons are chosen by code and severity.
    """
    where = entry.get("step") or "branches"
    reasons = entry.get("reasons") or []
    tip = "\n".join(r.get("message", "") + (f" (fix: {r['fix']})" if r.get("fix") else "")
                    for r in reasons)
    if entry.get("mode") == "parallel":
        return f"{where} \u00b7 parallel \u00d7{entry.get('workers', 2)}", tip
    why = next((r for r in reasons if r.get("severity") == "warning"), None) \
        or next((r for r in reasons if r.get("code") in SEQUENTIAL_CODES), None) \
        or (reasons[0] if reasons else None)
    text = ((why.get("data") or {}).get("why") or why.get("message", "")) if why else ""
    return f"{where} \u00b7 sequential" + (f" \u2014 {text}" if text else ""), tip


class ProgressDelegate(QStyledItemDelegate):
    """Paints (done, total) as a progress bar; an unknown total shows the task count.

    A branch that failed or was cancelled is a full bar in its status colour labelled with
    the status: the engine counts a failed branch's dropped tasks as done (the run's total
    must still add up), and a full blue "6/6 tasks" read as success."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex):
        hint = super().sizeHint(option, index)
        hint.setHeight(max(hint.height(), option.fontMetrics.height() + 8))
        return hint

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        value = index.data(PROGRESS_ROLE)
        if value is None:
            super().paint(painter, option, index)
            return
        done, total, unit, status = (tuple(value) + (None,))[:4]
        bar = QStyleOptionProgressBar()
        bar.rect = QRect(option.rect.adjusted(2, 3, -2, -3))
        bar.minimum = 0
        bar.maximum = max(1, total) if total else 1
        bar.progress = min(done, bar.maximum) if total else 0
        bar.text = f"{done}/{total} {unit}" if total else f"{done} {unit}"
        bar.textVisible = True
        bar.state = option.state | QStyle.StateFlag.State_Horizontal
        bar.fontMetrics = option.fontMetrics
        bar.palette = QPalette(option.palette)
        if status in ENDED_BAR_STATUSES:
            bar.progress = bar.maximum
            bar.text = status
            bar.palette.setColor(QPalette.ColorRole.Highlight, QColor(STATUS_COLOURS[status]))
            bar.palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)


class RunPanel(QWidget):
    """Live view of one run; call attach(controller) once."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runPanel")
        self.overall = QProgressBar()
        self.overall.setObjectName("runOverall")
        self.overall.setRange(0, 1)
        self.overall.setValue(0)
        self.overall.setFormat("%v / %m tasks")
        self.time_label = QLabel("")
        self.time_label.setObjectName("runTime")
        self.status_label = QLabel("No run yet: press Run (F5).")
        self.status_label.setObjectName("runStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.tree = QTreeWidget()
        self.tree.setObjectName("runBranches")
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(["Branch", "Progress", "Status", "s"])
        self.tree.headerItem().setToolTip(COL_SECONDS, "Seconds of fitting: the sum of the "
                                          "branch's tasks (folds, refit, trials)")
        self.tree.headerItem().setToolTip(COL_PROGRESS, "Tasks done: CV folds + the refit on "
                                          "all training rows (trials x folds when tuning)")
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setItemDelegateForColumn(COL_PROGRESS, ProgressDelegate(self.tree))
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_PROGRESS, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_STATUS, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_SECONDS, QHeaderView.ResizeMode.ResizeToContents)
        header.resizeSection(COL_PROGRESS, 110)
        header.setMinimumSectionSize(30)

        self.log = QPlainTextEdit()
        self.log.setObjectName("runLog")
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(LOG_LIMIT)
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.log.setPlaceholderText("The run log: policy warnings, one line per branch, "
                                    "and the timing table at the end.")

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.tree)
        self.splitter.addWidget(self.log)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.overall, 1)
        top.addWidget(self.time_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.status_label)
        layout.addWidget(self.splitter, 1)
        self.setMinimumWidth(260)

        self._rows: dict[int, QTreeWidgetItem] = {}
        self._progress: dict[int, list] = {}       # id -> [done, total or None, unit]
        self._status: dict[int, str] = {}
        self._names: dict[int, str] = {}
        self._t0: float | None = None
        self._last_task: tuple[float, int, int, float] | None = None  # (at, done, total, elapsed)
        self._remaining = RemainingTime()
        self._started_rows: set[int] = set()   # branches whose first task the log announced
        self._logged_progress_at = 0.0          # run seconds of the last progress log line
        self._running = False
        self._tick = QTimer(self)
        self._tick.setInterval(500)
        self._tick.timeout.connect(self._update_time)

    # -- wiring -----------------------------------------------------------------------------
    def attach(self, controller: Any) -> None:
        controller.started.connect(self.on_started)
        controller.task_done.connect(self.on_task_done)
        controller.branch_finished.connect(self.on_branch_finished)
        controller.log_line.connect(self.append_log)
        controller.finished.connect(self.on_finished)
        controller.failed.connect(self.on_failed)
        controller.running_changed.connect(self.on_running_changed)

    # -- slots ------------------------------------------------------------------------------
    @Slot(bool)
    def on_running_changed(self, running: bool) -> None:
        self._running = running
        if running:
            self._t0 = time.monotonic()
            self._last_task = None
            self._remaining = RemainingTime()
            self._started_rows.clear()
            self._logged_progress_at = 0.0
            self.tree.clear()
            self._rows.clear()
            self._progress.clear()
            self._status.clear()
            self.log.clear()
            self.overall.setRange(0, 0)  # busy until the plan arrives
            self.status_label.setText("Preparing the run\u2026")
            self._tick.start()
        else:
            self._tick.stop()
        self._update_time()

    @Slot(object, object)
    def on_started(self, plan: list[dict[str, Any]], names: dict[int, str]) -> None:
        self._names = dict(names)
        self.tree.clear()
        self._rows.clear()
        placed: set[int] = set()
        bold = QFont(self.tree.font())
        bold.setBold(True)
        total = 0
        for entry in plan:
            ids = [i for i in entry.get("branch_ids", []) if i in names]
            if not ids:
                continue
            title, tip = group_title(entry)
            head = QTreeWidgetItem([title])
            head.setFont(COL_NAME, bold)
            head.setToolTip(COL_NAME, tip or title)
            head.setFlags(Qt.ItemFlag.ItemIsEnabled)
            if any(r.get("severity") == "warning" for r in entry.get("reasons") or []):
                head.setForeground(COL_NAME, _brush(WARNING_COLOUR))
            self.tree.addTopLevelItem(head)
            head.setFirstColumnSpanned(True)
            for bid in ids:
                tasks = (entry.get("tasks") or {}).get(bid)
                tuned = (entry.get("tuned") or {}).get(bid, False)
                self._add_row(head, bid, tasks, "tasks" if tuned or tasks is None else "folds")
                placed.add(bid)
                total += tasks or 0
        rest = [bid for bid in names if bid not in placed]
        if rest:  # branches no plan entry names (a hand-made plan): one flat group
            head = QTreeWidgetItem(["branches"])
            head.setFont(COL_NAME, bold)
            self.tree.addTopLevelItem(head)
            head.setFirstColumnSpanned(True)
            for bid in rest:
                self._add_row(head, bid, None, "tasks")
        self.tree.expandAll()
        self.overall.setRange(0, max(1, total))
        self.overall.setValue(0)
        n = len(names)
        self.status_label.setText(f"Running {n} branch{'es' if n != 1 else ''}\u2026")
        groups = "; ".join(group_title(e)[0] for e in plan
                           if any(i in names for i in e.get("branch_ids", [])))
        self.append_log(f"{n} branch{'es' if n != 1 else ''}, {total} tasks"
                        + (f" ({groups})" if groups else ""))

    def _add_row(self, head: QTreeWidgetItem, bid: int, tasks: int | None, unit: str) -> None:
        name = self._names.get(bid, str(bid))
        item = QTreeWidgetItem(head, [f"{bid}  {name}", "", "queued", ""])
        item.setToolTip(COL_NAME, f"[{bid}] {name}")
        item.setData(COL_NAME, BRANCH_ROLE, bid)
        item.setTextAlignment(COL_SECONDS,
                              Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._rows[bid] = item
        self._progress[bid] = [0, tasks, unit]
        self._set_status(bid, "queued")
        self._paint_progress(bid)

    @Slot(object)
    def on_task_done(self, event: Any) -> None:
        self._last_task = (time.monotonic(), event.done, event.total, event.elapsed)
        self._remaining.update(event.done, event.total, event.elapsed)
        self._log_progress(event)
        self.overall.setRange(0, max(1, event.total))
        self.overall.setValue(min(event.done, event.total))
        bid = event.branch_id
        if bid not in self._rows:
            return
        progress = self._progress[bid]
        exact_done = getattr(event, "branch_done", None)   # engines that count per branch
        exact_total = getattr(event, "branch_total", None)
        if exact_total:
            progress[0], progress[1] = exact_done, exact_total
        else:  # the stream is throttled: a lower bound, corrected when the branch ends
            progress[0] += 1
            if progress[1] is not None and progress[0] > progress[1]:
                progress[1] = None
        if self._status.get(bid) == "queued":
            self._set_status(bid, "running")
        if bid not in self._started_rows:
            self._started_rows.add(bid)
            self.append_log(f"[{bid}] {self._names.get(bid, '')}: first task done "
                            f"at {clock(event.elapsed)}")
        self._paint_progress(bid)
        self._update_time()

    def _log_progress(self, event: Any) -> None:
        """A line every few seconds while tasks finish, so the log moves during a long run
        and not only when a branch ends (in a parallel group they all end near the end)."""
        if event.elapsed - self._logged_progress_at < PROGRESS_LOG_SECONDS:
            return
        self._logged_progress_at = event.elapsed
        left = self._remaining.seconds()
        self.append_log(f"{event.done}/{event.total} tasks done at {clock(event.elapsed)}"
                        + (f", ~{clock(left)} left" if left is not None else ""))

    @Slot(object)
    def on_branch_finished(self, result: Any) -> None:
        bid = result.id
        if bid not in self._rows:
            return
        progress = self._progress[bid]
        if result.status == "ok":
            if progress[1] is None:
                progress[1] = max(progress[0], len(result.fold_seconds) + 1)
                progress[2] = "tasks" if result.best_params is not None else "folds"
            progress[0] = progress[1]
        self._set_status(bid, result.status, result.error)
        shown = result.status != "cancelled" or result.seconds > 0
        self._rows[bid].setText(COL_SECONDS, f"{result.seconds:.2f}" if shown else "")

    @Slot(object)
    def on_finished(self, result: Any) -> None:
        for branch in result.branches:
            if branch.id in self._rows and self._status.get(branch.id) != branch.status:
                self.on_branch_finished(branch)
        counts: dict[str, int] = {}
        for branch in result.branches:
            counts[branch.status] = counts.get(branch.status, 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in counts.items())
        if result.cancelled:
            self.status_label.setText(f"Cancelled after {result.seconds:.1f} s: {summary}")
        else:
            self.overall.setValue(self.overall.maximum())
            self.status_label.setText(f"Finished in {result.seconds:.1f} s: {summary}")
        self._last_task = None
        self._update_time(final=result.seconds)

    @Slot(str)
    def on_failed(self, message: str) -> None:
        self.overall.setRange(0, 1)
        self.overall.setValue(0)
        self.status_label.setText(f"Could not run: {message}")
        for bid, status in list(self._status.items()):  # a run that broke half way
            if status in ("queued", "running"):
                self._set_status(bid, "failed", message)
        self.append_log(f"error: {message}")

    @Slot(str)
    def append_log(self, line: str) -> None:
        self.log.appendPlainText(line)

    # -- painting helpers -------------------------------------------------------------------
    def _paint_progress(self, bid: int) -> None:
        done, total, unit = self._progress[bid]
        self._rows[bid].setData(COL_PROGRESS, PROGRESS_ROLE,
                                (done, total, unit, self._status.get(bid)))

    def _set_status(self, bid: int, status: str, error: str | None = None) -> None:
        self._status[bid] = status
        item = self._rows[bid]
        item.setText(COL_STATUS, status)
        item.setForeground(COL_STATUS, _brush(STATUS_COLOURS.get(status, "#000000")))
        tip = f"{status}: {error}" if error else status
        item.setToolTip(COL_STATUS, tip)
        if error:
            item.setToolTip(COL_NAME, f"[{bid}] {self._names.get(bid, '')}\n{error}")
            item.setToolTip(COL_PROGRESS, f"{status}: {error}")
        self._paint_progress(bid)

    def _update_time(self, final: float | None = None) -> None:
        if self._t0 is None:
            self.time_label.setText("")
            return
        elapsed = final if final is not None else time.monotonic() - self._t0
        text = clock(elapsed)
        remaining = self.remaining_seconds()
        if self._running and remaining is not None:
            text += f" \u00b7 ~{clock(remaining)} left"
        self.time_label.setText(text)

    def remaining_seconds(self) -> float | None:
        """engine.progress.RemainingTime at this moment: the measured task rate since the
        first finished task, minus the time since the last report. None until measured."""
        if self._last_task is None:
            return None
        at, _done, _total, elapsed = self._last_task
        return self._remaining.seconds(elapsed + (time.monotonic() - at))

    # -- queries for tests and the lead -----------------------------------------------------
    def branch_status(self, bid: int) -> str | None:
        return self._status.get(bid)

    def branch_bar(self, bid: int) -> tuple | None:
        """What the branch's bar draws: (done, total, unit, status)."""
        item = self._rows.get(bid)
        return None if item is None else item.data(COL_PROGRESS, PROGRESS_ROLE)

    def branch_progress(self, bid: int) -> tuple[int, int | None, str] | None:
        value = self._progress.get(bid)
        return tuple(value) if value is not None else None

    def group_titles(self) -> list[str]:
        tree = self.tree
        return [tree.topLevelItem(i).text(COL_NAME) for i in range(tree.topLevelItemCount())]

    def resizeEvent(self, event) -> None:  # Qt override
        """Wide and short (the bottom dock area): branches and log side by side."""
        super().resizeEvent(event)
        wide = self.width() > 700 and self.width() > 2.2 * self.height()
        want = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if self.splitter.orientation() != want:
            self.splitter.setOrientation(want)


def _brush(colour: str):
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(colour))
