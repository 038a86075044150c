"""The window's thread first: background threads run at a lower CPU priority (Linux), so a
busy load, drawing or run cannot keep the GUI thread waiting for a core (issue 20)."""
from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from app.common.priority import BACKGROUND_NICE, lower_this_thread

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="per-thread nice values are a Linux feature")


def _nice_of_threads() -> dict[str, list[int]]:
    """Each thread's name (what Qt gave the OS thread) -> the nice values of those threads."""
    out: dict[str, list[int]] = {}
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            stat = (task / "stat").read_text()
        except OSError:       # the thread ended meanwhile
            continue
        fields = stat.rsplit(")", 1)[1].split()
        out.setdefault(name, []).append(int(fields[16]))   # field 19 of stat: nice
    return out


def test_lowering_a_thread_leaves_the_others_alone():
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    got: list[int] = []

    def work() -> None:
        lower_this_thread()
        got.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert got == [max(before, BACKGROUND_NICE)]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before


def test_the_window_s_background_threads_are_lowered_and_its_own_is_not(qtbot, tecator_dir):
    """The loader (dataset jobs), render and run threads of a real window, with the demo
    dataset loaded and drawn."""
    from app.common.settings import AppSettings
    from app.shell.main_window import MainWindow

    window = MainWindow(AppSettings(persistent=False), quiet=True)
    qtbot.addWidget(window)
    window.show()
    window.start(data=str(tecator_dir))
    qtbot.waitUntil(lambda: window.state.dataset is not None and window.is_settled(),
                    timeout=30000)
    main_thread_nice = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def lowered() -> bool:
        threads = _nice_of_threads()
        names = ("nirdesk-loader", "nirdesk-render", "nirdesk-run")
        return all(name in threads for name in names) and all(
            min(threads[name]) >= BACKGROUND_NICE for name in names)

    qtbot.waitUntil(lowered, timeout=5000)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == main_thread_nice
    assert main_thread_nice < BACKGROUND_NICE


def test_a_window_shortens_the_gil_switch_interval(qtbot):
    """With a window, a background thread running Python hands the GIL back to the GUI thread
    within SWITCH_INTERVAL_S (CPython's 5 ms made each of a paint's Qt calls wait that long)."""
    from app.common.priority import SWITCH_INTERVAL_S
    from app.common.settings import AppSettings
    from app.shell.main_window import MainWindow

    window = MainWindow(AppSettings(persistent=False), quiet=True)
    qtbot.addWidget(window)
    assert sys.getswitchinterval() <= SWITCH_INTERVAL_S < 0.005
