"""Pipeline specs: parsing (JSON or Python objects) and their expansion into branches."""
from __future__ import annotations

from engine.pipeline.branches import BranchGroup, ConcreteBranch, ExpandedPipeline, StepSpec
from engine.pipeline.spec import parse_pipeline

__all__ = ["BranchGroup", "ConcreteBranch", "ExpandedPipeline", "StepSpec", "parse_pipeline"]
