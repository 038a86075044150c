"""Looking inside the data: the Explore view and the exclusion actions, handed to the panels.

Why one object in the shell: the Explore view (app.explore), the Dataset panel and the
selection table (app.spectra) and the undo history (app.editor) are features that never
import each other. This object builds the window's three exclusion actions on the editor's
undo stack (app.shell.exclusions) and gives the very same QActions to each panel: the Dataset
panel shows Include all beside its count, the selection table and the Explore plots offer
Exclude / Re-include in their right-click menus, and the Explore view gets buttons for
Exclude selected and Run (re-run with the new exclusions, F5).
"""
from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QUndoStack
from PySide6.QtWidgets import QWidget

from app.explore import ExploreView
from app.model.state import WorkbenchState
from app.shell.exclusions import ExclusionActions
from app.spectra.dataset_panel import DatasetPanel
from app.spectra.selection_table import SelectionTable


class Exploration(QObject):
    """``view`` (the Explore dock's widget) and ``exclusions`` (the actions)."""

    def __init__(self, state: WorkbenchState, undo_stack: QUndoStack, run_action: QAction,
                 host: QWidget) -> None:
        super().__init__(host)
        self.exclusions = ExclusionActions(state, undo_stack, host)
        self.view = ExploreView(state)
        self.view.setObjectName("exploreView")
        ex = self.exclusions
        self.view.set_actions([ex.exclude_selected, run_action, ex.include_selected])

    def attach(self, dataset_panel: DatasetPanel, selection_table: SelectionTable) -> None:
        ex = self.exclusions
        dataset_panel.set_include_action(ex.include_all)
        selection_table.set_actions([ex.exclude_selected, ex.include_selected, ex.include_all])

    def menu_actions(self) -> list[QAction]:
        """For Edit: exclude / re-include the selection, include all."""
        ex = self.exclusions
        return [ex.exclude_selected, ex.include_selected, ex.include_all]

    def is_settled(self) -> bool:
        return self.view.is_settled()

    def shutdown(self) -> None:
        self.view.shutdown()
