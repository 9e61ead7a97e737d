r"""JAX's own hand-written derivative rules, as ops: the audit of ``jax.nn``, ``jax.numpy``
and ``jax.scipy.special`` (``python -m properties --ops jax``).

Importing this module registers the ops below (it is not imported by default runs,
so ``pytest -n auto`` and ``python -m properties`` are unchanged). Their JAX
implementations are :mod:`properties.peers.jax_special` (``<op>_jvp``).

Which functions, found from the source of the installed JAX (0.10.2)
--------------------------------------------------------------------
Every elementwise real function of ``jax.nn``, ``jax.numpy`` and
``jax.scipy.special`` whose derivative is written by hand: a ``custom_jvp`` /
``custom_vjp``, or a primitive with its own JVP rule (``ad.defjvp``), in
``jax/_src/nn/functions.py``, ``jax/_src/numpy/*.py``, ``jax/_src/lax/other.py``,
``jax/_src/lax/special.py`` and ``jax/_src/scipy/special.py``. Audited (op name:
public function, where the rule is):

=================  ==========================================  ==========================================
op                 function                                    rule
=================  ==========================================  ==========================================
``log1mexp``       ``jax.nn.log1mexp``                         nn/functions.py ``log1mexp.defjvps``: ``g / expm1(x)``
``relu``           ``jax.nn.relu``                             nn/functions.py ``relu.defjvps``: ``select(x > 0, g, 0)``
``relu6``          ``jax.nn.relu6``                            nn/functions.py ``relu6.defjvps``: ``select(0 < x < 6, g, 0)``
``sinc``           ``jnp.sinc``                                numpy/ufuncs.py ``_sinc_maclaurin`` (custom_jvp at 0 only)
``i0``             ``jnp.i0``                                  numpy/lax_numpy.py ``_i0_jvp``: autodiff, 0 at x == 0
``logaddexp2``     ``jnp.logaddexp2``                          lax/other.py ``_logaddexp2_jvp``
``gammaln``        ``jax.scipy.special.gammaln``               lax/special.py ``lgamma_p``: ``g * digamma(x)``
``digamma``        ``jax.scipy.special.digamma``               lax/special.py ``digamma_p``: ``g * polygamma(1, x)``
``polygamma1``     ``jax.scipy.special.polygamma(1, x)``       lax/special.py ``polygamma_gradx``: ``polygamma(n + 1, x)``
``erf``            ``jax.scipy.special.erf``                   lax/special.py ``erf_p``: ``2/sqrt(pi) exp(-x^2)``
``erfc``           ``jax.scipy.special.erfc``                  lax/special.py ``erfc_p``
``erfinv``         ``jax.scipy.special.erfinv``                lax/special.py ``erf_inv_p``: ``sqrt(pi)/2 exp(ans^2)``
``i0e``            ``jax.scipy.special.i0e``                   lax/special.py ``bessel_i0e_p``: ``i1e(x) - sign(x) y``
``i1e``            ``jax.scipy.special.i1e``                   lax/special.py ``_bessel_i1e_jvp``
``erfcx``          ``jax.scipy.special.erfcx``                 scipy/special.py ``_erfcx.defjvps``: ``2 x ans - 2/sqrt(pi)``
``dawsn``          ``jax.scipy.special.dawsn``                 scipy/special.py ``_dawsn.defjvps``: ``1 - 2 x ans``
``logit``          ``jax.scipy.special.logit``                 scipy/special.py ``logit.defjvps``: ``g / (x (1 - x))``
``entr``           ``jax.scipy.special.entr``                  scipy/special.py ``_xlogx_jvp``: ``log(x) + 1``
``xlogy``          ``jax.scipy.special.xlogy``                 scipy/special.py ``_xlogy_jvp``
``xlog1py``        ``jax.scipy.special.xlog1py``               scipy/special.py ``_xlog1py_jvp``
``log_ndtr``       ``jax.scipy.special.log_ndtr`` (series 3)   scipy/special.py ``_log_ndtr_jvp``: ``exp(logpdf - ans)``
``expi``           ``jax.scipy.special.expi``                  scipy/special.py ``expi_jvp``: ``exp(x) / x``
``si``, ``ci``     ``jax.scipy.special.sici``, each output     scipy/special.py ``sici_jvp``: ``sinc(x/pi)``, ``cos(x)/x``
``expn2``          ``jax.scipy.special.expn(2, x)``            scipy/special.py ``expn_jvp``: ``-expn(n - 1, x)``
=================  ==========================================  ==========================================

Non-differentiable parameters are fixed and named in the op: ``log_ndtr``'s
``series_order`` at its default 3, ``expn``'s ``n`` at 2 (its rule then calls
``expn(1, x)``, which is ``exp1``), ``polygamma``'s ``n`` at 1.

Left out, and why
-----------------
- ``jax.nn.softplus``, ``sigmoid``, ``log_sigmoid``, ``jnp.logaddexp``: audited by the
  default report already (built-in ops, :mod:`properties.peers.jax_nn`).
- Binary and ternary special functions with rules in some arguments:
  ``gammainc``/``gammaincc`` (``igamma_grada``/``gradx``), ``betainc`` (only ``x``;
  the others raise), ``zeta`` (``x`` raises), ``poch``, ``owens_t``, ``hyp1f1``,
  ``hyp2f1``: their mpmath references are hypergeometric series, and a derived
  second partial costs 8 evaluations at about twice the working precision, several
  seconds a point at the extremes; with three or four arguments they are also beyond
  the harness's arity (1 or 2). Phase 2, with reduced input sets.
- ``jax.scipy.special.exp1`` (``expn(1, x)``), ``i0``, ``i1``, ``ndtr``, ``ndtri``,
  ``spence``, ``gamma``, ``beta``, ``betaln``, ``expit``, ``kl_div``, ``rel_entr``,
  ``boxcox``: no rule of their own, autodiff of the rules above or of elementary
  primitives (``exp1`` shares ``expn``'s rule, audited at ``n = 2``).
- ``jnp.frexp`` (custom_jvp; a pair of mantissa and integer exponent, not a real
  function), ``wofz`` and complex ``erfcx`` (complex), ``jax.nn.softmax`` /
  ``log_softmax`` (not elementwise), ``jnp.linalg`` (not elementwise).
- The elementary XLA primitives (``exp``, ``log``, ``tanh``, ...): their JVPs are
  the textbook derivatives in terms of the primitives themselves;
  :mod:`properties.peers.xla_primitives` audits their values.

References and what is expected where a derivative does not exist
-----------------------------------------------------------------
Each op gives its value and its first and second derivatives (every partial of a
binary op) in closed form (:data:`DERIVATIVES`, from DLMF's identities), mpmath
functions certified by verification across precisions (:mod:`reference.rounding`):
a formula that cancels (``erfcx``'s :math:`2x\,\mathrm{erfcx}(x) - 2/\sqrt\pi` for
large x) is evaluated at higher precision until it is certain. Each declared
derivative is checked against the one derived from the value by central differences
(:mod:`reference.derivatives`) on every special value and branch point and their
neighbours (``properties/tests/test_references.py``, run with ``--target
properties.peers.jax_special``); the closed forms are about 20 times cheaper, so the
dense sweeps judge every input of their grid rather than a sparse sample. Where a
derivative does not exist (a pole, a kink, outside the domain, where the value is
infinite) the audit expects nan (:func:`_defined_at`, :func:`_kink_at`), except at
the declared conventions: a one-sided limit where the domain ends (``logit``'s d1
at 0 and 1, ``erfinv``'s at ±1, ``log1mexp``'s and ``entr``'s at 0) and JAX's
documented choices (``relu'(0) = 0``, ``relu6'(6) = 0``, from their docstrings).
A result that differs only there is a convention, not a defect: the findings
(:mod:`properties.report.audit`) keep them apart. Each op's domain (:data:`DOMAINS`,
``OpSpec.domain``) makes its edges limit points too, so every failure message,
summary line and report row lists, in this order, wrong finite values, nonfinite
results for finite exact values, wrong results for ±inf/nan exact values, and only
then the limit conventions (:data:`properties.classify.VERDICTS`).

The closed forms also remove the derived references' weakness far out: where the
value is astronomically large (``erfcx`` at ``-max``, about ``e^(1e77)``) the two
one-sided estimates of a derived derivative could disagree, and it was declared not
to exist (nan); the closed form gives the derivative (an overflow to ``inf``).

Budgets: 4 ULP in every order and dtype. JAX documents no accuracy for these
functions; its tests compare with SciPy at ``jax._src.public_test_util``'s
default tolerances (rtol 1e-6 float32, 1e-15 float64, i.e. 8-17 and 4.5-9 ULP),
and gradients with ``check_grads``' finite differences, which imply no ULP bound.
"""

