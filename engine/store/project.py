"""A nirdesk project: one SQLite file holding datasets, pipelines, runs and fitted models.

Why SQLite (docs/design.md decision 5, "SQLite as an application file format"): one file to keep
and send, transactions instead of hand-made crash safety, partial reads (a project with fifty
runs opens without loading fifty sets of models), and a format every language can read.

Crash safety: every save is ONE transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``) in SQLite's
rollback-journal mode with ``synchronous = FULL``. Killing the process at any moment leaves
either the state before the save or the state after it; an interrupted save leaves a hot
journal that the next open rolls back (engine.store.check). The rollback journal is chosen
over WAL on purpose: WAL needs shared memory and so does not work on network folders, and it
keeps -wal/-shm files next to the project while it is open; with a rollback journal the
project is a single file whenever no save is in progress.

Only the main process writes (docs/design.md decision 1): a Project remembers the process that
opened it and refuses writes from any other (a forked worker). Calls from several threads of
that process are serialised by a lock.

Nothing is loaded with pickle: arrays are .npy read with ``allow_pickle=False``, JSON is
JSON, and models go through the trusted-type check of engine.store.models.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import engine.store.arrays as arrays
from engine.dataset import SpectralDataset
from engine.errors import InputError
from engine.results import RunResult, _json_safe
from engine.store.check import check_project_file, one_line, read_only_uri
from engine.store.digests import COVERED, DIGEST_COLUMN, row_digest
from engine.store.files import (
    atomic_copy,
    keep_original,
    link_durably,
    migrated_in_memory,
    replace_durably,
    temp_beside,
)
from engine.store.latent import latent_from_blob, latent_to_blob
from engine.store.models import blob_types, dump_model, load_model_blob
from engine.store.records import RunSummary, StoredPipeline, StoredRun
from engine.store.schema import SCHEMA_VERSION, create_schema, migrate

if TYPE_CHECKING:
    from engine.diagnostics.latent import LatentModel

__all__ = ["PROJECT_SUFFIX", "Project", "RunSummary", "StoredPipeline", "StoredRun"]

PROJECT_SUFFIX = ".nirdesk"


def _inserted_id(cur: sqlite3.Cursor) -> int:
    """The rowid the INSERT on ``cur`` made (typed optional: None only before any INSERT)."""
    rowid = cur.lastrowid
    assert rowid is not None, "an INSERT always sets lastrowid"
    return rowid


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _dumps(value: Any) -> str:
    """Strict JSON (NaN/inf become null, numpy scalars become Python numbers)."""
    return json.dumps(_json_safe(value), allow_nan=False, ensure_ascii=False)


def app_version() -> str:
    try:
        from importlib.metadata import version

        return version("nirdesk")
    except Exception:  # noqa: BLE001 - a frozen bundle without metadata
        return "unknown"


def library_versions() -> dict[str, str]:
    """The versions a model was fitted with (skops warns when loading across versions)."""
    import platform

    import sklearn
    import skops

    return {"nirdesk": app_version(), "python": platform.python_version(),
            "numpy": np.__version__, "scikit-learn": sklearn.__version__,
            "skops": skops.__version__}


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")


def _seal(conn: sqlite3.Connection, table: str, where: str, params: tuple) -> None:
    """Store the row digest (engine.store.digests) of the rows just written, computed from
    what SQLite holds, so a reader recomputes exactly the same."""
    columns = COVERED[table]
    rows = conn.execute(f"SELECT rowid, {', '.join(columns)} FROM {table} WHERE {where}",
                        params).fetchall()
    conn.executemany(f"UPDATE {table} SET {DIGEST_COLUMN[table]} = ? WHERE rowid = ?",
                     [(row_digest(table, row[1:]), row[0]) for row in rows])


def _covered(table: str, alias: str = "") -> str:
    """The SELECT list of a table's covered columns followed by its digest column."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + c for c in (*COVERED[table], DIGEST_COLUMN[table]))


def _check_row(table: str, row: tuple, what: str, where: str) -> None:
    """``row`` = the covered values then the stored digest: refuse a mismatch in one line."""
    *values, stored = row
    if stored is None or row_digest(table, values) != stored:
        raise InputError(f"{what} is damaged (its checksum does not match)", file=where)


def _json(text: Any, what: str, where: str) -> Any:
    """JSON from a column; anything unreadable is a damaged project, never a traceback."""
    try:
        return json.loads(text)
    except (TypeError, ValueError, RecursionError):
        raise InputError(f"{what} is damaged (not readable JSON)", file=where) from None


#: How long a save waits for another process's save to the same project to finish.
WRITE_WAIT_S = 300.0


