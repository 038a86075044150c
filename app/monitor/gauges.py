"""Resource gauges: CPU per core and in total, memory, the RSS of nirdesk and of each pool
worker, the number of live workers (or a cluster's workers), with one-minute sparklines.

Why polled on the GUI thread: every reading is a non-blocking read of /proc (or the OS
equivalent) through psutil - ``cpu_percent(interval=None)`` returns the usage since the
previous call instead of sleeping, and each ``memory_info()`` is one small file read - so one
poll costs well under a millisecond for a handful of workers (measured: see the report /
``ResourceGauges.last_cost_ms``). A worker thread would cost more in signalling than it saves.
A QTimer fires about once a second (design.md "Gauges").

Workers come and go (a run starts a pool, cancel kills it): a pid that has vanished or that
we may not read is simply left out of the sample; it is never an error.

Memory warning rule: the memory gauge turns red when the memory available to new
allocations is below 15 % of the total OR below 1 GB (10^9 bytes), whichever triggers first.
The percentage catches small machines, the absolute floor catches large ones where 15 % is
still many GB but one more worker copy would not fit.
"""
from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import psutil
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QFrame,
    QHeaderView,
    QLabel,
    QLayout,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.monitor.sparkline import OK_COLOUR, WARN_COLOUR, CoreBars, Sparkline

HISTORY = 60                      # samples kept for the sparklines (~ one minute)
WARN_FRACTION = 0.15              # available < 15 % of total -> memory is tight
WARN_BYTES = 1_000_000_000        # ... or available < 1 GB
NARROW_WIDTH = 560                # below this the sections stack vertically
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter

PidsProvider = Callable[[], list[int]]
RemoteProvider = Callable[[], "list[dict[str, Any]] | None"]


# -- the numbers (no Qt) ------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteWorker:
    """One worker of a cluster as its provider reports it (bytes, percent; None = unknown)."""

    name: str
    cores: int | None = None
    memory_used: int | None = None
    memory_limit: int | None = None
    cpu_percent: float | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RemoteWorker:
        def num(key: str, kind: type) -> Any:
            value = d.get(key)
            try:
                return None if value is None else kind(value)
            except (TypeError, ValueError):
                return None
        return cls(name=str(d.get("name", "?")), cores=num("cores", int),
                   memory_used=num("memory_used", int), memory_limit=num("memory_limit", int),
                   cpu_percent=num("cpu_percent", float))


@dataclass
class ResourceSnapshot:
    """One poll. Bytes are bytes; percentages are 0-100.

    mem_used is total - available (what is not available to new allocations; psutil's own
    ``used`` leaves out caches differently per OS). worker_rss holds only the workers that
    were alive and readable at this poll; n_workers counts them plus the cluster's workers.
    remote is None when no cluster is connected.
    """

    time: float
    per_core: list[float]
    cpu_total: float
    mem_total: int
    mem_available: int
    mem_used: int
    own_rss: int
    worker_rss: dict[int, int] = field(default_factory=dict)
    worker_cpu: dict[int, float] = field(default_factory=dict)
    remote: list[RemoteWorker] | None = None
    n_workers: int = 0
    poll_ms: float = 0.0
    remote_error: str | None = None

    @property
    def workers_rss_total(self) -> int:
        return sum(self.worker_rss.values())


def memory_tight(snapshot: ResourceSnapshot) -> bool:
    """The warning rule (module docstring): available < 15 % of total or < 1 GB."""
    return (snapshot.mem_available < WARN_FRACTION * snapshot.mem_total
            or snapshot.mem_available < WARN_BYTES)


