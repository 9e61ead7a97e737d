"""reference.correctly_rounded: known values, ties, overflow, subnormals, signed zeros, nan/inf, caching.

Every expected value here is built from exact binary arithmetic (powers of two,
``np.nextafter``, exact float64 sums), not from the engine under test.
"""


import mpmath
import numpy as np
import pytest

import reference
from reference import functions
from reference.rounding import FORMATS

F32 = np.float32
F64 = np.float64


def identity(x):
    return x


def add(x, y):
    return x + y


def bits(value) -> int:
    """Bit pattern of a float32/float64 scalar or 0-d array, as an int."""
    array = np.asarray(value)
    return int(array.view(np.uint32 if array.dtype == F32 else np.uint64))


def assert_same_float(got, expected, *, call: str):
    """Bit-for-bit equality (signed zeros distinguished, any nan equal to nan)."""
    __tracebackhide__ = True
    got, expected = np.asarray(got), np.asarray(expected)
    assert isinstance(got, np.ndarray), f"out={got!r} is not an ndarray [{call}]"
    assert got.dtype == expected.dtype, f"out.dtype={got.dtype}, but should be {expected.dtype} [{call}]"
    if np.isnan(expected):
        assert np.isnan(got), f"out={got!r}, but should be nan [{call}]"
        return
    assert bits(got) == bits(expected), (
        f"out={got!r} (bits {bits(got):#x}), but should be {expected!r} "
        f"(bits {bits(expected):#x}) [{call}]"
    )


# --- Known values ---------------------------------------------------------------


@pytest.mark.parametrize("dtype", [F32, F64])
def test_known_values(dtype):
    zero = dtype(0.0)
    assert_same_float(reference.correctly_rounded(mpmath.exp, zero), dtype(1.0), call="exp(0)")
    assert_same_float(reference.correctly_rounded(functions.sigmoid, zero), dtype(0.5), call="sigmoid(0)")
    assert_same_float(reference.correctly_rounded(functions.sigmoid_d1, zero), dtype(0.25), call="sigmoid_d1(0)")


def test_softplus_at_zero_is_log2_rounded():
    # ln 2 = 0x3F317218 in float32 (0.693147182...), 0x3FE62E42FEFA39EF in float64.
    got32 = reference.correctly_rounded(functions.softplus, F32(0.0))
    got64 = reference.correctly_rounded(functions.softplus, F64(0.0))
    assert bits(got32) == 0x3F317218, f"softplus(0) float32 bits {bits(got32):#x}"
    assert bits(got64) == 0x3FE62E42FEFA39EF, f"softplus(0) float64 bits {bits(got64):#x}"


def test_returns_0d_ndarray_for_scalar_input():
    out = reference.correctly_rounded(mpmath.exp, F32(1.0))
    assert type(out) is np.ndarray and out.shape == () and out.dtype == F32, repr(out)


def test_output_dtype_defaults_to_result_type_of_inputs():
    out = reference.correctly_rounded(add, np.ones(3, F32), F64(1.0))
    assert out.dtype == F64, f"mixing float32 and float64 gave {out.dtype}"
    out = reference.correctly_rounded(add, np.ones(3, F32), F32(1.0), dtype="float64")
    assert out.dtype == F64 and out.shape == (3,), repr(out)


def test_broadcasting_follows_numpy():
    out = reference.correctly_rounded(add, np.zeros((2, 1), F64), np.arange(3, dtype=F64))
    np.testing.assert_array_equal(out, np.zeros((2, 1)) + np.arange(3))


def test_empty_input_gives_empty_output():
    out = reference.correctly_rounded(mpmath.exp, np.zeros((0, 3), F32))
    assert out.shape == (0, 3) and out.dtype == F32


def test_no_args_with_explicit_dtype():
    pi32 = reference.correctly_rounded(lambda: +mpmath.pi, dtype=F32)
    assert bits(pi32) == 0x40490FDB, f"pi in float32 has bits {bits(pi32):#x}"


# --- Ties to even --------------------------------------------------------------


