"""The parallel policy reads how heavy a preprocessing step is from its registry entry
(RegistryEntry.work): an `_or_` over slow baselines (arPLS, airPLS, ModPoly) on the tablet set
is worth two workers, while the same `_or_` over light steps stays sequential as before."""
from __future__ import annotations

import pytest
from sklearn.linear_model import Ridge

from engine.machine import DataFacts, MachineFacts
from engine.pipeline import parse_pipeline
from engine.policy import decide, estimate_task_seconds
from engine.registry import RegistryEntry, get_entry, work_of

GiB = 2**30
TWO_CPUS = MachineFacts(usable_cpus=2, total_memory=16 * GiB, available_memory=8 * GiB,
                        pool_warm_workers=0)
TABLET = DataFacts(n_train=430, n_features=597, n_test=212)
PLS = {"class": "PLSRegression", "params": {"n_components": 10, "scale": False}}


def test_work_comes_from_the_entry() -> None:
    assert work_of("ArPLS") == get_entry("ArPLS").work == 800
    assert work_of("SNV") == 1.0 and work_of(Ridge) == 1.0 and work_of("NoSuchStep") == 1.0
    assert work_of(get_entry("Baseline").load()()) == 10      # the ALS calibration kept
    with pytest.raises(ValueError, match="work must be a positive number"):
        RegistryEntry("X", "engine.X", "preprocessing", "any", "x", work=0)


def test_estimates_scale_with_the_work_factor() -> None:
    def extra(step: str) -> float:
        branch = parse_pipeline([step, "Ridge"]).branches[0]
        return estimate_task_seconds(branch, 1000, 500) - estimate_task_seconds(
            parse_pipeline(["Ridge"]).branches[0], 1000, 500)
    assert extra("ArPLS") == pytest.approx(800 * extra("SNV"))
    assert extra("ModPoly") == pytest.approx(150 * extra("SNV"))


def test_an_or_over_slow_baselines_runs_on_two_workers_light_steps_stay_sequential() -> None:
    heavy = [{"branch": {"_or_": ["AirPLS", "ArPLS", "Rubberband", "ModPoly"]}, "n_jobs": 2},
             PLS]
    [group] = decide(parse_pipeline(heavy), machine=TWO_CPUS, data=TABLET).groups
    assert (group.mode, group.workers) == ("parallel", 2)
    light = [{"branch": {"_or_": ["SNV", "RNV", "Absorbance", "Normalize"]}, "n_jobs": 2}, PLS]
    [group] = decide(parse_pipeline(light), machine=TWO_CPUS, data=TABLET).groups
    assert group.mode == "sequential" and group.reasons[0].code == "too_small"
