"""The model report (issue 17): a validation document of one saved run, built from the project.

Why a package of its own, in the engine: what a reviewer signs must say exactly what the
project stored, so the content is assembled here, without Qt, as a deterministic document
model (engine.report.document: headings, paragraphs, tables, and figures as plot DATA) from
the run's results JSON, the stored dataset arrays, the saved model (its sha256, its fitted
preprocessing and coefficients) and the saved diagnostics. Nothing that the project stored is
computed anew; the same project gives the same document, byte for byte in its text. The
window's app.report draws the figures and writes the PDF or HTML; ``nirdesk report`` is its
command line.

    build_report(project_path, run_id=None, branch_id=None) -> Report
    report_choices(project_path) -> [RunChoice]    the runs and branches one can report on
    report_text(report) -> str                     the document as plain text (tests, diffs)
"""
from __future__ import annotations

from engine.report.build import build_report
from engine.report.choices import BranchChoice, RunChoice, choose, report_choices
from engine.report.document import (
    Figure,
    Guide,
    Heading,
    KeyValues,
    Paragraph,
    Report,
    Series,
    Table,
    report_text,
)

__all__ = ["BranchChoice", "Figure", "Guide", "Heading", "KeyValues", "Paragraph", "Report",
           "RunChoice", "Series", "Table", "build_report", "choose", "report_choices",
           "report_text"]
