"""The CSV fast path (engine.io.fastcsv / fastfloat) reads exactly what the precise reader reads.

Each file is loaded twice, by the fast path and by the precise reader alone (fastcsv switched
off), and both are compared with an independent reading (the csv module and float()): same
array bit for bit, same wavelengths, same ids; a malformed cell anywhere gives the precise
reader's message word for word. No timing here (bench/csv_load.py measures the speed).
"""
from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import numpy as np
import pytest

from engine.errors import InputError
from engine.io import csvtable, load_dataset
from engine.io.csvtable import read_table
from engine.io.fastfloat import PAD, parse_fields

RNG = np.random.default_rng(20)


def _values(n: int, p: int, style: str) -> list[list[str]]:
    """Cells as exporters write them: fixed decimals, negatives, repr(), mixed notations."""
    v = RNG.normal(0.5, 0.7, (n, p))
    if style == "fixed":
        return [[f"{x:.5f}" for x in row] for row in v]
    if style == "repr":
        return [[repr(float(x)) for x in row] for row in v]
    forms = ["{:.3e}", "{:.0f}", "{:+.4f}", "{:.12f}", "{:.4f}", " {:.2f}", "{:.17g}", "{:g}"]
    return [[forms[RNG.integers(len(forms))].format(x) for x in row] for row in v]


def _write(path: Path, header: list[str], rows: list[list[str]], d: str = ",",
           eol: str = "\n", gz: bool = False, bom: bool = False, trailing: str = "",
           tail: str = "", quote_header: bool = False) -> Path:
    head = [f'"{h}"' for h in header] if quote_header else header
    text = eol.join(d.join(r) + trailing for r in [head, *rows]) + eol + tail
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def _independent(path: Path, d: str, decimal_comma: bool, id_column: bool
                 ) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    """(X, wavelengths, ids) with the csv module and float() only."""
    raw = path.read_bytes()
    if path.name.endswith(".gz"):
        raw = gzip.decompress(raw)
    rows = [r for r in csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""),
                                  delimiter=d) if any(c.strip() for c in r)]
    rows = [r[:-1] if r[-1] == "" else r for r in rows]

    def num(s: str) -> float:
        return float(s.replace(",", ".") if decimal_comma else s)
    k = 1 if id_column else 0
    X = np.array([[num(c) for c in r[k:]] for r in rows[1:]])
    wl = np.array([num(c) for c in rows[0][k:]])
    return X, wl, ([r[0].strip() for r in rows[1:]] if id_column else None)


