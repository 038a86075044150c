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

__all__ = ["load_pipeline_file"]


def load_pipeline_file(path: str | Path) -> Any:
    """The decoded JSON of a pipeline file (a UTF-8 BOM is accepted); InputError when the
    file is missing, not text, or not JSON (naming the line and column)."""
    file = Path(path)
    if not file.is_file():
        raise InputError("pipeline file not found", file=path)
    try:
        return json.loads(file.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", file=path, row=exc.lineno,
                         column=exc.colno) from exc
    except UnicodeDecodeError as exc:
        raise InputError("not a text file (expected UTF-8 JSON)", file=path) from exc