class ResourceSampler:
    """Takes snapshots; keeps psutil.Process objects between polls so per-process CPU % is
    measured over the interval (psutil needs the same object twice) and a worker's process
    handle is not rebuilt every second."""

    def __init__(self) -> None:
        self._own = psutil.Process()
        self._procs: dict[int, psutil.Process] = {}
        psutil.cpu_percent(interval=None, percpu=True)  # prime: the first call returns 0s

    def sample(self, pids: list[int], remote: list[Mapping[str, Any]] | None = None,
               remote_error: str | None = None) -> ResourceSnapshot:
        start = time.perf_counter()
        per_core = [float(v) for v in psutil.cpu_percent(interval=None, percpu=True)]
        vm = psutil.virtual_memory()
        worker_rss: dict[int, int] = {}
        worker_cpu: dict[int, float] = {}
        wanted = {int(p) for p in pids}
        for pid in list(self._procs):
            if pid not in wanted:
                del self._procs[pid]
        for pid in sorted(wanted):
            proc = self._procs.get(pid)
            try:
                if proc is None:
                    proc = self._procs[pid] = psutil.Process(pid)
                with proc.oneshot():
                    rss = int(proc.memory_info().rss)
                    cpu = float(proc.cpu_percent(interval=None))
                if rss == 0:   # a killed worker not yet reaped (zombie) holds no memory
                    raise psutil.ZombieProcess(pid)
                worker_rss[pid], worker_cpu[pid] = rss, cpu
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                self._procs.pop(pid, None)
                worker_rss.pop(pid, None)
                worker_cpu.pop(pid, None)
        try:
            own = int(self._own.memory_info().rss)
        except psutil.Error:
            own = 0
        workers = None if remote is None else [RemoteWorker.from_dict(d) for d in remote]
        total = sum(per_core) / len(per_core) if per_core else 0.0
        return ResourceSnapshot(
            time=time.monotonic(), per_core=per_core, cpu_total=total, mem_total=int(vm.total),
            mem_available=int(vm.available), mem_used=int(vm.total - vm.available), own_rss=own,
            worker_rss=worker_rss, worker_cpu=worker_cpu, remote=workers,
            n_workers=len(worker_rss) + len(workers or []),
            poll_ms=(time.perf_counter() - start) * 1000.0, remote_error=remote_error)


def fmt_bytes(n: float | None) -> str:
    """Decimal units, as file managers show them: 950 MB, 1.2 GB."""
    if n is None or not math.isfinite(n):
        return "\u2014"
    if n >= 1e9:
        return f"{n / 1e9:.1f} GB"
    if n >= 1e6:
        return f"{n / 1e6:.0f} MB"
    return f"{n / 1e3:.0f} kB"


# -- the widget ---------------------------------------------------------------------------------


