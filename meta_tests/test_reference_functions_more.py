"""reference.functions for log_sigmoid and logaddexp: derivatives against mpmath.diff,
closed forms against the defining formulas, the exact difference, limits at ±inf, nan."""

import mpmath
import numpy as np
import pytest

import reference
from reference import functions
from reference.functions import (
    LOGADDEXP_DERIVATIVES,
    log_sigmoid,
    log_sigmoid_d1,
    log_sigmoid_d2,
    logaddexp,
    logaddexp_dx,
    logaddexp_dxx,
    logaddexp_dxy,
    logaddexp_dy,
    logaddexp_dyy,
    sigmoid,
    sigmoid_d1,
    softplus,
)

PRECISION_DPS = 40
RELATIVE_TOLERANCE = mpmath.mpf(10) ** -(PRECISION_DPS - 5)
inf, nan = mpmath.inf, mpmath.nan

# mpmath.diff loses an e^-|x|-sized derivative next to a value near 1 beyond |x| ~ 30 (see
# test_reference_functions.py); larger arguments are covered by the closed-form checks below.
DIFF_POINTS = [-30, -5, -1, -0.125, 1e-3, 0.125, 1, 5, 30]
DIFF_PAIRS = [(0, 0), (1, 1), (-3, -3), (0.5, -0.25), (-0.25, 0.5), (2, -7), (-7, 2), (10, -15),
              (-15, 10), (-100, -110), (100, 120), (1e-3, 2e-3), (-0.7, -0.6)]

UNARY_DERIVATIVES = [
    # (name, claimed derivative, function, order)
    ("log_sigmoid_d1", log_sigmoid_d1, log_sigmoid, 1),
    ("log_sigmoid_d2", log_sigmoid_d2, log_sigmoid, 2),
    ("log_sigmoid_d2 as d(log_sigmoid_d1)", log_sigmoid_d2, log_sigmoid_d1, 1),
]

PARTIAL_DERIVATIVES = [
    # (name, claimed partial derivative, function, orders in (x, y))
    ("logaddexp_dx", logaddexp_dx, logaddexp, (1, 0)),
    ("logaddexp_dy", logaddexp_dy, logaddexp, (0, 1)),
    ("logaddexp_dxx", logaddexp_dxx, logaddexp, (2, 0)),
    ("logaddexp_dxy", logaddexp_dxy, logaddexp, (1, 1)),
    ("logaddexp_dyy", logaddexp_dyy, logaddexp, (0, 2)),
    ("logaddexp_dxx as d/dx(logaddexp_dx)", logaddexp_dxx, logaddexp_dx, (1, 0)),
    ("logaddexp_dxy as d/dy(logaddexp_dx)", logaddexp_dxy, logaddexp_dx, (0, 1)),
]


def assert_relatively_close(got, expected, *, call: str):
    __tracebackhide__ = True
    error = abs(got - expected) / abs(expected)
    assert error <= RELATIVE_TOLERANCE, (
        f"out={mpmath.nstr(got, 20)}, but should be {mpmath.nstr(expected, 20)} "
        f"(relative error {mpmath.nstr(error, 3)}) [{call}]"
    )


@pytest.mark.parametrize("x", DIFF_POINTS)
@pytest.mark.parametrize("name, derivative, fn, order", UNARY_DERIVATIVES, ids=[p[0] for p in UNARY_DERIVATIVES])
def test_log_sigmoid_derivatives_match_numerical_differentiation(name, derivative, fn, order, x):
    with mpmath.workdps(PRECISION_DPS):
        x = mpmath.mpf(x)
        expected = mpmath.diff(fn, x, order)
        assert_relatively_close(derivative(x), expected, call=f"{name}({x}) vs mpmath.diff")


@pytest.mark.parametrize("x, y", DIFF_PAIRS)
@pytest.mark.parametrize("name, partial, fn, orders", PARTIAL_DERIVATIVES, ids=[p[0] for p in PARTIAL_DERIVATIVES])
def test_logaddexp_partials_match_numerical_differentiation(name, partial, fn, orders, x, y):
    with mpmath.workdps(PRECISION_DPS):
        x, y = mpmath.mpf(x), mpmath.mpf(y)
        expected = mpmath.diff(fn, (x, y), orders)
        assert_relatively_close(partial(x, y), expected, call=f"{name}({x}, {y}) vs mpmath.diff {orders}")


