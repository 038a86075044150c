"""Estimators that misbehave on purpose, for the executor's failure and cancel tests.

They live in an importable module so that pool workers can unpickle them by reference.
"""
from __future__ import annotations

import os
import time

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin


class _MeanRegressor(RegressorMixin, BaseEstimator):
    def predict(self, X):
        return np.full(len(X), self.mean_)


def failing_model(message: str = "this model cannot be fitted (on purpose)") -> dict:
    """A pipeline step whose fit raises ``message``: a branch that fails while running.

    Why not an impossible parameter (PLS with more components than wavelengths): the run
    refuses those before any work (engine.pipeline.datacheck), so they no longer make a
    branch fail; this step is valid until its fit runs."""
    from engine.registry import allow_module_prefix

    allow_module_prefix("tests")
    return {"class": "tests.faulty.RaisingRegressor", "params": {"message": message}}


class RaisingRegressor(_MeanRegressor):
    """fit raises ValueError, like a model given data it cannot handle."""

    def __init__(self, message: str = "boom"):
        self.message = message

    def fit(self, X, y):
        raise ValueError(self.message)


class DyingRegressor(_MeanRegressor):
    """Kills the process it runs in (a segfault in native code, the OOM killer), but only
    inside a pool worker: never the test process itself (main_pid)."""

    def __init__(self, main_pid: int = 0):
        self.main_pid = main_pid

    def fit(self, X, y):
        if os.getpid() != self.main_pid:
            os._exit(3)
        raise RuntimeError("DyingRegressor ran in the main process")


class MemoryHogRegressor(_MeanRegressor):
    def fit(self, X, y):
        raise MemoryError("Unable to allocate 512 GiB for an array")


class LeakyRegressor(_MeanRegressor):
    """Warns during fit as a garbage-collected unclosed file of earlier work does (a
    ResourceWarning), next to a warning about the fit itself."""

    def fit(self, X, y):
        import warnings

        warnings.warn("unclosed file <_io.TextIOWrapper name='other.csv'>", ResourceWarning,
                      stacklevel=2)
        warnings.warn("the fit itself had a problem", UserWarning, stacklevel=2)
        self.mean_ = float(np.mean(y))
        return self


class SlowRegressor(_MeanRegressor):
    """Takes ``seconds`` per fit: long enough to cancel in the middle."""

    def __init__(self, seconds: float = 5.0):
        self.seconds = seconds

    def fit(self, X, y):
        time.sleep(self.seconds)
        self.mean_ = float(np.mean(y))
        return self