def _begin_immediate(conn: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE, waiting (beyond the connection's busy timeout) while another process
    writes to the project: two runs saving at once land one after the other."""
    deadline = time.monotonic() + WRITE_WAIT_S
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def write_problem(exc: BaseException) -> str:
    """A short reason for a failed save, in the user's words: a full disk, a read-only
    file or folder, a locked project; otherwise SQLite's or the system's own words."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    low = text.lower()
    if "full" in low or "no space" in low:
        return "the disk is full"
    if "readonly" in low or "read-only" in low or "permission" in low:
        return "the file or its folder is read-only"
    if "locked" in low or "busy" in low:
        return "another program kept the project locked"
    return text


# -- the project -----------------------------------------------------------------------------------


class Project:
    """An open project file. Create with :meth:`create`, open with :meth:`open`.

    Every ``save_*`` / ``set_*`` / ``delete_*`` call is one transaction; :meth:`transaction`
    groups several into one (``record_run`` does this for dataset + pipeline + run).
    """

    def __init__(self, conn: sqlite3.Connection, path: Path, *, readonly: bool,
                 schema_version: int, migrated_from: int | None = None,
                 recovered: bool = False) -> None:
        self._conn: sqlite3.Connection | None = conn  # None once closed
        self.path = path
        self.readonly = readonly
        self.schema_version = schema_version
        self.migrated_from = migrated_from   # the file's version before migration, if any
        self.recovered = recovered           # a journal was rolled back on open (a crash)
        self._pid = os.getpid()
        self._lock = threading.RLock()
        self._depth = 0

    # -- opening and closing ---------------------------------------------------------------
    @classmethod
    def create(cls, path: str | os.PathLike, *, overwrite: bool = False) -> Project:
        """Make a new, empty project file (atomically: a crash leaves no half-made file).

        Without ``overwrite`` the finished file is hard-linked into place, which fails if
        another process made the same file meanwhile: InputError "already exists", never a
        project silently replaced (use :meth:`create_or_open` to join it instead)."""
        target = Path(path)
        if target.exists() and not overwrite:
            raise InputError("a file with this name already exists", file=str(target))
        if not target.parent.is_dir():
            raise InputError("the folder does not exist", file=str(target))
        temp = temp_beside(target)
        try:
            conn = sqlite3.connect(str(temp), isolation_level=None)
            try:
                _configure(conn)
                conn.execute("BEGIN IMMEDIATE")
                create_schema(conn)
                now, version = _now(), app_version()
                conn.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", [
                    ("format", "nirdesk.project"), ("created", now), ("modified", now),
                    ("created_by", version), ("written_by", version)])
                conn.execute("COMMIT")
            finally:
                conn.close()
            if overwrite:
                replace_durably(temp, target)
            else:
                link_durably(temp, target)
        except FileExistsError:
            raise InputError("a file with this name already exists", file=str(target)) from None
        finally:
            temp.unlink(missing_ok=True)
        return cls.open(target)

    @classmethod
    def create_or_open(cls, path: str | os.PathLike) -> Project:
        """The project at ``path``, made if missing. Two processes doing this at once both
        get the same file (the loser of the creation race opens the winner's), so two
        `nirdesk run --save same.nirdesk` both land."""
        target = Path(path)
        if not target.exists():
            try:
                return cls.create(target)
            except InputError:
                if not target.exists():
                    raise
        return cls.open(target)

    @classmethod
    def open(cls, path: str | os.PathLike, *, readonly: bool = False) -> Project:
        """Open an existing project; refuses (InputError, file unchanged) anything unusable.

        An older schema is migrated: in place (after copying the original to
        ``<name>.schema-v<N>.nirdesk`` next to it, once) when writable, in memory when
        ``readonly`` (``nirdesk info``/``predict`` never modify the project).
        """
        file = Path(path)
        facts = check_project_file(file, readonly=readonly)
        version = facts.schema_version
        migrated_from = version if version < SCHEMA_VERSION else None
        conn: sqlite3.Connection | None = facts.snapshot
        try:
            if readonly:
                if conn is None:  # mode=ro: SQLite cannot change the file or its journal
                    conn = sqlite3.connect(read_only_uri(file), uri=True, isolation_level=None,
                                           check_same_thread=False, timeout=10)
                if migrated_from is not None:
                    conn = migrated_in_memory(conn, version)
            else:
                if migrated_from is not None:
                    keep_original(file, version)
                conn = sqlite3.connect(str(file), isolation_level=None, check_same_thread=False,
                                       timeout=10)
                _configure(conn)
                if migrated_from is not None:
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        migrate(conn, version)
                        conn.execute("COMMIT")
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
        except BaseException as exc:
            if conn is not None:
                conn.close()
            if isinstance(exc, sqlite3.Error):
                raise InputError(f"cannot open the project ({one_line(exc)})",
                                 file=str(file)) from None
            raise
        return cls(conn, file, readonly=readonly, schema_version=SCHEMA_VERSION,
                   migrated_from=migrated_from, recovered=facts.recovered)

    @classmethod
    def open_or_create(cls, path: str | os.PathLike) -> Project:
        return cls.create_or_open(path)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def save_as(self, path: str | os.PathLike, *, switch: bool = True) -> None:
        """Write the whole project to ``path`` atomically (temp file, fsync, os.replace).

        The copy is a consistent snapshot (SQLite's backup API, under this project's lock).
        With ``switch`` this Project then works on the new file; the old file stays as it was.
        Also the way to make a crash-restore copy (``switch=False``).
        """
        target = Path(path)
        if not target.parent.is_dir():
            raise InputError("the folder does not exist", file=str(target))
        with self._lock:
            conn = self._connection()
            if self._depth:
                raise RuntimeError("save_as inside a transaction")
            atomic_copy(conn, target)
            if switch:
                conn.close()
                fresh = Project.open(target, readonly=False)
                self._conn, self.path, self.readonly = fresh._conn, target, False

    # -- transactions -------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("the project is closed")
        return self._conn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside is committed together or not at all.

        Nested use joins the outer transaction. Refused in a read-only project and in any
        process other than the one that opened the project.
        """
        if self.readonly:
            raise RuntimeError("the project was opened read-only")
        if os.getpid() != self._pid:
            raise RuntimeError("only the process that opened the project may write to it")
        with self._lock:
            conn = self._connection()
            outer = self._depth == 0
            if outer:
                _begin_immediate(conn)
            self._depth += 1
            try:
                yield conn
                if outer:
                    conn.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                                     [("modified", _now()), ("written_by", app_version())])
                    conn.execute("COMMIT")
            except BaseException:
                # SQLite rolls back by itself on some errors (a full disk, an I/O error): a
                # second ROLLBACK would hide the real reason behind "no transaction is active"
                if outer and conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise
            finally:
                self._depth -= 1

    def _read(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        """Rows of a query; a file damaged in a way the open checks cannot see (a value of the
        wrong kind, say) is the file's problem: InputError, not a crash."""
        with self._lock:
            try:
                return self._connection().execute(sql, tuple(params)).fetchall()
            except sqlite3.DatabaseError as exc:
                raise InputError(f"the project is damaged ({one_line(exc)})",
                                 file=str(self.path)) from None

    # -- meta ------------------------------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        return dict(self._read("SELECT key, value FROM meta"))

    # -- datasets --------------------------------------------------------------------------------
    def save_dataset(self, ds: SpectralDataset) -> int:
        """Store a dataset (or find the identical one already stored) and return its id.

        Identity is the content hash of X, wavelengths, targets (names and values), sample
        ids and the partition; the name and the selected target do not count.

        The spectra are streamed (issue 20): hashed, then written into the blob 16 MiB at a
        time through SQLite's incremental blob I/O, so saving a 800 MB dataset costs no
        second (or third: SQLite copies bound values) copy of it in memory. The bytes are
        exactly those of ``to_npy(X)``: projects and hashes are the same as before.
        """
        small = {"wavelengths": arrays.to_npy(ds.wavelengths),
                 "targets": arrays.targets_to_npy(ds.targets),
                 "sample_ids": arrays.to_npy(ds.sample_ids),
                 "test_mask": arrays.to_npy(ds.test_mask)}
        hasher = arrays.ContentHash()
        X, x_length = arrays.hash_npy(ds.X, "X", hasher)
        for label, blob in small.items():
            hasher.part(label, blob)
        digest = hasher.hexdigest()
        metadata = json.dumps(_with_choices(ds), default=str, ensure_ascii=False)
        with self.transaction() as conn:
            row = conn.execute("SELECT id, metadata FROM datasets WHERE content_hash = ?",
                               (digest,)).fetchone()
            if row:
                _remember_choices(conn, int(row[0]), row[1], ds)
                _seal(conn, "datasets", "id = ?", (int(row[0]),))
                return int(row[0])
            limit = conn.getlimit(sqlite3.SQLITE_LIMIT_LENGTH)
            if x_length > limit:
                raise InputError(f"the spectra ({x_length / 1e6:,.0f} MB) are larger than a "
                                 f"project can hold in one piece ({limit / 1e6:,.0f} MB); keep "
                                 "the data in its own file and open it beside the project",
                                 file=str(self.path))
            cur = conn.execute(
                "INSERT INTO datasets(name, content_hash, n_samples, n_wavelengths, X, wavelengths,"
                " targets, target_names, sample_ids, test_mask, created, metadata)"
                " VALUES (?, ?, ?, ?, zeroblob(0), ?, ?, ?, ?, ?, ?, ?)",
                (ds.name, digest, ds.n_samples, ds.n_wavelengths, small["wavelengths"],
                 small["targets"], json.dumps(ds.target_names, ensure_ascii=False),
                 small["sample_ids"], small["test_mask"], _now(), metadata))
            dataset_id = _inserted_id(cur)
            # the spectra in their own row (schema 5): later updates of the dataset's row
            # (choices, checksum) never rewrite them
            conn.execute("INSERT INTO dataset_spectra(dataset_id, X) VALUES (?, zeroblob(?))",
                         (dataset_id, x_length))
            with conn.blobopen("dataset_spectra", "X", dataset_id) as spectra:
                arrays.write_npy_stream(X, spectra)
            _seal(conn, "datasets", "id = ?", (dataset_id,))
            return dataset_id

    def delete_dataset(self, dataset_id: int) -> None:
        """Remove a dataset no run refers to (a run's dataset is part of its record)."""
        with self.transaction() as conn:
            used = conn.execute("SELECT count(*) FROM runs WHERE dataset_id = ?",
                                (dataset_id,)).fetchone()[0]
            if used:
                raise ValueError(f"dataset {dataset_id} is used by {used} run(s); "
                                 "delete them first")
            conn.execute("DELETE FROM datasets WHERE id = ?", (dataset_id,))

    def datasets(self) -> list[dict[str, Any]]:
        """id, name, sizes, target names and hash of every stored dataset (no arrays)."""
        where = str(self.path)
        out = []
        for row in self._read(f"SELECT {_covered('datasets')} FROM datasets ORDER BY id"):
            _check_row("datasets", row, f"dataset {row[0]}", where)
            r = dict(zip(COVERED["datasets"], row, strict=False))
            out.append({"id": r["id"], "name": r["name"], "n_samples": r["n_samples"],
                        "n_wavelengths": r["n_wavelengths"],
                        "targets": _json(r["target_names"], f"dataset {r['id']}", where),
                        "content_hash": r["content_hash"], "created": r["created"]})
        return out

    def load_dataset(self, dataset_id: int) -> SpectralDataset:
        """The stored dataset, its content hash checked. The spectra are streamed out of
        their blob into one array (no copy of the stored bytes beside it, issue 20)."""
        rows = self._read("SELECT d.name, (SELECT CASE typeof(s.X) WHEN 'blob' THEN length(s.X)"
                          " END FROM dataset_spectra s WHERE s.dataset_id = d.id),"
                          " d.wavelengths, d.targets, d.target_names, d.sample_ids,"
                          " d.test_mask, d.metadata, d.content_hash,"
                          f" {_covered('datasets', 'd')} FROM datasets d WHERE d.id = ?",
                          (dataset_id,))
        if not rows:
            raise InputError(f"the project has no dataset {dataset_id}", file=str(self.path))
        name, x_length, wl, targets, names, ids, mask, metadata, digest = rows[0][:9]
        where = str(self.path)
        _check_row("datasets", rows[0][9:], f"dataset {dataset_id}", where)
        hasher = arrays.ContentHash()
        X = self._read_blob_array("dataset_spectra", "X", dataset_id, x_length, "spectra",
                                  hasher)
        for label, blob in (("wavelengths", wl), ("targets", targets), ("sample_ids", ids),
                            ("test_mask", mask)):
            hasher.part(label, None if blob is None else bytes(blob))
        if hasher.hexdigest() != digest:  # SQLite has no checksums of its own
            raise InputError(f"dataset {dataset_id} ({name}) is damaged: its content hash does "
                             "not match", file=where)
        meta = _json(metadata or "{}", f"dataset {dataset_id}'s metadata", where)
        meta["project_dataset_id"] = int(dataset_id)
        choices = {key: meta.pop(key) for key in _CHOICE_KEYS if key in meta}
        groups = choices.get("groups")
        try:
            ds = SpectralDataset(
                X=X,
                wavelengths=arrays.from_npy(wl, "wavelengths", where),
                targets=arrays.targets_from_npy(targets, _json(names, "target names", where),
                                                where),
                sample_ids=arrays.from_npy(ids, "sample ids", where),
                test_mask=arrays.from_npy(mask, "partition", where), name=name, metadata=meta,
                units=str(choices.get("units", "")), tasks=dict(choices.get("tasks", {})),
                groups=None if groups is None else np.asarray(groups, dtype=str))
            _restore_exclusions(ds, choices)
        except (ValueError, KeyError, TypeError, IndexError, InputError) as exc:
            raise InputError(f"dataset {dataset_id} ({name}) has unusable settings ({exc})",
                             file=where) from None
        return ds

    def _read_blob_array(self, table: str, column: str, rowid: int, length: Any, what: str,
                         hasher: arrays.ContentHash) -> np.ndarray:
        """A .npy blob read piece by piece into its array (engine.store.arrays.read_npy_stream);
        a missing or unreadable blob is a damaged project, never a traceback."""
        where = str(self.path)
        if not isinstance(length, int):   # NULL, or a value of another kind than a blob
            raise InputError(f"the project is damaged (the stored {what} are not an array)",
                             file=where)
        with self._lock:
            try:
                with self._connection().blobopen(table, column, rowid, readonly=True) as blob:
                    return arrays.read_npy_stream(blob, length, what, where, hasher, column)
            except sqlite3.DatabaseError as exc:
                raise InputError(f"the project is damaged ({one_line(exc)})",
                                 file=where) from None

    # -- pipelines -------------------------------------------------------------------------------
    def save_pipeline(self, spec: Any, name: str | None = None) -> int:
        """Store a pipeline spec as JSON (an identical name + spec is stored once).

        ``spec`` is the JSON form (list or {"name", "steps"}), or an ExpandedPipeline, or a
        Python-object spec (normalised to JSON by the parser first).
        """
        from engine.pipeline import ExpandedPipeline, parse_pipeline

        if isinstance(spec, ExpandedPipeline):
            name, spec = name or spec.name, spec.spec
        try:
            text = json.dumps(spec, allow_nan=False, ensure_ascii=False)
        except (TypeError, ValueError):
            expanded = parse_pipeline(spec)
            name, spec = name or expanded.name, expanded.spec
            text = json.dumps(spec, allow_nan=False, ensure_ascii=False)
        if name is None:
            name = spec.get("name") if isinstance(spec, dict) else None
            name = name if isinstance(name, str) else "pipeline"
        digest = arrays.content_hash({"spec": json.dumps(spec, sort_keys=True).encode()})
        with self.transaction() as conn:
            row = conn.execute("SELECT id FROM pipelines WHERE name = ? AND spec_hash = ?",
                               (name, digest)).fetchone()
            if row:
                return int(row[0])
            cur = conn.execute("INSERT INTO pipelines(name, spec, spec_hash, created)"
                               " VALUES (?, ?, ?, ?)", (name, text, digest, _now()))
            pipeline_id = _inserted_id(cur)
            _seal(conn, "pipelines", "id = ?", (pipeline_id,))
            return pipeline_id

    def load_pipeline(self, pipeline_id: int) -> StoredPipeline:
        rows = self._read(f"SELECT {_covered('pipelines')} FROM pipelines WHERE id = ?",
                          (pipeline_id,))
        if not rows:
            raise InputError(f"the project has no pipeline {pipeline_id}", file=str(self.path))
        return self._stored_pipeline(rows[0])

    def pipelines(self) -> list[StoredPipeline]:
        return [self._stored_pipeline(row)
                for row in self._read(f"SELECT {_covered('pipelines')} FROM pipelines"
                                      " ORDER BY id")]

    def _stored_pipeline(self, row: tuple) -> StoredPipeline:
        where = str(self.path)
        _check_row("pipelines", row, f"pipeline {row[0]}", where)
        pid, name, spec, _digest, created = row[:5]
        return StoredPipeline(id=pid, name=name, spec=_json(spec, f"pipeline {pid}", where),
                              created=created)

    # -- runs ------------------------------------------------------------------------------------
    def save_run(self, result: RunResult, dataset_id: int, pipeline_id: int) -> int:
        """Store a run: results JSON, plan, predictions and every fitted final model.

        The models are serialised before the transaction starts, so the file is locked only
        for the inserts.
        """
        models, diagnostics = [], []
        for b in result.branches:
            if b.status == "ok" and b.model is not None:
                blob = dump_model(b.model)
                models.append((b.id, blob, hashlib.sha256(blob).hexdigest(),
                               json.dumps(blob_types(blob))))
                if b.diagnostics is not None:
                    diagnostics.append((b.id, *latent_to_blob(b.diagnostics)))
        preds = []
        for b in result.branches:
            for kind, values in (("cv", b.oof_predictions), ("test", b.test_predictions)):
                if values is not None:
                    preds.append((b.id, kind, arrays.to_npy(np.asarray(values))))
        idx = [None if a is None else arrays.to_npy(np.asarray(a, dtype=np.int64))
               for a in (result.train_indices, result.test_indices)]
        results_json = _dumps(result.to_json())
        with self.transaction() as conn:
            row = conn.execute("SELECT wavelengths FROM datasets WHERE id = ?",
                               (dataset_id,)).fetchone()
            if row is None:
                raise ValueError(f"no dataset {dataset_id} in the project")
            found = conn.execute("SELECT 1 FROM pipelines WHERE id = ?", (pipeline_id,)).fetchone()
            if found is None:
                raise ValueError(f"no pipeline {pipeline_id} in the project")
            wavelengths = row[0]
            cur = conn.execute(
                "INSERT INTO runs(created, dataset_id, pipeline_id, target, task, best_branch,"
                " n_branches, plan, results, seconds, cancelled, train_indices, test_indices,"
                " versions)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (_now(), dataset_id, pipeline_id, result.dataset.get("target"), result.task,
                 result.best_branch, len(result.branches), _dumps(result.parallel), results_json,
                 float(result.seconds), int(bool(result.cancelled)), idx[0], idx[1],
                 json.dumps(library_versions())))
            run_id = _inserted_id(cur)
            conn.executemany("INSERT INTO branch_models(run_id, branch_id, model, sha256,"
                             " wavelengths, types) VALUES (?, ?, ?, ?, ?, ?)",
                             [(run_id, bid, blob, digest, wavelengths, types)
                              for bid, blob, digest, types in models])
            conn.executemany("INSERT INTO predictions(run_id, branch_id, kind, data)"
                             " VALUES (?, ?, ?, ?)",
                             [(run_id, bid, kind, blob) for bid, kind, blob in preds])
            conn.executemany("INSERT INTO branch_diagnostics(run_id, branch_id, latent, sha256)"
                             " VALUES (?, ?, ?, ?)",
                             [(run_id, bid, blob, digest) for bid, blob, digest in diagnostics])
            for table, key in (("runs", "id"), ("branch_models", "run_id"),
                               ("predictions", "run_id")):
                _seal(conn, table, f"{key} = ?", (run_id,))
            return run_id

    def record_run(self, result: RunResult, dataset: SpectralDataset, pipeline: Any,
                   pipeline_name: str | None = None) -> int:
        """Dataset + pipeline + run in one transaction (what ``nirdesk run --save`` does)."""
        with self.transaction():
            dataset_id = self.save_dataset(dataset)
            pipeline_id = self.save_pipeline(pipeline, pipeline_name)
            return self.save_run(result, dataset_id, pipeline_id)

    def rename_run(self, run_id: int, name: str | None) -> None:
        """Give a run a name (None or "" removes it: the history then shows its pipeline's).

        Kept as the results JSON's optional "name" (docs/formats.md), so the row checksum
        that covers the results covers the name too and no table changes."""
        if name is not None and not isinstance(name, str):
            raise ValueError(f"a run name must be text, got {type(name).__name__}")
        name = (name or "").strip()
        where = str(self.path)
        with self.transaction() as conn:
            row = conn.execute(f"SELECT {_covered('runs')} FROM runs WHERE id = ?",
                               (run_id,)).fetchone()
            if row is None:
                raise InputError(f"the project has no run {run_id}", file=where)
            _check_row("runs", row, f"run {run_id}", where)
            results = _json(row[COVERED["runs"].index("results")], f"run {run_id}'s results",
                            where)
            if name:
                results["name"] = name
            else:
                results.pop("name", None)
            conn.execute("UPDATE runs SET results = ? WHERE id = ?", (_dumps(results), run_id))
            _seal(conn, "runs", "id = ?", (run_id,))

    def delete_run(self, run_id: int) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))

    def runs(self) -> list[RunSummary]:
        """Every run, oldest first, with its best branch and that branch's CV metrics."""
        rows = self._read(
            "SELECT r.id, r.created, r.dataset_id, d.name, r.pipeline_id, p.name, r.target, r.task,"
            " r.n_branches, r.best_branch, r.results, r.seconds, r.cancelled,"
            f" {_covered('runs', 'r')}"
            " FROM runs r JOIN datasets d ON d.id = r.dataset_id"
            " JOIN pipelines p ON p.id = r.pipeline_id ORDER BY r.id")
        out = []
        where = str(self.path)
        for r in rows:
            _check_row("runs", r[13:], f"run {r[0]}", where)
            results = _json(r[10], f"run {r[0]}'s results", where)
            best = next((b for b in results.get("branches", []) if b["id"] == r[9]), None)
            out.append(RunSummary(id=r[0], created=r[1], dataset_id=r[2], dataset_name=r[3],
                                  pipeline_id=r[4], pipeline_name=r[5], target=r[6], task=r[7],
                                  n_branches=r[8], best_branch=r[9],
                                  best_name=best["name"] if best else None,
                                  best_cv=(best or {}).get("metrics", {}).get("cv"),
                                  seconds=r[11], cancelled=bool(r[12]),
                                  name=results.get("name") or None))
        return out

    def latest_run_id(self) -> int | None:
        rows = self._read("SELECT max(id) FROM runs")
        return rows[0][0]

    def load_run(self, run_id: int) -> StoredRun:
        where = str(self.path)
        rows = self._read("SELECT id, created, dataset_id, pipeline_id, results, plan, seconds,"
                          " cancelled, task, train_indices, test_indices, versions,"
                          f" {_covered('runs')} FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise InputError(f"the project has no run {run_id}", file=where)
        r = rows[0]
        _check_row("runs", r[12:], f"run {run_id}", where)
        train, test = (None if blob is None else arrays.from_npy(blob, "indices", where)
                       for blob in (r[9], r[10]))
        run = StoredRun(id=r[0], created=r[1], dataset_id=r[2], pipeline_id=r[3],
                        results=_json(r[4], f"run {run_id}'s results", where),
                        plan=_json(r[5], f"run {run_id}'s plan", where), seconds=r[6],
                        cancelled=bool(r[7]), task=r[8], train_indices=train, test_indices=test,
                        versions=_json(r[11], f"run {run_id}'s versions", where))
        for row in self._read(f"SELECT {_covered('predictions')} FROM predictions"
                              " WHERE run_id = ? ORDER BY branch_id", (run_id,)):
            _, bid, kind, blob, _digest = row
            _check_row("predictions", row, f"run {run_id}'s {kind} predictions of branch {bid}",
                       where)
            run.predictions.setdefault(bid, {})[kind] = arrays.from_npy(blob, "predictions", where)
        run.model_branches = [b for (b,) in self._read(
            "SELECT branch_id FROM branch_models WHERE run_id = ? ORDER BY branch_id", (run_id,))]
        return run

    # -- models ----------------------------------------------------------------------------------
    def _model_row(self, run_id: int, branch_id: int) -> tuple[bytes, str, bytes]:
        rows = self._read(f"SELECT model, {_covered('branch_models')} FROM branch_models"
                          " WHERE run_id = ? AND branch_id = ?", (run_id, branch_id))
        if rows:
            row = rows[0]
            _check_row("branch_models", row[1:], f"the saved model record of run {run_id}, "
                       f"branch {branch_id}", str(self.path))
            if tuple(row[1:3]) != (run_id, branch_id):  # an index pointing at another row
                raise InputError(f"the index of saved models is damaged (run {run_id}, "
                                 f"branch {branch_id})", file=str(self.path))
            return row[0], row[3], row[4]
        if not rows:
            run = self._read("SELECT results FROM runs WHERE id = ?", (run_id,))
            if not run:
                raise InputError(f"the project has no run {run_id}", file=str(self.path))
            results = _json(run[0][0], f"run {run_id}'s results", str(self.path))
            branches = {b["id"]: b for b in results.get("branches", [])}
            if branch_id not in branches:
                known = ", ".join(map(str, branches)) or "none"
                raise InputError(f"run {run_id} has no branch {branch_id} (branches: {known})",
                                 file=str(self.path))
            raise InputError(f"branch {branch_id} of run {run_id} has no saved model (status "
                             f"{branches[branch_id]['status']})", file=str(self.path))
        raise AssertionError("unreachable")

    def load_model(self, run_id: int, branch_id: int, *, extra_trusted: Iterable[str] = ()) -> Any:
        """The branch's final fitted pipeline; refused (InputError) if it names untrusted types."""
        blob, digest, _ = self._model_row(run_id, branch_id)
        where = f"{self.path}, run {run_id}, branch {branch_id}"
        if hashlib.sha256(blob).hexdigest() != digest:  # SQLite has no checksums of its own
            raise InputError("the saved model is damaged (its checksum does not match)", file=where)
        return load_model_blob(blob, extra_trusted, where=where)

    def model_sha256(self, run_id: int, branch_id: int) -> str:
        """The sha256 stored beside a branch's saved model blob (what a report prints to
        identify the model; load_model checks the blob against it)."""
        return str(self._model_row(run_id, branch_id)[1])

    def model_wavelengths(self, run_id: int, branch_id: int) -> np.ndarray:
        """The wavelengths the model's input columns stand for (the training data's axis)."""
        _, _, wl = self._model_row(run_id, branch_id)
        return arrays.from_npy(wl, "model wavelengths", str(self.path))

    def load_diagnostics(self, run_id: int, branch_id: int) -> LatentModel | None:
        """The saved model's latent space (T2, Q and leverage of new spectra, and their
        limits); None when the run was saved without it (an older nirdesk, or diagnostics
        that could not be computed). A damaged blob is an InputError naming run and branch."""
        rows = self._read("SELECT latent, sha256 FROM branch_diagnostics WHERE run_id = ?"
                          " AND branch_id = ?", (run_id, branch_id))
        if not rows:
            return None
        blob, digest = rows[0]
        return latent_from_blob(blob, digest, f"{self.path}, run {run_id}, branch {branch_id}")

    # -- UI state --------------------------------------------------------------------------------
    def set_ui_state(self, key: str, value: Any) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO ui_state(key, value) VALUES (?, ?)",
                         (key, _dumps(value)))
            _seal(conn, "ui_state", "key = ?", (key,))

    def get_ui_state(self, key: str, default: Any = None) -> Any:
        """The stored value, or ``default`` when absent or damaged (the window's own state:
        a damaged layout is forgotten, never a reason to refuse the project)."""
        rows = self._read(f"SELECT {_covered('ui_state')} FROM ui_state WHERE key = ?", (key,))
        if not rows:
            return default
        try:
            _check_row("ui_state", rows[0], "ui state", str(self.path))
            return _json(rows[0][1], "ui state", str(self.path))
        except InputError:
            return default

    # -- checks ----------------------------------------------------------------------------------
    def verify(self) -> list[str]:
        """Every stored row against its checksum and every blob against its own (a dataset's
        content hash, models, diagnostics): one short sentence per damaged item, [] when the
        project is intact. Reads the whole file (as fast as sha256: ~0.5-1 GB/s); what a
        command uses is checked anyway when it is read, this finds damage anywhere."""
        problems: list[str] = []

        def attempt(check: Any, *args: Any) -> None:
            try:
                check(*args)
            except InputError as exc:
                problems.append(exc.message)

        for (dataset_id,) in self._read("SELECT id FROM datasets ORDER BY id"):
            attempt(self.load_dataset, dataset_id)
        for (pipeline_id,) in self._read("SELECT id FROM pipelines ORDER BY id"):
            attempt(self.load_pipeline, pipeline_id)
        for (run_id,) in self._read("SELECT id FROM runs ORDER BY id"):
            attempt(self.load_run, run_id)
        for run_id, branch_id in self._read("SELECT run_id, branch_id FROM branch_models"
                                            " ORDER BY run_id, branch_id"):
            attempt(self._verify_model, run_id, branch_id)
        for run_id, branch_id in self._read("SELECT run_id, branch_id FROM branch_diagnostics"
                                            " ORDER BY run_id, branch_id"):
            attempt(self._verify_diagnostics, run_id, branch_id)
        for row in self._read(f"SELECT {_covered('ui_state')} FROM ui_state"):
            attempt(_check_row, "ui_state", row, f"ui state {row[0]!r}", str(self.path))
        return problems

    def _verify_model(self, run_id: int, branch_id: int) -> None:
        blob, digest, _ = self._model_row(run_id, branch_id)
        if hashlib.sha256(blob).hexdigest() != digest:
            raise InputError(f"the saved model of run {run_id}, branch {branch_id} is damaged "
                             "(its checksum does not match)", file=str(self.path))

    def _verify_diagnostics(self, run_id: int, branch_id: int) -> None:
        rows = self._read("SELECT latent, sha256 FROM branch_diagnostics WHERE run_id = ?"
                          " AND branch_id = ?", (run_id, branch_id))
        if rows and hashlib.sha256(bytes(rows[0][0])).hexdigest() != rows[0][1]:
            raise InputError(f"the saved diagnostics of run {run_id}, branch {branch_id} are "
                             "damaged (their checksum does not match)", file=str(self.path))

    def integrity_check(self) -> list[str]:
        """SQLite's full integrity check (slower than the quick check done on open)."""
        return [r[0] for r in self._read("PRAGMA integrity_check")]


