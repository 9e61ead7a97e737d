"""What :func:`properties.assertions.compare` reports: the correctly rounded
value for every result (it asks the reference only where the result is not
already within half an ULP), and the subnormal policy at its edges.

A result returned as 0 is *flushed* (counted apart, never judged by its ULP
figure) exactly when the exact value is nonzero and below the smallest normal
before rounding; one at or above the smallest normal returned as 0 is an
error like any other.
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
