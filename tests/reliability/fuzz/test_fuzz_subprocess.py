"""What only a real process shows (issue 22, points 8 and 13): a FIFO given as data or as
the pipeline is refused in one line instead of blocking forever; bad data is refused before
scikit-learn is imported (the 2-5 s that refusing used to cost in `run` and `predict`); exit
codes through the interpreter's own exit, with a deadline on every call."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fuzzing import dataset_case

REPO = Path(__file__).resolve().parents[3]
TIMEOUT_S = 60


def _nirdesk(*args: str) -> subprocess.CompletedProcess:
    """`nirdesk ARGS` in a fresh interpreter; a hang fails the test (TimeoutExpired)."""
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=TIMEOUT_S)


def _one_line_refusal(done: subprocess.CompletedProcess, command: str) -> str:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"nirdesk {command}: "), done.stderr
    return lines[0]


@pytest.fixture
def fifo(tmp_path) -> Path:
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("command", ["info", "run", "predict", "pipeline"])
def test_a_fifo_is_refused_not_read(command, fifo, tmp_path, pls_spec, trained_project):
    args = {"info": ["info", str(fifo)],
            "run": ["run", str(pls_spec), "--data", str(fifo)],
            "predict": ["predict", str(trained_project), "--data", str(fifo), "--out",
                        str(tmp_path / "p.csv")],
            "pipeline": ["run", str(fifo), "--data", str(pls_spec)]}[command]
    line = _one_line_refusal(_nirdesk(*args), args[0])
    assert "named pipe (FIFO)" in line and str(fifo) in line


def test_a_folder_as_the_pipeline_says_so(tmp_path, good_data):
    line = _one_line_refusal(_nirdesk("run", str(tmp_path), "--data", str(good_data)), "run")
    assert "this is a folder; a pipeline is a .json file" in line


_PROBE = """
import sys
from engine.cli import main
code = main(sys.argv[1:])
heavy = sorted(m for m in ("sklearn", "skops", "joblib", "scipy") if m in sys.modules)
print("HEAVY:" + ",".join(heavy))
sys.exit(code)
"""


@pytest.mark.parametrize("command", ["info", "run", "predict"])
def test_bad_data_is_refused_before_the_heavy_imports(command, tmp_path, pls_spec,
                                                      trained_project):
    bad = dataset_case("overflow", 1, tmp_path).path
    args = {"info": ["info", str(bad)],
            "run": ["run", str(pls_spec), "--data", str(bad)],
            "predict": ["predict", str(trained_project), "--data", str(bad), "--out",
                        str(tmp_path / "p.csv")]}[command]
    done = subprocess.run([sys.executable, "-c", _PROBE, *args], cwd=REPO,
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    line = _one_line_refusal(done, command)
    assert "too large to compute with" in line and bad.name in line
    assert "HEAVY:\n" in done.stdout, f"imported before refusing: {done.stdout}"


def test_a_pipeline_nested_thousands_deep_is_one_line(tmp_path, good_data):
    deep = tmp_path / "deep.json"
    deep.write_text('[{"branch":[' * 3000 + '"PLSRegression"' + "]}]" * 3000)
    line = _one_line_refusal(_nirdesk("run", str(deep), "--data", str(good_data)), "run")
    assert "64" in line


def test_info_on_a_pipeline_with_a_huge_generator_is_one_line(tmp_path):
    spec = tmp_path / "huge.json"
    spec.write_text(json.dumps([{"branch": {"_or_": ["SNV"] * 10_000}}, "PLSRegression"]))
    line = _one_line_refusal(_nirdesk("info", str(spec)), "info")
    assert "10,000" in line and "5,000" in line
