"""What a report reads from the project, in one place: the run, the chosen branch's JSON, the
stored dataset and its content hash, the pipeline, the saved model with its sha256 and its
saved latent model (read-only; the project is never modified)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.dataset import SpectralDataset
from engine.report.choices import choose, report_choices
from engine.store import Project
from engine.store.records import StoredPipeline, StoredRun

__all__ = ["Source", "read_source"]


@dataclass
class Source:
    """Everything read from the project for one report."""

    path: Path
    run: StoredRun
    branch: dict[str, Any]
    dataset: SpectralDataset
    dataset_hash: str
    pipeline: StoredPipeline
    model: Any
    sha256: str
    latent: Any
    target: str
    classification: bool
    train: np.ndarray
    test: np.ndarray

    @property
    def results(self) -> dict[str, Any]:
        return self.run.results

    @property
    def y(self) -> np.ndarray:
        return np.asarray(self.dataset.targets[self.target])


def read_source(path: str | os.PathLike, run_id: int | None, branch_id: int | None) -> Source:
    where = str(path)
    run_choice, branch_choice = choose(report_choices(path), run_id, branch_id, where)
    with Project.open(path, readonly=True) as project:
        run = project.load_run(run_choice.id)
        dataset = project.load_dataset(run.dataset_id)
        digest = next(d["content_hash"] for d in project.datasets()
                      if d["id"] == run.dataset_id)
        pipeline = project.load_pipeline(run.pipeline_id)
        model = project.load_model(run.id, branch_choice.id)
        sha = project.model_sha256(run.id, branch_choice.id)
        latent = project.load_diagnostics(run.id, branch_choice.id)
    branch = next(b for b in run.results["branches"] if int(b["id"]) == branch_choice.id)
    info = run.results.get("dataset", {})
    target = str(info.get("target") or dataset.target)
    train = (np.asarray(run.train_indices, dtype=np.intp) if run.train_indices is not None
             else dataset.train_indices)
    test = (np.asarray(run.test_indices, dtype=np.intp) if run.test_indices is not None
            else np.zeros(0, dtype=np.intp))
    return Source(path=Path(path), run=run, branch=branch, dataset=dataset, dataset_hash=digest,
                pipeline=pipeline, model=model, sha256=sha, latent=latent, target=target,
                classification=run.task == "classification", train=train, test=test)
