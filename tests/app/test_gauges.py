"""Resource gauges: the numbers match psutil read independently, workers appear with their
memory and vanish cleanly, the memory warning follows its rule, and the timer really polls."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys

import psutil
import pytest
from PySide6.QtWidgets import QBoxLayout

from app.monitor.gauges import ResourceGauges, ResourceSnapshot
from app.monitor.sparkline import OK_COLOUR, WARN_COLOUR

HOG = "import time; x = bytearray(200_000_000); time.sleep(30)"


@pytest.fixture
def gauges(qtbot):
    g = ResourceGauges(interval_ms=1000)
    qtbot.addWidget(g)
    g.resize(1280, 200)
    g.show()
    yield g
    g.stop()


@pytest.fixture
def hog():
    """A child process holding 200 MB (bytearray pages are touched, so they are resident)."""
    proc = subprocess.Popen([sys.executable, "-c", HOG])
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_a_poll_reports_what_psutil_reports(gauges):
    s = gauges.sample_now()
    vm = psutil.virtual_memory()
    assert s.mem_total == vm.total
    assert abs(s.mem_available - vm.available) < 0.05 * vm.total
    assert s.mem_used == s.mem_total - s.mem_available
    assert len(s.per_core) == psutil.cpu_count()
    assert all(0.0 <= v <= 100.0 for v in s.per_core)
    assert s.cpu_total == pytest.approx(sum(s.per_core) / len(s.per_core))
    own = psutil.Process(os.getpid()).memory_info().rss
    assert abs(s.own_rss - own) <= 0.2 * own
    assert s.worker_rss == {} and s.n_workers == 0 and s.remote is None
    assert gauges.table_rows() == [("no workers running", "", "")]
    assert gauges.cpu_label.text() == f"{s.cpu_total:.0f} % of {len(s.per_core)} cores"
    assert gauges.core_bars.values() == s.per_core


def test_a_worker_is_shown_with_its_memory_and_disappears_when_killed(gauges, hog, qtbot):
    gauges.set_worker_pids_provider(lambda: [hog.pid])
    seen: list[ResourceSnapshot] = []

    def holds_200mb() -> bool:
        seen.append(gauges.sample_now())
        return seen[-1].worker_rss.get(hog.pid, 0) >= 200_000_000

    qtbot.waitUntil(holds_200mb, timeout=10000)
    s = seen[-1]
    direct = psutil.Process(hog.pid).memory_info().rss
    assert abs(s.worker_rss[hog.pid] - direct) <= 0.05 * direct
    assert s.n_workers == 1
    rows = gauges.table_rows()
    assert len(rows) == 1 and rows[0][0] == f"pid {hog.pid}" and rows[0][1].endswith("MB")
    assert gauges.workers_label.text().startswith("1 worker live")
    assert gauges.history("workers")[-1] == s.worker_rss[hog.pid]

    hog.kill()                      # not reaped yet: a zombie, then gone
    qtbot.waitUntil(lambda: psutil.Process(hog.pid).status() == psutil.STATUS_ZOMBIE
                    if psutil.pid_exists(hog.pid) else True, timeout=5000)
    s = gauges.sample_now()
    assert s.worker_rss == {} and s.n_workers == 0
    hog.wait()
    s = gauges.sample_now()         # the provider still names the dead pid: no error
    assert s.worker_rss == {} and s.n_workers == 0
    assert gauges.table_rows() == [("no workers running", "", "")]


def test_a_provider_that_raises_does_not_stop_the_gauges(gauges):
    gauges.set_worker_pids_provider(lambda: 1 / 0)
    assert gauges.sample_now().n_workers == 0

    def broken():
        raise ConnectionError("scheduler gone")
    gauges.set_remote_workers_provider(broken)
    s = gauges.sample_now()
    assert s.remote is None and "scheduler gone" in s.remote_error
    assert "scheduler gone" in gauges.table_rows()[0][0]


def test_cluster_workers_are_listed_and_counted(gauges):
    cluster = [{"name": "tcp://node-a:4001", "cores": 8, "memory_used": 3_000_000_000,
                "memory_limit": 16_000_000_000, "cpu_percent": 75.0},
               {"name": "tcp://node-b:4001", "cores": 4, "memory_used": 1_500_000_000,
                "memory_limit": 8_000_000_000, "cpu_percent": None}]
    gauges.set_remote_workers_provider(lambda: cluster)
    s = gauges.sample_now()
    assert s.n_workers == 2
    assert [w.name for w in s.remote] == ["tcp://node-a:4001", "tcp://node-b:4001"]
    assert gauges.table_rows() == [("tcp://node-a:4001 (8 cores)", "3.0 GB / 16.0 GB", "75 %"),
                                   ("tcp://node-b:4001 (4 cores)", "1.5 GB / 8.0 GB", "\u2014")]
    assert gauges.workers_label.text() == "cluster: 2 workers, 12 cores, 4.5 GB"
    gauges.set_remote_workers_provider(lambda: None)      # disconnected
    assert gauges.sample_now().remote is None


def _fake(total: int, available: int) -> ResourceSnapshot:
    return ResourceSnapshot(time=0.0, per_core=[10.0, 20.0], cpu_total=15.0, mem_total=total,
                            mem_available=available, mem_used=total - available,
                            own_rss=100_000_000)


@pytest.mark.parametrize("total, available", [
    (64_000_000_000, 6_000_000_000),    # 9 % of a large machine: tight by percentage
    (64_000_000_000, 12_000_000_000),   # 19 %: fine
    (1_500_000_000, 800_000_000),       # 53 % but under 1 GB: tight by the floor
    (8_000_000_000, 4_000_000_000),     # 50 %, 4 GB: fine
    (8_000_000_000, 1_100_000_000),     # 13.75 %: tight
])
def test_memory_warning_colour_follows_the_documented_rule(gauges, total, available):
    gauges.show_snapshot(_fake(total, available))
    expected = available < 0.15 * total or available < 1e9
    assert gauges.memory_warning() is expected
    assert gauges.mem_spark.colour() == (WARN_COLOUR if expected else OK_COLOUR)
    assert ("memory is tight" in gauges.mem_note.text()) is expected
    assert (WARN_COLOUR.name() in gauges.mem_label.styleSheet()) is expected
    gauges.show_snapshot(_fake(total, total // 2 + 2_000_000_000))   # and back
    assert not gauges.memory_warning() and gauges.mem_spark.colour() == OK_COLOUR


def test_the_timer_polls_and_stops(qtbot):
    g = ResourceGauges(interval_ms=50)
    qtbot.addWidget(g)
    g.start()
    with qtbot.waitSignal(g.sampled, timeout=3000) as first:
        pass
    with qtbot.waitSignal(g.sampled, timeout=3000) as second:
        pass
    assert isinstance(first.args[0], ResourceSnapshot)
    assert second.args[0].time > first.args[0].time
    assert len(g.history("cpu")) >= 2 and g.is_running()
    g.stop()
    with qtbot.assertNotEmitted(g.sampled, wait=200):
        pass


def test_history_keeps_the_last_60_samples(gauges):
    for i in range(70):
        gauges.show_snapshot(_fake(8_000_000_000, 4_000_000_000 + i))
    assert len(gauges.history("mem")) == 60
    assert gauges.mem_spark.values() == gauges.history("mem")


def test_a_poll_with_workers_costs_well_under_10_ms(gauges):
    kids = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
            for _ in range(4)]
    try:
        gauges.set_worker_pids_provider(lambda: [k.pid for k in kids])
        costs = []
        for _ in range(15):
            gauges.sample_now()
            costs.append(gauges.last_cost_ms)
        assert gauges.last_snapshot.n_workers == 4
        assert statistics.median(costs) < 10.0, costs
    finally:
        for k in kids:
            k.kill()
            k.wait()


def test_layout_stacks_in_a_narrow_dock_and_core_bars_wrap(gauges, qtbot):
    assert gauges._layout.direction() == QBoxLayout.Direction.LeftToRight
    gauges.resize(300, 600)
    qtbot.waitUntil(lambda: gauges._layout.direction() == QBoxLayout.Direction.TopToBottom)
    qtbot.waitUntil(lambda: gauges.table.geometry().top() > gauges.procs.geometry().bottom())
    assert gauges.table.width() > 250      # the table spans the dock, under the readings
    gauges.resize(1280, 200)
    qtbot.waitUntil(lambda: gauges._layout.direction() == QBoxLayout.Direction.LeftToRight)
    bars = gauges.core_bars
    bars.set_values([50.0] * 64)
    cols, rows = bars.layout_grid(300)
    assert cols * rows >= 64 and rows == 2
    assert bars.layout_grid(2000) == (64, 1)
    bars.set_values([50.0, 60.0])
    assert bars.layout_grid(300) == (2, 1)
    assert bars.grab().width() == bars.width()   # paints without error
