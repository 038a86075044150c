"""The finetune_params search space: parsing, Optuna sampling, and pipeline parameter names.

Why here and not in the pipeline parser: the parser keeps finetune_params as JSON and only
checks its shape; what a range *means* (types, bounds, which sampler, which step a key
tunes) is needed by the tuner, the GUI editor and the tests alike, so it is decided once,
here, with SpecError messages that name the offending key.

Range forms (JSON lists or the seed guide's Python tuples, interchangeably):

    ("int", lo, hi)          integers lo..hi inclusive (lo <= hi)
    ("int_log", lo, hi)      same, sampled on a log scale (lo >= 1)
    ("float", lo, hi)        floats in [lo, hi] (lo < hi)
    ("float_log", lo, hi)    same, log scale (lo > 0)
    ("categorical", [a, b])  one of the listed values (None, bool, int, float or str)
    [a, b, c]                a bare list of values = categorical

Keys: "n_components" tunes the model (last step); "SavitzkyGolay__window_length" tunes a
preprocessing step (class name, case-insensitive, then ``__`` and the parameter); "model__x",
"<i>__x" (step index as in the step names) and the exact step name ("1_savitzkygolay__x")
work too. Optuna is imported lazily: importing engine modules must stay cheap for the CLI.
"""
from __future__ import annotations

import difflib
import functools
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sklearn.base import clone
from sklearn.pipeline import Pipeline

from engine.errors import SpecError

__all__ = ["FINETUNE_KEYS", "GRID_LIMIT", "KINDS", "METRICS", "SELECTION_RULES", "Dimension",
           "FinetuneConfig", "grid_space", "make_pruner", "make_sampler", "parse_finetune",
           "resolve_param", "suggest", "with_params"]

KINDS = ("int", "int_log", "float", "float_log", "categorical")
#: metric -> (target type, the direction that improves it)
METRICS: dict[str, tuple[str, str]] = {
    "rmse": ("regression", "minimize"), "mae": ("regression", "minimize"),
    "r2": ("regression", "maximize"), "accuracy": ("classification", "maximize"),
    "balanced_accuracy": ("classification", "maximize"),
    "f1_macro": ("classification", "maximize"),
}
FINETUNE_KEYS = ("n_trials", "n_jobs", "timeout", "sampler", "pruner", "metric", "direction",
                 "model_params", "seed", "selection")
#: how the exact PLS sweep picks the component count from its RMSECV curve: "one_se" is the
#: smallest count whose CV error is within one standard error (across folds) of the best
#: (Hastie, Tibshirani & Friedman 2009, sec. 7.10; the parsimony chemometricians use), and
#: "minimum" the plain best value. Optuna searches always take their best trial.
SELECTION_RULES = ("one_se", "minimum")
SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("median",)
#: a grid larger than this is refused: it would never finish, TPE/random is the right tool
GRID_LIMIT = 10_000
_CHOICE_TYPES = (type(None), bool, int, float, str)   # what Optuna can store for a choice


@dataclass(frozen=True)
class Dimension:
    """One tuned parameter: ``key`` as written in model_params, its kind and range."""

    key: str
    kind: str
    low: float | int | None = None
    high: float | int | None = None
    choices: tuple = ()

    @property
    def log(self) -> bool:
        return self.kind.endswith("_log")

    def int_bounds(self) -> tuple[int, int]:
        """(low, high) of an int or int_log dimension (the parser always sets both)."""
        if self.low is None or self.high is None:
            raise ValueError(f"{self.key!r} is {self.kind}, not a numeric range")
        return int(self.low), int(self.high)


@dataclass(frozen=True)
class FinetuneConfig:
    """finetune_params, validated and with defaults filled in.

    n_jobs -1 means "as many as usable CPUs"; the parallel policy caps it later.
    seed: None = use the run's seed (--seed); set, it pins this model's sampler.
    direction is always the metric's own direction (given or derived).
    """

    n_trials: int = 50
    n_jobs: int = 1
    timeout: float | None = None
    sampler: str = "tpe"
    pruner: str | None = None
    metric: str = "rmse"
    direction: str = "minimize"
    dimensions: tuple[Dimension, ...] = ()
    seed: int | None = None
    selection: str = "one_se"

    def dimension(self, key: str) -> Dimension:
        """The dimension written as ``key`` (KeyError if there is none)."""
        for dim in self.dimensions:
            if dim.key == key:
                return dim
        raise KeyError(key)


