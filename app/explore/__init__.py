"""The Explore view: PCA of the open dataset (raw, or after a branch's preprocessing) with
scores, loadings, explained variance and the T² vs Q influence plot with its limits, so that
outliers are seen, selected (linked to the spectra view and the selection table) and excluded
before a model is trusted. The numbers are engine.diagnostics'; this package draws them and
computes them off the GUI thread. A feature package: it never imports another feature, the
shell gives it the window's actions (Exclude selected, Re-run)."""
from __future__ import annotations

from app.explore.view import ExploreView

__all__ = ["ExploreView"]
