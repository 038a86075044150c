"""The versions a Dask worker must share with this machine, in a module that imports nothing
heavy: Test connection runs :func:`worker_versions` on every worker (Client.run), and on a
fresh worker unpickling it imports this module, which must not cost a scikit-learn import
(seconds on a busy worker) inside the connection test's timeout."""
from __future__ import annotations

import platform
from importlib import metadata

PACKAGES = ("nirdesk", "scikit-learn", "numpy")


def worker_versions() -> dict[str, str | None]:
    """Python and the packages that change results or pickles (None: not installed)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = None
    return out
