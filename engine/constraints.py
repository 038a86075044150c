"""scikit-learn's parameter constraints, put into words, and the check that uses them.

Why: a step's valid parameter values are declared once, as data, in scikit-learn's own
vocabulary (``_parameter_constraints``: ``Interval``, ``StrOptions``, ``"boolean"``, ``None``,
...; see ``sklearn.utils._param_validation``). That one declaration serves every reader: the
data-free check that runs when a pipeline is parsed and again in ``fit`` (here), the editor's
inspector fields and ``nirdesk info STEP`` (engine.pipeline.params). scikit-learn decides
whether a value satisfies a constraint; nirdesk words the refusal the way a person reads it:

    SavitzkyGolay: window_length must be an integer >= 1; got 0
    Baseline: p must be a finite number in (0, 1); got 1.0

One rule is nirdesk's own: a bool is never accepted as a number (Python counts ``True`` as an
integer, so scikit-learn's ``Interval(Integral, ...)`` would take it); a parameter that is a
flag says so with ``"boolean"``.

This module imports scikit-learn: import it where an estimator is checked, never on the
window's start-up path (engine.pipeline.params imports it inside its functions).
"""
from __future__ import annotations

import math
import reprlib
from collections.abc import Mapping, Sequence
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.utils._param_validation import (
    Hidden,
    Interval,
    InvalidParameterError,
    Options,
    RealNotInt,
    StrOptions,
    make_constraint,
    validate_parameter_constraints,
)

__all__ = ["Choices", "check_constraints", "describe_constraints", "ordered_options"]

_REPR = reprlib.Repr()
_REPR.maxstring = 60
_REPR.maxother = 60
_REPR.maxlist = 6


class Choices(StrOptions):
    """scikit-learn's ``StrOptions`` that keeps the order its options were written in.

    ``StrOptions`` holds a set (membership is all scikit-learn needs); the order is what a
    person reads, so the inspector's combo box and the refusal message list the options as
    the step's author wrote them: ``Choices("vector", "area", "max")``.
    """

    def __init__(self, *options: str, deprecated: set[str] | None = None) -> None:
        super().__init__(set(options), deprecated=deprecated)
        self.order = tuple(options)

    def __str__(self) -> str:
        shown = ", ".join(self._mark_if_deprecated(o) for o in self.order)
        return f"a str among {{{shown}}}"


def ordered_options(constraint: Any) -> list[Any]:
    """The options of a ``Choices``/``StrOptions``/``Options`` constraint, deprecated ones
    left out: in the written order for ``Choices``, sorted for a plain (unordered) set."""
    deprecated: set[Any] = getattr(constraint, "deprecated", set())
    order = getattr(constraint, "order", None)
    options = list(order) if order is not None else sorted(constraint.options, key=repr)
    return [o for o in options if o not in deprecated]


def _bound(value: Any, default: float) -> str:
    number = default if value is None else value
    return f"{number:g}" if isinstance(number, float) else str(number)


def _interval_words(iv: Interval) -> str:
    """"an integer >= 1", "a finite number in (0, 1)", "a float in (0, 1)", "a finite number"."""
    lo_in = iv.closed in ("left", "both")
    hi_in = iv.closed in ("right", "both")
    if iv.type is Integral:
        if iv.left is not None and iv.right is not None:
            return (f"an integer in {'[' if lo_in else '('}{iv.left}, "
                    f"{iv.right}{']' if hi_in else ')'}")
        if iv.left is not None:
            return f"an integer {'>=' if lo_in else '>'} {iv.left}"
        if iv.right is not None:
            return f"an integer {'<=' if hi_in else '<'} {iv.right}"
        return "an integer"
    # An unbounded end that is closed admits infinity (sklearn's convention), an open one not.
    finite = not ((iv.left is None and lo_in) or (iv.right is None and hi_in))
    noun = "float" if iv.type is RealNotInt else "number"
    adjective = "finite " if finite and noun == "number" else ""
    if iv.left is None and iv.right is None:
        return f"a {adjective}{noun}"
    low = "-inf" if iv.left is None else _bound(iv.left, -math.inf)
    high = "inf" if iv.right is None else _bound(iv.right, math.inf)
    return f"a {adjective}{noun} in {'[' if lo_in else '('}{low}, {high}{']' if hi_in else ')'}"


_TYPE_WORDS = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               list: "a list", tuple: "a list", dict: "an object (dict)"}


def _one_constraint_words(constraint: Any) -> str | None:
    """Words for one constraint; None for a hidden one (not meant to be shown)."""
    if isinstance(constraint, Hidden):
        return None
    if constraint is None:
        return "None"
    if isinstance(constraint, Interval):
        return _interval_words(constraint)
    if isinstance(constraint, Options):
        return "one of " + ", ".join(repr(o) for o in ordered_options(constraint))
    if isinstance(constraint, type):
        return _TYPE_WORDS.get(constraint, f"an instance of {constraint.__name__}")
    if isinstance(constraint, str):
        words = {"boolean": "true or false", "array-like": "an array-like (list or array)",
                 "random_state": "an integer seed, a RandomState or None",
                 "verbose": "a verbosity level (an integer or true/false)",
                 "sparse matrix": "a sparse matrix", "cv_object": "a number of folds or a "
                 "splitter", "nan": "NaN"}
        if constraint in words:
            return words[constraint]
    if constraint is callable:
        return "a callable"
    return str(make_constraint(constraint))


def describe_constraints(constraints: Sequence[Any]) -> str:
    """One parameter's constraints as a phrase: "None or a finite number",
    "an integer >= 1", "one of 'mean', 'median'" (hidden constraints left out)."""
    parts: list[str] = []
    for constraint in constraints:
        words = _one_constraint_words(constraint)
        if words is not None and words not in parts:
            parts.append(words)
    if not parts:
        return "valid"
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def _allows_bool(constraints: Sequence[Any]) -> bool:
    return any(c in ("boolean", "verbose") or c is bool or c is object
               or (isinstance(c, Options) and any(isinstance(o, bool) for o in c.options))
               for c in constraints if not isinstance(c, (Interval, Hidden)))


def check_constraints(owner: str, constraints: Mapping[str, Any],
                      params: Mapping[str, Any]) -> None:
    """Raise InvalidParameterError (a ValueError and a TypeError, as scikit-learn's) for the
    first parameter whose value satisfies none of its constraints, in nirdesk's words:
    "OWNER: NAME must be WORDS; got VALUE". scikit-learn's own
    ``validate_parameter_constraints`` decides; parameters without constraints pass."""
    for name, value in params.items():
        cons = constraints.get(name)
        if cons is None or cons == "no_validation":
            continue
        refused = isinstance(value, (bool, np.bool_)) and not _allows_bool(cons)
        if not refused:
            try:
                validate_parameter_constraints({name: cons}, {name: value}, owner)
            except InvalidParameterError:
                refused = True
        if refused:
            raise InvalidParameterError(f"{owner}: {name} must be {describe_constraints(cons)}; "
                                        f"got {_REPR.repr(value)}")
