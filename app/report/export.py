"""Write a report file: build (engine.report), render the figures, lay out, replace atomically.

Runs without widgets (a QGuiApplication must exist, for fonts): the window calls it on its
background thread (app.common.workers.Jobs), ``nirdesk report`` in the console. The format
follows the file's suffix: .pdf, or .html/.htm. The file is written through engine.atomic:
an interrupted or failed export leaves the previous file as it was.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from engine.atomic import check_output_path, write_bytes, write_text
from engine.errors import InputError
from engine.report import build_report

__all__ = ["FORMATS", "ExportedReport", "export_report", "report_format"]

FORMATS = {".pdf": "pdf", ".html": "html", ".htm": "html"}


@dataclass(frozen=True)
class ExportedReport:
    path: Path
    format: str          # "pdf" | "html"
    pages: int | None    # PDF pages (None for HTML)
    seconds: float
    run_id: int
    branch_id: int


def report_format(path: str | os.PathLike) -> str:
    """"pdf" or "html" from the file name; InputError for any other suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"a report is written as .pdf or .html, not {suffix or 'a file '}"
                         "without a suffix", file=str(path))
    return FORMATS[suffix]


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        from app.model.tasks import Cancelled

        raise Cancelled("the report was cancelled")


def export_report(project: str | os.PathLike, out: str | os.PathLike, run_id: int | None = None,
                  branch_id: int | None = None, *, cancel: threading.Event | None = None
                  ) -> ExportedReport:
    """Write the report of ``run_id``/``branch_id`` (defaults: the latest run, its best
    branch) of ``project`` to ``out``. InputError for a bad suffix, an unwritable place, an
    unknown run or branch; engine.atomic.WriteFailed when the disk refuses the file."""
    from app.report.html import html_text
    from app.report.pdf import pdf_bytes
    from app.report.plot import render_figure

    start = time.perf_counter()
    fmt = report_format(out)
    check_output_path(out, what="the report")
    report = build_report(project, run_id, branch_id)
    images = {}
    for fig in report.figures():
        _check(cancel)
        images[fig.key] = render_figure(fig)
    _check(cancel)
    pages = None
    if fmt == "pdf":
        data, pages = pdf_bytes(report, images)
        _check(cancel)
        write_bytes(out, data, what="the report")
    else:
        text = html_text(report, images)
        _check(cancel)
        write_text(out, text, what="the report")
    return ExportedReport(path=Path(out), format=fmt, pages=pages,
                          seconds=time.perf_counter() - start, run_id=report.run_id,
                          branch_id=report.branch_id)
