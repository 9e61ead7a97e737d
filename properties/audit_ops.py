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
Each op gives only its value, an mpmath function certified by verification across
precisions (:mod:`reference.rounding`); derivatives are derived from it
(:mod:`reference.derivatives`). Where a derivative does not exist (a pole, a kink,
outside the domain) the audit expects nan (:func:`_nan_where_undefined`), except at
the declared conventions: a one-sided limit where the domain ends (``logit``'s d1
at 0 and 1, ``erfinv``'s at ±1, ``log1mexp``'s and ``entr``'s at 0) and JAX's
documented choices (``relu'(0) = 0``, ``relu6'(6) = 0``, from their docstrings).
A result that differs only there is a convention, not a defect: the findings
(:mod:`properties.report.audit`) keep them apart. Each op's domain (:data:`DOMAINS`,
``OpSpec.domain``) makes its edges limit points too, so every failure message,
summary line and report row lists, in this order, wrong finite values, nonfinite
results for finite exact values, wrong results for ±inf/nan exact values, and only
then the limit conventions (:data:`properties.classify.VERDICTS`).

Known weakness of the derived references: far out (``|x|`` near ``max``) where the
value is astronomically large (``erfcx`` at ``-max`` is about ``e^(1e77)``), the two
one-sided derivative estimates can disagree and the derivative is declared not to
exist, hence nan; a "wrong for ±inf/nan" result there (erfcx's d1 at ``-max``) is
the reference's limit, not a JAX defect, and is not in the README's table.

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
from reference import NotDifferentiable, derivative

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


def _nan_where_undefined(fn: Callable) -> Callable:
    """A derived derivative that is nan where it does not exist (``NotDifferentiable``)."""
    @functools.wraps(fn)
    def derivative_or_nan(*args):
        try:
            return fn(*args)
        except NotDifferentiable:
            return NAN
    return derivative_or_nan


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


@_real
def digamma(x):
    """nan at the poles (0, -1, -2, ...: ±inf on either side) and at -inf."""
    if mpmath.isinf(x):
        return INF if x > 0 else NAN
    return NAN if _nonpositive_integer(x) else mpmath.digamma(x)


@_real
def trigamma(x):
    """+inf at the poles (of even order: +inf on both sides), nan at -inf."""
    if mpmath.isinf(x):
        return mpmath.mpf(0) if x > 0 else NAN
    return INF if _nonpositive_integer(x) else mpmath.psi(1, x)


@_real
def erf(x):
    return mpmath.sign(x) if mpmath.isinf(x) else mpmath.erf(x)


@_real
def erfc(x):
    return (mpmath.mpf(0) if x > 0 else mpmath.mpf(2)) if mpmath.isinf(x) else mpmath.erfc(x)


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
    return mpmath.exp(x * x) * mpmath.erfc(x)


@_real
def dawsn(x):
    r"""Dawson's integral :math:`F(x) = \tfrac{\sqrt\pi}{2} e^{-x^2}\operatorname{erfi}(x)`."""
    if mpmath.isinf(x):
        return mpmath.mpf(0)
    return mpmath.sqrt(mpmath.pi) / 2 * mpmath.exp(-x * x) * mpmath.erfi(x)


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
    return mpmath.mpf(1) if x == 0 else mpmath.expint(2, x)


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
    return m + mpmath.log1p(mpmath.power(2, d)) / mpmath.log(2)


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
    exact.update({i: _nan_where_undefined(derivative(value, i)) for i in indices})
    return OpSpec(name=name, exact=exact, conventions=conventions, domain=DOMAINS.get(name, ()),
                  branch_points={dt: points for dt in DTYPES})


OPS = tuple(
    register(_spec(name, value, conventions, points),
             budgets={(o, dt): BUDGET_ULP for o in (0, 1, 2) for dt in DTYPES})
    for name, (value, _, conventions, points) in _TABLE.items())

NAMES = tuple(op.name for op in OPS)
