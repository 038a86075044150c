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
with the SQLite header.
"""
from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InputError
from engine.store.schema import APPLICATION_ID, SCHEMA_VERSION

__all__ = ["FileFacts", "check_project_file", "read_only_uri"]

SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_BYTES = 100


@dataclass(frozen=True)
class FileFacts:
    """What the checks learnt.

    schema_version  the file's version (not yet migrated)
    recovered       a journal was found beside the file and SQLite was given the chance to
                    roll it back: normally an interrupted save that has now been undone
    """

    schema_version: int
    recovered: bool


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


def check_project_file(path: str | os.PathLike) -> FileFacts:
    """Refuse (InputError, file unchanged) anything nirdesk cannot open; else its schema version.

    Checks, in order: exists and is a file; SQLite header and length; crash recovery if a
    hot journal is present; ``PRAGMA quick_check`` on a read-only connection; the nirdesk
    application id and meta table; a schema version this nirdesk reads (a newer one is
    refused with both versions named).
    """
    file = Path(path)
    where = str(file)
    if not file.exists():
        raise InputError("no such project file", file=where)
    if not file.is_file():
        raise InputError("not a file (a project is one .nirdesk file)", file=where)
    recovered = False
    if _hot_journal(file):
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
        raise InputError(f"cannot open the project ({exc})", file=where) from None
    try:
        version = _inspect(conn, where)
    finally:
        conn.close()
    return FileFacts(schema_version=version, recovered=recovered)


def _inspect(conn: sqlite3.Connection, where: str) -> int:
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
        if rows != [("ok",)]:
            detail = "; ".join(str(r[0]) for r in rows[:3])
            raise InputError(f"the file is damaged (SQLite integrity check: {detail})", file=where)
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
                                ).fetchone() is not None
        if app_id != APPLICATION_ID or not has_meta:
            raise InputError("an SQLite database, but not a nirdesk project", file=where)
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise InputError(f"the file is damaged or not a nirdesk project ({exc})",
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
