"""numpy arrays as .npy blobs, written and read without pickle.

Why .npy: it is numpy's own portable format (dtype, shape and byte order in a small header),
readable from any language, and ``allow_pickle=False`` makes both writing and reading refuse
object arrays, so a blob can never carry code. Class labels are therefore always stored as
fixed-width unicode ('<U'), never as object arrays.
"""
from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping

import numpy as np

from engine.errors import InputError

__all__ = ["content_hash", "from_npy", "targets_from_npy", "targets_to_npy", "to_npy"]


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
    digest = hashlib.sha256()
    for label, blob in parts.items():
        data = b"" if blob is None else bytes(blob)
        digest.update(f"{label}:{len(data)}:".encode())
        digest.update(data)
    return digest.hexdigest()
