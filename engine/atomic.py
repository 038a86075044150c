"""Every file nirdesk writes is replaced whole or not at all: one helper for all of them.

Why: writing a file in place destroys the previous one the moment it is opened, so a full
disk, a quota, a yanked USB stick or a kill in the middle leaves half a results JSON or a cut
CSV row where a good file was. Here the new content goes to a temporary file in the same
folder (same file system, so the rename is atomic), is flushed and fsync'ed, and only then
``os.replace``s the target; the folder is fsync'ed so the rename survives a power cut. On any
failure the temporary file is removed, the previous file is left byte-identical, and the
error is ONE line that names the file.

API (results JSON, predictions CSV, preprocessed spectra, the window's exports, reports,
settings, transfer files: use these, never ``open(path, "w")``):

    write_text(path, text, *, what="the file", encoding="utf-8") -> Path
    write_bytes(path, data, *, what="the file") -> Path
    with replacing(path, *, what="the file", mode="w", newline=None, encoding="utf-8") as fh:
        ...  # write to fh; the target is replaced when the block ends without an exception
    write_via(path, produce, *, what="the file") -> Path   # produce(temp_path) writes it
                                       # (a library that insists on a file name: PNG, SVG)
    check_output_path(path, *, what="the output") -> Path   # before the work: InputError (exit 2)

``what`` says what the file is for the message ("the results", "the predictions").
A failed write raises :class:`WriteFailed` (an ``OSError``, so existing ``except OSError``
handlers keep working): ``"<path>: could not write the results (No space left on device);
the previous file is unchanged"``. The CLI reports it on one line with exit code 1 (the
contract for "could not be written", docs/design.md "Command line"). A path that can never
be written (a folder, a missing folder) is bad input, found before any work by
:func:`check_output_path`.

A symbolic link as target: the file it points to is replaced, the link stays. A new file
gets the usual permissions (0666 less the umask), an existing one keeps its mode.
"""
from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from engine.errors import InputError

__all__ = ["WriteFailed", "check_output_path", "replacing", "write_bytes", "write_text",
           "write_via"]


class WriteFailed(OSError):
    """A file could not be written; the previous file (if any) is unchanged. ``str()`` is
    one line naming the file; ``path`` is the target and ``reason`` the system's words."""

    def __init__(self, path: str | os.PathLike, reason: str, *, what: str = "the file",
                 existed: bool = True) -> None:
        self.path = str(path)
        self.reason = reason
        kept = "the previous file is unchanged" if existed else "nothing was written"
        self.message = f"{self.path}: could not write {what} ({reason}); {kept}"
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _target(path: str | os.PathLike) -> Path:
    """The file to replace: a link's destination, so the link itself survives."""
    p = Path(path)
    return Path(os.path.realpath(p)) if p.is_symlink() else p


def _open_temp(target: Path) -> tuple[int, Path]:
    """A new, exclusive temporary file beside ``target`` (0666 less the umask, like open)."""
    for _ in range(100):
        # the target's suffix last: writers that pick the format by name (PNG, SVG) still do
        temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp{target.suffix}")
        try:
            return os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {target}")


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):  # some file systems refuse a folder fsync: not fatal
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def _replaced(path: str | os.PathLike, what: str) -> Iterator[tuple[int, Path]]:
    """(open descriptor, temporary path) beside ``path``: the block owns the descriptor and
    must close it; ``path`` is replaced by the temp when the block ends normally."""
    target = _target(path)
    existed = target.exists()
    if existed and not os.access(target, os.W_OK):  # a rename would override the user's "no"
        raise WriteFailed(path, "Permission denied (the file is read-only)", what=what)
    try:
        fd, temp = _open_temp(target)
    except OSError as exc:
        raise WriteFailed(path, _reason(exc), what=what, existed=existed) from None
    try:
        if existed:
            with contextlib.suppress(OSError):
                os.chmod(temp, target.stat().st_mode & 0o7777)
        yield fd, temp
        os.replace(temp, target)
    except OSError as exc:
        _discard(temp)
        raise WriteFailed(path, _reason(exc), what=what, existed=existed) from None
    except BaseException:
        _discard(temp)
        raise
    _fsync_dir(target.parent)


def _discard(temp: Path) -> None:
    with contextlib.suppress(OSError):
        temp.unlink()


@contextlib.contextmanager
def replacing(path: str | os.PathLike, *, what: str = "the file", mode: str = "w",
              newline: str | None = None, encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` for writing; replace ``path`` with it when the
    block ends normally. Any exception (in the block, while flushing, fsync or renaming)
    removes the temporary file and leaves ``path`` as it was; an OSError becomes
    :class:`WriteFailed`, anything else (a bug, Ctrl-C) is re-raised unchanged."""
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', not {mode!r}")
    with _replaced(path, what) as (fd, _temp):
        try:
            fh: IO[Any] = (os.fdopen(fd, "wb") if mode == "wb" else
                           os.fdopen(fd, "w", encoding=encoding, newline=newline))
        except BaseException:
            os.close(fd)
            raise
        with fh:  # closes the descriptor on every path
            yield fh
            fh.flush()
            os.fsync(fh.fileno())


def write_via(path: str | os.PathLike, produce: Callable[[Path], object], *,
              what: str = "the file") -> Path:
    """For writers that insist on a file name (an image exporter, an SVG generator):
    ``produce(temp)`` writes the temporary file beside ``path`` (it exists, empty; the writer
    may truncate or replace it); an empty result counts as a failure. Then as
    :func:`replacing`: the target is replaced only when everything succeeded."""
    with _replaced(path, what) as (fd, temp):
        os.close(fd)
        produce(temp)
        try:
            fd = os.open(temp, os.O_RDWR)
        except FileNotFoundError:
            raise OSError(0, "the writer produced no file") from None
        try:
            if os.fstat(fd).st_size == 0:
                raise OSError(0, "the writer produced an empty file")
            os.fsync(fd)
        finally:
            os.close(fd)
    return Path(path)


def write_bytes(path: str | os.PathLike, data: bytes, *, what: str = "the file") -> Path:
    """Replace ``path`` with ``data`` atomically (see the module docstring)."""
    with replacing(path, what=what, mode="wb") as fh:
        fh.write(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str, *, what: str = "the file",
               encoding: str = "utf-8") -> Path:
    """Replace ``path`` with ``text`` atomically (no newline translation: ``text`` as is)."""
    with replacing(path, what=what, encoding=encoding, newline="") as fh:
        fh.write(text)
    return Path(path)


def check_output_path(path: str | os.PathLike, *, what: str = "the output") -> Path:
    """Refuse, before any work, an output path that can never be written: a folder, a path
    inside a missing folder or inside a file, a folder without write permission. Raises
    InputError (one line naming the path; the CLI's exit 2). A full disk cannot be foreseen:
    that is :class:`WriteFailed` at write time."""
    p = Path(path)
    where = str(path)
    if str(path) == "" or p.is_dir():
        raise InputError(f"{what} must be a file, and this is a folder", file=where)
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        raise InputError(f"cannot write {what}: the folder {parent} does not exist", file=where)
    if not parent.is_dir():
        raise InputError(f"cannot write {what}: {parent} is not a folder", file=where)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"cannot write {what}: no permission to write in {parent}", file=where)
    if p.exists() and not p.is_file() and not p.is_symlink():
        raise InputError(f"{what} must be a regular file", file=where)
    return p
