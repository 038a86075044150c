"""How the report prints numbers and parameter values: fixed formats, so the same stored
value always gives the same characters (a reviewer compares reports of two runs by eye, a
test compares the report with the project's JSON)."""
from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

__all__ = ["DASH", "metric", "number", "seconds", "value"]

DASH = "\u2013"   # a value that does not exist (no test part, a failed branch)


def metric(v: Any) -> str:
    """A figure of merit: 4 decimals (RMSE in the target's units, R², bias, SEP, RPD)."""
    if v is None or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
        return DASH
    return f"{float(v):.4f}"


def number(v: Any) -> str:
    """A statistic of any size (T², Q, limits): 4 significant digits."""
    if v is None or not isinstance(v, (int, float, np.floating, np.integer)):
        return DASH
    v = float(v)
    return f"{v:.4g}" if math.isfinite(v) else DASH


def seconds(v: Any) -> str:
    if v is None or not isinstance(v, (int, float)):
        return DASH
    return f"{float(v):.2f} s"


def value(v: Any) -> str:
    """A parameter value as the pipeline JSON would spell it: 15, 0.5, true, null, "rbf";
    floats in Python's shortest round-trip form (1e-06, not 1e-6 rounded); an array by its
    shape (EPO's difference spectra, EMSC's interferents: the numbers are in the project)."""
    if isinstance(v, np.ndarray):
        return f"array {'x'.join(str(n) for n in v.shape)}"
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else str(v)
    if isinstance(v, (int, str)):
        return json.dumps(v, ensure_ascii=False) if isinstance(v, str) else str(v)
    if isinstance(v, (list, tuple)):
        if len(v) > 12:
            return f"list of {len(v)}"
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {value(x)}" for k, x in v.items()) + "}"
    if hasattr(v, "get_params"):   # a nested estimator (a wrapper's regressor)
        return type(v).__name__
    return type(v).__name__
