"""Diagnostics of spectra and models: PCA, Hotelling's T², Q residuals, leverage and their
confidence limits, PLS interpretation (regression vector, loadings, weights, VIP, studentized
residuals) and the "outside the model" flags of new spectra.

Why a package of its own: the Explore view, a run's outlier list, the results' Diagnostics
tab and ``nirdesk predict`` all judge samples with the same numbers; they live here, pure
numpy/scipy, tested against independent formulas (docs/diagnostics.md explains each one).
"""
from __future__ import annotations

from engine.diagnostics.assess import (
    FLAG_LEVEL,
    Assessment,
    assess,
    assess_raw,
    calibration_assessment,
    latent_for_model,
    latent_from_preprocessed,
    level_label,
    outliers,
    preprocessed_rows,
)
from engine.diagnostics.latent import LatentModel
from engine.diagnostics.limits import LEVELS, q_limit, residual_theta, t2_limit
from engine.diagnostics.pca import PCAResult, auto_components, explore_pca, fit_pca
from engine.diagnostics.pls import PLSInterpretation, interpret_pls, is_pls_family, vip

__all__ = [
    "FLAG_LEVEL",
    "LEVELS",
    "Assessment",
    "LatentModel",
    "PCAResult",
    "PLSInterpretation",
    "assess",
    "assess_raw",
    "auto_components",
    "calibration_assessment",
    "explore_pca",
    "fit_pca",
    "interpret_pls",
    "is_pls_family",
    "latent_for_model",
    "latent_from_preprocessed",
    "level_label",
    "outliers",
    "preprocessed_rows",
    "q_limit",
    "residual_theta",
    "t2_limit",
    "vip",
]
