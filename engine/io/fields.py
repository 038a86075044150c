"""What the cells of a table mean: spectra and wavelengths, targets, sample ids, the partition.

Shared by the three layouts so that every layout checks the same things with the same messages.
Header detection lives here too (see ``read_x`` and ``read_y`` for the rules).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.dataset import partition_note
from engine.errors import InputError
from engine.io.csvtable import CsvTable
from engine.io.ranges import first_out_of_range, out_of_range_message

ID_NAMES = frozenset({"id", "sample", "sample_id", "sampleid", "sample id", "name"})
SPLIT_NAMES = frozenset({"split", "set", "partition"})
TEST_VALUES = frozenset({"test", "val", "validation"})
TRAIN_VALUES = frozenset({"train", "training", "cal", "calibration"})
# values that make row 1 of a split file data, not a header, even when the count would allow both
PARTITION_VALUES = TEST_VALUES | TRAIN_VALUES
MISSING_MARKERS = frozenset({"na", "n/a", "#n/a", "null", "none", "missing", "-", "?", "."})


def is_id_name(name: str) -> bool:
    """A header naming a sample-id column ("" too: the index column pandas writes)."""
    return name.strip().lower() in ID_NAMES or name.strip() == ""


# -- spectra ---------------------------------------------------------------------------------
@dataclass
class XBlock:
    """The spectra of one X file."""

    table: CsvTable
    X: np.ndarray
    wavelengths: np.ndarray
    wavelengths_known: bool
    ids: np.ndarray | None      # from a leading id column, else None
    first_row: int              # table row of the first spectrum (1 with a header, else 0)
    header_guessed: bool        # row 1 was taken as wavelengths by the numeric test alone
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return self.X.shape[0]


def read_x(table: CsvTable, header_required: bool, hint: str = "",
           numeric_header: bool = True) -> XBlock:
    """Spectra, wavelengths and optional leading id column of an X table.

    Header rule: row 1 is a header if any of its cells is not a number; a leading non-numeric
    cell followed by numbers is the id column's header. With ``header_required`` (X.csv of the
    folder layout, the single-CSV layout) row 1 is always the header. Otherwise (nirs4all
    files) an all-numeric row 1 is a header only when it is strictly monotonic and every value
    lies outside the min..max of the rows below (wavelengths 400-2500 vs absorbances 0-3); if it
    is data, the wavelengths become the column numbers 1..p and the block notes "wavelengths
    unknown". With a leading text cell the same test decides, unless that cell is an id name.
    ``hint`` is appended to wavelength errors (what row 1 should be); ``numeric_header=False``
    overrides the guess and reads an all-numeric row 1 as data (see layouts.load_nirs4all).
    """
    row0 = table.row(0)
    k = len(row0)
    numeric = [table.to_number(s) is not None for s in row0]
    lead_text = not numeric[0] and k >= 2
    guessed = False
    parsed: tuple[np.ndarray, np.ndarray] | None = None   # (row 1, rows below) when tested
    if all(numeric) or (lead_text and all(numeric[1:])):
        id_col = 0 if all(numeric) else 1
        guessed = not header_required and not (id_col and is_id_name(row0[0]))
        header = not guessed
        if guessed and numeric_header and table.n_rows > 1:
            parsed = (table.numbers(0, 1, id_col, None, what="a spectrum")[0],
                      table.numbers(1, None, id_col, None, what="a spectrum"))
            header = _looks_like_header(*parsed)
    else:
        header = True
        id_col = 1 if lead_text and (header_required or is_id_name(row0[0]) or any(numeric[1:])
                                     or _first_data_is_text(table)) else 0
    first = 1 if header else 0
    if header and table.n_rows == 1:
        raise table.error("the file has a header row but no data rows", 0)
    notes: list[str] = []
    names = row0 if header else None
    if header:
        bad = [j for j in range(id_col, k) if not numeric[j]]
        if bad and (header_required or len(bad) < k - id_col):
            j = bad[0]
            raise table.error(f"column header {row0[j]!r} is not a wavelength (a number)"
                              + hint, 0, j, names)
        known = not bad
    else:
        known = False
    if known:
        wavelengths = np.array([table.to_number(s) for s in row0[id_col:]], dtype=np.float64)
        check_wavelengths(table, wavelengths, id_col, row0, hint)
    else:
        wavelengths = np.arange(1, k - id_col + 1, dtype=np.float64)
        why = "row 1 is data, not a header" if not header else "its header cells are not numbers"
        notes.append(f"wavelengths unknown in {table.name} ({why}); "
                     f"columns numbered 1..{k - id_col}")
    if parsed is not None:
        X = parsed[1] if header else np.vstack([parsed[0], parsed[1]])
    else:
        X = table.numbers(first, None, id_col, None, names, what="a spectrum")
    ids = read_ids(table, first, 0, names) if id_col else None
    return XBlock(table, X, wavelengths, known, ids, first, guessed and header, notes)


def _looks_like_header(first: np.ndarray, rest: np.ndarray) -> bool:
    """An all-numeric row 1 (``first``) is wavelengths, not a spectrum, when it is strictly
    monotonic and every value lies outside the min..max of the rows below (``rest``)."""
    steps = np.diff(first)
    monotonic = bool(np.all(steps > 0) or np.all(steps < 0))
    outside = bool(np.all((first < rest.min()) | (first > rest.max())))
    return monotonic and outside


def _first_data_is_text(table: CsvTable) -> bool:
    return table.n_rows > 1 and table.to_number(table.cell(1, 0)) is None


def check_wavelengths(table: CsvTable, wavelengths: np.ndarray, c0: int, header: list[str],
                      hint: str = "") -> None:
    """Refuse non-finite, duplicate or non-monotonic wavelengths, naming both columns involved."""
    bad = np.flatnonzero(~np.isfinite(wavelengths))
    if bad.size:
        j = int(bad[0]) + c0
        raise table.error(f"wavelength {header[j]!r} is not a finite number" + hint, 0, j, header)
    seen: dict[float, int] = {}
    for j, w in enumerate(wavelengths):
        if w in seen:
            a, b = seen[w] + c0, j + c0
            raise table.error(f"duplicate wavelength {header[b]!r}: column {a + 1} has the same "
                              f"value" + hint, 0, b, header)
        seen[w] = j
    if wavelengths.size < 2:
        return
    steps = np.diff(wavelengths)
    direction = np.sign(steps[0])
    bad = np.flatnonzero(np.sign(steps) != direction)
    if bad.size:
        j = int(bad[0]) + 1
        a, b = j - 1 + c0, j + c0
        order = "increasing" if direction > 0 else "decreasing"
        raise table.error(f"wavelengths are not monotonic: column {a + 1} ({header[a]}) is "
                          f"followed by column {b + 1} ({header[b]}), breaking the {order} "
                          "order" + hint, 0, b, header)


def read_ids(table: CsvTable, first: int, column: int, header: list[str] | None) -> np.ndarray:
    """Sample ids of one column (stripped strings); an empty id is refused."""
    values = np.array([str(s).strip() for s in table.column(column, first)], dtype=object)
    empty = np.flatnonzero(values == "")
    if empty.size:
        raise table.error("empty cell in the sample-id column", first + int(empty[0]), column,
                          header)
    return values.astype(str)


# -- targets ---------------------------------------------------------------------------------
@dataclass
class Segment:
    """Where a run of a target column's values sits: table rows first.., table column."""

    table: CsvTable
    first: int
    n: int
    column: int
    header: list[str] | None


