"""`nirdesk info PROJECT.nirdesk`: what a project holds, read without modifying it.

It also verifies every checksum in the file (Project.verify): ``info`` is how a user asks
"is this file all right?", so damage anywhere is one line and exit 2, not a listing."""
from __future__ import annotations

import os

from engine.errors import InputError
from engine.store.project import Project, RunSummary

__all__ = ["describe_project"]


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _run_line(r: RunSummary) -> str:
    head = (f"  [{r.id}] {r.created}  {r.pipeline_name} on {r.dataset_name}"
            f" ({r.target or 'no target'}): {r.n_branches} "
            f"branch{'' if r.n_branches == 1 else 'es'}")
    if r.cancelled:
        head += ", cancelled"
    if r.best_branch is None:
        return head + ", no successful branch"
    key, label = (("balanced_accuracy", "BAcc CV") if r.task == "classification"
                  else ("rmse", "RMSECV"))
    score = (r.best_cv or {}).get(key)
    return head + f"\n      best [{r.best_branch}] {r.best_name}: {label} {_fmt(score)}"


def describe_project(path: str | os.PathLike) -> str:
    with Project.open(path, readonly=True) as project:
        meta = project.meta()
        lines = [f"project      {project.path}",
                 f"format       nirdesk project, schema {project.schema_version}"
                 + (f" (the file is schema {project.migrated_from}; read as "
                    f"{project.schema_version}, not modified)" if project.migrated_from else ""),
                 f"created      {meta.get('created', '?')} "
                 f"by nirdesk {meta.get('created_by', '?')}",
                 f"modified     {meta.get('modified', '?')} "
                 f"by nirdesk {meta.get('written_by', '?')}"]
        datasets = project.datasets()
        lines.append(f"datasets     {len(datasets)}")
        for d in datasets:
            targets = ", ".join(d["targets"]) or "no targets"
            lines.append(f"  [{d['id']}] {d['name']}: {d['n_samples']} samples x "
                         f"{d['n_wavelengths']} wavelengths; {targets}")
        pipelines = project.pipelines()
        lines.append(f"pipelines    {len(pipelines)}")
        lines += [f"  [{p.id}] {p.name}" for p in pipelines]
        runs = project.runs()
        lines.append(f"runs         {len(runs)}")
        lines += [_run_line(r) for r in runs]
        problems = project.verify()  # damage anywhere, not only in what is listed
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise InputError(problems[0] + more, file=str(project.path))
    return "\n".join(lines)
