"""Project store round trip: what is saved comes back identical, and a reloaded model predicts
exactly what the in-memory one did."""
from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

from engine.dataset import SpectralDataset
from engine.errors import InputError
from engine.io import load_dataset
from engine.results import _json_safe
from engine.run import run
from engine.store import SCHEMA_VERSION, Project

SPEC = {"name": "roundtrip", "steps": [{"branch": [
    ["SNV", {"class": "PLSRegression", "params": {"n_components": 8, "scale": False}}],
    [{"class": "SavitzkyGolay", "params": {"window_length": 11, "polyorder": 2, "deriv": 1}},
     {"model": {"class": "PLSRegression", "params": {"scale": False}},
      "finetune_params": {"model_params": {"n_components": ["int", 2, 12]}}}],
    ["StandardScaler", {"class": "Ridge", "params": {"alpha": 1.0}}],
]}]}


@pytest.fixture(scope="module")
def trained(tablet_dir):
    ds = load_dataset(tablet_dir)
    return ds, run(SPEC, ds, verbose=0, seed=0)


@pytest.fixture
def saved(tmp_path, trained):
    ds, result = trained
    path = tmp_path / "p.nirdesk"
    with Project.create(path) as project:
        run_id = project.record_run(result, ds, SPEC)
    return path, run_id


def test_everything_comes_back_identical(saved, trained):
    ds, result = trained
    path, run_id = saved
    for readonly in (True, False):
        with Project.open(path, readonly=readonly) as project:
            [summary] = project.runs()
            stored = project.load_run(run_id)
            pipeline = project.load_pipeline(summary.pipeline_id)
            again = project.load_dataset(summary.dataset_id)
            assert project.schema_version == SCHEMA_VERSION

            assert pipeline.spec == SPEC and pipeline.name == "roundtrip"
            assert stored.results == json.loads(json.dumps(_json_safe(result.to_json())))
            assert stored.plan == result.parallel and stored.plan[0]["reasons"]
            assert stored.best_branch == result.best_branch == summary.best_branch
            assert summary.best_cv == result.branch(result.best_branch).metrics["cv"]
            tuned = stored.results["branches"][1]
            assert tuned["curve"] and tuned["tuning"] and tuned["best_params"]
            np.testing.assert_array_equal(stored.train_indices, ds.train_indices)
            np.testing.assert_array_equal(stored.test_indices, ds.test_indices)
            for b in result.branches:
                assert stored.predictions[b.id]["cv"].dtype == b.oof_predictions.dtype
                np.testing.assert_array_equal(stored.predictions[b.id]["cv"], b.oof_predictions)
                np.testing.assert_array_equal(stored.predictions[b.id]["test"], b.test_predictions)
            for name in ("X", "wavelengths", "sample_ids", "test_mask"):
                np.testing.assert_array_equal(getattr(again, name), getattr(ds, name))
            assert again.targets.keys() == ds.targets.keys() and again.name == ds.name
            np.testing.assert_array_equal(again.targets["api_mg"], ds.targets["api_mg"])


def test_reloaded_models_predict_exactly_like_the_in_memory_ones(saved, trained):
    ds, result = trained
    path, run_id = saved
    rng = np.random.default_rng(3)
    X_new = ds.X[ds.test_indices] + rng.normal(scale=1e-3, size=(ds.n_test, ds.n_wavelengths))
    with Project.open(path, readonly=True) as project:
        for b in result.branches:
            model = project.load_model(run_id, b.id)
            assert model is not b.model
            np.testing.assert_array_equal(model.predict(X_new), b.model.predict(X_new))
            np.testing.assert_array_equal(project.model_wavelengths(run_id, b.id), ds.wavelengths)


def test_to_run_result_rebuilds_the_leaderboard(saved, trained):
    _, result = trained
    path, run_id = saved
    with Project.open(path, readonly=True) as project:
        again = project.load_run(run_id).to_run_result()
    assert [b.metrics for b in again.branches] == [b.metrics for b in result.branches]
    assert again.best_branch == result.best_branch and again.task == result.task
    np.testing.assert_array_equal(again.branches[0].oof_predictions,
                                  result.branches[0].oof_predictions)


def test_saving_the_same_dataset_and_pipeline_again_reuses_them(saved, trained):
    ds, result = trained
    path, _ = saved
    with Project.open(path) as project:
        second = project.record_run(result, ds, SPEC)
        assert len(project.datasets()) == 1 and len(project.pipelines()) == 1
        assert [r.id for r in project.runs()] == [1, second] == [1, 2]
        changed = SpectralDataset(X=ds.X.copy(), wavelengths=ds.wavelengths, targets=ds.targets,
                                  sample_ids=ds.sample_ids, test_mask=~ds.test_mask, name=ds.name)
        assert project.save_dataset(changed) == 2
        assert project.save_pipeline(SPEC, "another name") == 2


