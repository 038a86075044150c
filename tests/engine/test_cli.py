"""`nirdesk run` / `nirdesk info` as a user calls them: exit codes and one-line errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main as cli_main

REPO = Path(__file__).resolve().parents[2]
DEMO_PIPELINE = REPO / "resources" / "demo" / "pipeline.json"


def _write_folder(folder: Path, x_text: str, y_text: str, split_text: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "X.csv").write_text(x_text)
    (folder / "y.csv").write_text(y_text)
    if split_text is not None:
        (folder / "split.csv").write_text(split_text)
    return folder


def _good_x(n: int = 12, p: int = 5) -> str:
    rng = np.random.default_rng(1)
    rows = [",".join(f"{v:.5f}" for v in rng.uniform(0.1, 1.0, p)) for _ in range(n)]
    return ",".join(str(1000 + 2 * i) for i in range(p)) + "\n" + "\n".join(rows) + "\n"


def _good_y(n: int = 12) -> str:
    return "protein\n" + "\n".join(f"{10 + i * 0.3:.2f}" for i in range(n)) + "\n"


def _replace_line(text: str, line_no: int, new: str) -> str:
    lines = text.splitlines()
    lines[line_no - 1] = new
    return "\n".join(lines) + "\n"


BAD_INPUTS = {
    "ragged row": (lambda: _replace_line(_good_x(), 4, "0.1,0.2,0.3"), _good_y, ["X.csv", "row 4"]),
    "text in a numeric cell": (lambda: _replace_line(_good_x(), 3, "0.1,0.2,abc,0.4,0.5"), _good_y,
                               ["X.csv", "row 3", "column 3", "abc"]),
    "NaN": (lambda: _replace_line(_good_x(), 5, "0.1,nan,0.3,0.4,0.5"), _good_y,
            ["X.csv", "row 5", "column 2"]),
    "inf": (lambda: _replace_line(_good_x(), 6, "0.1,0.2,0.3,inf,0.5"), _good_y,
            ["X.csv", "row 6", "column 4"]),
    "duplicate wavelength": (lambda: _replace_line(_good_x(), 1, "1000,1002,1002,1006,1008"),
                             _good_y, ["X.csv", "row 1", "column 3"]),
    "non-monotonic wavelengths": (lambda: _replace_line(_good_x(), 1, "1000,1002,1001,1006,1008"),
                                  _good_y, ["X.csv", "row 1", "column 3"]),
    "X/y row count mismatch": (_good_x, lambda: _good_y(10), ["X.csv", "y.csv", "12", "10"]),
    "empty file": (lambda: "", _good_y, ["X.csv", "empty"]),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_each_bad_input_exits_2_with_one_line(case, tmp_path, capsys):
    make_x, make_y, expected = BAD_INPUTS[case]
    folder = _write_folder(tmp_path / "data", make_x(), make_y())
    code = cli_main(["run", str(DEMO_PIPELINE), "--data", str(folder), "--verbose", "0"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for fragment in expected:
        assert fragment in err, (fragment, err)


def test_unknown_target_names_the_known_ones(tmp_path, capsys):
    folder = _write_folder(tmp_path / "data", _good_x(), _good_y())
    assert cli_main(["run", str(DEMO_PIPELINE), "--data", str(folder), "--target", "fat"]) == 2
    err = capsys.readouterr().err
    assert "fat" in err and "protein" in err and err.count("\n") == 1


def test_fewer_samples_than_folds_exits_2(tmp_path, capsys):
    folder = _write_folder(tmp_path / "data", _good_x(4), _good_y(4))
    assert cli_main(["run", str(DEMO_PIPELINE), "--data", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "4 training samples" in err and "5 folds" in err and err.count("\n") == 1


@pytest.mark.parametrize("spec, fragment", [
    ([{"class": "os.system"}], "os.system"),
    ([{"class": "NoSuchModel"}], "NoSuchModel"),
    (["SNV"], "model"),
    ([{"class": "PLSRegression", "params": {"n_comp": 3}}], "n_comp"),
    ([{"branch": {"_or_": []}}, "PLSRegression"], "_or_"),
])
def test_invalid_specs_exit_2_pointing_at_the_step(spec, fragment, tmp_path, tecator_dir, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(spec))
    assert cli_main(["run", str(path), "--data", str(tecator_dir)]) == 2
    err = capsys.readouterr().err
    assert fragment in err and "bad.json" in err and err.count("\n") == 1, err


def test_broken_json_names_line_and_column(tmp_path, tecator_dir, capsys):
    path = tmp_path / "broken.json"
    path.write_text('[\n  "SNV",\n  {"class": "PLSRegression",}\n]\n')
    assert cli_main(["run", str(path), "--data", str(tecator_dir)]) == 2
    err = capsys.readouterr().err
    assert "broken.json" in err and "row 3" in err and "column" in err


def test_missing_data_path_and_bad_arguments_exit_2(tmp_path, capsys):
    assert cli_main(["run", str(DEMO_PIPELINE), "--data", str(tmp_path / "nope")]) == 2
    assert "nope" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        cli_main(["run", str(DEMO_PIPELINE)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--data" in err and err.count("\n") == 1


def test_info_describes_dataset_and_pipeline(tecator_dir, capsys):
    assert cli_main(["info", str(tecator_dir)]) == 0
    out = capsys.readouterr().out
    assert "215 samples x 100 wavelengths" in out and "172 train, 43 test" in out
    assert "moisture" in out and "fat" in out and "protein" in out
    assert cli_main(["info", str(DEMO_PIPELINE)]) == 0
    out = capsys.readouterr().out
    assert "4 branches" in out and "SNV > PLSRegression(n_components=10, scale=False)" in out


def test_console_script_end_to_end(tecator_dir, tmp_path):
    """The installed entry point: a real run writes results; bad input gives exit 2, no
    traceback."""
    env = dict(os.environ)
    out = tmp_path / "r.json"
    done = subprocess.run([sys.executable, "-m", "app.main", "run", str(DEMO_PIPELINE), "--data",
                           str(tecator_dir), "--target", "fat", "--out", str(out),
                           "--verbose", "2"],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "wall time" in done.stdout and len(json.loads(out.read_text())["branches"]) == 4
    bad = subprocess.run([sys.executable, "-m", "app.main", "run", str(DEMO_PIPELINE), "--data",
                          str(tecator_dir), "--target", "nitrogen"],
                         capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and bad.stderr.count("\n") == 1
    assert "PySide6" not in bad.stderr


def test_preprocess_writes_every_spectrum_after_the_branch_as_a_dataset(tmp_path, capsys):
    """`nirdesk preprocess`: the chosen branch's steps fitted on the training rows and applied
    to all of them, the header the axis after the crop, a partition column, and a file that
    opens again as a dataset. Checked against csv + numpy (tests/reference.py)."""
    from engine.io import load_dataset
    from tests.reference import RefMSC, read_folder

    tecator = REPO / "resources" / "demo" / "tecator"
    pipeline = tmp_path / "crop.json"
    pipeline.write_text(json.dumps([
        {"class": "CropRange", "params": {"start": 900, "stop": 1000}},
        {"branch": {"_or_": ["SNV", "MSC"]}}, "PLSRegression"]))
    out = tmp_path / "msc.csv"
    assert cli_main(["preprocess", str(pipeline), "--data", str(tecator), "--out", str(out),
                     "--branch", "2", "--target", "fat"]) == 0
    assert "after branch 2 (CropRange(start=900, stop=1000) > MSC > PLSRegression" in \
        capsys.readouterr().out
    X, fat, wl, test = read_folder(tecator, "fat")
    keep = (wl >= 900) & (wl <= 1000)
    expected = RefMSC().fit(X[~test][:, keep]).transform(X[:, keep])
    with open(out, newline="") as fh:
        rows = list(__import__("csv").reader(fh))
    header = rows[0]
    n = int(keep.sum())
    assert header[:2] == ["sample_id", "partition"]
    assert header[-3:] == ["moisture", "fat", "protein"]
    np.testing.assert_array_equal(np.array(header[2:2 + n], dtype=float), wl[keep])
    assert [r[1] for r in rows[1:]] == ["test" if t else "train" for t in test]
    np.testing.assert_allclose(np.array([r[2:2 + n] for r in rows[1:]], dtype=float), expected,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(np.array([r[-2] for r in rows[1:]], dtype=float), fat)
    again = load_dataset(out, target="fat")
    np.testing.assert_array_equal(again.test_mask, test)
    np.testing.assert_allclose(again.X, expected, rtol=1e-12, atol=1e-12)


def test_preprocess_needs_a_branch_when_there_are_several(tmp_path, capsys):
    out = tmp_path / "s.csv"
    tecator = REPO / "resources" / "demo" / "tecator"
    code = cli_main(["preprocess", str(DEMO_PIPELINE), "--data", str(tecator), "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and not out.exists()
    assert "the pipeline makes 4 branches; choose one with --branch ID (1: SNV > " in err
    code = cli_main(["preprocess", str(DEMO_PIPELINE), "--data", str(tecator / "X.csv"),
                     "--out", str(out), "--branch", "7"])
    assert code == 2 and "no branch 7; the pipeline's branches are 1: SNV" in \
        capsys.readouterr().err


def test_info_steps_lists_every_registered_step_once(capsys):
    from engine.registry import registry_entries

    assert cli_main(["info", "--steps"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    entries = registry_entries()
    assert [line.split()[0] for line in lines] == [e.name for e in entries]
    for line, entry in zip(lines, entries, strict=True):
        assert line.split()[1] == entry.kind and line.endswith(entry.description)
    assert cli_main(["info"]) == 2
    assert "--steps" in capsys.readouterr().err
    assert cli_main(["info", "SNV", "--steps"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "nirdesk info: give either a PATH or --steps, not both"]
