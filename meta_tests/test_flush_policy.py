"""The subnormal policy of :func:`properties.assertions.compare`, at its edges.

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
