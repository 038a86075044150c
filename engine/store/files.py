"""File-level operations of the project store: atomic replace, fsync, copies beside a file.

Why separate: these are the few steps where the project is handled as a whole file rather
than through SQLite transactions (creating a file, Save As, keeping the original of a file
before migrating it), and each must be atomic on its own: write a temporary file in the same
folder (same file system), fsync it, ``os.replace`` it over the target, fsync the folder.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

from engine.store.schema import migrate

__all__ = ["atomic_copy", "fsync_dir", "fsync_file", "keep_original", "link_durably",
           "migrated_in_memory", "temp_beside"]


def fsync_file(path: Path) -> None:
    """Flush a file's data to the disk (read-write handle: Windows refuses fsync otherwise)."""
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); Windows cannot open a directory and needs nothing."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_durably(temp: Path, target: Path) -> None:
    """Move a finished temp file over ``target`` so that a crash leaves the old or the new
    file, never a mix: flush its data, rename atomically, then flush the rename."""
    fsync_file(temp)
    os.replace(temp, target)
    fsync_dir(target.parent)


def link_durably(temp: Path, target: Path) -> None:
    """Like :func:`replace_durably`, but never over an existing file: a hard link fails with
    FileExistsError when ``target`` appeared meanwhile (another process creating the same
    project). File systems without hard links (FAT, some network shares) fall back to a
    rename after a last check: the window for a race is then that check's."""
    fsync_file(temp)
    try:
        os.link(temp, target)
    except FileExistsError:
        raise
    except OSError:
        if target.exists():
            raise FileExistsError(str(target)) from None
        os.replace(temp, target)
    fsync_dir(target.parent)


def temp_beside(path: Path) -> Path:
    """An unused temporary name in ``path``'s folder (same file system: os.replace is atomic)."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.unlink(name)
    return Path(name)


def atomic_copy(conn: sqlite3.Connection, target: Path) -> None:
    """A consistent snapshot of ``conn``'s database as ``target``, replaced atomically."""
    temp = temp_beside(target)
    try:
        dest = sqlite3.connect(str(temp))
        try:
            conn.backup(dest)
            dest.execute("PRAGMA journal_mode = DELETE")
        finally:
            dest.close()
        replace_durably(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def migrated_in_memory(conn: sqlite3.Connection, version: int) -> sqlite3.Connection:
    """A migrated in-memory copy of a read-only file (the file itself stays untouched)."""
    memory = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    try:
        conn.backup(memory)
    finally:
        conn.close()
    memory.execute("BEGIN")
    migrate(memory, version)
    memory.execute("COMMIT")
    return memory


def keep_original(file: Path, version: int) -> None:
    """Copy an older-schema file aside once before migrating it, so an older nirdesk (or a
    colleague's) can still open the original.

    The copy is named ``<stem>.schema-v<N><suffix>`` next to the file.
    """
    backup = file.with_name(f"{file.stem}.schema-v{version}{file.suffix or '.nirdesk'}")
    if backup.exists():
        return
    temp = temp_beside(backup)
    try:
        shutil.copy2(file, temp)
        fsync_file(temp)
        os.replace(temp, backup)
    finally:
        temp.unlink(missing_ok=True)
