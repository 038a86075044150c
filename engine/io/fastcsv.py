"""The fast path of ``csvtable.read_table``: a plain delimited file kept as bytes.

Why: the precise reader makes every cell a Python string (a 20,000 x 1,000 file is 20 million
strings: ~1.9 GB and ~4 s) and converts them with ``float()`` (~4 s more). Most spectra files are
plain: no quotes, ASCII below the header row, one record a line. Such a file stays one ``bytes``
object here; its rows are byte spans, cells become strings only when asked for (the header, an id
column, a target column), and a numeric block is converted by ``fastfloat`` without strings.

Exactness: ``plain_rows`` answers None for anything it does not reproduce exactly (quotes, a
"sep=" or JCAMP first line, UTF-16, a NUL byte, non-ASCII bytes below the header, a lone CR,
blank lines inside the table, ragged rows, spaces at a line end), and ``ByteRows.numbers``
answers the rows of the first step holding a cell that is not a number; the precise reader
then reads the file (or those rows) and raises its own message, so no message changes. Cells
are the same strings the precise reader makes.

Progress and cancel (engine.io.meter): the whole-file scans check the cancel between their
4 MB steps, and the conversion reports each step's bytes and stops the remaining steps at
once when the user cancels, so a load stops within a few tens of milliseconds.
"""
from __future__ import annotations

import codecs
import mmap
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from engine.errors import Cancelled
from engine.io.fastfloat import PAD, parse_fields
from engine.io.meter import Span

__all__ = ["ByteRows", "Raw", "plain_rows"]

#: a file's bytes: ``bytes``, or the anonymous ``mmap`` a file read with progress fills in
#: place (csvtable.read_bytes: one buffer, freed without the GIL); nothing here writes to it
Raw = bytes | bytearray | mmap.mmap

_SNIFF_LINES = 5
_SCAN = 1 << 22            # bytes per step when scanning the whole file
_CHUNK = 1 << 18           # bytes per step of number conversion (stays in the CPU caches)
#: fields of a step converted one by one with float(); more are converted as a block
_FEW = 64
#: threads converting steps at once (each step is ~40 numpy calls on a few 10,000 fields)
_WORKERS = min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)
_DECIMAL_COMMA_HINT = re.compile(rb"\d,\d")
_PADDING = b"0" * PAD       # no separator, no decimal mark


