"""Fixtures of the window's tests: Qt always offscreen (no display needed), every project
working copy in a temporary folder, and project prompts that never block a test."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


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
    from app.common.notify import quiet_answer

    monkeypatch.setattr("app.project.controller.default_ask",
                        lambda parent: quiet_answer)