from __future__ import annotations

import functools
import math
from typing import Callable

import mpmath

from properties.ops import DTYPES, OpSpec, register
from reference import ExactPlus

#: The ULP budget of every audited op, order and dtype (see the module docstring).
BUDGET_ULP = 4.0

NAN = mpmath.mpf("nan")
INF = mpmath.inf


def _real(fn: Callable) -> Callable:
    """``fn`` with nan in -> nan out, and a complex result (outside the real domain) -> nan."""
    @functools.wraps(fn)
    def real(*args):
        args = [mpmath.mpmathify(a) for a in args]
        if any(mpmath.isnan(a) for a in args):
            return NAN
        out = fn(*args)
        if isinstance(out, mpmath.mpc):
            return NAN if out.imag != 0 else out.real
        return out
    return real


# --- values -------------------------------------------------------------------------

@_real
def log1mexp(x):
    if x < 0:
        return NAN
    if x == 0:
        return -INF
    if mpmath.isinf(x):
        return mpmath.mpf(0)
    return mpmath.log(-mpmath.expm1(-x)) if x < mpmath.log(2) else mpmath.log1p(-mpmath.exp(-x))


@_real
def relu(x):
    return x if x > 0 else mpmath.mpf(0)


@_real
def relu6(x):
    return mpmath.mpf(6) if x > 6 else relu(x)


@_real
def sincpi(x):
    return mpmath.mpf(0) if mpmath.isinf(x) else mpmath.sincpi(x)


@_real
def i0(x):
    return INF if mpmath.isinf(x) else mpmath.besseli(0, x)


@_real
def i0e(x):
    return mpmath.mpf(0) if mpmath.isinf(x) else mpmath.besseli(0, x) * mpmath.exp(-abs(x))


@_real
def i1e(x):
    return mpmath.mpf(0) if mpmath.isinf(x) else mpmath.besseli(1, x) * mpmath.exp(-abs(x))


def _nonpositive_integer(x) -> bool:
    return x <= 0 and mpmath.isint(x)


