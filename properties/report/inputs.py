"""The report's inputs: deterministic, from one seed, one named set per regime.

Unary ops (:func:`unary`):

- ``special``: :func:`properties.strategies.special_values` (with the op's
  branch points) and their neighbours up to :data:`NEIGHBOURS` ulps either side;
- ``log_sweep``: magnitudes log-spaced from the smallest subnormal to the
  largest finite value, both signs, rounded into the dtype;
- ``band``: evenly spaced over the band where formulas switch branches and exp
  under/overflows, ``|x| <= 1.1 * log(max)`` (about 97.6 float32, 780.7 float64);
- ``random_bits``: uniformly random bit patterns (nan and inf included).

Binary ops (:func:`binary`): ``special``, :func:`properties.strategies.special_pairs`;
``band`` and ``random_bits``, pairs of each; ``zero_curve``, pairs on and up to
3 ULPs off the op's ``zero_curve`` (:func:`properties.strategies.zero_curve_pair`).

How many per regime (:func:`sizes`) follows from the reference's cost: an op
with a certified fast reference in the dtype (:data:`properties.fastref.FLOAT32`)
gets :data:`FAST_SIZES`; mpmath (about 25 us to 1 ms per value) gets
:data:`MPMATH_SIZES`.

16-bit formats (float16, bfloat16; :func:`every_16bit`): a unary op gets
``every`` bit pattern (65,536, the nans as one); a binary op every pair of
:data:`SPECIAL_16BIT` values (``special``) and :data:`RANDOM_PAIRS_16BIT` random
bit-pattern pairs (``random_bits``).
"""

from __future__ import annotations

import math

import numpy as np

from properties import fastref
from properties.ops import OpSpec
from properties.strategies import special_pairs, special_values, zero_curve_ends, zero_curve_pair

SEED = 20240531
NEIGHBOURS = 4
#: Inputs per generated regime where the dtype has a fast certified reference.
FAST_SIZES = {"log_sweep": 60_000, "band": 120_000, "random_bits": 60_000}
#: Inputs (pairs) per generated regime where the reference is mpmath, by dtype.
MPMATH_SIZES = {"float32": 600, "float64": 400}


def sizes(op: OpSpec, dtype: str, *, scale: float = 1.0) -> dict[str, int]:
    """Inputs per generated regime of ``op`` in ``dtype``, times ``scale`` (at least 8)."""
    if dtype not in MPMATH_SIZES:
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    regimes = ("log_sweep", "band", "random_bits") if op.arity == 1 else (
        "band", "random_bits", "zero_curve")
    if dtype == "float32" and op.name in fastref.FLOAT32:
        base = FAST_SIZES
    else:
        base = dict.fromkeys(regimes, MPMATH_SIZES[dtype])
    return {k: max(8, int(base[k] * scale)) for k in regimes}


def specials(dtype: str, op: OpSpec) -> np.ndarray:
    """Special values and branch points of ``op``, each with its ±NEIGHBOURS ulp neighbours."""
    base = special_values(dtype, op)
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


