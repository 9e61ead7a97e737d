"""mpmath definitions of softplus, sigmoid and their derivatives.

Each function takes one real argument (an mpmath ``mpf``, or anything
``mpmath.mpmathify`` accepts) and returns an ``mpf`` accurate to about one ulp
of mpmath's current working precision, for every argument: the formulas avoid
cancellation and never overflow (mpmath's exponent range is unbounded, and the
exponentials used are of ``-|x|``), and the evaluation carries
:data:`FORMULA_GUARD_BITS` extra bits.  ``nan`` gives ``nan``; ``±inf`` give
the limits.  mpmath has no negative zero: a zero result is ``mpf(0)``.

They are meant as ``fn`` for :func:`reference.correctly_rounded` and
:func:`reference.ulp_error`.  With :math:`\\sigma(x) = 1 / (1 + e^{-x})`:

=====================  =========================================  =====  =====
function               value                                      +inf   -inf
=====================  =========================================  =====  =====
``softplus``           :math:`\\log(1 + e^x)`                      +inf   0
``softplus_d1``        :math:`\\sigma(x)`                          1      0
``softplus_d2``        :math:`\\sigma(x)\\sigma(-x)`                 0      0
``sigmoid``            :math:`\\sigma(x)`                          1      0
``sigmoid_d1``         :math:`\\sigma(x)\\sigma(-x)`                 0      0
``sigmoid_d2``         :math:`\\sigma(x)\\sigma(-x)(1 - 2\\sigma(x))`  0      0
=====================  =========================================  =====  =====
"""

from __future__ import annotations

import functools
from typing import Callable

import mpmath

__all__ = [
    "softplus",
    "softplus_d1",
    "softplus_d2",
    "sigmoid",
    "sigmoid_d1",
    "sigmoid_d2",
    "SOFTPLUS_DERIVATIVES",
    "SIGMOID_DERIVATIVES",
    "FORMULA_GUARD_BITS",
]

FORMULA_GUARD_BITS = 16
"""Extra bits each formula is evaluated with before rounding to the caller's precision."""


def _real_function(formula: Callable[[mpmath.mpf], mpmath.mpf]) -> Callable:
    """Convert the argument, pass ``nan`` through, evaluate ``formula`` with
    guard bits, and round the result to the caller's working precision."""

    @functools.wraps(formula)
    def function(x):
        x = mpmath.mpmathify(x)
        if mpmath.isnan(x):
            return mpmath.mpf("nan")
        with mpmath.extraprec(FORMULA_GUARD_BITS):
            y = formula(x)
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
    if x > 0:
        return x + mpmath.log1p(mpmath.exp(-x))
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
        return 1 / (1 + mpmath.exp(-x))
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
