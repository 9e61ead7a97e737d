r"""mpmath definitions of softplus, sigmoid, log_sigmoid, logaddexp and their derivatives.

Each function takes real arguments (mpmath ``mpf``\ s, or anything
``mpmath.mpmathify`` accepts) and returns an ``mpf`` accurate to about one ulp
of mpmath's current working precision, for every argument: the formulas avoid
cancellation and never overflow (mpmath's exponent range is unbounded, and the
exponentials used are of ``-|x|``), and the evaluation carries
:data:`FORMULA_GUARD_BITS` extra bits.  ``nan`` in any argument gives ``nan``;
``±inf`` give the limits.  mpmath has no negative zero: a zero result is ``mpf(0)``.

They are meant as ``fn`` for :func:`reference.correctly_rounded` and
:func:`reference.ulp_error`.  With :math:`\sigma(x) = 1 / (1 + e^{-x})`:

==================  =================================================  =====  =====
function            value                                              +inf   -inf
==================  =================================================  =====  =====
``softplus``        :math:`\log(1 + e^x)`                             +inf   0
``softplus_d1``     :math:`\sigma(x)`                                 1      0
``softplus_d2``     :math:`\sigma(x)\sigma(-x)`                      0      0
``sigmoid``         :math:`\sigma(x)`                                 1      0
``sigmoid_d1``      :math:`\sigma(x)\sigma(-x)`                      0      0
``sigmoid_d2``      :math:`\sigma(x)\sigma(-x)(1 - 2\sigma(x))`     0      0
``log_sigmoid``     :math:`\log\sigma(x) = -\mathrm{softplus}(-x)`  0      -inf
``log_sigmoid_d1``  :math:`\sigma(-x)`                                0      1
``log_sigmoid_d2``  :math:`-\sigma(x)\sigma(-x)`                     0      0
==================  =================================================  =====  =====

``logaddexp(x, y)`` :math:`= \log(e^x + e^y)` and its partial derivatives are
functions of two arguments, of the exact difference :math:`d = x - y`:

======================  ================================================
function                value
======================  ================================================
``logaddexp``           :math:`\max(x, y) + \mathrm{log1p}(e^{-|d|})`
``logaddexp_dx``        :math:`\sigma(d)`
``logaddexp_dy``        :math:`\sigma(-d)`
``logaddexp_dxx``       :math:`\sigma(d)\sigma(-d)` (also ``logaddexp_dyy``)
``logaddexp_dxy``       :math:`-\sigma(d)\sigma(-d)`
======================  ================================================

At infinite arguments (see :func:`logaddexp`): equal infinities are the limit
along the diagonal :math:`x = y` (:math:`d = 0`: gradient :math:`(1/2, 1/2)`,
Hessian :math:`\pm 1/4`); otherwise :math:`d = \pm\infty` and the larger
argument takes the whole gradient.

Registries: ``*_DERIVATIVES`` are ``(f, f', f'')`` tuples for the unary
functions; ``*_PARTIALS`` are dicts keyed by the multi-index of the partial
derivative, ``{(0,): f, (1,): f', (2,): f''}`` for unary functions and
``{(0, 0): f, (1, 0): f_x, (0, 1): f_y, (2, 0): f_xx, (1, 1): f_xy,
(0, 2): f_yy}`` for ``logaddexp`` (``LOGADDEXP_DERIVATIVES`` is the same dict).
"""

from __future__ import annotations

import functools
from typing import Callable

import flint
import mpmath

from reference.rounding import ExactPlus

__all__ = [
    "softplus",
    "softplus_d1",
    "softplus_d2",
    "sigmoid",
    "sigmoid_d1",
    "sigmoid_d2",
    "SOFTPLUS_DERIVATIVES",
    "SIGMOID_DERIVATIVES",
    "log_sigmoid",
    "log_sigmoid_d1",
    "log_sigmoid_d2",
    "LOG_SIGMOID_DERIVATIVES",
    "logaddexp",
    "logaddexp_dx",
    "logaddexp_dy",
    "logaddexp_dxx",
    "logaddexp_dxy",
    "logaddexp_dyy",
    "LOGADDEXP_DERIVATIVES",
    "SOFTPLUS_PARTIALS",
    "SIGMOID_PARTIALS",
    "LOG_SIGMOID_PARTIALS",
    "LOGADDEXP_PARTIALS",
    "FORMULA_GUARD_BITS",
]

FORMULA_GUARD_BITS = 16
"""Extra bits each formula is evaluated with before rounding to the caller's precision."""