@pytest.mark.parametrize("x", [-745.5, -40, -1e-20, 1e-20, 2, 40, 745.5])
def test_log_sigmoid_closed_forms_match_defining_formulas(x):
    with mpmath.workdps(PRECISION_DPS):
        x = mpmath.mpf(x)
        with mpmath.extraprec(int(1.5 * abs(x)) + 100):
            s = 1 / (1 + mpmath.exp(-x))
            expected = [mpmath.log(s), 1 - s, -s * (1 - s)]
        for fn, want in zip([log_sigmoid, log_sigmoid_d1, log_sigmoid_d2], expected):
            assert_relatively_close(fn(x), want, call=f"{fn.__name__}({x}) vs defining formula")


@pytest.mark.parametrize(
    "x, y",
    [(0, 0), (3, -4), (-745, -746), (-1e-20, 2e-20), (40, -2), (700, 710), (-0.5, -1.25),
     (-0.6931471805599453, -0.6931471805599453), (-0.6931471805599453, -1e-300)],
)
def test_logaddexp_closed_forms_match_defining_formulas(x, y):
    # log(e^x + e^y) and e^x / (e^x + e^y) with enough bits for their cancellation and range.
    with mpmath.workdps(PRECISION_DPS):
        x, y = mpmath.mpf(x), mpmath.mpf(y)
        with mpmath.extraprec(2 * int(abs(x) + abs(y)) + 200):
            ex, ey = mpmath.exp(x), mpmath.exp(y)
            s = ex / (ex + ey)
            expected = [mpmath.log(ex + ey), s, 1 - s, s * (1 - s), -s * (1 - s), s * (1 - s)]
        for (orders, fn), want in zip(LOGADDEXP_DERIVATIVES.items(), expected):
            assert_relatively_close(fn(x, y), want, call=f"{fn.__name__}({x}, {y}) vs defining formula {orders}")


def test_logaddexp_uses_the_exact_difference():
    # Two float64 numbers 2**48 apart: x - y rounded to a few bits less than the inputs carry
    # would be 0, giving 1/2, log 2 and 1/4 instead of values of the size of e^-(2**48).
    x, y = 1e30, 1e30 * (1 + 2**-52)
    d = mpmath.mpf(2) ** 48
    assert mpmath.mpf(y) - mpmath.mpf(x) == d
    with mpmath.workdps(PRECISION_DPS):
        assert logaddexp(x, y) == mpmath.mpf(y), f"logaddexp({x!r}, {y!r}) = {logaddexp(x, y)}, but should be y"
        with mpmath.workprec(200):
            want = sigmoid(-d)
        assert_relatively_close(logaddexp_dx(x, y), want, call=f"logaddexp_dx({x!r}, {y!r}) vs sigmoid(-2**48)")
        assert_relatively_close(logaddexp_dy(y, x), want, call=f"logaddexp_dy({y!r}, {x!r}) vs sigmoid(-2**48)")
        with mpmath.workprec(200):
            want = sigmoid_d1(d)
        assert_relatively_close(logaddexp_dxx(x, y), want, call=f"logaddexp_dxx({x!r}, {y!r}) vs sigmoid_d1(2**48)")
        assert_relatively_close(-logaddexp_dxy(x, y), want, call=f"logaddexp_dxy({x!r}, {y!r}) vs -sigmoid_d1(2**48)")


def test_logaddexp_difference_wider_than_the_working_precision():
    # x - y = 2**40 + 2**-52 + 2**-72 needs 113 bits; rounded to the working precision plus
    # both layers of guard bits (92), it would shift e^-|d| by about 2**-52 relative.
    x, y = mpmath.mpf(2.0) ** 40, -(mpmath.mpf(2.0) ** -52 + mpmath.mpf(2.0) ** -72)
    with mpmath.workprec(60):
        got = logaddexp_dxx(x, y)
        with mpmath.workprec(1200):
            want = sigmoid_d1(x - y)
        error = abs(got - want) / want
        assert error <= mpmath.mpf(2) ** -58, (
            f"out={mpmath.nstr(got, 20)}, but should be {mpmath.nstr(want, 20)} (relative error "
            f"{mpmath.nstr(error, 3)}) [logaddexp_dxx(2**40, -(2**-52 + 2**-72)) at 60 bits vs 1200 bits]"
        )


