"""Is a model loaded from a project one that predict can use? Checked before it is used.

Why: the skops trust check says which *types* a blob may hold, not that they form a model.
A crafted blob made only of trusted types (an empty ``Pipeline``, a pipeline of unfitted
steps, a model fitted on 3 columns saved beside a 100-wavelength axis) passed it, and predict
then ended in a traceback deep in scikit-learn. What predict needs is checked here, and a
blob that lacks it is refused in one line naming the project, run and branch, like a damaged
one.
"""
from __future__ import annotations

from typing import Any

from engine.errors import InputError

__all__ = ["check_predictable"]


def check_predictable(model: Any, n_features: int, where: str) -> None:
    """InputError unless ``model`` is a fitted estimator with ``predict`` that takes
    ``n_features`` columns (a Pipeline: non-empty, every step but the last a fitted
    transformer, the last a fitted predictor)."""
    from sklearn.exceptions import NotFittedError
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    def refuse(what: str) -> InputError:
        return InputError(f"the saved model cannot be used to predict: {what}", file=where)

    raw: list[Any] = []
    if isinstance(model, Pipeline):
        value = getattr(model, "steps", None)
        if not isinstance(value, list) or not value:
            raise refuse("its pipeline has no steps")
        raw = value
    if not callable(getattr(model, "predict", None)) or not callable(
            getattr(model, "get_params", None)):
        raise refuse(f"it is a {type(model).__name__}, not a fitted model")
    steps = [model]
    if raw:
        if not all(isinstance(s, tuple) and len(s) == 2 for s in raw):
            raise refuse("its pipeline's steps are not (name, estimator) pairs")
        steps = [s for _, s in raw]
        for step in steps[:-1]:
            if step != "passthrough" and step is not None and not callable(
                    getattr(step, "transform", None)):
                raise refuse(f"its step {type(step).__name__} is not a transformer")
        if not callable(getattr(steps[-1], "predict", None)):
            raise refuse(f"its last step {type(steps[-1]).__name__} has no predict")
    for step in steps:
        if step in ("passthrough", None):
            continue
        try:
            check_is_fitted(step)
        except NotFittedError:
            raise refuse(f"{type(step).__name__} was never fitted") from None
        except TypeError as exc:  # check_is_fitted refuses what is no estimator at all
            raise refuse(str(exc)) from None
    first = next((s for s in steps if s not in ("passthrough", None)), None)
    expected = getattr(first, "n_features_in_", None)
    if isinstance(expected, int) and expected != n_features:
        raise refuse(f"it was fitted on {expected} columns but the project gives its "
                     f"wavelengths as {n_features}")