# -- parsing ---------------------------------------------------------------------------------

def parse_finetune(finetune: Mapping[str, Any], *, classification: bool = False,
                   where: str | None = None) -> FinetuneConfig:
    """Validate finetune_params (JSON or Python form) into a FinetuneConfig.

    ``classification`` selects the default metric (rmse vs balanced_accuracy) and refuses
    metrics of the other task type. Every problem raises SpecError(message, where=where)
    whose message starts with "finetune_params.<key>".
    """
    if not isinstance(finetune, Mapping):
        raise SpecError(f"finetune_params must be an object (dict), got {_type(finetune)}",
                        where=where)
    _check_keys(finetune, where)
    metric, direction = _metric(finetune, classification, where)
    return FinetuneConfig(
        n_trials=_int_field(finetune, "n_trials", 50, allow_auto=False, where=where),
        n_jobs=_int_field(finetune, "n_jobs", 1, allow_auto=True, where=where),
        timeout=_timeout(finetune.get("timeout"), where),
        sampler=_choice_field(finetune, "sampler", "tpe", SAMPLERS, where),
        pruner=_pruner(finetune.get("pruner"), where),
        metric=metric, direction=direction,
        dimensions=_dimensions(finetune.get("model_params", {}), where),
        seed=_seed(finetune.get("seed"), where),
        selection=_choice_field(finetune, "selection", "one_se", SELECTION_RULES, where))


def _type(value: Any) -> str:
    return {dict: "an object", list: "a list", tuple: "a list", str: "a string",
            bool: "a boolean", type(None): "null"}.get(type(value), type(value).__name__)


def _hint(word: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_keys(finetune: Mapping[str, Any], where: str | None) -> None:
    for key in finetune:
        if key not in FINETUNE_KEYS:
            raise SpecError(f"finetune_params: unknown key {key!r}{_hint(str(key), FINETUNE_KEYS)}"
                            f"; known keys: {', '.join(FINETUNE_KEYS)}", where=where)


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(float(value)))


def _int_field(ft: Mapping[str, Any], key: str, default: int, *, allow_auto: bool,
               where: str | None) -> int:
    value = ft.get(key, default)
    if _is_int(value) and (value >= 1 or (allow_auto and value == -1)):
        return int(value)
    allowed = "-1 (all usable CPUs) or an integer >= 1" if allow_auto else "an integer >= 1"
    raise SpecError(f"finetune_params.{key} must be {allowed}, got {value!r}", where=where)


def _timeout(value: Any, where: str | None) -> float | None:
    if value is None:
        return None
    if _is_number(value) and value > 0:
        return float(value)
    raise SpecError(f"finetune_params.timeout must be a number of seconds > 0 (or null for no "
                    f"limit), got {value!r}", where=where)


def _seed(value: Any, where: str | None) -> int | None:
    if value is None or (_is_int(value) and value >= 0):
        return value if value is None else int(value)
    raise SpecError(f"finetune_params.seed must be an integer >= 0 (or null for the run's "
                    f"seed), got {value!r}", where=where)


def _choice_field(ft: Mapping[str, Any], key: str, default: str, known: Sequence[str],
                  where: str | None) -> str:
    value = ft.get(key, default)
    if isinstance(value, str) and value.lower() in known:
        return value.lower()
    hint = _hint(value, known) if isinstance(value, str) else ""
    raise SpecError(f"finetune_params.{key} must be one of {', '.join(known)}, got "
                    f"{value!r}{hint}", where=where)


def _pruner(value: Any, where: str | None) -> str | None:
    if value is None or (isinstance(value, str) and value.lower() == "none"):
        return None
    if isinstance(value, str) and value.lower() in PRUNERS:
        return value.lower()
    raise SpecError(f"finetune_params.pruner must be null or 'median', got {value!r}",
                    where=where)


