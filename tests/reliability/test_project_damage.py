"""A damaged project says so in one line; read-only commands change nothing; two first saves
both land (issue 22, points 4, 6 and 8).

Bit flips: a project with one run is copied N times, one seeded random bit flipped in each
copy. `nirdesk info` (which verifies every checksum) must, for every copy, either refuse it
in one line (exit 2, no traceback) or show exactly what the intact file shows while every
stored value is unchanged (the flip hit free space). `nirdesk predict` must never crash and
never predict differently without saying so (it checks what it reads: the run, the model,
the diagnostics).
"""
from __future__ import annotations

import contextlib
import io
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main
from engine.resources import demo_dataset_path
from engine.store import Project
from engine.store.digests import COVERED

PIPELINE = ('{"name": "small", "steps": [{"branch": [["SNV"], ["MSC"]]}, '
            '{"class": "PLSRegression", "params": {"n_components": 3}}]}')
FLIPS = 40
ROOT = Path(__file__).resolve().parents[2]


def call(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)  # an exception escaping here is a test failure (a traceback)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("damage")
    pipeline = folder / "pipeline.json"
    pipeline.write_text(PIPELINE, encoding="utf-8")
    code, _, err = call(["run", str(pipeline), "--data", str(demo_dataset_path()),
                         "--verbose", "0", "--parallel-branches", "1",
                         "--save", str(folder / "p.nirdesk")])
    assert code == 0, err
    return folder / "p.nirdesk"


def _dump(path: Path) -> list[str] | str:
    """Every stored value (SQL text of the whole database), or why it cannot be read."""
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            return list(conn.iterdump())
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return repr(exc)


def _predict(path: Path, out: Path) -> tuple[int, str, str, bytes | None]:
    out.unlink(missing_ok=True)
    code, stdout, stderr = call(["predict", str(path), "--data", str(demo_dataset_path()),
                                 "--out", str(out)])
    return code, stdout, stderr, out.read_bytes() if out.exists() else None


def test_bit_flips_are_detected_in_one_line_or_change_nothing(project, tmp_path):
    intact_info = call(["info", str(project)])
    intact_predict = _predict(project, tmp_path / "intact.csv")
    intact_dump = _dump(project)
    assert intact_info[0] == 0 and intact_predict[0] == 0
    rng = random.Random(22)
    size = project.stat().st_size
    tally = {"detected": 0, "free space": 0, "predict refused": 0, "predict degraded": 0}
    for n in range(FLIPS):
        copy = tmp_path / f"flip{n}.nirdesk"
        shutil.copyfile(project, copy)
        position, bit = rng.randrange(size), rng.randrange(8)
        with open(copy, "r+b") as fh:
            fh.seek(position)
            byte = fh.read(1)[0]
            fh.seek(position)
            fh.write(bytes([byte ^ (1 << bit)]))
        where = f"flip {n} (byte {position}, bit {bit})"
        code, out, err = call(["info", str(copy)])
        if code == 2:
            assert err.count("\n") == 1 and "Traceback" not in err, where
            assert str(copy) in err, where
            tally["detected"] += 1
        else:
            assert code == 0, (where, err)
            assert out.split("\n", 1)[1] == intact_info[1].split("\n", 1)[1], where
            assert _dump(copy) == intact_dump, f"{where}: undetected change of stored values"
            tally["free space"] += 1
        code, out, err, csv = _predict(copy, tmp_path / "p.csv")
        if code == 2:
            assert err.count("\n") == 1 and "Traceback" not in err, where
            tally["predict refused"] += 1
        else:
            assert code == 0, (where, err)
            if csv != intact_predict[3]:  # allowed only when it says why (no outlier flags)
                assert "damaged" in out, f"{where}: predictions changed without a word"
                tally["predict degraded"] += 1
    print(f"{FLIPS} bit flips: {tally}")
    assert tally["detected"] >= FLIPS // 2  # most of a small project is data, not slack


def _tamper(path: Path, sql: str, params: tuple = ()) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(sql, params)
    conn.close()


@pytest.mark.parametrize(("table", "column", "value", "named"), [
    ("runs", "results", '{"branches": [', "run 1"),                   # broken JSON
    ("runs", "results", None, "run 1"),                               # valid JSON, other numbers
    ("runs", "plan", "[]", "run 1"),
    ("pipelines", "spec", '["MSC"]', "pipeline 1"),
    ("datasets", "metadata", '{"units": "cm-1"}', "dataset 1"),
    ("predictions", "data", None, "predictions"),
    ("branch_models", "types", "[]", "saved model record"),
])
def test_a_changed_column_is_named_in_one_line(project, tmp_path, capsys, table, column, value,
                                               named):
    copy = tmp_path / "t.nirdesk"
    shutil.copyfile(project, copy)
    if value is None:  # same length, other content: what a bad sector does
        conn = sqlite3.connect(copy)
        stored = conn.execute(f"SELECT {column} FROM {table} LIMIT 1").fetchone()[0]
        conn.close()
        value = stored.replace("0", "1") if isinstance(stored, str) else bytes(
            b ^ 1 if i == len(stored) - 3 else b for i, b in enumerate(stored))
        assert value != stored
    _tamper(copy, f"UPDATE {table} SET {column} = ? WHERE rowid = (SELECT min(rowid) FROM "
                  f"{table})", (value,))
    code, _, err = call(["info", str(copy)])
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert named in err and "damaged" in err, err
    assert column in COVERED[table]


