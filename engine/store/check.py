"""Is this file a nirdesk project nirdesk can open? Answered without changing the file.

Why first, and read-only: a user opens whatever they were sent. A truncated download, a
random file renamed .nirdesk, another program's SQLite database or a project from a newer
nirdesk must each give one clear sentence and leave the file exactly as it was. So, before
any read-write connection exists: the SQLite header is read by hand (magic, page size, page
count: a file shorter than its header says is truncated), then a read-only connection runs
``PRAGMA quick_check`` and reads the application id and the schema version.

The one change allowed before the checks is SQLite's own crash recovery: a *hot journal*
next to the file means a save was interrupted, and rolling it back restores the state before
that save (the file is unusable until this is done). It only happens when the file starts
with the SQLite header, and only when the project is opened for writing. A read-only open
(``nirdesk info``, ``predict``) changes nothing beside the project, not even a stale
``-journal``: it reads through a ``mode=ro`` connection, and when a hot journal makes that
impossible it rolls back a private copy (file and journal copied to a temporary folder) and
reads that copy from memory.

The content check is ``PRAGMA integrity_check`` (which also compares every index with its
table) for files up to ``FULL_CHECK_BYTES``, and the cheaper ``quick_check`` above that.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InputError
from engine.store.schema import APPLICATION_ID, SCHEMA_VERSION

__all__ = ["FileFacts", "check_project_file", "one_line", "read_only_uri"]

SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_BYTES = 100
FULL_CHECK_BYTES = 256 * 2**20  # integrity_check reads ~0.5-1 GB/s: at most ~0.5 s here
_READONLY_ROLLBACK = 776  # SQLITE_READONLY_ROLLBACK: a hot journal, and no write access


def one_line(exc: BaseException, limit: int = 160) -> str:
    """SQLite's words about a damaged file, in one short line: a damaged schema quotes its
    CREATE statements over several lines, which says nothing to a user."""
    text = str(exc).strip()
    if "malformed database schema" in text:
        return "its table definitions are damaged"
    first = text.splitlines()[0] if text else type(exc).__name__
    return first if len(first) <= limit else first[: limit - 3] + "..."


@dataclass(frozen=True)
class FileFacts:
    """What the checks learnt.

    schema_version  the file's version (not yet migrated)
    recovered       a journal was found beside the file and SQLite was given the chance to
                    roll it back: normally an interrupted save that has now been undone
    """

    schema_version: int
    recovered: bool
    snapshot: sqlite3.Connection | None = None  # read-only open of a file with a hot journal


def read_only_uri(path: Path) -> str:
    """A URI that opens ``path`` read-only (SQLite cannot write through it)."""
    return path.resolve().as_uri() + "?mode=ro"


def _header_problem(path: Path, size: int) -> str | None:
    """A sentence about what is wrong with the first 100 bytes, or None."""
    if size == 0:
        return "the file is empty, not a nirdesk project"
    with open(path, "rb") as fh:
        header = fh.read(HEADER_BYTES)
    if not header.startswith(SQLITE_MAGIC):
        return "not a nirdesk project (the file is not an SQLite database)"
    if len(header) < HEADER_BYTES:
        return f"the file is truncated ({size} bytes, shorter than an SQLite header)"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return "the file is damaged (invalid SQLite page size in its header)"
    change_counter = int.from_bytes(header[24:28], "big")
    pages = int.from_bytes(header[28:32], "big")
    valid_for = int.from_bytes(header[92:96], "big")
    if pages and valid_for == change_counter and size < pages * page_size:
        return (f"the file is truncated: it has {size} bytes but its header says "
                f"{pages * page_size} ({pages} pages of {page_size})")
    return None


def _hot_journal(path: Path) -> bool:
    journal = path.with_name(path.name + "-journal")
    try:
        return journal.stat().st_size > 0
    except OSError:
        return False


def _recover(path: Path) -> None:
    """Let SQLite roll back an interrupted save (a read through a read-write connection)."""
    try:
        conn = sqlite3.connect(str(path), timeout=10)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise InputError(f"an interrupted save could not be rolled back ({exc})",
                         file=str(path)) from None


def _rolled_back_copy(file: Path, where: str) -> sqlite3.Connection:
    """For a read-only open of a file with a hot journal: the file as SQLite's recovery would
    leave it, in memory, made from a private copy (the project and its journal untouched)."""
    folder = Path(tempfile.mkdtemp(prefix="nirdesk-recover-"))
    try:
        copy = folder / file.name
        shutil.copyfile(file, copy)
        shutil.copyfile(file.with_name(file.name + "-journal"),
                        copy.with_name(copy.name + "-journal"))
        disk = sqlite3.connect(str(copy), timeout=10)
        memory = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        try:
            disk.execute("SELECT count(*) FROM sqlite_master").fetchone()  # rolls back
            disk.backup(memory)
        finally:
            disk.close()
        return memory
    except (OSError, sqlite3.Error) as exc:
        raise InputError(f"an interrupted save could not be rolled back in a copy "
                         f"({one_line(exc)})", file=where) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _needs_rollback(file: Path) -> bool:
    """Whether a read-only connection is refused because of a hot journal."""
    try:
        conn = sqlite3.connect(read_only_uri(file), uri=True, timeout=10)
    except sqlite3.Error:
        return False
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return False
    except sqlite3.Error as exc:
        return getattr(exc, "sqlite_errorcode", None) == _READONLY_ROLLBACK
    finally:
        conn.close()


def check_project_file(path: str | os.PathLike, *, readonly: bool = False) -> FileFacts:
    """Refuse (InputError, file unchanged) anything nirdesk cannot open; else its schema version.

    Checks, in order: exists and is a file; SQLite header and length; crash recovery if a
    hot journal is present (``readonly``: in a private copy, returned as ``snapshot``);
    ``PRAGMA integrity_check`` (``quick_check`` for big files) on a read-only connection;
    the nirdesk application id and meta table; a schema version this nirdesk reads (a
    newer one is refused with both versions named).
    """
    file = Path(path)
    where = str(file)
    if not file.exists():
        raise InputError("no such project file", file=where)
    if not file.is_file():
        raise InputError("not a file (a project is one .nirdesk file)", file=where)
    recovered = False
    if readonly and _hot_journal(file) and _needs_rollback(file):
        snapshot = _rolled_back_copy(file, where)
        try:
            version = _inspect(snapshot, where, full=True)
        except BaseException:
            snapshot.close()
            raise
        return FileFacts(schema_version=version, recovered=True, snapshot=snapshot)
    if _hot_journal(file) and not readonly:
        problem = _header_problem(file, file.stat().st_size)
        if problem and not problem.startswith("the file is truncated"):
            raise InputError(problem, file=where)
        _recover(file)
        recovered = True
    problem = _header_problem(file, file.stat().st_size)
    if problem:
        raise InputError(problem, file=where)
    try:
        conn = sqlite3.connect(read_only_uri(file), uri=True, timeout=10)
    except sqlite3.Error as exc:
        raise InputError(f"cannot open the project ({one_line(exc)})", file=where) from None
    try:
        version = _inspect(conn, where, full=file.stat().st_size <= FULL_CHECK_BYTES)
    finally:
        conn.close()
    return FileFacts(schema_version=version, recovered=recovered)


def _inspect(conn: sqlite3.Connection, where: str, *, full: bool = True) -> int:
    try:
        check = "integrity_check" if full else "quick_check"
        # the report quotes damaged bytes, which need not be UTF-8 (a bit flip in a text
        # cell): read it leniently, never as a UnicodeDecodeError traceback
        factory = conn.text_factory
        conn.text_factory = lambda raw: raw.decode("utf-8", "replace")
        try:
            rows = conn.execute(f"PRAGMA {check}(3)").fetchall()
        finally:
            conn.text_factory = factory
        if rows != [("ok",)]:
            detail = one_line(rows[0][0]) if rows else "no answer"
            more = f" and {len(rows) - 1} more" if len(rows) > 1 else ""
            raise InputError(f"the file is damaged (SQLite integrity check: {detail}{more})",
                             file=where)
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
                                ).fetchone() is not None
        if app_id != APPLICATION_ID or not has_meta:
            raise InputError("an SQLite database, but not a nirdesk project", file=where)
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        raise InputError(f"the file is damaged or not a nirdesk project ({one_line(exc)})",
                         file=where) from None
    try:
        version = int(row[0]) if row else 0
    except ValueError:
        version = 0
    if version < 1:
        raise InputError("the project has no valid schema version (damaged file)", file=where)
    if version > SCHEMA_VERSION:
        raise InputError(f"made by a newer nirdesk (schema {version}, this version reads up to "
                         f"{SCHEMA_VERSION}); update nirdesk to open it", file=where)
    return version
