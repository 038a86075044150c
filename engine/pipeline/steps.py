"""One step of a pipeline spec (JSON value or Python object) -> a validated StepSpec.

Why separate from the branch logic: resolving a class, checking its parameters and writing
the step back in normal JSON form is the same wherever the step sits; the errors it raises
carry the step's ``where`` (so the CLI can print one line) and its ``path`` (so the GUI can
point at the card without reading the text).
"""
from __future__ import annotations

import copy
import dataclasses
import difflib
import inspect
from typing import Any

import numpy as np

from engine import registry
from engine.errors import SpecError
from engine.pipeline.branches import StepSpec

__all__ = ["STEP_KINDS", "as_json_step", "default_splitter", "parse_step", "step_class",
           "step_kind", "step_params", "to_jsonable", "type_name", "where_of"]

#: registry kind -> StepSpec.kind
STEP_KINDS = {"preprocessing": "operator", "scaling": "operator", "model": "model",
              "splitter": "splitter"}
_CLASS_KEYS = ("class", "params", "enabled")
_MODEL_KEYS = ("model", "finetune_params", "enabled")


def where_of(path: tuple[int, ...], label: str | None = None) -> str:
    """The readable form of a step or lane address: (1, 0, 0) with label "SavitzkyGolay" ->
    "step 2 > branch 1 > step 1 (SavitzkyGolay)"; (0, 1) -> "step 1 > branch 2".

    Addresses are 0-based indices, steps at even positions and lanes at odd ones (the
    editor's addresses, SpecError.path); the text counts from 1, as users do.
    """
    text = " > ".join(f"{'branch' if k % 2 else 'step'} {i + 1}" for k, i in enumerate(path))
    return f"{text} ({label})" if label else text


def type_name(value: Any) -> str:
    """How a value reads in a message about JSON types ("a list", "null", "KFold")."""
    return {dict: "an object", list: "a list", tuple: "a list", str: "a string",
            bool: "a boolean", int: "a number", float: "a number",
            type(None): "null"}.get(type(value), type(value).__name__)


# -- JSON values --------------------------------------------------------------------------

class _NotJsonable(TypeError):
    pass


def to_jsonable(value: Any) -> Any:
    """The JSON form of a parameter value: tuples and arrays become lists, numpy scalars
    Python ones. Raises TypeError for values a saved pipeline cannot hold (estimators,
    functions, random generators...), since pipelines are stored as JSON (docs/design.md 5)."""
    if isinstance(value, np.generic):  # before int/float: np.float64 subclasses float
        return to_jsonable(value.item())
    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            raise _NotJsonable(f"object keys must be strings, got {bad[0]!r}")
        return {k: to_jsonable(v) for k, v in value.items()}
    raise _NotJsonable(f"a {type(value).__name__}")