@pytest.mark.parametrize("x", [-0.6931471805599453, -0.6931471805599452, -0.34657359027997264])
def test_logaddexp_cancellation_keeps_the_working_precision(x):
    # logaddexp(x, x) = x + log 2 and logaddexp(x, -x...) sums near 0: re-evaluated with more bits.
    with mpmath.workprec(53):
        got = logaddexp(x, x)
        with mpmath.workprec(400):
            want = mpmath.mpf(x) + mpmath.log(2)
        assert abs(got - want) <= abs(want) * mpmath.mpf(2) ** -50, (
            f"out={mpmath.nstr(got, 20)}, but should be {mpmath.nstr(want, 20)} [logaddexp({x!r}, {x!r})]"
        )


@pytest.mark.parametrize("x, y", [(1, 2), (-745, 3), (1e300, -1e300), (2**-1074, -(2**-1074)), (0.1, 0.2)])
def test_logaddexp_symmetries(x, y):
    with mpmath.workdps(PRECISION_DPS):
        assert logaddexp(x, y) == logaddexp(y, x)
        assert logaddexp_dx(x, y) == logaddexp_dy(y, x)
        assert logaddexp_dxx(x, y) == logaddexp_dxx(y, x) == -logaddexp_dxy(x, y)
        total = logaddexp_dx(x, y) + logaddexp_dy(x, y)
        assert_relatively_close(total, mpmath.mpf(1), call=f"logaddexp_dx + logaddexp_dy at ({x}, {y})")


@pytest.mark.parametrize("x", [1e-300, 1e-8, 0.5, 3, 40, 100, 745, 1e5, 1e300])
def test_log_sigmoid_relations_at_large_arguments(x):
    with mpmath.workdps(PRECISION_DPS):
        x = mpmath.mpf(x)
        assert_relatively_close(log_sigmoid(x), -softplus(-x), call=f"log_sigmoid vs -softplus(-x) at {x}")
        assert_relatively_close(log_sigmoid(-x), log_sigmoid(x) - x, call=f"log_sigmoid(-x) vs log_sigmoid(x) - x at {x}")
        assert_relatively_close(log_sigmoid_d1(x) + log_sigmoid_d1(-x), mpmath.mpf(1), call=f"log_sigmoid_d1 at ±{x}")
        assert_relatively_close(log_sigmoid_d2(-x), log_sigmoid_d2(x), call=f"log_sigmoid_d2 even at {x}")


