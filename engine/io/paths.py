"""What kind of thing a path names, checked with one ``stat`` before anything opens it.

Why: opening a named pipe (FIFO) for reading blocks until some other process writes to it,
and a character device (/dev/zero, /dev/stdin) never ends; a user who passes one as --data or
as a pipeline would see nirdesk hang instead of a one-line refusal. ``os.stat`` never blocks,
so every reader of user files asks here first, and a folder given where a file is expected
(or the reverse) is named as such instead of "not found".
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from engine.errors import InputError

__all__ = ["kind_of", "require_file", "require_file_or_folder"]


def kind_of(path: str | os.PathLike[str]) -> str:
    """"file", "folder", "missing", or what else the path is, in words ("a named pipe
    (FIFO)", "a character device", ...). Follows symbolic links; never opens the path."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _refusal(kind: str, expected: str) -> str:
    if kind == "missing":
        return f"no such {expected}"
    if kind.startswith("unreadable"):
        return f"cannot read it: {kind[len('unreadable ('):-1]}"
    if kind == "folder":
        return f"this is a folder, not a {expected}"
    return f"this is {kind}, not a {expected} (nirdesk reads regular files only)"


def require_file(path: str | os.PathLike[str], what: str = "file") -> Path:
    """``path`` as a Path when it is a regular file; else an InputError naming the file and
    what it is instead (``what`` words the expected thing: "pipeline file")."""
    kind = kind_of(path)
    if kind != "file":
        raise InputError(_refusal(kind, what), file=str(path))
    return Path(path)


def require_file_or_folder(path: str | os.PathLike[str], what: str = "file or folder") -> Path:
    """``path`` as a Path when it is a regular file or a folder (a dataset); else an
    InputError naming it and what it is."""
    kind = kind_of(path)
    if kind not in ("file", "folder"):
        raise InputError(_refusal(kind, what), file=str(path))
    return Path(path)
