"""What every backend module needs to know about the optional Dask extra, without importing it.

Why a module of its own: engine.backends (the facade that makes pools) imports
dask_cluster / dask_pool when a Dask pool is asked for, and dask_cluster must refuse to
connect when dask.distributed is missing. Both read the answer and the error from here, so the
imports point one way (facade -> dask_cluster -> _base) instead of round in a circle.
"""
from __future__ import annotations

import importlib.util

from engine.errors import NirdeskInputError

INSTALL_HINT = "pip install 'nirdesk[cluster]'"
DASK_MISSING = f"--backend dask needs dask.distributed: {INSTALL_HINT}"


class DaskMissing(NirdeskInputError):
    """The Dask backend was asked for but dask.distributed is not installed."""

    def __init__(self, message: str = DASK_MISSING) -> None:
        super().__init__(message)


def dask_available() -> bool:
    """Whether dask.distributed can be imported (checked without importing it)."""
    try:
        return importlib.util.find_spec("distributed") is not None
    except (ImportError, ValueError):
        return False
