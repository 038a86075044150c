"""Is a spectrum inside the model? T², Q and leverage of new or calibration spectra against a
saved LatentModel, with the flag naming the limit broken.

Why one module: a run's outlier list (calibration samples outside the 99 % limits), the flags
of ``nirdesk predict`` and the window's Predict view must give the same verdict with the same
words; the words are ASCII ("T2>99%", "Q>99%") because they go into CSV and JSON files.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.diagnostics.latent import ROWS_AT_ONCE_VALUES, LatentModel
from engine.diagnostics.pca import fit_pca
from engine.diagnostics.pls import pls_latent, pls_of, pls_space_of_blocks, preprocessed

__all__ = [
    "FLAG_LEVEL",
    "Assessment",
    "assess",
    "assess_raw",
    "calibration_assessment",
    "latent_for_model",
    "latent_from_preprocessed",
    "level_label",
    "outliers",
    "preprocessed_rows",
]

FLAG_LEVEL = 0.99
"""A sample beyond the T² or Q limit at this confidence level is flagged."""

BLOCK_VALUES = 2**22
"""Values per block of rows preprocessed at a time when there are many rows (32 MB)."""


def level_label(level: float) -> str:
    """0.99 -> "99%", 0.975 -> "97.5%" (ASCII, as written into CSV/JSON)."""
    return f"{round(float(level) * 100, 6):g}%"


def latent_for_model(model: Any, X_cal: np.ndarray,
                     wavelengths: np.ndarray | None) -> LatentModel | None:
    """The latent space in which a fitted model's samples are judged.

    ``model`` is a fitted Pipeline (preprocessing + final estimator) or a bare estimator;
    ``X_cal`` its raw calibration spectra. A PLS-family final estimator gives its own PLS X
    space; any other model (Ridge, random forest, ...) gets a PCA of the preprocessed
    calibration spectra with the automatic number of components (the fewest reaching 99 %
    explained variance, at most 10: engine.diagnostics.pca.auto_components), so that every
    saved model can flag spectra unlike its calibration. None when that is impossible (fewer
    than 3 calibration rows, spectra that do not vary, more components than samples).
    """
    X_cal = np.asarray(X_cal, dtype=np.float64)
    if X_cal.ndim != 2 or X_cal.shape[0] < 3:
        return None
    Z, axis = preprocessed(model, X_cal, wavelengths)
    return latent_from_preprocessed(model, Z, axis)


def latent_from_preprocessed(model: Any, Z: np.ndarray, axis: np.ndarray) -> LatentModel | None:
    """:func:`latent_for_model` from the calibration spectra already through the model's
    preprocessing (``preprocessed_rows``): a run computes them once for the latent space and
    the calibration outliers."""
    if Z.ndim != 2 or Z.shape[0] < 3:
        return None
    try:
        pls = pls_of(model)
        if pls is not None:
            return pls_latent(pls, Z, axis)
        return fit_pca(Z, None, wavelengths=axis).model
    except ValueError:
        return None


def preprocessed_rows(model: Any, X: np.ndarray, rows: np.ndarray,
                      wavelengths: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(Z, axis) of ``X[rows]`` through the model's fitted preprocessing, a block of rows at a
    time for many spectra: fitted steps transform each row on its own, so this equals
    ``preprocessed(model, X[rows], ...)`` without a copy of the raw rows (issue 20: 640 MB
    for 80,000 calibration spectra of 1,000 points)."""
    rows = np.asarray(rows, dtype=np.intp)
    p = X.shape[1]
    if rows.size * p <= ROWS_AT_ONCE_VALUES:
        return preprocessed(model, X[rows], wavelengths)
    step = max(1, BLOCK_VALUES // p)
    first, axis = preprocessed(model, X[rows[:step]], wavelengths)
    Z = np.empty((rows.size, first.shape[1]))
    Z[:first.shape[0]] = first
    for start in range(step, rows.size, step):
        part = rows[start:start + step]
        Z[start:start + part.size] = preprocessed(model, X[part], wavelengths)[0]
    return Z, axis


def calibration_assessment(model: Any, X: np.ndarray, rows: np.ndarray,
                           wavelengths: np.ndarray | None, level: float = FLAG_LEVEL
                           ) -> tuple[LatentModel | None, Assessment | None]:
    """A fitted model's latent space (:func:`latent_for_model`) from its calibration rows
    ``X[rows]``, and those rows judged in it (:func:`assess`): what a run keeps of its refit.

    For a PLS model on many rows (over ROWS_AT_ONCE_VALUES values) the preprocessed rows are
    made a block at a time and used at once, never held whole: the PLS pass already gives
    each calibration row's scores and Q, from which T² and the leverage follow as
    :meth:`LatentModel.project` computes them (issue 20: the 640 MB of 80,000 preprocessed
    calibration spectra were the largest array of a run's main process). Other models keep
    the preprocessed rows for their PCA."""
    rows = np.asarray(rows, dtype=np.intp)
    p = X.shape[1]
    pls = pls_of(model)
    step = max(1, BLOCK_VALUES // p)
    if pls is None or rows.size < 3 or rows.size * p <= ROWS_AT_ONCE_VALUES or rows.size < p:
        Z, axis = preprocessed_rows(model, X, rows, wavelengths)
        latent = latent_from_preprocessed(model, Z, axis)
        return latent, None if latent is None else assess(latent, Z, level)
    first, axis = preprocessed(model, X[rows[:step]], wavelengths)

    def blocks() -> Iterator[np.ndarray]:
        yield first
        for start in range(step, rows.size, step):
            yield preprocessed(model, X[rows[start:start + step]], wavelengths)[0]

    try:
        latent, scores, q = pls_space_of_blocks(pls, blocks(), rows.size, axis)
    except ValueError:
        return None, None
    t2 = latent.t2_of_scores(scores)
    leverage = 1.0 / latent.n_samples + t2 / (latent.n_samples - 1)
    return latent, _judge(latent, t2, q, leverage, level)


@dataclass
class Assessment:
    """T², Q and leverage of m spectra with their flags at ``level``.

    flags  one per spectrum: "" inside the limits, else the limits broken:
           "T2>99%", "Q>99%" or "T2>99%; Q>99%"
    """

    t2: np.ndarray
    q: np.ndarray
    leverage: np.ndarray
    flags: list[str]
    level: float
    t2_limit: float
    q_limit: float

    @property
    def flagged(self) -> np.ndarray:
        """(m,) bool: True where a limit is broken."""
        return np.array([bool(flag) for flag in self.flags], dtype=bool)

    @property
    def n_flagged(self) -> int:
        return int(sum(1 for flag in self.flags if flag))


def assess(latent: LatentModel, Z: np.ndarray, level: float = FLAG_LEVEL) -> Assessment:
    """Judge preprocessed spectra ``Z`` (m, p) against ``latent`` at ``level``: a spectrum is
    flagged when T² > the Jackson (1991) F limit or Q > the Jackson-Mudholkar (1979) limit.

    A model that reconstructs its calibration exactly (as many components as the calibration
    has dimensions) has the Q limit 0; rounding then leaves Q ~1e-30 on its own samples, so a
    Q below 1e-10 of the calibration's score variance total is never flagged."""
    return _judge(latent, *latent.statistics(Z), level)


def _judge(latent: LatentModel, t2: np.ndarray, q: np.ndarray, leverage: np.ndarray,
           level: float) -> Assessment:
    """:func:`assess` from the statistics already computed."""
    t2_lim = latent.t2_limit(level)
    q_lim = latent.q_limit(level)
    label = level_label(level)
    q_floor = max(q_lim, 1e-10 * float(np.sum(latent.score_var)))
    flags = []
    for above_t2, above_q in zip(t2 > t2_lim, q > q_floor, strict=True):
        broken = ([f"T2>{label}"] if above_t2 else []) + ([f"Q>{label}"] if above_q else [])
        flags.append("; ".join(broken))
    return Assessment(t2=t2, q=q, leverage=leverage, flags=flags, level=float(level),
                      t2_limit=t2_lim, q_limit=q_lim)


def assess_raw(model: Any, latent: LatentModel, X_raw: np.ndarray,
               level: float = FLAG_LEVEL) -> Assessment:
    """As :func:`assess`, for raw spectra: first through the fitted preprocessing steps of
    ``model`` (engine.pipeline.preprocess_branch), as the model itself would see them."""
    Z, _ = preprocessed(model, X_raw, None)
    return assess(latent, Z, level)


def outliers(assessment: Assessment, sample_ids: Sequence[Any] | np.ndarray,
             rows: Sequence[int] | np.ndarray | None = None) -> list[dict[str, Any]]:
    """The flagged spectra, one dict each (JSON-ready)::

        {"id": "s17", "row": 16, "t2": 12.3, "q": 0.045, "limit": "Q>99%"}

    ``rows`` are the dataset rows of the assessed spectra (None = 0..m-1). ``sample_ids`` is
    either aligned with the assessed spectra (m ids) or the whole dataset's ids, indexed by
    ``rows``.
    """
    m = len(assessment.flags)
    ids = np.asarray(sample_ids).astype(str)
    where = np.arange(m) if rows is None else np.asarray(rows, dtype=np.intp)
    if where.shape != (m,):
        raise ValueError(f"rows has {where.size} entries for {m} assessed spectra")
    if ids.size == m:
        names = ids
    elif rows is not None and ids.size > int(where.max(initial=-1)):
        names = ids[where]
    else:
        raise ValueError(f"{ids.size} sample ids for {m} assessed spectra")
    found = []
    for i, flag in enumerate(assessment.flags):
        if flag:
            found.append({"id": str(names[i]), "row": int(where[i]),
                          "t2": float(assessment.t2[i]), "q": float(assessment.q[i]),
                          "limit": flag})
    return found
