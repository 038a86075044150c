"""The window's one background-work primitive (app.common.workers): a job's handle reports
exactly one outcome on the GUI thread, a newer job of the same kind supersedes an older one,
wait() returns the result or raises, every failure is reported, shutdown stops the thread."""
from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QThread

from app.common.workers import Cancelled, Handle, Jobs

WAIT = 10_000


@pytest.fixture
def jobs(qtbot):
    j = Jobs()
    yield j
    j.shutdown()


def outcomes(handle: Handle) -> list:
    """Every signal the handle emits, in order."""
    seen: list = []
    handle.finished.connect(lambda r: seen.append(("finished", r)))
    handle.failed.connect(lambda e, tb: seen.append(("failed", e, tb)))
    handle.cancelled.connect(lambda: seen.append(("cancelled",)))
    return seen


def square(x, cancel=None):
    return x * x


def boom(cancel=None):
    raise ValueError("row 3, column 6: 'n/a' is not a number")


def test_a_job_runs_off_the_gui_thread_and_reports_its_result_once(jobs, qtbot):
    gui = threading.get_ident()
    where = {}

    def work(x, y, scale=1, cancel=None):
        where["thread"] = threading.get_ident()
        where["cancel"] = cancel
        return (x + y) * scale

    handle = jobs.submit("sum", work, 2, 3, scale=10, label="Adding\u2026")
    seen = outcomes(handle)
    assert handle.label == "Adding\u2026" and jobs.busy_label() == "Adding\u2026"
    with qtbot.waitSignal(handle.finished, timeout=WAIT) as blocker:
        pass
    assert blocker.args == [50] and handle.result == 50 and handle.status == "ok"
    assert where["thread"] != gui and isinstance(where["cancel"], threading.Event)
    qtbot.wait(20)
    assert seen == [("finished", 50)]              # exactly one outcome
    assert not jobs.is_busy() and not jobs.is_busy("sum")


def test_every_exception_is_caught_and_reported_with_its_traceback(jobs, qtbot):
    handle = jobs.submit("bad", boom)
    with qtbot.waitSignal(handle.failed, timeout=WAIT) as blocker:
        pass
    exc, tb = blocker.args
    assert isinstance(exc, ValueError) and "row 3" in str(exc)
    assert "Traceback" in tb and "boom" in tb
    assert handle.status == "failed" and handle.error is exc
    with pytest.raises(ValueError, match="row 3"):
        handle.wait()                              # an ended job answers at once


def test_a_failure_nobody_listens_to_is_printed_not_lost(jobs, qtbot, capsys):
    handle = jobs.submit("bad", boom, label="Reading the file")
    qtbot.waitUntil(handle.done, timeout=WAIT)
    err = capsys.readouterr().err
    assert "Reading the file failed" in err and "ValueError" in err and "row 3" in err


def test_a_newer_job_of_the_same_kind_supersedes_the_older(jobs, qtbot):
    release, started = threading.Event(), threading.Event()
    seen_cancel = {}

    def slow(name, cancel=None):
        started.set()
        release.wait(5)
        seen_cancel[name] = cancel.is_set()
        return name

    a = jobs.submit("load", slow, "A")
    a_seen = outcomes(a)
    assert started.wait(5)                        # A is running when B arrives
    b = jobs.submit("load", slow, "B")
    other = jobs.submit("other", square, 4)    # another kind is not touched
    assert a.is_cancel_requested() and not b.is_cancel_requested()
    release.set()
    with qtbot.waitSignal(b.finished, timeout=WAIT):
        pass
    qtbot.waitUntil(other.done, timeout=WAIT)
    assert a_seen == [("cancelled",)] and a.result is None   # A's result was dropped
    assert seen_cancel == {"A": True, "B": False}
    assert b.result == "B" and other.result == 16
    with pytest.raises(Cancelled):
        a.wait()


def test_cancel_before_the_job_starts_and_a_cancelled_failure(jobs, qtbot):
    gate = threading.Event()
    first = jobs.submit("first", lambda cancel=None: gate.wait(5))
    second = jobs.submit("second", square, 3)
    second.cancel()                               # still queued behind "first"
    gate.set()
    qtbot.waitUntil(lambda: first.done() and second.done(), timeout=WAIT)
    assert second.status == "cancelled" and second.result is None

    started = threading.Event()

    def fails_when_cancelled(cancel=None):
        started.set()
        cancel.wait(5)
        raise RuntimeError("stopped half-way")

    late = jobs.submit("late", fails_when_cancelled)
    seen = outcomes(late)
    assert started.wait(5)
    late.cancel()                                 # nobody wants its outcome any more
    qtbot.waitUntil(late.done, timeout=WAIT)
    assert seen == [("cancelled",)]


def test_wait_keeps_the_event_loop_running_and_times_out(jobs, qtbot):
    from PySide6.QtCore import QTimer

    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)

    def slow(cancel=None):
        time.sleep(0.3)
        return "done"

    handle = jobs.submit("slow", slow)
    assert handle.wait() == "done"
    assert len(ticks) >= 5                        # the GUI thread kept running meanwhile
    gate = threading.Event()
    stuck = jobs.submit("stuck", lambda cancel=None: gate.wait(5))
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        stuck.wait(0.1)
    assert time.monotonic() - start < 2
    gate.set()
    stuck.wait()
    timer.stop()


def test_busy_changed_and_shutdown(qtbot):
    jobs = Jobs(name="nirdesk-test")
    states = []
    jobs.busy_changed.connect(lambda busy, label: states.append((busy, label)))
    gate = threading.Event()
    running = jobs.submit("a", lambda cancel=None: gate.wait(5), label="Waiting")
    queued = jobs.submit("b", square, 2, label="Squaring")
    assert states == [(True, "Waiting"), (True, "Squaring")]
    assert [h.kind for h in jobs.pending()] == ["a", "b"]
    thread: QThread = jobs._thread
    gate.set()
    assert jobs.shutdown(5000) and thread.isFinished()
    assert running.done() and queued.done() and not jobs.pending()
    with pytest.raises(RuntimeError):
        jobs.submit("c", square, 1)
    assert jobs.shutdown()                        # twice is harmless


def big_result(cancel=None):
    import numpy as np

    return np.ones(1000)


def test_a_finished_handle_and_its_result_can_be_freed(jobs, qtbot):
    """A slot that captures its handle must not keep the handle (and a dataset it returned)
    alive once the job is over: the Qt connection hides that cycle from the collector."""
    import gc
    import weakref

    got = []
    handle = jobs.submit("big", big_result)
    handle.finished.connect(lambda value, h=handle: got.append((h.kind, value.size)))
    handle.failed.connect(lambda *_a, h=handle: got.append(h.kind))
    with qtbot.waitSignal(handle._resolved, timeout=5000):
        pass
    assert got == [("big", 1000)]
    result_ref = weakref.ref(handle.result)
    handle_ref = weakref.ref(handle)
    del handle
    gc.collect()
    assert handle_ref() is None and result_ref() is None
