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