def test_class_labels_and_mixed_targets_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 30)) + np.repeat([[0.0], [0.6], [1.2]], 20, axis=0)
    grade = np.repeat(np.array(["low", "médium", "high"]), 20)
    ds = SpectralDataset(X=X, wavelengths=np.arange(1100.0, 1160.0, 2.0),
                         targets={"grade": grade, "moisture (%)": rng.normal(size=60)},
                         sample_ids=[f"s{i}" for i in range(60)], test_mask=np.arange(60) % 5 == 0,
                         name="classes")
    result = run([{"class": "PLSDA", "params": {"n_components": 3}}], ds, verbose=0)
    with Project.create(tmp_path / "c.nirdesk") as project:
        run_id = project.record_run(result, ds, [{"class": "PLSDA", "params": {"n_components": 3}}],
                                    "plsda")
    with Project.open(tmp_path / "c.nirdesk", readonly=True) as project:
        again = project.load_dataset(1)
        stored = project.load_run(run_id)
        model = project.load_model(run_id, 1)
    assert list(again.targets) == ["grade", "moisture (%)"]
    np.testing.assert_array_equal(again.targets["grade"], grade)
    assert stored.predictions[1]["test"].dtype.kind == "U" and stored.task == "classification"
    np.testing.assert_array_equal(stored.predictions[1]["test"],
                                  result.branches[0].test_predictions)
    np.testing.assert_array_equal(model.predict(X), result.branches[0].model.predict(X))


def test_ui_state_meta_and_deleting_a_run(saved):
    path, run_id = saved
    with Project.open(path) as project:
        assert project.get_ui_state("layout", {"default": True}) == {"default": True}
        project.set_ui_state("layout", {"splitter": [3, 1], "selected": [1, 2], "x": None})
        meta = project.meta()
        assert meta["schema_version"] == str(SCHEMA_VERSION) and meta["format"] == "nirdesk.project"
        with pytest.raises(ValueError, match="used by 1 run"):
            project.delete_dataset(1)
        project.delete_run(run_id)
        assert project.runs() == []
        project.delete_dataset(1)
    with Project.open(path, readonly=True) as project:
        assert project.get_ui_state("layout") == {"splitter": [3, 1], "selected": [1, 2], "x": None}
        assert project.datasets() == []
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM branch_models").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM predictions").fetchone() == (0,)
    conn.close()


def test_a_failed_save_leaves_nothing_behind(saved, trained, monkeypatch):
    ds, result = trained
    path, _ = saved
    with Project.open(path) as project:
        def boom(*args, **kwargs):
            raise RuntimeError("disk on fire")

        changed = SpectralDataset(X=ds.X + 1.0, wavelengths=ds.wavelengths, targets=ds.targets,
                                  sample_ids=ds.sample_ids, test_mask=ds.test_mask, name="other")
        monkeypatch.setattr(project, "save_run", boom)
        with pytest.raises(RuntimeError, match="disk on fire"):
            project.record_run(result, changed, SPEC, "other pipeline")
        assert len(project.datasets()) == 1 and len(project.pipelines()) == 1


def test_writes_are_refused_read_only_and_from_another_process(saved):
    path, _ = saved
    with (Project.open(path, readonly=True) as project,
          pytest.raises(RuntimeError, match="read-only")):
        project.set_ui_state("k", 1)
    with Project.open(path) as project:
        project._pid = -1  # what a forked worker would see: not the opening process
        with pytest.raises(RuntimeError, match="only the process that opened"):
            project.set_ui_state("k", 1)


def test_save_as_writes_a_complete_copy_atomically(saved, tmp_path):
    path, run_id = saved
    before = path.read_bytes()
    copy = tmp_path / "sub" / "copy.nirdesk"
    copy.parent.mkdir()
    with Project.open(path) as project:
        project.save_as(copy)
        assert project.path == copy
        project.set_ui_state("only in the copy", True)
    assert path.read_bytes() == before
    assert [p.name for p in copy.parent.iterdir()] == ["copy.nirdesk"]  # no temp file left
    with Project.open(copy, readonly=True) as project:
        assert project.get_ui_state("only in the copy") is True
        assert project.load_run(run_id).results["best_branch"] is not None


def test_create_refuses_to_overwrite(saved):
    path, _ = saved
    with pytest.raises(InputError, match="already exists"):
        Project.create(path)
