"""The import warm-up starts only once the window is settled: its imports hold the GIL in long
stretches, and overlapping a first dataset's display they paused the window (issue 20)."""
from __future__ import annotations


def test_the_warm_up_waits_for_a_load_to_be_shown(qtbot, monkeypatch, tecator_dir):
    import app.shell.main_window as mw
    from app.common.settings import AppSettings

    monkeypatch.setattr(mw, "WARMUP_DELAY_MS", 0)        # due at once ...
    monkeypatch.setattr(mw, "WARMUP_RETRY_MS", 20)
    window = mw.MainWindow(AppSettings(persistent=False), quiet=True)
    qtbot.addWidget(window)
    calls: list[tuple[bool, bool]] = []
    monkeypatch.setattr(mw, "start_import_warmup",
                        lambda: calls.append((window.is_settled(),
                                              window.state.dataset is not None)))
    window.show()
    window.start(data=str(tecator_dir))                  # ... but a load has begun
    qtbot.waitUntil(lambda: bool(calls), timeout=30000)
    assert calls == [(True, True)]
