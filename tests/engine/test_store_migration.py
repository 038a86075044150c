"""A schema-1 project (tests/data/project_v1.nirdesk, made by tests/data/make_project_v1.py)
migrates to the current schema and everything in it still works."""
from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main as cli_main
from engine.store import SCHEMA_VERSION, Project
from engine.store.schema import MIGRATIONS

DATA = Path(__file__).resolve().parents[1] / "data"
FIXTURE = DATA / "project_v1.nirdesk"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def v1_copy(tmp_path) -> Path:
    path = tmp_path / "old.nirdesk"
    shutil.copyfile(FIXTURE, path)
    return path


def test_the_fixture_really_is_schema_1():
    conn = sqlite3.connect(f"{FIXTURE.as_uri()}?mode=ro", uri=True)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    columns = {r[1] for r in conn.execute("PRAGMA table_info(datasets)")}
    conn.close()
    assert version == "1" and "ui_state" not in tables and "metadata" not in columns
    assert sorted(MIGRATIONS) == list(range(1, SCHEMA_VERSION))


def test_opening_migrates_in_place_and_keeps_the_original_aside(v1_copy):
    original = sha(v1_copy)
    with Project.open(v1_copy) as project:
        assert (project.migrated_from, project.schema_version) == (1, SCHEMA_VERSION)
        [run] = project.runs()
        stored = project.load_run(run.id)
        ds = project.load_dataset(run.dataset_id)
        model = project.load_model(run.id, 1)
        # the reloaded model reproduces the test predictions saved by the schema-1 writer
        test_rows = ds.X[stored.test_indices]
        np.testing.assert_array_equal(np.ravel(model.predict(test_rows)),
                                      stored.predictions[1]["test"])
        assert ds.metadata == {"project_dataset_id": 1} and ds.n_samples == 60
        assert project.load_pipeline(run.pipeline_id).spec["name"] == "snv-pls5"
        project.set_ui_state("selected_run", run.id)  # a version-2 table
        assert project.load_diagnostics(run.id, 1) is None  # version 3: saved without them
    backup = v1_copy.with_name("old.schema-v1.nirdesk")
    assert sha(backup) == original
    with Project.open(v1_copy, readonly=True) as project:
        assert project.migrated_from is None and project.get_ui_state("selected_run") == 1
        assert project.meta()["schema_version"] == str(SCHEMA_VERSION)


def test_read_only_open_migrates_in_memory_and_leaves_the_file_alone(v1_copy, capsys):
    before = sha(v1_copy)
    with Project.open(v1_copy, readonly=True) as project:
        assert project.migrated_from == 1 and project.get_ui_state("anything", 5) == 5
        assert project.load_model(1, 1) is not None
    assert cli_main(["info", str(v1_copy)]) == 0
    assert (f"the file is schema 1; read as {SCHEMA_VERSION}, not modified"
            in capsys.readouterr().out)
    assert sha(v1_copy) == before
    assert list(v1_copy.parent.iterdir()) == [v1_copy]


def test_the_fixture_script_still_writes_a_schema_1_file(tmp_path):
    out = tmp_path / "fresh_v1.nirdesk"
    done = subprocess.run([sys.executable, str(DATA / "make_project_v1.py"), str(out)],
                          capture_output=True, text=True, cwd=DATA.parent.parent)
    assert done.returncode == 0, done.stderr
    with Project.open(out) as fresh, Project.open(FIXTURE, readonly=True) as committed:
        assert fresh.migrated_from == 1
        assert fresh.runs()[0].best_cv["rmse"] == pytest.approx(committed.runs()[0].best_cv["rmse"],
                                                                rel=1e-9)
