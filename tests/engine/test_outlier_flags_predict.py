"""Predictions carry T2, Q, leverage and a flag per spectrum, computed against the saved
model's calibration; models saved before nirdesk kept diagnostics still predict, with a note.

The reference statistics are written here from the formulas (a numpy SNV, the fitted PLS's
rotations and loadings, the calibration score variances), not taken from engine.diagnostics.
"""
from __future__ import annotations

import csv
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main as cli_main
from engine.dataset import SpectralDataset
from engine.predict import NO_DIAGNOSTICS_NOTE, predict
from engine.run import run
from engine.store import Project

DATA = Path(__file__).resolve().parents[1] / "data"
SPEC = [{"branch": [
    ["SNV", {"class": "PLSRegression", "params": {"n_components": 4, "scale": False}}],
    ["SNV", {"class": "Ridge", "params": {"alpha": 0.01}}],
], "n_jobs": 1}]


def _snv(X: np.ndarray) -> np.ndarray:
    return (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)


def _spectra(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    wl = np.linspace(1100, 2300, 60)
    conc = rng.uniform(0, 1, size=(n, 3))
    bands = np.stack([np.exp(-((wl - c) / 70) ** 2) for c in (1300, 1650, 2000)])
    X = conc @ bands + 0.5 + rng.normal(0, 0.002, (n, wl.size))
    return wl, X, 4 * conc[:, 0] + conc[:, 1]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    wl, X, y = _spectra(80, seed=1)
    ds = SpectralDataset(X=X, wavelengths=wl, targets={"y": y},
                         sample_ids=np.array([f"c{i}" for i in range(80)]),
                         test_mask=np.zeros(80, bool))
    result = run(SPEC, ds, verbose=0, parallel_branches=1)
    path = tmp_path_factory.mktemp("flags") / "m.nirdesk"
    with Project.create(path) as project:
        project.record_run(result, ds, SPEC)
    return path, ds, result


def _new(n: int = 30) -> SpectralDataset:
    wl, X, y = _spectra(n, seed=2)
    X[3, 25] += 0.2                            # a spike
    X[7] += 0.02 * np.linspace(-1, 1, wl.size)  # a tilted baseline (an SNV offset is invisible)
    return SpectralDataset(X=X, wavelengths=wl, targets={"y": y},
                           sample_ids=np.array([f"n{i}" for i in range(n)]),
                           test_mask=np.zeros(n, bool))


def test_pls_statistics_of_new_spectra_match_the_formulas(saved):
    path, ds, result = saved
    new = _new()
    got = predict(path, new, branch=1)
    pls = result.branch(1).model[-1]
    cal = (_snv(ds.X) - pls._x_mean) @ pls.x_rotations_
    var = cal.var(axis=0, ddof=1)
    zs = _snv(new.X) - pls._x_mean
    t = zs @ pls.x_rotations_
    t2 = np.sum(t**2 / var, axis=1)
    q = np.sum((zs - t @ pls.x_loadings_.T) ** 2, axis=1)
    np.testing.assert_allclose(got.t2, t2, rtol=1e-9)
    np.testing.assert_allclose(got.q, q, rtol=1e-9)
    np.testing.assert_allclose(got.leverage, 1 / 80 + t2 / 79, rtol=1e-9)
    latent = got.diagnostics
    for i, flag in enumerate(got.flags):
        broken = ["T2>99%"] * bool(t2[i] > latent.t2_limit(0.99)) \
            + ["Q>99%"] * bool(q[i] > latent.q_limit(0.99))
        assert flag == "; ".join(broken)
    assert "Q>99%" in got.flags[3] and "Q>99%" in got.flags[7]
    q_lim = latent.q_limit(0.99)
    assert q[3] > 5 * q_lim and q[7] > 5 * q_lim  # far outside, where the rest lie inside
    assert np.median(np.delete(q, [3, 7])) < q_lim
    assert got.n_flagged == sum(map(bool, got.flags)) and got.notes == []


@pytest.mark.parametrize("branch", [1, 2])
def test_the_csv_has_the_statistics_and_the_flag(saved, tmp_path, branch, capsys):
    path, _, _ = saved
    new = _new()
    folder = tmp_path / "new"
    folder.mkdir()
    lines = ["sample_id," + ",".join(repr(float(w)) for w in new.wavelengths)]
    lines += [f"{i}," + ",".join(repr(float(v)) for v in row)
              for i, row in zip(new.sample_ids, new.X, strict=True)]
    (folder / "X.csv").write_text("\n".join(lines) + "\n")
    out = tmp_path / "p.csv"
    assert cli_main(["predict", str(path), "--data", str(folder), "--branch", str(branch),
                     "--out", str(out)]) == 0
    expected = predict(path, new, branch=branch)
    with open(out, newline="") as fh:
        header, *rows = list(csv.reader(fh))
    assert header == ["sample_id", "prediction", "t2", "q", "leverage", "flag"]
    for column, values in (("t2", expected.t2), ("q", expected.q),
                           ("leverage", expected.leverage)):
        k = header.index(column)
        np.testing.assert_allclose([float(r[k]) for r in rows], values, rtol=1e-12)
    assert [r[-1] for r in rows] == expected.flags
    assert rows[3][-1] and rows[7][-1] and "" in [r[-1] for r in rows]
    text = capsys.readouterr().out
    assert (f"{expected.n_flagged} of 30 spectra flagged outside the model (T2 or Q above its "
            "99% limit; see the flag column)") in text


def test_an_old_project_predicts_with_a_note_and_no_flags(tmp_path, capsys):
    old = tmp_path / "old.nirdesk"
    shutil.copyfile(DATA / "project_v1.nirdesk", old)
    with Project.open(old, readonly=True) as project:
        ds = project.load_dataset(1)
    result = predict(old, ds)
    assert result.notes == [NO_DIAGNOSTICS_NOTE]
    assert result.t2 is None and result.q is None and result.leverage is None
    assert result.flags is None and result.n_flagged is None
    out = tmp_path / "old.csv"
    result.write_csv(out)
    with open(out, newline="") as fh:
        header, *rows = list(csv.reader(fh))
    assert header[-4:] == ["t2", "q", "leverage", "flag"]
    assert all(r[-4:] == ["", "", "", ""] for r in rows) and len(rows) == 60
    # the CLI says so and prints no flagged count
    folder = tmp_path / "d"
    folder.mkdir()
    lines = ["sample_id," + ",".join(repr(float(w)) for w in ds.wavelengths)]
    lines += [f"{i}," + ",".join(repr(float(v)) for v in row)
              for i, row in zip(ds.sample_ids, ds.X, strict=True)]
    (folder / "X.csv").write_text("\n".join(lines) + "\n")
    assert cli_main(["predict", str(old), "--data", str(folder), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "saved before nirdesk kept diagnostics: no outlier flags" in text
    assert "flagged" not in text


def test_damaged_diagnostics_still_predict_with_a_note(saved, tmp_path):
    path, _, _ = saved
    copy = tmp_path / "damaged.nirdesk"
    shutil.copyfile(path, copy)
    conn = sqlite3.connect(copy)
    with conn:
        conn.execute("UPDATE branch_diagnostics SET sha256 = 'x' WHERE branch_id = 1")
    conn.close()
    new = _new()
    result = predict(copy, new, branch=1)
    np.testing.assert_array_equal(result.predictions, predict(path, new, branch=1).predictions)
    assert result.flags is None and len(result.notes) == 1
    assert "no outlier flags" in result.notes[0] and "run 1, branch 1" in result.notes[0]
    assert "checksum" in result.notes[0]