def _precise(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(csvtable, "plain_rows", lambda raw, detect, hint, check=None: None)


def _load_both(folder: Path, monkeypatch: pytest.MonkeyPatch):
    fast = load_dataset(folder)
    with monkeypatch.context() as m:
        _precise(m)
        precise = load_dataset(folder)
    return fast, precise


CASES = {
    # name: (write options, delimiter, decimal comma, id column, style, fast path expected)
    "ids": (dict(), ",", False, True, "fixed", True),
    "no ids": (dict(), ",", False, False, "repr", True),
    "gz": (dict(gz=True), ",", False, True, "fixed", True),
    "crlf": (dict(eol="\r\n"), ",", False, True, "fixed", True),
    "semicolon decimal comma": (dict(d=";"), ";", True, True, "fixed", True),
    "tab decimal comma": (dict(d="\t"), "\t", True, False, "repr", True),
    "quoted header": (dict(quote_header=True), ",", False, True, "fixed", False),
    "trailing delimiter": (dict(trailing=","), ",", False, True, "fixed", True),
    "trailing delimiter crlf ;": (dict(d=";", trailing=";", eol="\r\n"), ";", True, True,
                                  "fixed", True),
    "bom and blank tail": (dict(bom=True, tail="\n\n  \n"), ",", False, False, "fixed", True),
    "mixed notations": (dict(), ",", False, True, "mixed", True),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_path_reads_what_the_precise_reader_reads(case: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    options, d, decimal_comma, id_column, style, expect_fast = CASES[case]
    n, p = 37, 23
    rows = _values(n, p, style)
    wl = [f"{w:.1f}" for w in np.linspace(900.0, 1700.0, p)]
    if decimal_comma:
        rows = [[c.replace(".", ",") for c in r] for r in rows]
        wl = [w.replace(".", ",") for w in wl]
    header = (["id"] if id_column else []) + wl
    if id_column:
        rows = [[f"S-{i:03d}.a", *r] for i, r in enumerate(rows)]
    name = "X.csv.gz" if options.get("gz") else "X.csv"
    folder = tmp_path / "data"
    x_path = _write(folder / name, header, rows, **options)
    table = read_table(x_path)
    assert table.fast is expect_fast
    fast, precise = _load_both(folder, monkeypatch)
    X, wavelengths, ids = _independent(x_path, d, decimal_comma, id_column)
    for ds in (fast, precise):
        assert ds.X.tobytes() == X.tobytes()          # bit for bit
        np.testing.assert_array_equal(ds.wavelengths, wavelengths)
        if ids is not None:
            assert list(ds.sample_ids) == ids
    assert list(fast.sample_ids) == list(precise.sample_ids)
    assert fast.metadata["delimiter"] == precise.metadata["delimiter"] == d
    assert fast.metadata["decimal_comma"] == precise.metadata["decimal_comma"] == decimal_comma


def test_headerless_nirs4all_files_read_alike(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Row 1 read as data (no header) goes through the fast path from the first byte."""
    rows = _values(15, 9, "fixed")
    folder = tmp_path / "n4a"
    _write(folder / "Xcal.csv", rows[0], rows[1:], d=";")
    (folder / "Ycal.csv").write_text("\n".join(str(i) for i in range(15)) + "\n")
    fast, precise = _load_both(folder, monkeypatch)
    expected = np.array([[float(c) for c in r] for r in rows])
    assert fast.X.tobytes() == precise.X.tobytes() == expected.tobytes()


def test_a_first_row_ending_in_a_delimiter_alone_reads_alike(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Row 1 with a trailing delimiter the rows below lack: its numbers come from its text."""
    rows = _values(12, 6, "fixed")
    folder = tmp_path / "n4a"
    folder.mkdir()
    text = ",".join(rows[0]) + ",\n" + "\n".join(",".join(r) for r in rows[1:]) + "\n"
    (folder / "Xcal.csv").write_text(text)
    (folder / "Ycal.csv").write_text("\n".join(str(i) for i in range(12)) + "\n")
    assert read_table(folder / "Xcal.csv").fast
    fast, precise = _load_both(folder, monkeypatch)
    expected = np.array([[float(c) for c in r] for r in rows])
    assert fast.X.tobytes() == precise.X.tobytes() == expected.tobytes()


BAD_CELLS = ["abc", "a.5", "", " ", "1.2.3", "nan", "-inf", "1e999", "2e100", "--1", "1;5", "0x10"]


@pytest.mark.parametrize("style", ["fixed", "repr"])   # repr: most cells left to float()
@pytest.mark.parametrize("bad", BAD_CELLS)
def test_a_malformed_cell_anywhere_gives_the_precise_message(
        bad: str, style: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    n, p = 60, 30
    rows = _values(n, p, style)
    header = ["sample"] + [str(900 + 2 * j) for j in range(p)]
    for trial, (i, j) in enumerate([(0, 0), (n - 1, p - 1), (int(RNG.integers(n)),
                                                             int(RNG.integers(p)))]):
        damaged = [[f"s{k}", *r] for k, r in enumerate(rows)]
        damaged[i][j + 1] = bad
        folder = tmp_path / f"t{trial}"
        _write(folder / "X.csv", header, damaged)
        with pytest.raises(InputError) as fast:
            load_dataset(folder)
        with monkeypatch.context() as m:
            _precise(m)
            with pytest.raises(InputError) as precise:
                load_dataset(folder)
        assert str(fast.value) == str(precise.value)
        assert (fast.value.row, fast.value.column) == (i + 2, j + 2)  # header is line 1
        assert fast.value.column_name == header[j + 1]


@pytest.mark.parametrize("text", [
    "id,1,2\na,1,2\n\nb,3,4\n",           # a blank line inside
    "y\n1.5\n\x0c\n2.5\n",                # a form feed: blank for str.strip()
    "id,1,2\na,1,2\nb,3\n",               # ragged
    "id,1,2\na,1,2 \nb,3,4\n",            # a space at a line end
    "sep=;\nid;1;2\na;1,5;2\n",           # Excel's sep= line
    "id,1,2\na,1\r2,3\n",                 # a lone CR
    "id,1,2\né,1,2\n",                    # non-ASCII below the header
])
def test_files_the_fast_path_leaves_to_the_precise_reader(
        text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same table or same refusal either way, and the fast path did not take the file."""
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode("utf-8"))
    outcome = []
    for precise in (False, True):
        with monkeypatch.context() as m:
            if precise:
                _precise(m)
            try:
                t = read_table(path)
                outcome.append((t.fast, t.cells.tolist(), t.lines.tolist()))
            except InputError as exc:
                outcome.append((False, str(exc), None))
    assert outcome[0] == outcome[1]
    assert outcome[0][0] is False


def _fields(cells: list[str], decimal_comma: bool = False):
    buffer = (b"0" * PAD + ";".join(cells).encode() + b";")
    chars = np.frombuffer(buffer, dtype=np.uint8)
    ends = np.flatnonzero(chars == ord(";"))
    starts = np.concatenate(([PAD], ends[:-1] + 1))
    return parse_fields(buffer, starts, ends, decimal_comma)


@pytest.mark.parametrize("decimal_comma", [False, True])
def test_converted_fields_equal_float_bit_for_bit(decimal_comma: bool) -> None:
    """Every field fastfloat converts equals float(); the rest are left for float()."""
    converted = ["0", "-0", "-0.0", ".5", "5.", "-.5", "12345678", "0.00000001",
                 "00000000.1", "99999999.99999999"[:-1], "0.123456789", "0.1234567890123456",
                 "-0.000000000000001", "1234567.12345678"]
    refused = ["-", ".", "", "1e5", "+1", " 1", "1_0", "1.2.3", "--1", "1-", "123456789",
               "99999999.99999999", "0.12345678901234567", "1.2345678901234567",
               "123456789.1", "1.23456789012345678"]
    cells = converted + refused
    cells += [f"{x:.{RNG.integers(0, 17)}f}" for x in RNG.normal(0, 10 ** RNG.uniform(-3, 7,
                                                                                      3000))]
    cells += [repr(float(x)) for x in RNG.normal(0, 1, 1000)]
    cells += [f"{x:.15g}" for x in RNG.normal(0, 1, 1000)]          # spreadsheet exports
    values, ok = _fields(cells, decimal_comma)
    for cell, value, done in zip(cells, values, ok, strict=True):
        text = cell.replace(",", ".") if decimal_comma else cell
        if done:
            expected = float(text)
            assert value == expected and np.signbit(value) == np.signbit(expected), cell
    k = len(converted)
    assert ok[:k].all() and not ok[k:k + len(refused)].any()
    assert ok.mean() > 0.5
