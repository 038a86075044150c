"""Run / Cancel and the worker count, as a toolbar.

Why Esc moves: the main window already uses Esc for "Clear selection". Two actions with the
same shortcut in one window are ambiguous and Qt then triggers neither, so while a run is
going the toolbar lends Esc to Cancel (taking it from the actions given to attach()) and
gives it back when the run ends.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QSpinBox, QToolBar, QWidget

from engine.machine import usable_cpus

AUTO = -1
ESC = QKeySequence("Esc")


class RunToolbar(QToolBar):
    """Run (F5), Cancel (Esc while running) and a worker count spin box ("Auto" = -1).

    The lead connects ``run_action.triggered`` to whatever gathers dataset + pipeline and
    calls ``RunController.start(..., workers=toolbar.workers())``; ``attach`` wires Cancel
    and the enabled states to a controller.
    """

    workers_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Run", parent)
        self.setObjectName("runToolbar")
        self.run_action = QAction("Run", self)
        self.run_action.setObjectName("run")
        self.run_action.setShortcut(QKeySequence("F5"))
        self.run_action.setToolTip("Run every branch of the pipeline on the open dataset (F5)")
        self.cancel_action = QAction("Cancel", self)
        self.cancel_action.setObjectName("cancelRun")
        self.cancel_action.setToolTip("Stop the run: finished branches are kept (Esc)")
        self.cancel_action.setEnabled(False)
        self.addAction(self.run_action)
        self.addAction(self.cancel_action)
        self.addSeparator()
        label = QLabel(" Workers ")
        self.workers_spin = QSpinBox()
        self.workers_spin.setObjectName("workersSpin")
        # 0 stands for "Auto" (QSpinBox shows specialValueText at its minimum)
        self.workers_spin.setRange(0, usable_cpus())
        self.workers_spin.setSpecialValueText("Auto")
        self.workers_spin.setValue(0)
        self.workers_spin.setToolTip("Processes the run may use at most (Auto: every usable CPU)")
        label.setBuddy(self.workers_spin)
        self.addWidget(label)
        self.addWidget(self.workers_spin)
        self.workers_spin.valueChanged.connect(lambda v: self.workers_changed.emit(self.workers()))
        self._esc_actions: list[QAction] = []
        self._saved_shortcuts: dict[QAction, list[QKeySequence]] = {}

    def workers(self) -> int:
        """The chosen count, -1 for Auto (what engine.run.run's max_workers expects)."""
        value = self.workers_spin.value()
        return AUTO if value == 0 else value

    def set_workers(self, count: int) -> None:
        self.workers_spin.setValue(0 if count == AUTO else count)

    def attach(self, controller: Any, esc_actions: Iterable[QAction] = ()) -> None:
        """Cancel calls controller.cancel(); Run/Cancel/spin follow running_changed.

        ``esc_actions``: actions of the window that use Esc (e.g. "Clear selection"); they
        lose it while a run is going and get it back afterwards.
        """
        self._esc_actions = list(esc_actions)
        self.cancel_action.triggered.connect(controller.cancel)
        controller.running_changed.connect(self.set_running)
        self.set_running(controller.is_running())

    @Slot(bool)
    def set_running(self, running: bool) -> None:
        self.run_action.setEnabled(not running)
        self.cancel_action.setEnabled(running)
        self.workers_spin.setEnabled(not running)
        if running:
            for action in self._esc_actions:
                keys = action.shortcuts()
                if ESC in keys:
                    self._saved_shortcuts[action] = keys
                    action.setShortcuts([k for k in keys if k != ESC])
            self.cancel_action.setShortcut(ESC)
        else:
            self.cancel_action.setShortcut(QKeySequence())
            for action, keys in self._saved_shortcuts.items():
                action.setShortcuts(keys)
            self._saved_shortcuts.clear()
