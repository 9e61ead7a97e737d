"""reference.ulp_error and reference.ulp: the unit, binade boundaries, subnormals, zeros, inf, nan."""

import math

import mpmath
import numpy as np
import pytest

import reference
from reference import functions
from reference.rounding import FORMATS

F32 = np.float32
F64 = np.float64
DTYPES = [F32, F64]


def identity(x):
    return x


def add(x, y):
    return x + y


def subtract(x, y):
    return x - y


def assert_distance(actual, fn, *args, expected: float):
    __tracebackhide__ = True
    got = reference.ulp_error(actual, fn, *args)
    assert type(got) is np.ndarray and got.dtype == F64, f"ulp_error returned {got!r}"
    assert got == expected, (
        f"ulp_error={float(got)!r}, but should be {expected!r} "
        f"[ulp_error({actual!r}, {getattr(fn, '__name__', fn)}, {', '.join(map(repr, args))})]"
    )


# --- The unit ------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_next_float_after_one_is_one_ulp(dtype):
    one = dtype(1.0)
    assert_distance(np.nextafter(one, dtype(2)), identity, one, expected=1.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_float_below_one_is_half_ulp_of_one(dtype):
    # 1 - 2**-p is one ulp of [0.5, 1) below 1, which is half an ulp of 1.
    one = dtype(1.0)
    assert_distance(np.nextafter(one, dtype(0)), identity, one, expected=0.5)


@pytest.mark.parametrize("dtype", DTYPES)
def test_exact_value_just_below_a_power_of_two_uses_the_lower_binade(dtype):
    p = FORMATS[np.dtype(dtype).name].precision
    exact_args = (F64(2.0), F64(2.0**-p))  # 2 - 2**-p, in [1, 2): ulp 2**(1 - p)
    assert_distance(dtype(2.0), subtract, *exact_args, expected=0.5)
    assert_distance(np.nextafter(dtype(2.0), dtype(0)), subtract, *exact_args, expected=0.5)


def test_binade_is_resolved_beyond_the_first_precision():
    # exact = 1 - 2**-100 rounds to 1 at the first working precision (88 bits),
    # where the ulp would be 2**-23; its true binade [0.5, 1) has ulp 2**-24.
    below_one = np.nextafter(F32(1.0), F32(0))
    assert_distance(below_one, subtract, F64(1.0), F64(2.0**-100), expected=1.0 - 2.0**-76)


@pytest.mark.parametrize("dtype", DTYPES)
def test_correctly_rounded_values_are_within_half_an_ulp(dtype):
    x = np.random.default_rng(7).normal(0.0, 30.0, 300).astype(dtype)
    for fn in (functions.softplus, functions.sigmoid_d2):
        rounded = reference.correctly_rounded(fn, x)
        error = reference.ulp_error(rounded, fn, x)
        worst = int(np.argmax(error))
        assert error.max() <= 0.5, f"{fn.__name__}({x[worst]!r}): correctly rounded value is {error[worst]} ulp away"
        up = np.nextafter(rounded, dtype(np.inf))
        up_error = reference.ulp_error(up, fn, x)
        finite = np.isfinite(up) & (np.abs(rounded) >= FORMATS[np.dtype(dtype).name].smallest_normal)
        bad = finite & ~((up_error > 0.5) & (up_error <= 1.5))
        assert not bad.any(), f"{fn.__name__}: next float up is {up_error[bad][:3]} ulp away at x={x[bad][:3]}"


# --- Subnormals and zero ---------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "actual_units, exact_quarters, expected",
    [(1, 3, 0.25), (0, 3, 0.75), (2, 3, 1.25), (1, 0, 1.0), (5, 4, 4.0)],
)
def test_subnormal_distances_are_in_units_of_the_smallest_subnormal(dtype, actual_units, exact_quarters, expected):
    tiny = FORMATS[np.dtype(dtype).name].smallest_subnormal
    quarter = lambda k: mpmath.ldexp(k, -2) * mpmath.mpf(tiny)  # noqa: E731
    assert_distance(dtype(actual_units * tiny), lambda: quarter(exact_quarters), expected=expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_signed_zeros_are_equal(dtype):
    assert_distance(dtype(-0.0), identity, dtype(0.0), expected=0.0)
    assert_distance(dtype(0.0), identity, dtype(-0.0), expected=0.0)
    assert_distance(dtype(-0.0), lambda x: x - x, dtype(3.0), expected=0.0)


# --- Infinities, overflow, nan ------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_infinities(dtype):
    inf = dtype(np.inf)
    assert_distance(inf, identity, inf, expected=0.0)
    assert_distance(-inf, identity, -inf, expected=0.0)
    assert_distance(-inf, identity, inf, expected=math.inf)
    assert_distance(dtype(1.0), identity, inf, expected=math.inf)
    assert_distance(dtype(np.nan), identity, inf, expected=math.inf)
    assert_distance(inf, identity, dtype(1.0), expected=math.inf)


@pytest.mark.parametrize("dtype", DTYPES)
def test_nan(dtype):
    nan = dtype(np.nan)
    assert_distance(nan, mpmath.log, dtype(-1.0), expected=0.0)
    assert_distance(nan, identity, nan, expected=0.0)
    assert_distance(dtype(0.0), mpmath.log, dtype(-1.0), expected=math.inf)
    assert_distance(dtype(np.inf), mpmath.log, dtype(-1.0), expected=math.inf)
    assert_distance(nan, mpmath.exp, dtype(1.0), expected=math.inf)


def test_exact_value_that_overflows_float32():
    fmt = FORMATS["float32"]
    args = (F64(fmt.max), F64(2.0**103))  # max + ulp(max)/2: rounds to inf
    assert_distance(F32(np.inf), add, *args, expected=0.0)
    assert_distance(F32(fmt.max), add, *args, expected=0.5)  # ulp of the largest binade: 2**104
    assert_distance(F32(-np.inf), add, *args, expected=math.inf)
    assert_distance(F32(np.nan), add, *args, expected=math.inf)
    below = (F64(fmt.max), F64(2.0**102))  # rounds to max: inf is wrong
    assert_distance(F32(np.inf), add, *below, expected=math.inf)


def test_far_away_values_give_large_finite_or_inf_distances():
    got = reference.ulp_error(F64(1e300), identity, F64(0.0))
    assert got == math.inf, f"1e300 vs 0 is beyond float64 in units of 2**-1074: got {got}"
    got = reference.ulp_error(F32(2.0), identity, F32(1.0))
    assert got == 2.0**23, got


# --- Shapes, dtypes, ulp() ------------------------------------------------------------


def test_broadcast_shape_and_float64_result():
    actual = np.ones((3, 1), F32)
    got = reference.ulp_error(actual, add, np.zeros(4, F32), F32(1.0))
    assert got.shape == (3, 4) and got.dtype == F64 and not got.any(), repr(got)


def test_scalar_gives_0d_ndarray():
    got = reference.ulp_error(F32(1.0), identity, F32(1.0))
    assert type(got) is np.ndarray and got.shape == (), repr(got)


def test_python_float_actual_is_refused_with_a_hint():
    with pytest.raises(TypeError, match=r"actual.*float.*np\.float32\(x\)"):
        reference.ulp_error(1.0, identity, F32(1.0))


def test_mismatched_shapes_are_named():
    with pytest.raises(ValueError, match=r"actual shape \(2,\).*args\[0\] shape \(3,\)"):
        reference.ulp_error(np.ones(2, F32), identity, np.ones(3, F32))


@pytest.mark.parametrize("dtype", DTYPES)
def test_ulp_matches_the_definition(dtype):
    fmt = FORMATS[np.dtype(dtype).name]
    x = np.array([1.0, -1.0, 1.5, 2.0, 0.0, -0.0, fmt.smallest_subnormal, fmt.smallest_normal, fmt.max, np.inf, np.nan], dtype)
    expected = np.array(
        [
            2.0 ** (1 - fmt.precision), 2.0 ** (1 - fmt.precision), 2.0 ** (1 - fmt.precision),
            2.0 ** (2 - fmt.precision), fmt.smallest_subnormal, fmt.smallest_subnormal,
            fmt.smallest_subnormal, fmt.smallest_subnormal,
            math.ldexp(1.0, fmt.emax - fmt.precision + 1), np.nan, np.nan,
        ],
        dtype,
    )
    got = reference.ulp(x)
    np.testing.assert_array_equal(got, expected, err_msg=f"ulp({x!r})")
    assert got.dtype == dtype