@pytest.mark.parametrize(
    "low_units, expected_units",
    [(0, 0), (1, 2), (2, 2), (3, 4)],  # 1 + (k + 1/2) ulp rounds to the even k
    ids=["1+0.5ulp", "1+1.5ulp", "1+2.5ulp", "1+3.5ulp"],
)
def test_exact_float32_midpoint_rounds_to_even(low_units, expected_units):
    ulp32 = 2.0**-23
    x = F64(1.0 + low_units * ulp32)
    half_ulp = F64(ulp32 / 2)
    out = reference.correctly_rounded(add, x, half_ulp, dtype=F32)
    assert_same_float(out, F32(1.0 + expected_units * ulp32), call=f"add({x!r}, {half_ulp!r}) -> float32")


def test_just_above_a_midpoint_rounds_up():
    x, y = F64(1.0), F64(2.0**-24 + 2.0**-70)  # needs 70 bits: not exact at the first precision
    out = reference.correctly_rounded(add, x, y, dtype=F32)
    assert_same_float(out, F32(1.0 + 2.0**-23), call="add(1, 2**-24 + 2**-70)")


def test_float64_midpoint_built_from_three_terms():
    fn = lambda x, y, z: x + y + z  # noqa: E731  1 + 2**-53 exactly: tie to 1
    out = reference.correctly_rounded(fn, F64(1.0), F64(2.0**-54), F64(2.0**-54))
    assert_same_float(out, F64(1.0), call="1 + 2**-54 + 2**-54")


# --- Overflow -------------------------------------------------------------------


def test_float32_overflow_threshold_is_max_plus_half_ulp():
    threshold = F64(FORMATS["float32"].max) + F64(2.0**103)  # exact in float64
    x = np.array([threshold, np.nextafter(threshold, 0.0), -threshold], F64)
    out = reference.correctly_rounded(identity, x, dtype=F32)
    expected = np.array([np.inf, FORMATS["float32"].max, -np.inf], F32)
    np.testing.assert_array_equal(out, expected, err_msg=f"rounding {x!r} into float32")


def test_float64_overflow_threshold_is_max_plus_half_ulp():
    largest, half_ulp = F64(FORMATS["float64"].max), F64(2.0**970)
    at = reference.correctly_rounded(add, largest, half_ulp)
    below = reference.correctly_rounded(lambda x, y, z: x + y - z, largest, half_ulp, F64(2.0**-900))
    negative = reference.correctly_rounded(lambda x, y: -(x + y), largest, half_ulp)
    assert_same_float(at, F64(np.inf), call="max + ulp(max)/2")
    assert_same_float(below, largest, call="max + ulp(max)/2 - 2**-900")
    assert_same_float(negative, F64(-np.inf), call="-(max + ulp(max)/2)")


@pytest.mark.parametrize("dtype, finite, overflowing", [(F32, 88.72, 88.73), (F64, 709.78, 709.79)])
def test_exp_overflows_to_inf(dtype, finite, overflowing):
    out = reference.correctly_rounded(mpmath.exp, np.array([finite, overflowing, -np.inf, np.inf], dtype))
    assert np.isfinite(out[0]) and out[0] > 1e38, f"exp({finite}) = {out[0]!r}"
    assert out[1] == np.inf and out[3] == np.inf, f"exp({overflowing}), exp(inf) = {out[1]!r}, {out[3]!r}"
    assert_same_float(out[2], dtype(0.0), call="exp(-inf)")


def test_negative_overflow_gives_minus_inf():
    out = reference.correctly_rounded(lambda x: -mpmath.exp(x), F32(100.0))
    assert_same_float(out, F32(-np.inf), call="-exp(100) in float32")


# --- Subnormals and double rounding -------------------------------------------------


@pytest.mark.parametrize(
    "dtype, units_times_2, expected_units",
    [
        (F32, 1, 0), (F32, 3, 2), (F32, 5, 2), (F32, 7, 4),  # (k + 1/2) subnormal units: ties to even
        (F64, 1, 0), (F64, 3, 2), (F64, 5, 2),
    ],
)
def test_subnormal_ties_round_to_even(dtype, units_times_2, expected_units):
    tiny = FORMATS[np.dtype(dtype).name].smallest_subnormal
    if dtype is F32:  # half a float32 subnormal is a float64
        out = reference.correctly_rounded(identity, F64(units_times_2 * tiny / 2), dtype=F32)
    else:  # half a float64 subnormal is not a float64: halve inside fn, exactly
        out = reference.correctly_rounded(lambda x: x / 2, F64(units_times_2 * tiny))
    assert_same_float(out, dtype(expected_units * tiny), call=f"{units_times_2}/2 subnormal units in {np.dtype(dtype).name}")


