"""Calibration transfer: make a model calibrated on one instrument predict another's spectra.

A transfer set is the same samples measured on the primary instrument (the one the model was
calibrated on) and on the secondary one. From it nirdesk fits Direct Standardisation (DS),
Piecewise DS (PDS), which map secondary spectra into the primary's space, or a slope/bias
correction (SBC) of the predictions, and stores the fitted transfer inside the saved model, so
``nirdesk predict`` applies transfer + model to secondary spectra with nothing else to remember.

    methods   the fitted estimators that travel inside a saved model (skops, trusted types)
    pairing   the transfer set: primary and secondary rows paired by sample id (or by order)
    standards which pairs are used: Kennard-Stone's N most representative, or chosen by hand
    fit       the transferred model and its RMSEP before/after, without touching any file
    project   read a saved branch from a project and write the transferred model into a new one
    command   the `nirdesk transfer` subcommand (arguments, printed report)

docs/transfer.md gives the formulas and the papers.
"""
from __future__ import annotations

# No re-exports: `nirdesk --help` registers the transfer subcommand through
# engine.transfer.command, which must not pull scikit-learn in; import the modules above.
