"""Predict mode in the window: a trained branch of a saved run applied to new spectra. The slow
work and texts are Qt-free (jobs), the predictions table is a model over arrays (table), and
the panel draws training and new spectra with the shared spectra layer (panel)."""
