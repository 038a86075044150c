"""Every fact nirdesk keeps about a step, one entry per step, and the allow-list for class paths.

Why one entry per step: the palette, the inspector, the cards, the results tables, the parallel
policy and the model store all need to know things about a step (its title, its short label,
how to summarise it on a card, whether it is BLAS-bound, which types its fitted state holds).
They all read them here, so adding an operator is one class (which declares its parameters'
``_parameter_constraints``) plus one :class:`RegistryEntry`, and nothing else.

Why a registry at all (docs/design.md decision 7): a pipeline file comes from outside (a
colleague, a download), so it must never be able to name an arbitrary callable such as
``os.system``. Steps are therefore named either by a short registry name ("SNV",
"PLSRegression") or by a dotted class path whose module lies under an allow-listed prefix
("sklearn.", "engine." and whatever the user enables with :func:`allow_module_prefix`). The
prefix is checked *before* anything is imported, and the object found must be an estimator
class or a CV splitter class. :func:`register` keeps that rule: an entry's class path must be
allowed.

Entries hold strings and numbers only and are resolved lazily (by dotted path), so importing
the registry is cheap (the window reads it before scikit-learn is loaded) and does not depend
on every module being importable.
"""
from __future__ import annotations

import difflib
import importlib
import inspect
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.errors import SpecError

__all__ = [
    "CATEGORIES",
    "COSTS",
    "KINDS",
    "TASKS",
    "RegistryEntry",
    "SummaryPart",
    "allow_module_prefix",
    "allowed_module_prefixes",
    "allowed_name_of",
    "cost_of",
    "entry_of",
    "get_entry",
    "kind_of",
    "new_step",
    "register",
    "registry_entries",
    "remove_module_prefix",
    "resolve_class",
    "short_name_of",
    "task_of",
    "unregister",
    "work_of",
]

KINDS = ("preprocessing", "scaling", "model", "splitter")
#: What a preprocessing step does, for the palette's groups (a step without one is listed
#: under its kind): scatter correction and normalisation, derivatives and smoothing,
#: baseline removal, signal conversion (reflectance to absorbance...), column selection and
#: axis changes (crop, windows, resampling), orthogonalisation (filters that project out a
#: subspace: OPLS, OSC, EPO).
CATEGORIES = ("scatter", "derivatives", "baseline", "conversion", "selection",
              "orthogonalisation")
TASKS = ("regression", "classification", "any")
#: Cost classes the parallel policy reads (None = light: plain single-threaded numpy work).
#: "blas": dominated by multi-threaded BLAS (one process already uses every core on large
#: matrices); "threads": runs its own threads or processes (n_jobs); "neural": a neural
#: network (heavy, long, own threads); "gpu": runs on a GPU.
COSTS = ("blas", "threads", "neural", "gpu")

#: One part of a card summary: a format string over the step's parameters, shown always, or
#: a (format, condition) pair shown only when the condition holds; see RegistryEntry.summary.
SummaryPart = str | tuple[str, str]