@pytest.mark.parametrize(
    "fn, at_plus_inf, at_minus_inf",
    [(log_sigmoid, 0, -inf), (log_sigmoid_d1, 0, 1), (log_sigmoid_d2, 0, 0)],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_log_sigmoid_limits_at_infinity(fn, at_plus_inf, at_minus_inf):
    assert fn(inf) == at_plus_inf, f"{fn.__name__}(+inf) = {fn(inf)}, but should be {at_plus_inf}"
    assert fn(-inf) == at_minus_inf, f"{fn.__name__}(-inf) = {fn(-inf)}, but should be {at_minus_inf}"


# (x, y) -> (value, dx, dy, dxx, dxy, dyy): equal infinities are the diagonal's limit (d = 0).
LOGADDEXP_LIMITS = {
    "(-inf, -inf)": ((-inf, -inf), (-inf, 0.5, 0.5, 0.25, -0.25, 0.25)),
    "(+inf, +inf)": ((inf, inf), (inf, 0.5, 0.5, 0.25, -0.25, 0.25)),
    "(+inf, -inf)": ((inf, -inf), (inf, 1, 0, 0, 0, 0)),
    "(-inf, +inf)": ((-inf, inf), (inf, 0, 1, 0, 0, 0)),
    "(-inf, 3)": ((-inf, 3), (3, 0, 1, 0, 0, 0)),
    "(3, -inf)": ((3, -inf), (3, 1, 0, 0, 0, 0)),
    "(+inf, -1e300)": ((inf, -1e300), (inf, 1, 0, 0, 0, 0)),
    "(1e300, +inf)": ((1e300, inf), (inf, 0, 1, 0, 0, 0)),
    "(-inf, -0.0)": ((-inf, 0.0), (0, 0, 1, 0, 0, 0)),
}


@pytest.mark.parametrize("args, expected", LOGADDEXP_LIMITS.values(), ids=LOGADDEXP_LIMITS.keys())
def test_logaddexp_limits_at_infinity(args, expected):
    for (orders, fn), want in zip(LOGADDEXP_DERIVATIVES.items(), expected):
        got = fn(*args)
        assert got == want, f"out={got}, but should be {want} [{fn.__name__}{args}, partial {orders}]"


@pytest.mark.parametrize("fn", [log_sigmoid, log_sigmoid_d1, log_sigmoid_d2], ids=lambda f: f.__name__)
def test_log_sigmoid_nan_propagates(fn):
    assert mpmath.isnan(fn(nan)), f"{fn.__name__}(nan) = {fn(nan)}"


@pytest.mark.parametrize("args", [(nan, 1), (1, nan), (nan, nan), (nan, inf), (-inf, nan)], ids=str)
@pytest.mark.parametrize("fn", LOGADDEXP_DERIVATIVES.values(), ids=lambda f: f.__name__)
def test_logaddexp_nan_propagates(fn, args):
    assert mpmath.isnan(fn(*args)), f"{fn.__name__}{args} = {fn(*args)}"


def test_values_at_zero():
    assert log_sigmoid(0) == -mpmath.log(2)
    assert log_sigmoid_d1(0) == mpmath.mpf(0.5)
    assert log_sigmoid_d2(0) == mpmath.mpf(-0.25)
    assert logaddexp(0, 0) == mpmath.log(2)
    assert [fn(0, 0) for fn in LOGADDEXP_DERIVATIVES.values()][1:] == [0.5, 0.5, 0.25, -0.25, 0.25]


def test_registries():
    assert functions.LOG_SIGMOID_DERIVATIVES == (log_sigmoid, log_sigmoid_d1, log_sigmoid_d2)
    assert list(LOGADDEXP_DERIVATIVES) == [(0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2)]
    assert functions.LOGADDEXP_PARTIALS is LOGADDEXP_DERIVATIVES
    for partials, derivatives in [
        (functions.SOFTPLUS_PARTIALS, functions.SOFTPLUS_DERIVATIVES),
        (functions.SIGMOID_PARTIALS, functions.SIGMOID_DERIVATIVES),
        (functions.LOG_SIGMOID_PARTIALS, functions.LOG_SIGMOID_DERIVATIVES),
    ]:
        assert partials == {(0,): derivatives[0], (1,): derivatives[1], (2,): derivatives[2]}


def test_correctly_rounded_broadcasts_two_arguments():
    x = np.array([-np.inf, -1.0, 0.0, 2.5, np.inf], dtype=np.float32)
    y = np.array([[-np.inf], [0.0], [np.inf]], dtype=np.float32)
    got = reference.correctly_rounded(logaddexp, x, y)
    assert got.shape == (3, 5) and got.dtype == np.float32
    with np.errstate(invalid="ignore"):
        expected = np.logaddexp(x.astype(np.float64), y.astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(got, expected)
    dx = reference.correctly_rounded(logaddexp_dx, x, y)
    assert dx[0, 0] == dx[2, 4] == 0.5, f"logaddexp_dx at equal infinities: {dx[0, 0]}, {dx[2, 4]}, but should be 0.5"


def test_working_precision_is_restored():
    before = mpmath.mp.prec
    for fn in LOGADDEXP_DERIVATIVES.values():
        fn(mpmath.mpf(-0.6931471805599453), mpmath.mpf(-0.6931471805599453))
    log_sigmoid(mpmath.mpf(3))
    assert mpmath.mp.prec == before, f"mp.prec changed from {before} to {mpmath.mp.prec}"
