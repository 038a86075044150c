"""Run results and their JSON form (the "nirdesk.results/1" contract of docs/design.md)."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.atomic import write_text

SCHEMA = "nirdesk.results/1"


@dataclass
class BranchResult:
    """Everything nirdesk knows about one evaluated branch.

    oof_predictions   one value per training row (NaN where the splitter never held the row out;
                      the mean where it held it out several times), aligned with train_indices
    test_predictions  aligned with the dataset's test_indices, or None without a test part
    model             the pipeline refitted on all training rows (None if the branch failed)
    diagnostics       the refitted model's latent space (engine.diagnostics.LatentModel: its
                      PLS space, else a PCA of the preprocessed calibration spectra), which
                      T2/Q/leverage of any later spectrum need; saved with the model, not JSON
    outliers          calibration rows outside the 99 % T2/Q limits, one dict each
                      {"id", "row", "t2", "q", "limit"}; [] when none, None when the branch
                      has no diagnostics (failed, or they could not be computed)
    """

    id: int
    name: str
    steps: list[Any]
    status: str = "ok"
    # "cal": the refit on its own calibration rows (RMSEC; absent for a failed branch),
    # "cv": out-of-fold (RMSECV), "test": the held-out rows (RMSEP) or None
    metrics: dict[str, Any] = field(default_factory=lambda: {"cv": None, "test": None})
    best_params: dict[str, Any] | None = None
    seconds: float = 0.0
    error: str | None = None
    fold_seconds: list[float] = field(default_factory=list)
    refit_seconds: float = 0.0
    oof_predictions: np.ndarray | None = None
    test_predictions: np.ndarray | None = None
    model: Any = None
    group: int | None = None
    warnings: list[str] = field(default_factory=list)
    trials: list[dict[str, Any]] | None = None  # search history (params, value, state, seconds)
    curve: dict[str, list] | None = None         # RMSECV vs PLS components
    tuning: dict[str, Any] | None = None         # how the search ran (method, metric, seconds, ...)
    diagnostics: Any = None                      # engine.diagnostics.LatentModel | None
    outliers: list[dict[str, Any]] | None = None
    diagnostics_seconds: float = 0.0             # main-process time of the two above

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "steps": self.steps, "status": self.status,
                "metrics": self.metrics, "best_params": self.best_params,
                "seconds": round(self.seconds, 6), "error": self.error, "warnings": self.warnings,
                "trials": self.trials, "curve": self.curve, "tuning": self.tuning,
                "outliers": self.outliers}


@dataclass
class RunResult:
    dataset: dict[str, Any]
    branches: list[BranchResult]
    parallel: list[dict[str, Any]]
    best_branch: int | None
    seconds: float
    task: str = "regression"
    train_indices: np.ndarray | None = None
    test_indices: np.ndarray | None = None
    cancelled: bool = False

    def branch(self, branch_id: int) -> BranchResult:
        return next(b for b in self.branches if b.id == branch_id)

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "dataset": self.dataset,
                "branches": [b.to_json() for b in self.branches],
                "parallel": self.parallel, "best_branch": self.best_branch,
                "seconds": round(self.seconds, 6)}

    def write_json(self, path: str | Path) -> None:
        """The results JSON, replaced atomically (engine.atomic: a failure keeps the previous
        file and raises WriteFailed, one line naming it)."""
        text = json.dumps(_json_safe(self.to_json()), indent=2) + "\n"
        write_text(path, text, what="the results")


def _json_safe(value: Any) -> Any:
    """numpy scalars to Python, NaN/inf to null (strict JSON)."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