@_real
def gammaln(x):
    r""":math:`\log|\Gamma(x)|`; +inf at the poles; below 0 by reflection,
    :math:`\log\pi - \log|\sin\pi x| - \log\Gamma(1 - x)` (``sinpi`` reduces exactly)."""
    if mpmath.isinf(x):
        return INF if x > 0 else NAN
    if _nonpositive_integer(x):
        return INF
    if x > 0:
        return mpmath.loggamma(x)
    return mpmath.log(mpmath.pi) - mpmath.log(abs(mpmath.sinpi(x))) - mpmath.loggamma(1 - x)


def _psi(n: int, x):
    r""":math:`\psi^{(n)}(x)`, :math:`n \le 3`, for non-integral :math:`x < 0` by
    reflection, :math:`(-1)^n\psi^{(n)}(1 - x) - \psi^{(n)}(x) = \pi\,\frac{d^n}{dx^n}\cot\pi x`
    (``sinpi``/``cospi`` reduce exactly): mpmath's own ``psi`` takes about a minute at
    :math:`x = -2^{23} + 1/2` and 5 ms this way."""
    if x >= 0:
        return mpmath.psi(n, x)
    c = mpmath.cospi(x) / mpmath.sinpi(x)  # cot(pi x)
    s2 = 1 / mpmath.sinpi(x) ** 2  # csc^2(pi x)
    pi = mpmath.pi
    reflected = mpmath.psi(n, 1 - x)
    if n == 0:
        return reflected - pi * c
    if n == 1:
        return pi ** 2 * s2 - reflected
    if n == 2:
        return reflected - 2 * pi ** 3 * s2 * c
    if n == 3:
        return 2 * pi ** 4 * (2 * s2 * c * c + s2 * s2) - reflected
    raise ValueError(f"_psi: order {n} > 3")


@_real
def digamma(x):
    """nan at the poles (0, -1, -2, ...: ±inf on either side) and at -inf."""
    if mpmath.isinf(x):
        return INF if x > 0 else NAN
    return NAN if _nonpositive_integer(x) else _psi(0, x)


@_real
def trigamma(x):
    """+inf at the poles (of even order: +inf on both sides), nan at -inf."""
    if mpmath.isinf(x):
        return mpmath.mpf(0) if x > 0 else NAN
    return INF if _nonpositive_integer(x) else _psi(1, x)


def _square(x):
    r""":math:`x^2` exactly: rounded, it would put :math:`x^2\,2^{-p}` of error into
    :math:`e^{\pm x^2}` (252 bits at :math:`x = 10^{38}`), which central differences
    of the value (:mod:`reference.derivatives`) do not budget for."""
    return mpmath.fmul(x, x, exact=True)


@_real
def erf(x):
    r"""For :math:`|x| \ge 1`, :math:`\operatorname{sign}(x)\,(1 - \operatorname{erfc}|x|)`
    as :class:`reference.ExactPlus`: below 1 by :math:`e^{-x^2}` (:math:`e^{-11751}` at
    x = 108.4), which decides its ulp in the format but which no working precision
    up to the cap resolves cheaply (mpmath's ``erf`` sums its Taylor series there,
    minutes at 16k bits)."""
    if mpmath.isinf(x):
        return mpmath.sign(x)
    if abs(x) < 1:
        return mpmath.erf(x)
    sign = mpmath.sign(x)
    return ExactPlus(sign, -sign * mpmath.erfc(abs(x)))


@_real
def erfc(x):
    r"""For :math:`x \le -1`, :math:`2 - \operatorname{erfc}(-x)` as
    :class:`reference.ExactPlus`: below 2 by :math:`e^{-x^2}` (see :func:`erf`)."""
    if mpmath.isinf(x):
        return mpmath.mpf(0) if x > 0 else mpmath.mpf(2)
    if x > -1:
        return mpmath.erfc(x)
    return ExactPlus(2, -mpmath.erfc(-x))


@_real
def erfinv(x):
    if abs(x) > 1:
        return NAN
    if abs(x) == 1:
        return INF * x
    return mpmath.erfinv(x)


@_real
def erfcx(x):
    r""":math:`e^{x^2}\operatorname{erfc}(x)` (mpmath's erfc is relative-accurate for large x)."""
    if mpmath.isinf(x):
        return mpmath.mpf(0) if x > 0 else INF
    return mpmath.exp(_square(x)) * mpmath.erfc(x)


#: Above 2^this, dawsn and its derivatives are confluent hypergeometric functions of
#: -x^2: 2-3 times faster than erfi there, and F' = 1 - 2xF would cancel by 2 log2|x| bits.
_DAWSN_BY_1F1 = 64


@_real
def dawsn(x):
    r"""Dawson's integral :math:`F(x) = \tfrac{\sqrt\pi}{2} e^{-x^2}\operatorname{erfi}(x)`."""
    if mpmath.isinf(x):
        return mpmath.mpf(0)
    if mpmath.mag(x) > _DAWSN_BY_1F1:  # x 1F1(1; 3/2; -x^2) (DLMF 7.11.5, 13.6.7)
        return x * mpmath.hyp1f1(1, mpmath.mpf(3) / 2, -_square(x))
    # erfi(x) ~ e^(x^2): 2 log2|x| more bits keep its relative accuracy (see _square)
    with mpmath.extraprec(max(0, 2 * mpmath.mag(x))):
        return +(mpmath.sqrt(mpmath.pi) / 2 * mpmath.exp(-_square(x)) * mpmath.erfi(x))


def _dawsn_d1(x):
    r""":math:`F' = 1 - 2xF`; for :math:`|x| > 2^{64}`, where that cancels by
    :math:`2\log_2|x|` bits, :math:`{}_1F_1(1; \tfrac12; -x^2)` (DLMF 13.3.15)."""
    if mpmath.mag(x) > _DAWSN_BY_1F1:
        return mpmath.hyp1f1(1, mpmath.mpf(1) / 2, -_square(x))
    return 1 - 2 * x * dawsn(x)


