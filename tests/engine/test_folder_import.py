"""Spectrum folders: one file per sample (JCAMP-DX, SPC) + a reference sheet.

The acceptance test of issue 15: tecator written as per-sample files with a few unmatched
entries on both sides is reported as such, the rest loads, and `nirdesk run` gives the same
RMSECV as the CSV layout of the same samples. Files are written with tests/formats_writers.py
(independent of the engine's readers)."""
from __future__ import annotations

import csv
import json
import threading

import numpy as np
import pytest

from engine.cli import main as cli_main
from engine.errors import Cancelled, InputError
from engine.io import load_data, load_dataset
from engine.io.folder import load_folder_import, plan_folder_import
from engine.store import Project
from tests.formats_writers import spc_values, write_jcamp, write_spc

PLS = {"name": "pls", "steps": [{"class": "PLSRegression",
                                 "params": {"n_components": 8, "scale": False}}]}
PICK = slice(0, None, 4)  # every 4th tecator sample (54, 11 of them in the test part): fast
MISSING = {"t005", "t017", "t040"}


@pytest.fixture(scope="module")
def tecator(tecator_dir):
    ds = load_dataset(tecator_dir)
    return ds.X[PICK], ds.wavelengths, {k: v[PICK] for k, v in ds.targets.items()}, \
        ds.test_mask[PICK]


def _sheet(path, ids, targets, test_mask, extra_rows=()):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["sample", *targets, "split"])
        for i, sid in enumerate(ids):
            w.writerow([sid, *(repr(float(v[i])) for v in targets.values()),
                        "test" if test_mask[i] else "train"])
        for row in extra_rows:
            w.writerow(row)
    return path


def _single_csv(path, ids, axis, X, targets, test_mask):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["sample_id", "split", *(repr(float(a)) for a in axis), *targets])
        for i, sid in enumerate(ids):
            w.writerow([sid, "test" if test_mask[i] else "train", *(repr(float(v)) for v in X[i]),
                        *(repr(float(v[i])) for v in targets.values())])
    return path


def _write_folder(folder, fmt, X, axis):
    folder.mkdir()
    ids = [f"t{i:03d}" for i in range(X.shape[0])]
    for sid, row in zip(ids, X, strict=True):
        if sid in MISSING:
            continue
        if fmt == "jdx":
            write_jcamp(folder / f"{sid}.jdx", axis, row)
        else:
            write_spc(folder / f"{sid}.spc", axis, row)
    # two files nobody referenced
    write_jcamp(folder / "blank.jdx", axis, X[0])
    write_spc(folder / "stray.spc", axis, X[1])
    return ids


@pytest.mark.parametrize("fmt", ["jdx", "spc"])
def test_tecator_folder_reports_unmatched_and_runs_like_the_csv_layout(tecator, tmp_path, fmt,
                                                                      capsys):
    X, axis, targets, test_mask = tecator
    folder = tmp_path / "spectra"
    ids = _write_folder(folder, fmt, X, axis)
    sheet = _sheet(tmp_path / "ref.csv", ids, targets, test_mask,
                   extra_rows=[["ghost1", "1", "2", "3", "train"],
                               ["ghost2", "1", "2", "3", "train"]])
    plan = plan_folder_import(folder, sheet)
    assert plan.n_matched == X.shape[0] - len(MISSING) and test_mask.sum() > 5
    assert sorted(p.name for p in plan.unmatched_files) == ["blank.jdx", "stray.spc"]
    assert sorted(plan.unmatched_ids) == sorted(MISSING | {"ghost1", "ghost2"})
    assert plan.id_column == "sample" and not plan.replicates

    done: list[tuple[int, int]] = []
    imported = load_folder_import(plan, progress=lambda a, b: done.append((a, b)))
    ds = imported.dataset
    keep = [i for i, sid in enumerate(ids) if sid not in MISSING]
    expected = X[keep] if fmt == "jdx" else spc_values(X[keep])
    np.testing.assert_array_equal(ds.X, expected)
    np.testing.assert_allclose(ds.wavelengths, axis, atol=0.01)  # JCAMP/SPC: an even axis
    assert ds.units == "nm" and not imported.refused
    assert list(ds.sample_ids) == [ids[i] for i in keep]
    np.testing.assert_array_equal(ds.test_mask, test_mask[keep])
    np.testing.assert_array_equal(ds.targets["fat"], targets["fat"][keep])
    assert done[-1] == (plan.n_matched, plan.n_matched) and len(done) == plan.n_matched

    # the same samples as one CSV: the same RMSECV from `nirdesk run`
    layout = _single_csv(tmp_path / "same.csv", [ids[i] for i in keep], ds.wavelengths,
                         expected, {k: v[keep] for k, v in targets.items()}, test_mask[keep])
    spec = tmp_path / "pls.json"
    spec.write_text(json.dumps(PLS))
    out_folder, out_csv = tmp_path / "folder.json", tmp_path / "csv.json"
    assert cli_main(["run", str(spec), "--data", str(folder), "--reference", str(sheet),
                     "--target", "fat", "--out", str(out_folder), "--verbose", "0"]) == 0
    assert cli_main(["run", str(spec), "--data", str(layout), "--target", "fat",
                     "--out", str(out_csv), "--verbose", "0"]) == 0
    a = json.loads(out_folder.read_text())["branches"][0]["metrics"]
    b = json.loads(out_csv.read_text())["branches"][0]["metrics"]
    assert a["cv"]["rmse"] == pytest.approx(b["cv"]["rmse"], abs=1e-9)
    assert a["test"]["rmse"] == pytest.approx(b["test"]["rmse"], abs=1e-9)

    # nirdesk info describes the import: matched and unmatched on both sides
    capsys.readouterr()
    assert cli_main(["info", str(folder), "--reference", str(sheet)]) == 0
    info = capsys.readouterr().out
    assert f"matched      {plan.n_matched} of {plan.n_matched + 2} files" in info
    assert "blank.jdx" in info and "stray.spc" in info and "ghost1" in info and "t017" in info
    assert "nm" in info


