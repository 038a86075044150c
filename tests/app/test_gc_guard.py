"""Garbage collection stays on the GUI thread while a window is open, including the full
collection the engine asks for when Cancel kills the worker pool from the run thread (a
collection on another thread can destroy Qt objects there and crash Qt)."""
from __future__ import annotations

import gc
import threading

import engine.executor as executor
from app.common import gc_guard


def test_a_collection_asked_for_by_another_thread_runs_on_the_gui_thread(qtbot):
    gc_guard.acquire()
    seen: list[threading.Thread] = []

    def on_gc(phase, _info):
        if phase == "start":
            seen.append(threading.current_thread())

    gc.callbacks.append(on_gc)
    try:
        worker = threading.Thread(target=executor.collect_garbage, name="run-thread")
        worker.start()
        qtbot.waitUntil(lambda: not worker.is_alive(), timeout=5000)  # the GUI loop runs
    finally:
        gc.callbacks.remove(on_gc)
        gc_guard.release()
    assert seen, "no collection ran"
    assert all(t is threading.main_thread() for t in seen), [t.name for t in seen]
    # without a window the engine collects where it is called (the CLI)
    assert executor.collect_garbage is executor._collect_here


def test_what_exists_when_the_guard_starts_is_frozen_and_later_garbage_still_goes(qtbot):
    """Objects alive before the first window (the imported modules) are kept out of the GUI
    thread's collections; a cycle made afterwards is still collected, and closing the last
    window unfreezes everything."""
    import weakref

    class Node:
        pass

    gc.collect()
    gc_guard.acquire()
    try:
        assert gc.get_freeze_count() > 0
        frozen = gc.get_freeze_count()
        new = Node()
        new.me = new                       # a cycle: only the collector frees it
        gone = weakref.ref(new)
        del new
        gc.collect()
        assert gone() is None
        assert gc.get_freeze_count() == frozen       # the modules stay frozen
    finally:
        gc_guard.release()
    assert gc.get_freeze_count() == 0