def _dawsn_d2(x):
    r""":math:`F'' = (4x^2 - 2)F - 2x`; for :math:`|x| > 2^{64}` (it cancels),
    :math:`-4x\,{}_1F_1(2; \tfrac32; -x^2)`, the derivative of :func:`_dawsn_d1`'s."""
    if mpmath.mag(x) > _DAWSN_BY_1F1:
        return -4 * x * mpmath.hyp1f1(2, mpmath.mpf(3) / 2, -_square(x))
    return (4 * x * x - 2) * dawsn(x) - 2 * x


@_real
def logit(x):
    r""":math:`\log\frac{x}{1-x}`: on :math:`[1/4, 3/4]` as :math:`\operatorname{log1p}\frac{2x - 1}{1 - x}`
    (:math:`2x - 1` is exact there, no cancellation near 1/2), elsewhere as
    :math:`\log x - \operatorname{log1p}(-x)` (no cancellation, and no :math:`2x - 1`
    rounding to -1 at tiny x, which would make the value -inf at low precision)."""
    if x < 0 or x > 1:
        return NAN
    if x == 0:
        return -INF
    if x == 1:
        return INF
    if 0.25 <= x <= 0.75:
        return mpmath.log1p((2 * x - 1) / (1 - x))
    return mpmath.log(x) - mpmath.log1p(-x)


@_real
def entr(x):
    r""":math:`-x\log x` for :math:`x \ge 0` (0 at 0), :math:`-\infty` below (SciPy's definition)."""
    if x < 0 or mpmath.isinf(x):
        return -INF
    return mpmath.mpf(0) if x == 0 else -x * mpmath.log(x)


@_real
def log_ndtr(x):
    r""":math:`\log\Phi(x)`; above 0 as :math:`\operatorname{log1p}(-\Phi(-x))`, which does not cancel."""
    if mpmath.isinf(x):
        return mpmath.mpf(0) if x > 0 else -INF
    if x > 0:
        return mpmath.log1p(-mpmath.ncdf(-x))
    return mpmath.log(mpmath.ncdf(x))


@_real
def expi(x):
    if mpmath.isinf(x):
        return INF if x > 0 else mpmath.mpf(0)
    return -INF if x == 0 else mpmath.ei(x)


@_real
def si(x):
    return mpmath.sign(x) * mpmath.pi / 2 if mpmath.isinf(x) else mpmath.si(x)


@_real
def ci(x):
    """nan below 0 (complex there, as in SciPy's real ``sici``), -inf at 0."""
    if x < 0:
        return NAN
    if mpmath.isinf(x):
        return mpmath.mpf(0)
    return -INF if x == 0 else mpmath.ci(x)


@_real
def expn2(x):
    """:math:`E_2(x)`; nan below 0 (as SciPy), 1 at 0."""
    if x < 0:
        return NAN
    if mpmath.isinf(x):
        return mpmath.mpf(0)
    if x == 0:
        return mpmath.mpf(1)
    # below 1 by DLMF 8.19.12, E_2 = e^-x - x E_1(x), which does not cancel there:
    # mpmath's expint(2, x) takes 1.7 s at 1200 bits (x = 5e-324), this 0.1 ms
    return mpmath.exp(-x) - x * mpmath.e1(x) if x < 1 else mpmath.expint(2, x)


@_real
def xlogy(x, y):
    """:math:`x\\log y`, 0 where x = 0 (y not nan, as JAX and SciPy); nan for y < 0."""
    if x == 0:
        return mpmath.mpf(0)
    if y < 0:
        return NAN
    return x * mpmath.log(y)


@_real
def xlog1py(x, y):
    """:math:`x\\operatorname{log1p}(y)`, 0 where x = 0; nan for y < -1."""
    if x == 0:
        return mpmath.mpf(0)
    if y < -1:
        return NAN
    return x * mpmath.log1p(y)


@_real
def logaddexp2(x, y):
    r""":math:`\log_2(2^x + 2^y) = m + \log_2(1 + 2^{-|x - y|})`; equal infinities are themselves."""
    if mpmath.isinf(x) and x == y:
        return x
    m, d = max(x, y), -abs(x - y)
    if mpmath.isinf(m):
        return m
    # m is an input, exact: kept apart, so that m + 2^d / ln 2 with d = -1e38 is
    # still known to lie above m (a power of two, its ulp changes there)
    return ExactPlus(m, mpmath.log1p(mpmath.power(2, d)) / mpmath.log(2))


# --- derivatives, in closed form ----------------------------------------------------
#
# Each op's first and second derivatives (every partial of a binary op), from DLMF's
# identities, as mpmath functions certified like the values (verification across
# precisions: a formula that cancels, as erfcx's 2x erfcx(x) - 2/sqrt(pi) does for large
# x, is evaluated at a higher precision until it is certain). They are about 20 times
# cheaper than the derivatives derived by central differences, so the dense sweeps
# check every input of the grid, not a sparse sample of it. Each is checked against
# the derived one (reference.derivative) on every special value and branch point and
# their neighbours, by properties/tests/test_references.py (run with
# --target properties.peers.jax_special), and the derived one stays the arbiter.
#
# Where the derived derivative does not exist, these are nan too: where the value is
# nan or infinite (a pole, outside the domain), at kinks (relu, relu6 and i0e at 0,
# i1e's second derivative at 0) and where a neighbour of the point is outside the
# domain (xlogy at x = 0 with y <= 0). At an infinite argument they are the limit.


