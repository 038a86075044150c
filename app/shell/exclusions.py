"""Excluding and re-including spectra as undoable edits, and the three actions that do it.

Why on the pipeline editor's undo stack: the user has ONE Edit > Undo; an exclusion made while
looking at the scores must be undone by the same Ctrl+Z as the step deleted a moment before,
in the order they were made. Why in the shell: the undo stack belongs to the editor, and the
buttons live in the Dataset panel, the selection table and the Explore view, features that
never import each other; the shell owns these actions and hands the same QAction objects to
each of them, so every button is enabled, worded and undone identically.

A command stores the whole set of excluded rows before and after (a few ints per excluded
spectrum): undo restores a snapshot exactly, as the editor's own commands do. A command made
for a dataset that is no longer open does nothing and is dropped from the history.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import QWidget

from app.model.state import WorkbenchState

EXCLUDE_KEY = "Ctrl+Shift+X"
INCLUDE_KEY = "Ctrl+Shift+I"


def _spectra(n: int) -> str:
    return f"{n:,} spectr{'um' if n == 1 else 'a'}"


class ExclusionCommand(QUndoCommand):
    """Undo/redo = restore the excluded rows held before/after the edit."""

    def __init__(self, state: WorkbenchState, before: np.ndarray, after: np.ndarray,
                 text: str) -> None:
        super().__init__(text)
        self._state = state
        self._dataset = state.dataset
        self.before, self.after = before.copy(), after.copy()

    def redo(self) -> None:
        self._apply(self.after)

    def undo(self) -> None:
        self._apply(self.before)

    def _apply(self, rows: np.ndarray) -> None:
        if self._state.dataset is not self._dataset:   # another dataset was opened since
            self.setObsolete(True)
            return
        self._state.set_excluded(rows)


class ExclusionActions(QObject):
    """exclude_selected, include_selected and include_all (QActions on ``host`` so their
    shortcuts work from every dock); each pushes one ExclusionCommand on ``stack``."""

    def __init__(self, state: WorkbenchState, stack: QUndoStack, host: QWidget) -> None:
        super().__init__(host)
        self.state = state
        self.stack = stack

        def act(name: str, text: str, slot: Any, key: str | None, tip: str) -> QAction:
            action = QAction(text, host)
            action.setObjectName(name)
            if key:
                action.setShortcut(QKeySequence(key))
            action.setToolTip(f"{tip} ({key})" if key else tip)
            action.setStatusTip(tip)
            action.triggered.connect(lambda _checked=False: slot())
            host.addAction(action)
            return action

        self.exclude_selected = act(
            "exclude_selected", "Exclude selected", self.exclude, EXCLUDE_KEY,
            "Leave the selected spectra out of the next runs (undo with Ctrl+Z)")
        self.include_selected = act(
            "include_selected", "Re-include selected", self.include, INCLUDE_KEY,
            "Take the selected excluded spectra back into the runs")
        self.include_all = act(
            "include_all", "Include all", self.include_everything, None,
            "Take every excluded spectrum back into the runs")
        for event in ("dataset", "selection", "exclusions"):
            state.events.connect(event, self.sync)
        self.sync()

    def actions(self) -> dict[str, QAction]:
        return {"exclude_selected": self.exclude_selected,
                "include_selected": self.include_selected, "include_all": self.include_all}

    # -- edits -------------------------------------------------------------------------------
    def exclude(self, rows: Any = None) -> bool:
        """Exclude ``rows`` (default: the selection) on top of those already excluded."""
        rows = self.state.selection if rows is None else np.asarray(rows, dtype=np.intp)
        before = self.state.excluded
        after = np.union1d(before, rows).astype(np.intp)
        return self._push(before, after, f"Exclude {_spectra(after.size - before.size)}")

    def include(self, rows: Any = None) -> bool:
        """Re-include ``rows`` (default: the selection)."""
        rows = self.state.selection if rows is None else np.asarray(rows, dtype=np.intp)
        before = self.state.excluded
        after = np.setdiff1d(before, rows).astype(np.intp)
        return self._push(before, after, f"Include {_spectra(before.size - after.size)}")

    def include_everything(self) -> bool:
        before = self.state.excluded
        return self._push(before, np.zeros(0, dtype=np.intp),
                          f"Include all {_spectra(before.size)}")

    def _push(self, before: np.ndarray, after: np.ndarray, text: str) -> bool:
        """One undo entry, or none when nothing changes (no dataset, nothing new)."""
        if self.state.dataset is None or np.array_equal(before, after):
            return False
        self.stack.push(ExclusionCommand(self.state, before, after, text))
        return True

    # -- enabled states ----------------------------------------------------------------------
    def sync(self) -> None:
        st = self.state
        excluded, selection = st.excluded, st.selection
        chosen_excluded = int(np.isin(selection, excluded).sum()) if selection.size else 0
        self.exclude_selected.setEnabled(selection.size > chosen_excluded)
        self.include_selected.setEnabled(chosen_excluded > 0)
        self.include_all.setEnabled(excluded.size > 0)
        self.include_all.setText(f"Include all ({excluded.size:,})" if excluded.size
                                 else "Include all")
