"""Reading delimited text tables robustly and fast.

A ``CsvTable`` is the cells of one file as a 2-D object array of strings (header row included,
the caller decides whether row 0 is a header) plus the 1-based line number of every row, so that
every later complaint can name the file, the line an editor shows and the column.

Why this shape: numbers are converted in one vectorised ``astype(float)`` over a block of cells
(the tablet X.csv, 642 x 597, parses in a few tens of ms); only when that fails is the block
scanned cell by cell to find and quote the offending cell.

At scale (20,000 x 1,000: 20 million cell strings, 1.9 GB and ~10 s) that shape is the cost, so
a plain file (no quotes, ASCII below the header) takes the fast path of ``fastcsv``: the table
keeps the file's bytes, converts numeric blocks with ``fastfloat`` and makes strings only for
the cells asked for. Whatever it does not read exactly is left to the reader below, which stays
the reference: same cells, same numbers, same messages.

Handled here, once for every layout: ``.gz`` files, a UTF-8 BOM, UTF-16 exports, CR/LF line ends,
delimiter detection (tab, ';' or ',', or Excel's "sep=;" first line), decimal commas in ';'/tab
files, quoted fields, trailing blank or ";;;" lines and a delimiter ending every line (common
spreadsheet exports).
"""
from __future__ import annotations

import codecs
import csv
import gzip
import mmap
import os
import re
import zlib
from pathlib import Path

import numpy as np

from engine.errors import InputError
from engine.io.fastcsv import ByteRows, Raw, plain_rows
from engine.io.meter import Span
from engine.io.paths import kind_of
from engine.io.ranges import first_out_of_range, out_of_range_message

DELIMITERS = ("\t", ";", ",")  # priority order when several are plausible
_SNIFF_LINES = 5
_DECIMAL_COMMA_NUMBER = re.compile(r"^\s*[+-]?\d*,\d+([eE][+-]?\d+)?\s*$")
_DECIMAL_COMMA_HINT = re.compile(r"\d,\d")
_SEP_LINE = re.compile(r"^sep=(.)\s*$")
_READ_BLOCK = 1 << 24    # bytes read at a time when progress is reported


def read_text(path: Path, file: str) -> str:
    """The decoded text of ``path`` (``file`` is the name used in messages).

    ``.gz`` is decompressed; UTF-8 (with or without BOM) is expected, UTF-16 with a BOM is
    accepted (Excel "Unicode text"), and anything else falls back to Latin-1 so that a legacy
    Windows export with an accented label still loads. Binary files are refused.
    """
    return decode_text(read_bytes(path, file), file)


def read_bytes(path: Path, file: str, span: Span | None = None) -> Raw:
    """The bytes of ``path``, decompressed when it is a ``.gz`` file. With ``span`` the file
    is read in blocks that report progress and check cancellation (a slow or network disk);
    a .gz file is then decompressed in one go."""
    kind = kind_of(path)
    if kind not in ("file", "missing"):  # a FIFO or a device would block read_bytes forever
        raise InputError(f"cannot read it as a table: this is {kind}", file=file)
    try:
        raw = path.read_bytes() if span is None else _read_in_blocks(path, span)
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", file=file) from None
    if path.name.lower().endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"not a valid gzip file ({exc})", file=file) from None
    return raw


def _nothing() -> None:
    """No cancel check (a table read without a meter)."""


