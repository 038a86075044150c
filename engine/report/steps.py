"""The chosen branch's pipeline as a table: every parameter of every step, with how it was set.

Why from the saved model: the fitted pipeline holds the values the model was really built
with (the class defaults included, the tuned values applied), so the table is read from it
(``get_params``) and the branch's JSON only says which values the user wrote and which a
search chose (with its range). A reviewer sees the complete recipe, not just what was typed.
"""
from __future__ import annotations

import inspect
from typing import Any

from engine import registry
from engine.pipeline.steps import step_class, step_params
from engine.report import formatting as F
from engine.report.document import Table

__all__ = ["range_text", "steps_table"]

SET, DEFAULT = "set in the pipeline", "default"


def range_text(spec: Any) -> str:
    """A finetune range as people read it: ["int", 2, 15] -> "int 2 to 15";
    ["categorical", ["rbf", "linear"]] -> "one of "rbf", "linear""."""
    if isinstance(spec, (list, tuple)) and spec and isinstance(spec[0], str):
        kind, rest = spec[0], list(spec[1:])
        if kind == "categorical" and rest and isinstance(rest[0], (list, tuple)):
            return "one of " + ", ".join(F.value(v) for v in rest[0])
        if len(rest) >= 2:
            return f"{kind} {F.value(rest[0])} to {F.value(rest[1])}"
    if isinstance(spec, (list, tuple)):
        return "one of " + ", ".join(F.value(v) for v in spec)
    return F.value(spec)


def _title(name: str) -> str:
    entry = registry.get_entry(name)
    title = entry.title if entry is not None and entry.title else name
    return title if title == name else f"{title} ({name})"


def _is_enabled(step: Any) -> bool:
    return not (isinstance(step, dict) and step.get("enabled") is False)


def _tuned(model: Any, finetune: dict[str, Any] | None) -> dict[str, str]:
    """"<pipeline step name>__<param>" -> the search range of each tuned parameter."""
    if not finetune or model is None:
        return {}
    from engine.errors import SpecError
    from engine.tuning.space import resolve_param

    out = {}
    for key, spec in (finetune.get("model_params") or {}).items():
        try:
            out[resolve_param(model, key)] = range_text(spec)
        except SpecError:
            continue
    return out


def _splitter_params(splitter: Any) -> list[tuple[str, Any, bool]]:
    """(name, value, explicit) of a CV splitter (not an estimator: read its signature)."""
    explicit = dict(splitter.params)
    obj = splitter.estimator
    rows = []
    try:
        names = [p for p in inspect.signature(type(obj)).parameters if p not in ("self",)]
    except (TypeError, ValueError):
        names = list(explicit)
    for name in names:
        if hasattr(obj, name) or name in explicit:
            rows.append((name, explicit.get(name, getattr(obj, name, None)), name in explicit))
    return rows


def steps_table(steps: list[Any], model: Any, best_params: dict[str, Any] | None,
                splitter: Any = None, splitter_is_default: bool = False,
                tuning: dict[str, Any] | None = None) -> Table:
    """Step | Parameter | Value | How it was set, one row per parameter.

    ``steps`` the branch's JSON steps (results JSON), ``model`` its fitted Pipeline,
    ``splitter`` the branch's engine.pipeline StepSpec of the CV splitter (None: not known).
    """
    rows: list[tuple[str, ...]] = []
    fitted = list(getattr(model, "steps", None) or [])
    finetune = next((s.get("finetune_params") for s in steps
                     if isinstance(s, dict) and "finetune_params" in s), None)
    tuned = _tuned(model, finetune)
    evaluated = (tuning or {}).get("evaluated")
    searched = f", {evaluated} evaluated" if isinstance(evaluated, int) else ""
    enabled = [s for s in steps if _is_enabled(s)]
    matched = len(enabled) == len(fitted)
    position = 0
    for i, step in enumerate(steps, start=1):
        name = step_class(step)
        label = f"{i}. {_title(name)}"
        if not _is_enabled(step):
            rows.append((label, F.DASH, "", "disabled: not part of the model"))
            continue
        explicit = step_params(step)
        if matched:
            step_name, est = fitted[position]
            params = est.get_params(deep=False)
        else:   # the model does not line up with the steps (should not happen): what was set
            step_name, params = "", explicit
        position += 1
        if not params:
            rows.append((label, "(no parameters)", "", ""))
            continue
        for key in sorted(params):
            full = f"{step_name}__{key}"
            if full in tuned:
                how = f"tuned: {tuned[full]}{searched}"
            elif key in explicit:
                how = SET
            else:
                how = DEFAULT
            rows.append((label, key, F.value(params[key]), how))
    if splitter is not None:
        label = f"CV. {_title(splitter.class_name)}"
        for key, val, explicit_value in _splitter_params(splitter):
            how = SET if explicit_value and not splitter_is_default else DEFAULT
            if splitter_is_default and key == "random_state":
                how = "default (follows the run's --seed, 0 unless given)"
            rows.append((label, key, F.value(val), how))
    if best_params:
        known = {k.split("__", 1)[-1] for k in tuned}
        for key, val in sorted(best_params.items()):
            if key.split("__", 1)[-1] not in known:
                rows.append(("search", key, F.value(val), "tuned (best of the search)"))
    return Table(header=("Step", "Parameter", "Value", "How it was set"), rows=tuple(rows),
                 title="Steps and parameters", align=("l", "l", "r", "l"),
                 widths=(3.0, 2.2, 1.6, 3.2),
                 caption="Read from the saved model: every parameter it was built with, "
                         "defaults included; tuned values with their search range.")

