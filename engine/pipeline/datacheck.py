"""A branch's parameters checked against the data it will run on, before any fit.

Why before: a Savitzky-Golay window wider than the spectrum or more PLS components than
there are wavelengths can only fail, but scikit-learn says so only inside a fit, so the run
used to start, fail every fold of the branch and report "branch FAILED" (exit 1) when the
spec was simply wrong for this data (exit 2, one line naming the step). Nothing is fitted
here: the checks read the step's own declarations.

* a nirdesk operator's ``_check_n_features(n)`` (the same check its ``fit`` makes) with the
  number of columns at its position, followed along the chain with ``transform_wavelengths``
  (a crop shortens the axis); after a step whose output width is not known without fitting
  (a scikit-learn transformer that is not one-to-one), width checks stop rather than guess;
* any step with an integer ``n_components`` (scikit-learn's name for a count of latent
  components: PLS, PCA, PCR, OPLS, ...): no more than the columns it receives, nor than the
  rows of the smallest cross-validation training fold (the rank of the data it is fitted on).
"""
from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np

from engine.errors import SpecError
from engine.pipeline.branches import ConcreteBranch
from engine.pipeline.steps import where_of

__all__ = ["check_branch_against_data"]


def check_branch_against_data(branch: ConcreteBranch, pipeline: Any, wavelengths: np.ndarray,
                              n_samples: int) -> None:
    """SpecError naming the first step of ``branch`` whose parameters cannot suit the data:
    ``pipeline`` is the branch's built (unfitted) sklearn Pipeline with the axis injected
    (engine.pipeline.build_pipeline), ``n_samples`` the rows of its smallest training fold."""
    from sklearn.base import OneToOneFeatureMixin

    specs = [s for s in branch.steps if s.enabled or s is branch.model]
    width: int | None = int(np.asarray(wavelengths).size)
    axis: np.ndarray | None = np.asarray(wavelengths, dtype=np.float64)
    for spec, (_, step) in zip(specs, pipeline.steps, strict=True):
        where = where_of(spec.path or (), spec.class_name)
        check = getattr(step, "_check_n_features", None)
        if width is not None and callable(check):
            try:
                check(width)
            except ValueError as exc:
                raise SpecError(str(exc), where=where, path=spec.path) from None
        _check_components(step, width, n_samples, where, spec.path)
        if axis is not None and hasattr(step, "transform_wavelengths"):
            try:
                axis = np.asarray(step.transform_wavelengths(axis), dtype=np.float64)
            except ValueError as exc:
                raise SpecError(str(exc), where=where, path=spec.path) from None
            width = int(axis.size)
        elif not isinstance(step, OneToOneFeatureMixin):
            axis, width = None, None  # its output width is only known after fitting


def _check_components(step: Any, width: int | None, n_samples: int, where: str,
                      path: tuple[int, ...] | None) -> None:
    params = step.get_params(deep=False) if callable(getattr(step, "get_params", None)) else {}
    value = params.get("n_components")
    if not isinstance(value, Integral) or isinstance(value, bool):
        return
    k = int(value)
    if width is not None and k > width:
        raise SpecError(f"n_components={k} is more than the {width} columns (wavelengths) this "
                        f"step receives; use at most {width}", where=where, path=path)
    if k > n_samples:
        raise SpecError(f"n_components={k} is more than the {n_samples} samples of the "
                        f"smallest cross-validation training fold; use at most {n_samples}",
                        where=where, path=path)
