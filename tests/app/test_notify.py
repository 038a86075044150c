"""The window's one notification channel (app.common.notify): an error is one line naming
file/row/column, remembered and shown in the status bar; the notifier alone decides whether a
dialog opens (not when quiet: stderr instead; not for a panel that shows the line inline)."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMainWindow, QMessageBox

from app.common.notify import ERROR_STATUS_MS, Notifier, quiet_answer
from engine.errors import InputError

BAD = InputError("'abc' is not a number", file="/data/X.csv", row=4, column=7,
                 column_name="1100")


@pytest.fixture
def window(qtbot):
    w = QMainWindow()
    qtbot.addWidget(w)
    w.show()
    return w


def test_an_input_error_opens_one_dialog_naming_file_row_column(window, qtbot):
    notifier = Notifier(window)
    seen = []
    notifier.errored.connect(lambda title, line: seen.append((title, line)))
    line = notifier.error("Cannot open the dataset", BAD, "The dataset already open stays open.")
    assert line == "/data/X.csv, row 4, column 7 (1100): 'abc' is not a number"
    assert seen == [("Cannot open the dataset", line)] and notifier.errors == [line]
    assert window.statusBar().currentMessage() == f"Cannot open the dataset: {line}"
    box = notifier.error_box
    qtbot.waitUntil(box.isVisible, timeout=5000)
    assert box.isModal() and "Cannot open the dataset" in box.text()
    text = box.informativeText()
    assert line in text and "The dataset already open stays open." in text
    assert "bug" not in text                      # the user's input, not nirdesk's fault
    assert "Row: 4" in box.detailedText() and "Column: 7 (1100)" in box.detailedText()
    notifier.close()
    assert not box.isVisible() and notifier.error_box is None


def test_a_bug_says_so_with_its_traceback_and_a_line_is_not_a_bug(window, qtbot):
    notifier = Notifier(window)
    notifier.error("Cannot show the project", RuntimeError("unexpected"), details="Traceback ...")
    box = notifier.error_box
    assert "this is a bug" in box.informativeText()
    assert "RuntimeError: unexpected" in box.informativeText()
    assert "Traceback ..." in box.detailedText()
    notifier.error("Cannot run the pipeline", "nothing to run: open a dataset first")
    box = notifier.error_box
    assert "nothing to run" in box.informativeText() and "bug" not in box.informativeText()
    notifier.close()


def test_quiet_mode_prints_to_stderr_and_never_opens_a_dialog(window, capsys):
    notifier = Notifier(window, quiet=True)
    notifier.error("Cannot open the dataset", BAD)
    assert notifier.error_box is None and not window.findChildren(QMessageBox)
    err = capsys.readouterr().err
    assert err == f"nirdesk: Cannot open the dataset: {BAD}\n"
    assert window.statusBar().currentMessage().endswith("'abc' is not a number")


def test_inline_errors_are_recorded_and_relayed_without_a_dialog(window):
    notifier = Notifier(window)
    seen = []
    notifier.errored.connect(lambda title, line: seen.append(line))
    window.statusBar().showMessage("before")
    notifier.error("Predict", "bad.csv, row 3, column 6: 'n/a' is not a number", inline=True)
    assert notifier.error_box is None and seen == notifier.errors
    assert not window.findChildren(QMessageBox)
    assert window.statusBar().currentMessage() == "before"   # the panel shows it itself


def test_status_goes_to_the_host_status_bar_and_is_relayed(window):
    notifier = Notifier(window)
    shown = []
    notifier.status_shown.connect(lambda text, ms: shown.append((text, ms)))
    notifier.status("Opened tecator", 8000)
    assert window.statusBar().currentMessage() == "Opened tecator"
    notifier.clear_status()
    assert window.statusBar().currentMessage() == ""
    notifier.error("Autosave failed", OSError("disk full"))
    assert shown == [("Opened tecator", 8000),
                     ("Autosave failed: OSError: disk full", ERROR_STATUS_MS)]
    notifier.close()
    Notifier(None).status("no window: nothing breaks")


def test_quiet_answers_never_block(capsys):
    assert quiet_answer("unsaved", name="Untitled", action="close") == "discard"
    assert quiet_answer("restore", project=None, saved="", autosave="x") == "later"
    assert quiet_answer("open_path", start="") is None
    assert quiet_answer("error", title="Cannot save", message="disk full") is None
    assert capsys.readouterr().err == "nirdesk: Cannot save: disk full\n"
