"""The project file's tables, its schema version and the migrations between versions.

Why a chain of small migrations: a project lives for months and travels between colleagues
with different nirdesk versions. Every file records its schema version in ``meta``; opening
an older file runs ``MIGRATIONS[v]`` for v = its version .. SCHEMA_VERSION - 1, in order and
in one transaction; a file from a newer nirdesk is refused, never guessed at.

New files are made the same way (version 1 tables, then every migration), so a fresh file
and a migrated old file cannot drift apart.

Version history:
  1  meta, datasets, pipelines, runs, branch_models, predictions
  2  ui_state (the GUI's layout, selections, recent choices as JSON) and datasets.metadata
     (where a dataset came from: path, layout, loader notes)
  3  branch_diagnostics: each saved model's latent space (engine.diagnostics.LatentModel as
     an .npz blob + sha256), so predictions made later can flag spectra outside the model
  4  row checksums (engine.store.digests): datasets.sha256, pipelines.sha256, runs.sha256,
     predictions.sha256, branch_models.row_sha256, ui_state.sha256, so a damaged JSON
     column, array or index is named instead of read; existing rows get theirs when the
     file is migrated
  5  dataset_spectra: each dataset's X in a table of its own (datasets.X left as an empty
     blob). SQLite rewrites a whole row when any of its columns changes, so with X inside the
     datasets row every remembered choice or checksum update rewrote the spectra (800 MB for
     100,000 x 1,000) and left as much free space in the file (issue 20)
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable

__all__ = ["APPLICATION_ID", "MIGRATIONS", "SCHEMA_VERSION", "create_schema", "migrate"]

#: PRAGMA application_id of every nirdesk project ("NIRd"): ``file`` and tools can tell a
#: project from any other SQLite database without reading its tables.
APPLICATION_ID = int.from_bytes(b"NIRd", "big")
SCHEMA_VERSION = 5

# Frozen: the tables exactly as schema version 1 wrote them. Never edit; add a migration.
SCHEMA_V1: tuple[str, ...] = (
    """CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL)""",
    """CREATE TABLE datasets (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL,
        content_hash  TEXT NOT NULL UNIQUE,
        n_samples     INTEGER NOT NULL,
        n_wavelengths INTEGER NOT NULL,
        X             BLOB NOT NULL,
        wavelengths   BLOB NOT NULL,
        targets       BLOB,
        target_names  TEXT NOT NULL,
        sample_ids    BLOB NOT NULL,
        test_mask     BLOB NOT NULL,
        created       TEXT NOT NULL)""",
    """CREATE TABLE pipelines (
        id        INTEGER PRIMARY KEY,
        name      TEXT NOT NULL,
        spec      TEXT NOT NULL,
        spec_hash TEXT NOT NULL,
        created   TEXT NOT NULL,
        UNIQUE (name, spec_hash))""",
    """CREATE TABLE runs (
        id            INTEGER PRIMARY KEY,
        created       TEXT NOT NULL,
        dataset_id    INTEGER NOT NULL REFERENCES datasets(id),
        pipeline_id   INTEGER NOT NULL REFERENCES pipelines(id),
        target        TEXT,
        task          TEXT NOT NULL,
        best_branch   INTEGER,
        n_branches    INTEGER NOT NULL,
        plan          TEXT NOT NULL,
        results       TEXT NOT NULL,
        seconds       REAL NOT NULL,
        cancelled     INTEGER NOT NULL,
        train_indices BLOB,
        test_indices  BLOB,
        versions      TEXT NOT NULL)""",
    """CREATE TABLE branch_models (
        run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        branch_id   INTEGER NOT NULL,
        model       BLOB NOT NULL,
        sha256      TEXT NOT NULL,
        wavelengths BLOB NOT NULL,
        types       TEXT NOT NULL,
        PRIMARY KEY (run_id, branch_id))""",
    """CREATE TABLE predictions (
        run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        branch_id INTEGER NOT NULL,
        kind      TEXT NOT NULL CHECK (kind IN ('cv', 'test')),
        data      BLOB NOT NULL,
        PRIMARY KEY (run_id, branch_id, kind))""",
    "CREATE INDEX runs_by_dataset ON runs(dataset_id)",
)


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """ui_state for the GUI; datasets.metadata keeps where each dataset came from."""
    conn.execute("""CREATE TABLE ui_state (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL)""")
    conn.execute("ALTER TABLE datasets ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}'")


def _v2_to_v3(conn: sqlite3.Connection) -> None:
    """branch_diagnostics: what T2, Q and leverage of new spectra need, per saved model. Runs
    saved before have no row: they still predict, without outlier flags."""
    conn.execute("""CREATE TABLE branch_diagnostics (
        run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        branch_id INTEGER NOT NULL,
        latent    BLOB NOT NULL,
        sha256    TEXT NOT NULL,
        PRIMARY KEY (run_id, branch_id))""")


def _v3_to_v4(conn: sqlite3.Connection) -> None:
    """A sha256 per row over the columns that had none (engine.store.digests.COVERED); the
    rows already stored get theirs now (what they hold from here on is protected)."""
    from engine.store.digests import COVERED, DIGEST_COLUMN, row_digest

    for table, column in DIGEST_COLUMN.items():
        conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")
        columns = COVERED[table]
        rows = conn.execute(f"SELECT rowid, {', '.join(columns)} FROM {table}").fetchall()
        conn.executemany(f"UPDATE {table} SET {column} = ? WHERE rowid = ?",
                         [(row_digest(table, row[1:]), row[0]) for row in rows])


def _v4_to_v5(conn: sqlite3.Connection) -> None:
    """Move every dataset's spectra into dataset_spectra (same .npy bytes: content hashes
    do not change); datasets.X keeps an empty blob (its NOT NULL constraint stays)."""
    conn.execute("""CREATE TABLE dataset_spectra (
        dataset_id INTEGER PRIMARY KEY REFERENCES datasets(id) ON DELETE CASCADE,
        X          BLOB NOT NULL)""")
    conn.execute("INSERT INTO dataset_spectra(dataset_id, X) SELECT id, X FROM datasets")
    conn.execute("UPDATE datasets SET X = zeroblob(0)")


#: MIGRATIONS[v] upgrades a version-v file to version v + 1 (inside the caller's transaction).
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _v1_to_v2,
    2: _v2_to_v3,
    3: _v3_to_v4,
    4: _v4_to_v5,
}


def _set_version(conn: sqlite3.Connection, version: int) -> None:
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
                 (str(version),))
    conn.execute(f"PRAGMA user_version = {int(version)}")


def create_schema(conn: sqlite3.Connection, upto: int = SCHEMA_VERSION) -> None:
    """Version-1 tables, then every migration up to ``upto`` (caller holds a transaction)."""
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    for statement in SCHEMA_V1:
        conn.execute(statement)
    _set_version(conn, 1)
    migrate(conn, 1, upto)


def migrate(conn: sqlite3.Connection, current: int, target: int = SCHEMA_VERSION) -> None:
    """Run the migrations current -> target in order (caller holds a transaction)."""
    for version in range(current, target):
        MIGRATIONS[version](conn)
        _set_version(conn, version + 1)