def _real_function(formula: Callable[..., mpmath.mpf]) -> Callable:
    """Convert the arguments, pass ``nan`` through, evaluate ``formula`` with
    guard bits, and round the result to the caller's working precision."""

    @functools.wraps(formula)
    def function(*args):
        args = [mpmath.mpmathify(a) for a in args]
        if any(mpmath.isnan(a) for a in args):
            return mpmath.mpf("nan")
        with mpmath.extraprec(FORMULA_GUARD_BITS):
            y = formula(*args)
        return +y

    return function


@_real_function
def softplus(x):
    """:math:`\\mathrm{softplus}(x) = \\log(1 + e^x)`.

    Evaluated as :math:`x + \\mathrm{log1p}(e^{-x})` for :math:`x > 0` and
    :math:`\\mathrm{log1p}(e^{x})` otherwise: a sum of two positive terms, and
    a ``log1p`` of an argument in :math:`(0, 1]` (condition number at most 1).
    :math:`+\\infty \\mapsto +\\infty`, :math:`-\\infty \\mapsto 0`.

    In floating point, the naive formula loses everything for negative
    :math:`x` (``1 + e^x`` rounds to 1) and overflows for large :math:`x`:

    >>> import math, mpmath
    >>> math.log(1 + math.exp(-40.0))        # true value 4.2484e-18
    0.0
    >>> mpmath.nstr(softplus(-40), 5)
    '4.2484e-18'
    >>> mpmath.nstr(softplus(-800), 5)       # below every float64
    '3.6679e-348'
    >>> softplus(800) == 800                  # e^800 overflows float64
    True
    """
    if mpmath.isinf(x):
        return x if x > 0 else mpmath.mpf(0)
    if x > 0:
        return ExactPlus(x, mpmath.log1p(mpmath.exp(-x)))
    return mpmath.log1p(mpmath.exp(x))


@_real_function
def sigmoid(x):
    """:math:`\\sigma(x) = 1 / (1 + e^{-x})`.

    Evaluated as :math:`1 / (1 + e^{-x})` for :math:`x \\ge 0` and
    :math:`e^{x} / (1 + e^{x})` for :math:`x < 0`, so the exponential is of
    :math:`-|x|` and no step cancels.  :math:`\\sigma(+\\infty) = 1`,
    :math:`\\sigma(-\\infty) = 0`.

    >>> import math, mpmath
    >>> 1 - 1 / (1 + math.exp(-40.0))         # sigma(-40) as 1 - sigma(40): cancelled
    0.0
    >>> mpmath.nstr(sigmoid(-40), 5)
    '4.2484e-18'
    >>> sigmoid(0) == 0.5
    True
    """
    if x >= 0:
        u = mpmath.exp(-x)
        return ExactPlus(1, -u / (1 + u))
    u = mpmath.exp(x)
    return u / (1 + u)


@_real_function
def sigmoid_d1(x):
    """:math:`\\sigma'(x) = \\sigma(x)\\sigma(-x) = e^{-|x|} / (1 + e^{-|x|})^2`.

    Even in :math:`x`; written in :math:`u = e^{-|x|} \\in (0, 1]`, which
    neither overflows nor cancels.  :math:`\\sigma'(0) = 1/4`,
    :math:`\\sigma'(\\pm\\infty) = 0`.

    >>> import math, mpmath
    >>> s = 1 / (1 + math.exp(-40.0))
    >>> s * (1 - s)                            # true value 4.2484e-18
    0.0
    >>> mpmath.nstr(sigmoid_d1(40), 5)
    '4.2484e-18'
    """
    if abs(x) < 1:  # 1/4 - tanh(x/2)^2 / 4: below 1/4 by ~x^2/16
        return ExactPlus(mpmath.mpf(1) / 4, -mpmath.tanh(x / 2) ** 2 / 4)
    u = mpmath.exp(-abs(x))
    return u / (1 + u) ** 2


