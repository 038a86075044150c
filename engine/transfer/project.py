"""`nirdesk transfer`: a saved branch + a transfer set -> a project whose model reads the
secondary instrument.

    transfer_project(project, primary, secondary, method, ..., save=NEW) -> TransferReport

The new project is the old one plus one run: the transferred branch (same id, its name ending
in the transfer, e.g. "PLS(10) + PDS (window 5, 20 standards)"), whose saved model is the
transferred pipeline (engine.transfer.fit), with the branch's diagnostics (T², Q against the
primary calibration: a transferred spectrum is judged in the primary's space) and a
``transfer`` entry in its results JSON (method, standards, RMSEP before/after). It is the
latest run, so ``nirdesk predict NEW --data SECONDARY`` uses it by default. The file is
written whole or not at all: a copy beside the target gets the run, then replaces it.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.dataset import SpectralDataset
from engine.errors import InputError
from engine.results import BranchResult, RunResult
from engine.transfer.fit import TransferOutcome, fit_transfer
from engine.transfer.pairing import TransferSet, describe, pair_datasets, where_of
from engine.transfer.standards import choose_standards

__all__ = ["TransferReport", "TransferSource", "TransferredBranch", "load_source",
           "save_transfer", "transfer_project"]

Log = Callable[[str], None]


@dataclass
class TransferSource:
    """The saved branch a transfer starts from (everything read from the project at once)."""

    path: str
    run_id: int
    branch_id: int
    name: str
    model: Any
    wavelengths: np.ndarray
    target: str | None
    task: str
    dataset_id: int
    pipeline_id: int
    metrics: dict[str, Any]
    steps: list[Any]
    dataset_facts: dict[str, Any]
    diagnostics: Any = None
    train_indices: np.ndarray | None = None
    test_indices: np.ndarray | None = None

    @property
    def classification(self) -> bool:
        return self.task == "classification"


@dataclass
class TransferredBranch(BranchResult):
    """A branch result that also says which transfer its model carries (results JSON key
    ``transfer``; readers that do not know it ignore it)."""

    transfer: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        out["transfer"] = self.transfer
        return out


@dataclass
class TransferReport:
    """What ``transfer_project`` did: the outcome, the pairs, and the run it saved."""

    source: TransferSource
    tset: TransferSet
    outcome: TransferOutcome
    saved_to: str | None = None
    run_id: int | None = None


def load_source(project: str | os.PathLike, branch: int | None = None,
                run_id: int | None = None) -> TransferSource:
    """The branch's fitted model and facts (default: the latest run's best branch)."""
    from engine.store import Project

    with Project.open(project, readonly=True) as proj:
        where = str(proj.path)
        if run_id is None:
            run_id = proj.latest_run_id()
            if run_id is None:
                raise InputError("the project has no runs to transfer (save one with "
                                 "nirdesk run ... --save)", file=where)
        stored = proj.load_run(run_id)
        branches = {b["id"]: b for b in stored.results.get("branches", [])}
        if branch is None:
            branch = stored.best_branch
            if branch is None:
                raise InputError(f"run {run_id} has no successful branch to transfer",
                                 file=where)
        if branch not in branches:
            known = ", ".join(map(str, branches)) or "none"
            raise InputError(f"run {run_id} has no branch {branch} (branches: {known})",
                             file=where)
        info = branches[branch]
        model = proj.load_model(run_id, branch)
        try:
            latent = proj.load_diagnostics(run_id, branch)
        except InputError:
            latent = None
        return TransferSource(
            path=where, run_id=run_id, branch_id=branch, name=info["name"], model=model,
            wavelengths=proj.model_wavelengths(run_id, branch),
            target=stored.results.get("dataset", {}).get("target"), task=stored.task,
            dataset_id=stored.dataset_id, pipeline_id=stored.pipeline_id,
            metrics=dict(info.get("metrics") or {}), steps=list(info.get("steps") or []),
            dataset_facts=dict(stored.results.get("dataset") or {}), diagnostics=latent,
            train_indices=stored.train_indices, test_indices=stored.test_indices)


def check_model_axis(source: TransferSource, dataset: SpectralDataset) -> None:
    """The primary spectra must be on the model's wavelengths (they are what it was fitted on)."""
    model_wl, data_wl = source.wavelengths, dataset.wavelengths
    spacing = float(np.median(np.abs(np.diff(model_wl)))) if model_wl.size > 1 else 1.0
    if model_wl.shape == data_wl.shape and np.allclose(model_wl, data_wl, rtol=0.0,
                                                       atol=1e-6 * max(spacing, 1e-12)):
        return

    def span(wl: np.ndarray) -> str:
        return f"{wl.size} wavelengths {wl.min():g}..{wl.max():g}" if wl.size else "no axis"

    raise InputError(f"the primary spectra ({span(data_wl)}) are not on the model's "
                     f"wavelengths ({span(model_wl)}, run {source.run_id} branch "
                     f"{source.branch_id} of {source.path})", file=where_of(dataset))


