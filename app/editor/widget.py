"""PipelineEditor: the editor as one widget for the main window's right-hand dock.

    name row     the pipeline's name (editable) and New (an empty pipeline, a fresh name)
    toolbar      undo, redo, import, export, + branch, + lane
    splitter     palette (search + registry tree)  |  canvas (cards, lanes, group bars)
                 |  inspector (parameters of the selected step, finetune)
    status line  branch count, or why the pipeline cannot run yet, or a refused edit

Why badges are recomputed on a 100 ms single-shot timer on the GUI thread: the policy is a
pure function of the spec and takes well under a millisecond for the demo and "mixed"
pipelines (5 ms for 30 lanes, measured), far below the 30 ms at which a worker thread would
pay; the timer only coalesces bursts of edits (typing, undo held down) into one computation.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.editor.canvas import PipelineCanvas
from app.editor.commands import EditorController
from app.editor.group_bar import BadgeDetails
from app.editor.inspector import StepInspector
from app.editor.model.badges import fix_note, group_badges
from app.editor.model.document import same_spec
from app.editor.palette import StepPalette
from engine.errors import NirdeskInputError
from engine.machine import DataFacts, MachineFacts, usable_cpus

__all__ = ["BADGE_DEBOUNCE_MS", "PipelineEditor"]

BADGE_DEBOUNCE_MS = 100
JSON_FILTER = "Pipeline JSON (*.json);;All files (*)"


class _StackAction(QAction):
    """A toolbar Undo/Redo with a fixed short text, enabled and tooltipped from the stack
    (its own slots, so the connections die with it)."""

    def __init__(self, stack: QUndoStack, redo: bool, parent: QWidget) -> None:
        super().__init__("Redo" if redo else "Undo", parent)
        self._stack, self._redo = stack, redo
        self.setObjectName("toolbar_redo" if redo else "toolbar_undo")
        self.triggered.connect(self._trigger)
        (stack.canRedoChanged if redo else stack.canUndoChanged).connect(self.sync)
        (stack.redoTextChanged if redo else stack.undoTextChanged).connect(self.sync)
        self.sync()

    def _trigger(self) -> None:
        (self._stack.redo if self._redo else self._stack.undo)()

    def sync(self, *_args) -> None:
        stack = self._stack
        try:
            able = stack.canRedo() if self._redo else stack.canUndo()
            text = stack.redoText() if self._redo else stack.undoText()
        except RuntimeError:  # the stack's destructor clears it (and signals) on shutdown
            return
        self.setEnabled(able)
        key = "Ctrl+Shift+Z" if self._redo else "Ctrl+Z"
        self.setToolTip(f"{self.text()} {text} ({key})" if text else f"{self.text()} ({key})")


class PipelineEditor(QWidget):
    """The drag-and-drop pipeline editor (palette, canvas, inspector, group badges).

    spec_changed(object): the normal-form spec after each edit, undo, redo and load.
    message(str): a one-line message for the status bar (refused edit, import error).
    badges_changed(object): the list of badges.GroupBadge just computed.
    """

    spec_changed = Signal(object)
    message = Signal(str)
    badges_changed = Signal(object)

    def __init__(self, controller: EditorController | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pipelineEditor")
        self.controller = controller or EditorController(parent=self)
        self.machine: MachineFacts | None = None
        self.data: DataFacts | None = None
        self.global_workers = -1
        self.badges: list[Any] = []
        self.badge_seconds: float = 0.0     # last group_badges() duration (measured)
        self.details_dialog: BadgeDetails | None = None
        self._last_dir = ""

        cpus = usable_cpus()
        self.palette = StepPalette()
        self.canvas = PipelineCanvas(self.controller, cpus)
        self.inspector = StepInspector(self.controller)
        self.status = QLabel()
        self.status.setObjectName("editorStatus")
        self.status.setWordWrap(False)
        self.status.setMinimumWidth(1)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("editorSplitter")
        self.splitter.addWidget(self.palette)
        self.splitter.addWidget(self.canvas)
        self.splitter.addWidget(self.inspector)
        self.splitter.setChildrenCollapsible(True)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 5)
        self.splitter.setStretchFactor(2, 3)
        self.splitter.setSizes([170, 360, 230])

        self._actions = self._make_actions()
        self.toolbar = QToolBar("Pipeline")
        self.toolbar.setObjectName("editorToolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for name in ("undo", "redo", None, "import_json", "export_json", None, "add_branch",
                     "add_lane"):
            if name is None:
                self.toolbar.addSeparator()
            elif name in ("undo", "redo"):
                # fixed short texts: "Undo Disable MSC" would push the other buttons out of
                # a 400 px dock; the full text is the tooltip
                self.toolbar.addAction(_StackAction(self.controller.undo_stack, name == "redo",
                                                    self))
            else:
                self.toolbar.addAction(self._actions[name])

        # the pipeline's name: runs are recorded and listed under it (Enter applies it, as
        # one undoable edit); "New" starts an empty pipeline with a fresh name
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("pipelineName")
        self.name_edit.setPlaceholderText("pipeline name")
        self.name_edit.setToolTip("The pipeline's name: the project records and lists its "
                                  "runs under it (Enter applies; undoable)")
        self.name_edit.editingFinished.connect(self._on_name_edited)
        new_button = QToolButton()
        new_button.setDefaultAction(self._actions["new_pipeline"])
        name_row = QHBoxLayout()
        name_row.setContentsMargins(4, 2, 4, 0)
        name_row.setSpacing(4)
        name_label = QLabel("Name:")
        name_label.setBuddy(self.name_edit)
        name_row.addWidget(name_label)
        name_row.addWidget(self.name_edit, 1)
        name_row.addWidget(new_button)

        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addLayout(name_row)
        box.addWidget(self.toolbar)
        box.addWidget(self.splitter, 1)
        box.addWidget(self.status)

        self._badge_timer = QTimer(self)
        self._badge_timer.setSingleShot(True)
        self._badge_timer.setInterval(BADGE_DEBOUNCE_MS)
        self._badge_timer.timeout.connect(self.refresh_badges)

        self.controller.spec_changed.connect(self._on_spec_changed)
        self.controller.spec_changed.connect(lambda _spec: self._show_name())
        self._show_name()
        self.canvas.selection_changed.connect(self._on_selection)
        self.canvas.message.connect(self.show_message)
        self.canvas.badge_clicked.connect(self.show_badge_details)
        self.inspector.edit_refused.connect(self.show_message)
        self.palette.step_activated.connect(self.canvas.insert_near_selection)
        self._update_status()
        self._badge_timer.start()

    # -- actions ----------------------------------------------------------------------------------

    def _make_actions(self) -> dict[str, QAction]:
        stack = self.controller.undo_stack
        undo = stack.createUndoAction(self, "Undo")
        undo.setShortcuts([QKeySequence(QKeySequence.StandardKey.Undo)])
        redo = stack.createRedoAction(self, "Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])

        def act(text: str, slot, shortcut: str | None = None, tip: str = "") -> QAction:
            action = QAction(text, self)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            action.setToolTip(f"{tip or text} ({shortcut})" if shortcut else (tip or text))
            action.triggered.connect(lambda _=False: slot())
            return action

        actions = {
            "undo": undo,
            "redo": redo,
            "duplicate": act("Duplicate step", self.canvas.duplicate_selected, "Ctrl+D"),
            "delete": act("Delete step", self.canvas.remove_selected, "Del"),
            "toggle_enabled": act("Enable/disable step", self.canvas.toggle_selected, "Space"),
            "import_json": act("Import\u2026", self.import_dialog, None,
                               "Import a pipeline JSON file (undoable)"),
            "export_json": act("Export\u2026", self.export_dialog, None,
                               "Export the pipeline as JSON"),
            "add_branch": act("+ Branch", self.canvas.add_branch, None,
                              "Add a branch step with two lanes after the selected step"),
            "add_lane": act("+ Lane", lambda: self.canvas.add_lane(None), None,
                            "Add a lane to the selected branch step"),
            "new_pipeline": act("New", self.controller.new_pipeline, None,
                                "Start an empty pipeline with a fresh name (undoable)"),
        }
        actions["delete"].setShortcuts([QKeySequence("Del"), QKeySequence("Backspace")])
        # Step shortcuts act on the canvas only (Del/Space keep their meaning in the
        # inspector's fields); undo/redo work anywhere in the editor (a line edit with
        # focus still undoes its own typing first: it overrides the shortcut).
        for name in ("duplicate", "delete", "toggle_enabled"):
            actions[name].setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.canvas.addAction(actions[name])
        for name in ("undo", "redo"):
            actions[name].setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(actions[name])
        return actions

    def actions(self) -> dict[str, QAction]:  # type: ignore[override]
        """The editor's QActions by name: undo, redo, duplicate, delete, toggle_enabled,
        import_json, export_json, add_branch, add_lane, new_pipeline (for the main window's
        menus)."""
        return dict(self._actions)

    # -- the name ---------------------------------------------------------------------------------

    def pipeline_name(self) -> str:
        return self.controller.doc.name or ""

    def _show_name(self) -> None:
        name = self.pipeline_name()
        if self.name_edit.text() != name and not self.name_edit.isModified():
            self.name_edit.setText(name)   # (not while the user is typing another)
            self.name_edit.setCursorPosition(0)
        self.name_edit.setToolTip((f"{name}\n" if name else "") + "The pipeline's name: the "
                                  "project records and lists its runs under it (Enter "
                                  "applies; undoable)")

    def _on_name_edited(self) -> None:
        text = self.name_edit.text().strip()
        self.name_edit.setModified(False)
        if text != self.pipeline_name():
            self.controller.set_name(text or None)
        self._show_name()

    # -- public API -------------------------------------------------------------------------------

    def set_spec(self, spec: Any) -> None:
        """Load a spec (list, dict, JSON text or path); clears the undo history.
        Raises SpecError (one line) when it is unusable; nothing changes then."""
        self.controller.load(spec)

    def spec(self) -> list | dict:
        """The current spec in the engine's normal form."""
        return self.controller.doc.to_spec()

    def set_context(self, machine_facts: MachineFacts | None,
                    data_facts: DataFacts | None) -> None:
        """Machine and data sizes for the badges (called when a dataset is opened)."""
        self.machine = machine_facts
        self.data = data_facts
        if machine_facts is not None:
            self.canvas.cpus = max(1, int(machine_facts.usable_cpus))
            for bar in self.canvas.group_bars.values():
                bar.workers.set_cpus(self.canvas.cpus)
        self.refresh_badges()

    def set_global_workers(self, n: int) -> None:
        """The run toolbar's worker count (-1 = auto); the badges cap their workers by it."""
        if n != self.global_workers:
            self.global_workers = int(n)
            self.refresh_badges()

    def selected_path(self) -> tuple[int, ...] | None:
        return self.canvas.selected

    # -- reacting to edits ------------------------------------------------------------------

    def _on_spec_changed(self, spec: Any) -> None:
        self._update_status()
        self.inspector.refresh()
        self._badge_timer.start()  # (re)start: bursts of edits give one computation
        self.spec_changed.emit(spec)

    def _on_selection(self, path: tuple[int, ...] | None) -> None:
        self.inspector.show_path(path)

    def _update_status(self, text: str | None = None, error: bool = False) -> None:
        doc = self.controller.doc
        if text is None:
            problem = doc.error()
            n = doc.branch_count()
            text = (f"Not runnable yet: {problem}" if problem else
                    f"{n} branch{'es' if n != 1 else ''}")
            colour = "#8a6d00" if problem else "#555555"
        else:
            colour = "#d32f2f" if error else "#555555"
        self.status.setStyleSheet(f"color: {colour};")
        self.status.setToolTip(text)
        metrics = self.status.fontMetrics()
        width = max(50, self.status.width() - 4)
        self.status.setText(metrics.elidedText(text, Qt.TextElideMode.ElideRight, width))
        self._status_text = text

    def status_text(self) -> str:
        return self._status_text

    def show_message(self, text: str) -> None:
        """A one-line message under the canvas (and on ``message`` for the status bar)."""
        line = text.splitlines()[0] if text else ""
        self._update_status(line, error=True)
        self.message.emit(line)

    def resizeEvent(self, event) -> None:  # re-elide the status line
        super().resizeEvent(event)
        text = getattr(self, "_status_text", None)
        if text is not None:
            metrics = self.status.fontMetrics()
            self.status.setText(metrics.elidedText(text, Qt.TextElideMode.ElideRight,
                                                   max(50, self.status.width() - 4)))

    # -- badges -------------------------------------------------------------------------------

    def badges_pending(self) -> bool:
        """A badge computation is scheduled but has not run yet."""
        return self._badge_timer.isActive()

    def refresh_badges(self) -> None:
        """Recompute the policy badges now (normally via the 100 ms debounce timer)."""
        self._badge_timer.stop()
        start = time.perf_counter()
        try:
            machine = self.machine if self.machine is not None else MachineFacts.current()
            self.badges = group_badges(self.controller.doc, machine=machine, data=self.data,
                                       global_workers=self.global_workers)
        except (ValueError, NirdeskInputError) as exc:  # a spec the policy cannot judge
            self.badges = []
            self.show_message(f"Parallel policy: {exc}")
        self.badge_seconds = time.perf_counter() - start
        self._note_fix()
        self.canvas.set_badges(self.badges)
        self.badges_changed.emit(self.badges)

    def _note_fix(self) -> None:
        """Put the last fix's note on its badge while the spec is still what the fix made."""
        fixed = getattr(self, "_fixed", None)
        if fixed is None:
            return
        path, label, before, snapshot = fixed
        if not same_spec(self.controller.doc.snapshot(), snapshot):
            self._fixed = None
            return
        after = next((b for b in self.badges if b.path == path), None)
        note = fix_note(label, before, after)
        if note is None or after is None:
            return
        decorated = dataclasses.replace(after, tooltip=f"{note}\n{after.tooltip}".strip(),
                                        details=f"{note}\n\n{after.details}", note=note)
        self.badges = [decorated if b is after else b for b in self.badges]
        self._update_status(note)

    def badge_for(self, path: tuple[int, ...]) -> Any:
        return next((b for b in self.badges if tuple(b.path or ()) == tuple(path)), None)

    def show_badge_details(self, path: tuple[int, ...]) -> BadgeDetails | None:
        """The popup behind a badge: reasons, fixes, and an Apply button per fix."""
        badge = self.badge_for(path)
        if badge is None:
            return None
        if self.details_dialog is not None:
            self.details_dialog.close()
        dialog = BadgeDetails(badge, self.apply_fix, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _r: setattr(self, "details_dialog", None))
        self.details_dialog = dialog
        dialog.show()
        return dialog

    def apply_fix(self, fix: Any) -> None:
        """Apply a badge's fix as one undoable edit, then show the new verdict at once; when
        the badge's reasons changed, the badge's tooltip and the status line say what the fix
        did and why the group runs as it now does (badges.fix_note), until the next edit."""
        before = next((b for b in self.badges if any(f is fix for f in b.fixes)), None)
        try:
            self.controller.apply_fix(fix)
        except ValueError as exc:
            self.show_message(str(exc))
            return
        path = before.path if before is not None else None
        self._fixed = (path, str(getattr(fix, "label", "Apply fix")), before,
                       self.controller.doc.snapshot())
        self.refresh_badges()

    # -- import / export ------------------------------------------------------------------------

    def import_from(self, path: str | Path) -> bool:
        """Replace the pipeline by a JSON file's, as one undoable edit. A bad file leaves the
        pipeline as it was and shows one line naming the file and what is wrong."""
        try:
            self.controller.import_spec(Path(path))
        except (ValueError, NirdeskInputError, OSError) as exc:
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            # PipelineDocument.replace_spec names the step but not always the file
            if str(path) not in text and Path(path).name not in text:
                text = f"{path}: {text}"
            self.show_message(f"Import failed: {text}")
            return False
        self.canvas.select(None)
        return True

    def export_to(self, path: str | Path) -> bool:
        try:
            self.controller.doc.save(path)
        except OSError as exc:
            self.show_message(f"Export failed: {path}: {exc.strerror or exc}")
            return False
        self._update_status(f"Exported to {path}")
        return True

    def import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import pipeline", self._last_dir,
                                              JSON_FILTER)
        if path:
            self._last_dir = str(Path(path).parent)
            self.import_from(path)

    def export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export pipeline", self._last_dir,
                                              JSON_FILTER)
        if path:
            if not Path(path).suffix:
                path += ".json"
            self._last_dir = str(Path(path).parent)
            self.export_to(path)

    # -- shutdown ---------------------------------------------------------------------------------

    def closeEvent(self, event) -> None:
        self._badge_timer.stop()
        if self.details_dialog is not None:
            self.details_dialog.close()
        super().closeEvent(event)