def _metric(ft: Mapping[str, Any], classification: bool, where: str | None) -> tuple[str, str]:
    """(metric, direction): the metric must suit the target, a given direction must agree."""
    task = "classification" if classification else "regression"
    default = "balanced_accuracy" if classification else "rmse"
    metric = _choice_field(ft, "metric", default, list(METRICS), where)
    metric_task, natural = METRICS[metric]
    if metric_task != task:
        fits = ", ".join(m for m, (t, _) in METRICS.items() if t == task)
        raise SpecError(f"finetune_params.metric {metric!r} is a {metric_task} metric but the "
                        f"target is a {task} target; use one of {fits}", where=where)
    if "direction" not in ft:
        return metric, natural
    direction = _choice_field(ft, "direction", natural, ("minimize", "maximize"), where)
    if direction != natural:
        better = "lower" if natural == "minimize" else "higher"
        raise SpecError(f"finetune_params.direction {direction!r} contradicts the metric "
                        f"{metric!r}, which is better when {better}; drop 'direction' or "
                        f"write {natural!r}", where=where)
    return metric, direction


def _dimensions(space: Any, where: str | None) -> tuple[Dimension, ...]:
    """model_params -> Dimensions in the order written (the order Optuna suggests them)."""
    if not isinstance(space, Mapping):
        raise SpecError("finetune_params.model_params must be an object mapping parameter "
                        f"names to ranges, got {_type(space)}", where=where)
    dims = []
    for key, value in space.items():
        if not isinstance(key, str) or not key or key.startswith("__") or key.endswith("__"):
            raise SpecError(f"finetune_params.model_params: {key!r} is not a parameter name",
                            where=where)
        dims.append(parse_dimension(key, value, where=where))
    return tuple(dims)


def parse_dimension(key: str, value: Any, *, where: str | None = None) -> Dimension:
    """One model_params entry -> Dimension (SpecError naming the key if malformed)."""
    label = f"finetune_params.model_params.{key}"
    if not isinstance(value, (list, tuple)) or not value:
        raise SpecError(f"{label}: expected a range such as ['int', 1, 25], "
                        f"['float_log', 1e-5, 1e3], ['categorical', [...]] or a non-empty list "
                        f"of values, got {value!r}", where=where)
    head = value[0]
    if isinstance(head, str) and head in KINDS:
        if head == "categorical":
            return _categorical(key, value, label, where)
        return _numeric(key, value, label, where)
    if isinstance(head, str) and _looks_like_typed(value):
        raise SpecError(f"{label}: unknown range type {head!r}{_hint(head, KINDS)}; types are "
                        f"{', '.join(KINDS)} (for a list of values write ['categorical', [...]])",
                        where=where)
    return Dimension(key, "categorical", choices=_choices(list(value), label, where))


def _looks_like_typed(value: Sequence[Any]) -> bool:
    """['integer', 1, 25] is a misspelt range, not three choices: refuse it rather than
    silently tuning over the strings and numbers."""
    head, rest = value[0], list(value[1:])
    shaped = (len(rest) == 2 and all(_is_number(v) for v in rest)) or (
        len(rest) == 1 and isinstance(rest[0], (list, tuple)))
    return shaped and bool(difflib.get_close_matches(head.lower(), KINDS, n=1, cutoff=0.6))


def _numeric(key: str, value: Sequence[Any], label: str, where: str | None) -> Dimension:
    kind = value[0]
    if len(value) != 3:
        raise SpecError(f"{label}: write [{kind!r}, low, high], got {list(value)!r}", where=where)
    low, high = value[1], value[2]
    is_int = kind.startswith("int")
    check = _is_int if is_int else _is_number
    if not (check(low) and check(high)):
        what = "integers" if is_int else "finite numbers"
        raise SpecError(f"{label}: {kind} bounds must be {what}, got {low!r} and {high!r}",
                        where=where)
    if (low > high) if is_int else (low >= high):
        rule = "low <= high" if is_int else "low < high"
        raise SpecError(f"{label}: {kind} needs {rule}, got low={low!r}, high={high!r}",
                        where=where)
    if kind.endswith("_log") and low <= 0:
        raise SpecError(f"{label}: a log range needs low > 0, got low={low!r}", where=where)
    cast = int if is_int else float
    return Dimension(key, kind, cast(low), cast(high))


