"""Message boxes: input errors (naming file, row, column), failures, and About.

Boxes are opened window-modal with ``open()``, never ``exec()``: the event loop keeps running
(background work finishes, tests and screenshots never hang), and the box is returned so the
caller can keep a reference.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

APP_NAME = "nirdesk"


def error_location(exc: BaseException) -> list[str]:
    """'File: ...', 'Row: ...', 'Column: ...' lines from an engine input error."""
    lines = []
    file = getattr(exc, "file", None)
    if file:
        lines.append(f"File: {file}")
    row = getattr(exc, "row", None)
    if row is not None:
        lines.append(f"Row: {row} (line number as a text editor shows it)")
    column = getattr(exc, "column", None)
    if column is not None:
        name = getattr(exc, "column_name", None)
        lines.append(f"Column: {column}" + (f" ({name})" if name else ""))
    where = getattr(exc, "where", None)
    if where:
        lines.append(f"Where: {where}")
    return lines


def is_input_error(exc: BaseException) -> bool:
    from engine.errors import NirdeskInputError

    return isinstance(exc, NirdeskInputError)


def error_text(exc: BaseException | str) -> str:
    """One line for the status bar / stderr: the engine's message names file, row, column
    (a string is already that line)."""
    if isinstance(exc, str):
        return exc
    if is_input_error(exc):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def show_error(parent: QWidget | None, title: str, exc: BaseException | str,
               traceback_text: str = "", kept: str | None = None,
               bug: bool | None = None) -> QMessageBox:
    """``exc`` is an exception or the problem's one line. ``bug`` (default: an exception that
    is not an engine input error) adds "this is a bug, please report it" and the traceback;
    pass False for failures the user can fix (e.g. step parameters that do not suit this
    dataset)."""
    box = QMessageBox(parent)
    box.setObjectName("errorBox")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(f"{APP_NAME} \u2014 {title}")
    box.setText(f"<b>{title}</b>")
    info = error_text(exc)
    if bug is None:
        bug = not isinstance(exc, str) and not is_input_error(exc)
    if bug:
        info = "nirdesk failed (this is a bug, please report it):\n" + info
    if kept:
        info += f"\n\n{kept}"
    box.setInformativeText(info)
    details = error_location(exc) if not isinstance(exc, str) and is_input_error(exc) else []
    if traceback_text and bug:
        details.append(traceback_text)
    if details:
        box.setDetailedText("\n".join(details))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.open()
    return box


def show_about(parent: QWidget, version: str) -> QMessageBox:
    box = QMessageBox(parent)
    box.setObjectName("aboutBox")
    box.setWindowTitle(f"About {APP_NAME}")
    box.setIcon(QMessageBox.Icon.Information)
    box.setText(f"<b>{APP_NAME} {version}</b>")
    box.setInformativeText(
        "A desktop workbench for NIR spectroscopy modelling: load spectra with reference "
        "values, compare preprocessing + model branches, keep the one that predicts best.<br>"
        "<br>MIT licence. Built with PySide6 (Qt for Python, LGPL), pyqtgraph, numpy, "
        "scikit-learn.<br>Demo data: Tecator meat NIR (public domain, see "
        "resources/demo/tecator/README.txt).")
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.open()
    return box