def _defined_at(value: Callable, limits: tuple = (0, 0)) -> Callable:
    """Decorator: the derivative is nan where ``value`` is nan or infinite at a finite
    argument (a pole; where the derived one raises ``NotDifferentiable`` or is nan);
    at an infinite argument (unary ops) it is the limit ``limits[0]`` at -inf,
    ``limits[1]`` at +inf (an infinite limit included), nan where ``value`` is nan there."""
    finite = {}  # argument bits -> is the value finite there (the same at every precision)

    def value_is(args) -> str:
        key = tuple(a._mpf_ for a in args)
        if key not in finite:
            with mpmath.workprec(64):  # nan and ±inf are the values' explicit branches
                v = value(*args)
            finite[key] = "nan" if mpmath.isnan(v) else ("inf" if mpmath.isinf(v) else "finite")
        return finite[key]

    def wrap(fn: Callable) -> Callable:
        @_real  # mpmath arguments, nan in -> nan, a complex result -> nan
        @functools.wraps(fn)
        def derivative_where_defined(*args):
            if len(args) > 1 and any(mpmath.isinf(a) for a in args):
                # a partial's limit along its argument, which exists where the value at
                # the point does not (xlogy(inf, 1) is inf * 0, its dx is log 1 = 0)
                return fn(*args)
            kind = value_is(args)
            if kind == "nan":
                return NAN
            if mpmath.isinf(args[0]):
                return mpmath.mpf(limits[args[0] > 0])
            if kind == "inf":
                return NAN
            return fn(*args)
        return derivative_where_defined
    return wrap


def _sin_over_t_d1(t):
    r""":math:`g'(t)` of :math:`g(t) = \sin t / t`: :math:`(\cos t - g(t))/t`, which
    cancels near 0, so for :math:`|t| < 1/16` the series
    :math:`\sum_{k \ge 1} (-1)^k\,2k\,t^{2k-1}/(2k+1)!` (terms shrink by :math:`2^{-10}`)."""
    if t == 0:
        return mpmath.mpf(0)
    if abs(t) >= mpmath.mpf(1) / 16:
        return (mpmath.cos(t) - mpmath.sin(t) / t) / t
    total, k, eps = mpmath.mpf(0), 1, mpmath.mpf(2) ** -(mpmath.mp.prec + 8)
    term = -2 * t / 6  # k = 1: -2 t / 3!
    while abs(term) > eps * abs(total) or total == 0:
        total += term
        k += 1
        term = term * (-(t * t)) * k / ((k - 1) * (2 * k) * (2 * k + 1))
    return total


def _sin_over_t_d2(t):
    r""":math:`g''(t) = -g(t) - 2g'(t)/t` (from :math:`t g = \sin t`); :math:`-1/3` at 0."""
    if t == 0:
        return -mpmath.mpf(1) / 3
    return -mpmath.sin(t) / t - 2 * _sin_over_t_d1(t) / t


def _unary_derivatives(value: Callable, d1: Callable, d2: Callable, *,
                       limits: dict | None = None) -> dict:
    """``{(1,): d1, (2,): d2}``, nan where ``value`` is not finite; at ±inf the limits
    ``limits[order] = (at -inf, at +inf)``, by default 0 (nan where the value is nan)."""
    limits = limits or {}
    return {(order,): _defined_at(value, limits.get(order, (0, 0)))(fn)
            for order, fn in ((1, d1), (2, d2))}


def _kink_at(points, fn: Callable) -> Callable:
    @functools.wraps(fn)
    def with_kinks(x):
        return NAN if x in points else fn(x)
    return with_kinks


_SQRT_PI = lambda: mpmath.sqrt(mpmath.pi)  # noqa: E731  (at the working precision)


def _i_prime(x):
    r""":math:`I_1'(x) = (I_0(x) + I_2(x))/2` (no cancellation near 0, unlike :math:`I_0 - I_1/x`)."""
    return (mpmath.besseli(0, x) + mpmath.besseli(2, x)) / 2


#: From here on the scaled Bessel derivatives take forms in :math:`I_0, I_1` alone (two
#: evaluations instead of three or four, which at huge :math:`|x|`, where mpmath works
#: at :math:`2\log_2|x|` extra bits for the cancellation, are most of the dense sweep's
#: time); below it, the forms with :math:`I_2`, whose :math:`1/x` terms do not cancel.
_BESSEL_TWO_TERMS = 2


def _i1e_d1_far(x):
    r""":math:`(I_1 e^{-|x|})' = (I_0 - I_1 (1 + 1/a))\,e^{-a}`, :math:`a = |x|` (even), from
    :math:`I_1' = I_0 - I_1/x`."""
    a = abs(x)
    return (mpmath.besseli(0, a) - mpmath.besseli(1, a) * (1 + 1 / a)) * mpmath.exp(-a)


def _i1e_d2_far(x):
    r""":math:`(I_1 e^{-|x|})'' = \operatorname{sign}(x)\,(I_1 (2 + 2/a + 2/a^2) - I_0 (2 + 1/a))\,e^{-a}`
    (odd), from :math:`I_1'' = I_1 - I_2/x` and :math:`I_2 = I_0 - 2 I_1/x`."""
    a = abs(x)
    return mpmath.sign(x) * (mpmath.besseli(1, a) * (2 + 2 / a + 2 / (a * a))
                             - mpmath.besseli(0, a) * (2 + 1 / a)) * mpmath.exp(-a)


