"""sha256 of a stored row's columns, so a damaged project says so instead of misleading.

Why: SQLite keeps no checksums of the data it stores. A flipped bit inside a JSON column
(the results, the plan, a dataset's metadata) either breaks the JSON (a JSONDecodeError
traceback) or, worse, keeps it valid and changes a number or a name; a flipped bit inside
an array blob changes predictions. Arrays and models had their sha256 from the start; since
schema 4 every row whose columns are read back carries one too: the digest of the columns
listed here, in this order, each with its type and length (so moving bytes from one column
to the next cannot give the same digest). Readers recompute it and refuse a mismatch with
one line naming the table row (engine.store.project).

The column lists are part of the file format (docs/formats.md): never reorder them; a new
column gets a new digest version.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

__all__ = ["COVERED", "DIGEST_COLUMN", "row_digest"]

#: table -> the columns its ``sha256`` (``row_sha256`` for branch_models, whose ``sha256`` is
#: the model blob's own) covers. Blobs that have their own digest are covered through it.
COVERED: dict[str, tuple[str, ...]] = {
    "datasets": ("id", "name", "content_hash", "n_samples", "n_wavelengths", "target_names",
                 "created", "metadata"),
    "pipelines": ("id", "name", "spec", "spec_hash", "created"),
    "runs": ("id", "created", "dataset_id", "pipeline_id", "target", "task", "best_branch",
             "n_branches", "plan", "results", "seconds", "cancelled", "train_indices",
             "test_indices", "versions"),
    "predictions": ("run_id", "branch_id", "kind", "data"),
    "branch_models": ("run_id", "branch_id", "sha256", "wavelengths", "types"),
    "ui_state": ("key", "value"),
}

#: table -> the column holding its row digest
DIGEST_COLUMN: dict[str, str] = {table: ("row_sha256" if table == "branch_models" else "sha256")
                                 for table in COVERED}


def _encode(value: Any) -> bytes:
    if value is None:
        return b"N"
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        data, tag = str(value).encode(), b"I"
    elif isinstance(value, float):
        data, tag = repr(value).encode(), b"F"
    elif isinstance(value, str):
        data, tag = value.encode("utf-8", "surrogatepass"), b"T"
    elif isinstance(value, (bytes, bytearray, memoryview)):
        data, tag = bytes(value), b"B"
    else:
        raise TypeError(f"cannot digest a {type(value).__name__}")
    return tag + str(len(data)).encode() + b":" + data


def row_digest(table: str, values: Sequence[Any]) -> str:
    """The sha256 (hex) of one row's ``COVERED[table]`` values, given in that order."""
    columns = COVERED[table]
    if len(values) != len(columns):
        raise ValueError(f"{table}: {len(columns)} covered columns, {len(values)} values")
    digest = hashlib.sha256(f"nirdesk.row/1 {table}\n".encode())
    for value in values:
        digest.update(_encode(value))
    return digest.hexdigest()
