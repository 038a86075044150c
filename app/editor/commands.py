"""EditorController: every edit of the pipeline document as an undoable QUndoCommand.

Why snapshots of the whole spec: specs are small (a few kB), and restoring a snapshot is
exact by construction -- undo gives back the very JSON the user had, including key order
and generator shapes -- where inverse operations would each need their own proof.

The controller performs the edit on the document first (so an impossible edit raises
ValueError and pushes nothing), then pushes a command holding (before, after); the push's
first redo() finds the document already in the "after" state and does nothing. Edits that
change nothing push nothing. ``spec_changed(object)`` carries the new normal-form spec after
every edit, undo and redo (and after load()).

Consecutive parameter edits of the same step merge into one undo entry (typing "10" in a
spin box is one edit, not two).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from app.editor.model.document import KEEP, PipelineDocument, same_spec
from app.editor.model.labels import card_label
from app.editor.model.naming import fresh_name, is_blank

__all__ = ["EditorController", "SnapshotCommand"]

_MERGE_PARAMS = 0x5EC1


class SnapshotCommand(QUndoCommand):
    """Undo/redo = restore the spec snapshot taken before/after the edit."""

    def __init__(self, doc: PipelineDocument, before: Any, after: Any, text: str,
                 merge_key: Any = None) -> None:
        super().__init__(text)
        self._doc, self.before, self.after = doc, before, after
        self._merge_key = merge_key

    def redo(self) -> None:
        self._doc.restore(self.after)

    def undo(self) -> None:
        self._doc.restore(self.before)

    def id(self) -> int:  # Qt's name
        return _MERGE_PARAMS if self._merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # Qt's name
        if not isinstance(other, SnapshotCommand) or other._merge_key != self._merge_key:
            return False
        self.after = other.after
        if same_spec(self.after, self.before):  # typed back to the old value: nothing to undo
            self.setObsolete(True)
        return True


class EditorController(QObject):
    """Owns the document and the undo stack; one method per edit (see PipelineDocument)."""

    #: the new normal-form spec (list or dict) after every edit, undo, redo and load
    spec_changed = Signal(object)

    def __init__(self, doc: PipelineDocument | None = None, parent: QObject | None = None
                 ) -> None:
        super().__init__(parent)
        self.doc = doc if doc is not None else PipelineDocument()
        self.undo_stack = QUndoStack(self)
        self.doc.events.connect("changed", self._on_changed)

    def _on_changed(self) -> None:
        self.spec_changed.emit(self.doc.to_spec())

    # -- plumbing ---------------------------------------------------------------------------
    def _do(self, text: str, fn: Callable[[], None], merge_key: Any = None) -> None:
        before = self.doc.snapshot()
        fn()  # ValueError propagates; the document is unchanged then
        if self.doc.name and is_blank(self.doc.to_spec()) and not is_blank(before):
            # emptied: the old name describes nothing any more (app.editor.model.naming)
            self.doc.set_name(fresh_name())
        after = self.doc.snapshot()
        if same_spec(after, before):
            return
        self.undo_stack.push(SnapshotCommand(self.doc, before, after, text, merge_key))

    def _name(self, path: tuple[int, ...]) -> str:
        try:
            return card_label(self.doc.step_at(path))
        except (ValueError, KeyError):
            return "step"

    @staticmethod
    def _step_name(step: Any) -> str:
        try:
            return card_label(step)
        except (ValueError, KeyError, AttributeError, TypeError):
            return type(step).__name__ if not isinstance(step, (str, dict)) else "step"

    # -- whole documents ------------------------------------------------------------------------
    def load(self, spec: Any) -> None:
        """Open a spec (list, dict, JSON text or path): resets the document and clears the
        undo history. SpecError (one line) when it cannot be used; nothing changes then."""
        new = PipelineDocument.from_spec(spec)
        self.undo_stack.clear()
        self.doc._file_stem = new._file_stem
        self.doc._set(new._analysis, notify=True)
        self.undo_stack.setClean()

    def import_spec(self, spec: Any) -> None:
        """Replace the spec as one undoable edit ("Import pipeline")."""
        self._do("Import pipeline", lambda: self.doc.replace_spec(spec))

    # -- edits -----------------------------------------------------------------------------
    def insert_step(self, container: tuple[int, ...], index: int, step: Any) -> None:
        self._do(f"Add {self._step_name(step)}",
                 lambda: self.doc.insert_step(container, index, step))

    def remove_step(self, path: tuple[int, ...]) -> None:
        self._do(f"Delete {self._name(path)}", lambda: self.doc.remove_step(path))

    def move_step(self, path: tuple[int, ...], container: tuple[int, ...], index: int) -> None:
        self._do(f"Move {self._name(path)}", lambda: self.doc.move_step(path, container, index))

    def duplicate_step(self, path: tuple[int, ...]) -> None:
        self._do(f"Duplicate {self._name(path)}", lambda: self.doc.duplicate_step(path))

    def set_enabled(self, path: tuple[int, ...], enabled: bool) -> None:
        verb = "Enable" if enabled else "Disable"
        self._do(f"{verb} {self._name(path)}", lambda: self.doc.set_enabled(path, enabled))

    def set_params(self, path: tuple[int, ...], params: dict[str, Any],
                   field: str | None = None) -> None:
        """``field``: the parameter being typed; consecutive edits of the same field of the
        same step merge into one undo entry."""
        key = ("params", tuple(path), field) if field else None
        self._do(f"Edit {self._name(path)}" + (f" {field}" if field else ""),
                 lambda: self.doc.set_params(path, params), merge_key=key)

    def set_finetune(self, path: tuple[int, ...], finetune: dict[str, Any] | None,
                     field: str | None = None) -> None:
        key = ("finetune", tuple(path), field) if field else None
        text = f"Tune {self._name(path)}" if finetune is not None \
            else f"Stop tuning {self._name(path)}"
        self._do(text, lambda: self.doc.set_finetune(path, finetune), merge_key=key)

    def add_lane(self, path: tuple[int, ...], steps: list | tuple = (),
                 index: int | None = None) -> None:
        self._do("Add lane", lambda: self.doc.add_lane(path, steps, index))

    def remove_lane(self, path: tuple[int, ...], lane: int) -> None:
        self._do("Remove lane", lambda: self.doc.remove_lane(path, lane))

    def make_branch(self, container: tuple[int, ...], index: int, lanes: int = 2) -> None:
        self._do("Add branch", lambda: self.doc.make_branch(container, index, lanes))

    def make_generator(self, container: tuple[int, ...], index: int,
                       alternatives: list | tuple = (None,)) -> None:
        self._do("Add generator",
                 lambda: self.doc.make_generator(container, index, alternatives))

    def set_generator(self, path: tuple[int, ...], generator: bool) -> None:
        text = "Make generator" if generator else "Make branch"
        self._do(text, lambda: self.doc.set_generator(path, generator))

    def set_branch_options(self, path: tuple[int, ...], parallel: Any = KEEP,
                           n_jobs: Any = KEEP) -> None:
        self._do("Branch options", lambda: self.doc.set_branch_options(path, parallel, n_jobs))

    def add_alternative(self, path: tuple[int, ...], step: Any,
                        index: int | None = None) -> None:
        self._do(f"Add alternative {self._step_name(step) if step is not None else ''}".strip(),
                 lambda: self.doc.add_alternative(path, step, index))

    def remove_alternative(self, path: tuple[int, ...], k: int) -> None:
        self._do("Remove alternative", lambda: self.doc.remove_alternative(path, k))

    def set_name(self, name: str | None) -> None:
        self._do("Rename pipeline", lambda: self.doc.set_name(name))

    def new_pipeline(self) -> None:
        """An empty pipeline with a fresh name, as one undoable edit ("New pipeline")."""
        name = fresh_name()
        self._do("New pipeline", lambda: self.doc.replace_spec({"name": name, "steps": []}))

    def apply_fix(self, fix: Any) -> None:
        """Apply a badges.Fix (or its ``apply`` tuple) as ONE undoable edit."""
        from app.editor.model.badges import apply_edit

        edit = getattr(fix, "apply", fix)
        label = getattr(fix, "label", "Apply fix")
        self._do(label, lambda: apply_edit(self.doc, edit))
