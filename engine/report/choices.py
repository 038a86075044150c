"""Which runs and branches of a project a report can describe, and the choice of one.

Why one place: the window's Export report dialog lists these, ``nirdesk report`` checks its
--run/--branch against them, and both refuse an unknown id with the same line naming the
choices. Defaults: the latest run, its best branch.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from engine.errors import InputError
from engine.store import Project

__all__ = ["BranchChoice", "RunChoice", "choose", "report_choices"]


@dataclass(frozen=True)
class BranchChoice:
    id: int
    name: str
    status: str
    has_model: bool      # a saved model: the branch can be reported in detail

    @property
    def label(self) -> str:
        state = "" if self.has_model else f" ({self.status}, no model)"
        return f"{self.id}: {self.name}{state}"


@dataclass(frozen=True)
class RunChoice:
    id: int
    created: str
    pipeline_name: str
    dataset_name: str
    best_branch: int | None
    branches: tuple[BranchChoice, ...]

    @property
    def label(self) -> str:
        return (f"Run {self.id} \u2013 {self.pipeline_name} on {self.dataset_name} "
                f"({self.created})")

    @property
    def reportable(self) -> tuple[BranchChoice, ...]:
        return tuple(b for b in self.branches if b.has_model)

    def default_branch(self) -> BranchChoice | None:
        """The run's best branch, else its first branch with a model."""
        good = self.reportable
        best = next((b for b in good if b.id == self.best_branch), None)
        return best or (good[0] if good else None)


def report_choices(path: str | os.PathLike) -> list[RunChoice]:
    """Every run of the project (oldest first) with its branches (read-only, no models)."""
    with Project.open(path, readonly=True) as project:
        out = []
        for summary in project.runs():
            run = project.load_run(summary.id)
            saved = set(run.model_branches)
            branches = tuple(BranchChoice(id=int(b["id"]), name=str(b["name"]),
                                          status=str(b.get("status", "")),
                                          has_model=int(b["id"]) in saved)
                             for b in run.results.get("branches", []))
            out.append(RunChoice(id=summary.id, created=summary.created,
                                 pipeline_name=summary.pipeline_name,
                                 dataset_name=summary.dataset_name,
                                 best_branch=summary.best_branch, branches=branches))
    return out


def choose(choices: list[RunChoice], run_id: int | None, branch_id: int | None,
           where: str) -> tuple[RunChoice, BranchChoice]:
    """The run and branch to report on; InputError (one line naming the choices) for an id
    the project does not have, a branch without a saved model, or a project without runs."""
    if not choices:
        raise InputError("the project has no runs to report on", file=where)
    if run_id is None:
        run = choices[-1]
    else:
        run_or_none = next((r for r in choices if r.id == run_id), None)
        if run_or_none is None:
            known = ", ".join(str(r.id) for r in choices)
            raise InputError(f"the project has no run {run_id} (runs: {known})", file=where)
        run = run_or_none
    good = run.reportable
    listing = ", ".join(str(b.id) for b in good) or "none"
    if branch_id is None:
        branch = run.default_branch()
        if branch is None:
            raise InputError(f"run {run.id} has no branch with a saved model to report on",
                             file=where)
        return run, branch
    found = next((b for b in run.branches if b.id == branch_id), None)
    if found is None:
        known = ", ".join(str(b.id) for b in run.branches)
        raise InputError(f"run {run.id} has no branch {branch_id} (branches: {known})",
                         file=where)
    if not found.has_model:
        raise InputError(f"branch {branch_id} of run {run.id} has no saved model (status "
                         f"{found.status}); branches with a model: {listing}", file=where)
    return run, found