@_real_function
def sigmoid_d2(x):
    """:math:`\\sigma''(x) = \\sigma(x)\\sigma(-x)(1 - 2\\sigma(x)) = -\\sigma'(x)\\tanh(x/2)`.

    Odd in :math:`x`.  With :math:`u = e^{-|x|}`,
    :math:`1 - 2\\sigma(|x|) = -(1 - u)/(1 + u)` and so

    .. math::  \\sigma''(x) = -\\mathrm{sign}(x)\\, \\frac{u\\,(-\\mathrm{expm1}(-|x|))}{(1 + u)^3},

    where ``expm1`` keeps :math:`1 - u` accurate as :math:`x \\to 0`
    (:math:`\\sigma''(x) \\approx -x/8`).  :math:`\\sigma''(0) = 0`,
    :math:`\\sigma''(\\pm\\infty) = 0` (an unsigned mpmath zero; the limits are
    approached from below at :math:`+\\infty` and from above at :math:`-\\infty`).

    >>> import math, mpmath
    >>> s = 1 / (1 + math.exp(-1e-9))
    >>> s * (1 - s) * (1 - 2 * s)  # doctest: +ELLIPSIS
    -1.25000010...e-10
    >>> mpmath.nstr(sigmoid_d2(1e-9), 5)         # 7 digits were wrong above
    '-1.25e-10'
    """
    u = mpmath.exp(-abs(x))
    magnitude = u * -mpmath.expm1(-abs(x)) / (1 + u) ** 3
    return -magnitude if x > 0 else magnitude


softplus_d1 = sigmoid
"""``softplus'(x) = sigmoid(x)``; the same function object as :func:`sigmoid`."""

softplus_d2 = sigmoid_d1
"""``softplus''(x) = sigmoid'(x)``; the same function object as :func:`sigmoid_d1`."""

SOFTPLUS_DERIVATIVES = (softplus, softplus_d1, softplus_d2)
"""``(f, f', f'')`` for softplus."""

SIGMOID_DERIVATIVES = (sigmoid, sigmoid_d1, sigmoid_d2)
"""``(f, f', f'')`` for sigmoid."""


@_real_function
def log_sigmoid(x):
    """:math:`\\log\\sigma(x) = -\\mathrm{softplus}(-x) = -\\log(1 + e^{-x})`.

    Through :func:`softplus`, so nothing cancels or overflows (the negation of
    ``x`` is exact).  :math:`\\log\\sigma(+\\infty) = 0`,
    :math:`\\log\\sigma(-\\infty) = -\\infty`.

    >>> import math, mpmath
    >>> math.log(1 / (1 + math.exp(-40.0)))     # true value -4.2484e-18
    0.0
    >>> mpmath.nstr(log_sigmoid(40), 5)
    '-4.2484e-18'
    >>> log_sigmoid(-800) == -800 - softplus(-800)
    True
    """
    return -softplus(mpmath.fneg(x, exact=True))


@_real_function
def log_sigmoid_d1(x):
    """:math:`(\\log\\sigma)'(x) = \\sigma(-x) = 1 - \\sigma(x)`, through :func:`sigmoid`.

    :math:`+\\infty \\mapsto 0`, :math:`-\\infty \\mapsto 1`.
    """
    return sigmoid(mpmath.fneg(x, exact=True))


@_real_function
def log_sigmoid_d2(x):
    """:math:`(\\log\\sigma)''(x) = -\\sigma(x)\\sigma(-x) = -\\sigma'(x)`, through :func:`sigmoid_d1`.

    Even in :math:`x`, negative, :math:`-1/4` at 0 and 0 at :math:`\\pm\\infty`.
    ``jax.nn.log_sigmoid`` returns exactly 0 in float64 from :math:`|x| \\approx 37.4`
    (jax-ml/jax#40383), where this is :math:`\\approx -e^{-|x|}`:

    >>> import mpmath
    >>> mpmath.nstr(log_sigmoid_d2(-37.43), 5)
    '-5.5508e-17'
    """
    return -sigmoid_d1(x)


def _difference(x, y):
    """:math:`x - y` exactly (mpmath's ``-`` rounds to the working precision),
    and 0 where ``x == y``: equal infinities are the limit along the diagonal."""
    if x == y:
        return mpmath.mpf(0)
    return mpmath.fsub(x, y, exact=True)


def _of_difference(fn, d):
    """``fn(d)`` for an exact :math:`d` that may carry more bits than the working
    precision (e.g. :math:`10^{300} - 1`): evaluated with :math:`\\log_2 |d|`
    more bits, so that rounding :math:`d` shifts :math:`e^{-|d|}` by less
    than one ulp of the working precision."""
    with mpmath.extraprec(max(0, mpmath.mag(d)) if mpmath.isfinite(d) and d else 0):
        return fn(d)