def _i0e_d2_far(x):
    r""":math:`(I_0 e^{-|x|})'' = (2 I_0 - I_1 (2 + 1/a))\,e^{-a}` (even), from :math:`I_0'' = I_1'`."""
    a = abs(x)
    return (2 * mpmath.besseli(0, a) - mpmath.besseli(1, a) * (2 + 1 / a)) * mpmath.exp(-a)


def _near_or_far(near: Callable, far: Callable) -> Callable:
    """``near`` for :math:`|x| <` :data:`_BESSEL_TWO_TERMS`, ``far`` beyond (infinities and
    nan go to ``near``, whose guards handle them)."""
    @functools.wraps(near)
    def either(x):
        return far(x) if mpmath.isfinite(x) and abs(x) >= _BESSEL_TWO_TERMS else near(x)
    return either


def _binary(value: Callable, partials: dict) -> dict:
    return {index: _defined_at(value)(fn) for index, fn in partials.items()}


def _xlogy_partials(log_of: Callable, shift: int) -> dict:
    """The partials of :math:`x \\log(y + s)` (``shift`` :math:`s` 0: xlogy, 1: xlog1py,
    ``log_of`` :math:`\\log(y + s)` of :math:`y`) for :math:`y > -s`, nan for
    :math:`y \\le -s` (at :math:`x = 0` the value is 0 for every :math:`y`, but beside
    it, :math:`x \\ne 0`, undefined or infinite). At an infinite argument the limit,
    as mpmath's arithmetic of infinities gives it (nan where it has none)."""
    def guarded(fn):
        def partial(x, y):
            return NAN if y <= -shift else fn(x, y)
        return partial

    def dy(x, y):
        """0 at x = 0 for every y (the value is 0 all along x = 0); for infinite x and
        y the limit along x = ±y (y + s = y), sign(x)."""
        if x == 0:
            return mpmath.mpf(0)
        if y <= -shift:
            return NAN
        return mpmath.sign(x) if mpmath.isinf(x) and mpmath.isinf(y) else x / (y + shift)

    def dyy(x, y):
        if x == 0:
            return mpmath.mpf(0)
        if y <= -shift:
            return NAN
        return mpmath.mpf(0) if mpmath.isinf(x) and mpmath.isinf(y) else -x / (y + shift) ** 2

    # y + s is one correctly rounded sum in mpmath: relative error 2^-prec, also near -s
    return {(1, 0): guarded(lambda x, y: log_of(y)),
            (0, 1): dy,
            (2, 0): guarded(lambda x, y: mpmath.mpf(0)),
            (1, 1): guarded(lambda x, y: 1 / (y + shift)),
            (0, 2): dyy}


def _logaddexp2_partials() -> dict:
    r""":math:`p = \partial_x = 1/(1 + 2^{y-x})`, :math:`q = \partial_y = 1/(1 + 2^{x-y})`;
    :math:`\partial_{xx} = \partial_{yy} = -\partial_{xy} = \ln 2\,p\,q`. With an
    infinite argument the limits (:math:`p = 0, q = 1` at :math:`x = -\infty` or
    :math:`y = +\infty`), equal infinities along the diagonal (:math:`p = q = 1/2`)."""
    def share(d):  # 1 / (1 + 2^-d); near 1 (d >> 0) as 1 - 1/(1 + 2^d), apart
        if d <= 0:
            return 1 / (1 + mpmath.power(2, -d))
        return ExactPlus(1, -1 / (1 + mpmath.power(2, d)))

    def p_and_q(x, y):
        d = mpmath.mpf(0) if x == y else x - y
        return share(d), share(-d)

    def second(sign):
        return lambda x, y: sign * mpmath.log(2) * mpmath.fprod(p_and_q(x, y))
    return {(1, 0): lambda x, y: p_and_q(x, y)[0], (0, 1): lambda x, y: p_and_q(x, y)[1],
            (2, 0): second(1), (1, 1): second(-1), (0, 2): second(1)}


def _log_ndtr_d1(x):
    r""":math:`\phi(x)/\Phi(x)`; below 0 as :math:`\sqrt{2/\pi}/\mathrm{erfcx}(-x/\sqrt2)`
    (:math:`\Phi(x) = \mathrm{erfcx}(-x/\sqrt2)\,e^{-x^2/2}/2`): mpmath's ``npdf`` and
    ``ncdf`` are 0 far out (the quotient was 0 at -max instead of about -x)."""
    if x >= 0:
        return mpmath.npdf(x) / mpmath.ncdf(x)
    return mpmath.sqrt(2 / mpmath.pi) / erfcx(-x / mpmath.sqrt(2))


