"""Wavelength selection that searches rather than transforms: interval PLS (iPLS).

Why a package of its own: an interval search scores hundreds of candidate wavelength sets,
each with the exact PLS component sweep under the dataset's cross-validation, and sends the
candidates of one round to nirdesk's task pool. That puts it above the executor (it drives
runs of tasks) while its worker side sits beside the tuning runner and its interval
arithmetic at the bottom; the modules are therefore listed one by one in the engine-layers
contract (pyproject.toml) and this ``__init__`` imports none of them. The selection *steps*
that are fitted inside each CV fold (VIP, selectivity ratio, CARS, MC-UVE) are ordinary
operators in engine.operators.selectors; their result, like iPLS's, is a set of kept columns.
"""
from __future__ import annotations
