"""The project store: one crash-safe SQLite file (.nirdesk) per project, nothing executable inside.

    Project.create(path) / Project.open(path, readonly=False) -> Project
    project.save_dataset(ds) -> id             project.load_dataset(id) -> SpectralDataset
    project.save_pipeline(spec, name) -> id    project.load_pipeline(id) -> StoredPipeline
    project.save_run(result, dataset_id, pipeline_id) -> run_id
    project.record_run(result, dataset, spec, name) -> run_id   (all three, one transaction)
    project.runs() -> [RunSummary]             project.load_run(run_id) -> StoredRun
    project.load_model(run_id, branch_id)      project.model_wavelengths(run_id, branch_id)
    project.load_diagnostics(run_id, branch_id) -> LatentModel | None (None: saved without)
    project.set_ui_state(key, value)           project.get_ui_state(key, default)
    project.save_as(path)                      project.close()

See engine.store.project for the crash-safety design, engine.store.schema for the tables and
migrations, engine.store.check for how a file is vetted before it is opened, and
engine.store.trusted / engine.store.models for the rule that loading never executes code.
"""
from __future__ import annotations

from engine.store.project import PROJECT_SUFFIX, Project, RunSummary, StoredPipeline, StoredRun
from engine.store.schema import SCHEMA_VERSION
from engine.store.trusted import trusted_types

__all__ = [
    "PROJECT_SUFFIX",
    "SCHEMA_VERSION",
    "Project",
    "RunSummary",
    "StoredPipeline",
    "StoredRun",
    "is_project_path",
    "trusted_types",
]


def is_project_path(path: str) -> bool:
    """True for a path the CLI should treat as a project: the .nirdesk extension, or any
    existing file that starts with the SQLite header (a renamed project)."""
    from pathlib import Path

    from engine.store.check import SQLITE_MAGIC

    p = Path(path)
    if p.suffix.lower() == PROJECT_SUFFIX:
        return True
    try:
        with open(p, "rb") as fh:
            return p.is_file() and fh.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False
