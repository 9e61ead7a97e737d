"""reference.functions: derivatives against mpmath.diff, symmetries, limits at ±inf, nan, doctests."""

import doctest

import mpmath
import pytest

import reference
import importlib

from reference import _validation, functions, rounding
from reference.functions import (
    sigmoid,
    sigmoid_d1,
    sigmoid_d2,
    softplus,
    softplus_d1,
    softplus_d2,
)

PRECISION_DPS = 40
RELATIVE_TOLERANCE = mpmath.mpf(10) ** -(PRECISION_DPS - 5)

# mpmath.diff differentiates numerically with extra precision, but not enough
# to take an e^-x-sized derivative out of a value near 1: so it is applied up
# to x = 30, and larger positive x are covered by the symmetries below.
DIFF_POINTS = [-745, -100, -30, -5, -1, -0.125, 1e-3, 0.125, 1, 5, 30]
SYMMETRY_POINTS = [1e-300, 1e-8, 0.5, 3, 40, 100, 745, 1e5, 1e300]

DERIVATIVE_PAIRS = [
    # (name, claimed derivative, function, order)
    ("softplus_d1", softplus_d1, softplus, 1),
    ("softplus_d2", softplus_d2, softplus, 2),
    ("sigmoid_d1", sigmoid_d1, sigmoid, 1),
    ("sigmoid_d2", sigmoid_d2, sigmoid, 2),
    ("sigmoid_d2 as d(sigmoid_d1)", sigmoid_d2, sigmoid_d1, 1),
]


def assert_relatively_close(got, expected, *, call: str):
    __tracebackhide__ = True
    error = abs(got - expected) / abs(expected)
    assert error <= RELATIVE_TOLERANCE, (
        f"out={mpmath.nstr(got, 20)}, but should be {mpmath.nstr(expected, 20)} "
        f"(relative error {mpmath.nstr(error, 3)}) [{call}]"
    )


@pytest.mark.parametrize("x", DIFF_POINTS)
@pytest.mark.parametrize("name, derivative, fn, order", DERIVATIVE_PAIRS, ids=[p[0] for p in DERIVATIVE_PAIRS])
def test_derivative_matches_numerical_differentiation(name, derivative, fn, order, x):
    with mpmath.workdps(PRECISION_DPS):
        x = mpmath.mpf(x)
        expected = mpmath.diff(fn, x, order)
        assert_relatively_close(derivative(x), expected, call=f"{name}({x}) vs mpmath.diff")


@pytest.mark.parametrize("x", SYMMETRY_POINTS)
def test_symmetries_hold_at_large_arguments(x):
    with mpmath.workdps(PRECISION_DPS):
        x = mpmath.mpf(x)
        assert_relatively_close(softplus(-x) + x, softplus(x), call=f"softplus(-x) + x vs softplus(x) at {x}")
        assert_relatively_close(sigmoid(x) + sigmoid(-x), mpmath.mpf(1), call=f"sigmoid(x) + sigmoid(-x) at {x}")
        assert_relatively_close(sigmoid_d1(-x), sigmoid_d1(x), call=f"sigmoid_d1 even at {x}")
        if sigmoid_d2(x) != 0:
            assert_relatively_close(-sigmoid_d2(-x), sigmoid_d2(x), call=f"sigmoid_d2 odd at {x}")
        assert sigmoid_d2(x) < 0 or sigmoid_d2(x) == 0, f"sigmoid_d2({x}) should be negative for x > 0"


@pytest.mark.parametrize("x", [-745.5, -40, -1e-20, 1e-20, 2, 40, 745.5])
def test_closed_forms_match_defining_formulas_at_high_precision(x):
    # The defining expressions, with enough extra bits (~1.5 |x| + 100) to survive their cancellation.
    with mpmath.workdps(PRECISION_DPS):
        x = mpmath.mpf(x)
        with mpmath.extraprec(int(1.5 * abs(x)) + 100):
            s = 1 / (1 + mpmath.exp(-x))
            expected = [mpmath.log(1 + mpmath.exp(x)), s, s * (1 - s), s * (1 - s) * (1 - 2 * s)]
        for fn, want in zip([softplus, sigmoid, sigmoid_d1, sigmoid_d2], expected):
            assert_relatively_close(fn(x), want, call=f"{fn.__name__}({x}) vs defining formula")


@pytest.mark.parametrize(
    "fn, at_plus_inf, at_minus_inf",
    [
        (softplus, mpmath.inf, 0),
        (sigmoid, 1, 0),
        (sigmoid_d1, 0, 0),
        (sigmoid_d2, 0, 0),
    ],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_limits_at_infinity(fn, at_plus_inf, at_minus_inf):
    assert fn(mpmath.inf) == at_plus_inf, f"{fn.__name__}(+inf) = {fn(mpmath.inf)}, but should be {at_plus_inf}"
    assert fn(-mpmath.inf) == at_minus_inf, f"{fn.__name__}(-inf) = {fn(-mpmath.inf)}, but should be {at_minus_inf}"


@pytest.mark.parametrize("fn", [softplus, sigmoid, sigmoid_d1, sigmoid_d2], ids=lambda f: f.__name__)
def test_nan_propagates(fn):
    assert mpmath.isnan(fn(mpmath.nan)), f"{fn.__name__}(nan) = {fn(mpmath.nan)}"


def test_values_at_zero():
    assert softplus(0) == mpmath.log(2)
    assert sigmoid(0) == mpmath.mpf(0.5)
    assert sigmoid_d1(0) == mpmath.mpf(0.25)
    assert sigmoid_d2(0) == 0


def test_working_precision_is_restored():
    before = mpmath.mp.prec
    softplus(mpmath.mpf(3))
    reference.correctly_rounded(softplus, __import__("numpy").float32(3.0))
    assert mpmath.mp.prec == before, f"mp.prec changed from {before} to {mpmath.mp.prec}"


def test_derivative_tuples():
    assert functions.SOFTPLUS_DERIVATIVES == (softplus, softplus_d1, softplus_d2)
    assert functions.SIGMOID_DERIVATIVES == (sigmoid, sigmoid_d1, sigmoid_d2)


# reference.ulp is the re-exported function; its module is reached by name.
MODULES = [reference, functions, rounding, importlib.import_module("reference.ulp"), _validation]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctest examples failed in {module.__name__}"
