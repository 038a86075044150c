"""Models nirdesk adds to scikit-learn's.

All are plain sklearn estimators (docs/design.md decision 6).
"""
from __future__ import annotations

from engine.models.plsda import PLSDA

__all__ = ["PLSDA"]