#: the dataset's user choices kept in datasets.metadata (not part of its content hash)
_CHOICE_KEYS = ("units", "tasks", "groups", "excluded", "excluded_rows")


def _with_choices(ds: SpectralDataset) -> dict[str, Any]:
    """The dataset's metadata plus its axis units, task choices, replicate groups and
    excluded samples: what the user said about the data is kept with it, so a reopened
    project models it the same."""
    meta = {k: v for k, v in ds.metadata.items() if k != "project_dataset_id"}
    meta["units"] = ds.units
    meta["tasks"] = dict(ds.tasks)
    if ds.groups is not None and not np.array_equal(ds.groups, ds.sample_ids):
        meta["groups"] = [str(g) for g in ds.groups]
    if ds.n_excluded:
        # the ids are what a person reads in the file; when ids repeat (replicate scans
        # named alike) they do not say which row, so the rows are kept as well
        meta["excluded"] = ds.excluded_ids
        if np.unique(ds.sample_ids).size < ds.n_samples:
            meta["excluded_rows"] = [int(r) for r in ds.excluded_rows]
    return meta


def _restore_exclusions(ds: SpectralDataset, choices: dict[str, Any]) -> None:
    """The excluded samples saved with the dataset (rows when kept, else the ids)."""
    rows = choices.get("excluded_rows")
    if rows is not None:
        ds.exclude(np.asarray(rows, dtype=np.intp))
    elif choices.get("excluded"):
        ds.exclude(ds.rows_of_ids(choices["excluded"]))


def _remember_choices(conn: sqlite3.Connection, dataset_id: int, stored: str | None,
                      ds: SpectralDataset) -> None:
    """The same spectra saved again with other choices (a task switched to classification):
    the latest choices are the ones the project remembers."""
    meta = json.loads(stored or "{}")
    fresh = _with_choices(ds)
    changed = False
    for key in _CHOICE_KEYS:
        if meta.get(key) != fresh.get(key):
            changed = True
            if key in fresh:
                meta[key] = fresh[key]
            else:
                meta.pop(key, None)
    if changed:
        conn.execute("UPDATE datasets SET metadata = ? WHERE id = ?",
                     (json.dumps(meta, default=str, ensure_ascii=False), dataset_id))
