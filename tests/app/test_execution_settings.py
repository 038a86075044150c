"""Settings > Execution (pytest-qt, offscreen): local worker count, Dask cluster with a real
Test connection against a scheduler with two workers, clear one-line failures, and the
disabled Dask option (with the install hint) when dask.distributed is missing."""
from __future__ import annotations

import sys
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox

from app.common.settings import AppSettings
from app.run.execution_settings import ExecutionSettingsDialog, wait_for_connection_tests
from engine.backends import ExecutionChoice

WAIT = 30_000  # ms; generous for a loaded machine, waits end as soon as the signal arrives


@pytest.fixture()
def settings(tmp_path):
    return AppSettings(tmp_path / "nirdesk.ini")


@pytest.fixture()
def dialog(qtbot, settings):
    def make(**kwargs):
        dlg = ExecutionSettingsDialog(settings=settings, **kwargs)
        qtbot.addWidget(dlg)
        dlg.show()
        qtbot.waitExposed(dlg)
        return dlg
    yield make
    assert wait_for_connection_tests(20_000)


def _click(widget) -> None:
    """A real click; on the indicator for radio buttons (their hit area is the indicator and
    the label, not the whole row the layout stretches them to)."""
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QRadioButton

    if isinstance(widget, QRadioButton):
        QTest.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(8, widget.height() // 2))
    else:
        QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


def _type_address(dlg, text: str) -> None:
    _click(dlg.address_edit)
    dlg.address_edit.selectAll()
    QTest.keyClick(dlg.address_edit, Qt.Key.Key_Delete)
    QTest.keyClicks(dlg.address_edit, text)


def _ok(dlg):
    return dlg.buttons.button(QDialogButtonBox.StandardButton.Ok)


def test_dask_cluster_test_connection_shows_its_two_workers(qtbot, dialog, settings, dask_cluster):
    pytest.importorskip("distributed")
    dlg = dialog()
    assert dlg.local_radio.isChecked() and not dlg.dask_box.isEnabled()
    _click(dlg.dask_radio)
    assert dlg.dask_radio.isChecked() and dlg.dask_box.isEnabled()
    assert not dlg.workers_spin.isEnabled()
    _type_address(dlg, dask_cluster.address)
    with qtbot.waitSignal(dlg.connection_tested, timeout=WAIT) as blocker:
        _click(dlg.test_button)
        assert not dlg.test_button.isEnabled()  # one test at a time; the GUI stays live
    info = blocker.args[0]
    table = dlg.workers_table
    assert table.rowCount() == 2 == len(info.workers)
    assert sorted(table.item(r, 0).text() for r in range(2)) == ["worker-1", "worker-2"]
    assert [table.item(r, 1).text() for r in range(2)] == ["1", "1"]
    assert all(table.item(r, 2).text().endswith("/ 2.0 GB") for r in range(2))  # --memory-limit 2GB
    assert "2 workers, 2 cores" in dlg.status_label.text()
    assert dlg.test_button.isEnabled()
    _click(_ok(dlg))
    assert dlg.result() == dlg.DialogCode.Accepted
    expected = ExecutionChoice("dask", dask_cluster.address, -1)
    assert dlg.execution_choice() == expected
    again = AppSettings(settings.file)  # what the next session reads from the file
    assert again.execution_choice() == expected


def test_bad_addresses_give_one_clear_line(qtbot, dialog):
    pytest.importorskip("distributed")
    dlg = dialog(timeout=1.0)
    _click(dlg.dask_radio)
    _type_address(dlg, "http://localhost:8787")  # the dashboard, not the scheduler
    with qtbot.waitSignal(dlg.connection_failed, timeout=WAIT) as blocker:
        _click(dlg.test_button)
    assert "not a Dask scheduler address" in blocker.args[0]
    _type_address(dlg, "tcp://127.0.0.1:1")  # nothing listens there
    start = time.monotonic()
    with qtbot.waitSignal(dlg.connection_failed, timeout=WAIT) as blocker:
        QTest.keyClick(dlg.address_edit, Qt.Key.Key_Return)
    assert time.monotonic() - start < 5  # the 1 s timeout, not a hang
    message = dlg.status_label.text()
    assert message == blocker.args[0] and "\n" not in message
    assert "cannot reach a Dask scheduler at tcp://127.0.0.1:1" in message
    assert dlg.workers_table.rowCount() == 0 and dlg.test_button.isEnabled()


def test_ok_with_dask_and_no_address_stays_open_and_says_why(dialog, settings):
    pytest.importorskip("distributed")
    dlg = dialog()
    _click(dlg.dask_radio)
    _click(_ok(dlg))
    assert dlg.isVisible() and "no Dask scheduler address" in dlg.status_label.text()
    assert settings.execution_backend() == "loky"  # nothing saved


def test_local_worker_count_is_saved_and_auto_means_minus_one(dialog, settings):
    dlg = dialog()
    assert dlg.workers_spin.text() == "Auto"
    dlg.workers_spin.setFocus()
    QTest.keyClick(dlg.workers_spin, Qt.Key.Key_Up)
    assert dlg.execution_choice() == ExecutionChoice("loky", "", 1)
    _click(_ok(dlg))
    assert settings.execution_choice() == ExecutionChoice("loky", "", 1)
    dlg2 = dialog()
    assert dlg2.workers_spin.value() == 1
    dlg2.workers_spin.setValue(0)
    assert dlg2.execution_choice().workers == -1


def test_without_distributed_the_dask_option_is_disabled_with_the_hint(dialog, settings,
                                                                       monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    settings.save_execution("dask", "tcp://10.0.0.5:8786", -1)
    dlg = dialog()
    assert not dlg.dask_radio.isEnabled() and dlg.local_radio.isChecked()
    assert dlg.hint_label.isVisible()
    assert dlg.hint_label.text() == ("Dask cluster needs dask.distributed: "
                                     "pip install 'nirdesk[cluster]'")
    _click(dlg.dask_radio)
    assert not dlg.dask_radio.isChecked() and not dlg.test_button.isEnabled()
    assert dlg.execution_choice().backend == "loky"


def test_closing_during_a_test_does_not_wait_for_it(qtbot, dialog):
    pytest.importorskip("distributed")
    dlg = dialog(timeout=1.0)
    _click(dlg.dask_radio)
    _type_address(dlg, "tcp://127.0.0.1:1")
    failures = []
    dlg.connection_failed.connect(failures.append)
    _click(dlg.test_button)
    assert dlg.is_testing()
    start = time.monotonic()
    dlg.reject()
    assert time.monotonic() - start < 0.2 and not dlg.isVisible()
    assert wait_for_connection_tests(10_000)
    qtbot.wait(50)
    assert failures == []  # the late answer went nowhere


def test_open_execution_settings_reports_the_saved_choice(qtbot, settings):
    from app.run.execution_settings import open_execution_settings

    saved = []
    dlg = open_execution_settings(None, settings, saved.append)
    qtbot.waitExposed(dlg)
    dlg.workers_spin.setValue(2)
    with qtbot.waitSignal(dlg.destroyed, timeout=WAIT):  # it deletes itself on close
        _click(_ok(dlg))
    assert saved == [ExecutionChoice("loky", "", 2)] and settings.execution_workers() == 2
