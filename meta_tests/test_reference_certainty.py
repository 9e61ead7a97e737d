"""reference never returns a wrong number: cancelling formulas, values near powers of two,
fixed-precision functions, and the Arb-twin path of the built-in references."""

import math

import mpmath
import numpy as np
import pytest

import reference
from reference import functions

F32, F64 = np.float32, np.float64


def naive_softplus(x):
    """log(1 + e^x) as written: loses 58 bits at x = -40."""
    return mpmath.log(1 + mpmath.exp(x))


def textbook_erfcx_d1(x):
    """erfcx'(x) = 2x erfcx(x) - 2/sqrt(pi), written the textbook way: cancels for large x."""
    return 2 * x * mpmath.exp(x * x) * mpmath.erfc(x) - 2 / mpmath.sqrt(mpmath.pi)


def erfcx_d1_with_headroom(x):
    """The same formula with 400 more bits than it can lose at |x| <= 1e6: the truth."""
    with mpmath.extraprec(400):
        return +textbook_erfcx_d1(x)


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("x", [-40.0, -60.0, -100.0, -700.0])
def test_cancelling_formula_is_rounded_right(dtype, x):
    got = reference.correctly_rounded(naive_softplus, dtype(x))
    want = reference.correctly_rounded(functions.softplus, dtype(x))
    assert got.tobytes() == want.tobytes(), (
        f"out={got!r}, but should be {want!r} [naive log(1 + exp(x)) at x={x}, {dtype.__name__}]")


def test_naive_reference_does_not_fail_a_correct_softplus():
    x = F64(-60.0)
    correct = reference.correctly_rounded(functions.softplus, x)
    error = float(reference.ulp_error(correct, naive_softplus, x))
    assert error <= 0.5, f"the correctly rounded softplus at x=-60 scored {error} ULP against the naive formula"


@pytest.mark.parametrize("dtype", [F32, F64])
def test_textbook_erfcx_derivative_is_rounded_right(dtype):
    x = dtype(1e6)
    got = reference.correctly_rounded(textbook_erfcx_d1, x)
    want = reference.correctly_rounded(erfcx_d1_with_headroom, x)
    assert got.tobytes() == want.tobytes(), f"out={got!r}, but should be {want!r} [erfcx'(1e6), {dtype.__name__}]"


@pytest.mark.parametrize("x", [5694.1665, 1e19])
def test_ulp_error_is_total_just_below_one(x):
    """sigma(x) = 1 - e^-x: below 1 by less than any precision resolves; its float32 ulp is 2^-24."""
    x = F32(x)
    one = F32(1.0)
    below = [one, np.nextafter(one, F32(0)), F32(1 - 2.0**-23)]
    errors = [float(reference.ulp_error(a, functions.sigmoid, x)) for a in below]
    assert errors[0] < 1e-30 and errors[1] == 1.0 and errors[2] == 2.0, (
        f"ulp_error of [1, 1 - 2^-24, 1 - 2^-23] against sigmoid({x}) = {errors}, "
        f"but should be [0, 1, 2] (the exact value is just below 1)")


@pytest.mark.parametrize("fn, x, dtype, magnitude_above", [
    (functions.softplus, 2.0**20, F32, True),      # 2^20 + e^-(2^20)
    (functions.log_sigmoid, -2.0**20, F32, True),  # -2^20 - e^-(2^20)
    (functions.sigmoid_d1, 1e-30, F64, False),     # 1/4 - x^2/16
])
def test_ulp_error_knows_the_side_of_a_power_of_two(fn, x, dtype, magnitude_above):
    """One float across the power of two from the exact value: 0.5 ulp of the binade
    above when |exact| is just above it, 2 ulps of the binade below when just below."""
    x = dtype(x)
    power = reference.correctly_rounded(fn, x)
    toward = dtype(0) if magnitude_above else np.copysign(dtype(math.inf), power)
    across = np.nextafter(power, toward)
    expected = 0.5 if magnitude_above else 2.0
    got = float(reference.ulp_error(across, fn, x))
    assert abs(got - expected) < 1e-9, f"out={got}, but should be {expected} [{fn.__name__}({x!r}) vs {across!r}]"


def test_python_float_results_are_refused():
    with pytest.raises(TypeError, match=r"Python float .* cannot be bounded"):
        reference.correctly_rounded(lambda x: math.exp(float(x)), F64(1.0))


