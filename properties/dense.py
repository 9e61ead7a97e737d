r"""Deterministic dense inputs: no interval of ordinary inputs is left to chance.

Random batches rarely land in a narrow interval in the middle of the range,
and no special value lies inside one, so an error confined to such a band
(a badly fitted segment of a piecewise kernel, a wrong branch threshold) can
slip between the samples. These grids cover the range at a stated density:

- :func:`binade_sweep`: every binade :math:`[2^e, 2^{e+1})` of the dtype (the
  subnormal ones included), both signs, ``per_binade`` evenly spaced points
  :math:`\pm 2^e (1 + j/k)`, ``j = 0 .. k-1``;
- :func:`band_grid`: every multiple of ``spacing`` (a power of two, so the grid
  is exact) in the band :math:`|x| \le 1.1 \log(\max)` where formulas switch
  branches and ``exp`` under/overflows (97.6 float32, 780.7 float64), the band
  of the report's sweep, widened to the next power of two (:func:`band_limit`:
  128, 1024).

**Guarantee.** Any interval of width at least ``spacing`` inside the band, and
any interval of width at least :math:`2^e / k` inside the binade of
:math:`2^e`, holds a grid point (a half-open one too). So a rule whose result
is off by more than its budget anywhere on such an interval fails. A result
with relative error :math:`r` at a normal exact value is at least
:math:`r \cdot 2^{p-1}` ULP off (``p`` = 24 float32, 53 float64): with the
budgets of :mod:`properties.budgets` below 1 ULP, any :math:`r \ge 2^{-23}`
(float32) or :math:`2^{-52}` (float64) fails. (Where the exact value is
subnormal, or flushed to 0 by the backend, a small relative error may not
change the result at all.)

:data:`DENSITY` is what the default run affords per dtype. Cost: each sweep fits
in one batch of :data:`properties.evaluate.SHARED_BUCKET`, the compilation the
other properties use; the certified reference is evaluated once per op,
derivative and dtype (:func:`judged_sweep`), at 10-50 us a value (measured on
the shared 2-core machine): 0.2-0.3 s for the first variant and mode judged,
milliseconds for the others. A derivative *derived* from
the value (:mod:`reference.derivatives`) costs 1-3 ms a value, so derived
references get :func:`sparse`: an evenly strided subset of at most
:data:`SPARSE_POINTS`.

Binary ops (:func:`pairs`): every point of the unary grid appears as ``x``
once and as ``y`` once, ``y`` running through the grid in a fixed scrambled
order (a stride coprime to its length), so a band in either argument alone is
covered at the same density; and ``(v, v)``, ``(v, 0)`` and ``(0, v)`` for
each ``v`` of a band grid :data:`TIE_SPACING_FACTOR` times coarser (equal
arguments, one argument at 0).

>>> x = binade_sweep("float32", 4)
>>> x.size, float(x[x > 0].min()), float(x.max())
(2206, 1.401298464324817e-45, 2.9774707105582116e+38)
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Callable

import numpy as np

import reference
from properties.classify import Comparison, classify
from properties.ops import OpSpec
from properties.strategies import special_pairs, special_values

__all__ = ["Density", "DENSITY", "SPARSE_POINTS", "binade_sweep", "band_grid", "band_limit",
           "unary", "pairs", "sparse", "inputs", "judged_sweep"]


@dataclasses.dataclass(frozen=True)
class Density:
    """How dense the deterministic grids are in one dtype.

    - ``per_binade``: points per binade (a power of two), both signs;
    - ``spacing``: the band grid's step (a power of two).
    """

    per_binade: int
    spacing: float

    def __post_init__(self):
        for name, v in (("per_binade", self.per_binade), ("spacing", self.spacing)):
            if not (v > 0 and math.frexp(v)[0] == 0.5):
                raise ValueError(f"Density.{name} must be a positive power of two, got {v!r}")


#: Per dtype, what the default run affords (see the module docstring for the cost):
#: float32 10.4k inputs (every binade at 4 points, |x| <= 128 every 1/32), float64
#: 8.3k (every binade at 1 point, |x| <= 1024 every 1/2). Each sweep fits in one
#: batch of :data:`properties.evaluate.SHARED_BUCKET`, so it needs no compilation
#: of its own.
DENSITY: dict[str, Density] = {
    "float32": Density(per_binade=4, spacing=2.0 ** -5),
    "float64": Density(per_binade=1, spacing=2.0 ** -1),
}

#: The pairs ``(v, v)``, ``(v, 0)``, ``(0, v)`` of a binary op take ``v`` on a band
#: grid this many times coarser than the unary one.
TIE_SPACING_FACTOR = 16

#: Inputs where the reference is derived by finite differences (~1-3 ms a value).
SPARSE_POINTS = 512


def band_limit(dtype) -> float:
    """The band grid's half-width: :math:`1.1 \\log(\\max)` of ``dtype`` (97.6 float32,
    780.7 float64), the band of branch points and ``exp`` thresholds, rounded up to a
    power of two (128, 1024) so that the band ends where a binade does."""
    return 2.0 ** math.ceil(math.log2(1.1 * math.log(float(np.finfo(dtype).max))))


def binade_sweep(dtype, per_binade: int) -> np.ndarray:
    """``per_binade`` evenly spaced points in every binade of ``dtype``, both signs,
    ascending magnitude, positive first (subnormal binades: those of their leading
    bit; points not representable there are rounded, duplicates removed)."""
    info = np.finfo(dtype)
    lowest, highest = info.minexp - info.nmant, info.maxexp - 1
    exponents = np.arange(lowest, highest + 1, dtype=np.float64)
    steps = 1 + np.arange(per_binade, dtype=np.float64) / per_binade
    magnitudes = (np.exp2(exponents)[:, None] * steps[None, :]).reshape(-1).astype(dtype)
    magnitudes = np.unique(magnitudes)
    return np.concatenate([magnitudes, -magnitudes])


def band_grid(dtype, spacing: float) -> np.ndarray:
    """Every multiple of ``spacing`` in ``|x| <= band_limit(dtype)``, ascending."""
    n = math.floor(band_limit(dtype) / spacing)
    return (np.arange(-n, n + 1, dtype=np.float64) * spacing).astype(dtype)


def _unique(x: np.ndarray) -> np.ndarray:
    """``x`` without repeated bit patterns, in order of first appearance."""
    bits = x.view(f"u{x.itemsize}")
    return x[np.sort(np.unique(bits, return_index=True)[1])]


def unary(dtype, op: OpSpec | None = None, density: Density | None = None) -> np.ndarray:
    """The special values (with ``op``'s branch points) and their neighbours, then the
    binade sweep and the band grid of ``density`` (default :data:`DENSITY`)."""
    name = np.dtype(dtype).name
    d = density or DENSITY[name]
    specials = special_values(name, op)
    finite = specials[np.isfinite(specials)]
    with np.errstate(over="ignore"):  # max's upper neighbour is inf
        neighbours = [np.nextafter(finite, np.array(s, name)) for s in (-math.inf, math.inf)]
    return _unique(np.concatenate([specials, *neighbours, binade_sweep(name, d.per_binade),
                                   band_grid(name, d.spacing)]).astype(name))


def _coprime_stride(n: int) -> int:
    """A stride near ``n / golden ratio`` with ``gcd(stride, n) == 1`` (a scramble of range(n))."""
    stride = max(1, round(n / 1.618033988749895))
    while math.gcd(stride, n) != 1:
        stride += 1
    return stride


def pairs(dtype, op: OpSpec, density: Density | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pairs for a binary op (see the module docstring): the special pairs first."""
    name = np.dtype(dtype).name
    d = density or DENSITY[name]
    grid = unary(name, None, d)
    scrambled = grid[(np.arange(grid.size) * _coprime_stride(grid.size)) % grid.size]
    band = band_grid(name, d.spacing * TIE_SPACING_FACTOR)
    zeros = np.zeros_like(band)
    sx, sy = special_pairs(name, op)
    x = np.concatenate([sx, grid, band, band, zeros]).astype(name)
    y = np.concatenate([sy, scrambled, band, zeros, band]).astype(name)
    return x, y


def sparse(args: tuple[np.ndarray, ...], n: int = SPARSE_POINTS) -> tuple[np.ndarray, ...]:
    """At most ``n`` of the inputs, evenly strided over all of them (specials and grids)."""
    size = args[0].size
    if size <= n:
        return args
    keep = np.unique(np.linspace(0, size - 1, n).astype(np.int64))
    return tuple(a[keep] for a in args)


def inputs(op: OpSpec, dtype, *, derived: bool = False) -> tuple[np.ndarray, ...]:
    """The dense inputs of ``op`` in ``dtype`` as a tuple of arrays, one per argument;
    :func:`sparse` of them where the reference is ``derived``."""
    args = (unary(dtype, op),) if op.arity == 1 else pairs(dtype, op)
    return sparse(args) if derived else args


# --- judging a sweep: the reference once per (op, derivative, dtype) -------------

#: (op name, id(op), multi-index, dtype) -> the first result judged at the sweep, its
#: ULP figures and its correctly rounded values.
_FIRST_JUDGED: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


@functools.lru_cache(maxsize=None)
def _sweep_inputs(op_name: str, op_id: int, dtype: str, derived: bool) -> tuple[np.ndarray, ...]:
    from properties.ops import OPS
    op = OPS[op_name]
    if id(op) != op_id:
        raise LookupError(f"op {op_name!r} was registered again during the run")
    return inputs(op, dtype, derived=derived)


#: (op name, order) -> its fastref.Reference at the float32 sweep.
_FAST_REFERENCES: dict = {}


def _fast_reference(fn: Callable, dtype: str, args: tuple[np.ndarray, ...]):
    """The certified fast reference (:mod:`properties.fastref`) of ``fn`` at the sweep,
    where there is one (:func:`properties.fastref.certified_for`, float32), else None:
    mpmath, as :func:`judged_sweep` says. The same judgement as the report's sweeps;
    about 1 s of mpmath saved per (op, order), 9 in the default run."""
    from properties import fastref
    found = fastref.certified_for(fn) if dtype == "float32" else None
    if found is None:
        return None
    if found not in _FAST_REFERENCES:
        name, order = found
        _FAST_REFERENCES[found] = fastref.FLOAT32[name](args[0], orders=(order,))[order]
    return _FAST_REFERENCES[found]


def judged_sweep(op: OpSpec, derivative, dtype: str
                 ) -> tuple[tuple[np.ndarray, ...], Callable[[np.ndarray], Comparison]]:
    """The dense inputs of ``op``'s ``derivative`` in ``dtype``, and a function judging
    results at them (:func:`properties.classify.classify`, as everywhere).

    The reference is asked once per (op, derivative, dtype) and process: the first
    result judged is measured in full; a later result equal to it (bit for bit) at an
    input has the same ULP figure and correctly rounded value there, and only the
    inputs where it differs are measured again. Every variant and mode of a good rule
    returns nearly the same results. Derived references get :func:`sparse` inputs.
    In float32, the built-in ops of :data:`properties.fastref.FLOAT32` are judged with
    their certified fast reference instead (:func:`_fast_reference`), every result.
    """
    name = np.dtype(dtype).name
    index = (derivative,) if isinstance(derivative, (int, np.integer)) else tuple(derivative)
    key_index = index if op.arity > 1 else index[0]
    derived = op.declared(key_index) is None
    args = _sweep_inputs(op.name, id(op), name, derived)
    fn = op.reference(key_index)
    key = (op.name, id(op), index, name)

    fast = _fast_reference(fn, name, args)

    def judge(got: np.ndarray) -> Comparison:
        got = np.asarray(got).reshape(-1)
        if got.shape != args[0].shape or got.dtype != args[0].dtype:
            raise ValueError(f"judge: got {got.dtype}{got.shape}, but the sweep has "
                             f"{args[0].dtype}{args[0].shape}")
        if fast is not None:
            return classify(got, fn, *args, expected=fast.rounded, ulps=fast.ulp_errors(got))
        first = _FIRST_JUDGED.get(key)
        if first is None:
            c = classify(got, fn, *args)
            _FIRST_JUDGED[key] = (got.copy(), c.ulps, c.expected)
            return c
        seen, ulps, expected = (a.copy() for a in first)
        bits = f"u{got.itemsize}"
        other = np.flatnonzero(got.view(bits) != seen.view(bits))
        if other.size:
            part = classify(got[other], fn, *(a[other] for a in args))
            ulps[other], expected[other] = part.ulps, part.expected
        return classify(got, fn, *args, expected=expected, ulps=ulps)

    return args, judge
