"""A run's name (issue 21: runs could not be renamed, the history listed every run under its
pipeline's name): Project.rename_run keeps it in the run's results JSON, under the row
checksum, so it survives reopening, is refused on damage, and removing it shows the
pipeline's name again. No table changes, so older and newer nirdesk read the file alike."""
from __future__ import annotations

import sqlite3

import pytest

from engine.errors import InputError
from engine.io import load_dataset
from engine.run import run
from engine.store import Project

SPEC = {"name": "snv into pls", "steps": [
    "SNV", {"class": "PLSRegression", "params": {"n_components": 3, "scale": False}}]}


@pytest.fixture(scope="module")
def result(tecator_dir):
    ds = load_dataset(tecator_dir)
    return ds, run(SPEC, ds, verbose=0, seed=0)


def test_rename_a_run_and_reopen(tmp_path, result):
    ds, res = result
    path = tmp_path / "names.nirdesk"
    with Project.create(path) as project:
        first = project.record_run(res, ds, SPEC, "snv into pls")
        second = project.record_run(res, ds, SPEC, "snv into pls")
        assert [s.label for s in project.runs()] == ["snv into pls"] * 2
        assert [s.name for s in project.runs()] == [None, None]
        project.rename_run(second, "  baseline, 3 LVs ")
    with Project.open(path) as project:
        runs = project.runs()
        assert [(s.id, s.name, s.label) for s in runs] == [
            (first, None, "snv into pls"), (second, "baseline, 3 LVs", "baseline, 3 LVs")]
        assert project.load_run(second).results["name"] == "baseline, 3 LVs"
        assert project.verify() == []
        project.rename_run(second, "")
        assert project.runs()[1].name is None and project.runs()[1].label == "snv into pls"
        assert "name" not in project.load_run(second).results
        with pytest.raises(InputError, match="no run 99"):
            project.rename_run(99, "x")
        with pytest.raises(ValueError, match="must be text"):
            project.rename_run(first, 3)


def test_a_damaged_name_is_refused_not_shown(tmp_path, result):
    ds, res = result
    path = tmp_path / "damaged.nirdesk"
    with Project.create(path) as project:
        rid = project.record_run(res, ds, SPEC, "snv into pls")
        project.rename_run(rid, "good name")
    conn = sqlite3.connect(path)
    conn.execute("UPDATE runs SET results = replace(results, 'good name', 'evil name')")
    conn.commit()
    conn.close()
    with Project.open(path) as project, pytest.raises(InputError, match="checksum"):
        project.runs()
