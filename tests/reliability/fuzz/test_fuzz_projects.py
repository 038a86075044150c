"""Byte-damaged project files through `nirdesk info` and `predict` (issue 22, point 6's
other half: tests/engine/test_store_* check that damage is *detected*; here, that whatever
the damage, the read-only commands answer in one line or work, never traceback or hang, and
leave the file as it was)."""
from __future__ import annotations

import hashlib

import pytest

from tests.fuzzing import check_outcome, mutate_project

#: seed 27 flips a byte that SQLite's integrity_check quotes in its report (not UTF-8: it
#: was a UnicodeDecodeError traceback, found by this suite; engine.store.check now reads the
#: report leniently and refuses the file in one line)
SEEDS = list(range(40))


@pytest.mark.parametrize("seed", SEEDS)
def test_info_and_predict_on_a_damaged_project(seed, tmp_path, cli, good_data,
                                               trained_project):
    case = mutate_project(trained_project.read_bytes(), seed, tmp_path / f"d{seed}.nirdesk")
    before = hashlib.sha256(case.path.read_bytes()).hexdigest()
    info = ["info", str(case.path)]
    code, _, err = cli(info)
    check_outcome(info, code, err, must_refuse=False)
    out = tmp_path / "pred.csv"
    predict = ["predict", str(case.path), "--data", str(good_data), "--out", str(out),
               "--verbose", "0"]
    code, _, err = cli(predict)
    check_outcome(predict, code, err, must_refuse=False)
    assert code != 0 or out.is_file()
    # read-only commands: the damaged file is exactly as it was
    assert hashlib.sha256(case.path.read_bytes()).hexdigest() == before


def test_a_crafted_model_of_trusted_types_is_refused_before_predict(tmp_path, cli, good_data,
                                                                    trained_project):
    """An empty Pipeline, an unfitted model, a model of another width: each blob holds only
    trusted types (the skops check passes) and a matching checksum, yet predict cannot use
    it: one line naming the project, run and branch."""
    import shutil
    import sqlite3

    import numpy as np
    import skops.io as sio
    from sklearn.cross_decomposition import PLSRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    empty = Pipeline([("s", StandardScaler())])
    empty.steps = []
    rng = np.random.default_rng(0)
    narrow = Pipeline([("m", PLSRegression(2))]).fit(rng.normal(size=(20, 3)),
                                                     rng.normal(size=20))
    crafted = {"no steps": empty, "never fitted": Pipeline([("m", PLSRegression(3))]),
               "fitted on 3 columns": narrow,
               "not a fitted model": StandardScaler().fit(np.ones((3, 24)))}
    for expected, model in crafted.items():
        path = tmp_path / "crafted.nirdesk"
        shutil.copy(trained_project, path)
        blob = sio.dumps(model)
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE branch_models SET model = ?, sha256 = ?",
                         (blob, hashlib.sha256(blob).hexdigest()))
            _redo_row_digests(conn)
        conn.close()
        argv = ["predict", str(path), "--data", str(good_data), "--out",
                str(tmp_path / "p.csv")]
        code, _, err = cli(argv)
        check_outcome(argv, code, err, must_refuse=True)
        assert "run 1, branch 1: the saved model cannot be used to predict" in err, err
        words = {"no steps": "no steps", "never fitted": "never fitted",
                 "fitted on 3 columns": "fitted on 3 columns",
                 "not a fitted model": "not a fitted model"}[expected]
        assert words in err, err


def _redo_row_digests(conn) -> None:
    """A forger recomputes every checksum the file format has: the model rows' digests too
    (schema 4's row_sha256, engine.store.digests), when the file has them."""
    columns = [r[1] for r in conn.execute("PRAGMA table_info(branch_models)")]
    if "row_sha256" not in columns:
        return
    from engine.store.digests import COVERED, row_digest

    names = COVERED["branch_models"]
    for row in conn.execute(f"SELECT {', '.join(names)} FROM branch_models").fetchall():
        conn.execute("UPDATE branch_models SET row_sha256 = ? WHERE run_id = ? AND "
                     "branch_id = ?", (row_digest("branch_models", row), row[0], row[1]))
