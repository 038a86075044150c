"""The parameter schema of a step class: each parameter's kind, bounds, choices and default.

Why introspection rather than a hand-written form per class: any allow-listed scikit-learn
estimator can be a step, and scikit-learn declares each parameter's valid values in
``_parameter_constraints`` (Interval, StrOptions, "boolean", None, ...). nirdesk's own steps
(operators, PLSDA, KennardStoneSplit) declare theirs in the same vocabulary, so one code path
serves every class: its fields come from its constraints, or from its constructor's defaults
when it declares none (sklearn's CV splitters). The final word is the engine's:
:func:`validate_params` builds the step exactly as the pipeline parser does, so a caller
refuses precisely what a run would refuse.

Readers: the editor's inspector (a form, values refused as typed), the editor document's
finetune check, and ``nirdesk info STEP`` (engine.info). Importing this module is cheap
(scikit-learn is imported inside the functions that need it).

ParamField.kind -> widget:

    "int"            integer spin box (minimum/maximum; None = unbounded)
    "float"          float field (minimum/maximum, *_inclusive)
    "none_or_int"    optional integer (empty = null)
    "none_or_float"  optional float (empty = null)
    "bool"           check box
    "choice"         combo box of ``choices`` (None among them = null allowed)
    "str"            free text
    "json"           free text read as JSON (tuples, lists, mixed types such as max_features)

A numeric field with non-empty ``choices`` also accepts those strings (e.g. SVR gamma:
a float or "scale"/"auto"): show an editable combo.
"""
from __future__ import annotations

import inspect
import json
import math
import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine import registry
from engine.errors import SpecError

if TYPE_CHECKING:  # scikit-learn at import: only for the type checker
    from engine.tuning.space import FinetuneConfig

__all__ = ["ParamField", "field_rule", "finetune_dimension_kinds", "finetune_error",
           "param_fields", "validate_finetune", "validate_params", "validate_value"]

#: The range types the finetune section offers (engine.tuning.space accepts these plus int_log).
finetune_dimension_kinds = ("int", "float", "float_log", "categorical")


@dataclass(frozen=True)
class ParamField:
    """One constructor parameter as the inspector shows it (see the module docstring)."""

    name: str
    kind: str
    default: Any = None
    minimum: float | int | None = None
    maximum: float | int | None = None
    choices: tuple = ()
    description: str = ""
    min_inclusive: bool = True
    max_inclusive: bool = True

    @property
    def nullable(self) -> bool:
        return self.kind.startswith("none_or_") or (self.kind == "choice" and None in self.choices)


#: The bounds of a seed (scikit-learn's convention for ``random_state``: an int, or None).
_SEED_BOUNDS = (0, 2**32 - 1)


def _resolve(step: str | type) -> tuple[type[Any], str]:
    if isinstance(step, type):  # what inspect.isclass tests
        return step, registry.short_name_of(step)
    try:
        return registry.resolve_class(step), step
    except SpecError as exc:
        raise ValueError(str(exc)) from None


def _doc_lines(cls: type) -> dict[str, str]:
    """The first paragraph describing each parameter in a numpydoc "Parameters" section
    (its indented lines up to a blank line, joined); "start, stop : float" describes both."""
    doc = inspect.getdoc(cls) or ""
    out: dict[str, str] = {}
    lines = doc.splitlines()
    for k, line in enumerate(lines):
        if " : " in line and not line.startswith(" "):
            names = [n.strip() for n in line.split(" : ", 1)[0].split(",")]
            if not all(n.isidentifier() for n in names):
                continue
            text = []
            for follow in lines[k + 1:]:
                if not follow.startswith(" ") or not follow.strip():
                    break
                text.append(follow.strip())
            for name in names:
                if text:
                    out.setdefault(name, " ".join(text))
    return out


def param_fields(step: str | type) -> list[ParamField]:
    """The inspector fields of a step class (registry name, dotted path or class), in
    constructor order. ValueError for an unknown class."""
    cls = _resolve(step)[0]
    # an operator's wavelength axis is the engine's to inject (needs_wavelengths), never typed
    hidden = {"wavelengths"} if getattr(cls, "needs_wavelengths", False) else set()
    sig = [p for p in list(inspect.signature(cls.__init__).parameters.values())[1:]
           if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name not in hidden]
    constraints = getattr(cls, "_parameter_constraints", None) or {}
    docs = _doc_lines(cls)
    fields = []
    for p in sig:
        default = None if p.default is p.empty else p.default
        desc = docs.get(p.name, "")
        if p.name in constraints and constraints[p.name] != "no_validation":
            field = _from_constraints(p.name, default, constraints[p.name], desc)
            if isinstance(default, (tuple, list)) and field.kind != "json":
                field = ParamField(p.name, "json", default, choices=field.choices,
                                   description=desc)   # hidden_layer_sizes=(100,)
            elif isinstance(default, bool) and field.kind == "int":
                field = ParamField(p.name, "bool", default, description=desc)  # verbose=False
            fields.append(field)
        else:
            fields.append(_from_default(p.name, default, desc))
    return fields


