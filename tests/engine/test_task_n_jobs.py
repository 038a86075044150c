"""A model asking for far more threads than CPUs fits anyway (issue 22, point 10).

RandomForest(n_jobs=1000) asks joblib for 1000 threads. Where a process may not start that
many (a container's pids limit), CPython's ThreadPool hid the real error behind
"'DummyProcess' object has no attribute 'terminate'". execute_task caps n_jobs at the usable
CPUs for the fit and hands the model back with the n_jobs the user set.
"""
from __future__ import annotations

import threading

import numpy as np
import pytest
from sklearn.ensemble import RandomForestRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from engine.fold import REFIT
from engine.tasks import execute_task, usable_cpus


@pytest.fixture
def thread_limit(monkeypatch):
    """At most 8 more threads may start (a small pids limit, simulated)."""
    original = threading.Thread.start
    started = [0]

    def start(self):
        started[0] += 1
        if started[0] > 8 + usable_cpus():
            raise RuntimeError("can't start new thread")
        return original(self)

    monkeypatch.setattr(threading.Thread, "start", start)
    return started


def _data():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 12))
    y = X[:, 0] * 2 + rng.normal(scale=0.1, size=60)
    return X, y


def test_the_limit_really_breaks_an_uncapped_forest(thread_limit):
    X, y = _data()
    with pytest.raises((AttributeError, RuntimeError)):
        RandomForestRegressor(n_estimators=4, n_jobs=1000, random_state=0).fit(X, y)


def test_n_jobs_1000_fits_under_a_thread_limit_and_keeps_the_users_value(thread_limit):
    X, y = _data()
    pipe = Pipeline([("scale", StandardScaler()),
                     ("rf", RandomForestRegressor(n_estimators=4, n_jobs=1000, random_state=0))])
    train, test = np.arange(45), np.arange(45, 60)
    result = execute_task("fit", 1, REFIT, pipe, X, y, train, test)
    assert result.model.get_params()["rf__n_jobs"] == 1000  # as the user asked
    assert pipe.get_params()["rf__n_jobs"] == 1000           # the template untouched
    reference = Pipeline([("scale", StandardScaler()),
                          ("rf", RandomForestRegressor(n_estimators=4, n_jobs=1,
                                                       random_state=0))]).fit(X[train], y[train])
    np.testing.assert_allclose(result.predictions, reference.predict(X[test]), rtol=0,
                               atol=1e-12)
