"""The questions the project controller asks the user, behind one callable.

Why one callable: every prompt (unsaved changes, file names, crash restore) goes through
``ask(kind, **info) -> answer``, so tests inject a function that answers at once and no modal
dialog ever blocks a test run. ``default_ask(parent)`` is the real thing. Errors are not
questions: they go to the window's app.common.notify.Notifier.

Kinds and answers:

    "unsaved"    name, action ("close" | "open" | "new")     -> "save" | "discard" | "cancel"
    "open_path"  start (folder)                                -> path or None
    "save_path"  suggested (path)                              -> path or None
    "restore"    project (the user's file or None), saved (UTC ISO time), autosave (path)
                                                               -> "restore" | "discard" | "later"
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

Ask = Callable[..., Any]
PROJECT_FILTER = "nirdesk projects (*.nirdesk);;All files (*)"


def _when(iso: str) -> str:
    """A UTC ISO time as local 'YYYY-MM-DD HH:MM' (the text as given if it does not parse)."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return iso or "unknown time"


def unsaved_box(parent: QWidget, name: str) -> QMessageBox:
    """Save / Discard / Cancel for a project with unsaved changes."""
    box = QMessageBox(parent)
    box.setObjectName("unsavedBox")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("nirdesk \u2014 unsaved changes")
    box.setText(f"<b>Save the changes to {name}?</b>")
    box.setInformativeText("Your changes will be lost if you don't save them.")
    sb = QMessageBox.StandardButton
    box.setStandardButtons(sb.Save | sb.Discard | sb.Cancel)
    box.setDefaultButton(sb.Save)
    return box


def restore_box(parent: QWidget, project: str | None, saved: str,
                autosave: str) -> tuple[QMessageBox, dict[Any, str]]:
    """Restore / Discard / Ask me later for a crashed session's work; the box and its
    buttons' answers."""
    what = Path(project).name if project else "an untitled project"
    box = QMessageBox(parent)
    box.setObjectName("restoreBox")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("nirdesk \u2014 restore unsaved work")
    box.setText(f"<b>nirdesk did not close properly last time.<br>Restore the unsaved work on "
                f"{what}?</b>")
    where = f"\nProject file: {project}" if project else ""
    box.setInformativeText(f"Last autosaved {_when(saved)}.{where}\nAutosave: {autosave}")
    restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    later = box.addButton("Ask me later", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(restore)
    return box, {restore: "restore", discard: "discard", later: "later"}


def default_ask(parent: QWidget) -> Ask:
    """Real dialogs, parented to the window."""

    def ask(kind: str, **info: Any) -> Any:
        if kind == "unsaved":
            box = unsaved_box(parent, info.get("name", "the project"))
            sb = QMessageBox.StandardButton
            answer = sb(box.exec())
            return {sb.Save: "save", sb.Discard: "discard"}.get(answer, "cancel")
        if kind == "open_path":
            path, _ = QFileDialog.getOpenFileName(parent, "Open project", info.get("start", ""),
                                                  PROJECT_FILTER)
            return path or None
        if kind == "save_path":
            path, _ = QFileDialog.getSaveFileName(parent, "Save project as",
                                                  info.get("suggested", ""), PROJECT_FILTER)
            return path or None
        if kind == "restore":
            box, answers = restore_box(parent, info.get("project"), info.get("saved", ""),
                                       info.get("autosave", ""))
            box.exec()
            return answers.get(box.clickedButton(), "later")
        raise ValueError(f"unknown question {kind!r}")

    return ask
