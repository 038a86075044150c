"""numpy arrays as .npy blobs, written and read without pickle.

Why .npy: it is numpy's own portable format (dtype, shape and byte order in a small header),
readable from any language, and ``allow_pickle=False`` makes both writing and reading refuse
object arrays, so a blob can never carry code. Class labels are therefore always stored as
fixed-width unicode ('<U'), never as object arrays.
"""
from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from engine.errors import InputError

__all__ = ["CHUNK_BYTES", "ContentHash", "content_hash", "from_npy", "hash_npy", "npy_header",
           "read_npy_stream", "targets_from_npy", "targets_to_npy", "to_npy", "write_npy_stream"]

#: How much of a big array is hashed, written or read at a time when it is streamed: large
#: enough that the per-call cost vanishes, small enough that no whole-array copy is made.
CHUNK_BYTES = 16 * 2**20


def _plain(array: np.ndarray) -> np.ndarray:
    """Object arrays of strings become '<U' arrays (pickle-free); other objects are refused."""
    array = np.asarray(array)
    if array.dtype.kind == "O":
        if all(isinstance(v, str) for v in array.ravel()):
            return array.astype(str)
        raise ValueError("an array of Python objects cannot be stored without pickle")
    return array


def to_npy(array: np.ndarray) -> bytes:
    """The .npy bytes of ``array`` (deterministic for equal arrays: used for content hashes)."""
    buffer = io.BytesIO()
    np.save(buffer, _plain(array), allow_pickle=False)
    return buffer.getvalue()


