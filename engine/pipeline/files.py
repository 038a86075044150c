"""Reading a pipeline JSON file for the command line: errors as a text editor shows them.

Why beside load_spec (engine.pipeline.spec) and not in it: ``load_spec`` reports a bad file
as a SpecError about the spec; a file given on the command line that is missing, not UTF-8
or not JSON is the user's *file* problem, so it is an InputError naming the file, the line
and the column (the CLI's one-line contract, docs/design.md "Command line"). Both
``nirdesk run`` and ``nirdesk info`` read pipelines this way.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.errors import InputError
from engine.io.paths import kind_of
from engine.pipeline.limits import MAX_NESTING

__all__ = ["load_pipeline_file"]


def load_pipeline_file(path: str | Path) -> Any:
    """The decoded JSON of a pipeline file (a UTF-8 BOM is accepted); InputError when the
    file is missing, a folder or a pipe, not text, or not JSON (naming the line and column)."""
    kind = kind_of(path)
    if kind == "missing":
        raise InputError("pipeline file not found", file=path)
    if kind == "folder":
        raise InputError("this is a folder; a pipeline is a .json file", file=path)
    if kind != "file":  # a FIFO or a device would block the read
        raise InputError(f"this is {kind}, not a pipeline file (a .json file)", file=path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read the pipeline file ({exc.strerror or exc})",
                         file=path) from None
    except UnicodeDecodeError as exc:
        raise InputError("not a text file (expected UTF-8 JSON)", file=path) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", file=path, row=exc.lineno,
                         column=exc.colno) from exc
    except RecursionError:  # deeper than the JSON reader follows: far beyond the limit
        raise InputError(f"the pipeline is nested too deeply to read (at most {MAX_NESTING} "
                         "branch steps inside each other)", file=path) from None
