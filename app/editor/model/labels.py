"""The text of a step card: its title, its key parameters, its tooltip (no Qt).

Why a module of its own: the canvas, the undo command names and the policy badges' fix labels
all name steps the same way, from the JSON step alone (the card is drawn before anything is
built or fitted). What a card says about a step is the step's registry entry (title, summary,
description): this module only renders it, the same way for every step, so a new step needs
no code here.
"""
from __future__ import annotations

import inspect
import json
from typing import Any

from engine import registry
from engine.pipeline.steps import step_class as _class_of
from engine.pipeline.steps import step_params as _params_of

__all__ = ["card_details", "card_label", "card_text", "card_tooltip", "format_value"]

#: Parameters shown after the summary whenever they are set (and not the default 1/None).
_ALWAYS_SHOWN = "n_jobs"


def format_value(value: Any) -> str:
    """A parameter value as a card shows it: 1e-05, 10, 0.5, 100-50 for layer sizes, "…" for
    None (unbounded, automatic), True, "mirror"."""
    if value is None:
        return "\u2026"
    if isinstance(value, (list, tuple)):
        return "-".join(format_value(v) for v in value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return str(value) if isinstance(value, int) else f"{value:g}"


def _num(value: Any) -> str:
    """A value in the "name=value" fallback, as the user wrote it (None stays "None")."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return f"{value:g}"


class _Values(dict):
    """``{param}`` fields of a summary: the explicit value, else the class default (the class
    is imported only when a default is needed)."""

    def __init__(self, name: str, params: dict[str, Any]) -> None:
        super().__init__()
        self._name, self._params, self._defaults = name, params, None

    def __missing__(self, key: str) -> str:
        if key in self._params:
            return format_value(self._params[key])
        if self._defaults is None:
            try:
                sig = inspect.signature(registry.resolve_class(self._name))
                self._defaults = {k: p.default for k, p in sig.parameters.items()
                                  if p.default is not p.empty}
            except Exception:  # noqa: BLE001 - unknown class: no default to show
                self._defaults = {}
        return format_value(self._defaults.get(key))


def _holds(condition: str, params: dict[str, Any]) -> bool:
    """A summary condition: "param" (set in the spec) or "param=JSON" (set to that value)."""
    key, sep, expected = condition.partition("=")
    if key not in params:
        return False
    if not sep:
        return True
    try:
        wanted = json.loads(expected)
    except ValueError:
        wanted = expected
    value = params[key]
    return type(value) is type(wanted) and value == wanted


def _summary(name: str, params: dict[str, Any]) -> list[str]:
    """The key parameters of a (non-branch) step: its entry's summary, or for a step without
    one (or a dotted-path class) its first two explicit parameters."""
    entry = registry.get_entry(name)
    if entry is None or not entry.summary:
        return [f"{k}={_num(v)}" for k, v in list(params.items())[:2] if k != _ALWAYS_SHOWN]
    values = _Values(name, params)
    parts = []
    for part in entry.summary:
        text, condition = (part, "") if isinstance(part, str) else part
        if not condition or _holds(condition, params):
            parts.append(text.format_map(values))
    return parts


def card_label(step: Any) -> str:
    """The card's title: "PLS", "Savitzky-Golay", "SNV", "Branch", "Generator"."""
    if isinstance(step, dict) and "branch" in step:
        return "Generator" if isinstance(step["branch"], dict) else "Branch"
    name = _class_of(step)
    entry = registry.get_entry(name)
    return entry.label if entry is not None else name.rsplit(".", 1)[-1]


def card_details(step: Any) -> str:
    """The key parameters in short form: "10 comp.", "w11 p2 d1", "α=1", "n_jobs=-1",
    "Optuna · 100 trials", "4 alternatives"; "" when there is nothing to show."""
    if isinstance(step, dict) and "branch" in step:
        value = step["branch"]
        n = len(value["_or_"]) if isinstance(value, dict) else len(value)
        parts = [f"{n} alternative{'s' if n != 1 else ''}" if isinstance(value, dict)
                 else f"{n} lane{'s' if n != 1 else ''}"]
        if step.get("n_jobs", 1) != 1:
            parts.append("auto" if step["n_jobs"] == -1 else f"n_jobs={step['n_jobs']}")
        elif step.get("parallel"):
            parts.append("parallel")
        return " · ".join(parts)
    params = _params_of(step)
    if isinstance(step, dict) and "finetune_params" in step:
        ft = step["finetune_params"] if isinstance(step["finetune_params"], dict) else {}
        parts = [f"Optuna · {ft.get('n_trials', 50)} trials"]
    else:
        parts = _summary(_class_of(step), params)
    if _ALWAYS_SHOWN in params and params[_ALWAYS_SHOWN] not in (None, 1):
        parts.append(f"{_ALWAYS_SHOWN}={params[_ALWAYS_SHOWN]}")
    return " · ".join(p for p in parts if p)


def card_text(step: Any) -> str:
    """Title and details on one line: "PLS · 10 comp.", "Optuna-tuned" models:
    "PLS · Optuna · 100 trials"."""
    details = card_details(step)
    return f"{card_label(step)} · {details}" if details else card_label(step)


def card_tooltip(step: Any) -> str:
    """The class, its registry description, then every explicit parameter, one per line (and
    the search space of a tuned model)."""
    if isinstance(step, dict) and "branch" in step:
        return card_text(step)
    name = _class_of(step)
    entry = registry.get_entry(name)
    lines = [name] + ([entry.description] if entry is not None else [])
    lines += [f"{k} = {json.dumps(v)}" for k, v in _params_of(step).items()]
    if isinstance(step, dict) and isinstance(step.get("finetune_params"), dict):
        ft = step["finetune_params"]
        lines.append("Optuna: " + ", ".join(f"{k}={json.dumps(v)}" for k, v in ft.items()
                                            if k != "model_params"))
        for key, rng in (ft.get("model_params") or {}).items():
            lines.append(f"  {key}: {json.dumps(rng)}")
    if isinstance(step, dict) and step.get("enabled") is False:
        lines.append("(disabled: skipped when running)")
    return "\n".join(lines)
