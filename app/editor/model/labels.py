"""The text of a step card: its title, its key parameters, its tooltip (no Qt).

Why a module of its own: the canvas, the undo command names and the policy badges' fix labels
all name steps the same way, from the JSON step alone (the card is drawn before anything is
built or fitted).
"""
from __future__ import annotations

import inspect
import json
from typing import Any

from engine import registry
from engine.pipeline.steps import step_class as _class_of
from engine.pipeline.steps import step_params as _params_of

__all__ = ["card_details", "card_label", "card_text", "card_tooltip"]


# -- card text ------------------------------------------------------------------------------

#: Card titles: short, readable names (registry names are class-like).
_TITLES = {
    "PLSRegression": "PLS", "PLSDA": "PLS-DA", "SavitzkyGolay": "Savitzky-Golay",
    "FirstDerivative": "1st derivative", "SecondDerivative": "2nd derivative",
    "RandomForestRegressor": "RandomForest", "RandomForestClassifier": "RandomForest",
    "KNeighborsRegressor": "kNN", "MLPRegressor": "MLP", "LogisticRegression": "Logistic",
    "StandardScaler": "Standard scaler", "MinMaxScaler": "Min-max scaler",
    "CropRange": "Crop", "KennardStoneSplit": "Kennard-Stone",
}


def _num(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return f"{value:g}"


def _default(name: str, key: str) -> Any:
    try:
        cls = registry.resolve_class(name)
        p = inspect.signature(cls.__init__).parameters.get(key)
        return None if p is None or p.default is p.empty else p.default
    except Exception:  # unknown class: no default to show
        return None


def card_label(step: Any) -> str:
    """The card's title: "PLS", "Savitzky-Golay", "SNV", "Branch", "Generator"."""
    if isinstance(step, dict) and "branch" in step:
        return "Generator" if isinstance(step["branch"], dict) else "Branch"
    name = _class_of(step)
    return _TITLES.get(name, name.rsplit(".", 1)[-1])


def card_details(step: Any) -> str:
    """The key parameters in short form: "10 comp.", "w11 p2 d1", "α=1", "n_jobs=-1",
    "Optuna · 100 trials", "4 alternatives"; "" when there is nothing to show."""
    if isinstance(step, dict) and "branch" in step:
        value = step["branch"]
        n = len(value["_or_"]) if isinstance(value, dict) else len(value)
        parts = [f"{n} alternative{'s' if n != 1 else ''}" if isinstance(value, dict)
                 else f"{n} lane{'s' if n != 1 else ''}"]
        if step.get("n_jobs", 1) != 1:
            parts.append("auto" if step["n_jobs"] == -1 else f"n_jobs={step['n_jobs']}")
        elif step.get("parallel"):
            parts.append("parallel")
        return " · ".join(parts)
    name = _class_of(step)
    params = _params_of(step)
    short = name.rsplit(".", 1)[-1]

    def get(key: str) -> Any:
        return params[key] if key in params else _default(name, key)

    parts: list[str] = []
    if isinstance(step, dict) and "finetune_params" in step:
        ft = step["finetune_params"] if isinstance(step["finetune_params"], dict) else {}
        parts.append(f"Optuna · {ft.get('n_trials', 50)} trials")
    elif short in ("PLSRegression", "PLSDA"):
        parts.append(f"{get('n_components')} comp.")
        if params.get("scale") is False:
            parts.append("no scale")
    elif short == "SavitzkyGolay":
        parts.append(f"w{get('window_length')} p{get('polyorder')} d{get('deriv')}")
    elif short in ("FirstDerivative", "SecondDerivative"):
        parts.append(f"w{get('window_length')} p{get('polyorder')}")
    elif short in ("Ridge", "Lasso"):
        parts.append(f"α={_num(get('alpha'))}")
    elif short == "ElasticNet":
        parts.append(f"α={_num(get('alpha'))} l1={_num(get('l1_ratio'))}")
    elif short in ("SVR", "LogisticRegression", "SVC"):
        parts.append(f"C={_num(get('C'))}")
        if "kernel" in params:
            parts.append(str(params["kernel"]))
    elif short.startswith("KNeighbors"):
        parts.append(f"k={get('n_neighbors')}")
    elif short.startswith("RandomForest"):
        if "n_estimators" in params:
            parts.append(f"{params['n_estimators']} trees")
    elif short == "MLPRegressor":
        sizes = get("hidden_layer_sizes")
        if isinstance(sizes, (list, tuple)):
            parts.append("layers " + "-".join(map(str, sizes)))
    elif short in ("KFold", "GroupKFold"):
        parts.append(f"{get('n_splits')} folds")
    elif short == "ShuffleSplit":
        parts.append(f"{get('n_splits')} splits")
    elif short == "Normalize":
        parts.append(str(get("method")))
    elif short == "CropRange":
        parts.append(f"{_num(params.get('start', '…'))}–{_num(params.get('stop', '…'))}")
    elif short == "Detrend" and "order" in params:
        parts.append(f"order {params['order']}")
    elif params:  # anything else: its first two explicit params
        parts.extend(f"{k}={_num(v)}" for k, v in list(params.items())[:2] if k != "n_jobs")
    if "n_jobs" in params and params["n_jobs"] not in (None, 1):
        parts.append(f"n_jobs={params['n_jobs']}")
    return " · ".join(p for p in parts if p)


def card_text(step: Any) -> str:
    """Title and details on one line: "PLS · 10 comp.", "Optuna-tuned" models:
    "PLS · Optuna · 100 trials"."""
    details = card_details(step)
    return f"{card_label(step)} · {details}" if details else card_label(step)


def card_tooltip(step: Any) -> str:
    """Every explicit parameter, one per line (and the search space of a tuned model)."""
    if isinstance(step, dict) and "branch" in step:
        return card_text(step)
    lines = [_class_of(step)]
    lines += [f"{k} = {json.dumps(v)}" for k, v in _params_of(step).items()]
    if isinstance(step, dict) and isinstance(step.get("finetune_params"), dict):
        ft = step["finetune_params"]
        lines.append("Optuna: " + ", ".join(f"{k}={json.dumps(v)}" for k, v in ft.items()
                                            if k != "model_params"))
        for key, rng in (ft.get("model_params") or {}).items():
            lines.append(f"  {key}: {json.dumps(rng)}")
    if isinstance(step, dict) and step.get("enabled") is False:
        lines.append("(disabled: skipped when running)")
    return "\n".join(lines)
