"""Project files from strangers: untrusted model types, pickles, damaged, foreign and newer files
are refused with one clear line, and refusing never changes the file."""
from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.cross_decomposition import PLSRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from engine.cli import main as cli_main
from engine.dataset import SpectralDataset
from engine.errors import InputError
from engine.run import run
from engine.store import SCHEMA_VERSION, Project
from engine.store.digests import COVERED, row_digest
from engine.store.models import load_model_blob

SPEC = [{"branch": [["SNV", {"class": "PLSRegression", "params": {"n_components": 3}}],
                    ["MSC", {"class": "Ridge", "params": {"alpha": 1.0}}]]}]


def small_dataset(seed: int = 0, n: int = 50, p: int = 40) -> SpectralDataset:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)).cumsum(axis=1) * 0.01 + 1.0
    y = X[:, 5] * 10 + rng.normal(scale=0.01, size=n)
    return SpectralDataset(X=X, wavelengths=np.arange(1000.0, 1000.0 + 2 * p, 2.0),
                           targets={"y": y}, sample_ids=[f"s{i}" for i in range(n)],
                           test_mask=np.arange(n) % 5 == 0, name="small")


@pytest.fixture(scope="module")
def small_run():
    ds = small_dataset()
    return ds, run(SPEC, ds, verbose=0)


@pytest.fixture
def project_file(tmp_path, small_run) -> Path:
    ds, result = small_run
    path = tmp_path / "p.nirdesk"
    with Project.create(path) as project:
        project.record_run(result, ds, SPEC, "small")
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def replace_model(path: Path, blob: bytes, branch: int = 1) -> None:
    """What an attacker (or a broken tool) would do: swap a model blob behind nirdesk's back,
    with every checksum recomputed (checksums find damage; the trust check stops code)."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE branch_models SET model = ?, sha256 = ?"
                     " WHERE run_id = 1 AND branch_id = ?",
                     (blob, hashlib.sha256(blob).hexdigest(), branch))
        columns = ", ".join(COVERED["branch_models"])
        row = conn.execute(f"SELECT {columns} FROM branch_models WHERE run_id = 1"
                           " AND branch_id = ?", (branch,)).fetchone()
        conn.execute("UPDATE branch_models SET row_sha256 = ? WHERE run_id = 1 AND branch_id = ?",
                     (row_digest("branch_models", row), branch))
    conn.close()


class Sneaky(TransformerMixin, BaseEstimator):
    """An estimator from a module nirdesk does not trust, holding a function it would call."""

    def fit(self, X, y=None):
        self.hook_ = os.system
        return self

    def transform(self, X):
        return X


def _fitted(step) -> Pipeline:
    X = np.abs(np.random.default_rng(0).normal(size=(20, 40))) + 1.0
    return Pipeline([("step", step), ("pls", PLSRegression(2))]).fit(X, X.sum(axis=1))


# -- models ------------------------------------------------------------------------------------

def test_a_model_with_an_untrusted_class_and_function_is_refused_naming_them(project_file, capsys,
                                                                            tmp_path):
    replace_model(project_file, sio.dumps(_fitted(Sneaky())))
    with Project.open(project_file, readonly=True) as project:
        with pytest.raises(InputError) as err:
            project.load_model(1, 1)
        project.load_model(1, 2)  # the untouched branch still loads
    message = str(err.value)
    assert f"{Sneaky.__module__}.Sneaky" in message
    assert "posix.system" in message or "nt.system" in message
    assert "run 1, branch 1" in message
    # valid spectra on the model's axis, so the refusal is the model's (the data is read first)
    ds = small_dataset(seed=1)
    lines = ["sample_id," + ",".join(f"{w:g}" for w in ds.wavelengths)]
    lines += [f"n{i}," + ",".join(repr(float(v)) for v in row) for i, row in enumerate(ds.X)]
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "X.csv").write_text("\n".join(lines) + "\n")
    assert cli_main(["predict", str(project_file), "--data", str(tmp_path / "new"), "--branch", "1",
                     "--out", str(tmp_path / "out.csv")]) == 2
    err_text = capsys.readouterr().err
    assert err_text.count("\n") == 1 and "Sneaky" in err_text and "Traceback" not in err_text
    assert not (tmp_path / "out.csv").exists()


def test_types_skops_itself_would_trust_are_still_refused(project_file):
    # skops' default list trusts FunctionTransformer and numpy ufuncs; nirdesk's does not:
    # a function inside a saved model is code the file chose.
    blob = sio.dumps(_fitted(FunctionTransformer(np.log1p)))
    assert sio.get_untrusted_types(data=blob) == []
    replace_model(project_file, blob)
    with (Project.open(project_file, readonly=True) as project,
          pytest.raises(InputError, match=r"numpy\.log1p") as err):
        project.load_model(1, 1)
    assert "sklearn.preprocessing._function_transformer.FunctionTransformer" in str(err.value)
    assert load_model_blob(blob, extra_trusted=[  # a reviewed, explicit opt-in works
        "numpy.log1p",
        "sklearn.preprocessing._function_transformer.FunctionTransformer"]) is not None


class _Marker:
    """Unpickling this would create a file: proof that nothing is unpickled."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_pickled_model_is_never_unpickled(project_file, tmp_path):
    marker = tmp_path / "pwned"
    replace_model(project_file, pickle.dumps(_Marker(str(marker))))
    with (Project.open(project_file, readonly=True) as project,
          pytest.raises(InputError, match="not a readable skops blob")):
        project.load_model(1, 1)
    assert not marker.exists()