def _same(a: Any, b: Any) -> bool:
    """Whether a parameter value equals the class default (same type, NaN == NaN)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and a != a and b != b:
        return True
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - any __eq__/__bool__ may raise (arrays): not the default
        return False


# -- classes and parameters ---------------------------------------------------------------

def _signature(cls: type[Any]) -> tuple[dict[str, inspect.Parameter], bool]:
    """Constructor parameters in declaration order, and whether **kwargs is accepted."""
    params: dict[str, inspect.Parameter] = {}
    var_kw = False
    for p in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        if p.kind is p.VAR_KEYWORD:
            var_kw = True
        elif p.kind is not p.VAR_POSITIONAL:
            params[p.name] = p
    return params, var_kw


def _resolve(value: Any, path: tuple[int, ...], hint: str | None) -> tuple[type, str]:
    """(class, normal name) for a name string or a class object."""
    try:
        if isinstance(value, str):
            cls = registry.resolve_class(value)
            return cls, registry.allowed_name_of(cls)
        if inspect.isclass(value):
            return value, registry.allowed_name_of(value)
    except SpecError as exc:
        raise SpecError(exc.message, where=where_of(path, hint)) from None
    raise SpecError(f"'class' must be a class name (string), got {type_name(value)}",
                    where=where_of(path, hint))


def _check_instance(obj: Any, where: str) -> None:
    """Data-free validation: the operator's check_params() and sklearn's own constraints."""
    checks = []
    if callable(getattr(obj, "check_params", None)):
        checks.append(obj.check_params)
    if hasattr(type(obj), "_parameter_constraints") and callable(
            getattr(obj, "_validate_params", None)):
        checks.append(obj._validate_params)
    for check in checks:
        try:
            check()
        except (ValueError, TypeError) as exc:  # sklearn's InvalidParameterError is both
            raise SpecError(f"bad parameter value: {exc}", where=where) from None


def _build(cls: type, name: str, params: Any, where: str) -> Any:
    """Instantiate ``cls`` from spec params after checking names and values."""
    if not isinstance(params, dict):
        raise SpecError(f"'params' must be an object (dict), got {type_name(params)}",
                        where=where)
    sig, var_kw = _signature(cls)
    for key in params:
        if not isinstance(key, str) or (key not in sig and not var_kw):
            close = difflib.get_close_matches(str(key), list(sig), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            valid = ", ".join(sig) or "(none)"
            raise SpecError(f"unknown parameter {key!r} for {name}{hint} "
                            f"(valid parameters: {valid})", where=where)
    kwargs = {}
    for key, value in params.items():
        default = sig[key].default if key in sig else None
        # JSON has no tuples; give back a tuple where the class default is one
        # (MinMaxScaler.feature_range, MLPRegressor.hidden_layer_sizes).
        kwargs[key] = tuple(value) if isinstance(default, tuple) and isinstance(value, list) \
            else value
    for key, value in kwargs.items():
        if isinstance(value, bool) and _takes_number_not_bool(cls, key, sig[key].default
                                                              if key in sig else None):
            raise SpecError(f"bad parameter value: {key} must be a number, got "
                            f"{str(value).lower()} (a boolean)", where=where)
    try:
        obj = cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"bad parameter value: {exc}", where=where) from None
    _check_instance(obj, where)
    return obj


def _takes_number_not_bool(cls: type, key: str, default: Any) -> bool:
    """Whether parameter ``key`` of ``cls`` wants a number and no boolean.

    Why: Python's True is the integer 1, so scikit-learn's ``Interval(Integral, 1, None)``
    accepts ``"n_components": true`` and the branch only fails (or silently fits one
    component) when it runs. The class's ``_parameter_constraints`` decide: a parameter
    whose constraints hold a number range and neither "boolean" nor bool takes no boolean;
    without constraints, a numeric (non-boolean) default says the same."""
    from numbers import Integral, Real

    constraints = (getattr(cls, "_parameter_constraints", None) or {}).get(key)
    if constraints is None or constraints == "no_validation":
        return (isinstance(default, (int, float)) and not isinstance(default, bool)
                and default is not None)
    if any(c in ("boolean", bool) for c in constraints):
        return False
    return any(getattr(c, "type", None) in (Integral, Real)
               or c in (int, float, Integral, Real) for c in constraints)


def _object_params(obj: Any, name: str, where: str) -> dict[str, Any]:
    """The parameters of an estimator/splitter object that differ from the class defaults."""
    sig, _ = _signature(type(obj))
    if callable(getattr(obj, "get_params", None)):
        current = obj.get_params(deep=False)
    else:  # sklearn splitters have no get_params but store their arguments as attributes
        current = {k: getattr(obj, k) for k in sig if hasattr(obj, k)}
    order = list(sig) + [k for k in current if k not in sig]
    params = {}
    for key in order:
        if key not in current:
            continue
        default = sig[key].default if key in sig else inspect.Parameter.empty
        if default is not inspect.Parameter.empty and _same(current[key], default):
            continue
        try:
            params[key] = to_jsonable(current[key])
        except TypeError as exc:
            raise SpecError(f"parameter {key!r} of {name} holds {exc}, which a pipeline spec "
                            "cannot store (use numbers, strings, booleans, lists, objects or "
                            "null)", where=where) from None
    return params


def _is_step_object(value: Any) -> bool:
    return (callable(getattr(value, "get_params", None)) and callable(getattr(value, "fit", None))
            ) or (callable(getattr(value, "split", None))
                  and callable(getattr(value, "get_n_splits", None)))


def _plain(value: Any, path: tuple[int, ...]) -> tuple[str, str, dict[str, Any], Any]:
    """(kind, normal name, params, template) for a name, a class, an instance or a
    {"class": ..., "params": ...} object (keys other than those are checked by callers)."""
    if isinstance(value, dict):
        cls_value = value.get("class")
        hint = cls_value if isinstance(cls_value, str) else getattr(cls_value, "__name__", None)
        if not inspect.isclass(cls_value) and _is_step_object(cls_value):
            if "params" in value:
                raise SpecError("give either an estimator object or 'params', not both",
                                where=where_of(path, type(cls_value).__name__))
            return _plain(cls_value, path)
        cls, name = _resolve(cls_value, path, hint)
        where = where_of(path, name)
        raw = value.get("params", {})
        if isinstance(raw, dict):
            try:
                raw = to_jsonable(raw)
            except TypeError as exc:
                raise SpecError(f"'params' holds {exc}, which a pipeline spec cannot store",
                                where=where) from None
        template = _build(cls, name, raw, where)
        params = raw
    elif isinstance(value, str) or inspect.isclass(value):
        hint = value if isinstance(value, str) else value.__name__
        cls, name = _resolve(value, path, hint)
        where = where_of(path, name)
        params, template = {}, _build(cls, name, {}, where)
    elif _is_step_object(value):
        try:
            name = registry.allowed_name_of(value)
        except SpecError as exc:
            raise SpecError(exc.message, where=where_of(path, type(value).__name__)) from None
        cls, where = type(value), where_of(path, name)
        params, template = _object_params(value, name, where), value
        _check_instance(value, where)
    else:
        raise SpecError("a step must be a class name, {\"class\": ..., \"params\": {...}}, "
                        "{\"model\": ..., \"finetune_params\": {...}}, {\"branch\": ...} or an "
                        f"estimator; got {type_name(value)}", where=where_of(path))
    kind = registry.kind_of(cls)
    if kind is None:
        raise SpecError(f"{name} is neither a preprocessing operator, a model nor a CV "
                        "splitter", where=where)
    return STEP_KINDS[kind], name, params, template


def _check_keys(value: dict, allowed: tuple[str, ...], where: str) -> None:
    for key in value:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise SpecError(f"unknown key {key!r} in step{hint} (valid keys: "
                            f"{', '.join(allowed)})", where=where)


def _enabled(value: dict, where: str) -> bool:
    enabled = value.get("enabled", True)
    if not isinstance(enabled, bool):
        raise SpecError(f"'enabled' must be true or false, got {type_name(enabled)}",
                        where=where)
    return enabled


# -- finetune -----------------------------------------------------------------------------

def _finetune(value: Any, template: Any, name: str, where: str) -> dict[str, Any]:
    """finetune_params as a JSON dict (tuples -> lists); shallow checks only (the tuner
    validates the search space itself)."""
    if not isinstance(value, dict):
        raise SpecError(f"'finetune_params' must be an object (dict), got {type_name(value)}",
                        where=where)
    try:
        ft = to_jsonable(value)
    except TypeError as exc:
        raise SpecError(f"'finetune_params' holds {exc}, which a pipeline spec cannot store",
                        where=where) from None
    for key, low in (("n_trials", 1), ("n_jobs", None)):
        if key in ft:
            v = ft[key]
            ok = isinstance(v, int) and not isinstance(v, bool) and (
                v >= 1 if low else (v == -1 or v >= 1))
            if not ok:
                allowed = "an integer >= 1" if low else "-1 (auto) or an integer >= 1"
                raise SpecError(f"finetune_params.{key} must be {allowed}, got {v!r}",
                                where=where)
    if "model_params" in ft:
        space = ft["model_params"]
        if not isinstance(space, dict):
            raise SpecError("finetune_params.model_params must be an object (dict) mapping "
                            f"parameter names to ranges, got {type_name(space)}", where=where)
        sig, var_kw = _signature(type(template))
        for key in space:
            if "__" in key:  # a preprocessing step's parameter: checked against the branch's
                continue     # pipeline when the run resolves it
            if key not in sig and not var_kw:
                raise SpecError(f"finetune_params.model_params: unknown parameter {key!r} for "
                                f"{name} (valid parameters: {', '.join(sig)})", where=where)
    return ft


# -- steps --------------------------------------------------------------------------------

def parse_step(value: Any, path: tuple[int, ...], parent_enabled: bool = True
               ) -> tuple[StepSpec, Any]:
    """A non-branch step at address ``path`` -> (StepSpec, its normal JSON form).

    ``StepSpec.enabled`` is False when the step or an enclosing branch step is disabled;
    the JSON carries only the step's own flag. ``StepSpec.path`` is ``path`` (None for the
    empty address of a step checked on its own). A SpecError names the step both ways:
    ``where`` for people, ``path`` for programs.
    """
    address = tuple(path) or None
    try:
        step, js = _parse_step(value, path, parent_enabled)
    except SpecError as exc:
        if exc.path is not None or address is None:
            raise
        raise SpecError(exc.message, where=exc.where, path=address) from None
    return dataclasses.replace(step, path=address), js


def _parse_step(value: Any, path: tuple[int, ...], parent_enabled: bool
                ) -> tuple[StepSpec, Any]:
    if isinstance(value, dict):
        if "model" in value:
            return _model_step(value, path, parent_enabled)
        if "class" not in value:
            keys = ", ".join(map(str, value)) or "none"
            if "_or_" in value:
                msg = "'_or_' is only supported inside a branch: {\"branch\": {\"_or_\": [...]}}"
            else:
                msg = f"a step object needs 'class', 'model' or 'branch' (got keys: {keys})"
            raise SpecError(msg, where=where_of(path))
        kind, name, params, template = _plain(value, path)
        where = where_of(path, name)
        _check_keys(value, _CLASS_KEYS, where)
        own = _enabled(value, where)
    else:
        kind, name, params, template = _plain(value, path)
        own = True
    step = StepSpec(kind=kind, class_name=name, params=params, estimator=template, enabled=own)
    js = step.to_json()
    return dataclasses.replace(step, enabled=own and parent_enabled), js


def _model_step(value: dict, path: tuple[int, ...], parent_enabled: bool
                ) -> tuple[StepSpec, Any]:
    """{"model": <step>, "finetune_params": {...}} (finetune_params optional)."""
    inner = value["model"]
    if isinstance(inner, dict):
        hint = inner.get("class") if isinstance(inner.get("class"), str) else None
        _check_keys(inner, ("class", "params"), where_of(path, hint))
        if "class" not in inner:
            raise SpecError("'model' needs a 'class'", where=where_of(path))
    kind, name, params, template = _plain(inner, path)
    where = where_of(path, name)
    _check_keys(value, _MODEL_KEYS, where)
    if kind != "model":
        raise SpecError(f"'model' must name a model; {name} is a "
                        f"{'splitter' if kind == 'splitter' else 'preprocessing step'}",
                        where=where)
    own = _enabled(value, where)
    finetune = None
    if "finetune_params" in value:
        finetune = _finetune(value["finetune_params"], template, name, where)
    step = StepSpec(kind="model", class_name=name, params=params, estimator=template,
                    finetune=finetune, enabled=own)
    js = step.to_json()
    return dataclasses.replace(step, enabled=own and parent_enabled), js


def default_splitter() -> StepSpec:
    """KFold(5, shuffle=True, random_state=0): used by every model no splitter step precedes."""
    from sklearn.model_selection import KFold
    params = {"n_splits": 5, "shuffle": True, "random_state": 0}
    return StepSpec(kind="splitter", class_name="KFold", params=params,
                    estimator=KFold(**params))


# -- JSON steps as a spec holds them --------------------------------------------------------
# What a pipeline file says about one step, read without building it: the editor's cards, the
# policy badges' fixes and the results tables all need the class and parameters of a JSON step.

def as_json_step(step: Any) -> Any:
    """A step in any accepted form -> JSON form (estimator objects become class+params);
    strings and dicts are returned as deep copies, unvalidated (the caller's parse names the
    step's position). ValueError for anything that is not a step."""
    if isinstance(step, (str, dict)):
        return copy.deepcopy(step)
    if isinstance(step, type) or callable(getattr(step, "get_params", None)) or \
            callable(getattr(step, "split", None)):
        try:  # a class or an object is never a branch step: parsed as the one step it is
            return parse_step(step, (0,))[1]
        except SpecError as exc:
            raise ValueError(str(exc)) from None
    raise ValueError("a step must be a class name, {\"class\": ..., \"params\": {...}}, "
                     f"{{\"model\": ...}}, {{\"branch\": ...}} or an estimator; got "
                     f"{type_name(step)}")


def step_class(step: Any) -> str:
    """The class name of a JSON step ("" for branch steps)."""
    if isinstance(step, str):
        return step
    if isinstance(step, dict):
        if "model" in step:
            inner = step["model"]
            return inner if isinstance(inner, str) else str(inner.get("class", ""))
        return str(step.get("class", ""))
    return ""


def step_params(step: Any) -> dict[str, Any]:
    """The explicit parameters of a JSON step (the model's, for a tuned model); a copy."""
    if isinstance(step, dict):
        inner = step.get("model", step)
        if isinstance(inner, dict):
            return dict(inner.get("params") or {})
    return {}


_KIND_CACHE: dict[str, str] = {}


def step_kind(step: Any) -> str:
    """"operator", "model", "splitter", "branch" or "generator" of a JSON step; ValueError
    for a class the registry cannot resolve or that is none of these."""
    if isinstance(step, dict) and "branch" in step:
        return "generator" if isinstance(step["branch"], dict) else "branch"
    if isinstance(step, dict) and "model" in step:
        return "model"
    name = step_class(step)
    if name not in _KIND_CACHE:
        try:
            kind = registry.kind_of(registry.resolve_class(name))
        except SpecError as exc:
            raise ValueError(str(exc)) from None
        if kind is None:
            raise ValueError(f"{name} is neither a preprocessing operator, a model nor a "
                             "CV splitter")
        _KIND_CACHE[name] = STEP_KINDS[kind]
    return _KIND_CACHE[name]