def from_npy(blob: bytes, what: str = "array", file: str | None = None) -> np.ndarray:
    """Read a .npy blob; anything that is not a plain .npy (or needs pickle) is an InputError."""
    try:
        return np.load(io.BytesIO(bytes(blob)), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(f"the stored {what} is not a readable .npy array ({exc})",
                         file=file) from None


def targets_to_npy(targets: Mapping[str, np.ndarray]) -> bytes | None:
    """All targets in one structured array (one field per target, in order), or None.

    A structured array keeps numeric targets as float64 and class labels as '<U' side by side
    in one pickle-free blob; the field order is the dataset's target order.
    """
    if not targets:
        return None
    columns = {name: _plain(values) for name, values in targets.items()}
    n = len(next(iter(columns.values())))
    table = np.empty(n, dtype=[(name, col.dtype) for name, col in columns.items()])
    for name, col in columns.items():
        table[name] = col
    return to_npy(table)


def targets_from_npy(blob: bytes | None, names: list[str], file: str | None = None
                     ) -> dict[str, np.ndarray]:
    """Inverse of :func:`targets_to_npy`; ``names`` (from the JSON column) fixes the order."""
    if blob is None:
        return {}
    table = from_npy(blob, "targets", file)
    fields = table.dtype.names or ()
    if list(fields) != list(names):
        raise InputError(f"the stored targets {list(fields)} do not match the target names "
                         f"{names}", file=file)
    return {name: np.ascontiguousarray(table[name]) for name in names}


def content_hash(parts: Mapping[str, bytes | None]) -> str:
    """sha256 over labelled blobs, in the given order: equal data gives an equal hash.

    The labels and lengths go into the digest too, so moving bytes from one part to the
    next cannot produce the same hash.
    """
    digest = ContentHash()
    for label, blob in parts.items():
        digest.part(label, blob)
    return digest.hexdigest()


class ContentHash:
    """:func:`content_hash` built part by part, a big part possibly in pieces (streamed).

    ``part(label, blob)`` adds a whole part; ``begin(label, length)`` then ``update(piece)``
    calls add one of ``length`` bytes without ever holding it whole. Both give exactly the
    digest :func:`content_hash` gives for the same bytes.
    """

    def __init__(self) -> None:
        self._digest = hashlib.sha256()

    def part(self, label: str, blob: bytes | None) -> None:
        data = b"" if blob is None else blob
        self.begin(label, len(data))
        self._digest.update(data)

    def begin(self, label: str, length: int) -> None:
        self._digest.update(f"{label}:{length}:".encode())

    def update(self, piece: bytes | memoryview) -> None:
        self._digest.update(piece)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


# -- streaming a big array (the spectra) in and out of a blob --------------------------------------

def npy_header(array: np.ndarray) -> bytes:
    """The .npy header np.save writes for ``array`` (a C-contiguous numeric array): the same
    format version numpy picks (1.0, or 2.0 when the header does not fit), so the header
    plus the raw bytes equal :func:`to_npy` exactly and content hashes do not change."""
    fmt = np.lib.format
    info = fmt.header_data_from_array_1_0(array)
    buffer = io.BytesIO()
    try:
        fmt.write_array_header_1_0(buffer, info)
    except ValueError:                      # a header over 64 KiB (millions of dimensions)
        buffer = io.BytesIO()
        fmt.write_array_header_2_0(buffer, info)
    return buffer.getvalue()


def _streamable(array: np.ndarray) -> np.ndarray:
    """The array as it is written: C order, a plain numeric dtype (no object arrays)."""
    array = _plain(array)
    if array.dtype.hasobject or array.dtype.kind not in "biuf":
        raise ValueError(f"only numeric arrays are streamed, not {array.dtype}")
    return np.ascontiguousarray(array)


def _pieces(array: np.ndarray) -> Iterator[memoryview]:
    raw = array.reshape(-1).data.cast("B")
    for start in range(0, raw.nbytes, CHUNK_BYTES):
        yield raw[start:start + CHUNK_BYTES]


def hash_npy(array: np.ndarray, label: str, digest: ContentHash) -> tuple[np.ndarray, int]:
    """Add ``array``'s .npy bytes to ``digest`` as part ``label`` without building them;
    (the array as it will be written, the .npy length)."""
    array = _streamable(array)
    header = npy_header(array)
    length = len(header) + array.nbytes
    digest.begin(label, length)
    digest.update(header)
    for piece in _pieces(array):
        digest.update(piece)
    return array, length


def write_npy_stream(array: np.ndarray, blob: Any) -> None:
    """Write ``array`` as .npy into ``blob`` (a file-like with ``write``, e.g. an open
    sqlite3.Blob of exactly its length), a piece at a time: no copy of the whole array."""
    array = _streamable(array)
    blob.write(npy_header(array))
    for piece in _pieces(array):
        blob.write(piece)


def read_npy_stream(blob: Any, length: int, what: str, file: str | None = None,
                    digest: ContentHash | None = None, label: str = "X") -> np.ndarray:
    """Read a .npy of ``length`` bytes from ``blob`` (``read(n)``) into one new array, a
    piece at a time, adding every byte to ``digest`` (as part ``label``) on the way: the
    stored bytes are never held whole beside the array. Pickle is never allowed: an object
    dtype is refused like any unreadable header."""
    fmt = np.lib.format

    def fail(reason: str) -> InputError:
        return InputError(f"the stored {what} is not a readable .npy array ({reason})", file=file)

    head = blob.read(min(length, 10))
    try:
        major = fmt.read_magic(io.BytesIO(head))[0]
    except ValueError as exc:
        raise fail(str(exc)) from None
    size_bytes = 2 if major == 1 else 4
    header_len = int.from_bytes(head[8:8 + size_bytes], "little")
    prefix = head + blob.read(8 + size_bytes + header_len - len(head))
    try:
        stream = io.BytesIO(prefix)
        fmt.read_magic(stream)
        reader = fmt.read_array_header_1_0 if major == 1 else fmt.read_array_header_2_0
        shape, fortran, dtype = reader(stream)
    except (ValueError, OSError, EOFError, SyntaxError) as exc:
        raise fail(str(exc)) from None
    if dtype.hasobject or fortran:
        raise fail("object or Fortran-ordered arrays are not stored by nirdesk")
    array = np.empty(shape, dtype=dtype)
    if len(prefix) + array.nbytes != length:
        raise fail(f"{length - len(prefix)} data bytes for an array of {array.nbytes}")
    if digest is not None:
        digest.begin(label, length)
        digest.update(prefix)
    # numpy's copy, not a memoryview slice assignment: that one holds the GIL while it
    # faults in the new pages (100+ ms per 16 MiB piece seen by the window's thread)
    target = array.reshape(-1).view(np.uint8)
    for start in range(0, array.nbytes, CHUNK_BYTES):
        piece = blob.read(min(CHUNK_BYTES, array.nbytes - start))
        if len(piece) != min(CHUNK_BYTES, array.nbytes - start):
            raise fail("the data ends early")
        target[start:start + len(piece)] = np.frombuffer(piece, dtype=np.uint8)
        if digest is not None:
            digest.update(piece)
    return array
