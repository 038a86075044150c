"""Errors that nirdesk shows to a user as one clear line (CLI exit code 2, GUI dialog).

Why a dedicated hierarchy: the CLI and the GUI must tell "your input is wrong" (show the
message, keep what the user had, exit 2) apart from "nirdesk failed" (exit 1, report a bug).
Everything raised for bad files or bad specs derives from ``NirdeskInputError``.
"""
from __future__ import annotations

from pathlib import Path


class Cancelled(Exception):
    """The user asked to stop (a run, a preprocessing): not a failure and not bad input.

    One class for the whole program, low in the layers, so the pipeline code, the executor and
    the window's background work raise and catch the same thing without translating it."""


class NirdeskInputError(Exception):
    """Base class: the user's input (file, spec, arguments) cannot be used."""


class InputError(NirdeskInputError):
    """A data file is unusable; names the file, the row and the column when known.

    ``row`` is the 1-based line number in the file as a spreadsheet or text editor shows it
    (the header line counts); ``column`` is the 1-based column number, and ``column_name``
    the header text of that column when the file has one.
    """

    def __init__(self, message: str, *, file: str | Path | None = None, row: int | None = None,
                 column: int | None = None, column_name: str | None = None) -> None:
        self.message = message
        self.file = None if file is None else str(file)
        self.row = row
        self.column = column
        self.column_name = column_name
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            col = f"column {self.column}"
            if self.column_name:
                col += f" ({self.column_name})"
            where.append(col)
        return (", ".join(where) + ": " + self.message) if where else self.message


class SpecError(NirdeskInputError):
    """A pipeline spec is invalid.

    ``where`` is the readable place, e.g. "step 2 > branch 1 > step 1 (SavitzkyGolay)" (for a
    file it starts with the file path); ``path`` is the same place as an address a program
    can use without parsing text: a tuple of 0-based step and lane indices, as the editor
    addresses steps -- (1, 0, 0) is step 1 of lane 1 of step 2, (0, 1) lane 2 of step 1 --
    or None when the error is about the spec as a whole.
    """

    def __init__(self, message: str, *, where: str | None = None,
                 path: tuple[int, ...] | None = None) -> None:
        self.message = message
        self.where = where
        self.path = None if path is None else tuple(path)
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message
