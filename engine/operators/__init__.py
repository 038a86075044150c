"""nirdesk's spectral preprocessing operators, as scikit-learn transformers.

Every operator subclasses :class:`SpectralOperator` (sklearn BaseEstimator +
TransformerMixin), so it works in a plain sklearn Pipeline and with ``clone()``. Rows are
spectra, columns are wavelengths; every computation is vectorised over the rows.

Conventions the pipeline parser and the engine rely on:

* ``type(op)._parameter_constraints`` declares each constructor parameter's valid values in
  scikit-learn's vocabulary (Interval, StrOptions, "array-like", None, ...): the one source
  of the data-free check, the editor's inspector fields and ``nirdesk info STEP``.
* ``op.check_params()`` validates the constructor parameters without data (the constraints,
  then the rules between parameters) and raises ValueError naming the parameter and the
  allowed values; ``fit`` runs it too, and adds the checks that need the data (e.g.
  window_length larger than the number of columns).
* ``type(op).needs_wavelengths`` is True for operators that use the wavelength axis
  (CropRange, Detrend): set it with ``op.set_params(wavelengths=axis)`` before fitting,
  where ``axis`` has one value per input column of that step.
* ``op.transform_wavelengths(axis)`` returns the axis of the step's output columns (identity
  except CropRange, SelectRanges and Resample); it works on unfitted operators, so the engine
  can propagate the axis along a chain before fitting.
"""
from __future__ import annotations

from engine.operators._base import SpectralOperator
from engine.operators.baseline import Baseline, Detrend, als_baseline
from engine.operators.baseline_fits import AirPLS, ArPLS, ModPoly, Rubberband
from engine.operators.conversion import Absorbance, KubelkaMunk
from engine.operators.crop import CropRange, SelectRanges
from engine.operators.derivatives import (
    FirstDerivative,
    NorrisWilliams,
    SavitzkyGolay,
    SecondDerivative,
)
from engine.operators.emsc import EMSC
from engine.operators.normalize import Normalize
from engine.operators.orthogonal import EPO, OSC
from engine.operators.resample import Resample
from engine.operators.scatter import MSC, RNV, SNV
from engine.operators.selectors import CARS, MCUVE, SRSelector, VIPSelector
from engine.operators.smoothing import GaussianSmooth, Whittaker

__all__ = [
    "CARS",
    "EMSC",
    "EPO",
    "MCUVE",
    "MSC",
    "OPERATORS",
    "OSC",
    "RNV",
    "SNV",
    "Absorbance",
    "AirPLS",
    "ArPLS",
    "Baseline",
    "CropRange",
    "Detrend",
    "FirstDerivative",
    "GaussianSmooth",
    "KubelkaMunk",
    "ModPoly",
    "Normalize",
    "NorrisWilliams",
    "Resample",
    "Rubberband",
    "SRSelector",
    "SavitzkyGolay",
    "SecondDerivative",
    "SelectRanges",
    "SpectralOperator",
    "VIPSelector",
    "Whittaker",
    "als_baseline",
]

#: Short name -> class, for every operator of this package but the orthogonalisation filters
#: (OSC needs y, EPO the user's difference spectra: their contract is tested with those in
#: tests/engine/test_operators_orthogonal.py and by sklearn's checks) and the supervised
#: selectors (they need y: tests/engine/test_selectors.py and sklearn's checks).
OPERATORS: dict[str, type[SpectralOperator]] = {
    cls.__name__: cls
    for cls in (SNV, MSC, Detrend, SavitzkyGolay, FirstDerivative, SecondDerivative,
                Normalize, CropRange, Baseline, EMSC, RNV, NorrisWilliams, Whittaker,
                GaussianSmooth, AirPLS, ArPLS, Rubberband, ModPoly, Absorbance, KubelkaMunk,
                Resample, SelectRanges)
}