#: op -> its declared derivatives (multi-index -> mpmath function).
DERIVATIVES: dict[str, dict] = {
    "log1mexp": _unary_derivatives(
        log1mexp, lambda x: 1 / mpmath.expm1(x),
        lambda x: 1 / (mpmath.expm1(x) * mpmath.expm1(-x))),
    "relu": _unary_derivatives(
        relu, _kink_at((0,), lambda x: mpmath.mpf(1 if x > 0 else 0)),
        _kink_at((0,), lambda x: mpmath.mpf(0)), limits={1: (0, 1)}),
    "relu6": _unary_derivatives(
        relu6, _kink_at((0, 6), lambda x: mpmath.mpf(1 if 0 < x < 6 else 0)),
        _kink_at((0, 6), lambda x: mpmath.mpf(0))),
    "sinc": _unary_derivatives(
        sincpi, lambda x: mpmath.pi * _sin_over_t_d1(mpmath.pi * x),
        lambda x: mpmath.pi ** 2 * _sin_over_t_d2(mpmath.pi * x)),
    "i0": _unary_derivatives(i0, lambda x: mpmath.besseli(1, x), _i_prime,
                             limits={1: (-INF, INF), 2: (INF, INF)}),
    "gammaln": _unary_derivatives(gammaln, lambda x: _psi(0, x), lambda x: _psi(1, x),
                                  limits={1: (NAN, INF)}),
    "digamma": _unary_derivatives(digamma, lambda x: _psi(1, x), lambda x: _psi(2, x)),
    "polygamma1": _unary_derivatives(trigamma, lambda x: _psi(2, x), lambda x: _psi(3, x)),
    "erf": _unary_derivatives(
        erf, lambda x: 2 / _SQRT_PI() * mpmath.exp(-_square(x)),
        lambda x: -4 * x / _SQRT_PI() * mpmath.exp(-_square(x))),
    "erfc": _unary_derivatives(
        erfc, lambda x: -2 / _SQRT_PI() * mpmath.exp(-_square(x)),
        lambda x: 4 * x / _SQRT_PI() * mpmath.exp(-_square(x))),
    "erfinv": _unary_derivatives(
        erfinv, lambda x: _SQRT_PI() / 2 * mpmath.exp(mpmath.erfinv(x) ** 2),
        lambda x: mpmath.pi / 2 * mpmath.erfinv(x) * mpmath.exp(2 * mpmath.erfinv(x) ** 2)),
    "i0e": _unary_derivatives(
        i0e, _kink_at((0,), lambda x: (mpmath.besseli(1, x) - mpmath.sign(x) * mpmath.besseli(0, x))
                      * mpmath.exp(-abs(x))),
        _kink_at((0,), _near_or_far(lambda x: (mpmath.besseli(0, x) + _i_prime(x)
                                               - 2 * mpmath.sign(x) * mpmath.besseli(1, x))
                                    * mpmath.exp(-abs(x)), _i0e_d2_far))),
    "i1e": _unary_derivatives(
        i1e, _near_or_far(lambda x: (_i_prime(x) - mpmath.sign(x) * mpmath.besseli(1, x))
                          * mpmath.exp(-abs(x)), _i1e_d1_far),
        # (I1 e^-|x|)'' = (I1'' - 2 s I1' + I1) e^-|x|, I1'' = I1 - I1'/x + I1/x^2 = I1 - I2/x
        # from Bessel's equation and I0 - I2 = 2 I1/x; discontinuous at 0 (-sign(x))
        _kink_at((0,), _near_or_far(lambda x: (2 * mpmath.besseli(1, x) - mpmath.besseli(2, x) / x
                                               - 2 * mpmath.sign(x) * _i_prime(x))
                                    * mpmath.exp(-abs(x)), _i1e_d2_far))),
    "erfcx": _unary_derivatives(
        erfcx, lambda x: 2 * x * erfcx(x) - 2 / _SQRT_PI(),
        lambda x: (2 + 4 * x * x) * erfcx(x) - 4 * x / _SQRT_PI(),
        limits={1: (-INF, 0), 2: (INF, 0)}),
    "dawsn": _unary_derivatives(dawsn, _dawsn_d1, _dawsn_d2),
    "logit": _unary_derivatives(
        logit, lambda x: 1 / (x * (1 - x)), lambda x: (2 * x - 1) / (x * (1 - x)) ** 2),
    "entr": _unary_derivatives(entr, lambda x: -mpmath.log(x) - 1, lambda x: -1 / x,
                               limits={1: (NAN, -INF), 2: (NAN, 0)}),
    "log_ndtr": _unary_derivatives(
        log_ndtr, _log_ndtr_d1, lambda x: -_log_ndtr_d1(x) * (x + _log_ndtr_d1(x)),
        limits={1: (INF, 0), 2: (-1, 0)}),
    "expi": _unary_derivatives(
        expi, lambda x: mpmath.exp(x) / x, lambda x: mpmath.exp(x) * (x - 1) / (x * x),
        limits={1: (0, INF), 2: (0, INF)}),
    "si": _unary_derivatives(si, lambda x: mpmath.sinc(x), _sin_over_t_d1),
    "ci": _unary_derivatives(
        ci, lambda x: mpmath.cos(x) / x, lambda x: -mpmath.sin(x) / x - mpmath.cos(x) / (x * x)),
    "expn2": _unary_derivatives(
        expn2, lambda x: NAN if x == 0 else -mpmath.e1(x),
        lambda x: NAN if x == 0 else mpmath.exp(-x) / x),
    "xlogy": _binary(xlogy, _xlogy_partials(mpmath.log, 0)),
    "xlog1py": _binary(xlog1py, _xlogy_partials(mpmath.log1p, 1)),
    "logaddexp2": _binary(logaddexp2, _logaddexp2_partials()),
}


# --- the ops ------------------------------------------------------------------------

