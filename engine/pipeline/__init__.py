"""Pipeline specs: parsing (JSON or Python objects), their expansion into branches, and a
branch's preprocessing applied to spectra (preprocess_branch)."""
from __future__ import annotations

from engine.pipeline.branches import BranchGroup, ConcreteBranch, ExpandedPipeline, StepSpec
from engine.pipeline.files import load_pipeline_file
from engine.pipeline.preprocess import build_pipeline, preprocess_branch
from engine.pipeline.spec import parse_pipeline

__all__ = ["BranchGroup", "ConcreteBranch", "ExpandedPipeline", "StepSpec", "build_pipeline",
           "load_pipeline_file", "parse_pipeline", "preprocess_branch"]
