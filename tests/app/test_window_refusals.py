"""The window on bad input given at start-up (issue 22, point 7): a corrupt project or bad
--data is shown in the message area and stays there, nothing is opened in its place, and the
batch modes (--screenshot, --self-test) exit 2 on such a refusal."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMainWindow

from app.common.notify import Notifier

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "resources" / "demo" / "tecator"
WAIT = 60_000


def _overflowing_csv(folder: Path) -> Path:
    """The demo's spectra as one CSV with one value of 1e300 (finite, overflows squared)."""
    rows = (DEMO / "X.csv").read_text().splitlines()
    ys = (DEMO / "y.csv").read_text().splitlines()
    out = [rows[0] + ",fat"]
    for k, (x, y) in enumerate(zip(rows[1:], ys[1:], strict=True)):
        cells = x.split(",")
        if k == 4:
            cells[2] = "1e300"
        out.append(",".join(cells) + "," + y.split(",")[1])
    path = folder / "overflow.csv"
    path.write_text("\n".join(out) + "\n")
    return path


def test_a_routine_status_does_not_wipe_an_error_on_show(qtbot):
    host = QMainWindow()
    qtbot.addWidget(host)
    notifier = Notifier(host, quiet=True)
    relayed = []
    notifier.status_shown.connect(lambda text, ms: relayed.append(text))
    line = notifier.error("Cannot open the dataset", "bad.csv, row 3: text 'x'")
    notifier.status("Pipeline demo: 4 branches")
    assert host.statusBar().currentMessage() == f"Cannot open the dataset: {line}"
    assert relayed[-1] == "Pipeline demo: 4 branches"  # still relayed to listeners
    notifier.clear_status()
    notifier.status("Opened tecator")
    assert host.statusBar().currentMessage() == "Opened tecator"


def test_bad_data_at_start_stays_in_the_message_area(qtbot, tmp_path):
    from app.common.settings import AppSettings
    from app.shell.main_window import MainWindow

    bad = _overflowing_csv(tmp_path)
    window = MainWindow(AppSettings(tmp_path / "s.ini"), quiet=True)
    qtbot.addWidget(window)
    try:
        window.start(str(bad), None, None)
        qtbot.waitUntil(lambda: bool(window.errors) and window.is_settled(), timeout=WAIT)
        qtbot.waitUntil(lambda: window.state.pipeline is not None, timeout=WAIT)
        [line] = window.errors
        assert "overflow.csv, row 6, column 3" in line and "too large" in line
        # the demo pipeline loaded after the refusal: its status did not replace it
        assert line in window.statusBar().currentMessage()
        assert window.state.dataset is None
    finally:
        window.shutdown()


def test_a_corrupt_project_at_start_opens_nothing_in_its_place(qtbot, tmp_path):
    from app.common.settings import AppSettings
    from app.shell.main_window import MainWindow

    corrupt = tmp_path / "corrupt.nirdesk"
    corrupt.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 8)
    window = MainWindow(AppSettings(tmp_path / "s.ini"), quiet=True)
    qtbot.addWidget(window)
    try:
        assert not window.start_with_project(str(corrupt))
        [line] = window.errors
        assert "corrupt.nirdesk" in line and line in window.statusBar().currentMessage()
        qtbot.wait(200)
        assert window.state.dataset is None and window.state.pipeline is None
    finally:
        window.shutdown()


def _gui(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    env.pop("NIRDESK_TIMING", None)
    return subprocess.run([sys.executable, "-m", "app.main", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=180)


@pytest.mark.parametrize("kind", ["project", "data"])
def test_screenshot_mode_exits_2_on_a_refusal(tmp_path, kind):
    if kind == "project":
        target = tmp_path / "corrupt.nirdesk"
        target.write_bytes(b"SQLite format 3\x00" + b"\xff" * 3000)
        args = [str(target)]
    else:
        args = ["--data", str(_overflowing_csv(tmp_path))]
    shot = tmp_path / "shot.png"
    done = _gui([*args, "--screenshot", str(shot)], tmp_path)
    assert done.returncode == 2, done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("nirdesk:")]
    assert len(lines) == 1 and ("corrupt.nirdesk" in lines[0] or "too large" in lines[0])
    assert "Traceback" not in done.stderr and shot.is_file()


def test_self_test_exits_2_when_the_window_refuses_the_demo(tmp_path, monkeypatch, capsys):
    from app.shell import selftest

    broken = tmp_path / "demo"
    broken.mkdir()
    (broken / "X.csv").write_text("850,852\n1,text\n")
    (broken / "y.csv").write_text("y\n1\n")
    monkeypatch.setattr("engine.resources.demo_dataset_path", lambda: broken)
    monkeypatch.setattr(selftest, "check_pool", lambda: [])
    assert selftest.run_self_test() == 2
    err = capsys.readouterr().err
    assert "self-test FAILED: the window could not open the demo" in err and "text" in err
