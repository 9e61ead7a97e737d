"""Hypothesis strategies for float32/float64 inputs that reach the extremes often.

Built on :mod:`hypothesis.extra.numpy`. Every strategy mixes, with roughly equal
weight, the regimes where custom rules break and the ordinary middle of the
range, which matters as much:

- ``special``: the values of :func:`special_values`, listed simplest first so
  that failures shrink to them (0, -0, 1, -1, ... inf, -inf, nan);
- ``near_special``: a few ULPs either side of a special value or branch point;
- ``branch_band``: uniform over the band where formulas switch branches and exp
  under/overflows (|x| <= 1.1 * log(max));
- ``any_bits``: uniform over bit patterns, i.e. log-uniform in magnitude across
  the whole range, both signs, subnormals included (no nan/inf);
- ``hypothesis``: Hypothesis' own ``from_dtype`` floats, which favour their own
  boundary values.

Batches have a fixed shape (:data:`BATCH`), so a compiled rule is reused for
every example.

>>> batches(np.float32, op=OPS["softplus"]).example().shape
(64,)
"""

from __future__ import annotations

import math

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import strategies as st

from properties.ops import OPS, OpSpec

#: Elements per example: one compilation per (rule, order, mode, dtype).
BATCH = 64

#: Regime names, for measuring what the strategies reach (see meta_tests).
REGIMES = ("special", "near_special", "branch_band", "any_bits", "hypothesis")

_UINT = {"float32": np.uint32, "float64": np.uint64}


def _dtype_name(dtype) -> str:
    name = np.dtype(dtype).name
    if name not in _UINT:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}")
    return name


def special_values(dtype, op: OpSpec | None = None) -> np.ndarray:
    """The special inputs of ``dtype`` (and ``op``'s branch points), simplest first.

    ±0, ±1, ±2, ±0.5, the smallest subnormal, the largest subnormal, the
    smallest normal, the largest finite value, ±1/eps, the op's branch points
    (both signs), ±inf, nan. Values are exact in ``dtype``; duplicates removed.
    """
    name = _dtype_name(dtype)
    info = np.finfo(name)
    values = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5]
    edges = [info.smallest_subnormal, np.nextafter(info.smallest_normal, 0, dtype=name),
             info.smallest_normal, info.max, 1 / info.eps, 1 / info.eps * 2]
    values += [s * float(e) for e in edges for s in (1, -1)]
    if op is not None:
        values += [s * p for p in op.branch_points[name] for s in (1, -1)]
    values += [math.inf, -math.inf, math.nan]
    out, seen = [], set()
    for v in np.array(values, dtype=name):
        key = v.tobytes()
        if key not in seen:
            seen.add(key)
            out.append(v)
    return np.array(out, dtype=name)


def _from_bits(name: str, bits: int) -> float:
    return float(np.array(bits, dtype=_UINT[name]).view(name))


def _near(name: str, value: float, steps: int) -> float:
    """``value`` moved by ``steps`` ULPs (through zero, never past ±inf)."""
    x = np.array(value, dtype=name)
    direction = np.array(math.inf if steps > 0 else -math.inf, dtype=name)
    with np.errstate(over="ignore"):  # max + 1 ULP is inf; filtered by the caller
        for _ in range(abs(steps)):
            x = np.nextafter(x, direction)
    return float(x)


def floats(dtype, *, op: OpSpec | None = None, regime: str | None = None,
           allow_nonfinite: bool = True) -> st.SearchStrategy[float]:
    """Scalar inputs of ``dtype``, mixing the regimes of this module.

    - ``op``: add its branch points to the special values.
    - ``regime``: only that regime (one of :data:`REGIMES`), for measurements.
    - ``allow_nonfinite``: include ±inf and nan (only in ``special``).
    """
    name = _dtype_name(dtype)
    info = np.finfo(name)
    specials = special_values(name, op)
    if not allow_nonfinite:
        specials = specials[np.isfinite(specials)]
    finite_specials = specials[np.isfinite(specials)]
    band = float(np.array(1.1 * math.log(float(info.max)), dtype=name))
    width = info.bits
    max_finite_bits = int(np.array(info.max, dtype=name).view(_UINT[name]))

    regimes = {
        "special": st.sampled_from([float(v) for v in specials]),
        "near_special": st.builds(
            lambda v, k: _near(name, v, k),
            st.sampled_from([float(v) for v in finite_specials]),
            st.integers(-4, 4)).filter(math.isfinite),
        "branch_band": st.floats(-band, band, width=width),
        "any_bits": st.builds(
            lambda sign, bits: sign * _from_bits(name, bits),
            st.sampled_from([1.0, -1.0]), st.integers(0, max_finite_bits)),
        "hypothesis": hnp.from_dtype(np.dtype(name), allow_nan=allow_nonfinite,
                                     allow_infinity=allow_nonfinite),
    }
    if regime is not None:
        if regime not in regimes:
            raise ValueError(f"regime must be one of {REGIMES}, got {regime!r}")
        return regimes[regime]
    return st.one_of(*(regimes[r] for r in REGIMES))


def batches(dtype, *, op: OpSpec | None = None, shape: tuple[int, ...] = (BATCH,),
            allow_nonfinite: bool = True) -> st.SearchStrategy[np.ndarray]:
    """Arrays of ``shape`` (default ``(BATCH,)``) with elements from :func:`floats`."""
    name = _dtype_name(dtype)
    return hnp.arrays(np.dtype(name), shape,
                      elements=floats(name, op=op, allow_nonfinite=allow_nonfinite))


def scales(dtype) -> st.SearchStrategy[float]:
    """Scalars to scale a cotangent/tangent by: 0, ±1, ordinary values, large and small."""
    name = _dtype_name(dtype)
    fixed = [0.0, 1.0, -1.0, 2.0, -0.5, 3.0, -7.25, 1e3, -1e6, 1e-3, 1e30, -1e-30]
    return st.one_of(st.sampled_from(fixed),
                     st.floats(-1e6, 1e6, width=np.finfo(name).bits))