def _categorical(key: str, value: Sequence[Any], label: str, where: str | None) -> Dimension:
    if len(value) != 2 or not isinstance(value[1], (list, tuple)):
        raise SpecError(f"{label}: write ['categorical', [choice, ...]], got {list(value)!r}",
                        where=where)
    return Dimension(key, "categorical", choices=_choices(list(value[1]), label, where))


def _choices(values: list[Any], label: str, where: str | None) -> tuple:
    if not values:
        raise SpecError(f"{label}: the list of choices is empty", where=where)
    for v in values:
        if not isinstance(v, _CHOICE_TYPES) or (isinstance(v, float) and not math.isfinite(v)):
            raise SpecError(f"{label}: choice {v!r} is not a string, number, boolean or null "
                            "(Optuna can only store those)", where=where)
    typed = [(type(v), v) for v in values]
    if len(set(typed)) != len(typed):
        raise SpecError(f"{label}: duplicate choices in {values!r}", where=where)
    return tuple(values)


# -- Optuna ----------------------------------------------------------------------------------

def suggest(trial: Any, dimensions: Sequence[Dimension]) -> dict[str, object]:
    """Ask an Optuna trial (or FixedTrial) for one value per dimension, keyed as written."""
    params: dict[str, object] = {}
    for dim in dimensions:
        if dim.kind in ("int", "int_log"):
            params[dim.key] = trial.suggest_int(dim.key, dim.low, dim.high, log=dim.log)
        elif dim.kind in ("float", "float_log"):
            params[dim.key] = trial.suggest_float(dim.key, dim.low, dim.high, log=dim.log)
        else:
            params[dim.key] = trial.suggest_categorical(dim.key, list(dim.choices))
    return params


def grid_space(dimensions: Sequence[Dimension], *, where: str | None = None
               ) -> dict[str, list]:
    """The full grid of int (every value lo..hi) and categorical dimensions.

    Why the caller may want it: a grid study has len(product) points; trials beyond that
    repeat points, so a runner can cap n_trials at the grid size.
    """
    space: dict[str, list] = {}
    size = 1
    for dim in dimensions:
        if dim.kind in ("float", "float_log"):
            raise SpecError(f"finetune_params.sampler 'grid' needs int or categorical ranges; "
                            f"{dim.key!r} is {dim.kind} (use 'tpe' or 'random', or list the "
                            "values as categorical)", where=where)
        if dim.kind == "categorical":
            values = list(dim.choices)
        else:
            low, high = dim.int_bounds()
            values = list(range(low, high + 1))
        space[dim.key] = values
        size *= len(values)
        if size > GRID_LIMIT:
            raise SpecError(f"finetune_params.sampler 'grid': the grid has more than "
                            f"{GRID_LIMIT:,} points; narrow the ranges or use 'tpe'", where=where)
    if not space:
        raise SpecError("finetune_params.sampler 'grid' needs at least one range in "
                        "model_params", where=where)
    return space