def test_index_damage_is_found_by_the_integrity_check(project, tmp_path):
    copy = tmp_path / "i.nirdesk"
    shutil.copyfile(project, copy)
    conn = sqlite3.connect(copy)
    # make the index disagree with its table, as a torn write of an index page would
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = replace(sql, 'run_id)', 'run_id DESC)') "
                 "WHERE name = 'runs_by_dataset'")
    conn.commit()
    conn.close()
    conn = sqlite3.connect(copy)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = 'CREATE INDEX runs_by_dataset ON runs(task)' "
                 "WHERE name = 'runs_by_dataset'")
    conn.commit()
    conn.close()
    code, _, err = call(["info", str(copy)])
    assert code == 2 and err.count("\n") == 1 and "integrity check" in err, err


def test_read_only_commands_leave_a_stale_journal_and_the_project_alone(project, tmp_path):
    copy = tmp_path / "r.nirdesk"
    shutil.copyfile(project, copy)
    journal = copy.with_name(copy.name + "-journal")
    journal.write_bytes(b"\0" * 512)  # a journal whose header was zeroed: not hot, stale
    before = copy.read_bytes(), journal.read_bytes()
    assert call(["info", str(copy)])[0] == 0
    assert _predict(copy, tmp_path / "p.csv")[0] == 0
    assert (copy.read_bytes(), journal.read_bytes()) == before


def test_a_hot_journal_is_rolled_back_in_a_copy_by_read_only_commands(project, tmp_path):
    copy = tmp_path / "h.nirdesk"
    shutil.copyfile(project, copy)
    # a save killed half-way: pages spilled into the file, the journal keeps the originals
    code = ("import os, sqlite3, sys\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('PRAGMA cache_size = 2'); c.execute('BEGIN IMMEDIATE')\n"
            "for i in range(300):\n"
            "    c.execute('INSERT INTO ui_state(key, value) VALUES (?, ?)',"
            " (f'k{i}', 'x' * 3000))\n"
            "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", code, str(copy)], check=True)
    journal = copy.with_name(copy.name + "-journal")
    assert journal.stat().st_size > 0
    before = copy.read_bytes(), journal.read_bytes()
    code_, out, err = call(["info", str(copy)])
    assert code_ == 0, err
    assert out.split("\n", 1)[1] == call(["info", str(project)])[1].split("\n", 1)[1]
    assert _predict(copy, tmp_path / "p.csv")[0] == 0
    assert (copy.read_bytes(), journal.read_bytes()) == before  # untouched, both
    with Project.open(copy) as writable:  # a writing open rolls the save back for good
        assert writable.recovered and writable.get_ui_state("k0") is None
    assert not journal.exists()


def test_two_first_saves_at_once_both_land(tmp_path):
    pipeline = tmp_path / "pipeline.json"
    pipeline.write_text(PIPELINE, encoding="utf-8")
    target = tmp_path / "same.nirdesk"
    argv = [sys.executable, "-m", "engine.cli", "run", str(pipeline), "--data",
            str(demo_dataset_path()), "--verbose", "0", "--parallel-branches", "1",
            "--save", str(target)]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                              env=env) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    for proc, (_, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err.decode()
    with Project.open(target, readonly=True) as saved:
        assert len(saved.runs()) == 2 and len(saved.datasets()) == 1
        assert saved.verify() == []


def test_losing_the_creation_race_joins_the_winners_project(tmp_path, monkeypatch, project):
    """The race made certain: another process creates the file after this one checked that
    it did not exist and before it links its own; this one must join, not replace it."""
    import engine.store.project as store

    target = tmp_path / "raced.nirdesk"
    real_link = store.link_durably

    def other_process_wins(temp: Path, final: Path) -> None:
        monkeypatch.setattr(store, "link_durably", real_link)
        shutil.copyfile(project, final)  # the winner's project, with its run
        real_link(temp, final)

    monkeypatch.setattr(store, "link_durably", other_process_wins)
    with Project.create_or_open(target) as joined:
        assert len(joined.runs()) == 1  # the winner's run is there, not an empty project
    with pytest.raises(Exception, match="already exists"):
        Project.create(target)