@dataclass
class RawColumn:
    """One target column as text, possibly concatenated from several files (cal + val)."""

    name: str
    raw: np.ndarray          # stripped cell text
    number_text: np.ndarray  # the same with decimal commas turned into points
    segments: list[Segment]

    @classmethod
    def from_table(cls, table: CsvTable, name: str, first: int, column: int,
                   header: list[str] | None) -> RawColumn:
        raw = np.array([str(s).strip() for s in table.column(column, first)], dtype=object)
        num = (np.array([table.number_text(s) for s in raw], dtype=object)
               if table.decimal_comma else raw)
        return cls(name, raw, num, [Segment(table, first, raw.size, column, header)])

    def concat(self, other: RawColumn) -> RawColumn:
        return RawColumn(self.name, np.concatenate([self.raw, other.raw]),
                         np.concatenate([self.number_text, other.number_text]),
                         self.segments + other.segments)

    def error(self, message: str, i: int) -> InputError:
        """An InputError at value ``i`` (index into the concatenated column)."""
        for seg in self.segments:
            if i < seg.n:
                return seg.table.error(message, seg.first + i, seg.column, seg.header)
            i -= seg.n
        raise IndexError(i)


def type_target(col: RawColumn) -> np.ndarray:
    """float64 for a numeric target, str labels for a class target.

    A column with any non-numeric cell is a class-label column (kept as str), except where the
    text is clearly a hole in numbers: missing-value markers (NA, n/a, ...) among numbers, or a
    stray text among mostly non-integer numbers (a measured quantity) - those are refused.
    Empty cells and NaN/inf in numeric targets are refused.
    """
    empty = np.flatnonzero(col.raw == "")
    if empty.size:
        raise col.error(f"empty cell (target {col.name!r} needs a value for every sample)",
                        int(empty[0]))
    try:
        values = col.number_text.astype(np.float64)
    except (ValueError, TypeError):
        return _labels_or_error(col)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        i = int(bad[0])
        raise col.error(f"{col.raw[i]!r} is not a finite number (NaN and infinity are not "
                        f"allowed in target {col.name!r})", i)
    big = first_out_of_range(values)
    if big is not None:
        raise col.error(out_of_range_message(col.raw[big[0]]), big[0])
    return values


