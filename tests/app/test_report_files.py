"""The model report as files (app.report): the PDF's text (read back with pypdf) and the HTML
hold the project's stored metrics, excluded ids, step parameters and model hash, and the
HTML's images decode; a classification report shows its confusion matrix; table rows are
never split across PDF pages (the header repeats); `nirdesk report` through the console
entry (exit codes, one-line errors naming the choices, offscreen without a display); and
File > Export report... writes the file off the GUI thread and opens it."""
from __future__ import annotations

import base64
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from app.report.export import export_report
from engine.report import Report, Table
from tests.report_projects import TABLET_EXCLUDED, grades_project, tablet_project

pypdf = pytest.importorskip("pypdf")   # the test extra (pyproject.toml) installs it

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _application(qapp):
    """Fonts and QPainter need the (offscreen) application, as in `nirdesk report`."""
    return qapp


@pytest.fixture(scope="module")
def tablet(tmp_path_factory, tablet_dir):
    return tablet_project(tmp_path_factory.mktemp("report") / "tablet.nirdesk", tablet_dir)


@pytest.fixture(scope="module")
def grades(tmp_path_factory, tecator_dir):
    return grades_project(tmp_path_factory.mktemp("report") / "grades.nirdesk", tecator_dir)


def stored_facts(path) -> dict:
    """What the report must show, read with sqlite3 + json alone."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        results = json.loads(conn.execute("SELECT results FROM runs WHERE id = 1").fetchone()[0])
        best = results["best_branch"]
        sha = conn.execute("SELECT sha256 FROM branch_models WHERE run_id = 1 AND branch_id = ?",
                           (best,)).fetchone()[0]
    branch = next(b for b in results["branches"] if b["id"] == best)
    return {"results": results, "branch": branch, "sha256": sha}


def pdf_pages(path) -> list[str]:
    """Each page's text with runs of white space made one space."""
    reader = pypdf.PdfReader(str(path))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def expected_tokens(facts: dict) -> list[str]:
    metrics = facts["branch"]["metrics"]
    tokens = [f"{metrics[part][key]:.4f}" for part in ("cal", "cv", "test")
              for key in ("rmse", "r2", "bias", "sep", "rpd", "mae")]
    tokens.append(facts["sha256"])
    for step in facts["branch"]["steps"]:
        if isinstance(step, dict):
            tokens += [f"{key} {json.dumps(value)}"
                       for key, value in step.get("params", {}).items()]
    tokens.append(f"n_components {facts['branch']['best_params']['n_components']} tuned: int 2 "
                  "to 12")
    return tokens


def test_pdf_text_holds_the_stored_values_on_numbered_pages(tablet, tmp_path):
    out = tmp_path / "tablet.pdf"
    done = export_report(tablet, out)
    assert out.read_bytes()[:5] == b"%PDF-" and done.format == "pdf"
    pages = pdf_pages(out)
    assert done.pages == len(pages) >= 3
    for i, page in enumerate(pages, start=1):
        assert f"page {i} of {len(pages)}" in page
    text = " ".join(pages)
    facts = stored_facts(tablet)
    for token in expected_tokens(facts):
        assert token in text, token
    excluded = facts["results"]["dataset"]["excluded"]
    assert set(TABLET_EXCLUDED) <= set(excluded)
    assert f"Excluded samples ({len(excluded)}), left out of calibration, cross-validation " \
           "and test: " + ", ".join(excluded) in text
    for b in facts["results"]["branches"]:   # the leaderboard's RMSECV of every branch
        assert f"{b['metrics']['cv']['rmse']:.4f}" in text
    # the same project, the same text
    again = tmp_path / "again.pdf"
    export_report(tablet, again)
    assert pdf_pages(again) == pages


def test_html_holds_the_same_and_its_images_decode(tablet, tmp_path):
    out = tmp_path / "tablet.html"
    done = export_report(tablet, out, 1)
    assert done.format == "html" and done.pages is None
    page = out.read_text(encoding="utf-8")
    assert "src=\"http" not in page and "<script" not in page   # self-contained
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    keys = re.findall(r'<figure id="([a-z_0-9]+)"', page)
    assert keys == ["spectra_raw", "spectra_preprocessed", "pred_vs_obs", "residuals", "curve",
                    "coefficients", "t2q"]
    assert len(images) == len(keys)
    for data in images:
        image = QImage()
        assert image.loadFromData(base64.b64decode(data), "PNG")
        assert (image.width(), image.height()) == (1600, 900)
    text = " ".join(re.sub(r"<[^>]+>", " ", page).replace("&quot;", '"').split())
    for token in expected_tokens(stored_facts(tablet)):
        assert token in text, token
    assert ", ".join(stored_facts(tablet)["results"]["dataset"]["excluded"]) in text


def test_classification_pdf_shows_the_confusion_matrix(grades, tmp_path):
    out = tmp_path / "grades.pdf"
    export_report(grades, out)
    text = " ".join(pdf_pages(out))
    assert "Confusion matrix, cross-validation" in text and "Confusion matrix, test" in text
    assert "Class metrics" in text and "Precision CV" in text
    metrics = stored_facts(grades)["branch"]["metrics"]["cv"]
    assert f"{metrics['balanced_accuracy']:.4f}" in text
    assert "observed \\ predicted high low medium n" in text