def _add_to_exact(exact, term):
    """``exact + term()`` to the working precision, where ``exact`` is an exact
    binary number and ``term()`` can be evaluated to any precision, as an
    :class:`~reference.rounding.ExactPlus` (so the engine sees the two parts).

    The sum may cancel (``logaddexp(x, y)`` near 0, where :math:`\\max(x, y)`
    is near :math:`-\\mathrm{log1p}(e^{-|d|})`), so ``term()`` is evaluated again
    with as many more bits as the sum lost, until the sum keeps the working
    precision.  It is never exactly 0 for the terms used here (a binary
    number plus the log of one plus a transcendental, Lindemann-Weierstrass),
    so the loop ends.
    """
    extra = 8
    while True:
        with mpmath.extraprec(extra):
            t = term()
            s = exact + t
            lost = mpmath.mag(t) - mpmath.mag(s) if s else 2 * extra + 64
        if lost <= extra - 8:
            return ExactPlus(exact, t)
        extra = lost + 16


@_real_function
def logaddexp(x, y):
    """:math:`\\log(e^x + e^y) = \\max(x, y) + \\mathrm{log1p}(e^{-|x - y|})`.

    Symmetric.  :math:`x - y` is formed exactly (inputs are exact binary
    numbers, but their difference may need more bits than the working
    precision, and a rounded difference of two huge, close arguments is
    wrong), and the sum is re-evaluated with more bits where it cancels
    (:math:`\\max(x, y) \\in (-\\log 2, 0)`).

    At infinite arguments: :math:`(-\\infty, -\\infty) \\mapsto -\\infty`,
    :math:`(+\\infty, \\cdot) \\mapsto +\\infty`, :math:`(-\\infty, y) \\mapsto y`
    (the limits).  For the derivatives, equal infinities are the limit along
    the diagonal :math:`x = y` (:math:`d = 0`), a convention (any other path
    :math:`x - y \\to d` gives :math:`\\sigma(d)`; ``jnp.logaddexp``'s gradient
    is nan at :math:`(-\\infty, -\\infty)` and :math:`(1, 1)` at
    :math:`(+\\infty, +\\infty)`, jax-ml/jax#1624, #6811).

    >>> import math, mpmath
    >>> x, y = 1e30, 1e30 * (1 + 2**-52)       # d = -2**48, not a rounded 0
    >>> logaddexp(x, y) == y
    True
    >>> mpmath.nstr(logaddexp_dx(x, y), 5)      # sigma(-2**48), not sigma(0) = 0.5
    '6.0001e-122243029179285'
    >>> math.log(2) + -0.6931471805599453      # at (x, x): x + log 2 cancels to 0
    0.0
    >>> mpmath.nstr(logaddexp(-0.6931471805599453, -0.6931471805599453), 5)
    '2.319e-17'
    """
    d = _difference(x, y)
    m = max(x, y)
    if mpmath.isinf(m) or mpmath.isinf(d):
        return x + mpmath.log(2) if d == 0 else m
    if d == 0:
        return _add_to_exact(m, lambda: mpmath.log(2))
    return _add_to_exact(m, lambda: _of_difference(lambda v: mpmath.log1p(mpmath.exp(-abs(v))), d))


@_real_function
def logaddexp_dx(x, y):
    """:math:`\\partial_x \\log(e^x + e^y) = \\sigma(x - y)`, with the exact difference.

    :math:`1/2` at equal arguments (including equal infinities), 1 for
    :math:`x = +\\infty > y` or :math:`x > y = -\\infty`, 0 the other way round.
    """
    return _of_difference(sigmoid, _difference(x, y))


@_real_function
def logaddexp_dy(x, y):
    """:math:`\\partial_y \\log(e^x + e^y) = \\sigma(y - x)`; :func:`logaddexp_dx` with the arguments swapped."""
    return _of_difference(sigmoid, _difference(y, x))


@_real_function
def logaddexp_dxx(x, y):
    """:math:`\\partial_x^2 \\log(e^x + e^y) = \\sigma(d)\\sigma(-d)`, :math:`d = x - y` exact.

    Also :math:`\\partial_y^2`.  :math:`1/4` at equal arguments (including equal
    infinities), 0 where exactly one argument is infinite.
    """
    return _of_difference(sigmoid_d1, _difference(x, y))


@_real_function
def logaddexp_dxy(x, y):
    """:math:`\\partial_x \\partial_y \\log(e^x + e^y) = -\\sigma(d)\\sigma(-d)`, :math:`d = x - y` exact.

    :math:`-1/4` at equal arguments (including equal infinities), 0 where
    exactly one argument is infinite.
    """
    return -_of_difference(sigmoid_d1, _difference(x, y))


logaddexp_dyy = logaddexp_dxx
"""``∂²/∂y² logaddexp = ∂²/∂x² logaddexp``; the same function object as :func:`logaddexp_dxx`."""

