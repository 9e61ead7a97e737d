"""reference.correctly_rounded against independent implementations, bit for bit.

* MPFR (through gmpy2) rounds exp, expm1, log, log1p, tanh and sin correctly
  in one operation; with ``gmpy2.ieee(32|64)`` contexts (precision 24/53, the
  format's exponent range, ``subnormalize=True``) it rounds subnormals
  correctly too.  Its results must equal ours bit for bit, signed zeros and
  nan included.
* Arb (through python-flint) evaluates softplus, sigmoid and its derivatives
  as rigorous balls, from formulas other than ours where they are stable
  (``sigma(x) sigma(-x)``, ``-sigma' tanh(x/2)``).  Where both ends of the
  ball round (by MPFR) to the same float, ours must be that float; signs of
  zero are not compared here (Arb has none), and inputs are finite with
  ``|x| <= 1e6`` (limits are tested in test_reference_functions).

Inputs are random bit patterns over the whole format (nan, inf, subnormals,
huge values) plus ranges where the results are subnormal or cancel, drawn
with fixed seeds.
"""

import mpmath
import numpy as np
import pytest

import reference
from reference import functions

gmpy2 = pytest.importorskip("gmpy2")

F32 = np.float32
F64 = np.float64
UINT = {F32: np.uint32, F64: np.uint64}
POINTS_PER_RANGE = 400
RANDOM_BIT_PATTERNS = 1000

# Ranges where each function's result is subnormal, cancels or saturates.
HARD_RANGES = {
    "exp": {F32: [(-104.0, -87.0), (-20.0, 20.0)], F64: [(-745.2, -708.0), (-20.0, 20.0)]},
    "expm1": {F32: [(-1e-6, 1e-6), (-20.0, 20.0)], F64: [(-1e-12, 1e-12), (-40.0, 40.0)]},
    "log": {F32: [(0.5, 2.0), (1e-40, 1e-37)], F64: [(0.5, 2.0), (1e-310, 1e-307)]},
    "log1p": {F32: [(-1.0, 1.0), (-1e-6, 1e-6)], F64: [(-1.0, 1.0), (-1e-12, 1e-12)]},
    "tanh": {F32: [(-10.0, 10.0), (-1e-4, 1e-4)], F64: [(-20.0, 20.0), (-1e-8, 1e-8)]},
    "sin": {F32: [(-100.0, 100.0), (3.0, 3.3)], F64: [(-100.0, 100.0), (3.0, 3.3)]},
}


def random_inputs(dtype, ranges, *, seed):
    rng = np.random.default_rng(seed)
    patterns = rng.integers(0, np.iinfo(UINT[dtype]).max, RANDOM_BIT_PATTERNS, dtype=UINT[dtype], endpoint=True)
    chunks = [patterns.view(dtype)]
    chunks += [rng.uniform(low, high, POINTS_PER_RANGE).astype(dtype) for low, high in ranges]
    chunks.append(np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0], dtype))
    return np.concatenate(chunks)


def bits(array):
    return np.asarray(array).view(UINT[array.dtype.type])


def assert_bitwise_equal(got, expected, x, *, call):
    __tracebackhide__ = True
    same = (bits(got) == bits(expected)) | (np.isnan(got) & np.isnan(expected))
    if not same.all():
        bad = np.flatnonzero(~same)[:5]
        rows = "\n".join(f"  x={x[i]!r}: out={got[i]!r}, but should be {expected[i]!r}" for i in bad)
        raise AssertionError(f"{(~same).sum()} of {len(x)} differ [{call}]:\n{rows}")


# --- MPFR ----------------------------------------------------------------------------

MPFR_CONTEXTS = {F32: gmpy2.ieee(32), F64: gmpy2.ieee(64)}


def mpfr_rounded(name, x, dtype):
    context = MPFR_CONTEXTS[dtype]
    operation = getattr(context, name)
    return np.array([float(operation(gmpy2.mpfr(float(v)))) for v in x], dtype)


