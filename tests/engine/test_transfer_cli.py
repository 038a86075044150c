"""`nirdesk transfer` end to end on the tablet shootout: run on instrument 1, transfer with
PDS/DS/SBC, then `nirdesk predict NEW --data INSTRUMENT2` applies transfer + model; and the
one-line refusals (exit 2, nothing written)."""
from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main
from engine.store import Project

TABLET = Path(__file__).resolve().parents[1] / "data" / "tablet"


def _copy_instrument(folder: Path, x_name: str) -> Path:
    folder.mkdir()
    shutil.copy(TABLET / x_name, folder / "X.csv")
    for name in ("y.csv", "split.csv"):
        shutil.copy(TABLET / name, folder / name)
    return folder


def _with_ids(folder: Path, source: Path, ids: list[str], rows: np.ndarray) -> Path:
    """A dataset folder whose X.csv has a sample-id column (the chosen rows of ``source``)."""
    folder.mkdir()
    lines = (source / "X.csv").read_text().splitlines()
    y = (source / "y.csv").read_text().splitlines()
    with open(folder / "X.csv", "w") as fh:
        fh.write("sample_id," + lines[0] + "\n")
        for sid, r in zip(ids, rows, strict=True):
            fh.write(f"{sid},{lines[r + 1]}\n")
    with open(folder / "y.csv", "w") as fh:
        fh.write(y[0] + "\n" + "\n".join(y[r + 1] for r in rows) + "\n")
    return folder


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("transfer")
    primary = _copy_instrument(root / "inst1", "X.csv")
    secondary = _copy_instrument(root / "inst2", "X_instrument2.csv")
    pipeline = root / "pls.json"
    pipeline.write_text(json.dumps([{"class": "PLSRegression", "params": {"n_components": 10}}]))
    project = root / "model.nirdesk"
    assert main(["run", str(pipeline), "--data", str(primary), "--save", str(project),
                 "--verbose", "0"]) == 0
    return {"root": root, "primary": primary, "secondary": secondary, "project": project}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _predict(project: Path, data: Path, out: Path) -> tuple[np.ndarray, float]:
    assert main(["predict", str(project), "--data", str(data), "--out", str(out),
                 "--verbose", "0"]) == 0
    with open(out) as fh:
        rows = list(csv.DictReader(fh))
    pred = np.array([float(r["prediction"]) for r in rows])
    ref = np.array([float(r["reference"]) for r in rows])
    test = np.arange(400, 612)  # split.csv's test rows
    return pred, float(np.sqrt(np.mean((pred[test] - ref[test]) ** 2)))


def test_transfer_then_predict_applies_transfer_and_model(setup, capsys) -> None:
    root, new = setup["root"], setup["root"] / "pds.nirdesk"
    before = _digest(setup["project"])
    code = main(["transfer", str(setup["project"]), "--primary", str(setup["primary"]),
                 "--secondary", str(setup["secondary"]), "--method", "pds", "--window", "5",
                 "--standards", "20", "--save", str(new)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "untransferred: RMSEP" in out and "with PDS: RMSEP" in out
    assert _digest(setup["project"]) == before          # the source project is untouched
    _, rmsep_raw = _predict(setup["project"], setup["secondary"], root / "p0.csv")
    pred, rmsep_pds = _predict(new, setup["secondary"], root / "p1.csv")
    assert rmsep_pds < 0.5 * rmsep_raw
    # the saved model is what the engine fitted: same standards, same predictions
    from engine.io import load_data
    from engine.transfer.fit import fit_transfer
    from engine.transfer.pairing import pair_datasets
    from engine.transfer.standards import choose_standards

    with Project.open(setup["project"], readonly=True) as proj:
        model = proj.load_model(1, 1)
    tset = pair_datasets(load_data(setup["primary"]), load_data(setup["secondary"]), "api_mg")
    expected = fit_transfer(model, tset, "pds", choose_standards(tset, 20), window=5)
    np.testing.assert_allclose(pred, expected.predictions_after, rtol=1e-9)
    with Project.open(new, readonly=True) as proj:
        runs = proj.runs()
        assert [r.id for r in runs] == [1, 2]
        info = proj.load_run(2).results["branches"][0]
    assert info["transfer"]["method"] == "pds" and info["transfer"]["n_standards"] == 20
    assert info["transfer"]["after"]["rmse"] == pytest.approx(expected.after["rmse"])
    assert "PDS (window 5, 20 standards)" in info["name"]


@pytest.mark.parametrize("method", ["ds", "sbc"])
def test_ds_and_sbc_through_the_cli(setup, method, capsys) -> None:
    new = setup["root"] / f"{method}.nirdesk"
    assert main(["transfer", str(setup["project"]), "--primary", str(setup["primary"]),
                 "--secondary", str(setup["secondary"]), "--method", method,
                 "--standards", "30", "--save", str(new), "--verbose", "0"]) == 0
    _, raw = _predict(setup["project"], setup["secondary"], setup["root"] / f"{method}0.csv")
    _, moved = _predict(new, setup["secondary"], setup["root"] / f"{method}1.csv")
    assert moved < 0.6 * raw


def _refused(setup, capsys, *args: str) -> str:
    new = setup["root"] / "refused.nirdesk"
    code = main(["transfer", str(setup["project"]), *args, "--save", str(new)])
    err = capsys.readouterr().err
    assert code == 2
    assert not new.exists()
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_unpaired_ids_are_refused_in_one_line(setup, capsys) -> None:
    rows = np.arange(40)
    ids = [f"T{r:03d}" for r in rows]
    p = _with_ids(setup["root"] / "ids1", setup["primary"], ids, rows)
    s = _with_ids(setup["root"] / "ids2", setup["secondary"], ids[:38] + ["X1", "X2"], rows)
    line = _refused(setup, capsys, "--primary", str(p), "--secondary", str(s), "--method", "ds")
    assert "X1" in line and "X2" in line and str(s) in line


def test_mismatched_axes_are_refused_in_one_line(setup, capsys) -> None:
    folder = setup["root"] / "cropped"
    folder.mkdir()
    with open(setup["secondary"] / "X.csv") as src, open(folder / "X.csv", "w") as dst:
        for line in src:
            dst.write(",".join(line.rstrip("\n").split(",")[:-10]) + "\n")
    line = _refused(setup, capsys, "--primary", str(setup["primary"]), "--secondary",
                    str(folder), "--method", "pds")
    assert "587 wavelengths 600..1772" in line and "597 wavelengths 600..1792" in line
    assert str(folder) in line


def _candidates(folder: Path) -> int:
    """Rows that may be standards: neither test rows of split.csv nor excluded."""
    from engine.io import load_data

    ds = load_data(folder)
    return int((~ds.test_mask & ~ds.excluded).sum())


@pytest.mark.parametrize(("args", "words"), [
    (["--method", "pds", "--window", "4"], "odd"),
    (["--method", "ds", "--standards", "1000"], "between 2 and {n}"),
    (["--method", "ds", "--branch", "7"], "no branch 7"),
])
def test_bad_settings_are_refused_in_one_line(setup, capsys, args, words) -> None:
    words = words.format(n=_candidates(setup["primary"]))
    line = _refused(setup, capsys, "--primary", str(setup["primary"]), "--secondary",
                    str(setup["secondary"]), *args)
    assert words in line
