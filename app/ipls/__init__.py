"""The Interval PLS window: search the wavelength intervals of a branch and keep the best.

A feature package of its own (app.ipls): the shell gives it the open dataset and the edited
pipeline, it runs engine.selection.ipls off the GUI thread and draws RMSECV per interval over
the mean spectrum with the chosen intervals shaded, and asks the shell to add the result to
the pipeline as a SelectRanges step (the editor's undoable insert). It never imports another
feature package.
"""
from __future__ import annotations

from app.ipls.view import IplsView

__all__ = ["IplsView"]
