"""`nirdesk run` with the executor: override, Ctrl-C, progress display."""
from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from engine.cli import main as cli_main
from engine.events import RunStarted, TaskDone
from engine.progress import ProgressPrinter

REPO = Path(__file__).resolve().parents[2]


def test_parallel_branches_override_reaches_the_results(tmp_path, tecator_dir):
    spec = tmp_path / "p.json"
    spec.write_text(json.dumps([{"branch": [["SNV", "PLSRegression"], ["MSC", "Ridge"]],
                                 "n_jobs": 2}]))
    out = tmp_path / "r.json"
    assert cli_main(["run", str(spec), "--data", str(tecator_dir), "--out", str(out),
                     "--verbose", "0", "--parallel-branches", "1"]) == 0
    section = json.loads(out.read_text())["parallel"][0]
    assert section["mode"] == "sequential"
    assert any("--parallel-branches 1" in r["message"] for r in section["reasons"])


def test_bad_parallel_branches_value_exits_2(tmp_path, tecator_dir, capsys):
    assert cli_main(["run", str(REPO / "resources/demo/pipeline.json"), "--data", str(tecator_dir),
                     "--parallel-branches", "0"]) == 2
    assert "--parallel-branches" in capsys.readouterr().err


def test_ctrl_c_cancels_cleanly_with_exit_130_and_partial_results(tmp_path, tablet_dir):
    spec = tmp_path / "slow.json"
    slow = {"class": "RandomForestRegressor", "params": {"n_estimators": 3000, "n_jobs": 1}}
    spec.write_text(json.dumps([  # a quick group first, then two slow forests on the pool
        {"branch": [["SNV", {"class": "PLSRegression", "params": {"n_components": 5}}]]},
        {"branch": [[slow], ["SNV", slow]], "n_jobs": 2}]))
    out = tmp_path / "partial.json"
    proc = subprocess.Popen([sys.executable, "-m", "app.main", "run", str(spec),
                             "--data", str(tablet_dir), "--out", str(out)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    lines = []
    while time.monotonic() < deadline:  # wait until the fast branch has finished
        line = proc.stdout.readline()
        lines.append(line)
        if line.startswith("[1]"):
            break
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    t0 = time.monotonic()
    _stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert time.monotonic() - t0 < 5
    assert "Traceback" not in stderr and "cancelled" in stderr
    doc = json.loads(out.read_text())
    assert [b["status"] for b in doc["branches"]] == ["ok", "cancelled", "cancelled"]


def test_progress_bar_on_a_terminal_plain_lines_otherwise():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    plan = [{"step": "step 1", "mode": "parallel", "workers": 2, "reasons": []}]
    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        printer = ProgressPrinter(stream)
        printer(RunStarted(2, 4, plan))
        printer(TaskDone(1, 0, 1, 4, 0.5))
        printer.log("[1] SNV > PLSRegression: RMSECV 1.0")
        printer(TaskDone(1, 1, 2, 4, 1.0))
        printer(TaskDone(1, 2, 3, 4, 1.5))   # the ETA needs two tasks after the first
        printer.close()
    assert ("\r" in tty.getvalue() and "2/4 tasks" in tty.getvalue()
            and "ETA" not in tty.getvalue().split("3/4")[0] and "ETA 0.5 s" in tty.getvalue())
    assert "\r" not in pipe.getvalue() and "tasks" not in pipe.getvalue().splitlines()[-1]
    assert pipe.getvalue().splitlines() == ["2 branches, 4 tasks (step 1: parallel x2)",
                                            "[1] SNV > PLSRegression: RMSECV 1.0"]