LOG_SIGMOID_DERIVATIVES = (log_sigmoid, log_sigmoid_d1, log_sigmoid_d2)
"""``(f, f', f'')`` for log_sigmoid."""

SOFTPLUS_PARTIALS = dict(zip([(0,), (1,), (2,)], SOFTPLUS_DERIVATIVES))
"""``{(order,): derivative}`` for softplus."""

SIGMOID_PARTIALS = dict(zip([(0,), (1,), (2,)], SIGMOID_DERIVATIVES))
"""``{(order,): derivative}`` for sigmoid."""

LOG_SIGMOID_PARTIALS = dict(zip([(0,), (1,), (2,)], LOG_SIGMOID_DERIVATIVES))
"""``{(order,): derivative}`` for log_sigmoid."""

LOGADDEXP_DERIVATIVES = {
    (0, 0): logaddexp,
    (1, 0): logaddexp_dx,
    (0, 1): logaddexp_dy,
    (2, 0): logaddexp_dxx,
    (1, 1): logaddexp_dxy,
    (0, 2): logaddexp_dyy,
}
"""Partial derivatives of logaddexp keyed by multi-index ``(order in x, order in y)``."""

LOGADDEXP_PARTIALS = LOGADDEXP_DERIVATIVES
"""The same dict as :data:`LOGADDEXP_DERIVATIVES`, named like the unary ``*_PARTIALS``."""


# --- Arb twins: the same closed forms on rigorous balls --------------------------
#
# Each public function above carries ``.arb``, the same formula written for
# python-flint's ``arb`` (finite arguments only; infinities and nan go to the
# mpmath definition).  reference.rounding evaluates the twin, whose balls
# enclose the exact value rigorously, so the built-in references are certain
# with no assumption, and cost a few microseconds.  A result near a power of
# two is ``(head, tail)``, as :class:`~reference.rounding.ExactPlus` is for mpmath.


def _twin(function: Callable) -> Callable:
    def attach(twin: Callable) -> Callable:
        function.arb = twin
        return twin
    return attach


def _negated(result):
    return (-result[0], -result[1]) if isinstance(result, tuple) else -result


@_twin(softplus)
def _softplus_arb(x):
    if x > 0:
        return x, (-x).exp().log1p()
    return x.exp().log1p()


@_twin(sigmoid)
def _sigmoid_arb(x):
    if x >= 0:
        u = (-x).exp()
        return flint.arb(1), -u / (1 + u)
    u = x.exp()
    return u / (1 + u)


@_twin(sigmoid_d1)
def _sigmoid_d1_arb(x):
    if abs(x) < 1:
        t = (x / 2).tanh()
        return flint.arb(0.25), -(t * t) / 4
    u = (-abs(x)).exp()
    return u / ((1 + u) * (1 + u))


@_twin(sigmoid_d2)
def _sigmoid_d2_arb(x):
    u = (-abs(x)).exp()
    magnitude = u * -(-abs(x)).expm1() / ((1 + u) ** 3)
    return -magnitude if x > 0 else magnitude


@_twin(log_sigmoid)
def _log_sigmoid_arb(x):
    return _negated(_softplus_arb(-x))


@_twin(log_sigmoid_d1)
def _log_sigmoid_d1_arb(x):
    return _sigmoid_arb(-x)


@_twin(log_sigmoid_d2)
def _log_sigmoid_d2_arb(x):
    return _negated(_sigmoid_d1_arb(x))


def _arb_difference(x, y):
    """``x - y`` for exact balls, exactly: with enough bits for both operands."""
    saved = flint.ctx.prec
    try:
        flint.ctx.prec = 2200  # any two float64 values differ by at most ~2100 significant bits
        return x - y
    finally:
        flint.ctx.prec = saved


@_twin(logaddexp)
def _logaddexp_arb(x, y):
    m = x if x >= y else y
    if x == y:
        return m, flint.arb.const_log2()
    return m, (-abs(_arb_difference(x, y))).exp().log1p()


@_twin(logaddexp_dx)
def _logaddexp_dx_arb(x, y):
    return _sigmoid_arb(_arb_difference(x, y))


@_twin(logaddexp_dy)
def _logaddexp_dy_arb(x, y):
    return _sigmoid_arb(_arb_difference(y, x))


@_twin(logaddexp_dxx)
def _logaddexp_dxx_arb(x, y):
    return _sigmoid_d1_arb(_arb_difference(x, y))


@_twin(logaddexp_dxy)
def _logaddexp_dxy_arb(x, y):
    return _negated(_sigmoid_d1_arb(_arb_difference(x, y)))
