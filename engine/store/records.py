"""What the project's read API returns: plain records, no database handles inside."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.results import BranchResult, RunResult

__all__ = ["RunSummary", "StoredPipeline", "StoredRun"]


@dataclass(frozen=True)
class StoredPipeline:
    id: int
    name: str
    spec: Any          # the JSON spec exactly as saved
    created: str


@dataclass(frozen=True)
class RunSummary:
    """One line of the runs history (what ``nirdesk info`` and the GUI's list show)."""

    id: int
    created: str
    dataset_id: int
    dataset_name: str
    pipeline_id: int
    pipeline_name: str
    target: str | None
    task: str
    n_branches: int
    best_branch: int | None
    best_name: str | None
    best_cv: dict[str, Any] | None   # the best branch's CV metrics
    seconds: float
    cancelled: bool
    name: str | None = None          # the name the user gave the run (Project.rename_run)

    @property
    def label(self) -> str:
        """What a list calls the run: its own name, else its pipeline's."""
        return self.name or self.pipeline_name


@dataclass
class StoredRun:
    """A saved run: its results JSON, plan, indices and predictions (models load on demand).

    predictions[branch_id] = {"cv": oof aligned with train_indices,
                              "test": aligned with test_indices (absent without test rows)}
    """

    id: int
    created: str
    dataset_id: int
    pipeline_id: int
    results: dict[str, Any]
    plan: list[dict[str, Any]]
    seconds: float
    cancelled: bool
    task: str
    train_indices: np.ndarray | None
    test_indices: np.ndarray | None
    versions: dict[str, str]
    predictions: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)
    model_branches: list[int] = field(default_factory=list)

    @property
    def best_branch(self) -> int | None:
        return self.results.get("best_branch")

    def to_run_result(self) -> RunResult:
        """The run as an engine RunResult (models and diagnostics are None; load them with
        load_model / load_diagnostics)."""
        branches = []
        for b in self.results.get("branches", []):
            preds = self.predictions.get(b["id"], {})
            branches.append(BranchResult(
                id=b["id"], name=b["name"], steps=b["steps"], status=b["status"],
                metrics=b["metrics"], best_params=b.get("best_params"),
                seconds=b.get("seconds") or 0.0, error=b.get("error"),
                oof_predictions=preds.get("cv"), test_predictions=preds.get("test"),
                warnings=list(b.get("warnings") or []), trials=b.get("trials"),
                curve=b.get("curve"), tuning=b.get("tuning"), outliers=b.get("outliers")))
        return RunResult(dataset=self.results.get("dataset", {}), branches=branches,
                         parallel=self.plan, best_branch=self.best_branch, seconds=self.seconds,
                         task=self.task, train_indices=self.train_indices,
                         test_indices=self.test_indices, cancelled=self.cancelled)
