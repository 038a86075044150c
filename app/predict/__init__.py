"""Predict mode in the window: a trained branch of a saved run applied to new spectra."""