#: op -> (value, public JAX expression of x (and y), conventions, branch points).
#: The expression is what the findings' reproduction lines call.
_TABLE: dict[str, tuple[Callable, str, dict, tuple[float, ...]]] = {
    "log1mexp": (log1mexp, "jax.nn.log1mexp", {1: {0.0: INF}, 2: {0.0: -INF}},
                 (math.log(2), 1e-3, 20.0, 88.7, 700.0)),
    "relu": (relu, "jax.nn.relu", {1: {0.0: 0}, 2: {0.0: 0}}, ()),
    "relu6": (relu6, "jax.nn.relu6", {1: {0.0: 0, 6.0: 0}, 2: {0.0: 0, 6.0: 0}}, (6.0,)),
    "sinc": (sincpi, "jax.numpy.sinc", {}, (1e-4, 0.5, 1.0, 2.0)),
    "i0": (i0, "jax.numpy.i0", {}, (8.0, 88.7, 700.0)),
    "gammaln": (gammaln, "jax.scipy.special.gammaln", {}, (0.5, 1.0, 2.0, -0.5, -1.5, 1e7)),
    "digamma": (digamma, "jax.scipy.special.digamma", {},
                (1.4616321449683622, 0.5, -0.5, -1.5, -2.5, 1e7)),
    "polygamma1": (trigamma, "(lambda x: jax.scipy.special.polygamma(1, x))", {},
                   (0.5, -0.5, -1.5, 1e7)),
    "erf": (erf, "jax.scipy.special.erf", {}, (0.5, 1.0, 2.0, 4.0, 6.0)),
    "erfc": (erfc, "jax.scipy.special.erfc", {}, (0.5, 1.0, 2.0, 9.0, 27.0)),
    "erfinv": (erfinv, "jax.scipy.special.erfinv", {1: {1.0: INF, -1.0: INF},
                                                     2: {1.0: INF, -1.0: -INF}},
               (0.5, 0.9, 0.99, 0.999999)),
    "i0e": (i0e, "jax.scipy.special.i0e", {1: {0.0: 0}}, (8.0, 30.0)),
    "i1e": (i1e, "jax.scipy.special.i1e", {}, (8.0, 30.0)),
    # jax-ml/jax#38607: the float32 value is 0 near 9.2-9.4, the asymptotic switch.
    "erfcx": (erfcx, "jax.scipy.special.erfcx", {}, (9.3, 9.4, 26.6, 2.0, 0.5)),
    "dawsn": (dawsn, "jax.scipy.special.dawsn", {}, (3.25, 6.25, 0.9241388730)),
    "logit": (logit, "jax.scipy.special.logit", {1: {0.0: INF, 1.0: INF},
                                                 2: {0.0: -INF, 1.0: INF}}, (0.5, 0.25, 0.75)),
    "entr": (entr, "jax.scipy.special.entr", {1: {0.0: INF}, 2: {0.0: -INF}}, (1.0, 0.3678794411714)),
    "log_ndtr": (log_ndtr, "jax.scipy.special.log_ndtr", {}, (-20.0, 8.0, 5.0, 6.0, 10.0)),
    "expi": (expi, "jax.scipy.special.expi", {}, (0.3725074107813666, 1.0, 6.0, 24.0, 50.0)),
    "si": (si, "(lambda x: jax.scipy.special.sici(x)[0])", {}, (4.0, 1e-3)),
    "ci": (ci, "(lambda x: jax.scipy.special.sici(x)[1])", {}, (4.0, 1e-3, 0.6165054856207162)),
    "expn2": (expn2, "(lambda x: jax.scipy.special.expn(2, x))", {}, (1.0, 5.0, 50.0)),
    "xlogy": (xlogy, "jax.scipy.special.xlogy", {}, (1.0,)),
    "xlog1py": (xlog1py, "jax.scipy.special.xlog1py", {}, (-1.0, 1.0)),
    "logaddexp2": (logaddexp2, "jax.numpy.logaddexp2", {}, (0.0, 1.0, 24.0, 53.0)),
}

#: op -> the public JAX expression a reproduction line calls.
EXPRESSIONS = {name: row[1] for name, row in _TABLE.items()}

#: op -> where it is real, one closed interval per argument (the others: the whole
#: line). Outside it every derivative must be nan (``outside_domain="nan"``, the
#: default): a finite derivative there is a "finite where exact is nan" finding,
#: listed after wrong values. The edges are limit points: a result there that is not
#: the one-sided limit is a limit-convention finding (group 4 of the verdict).
DOMAINS = {
    "log1mexp": ((0.0, math.inf),),
    "logit": ((0.0, 1.0),),
    "erfinv": ((-1.0, 1.0),),
    "entr": ((0.0, math.inf),),  # SciPy's -inf below 0: defined, but not x log x
    "ci": ((0.0, math.inf),),
    "expn2": ((0.0, math.inf),),
    "xlogy": ((-math.inf, math.inf), (0.0, math.inf)),
    "xlog1py": ((-math.inf, math.inf), (-1.0, math.inf)),
}


def _spec(name: str, value: Callable, conventions: dict, points: tuple[float, ...]) -> OpSpec:
    """The op, with every derivative the one derived from ``value``, nan where it does not exist."""
    arity = 2 if name in ("xlogy", "xlog1py", "logaddexp2") else 1
    indices = ((1,), (2,)) if arity == 1 else ((1, 0), (0, 1), (2, 0), (1, 1), (0, 2))
    exact = {(0,) * arity: value}
    declared = DERIVATIVES[name]
    if set(declared) != set(indices):
        raise AssertionError(f"audit op {name!r} declares {sorted(declared)}, needs {list(indices)}")
    exact.update(declared)
    return OpSpec(name=name, exact=exact, conventions=conventions, domain=DOMAINS.get(name, ()),
                  branch_points={dt: points for dt in DTYPES})


OPS = tuple(
    register(_spec(name, value, conventions, points),
             budgets={(o, dt): BUDGET_ULP for o in (0, 1, 2) for dt in DTYPES})
    for name, (value, _, conventions, points) in _TABLE.items())

NAMES = tuple(op.name for op in OPS)
