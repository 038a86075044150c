"""Projects the report tests describe, made with the real engine (no Qt): a regression run on
the tablet set (two branches, a tuned PLS, two excluded samples) and a classification run on
tecator (fat in three grades, PLS-DA), each recorded in a .nirdesk file."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

TABLET_SPEC = {"name": "tablet report", "steps": [
    {"class": "KFold", "params": {"n_splits": 5, "shuffle": True, "random_state": 0}},
    {"branch": [["SNV", {"class": "SavitzkyGolay",
                         "params": {"window_length": 15, "polyorder": 2, "deriv": 1}}],
                ["MSC"]]},
    {"model": {"class": "PLSRegression", "params": {"scale": False}},
     "finetune_params": {"n_trials": 8, "model_params": {"n_components": ["int", 2, 12]}}},
]}
TABLET_EXCLUDED = ["4", "18"]

GRADES_SPEC = {"name": "fat grades", "steps": [
    "SNV", {"class": "PLSDA", "params": {"n_components": 6}}]}


def tablet_project(path: Path, tablet_dir: Path) -> Path:
    from engine.io import load_dataset
    from engine.run import run
    from engine.store import Project

    dataset = load_dataset(tablet_dir)
    dataset.exclude(dataset.rows_of_ids(TABLET_EXCLUDED))
    result = run(TABLET_SPEC, dataset, verbose=0, parallel_branches=1)
    assert [b.status for b in result.branches] == ["ok", "ok"]
    with Project.create(path) as project:
        project.record_run(result, dataset, TABLET_SPEC)
    return path


def grades_folder(folder: Path, tecator_dir: Path) -> Path:
    """tecator with fat as three text grades (low / medium / high by terciles)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(tecator_dir / "X.csv", folder / "X.csv")
    shutil.copy(tecator_dir / "split.csv", folder / "split.csv")
    fat = np.loadtxt(tecator_dir / "y.csv", delimiter=",", skiprows=1, usecols=1)
    edges = np.quantile(fat, [1 / 3, 2 / 3])
    names = np.array(["low", "medium", "high"])[np.searchsorted(edges, fat, side="right")]
    (folder / "y.csv").write_text("grade\n" + "\n".join(names) + "\n")
    return folder


def grades_project(path: Path, tecator_dir: Path) -> Path:
    from engine.io import load_dataset
    from engine.run import run
    from engine.store import Project

    dataset = load_dataset(grades_folder(path.parent / "grades", tecator_dir))
    result = run(GRADES_SPEC, dataset, verbose=0, parallel_branches=1)
    assert result.task == "classification" and result.branches[0].status == "ok"
    with Project.create(path) as project:
        project.record_run(result, dataset, GRADES_SPEC)
    return path
