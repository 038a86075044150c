"""Spectra streamed in and out of a project (issue 20): the same bytes as before, no second copy
in memory, and no rewrite of the spectra when a dataset's other columns change (schema 5)."""
from __future__ import annotations

import io
import sqlite3
import tracemalloc

import numpy as np
import pytest

from engine.dataset import SpectralDataset
from engine.store import Project
from engine.store import arrays as A


@pytest.mark.parametrize("array", [
    np.random.default_rng(0).normal(size=(37, 11)),
    np.arange(24, dtype=np.int32).reshape(2, 3, 4),
    np.zeros((0, 5)),
    np.random.default_rng(1).normal(size=9).astype(np.float32),
    np.asfortranarray(np.random.default_rng(2).normal(size=(6, 4))),   # written in C order
], ids=["float64", "int32 3-D", "empty", "float32", "fortran"])
def test_streamed_npy_equals_numpy_own_bytes(array):
    expected = io.BytesIO()
    np.save(expected, np.ascontiguousarray(array), allow_pickle=False)
    streamed = io.BytesIO()
    A.write_npy_stream(array, streamed)
    assert streamed.getvalue() == expected.getvalue()
    digest = A.ContentHash()
    A.hash_npy(array, "X", digest)
    assert digest.hexdigest() == A.content_hash({"X": expected.getvalue()})
    again = A.ContentHash()
    back = A.read_npy_stream(io.BytesIO(expected.getvalue()), len(expected.getvalue()),
                             "spectra", digest=again)
    np.testing.assert_array_equal(back, array)
    assert back.dtype == array.dtype and again.hexdigest() == digest.hexdigest()


def test_a_streamed_read_refuses_pickles_and_short_data():
    objects = np.array([{"a": 1}], dtype=object)
    with pytest.raises(ValueError):
        A.write_npy_stream(objects, io.BytesIO())
    good = A.to_npy(np.arange(10.0))
    with pytest.raises(Exception, match=r"not a readable \.npy array"):
        A.read_npy_stream(io.BytesIO(good[:-8]), len(good), "spectra")
    raw = io.BytesIO()
    np.save(raw, objects, allow_pickle=True)             # a pickle inside a .npy
    with pytest.raises(Exception, match=r"not a readable \.npy array"):
        A.read_npy_stream(io.BytesIO(raw.getvalue()), len(raw.getvalue()), "spectra")


def _dataset(n: int = 2000, p: int = 300) -> SpectralDataset:
    rng = np.random.default_rng(4)
    return SpectralDataset(X=rng.normal(size=(n, p)), wavelengths=np.linspace(1000, 2500, p),
                           targets={"y": rng.normal(size=n)}, sample_ids=np.arange(n).astype(str),
                           test_mask=np.arange(n) % 5 == 0, name="streamed")


def _pages(path) -> tuple[int, int]:
    conn = sqlite3.connect(path)
    try:
        return (conn.execute("PRAGMA page_count").fetchone()[0],
                conn.execute("PRAGMA freelist_count").fetchone()[0])
    finally:
        conn.close()


def test_saving_other_choices_does_not_rewrite_the_spectra(tmp_path):
    ds = _dataset()
    path = tmp_path / "p.nirdesk"
    with Project.create(path) as project:
        first = project.save_dataset(ds)
    pages, _ = _pages(path)
    ds.excluded[:10] = True                      # a remembered choice: the row is updated
    with Project.open(path) as project:
        assert project.save_dataset(ds) == first
    pages_after, free_after = _pages(path)
    x_pages = ds.X.nbytes // 4096
    # before schema 5 the update rewrote the row with its 4.8 MB of spectra: the file grew
    # by X or kept X's old pages free
    assert pages_after - pages < x_pages // 10 and free_after < x_pages // 10
    with Project.open(path, readonly=True) as project:
        back = project.load_dataset(first)
    np.testing.assert_array_equal(back.X, ds.X)
    assert back.excluded[:10].all() and not back.excluded[10:].any()


def test_loading_holds_the_spectra_once(tmp_path):
    ds = _dataset(20_000, 250)                          # 40 MB
    path = tmp_path / "p.nirdesk"
    with Project.create(path) as project:
        dataset_id = project.save_dataset(ds)
    with Project.open(path, readonly=True) as project:
        tracemalloc.start()
        try:
            back = project.load_dataset(dataset_id)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    np.testing.assert_array_equal(back.X, ds.X)
    # the array itself plus a few 16 MiB pieces; reading the blob whole first took 2 x X
    assert peak < ds.X.nbytes + 3 * A.CHUNK_BYTES, peak / ds.X.nbytes


def test_saving_holds_no_copy_of_the_spectra(tmp_path):
    ds = _dataset(20_000, 250)
    path = tmp_path / "p.nirdesk"
    with Project.create(path) as project:
        tracemalloc.start()
        try:
            project.save_dataset(ds)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    # to_npy(X) and SQLite's copy of a bound blob took 2 x X on top of the dataset
    assert peak < 3 * A.CHUNK_BYTES, peak / ds.X.nbytes


def test_a_schema_4_file_moves_its_spectra_and_keeps_its_hash(tmp_path):
    ds = _dataset(300, 50)
    path = tmp_path / "v4.nirdesk"
    with Project.create(path) as project:
        dataset_id = project.save_dataset(ds)
        digest = project.datasets()[0]["content_hash"]
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.execute("UPDATE datasets SET X = (SELECT s.X FROM dataset_spectra s"
                 " WHERE s.dataset_id = datasets.id)")
    conn.execute("DROP TABLE dataset_spectra")
    conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    conn.execute("PRAGMA user_version = 4")
    conn.execute("COMMIT")
    conn.close()
    with Project.open(path, readonly=True) as project:       # migrated in memory
        assert project.migrated_from == 4
        np.testing.assert_array_equal(project.load_dataset(dataset_id).X, ds.X)
    with Project.open(path) as project:                       # migrated in place
        assert project.datasets()[0]["content_hash"] == digest
        np.testing.assert_array_equal(project.load_dataset(dataset_id).X, ds.X)
        assert project.save_dataset(ds) == dataset_id          # still found by its hash
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT length(X) FROM datasets").fetchone()[0] == 0
    conn.close()
