"""Project files in the window: File > New / Open / Save / Save As / recent projects, the
unsaved-changes marker and close prompt, autosave and crash restore (controller, autosave),
and the runs history with the two-run comparison (history). Issue 8, GUI side; the file
format itself is engine.store."""
from __future__ import annotations

from app.project.controller import LoadedProject, ProjectController, WorkspaceSnapshot
from app.project.history import RunComparisonTable, RunsHistory

__all__ = ["LoadedProject", "ProjectController", "RunComparisonTable", "RunsHistory",
           "WorkspaceSnapshot"]
