"""Hyper-parameter tuning: the finetune_params search space and the exact PLS component sweep.

Why a package of its own: the parser only checks finetune_params shallowly (it cannot know
the branch's steps), the executor only runs tasks; the meaning of a search space (types,
bounds, samplers, which pipeline parameter a key names) lives here, in one place, so the
CLI, the GUI and the tests agree on it.

    space      parse_finetune -> FinetuneConfig (Dimensions), suggest, make_sampler,
               make_pruner, resolve_param, with_params
    pls_sweep  every PLS component count from one fit: is_sweepable, sweep_predictions,
               max_components
"""
from __future__ import annotations

from engine.tuning.pls_sweep import (
    is_sweepable,
    max_components,
    predictions_per_component,
    sweep_predictions,
)
from engine.tuning.space import (
    KINDS,
    METRICS,
    Dimension,
    FinetuneConfig,
    grid_space,
    make_pruner,
    make_sampler,
    parse_finetune,
    resolve_param,
    suggest,
    with_params,
)

__all__ = [
    "KINDS", "METRICS", "Dimension", "FinetuneConfig", "grid_space", "is_sweepable",
    "make_pruner", "make_sampler", "max_components", "parse_finetune",
    "predictions_per_component", "resolve_param", "suggest", "sweep_predictions", "with_params",
]
