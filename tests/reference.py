"""Independent reference computations for the tests: plain numpy + scikit-learn, no engine code.

The engine's numbers are checked against these, so they must not import anything from engine/.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline


def read_matrix(path: Path) -> tuple[list[str], np.ndarray]:
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], np.array(rows[1:], dtype=float)


def read_folder(folder: Path, target: str | None = None):
    """X, y, wavelengths, test mask of an X.csv/y.csv/split.csv folder, read with csv + numpy."""
    header, X = read_matrix(folder / "X.csv")
    names, Y = read_matrix(folder / "y.csv")
    col = names.index(target) if target else 0
    with open(folder / "split.csv", newline="") as fh:
        split = [r[0].strip().lower() for r in list(csv.reader(fh))[1:]]
    test = np.array([s in ("test", "val") for s in split])
    return X, Y[:, col], np.array(header, dtype=float), test


def read_train(folder: Path) -> np.ndarray:
    """The training mask of a split.csv read with csv: rows labelled cal/train only (other
    labels, such as the tablet data's 'trans', are neither train nor test)."""
    with open(folder / "split.csv", newline="") as fh:
        split = [r[0].strip().lower() for r in list(csv.reader(fh))[1:]]
    return np.array([s in ("cal", "train") for s in split])


class RefSNV(BaseEstimator, TransformerMixin):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)


class RefMSC(BaseEstimator, TransformerMixin):
    """MSC written the textbook way: one np.polyfit per spectrum against the training mean."""

    def fit(self, X, y=None):
        self.ref_ = X.mean(axis=0)
        return self

    def transform(self, X):
        out = np.empty_like(X)
        for i, row in enumerate(X):
            b, a = np.polyfit(self.ref_, row, 1)
            out[i] = (row - a) / b
        return out


class RefDetrend(BaseEstimator, TransformerMixin):
    def __init__(self, order=1):
        self.order = order

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        t = np.arange(X.shape[1], dtype=float)
        out = np.empty_like(X)
        for i, row in enumerate(X):
            out[i] = row - np.polyval(np.polyfit(t, row, self.order), t)
        return out


def cv_rmse(steps, X, y, train, n_splits=5, random_state=0, test=None):
    """RMSECV of Pipeline(steps) with KFold(n_splits, shuffle, random_state) on the training rows,
    plus the RMSEP of the pipeline refitted on all training rows when there is a test part
    (``test``: its rows; default every row not in ``train``)."""
    Xtr, ytr = X[train], y[train]
    pred = np.empty_like(ytr)
    for a, b in KFold(n_splits, shuffle=True, random_state=random_state).split(Xtr):
        model = clone(Pipeline(steps)).fit(Xtr[a], ytr[a])
        pred[b] = np.ravel(model.predict(Xtr[b]))
    rmsecv = float(np.sqrt(np.mean((pred - ytr) ** 2)))
    test = np.setdiff1d(np.arange(len(y)), train) if test is None else np.asarray(test)
    rmsep = None
    if test.size:
        model = clone(Pipeline(steps)).fit(Xtr, ytr)
        rmsep = float(np.sqrt(np.mean((np.ravel(model.predict(X[test])) - y[test]) ** 2)))
    return rmsecv, rmsep, pred