def test_a_long_table_is_never_split_mid_row_and_repeats_its_header(qapp):
    from app.report.pdf import pdf_bytes

    long_cell = "a cell long enough to wrap onto a second line of the column " * 2
    rows = tuple((f"row{i:03d}", f"first{i:03d} " + (long_cell if i % 7 == 0 else ""),
                  f"last{i:03d}") for i in range(220))
    report = Report(title="long", subtitle="table",
                    blocks=(Table(header=("Key", "Text", "End"), rows=rows, title="T"),))
    data, n = pdf_bytes(report)
    reader = pypdf.PdfReader(__import__("io").BytesIO(data))
    pages = [" ".join(p.extract_text().split()) for p in reader.pages]
    assert n == len(pages) >= 3
    for i in range(220):
        holding = [k for k, page in enumerate(pages)
                   if f"row{i:03d}" in page or f"first{i:03d}" in page or f"last{i:03d}" in page]
        assert len(holding) == 1, f"row {i} is on pages {holding}"
        page = pages[holding[0]]
        assert f"row{i:03d}" in page and f"first{i:03d}" in page and f"last{i:03d}" in page
        if i % 7 == 0:   # its wrapped second line is on the same page
            assert page.count("onto a second line") >= 2
    for page in pages:
        assert page.count("Key Text End") == 1


def test_cli_through_the_console_entry(tablet, tmp_path, capsys):
    from app.main import main

    out = tmp_path / "cli.html"
    assert main(["report", str(tablet), "--out", str(out)]) == 0
    said = capsys.readouterr()
    assert f"report of run 1, branch {stored_facts(tablet)['results']['best_branch']} " \
           f"written to {out}" in said.out and out.exists()
    before = out.read_bytes()
    for argv, words in ((["--run", "7"], "no run 7 (runs: 1)"),
                        (["--branch", "9"], "run 1 has no branch 9 (branches: 1, 2)")):
        assert main(["report", str(tablet), "--out", str(out), *argv]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and words in err and "Traceback" not in err
    assert main(["report", str(tablet), "--out", str(tmp_path / "r.txt")]) == 2
    assert ".pdf or .html" in capsys.readouterr().err
    assert main(["report", str(tablet)]) == 2   # --out is required
    assert "--out" in capsys.readouterr().err
    assert out.read_bytes() == before   # refused runs left the earlier report alone


def test_cli_without_a_display_chooses_offscreen(tablet, tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = tmp_path / "sub.pdf"
    done = subprocess.run([sys.executable, "-c", "import sys; from app.main import main; "
                           "sys.exit(main(sys.argv[1:]))", "report", str(tablet), "--out",
                           str(out), "--branch", "2"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "branch 2 written" in done.stdout and out.read_bytes()[:5] == b"%PDF-"


def test_file_menu_export_report_writes_off_the_gui_thread_and_opens_it(qtbot, tablet, tmp_path,
                                                                       monkeypatch):
    import shutil
    import threading

    from PySide6.QtCore import Qt, QUrl

    import app.report.dialog as dialog_module
    from app.common.settings import AppSettings
    from app.shell.main_window import MainWindow

    threads = []

    def recording(*args, **kwargs):
        threads.append(threading.current_thread())
        return export_report(*args, **kwargs)

    monkeypatch.setattr(dialog_module, "export_report", recording)
    project = tmp_path / "p.nirdesk"
    shutil.copy(tablet, project)
    best = stored_facts(tablet)["results"]["best_branch"]
    w = MainWindow(AppSettings(tmp_path / "s.ini"), quiet=True)
    qtbot.addWidget(w)
    opened = []
    w.bench.report_opener = opened.append
    try:
        assert w.start_with_project(str(project))
        qtbot.waitUntil(lambda: bool(w.bench.project.runs()), timeout=20000)
        file_menu = next(a.menu() for a in w.menuBar().actions() if a.text() == "&File")
        action = next(a for a in file_menu.actions() if a.objectName() == "export_report")
        action.trigger()
        dialog = w.bench.report_dialog
        assert dialog is not None and dialog.isVisible()
        qtbot.waitUntil(lambda: dialog.branch_combo.count() == 2, timeout=20000)
        assert dialog.run_combo.currentData() == 1
        assert dialog.branch_combo.currentData() == best
        assert dialog.branch_combo.currentText().startswith(f"{best} (best): ")
        assert dialog.path_edit.text().endswith(f"p-run1-branch{best}.pdf")
        out = tmp_path / "window.pdf"
        dialog.path_edit.setText(str(out))
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        assert not dialog.export_button.isEnabled()   # busy while the thread writes
        qtbot.waitUntil(lambda: bool(opened), timeout=120000)
        assert threads and threads[0] is not threading.main_thread()
        assert opened == [QUrl.fromLocalFile(str(out.resolve()))]
        assert dialog.result.branch_id == best and not dialog.isVisible()
        text = " ".join(pdf_pages(out))
        assert stored_facts(tablet)["sha256"] in text
    finally:
        w.shutdown()


def test_dialog_refuses_a_bad_suffix_and_lists_failed_branches_disabled(qtbot, tablet, tmp_path):
    from app.report.dialog import ReportDialog

    dialog = ReportDialog(str(tablet), opener=lambda url: None, start_dir=str(tmp_path))
    qtbot.addWidget(dialog)
    try:
        qtbot.waitUntil(lambda: dialog.branch_combo.count() == 2, timeout=20000)
        dialog.path_edit.setText(str(tmp_path / "report.docx"))
        assert dialog.export() is None
        assert ".pdf or .html" in dialog.status.text()
        assert not (tmp_path / "report.docx").exists()
        model = dialog.branch_combo.model()
        assert all(model.item(i).isEnabled() for i in range(2))   # both have a model
    finally:
        dialog.close()
