"""The report's plots as data (engine.report.document.Figure), from arrays the project stored.

Each function takes arrays already read from the project (spectra, stored predictions, the
stored RMSECV curve, the saved model's coefficients, T² and Q against the saved latent model)
and only arranges them into series, axis labels and limit lines; nothing is fitted here.
Colours are palette indices shared by every plot: calibration, test, excluded, flagged.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from engine.report import formatting as F
from engine.report.document import Figure, Guide, Series

__all__ = ["CAL", "EXCLUDED", "FLAGGED", "TEST", "axis_label", "coefficients_figure",
           "curve_figure", "prediction_figures", "spectra_figure", "t2q_figure"]

CAL, TEST, EXCLUDED, FLAGGED = 0, 1, 2, 3

_AXIS = {"nm": "Wavelength (nm)", "cm-1": "Wavenumber (cm\u207b\u00b9)",
         "": "Spectral axis (units not given)"}


def axis_label(units: str, known: bool = True) -> str:
    return _AXIS.get(units, _AXIS[""]) if known else "Column number"


def spectra_figure(key: str, title: str, axis: np.ndarray, x_label: str,
                   groups: list[tuple[str, np.ndarray, int]], caption: str = "") -> Figure:
    """One "lines" series per group (label, spectra (k, p), colour); empty groups left out."""
    series = tuple(Series(f"{label} ({len(Y)})", "lines", axis, Y, colour)
                   for label, Y, colour in groups if len(Y))
    return Figure(key=key, title=title, x_label=x_label, y_label="Signal", series=series,
                  caption=caption)


def _finite(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


def prediction_figures(target: str, y_cv: np.ndarray, pred_cv: np.ndarray,
                       y_test: np.ndarray | None, pred_test: np.ndarray | None
                       ) -> tuple[Figure, Figure]:
    """(predicted vs observed with the 1:1 line, residuals ŷ - y vs observed with zero):
    the run's stored out-of-fold predictions of the calibration rows and its stored test
    predictions (rows the splitter never held out have no CV prediction and are left out)."""
    parts = [("Cross-validation", y_cv, pred_cv, CAL)]
    if y_test is not None and pred_test is not None and len(y_test):
        parts.append(("Test", y_test, pred_test, TEST))
    scatter, residual = [], []
    for label, y, pred, colour in parts:
        x, p = _finite(np.asarray(y, dtype=np.float64), np.asarray(pred, dtype=np.float64))
        scatter.append(Series(f"{label} ({x.size})", "points", x, p, colour))
        residual.append(Series(f"{label} ({x.size})", "points", x, p - x, colour))
    pred_obs = Figure(key="pred_vs_obs", title="Predicted vs observed",
                      x_label=f"Observed {target}", y_label=f"Predicted {target}",
                      series=tuple(scatter), guides=(Guide("1:1", "diagonal", dashed=True),),
                      square=True)
    residuals = Figure(key="residuals", title="Residuals",
                       x_label=f"Observed {target}", y_label="Predicted \u2212 observed",
                       series=tuple(residual), guides=(Guide("zero", "h", 0.0, dashed=True),))
    return pred_obs, residuals


def curve_figure(curve: dict[str, Any], chosen: int | None, metric_label: str) -> Figure | None:
    """The stored CV error per number of components (the run's component sweep)."""
    xs = curve.get("n_components")
    key = next((k for k in curve if k != "n_components"), None)
    if not xs or key is None or len(curve[key]) != len(xs):
        return None
    x = np.asarray(xs, dtype=np.float64)
    y = np.asarray([np.nan if v is None else v for v in curve[key]], dtype=np.float64)
    guides = () if chosen is None else (Guide(f"chosen: {chosen}", "v", float(chosen)),)
    return Figure(key="curve", title=f"{metric_label} vs number of components",
                  x_label="Components", y_label=metric_label,
                  series=(Series(metric_label, "line", x, y, CAL),), guides=guides)


def coefficients_figure(axis: np.ndarray, x_label: str, coef: np.ndarray,
                        classes: list[str] | None, title: str) -> Figure:
    """The model's regression vector on the preprocessed axis (one curve per class for
    PLS-DA)."""
    coef = np.asarray(coef, dtype=np.float64)
    series: tuple[Series, ...]
    if coef.ndim == 1:
        series = (Series("coefficient", "line", axis, coef, CAL),)
    else:
        names = classes or [f"column {j + 1}" for j in range(coef.shape[1])]
        series = tuple(Series(str(names[j]), "line", axis, coef[:, j], 4 + j)
                       for j in range(coef.shape[1]))
    return Figure(key="coefficients", title=title, x_label=x_label,
                  y_label="Coefficient", series=series,
                  guides=(Guide("zero", "h", 0.0, dashed=False),))


def t2q_figure(t2: np.ndarray, q: np.ndarray, flagged: np.ndarray, t2_test: np.ndarray | None,
               q_test: np.ndarray | None, limits: dict[str, dict[float, float]],
               space: str) -> Figure:
    """T² vs Q of the calibration (flagged ones apart) and the test spectra, with the 95 %
    and 99 % limits of the saved latent model."""
    flagged = np.asarray(flagged, dtype=bool)
    series = [Series(f"Calibration ({int((~flagged).sum())})", "points", t2[~flagged],
                     q[~flagged], CAL)]
    if flagged.any():
        series.append(Series(f"Calibration outside 99 % ({int(flagged.sum())})", "points",
                             t2[flagged], q[flagged], FLAGGED))
    if t2_test is not None and q_test is not None and len(t2_test):
        series.append(Series(f"Test ({len(t2_test)})", "points", t2_test, q_test, TEST))
    guides = []
    for level in sorted(limits.get("t2", {})):
        value = limits["t2"][level]
        guides.append(Guide(f"T\u00b2 {level:.0%} = {F.number(value)}", "v", value,
                            dashed=level < 0.99))
    for level in sorted(limits.get("q", {})):
        value = limits["q"][level]
        guides.append(Guide(f"Q {level:.0%} = {F.number(value)}", "h", value,
                            dashed=level < 0.99))
    return Figure(key="t2q", title="Hotelling's T\u00b2 vs Q residuals",
                  x_label="Hotelling's T\u00b2", y_label="Q residual", series=tuple(series),
                  guides=tuple(guides), caption=f"Measured in {space}.")
