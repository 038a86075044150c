"""Progress of a run: the time it still needs (from measured task times), and the terminal
progress of `nirdesk run` (a live bar on a terminal, plain lines otherwise)."""
from __future__ import annotations

import contextlib
import sys
from typing import TextIO

from engine.events import Event, RunStarted, TaskDone

#: tasks that must finish after the first one before a rate is given: two workers' first
#: tasks end together, and one interval between them says nothing about the rate
MIN_TASKS_MEASURED = 2


class RemainingTime:
    """Seconds a run still needs, from the rate at which its tasks actually finish.

    Why not ``elapsed / done * left`` (what the window showed): elapsed counts the pool's
    start-up, the workers' imports and the first task's wait, which the remaining tasks do
    not pay again; on the demo the first report came after ~3 s for a task of ~0.05 s and
    the window said "~1:16 left" for a run that ended 6 s later. Here the clock starts at
    the first finished task: rate = tasks finished since then / seconds since then, which
    also folds in the number of workers and the per-task overhead as they really are.
    No estimate (None) until that stretch is long enough to mean something.
    """

    def __init__(self) -> None:
        self._reports: list[tuple[int, float]] = []    # (done, elapsed) of every report
        self._total = 0

    def update(self, done: int, total: int, elapsed: float) -> None:
        """One TaskDone's counts (tasks done, tasks in the run, seconds since the start)."""
        self._reports.append((done, elapsed))
        self._total = total

    def seconds(self, now: float | None = None) -> float | None:
        """Seconds left at ``now`` (seconds since the run started; default: the last
        report's time), or None while the rate is not measured yet.

        The rate is taken over the later half of the tasks measured so far: a pool that is
        still warming up (its second worker importing scikit-learn while the first already
        works) makes the early rate too slow, and the later half has left that behind."""
        if not self._reports:
            return None
        done0 = self._reports[0][0]
        done, t = self._reports[-1]
        if done - done0 < MIN_TASKS_MEASURED:
            return None
        middle = done0 + (done - done0) / 2
        start_done, start_t = next((d, e) for d, e in self._reports if d >= middle)
        if start_done == done:   # one report holds the later half: measure from the first
            start_done, start_t = self._reports[0]
        if t <= start_t:
            return None
        per_task = (t - start_t) / (done - start_done)
        since = 0.0 if now is None else max(0.0, now - t)
        return max(0.0, per_task * (self._total - done) - since)


class ProgressPrinter:
    """Event callback + log function for the CLI.

    On a terminal one line is redrawn in place ("[####....] 12/24 tasks  3.1 s  ETA 2.9 s";
    the ETA from RemainingTime, once measured);
    messages (a line per finished branch, warnings) are printed above it. When the output is
    not a terminal (a pipe, a log file, CI), only the messages are printed, one per line.
    """

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stdout
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self.width = width
        self._bar = ""
        self._remaining = RemainingTime()

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
            self._remaining.update(event.done, event.total, event.elapsed)
            eta = self._remaining.seconds()
            self._bar = (f"[{'#' * filled}{'.' * (self.width - filled)}] "
                         f"{event.done}/{event.total} tasks  {event.elapsed:.1f} s"
                         + (f"  ETA {eta:.1f} s" if eta is not None else ""))
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
