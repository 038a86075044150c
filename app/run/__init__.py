"""Running pipelines from the GUI: controller (engine on a QThread), toolbar, panel.

Wiring in a main window (see each class's docstring):

    self.run_controller = RunController(self)
    self.run_toolbar = RunToolbar(self); self.addToolBar(self.run_toolbar)
    self.run_toolbar.attach(self.run_controller, esc_actions=[self.actions["clear_selection"]])
    self.run_panel = RunPanel(); self.run_panel.attach(self.run_controller)
    self.run_toolbar.run_action.triggered.connect(self._start_run)  # gathers dataset+pipeline
    closeEvent: if not confirm_close(self.run_controller, self): event.ignore(); return
                ... self.run_controller.shutdown()
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.run.controller import RunController, ask_stop_run
from app.run.panel import RunPanel
from app.run.toolbar import RunToolbar

__all__ = ["RunController", "RunPanel", "RunToolbar", "ask_stop_run", "confirm_close"]


def confirm_close(controller: RunController, parent: Any = None,
                  ask: Callable[[Any], bool] | None = None, wait_s: float = 5.0) -> bool:
    """True when the window may close: no run, or the user agreed to stop it (then the run
    has been cancelled and waited for while the GUI kept painting)."""
    return controller.confirm_close(parent, ask=ask, wait_s=wait_s)
