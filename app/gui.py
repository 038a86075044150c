"""Start the desktop window: `nirdesk [PROJECT] [--data PATH] [--target NAME] [--pipeline JSON]
[--screenshot PNG] [--demo-run] [--exit-after-load]`; `nirdesk --version`; `--self-test`.

Start-up is kept short: only Qt and pyqtgraph load before the window shows; the engine
(CSV parsing, scikit-learn) loads on the background thread with the first dataset.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence

TIMING_ENV = "NIRDESK_TIMING"  # "1": print start-up milestones (bench/gui.py reads them)


def _timing(label: str) -> None:
    if os.environ.get(TIMING_ENV):
        print(f"nirdesk-timing {label} {time.time():.6f}", file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="nirdesk", description="NIR modelling workbench "
                                     "(headless commands: nirdesk run | info | predict)")
    parser.add_argument("project", nargs="?", default=None, help="a .nirdesk project to open "
                        "(what a double-click on a project file passes)")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--self-test", action="store_true", help="check this installation: "
                        "open the window offscreen on the demo data, run a small pipeline on 2 "
                        "worker processes, print a report; exit 0 when everything works")
    parser.add_argument("--data", help="dataset to open: a folder or a CSV file "
                        "(default: the bundled demo on the first start, then the last one)")
    parser.add_argument("--target", help="target column to select in that dataset")
    parser.add_argument("--pipeline", help="pipeline JSON whose branches the view can apply "
                        "(default: the bundled demo pipeline)")
    parser.add_argument("--screenshot", metavar="PNG", help="render the main window once the "
                        "data is loaded and drawn, save it as PNG and exit (saved settings are "
                        "neither read nor written)")
    parser.add_argument("--size", default="1280x800", help="window size for --screenshot "
                        "(default 1280x800)")
    parser.add_argument("--demo-run", action="store_true", help="open the demo data and "
                        "pipeline, run it, wait for the results (with --screenshot: save the "
                        "window then) and exit: 0 when every branch finished")
    parser.add_argument("--exit-after-load", action="store_true",
                        help="quit as soon as the data is loaded and drawn (tests, benchmarks)")
    args = parser.parse_args(list(argv))
    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
        args.size = (w, h)
    except ValueError:
        parser.error(f"--size must look like 1280x800, not {args.size!r}")
    return args


def run_gui(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    if args.version:
        from app.version import app_version

        print(f"nirdesk {app_version()}")
        return 0
    if args.self_test:
        from app.shell.selftest import run_self_test

        return run_self_test()
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("nirdesk")
    app.setOrganizationName("nirdesk")
    app.setApplicationDisplayName("nirdesk")
    from app.shell.icons import set_app_icon

    set_app_icon(app)

    from app.common.settings import AppSettings
    from app.shell.main_window import MainWindow

    batch = bool(args.screenshot or args.exit_after_load or args.demo_run)
    window = MainWindow(AppSettings(persistent=not batch), quiet=batch)
    if args.screenshot:
        window.apply_default_size(args.size)   # the docks in that size's proportions
    else:
        window.restore_layout()

    class FirstPaint(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint:
                _timing("shown")
                obj.removeEventFilter(self)
            return False

    first_paint = FirstPaint(window)
    window.installEventFilter(first_paint)
    window.dataset_loaded.connect(lambda _ds: _timing("loaded"))
    window.show()

    def start() -> None:
        if not batch:   # after a crash: offer the unsaved work of the lost session
            window.bench.project.check_for_crash_recovery()
        if args.project and not args.demo_run:
            window.start_with_project(args.project)
        else:
            window.start(args.data, args.target, args.pipeline)

    QTimer.singleShot(0, start)

    result = {"code": 0}

    if args.demo_run:
        from app.shell.screenshot import AfterRun, save_screenshot

        def after_run(ok: bool, message: str) -> None:
            print(f"demo run: {message}", file=sys.stdout if ok else sys.stderr)
            result["code"] = 0 if ok else 1
            if args.screenshot:
                try:
                    print(f"screenshot saved: {save_screenshot(window, args.screenshot)}")
                except OSError as exc:
                    print(f"nirdesk: {exc}", file=sys.stderr)
                    result["code"] = 1
            window.close()

        AfterRun(window, after_run)
    elif batch:
        from app.shell.screenshot import WhenSettled, save_screenshot

        def finish(timed_out: bool) -> None:
            _timing("drawn")
            if timed_out:
                print("nirdesk: timed out waiting for the data to load and draw",
                      file=sys.stderr)
            if args.screenshot:
                try:
                    path = save_screenshot(window, args.screenshot)
                    print(f"screenshot saved: {path}")
                except OSError as exc:
                    print(f"nirdesk: {exc}", file=sys.stderr)
                    result["code"] = 1
            given = args.data or args.project or args.pipeline or args.target
            if window.errors and result["code"] == 0 and given:
                result["code"] = 2  # what the command line named was refused
            window.close()

        WhenSettled(window, finish)

    code = app.exec()
    # Stop threads and close plot widgets before interpreter teardown (the PySide6 exit-abort
    # pitfall: a live QThread or plot item at exit can turn exit code 0 into an abort).
    window.shutdown()
    window.deleteLater()
    app.processEvents()
    return result["code"] or code
