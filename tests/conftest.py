"""Test-wide settings: Qt always offscreen (no display needed), paths to the small real data."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TESTS_DIR = Path(__file__).resolve().parent
REPO_DIR = TESTS_DIR.parent


@pytest.fixture(scope="session")
def tablet_dir() -> Path:
    return TESTS_DIR / "data" / "tablet"


@pytest.fixture(scope="session")
def tecator_dir() -> Path:
    return REPO_DIR / "resources" / "demo" / "tecator"


@pytest.fixture(autouse=True)
def _private_autosave_dir(tmp_path_factory, monkeypatch):
    """Every window's project working copy (and crash-restore scan) stays in a temporary
    folder: tests never read or write the user's real autosave folder."""
    monkeypatch.setenv("NIRDESK_AUTOSAVE_DIR", str(tmp_path_factory.mktemp("autosave")))


@pytest.fixture(autouse=True)
def _no_blocking_project_prompts(monkeypatch):
    """A window closed by a test with unsaved changes must not wait for a modal Save/Discard
    box nobody will click: such windows discard (the prompts themselves are tested in
    test_project_gui.py with an injected ``ask``)."""
    from app.workbench import batch_ask

    monkeypatch.setattr("app.project.controller.default_ask",
                        lambda parent: lambda kind, **info: batch_ask(kind, **info)
                        if kind != "error" else None)


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
