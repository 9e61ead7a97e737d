"""The report's inputs: deterministic, seeded, one named set per regime.

- ``special``: :func:`properties.strategies.special_values` (simplest first,
  with the op's branch points) and their neighbours up to :data:`NEIGHBOURS`
  ulps either side;
- ``log_sweep``: magnitudes log-spaced from the smallest subnormal to the
  largest finite value, both signs, rounded into the dtype;
- ``band``: evenly spaced over the band where formulas switch branches and exp
  under/overflows, ``|x| <= 1.1 * log(max)`` (about 97.6 float32, 780.7 float64);
- ``random_bits``: uniformly random bit patterns (nan and inf included), seeded.

Sizes per dtype are in :data:`SIZES`; float64 is smaller because its reference
is mpmath (about 25 us per value) where float32 has the certified float64
reference of :mod:`properties.report.fastref`.
"""

from __future__ import annotations

import math

import numpy as np

from properties.ops import OPS
from properties.strategies import special_values

SEED = 20240531
NEIGHBOURS = 4
#: dtype -> regime -> number of inputs (before removing duplicates).
SIZES = {
    "float32": {"log_sweep": 60_000, "band": 120_000, "random_bits": 60_000},
    "float64": {"log_sweep": 3_000, "band": 4_000, "random_bits": 2_000},
}
_UINT = {"float32": np.uint32, "float64": np.uint64}


def specials(dtype: str, op: str = "softplus") -> np.ndarray:
    """Special values and branch points of ``op``, each with its ±NEIGHBOURS ulp neighbours."""
    base = special_values(dtype, OPS[op])
    out = [base]
    finite = base[np.isfinite(base)]
    with np.errstate(over="ignore"):
        for direction in (np.inf, -np.inf):
            x = finite.copy()
            for _ in range(NEIGHBOURS):
                x = np.nextafter(x, np.array(direction, dtype))
                out.append(x[np.isfinite(x)])
    return np.concatenate(out).astype(dtype)


def log_sweep(dtype: str, n: int) -> np.ndarray:
    """``n`` inputs, half of each sign, magnitudes log-spaced over the whole range."""
    info = np.finfo(dtype)
    lo, hi = math.log10(float(info.smallest_subnormal)), math.log10(float(info.max))
    with np.errstate(over="ignore"):
        mags = np.logspace(lo, hi, n // 2).astype(dtype)
    mags = mags[np.isfinite(mags)]
    return np.concatenate([mags, -mags])


def band(dtype: str, n: int) -> np.ndarray:
    """``n`` evenly spaced inputs over ``|x| <= 1.1 * log(max)``."""
    width = 1.1 * math.log(float(np.finfo(dtype).max))
    return np.linspace(-width, width, n).astype(dtype)


def random_bits(dtype: str, n: int, *, seed: int = SEED) -> np.ndarray:
    """``n`` uniformly random bit patterns of ``dtype``, from ``seed``."""
    uint = _UINT[dtype]
    bits = np.random.default_rng(seed).integers(0, np.iinfo(uint).max, n, dtype=uint,
                                                endpoint=True)
    return bits.view(dtype)


def report_inputs(dtype: str, *, scale: float = 1.0) -> tuple[np.ndarray, dict[str, int]]:
    """All the report's inputs for ``dtype``, sorted, without duplicates (by bits).

    ``scale`` multiplies the sizes of the generated regimes (not the specials).
    Returns the inputs and the count contributed by each regime.
    """
    if dtype not in SIZES:
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    n = {k: max(2, int(v * scale)) for k, v in SIZES[dtype].items()}
    sets = {
        "special": specials(dtype),
        "log_sweep": log_sweep(dtype, n["log_sweep"]),
        "band": band(dtype, n["band"]),
        "random_bits": random_bits(dtype, n["random_bits"]),
    }
    counts = {k: int(v.size) for k, v in sets.items()}
    x = np.concatenate(list(sets.values())).astype(dtype)
    _, first = np.unique(x.view(_UINT[dtype]), return_index=True)
    x = x[np.sort(first)]
    order = np.argsort(x, kind="stable")  # nan last
    return x[order], counts
