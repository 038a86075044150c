"""The issue's tablet check, end to end through the command line: a project calibrated on
instrument 1 (tests/data/tablet, the 'cal' rows) flags nearly all of instrument 2's spectra
of the same tablets and at most ~10 % of instrument 1's own test spectra; a spectrum altered
by a spike or an offset is flagged.

Two branches: a PLS judged in its own space, and a Ridge judged in a PCA of its SNV
spectra (what every non-PLS model gets).
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main as cli_main

TABLET = Path(__file__).resolve().parents[1] / "data" / "tablet"
SPEC = [{"branch": [
    [{"class": "PLSRegression", "params": {"n_components": 10, "scale": False}}],
    ["SNV", {"class": "Ridge", "params": {"alpha": 1.0}}],
]}]


def _lines(name: str) -> list[str]:
    return (TABLET / name).read_text().splitlines()


def _write(folder: Path, header: str, spectra: list[str], y: list[str] | None = None) -> Path:
    folder.mkdir()
    (folder / "X.csv").write_text("\n".join([header, *spectra]) + "\n")
    if y is not None:
        (folder / "y.csv").write_text("\n".join(["api_mg", *y]) + "\n")
    return folder


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("tablet_flags")
    x1, x2, y = _lines("X.csv"), _lines("X_instrument2.csv"), _lines("y.csv")
    split = _lines("split.csv")[1:]
    cal = [i for i, s in enumerate(split) if s == "cal"]
    test = [i for i, s in enumerate(split) if s == "test"]
    data = {"cal": _write(root / "cal", x1[0], [x1[i + 1] for i in cal], [y[i + 1] for i in cal]),
            "inst1": _write(root / "inst1", x1[0], [x1[i + 1] for i in test]),
            "inst2": _write(root / "inst2", x2[0], [x2[i + 1] for i in test])}
    spec = root / "spec.json"
    spec.write_text(json.dumps(SPEC))
    path = root / "tablet.nirdesk"
    assert cli_main(["run", str(spec), "--data", str(data["cal"]), "--save", str(path),
                     "--out", str(root / "results.json"), "--verbose", "0"]) == 0
    return root, path, data


def _predict(root: Path, path: Path, data: Path, branch: int, capsys) -> list[dict[str, str]]:
    out = root / f"{data.name}-{branch}.csv"
    assert cli_main(["predict", str(path), "--data", str(data), "--branch", str(branch),
                     "--out", str(out)]) == 0
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    flagged = sum(1 for r in rows if r["flag"])
    assert (f"{flagged} of {len(rows)} spectra flagged outside the model"
            in capsys.readouterr().out)
    return rows


@pytest.mark.parametrize("branch", [1, 2])
def test_instrument_2_is_flagged_instrument_1_is_not(project, branch, capsys):
    root, path, data = project
    inst1 = _predict(root, path, data["inst1"], branch, capsys)
    inst2 = _predict(root, path, data["inst2"], branch, capsys)
    assert len(inst1) == len(inst2) == 212
    frac1 = np.mean([bool(r["flag"]) for r in inst1])
    frac2 = np.mean([bool(r["flag"]) for r in inst2])
    frac2_q = np.mean(["Q>99%" in r["flag"] for r in inst2])
    print(f"branch {branch}: flagged instrument 1 test {frac1:.1%}, instrument 2 {frac2:.1%} "
          f"(Q {frac2_q:.1%})")
    assert frac1 <= 0.10
    assert frac2 >= 0.9 and frac2_q >= 0.9


def test_a_spike_or_an_offset_is_flagged(project, tmp_path, capsys):
    root, path, data = project
    header, *spectra = (data["inst1"] / "X.csv").read_text().splitlines()
    inside = [i for i, r in enumerate(_predict(root, path, data["inst1"], 1, capsys))
              if not r["flag"]][:6]
    X = np.array([[float(v) for v in spectra[i].split(",")] for i in inside])
    X[:3, 300] += 0.3 * X[:3].std(axis=1)   # one channel spiked by 0.3 sd of its spectrum
    X[3:] += 0.3                             # a baseline offset of 0.3 absorbance
    altered = _write(tmp_path / "altered", header, [",".join(repr(float(v)) for v in x) for x in X])
    rows = _predict(tmp_path, path, altered, 1, capsys)
    assert all(r["flag"] for r in rows), [r["flag"] for r in rows]


def test_the_run_lists_its_calibration_outliers(project):
    root, _, _ = project
    doc = json.loads((root / "results.json").read_text())
    for branch in doc["branches"]:
        assert branch["status"] == "ok" and isinstance(branch["outliers"], list)
        assert len(branch["outliers"]) < 0.15 * doc["dataset"]["n_train"]
        assert all(o["limit"] in ("T2>99%", "Q>99%", "T2>99%; Q>99%")
                   for o in branch["outliers"])