@dataclass
class ByteRows:
    """The rows of a plain delimited file as spans of its bytes (row 0 is the first line)."""

    raw: Raw
    starts: np.ndarray     # byte offset of each row's first cell
    ends: np.ndarray       # end of each row's cells (a dropped trailing delimiter excluded)
    stops: np.ndarray      # end of each row's text before its line end ('\r\n' or '\n')
    header: str            # row 0 decoded as the precise reader decodes the file
    header_plain: bool     # row 0's bytes at starts[0] are its text (ASCII, same trailing cells)
    delimiter: str
    n_cols: int
    crlf: bool             # some line ends are '\r\n'
    #: hears the conversion's progress (bytes of rows converted) and may cancel it
    span: Span | None = None

    @property
    def n_rows(self) -> int:
        return int(self.starts.size)

    def text(self, i: int) -> str:
        """Row ``i``'s cells joined by the delimiter, as the precise reader has them."""
        if i == 0:
            return self.header
        return self.raw[self.starts[i]:self.ends[i]].decode("ascii")

    def cells(self, i: int) -> list[str]:
        return self.text(i).split(self.delimiter)

    def column(self, j: int, first: int = 0) -> list[str]:
        """Column ``j`` of rows ``first``.. (strings as written)."""
        d = self.delimiter
        if j == 0:
            return [self.text(i).partition(d)[0] for i in range(first, self.n_rows)]
        return [self.text(i).split(d)[j] for i in range(first, self.n_rows)]

    def all_cells(self) -> np.ndarray:
        """Every cell, as the precise reader's (n_rows, n_cols) object array."""
        d = self.delimiter
        texts = [self.text(i) for i in range(self.n_rows)]
        return np.array(d.join(texts).split(d), dtype=object).reshape(self.n_rows, self.n_cols)

    def numbers(self, r0: int, r1: int, c0: int, c1: int, decimal_comma: bool
                ) -> np.ndarray | tuple[int, int] | None:
        """Rows r0:r1 x columns c0:c1 as float64 equal to ``float()`` of each cell (a decimal
        comma read as '.'); or the rows (i, k) of the first step holding a cell that is not a
        number, for the caller's precise path to name it (the rows before are all numbers);
        or None when the block is not read here (row 0 whose bytes are not its text: a
        non-ASCII header, or a trailing delimiter the rows below lack)."""
        if r0 == 0 and not self.header_plain:
            return None
        out = np.empty((r1 - r0, c1 - c0), dtype=np.float64)
        if out.size == 0:
            return out
        per_row = (self.stops[r0:r1] - self.starts[r0:r1]).astype(np.float64)
        step = max(1, int(_CHUNK / max(1.0, float(per_row.mean()))))
        steps = [(i, min(i + step, r1)) for i in range(r0, r1, step)]

        meter = self.span
        size = len(self.raw)

        def convert(rows: tuple[int, int]) -> bool | None:
            i, k = rows
            if meter is not None and meter.cancelled:
                return None       # the remaining steps end at once: the pool shuts down fast
            converted = self._convert(i, k, c0, c1, decimal_comma, out[i - r0:k - r0])
            if meter is not None:
                try:
                    meter.advance(int(self.stops[k - 1] - self.starts[i]), size)
                except Cancelled:
                    return None
            return converted

        workers = min(_WORKERS, len(steps) // 4)
        if workers > 1:       # numpy releases the GIL in its loops: steps overlap on 2+ cores
            with ThreadPoolExecutor(workers, thread_name_prefix="nirdesk-csv") as pool:
                done = list(pool.map(convert, steps))
        else:
            done = []
            for rows in steps:
                done.append(convert(rows))
                if done[-1] is None:
                    break
        if meter is not None:
            meter.check()         # raises Cancelled when a step stopped for it
        for rows, converted in zip(steps, done, strict=False):
            if not converted:
                return rows       # the first step in row order with a cell that is not a number
        return out

    def _convert(self, i: int, k: int, c0: int, c1: int, decimal_comma: bool,
                 out: np.ndarray) -> bool:
        """Rows i:k (whole lines) into ``out``; False when a cell is not a number."""
        fields = self._fields(i)
        if any(self._fields(r) != fields for r in (i, k - 1)):
            return False
        text = memoryview(self.raw)[self.starts[i]:self.stops[k - 1]]
        if self.crlf:
            text = memoryview(text.tobytes().replace(b"\r\n", b"\n"))
        buffer = b"".join((_PADDING, text, b"\n"))     # one copy of the rows
        chars = np.frombuffer(buffer, dtype=np.uint8)
        separators = chars == ord(self.delimiter)
        separators |= chars == ord("\n")
        ends = np.flatnonzero(separators)
        n = k - i
        if ends.size != n * fields:
            return False
        starts = np.empty_like(ends)
        starts[0] = PAD
        starts[1:] = ends[:-1] + 1
        grid_ends = ends.reshape(n, fields)
        if not np.all(chars[grid_ends[:, -1]] == ord("\n")):
            return False
        sel_ends = grid_ends[:, c0:c1].ravel()
        sel_starts = starts.reshape(n, fields)[:, c0:c1].ravel()
        values, ok = parse_fields(buffer, sel_starts, sel_ends, decimal_comma,
                                  out=out.reshape(-1))
        if ok.all():
            return True
        left = np.flatnonzero(~ok)
        if left.size > _FEW:      # e.g. full-precision exports (17 digits): float() in bulk,
            rows = buffer[PAD:].decode("ascii")                # as the precise reader does
            if decimal_comma:
                rows = rows.replace(",", ".")
            cells = rows.replace("\n", self.delimiter).split(self.delimiter)[:-1]
            grid = np.array(cells, dtype=object).reshape(n, fields)[:, c0:c1]
            try:
                values[left] = grid.ravel()[left].astype(np.float64)
            except (ValueError, TypeError):
                return False
            return True
        for m in left.tolist():
            cell = buffer[sel_starts[m]:sel_ends[m]].decode("ascii")
            try:
                values[m] = float(cell.replace(",", ".") if decimal_comma else cell)
            except ValueError:
                return False
        return True

    def _fields(self, i: int) -> int:
        """Fields of row ``i``'s line, a dropped trailing delimiter's empty field included."""
        return self.n_cols + int(self.stops[i] != self.ends[i])


def _line_ends(raw: Raw, check: Callable[[], None] = lambda: None) -> np.ndarray:
    """Positions of every '\\n' (scanned in steps so that no file-sized mask is made;
    ``check`` runs between steps and may raise Cancelled)."""
    chars = np.frombuffer(raw, dtype=np.uint8)
    parts = []
    for off in range(0, len(raw), _SCAN):
        check()
        parts.append(np.flatnonzero(chars[off:off + _SCAN] == ord("\n")) + off)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _counts(raw: Raw, starts: np.ndarray, stops: np.ndarray, delimiter: str,
            check: Callable[[], None] = lambda: None) -> np.ndarray:
    """How many delimiters each span ``raw[starts[i]:stops[i]]`` holds (``check`` runs
    between steps)."""
    chars = np.frombuffer(raw, dtype=np.uint8)
    code = ord(delimiter)
    out = np.empty(starts.size, dtype=np.int64)
    i, n = 0, starts.size
    while i < n:
        check()
        k = int(np.searchsorted(starts, starts[i] + _SCAN, side="right"))
        k = min(max(k, i + 1), n)
        base = int(starts[i])
        hits = chars[base:int(stops[k - 1])] == code
        rel_starts = (starts[i:k] - base).tolist()
        rel_stops = (stops[i:k] - base).tolist()
        out[i:k] = [np.count_nonzero(hits[a:b]) for a, b in zip(rel_starts, rel_stops,
                                                                 strict=True)]
        i = k
    return out


def _decode_header(line: bytes | bytearray) -> str:
    """Row 0 as the precise reader decodes the whole file when the rest is ASCII."""
    try:
        return line.decode("utf-8-sig")
    except UnicodeDecodeError:
        return line.decode("latin-1")


#: bytes scanned by one bytes method call: such calls hold the GIL, and the window's thread
#: must not wait more than a few ms for it while a file loads (issue 20)
_GIL_SLICE = 1 << 23


def _slices(raw: Raw, overlap: int = 0, begin: int = 0) -> Iterator[bytes | bytearray]:
    """``raw[begin:]`` in pieces of _GIL_SLICE bytes (each overlapping the next by
    ``overlap``)."""
    for start in range(begin, max(len(raw), begin + 1), _GIL_SLICE):
        yield raw[start:start + _GIL_SLICE + overlap]


def _holds(raw: Raw, needle: bytes) -> bool:
    """``needle in raw``, a slice at a time (a needle across two slices is found too)."""
    return any(needle in piece for piece in _slices(raw, len(needle) - 1))


def _count(raw: Raw, needle: bytes) -> int:
    """``raw.count(needle)``, a slice at a time: each slice reaches ``len(needle) - 1`` bytes
    into the next, so an occurrence is counted once, in the slice where it starts (the bytes
    beyond a slice are too few to hold one that starts there)."""
    return sum(piece.count(needle) for piece in _slices(raw, len(needle) - 1))


def _ascii(raw: Raw, begin: int = 0) -> bool:
    """``raw[begin:].isascii()``, a slice at a time."""
    return all(piece.isascii() for piece in _slices(raw, 0, begin))


def plain_rows(raw: Raw, detect: Callable[[list[str], str | None], str],
               hint: str | None, check: Callable[[], None] = lambda: None
               ) -> tuple[ByteRows, bool] | None:
    """``raw`` (a whole decompressed file) as ByteRows and its decimal-comma flag, or None when
    the file is not plain (see the module docstring); ``detect`` is the precise reader's
    delimiter detection, given the first non-blank lines and ``hint``. ``check`` runs between
    the steps of the whole-file scans (a cancel check: it may raise Cancelled)."""
    if raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or _holds(raw, b'"'):
        return None
    check()
    newlines = _line_ends(raw, check)
    first_end = int(newlines[0]) if newlines.size else len(raw)
    if not _ascii(raw, first_end):
        return None                                     # non-ASCII below row 0
    carriage = _holds(raw, b"\r")
    if _holds(raw, b"\x00") or (carriage and _count(raw, b"\r") != _count(raw, b"\r\n")):
        return None
    starts = np.concatenate(([0], newlines + 1))
    stops = np.concatenate((newlines, [len(raw)]))
    if starts[-1] == len(raw):                          # the file ends with a line end
        starts, stops = starts[:-1], stops[:-1]
    crlf = carriage
    if crlf:
        chars = np.frombuffer(raw, dtype=np.uint8)
        has_cr = stops > starts
        has_cr[has_cr] = chars[stops[has_cr] - 1] == ord("\r")
        stops = stops - has_cr
    header = _decode_header(raw[:stops[0]]) if starts.size else ""

    def line(i: int) -> str:
        return header if i == 0 else raw[starts[i]:stops[i]].decode("ascii")

    n = starts.size
    while n and not line(n - 1).strip():
        n -= 1
    if not n or header.lstrip().startswith("##") or re.match(r"^sep=(.)\s*$", header):
        return None
    blank = (stops[:n] == starts[:n]) | _first_is_space(raw, starts[:n], stops[:n])
    blank[0] = not header.strip()
    sample: list[str] = []
    for i in range(n):
        if len(sample) == _SNIFF_LINES:
            break
        if not (blank[i] and not line(i).strip()):
            sample.append(line(i))
    d = detect(sample, hint)
    while n and not line(n - 1).replace(d, "").strip():
        n -= 1
    if not n or any(not line(i).strip() for i in np.flatnonzero(blank[:n]).tolist()):
        return None                                     # blank lines: the precise reader's message
    starts, stops = starts[:n], stops[:n]
    ends = stops.copy()
    if header.endswith(" ") or _last_is(raw, starts[1:], stops[1:], ord(" ")).any():
        return None
    # the trailing delimiter rule of csvtable._drop_trailing_delimiter
    head_n = header.count(d)
    counts = _counts(raw, starts[1:], stops[1:], d, check)
    body_n = int(counts[0]) if n > 1 else head_n
    head_trails = header.endswith(d)
    body_trails = n > 1 and bool(_last_is(raw, starts[1:], stops[1:], ord(d)).all())
    strip_body = body_trails and (head_trails or head_n == body_n - 1)
    strip_head = head_trails and (body_trails or n == 1 or head_n == body_n + 1)
    if strip_head:
        header = header[:-1]
        ends[0] -= 1
    if strip_body:
        ends[1:] -= 1
        counts = counts - 1
    n_cols = header.count(d) + 1
    if np.any(counts + 1 != n_cols):
        return None                                     # ragged: the precise reader's message
    head_bytes = raw[starts[0]:ends[0]]
    bom = len(codecs.BOM_UTF8) if head_bytes.startswith(codecs.BOM_UTF8) else 0
    header_plain = (head_bytes[bom:].isascii() and strip_head == strip_body
                    and head_bytes[bom:].decode("ascii") == header)
    starts[0] += bom
    decimal_comma = d != "," and _holds(raw, b",") and bool(_DECIMAL_COMMA_HINT.search(raw)
                                                        or re.search(r"\d,\d", header))
    rows = ByteRows(raw=raw, starts=starts, ends=ends, stops=stops, header=header,
                    header_plain=header_plain, delimiter=d, n_cols=n_cols, crlf=crlf)
    return rows, decimal_comma


def _first_is_space(raw: Raw, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Whether each non-empty span starts with a space or a control byte (a candidate blank
    line: str.strip() also strips the ASCII controls 0x0b, 0x0c and 0x1c-0x1f)."""
    chars = np.frombuffer(raw, dtype=np.uint8)
    out = np.zeros(starts.size, dtype=bool)
    some = stops > starts
    out[some] = chars[starts[some]] <= ord(" ")
    return out


def _last_is(raw: Raw, starts: np.ndarray, stops: np.ndarray, code: int) -> np.ndarray:
    """Whether each span ends with the byte ``code``."""
    chars = np.frombuffer(raw, dtype=np.uint8)
    out = np.zeros(starts.size, dtype=bool)
    some = stops > starts
    out[some] = chars[stops[some] - 1] == code
    return out
