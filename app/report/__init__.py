"""The model report's renderer (issue 17): PDF and self-contained HTML of engine.report.

engine.report builds the document (text, tables and plot data) from a project without Qt;
this package draws its figures (app.report.plot), lays it out as a paginated PDF
(app.report.pdf) or one HTML file with the images inside (app.report.html), writes it
atomically (app.report.export), and offers it as File > Export report... (app.report.dialog)
and as ``nirdesk report`` (app.report.cli).
"""
from __future__ import annotations
