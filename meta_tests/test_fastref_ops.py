"""The certified fast references of sigmoid and log_sigmoid (:mod:`properties.fastref`),
built from softplus' pieces by exact identities, and the bound of sigma''."""

import mpmath
import numpy as np
import pytest

import reference
from reference import functions as F
from properties import fastref

F32 = np.float32
EXACT = {"sigmoid": F.SIGMOID_DERIVATIVES, "log_sigmoid": F.LOG_SIGMOID_DERIVATIVES}


def _inputs(seed: int) -> np.ndarray:
    """Edges (zeros, subnormals, where sigma'' is subnormal or |x|/8 a float32 midpoint,
    its extremum +-1.317, overflow of e^-|x|), random bit patterns and uniform values."""
    rng = np.random.default_rng(seed)
    edges = F32([0.0, 1e-45, 4e-45, 1.4e-44, 2.0 ** -126, 2.0 ** -123, 2.0 ** -100, 2.0 ** -101,
                 1e-30, 0.5, 1.0, 1.3169579, 2.0, 16.0, 17.32868, 36.7368, 87.33655, 88.72284,
                 103.27893, 103.97208, 1024.0, 2.0 ** 64, np.finfo(F32).max, np.inf])
    x = np.concatenate([edges, rng.integers(0, 2 ** 32, 250, dtype=np.uint64).astype(np.uint32).view(F32),
                        rng.uniform(-110, 110, 250).astype(F32),
                        (rng.integers(0, 2 ** 23, 100, dtype=np.uint32) * 8 + 4).view(F32)])
    return np.concatenate([x, -x, F32([np.nan])])


@pytest.mark.parametrize("op", sorted(EXACT))
@pytest.mark.parametrize("order", [0, 1, 2])
def test_fast_reference_equals_correctly_rounded(op, order):
    x = _inputs(20 + order)
    ref = fastref.FLOAT32[op](x, orders=(order,))[order]
    want = reference.correctly_rounded(EXACT[op][order], x)
    same = (ref.rounded == want) | (np.isnan(ref.rounded) & np.isnan(want))
    assert same.all(), f"out={ref.rounded[~same]}, but should be {want[~same]} [{op} order {order}, x={x[~same]}]"
    for step in (1, -1):
        with np.errstate(over="ignore"):  # -max to -inf
            actual = np.nextafter(want, F32(step * np.inf))
        got, expected = fastref.ulp_errors(actual, ref), reference.ulp_error(actual, EXACT[op][order], x)
        close = np.isclose(got, expected, rtol=0, atol=1e-6) | (got == expected)
        assert close.all(), (f"ulp={got[~close]}, but should be {expected[~close]} "
                             f"[{op} order {order}, x={x[~close]}, step {step}]")


def test_sigmoid_d2_float64_evaluation_within_stated_bound():
    x = _inputs(30)
    x = x[np.isfinite(x) & (np.abs(x) >= fastref._SIGMOID_D2_TINY)]
    y = fastref.sigmoid_f32(x, orders=(2,))[2].y
    worst = 0.0
    with mpmath.workprec(200):
        for xi, yi in zip(x.tolist(), y.tolist()):
            exact = F.sigmoid_d2(mpmath.mpf(xi))
            err = abs(mpmath.mpf(yi) - exact)
            assert err <= fastref.REL_BOUND_SIGMOID_D2 * abs(exact) + fastref.ABS_BOUND, (xi, yi)
            if abs(exact) > 2.0 ** -1022:
                worst = max(worst, float(err / abs(exact)))
    assert worst < fastref.REL_BOUND_SIGMOID_D2 / 4, worst  # well inside the bound


@pytest.mark.parametrize("op", ["softplus", "sigmoid", "log_sigmoid"])
def test_compare_with_the_fast_reference_gives_mpmaths_verdict(op):
    """properties.assertions.compare takes the fast reference for float32 built-in ops:
    the same classes, correctly rounded values (but the sign of 0, which mpmath lacks)
    and ULP errors as classify with mpmath, for right, wrong and nonfinite results."""
    from properties import classify as classify_module
    from properties.assertions import compare
    from properties.ops import OPS
    x = _inputs(7)
    rng = np.random.default_rng(8)
    for order in OPS[op].orders:
        exact = OPS[op].reference(order)
        right = reference.correctly_rounded(exact, x)
        wrong = right.copy()
        moved = rng.random(x.size) < 0.3
        with np.errstate(over="ignore", invalid="ignore"):
            wrong[moved] = np.nextafter(right[moved], F32(np.inf)) * F32(1 + 2.0 ** -20)
        wrong[rng.random(x.size) < 0.02] = np.nan
        for got in (right, wrong):
            fast = compare(got, exact, x, limits=OPS[op].limit_points(order))
            slow = classify_module.classify(got, exact, x, limits=OPS[op].limit_points(order))
            assert np.array_equal(fast.classes, slow.classes), (
                f"{op} order {order}: classes differ at x={x[fast.classes != slow.classes][:5]}")
            same = (fast.expected == slow.expected) | (np.isnan(fast.expected) & np.isnan(slow.expected))
            assert same.all(), f"{op} order {order}: expected differ at x={x[~same][:5]}"
            close = np.isclose(fast.ulps, slow.ulps, rtol=1e-6, atol=1e-6) | (fast.ulps == slow.ulps)
            assert close.all(), (f"{op} order {order}: ULP errors {fast.ulps[~close][:5]} against "
                                 f"mpmath's {slow.ulps[~close][:5]} at x={x[~close][:5]}")