def test_special_float_results_are_exact():
    out = reference.correctly_rounded(lambda x: -0.0, F32(1.0))
    assert math.copysign(1.0, float(out)) < 0
    assert float(reference.correctly_rounded(lambda x: math.inf, F32(1.0))) == math.inf


def test_exact_plus_keeps_its_parts_through_negation():
    v = -reference.ExactPlus(1, -mpmath.mpf(2) ** -100000)
    assert isinstance(v, reference.ExactPlus) and v.head == -1 and v.tail > 0
    assert v == -1, "as a number, ExactPlus is head + tail at the working precision"


def test_precision_cap_names_fn_and_input():
    calls = []

    def never_settles(x):  # 1 +- 2^-30, the sign flipping at each call: never converges
        calls.append(mpmath.mp.prec)
        return 1 + (-1) ** len(calls) * mpmath.mpf(2) ** -30

    with pytest.raises(reference.PrecisionCapExceeded, match=r"never_settles.*\(1\.0,\).*still uncertain"):
        reference.correctly_rounded(never_settles, F64(1.0))


def _arb_free(fn):
    """The same mpmath function without its Arb twin: verified across precisions."""
    def plain(*args):
        return fn(*args)
    plain.__name__ = fn.__name__ + "_verified"
    return plain


UNARY = [functions.softplus, functions.sigmoid, functions.sigmoid_d1, functions.sigmoid_d2,
         functions.log_sigmoid, functions.log_sigmoid_d1, functions.log_sigmoid_d2]
BINARY = list(functions.LOGADDEXP_PARTIALS.values())


def _inputs(dtype, n=400):
    rng = np.random.default_rng(7)
    info = np.finfo(dtype)
    bits = rng.integers(0, 2 ** (8 * info.bits // 8 * 1), n, dtype=np.uint64 if info.bits == 64 else np.uint32)
    random_bits = bits.view(dtype)
    x = np.concatenate([random_bits[np.isfinite(random_bits)],
                        rng.normal(0, 30, n).astype(dtype),
                        np.array([0.0, -0.0, 1e-30, 0.5, 16.6, 17.3, 36.7, 88.7, 709.7, 745.2],
                                 dtype=dtype)])
    return x


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("fn", UNARY, ids=lambda f: f.__name__)
def test_arb_twin_agrees_with_verified_mpmath(fn, dtype):
    """Two independent routes to certainty: Arb's balls and verification across precisions."""
    x = _inputs(dtype)
    twin = reference.correctly_rounded(fn, x)
    verified = reference.correctly_rounded(_arb_free(fn), x)
    same = (twin.view(np.uint8).reshape(len(x), -1) == verified.view(np.uint8).reshape(len(x), -1)).all(1)
    assert same.all(), f"out={twin[~same][:5]}, but should be {verified[~same][:5]} [{fn.__name__}, x={x[~same][:5]}]"


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("fn", BINARY, ids=lambda f: f.__name__)
def test_arb_twin_agrees_with_verified_mpmath_binary(fn, dtype):
    x = _inputs(dtype, 150)
    y = np.roll(x, 7)
    y[: len(y) // 4] = x[: len(y) // 4]  # equal pairs too
    twin = reference.correctly_rounded(fn, x, y)
    verified = reference.correctly_rounded(_arb_free(fn), x, y)
    same = (twin == verified) | (np.isnan(twin) & np.isnan(verified))
    assert same.all(), (f"out={twin[~same][:5]}, but should be {verified[~same][:5]} "
                        f"[{fn.__name__}, x={x[~same][:5]}, y={y[~same][:5]}]")


def test_ulp_error_answers_beyond_the_largest_float():
    """erfcx(-4e20) = e^(1.6e41) erfc(-4e20): far beyond float32's max, yet the distance
    of max (enormous) and of inf (0: the exact value overflows to it) are both decided."""
    def erfcx(x):
        return mpmath.exp(x * x) * mpmath.erfc(x)

    x = np.full(2, -4e20, F32)
    got = reference.ulp_error(np.array([np.finfo(F32).max, np.inf], F32), erfcx, x)
    assert got[0] == math.inf and got[1] == 0, f"out={got}, but should be [inf, 0]"
    assert float(reference.ulp_error(F64(1.0), mpmath.exp, F64(1000.0))) > 1e141
