"""The central spectra view and the panels around it: the plot, its toolbar, the dataset dock
and the selection table, and the controller that loads datasets and pipelines and computes
the preprocessed spectra off the GUI thread (controller). Import them from their modules."""