def _labels_or_error(col: RawColumn) -> np.ndarray:
    parsed: list[float | None] = []
    for s in col.number_text:
        try:
            parsed.append(float(s))
        except ValueError:
            parsed.append(None)
    text_idx = [i for i, v in enumerate(parsed) if v is None]
    numbers = np.array([v for v in parsed if v is not None], dtype=np.float64)
    if numbers.size:
        first = text_idx[0]
        if all(col.raw[i].lower() in MISSING_MARKERS for i in text_idx):
            raise col.error(f"missing value {col.raw[first]!r} in numeric target {col.name!r}",
                            first)
        fractional = bool(np.any(np.isfinite(numbers) & (numbers != np.round(numbers))))
        if numbers.size > len(text_idx) and fractional:
            raise col.error(f"text {col.raw[first]!r} in numeric target {col.name!r} "
                            "(a number is expected)", first)
    return col.raw.astype(str)


@dataclass
class YBlock:
    """The target columns of one y file."""

    table: CsvTable
    columns: list[RawColumn]
    has_header: bool
    first_row: int

    @property
    def n(self) -> int:
        return self.table.n_rows - self.first_row


def read_y(table: CsvTable, n_expected: int | None = None) -> YBlock:
    """Target columns of a y file.

    Header rule: row 1 is a header iff one of its cells is not a number. One exception keeps a
    headerless class-label file whole: when the file has exactly ``n_expected`` rows (the X
    row count) and every text cell of row 1 sits in a column that has text further down too.
    Headerless targets are named "y" (one column) or "y1", "y2", ... A leading column whose
    header is an id name (id, sample, sample_id, name) or empty is not a target.
    """
    row0 = table.row(0)
    text_cols = [j for j, s in enumerate(row0) if table.to_number(s) is None]
    header = bool(text_cols)
    if (header and n_expected is not None and table.n_rows == n_expected and table.n_rows > 1
            and not any(is_id_name(row0[j]) for j in text_cols)
            and all(_column_has_text(table, j) for j in text_cols)):
        header = False
    first = 1 if header else 0
    if header and table.n_rows == 1:
        raise table.error("the file has a header row but no data rows", 0)
    names_row = row0 if header else None
    start = 1 if header and table.n_cols > 1 and is_id_name(row0[0]) else 0
    if header:
        names = row0[start:]
        seen: dict[str, int] = {}
        for j, name in enumerate(names, start=start):
            if not name:
                raise table.error("empty column header (name the target)", 0, j)
            if name in seen:
                raise table.error(f"target name {name!r} appears twice (also column "
                                  f"{seen[name] + 1})", 0, j, names_row)
            seen[name] = j
    else:
        names = ["y"] if table.n_cols == 1 else [f"y{j + 1}" for j in range(table.n_cols)]
    columns = [RawColumn.from_table(table, name, first, j, names_row)
               for j, name in enumerate(names, start=start)]
    return YBlock(table, columns, header, first)


