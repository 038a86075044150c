"""Take the window screenshots kept in docs/screens at the three sizes users have.

    xvfb-run -a -s "-screen 0 1920x1080x24" sh -c "openbox & sleep 1; \
        .venv/bin/python docs/screens/take.py docs/screens"

For each of 1024x700, 1280x800 and 1920x1080: first start (the demo), a pipeline whose branch
has 4 lanes, the results after running the demo, and the predict view on the demo's spectra
with a project trained by `nirdesk run --save`. Under a real window manager (openbox above)
the window is placed and decorated as on a desk; offscreen works too (QT_QPA_PLATFORM).
Why a script: the screenshots are evidence for the layout (issue 21) and must be retaken
after a layout change, the same way each time.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

SIZES = [(1024, 700), (1280, 800), (1920, 1080)]
FOUR_LANES = {"name": "four lanes", "steps": [
    {"branch": [["SNV"], ["MSC"], ["Detrend"],
                [{"class": "SavitzkyGolay",
                  "params": {"window_length": 11, "polyorder": 2, "deriv": 1}}]], "n_jobs": 2},
    {"class": "PLSRegression", "params": {"n_components": 8, "scale": False}}]}


def _wait(app, done, timeout: float = 180.0) -> None:
    end = time.monotonic() + timeout
    while not done():
        if time.monotonic() > end:
            raise TimeoutError("the window did not settle")
        app.processEvents()
        time.sleep(0.02)
    for _ in range(10):   # deferred layout work (dock sizes, tab bars)
        app.processEvents()
        time.sleep(0.02)


def main(out: Path) -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from app.common.settings import AppSettings
    from app.shell.main_window import MainWindow
    from engine.cli import main as cli
    from engine.resources import demo_dataset_path, demo_pipeline_path

    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="nirdesk-screens-"))
    lanes = tmp / "four_lanes.json"
    lanes.write_text(json.dumps(FOUR_LANES))
    project = tmp / "demo.nirdesk"
    assert cli(["run", str(demo_pipeline_path()), "--data", str(demo_dataset_path()),
                "--save", str(project), "--verbose", "0"]) == 0

    def window(size, pipeline=None) -> MainWindow:
        w = MainWindow(AppSettings(persistent=False), quiet=True)
        w.apply_default_size(size)
        w.show()
        w.start(pipeline=pipeline)
        _wait(app, lambda: w.state.pipeline is not None and w.is_settled())
        return w

    def close(w) -> None:
        w.close()
        w.shutdown()
        app.processEvents()

    for size in SIZES:
        _shoot(app, out, size, window, close, str(lanes), str(project),
               str(demo_dataset_path()))


def _shoot(app, out: Path, size: tuple[int, int], window, close, lanes: str, project: str,
           spectra: str) -> None:
    """The four screenshots at one size."""
    tag = f"{size[0]}x{size[1]}"
    w = window(size)
    w.grab().save(str(out / f"first-start-{tag}.png"))
    close(w)
    w = window(size, lanes)
    w.grab().save(str(out / f"four-lanes-{tag}.png"))
    close(w)
    w = window(size)
    finished: list = []
    w.bench.run_finished.connect(finished.append)
    assert w.bench.start_run()
    _wait(app, lambda: bool(finished) and w.is_settled())
    w.grab().save(str(out / f"results-{tag}.png"))
    panel = w.bench.open_predict(project)
    dialog = w.bench.predict_dialog
    dialog.resize(min(1000, size[0] - 40), min(640, size[1] - 60))
    _wait(app, lambda: panel.training is not None and not panel.is_busy())
    panel.open_spectra(spectra)
    _wait(app, lambda: panel.dataset is not None and not panel.is_busy())
    predicted: list = []
    panel.predicted.connect(predicted.append)
    panel.predict_button.click()
    _wait(app, lambda: bool(predicted) and not panel.is_busy())
    dialog.grab().save(str(out / f"predict-{tag}.png"))
    close(w)
    print(f"{tag}: 4 screenshots")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screens"))
