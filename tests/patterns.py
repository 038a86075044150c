"""Pipeline specs several test modules run: the nirs4all seed's "pure parallel" pattern (four
preprocessings, four linear models) as used on the tablet data, with iteration caps that keep
the coordinate-descent models fast."""
from __future__ import annotations

FOUR = [{"branch": [
    ["SNV", {"class": "PLSRegression", "params": {"n_components": 10}}],
    ["MSC", {"class": "Ridge", "params": {"alpha": 1.0}}],
    ["StandardScaler", {"class": "ElasticNet", "params": {"alpha": 0.5, "max_iter": 300}}],
    ["Detrend", {"class": "Lasso", "params": {"alpha": 0.1, "max_iter": 300}}],
], "n_jobs": 2}]