@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(HARD_RANGES))
def test_agrees_with_mpfr_bit_for_bit(name, dtype):
    x = random_inputs(dtype, HARD_RANGES[name][dtype], seed=hash(name) % 1000 + (dtype is F64))
    expected = mpfr_rounded(name, x, dtype)
    got = reference.correctly_rounded(getattr(mpmath, name), x)
    assert_bitwise_equal(got, expected, x, call=f"{name} in {np.dtype(dtype).name} vs MPFR")


def test_hard_ranges_reach_the_subnormal_range():
    for dtype in (F32, F64):
        x = random_inputs(dtype, HARD_RANGES["exp"][dtype], seed=0)
        expected = mpfr_rounded("exp", x, dtype)
        tiny = np.finfo(dtype).smallest_normal
        subnormal = (expected > 0) & (expected < tiny)
        assert subnormal.sum() >= POINTS_PER_RANGE // 2, f"only {subnormal.sum()} subnormal exp results in {dtype}"


# --- Arb -----------------------------------------------------------------------------


def arb_sigmoid(x):
    if x >= 0:
        return 1 / (1 + (-x).exp())
    e = x.exp()
    return e / (1 + e)


def arb_softplus(x):
    if x > 0:
        return x + (-x).exp().log1p()
    return x.exp().log1p()


def arb_sigmoid_d1(x):
    return arb_sigmoid(x) * arb_sigmoid(-x)


def arb_sigmoid_d2(x):
    return -arb_sigmoid_d1(x) * (x / 2).tanh()


ARB_FORMULAS = {
    "softplus": (functions.softplus, arb_softplus),
    "sigmoid": (functions.sigmoid, arb_sigmoid),
    "sigmoid_d1": (functions.sigmoid_d1, arb_sigmoid_d1),
    "sigmoid_d2": (functions.sigmoid_d2, arb_sigmoid_d2),
}
ARB_PRECISION = 256


def rounded_endpoint(endpoint, dtype) -> float:
    """An exact Arb endpoint, rounded once by MPFR into ``dtype``."""
    mantissa, exponent = endpoint.man_exp()
    precision = max(2, int(mantissa).bit_length())
    exact = gmpy2.context(precision=precision, emin=gmpy2.get_emin_min(), emax=gmpy2.get_emax_max())
    value = exact.mul_2exp(gmpy2.mpfr(int(mantissa), precision), int(exponent))
    return float(MPFR_CONTEXTS[dtype].plus(value))


@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(ARB_FORMULAS))
def test_agrees_with_arb_where_the_ball_decides(name, dtype):
    flint = pytest.importorskip("flint")
    ours, arb_formula = ARB_FORMULAS[name]
    x = random_inputs(dtype, [(-40.0, 40.0), (-1e-3, 1e-3), (-120.0, -80.0)], seed=len(name))
    x = x[np.isfinite(x) & (np.abs(x) <= 1e6)]
    got = reference.correctly_rounded(ours, x)
    saved_precision = flint.ctx.prec
    flint.ctx.prec = ARB_PRECISION
    try:
        undecided, mismatches = 0, []
        for i, v in enumerate(x):
            ball = arb_formula(flint.arb(float(v)))
            low = rounded_endpoint(ball.lower(), dtype)
            high = rounded_endpoint(ball.upper(), dtype)
            if low != high:
                undecided += 1
            elif got[i] != dtype(low):
                mismatches.append(f"  x={v!r}: out={got[i]!r}, but Arb rounds to {dtype(low)!r} (ball {ball})")
    finally:
        flint.ctx.prec = saved_precision
    assert not mismatches, f"{len(mismatches)} of {len(x)} differ [{name} in {np.dtype(dtype).name} vs Arb]:\n" + "\n".join(mismatches[:5])
    assert undecided <= len(x) // 100, f"Arb balls undecided at {undecided} of {len(x)} points: test is too weak"