def test_double_rounding_trap_float32():
    # v = 2**-150 + 2**-209: just above half the smallest float32 subnormal.
    # Rounded to float64 first, v becomes exactly 2**-150, a tie that rounds to 0.
    # Rounded directly, it is above the tie and rounds up to 2**-149.
    x, y = F64(2.0**-150), F64(2.0**-209)
    via_float64 = F32(F64(2.0**-150))  # what double rounding would give
    out = reference.correctly_rounded(add, x, y, dtype=F32)
    assert bits(via_float64) == 0, "the trap is not set: float64 rounding should produce the tie"
    assert_same_float(out, F32(2.0**-149), call="2**-150 + 2**-209 -> float32")


def test_double_rounding_trap_float64():
    # v = 2**-1075 + 2**-1134: mpf -> Python float rounds to 53 bits first, then
    # to the subnormal grid, giving 0; the correct rounding is 2**-1074.
    fn = lambda: mpmath.ldexp(1, -1075) + mpmath.ldexp(1, -1134)  # noqa: E731
    with mpmath.workprec(200):
        assert float(fn()) == 0.0, "the trap is not set: float(mpf) should double-round to 0"
    out = reference.correctly_rounded(fn, dtype=F64)
    assert_same_float(out, F64(5e-324), call="2**-1075 + 2**-1134 -> float64")


@pytest.mark.parametrize("dtype, x", [(F32, -100.0), (F32, -103.0), (F64, -740.0), (F64, -744.0)])
def test_exp_into_subnormal_range_matches_exact_rounding(dtype, x):
    # Expected: exp(x) / smallest_subnormal, rounded half-even at 60 digits by mpmath.
    tiny = FORMATS[np.dtype(dtype).name].smallest_subnormal
    with mpmath.workdps(60):
        units = mpmath.exp(x) / mpmath.mpf(tiny)
        nearest = int(mpmath.nint(units))
    out = reference.correctly_rounded(mpmath.exp, dtype(x))
    assert out > 0 and out < FORMATS[np.dtype(dtype).name].smallest_normal, repr(out)
    assert_same_float(out, dtype(nearest * tiny), call=f"exp({x}) in {np.dtype(dtype).name}")


# --- Signed zeros ------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize(
    "fn, x, expected",
    [
        (identity, -0.0, -0.0),
        (identity, 0.0, 0.0),
        (lambda x: -x, 0.0, -0.0),
        (mpmath.sin, -0.0, -0.0),
        (mpmath.expm1, -0.0, -0.0),
        (mpmath.log1p, -0.0, -0.0),
        (mpmath.tanh, -0.0, -0.0),
        (lambda x: x * x, -0.0, 0.0),
        (lambda x: x - x, -0.0, 0.0),
        (lambda x: x - x, 1.0, 0.0),
        (lambda x: -mpmath.exp(x), -1000.0, -0.0),  # negative, rounds to zero
        (mpmath.exp, -1000.0, 0.0),
    ],
    ids=["id(-0)", "id(+0)", "neg(+0)", "sin(-0)", "expm1(-0)", "log1p(-0)", "tanh(-0)",
         "square(-0)", "x-x(-0)", "x-x(1)", "-exp(-1000)", "exp(-1000)"],
)
def test_signed_zero(dtype, fn, x, expected):
    out = reference.correctly_rounded(fn, dtype(x))
    assert_same_float(out, dtype(expected), call=f"fn({dtype(x)!r})")


def test_signed_zero_of_two_zero_inputs_follows_ieee_addition():
    minus = F64(-0.0)
    plus = F64(0.0)
    assert_same_float(reference.correctly_rounded(add, minus, minus), minus, call="-0 + -0")
    assert_same_float(reference.correctly_rounded(add, minus, plus), plus, call="-0 + +0")


def test_python_float_negative_zero_result_is_kept():
    out = reference.correctly_rounded(lambda x: -0.0, F32(3.0))
    assert_same_float(out, F32(-0.0), call="lambda x: -0.0")


