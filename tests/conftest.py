"""Test-wide fixtures that need no Qt: paths to the small real data, a Dask cluster.

The window's fixtures (offscreen Qt, private autosave folder, prompts that never block) are
in tests/app/conftest.py, so `pytest tests/engine` runs where PySide6 is not installed."""
from __future__ import annotations

from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
REPO_DIR = TESTS_DIR.parent


@pytest.fixture(scope="session")
def tablet_dir() -> Path:
    return TESTS_DIR / "data" / "tablet"


@pytest.fixture(scope="session")
def tecator_dir() -> Path:
    return REPO_DIR / "resources" / "demo" / "tecator"


@pytest.fixture(scope="module")
def dask_cluster():
    """A Dask scheduler + two single-thread workers on 127.0.0.1 in subprocesses, for the
    modules that use it; stopped when that module ends (other modules check that a run leaves
    no child process behind). Skipped without the optional 'cluster' extra (CI installs it)."""
    pytest.importorskip("distributed")
    from engine.backends.subprocess_cluster import acquire_shared, release_shared

    cluster = acquire_shared(2)
    yield cluster
    release_shared()
