"""nirdesk's engine: the headless compute library behind the window and the ``nirdesk`` CLI.

It reads spectra and reference values, parses a pipeline spec of preprocessing + model branches
into scikit-learn estimators, decides how to run them in parallel (the policy), runs them as
tasks on one pool with a progress event stream, tunes them, and keeps datasets, pipelines,
runs, results and trained models in one SQLite project file. It never imports Qt, pyqtgraph
or ``app`` (docs/design.md), so scripts, the CLI and tests without a display use it directly.
"""
from __future__ import annotations
