"""Library warnings on the command line: one line each, once, without library paths.

Why: Python prints a warning as two lines, the second a path inside numpy or scikit-learn
(``.../numpy/_core/_methods.py:190: RuntimeWarning: ...`` then the source line), and prints
it again for every distinct place it comes from. A 1-row dataset or a constant target used to
bury the one line that mattered under ten of those. During a command, ``showwarning`` is
replaced by one that prints ``nirdesk run: warning: RuntimeWarning: overflow encountered in
square`` once per kind of warning (numbers in the text do not make it a new kind). A run's
own warnings are collected into its results (engine.run) and never reach this hook.
"""
from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, TextIO

__all__ = ["one_line_warnings"]


@contextmanager
def one_line_warnings(prefix: str, stream: TextIO | None = None) -> Iterator[None]:
    """Within the block, every warning shown prints ``{prefix}: warning: {Category}: {first
    line}`` once on ``stream`` (default: stderr); ResourceWarnings (the garbage collector's
    reports on unclosed files of earlier work) are dropped."""
    seen: set[str] = set()

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: TextIO | None = None, line: str | None = None) -> None:
        if issubclass(category, ResourceWarning):
            return
        text = str(message).strip().splitlines()[0] if str(message).strip() else ""
        key = f"{category.__name__}: {re.sub(r'[0-9][0-9.e+-]*', '#', text)}"
        if key in seen:
            return
        seen.add(key)
        out: Any = stream if stream is not None else sys.stderr
        with suppress(OSError, ValueError):  # a closed or broken stderr: nowhere to say it
            print(f"{prefix}: warning: {category.__name__}: {text}", file=out)

    with warnings.catch_warnings():
        warnings.simplefilter("always")  # ours decides what is a repeat, per kind of message
        warnings.showwarning = show  # catch_warnings puts the previous one back
        yield