def random_bits(dtype: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniformly random bit patterns of ``dtype``."""
    uint = np.dtype(f"u{np.dtype(dtype).itemsize}")
    return rng.integers(0, np.iinfo(uint).max, n, dtype=uint, endpoint=True).view(dtype)


def _bits(a: np.ndarray) -> np.ndarray:
    return a.view(f"u{a.itemsize}")


def unary(op: OpSpec, dtype: str, n: dict[str, int]) -> tuple[tuple[np.ndarray], dict[str, int]]:
    """``(x,)``, sorted (nan last) and without duplicates (by bits), and each regime's count."""
    sets = {"special": specials(dtype, op), "log_sweep": log_sweep(dtype, n["log_sweep"]),
            "band": band(dtype, n["band"]),
            "random_bits": random_bits(dtype, n["random_bits"], np.random.default_rng(SEED))}
    x = np.concatenate(list(sets.values())).astype(dtype)
    x = x[np.unique(_bits(x), return_index=True)[1]]
    return (x[np.argsort(x, kind="stable")],), {k: int(v.size) for k, v in sets.items()}


def _zero_curve(op: OpSpec, dtype: str, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    if op.zero_curve is None:
        return np.array([], dtype), np.array([], dtype)
    ends = zero_curve_ends(op)
    drawn = [zero_curve_pair(dtype, op, ends[e], m, int(k), bool(s)) for e, m, k, s in zip(
        rng.integers(0, len(ends), n), rng.uniform(-40, 6, n), rng.integers(-3, 4, n),
        rng.integers(0, 2, n))]
    pairs = np.array([p for p in drawn if all(map(math.isfinite, p))], dtype).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1]


def binary(op: OpSpec, dtype: str, n: dict[str, int]
           ) -> tuple[tuple[np.ndarray, np.ndarray], dict[str, int]]:
    """``(x, y)`` without duplicate pairs, first seen first, and each regime's count."""
    rng = np.random.default_rng(SEED)
    width = 1.1 * math.log(float(np.finfo(dtype).max))
    sets = {"special": special_pairs(dtype, op),
            "band": tuple(rng.uniform(-width, width, (2, n["band"])).astype(dtype)),
            "random_bits": tuple(random_bits(dtype, 2 * n["random_bits"], rng).reshape(2, -1)),
            "zero_curve": _zero_curve(op, dtype, n["zero_curve"], rng)}
    x, y = (np.concatenate([s[i] for s in sets.values()]).astype(dtype) for i in (0, 1))
    keep = np.sort(np.unique(np.stack([_bits(x), _bits(y)], axis=1), axis=0, return_index=True)[1])
    return (x[keep], y[keep]), {k: int(v[0].size) for k, v in sets.items()}


#: The 16-bit formats, whose every input the report takes.
DTYPES_16BIT = ("float16", "bfloat16")
#: Random pairs of 16-bit bit patterns for a binary op (times ``scale``).
RANDOM_PAIRS_16BIT = 2 ** 16


def special_16bit(dtype: str) -> np.ndarray:
    """0, -0, ±1, ±2, ±ln 2, ±max, ±smallest normal and subnormal, ±inf, nan in ``dtype``."""
    info = np.finfo(np.dtype(dtype))
    base = [0.0, 1.0, 2.0, math.log(2.0), float(info.max), float(info.smallest_normal),
            float(info.smallest_subnormal), math.inf]
    v = np.array(base, dtype)
    return np.concatenate([v, -v, np.array([math.nan], dtype)])


def every_16bit(op: OpSpec, dtype: str, *, scale: float = 1.0):
    """Every input of a 16-bit ``dtype`` for a unary op (its 65,536 bit patterns, the
    nans as one, sorted), or for a binary op every pair of :func:`special_16bit` and
    random pairs; and each regime's count."""
    np_dtype = np.dtype(dtype)
    if op.arity == 1:
        x = np.arange(2 ** 16, dtype=np.uint32).astype(np.uint16).view(np_dtype)
        x = np.concatenate([x[~np.isnan(x)], np.array([math.nan], np_dtype)])
        return (x[np.argsort(x, kind="stable")],), {"every": int(x.size)}
    s = special_16bit(dtype)
    sx, sy = (a.reshape(-1) for a in np.meshgrid(s, s, indexing="ij"))
    n = max(8, int(RANDOM_PAIRS_16BIT * scale))
    r = random_bits(np_dtype, 2 * n, np.random.default_rng(SEED)).reshape(2, -1)
    x, y = np.concatenate([sx, r[0]]), np.concatenate([sy, r[1]])
    keep = np.sort(np.unique(np.stack([_bits(x), _bits(y)], axis=1), axis=0, return_index=True)[1])
    return (x[keep], y[keep]), {"special": int(sx.size), "random_bits": n}


def for_op(op: OpSpec, dtype: str, *, scale: float = 1.0):
    """The inputs of ``op`` in ``dtype``, and each regime's count (see :func:`unary`,
    :func:`binary`, :func:`every_16bit`)."""
    if dtype in DTYPES_16BIT:
        return every_16bit(op, dtype, scale=scale)
    return (unary if op.arity == 1 else binary)(op, dtype, sizes(op, dtype, scale=scale))
