"""Settings > Execution: run on this machine (worker count) or on a Dask cluster.

Why a dialog of its own: the choice changes where every later run executes, so it is made
once, deliberately, and remembered (AppSettings), not per run. The Dask option is disabled
with the install hint when dask.distributed is missing (it is an optional extra).

"Test connection" talks to the network, which can take seconds: it runs as a background job
(app.common.workers.Jobs, on a thread shared by every dialog of the session) with a timeout (5 s
by default) and reports back through the job's handle. Closing the dialog during a test does
not wait for it: the job ends by itself and its answer goes nowhere; the main window calls
:func:`wait_for_connection_tests` on shutdown so that no running thread is destroyed.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.common.workers import Handle, Jobs
from engine.backends import INSTALL_HINT, ExecutionChoice, dask_available
from engine.machine import usable_cpus

DEFAULT_TIMEOUT_S = 5.0
DASK_HINT = f"Dask cluster needs dask.distributed: {INSTALL_HINT}"
TRUST_NOTE = ("Runs send the training data, the pipelines and the fitted models over the network "
              "with pickle: connect only to a cluster you trust. Workers need the same nirdesk "
              "version installed (see docs/cluster.md).")
OK_STYLE = "color: #1b7f3b;"
ERROR_STYLE = "color: #b3261e;"
BUSY_STYLE = "color: palette(mid);"
KIND = "connection-test"


def check_connection(address: str, timeout: float, cancel: Any = None) -> Any:
    """engine.backends.dask_cluster.check_connection (a job: runs on the background thread)."""
    from engine.backends.dask_cluster import check_connection as check

    return check(address, timeout)


def failure_line(exc: BaseException) -> str:
    """A failed connection test as one line (the engine's own message when it has one)."""
    from engine.errors import NirdeskInputError

    if isinstance(exc, NirdeskInputError):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


_TESTS: Jobs | None = None   # the session's connection-test thread, outliving the dialogs


def _start_test(address: str, timeout: float) -> Handle:
    global _TESTS
    if _TESTS is None or _TESTS.stopped:
        _TESTS = Jobs(name="nirdesk-connection-test")
    # each test its own kind: a new dialog's test never cancels a closed one's (which ends
    # by itself within its timeout anyway)
    return _TESTS.submit(f"{KIND}-{address}", check_connection, address, timeout,
                         label=f"Connecting to {address}\u2026")


def wait_for_connection_tests(timeout_ms: int = 15000) -> bool:
    """At application exit: wait for connection tests still running (each ends by itself
    within about twice its timeout) and stop their thread. True when none is left running."""
    global _TESTS
    jobs, _TESTS = _TESTS, None
    return True if jobs is None else jobs.shutdown(timeout_ms)


def fmt_bytes(n: float | None) -> str:
    if not n:
        return "\u2014"
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n / 1e3:.0f} kB"


