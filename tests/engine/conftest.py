"""Fixtures of the engine's tests (no Qt): a few real tablet spectra read with numpy alone."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="session")
def tablet() -> tuple[np.ndarray, np.ndarray]:
    """(wavelengths, first 12 tablet spectra) of tests/data/tablet, read with numpy alone (an
    independent reference for the readers' tests)."""
    table = np.loadtxt(DATA / "tablet" / "X.csv", delimiter=",", max_rows=13)
    return table[0], table[1:]
