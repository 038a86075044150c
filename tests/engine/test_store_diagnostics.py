"""Each saved model keeps its diagnostics (a LatentModel as an npz blob + sha256) in the
branch_diagnostics table of schema 3; older files migrate and simply have none."""
from __future__ import annotations

import io
import sqlite3
import zipfile

import numpy as np
import pytest

from engine.dataset import SpectralDataset
from engine.errors import InputError
from engine.run import run
from engine.store import SCHEMA_VERSION, Project
from engine.store.digests import DIGEST_COLUMN
from engine.store.schema import create_schema
from tests.faulty import failing_model

SPEC = [{"branch": [
    [{"class": "PLSRegression", "params": {"n_components": 3, "scale": False}}],
    ["SNV", {"class": "Ridge", "params": {"alpha": 0.1}}],
    [failing_model()],  # fails: no model
], "n_jobs": 1}]


def _dataset() -> SpectralDataset:
    rng = np.random.default_rng(5)
    n, p = 60, 30
    wl = np.linspace(1000, 2000, p)
    X = rng.uniform(0, 1, (n, 3)) @ rng.normal(0, 1, (3, p)) + rng.normal(0, 0.01, (n, p))
    y = X[:, 3] * 2 + rng.normal(0, 0.01, n)
    return SpectralDataset(X=X, wavelengths=wl, targets={"y": y},
                           sample_ids=np.array([f"d{i}" for i in range(n)]),
                           test_mask=np.arange(n) % 4 == 0)


@pytest.fixture(scope="module")
def trained():
    ds = _dataset()
    return ds, run(SPEC, ds, verbose=0, parallel_branches=1)


@pytest.fixture
def saved(tmp_path, trained):
    ds, result = trained
    path = tmp_path / "d.nirdesk"
    with Project.create(path) as project:
        run_id = project.record_run(result, ds, SPEC)
    return path, run_id


def test_every_saved_model_gets_its_diagnostics_back_identical(saved, trained):
    _, result = trained
    path, run_id = saved
    assert [b.status for b in result.branches] == ["ok", "ok", "failed"]
    for readonly in (True, False):
        with Project.open(path, readonly=readonly) as project:
            for b in result.branches[:2]:
                back = project.load_diagnostics(run_id, b.id)
                assert back is not None and back.kind == b.diagnostics.kind
                for key, value in b.diagnostics.to_arrays().items():
                    np.testing.assert_array_equal(back.to_arrays()[key], value)
            assert project.load_diagnostics(run_id, 3) is None  # failed: no model, no row
            stored = project.load_run(run_id).to_run_result()
            assert stored.branch(1).outliers == result.branch(1).outliers
            assert stored.branch(3).outliers is None


def test_the_blob_is_a_plain_npz_of_numbers(saved):
    path, run_id = saved
    conn = sqlite3.connect(path)
    blob, = conn.execute("SELECT latent FROM branch_diagnostics WHERE run_id = ? AND "
                         "branch_id = 1", (run_id,)).fetchone()
    conn.close()
    with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
        assert {"mean", "rotations", "loadings", "theta"} <= set(npz.files)
        assert all(npz[k].dtype.kind in "fiu" for k in npz.files)


def _set_blob(path, run_id, blob, digest=None) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE branch_diagnostics SET latent = ? WHERE run_id = ? AND "
                     "branch_id = 1", (blob, run_id))
        if digest is not None:
            conn.execute("UPDATE branch_diagnostics SET sha256 = ? WHERE run_id = ? AND "
                         "branch_id = 1", (digest, run_id))
    conn.close()


def test_a_damaged_blob_is_an_input_error_naming_run_and_branch(saved):
    import hashlib

    path, run_id = saved
    conn = sqlite3.connect(path)
    blob, = conn.execute("SELECT latent FROM branch_diagnostics WHERE branch_id = 1").fetchone()
    conn.close()
    flipped = bytearray(blob)
    flipped[len(flipped) // 2] ^= 0xFF
    _set_blob(path, run_id, bytes(flipped))
    with Project.open(path, readonly=True) as project, \
            pytest.raises(InputError, match="checksum does not match") as err:
        project.load_diagnostics(run_id, 1)
    assert f"run {run_id}, branch 1" in str(err.value)
    # a checksum that matches bytes that are not an npz, or an npz of the wrong arrays
    junk = b"not a zip at all"
    _set_blob(path, run_id, junk, hashlib.sha256(junk).hexdigest())
    with Project.open(path, readonly=True) as project, \
            pytest.raises(InputError, match=f"run {run_id}, branch 1: the saved diagnostics "
                                            "are unreadable"):
        project.load_diagnostics(run_id, 1)
    buffer = io.BytesIO()
    np.savez(buffer, mean=np.zeros(3))
    _set_blob(path, run_id, buffer.getvalue(), hashlib.sha256(buffer.getvalue()).hexdigest())
    with Project.open(path, readonly=True) as project, \
            pytest.raises(InputError, match="lack"):
        project.load_diagnostics(run_id, 1)
    assert zipfile.is_zipfile(io.BytesIO(buffer.getvalue()))


def test_deleting_a_run_deletes_its_diagnostics(saved):
    path, run_id = saved
    with Project.open(path) as project:
        project.delete_run(run_id)
        assert project.load_diagnostics(run_id, 1) is None
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM branch_diagnostics").fetchone()[0] == 0
    conn.close()


def test_a_schema_2_file_migrates_and_predicts_without_diagnostics(tmp_path, trained):
    """A project written by the previous nirdesk (schema 2: no branch_diagnostics table)."""
    ds, result = trained
    path = tmp_path / "v2.nirdesk"
    with Project.create(path) as project:
        run_id = project.record_run(result, ds, SPEC)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.execute("DROP TABLE branch_diagnostics")
    conn.execute("UPDATE datasets SET X = (SELECT s.X FROM dataset_spectra s"
                 " WHERE s.dataset_id = datasets.id)")   # schema 5 moved the spectra out
    conn.execute("DROP TABLE dataset_spectra")
    for table, column in DIGEST_COLUMN.items():  # schema 4's row checksums
        conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    conn.execute("PRAGMA user_version = 2")
    conn.execute("COMMIT")
    conn.close()
    with Project.open(path, readonly=True) as project:  # migrated in memory
        assert project.migrated_from == 2 and project.load_diagnostics(run_id, 1) is None
    with Project.open(path) as project:  # migrated in place
        assert project.migrated_from == 2 and project.schema_version == SCHEMA_VERSION == 5
        assert project.load_diagnostics(run_id, 1) is None
        model = project.load_model(run_id, 1)
        np.testing.assert_allclose(np.ravel(model.predict(ds.X[ds.test_indices])),
                                   result.branch(1).test_predictions, rtol=1e-12)
        again = project.record_run(result, ds, SPEC)  # new runs get the table's rows
        assert project.load_diagnostics(again, 1) is not None
    assert path.with_name("v2.schema-v2.nirdesk").exists()


def test_a_fresh_file_and_a_migrated_one_have_the_same_table(tmp_path):
    def columns(upto: int | None) -> list[tuple]:
        conn = sqlite3.connect(":memory:", isolation_level=None)
        conn.execute("BEGIN")
        if upto is None:
            create_schema(conn)
        else:
            from engine.store.schema import migrate

            create_schema(conn, upto=upto)
            migrate(conn, upto)
        conn.execute("COMMIT")
        info = conn.execute("PRAGMA table_info(branch_diagnostics)").fetchall()
        conn.close()
        return info

    assert columns(None) == columns(2) == columns(1) != []