def flip_last_bytes(path: Path, table: str, column: str, where: str) -> None:
    """Damage a blob the way a bad disk sector would: same length, different bytes."""
    conn = sqlite3.connect(path)
    with conn:
        blob = bytearray(conn.execute(f"SELECT {column} FROM {table} WHERE {where}").fetchone()[0])
        blob[-8:] = bytes(8)
        conn.execute(f"UPDATE {table} SET {column} = ? WHERE {where}", (bytes(blob),))
    conn.close()


def test_a_model_blob_changed_without_its_checksum_is_refused(project_file):
    flip_last_bytes(project_file, "branch_models", "model", "branch_id = 1")
    with (Project.open(project_file, readonly=True) as project,
          pytest.raises(InputError, match="checksum")):
        project.load_model(1, 1)


def test_a_damaged_dataset_blob_is_refused_by_its_content_hash(project_file):
    flip_last_bytes(project_file, "dataset_spectra", "X", "dataset_id = 1")
    with (Project.open(project_file, readonly=True) as project,
          pytest.raises(InputError, match="damaged")):
        project.load_dataset(1)


def test_a_value_of_the_wrong_kind_is_an_input_error_not_a_crash(project_file):
    conn = sqlite3.connect(project_file)
    with conn:
        conn.execute("UPDATE dataset_spectra SET X = substr(X, 1, 20) || 'text'")  # TEXT now
    conn.close()
    with (Project.open(project_file, readonly=True) as project,
          pytest.raises(InputError, match="the project is damaged")):
        project.load_dataset(1)


# -- whole files -------------------------------------------------------------------------------

def _bad_files(project_file: Path) -> dict[str, tuple[Path, str]]:
    folder = project_file.parent
    data = project_file.read_bytes()
    rng = np.random.default_rng(7)
    files = {
        "truncated": (data[: len(data) // 2], "truncated"),
        "truncated header": (data[:60], "truncated"),
        "random bytes": (rng.bytes(len(data)), "not an SQLite database"),
        "empty": (b"", "empty"),
        "text": (b"sample,1000,1002\n", "not an SQLite database"),
    }
    out = {}
    for name, (content, expected) in files.items():
        path = folder / f"{name.replace(' ', '_')}.nirdesk"
        path.write_bytes(content)
        out[name] = (path, expected)
    foreign = folder / "foreign.nirdesk"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE studies (id INTEGER)")
    conn.commit()
    conn.close()
    out["another program's SQLite file"] = (foreign, "not a nirdesk project")
    return out


@pytest.mark.parametrize("command", ["predict", "info", "run"])
def test_bad_project_files_exit_2_with_one_line_and_stay_unchanged(project_file, tmp_path, capsys,
                                                                  command):
    spec = tmp_path / "spec.json"
    spec.write_text('["SNV", "PLSRegression"]')
    tablet = Path(__file__).resolve().parents[1] / "data" / "tablet"
    for name, (path, expected) in _bad_files(project_file).items():
        before = digest(path)
        argv = {"predict": ["predict", str(path), "--data", str(tablet),
                            "--out", str(tmp_path / "o.csv")],
                "info": ["info", str(path)],
                # the project is vetted before the run starts: no computing time is lost
                "run": ["run", str(spec), "--data", str(tablet), "--save", str(path),
                        "--verbose", "0"],
                }[command]
        assert cli_main(argv) == 2, name
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, (name, err)
        assert str(path) in err and expected in err, (name, err)
        assert digest(path) == before, name
        assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize("where", ["start", "end"])
def test_a_corrupted_page_is_caught_before_anything_is_read(project_file, where):
    data = bytearray(project_file.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    start = page if where == "start" else len(data) - page  # table b-trees / blob pages
    data[start: start + page] = np.random.default_rng(1).bytes(page)
    project_file.write_bytes(bytes(data))
    before = digest(project_file)
    with pytest.raises(InputError, match="damaged") as err:
        Project.open(project_file)
    if where == "end":  # the tables open fine: only the integrity check sees this one
        assert "integrity check" in str(err.value)
    assert digest(project_file) == before


def test_a_newer_schema_is_refused_with_both_versions(project_file, capsys):
    conn = sqlite3.connect(project_file)
    with conn:
        conn.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
    conn.close()
    before = digest(project_file)
    with pytest.raises(InputError) as err:
        Project.open(project_file)
    assert (f"made by a newer nirdesk (schema 7, this version reads up to {SCHEMA_VERSION})"
            in str(err.value))
    assert cli_main(["info", str(project_file)]) == 2
    assert "schema 7" in capsys.readouterr().err
    assert digest(project_file) == before


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="no such project file"):
        Project.open(tmp_path / "nope.nirdesk")
    with pytest.raises(InputError, match="not a file"):
        Project.open(tmp_path)
