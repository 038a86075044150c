"""Models nirdesk adds to scikit-learn's: PLS-DA (one PLS on all classes, or one per class),
PCR, MLR and SIMCA, improved kernel PLS (IKPLS: PLS regression computed from X'X, faster), and
the OPLS filter (a supervised preprocessing step that goes before a PLS model).

All are plain sklearn estimators (docs/design.md decision 6).
"""
from __future__ import annotations

from engine.models.ikpls import IKPLS
from engine.models.mlr import MLR
from engine.models.opls import OPLS
from engine.models.pcr import PCR
from engine.models.plsda import PLSDA
from engine.models.plsda_ovr import PLSDAOneVsRest
from engine.models.simca import SIMCA

__all__ = ["IKPLS", "MLR", "OPLS", "PCR", "PLSDA", "SIMCA", "PLSDAOneVsRest"]