# --- nan and infinite inputs/results ------------------------------------------------------


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize(
    "fn, x, expected",
    [
        (mpmath.log, -1.0, np.nan),  # mpc result: undefined over the reals
        (mpmath.sqrt, -4.0, np.nan),
        (mpmath.log, 0.0, -np.inf),
        (mpmath.log, np.inf, np.inf),
        (mpmath.exp, np.nan, np.nan),
        (functions.softplus, np.nan, np.nan),
        (mpmath.tanh, -np.inf, -1.0),
        (functions.softplus, np.inf, np.inf),
        (functions.softplus, -np.inf, 0.0),
        (lambda x: mpmath.mpf("nan"), 1.0, np.nan),
        (lambda x: mpmath.mpc(x, 0), 2.0, 2.0),  # complex with zero imaginary part is real
    ],
    ids=["log(-1)", "sqrt(-4)", "log(0)", "log(inf)", "exp(nan)", "softplus(nan)", "tanh(-inf)",
         "softplus(inf)", "softplus(-inf)", "returns-nan", "real-mpc"],
)
def test_nan_and_inf(dtype, fn, x, expected):
    out = reference.correctly_rounded(fn, dtype(x))
    assert_same_float(out, dtype(expected), call=f"fn({dtype(x)!r})")


def test_exact_integer_result_is_rounded_once():
    out = reference.correctly_rounded(lambda x: 2**24 + 1, F32(0.0))  # a tie: even is 2**24
    assert_same_float(out, F32(2.0**24), call="lambda x: 2**24 + 1")


# --- Certainty and the precision cap ---------------------------------------------------


def test_never_settling_function_raises_precision_cap_exceeded():
    def hugs_a_midpoint(x):
        # Always within the error bound of the float32 midpoint 1 + 2**-24, never on it.
        return x + mpmath.ldexp(1, -24) + mpmath.ldexp(1, -mpmath.mp.prec + 2)

    with pytest.raises(reference.PrecisionCapExceeded) as info:
        reference.correctly_rounded(hugs_a_midpoint, F64(1.0), dtype=F32)
    message = str(info.value)
    for needle in ("hugs_a_midpoint", "1.0", "bits", "float32"):
        assert needle in message, f"{needle!r} missing from: {message}"
    assert isinstance(info.value, ArithmeticError)


def test_exact_zero_result_terminates():
    out = reference.correctly_rounded(functions.sigmoid_d2, np.array([0.0, -0.0], F64))
    assert out.tolist() == [0.0, 0.0], repr(out)


# --- Caching ------------------------------------------------------------------


class CountingExp:
    """mpmath.exp that counts its calls; hashable by identity."""

    def __init__(self):
        self.calls = 0

    def __call__(self, x):
        self.calls += 1
        return mpmath.exp(x)


# A plain mpmath fn is certified by two evaluations at least (verification across
# precisions): these exponentials settle at the second.
EVALUATIONS_PER_POINT = 2


def test_repeated_points_come_from_the_cache():
    fn = CountingExp()
    x = np.array([1.0, 2.0, 1.0, 2.0, 1.0], F32)
    first = reference.correctly_rounded(fn, x)
    calls_after_first = fn.calls
    assert calls_after_first == 2 * EVALUATIONS_PER_POINT, (
        f"5 points, 2 distinct: fn called {calls_after_first} times")
    second = reference.correctly_rounded(fn, x)
    assert fn.calls == calls_after_first, f"a repeated call evaluated fn {fn.calls - calls_after_first} more times"
    np.testing.assert_array_equal(first, second)
    reference.correctly_rounded(fn, x, dtype=F64)
    assert fn.calls == 2 * calls_after_first, "float64 target must not reuse float32 cache entries"
    reference.clear_cache()
    reference.correctly_rounded(fn, x)
    assert fn.calls == 3 * calls_after_first, "clear_cache() did not empty the cache"


def test_signed_zeros_are_distinct_cache_keys():
    reference.correctly_rounded(identity, F32(0.0))
    out = reference.correctly_rounded(identity, F32(-0.0))
    assert_same_float(out, F32(-0.0), call="identity(-0.0) after identity(+0.0)")


def test_unhashable_fn_is_evaluated_without_cache():
    class Unhashable(CountingExp):
        __hash__ = None

    fn = Unhashable()
    reference.correctly_rounded(fn, np.ones(2, F32))
    assert fn.calls == 2 * EVALUATIONS_PER_POINT, fn.calls