class ExecutionSettingsDialog(QDialog):
    """Local (worker count, Auto) or Dask cluster (address, Test connection, workers table).

    OK stores the choice in ``settings`` (if given) and emits choice_saved(ExecutionChoice);
    :meth:`execution_choice` reads the widgets at any time. Signals connection_tested
    (ClusterInfo) and connection_failed(str) report the Test connection outcome.
    """

    choice_saved = Signal(object)        # engine.backends.ExecutionChoice
    connection_tested = Signal(object)   # engine.backends.dask_cluster.ClusterInfo
    connection_failed = Signal(str)      # one line

    def __init__(self, parent: QWidget | None = None, settings: Any = None, *,
                 timeout: float = DEFAULT_TIMEOUT_S, dask: bool | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("executionSettings")
        self.setWindowTitle("nirdesk \u2014 Settings \u2014 Execution")
        self.settings = settings
        self.timeout = timeout
        self.dask_ok = dask_available() if dask is None else dask
        self._test: Handle | None = None
        self._tested_address = ""
        self._build()
        self._load()
        self._sync_enabled()

    # -- widgets -------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Where runs execute</b>"))
        self.local_radio = QRadioButton("This machine (local worker processes)")
        self.local_radio.setObjectName("localRadio")
        self.dask_radio = QRadioButton("Dask cluster")
        self.dask_radio.setObjectName("daskRadio")
        self.group = QButtonGroup(self)
        self.group.addButton(self.local_radio)
        self.group.addButton(self.dask_radio)

        layout.addWidget(self.local_radio)
        local_box = QWidget()
        local_form = QFormLayout(local_box)
        local_form.setContentsMargins(24, 0, 0, 6)
        cpus = usable_cpus()
        self.workers_spin = QSpinBox()
        self.workers_spin.setObjectName("workersSpin")
        self.workers_spin.setRange(0, max(1, cpus))
        self.workers_spin.setSpecialValueText("Auto")
        self.workers_spin.setToolTip("Auto: one worker per usable CPU, as the parallel policy "
                                     "decides; a number caps the workers of every run")
        row = QHBoxLayout()
        row.addWidget(self.workers_spin)
        row.addWidget(QLabel(f"of {cpus} usable CPU{'s' if cpus != 1 else ''}"))
        row.addStretch(1)
        local_form.addRow("Workers:", row)
        layout.addWidget(local_box)

        layout.addWidget(self.dask_radio)
        self.dask_box = QWidget()
        dask_layout = QVBoxLayout(self.dask_box)
        dask_layout.setContentsMargins(24, 0, 0, 0)
        address_row = QHBoxLayout()
        address_row.addWidget(QLabel("Scheduler:"))
        self.address_edit = QLineEdit()
        self.address_edit.setObjectName("schedulerAddress")
        self.address_edit.setPlaceholderText("tcp://HOST:8786")
        self.address_edit.setMinimumWidth(260)
        address_row.addWidget(self.address_edit, 1)
        self.test_button = QPushButton("Test connection")
        self.test_button.setObjectName("testConnection")
        address_row.addWidget(self.test_button)
        dask_layout.addLayout(address_row)
        self.status_label = QLabel("")
        self.status_label.setObjectName("connectionStatus")
        self.status_label.setWordWrap(True)
        dask_layout.addWidget(self.status_label)
        self.workers_table = QTableWidget(0, 4)
        self.workers_table.setObjectName("clusterWorkers")
        self.workers_table.setHorizontalHeaderLabels(["Worker", "Cores", "Memory used / limit",
                                                      "CPU"])
        self.workers_table.verticalHeader().setVisible(False)
        self.workers_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.workers_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.workers_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.workers_table.setMinimumHeight(110)
        dask_layout.addWidget(self.workers_table)
        self.trust_label = QLabel(TRUST_NOTE)
        self.trust_label.setWordWrap(True)
        self.trust_label.setStyleSheet("color: palette(mid);")
        dask_layout.addWidget(self.trust_label)
        layout.addWidget(self.dask_box)

        self.hint_label = QLabel(DASK_HINT)
        self.hint_label.setObjectName("daskHint")
        self.hint_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint_label.setVisible(not self.dask_ok)
        layout.addWidget(self.hint_label)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.group.buttonToggled.connect(lambda *_: self._sync_enabled())
        self.test_button.clicked.connect(self.test_connection)
        self.address_edit.returnPressed.connect(self.test_connection)
        self.address_edit.textEdited.connect(self._address_edited)

    def _load(self) -> None:
        choice = (self.settings.execution_choice() if self.settings is not None
                  else ExecutionChoice())
        self.address_edit.setText(choice.scheduler)
        self.workers_spin.setValue(choice.workers if choice.workers >= 1 else 0)
        use_dask = choice.backend == "dask" and self.dask_ok
        (self.dask_radio if use_dask else self.local_radio).setChecked(True)

    def _sync_enabled(self) -> None:
        self.dask_radio.setEnabled(self.dask_ok)
        if not self.dask_ok:
            self.dask_radio.setToolTip(DASK_HINT)
        dask = self.dask_radio.isChecked() and self.dask_ok
        self.dask_box.setEnabled(dask)
        self.workers_spin.setEnabled(not dask)
        self.test_button.setEnabled(dask and self._test is None)

    # -- the choice ----------------------------------------------------------------------------
    def execution_choice(self) -> ExecutionChoice:
        """What the widgets say now (the address as typed, trimmed)."""
        address = self.address_edit.text().strip()
        if self.dask_radio.isChecked() and self.dask_ok:
            return ExecutionChoice("dask", address, -1)  # the cluster's threads are the limit
        return ExecutionChoice("loky", address, self.workers_spin.value() or -1)

    def accept(self) -> None:
        """OK: a Dask choice needs a well-formed address (not necessarily tested); then save."""
        choice = self.execution_choice()
        if choice.backend == "dask":
            from engine.backends.dask_cluster import ClusterError, normalise_address

            try:
                choice = ExecutionChoice("dask", normalise_address(choice.scheduler), -1)
            except ClusterError as exc:
                self._show_status(str(exc), ERROR_STYLE)
                self.address_edit.setFocus()
                return
        if self.settings is not None:
            workers = self.workers_spin.value() or -1
            self.settings.save_execution(choice.backend, self.address_edit.text().strip()
                                         if choice.backend == "loky" else choice.scheduler, workers)
            self.settings.sync()
        self.choice_saved.emit(choice)
        super().accept()

    def keyPressEvent(self, event: Any) -> None:
        """Enter in the address field tests the connection (its returnPressed) instead of
        also pressing OK, which QDialog would do with the key the line edit passes on."""
        if (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and self.focusWidget() is self.address_edit):
            event.accept()
            return
        super().keyPressEvent(event)

    def done(self, result: int) -> None:
        self._detach_test()
        super().done(result)

    # -- Test connection -----------------------------------------------------------------------
    @Slot()
    def test_connection(self) -> None:
        """Check the address at once (format), then ask the scheduler on a thread."""
        if not (self.dask_ok and self.dask_radio.isChecked()) or self._test is not None:
            return
        from engine.backends.dask_cluster import ClusterError, normalise_address

        try:
            address = normalise_address(self.address_edit.text())
        except ClusterError as exc:
            self._fail(str(exc))
            return
        self.workers_table.setRowCount(0)
        self._show_status(f"Connecting to {address}\u2026", BUSY_STYLE)
        self._tested_address = address
        self._test = _start_test(address, self.timeout)
        self._test.finished.connect(self._on_tested)
        self._test.failed.connect(self._on_test_failed)
        self._sync_enabled()

    def is_testing(self) -> bool:
        return self._test is not None

    def _detach_test(self) -> None:
        if self._test is not None:
            self._test.cancel()   # its late answer goes nowhere
            try:
                self._test.finished.disconnect(self._on_tested)
                self._test.failed.disconnect(self._on_test_failed)
            except (RuntimeError, TypeError):
                pass
            self._test = None

    @Slot(object)
    def _on_tested(self, info: Any) -> None:
        self._detach_test()
        self._fill_table(info.workers)
        text = info.summary()
        if info.warnings:
            text += "\n" + "\n".join(f"\u26a0 {w}" for w in info.warnings)
        self._show_status(text, ERROR_STYLE if info.warnings or not info.workers else OK_STYLE)
        self._sync_enabled()
        self.connection_tested.emit(info)

    @Slot(object, str)
    def _on_test_failed(self, exc: BaseException, _tb: str) -> None:
        self._fail(failure_line(exc))

    @Slot(str)
    def _fail(self, message: str) -> None:
        self._detach_test()
        self.workers_table.setRowCount(0)
        self._show_status(message, ERROR_STYLE)
        self._sync_enabled()
        self.connection_failed.emit(message)

    def _address_edited(self, _text: str) -> None:
        """A different address: the last test's workers no longer apply."""
        if self.workers_table.rowCount() or self.status_label.text():
            self.workers_table.setRowCount(0)
            self._show_status("", BUSY_STYLE)

    def _show_status(self, text: str, style: str) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(style)

    def _fill_table(self, workers: list[dict[str, Any]]) -> None:
        self.workers_table.setRowCount(len(workers))
        for r, w in enumerate(workers):
            memory = fmt_bytes(w.get("memory_used"))
            if w.get("memory_limit"):
                memory += f" / {fmt_bytes(w['memory_limit'])}"
            cpu = w.get("cpu_percent")
            values = [str(w.get("name", "?")), str(w.get("cores", "")), memory,
                      "\u2014" if cpu is None else f"{cpu:.0f} %"]
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if c == 0 and w.get("address") and w.get("address") != w.get("name"):
                    item.setToolTip(f"{w['address']} on {w.get('host', '')}")
                self.workers_table.setItem(r, c, item)


def open_execution_settings(parent: QWidget | None, settings: Any,
                            on_saved: Any = None) -> ExecutionSettingsDialog:
    """Open the dialog window-modal with ``open()`` (never ``exec()``, as app.common.dialogs does:
    the event loop keeps running); ``on_saved(ExecutionChoice)`` runs after OK. The dialog
    deletes itself when closed; the returned reference is for tests."""
    dialog = ExecutionSettingsDialog(parent, settings)
    if on_saved is not None:
        dialog.choice_saved.connect(on_saved)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
