"""Results views of a run: leaderboard, per-branch plots, CSV/PNG export, run comparison.

Modules: data (the numbers, no Qt), leaderboard (table model, sorting proxy, view), plots
(pyqtgraph plot pages), spectra_task (a branch's preprocessing, run off the GUI thread), export
(CSV files, no Qt), panel (the Results dock widget), compare (two runs side by side).
Import the widgets from their modules (app.results.panel.ResultsPanel, ...): this package
imports nothing itself, so the headless parts stay importable without building any widget.
"""