def make_sampler(config: FinetuneConfig, seed: int, *, where: str | None = None) -> Any:
    """A seeded Optuna sampler; ``config.seed`` (finetune_params.seed), when given, takes
    precedence over ``seed`` (the run's seed) since the user pinned it for this model.
    Same seed and same told values -> same sequence of suggestions."""
    import optuna

    seed = config.seed if config.seed is not None else seed
    if config.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if config.sampler == "grid":
        return _ask_tell_grid_sampler()(grid_space(config.dimensions, where=where), seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


@functools.cache
def _ask_tell_grid_sampler() -> type:
    """GridSampler without its self-stop, for ask/tell studies.

    Why: Optuna's GridSampler calls ``study.stop()`` in ``after_trial`` once the grid is
    exhausted, and ``stop()`` raises RuntimeError outside ``study.optimize`` -- so a plain
    GridSampler makes the ``tell`` of the last grid point fail. Here the caller stops:
    cap n_trials at the grid size (``grid_space``) or check ``sampler.is_exhausted(study)``
    before asking; after exhaustion the sampler revisits grid points.
    """
    import optuna

    class AskTellGridSampler(optuna.samplers.GridSampler):
        def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
            return None

    return AskTellGridSampler


def make_pruner(config: FinetuneConfig) -> Any:
    """None (no pruning) or a MedianPruner (prunes a trial whose fold scores so far are
    worse than the median of earlier trials at the same fold)."""
    if config.pruner is None:
        return None
    import optuna

    return optuna.pruners.MedianPruner()


# -- pipeline parameter names ----------------------------------------------------------------

def resolve_param(pipeline: Pipeline, key: str, *, where: str | None = None) -> str:
    """The ``set_params`` name for a model_params key.

    "n_components" -> "2_plsregression__n_components" (the model, the last step);
    "SavitzkyGolay__window_length" -> "1_savitzkygolay__window_length". The step part
    matches, case-insensitively, "model", a step index "<i>" (as in the names), the step
    name, the name without its "<i>_" prefix, or the estimator's class name. SpecError
    when no step or more than one step matches, or the step has no such parameter.
    """
    model_name, model = pipeline.steps[-1]
    name, param = model_name, key
    if "__" in key:
        step_part, rest = key.split("__", 1)
        step = _match_step(pipeline, step_part, key, where)
        if step is not None:
            name, param = step, rest
        elif key not in model.get_params(deep=True):   # e.g. "regressor__alpha" of a wrapper
            _no_step(pipeline, key, where)
    _check_param(pipeline.named_steps[name], name, param, key, model_name, where)
    return f"{name}__{param}"


def _step_aliases(name: str, est: Any, last: bool) -> set[str]:
    """Every lower-case spelling that names this step in a "step__param" key."""
    prefix, _, rest = name.partition("_")
    aliases = {name.lower(), type(est).__name__.lower()}
    if prefix.isdigit() and rest:
        aliases |= {prefix, rest.lower()}
    if last:
        aliases.add("model")
    return aliases


def _match_step(pipeline: Pipeline, step_part: str, key: str, where: str | None
                ) -> str | None:
    """The one step ``step_part`` names, None if none does; SpecError if several do."""
    n = len(pipeline.steps)
    hits = [name for i, (name, est) in enumerate(pipeline.steps)
            if step_part.lower() in _step_aliases(name, est, i == n - 1)]
    if len(hits) <= 1:
        return hits[0] if hits else None
    raise SpecError(f"finetune_params.model_params: {key!r} matches several steps "
                    f"({', '.join(hits)}); write the step name, e.g. {hits[0]}__"
                    f"{key.split('__', 1)[1]}", where=where)


def _no_step(pipeline: Pipeline, key: str, where: str | None) -> None:
    known = ", ".join(f"{name} ({type(est).__name__})" for name, est in pipeline.steps)
    raise SpecError(f"finetune_params.model_params: {key!r} names no step of this branch "
                    f"(steps: {known}); write StepClass__param, e.g. "
                    f"{type(pipeline.steps[0][1]).__name__}__{key.split('__', 1)[1]}",
                    where=where)


def _check_param(est: Any, name: str, param: str, key: str, model_name: str,
                 where: str | None) -> None:
    valid = list(est.get_params(deep=True))
    if param in valid:
        return
    cls = type(est).__name__
    extra = ""
    if name == model_name and "__" not in key:
        extra = "; a preprocessing step's parameter is written StepClass__param"
    listing = f"valid: {', '.join(valid)}" if valid else "it has no parameters"
    raise SpecError(f"finetune_params.model_params: {cls} has no parameter {param!r}"
                    f"{_hint(param, valid)} ({listing}){extra}", where=where)


def with_params(pipeline: Pipeline, params: Mapping[str, object], *,
                where: str | None = None) -> Pipeline:
    """An unfitted clone of ``pipeline`` with ``params`` (model_params keys) set.

    Why a clone: trials run concurrently from the same template; the template must never
    carry one trial's values into another (or into the refit).
    """
    resolved = {resolve_param(pipeline, key, where=where): value for key, value in params.items()}
    return clone(pipeline).set_params(**resolved)
