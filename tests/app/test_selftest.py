"""`nirdesk --self-test` and `--version`, and the frozen-app helper dispatch (issue 9).

The packaged build itself is checked by packaging/release-check.sh (minutes of CPU, not in the
default CI). Here the same self-test runs from the source tree, and once more through a
launcher that imitates a frozen app (sys.frozen set, sys.executable a wrapper that re-runs
the launcher) so that loky really starts its workers and trackers through app.main's
dispatch, exactly as in dist/nirdesk/nirdesk.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression
from sklearn.model_selection import KFold

from app.gui import parse_args
from app.main import main, run_frozen_helper
from app.shell import selftest
from engine.selftest import Rendezvous

REPO = Path(__file__).resolve().parents[2]
PYPROJECT_VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def _env() -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("NIRDESK_TIMING", None)
    return env


def _run(cmd: list[str], timeout: float = 150) -> tuple[subprocess.Popen, str, str]:
    proc = subprocess.Popen(cmd, cwd=REPO, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=timeout)
    return proc, out, err


def _worker_pids(report: str) -> tuple[int, list[int]]:
    match = re.search(r"main pid (\d+); worker pids: ([\d ]+) \(", report)
    assert match, report
    return int(match.group(1)), [int(p) for p in match.group(2).split()]


def _independent_snv_pls_rmsecv() -> float:
    """Branch 1 of the demo pipeline (SNV > PLS 10) in plain numpy/scikit-learn."""
    demo = REPO / "resources" / "demo" / "tecator"
    X = np.loadtxt(demo / "X.csv", delimiter=",", skiprows=1)
    y = np.loadtxt(demo / "y.csv", delimiter=",", skiprows=1)[:, 0]  # moisture
    split = np.loadtxt(demo / "split.csv", dtype=str, skiprows=1)
    train = np.flatnonzero(~np.isin(split, ["test", "val"]))
    centred = X - X.mean(axis=1, keepdims=True)
    snv = centred / centred.std(axis=1, keepdims=True)
    rows, preds = [], []
    for a, b in KFold(5, shuffle=True, random_state=0).split(train):
        model = PLSRegression(n_components=10, scale=False).fit(snv[train[a]], y[train[a]])
        rows.append(train[b])
        preds.append(model.predict(snv[train[b]]).ravel())
    rows_, preds_ = np.concatenate(rows), np.concatenate(preds)
    return float(np.sqrt(np.mean((y[rows_] - preds_) ** 2)))


def test_self_test_runs_tasks_on_two_worker_processes():
    proc, out, err = _run([sys.executable, "-m", "app.main", "--self-test"])
    assert proc.returncode == 0, out + err
    assert "self-test passed" in out
    main_pid, workers = _worker_pids(out)
    assert main_pid == proc.pid
    assert len(set(workers)) == 2 and proc.pid not in workers
    assert "Qt platform offscreen" in out
    assert "demo tecator 215 x 100 loaded and drawn" in out
    diff = float(re.search(r"largest difference from the parallel predictions (\S+)", out)[1])
    assert diff <= 1e-9
    rmse = float(re.search(r"\[1\] SNV ([\d.]+)", out)[1])
    assert rmse == pytest.approx(_independent_snv_pls_rmsecv(), rel=1e-3)


def test_frozen_style_launch_starts_loky_helpers_through_main(tmp_path):
    """A frozen app's sys.executable is the app: loky's worker (-m popen_loky_posix) and
    tracker (-c ...) command lines must be run by app.main, never fall through to the GUI."""
    launcher = tmp_path / "launcher.py"
    wrapper = tmp_path / "nirdesk"
    # loky and multiprocessing (imported later) take the wrapper as the interpreter, as they
    # take the frozen executable. The parent runs only the pool stage (the window stage is
    # covered above); every child goes through main() as in the frozen app.
    launcher.write_text(
        "import sys\n"
        "sys.frozen = True\n"
        f"sys.executable = {str(wrapper)!r}\n"
        "from app.main import main\n"
        "if sys.argv[1:] == ['--pool-stage']:\n"
        "    from engine.selftest import check_pool\n"
        "    print('\\n'.join(check_pool()))\n"
        "    sys.exit(0)\n"
        "sys.exit(main())\n")
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{launcher}" "$@"\n')
    wrapper.chmod(0o755)
    proc, out, err = _run([str(wrapper), "--pool-stage"])
    assert proc.returncode == 0, out + err
    assert "usage: nirdesk" not in err, err  # a helper command line reached argparse
    _, workers = _worker_pids(out)
    commands = re.findall(r"worker (\d+): parent (\d+), command (.*)", out)
    assert sorted(int(c[0]) for c in commands) == sorted(workers)
    for _pid, parent, command in commands:
        assert int(parent) == proc.pid
        assert f"{launcher} -m joblib.externals.loky.backend.popen_loky_posix" in command


def test_version_prints_the_pyproject_version(capsys):
    proc, out, _ = _run([sys.executable, "-m", "app.main", "--version"], timeout=60)
    assert proc.returncode == 0
    assert out.strip() == f"nirdesk {PYPROJECT_VERSION}"
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"nirdesk {PYPROJECT_VERSION}"


def test_command_line_accepts_a_project_and_lists_the_new_options(capsys):
    assert parse_args(["/data/my project.nirdesk"]).project == "/data/my project.nirdesk"
    assert parse_args([]).project is None
    assert parse_args(["--self-test"]).self_test
    with pytest.raises(SystemExit):
        parse_args(["--help"])
    text = capsys.readouterr().out
    assert "--self-test" in text and "--version" in text and "project" in text


def test_frozen_helper_dispatch_ignores_other_command_lines(tmp_path):
    marker = tmp_path / "executed"
    for argv in ([], ["--data", "x.csv"], ["proj.nirdesk"], ["-m", "os"],
                 ["-c", f"open({str(marker)!r}, 'w').close()"],
                 ["-c", "from joblib.externals.loky.backend.resource_tracker import main; "
                        "main(0, 0); import os"]):
        assert run_frozen_helper(argv) is False, argv
    assert not marker.exists()


def test_rendezvous_fails_when_only_one_process_computes(tmp_path):
    step = Rendezvous(str(tmp_path), parties=2, timeout=0.2)
    with pytest.raises(RuntimeError, match="not running in parallel"):
        step.fit(np.zeros((3, 2)))
    (tmp_path / "1.fits").write_text("fit\n")  # a second process arrived
    assert step.fit(np.zeros((3, 2))).pid_ == os.getpid()
    assert (tmp_path / f"{os.getpid()}.fits").read_text().split() == ["fit", "fit"]


def test_self_test_failure_exits_1_with_one_clear_line(monkeypatch, capsys, tmp_path):
    import engine.resources

    monkeypatch.setattr(engine.resources, "demo_dataset_path", lambda: tmp_path / "gone")
    assert selftest.run_self_test() == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"self-test FAILED: the bundled demo dataset is missing: {tmp_path / 'gone'}"]
