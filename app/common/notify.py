"""The window's one channel for errors and status messages.

Why one channel: a dataset that cannot be read, a project that cannot be saved, a run that
cannot start, an export to a read-only folder, a prediction on the wrong wavelengths - each
used to be reported its own way (a status line here, a dialog there, stderr in batch mode).
Now every panel says *what* went wrong through :class:`Notifier` and the Notifier alone
decides *how* it is shown (napari's notification manager idea, without its machinery):

* ``error(title, line_or_exception, kept=...)``: the one line (an engine input error names
  file, row and column) goes to the status bar for 15 s and is remembered (``errors``); a
  window-modal dialog shows it unless the notifier is quiet, then it goes to stderr.
  ``inline=True`` is for a panel that shows the line itself, where the user is looking (the
  Predict panel's message line): it is remembered and relayed, no dialog.
* ``status(text, ms)``: a transient message in the host window's status bar. While an error
  is on show (its 15 s), routine messages do not replace it (they are still relayed): at
  start-up the pipeline's "4 branches" used to wipe the refusal of the data a moment later.
* quiet mode, for windows nobody sits at (``--screenshot``, ``--demo-run``, ``--self-test``,
  ``--exit-after-load``): no dialog ever opens; :func:`quiet_answer` answers the questions a
  panel would otherwise ask (unsaved changes, crash restore) without blocking.

The notifier is a plain QObject owned by the window; features receive it, never the window.
"""
from __future__ import annotations

import contextlib
import sys
import time
from typing import Any, TextIO

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from app.common import dialogs

__all__ = ["ERROR_STATUS_MS", "Notifier", "quiet_answer"]

ERROR_STATUS_MS = 15000


def quiet_answer(kind: str, **info: Any) -> Any:
    """The answers of a window nobody sits at: never block on a prompt; keep crashed sessions
    for the next interactive start ("later"); unsaved work of the batch session is discarded;
    an error (the kind a project prompt used) is printed to stderr."""
    if kind == "error":
        print(f"nirdesk: {info.get('title', 'error')}: {info.get('message', '')}", file=sys.stderr)
        return None
    return {"unsaved": "discard", "restore": "later"}.get(kind)


class Notifier(QObject):
    """Errors and status messages of one window (see the module docstring).

    Signals: ``errored(title, line)`` for every error (quiet or not, inline or not) and
    ``status_shown(text, ms)`` for every status message (errors included).
    """

    errored = Signal(str, str)
    status_shown = Signal(str, int)

    def __init__(self, host: QWidget | None = None, *, quiet: bool = False,
                 stream: TextIO | None = None) -> None:
        super().__init__(host)
        self._host = host
        self.quiet = quiet
        self._stream = stream
        self.errors: list[str] = []           # every error line, newest last
        self._error_until = 0.0               # monotonic time the shown error may be replaced
        self.error_box: QMessageBox | None = None   # the last error dialog opened

    # -- errors ---------------------------------------------------------------------------
    def error(self, title: str, problem: BaseException | str, kept: str | None = None, *,
              details: str = "", bug: bool | None = None, inline: bool = False) -> str:
        """Report one problem; returns its line.

        ``problem``: an exception (an engine input error names file/row/column) or the line
        itself. ``kept``: what was kept ("The dataset already open stays open."). ``details``:
        a traceback (shown under "details" when it is a bug). ``bug``: None = an exception
        that is not an input error; False for failures the user can fix.
        """
        line = problem if isinstance(problem, str) else dialogs.error_text(problem)
        self.errors.append(line)
        self.errored.emit(title, line)
        if inline:
            if self.quiet:
                self._print(f"{title}: {line}")
            return line
        self._error_until = 0.0
        self.status(f"{title}: {line}", ERROR_STATUS_MS)
        self._error_until = time.monotonic() + ERROR_STATUS_MS / 1000
        if self.quiet:
            self._print(f"{title}: {line}")
            return line
        if isinstance(problem, str) and bug is None:
            bug = False
        self.error_box = dialogs.show_error(self._host, title, problem, details, kept, bug=bug)
        return line

    def _print(self, text: str) -> None:
        print(f"nirdesk: {text}", file=self._stream or sys.stderr)

    # -- status ----------------------------------------------------------------------------
    def status(self, text: str, ms: int = 0) -> None:
        """A transient message (``ms`` 0: until the next one) in the host's status bar."""
        bar = getattr(self._host, "statusBar", None)
        if callable(bar) and time.monotonic() >= self._error_until:
            bar().showMessage(text, ms)
        self.status_shown.emit(text, ms)

    def clear_status(self) -> None:
        self._error_until = 0.0
        bar = getattr(self._host, "statusBar", None)
        if callable(bar):
            bar().clearMessage()

    def current_status(self) -> str:
        bar = getattr(self._host, "statusBar", None)
        return bar().currentMessage() if callable(bar) else ""

    def close(self) -> None:
        """Close the last error dialog (the window is closing)."""
        if self.error_box is not None:
            with contextlib.suppress(RuntimeError):   # already deleted with its parent
                self.error_box.close()
            self.error_box = None