@dataclass(frozen=True)
class RegistryEntry:
    """Everything nirdesk knows about one step, bound to its class by dotted import path.

    name         the spec's short name ("SavitzkyGolay"); also the palette's entry
    path         "module.Class", imported only when the class is needed
    kind         one of KINDS
    task         one of TASKS
    description  one line for the palette, the inspector and tooltips
    title        the card title ("Savitzky-Golay", "1st derivative"); "" = the name
    abbrev       the short label of result tables and compact views ("SG"); "" = the title
                 when it has no space, else the name
    summary      the card's key parameters, as data: format strings whose ``{param}`` fields
                 are the explicit value or else the class default ("w{window_length}
                 p{polyorder} d{deriv}"), optionally paired with a condition: "param" (shown
                 only when the spec sets param) or "param=JSON" (only when it sets it to that
                 value): ("no scale", "scale=false"). Numbers print short (1e-05, 10), lists
                 as 100-50, None as "…". Empty: the card shows the first two explicit
                 parameters.
    cost         one of COSTS, or None for light work (the parallel policy's input)
    synonyms     more words the palette search finds the step by ("baseline", "smoothing")
    trusted      the skops types (``module.Class``, as skops writes them) the step's fitted
                 state holds, beyond the containers and numpy types every model holds
                 (engine.store.trusted); the class itself included. Loading a saved model
                 refuses any type no registered step lists.
    samples      parameter sets that, fitted on tiny data, produce every type of ``trusted``
                 (each must fit in well under a second); a test and
                 tools/update_trusted_types.py check that they need nothing more
    category     for a preprocessing step, one of CATEGORIES (the palette's group); "" = none
                 (the step is listed under its kind)
    start        parameters a step added from the palette starts with, where the class's own
                 default is not chemometric practice (PLSRegression: scale=False, spectra are
                 centred, not autoscaled; sklearn's default is True); written into the spec
                 explicitly, so the card, the JSON and a run say the same (``new_step``)
    work         for a preprocessing step, its cost per matrix element of one fit + transform
                 relative to a light vectorised numpy pass (1.0, ~2e-8 s per element on a
                 2-core machine): the parallel policy's estimate of how long a branch runs,
                 so an `_or_` over slow baselines is not judged too small to parallelise
    """

    name: str
    path: str
    kind: str
    task: str
    description: str
    title: str = ""
    abbrev: str = ""
    summary: tuple[SummaryPart, ...] = ()
    cost: str | None = None
    synonyms: tuple[str, ...] = ()
    trusted: tuple[str, ...] = ()
    samples: tuple[Mapping[str, Any], ...] = field(default=({},), hash=False)
    category: str = ""
    work: float = 1.0
    start: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        problems = []
        if not self.name or not isinstance(self.name, str):
            problems.append("name must be a non-empty string")
        if not isinstance(self.path, str) or "." not in self.path or not all(
                part.isidentifier() for part in self.path.split(".")):
            problems.append(f"path must be a dotted 'module.Class' path, got {self.path!r}")
        if self.kind not in KINDS:
            problems.append(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.task not in TASKS:
            problems.append(f"task must be one of {', '.join(TASKS)}, got {self.task!r}")
        if self.category and (self.kind != "preprocessing" or self.category not in CATEGORIES):
            problems.append(f"category is for preprocessing steps, one of "
                            f"{', '.join(CATEGORIES)}; got {self.category!r}")
        if not isinstance(self.work, (int, float)) or not self.work > 0:
            problems.append(f"work must be a positive number, got {self.work!r}")
        if self.cost is not None and self.cost not in COSTS:
            problems.append(f"cost must be None or one of {', '.join(COSTS)}, got {self.cost!r}")
        if not isinstance(self.description, str) or "\n" in self.description:
            problems.append("description must be one line")
        for part in self.summary:
            if not (isinstance(part, str) or (isinstance(part, tuple) and len(part) == 2
                                             and all(isinstance(x, str) for x in part))):
                problems.append(f"summary parts are strings or (text, condition) pairs, "
                                f"got {part!r}")
        for kind in self.trusted:
            if not isinstance(kind, str) or "." not in kind:
                problems.append(f"trusted types are 'module.Class' strings, got {kind!r}")
        if not all(isinstance(s, Mapping) for s in self.samples):
            problems.append("samples are parameter dicts")
        if problems:
            raise ValueError(f"registry entry {self.name!r}: " + "; ".join(problems))

    @property
    def label(self) -> str:
        """The card title (``title`` or the name)."""
        return self.title or self.name

    @property
    def short(self) -> str:
        """The table label (``abbrev``, else a one-word title, else the name)."""
        if self.abbrev:
            return self.abbrev
        return self.title if self.title and " " not in self.title else self.name

    @property
    def group(self) -> str:
        """The palette group: the category of a preprocessing step, else the kind."""
        return self.category or self.kind

    @property
    def class_name(self) -> str:
        """The class's own name, the last part of ``path``."""
        return self.path.rpartition(".")[2]

    def load(self) -> type:
        """Import and return the class (ImportError here is a broken install, not bad input)."""
        module_name, _, attr = self.path.rpartition(".")
        return getattr(importlib.import_module(module_name), attr)


_OPS = "engine.operators"
_SKP = "sklearn.preprocessing._data"
_LOGISTIC = "sklearn.linear_model._logistic.LogisticRegression"
_PLS = "sklearn.cross_decomposition._pls.PLSRegression"
_FIT_QUICKLY_FOREST = ({"n_estimators": 3, "max_depth": 3},)

_BUILTIN_ENTRIES = (
    # preprocessing (nirdesk operators)
    RegistryEntry("SNV", f"{_OPS}.SNV", "preprocessing", "any",
                  "Standard normal variate: centre and scale each spectrum (scatter correction).",
                  synonyms=("scatter", "normalization", "standard normal variate"),
                  trusted=("engine.operators.scatter.SNV",), category="scatter"),
    RegistryEntry("MSC", f"{_OPS}.MSC", "preprocessing", "any",
                  "Multiplicative scatter correction against the mean training spectrum.",
                  synonyms=("scatter", "multiplicative", "reference spectrum"),
                  trusted=("engine.operators.scatter.MSC",), category="scatter"),
    RegistryEntry("RNV", f"{_OPS}.RNV", "preprocessing", "any",
                  "Robust normal variate: centre on a low percentile, scale by the spread "
                  "below it.",
                  summary=("P{percentile}",),
                  synonyms=("scatter", "robust", "normalization", "percentile", "SNV"),
                  trusted=("engine.operators.scatter.RNV",), category="scatter", work=5),
    RegistryEntry("EMSC", f"{_OPS}.EMSC", "preprocessing", "any",
                  "Extended MSC: removes gain, a polynomial baseline and interferent spectra.",
                  summary=("order {order}", ("own reference", "reference"),
                           ("interferents", "interferents")),
                  synonyms=("scatter", "extended multiplicative", "MSC", "interferent",
                            "reference spectrum", "polynomial"),
                  trusted=("engine.operators.emsc.EMSC",), category="scatter", work=6,
                  samples=({}, {"order": 1, "interferents": [[float(i % 5) for i in range(24)]]})),
    RegistryEntry("Detrend", f"{_OPS}.Detrend", "preprocessing", "any",
                  "Subtract each spectrum's polynomial trend (baseline offset and slope).",
                  summary=(("order {order}", "order"),),
                  synonyms=("baseline", "trend", "polynomial", "slope"),
                  trusted=("engine.operators.baseline.Detrend",), category="baseline"),
    RegistryEntry("SavitzkyGolay", f"{_OPS}.SavitzkyGolay", "preprocessing", "any",
                  "Savitzky-Golay smoothing or derivative (window_length, polyorder, deriv).",
                  title="Savitzky-Golay", abbrev="SG",
                  summary=("w{window_length} p{polyorder} d{deriv}",),
                  synonyms=("smoothing", "derivative", "filter", "savgol", "SG"),
                  trusted=("engine.operators.derivatives.SavitzkyGolay",),
                  category="derivatives"),
    RegistryEntry("FirstDerivative", f"{_OPS}.FirstDerivative", "preprocessing", "any",
                  "First Savitzky-Golay derivative: removes offsets, sharpens bands.",
                  title="1st derivative", abbrev="D1",
                  summary=("w{window_length} p{polyorder}",),
                  synonyms=("derivative", "slope", "savgol", "D1"),
                  trusted=("engine.operators.derivatives.FirstDerivative",),
                  category="derivatives"),
    RegistryEntry("SecondDerivative", f"{_OPS}.SecondDerivative", "preprocessing", "any",
                  "Second Savitzky-Golay derivative: removes offsets and slopes.",
                  title="2nd derivative", abbrev="D2",
                  summary=("w{window_length} p{polyorder}",),
                  synonyms=("derivative", "curvature", "savgol", "D2"),
                  trusted=("engine.operators.derivatives.SecondDerivative",),
                  category="derivatives"),
    RegistryEntry("NorrisWilliams", f"{_OPS}.NorrisWilliams", "preprocessing", "any",
                  "Norris-Williams gap-segment derivative (segment average, gap difference).",
                  title="Norris-Williams", abbrev="NW",
                  summary=("gap {gap} seg {segment} d{order}",),
                  synonyms=("derivative", "gap", "segment", "gap-segment", "NW"),
                  trusted=("engine.operators.derivatives.NorrisWilliams",),
                  category="derivatives", work=3),
    RegistryEntry("Whittaker", f"{_OPS}.Whittaker", "preprocessing", "any",
                  "Whittaker smoother: penalised least squares, one smoothness parameter.",
                  summary=("\u03bb={lam}", ("d{order}", "order")),
                  synonyms=("smoothing", "smoother", "penalized", "noise", "Eilers"),
                  trusted=("engine.operators.smoothing.Whittaker",), category="derivatives",
                  work=3),
    RegistryEntry("GaussianSmooth", f"{_OPS}.GaussianSmooth", "preprocessing", "any",
                  "Smooth each spectrum with a Gaussian kernel (sigma in columns).",
                  title="Gaussian smoothing", abbrev="Gauss", summary=("\u03c3={sigma}",),
                  synonyms=("smoothing", "gaussian", "filter", "noise", "blur"),
                  trusted=("engine.operators.smoothing.GaussianSmooth",),
                  category="derivatives"),
    RegistryEntry("Normalize", f"{_OPS}.Normalize", "preprocessing", "any",
                  "Divide each spectrum by its norm (vector, area or max).",
                  summary=("{method}",),
                  synonyms=("normalization", "norm", "unit length", "area"),
                  trusted=("engine.operators.normalize.Normalize",),
                  samples=({}, {"method": "area"}, {"method": "max"}), category="scatter"),
    RegistryEntry("CropRange", f"{_OPS}.CropRange", "preprocessing", "any",
                  "Keep only the wavelengths between start and stop.",
                  title="Crop", abbrev="Crop", summary=("{start}\u2013{stop}",),
                  synonyms=("range", "wavelength selection", "trim", "cut"),
                  trusted=("engine.operators.crop.CropRange",),
                  samples=({}, {"start": 1010.0, "stop": 1030.0}), category="selection"),
    RegistryEntry("SelectRanges", f"{_OPS}.SelectRanges", "preprocessing", "any",
                  "Keep several wavelength windows (e.g. [[1100, 1300], [1500, 1750]]).",
                  title="Windows", abbrev="Windows",
                  synonyms=("range", "wavelength selection", "windows", "intervals",
                            "multi-range", "crop"),
                  trusted=("engine.operators.crop.SelectRanges",), category="selection",
                  samples=({"ranges": [[1000.0, 1010.0], [1030.0, 1040.0]]},)),
    RegistryEntry("Resample", f"{_OPS}.Resample", "preprocessing", "any",
                  "Interpolate the spectra onto a given axis or a regular step (no "
                  "extrapolation).",
                  summary=(("step {step}", "step"), ("given axis", "axis"),
                           ("crop outside", 'outside="crop"')),
                  synonyms=("interpolate", "interpolation", "axis", "resampling", "regrid",
                            "common axis"),
                  trusted=("engine.operators.resample.Resample",), category="selection",
                  samples=({"step": 4.0}, {"axis": [1002.5, 1020.0, 1050.0],
                                           "outside": "crop"})),
    # supervised wavelength selection (fitted with y inside every CV fold)
    RegistryEntry("VIPSelector", f"{_OPS}.VIPSelector", "preprocessing", "regression",
                  "Keep the wavelengths with a high PLS VIP (Wold), chosen inside each CV fold.",
                  title="VIP selection", abbrev="VIP",
                  summary=("VIP\u2265{threshold}", ("top {n_keep}", "n_keep")),
                  cost="blas",
                  synonyms=("variable importance", "VIP", "wavelength selection",
                            "variable selection", "feature selection", "Wold"),
                  trusted=("engine.operators.selectors.VIPSelector",), category="selection",
                  work=3, samples=({"n_components": 2, "n_keep": 4},)),
    RegistryEntry("SRSelector", f"{_OPS}.SRSelector", "preprocessing", "regression",
                  "Keep the wavelengths with a high selectivity ratio (target projection).",
                  title="Selectivity ratio", abbrev="SR", summary=(("top {n_keep}", "n_keep"),),
                  cost="blas",
                  synonyms=("selectivity ratio", "target projection", "SR",
                            "wavelength selection", "variable selection", "Rajalahti"),
                  trusted=("engine.operators.selectors.SRSelector",), category="selection",
                  work=3, samples=({"n_components": 2, "n_keep": 4},)),
    RegistryEntry("CARS", f"{_OPS}.CARS", "preprocessing", "regression",
                  "Competitive adaptive reweighted sampling of wavelengths (Li et al. 2009).",
                  title="CARS", abbrev="CARS", summary=("{n_runs} runs",), cost="blas",
                  synonyms=("competitive adaptive reweighted sampling", "wavelength selection",
                            "variable selection", "feature selection", "Monte Carlo"),
                  trusted=("engine.operators.selectors.CARS",), category="selection",
                  work=400, samples=({"n_components": 2, "n_runs": 4, "random_state": 0},)),
    RegistryEntry("MCUVE", f"{_OPS}.MCUVE", "preprocessing", "regression",
                  "Monte Carlo uninformative variable elimination (noise-variable cut-off).",
                  title="MC-UVE", abbrev="MC-UVE", summary=("{n_runs} runs",), cost="blas",
                  synonyms=("uninformative variable elimination", "UVE", "MC-UVE",
                            "wavelength selection", "variable selection", "Centner"),
                  trusted=("engine.operators.selectors.MCUVE",), category="selection",
                  work=300, samples=({"n_components": 2, "n_runs": 5, "n_keep": 4,
                                      "random_state": 0},)),
    RegistryEntry("Baseline", f"{_OPS}.Baseline", "preprocessing", "any",
                  "Subtract an asymmetric least squares (ALS) baseline from each spectrum.",
                  synonyms=("baseline", "ALS", "asymmetric least squares", "background"),
                  trusted=("engine.operators.baseline.Baseline",), category="baseline",
                  work=10),
    RegistryEntry("AirPLS", f"{_OPS}.AirPLS", "preprocessing", "any",
                  "Adaptive iteratively reweighted penalised least squares baseline (airPLS).",
                  title="airPLS", abbrev="airPLS", summary=("\u03bb={lam}",),
                  synonyms=("baseline", "background", "penalized least squares", "airPLS"),
                  trusted=("engine.operators.baseline_fits.AirPLS",), category="baseline", work=80),
    RegistryEntry("ArPLS", f"{_OPS}.ArPLS", "preprocessing", "any",
                  "Asymmetrically reweighted penalised least squares baseline (arPLS).",
                  title="arPLS", abbrev="arPLS", summary=("\u03bb={lam}",),
                  synonyms=("baseline", "background", "penalized least squares", "arPLS"),
                  trusted=("engine.operators.baseline_fits.ArPLS",), category="baseline", work=800),
    RegistryEntry("Rubberband", f"{_OPS}.Rubberband", "preprocessing", "any",
                  "Subtract the lower convex hull of each spectrum (no parameter).",
                  synonyms=("baseline", "convex hull", "background", "rubber band"),
                  trusted=("engine.operators.baseline_fits.Rubberband",), category="baseline",
                  work=40),
    RegistryEntry("ModPoly", f"{_OPS}.ModPoly", "preprocessing", "any",
                  "Polynomial baseline kept under the bands by iterative clipping (ModPoly).",
                  title="Polynomial baseline", abbrev="ModPoly", summary=("order {order}",),
                  synonyms=("baseline", "polynomial", "modified polynomial", "background",
                            "fluorescence"),
                  trusted=("engine.operators.baseline_fits.ModPoly",), category="baseline",
                  work=150),
    # signal conversion
    RegistryEntry("Absorbance", f"{_OPS}.Absorbance", "preprocessing", "any",
                  "Reflectance or transmittance to absorbance, log10(1/R).",
                  abbrev="log(1/R)", summary=(("from %", "percent=true"),),
                  synonyms=("conversion", "reflectance", "transmittance", "log(1/R)",
                            "Beer-Lambert", "units"),
                  trusted=("engine.operators.conversion.Absorbance",), category="conversion",
                  work=2),
    RegistryEntry("KubelkaMunk", f"{_OPS}.KubelkaMunk", "preprocessing", "any",
                  "Diffuse reflectance to Kubelka-Munk units, (1-R)\u00b2/2R.",
                  title="Kubelka-Munk", abbrev="KM", summary=(("from %", "percent=true"),),
                  synonyms=("conversion", "reflectance", "diffuse", "K/S", "units"),
                  trusted=("engine.operators.conversion.KubelkaMunk",),
                  category="conversion", work=2),
    RegistryEntry("OPLS", "engine.models.OPLS", "preprocessing", "regression",
                  "O-PLS filter: removes spectral variation orthogonal to y; put PLS after it.",
                  title="OPLS filter", abbrev="OPLS", summary=("{n_components} orth.",),
                  cost="blas",
                  synonyms=("orthogonal", "O-PLS", "OPLS", "OSC", "orthogonal signal",
                            "filter", "Trygg"),
                  trusted=("engine.models.opls.OPLS",), category="orthogonalisation", work=4),
    RegistryEntry("OSC", f"{_OPS}.OSC", "preprocessing", "regression",
                  "Orthogonal signal correction (Fearn 2000): removes the largest variation "
                  "orthogonal to y.",
                  title="OSC", abbrev="OSC", summary=("{n_components} orth.",), cost="blas",
                  synonyms=("orthogonal", "orthogonal signal correction", "OSC", "filter",
                            "Fearn", "Wold"),
                  trusted=("engine.operators.orthogonal.OSC",), category="orthogonalisation",
                  work=4),
    RegistryEntry("EPO", f"{_OPS}.EPO", "preprocessing", "any",
                  "External parameter orthogonalisation: projects out what an instrument or "
                  "temperature changes.",
                  title="EPO", abbrev="EPO", summary=("{n_components} dir.",), cost="blas",
                  synonyms=("orthogonal", "external parameter", "EPO", "transfer",
                            "instrument", "temperature", "calibration transfer", "Roger"),
                  trusted=("engine.operators.orthogonal.EPO",), category="orthogonalisation",
                  work=2, samples=({"n_components": 1,
                                    "differences": [[math.sin(i / 3.0) for i in range(24)],
                                                    [0.01 * i for i in range(24)]]},)),
    # scaling (per wavelength, learnt on the training rows)
    RegistryEntry("StandardScaler", "sklearn.preprocessing.StandardScaler", "scaling", "any",
                  "Centre each wavelength and scale it to unit variance.",
                  title="Standard scaler", abbrev="StdScaler",
                  synonyms=("autoscale", "standardize", "z-score", "unit variance"),
                  trusted=(f"{_SKP}.StandardScaler",)),
    RegistryEntry("MinMaxScaler", "sklearn.preprocessing.MinMaxScaler", "scaling", "any",
                  "Scale each wavelength to a fixed range (default 0..1).",
                  title="Min-max scaler", abbrev="MinMax",
                  synonyms=("range", "rescale", "normalization"),
                  trusted=(f"{_SKP}.MinMaxScaler",)),
    # regression models
    RegistryEntry("PLSRegression", "sklearn.cross_decomposition.PLSRegression", "model",
                  "regression", "Partial least squares regression, the chemometrics workhorse.",
                  title="PLS", abbrev="PLS",
                  summary=("{n_components} comp.", ("no scale", "scale=false")), cost="blas",
                  synonyms=("PLS", "PLSR", "latent variables", "linear"),
                  trusted=(_PLS,), samples=({}, {"scale": True}), start={"scale": False}),
    RegistryEntry("IKPLS", "engine.models.IKPLS", "model", "regression",
                  "Improved kernel PLS (Dayal & MacGregor 1997): the same model as PLS, "
                  "faster on many samples.",
                  title="Kernel PLS (IKPLS)", abbrev="IKPLS",
                  summary=("{n_components} comp.", ("scaled", "scale=true")), cost="blas",
                  synonyms=("ikpls", "kernel pls", "fast pls", "PLS", "latent variables",
                            "linear"),
                  trusted=("engine.models.ikpls.IKPLS",), samples=({}, {"scale": True})),
    RegistryEntry("PCR", "engine.models.PCR", "model", "regression",
                  "Principal component regression: least squares on the first PCA scores.",
                  summary=("{n_components} comp.",), cost="blas",
                  synonyms=("PCR", "principal components", "PCA", "latent variables",
                            "linear"),
                  trusted=("engine.models.pcr.PCR",)),
    RegistryEntry("MLR", "engine.models.MLR", "model", "regression",
                  "Multiple linear regression (least squares) on a few selected wavelengths.",
                  summary=(("no intercept", "fit_intercept=false"),), cost="blas",
                  synonyms=("MLR", "OLS", "least squares", "linear", "selected wavelengths"),
                  trusted=("engine.models.mlr.MLR",),
                  samples=({}, {"fit_intercept": False})),
    RegistryEntry("Ridge", "sklearn.linear_model.Ridge", "model", "regression",
                  "Linear least squares with an L2 penalty (alpha).",
                  summary=("\u03b1={alpha}",), cost="blas",
                  synonyms=("linear", "L2", "regularization", "Tikhonov"),
                  trusted=("sklearn.linear_model._ridge.Ridge",),
                  samples=({}, {"solver": "svd"}, {"solver": "lsqr"})),
    RegistryEntry("Lasso", "sklearn.linear_model.Lasso", "model", "regression",
                  "Linear model with an L1 penalty: selects a few wavelengths.",
                  summary=("\u03b1={alpha}",),
                  synonyms=("linear", "L1", "sparse", "variable selection"),
                  trusted=("sklearn.linear_model._coordinate_descent.Lasso",)),
    RegistryEntry("ElasticNet", "sklearn.linear_model.ElasticNet", "model", "regression",
                  "Linear model mixing L1 and L2 penalties (alpha, l1_ratio).",
                  summary=("\u03b1={alpha} l1={l1_ratio}",),
                  synonyms=("linear", "L1", "L2", "regularization"),
                  trusted=("sklearn.linear_model._coordinate_descent.ElasticNet",)),
    RegistryEntry("SVR", "sklearn.svm.SVR", "model", "regression",
                  "Support vector regression (RBF kernel by default).",
                  summary=("C={C}", ("{kernel}", "kernel")),
                  synonyms=("support vector", "SVM", "kernel", "non-linear"),
                  trusted=("sklearn.svm._classes.SVR",),
                  samples=({}, {"kernel": "linear"}, {"kernel": "poly"})),
    RegistryEntry("KNeighborsRegressor", "sklearn.neighbors.KNeighborsRegressor", "model",
                  "regression", "Average of the k most similar spectra.",
                  title="kNN", abbrev="kNN", summary=("k={n_neighbors}",), cost="threads",
                  synonyms=("nearest neighbours", "neighbors", "local", "kNN"),
                  trusted=("sklearn.neighbors._regression.KNeighborsRegressor",
                           "sklearn.neighbors._kd_tree.KDTree",
                           "sklearn.neighbors._ball_tree.BallTree",
                           "sklearn.metrics._dist_metrics.EuclideanDistance64",
                           "sklearn.metrics._dist_metrics.ManhattanDistance64",
                           "sklearn.metrics._dist_metrics.ChebyshevDistance64",
                           "sklearn.metrics._dist_metrics.MinkowskiDistance64"),
                  samples=({}, {"algorithm": "kd_tree"}, {"algorithm": "ball_tree"},
                           {"algorithm": "brute"}, {"p": 1, "algorithm": "kd_tree"},
                           {"metric": "chebyshev", "algorithm": "ball_tree"},
                           {"p": 3, "algorithm": "ball_tree"})),
    RegistryEntry("RandomForestRegressor", "sklearn.ensemble.RandomForestRegressor", "model",
                  "regression", "Ensemble of decision trees (non-linear, slower).",
                  title="RandomForest", abbrev="RF",
                  summary=(("{n_estimators} trees", "n_estimators"),), cost="threads",
                  synonyms=("trees", "ensemble", "RF", "non-linear"),
                  trusted=("sklearn.ensemble._forest.RandomForestRegressor",
                           "sklearn.tree._classes.DecisionTreeRegressor",
                           "sklearn.tree._tree.Tree"),
                  samples=_FIT_QUICKLY_FOREST),
    RegistryEntry("MLPRegressor", "sklearn.neural_network.MLPRegressor", "model", "regression",
                  "Small fully connected neural network.",
                  title="MLP", abbrev="MLP", summary=("layers {hidden_layer_sizes}",),
                  cost="neural", synonyms=("neural network", "ANN", "deep learning"),
                  trusted=("sklearn.neural_network._multilayer_perceptron.MLPRegressor",
                           "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
                           "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
                           "numpy.random.mtrand.RandomState"),
                  samples=({"solver": "sgd", "max_iter": 5}, {"solver": "lbfgs", "max_iter": 5},
                           {"max_iter": 5})),
    # classification models
    RegistryEntry("LogisticRegression", "sklearn.linear_model.LogisticRegression", "model",
                  "classification", "Linear classifier with class probabilities.",
                  title="Logistic", abbrev="LogReg", summary=("C={C}",),
                  synonyms=("classifier", "linear", "probability", "LogReg"),
                  trusted=(_LOGISTIC,), samples=({"max_iter": 50},)),
    RegistryEntry("PLSDA", "engine.models.PLSDA", "model", "classification",
                  "PLS discriminant analysis: PLS on one-hot classes, predicts the largest.",
                  title="PLS-DA", abbrev="PLS-DA",
                  summary=("{n_components} comp.", ("no scale", "scale=false")), cost="blas",
                  synonyms=("PLS-DA", "discriminant", "classifier", "latent variables"),
                  trusted=("engine.models.plsda.PLSDA", _PLS)),
    RegistryEntry("PLSDAOneVsRest", "engine.models.PLSDAOneVsRest", "model", "classification",
                  "PLS-DA with one PLS model per class; soft membership above a threshold.",
                  title="PLS-DA one-vs-rest", abbrev="PLS-DA-OvR",
                  summary=("{n_components} comp.", ("no scale", "scale=false")), cost="blas",
                  synonyms=("PLS-DA", "discriminant", "classifier", "one-vs-rest", "OvR",
                            "soft assignment", "latent variables"),
                  trusted=("engine.models.plsda_ovr.PLSDAOneVsRest", _PLS)),
    RegistryEntry("SIMCA", "engine.models.SIMCA", "model", "classification",
                  "One PCA model per class; a sample goes to the nearest class by T\u00b2 and Q.",
                  summary=("{n_components} PC", "{level}"), cost="blas",
                  synonyms=("SIMCA", "class modelling", "classifier", "authentication",
                            "PCA", "T2", "Q residuals"),
                  trusted=("engine.models.simca.SIMCA",)),
    RegistryEntry("RandomForestClassifier", "sklearn.ensemble.RandomForestClassifier", "model",
                  "classification", "Ensemble of decision trees for class labels.",
                  title="RandomForest", abbrev="RF",
                  summary=(("{n_estimators} trees", "n_estimators"),), cost="threads",
                  synonyms=("trees", "ensemble", "RF", "classifier"),
                  trusted=("sklearn.ensemble._forest.RandomForestClassifier",
                           "sklearn.tree._classes.DecisionTreeClassifier",
                           "sklearn.tree._tree.Tree"),
                  samples=_FIT_QUICKLY_FOREST),
    # cross-validation splitters (never part of a saved model: nothing to trust)
    RegistryEntry("KFold", "sklearn.model_selection.KFold", "splitter", "any",
                  "K folds; each sample is tested once.",
                  summary=("{n_splits} folds",), synonyms=("cross-validation", "CV", "folds")),
    RegistryEntry("ShuffleSplit", "sklearn.model_selection.ShuffleSplit", "splitter", "any",
                  "Repeated random train/test splits.",
                  summary=("{n_splits} splits",),
                  synonyms=("cross-validation", "random split", "Monte Carlo", "holdout")),
    RegistryEntry("GroupKFold", "sklearn.model_selection.GroupKFold", "splitter", "any",
                  "K folds that keep each group (e.g. replicate scans) in one fold.",
                  summary=("{n_splits} folds",),
                  synonyms=("cross-validation", "replicates", "groups", "folds")),
    RegistryEntry("KennardStoneSplit", "engine.splitters.KennardStoneSplit", "splitter", "any",
                  "One split: Kennard-Stone picks a training set spanning the spectra.",
                  title="Kennard-Stone", abbrev="KS",
                  synonyms=("calibration set", "sample selection", "Kennard-Stone")),
    RegistryEntry("SPXYSplit", "engine.splitters.SPXYSplit", "splitter", "regression",
                  "One split: Kennard-Stone on joint spectra and reference-value distances.",
                  title="SPXY", abbrev="SPXY",
                  synonyms=("calibration set", "sample selection", "Kennard-Stone", "Galvao")),
    RegistryEntry("VenetianBlinds", "engine.splitters.VenetianBlinds", "splitter", "any",
                  "K folds dealt out in data order: row i is tested in fold i mod k.",
                  title="Venetian blinds", abbrev="VB", summary=("{n_splits} folds",),
                  synonyms=("cross-validation", "CV", "folds", "interleaved", "systematic")),
    RegistryEntry("ContiguousBlocks", "engine.splitters.ContiguousBlocks", "splitter", "any",
                  "K folds of consecutive rows in data order (KFold without shuffling).",
                  title="Contiguous blocks", abbrev="Blocks", summary=("{n_splits} folds",),
                  synonyms=("cross-validation", "CV", "folds", "blocks", "drift")),
    RegistryEntry("LeaveOneGroupOut", "sklearn.model_selection.LeaveOneGroupOut", "splitter",
                  "any", "One fold per group: each sample's replicate scans (or batch) held "
                  "out together.",
                  title="Leave one group out", abbrev="LOGO",
                  synonyms=("cross-validation", "replicates", "groups", "batches",
                            "leave-one-out", "LOGO")),
)

#: Allow-listed classes that are no palette entry but whose cost the policy must still know
#: (a spec may name them by dotted path).
_UNLISTED_COSTS = {"sklearn.linear_model.LinearRegression": "blas"}

_ENTRIES: dict[str, RegistryEntry] = {}

_BUILTIN_PREFIXES = ("sklearn.", "engine.")
_user_prefixes: list[str] = []


# -- allow-list -----------------------------------------------------------------------------

def _normalise_prefix(prefix: str) -> str:
    if not isinstance(prefix, str):
        raise SpecError(f"a module prefix must be a string, got {type(prefix).__name__}")
    body = prefix[:-1] if prefix.endswith(".") else prefix
    if not body or not all(part.isidentifier() for part in body.split(".")):
        raise SpecError(f"invalid module prefix {prefix!r}: expected a dotted module name "
                        "such as 'mypackage' or 'mypackage.models'")
    return body + "."


def allow_module_prefix(prefix: str) -> None:
    """Allow dotted class paths under ``prefix`` (e.g. "mylab." or "mylab.models").

    The prefix always ends at a module boundary: "mylab" allows "mylab.X" and
    "mylab.sub.X", never "mylab_evil.X".
    """
    norm = _normalise_prefix(prefix)
    if norm not in _BUILTIN_PREFIXES and norm not in _user_prefixes:
        _user_prefixes.append(norm)


def remove_module_prefix(prefix: str) -> None:
    """Withdraw a prefix added with :func:`allow_module_prefix` (built-ins stay)."""
    norm = _normalise_prefix(prefix)
    if norm in _user_prefixes:
        _user_prefixes.remove(norm)


def allowed_module_prefixes() -> tuple[str, ...]:
    """The prefixes currently allowed, built-ins first."""
    return _BUILTIN_PREFIXES + tuple(_user_prefixes)


def _module_allowed(module_name: str) -> bool:
    return any((module_name + ".").startswith(p) for p in allowed_module_prefixes())


# -- registration --------------------------------------------------------------------------

def register(entry: RegistryEntry) -> None:
    """Add a step (for plugins and tests): it appears in the palette, the inspector, the
    cards, the result tables, and its fitted models save and reload.

    The allow-list rule holds: the entry's class path must lie under an allowed module prefix
    (call :func:`allow_module_prefix` first for a module outside "sklearn." and "engine.").
    Nothing is imported here. ValueError for a name already registered or a path that is
    not allowed.
    """
    if not isinstance(entry, RegistryEntry):
        raise ValueError(f"register() takes a RegistryEntry, got {type(entry).__name__}")
    if entry.name in _ENTRIES:
        raise ValueError(f"a step called {entry.name!r} is already registered "
                         "(unregister it first)")
    module_name = entry.path.rpartition(".")[0]
    if not _module_allowed(module_name):
        allowed = ", ".join(f"{p}*" for p in allowed_module_prefixes())
        raise ValueError(f"cannot register {entry.name!r}: its class path {entry.path!r} is "
                         f"not allowed (only classes under {allowed}; see "
                         "allow_module_prefix)")
    _ENTRIES[entry.name] = entry


def unregister(name: str) -> RegistryEntry | None:
    """Remove the step called ``name``; returns its entry (None if there was none)."""
    return _ENTRIES.pop(name, None)


for _entry in _BUILTIN_ENTRIES:
    register(_entry)
del _entry


# -- classification of classes -------------------------------------------------------------

def _is_splitter_class(cls: type) -> bool:
    return (callable(getattr(cls, "split", None)) and callable(getattr(cls, "get_n_splits", None))
            and not hasattr(cls, "fit"))


def _is_estimator_class(cls: type) -> bool:
    return callable(getattr(cls, "get_params", None)) and callable(getattr(cls, "fit", None))


def new_step(name: str) -> str | dict[str, Any]:
    """The JSON step a palette adds for entry ``name``: the bare name, or {"class", "params"}
    with the entry's ``start`` parameters (a PLS from the palette is {"scale": false})."""
    entry = _ENTRIES.get(name)
    if entry is None or not entry.start:
        return name
    return {"class": name, "params": dict(entry.start)}


def get_entry(name: str) -> RegistryEntry | None:
    """The registry entry called ``name``, or None."""
    return _ENTRIES.get(name)


def registry_entries(kind: str | None = None, task: str | None = None) -> list[RegistryEntry]:
    """All entries in palette order, optionally filtered by kind and/or task.

    ``task`` keeps entries of that task plus the task-independent ("any") ones.
    """
    return [e for e in _ENTRIES.values()
            if (kind is None or e.kind == kind)
            and (task is None or e.task in (task, "any"))]


def entry_of(cls_or_obj: Any) -> RegistryEntry | None:
    """The entry of a class (or of an instance's class), or None when it is not registered.

    Only entries whose path ends in the class's name are imported to compare, so this is
    cheap for a class whose module is already loaded.
    """
    cls = cls_or_obj if inspect.isclass(cls_or_obj) else type(cls_or_obj)
    name = getattr(cls, "__name__", "")
    for entry in list(_ENTRIES.values()):
        if entry.class_name != name:
            continue
        try:
            if entry.load() is cls:
                return entry
        except (ImportError, AttributeError):
            continue
    return None


def _registered_name(cls: type) -> str | None:
    entry = entry_of(cls)
    return None if entry is None else entry.name


def cost_of(step: Any) -> str | None:
    """The cost class of a step for the parallel policy: "blas", "threads", "neural", "gpu",
    or None for light work (and for classes nirdesk knows nothing about).

    ``step`` is a class, an instance, a registry name or a dotted path; names and paths are
    looked up without importing anything.
    """
    if isinstance(step, str):
        entry = _ENTRIES.get(step) or next(
            (e for e in _ENTRIES.values() if e.path == step), None)
        return entry.cost if entry is not None else _UNLISTED_COSTS.get(step)
    entry = entry_of(step)
    if entry is not None:
        return entry.cost
    cls = step if inspect.isclass(step) else type(step)
    for path in (short_name_of(cls), f"{cls.__module__}.{cls.__qualname__}"):
        if path in _UNLISTED_COSTS:
            return _UNLISTED_COSTS[path]
    return None


def work_of(step: Any) -> float:
    """A preprocessing step's relative cost per element (RegistryEntry.work; 1.0 for classes
    nirdesk knows nothing about). ``step`` is a class, an instance or a registry name."""
    entry = _ENTRIES.get(step) if isinstance(step, str) else entry_of(step)
    return 1.0 if entry is None else float(entry.work)


def kind_of(cls: type) -> str | None:
    """"preprocessing", "scaling", "model" or "splitter" for a class; None if it is none.

    Registered classes use their entry; other classes are classified by their methods
    (a splitter has split/get_n_splits and no fit; a model predicts; an operator transforms).
    """
    name = _registered_name(cls)
    if name is not None:
        return _ENTRIES[name].kind
    if _is_splitter_class(cls):
        return "splitter"
    if _is_estimator_class(cls):
        if callable(getattr(cls, "predict", None)):
            return "model"
        if callable(getattr(cls, "transform", None)):
            return "preprocessing"
    return None


def task_of(cls: type) -> str:
    """"regression", "classification" or "any" (for operators, splitters and unknown models)."""
    name = _registered_name(cls)
    if name is not None:
        return _ENTRIES[name].task
    from sklearn.base import ClassifierMixin, RegressorMixin
    if issubclass(cls, ClassifierMixin):
        return "classification"
    if issubclass(cls, RegressorMixin):
        return "regression"
    return "any"


# -- resolution ----------------------------------------------------------------------------

def _suggest(name: str) -> str:
    names = list(_ENTRIES)
    lower = {n.lower(): n for n in names}
    hits = difflib.get_close_matches(name.lower(), list(lower), n=3, cutoff=0.6)
    if not hits:
        return ""
    return "; did you mean " + " or ".join(lower[h] for h in hits) + "?"


def resolve_class(name: str) -> type:
    """The class a spec names: a registry short name or an allow-listed dotted path.

    Raises SpecError (without ``where``; the parser adds it) for unknown names, paths outside
    the allow-list (checked before any import), import failures, and objects that are not
    estimator or CV splitter classes.
    """
    if not isinstance(name, str) or not name:
        raise SpecError(f"a class name must be a non-empty string, got {name!r}")
    entry = _ENTRIES.get(name)
    if entry is not None:
        if not _module_allowed(entry.path.rpartition(".")[0]):  # its prefix was withdrawn
            raise SpecError(f"class {name!r} ({entry.path}) is no longer allowed: its module "
                            "prefix was removed from the allow-list")
        return entry.load()
    if "." not in name:
        raise SpecError(f"unknown class {name!r}{_suggest(name)} "
                        "(use a registry name or an allowed dotted path such as "
                        "'sklearn.svm.SVR')")
    module_name, _, attr = name.rpartition(".")
    parts = name.split(".")
    if not all(p.isidentifier() for p in parts):
        raise SpecError(f"invalid class path {name!r}")
    if not _module_allowed(module_name):
        allowed = ", ".join(f"{p}*" for p in allowed_module_prefixes())
        raise SpecError(f"class path {name!r} is not allowed: only classes under {allowed} "
                        "may be named in a pipeline (see allow_module_prefix)")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise SpecError(f"cannot import module {module_name!r} for class {name!r}: {exc}") \
            from None
    obj = getattr(module, attr, None)
    if obj is None:
        raise SpecError(f"module {module_name!r} has no class {attr!r}{_suggest(attr)}")
    if not inspect.isclass(obj):
        raise SpecError(f"{name!r} is a {type(obj).__name__}, not an estimator or splitter "
                        "class")
    # A re-exported class must itself come from an allowed module.
    if not _module_allowed(getattr(obj, "__module__", "") or ""):
        raise SpecError(f"{name!r} is defined in module {obj.__module__!r}, which is not "
                        "allowed")
    if not (_is_estimator_class(obj) or _is_splitter_class(obj)):
        raise SpecError(f"{name!r} is not a scikit-learn estimator (get_params/fit) nor a "
                        "CV splitter (split/get_n_splits)")
    return obj


def short_name_of(cls_or_obj: Any) -> str:
    """The name a spec uses for a class or instance: its registry name if registered, else
    the shortest already-imported public dotted path (e.g. "sklearn.svm.SVR" rather than
    "sklearn.svm._classes.SVR"), an allowed one if there is one. Does not check that the
    class may be used: see :func:`allowed_name_of`."""
    cls = cls_or_obj if inspect.isclass(cls_or_obj) else type(cls_or_obj)
    name = _registered_name(cls)
    if name is not None:
        return name
    module_name = getattr(cls, "__module__", "") or ""
    qual = cls.__qualname__
    candidates = []
    if "." not in qual and module_name:
        parts = module_name.split(".")
        for k in range(1, len(parts) + 1):
            mod = sys.modules.get(".".join(parts[:k]))
            if mod is not None and getattr(mod, qual, None) is cls:
                candidates.append(".".join(parts[:k]))
    # Prefer a path the allow-list accepts, so that the name resolves again when loaded.
    for mod_name in candidates:
        if _module_allowed(mod_name):
            return f"{mod_name}.{qual}"
    return f"{candidates[0] if candidates else module_name}.{qual}"


def allowed_name_of(cls_or_obj: Any) -> str:
    """Like :func:`short_name_of`, but raise SpecError unless a spec may name this class
    (registered, or an allow-listed dotted path that resolves back to the same class)."""
    cls = cls_or_obj if inspect.isclass(cls_or_obj) else type(cls_or_obj)
    name = short_name_of(cls)
    if name in _ENTRIES:
        return name
    try:
        ok = resolve_class(name) is cls
    except SpecError as exc:
        raise SpecError(f"class {cls.__qualname__} cannot be used in a pipeline: "
                        f"{exc.message}") from None
    if not ok:
        raise SpecError(f"class {cls.__qualname__} cannot be used in a pipeline: {name!r} "
                        "names a different class")
    return name
