"""The binary dataset layouts (one .npz, a folder of .npy files; engine.io.binary) and the
progress/cancel of a load (engine.io.meter): what is read equals what numpy wrote, every
refusal names the file and the array (and the row and column where one applies), an object
array is refused without being unpickled, and a load reports progress up to its total and
stops with Cancelled when asked."""
from __future__ import annotations

import io
import json
import pickle
import re
import threading
import zipfile
from pathlib import Path

import numpy as np
import numpy.lib.format as npformat
import pytest

from engine.errors import Cancelled, InputError
from engine.io import (
    LAYOUT_NPY_FOLDER,
    LAYOUT_NPZ,
    detect_layout,
    load_data,
    load_dataset,
    resolve_dataset_path,
)

N, P = 40, 25


def _arrays(seed: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"X": rng.normal(1.0, 0.3, (N, P)),
            "wavelengths": np.linspace(1100.0, 2500.0, P),
            "y_protein": rng.uniform(5, 20, N),
            "y_grade": np.array(["low", "mid", "high", "mid"] * (N // 4)),
            "sample_ids": np.array([f"s{i:03d}" for i in range(N)]),
            "split": np.array(["train"] * 30 + ["test"] * 6 + ["trans"] * 4),
            "groups": np.arange(N) // 2}


def _npz(path: Path, compressed: bool = False, **arrays: np.ndarray) -> Path:
    (np.savez_compressed if compressed else np.savez)(path, **arrays)
    return path


# -- round trips ---------------------------------------------------------------------------
@pytest.mark.parametrize("compressed", [False, True])
def test_npz_round_trip_equals_the_arrays_written(tmp_path, compressed):
    a = _arrays()
    path = _npz(tmp_path / "set.npz", compressed, units=np.array("cm-1"), **a)
    assert detect_layout(path) == LAYOUT_NPZ
    ds = load_dataset(path)
    np.testing.assert_array_equal(ds.X, a["X"])
    assert ds.X.dtype == np.float64 and ds.X.flags.c_contiguous and ds.X.flags.writeable
    np.testing.assert_array_equal(ds.wavelengths, a["wavelengths"])
    assert ds.target_names == ["protein", "grade"]
    np.testing.assert_array_equal(ds.targets["protein"], a["y_protein"])
    np.testing.assert_array_equal(ds.targets["grade"], a["y_grade"])
    assert ds.task("grade") == "classification"
    np.testing.assert_array_equal(ds.sample_ids, a["sample_ids"])
    np.testing.assert_array_equal(ds.groups, a["groups"].astype(str))
    np.testing.assert_array_equal(ds.test_mask, a["split"] == "test")
    np.testing.assert_array_equal(ds.excluded, a["split"] == "trans")
    assert (ds.n_train, ds.n_test, ds.units) == (30, 6, "cm-1")
    assert ds.metadata["layout"] == "npz" and ds.metadata["partition_other"] == {
        "trans": list(range(36, 40))}
    assert any("'trans'" in note and "--split-map" in note for note in ds.metadata["notes"])


def test_one_target_named_y_and_no_optional_arrays(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.random((N, P)), rng.random(N)
    ds = load_dataset(_npz(tmp_path / "min.npz", X=X, y=y, notes=np.zeros(2)))
    assert ds.target_names == ["y"]
    np.testing.assert_array_equal(ds.y, y)
    np.testing.assert_array_equal(ds.wavelengths, np.arange(1, P + 1))
    assert ds.metadata["wavelengths_unknown"] and ds.groups is None
    np.testing.assert_array_equal(ds.sample_ids, np.arange(1, N + 1).astype(str))
    assert ds.n_test == 0 and ds.units == ""
    notes = " ".join(ds.metadata["notes"])
    assert "wavelengths unknown" in notes and "arrays not read: notes" in notes


def test_split_map_gives_the_other_labels_a_role(tmp_path):
    path = _npz(tmp_path / "set.npz", **_arrays())
    ds = load_dataset(path, split_map={"trans": "train"})
    assert (ds.n_train, ds.n_test, ds.n_excluded) == (34, 6, 0)
    ds = load_data(path, split_map={"trans": "test"})
    assert (ds.n_train, ds.n_test) == (30, 10)
    with pytest.raises(InputError, match="no rows are labelled 'val2'") as info:
        load_dataset(path, split_map={"val2": "train"})
    assert info.value.file == str(path)


def test_npy_folder_with_csv_targets_and_split(tmp_path):
    a = _arrays()
    folder = tmp_path / "arrays"
    folder.mkdir()
    np.save(folder / "X.npy", a["X"].astype(np.float32))            # another dtype: converted
    np.save(folder / "wavelengths.npy", a["wavelengths"][::-1])     # descending: sorted
    values = "\n".join(repr(v) for v in a["y_protein"].tolist())
    (folder / "y.csv").write_text("protein\n" + values)
    (folder / "split.csv").write_text("split\n" + "\n".join(a["split"]))
    assert detect_layout(folder) == LAYOUT_NPY_FOLDER
    assert resolve_dataset_path(folder / "X.npy") == folder
    ds = load_data(resolve_dataset_path(folder / "X.npy"))
    np.testing.assert_array_equal(ds.X, a["X"].astype(np.float32).astype(np.float64)[:, ::-1])
    np.testing.assert_array_equal(ds.wavelengths, a["wavelengths"])
    np.testing.assert_array_equal(ds.targets["protein"], a["y_protein"])
    assert (ds.n_train, ds.n_test, ds.n_excluded) == (30, 6, 4)
    assert ds.metadata["split_file"] == str(folder / "split.csv")
    assert ds.metadata["layout"] == "npy-folder"


def test_npy_folder_of_arrays_only_and_fortran_order(tmp_path):
    a = _arrays()
    folder = tmp_path / "arrays"
    folder.mkdir()
    np.save(folder / "X.npy", np.asfortranarray(a["X"]))
    for name in ("wavelengths", "y_protein", "sample_ids", "split", "groups"):
        np.save(folder / f"{name}.npy", a[name])
    ds = load_dataset(folder, target="protein")
    np.testing.assert_array_equal(ds.X, a["X"])
    assert ds.X.flags.c_contiguous
    np.testing.assert_array_equal(ds.y, a["y_protein"])
    np.testing.assert_array_equal(ds.sample_ids, a["sample_ids"])
    assert ds.n_test == 6


def test_layout_detection_refusals(tmp_path):
    lone = tmp_path / "spectra.npy"
    np.save(lone, np.zeros((2, 2)))
    with pytest.raises(InputError, match=re.escape("a lone .npy file holds one array")) as info:
        load_dataset(lone)
    assert info.value.file == str(lone)
    both = tmp_path / "both"
    both.mkdir()
    np.save(both / "X.npy", np.zeros((2, 2)))
    (both / "X.csv").write_text("1,2\n0,0\n")
    with pytest.raises(InputError, match=re.escape("both X.npy and X.csv")):
        detect_layout(both)


# -- refusals name the file and the array --------------------------------------------------
def _bad(**changes: np.ndarray | None) -> dict[str, np.ndarray]:
    a = _arrays()
    for k, v in changes.items():
        if v is None:
            a.pop(k)
        else:
            a[k] = v
    return a


X0 = _arrays()["X"]
NAN_X = X0.copy()
NAN_X[2, 3] = np.nan
INF_X = X0.copy()
INF_X[5, 0] = -np.inf
BIG_X = X0.copy()
BIG_X[7, 9] = 1e200
WL = _arrays()["wavelengths"]
NAN_Y = _arrays()["y_protein"].copy()
NAN_Y[4] = np.nan
EMPTY_SPLIT = _arrays()["split"].copy()
EMPTY_SPLIT[8] = " "

BAD = {
    "X one-dimensional": (_bad(X=X0[0]), "X", None, None, "has shape (25,); expected 2-D"),
    "X three-dimensional": (_bad(X=X0.reshape(N, 5, 5)), "X", None, None,
                            "expected 2-D"),
    "X text": (_bad(X=X0.astype(str)), "X", None, None, "holds text (<U"),
    "X complex": (_bad(X=X0.astype(complex)), "X", None, None, "holds complex numbers"),
    "X booleans": (_bad(X=X0 > 1), "X", None, None, "holds booleans"),
    "X NaN": (_bad(X=NAN_X), "X", 3, 4, "nan is not a finite number"),
    "X infinity": (_bad(X=INF_X), "X", 6, 1, "-inf is not a finite number"),
    "X too large": (_bad(X=BIG_X), "X", 8, 10, "'1e+200' is too large"),
    "no X": (_bad(X=None), None, None, None, "no array named 'X'"),
    "wavelengths length": (_bad(wavelengths=WL[:-1]), "wavelengths", None, None,
                           "but 'X' has 25 columns"),
    "wavelengths duplicate": (_bad(wavelengths=np.r_[WL[:3], WL[2], WL[4:]]), "wavelengths",
                              None, 4, "has the wavelength"),
    "wavelengths not monotonic": (_bad(wavelengths=np.r_[WL[:10], WL[9] - 1, WL[11:]]),
                                  "wavelengths", None, 11, "is not monotonic"),
    "y length": (_bad(y_protein=np.zeros(N - 1)), "y_protein", None, None,
                 "has 39 values but 'X' has 40 rows"),
    "y two-dimensional": (_bad(y_protein=np.zeros((N, 2))), "y_protein", None, None,
                          "has shape (40, 2)"),
    "y NaN": (_bad(y_protein=NAN_Y), "y_protein", 5, None, "nan is not a finite number"),
    "split numbers": (_bad(split=np.zeros(N)), "split", None, None, "holds numbers"),
    "split empty label": (_bad(split=EMPTY_SPLIT), "split", 9, None, "empty partition label"),
    "ids length": (_bad(sample_ids=np.arange(3)), "sample_ids", None, None, "has 3 values"),
    "units": (_bad(units=np.array("mm")), "units", None, None, "is 'mm'; expected nm or cm-1"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_each_bad_array_is_one_message_naming_file_and_array(tmp_path, case):
    arrays, name, row, column, text = BAD[case]
    path = _npz(tmp_path / "bad.npz", **arrays)
    with pytest.raises(InputError) as info:
        load_data(path)
    exc = info.value
    assert exc.file == str(path) and text in exc.message, str(exc)
    if name is not None:
        assert exc.message.startswith(f"array {name!r}"), str(exc)
    assert (exc.row, exc.column) == (row, column), str(exc)
    if name == "X" and column is not None:
        assert exc.column_name == f"{WL[column - 1]:g}"
    assert "\n" not in str(exc)


def test_npy_folder_messages_name_the_npy_file(tmp_path):
    folder = tmp_path / "arrays"
    folder.mkdir()
    np.save(folder / "X.npy", NAN_X)
    with pytest.raises(InputError) as info:
        load_dataset(folder)
    assert info.value.file == str(folder / "X.npy") and (info.value.row, info.value.column) == (
        3, 4)
    np.save(folder / "X.npy", X0)
    (folder / "y.csv").write_text("fat\n" + "1\n" * (N + 2))
    counts = "y.csv has 42 rows of targets but X has 40 spectra"
    with pytest.raises(InputError, match=re.escape(counts)):
        load_dataset(folder)


def test_damaged_and_foreign_files_are_refused(tmp_path):
    not_zip = tmp_path / "text.npz"
    not_zip.write_text("id,1,2\n")
    with pytest.raises(InputError, match=re.escape("not a valid .npz file")) as info:
        load_dataset(not_zip)
    assert info.value.file == str(not_zip)
    cut = _npz(tmp_path / "cut.npz", **_arrays())
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])
    with pytest.raises(InputError, match=re.escape("cut.npz")):
        load_dataset(cut)
    # a header that claims more data than is stored: refused before any allocation
    lying = tmp_path / "lying.npz"
    member = io.BytesIO()
    npformat.write_array_header_1_0(member, {"descr": "<f8", "fortran_order": False,
                                             "shape": (40_000_000, 2_500)})
    with zipfile.ZipFile(lying, "w") as z:
        z.writestr("X.npy", member.getvalue() + X0.tobytes())
    with pytest.raises(InputError, match="array 'X' is damaged or cut short"):
        load_dataset(lying)


class _Trap:
    """Unpickling this would create the marker file: proof that code ran on load."""

    marker = ""

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_object_arrays_are_refused_without_unpickling(tmp_path, monkeypatch):
    marker = tmp_path / "code-ran"
    _Trap.marker = str(marker)
    evil = np.empty(N, dtype=object)
    evil[:] = [_Trap() for _ in range(N)]
    path = tmp_path / "evil.npz"
    np.savez(path, X=X0, y_protein=evil)          # numpy pickles an object array
    folder = tmp_path / "evil"
    folder.mkdir()
    np.save(folder / "X.npy", evil.reshape(N, 1), allow_pickle=True)

    def no_unpickling(*_args, **_kwargs):
        raise AssertionError("something unpickled the file")

    monkeypatch.setattr(pickle, "load", no_unpickling)
    monkeypatch.setattr(pickle, "loads", no_unpickling)
    with pytest.raises(InputError) as info:
        load_data(path)
    assert info.value.file == str(path)
    assert info.value.message.startswith("array 'y_protein' holds Python objects")
    assert "never unpickles" in info.value.message
    with pytest.raises(InputError, match="array 'X' holds Python objects") as info:
        load_data(folder)
    assert info.value.file == str(folder / "X.npy")
    assert not marker.exists()


# -- progress and cancel -------------------------------------------------------------------
def _csv_folder(folder: Path, n: int = 3000, p: int = 200) -> Path:
    rng = np.random.default_rng(1)
    folder.mkdir()
    wl = np.arange(1000, 1000 + 2 * p, 2)
    X = np.round(rng.uniform(0.1, 0.9, (n, p)), 5)
    lines = ["id," + ",".join(str(w) for w in wl)]
    lines += [f"s{i}," + ",".join(f"{v:.5f}" for v in row) for i, row in enumerate(X)]
    (folder / "X.csv").write_text("\n".join(lines) + "\n")
    (folder / "y.csv").write_text("fat\n" + "\n".join(f"{v:.2f}" for v in rng.random(n)))
    return folder


def test_csv_progress_increases_to_the_total_and_cancel_raises(tmp_path):
    folder = _csv_folder(tmp_path / "big")
    seen: list[tuple[int, int]] = []
    ds = load_dataset(folder, progress=lambda done, total: seen.append((done, total)))
    total = (folder / "X.csv").stat().st_size
    assert {t for _, t in seen} == {total}
    done = [d for d, _ in seen]
    assert done == sorted(done) and done[0] == 0 and done[-1] == total
    assert len(set(done)) > 5                     # block by block, not only start and end
    assert ds.X.shape == (3000, 200)

    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        load_dataset(folder, cancel=cancel)
    # cancelled midway (from the progress callback, as the window's button would)
    cancel = threading.Event()
    heard: list[int] = []

    def stop_at_half(done: int, total: int) -> None:
        heard.append(done)
        if done > total // 2:
            cancel.set()

    with pytest.raises(Cancelled):
        load_data(folder, cancel=cancel, progress=stop_at_half)
    assert max(heard) < total


def test_binary_progress_reaches_the_array_bytes_and_cancel_raises(tmp_path):
    path = _npz(tmp_path / "set.npz", **_arrays())
    seen: list[tuple[int, int]] = []
    load_dataset(path, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, N * P * 8) and seen[-1] == (N * P * 8, N * P * 8)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        load_dataset(path, cancel=cancel)


# -- the command line takes it like a CSV ----------------------------------------------------
def test_cli_info_and_run_on_an_npz_equal_the_csv_dataset(tmp_path, capsys, tecator_dir):
    from engine.cli import main as cli_main
    from engine.resources import demo_pipeline_path

    ds = load_dataset(tecator_dir)
    path = _npz(tmp_path / "tecator.npz", X=ds.X, wavelengths=ds.wavelengths,
                sample_ids=ds.sample_ids, split=np.where(ds.test_mask, "test", "train"),
                **{f"y_{name}": values for name, values in ds.targets.items()})
    assert cli_main(["info", str(path), "--split-map", "train=train"]) == 2   # no such label
    capsys.readouterr()
    assert cli_main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "tecator.npz  (npz layout)" in out and "215 samples x 100 wavelengths" in out
    assert "172 train, 43 test" in out
    results = {}
    for name, data in (("npz", path), ("csv", tecator_dir)):
        out_file = tmp_path / f"{name}.json"
        assert cli_main(["run", str(demo_pipeline_path()), "--data", str(data), "--target",
                         "fat", "--out", str(out_file), "--verbose", "0"]) == 0
        results[name] = json.loads(out_file.read_text())
    scores = {k: [(b["id"], b["metrics"]) for b in r["branches"]] for k, r in results.items()}
    assert scores["npz"] == scores["csv"]
