"""engine.io: the three dataset layouts load the right numbers, and every bad input is refused
with one InputError naming the file, the line (as an editor shows it) and the column."""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from engine.errors import InputError
from engine.io import detect_layout, load_dataset
from engine.io.csvtable import CsvTable

RNG = np.random.default_rng(0)
N, P = 12, 8
WL = np.linspace(1000.0, 1700.0, P)


def _spectra(n: int = N, p: int = P) -> np.ndarray:
    return np.round(RNG.uniform(0.1, 2.5, (n, p)), 6)


def _write(path: Path, text: str, gz: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _csv(rows, header=None, d: str = ",", decimal: str = ".") -> str:
    def cell(v):
        s = v if isinstance(v, str) else repr(float(v))
        return s.replace(".", decimal) if decimal != "." and not isinstance(v, str) else s
    lines = [d.join(header)] if header is not None else []
    lines += [d.join(cell(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def _folder(tmp_path: Path, X=None, y=None, split=None, x_header=None, y_header=("fat", "protein"),
            name: str = "ds") -> Path:
    """An X.csv / y.csv / split.csv folder; returns its path."""
    folder = tmp_path / name
    X = _spectra() if X is None else X
    y = np.round(RNG.uniform(1, 50, (X.shape[0], len(y_header))), 3) if y is None else y
    _write(folder / "X.csv", _csv(X, [f"{w:g}" for w in WL] if x_header is None else x_header))
    _write(folder / "y.csv", _csv(y, list(y_header)))
    if split is not None:
        _write(folder / "split.csv", "\n".join(split) + "\n")
    return folder


def _raises(path, *, file: str, row: int | None, column: int | None, contains=(), target=None):
    """Load ``path``, expect one InputError at file/row/column; return its text."""
    with pytest.raises(InputError) as info:
        load_dataset(path, target=target)
    err = info.value
    text = str(err)
    assert Path(err.file).name == file, text
    assert err.row == row, text
    assert err.column == column, text
    assert file in text
    if row is not None:
        assert f"row {row}" in text
    if column is not None:
        assert f"column {column}" in text
    for part in contains:
        assert part in text, text
    return text


# -- layout 1: X.csv / y.csv / split.csv -----------------------------------------------------
def test_folder_layout_values_ids_split_and_targets(tmp_path):
    X = _spectra()
    y = np.round(RNG.uniform(1, 50, (N, 2)), 3)
    split = ["split"] + ["cal", "Test", "VAL", "validation", "trans", "monitor"] * 2
    folder = _folder(tmp_path, X=X, y=y, split=split)
    ds = load_dataset(folder)
    np.testing.assert_array_equal(ds.X, np.loadtxt(folder / "X.csv", delimiter=",", skiprows=1))
    np.testing.assert_array_equal(ds.X, X)
    np.testing.assert_allclose(ds.wavelengths, WL, rtol=1e-6)
    assert ds.target_names == ["fat", "protein"] and ds.target == "fat"
    np.testing.assert_array_equal(ds.targets["protein"], y[:, 1])
    assert ds.targets["fat"].dtype == np.float64
    assert list(ds.sample_ids) == [str(i) for i in range(1, N + 1)]
    assert list(ds.test_mask) == [False, True, True, True, False, False] * 2
    assert ds.name == "ds"
    assert ds.metadata["layout"] == "folder" == detect_layout(folder)
    assert Path(ds.metadata["x_file"]).name == "X.csv"
    assert Path(ds.metadata["target_file"]).name == "y.csv"
    assert load_dataset(folder, target="protein").target == "protein"


def test_folder_id_column_headerless_split_and_no_split(tmp_path):
    X = _spectra()
    folder = tmp_path / "ids"
    rows = [[f"S{i:03d}"] + list(X[i]) for i in range(N)]
    _write(folder / "X.csv", _csv(rows, ["sample_id"] + [f"{w:g}" for w in WL]))
    _write(folder / "y.csv", _csv(np.arange(N)[:, None] + 0.5, ["moisture"]))
    ds = load_dataset(folder)
    np.testing.assert_array_equal(ds.X, X)
    assert ds.sample_ids[0] == "S000" and ds.sample_ids[-1] == f"S{N - 1:03d}"
    assert not ds.test_mask.any()                      # no split.csv: everything trains
    _write(folder / "split.csv", "\n".join(["test"] * 3 + ["train"] * (N - 3)) + "\n")
    ds = load_dataset(folder)                          # headerless split.csv keeps row 1
    assert ds.n_test == 3 and ds.test_mask[:3].all()


def test_folder_class_labels_and_headerless_numeric_y(tmp_path):
    folder = _folder(tmp_path)
    labels = ["A", "B", "C"] * (N // 3)
    _write(folder / "y.csv", "grade,fat\n" + "\n".join(f"{c},{i}.5" for i, c in enumerate(labels)))
    ds = load_dataset(folder)
    assert ds.targets["grade"].dtype.kind == "U" and list(ds.targets["grade"]) == labels
    assert ds.is_classification and ds.targets["fat"][0] == 0.5
    _write(folder / "y.csv", "\n".join(str(v) for v in np.arange(N) + 0.25) + "\n")
    ds = load_dataset(folder)
    assert ds.target_names == ["y"] and ds.y[0] == 0.25 and ds.n_samples == N


def test_quoted_fields_bom_crlf_and_trailing_delimiter(tmp_path):
    X = _spectra()
    folder = tmp_path / "quoted"
    header = ",".join(f'"{w:g}"' for w in WL)
    body = "\r\n".join(",".join(repr(float(v)) for v in row) + "," for row in X)
    (folder).mkdir()
    text = "\ufeff" + header + ",\r\n" + body + "\r\n\r\n"
    (folder / "X.csv").write_bytes(text.encode("utf-8"))
    _write(folder / "y.csv", '"fat, %"\n' + "\n".join(str(i) for i in range(N)))
    ds = load_dataset(folder)
    np.testing.assert_array_equal(ds.X, X)
    np.testing.assert_allclose(ds.wavelengths, WL, rtol=1e-6)
    assert ds.target_names == ["fat, %"]


def test_clean_data_never_takes_the_slow_cell_by_cell_path(tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("slow path used on clean data")
    monkeypatch.setattr(CsvTable, "_scan", fail)
    ds = load_dataset(_folder(tmp_path, X=_spectra(200, 300), x_header=[str(w) for w in
                                                                         range(1000, 1300)]))
    assert ds.X.shape == (200, 300)


# -- layout 2: nirs4all ------------------------------------------------------------------------
def _nirs4all(folder: Path, parts: dict[str, str], gz: tuple[str, ...] = ()) -> Path:
    for name, text in parts.items():
        _write(folder / (name + (".csv.gz" if name in gz else ".csv")), text, gz=name in gz)
    return folder


def test_nirs4all_semicolon_decimal_comma_and_gzip(tmp_path):
    Xc, Xv = _spectra(10), _spectra(4)
    yc, yv = np.round(RNG.uniform(1, 9, (10, 1)), 2), np.round(RNG.uniform(1, 9, (4, 1)), 2)
    wl = [f"{w:g}".replace(".", ",") for w in WL + 0.5]
    folder = _nirs4all(tmp_path / "n4a", {
        "Xcal": _csv(Xc, wl, ";", ","), "Ycal": _csv(yc, ["protein"], ";", ","),
        "Xval": _csv(Xv, wl, ";", ","), "Yval": _csv(yv, ["protein"], ";", ",")},
        gz=("Xval", "Yval"))
    second_line = (folder / "Xcal.csv").read_text().splitlines()[1]
    assert ";" in second_line and "," in second_line and "." not in second_line
    ds = load_dataset(folder)
    assert detect_layout(folder) == "nirs4all" == ds.metadata["layout"]
    np.testing.assert_array_equal(ds.X, np.vstack([Xc, Xv]))
    np.testing.assert_allclose(ds.wavelengths, WL + 0.5)
    np.testing.assert_array_equal(ds.y, np.concatenate([yc[:, 0], yv[:, 0]]))
    assert list(ds.test_mask) == [False] * 10 + [True] * 4
    assert ds.metadata["decimal_comma"] and ds.metadata["delimiter"] == ";"


def test_nirs4all_headerless_keeps_every_row(tmp_path):
    Xc, Xv = _spectra(9), _spectra(5)
    yc, yv = RNG.uniform(1, 9, (9, 2)), RNG.uniform(1, 9, (5, 2))
    folder = _nirs4all(tmp_path / "nohead", {
        "Xcal": _csv(Xc, d=";"), "Ycal": _csv(yc, d=";"), "Xval": _csv(Xv, d=";"),
        "Yval": _csv(yv, d=";")})
    ds = load_dataset(folder)
    assert ds.X.shape == (14, P)
    np.testing.assert_array_equal(ds.X, np.vstack([Xc, Xv]))
    np.testing.assert_array_equal(ds.X[0], np.loadtxt(folder / "Xcal.csv", delimiter=";")[0])
    assert ds.target_names == ["y1", "y2"]
    np.testing.assert_array_equal(ds.targets["y2"], np.concatenate([yc[:, 1], yv[:, 1]]))
    np.testing.assert_array_equal(ds.wavelengths, np.arange(1, P + 1))
    assert ds.metadata["wavelengths_unknown"] is True
    assert any("wavelengths unknown" in n for n in ds.metadata["notes"])


def test_nirs4all_train_test_names_tabs_and_headerless_labels(tmp_path):
    Xt, Xs = _spectra(6), _spectra(3)
    folder = _nirs4all(tmp_path / "tt", {
        "XTrain": _csv(Xt, [f"{w:g}" for w in WL], "\t"), "ytrain": "a\nb\na\nb\na\nb\n",
        "xTEST": _csv(Xs, [f"{w:g}" for w in WL], "\t"), "Ytest": "b\na\nb\n"})
    ds = load_dataset(folder)
    np.testing.assert_array_equal(ds.X, np.vstack([Xt, Xs]))
    assert list(ds.y) == list("ababab") + list("bab")     # no label row lost as a "header"
    assert ds.is_classification and ds.n_test == 3


def test_headerless_decimal_comma_y_follows_the_x_delimiter(tmp_path):
    folder = tmp_path / "dc"
    _write(folder / "X.csv", "1000;1002;1004\n0,1;0,2;0,3\n0,4;0,5;0,6\n0,7;0,8;0,9\n")
    _write(folder / "y.csv", "1,5\n2,5\n3,25\n")           # one column, not "1" and "5"
    ds = load_dataset(folder)
    assert ds.target_names == ["y"]
    np.testing.assert_array_equal(ds.y, [1.5, 2.5, 3.25])
    np.testing.assert_array_equal(ds.X[2], [0.7, 0.8, 0.9])


def test_header_guess_is_overruled_when_y_has_a_row_for_it(tmp_path):
    # Row 1 is increasing and below every later value: it looks like wavelengths, but the
    # headerless Ycal has one value per row including row 1, so row 1 is a spectrum.
    X = np.array([[0.1, 0.2, 0.3], [0.5, 0.9, 0.7], [0.6, 0.4, 0.8]])
    folder = _nirs4all(tmp_path / "guess", {"Xcal": _csv(X), "Ycal": "1\n2\n3\n"})
    ds = load_dataset(folder)
    np.testing.assert_array_equal(ds.X, X)
    assert ds.metadata["wavelengths_unknown"]
    only_x = _nirs4all(tmp_path / "only_x", {"Xcal": _csv(X)})
    assert load_dataset(only_x).n_samples == 2               # without Y the guess stands


def test_numeric_header_detection(tmp_path):
    X = _spectra(5)
    head = _nirs4all(tmp_path / "head", {"Xcal": _csv(X, [f"{w:g}" for w in WL])})
    ds = load_dataset(head)                                 # 1000..1700 vs data 0.1..2.5: header
    assert ds.n_samples == 5 and not ds.metadata["wavelengths_unknown"]
    np.testing.assert_allclose(ds.wavelengths, WL, rtol=1e-6)
    mono = np.sort(_spectra(1)[0])                         # monotonic, but inside the data range
    data = _nirs4all(tmp_path / "data", {"Xcal": _csv(np.vstack([mono, X]))})
    ds = load_dataset(data)
    assert ds.n_samples == 6 and ds.metadata["wavelengths_unknown"]
    np.testing.assert_array_equal(ds.X[0], mono)
    dec = _nirs4all(tmp_path / "dec", {"Xcal": _csv(X, [f"{w:g}" for w in WL[::-1]])})
    ds = load_dataset(dec)                                 # decreasing: sorted, with a note
    assert ds.n_samples == 5 and ds.wavelengths[0] == 1000 and ds.wavelengths[-1] == 1700
    np.testing.assert_allclose(ds.X, X[:, ::-1], rtol=1e-12)
    assert any("descending" in n for n in ds.metadata["notes"])


# -- layout 3: one CSV -----------------------------------------------------------------------
def test_single_csv_with_ids_targets_labels_and_partition(tmp_path):
    X = _spectra()
    fat = np.round(RNG.uniform(1, 30, N), 2)
    kind = ["beef", "pork"] * (N // 2)
    part = ["train", "test", "Train"] * (N // 3)
    rows = [[f"s{i}", kind[i]] + list(X[i]) + [fat[i], part[i]] for i in range(N)]
    path = _write(tmp_path / "meat.csv",
                  _csv(rows, ["Sample", "kind"] + [f"{w:g}" for w in WL] + ["fat", "Set"]))
    assert detect_layout(path) == "single-csv"
    ds = load_dataset(path, target="fat")
    np.testing.assert_array_equal(ds.X, X)
    np.testing.assert_array_equal(ds.y, fat)
    assert ds.target_names == ["kind", "fat"] and ds.name == "meat.csv"
    assert list(ds.targets["kind"]) == kind
    assert ds.sample_ids[1] == "s1"
    assert list(ds.test_mask) == [p == "test" for p in part]
    ds.select_target("kind")
    assert ds.is_classification


def test_single_csv_spreadsheet_export(tmp_path):
    # Excel-style: "sep=;" line, CRLF, decimal commas, a delimiter ending every line, empty
    # ";;;" rows at the end, a Latin-1 label.
    lines = ["sep=;", "name;1000,5;1001,5;1002,5;grade;",
             "a;0,11;0,12;0,13;bon;", "b;0,21;0,22;0,23;médiocre;", ";;;;;", ";;;;;"]
    path = tmp_path / "export.csv"
    path.write_bytes("\r\n".join(lines).encode("latin-1") + b"\r\n")
    ds = load_dataset(path)
    np.testing.assert_array_equal(ds.X, [[0.11, 0.12, 0.13], [0.21, 0.22, 0.23]])
    np.testing.assert_array_equal(ds.wavelengths, [1000.5, 1001.5, 1002.5])
    assert list(ds.sample_ids) == ["a", "b"] and list(ds.y) == ["bon", "médiocre"]
    lines[3] = "b;0,21;oops;0,23;médiocre;"                  # errors still count the sep= line
    path.write_bytes("\r\n".join(lines).encode("latin-1"))
    _raises(path, file="export.csv", row=4, column=3, contains=("'oops'", "(1001,5)"))


# -- bad input ---------------------------------------------------------------------------------
def test_ragged_rows(tmp_path):
    folder = _folder(tmp_path)
    lines = (folder / "X.csv").read_text().splitlines()
    lines[3] = ",".join(lines[3].split(",")[:-2])           # line 4: 6 cells instead of 8
    _write(folder / "X.csv", "\n".join(lines) + "\n")
    _raises(folder, file="X.csv", row=4, column=7, contains=("expected 8", "found 6"))
    lines = (folder / "X.csv").read_text().splitlines()
    lines[3] = lines[2] + ",1.0"                              # line 4: 9 cells
    _write(folder / "X.csv", "\n".join(lines) + "\n")
    _raises(folder, file="X.csv", row=4, column=9, contains=("expected 8", "found 9"))


def test_text_empty_nan_and_inf_in_spectra(tmp_path):
    folder = _folder(tmp_path)
    original = (folder / "X.csv").read_text().splitlines()
    for bad, col, words in (("abc", 3, ("'abc'",)), ("", 3, ("empty cell",)),
                            ("nan", 5, ("'nan'", "NaN")), ("-inf", 8, ("'-inf'", "infinity"))):
        lines = list(original)
        cells = lines[5].split(",")
        cells[col - 1] = bad
        lines[5] = ",".join(cells)
        _write(folder / "X.csv", "\n".join(lines) + "\n")
        text = _raises(folder, file="X.csv", row=6, column=col, contains=words)
        assert f"({WL[col - 1]:g})" in text                 # the column's header is named


def test_nan_missing_and_text_in_numeric_targets(tmp_path):
    folder = _folder(tmp_path, y_header=("fat",))
    values = [f"{i}.5" for i in range(N)]
    for bad, words in (("nan", ("'nan'", "fat")), ("NA", ("missing value 'NA'",)),
                       ("12.3x", ("text '12.3x'",))):
        vals = list(values)
        vals[6] = bad
        _write(folder / "y.csv", "fat\n" + "\n".join(vals) + "\n")
        _raises(folder, file="y.csv", row=8, column=1, contains=words)


def test_duplicate_and_non_monotonic_wavelengths(tmp_path):
    header = [f"{w:g}" for w in WL]
    dup = list(header)
    dup[5] = header[2]
    _raises(_folder(tmp_path, x_header=dup, name="dup"), file="X.csv", row=1, column=6,
            contains=("duplicate wavelength", "column 3"))
    swap = list(header)
    swap[3], swap[4] = swap[4], swap[3]
    _raises(_folder(tmp_path, x_header=swap, name="swap"), file="X.csv", row=1, column=5,
            contains=("not monotonic", "column 4", "column 5"))


def test_row_count_mismatches(tmp_path):
    folder = _folder(tmp_path, y=np.ones((N - 1, 2)))
    _raises(folder, file="X.csv", row=N + 1, column=None,
            contains=("y.csv", f"{N} spectra", f"{N - 1} rows"))
    folder = _folder(tmp_path, split=["split"] + ["cal"] * (N + 2), name="split")
    _raises(folder, file="split.csv", row=N + 2, column=None,
            contains=("X.csv", f"{N} spectra", f"{N + 2} split values"))


def test_empty_file_header_only_and_blank_line(tmp_path):
    folder = _folder(tmp_path)
    _write(folder / "X.csv", "\n\n")
    _raises(folder, file="X.csv", row=None, column=None, contains=("empty",))
    _write(folder / "X.csv", ",".join(f"{w:g}" for w in WL) + "\n")
    _raises(folder, file="X.csv", row=1, column=None, contains=("no data rows",))
    folder = _folder(tmp_path, name="blank")
    lines = (folder / "X.csv").read_text().splitlines()
    lines[4] = ""
    _write(folder / "X.csv", "\n".join(lines) + "\n")
    _raises(folder, file="X.csv", row=5, column=1, contains=("blank line",))


def test_unknown_target_lists_the_known_ones(tmp_path):
    text = _raises(_folder(tmp_path), file="y.csv", row=None, column=None, target="water",
                   contains=("'water'", "fat", "protein"))
    assert "unknown target" in text


def test_missing_path_and_unrecognised_folder(tmp_path):
    _raises(tmp_path / "nowhere", file="nowhere", row=None, column=None, contains=("no such",))
    odd = tmp_path / "odd"
    _write(odd / "spectra.txt", "1,2\n")
    _raises(odd, file="odd", row=None, column=None,
            contains=("X.csv", "y.csv", "Xcal", "Xtrain", "spectra.txt"))


def test_nirs4all_parts_with_different_wavelengths(tmp_path):
    X = _spectra(4)
    folder = _nirs4all(tmp_path / "wl", {
        "Xcal": _csv(X, [f"{w:g}" for w in WL]),
        "Xval": _csv(X, [f"{w:g}" for w in WL + 2 * (WL > 1300)])})
    j = int(np.argmax(WL > 1300)) + 1
    _raises(folder, file="Xval.csv", row=1, column=j, contains=("Xcal.csv", "same wavelengths"))


def test_single_csv_wavelength_columns_must_be_contiguous(tmp_path):
    X = _spectra()
    header = [f"{w:g}" for w in WL[:3]] + ["fat"] + [f"{w:g}" for w in WL[3:]]
    rows = [list(r[:3]) + [1.0] + list(r[3:]) for r in X]
    path = _write(tmp_path / "gap.csv", _csv(rows, header))
    _raises(path, file="gap.csv", row=1, column=4,
            contains=("'fat'", "contiguous", "columns 3 and 5"))