def _title(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


class _Section(QFrame):
    """A titled column of readings: title line, then rows of (caption, sparkline)."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(4, 2, 4, 2)
        self.box.setSpacing(2)
        self.title = _title(title)
        self.box.addWidget(self.title)

    def add(self, widget: QWidget) -> QWidget:
        self.box.addWidget(widget)
        return widget


class ResourceGauges(QWidget):
    """The Resources dock's contents. Call start() once shown; stop() (or closing) ends polling.

    sampled(ResourceSnapshot) is emitted after every poll, on the GUI thread.
    """

    sampled = Signal(object)

    def __init__(self, parent: QWidget | None = None, interval_ms: int = 1000) -> None:
        super().__init__(parent)
        self.setObjectName("resourceGauges")
        self._sampler = ResourceSampler()
        self._pids: PidsProvider | None = None
        self._remote: RemoteProvider | None = None
        self._history: dict[str, deque[float]] = {
            k: deque(maxlen=HISTORY) for k in ("cpu", "mem", "own", "workers")}
        self.last_snapshot: ResourceSnapshot | None = None
        self.last_cost_ms = 0.0          # sample + widget update, GUI thread, last poll
        self.max_cost_ms = 0.0           # the largest since start()
        self._warning = False

        self._timer = QTimer(self)
        self._timer.setInterval(int(interval_ms))
        self._timer.timeout.connect(self.sample_now)

        # CPU
        self.cpu = _Section("CPU")
        self.cpu_label = self.cpu.add(QLabel("\u2014"))
        self.cpu_spark = self.cpu.add(Sparkline(HISTORY, maximum=100.0))
        self.core_bars = self.cpu.add(CoreBars())
        self.cpu.box.addStretch(1)
        # memory
        self.mem = _Section("Memory")
        self.mem_label = self.mem.add(QLabel("\u2014"))
        self.mem_label.setObjectName("memoryLabel")
        self.mem_spark = self.mem.add(Sparkline(HISTORY, maximum=100.0))
        self.mem_note = self.mem.add(QLabel(""))
        self.mem_note.setObjectName("memoryNote")
        self.mem_note.setWordWrap(True)
        self.mem.box.addStretch(1)
        # processes
        self.procs = _Section("nirdesk")
        self.own_label = self.procs.add(QLabel("\u2014"))
        self.own_spark = self.procs.add(Sparkline(HISTORY))
        self.workers_label = self.procs.add(QLabel("\u2014"))
        self.workers_label.setObjectName("workersLabel")
        self.workers_spark = self.procs.add(Sparkline(HISTORY))
        self.procs.box.addStretch(1)
        # per-worker rows
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("workersTable")
        self.table.setHorizontalHeaderLabels(["Worker", "Memory", "CPU"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 4)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.table.setMinimumHeight(60)

        self._layout = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self._layout.setSpacing(8)
        self._layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        for w in (self.cpu, self.mem, self.procs):
            self._layout.addWidget(w, 2)
        for label in (self.cpu_label, self.mem_label, self.own_label, self.workers_label):
            # captions never force the dock wider: a narrow dock clips, then stacks (resizeEvent)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._layout.addWidget(self.table, 3)
        self._warn_colour(False)

    # -- public API ---------------------------------------------------------------------
    def sizeHint(self) -> QSize:
        return QSize(1000, 190)

    def minimumSizeHint(self) -> QSize:
        """Small on purpose: the dock may be narrow (sections then stack) or short."""
        return QSize(200, 120)

    def set_worker_pids_provider(self, fn: PidsProvider | None) -> None:
        """``fn()`` returns the pids of the run's pool workers (loky) right now; called on the
        GUI thread at every poll, so it must be cheap (return a cached list)."""
        self._pids = fn

    def set_remote_workers_provider(self, fn: RemoteProvider | None) -> None:
        """``fn()`` returns the cluster's workers as dicts with name, cores, memory_used,
        memory_limit (bytes) and cpu_percent, or None when not connected.

        It is called on the GUI thread at every poll, so it must NOT talk to the scheduler:
        the caller keeps a cached list (e.g. refreshed by the cluster client's own periodic
        callback on its thread) and ``fn`` just returns it. None (the default) = no cluster.
        """
        self._remote = fn

    def start(self) -> None:
        self.max_cost_ms = 0.0
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def is_running(self) -> bool:
        return self._timer.isActive()

    def memory_warning(self) -> bool:
        """Whether the memory gauge shows the warning colour now."""
        return self._warning

    def sample_now(self) -> ResourceSnapshot:
        """One poll: read, update the gauges, emit sampled. Never raises for vanished workers
        or a failing provider (the provider's error is shown instead)."""
        start = time.perf_counter()
        pids: list[int] = []
        if self._pids is not None:
            try:
                pids = list(self._pids() or [])
            except Exception:  # noqa: BLE001 - a provider bug must not stop the gauges
                pids = []
        remote, remote_error = None, None
        if self._remote is not None:
            try:
                remote = self._remote()
            except Exception as exc:  # noqa: BLE001 - same: show it, keep polling
                remote_error = f"{type(exc).__name__}: {exc}"
        snapshot = self._sampler.sample(pids, remote, remote_error)
        self.show_snapshot(snapshot)
        self.last_cost_ms = (time.perf_counter() - start) * 1000.0
        self.max_cost_ms = max(self.max_cost_ms, self.last_cost_ms)
        self.sampled.emit(snapshot)
        return snapshot

    def show_snapshot(self, s: ResourceSnapshot) -> None:
        """Update every reading from ``s`` (a real poll, or a made-up one in tests)."""
        self.last_snapshot = s
        h = self._history
        h["cpu"].append(s.cpu_total)
        h["mem"].append(100.0 * s.mem_used / s.mem_total if s.mem_total else 0.0)
        h["own"].append(float(s.own_rss))
        h["workers"].append(float(s.workers_rss_total if s.remote is None
                                  else sum(w.memory_used or 0 for w in s.remote)))

        self.cpu_label.setText(f"{s.cpu_total:.0f} % of {len(s.per_core)} cores")
        self.cpu_spark.set_values(h["cpu"])
        self.core_bars.set_values(s.per_core)

        pct = 100.0 * s.mem_used / s.mem_total if s.mem_total else 0.0
        self.mem_label.setText(f"{fmt_bytes(s.mem_used)} used of {fmt_bytes(s.mem_total)} "
                               f"({pct:.0f} %)")
        self.mem_spark.set_values(h["mem"])
        self._warn_colour(memory_tight(s))
        self.mem_note.setText(
            f"{fmt_bytes(s.mem_available)} available"
            + (" \u2014 memory is tight" if self._warning else ""))
        self.mem_note.setToolTip(f"Red when available < {WARN_FRACTION:.0%} of total or "
                                 f"< {fmt_bytes(WARN_BYTES)}")

        self.own_label.setText(f"this window {fmt_bytes(s.own_rss)}")
        self.own_spark.set_values(h["own"])
        if s.remote is not None:
            used = sum(w.memory_used or 0 for w in s.remote)
            cores = sum(w.cores or 0 for w in s.remote)
            n = len(s.remote)
            self.workers_label.setText(f"cluster: {n} worker{'' if n == 1 else 's'}, "
                                       f"{cores} cores, {fmt_bytes(used)}")
        else:
            n = len(s.worker_rss)
            self.workers_label.setText(f"{n} worker{'' if n == 1 else 's'} live, "
                                       f"{fmt_bytes(s.workers_rss_total)}")
        self.workers_spark.set_values(h["workers"])
        self.procs.setToolTip(f"poll {s.poll_ms:.2f} ms")
        self._fill_table(s)

    def history(self, key: str) -> list[float]:
        """The values behind a sparkline: "cpu", "mem" (% used), "own", "workers" (bytes)."""
        return list(self._history[key])

    # -- internals -------------------------------------------------------------------------
    def _warn_colour(self, tight: bool) -> None:
        self._warning = tight
        colour = WARN_COLOUR if tight else OK_COLOUR
        self.mem_spark.set_colour(colour)
        style = f"color: {WARN_COLOUR.name()}; font-weight: bold;" if tight else ""
        self.mem_label.setStyleSheet(style)
        self.mem_note.setStyleSheet(style)

    def _fill_table(self, s: ResourceSnapshot) -> None:
        rows: list[tuple[str, str, str, str]] = []
        for pid, rss in s.worker_rss.items():
            rows.append((f"pid {pid}", fmt_bytes(rss), f"{s.worker_cpu.get(pid, 0.0):.0f} %",
                         "local pool worker"))
        for w in s.remote or []:
            mem = fmt_bytes(w.memory_used)
            if w.memory_limit:
                mem += f" / {fmt_bytes(w.memory_limit)}"
            cpu = "\u2014" if w.cpu_percent is None else f"{w.cpu_percent:.0f} %"
            cores = "" if w.cores is None else f" ({w.cores} cores)"
            rows.append((f"{w.name}{cores}", mem, cpu, "cluster worker"))
        if not rows:
            note = (f"cluster unavailable: {s.remote_error}" if s.remote_error
                    else "no workers running")
            rows.append((note, "", "", ""))
        if self.table.rowCount() != len(rows):
            self.table.setRowCount(len(rows))
        for r, values in enumerate(rows):
            for c in range(3):
                item = self.table.item(r, c)
                if item is None:
                    item = QTableWidgetItem()
                    if c:
                        item.setTextAlignment(RIGHT)
                    self.table.setItem(r, c, item)
                if item.text() != values[c]:
                    item.setText(values[c])
                item.setToolTip(values[3])

    def resizeEvent(self, event) -> None:
        narrow = event.size().width() < NARROW_WIDTH
        want = QBoxLayout.Direction.TopToBottom if narrow else QBoxLayout.Direction.LeftToRight
        if self._layout.direction() != want:
            self._layout.setDirection(want)
            for w in (self.cpu, self.mem, self.procs):  # stacked: the table takes the height
                self._layout.setStretchFactor(w, 0 if narrow else 2)
        super().resizeEvent(event)

    def closeEvent(self, event) -> None:
        self.stop()
        super().closeEvent(event)

    def table_rows(self) -> list[tuple[str, str, str]]:
        """What the workers table shows (tests, accessibility)."""
        return [tuple(self.table.item(r, c).text() if self.table.item(r, c) else ""
                      for c in range(3)) for r in range(self.table.rowCount())]

