"""Terminal progress for `nirdesk run`: a live bar on a terminal, plain lines otherwise."""
from __future__ import annotations

import contextlib
import sys
from typing import TextIO

from engine.events import Event, RunStarted, TaskDone


class ProgressPrinter:
    """Event callback + log function for the CLI.

    On a terminal one line is redrawn in place ("[####....] 12/24 tasks  3.1 s  ETA 2.9 s");
    messages (a line per finished branch, warnings) are printed above it. When the output is
    not a terminal (a pipe, a log file, CI), only the messages are printed, one per line.
    """

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stdout
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self.width = width
        self._bar = ""

    def log(self, message: str) -> None:
        if self.stream is None:
            return
        try:
            self._clear()
            print(message, file=self.stream, flush=True)
            self._draw()
        except BrokenPipeError:  # `nirdesk run ... | head`: stop printing, let the run finish
            self._silence()

    def _silence(self) -> None:
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(devnull, self.stream.fileno())  # so the interpreter's final flush is quiet
        self.stream = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            workers = ", ".join(f"{g['step']}: {g['mode']} x{g['workers']}" for g in event.plan)
            self.log(f"{event.n_branches} branches, {event.n_tasks} tasks"
                     + (f" ({workers})" if workers else ""))
            for group in event.plan:  # why a branch step the user may expect in parallel is not
                why = [r for r in group["reasons"] if r["severity"] == "info"
                       and r["code"] in ("too_small", "blas_bound", "trials_too_small",
                                         "workers_capped")]
                if why:
                    self.log(f"  {group['step']}: {why[0]['message']}")
        elif isinstance(event, TaskDone) and self.live and self.stream is not None:
            filled = int(self.width * event.done / max(event.total, 1))
            eta = event.elapsed / event.done * (event.total - event.done) if event.done else 0.0
            self._bar = (f"[{'#' * filled}{'.' * (self.width - filled)}] "
                         f"{event.done}/{event.total} tasks"
                         f"  {event.elapsed:.1f} s  ETA {eta:.1f} s")
            self._draw()

    def close(self) -> None:
        self._clear()
        self._bar = ""

    def _clear(self) -> None:
        if self.live and self._bar and self.stream is not None:
            self.stream.write("\r" + " " * len(self._bar) + "\r")

    def _draw(self) -> None:
        if self.live and self._bar and self.stream is not None:
            self.stream.write(self._bar)
            self.stream.flush()
