"""Property 0: the references themselves.

A derivative an op declares by hand is the suite's reference for it, so a
mistake made the same way in a rule and in its declared reference (a sign, a
factor of 2) would pass every other property. Here each declared derivative is
checked against the one derived from the op's value
(:func:`reference.derivatives.derivative`), correctly rounded both, on every
special value and branch point and their neighbours (for a binary op, every
special pair with an infinite or nan argument and every other one of the rest;
``benchmarks/measure_derived.py`` compares all of them and 10^4 more per dtype).
Where the derived derivative does not exist (a pole, a kink) the declared value is
the op's convention and is not compared; nor where central differences cannot settle
a limit at ±inf (one that diverges, as i0's, or converges as slowly as digamma's).
"""

import math

import numpy as np
import pytest

import reference
from properties import strategies
from properties.assertions import assert_true, derivative_label


def _inputs(op, dtype) -> tuple[np.ndarray, ...]:
    if op.arity == 2:  # every pair with an infinity or a nan, and every other one of the rest
        x, y = strategies.special_pairs(dtype, op)
        special = ~(np.isfinite(x) & np.isfinite(y))
        keep = special | (np.cumsum(~special) % 2 == 1)
        return x[keep], y[keep]
    specials = strategies.special_values(dtype, op)
    finite = specials[np.isfinite(specials)]
    with np.errstate(over="ignore"):  # max's upper neighbour is inf (a limit: kept)
        neighbours = [np.nextafter(finite, np.array(d, dtype)) for d in (-math.inf, math.inf)]
    return (np.unique(np.concatenate([specials, *neighbours])),)


def _rounded_or_none(fn, args, dtype):
    """The derived derivative, or None where it does not exist (``NotDifferentiable``) or
    cannot be settled (``PrecisionCapExceeded``: a limit at ±inf that converges too slowly,
    such as digamma's at +inf)."""
    try:
        return reference.correctly_rounded(fn, *args, dtype=dtype)
    except (reference.NotDifferentiable, reference.PrecisionCapExceeded):
        return None


def _same(a, b) -> bool:
    """Equal as numbers (the sign of a zero aside: mpmath's zeros have none), or both nan."""
    return bool(a == b or (np.isnan(a) and np.isnan(b)))


def test_declared_derivatives_agree_with_derived(op, dtype):
    declared = [index for index in op.indices if any(index) and op.declared(index) is not None]
    if not declared:
        pytest.skip(f"op {op.name!r} declares no derivative: every one is derived")
    inputs = _inputs(op, dtype)
    for index in declared:
        mine, derived = op.reference(index), op.derived(index)
        want = reference.correctly_rounded(mine, *inputs, dtype=dtype)
        disagree = []
        for i in range(want.size):
            point = tuple(a[i:i + 1] for a in inputs)
            if np.isinf(want[i]) and any(np.isinf(a[0]) for a in point):
                continue  # a divergent limit at ±inf: central differences cannot settle it
            got = _rounded_or_none(derived, point, dtype)
            if got is not None and not _same(want[i], got[0]):
                disagree.append(f"declared {want[i]!r}, derived {got[0]!r} at "
                                + ", ".join(f"{n}={a[0]!r}" for n, a in zip("xy", point)))
        label = derivative_label(index[0] if op.arity == 1 else index, "").strip()
        assert_true(not disagree,
                    f"op {op.name!r} {label} {dtype}: the declared reference "
                    f"{getattr(mine, '__qualname__', mine)} disagrees with the derivative derived "
                    f"from the value at {len(disagree)} of {want.size} inputs (a mistake shared by "
                    f"the rule and its reference passes every other property):\n  "
                    + "\n  ".join(disagree[:5]))
