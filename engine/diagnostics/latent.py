"""A latent-variable model reduced to the arrays that T², Q and leverage of any sample need.

Why a plain dataclass of arrays: the same object serves the PCA explorer, a PLS branch's
interpretation, a run's outlier list and the flags of predictions made months later from a
saved project. It is saved next to each model as an npz of numbers (no pickle: nothing loaded
from a file may run code), and it works with or without the fitted estimator at hand.

All three statistics live in the model's centred-scaled space ``Zs = (Z - mean) / scale``:

* scores   t = Zs R                      (R = ``rotations``)
* T²       Σ_k t_k² / var(t_k)           (Hotelling; var over the calibration scores, ddof=1)
* Q (SPE)  ||Zs - t Pᵀ||²                 (P = ``loadings``: the residual's squared norm)
* leverage 1/n + T² / (n - 1)            (= 1/n + t (TᵀT)⁻¹ tᵀ for centred, orthogonal scores)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.diagnostics.limits import q_limit, t2_limit

__all__ = ["KINDS", "LatentModel"]

KINDS: tuple[str, ...] = ("pca", "pls")
_FORMAT = 1  # version of the to_arrays layout
_KEYS = ("format", "kind", "mean", "scale", "rotations", "loadings", "score_var", "n_samples",
         "theta", "wavelengths")


#: above this many values (rows x columns) spectra are projected a block of rows at a time
ROWS_AT_ONCE_VALUES = 2**24


def _block_rows(p: int) -> int:
    return max(1, 2**22 // max(p, 1))


@dataclass
class LatentModel:
    """What T², Q and leverage of ANY sample need, as arrays only (saved with each model).

    kind         "pls" | "pca"
    mean         (p,) centre of the model's input (the preprocessed spectra)
    scale        (p,) divisor applied after centring (ones unless PLS scale=True)
    rotations    (p, a) centred-scaled X -> scores (PCA: loadings; PLS: x_rotations_)
    loadings     (p, a) scores -> reconstruction (PCA: loadings; PLS: x_loadings_)
    score_var    (a,) variance (ddof=1) of the calibration scores
    n_samples    calibration size
    theta        (3,) residual_theta of the calibration residuals (for the Q limit)
    wavelengths  (p,) axis of the preprocessed data (for plots)
    """

    kind: str
    mean: np.ndarray
    scale: np.ndarray
    rotations: np.ndarray
    loadings: np.ndarray
    score_var: np.ndarray
    n_samples: int
    theta: np.ndarray
    wavelengths: np.ndarray

    def __post_init__(self) -> None:
        self.kind = str(self.kind)
        self.mean = np.asarray(self.mean, dtype=np.float64)
        self.scale = np.asarray(self.scale, dtype=np.float64)
        self.rotations = np.asarray(self.rotations, dtype=np.float64)
        self.loadings = np.asarray(self.loadings, dtype=np.float64)
        self.score_var = np.asarray(self.score_var, dtype=np.float64)
        self.n_samples = int(self.n_samples)
        self.theta = np.asarray(self.theta, dtype=np.float64)
        self.wavelengths = np.asarray(self.wavelengths, dtype=np.float64)
        self._validate()

    def _validate(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"latent model kind must be one of {', '.join(KINDS)}, "
                             f"got {self.kind!r}")
        if self.mean.ndim != 1 or self.mean.size == 0:
            raise ValueError("latent model: mean must be a non-empty 1-D array")
        p = self.mean.size
        for name in ("scale", "wavelengths"):
            if getattr(self, name).shape != (p,):
                raise ValueError(f"latent model: {name} must have shape ({p},) like mean, "
                                 f"got {getattr(self, name).shape}")
        if self.rotations.ndim != 2 or self.rotations.shape[0] != p \
                or self.rotations.shape[1] < 1:
            raise ValueError(f"latent model: rotations must have shape ({p}, a), a >= 1; "
                             f"got {self.rotations.shape}")
        a = self.rotations.shape[1]
        if self.loadings.shape != (p, a):
            raise ValueError(f"latent model: loadings must have shape ({p}, {a}), got "
                             f"{self.loadings.shape}")
        if self.score_var.shape != (a,):
            raise ValueError(f"latent model: score_var must have shape ({a},), got "
                             f"{self.score_var.shape}")
        if self.theta.shape != (3,):
            raise ValueError(f"latent model: theta must have shape (3,), got {self.theta.shape}")
        if self.n_samples <= a:
            raise ValueError(f"latent model: {self.n_samples} calibration samples cannot carry "
                             f"{a} components")
        if np.any(self.scale == 0):
            raise ValueError("latent model: scale must not contain zeros")
        for name in ("mean", "scale", "rotations", "loadings", "score_var", "theta"):
            if not np.all(np.isfinite(getattr(self, name))):
                raise ValueError(f"latent model: {name} contains NaN or infinite values")

    # -- shape -----------------------------------------------------------------------------
    @property
    def n_components(self) -> int:
        return int(self.rotations.shape[1])

    @property
    def n_features(self) -> int:
        return int(self.mean.size)

    # -- statistics of any sample ------------------------------------------------------------
    def _centred(self, Z: np.ndarray) -> np.ndarray:
        Z = np.asarray(Z, dtype=np.float64)
        if Z.ndim == 1:
            Z = Z[None, :]
        if Z.ndim != 2 or Z.shape[1] != self.n_features:
            raise ValueError(f"spectra have {Z.shape[-1]} columns after preprocessing but the "
                             f"model was calibrated on {self.n_features}")
        return (Z - self.mean) / self.scale

    def scores(self, Z: np.ndarray) -> np.ndarray:
        """(m, a) scores t = ((Z - mean) / scale) @ rotations."""
        return self._centred(Z) @ self.rotations

    def t2(self, Z: np.ndarray) -> np.ndarray:
        """(m,) Hotelling's T² = Σ_k t_k² / var_k, var_k the calibration score variances
        (a component with zero calibration variance contributes nothing)."""
        return self.t2_of_scores(self.scores(Z))

    def t2_of_scores(self, t: np.ndarray) -> np.ndarray:
        """T² of scores already computed (m, a)."""
        var = self.score_var
        inverse = np.divide(1.0, var, out=np.zeros_like(var), where=var > 0)
        return np.asarray((t**2) @ inverse)

    def q(self, Z: np.ndarray) -> np.ndarray:
        """(m,) Q residual (SPE) = ||Zs - t Pᵀ||², the squared norm of what the model does not
        reconstruct, in centred-scaled space."""
        zs = self._centred(Z)
        residual = zs - (zs @ self.rotations) @ self.loadings.T
        return np.einsum("ij,ij->i", residual, residual)

    def leverage(self, Z: np.ndarray) -> np.ndarray:
        """(m,) leverage h = 1/n + T² / (n - 1): the hat-matrix diagonal of a regression on
        the intercept and the (centred, orthogonal) scores, t (TᵀT)⁻¹ tᵀ + 1/n."""
        n = self.n_samples
        return 1.0 / n + self.t2(Z) / (n - 1)

    def statistics(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(T², Q, leverage) in one pass over Z (one centring, one projection)."""
        _, t2, q, leverage = self.project(Z)
        return t2, q, leverage

    def project(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(scores, T², Q, leverage) of Z in one pass: what a scores plot and an influence
        plot of the same samples need."""
        Z = np.asarray(Z, dtype=np.float64)
        if Z.ndim == 2 and Z.size > ROWS_AT_ONCE_VALUES:
            return self._project_in_blocks(Z)
        zs = self._centred(Z)
        t = zs @ self.rotations
        residual = zs - t @ self.loadings.T
        t2 = self.t2_of_scores(t)
        q = np.einsum("ij,ij->i", residual, residual)
        return t, t2, q, 1.0 / self.n_samples + t2 / (self.n_samples - 1)

    def _project_in_blocks(self, Z: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`project` a block of rows at a time: the centred spectra and their residuals
        of 100,000 spectra are never held whole (issue 20); each row's numbers are computed
        as in one pass."""
        n = Z.shape[0]
        t = np.empty((n, self.n_components))
        q = np.empty(n)
        for start in range(0, n, _block_rows(Z.shape[1])):
            part = slice(start, min(n, start + _block_rows(Z.shape[1])))
            zs = self._centred(Z[part])
            t[part] = zs @ self.rotations
            zs -= t[part] @ self.loadings.T
            q[part] = np.einsum("ij,ij->i", zs, zs)
        t2 = self.t2_of_scores(t)
        return t, t2, q, 1.0 / self.n_samples + t2 / (self.n_samples - 1)

    # -- limits ------------------------------------------------------------------------------
    def t2_limit(self, level: float) -> float:
        """Jackson (1991) F-based T² limit for this calibration (see limits.t2_limit)."""
        return t2_limit(self.n_samples, self.n_components, level)

    def q_limit(self, level: float, method: str = "jackson-mudholkar") -> float:
        """Jackson-Mudholkar (1979) Q limit from the calibration residuals' θ (limits.q_limit)."""
        return q_limit(self.theta, level, method)

    # -- saving ------------------------------------------------------------------------------
    def to_arrays(self) -> dict[str, np.ndarray]:
        """Numeric arrays only (np.savez-able and loadable with allow_pickle=False)."""
        return {
            "format": np.array(_FORMAT, dtype=np.int64),
            "kind": np.array(KINDS.index(self.kind), dtype=np.int64),
            "mean": self.mean.copy(),
            "scale": self.scale.copy(),
            "rotations": self.rotations.copy(),
            "loadings": self.loadings.copy(),
            "score_var": self.score_var.copy(),
            "n_samples": np.array(self.n_samples, dtype=np.int64),
            "theta": self.theta.copy(),
            "wavelengths": self.wavelengths.copy(),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> LatentModel:
        """The model saved by :meth:`to_arrays` (e.g. an npz loaded with allow_pickle=False).
        ValueError naming the problem on a missing key, an unknown format or bad shapes."""
        missing = [key for key in _KEYS if key not in arrays]
        if missing:
            raise ValueError(f"latent model arrays lack {', '.join(missing)}")
        fmt = np.asarray(arrays["format"])
        if fmt.shape != () or fmt.dtype.kind not in "iu" or int(fmt) != _FORMAT:
            raise ValueError(f"latent model arrays have an unknown format {fmt!r} "
                             f"(this nirdesk reads format {_FORMAT})")
        kind = np.asarray(arrays["kind"])
        if kind.shape != () or kind.dtype.kind not in "iu" or not 0 <= int(kind) < len(KINDS):
            raise ValueError(f"latent model arrays have an unknown kind code {kind!r}")
        n = np.asarray(arrays["n_samples"])
        if n.shape != () or n.dtype.kind not in "iu":
            raise ValueError("latent model arrays: n_samples must be one integer")
        numeric = {}
        for key in ("mean", "scale", "rotations", "loadings", "score_var", "theta",
                    "wavelengths"):
            value = np.asarray(arrays[key])
            if value.dtype.kind not in "fiu":
                raise ValueError(f"latent model arrays: {key} is not numeric")
            numeric[key] = value.astype(np.float64)
        return cls(kind=KINDS[int(kind)], n_samples=int(n), **numeric)
