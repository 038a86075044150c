"""nirdesk's desktop window (PySide6 + pyqtgraph): a thin front end over the engine.

Packages by job (docs/app.md, "How it is built"): shell wires the feature packages (spectra,
editor, run, monitor, results, project, predict), which share common (Qt helpers) and model
(no Qt). The console entry point is app.main; the window starts in app.gui."""