def _column_has_text(table: CsvTable, j: int) -> bool:
    return any(table.to_number(str(s)) is None for s in table.column(j, 1))


# -- partition and row counts ----------------------------------------------------------------
def is_test_value(value: str) -> bool:
    """Partition values that hold a row out: test, val, validation (case-insensitive)."""
    return value.strip().lower() in TEST_VALUES


@dataclass
class Partition:
    """A partition column read: the test rows, and the rows whose label is neither a train
    nor a test word ('trans', 'val2', 'outlier'...), by label. Those are not folded into
    training: the dataset leaves them out (excluded) and a note lists them, until the user
    maps a label to train, test or exclude (SpectralDataset.map_partition, --split-map)."""

    test_mask: np.ndarray
    other: dict[str, list[int]]

    @property
    def excluded(self) -> np.ndarray:
        mask = np.zeros(self.test_mask.size, dtype=bool)
        for rows in self.other.values():
            mask[rows] = True
        return mask

    def note(self, where: str) -> str:
        """One line for the loader's notes ("" when every label was train or test)."""
        return partition_note(self.other, where)


def partition_of(values: list[str]) -> Partition:
    """Read partition labels (case-insensitive; whitespace ignored): test/val/validation hold
    a row out, train/training/cal/calibration train on it, anything else is kept by label."""
    test = np.zeros(len(values), dtype=bool)
    other: dict[str, list[int]] = {}
    for i, value in enumerate(values):
        word = value.strip().lower()
        if word in TEST_VALUES:
            test[i] = True
        elif word not in TRAIN_VALUES:
            other.setdefault(value.strip(), []).append(i)
    return Partition(test, other)


def read_split(table: CsvTable, n_expected: int, x_table: CsvTable | None, x_first: int,
               x_name: str = "X") -> Partition:
    """The partition of a one-column split file with an optional header.

    Row 1 is a header when it reads split/set/partition, or when the file has one row more than
    X has spectra and row 1 is not a partition value (train/cal/test/val...). Rows reading
    test/val/validation are held out, train/cal rows train, other labels are kept apart
    (see Partition). ``x_table`` is the X file's table; None when X is an array (named
    ``x_name`` in the row-count message: an .npy folder).
    """
    if table.n_cols != 1:
        raise table.error(f"the split file must have exactly one column (found {table.n_cols})",
                          0, 1)
    first_value = table.cell(0, 0).strip()
    header = first_value.lower() in SPLIT_NAMES or (
        table.n_rows == n_expected + 1 and first_value.lower() not in PARTITION_VALUES)
    first = 1 if header else 0
    n = table.n_rows - first
    if x_table is not None:
        check_same_rows(x_table, x_first, n_expected, table, first, n,
                        b_what=("split value", "split values"))
    elif n != n_expected:
        raise InputError(f"{table.name} has {n} split value{'s' if n != 1 else ''} but "
                         f"{x_name} has {n_expected} spectra; rows must pair one to one",
                         file=table.file,
                         row=table.line(first + n_expected) if n > n_expected else None)
    return partition_of([str(s) for s in table.column(0, first)])


def check_same_rows(a: CsvTable, a_first: int, a_n: int, b: CsvTable, b_first: int, b_n: int,
                    a_what: tuple[str, str] = ("spectrum", "spectra"),
                    b_what: tuple[str, str] = ("row", "rows")) -> None:
    """Refuse two files whose data rows do not pair one to one; the error points at the first
    row of the longer file that has no partner and names both files and both counts.
    ``a_what`` / ``b_what`` are the (singular, plural) nouns for the rows of each file."""
    if a_n == b_n:
        return
    longer, first, other = (a, a_first, b) if a_n > b_n else (b, b_first, a)
    row = longer.line(first + min(a_n, b_n))
    count_a = f"{a_n} {a_what[a_n != 1]}"
    count_b = f"{b_n} {b_what[b_n != 1]}"
    raise InputError(f"{a.name} has {count_a} but {b.name} has {count_b}; rows must pair one to "
                     f"one (this row of {longer.name} has no partner in {other.name})",
                     file=longer.file, row=row)
