"""Pipeline names: a fresh one for a new pipeline, and when a pipeline has been emptied.

Why: the name travels with the spec into every run the project records, and the runs
history lists runs under it. A pipeline rebuilt from scratch (every lane and step of the
demo removed, new ones added) kept "demo: four preprocessings into PLS", so the history
filed new, unrelated runs under the demo. The moment nothing runnable is left the old name
no longer describes anything, so the emptied pipeline takes a fresh, dated name (in the
same undoable edit); the user can rename it at any time.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

#: step keys that hold no preprocessing and no model (a splitter alone runs nothing)
_SPLITTER_HINTS = ("KFold", "ShuffleSplit", "GroupKFold", "LeaveOneOut", "Split")


def fresh_name(now: datetime | None = None) -> str:
    """"pipeline 2026-12-07 07:15": unique enough between a user's pipelines, and it says
    when it was started."""
    return f"pipeline {(now or datetime.now()):%Y-%m-%d %H:%M}"


def steps_of(spec: Any) -> list:
    if isinstance(spec, dict):
        return list(spec.get("steps") or [])
    return list(spec or [])


def is_blank(spec: Any) -> bool:
    """True when the spec holds no step that does anything: no operator and no model, only
    splitters, empty branch steps and "no step" alternatives."""
    return not any(_does_something(step) for step in steps_of(spec))


def _does_something(step: Any) -> bool:
    if step is None:
        return False
    if isinstance(step, str):
        return not _is_splitter(step)
    if isinstance(step, list):
        return any(_does_something(s) for s in step)
    if not isinstance(step, dict):
        return True
    if "branch" in step:
        branch = step["branch"]
        lanes = branch.get("_or_", []) if isinstance(branch, dict) else branch
        return any(_does_something(lane) for lane in lanes or [])
    if "model" in step:
        return True
    return not _is_splitter(str(step.get("class", "")))


def _is_splitter(name: str) -> bool:
    from engine.registry import get_entry

    entry = get_entry(name.rsplit(".", 1)[-1])
    if entry is None:
        return any(h in name for h in _SPLITTER_HINTS)
    return entry.kind == "splitter"