def _small(tmp_path, names, axis=None, refs=None):
    """A folder of JCAMP files named ``names`` (spectrum i = i + a ramp) and a sheet."""
    axis = np.linspace(1000.0, 1100.0, 11) if axis is None else axis
    folder = tmp_path / "small"
    folder.mkdir(exist_ok=True)
    for i, name in enumerate(names):
        write_jcamp(folder / f"{name}.jdx", axis, i + np.linspace(0, 1, axis.size))
    refs = refs if refs is not None else sorted({n.split("_")[0] for n in names})
    sheet = tmp_path / "ref.csv"
    sheet.write_text("id,value\n" + "".join(f"{r},{k + 0.5}\n" for k, r in enumerate(refs)))
    return folder, sheet


def test_replicates_kept_as_one_group_or_averaged(tmp_path):
    names = ["a_1", "a_2", "b_1", "b_2", "b_3", "c", "d_1", "d_2", "e", "f"]
    folder, sheet = _small(tmp_path, names)
    plan = plan_folder_import(folder, sheet)
    assert {k: len(v) for k, v in plan.replicates.items()} == {"a": 2, "b": 3, "d": 2}
    kept = load_folder_import(plan).dataset
    assert kept.n_samples == 10 and list(kept.sample_ids[:2]) == ["a_1", "a_2"]
    assert list(kept.groups) == ["a", "a", "b", "b", "b", "c", "d", "d", "e", "f"]
    np.testing.assert_array_equal(kept.targets["value"][:5], [0.5, 0.5, 1.5, 1.5, 1.5])

    from engine.pipeline import parse_pipeline
    from engine.run import make_folds

    branch = parse_pipeline([{"class": "GroupKFold", "params": {"n_splits": 3}},
                             "PLSRegression"]).branches[0]
    for train, val in make_folds(branch, kept, seed=0):
        assert not set(kept.groups[train]) & set(kept.groups[val])

    averaged = load_folder_import(plan, replicates="average").dataset
    assert list(averaged.sample_ids) == ["a", "b", "c", "d", "e", "f"]
    np.testing.assert_allclose(averaged.X[1], kept.X[2:5].mean(axis=0))
    assert any("averaged" in n for n in averaged.metadata["notes"])


def test_a_refused_file_is_listed_and_the_rest_load(tmp_path):
    folder, sheet = _small(tmp_path, ["a", "b", "c", "d"])
    (folder / "c.jdx").write_text("##TITLE=broken\n##XYDATA=(X++(Y..Y))\nnot numbers\n")
    imported = load_folder_import(plan_folder_import(folder, sheet))
    assert list(imported.dataset.sample_ids) == ["a", "b", "d"]
    [refused] = imported.refused
    assert refused.file.name == "c.jdx" and refused.reason and "\n" not in refused.reason
    assert imported.dataset.metadata["refused"][0]["file"].endswith("c.jdx")


def test_axes_that_differ_are_refused_naming_both_ranges_or_put_on_the_overlap(tmp_path):
    folder, sheet = _small(tmp_path, ["a", "b", "c"])
    shifted = np.linspace(1004.0, 1104.0, 11)
    write_jcamp(folder / "c.jdx", shifted, np.linspace(0, 1, 11) * 3)
    plain = load_folder_import(plan_folder_import(folder, sheet))
    [refused] = plain.refused
    assert "1004..1104" in refused.reason and "1000..1100" in refused.reason
    common = load_folder_import(plan_folder_import(folder, sheet), common_axis=True).dataset
    assert common.n_samples == 3 and common.wavelengths[0] == 1010.0
    assert common.wavelengths[-1] == 1100.0
    np.testing.assert_allclose(common.X[2], np.interp(common.wavelengths, shifted,
                                                      np.linspace(0, 1, 11) * 3))
    assert any("interpolated" in n for n in common.metadata["notes"])