def _from_default(name: str, default: Any, desc: str) -> ParamField:
    """The field of a parameter without constraints, from its default's type."""
    if name == "random_state" and (default is None or isinstance(default, numbers.Integral)):
        return ParamField(name, "none_or_int", default, *_SEED_BOUNDS, (), desc)
    if isinstance(default, bool):
        kind = "bool"
    elif isinstance(default, numbers.Integral):
        kind = "int"
    elif isinstance(default, numbers.Real):
        kind = "float"
    elif isinstance(default, str):
        kind = "str"
    else:
        kind = "json"
    return ParamField(name, kind, default, description=desc)


def _from_constraints(name: str, default: Any, cons: list, desc: str) -> ParamField:
    """ParamField from sklearn's constraint list (Interval, StrOptions, "boolean", None...)."""
    from sklearn.utils._param_validation import Hidden, Interval, Options

    from engine.constraints import ordered_options

    nullable = any(c is None for c in cons)
    visible = [c for c in cons if not isinstance(c, Hidden) and not getattr(c, "hidden", False)]
    int_iv = [c for c in visible if isinstance(c, Interval) and c.type is numbers.Integral]
    real_iv = [c for c in visible if isinstance(c, Interval) and c.type is not numbers.Integral]
    strs: list[Any] = []
    for c in visible:
        if isinstance(c, Options):  # StrOptions and nirdesk's ordered Choices among them
            strs += ordered_options(c)
    boolean = "boolean" in visible or bool in visible
    others = [c for c in visible if c is not None and not isinstance(c, (Interval, Options))
              and c not in ("boolean", bool)]
    if "random_state" in visible:
        return ParamField(name, "none_or_int", default, *_SEED_BOUNDS, (), desc)
    if "verbose" in visible:
        return ParamField(name, "int", default, 0, None, (), desc)
    if boolean and not int_iv and not real_iv and not strs:
        return ParamField(name, "bool", default, description=desc)
    if strs and not int_iv and not real_iv and not boolean:
        return ParamField(name, "choice", default, choices=tuple(strs) + ((None,) if nullable
                                                                          else ()),
                          description=desc)

    def bounds(iv: Any) -> tuple[Any, Any, bool, bool]:
        """(minimum, maximum, inclusive flags); an infinite bound is no bound (None)."""
        lo = None if iv.left is None or iv.left == -math.inf else iv.left
        hi = None if iv.right is None or iv.right == math.inf else iv.right
        return lo, hi, iv.closed in ("left", "both"), iv.closed in ("right", "both")

    if (int_iv and real_iv) or boolean or (others and not int_iv and not real_iv):
        # mixed types (max_features: float fraction, int count or "sqrt"): typed as JSON
        if not (int_iv or real_iv) and numbers.Integral in others and not boolean:
            return ParamField(name, "none_or_int" if nullable else "int", default,
                              choices=tuple(strs), description=desc)
        return ParamField(name, "json", default, choices=tuple(strs), description=desc)
    if int_iv:
        lo, hi, lo_in, hi_in = bounds(int_iv[0])
        kind = "none_or_int" if nullable else "int"
        return ParamField(name, kind, default, lo, hi, tuple(strs), desc, lo_in, hi_in)
    if real_iv:
        lo, hi, lo_in, hi_in = bounds(real_iv[0])
        kind = "none_or_float" if nullable else "float"
        return ParamField(name, kind, default, lo, hi, tuple(strs), desc, lo_in, hi_in)
    return _from_default(name, default, desc)


def field_rule(field: ParamField) -> str:
    """What a field accepts, in words: "integer >= 1", "number in (0, 1)", "one of mean,
    median", "integer or None", "true or false" (``nirdesk info STEP`` prints it)."""
    def bound(value: float) -> str:
        return str(value) if isinstance(value, numbers.Integral) else f"{value:g}"

    def number(noun: str) -> str:
        lo, hi = field.minimum, field.maximum
        if lo is not None and hi is not None:
            return (f"{noun} in {'[' if field.min_inclusive else '('}{bound(lo)}, "
                    f"{bound(hi)}{']' if field.max_inclusive else ')'}")
        if lo is not None:
            return f"{noun} {'>=' if field.min_inclusive else '>'} {bound(lo)}"
        if hi is not None:
            return f"{noun} {'<=' if field.max_inclusive else '<'} {bound(hi)}"
        return noun

    kind = field.kind
    if kind == "choice":
        return "one of " + ", ".join("None" if c is None else str(c) for c in field.choices)
    words = {"int": number("integer"), "none_or_int": number("integer") + " or None",
             "float": number("number"), "none_or_float": number("number") + " or None",
             "bool": "true or false", "str": "text", "json": "a JSON value"}.get(kind, kind)
    if field.choices:
        words += " or one of " + ", ".join(str(c) for c in field.choices if c is not None)
    return words


# -- validation as typed ---------------------------------------------------------------------

def _in_bounds(field: ParamField, value: float) -> str | None:
    lo, hi = field.minimum, field.maximum
    if lo is not None and (value < lo or (value == lo and not field.min_inclusive)):
        op = ">=" if field.min_inclusive else ">"
        return f"{field.name} must be {op} {lo:g}, got {value:g}"
    if hi is not None and (value > hi or (value == hi and not field.max_inclusive)):
        op = "<=" if field.max_inclusive else "<"
        return f"{field.name} must be {op} {hi:g}, got {value:g}"
    return None