def _read_in_blocks(path: Path, span: Span) -> Raw:
    """The file's bytes, read a block at a time into one anonymous memory map.

    Why a map (issue 20, the window's thread must never wait long for the GIL): a
    ``bytearray(size)`` is zero-filled under the GIL (0.55 s for 840 MB); blocks joined into
    one ``bytes`` cost a second copy, twice the memory for a moment, and their frees at the
    end hold the GIL (~55 ms per 800 MB), as does freeing the joined ``bytes`` after the
    parse. The file's pages land in the map inside the read system call (no GIL), and an
    mmap is unmapped without the GIL when the last view of it goes.
    """
    with path.open("rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            span.done()
            return b""
        buffer = mmap.mmap(-1, size)
        with memoryview(buffer) as view:
            done = 0
            while done < size and (got := f.readinto(view[done:done + _READ_BLOCK])):
                done += got
                span.advance(got, size)
    span.done()
    if done < size:            # the file shrank while it was read: what was there
        with buffer:
            return buffer[:done]
    return buffer


def decode_text(raw: Raw, file: str) -> str:
    """``raw`` decoded as ``read_text`` describes."""
    if not isinstance(raw, bytes):
        raw = raw[:]                # a map read with progress: the precise reader's copy
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(f"cannot decode the UTF-16 text ({exc.reason})", file=file) from None
    if b"\x00" in raw:
        raise InputError("binary file, not a CSV text table (export it as CSV)", file=file)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def detect_delimiter(sample: list[str], hint: str | None = None) -> str:
    """The delimiter of a table whose first non-blank lines are ``sample``.

    A candidate is preferred when it occurs the same number of times (> 0) on every sampled line
    (tab, then ';', then ','). ``hint`` (the delimiter of the companion X file) decides a
    one-column file: ``12,5`` lines are decimal-comma numbers when the X file uses ';'.
    """
    counts = {d: [line.count(d) for line in sample] for d in DELIMITERS}
    consistent = [d for d in DELIMITERS if counts[d][0] > 0 and len(set(counts[d])) == 1]
    if consistent:
        chosen = consistent[0]
    else:
        present = [d for d in DELIMITERS if counts[d][0] > 0]
        chosen = max(present, key=lambda d: counts[d][0]) if present else (hint or ",")
    if chosen == "," and hint in (";", "\t"):
        body = sample[1:] or sample
        if all(_DECIMAL_COMMA_NUMBER.match(line) for line in body):
            chosen = hint
    return chosen


class CsvTable:
    """All cells of one delimited file (header row, if any, included as row 0).

    ``cells`` is the (n_rows, n_cols) object array of strings as written (not stripped) and
    ``lines`` the 1-based line number of each row. A table read by the fast path (``fastcsv``)
    keeps the file's bytes instead and makes ``cells`` only if something asks for all of them;
    ``cell``, ``column``, ``row`` and ``numbers`` read what they need from the bytes.
    """

    def __init__(self, file: str, delimiter: str, decimal_comma: bool,
                 cells: np.ndarray | None = None, lines: np.ndarray | None = None,
                 source: ByteRows | None = None) -> None:
        if cells is None and source is None:
            raise ValueError("a CsvTable needs its cells or its source")
        self.file = file                    # the path as shown in messages
        self.delimiter = delimiter
        self.decimal_comma = decimal_comma  # ',' may be a decimal mark (only when delimiter != ',')
        self._cells = cells
        self._source = source
        n = cells.shape[0] if cells is not None else source.n_rows if source is not None else 0
        self.lines = (np.arange(1, n + 1, dtype=np.int64) if lines is None
                      else np.asarray(lines, dtype=np.int64))

    @property
    def cells(self) -> np.ndarray:
        if self._cells is None:
            assert self._source is not None
            self._cells = self._source.all_cells()
        return self._cells

    @property
    def fast(self) -> bool:
        """Read by the fast path (``fastcsv``) and its cells not made yet."""
        return self._cells is None

    @property
    def name(self) -> str:
        """The bare file name, for mentioning this file inside another file's message."""
        return Path(self.file).name

    @property
    def n_rows(self) -> int:
        return int(self.lines.size)

    @property
    def n_cols(self) -> int:
        if self._cells is None and self._source is not None:
            return self._source.n_cols
        return self.cells.shape[1]

    def line(self, i: int) -> int:
        """The 1-based line number (as an editor shows it) of table row ``i``."""
        return int(self.lines[i])

    def cell(self, i: int, j: int) -> str:
        """The cell at row ``i``, column ``j`` as written (not stripped)."""
        if self._cells is None and self._source is not None:
            return self._source.cells(i)[j]
        return str(self.cells[i, j])

    def column(self, j: int, first: int = 0) -> list[str]:
        """Column ``j`` from row ``first`` on, as written (not stripped)."""
        if self._cells is None and self._source is not None:
            return self._source.column(j, first)
        return [str(c) for c in self.cells[first:, j]]

    def row(self, i: int) -> list[str]:
        if self._cells is None and self._source is not None:
            return [c.strip() for c in self._source.cells(i)]
        return [str(c).strip() for c in self.cells[i]]

    def take_rows(self, rows: list[int]) -> CsvTable:
        """The table restricted to ``rows`` (errors still name the file's lines)."""
        return CsvTable(self.file, self.delimiter, self.decimal_comma, cells=self.cells[rows],
                        lines=self.lines[rows])

    def error(self, message: str, i: int | None = None, j: int | None = None,
              header: list[str] | None = None) -> InputError:
        """An InputError at table row ``i`` / column ``j`` (0-based; shown 1-based)."""
        name = header[j] if header is not None and j is not None and j < len(header) else None
        return InputError(message, file=self.file, row=None if i is None else self.line(i),
                          column=None if j is None else j + 1, column_name=name or None)

    # -- numbers ---------------------------------------------------------------------------
    def number_text(self, s: str) -> str:
        return s.replace(",", ".") if self.decimal_comma else s

    def to_number(self, s: str) -> float | None:
        """``s`` as a float, or None when it is not a number (decimal comma honoured)."""
        try:
            return float(self.number_text(s))
        except ValueError:
            return None

    def numbers(self, r0: int = 0, r1: int | None = None, c0: int = 0, c1: int | None = None,
                header: list[str] | None = None, what: str = "a numeric column") -> np.ndarray:
        """Rows r0:r1 x columns c0:c1 as finite float64; errors name the first bad cell.

        ``header`` (the header row, if the table has one) supplies the column names in messages.
        A table read by the fast path converts the block from its bytes; if a cell is not a
        plain number there, the cells are made and converted here, so the message is the same.
        """
        values = None
        if self._cells is None and self._source is not None:
            stop = self.n_rows if r1 is None else min(r1, self.n_rows)
            c_stop = self.n_cols if c1 is None else min(c1, self.n_cols)
            if stop > r0 and c_stop > c0:
                fast = self._source.numbers(r0, stop, c0, c_stop, self.decimal_comma)
                if isinstance(fast, np.ndarray):
                    values = fast
                else:
                    # rows i:k hold a cell that is not a number (or, None, the block was not
                    # read there): the precise reading of just those rows names the cell
                    i, k = fast if fast is not None else (r0, stop)
                    rows = np.array([self._source.cells(r)[c0:c_stop] for r in range(i, k)],
                                    dtype=object)
                    got = self._precise_numbers(i, k, c0, c_stop, header, what, block=rows)
                    if fast is None:
                        values = got
        if values is None:
            values = self._precise_numbers(r0, r1, c0, c1, header, what)
        if values.size and np.isfinite(values.max()) and np.isfinite(values.min()):
            bad = None      # all finite, found without a block-sized temporary
        else:
            bad = ~np.isfinite(values)
        if bad is not None and bad.any():
            i, j = np.argwhere(bad)[0]
            text = self.cell(r0 + i, c0 + j).strip()
            raise self.error(f"{text!r} is not a finite number (NaN and infinity are not allowed)",
                             r0 + i, c0 + j, header)
        big = first_out_of_range(values)
        if big is not None:
            i, j = big
            text = self.cell(r0 + i, c0 + j).strip()
            raise self.error(out_of_range_message(text), r0 + i, c0 + j, header)
        return values

    def _precise_numbers(self, r0: int, r1: int | None, c0: int, c1: int | None,
                         header: list[str] | None, what: str,
                         block: np.ndarray | None = None) -> np.ndarray:
        """The block converted from its cell strings (``block``: those cells, when already
        made); an unconvertible cell is named."""
        if block is None:
            block = self.cells[r0:r1, c0:c1]
        if self.decimal_comma:
            sep = "\x1f"  # join/replace/split runs in C: far faster than a per-cell loop
            flat = sep.join(block.ravel().tolist()).replace(",", ".").split(sep)
            if len(flat) != block.size:  # a cell holds the separator itself: go cell by cell
                flat = [c.replace(",", ".") for c in block.ravel()]
            block = np.array(flat, dtype=object).reshape(block.shape)
        try:
            return block.astype(np.float64)
        except (ValueError, TypeError):
            return self._scan(block, r0, c0, header, what)

    def _scan(self, block: np.ndarray, r0: int, c0: int, header: list[str] | None,
              what: str) -> np.ndarray:
        """Slow path: convert cell by cell and raise at the first cell that is not a number."""
        out = np.empty(block.shape, dtype=np.float64)
        for i in range(block.shape[0]):
            try:                       # whole row at once; only a failing row goes cell by cell
                out[i] = block[i].astype(np.float64)
                continue
            except (ValueError, TypeError):
                pass
            for j in range(block.shape[1]):
                try:
                    out[i, j] = float(block[i, j])
                except (ValueError, TypeError):
                    text = self.cell(r0 + i, c0 + j).strip()
                    if not text:
                        raise self.error("empty cell (a number is expected)",
                                         r0 + i, c0 + j, header) from None
                    raise self.error(f"text {text!r} in {what} (a number is expected)",
                                     r0 + i, c0 + j, header) from None
        return out


def read_table(path: Path, file: str | None = None, delimiter_hint: str | None = None,
               span: Span | None = None) -> CsvTable:
    """Read ``path`` into a rectangular CsvTable; ragged, blank or empty files are refused.

    ``file`` is the name used in messages (default: ``str(path)``); ``delimiter_hint`` is the
    delimiter of a companion file, used only to read one-column files with decimal commas.
    ``span`` (engine.io.meter) hears the progress: reading the bytes is its first 15 %,
    finding the rows the next 10 %, and converting numbers (``CsvTable.numbers`` of a table
    read by the fast path, block by block) the rest; each report checks cancellation. The
    precise reader reports only when it has finished.
    """
    file = str(path) if file is None else file
    raw = read_bytes(path, file, None if span is None else span.part(0.0, 0.15))
    plain = plain_rows(raw, detect_delimiter, delimiter_hint,
                       span.check if span is not None else _nothing)
    if span is not None:
        span.part(0.0, 0.25).done()
    if plain is not None:                  # the fast path (fastcsv), same cells and numbers
        source, decimal_comma = plain
        source.span = None if span is None else span.part(0.25, 1.0)
        return CsvTable(file=file, delimiter=source.delimiter, decimal_comma=decimal_comma,
                        source=source)
    text = decode_text(raw, file)          # the precise reader: every cell a string
    del raw
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise InputError("the file is empty (no rows)", file=file)
    if lines[0].lstrip().startswith("##"):  # JCAMP-DX's labelled records (##TITLE=...)
        raise InputError("this is a JCAMP-DX file, not a table (it starts with "
                         f"{lines[0].strip()[:24]!r}); name it .jdx or .dx and nirdesk reads "
                         "it as one", file=file)
    offset = 0
    declared = _SEP_LINE.match(lines[0])          # Excel's "sep=;" first line
    if declared:
        d, offset, lines = declared.group(1), 1, lines[1:]
        if not lines:
            raise InputError("the file is empty (no rows)", file=file)
    else:
        d = detect_delimiter([line for line in lines if line.strip()][:_SNIFF_LINES],
                             delimiter_hint)
    while lines and not lines[-1].replace(d, "").strip():   # trailing ";;;;" rows
        lines.pop()
    if not lines:
        raise InputError("the file is empty (no values)", file=file)
    for i, line in enumerate(lines):
        if not line.strip():
            expected = lines[0].count(d) + 1
            raise InputError("empty cell (blank line)" if expected == 1 else
                             f"blank line inside the table (expected {expected} cells like "
                             f"row {offset + 1})", file=file, row=offset + i + 1, column=1)
    if '"' in text:
        rows, starts = _split_quoted(lines, d, file, offset)
    else:
        rows, starts = None, list(range(offset + 1, offset + len(lines) + 1))
        lines = _drop_trailing_delimiter(lines, d)
    counts = [len(r) for r in rows] if rows is not None else [line.count(d) + 1 for line in lines]
    expected = counts[0]
    for i, found in enumerate(counts):
        if found != expected:
            column = found + 1 if found < expected else expected + 1
            raise InputError(f"ragged row: expected {expected} cells (as in row {starts[0]}) "
                             f"but found {found}", file=file, row=int(starts[i]), column=column)
    if rows is None:
        cells = np.array(d.join(lines).split(d), dtype=object).reshape(len(lines), expected)
    else:
        cells = np.empty((len(rows), expected), dtype=object)
        for i, r in enumerate(rows):
            cells[i, :] = r
    decimal_comma = d != "," and bool(_DECIMAL_COMMA_HINT.search(text))
    if span is not None:
        span.done()
    return CsvTable(file=file, delimiter=d, decimal_comma=decimal_comma, cells=cells,
                    lines=np.asarray(starts, dtype=np.int64))


def _drop_trailing_delimiter(lines: list[str], d: str) -> list[str]:
    """Remove the empty last cell that some exporters write as a delimiter at every line end
    (only where that makes header and data agree; a named but empty last column is left for
    the "empty cell" check to report)."""
    head, body = lines[0].rstrip(" "), [line.rstrip(" ") for line in lines[1:]]
    head_n = head.count(d)
    body_n = body[0].count(d) if body else head_n
    head_trails = head.endswith(d)
    body_trails = bool(body) and all(line.endswith(d) for line in body)
    strip_body = body_trails and (head_trails or head_n == body_n - 1)
    strip_head = head_trails and (body_trails or not body or head_n == body_n + 1)
    if not (strip_body or strip_head):
        return lines
    return ([head[:-1] if strip_head else lines[0]]
            + ([line[:-1] for line in body] if strip_body else lines[1:]))


def _split_quoted(lines: list[str], d: str, file: str,
                  offset: int) -> tuple[list[list[str]], list[int]]:
    """Rows of a file with quoted fields (csv module), with each record's first line number;
    a trailing empty cell on every row is dropped as in ``_drop_trailing_delimiter``."""
    reader = csv.reader(lines, delimiter=d)
    rows: list[list[str]] = []
    starts: list[int] = []
    previous = 0
    try:
        for record in reader:
            rows.append(record)
            starts.append(offset + previous + 1)
            previous = reader.line_num
    except csv.Error as exc:
        raise InputError(f"malformed quoted field ({exc})", file=file,
                         row=offset + previous + 1) from None
    head, body = rows[0], rows[1:]
    head_trails = bool(head) and head[-1].strip() == ""
    body_trails = bool(body) and all(r and r[-1].strip() == "" for r in body)
    body_n = len(body[0]) if body else len(head)
    strip_body = body_trails and (head_trails or len(head) == body_n - 1)
    strip_head = head_trails and (body_trails or not body or len(head) == body_n + 1)
    if strip_head:
        rows[0] = head[:-1]
    if strip_body:
        rows[1:] = [r[:-1] for r in body]
    return rows, starts