def test_a_descending_axis_comes_back_ascending(tmp_path):
    axis = np.linspace(1100.0, 1000.0, 11)
    folder, sheet = _small(tmp_path, ["a", "b"], axis=axis)
    ds = load_folder_import(plan_folder_import(folder, sheet)).dataset
    np.testing.assert_array_equal(ds.wavelengths, axis[::-1])
    np.testing.assert_allclose(ds.X[0], np.linspace(0, 1, 11)[::-1])


def test_cancel_returns_nothing(tmp_path):
    folder, sheet = _small(tmp_path, [f"s{i}" for i in range(8)])
    plan = plan_folder_import(folder, sheet)
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done == 3:
            cancel.set()

    with pytest.raises(Cancelled):
        load_folder_import(plan, cancel=cancel, progress=progress)


def test_units_and_groups_are_kept_in_the_project(tmp_path):
    folder, sheet = _small(tmp_path, ["a_1", "a_2", "b_1", "b_2", "c", "d", "e", "f"])
    ds = load_data(folder, reference=sheet)
    with Project.create(tmp_path / "p.nirdesk") as project:
        again = project.load_dataset(project.save_dataset(ds))
    assert again.units == "nm"
    np.testing.assert_array_equal(again.groups, ds.groups)


def test_bad_input_exits_2_with_one_line(tmp_path, capsys):
    folder, sheet = _small(tmp_path, ["a", "b"])
    spec = tmp_path / "pls.json"
    spec.write_text(json.dumps(PLS))
    cases = [["run", str(spec), "--data", str(folder)],                      # no --reference
             ["run", str(spec), "--data", str(folder), "--reference", str(sheet),
              "--id-column", "nope"],
             ["info", str(folder), "--reference", str(tmp_path / "missing.csv")]]
    for argv in cases:
        assert cli_main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, err
    with pytest.raises(InputError, match="no spectrum file matches"):
        load_data(folder, reference=_sheet_of(tmp_path, ["x", "y"]))


def _sheet_of(tmp_path, ids):
    path = tmp_path / "other.csv"
    path.write_text("id,v\n" + "".join(f"{i},1\n" for i in ids))
    return path


def test_info_describes_one_instrument_file(tmp_path, capsys):
    axis = np.linspace(4000.0, 10000.0, 50)
    path = write_spc(tmp_path / "two.spc", axis, np.vstack([np.linspace(0, 1, 50)] * 2),
                     x_type=1)
    assert cli_main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "2 samples x 50 wavelengths" in out and "4000 .. 10000 cm-1" in out


def test_a_model_trained_on_a_descending_axis_still_predicts_sorted_data(tecator_dir):
    """Projects saved before axes were sorted hold models on a descending axis."""
    from engine.predict import align_wavelengths

    ds = load_dataset(tecator_dir)
    X, resampled = align_wavelengths(ds, ds.wavelengths[::-1], resample=False)
    assert not resampled
    np.testing.assert_array_equal(X, ds.X[:, ::-1])


def test_an_xlsx_sheet_beside_the_spectra_is_the_reference_not_a_spectrum(tmp_path):
    import openpyxl

    folder, _ = _small(tmp_path, ["a", "b", "c"])
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["id", "value"], ["a", 1.5], ["b", 2.5], ["c", 3.5], ["d", 4.5]):
        sheet.append(row)
    book.save(folder / "ref.xlsx")
    book.save(folder / "other.xlsx")  # another workbook in the folder is no spectrum either
    plan = plan_folder_import(folder, folder / "ref.xlsx")
    assert plan.n_matched == 3 and plan.unmatched_files == [] and plan.unmatched_ids == ["d"]
    ds = load_folder_import(plan).dataset
    np.testing.assert_array_equal(ds.targets["value"], [1.5, 2.5, 3.5])


def test_a_replicate_column_groups_files_of_one_sample(tmp_path, capsys):
    """One sheet row per file (scan ids) and a column naming the sample they belong to."""
    folder, _ = _small(tmp_path, ["scan1", "scan2", "scan3", "scan4", "scan5", "scan6"])
    sheet = tmp_path / "scans.csv"
    sheet.write_text("scan,sample,value\nscan1,A,1\nscan2,A,1\nscan3,B,2\nscan4,B,2\n"
                     "scan5,C,3\nscan6,D,4\n")
    kept = load_data(folder, reference=sheet, group_column="sample")
    assert list(kept.groups) == ["A", "A", "B", "B", "C", "D"]
    assert "sample" not in kept.targets and list(kept.targets) == ["value"]
    averaged = load_data(folder, reference=sheet, group_column="sample", replicates="average")
    assert list(averaged.sample_ids) == ["A", "B", "C", "D"]
    np.testing.assert_allclose(averaged.X[0], kept.X[:2].mean(axis=0))
    assert cli_main(["info", str(folder), "--reference", str(sheet), "--group-column", "sample",
                     "--replicates", "average"]) == 0
    assert "4 samples x 11 wavelengths" in capsys.readouterr().out