def _dataset(data: str | os.PathLike | SpectralDataset) -> SpectralDataset:
    if isinstance(data, SpectralDataset):
        return data
    from engine.io import load_data, resolve_dataset_path

    return load_data(resolve_dataset_path(Path(data)))


def transfer_project(project: str | os.PathLike, primary: str | os.PathLike | SpectralDataset,
                     secondary: str | os.PathLike | SpectralDataset, method: str, *,
                     window: int = 5, standards: int | Sequence[str] | None = None,
                     branch: int | None = None, run_id: int | None = None,
                     tolerance: float | str | None = "default",
                     save: str | os.PathLike | None = None, log: Log | None = None
                     ) -> TransferReport:
    """Pair, choose the standards, fit, score and (with ``save``) write the new project."""
    log = log or (lambda message: None)
    if save is not None:
        from engine.atomic import check_output_path

        check_output_path(save, what="the transferred project")
    source = load_source(project, branch, run_id)
    primary_ds, secondary_ds = _dataset(primary), _dataset(secondary)
    check_model_axis(source, primary_ds)
    tset = pair_datasets(primary_ds, secondary_ds, target=source.target)
    for note in tset.notes:
        log(note)
    chosen = choose_standards(tset, standards)
    outcome = fit_transfer(source.model, tset, method, chosen, window=window,
                           tolerance=tolerance, classification=source.classification)
    log(f"run {source.run_id}, branch {source.branch_id}: {source.name}")
    log(f"{tset.n_pairs} pairs ({tset.paired_by}); {outcome.label}")
    report = TransferReport(source=source, tset=tset, outcome=outcome)
    if save is not None:
        report.run_id = save_transfer(source, tset, outcome, save)
        report.saved_to = str(save)
    return report


def transferred_run(source: TransferSource, tset: TransferSet, outcome: TransferOutcome
                    ) -> RunResult:
    """The one-branch run that carries the transferred model (module docstring)."""
    facts = {**describe(tset), **outcome.describe(tset), "source_run": source.run_id,
             "source_branch": source.branch_id}
    metrics = {key: source.metrics.get(key) for key in ("cal", "cv")}
    metrics["test"] = outcome.after
    branch = TransferredBranch(id=source.branch_id, name=f"{source.name} + {outcome.label}",
                               steps=source.steps, status="ok", metrics=metrics,
                               model=outcome.model, diagnostics=source.diagnostics,
                               warnings=list(outcome.notes), transfer=facts)
    dataset = {**source.dataset_facts, "secondary": tset.secondary_name}
    return RunResult(dataset=dataset, branches=[branch], parallel=[],
                     best_branch=source.branch_id, seconds=0.0, task=source.task,
                     train_indices=source.train_indices, test_indices=source.test_indices)


def save_transfer(source: TransferSource, tset: TransferSet, outcome: TransferOutcome,
                  save: str | os.PathLike) -> int:
    """Write ``source``'s project plus the transferred run to ``save`` (whole or not at all:
    a copy beside the target receives the run, then replaces it). Returns the new run id."""
    from engine.atomic import WriteFailed
    from engine.store import Project
    from engine.store.files import replace_durably, temp_beside

    target = Path(save)
    started = time.perf_counter()
    result = transferred_run(source, tset, outcome)
    temp = temp_beside(target)
    try:
        with Project.open(source.path, readonly=True) as original:
            original.save_as(temp, switch=False)
        with Project.open(temp) as copy:
            result.seconds = time.perf_counter() - started
            run_id = copy.save_run(result, source.dataset_id, source.pipeline_id)
        replace_durably(temp, target)
    except OSError as exc:
        raise WriteFailed(target, exc.strerror or str(exc), what="the transferred project",
                          existed=target.exists()) from None
    finally:
        temp.unlink(missing_ok=True)
    return run_id
