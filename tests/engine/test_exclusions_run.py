"""Excluded samples: left out of every run path (folds, refit, test scoring), listed in the
results JSON, kept in the project, chosen with `nirdesk run --exclude`.

The reference for every number is the same run on a dataset with those rows physically
removed: excluding must be exactly that, sequential or parallel.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from engine.cli import main as cli_main
from engine.dataset import SpectralDataset
from engine.errors import InputError
from engine.executor import TaskPool
from engine.run import run
from engine.store import Project

PIPELINE = [{"branch": [
    ["SNV", {"class": "PLSRegression", "params": {"n_components": 4}}],
    ["MSC", {"class": "Ridge", "params": {"alpha": 0.1}}],
], "n_jobs": 1}]

EXCLUDED = [3, 10, 11, 40, 57, 62]  # train and test rows (every 4th row is a test row)


def _arrays(n: int = 72, p: int = 40, seed: int = 3) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    wl = np.linspace(1100, 2500, p)
    conc = rng.uniform(0, 1, size=(n, 2))
    bands = np.stack([np.exp(-((wl - c) / 80) ** 2) for c in (1450, 1940)])
    X = conc @ bands + rng.uniform(0.8, 1.2, (n, 1)) * (0.1 + wl / 5000) \
        + rng.normal(0, 0.003, (n, p))
    y = 10 * conc[:, 0] + 3 * conc[:, 1] + rng.normal(0, 0.05, n)
    test = np.arange(n) % 4 == 0
    ids = np.array([f"s{i}" for i in range(n)])
    return X, wl, y, test, ids


def _dataset(keep: np.ndarray | None = None) -> SpectralDataset:
    X, wl, y, test, ids = _arrays()
    rows = np.arange(X.shape[0]) if keep is None else keep
    return SpectralDataset(X=X[rows], wavelengths=wl, targets={"analyte": y[rows]},
                           sample_ids=ids[rows], test_mask=test[rows], name="synthetic")


def _kept() -> np.ndarray:
    return np.setdiff1d(np.arange(_arrays()[0].shape[0]), EXCLUDED)


@pytest.fixture(autouse=True)
def no_startup_cost(monkeypatch):
    """Tiny data would (rightly) run sequentially; this makes the pool run it."""
    import engine.policy as policy

    monkeypatch.setattr(policy, "COLD_START_SECONDS", 0.0)
    monkeypatch.setattr(policy, "WARM_START_SECONDS", 0.0)
    monkeypatch.setattr(policy, "TASK_OVERHEAD_SECONDS", 0.0)


@pytest.fixture(scope="module")
def pool():
    p = TaskPool()
    yield p
    p.shutdown()


def test_exclude_include_and_the_partition():
    ds = _dataset()
    ds.exclude([3, 10])
    ds.exclude(np.arange(72) == 40)  # a boolean mask works too
    assert ds.n_excluded == 3 and ds.excluded_ids == ["s3", "s10", "s40"]
    assert 3 not in ds.train_indices and 40 not in ds.test_indices and 10 not in ds.train_indices
    assert ds.n_train == 54 - 2 and ds.n_test == 18 - 1
    assert ds.n_train == ds.train_indices.size and ds.n_test == ds.test_indices.size
    summary = ds.summary()
    assert summary["n_excluded"] == 3 and summary["excluded"] == ["s3", "s10", "s40"]
    ds.include([10])
    assert ds.excluded_ids == ["s3", "s40"]
    ds.include()
    assert ds.n_excluded == 0 and ds.n_train == 54 and ds.summary()["excluded"] == []
    with pytest.raises(InputError, match="unknown sample id 'nope'"):
        ds.rows_of_ids(["s1", "nope"])
    with pytest.raises(IndexError):
        ds.exclude([72])


@pytest.mark.parametrize("workers", [1, 2])
def test_a_run_with_exclusions_equals_a_run_without_those_rows(pool, workers):
    excluded = _dataset()
    excluded.exclude(EXCLUDED)
    removed = _dataset(_kept())
    a = run(PIPELINE, excluded, verbose=0, parallel_branches=workers, pool=pool)
    b = run(PIPELINE, removed, verbose=0, parallel_branches=workers, pool=pool)
    assert a.parallel[0]["mode"] == ("parallel" if workers == 2 else "sequential")
    assert a.dataset["excluded"] == [f"s{i}" for i in EXCLUDED] and a.dataset["n_excluded"] == 6
    assert a.dataset["n_train"] == b.dataset["n_train"] == 49
    assert a.dataset["n_test"] == b.dataset["n_test"] == 17
    # the run's row indices point at the same spectra in both datasets
    np.testing.assert_array_equal(excluded.sample_ids[a.train_indices],
                                  removed.sample_ids[b.train_indices])
    np.testing.assert_array_equal(excluded.sample_ids[a.test_indices],
                                  removed.sample_ids[b.test_indices])
    for ba, bb in zip(a.branches, b.branches, strict=True):
        assert ba.status == bb.status == "ok"
        for part in ("cv", "test"):
            for key, value in bb.metrics[part].items():
                assert ba.metrics[part][key] == pytest.approx(value, rel=1e-12, abs=1e-12), key
        np.testing.assert_allclose(ba.oof_predictions, bb.oof_predictions, rtol=1e-12)
        np.testing.assert_allclose(ba.test_predictions, bb.test_predictions, rtol=1e-12)
    doc = json.loads(json.dumps(a.to_json(), default=str))
    assert doc["dataset"]["excluded"] == [f"s{i}" for i in EXCLUDED]


def test_excluding_every_training_row_is_an_input_error():
    ds = _dataset()
    ds.exclude(ds.train_indices)
    with pytest.raises(InputError, match="only 0 training samples"):
        run(PIPELINE, ds, verbose=0, parallel_branches=1)


def test_the_project_keeps_the_exclusions_as_a_dataset_choice(tmp_path):
    path = tmp_path / "p.nirdesk"
    ds = _dataset()
    with Project.create(path) as project:
        plain_id = project.save_dataset(ds)
        ds.exclude(EXCLUDED)
        assert project.save_dataset(ds) == plain_id  # not part of the content hash
    with Project.open(path) as project:
        back = project.load_dataset(plain_id)
        assert back.excluded_ids == [f"s{i}" for i in EXCLUDED]
        np.testing.assert_array_equal(back.excluded, ds.excluded)
        assert "excluded" not in back.metadata
        back.include()  # "include all", saved again: the project forgets them
        project.save_dataset(back)
    with Project.open(path, readonly=True) as project:
        assert project.load_dataset(plain_id).n_excluded == 0


def test_repeated_ids_keep_the_exact_rows(tmp_path):
    X, wl, y, test, _ = _arrays(n=12)
    ids = np.repeat([f"t{i}" for i in range(6)], 2)  # two scans per tablet, named alike
    ds = SpectralDataset(X=X, wavelengths=wl, targets={"analyte": y}, sample_ids=ids,
                         test_mask=test)
    ds.exclude([5])  # one scan of t2, not the other
    with Project.create(tmp_path / "r.nirdesk") as project:
        back = project.load_dataset(project.save_dataset(ds))
    np.testing.assert_array_equal(back.excluded_rows, [5])


def _write_folder(folder, rows: np.ndarray) -> None:
    X, wl, y, test, ids = _arrays()
    folder.mkdir()
    header = "sample_id," + ",".join(f"{w:.6f}" for w in wl)
    lines = [header] + [ids[i] + "," + ",".join(repr(float(v)) for v in X[i]) for i in rows]
    (folder / "X.csv").write_text("\n".join(lines) + "\n")
    (folder / "y.csv").write_text("analyte\n" + "\n".join(repr(float(y[i])) for i in rows) + "\n")
    (folder / "split.csv").write_text(
        "split\n" + "\n".join("test" if test[i] else "cal" for i in rows) + "\n")


def test_cli_exclude_ids_or_file_equals_the_rows_removed_and_is_saved(tmp_path, capsys):
    full, cut = tmp_path / "full", tmp_path / "cut"
    _write_folder(full, np.arange(72))
    _write_folder(cut, _kept())
    spec = tmp_path / "p.json"
    spec.write_text(json.dumps(PIPELINE))
    ids = [f"s{i}" for i in EXCLUDED]
    id_file = tmp_path / "out.txt"
    id_file.write_text("# outliers seen in the scores plot\n" + "\n".join(ids) + "\n\n")
    outs = {}
    for name, data, extra in (("ids", full, ["--exclude", ",".join(ids)]),
                              ("file", full, ["--exclude", str(id_file)]),
                              ("cut", cut, [])):
        outs[name] = tmp_path / f"{name}.json"
        assert cli_main(["run", str(spec), "--data", str(data), "--out", str(outs[name]),
                         "--verbose", "0", "--save", str(tmp_path / f"{name}.nirdesk"),
                         *extra]) == 0
    docs = {k: json.loads(v.read_text()) for k, v in outs.items()}
    assert docs["ids"]["dataset"]["excluded"] == docs["file"]["dataset"]["excluded"] == ids
    assert docs["cut"]["dataset"]["excluded"] == []
    for got in (docs["ids"], docs["file"]):
        for bx, bc in zip(got["branches"], docs["cut"]["branches"], strict=True):
            for part in ("cv", "test"):
                for key, value in bc["metrics"][part].items():
                    assert bx["metrics"][part][key] == pytest.approx(value, rel=1e-12, abs=1e-12)
    with Project.open(tmp_path / "ids.nirdesk", readonly=True) as project:
        [summary] = project.runs()
        assert project.load_dataset(summary.dataset_id).excluded_ids == ids


def test_cli_exclude_refuses_unknown_ids_naming_them(tmp_path, capsys):
    full = tmp_path / "full"
    _write_folder(full, np.arange(72))
    spec = tmp_path / "p.json"
    spec.write_text(json.dumps(PIPELINE))
    args = ["run", str(spec), "--data", str(full), "--verbose", "0"]
    assert cli_main(args + ["--exclude", "s1,zz9"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--exclude" in err and "'zz9'" in err and "s1'" not in err
    id_file = tmp_path / "ids.txt"
    id_file.write_text("s1\ns2\nbogus\n")
    assert cli_main(args + ["--exclude", str(id_file)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(id_file) in err and "'bogus'" in err
    empty = tmp_path / "empty.txt"
    empty.write_text("\n# nothing\n")
    assert cli_main(args + ["--exclude", str(empty)]) == 2
    err = capsys.readouterr().err
    assert "no sample ids to exclude" in err and str(empty) in err
