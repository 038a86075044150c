"""Progress and cancellation of one dataset load, shared by the readers that take long.

Why one object: a 20,000 x 1,000 CSV takes 1-2 s and a network drive can make any file slow,
so the window shows how far a load is and offers Cancel. The work happens in stages (reading
the bytes, finding the rows, converting the numbers; or reading one array of a binary file)
and on several threads (the CSV conversion), so each stage is given a stretch of one scale
(a ``Span``) and reports how far it is through it; the ``Meter`` keeps the furthest point
reached and tells the caller's ``progress(done, total)``. The scale is the bytes of the
spectra file(s) (``total``); ``done`` reaches ``total`` when the load has finished.

Cancellation is the caller's ``threading.Event``: every report also checks it and raises
``engine.errors.Cancelled``, so a reader stops at its next block (a few milliseconds of work)
without a separate check of its own. A meter made without callback or event costs nothing.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from engine.errors import Cancelled

__all__ = ["Meter", "Span"]

Progress = Callable[[int, int], None]


class Meter:
    """The furthest point ``done`` of ``total`` reached by a load, told to ``progress``."""

    def __init__(self, progress: Progress | None = None,
                 cancel: threading.Event | None = None) -> None:
        self._progress = progress
        self._cancel = cancel
        self.total = 0
        self.done = 0
        self._lock = threading.Lock()   # conversion threads report at once

    @property
    def cancelled(self) -> bool:
        return self._cancel is not None and self._cancel.is_set()

    def check(self) -> None:
        """Raise Cancelled when the user asked to stop."""
        if self.cancelled:
            raise Cancelled("loading cancelled")

    def start(self, total: int) -> Span:
        """Set the scale (the bytes of the spectra files; at least 1) and return all of it."""
        self.total = max(1, int(total))
        self.done = 0
        self._tell(0)
        self.check()
        return Span(self, 0.0, float(self.total))

    def reach(self, done: int) -> None:
        """Move to ``done`` (never backwards, never past total), then check cancellation."""
        if self._progress is not None:
            with self._lock:      # told inside the lock: two threads never report out of order
                if done > self.done:
                    self.done = min(int(done), self.total)
                    self._tell(self.done)
        self.check()

    def finish(self) -> None:
        """The load is complete: done = total."""
        if self.total == 0:
            self.total = 1
        self.reach(self.total)

    def _tell(self, done: int) -> None:
        if self._progress is not None:
            self._progress(done, self.total)


class Span:
    """The stretch ``lo..hi`` of a meter's scale that one stage moves through."""

    def __init__(self, meter: Meter, lo: float, hi: float) -> None:
        self.meter = meter
        self.lo, self.hi = lo, hi
        self._count = 0
        self._lock = threading.Lock()

    def part(self, a: float, b: float) -> Span:
        """The fractions ``a..b`` of this stretch (a sub-stage)."""
        width = self.hi - self.lo
        return Span(self.meter, self.lo + width * a, self.lo + width * b)

    def fraction(self, f: float) -> None:
        """The stage is ``f`` (0..1) of the way through."""
        self.meter.reach(int(self.lo + (self.hi - self.lo) * min(max(f, 0.0), 1.0)))

    def advance(self, n: int, size: int) -> None:
        """``n`` more of the stage's ``size`` units are done (thread-safe: several threads
        may add their blocks)."""
        with self._lock:
            self._count += n
            count = self._count
        self.fraction(count / size if size > 0 else 1.0)

    def done(self) -> None:
        self.fraction(1.0)

    def check(self) -> None:
        self.meter.check()

    @property
    def cancelled(self) -> bool:
        return self.meter.cancelled