def validate_value(field: ParamField, value: Any) -> tuple[Any, str | None]:
    """Parse what the user typed (text, or a widget's value) into the parameter's value.

    Returns (value, None) when acceptable, else (None, a one-line message). Only the field's
    own rule is checked here; rules between parameters (polyorder < window_length) are the
    step's: see :func:`validate_params`.
    """
    text = value.strip() if isinstance(value, str) else None
    kind = field.kind
    if text is not None and text == "" and (field.nullable or kind == "json"):
        return None, None
    if text is not None and text.lower() in ("none", "null") and field.nullable:
        return None, None
    if value is None:
        return (None, None) if field.nullable else (None, f"{field.name} needs a value")
    if field.choices and text is not None and text in field.choices:
        return text, None
    if kind in ("int", "none_or_int"):
        if isinstance(value, bool):
            return None, f"{field.name} must be a whole number, got {value!r}"
        if text is not None:
            try:
                number = int(text)
            except ValueError:
                try:
                    as_float = float(text)
                except ValueError:
                    as_float = math.nan
                if math.isfinite(as_float) and as_float.is_integer():
                    number = int(as_float)
                else:
                    extra = f" or one of {', '.join(map(str, field.choices))}" \
                        if field.choices else ""
                    return None, f"{field.name} must be a whole number{extra}, got {text!r}"
        elif isinstance(value, numbers.Integral) or (isinstance(value, float)
                                                     and value.is_integer()):
            number = int(value)
        else:
            return None, f"{field.name} must be a whole number, got {value!r}"
        problem = _in_bounds(field, number)
        return (None, problem) if problem else (number, None)
    if kind in ("float", "none_or_float"):
        if isinstance(value, bool):
            return None, f"{field.name} must be a number, got {value!r}"
        try:
            real = float(text if text is not None else value)
        except (TypeError, ValueError):
            extra = f" or one of {', '.join(map(str, field.choices))}" if field.choices else ""
            return None, f"{field.name} must be a number{extra}, got {value!r}"
        if not math.isfinite(real):
            return None, f"{field.name} must be a finite number, got {value!r}"
        problem = _in_bounds(field, real)
        if problem:
            return None, problem
        # keep integers integral ("1" -> 1): the JSON stays as the user wrote it
        if text is not None and text.lstrip("+-").isdigit():
            return int(text), None
        return real, None
    if kind == "bool":
        if isinstance(value, bool):
            return value, None
        if text is not None and text.lower() in ("true", "false", "yes", "no", "1", "0"):
            return text.lower() in ("true", "yes", "1"), None
        return None, f"{field.name} must be true or false, got {value!r}"
    if kind == "choice":
        if value in field.choices:
            return value, None
        shown = ", ".join("null" if c is None else str(c) for c in field.choices)
        return None, f"{field.name} must be one of {shown}, got {value!r}"
    if kind == "str":
        return (text if text is not None else str(value)), None
    # json
    if text is None:
        return value, None
    try:
        return json.loads(text), None
    except json.JSONDecodeError:
        if field.choices and text not in field.choices:
            return None, (f"{field.name}: {text!r} is not a number, list or one of "
                          f"{', '.join(map(str, field.choices))}")
        return text, None


def validate_params(step: str | type, params: dict[str, Any]) -> str | None:
    """None if a step of class ``step`` with ``params`` is valid, else the engine's message
    (built and checked exactly as the pipeline parser does)."""
    from engine.pipeline.steps import parse_step

    _, name = _resolve(step)
    try:
        parse_step({"class": name, "params": params}, ())
    except SpecError as exc:
        return exc.message
    return None


# -- finetune ----------------------------------------------------------------------------------

def validate_finetune(finetune: dict[str, Any],
                      step: str | type | None = None) -> FinetuneConfig:
    """The engine's FinetuneConfig for ``finetune`` (engine.tuning.space.parse_finetune, the
    tuner's own check); ValueError with its message when invalid. With ``step`` (the model's
    class), the metric must suit its task and model_params must name its parameters."""
    from engine.tuning.space import parse_finetune

    classification = False
    cls = None
    if step:
        cls, _ = _resolve(step)
        classification = registry.task_of(cls) == "classification"
    try:
        config = parse_finetune(finetune, classification=classification)
    except SpecError as exc:
        raise ValueError(exc.message) from None
    if cls is not None:
        valid = [p.name for p in param_fields(cls)]
        for dim in config.dimensions:
            if "__" not in dim.key and dim.key not in valid:
                raise ValueError(f"finetune_params.model_params: {cls.__name__} has no "
                                 f"parameter {dim.key!r} (valid: {', '.join(valid)})")
    return config


def finetune_error(finetune: dict[str, Any], step: str | type | None = None) -> str | None:
    """None when :func:`validate_finetune` accepts ``finetune``, else its message."""
    try:
        validate_finetune(finetune, step)
    except ValueError as exc:
        return str(exc)
    return None
