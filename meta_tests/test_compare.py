"""What :func:`properties.assertions.compare` reports: the correctly rounded
value for every result (it asks the reference only where the result is not
already within half an ULP), and the subnormal policy at its edges.

A result returned as 0 is *flushed* (counted apart, never judged by its ULP
figure) exactly when the exact value is nonzero and below the smallest normal
before rounding; one at or above the smallest normal returned as 0 is an
error like any other. The other classes (:mod:`properties.classify`) and the
verdict of the statistics are checked at the end.
"""

import numpy as np
import pytest

from properties.assertions import compare

TINY = {dt: np.finfo(dt).smallest_normal for dt in ("float32", "float64")}


def _product_compared_with_zero(a, b, dtype):
    a, b = np.asarray(a, dtype), np.asarray(b, dtype)
    return compare(np.zeros((), dtype), lambda x, y: x * y, a, b)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_exact_just_below_smallest_normal_that_rounds_up_to_it_is_flushed(dtype, sign):
    tiny, one_minus = TINY[dtype], np.nextafter(np.ones((), dtype), 0)
    c = _product_compared_with_zero(sign * tiny, one_minus, dtype)
    assert abs(c.expected[0]) == tiny, c  # rounds up to the smallest normal...
    assert c.flushed[0], c                # ...but is below it before rounding


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_zero_for_the_smallest_normal_itself_is_an_error(dtype):
    c = _product_compared_with_zero(TINY[dtype], 1.0, dtype)
    assert not c.flushed[0] and c.ulps[0] > 1e6, c


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_zero_just_above_smallest_normal_is_an_error(dtype):
    c = _product_compared_with_zero(TINY[dtype], np.nextafter(np.ones((), dtype), 2), dtype)
    assert not c.flushed[0], c


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_zero_for_a_subnormal_exact_value_is_flushed(dtype):
    c = _product_compared_with_zero(TINY[dtype], 0.25, dtype)
    assert c.flushed[0] and c.expected[0] == TINY[dtype] / 4, c


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_expected_is_the_correctly_rounded_value_whatever_was_returned(dtype):
    import mpmath

    import reference

    x = np.array([0.1, 0.5, 1.5, 3.0, 20.0, -700.0, 1e-300, 2.0], dtype)
    exact = mpmath.exp
    rounded = reference.correctly_rounded(exact, x)
    with np.errstate(over="ignore"):
        answers = [rounded, np.nextafter(rounded, np.inf), np.nextafter(rounded, -np.inf),
                   np.zeros_like(rounded), np.full_like(rounded, np.nan), rounded * 2,
                   np.full_like(rounded, np.inf)]
    for got in answers:
        c = compare(got.astype(dtype), exact, x)
        assert np.array_equal(c.expected, rounded), (got, c.expected, rounded)


def test_each_result_falls_in_one_class():
    import mpmath

    from properties.classify import (FINITE_FOR_NONFINITE, FLUSHED, JUDGED, NAN_MISMATCH,
                                     NONFINITE)

    x = np.array([1.0, 1.0, np.inf, np.inf, -1.0, 1e-45], np.float32)
    got = np.array([1.0, np.inf, 5.0, np.nan, np.inf, -np.inf], np.float32)
    c = compare(got, mpmath.log, x)
    assert c.classes.tolist()[:4] == [JUDGED, NONFINITE, FINITE_FOR_NONFINITE, NAN_MISMATCH], c
    # log(-1) has no real value (nan): inf there is a nan mismatch
    assert c.classes[4] == NAN_MISMATCH
    # log(1e-45) read as log(0) = -inf: flushed (DAZ), not an infinite error
    assert c.classes[5] == FLUSHED and np.isinf(c.ulps[5])


@pytest.mark.parametrize("flush_allowed", [True, False])
@pytest.mark.parametrize("budget", [0.5, 1.0, 3.0, np.inf])
def test_stats_verdict_is_the_elementwise_verdict(budget, flush_allowed):
    from properties.classify import Stats

    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(-3, 3, 60), [1e-39, -2e-40, 5e-45, 1.0, 2.0]]).astype(np.float32)
    got = x.copy()
    steps = rng.integers(-3, 4, x.size)
    for i, k in enumerate(steps):
        for _ in range(abs(k)):
            got[i] = np.nextafter(got[i], np.float32(np.sign(k) * np.inf))
    got[[60, 61, 62]] = 0  # flushed
    got[63] = np.nan       # nonfinite
    c = compare(got, lambda v: v, x)
    fails = c.failures(budget, flush_allowed=flush_allowed).size > 0
    assert Stats.of(c).within(budget, flush_allowed=flush_allowed) == (not fails)
