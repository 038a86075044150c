"""Each saved model's diagnostics (engine.diagnostics.LatentModel) as an .npz blob.

Why .npz: the latent model is a handful of numeric arrays (means, loadings, score variances,
the residual θ); numpy's zip of .npy files keeps them with their dtypes and shapes, readable
from any language, and loading with ``allow_pickle=False`` can never run code. A sha256 kept
beside the blob tells a damaged blob (SQLite has no checksums of its own) from a good one.
"""
from __future__ import annotations

import hashlib
import io
import zipfile
from typing import TYPE_CHECKING

import numpy as np

from engine.errors import InputError

if TYPE_CHECKING:  # scipy.stats comes with it: loaded when a blob is read, not on import
    from engine.diagnostics.latent import LatentModel

__all__ = ["latent_from_blob", "latent_to_blob"]


def latent_to_blob(latent: LatentModel) -> tuple[bytes, str]:
    """(npz bytes, their sha256) of a latent model."""
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **latent.to_arrays())
    blob = buffer.getvalue()
    return blob, hashlib.sha256(blob).hexdigest()


def latent_from_blob(blob: bytes, digest: str, where: str) -> LatentModel:
    """The latent model saved by :func:`latent_to_blob`; a blob whose checksum does not match,
    that is not a plain npz, or whose arrays do not make a latent model is an InputError
    naming ``where`` (the project, run and branch)."""
    from engine.diagnostics.latent import LatentModel

    data = bytes(blob)
    if hashlib.sha256(data).hexdigest() != digest:
        raise InputError("the saved diagnostics are damaged (their checksum does not match)",
                         file=where)
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
        return LatentModel.from_arrays(arrays)
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise InputError(f"the saved diagnostics are unreadable ({exc})", file=where) from None
