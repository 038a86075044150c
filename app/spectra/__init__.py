"""The central spectra view and the panels around it: the plot, its toolbar, the dataset dock
and the selection table. Import the widgets from their modules."""
