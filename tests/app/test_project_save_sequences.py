"""Saves that always finish and tell the truth (issue 21): the modified marker clears when a
save lands, stays when something changed while the file was being written (a run that landed
during the save is not in the file), and run -> save -> run -> save -> reopen in the real
window gives both runs back."""
from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QTimer

from app.common.settings import AppSettings
from app.shell.main_window import MainWindow
from engine.store import Project
from tests.app.test_app_workbench import WAIT
from tests.app.test_app_workbench import window as window
from tests.app.test_project_gui import SPEC, Asker, env, tecator  # noqa: F401 - fixtures


def test_a_change_made_while_saving_keeps_the_marker(env, tecator, qtbot, monkeypatch):  # noqa: F811
    host = env(Asker(), dataset=tecator, spec=SPEC)
    ctrl = host.ctrl
    ctrl.mark_dirty("edit")
    slow = ctrl._copy.save_to

    def save_to(*args, **kwargs):  # the file takes a while to write (a big project)
        time.sleep(0.6)
        return slow(*args, **kwargs)

    monkeypatch.setattr(ctrl._copy, "save_to", save_to)
    # an edit arrives while the save waits (the window keeps running during a save)
    QTimer.singleShot(150, lambda: ctrl.mark_dirty("pipeline edited during the save"))
    assert ctrl.save_as(env.tmp / "p.nirdesk")
    assert ctrl.is_dirty and host.isWindowModified()
    assert ctrl.title().endswith("p.nirdesk*")
    # a save with nothing happening meanwhile clears it
    monkeypatch.setattr(ctrl._copy, "save_to", slow)
    assert ctrl.save()
    assert not ctrl.is_dirty and not host.isWindowModified()


def test_run_save_run_save_reopen_in_the_window(window, qtbot, tmp_path):
    w = window
    ctrl = w.bench.project
    path = tmp_path / "twice.nirdesk"
    rmsecv = []
    for n in (1, 2):
        with qtbot.waitSignal(w.bench.run_finished, timeout=WAIT) as finished:
            w.bench.start_run()
        rmsecv.append(finished.args[0].branch(1).metrics["cv"]["rmse"])
        qtbot.waitUntil(lambda n=n: len(ctrl.runs()) == n, timeout=WAIT)
        assert w.isWindowModified()        # a new run is unsaved work
        assert ctrl.save_as(str(path)) if n == 1 else ctrl.save()
        assert not w.isWindowModified() and "twice.nirdesk" in w.windowTitle()
        qtbot.wait(300)                     # nothing marks it modified again by itself
        assert not w.isWindowModified()
    with Project.open(path, readonly=True) as p:
        runs = p.runs()
    assert len(runs) == 2

    w2 = MainWindow(AppSettings(tmp_path / "settings2.ini"))
    qtbot.addWidget(w2)
    try:
        with qtbot.waitSignal(w2.bench.project.run_loaded, timeout=WAIT):
            assert w2.bench.project.open_project(str(path))
        assert len(w2.bench.project.runs()) == 2 and not w2.isWindowModified()
        qtbot.waitUntil(lambda: w2.bench.results.selected_branch() is not None, timeout=WAIT)
    finally:
        w2.bench.project.ask = lambda kind, **info: {"unsaved": "discard"}.get(kind)
        w2.close()
        w2.shutdown()
    assert rmsecv[0] == pytest.approx(rmsecv[1], rel=1e-12)  # the same pipeline, same folds
