r"""Certified fast references for softplus, sigmoid, log_sigmoid and their derivatives
at float32 inputs.

An op may offer such a reference in :data:`FLOAT32`: a function of float32
inputs and derivative orders returning one :class:`Reference` per order. The
report, the exhaustive sweep (:mod:`properties.sweep`) and the suite's float32
comparisons (:func:`properties.assertions.compare`, :mod:`properties.dense`) then use
it instead of mpmath, and judge with :func:`properties.classify.classify` as elsewhere.

Every float32 is exact in float64, so the value and derivatives are evaluated
in float64 with NumPy, vectorised, through :math:`e = e^{-|x|} \in [0, 1]`:

.. math::

   L = \operatorname{log1p}(e), \quad r = \frac{1}{1 + e}, \qquad
   \operatorname{softplus}(x) = \begin{cases} |x| + L & x \ge 0 \\ L & x < 0 \end{cases},
   \quad \sigma(x) = \begin{cases} r & x \ge 0 \\ e\,r & x < 0 \end{cases},
   \quad \sigma(x)\sigma(-x) = e\,r^2 .

:math:`e`, :math:`L`, :math:`r` and :math:`e r^2` depend on :math:`|x|` only, and
are evaluated once for every order asked for. The other two ops are the same
pieces, by exact identities (negations are exact, so each is certified as its
magnitude and the sign applied after rounding, which is symmetric):

.. math::

   \sigma^{(k)} = \operatorname{softplus}^{(k+1)}\ (k = 0, 1), \qquad
   \sigma''(x) = -\operatorname{sign}(x)\,e\,(1 - e)\,r^3, \quad 1 - e = -\operatorname{expm1}(-|x|),

   \log\sigma(x) = -\operatorname{softplus}(-x), \quad (\log\sigma)'(x) = \sigma(-x), \quad
   (\log\sigma)''(x) = -\sigma'(x).

**Error bound.** Let :math:`u = 2^{-53}` (one rounding) and :math:`\delta = 2^{-50}`,
the assumed relative error of NumPy's float64 ``exp`` and ``log1p`` (4 ulp; the
assumption is measured in ``meta_tests/test_report.py``, where both stay below
1 ulp). To first order:

- :math:`e`: :math:`\delta`; :math:`L`: :math:`\delta + \delta\,e/((1+e)L) \le 2\delta`;
- value: :math:`x < 0`: :math:`2\delta`; :math:`x \ge 0`: :math:`|x| + L` adds :math:`u`,
  and :math:`L \le |x| + L`, so :math:`2\delta + u`;
- :math:`r`: :math:`1 + e` carries :math:`\delta\,e/(1+e) + u \le \delta/2 + u`, the
  division :math:`u`: :math:`\delta/2 + 2u`; :math:`\sigma`, :math:`x<0`:
  :math:`1.5\delta + 3u`;
- :math:`e r^2`: :math:`2\delta + 6u = 22u`;
- :math:`\sigma''`: :math:`e r^2` times :math:`1 - e` (``expm1``, :math:`\delta`) and
  :math:`r` (:math:`\delta/2 + 2u`), two products (:math:`2u`): :math:`3.5\delta + 10u = 38u`,
  within :data:`REL_BOUND_SIGMOID_D2` :math:`= 2^{-47} = 64u`.

So every other order is within :data:`REL_BOUND` :math:`= 2^{-48} = 32u` relative
(plus :data:`ABS_BOUND` where ``exp`` underflows into float64 subnormals), with
room for the second-order terms. The float32 rounding is *certified*: the
interval :math:`y(1 \pm 2 b) \pm 2^{-1000}` (:math:`b` the bound; twice it, to
cover the rounding of the interval's own ends) is rounded to float32 at both
ends; where both ends give the same float32, every value inside does (rounding
is monotonic), so that float32 is the correctly rounded result -- this covers
midpoints, the subnormal range and overflow alike. The few inputs where the
ends differ (about :math:`2^{-23}` of all) are recomputed with
:func:`reference.correctly_rounded`.

**ULP errors** are :math:`|a - y| / \mathrm{ulp}(\text{exact})` with the float64
value :math:`y` standing in for the exact value (an error of at most
:math:`2^{-24}` ulp in the figure, :math:`2^{-23}` for :math:`\sigma''`). The binade of the exact value (hence its
ulp) is the correctly rounded result's, one lower where the exact value is
below the power of two it rounds to; where the interval cannot tell, the
function's shape does (:math:`\sigma(x) < 1` for finite :math:`x \ge 0`,
:math:`\sigma(x)\sigma(-x) \le 1/4`, softplus(x) > x), or else mpmath at 256 bits.

>>> sigmoid_f32(np.float32([1.0]), orders=(2,))[2].rounded.tolist()
[-0.09085774421691895]
>>> log_sigmoid_f32(np.float32([-100.0]), orders=(0,))[0].rounded.tolist()
[-100.0]

>>> x = np.array([-100.0, 0.0, 20.0], np.float32)
>>> softplus_f32(x, orders=(1,))[1].rounded.tolist()
[3.783505853677006e-44, 0.5, 1.0]
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

#: Relative error bound of the float64 evaluation, every order but sigma'' (see module docstring).
REL_BOUND = 2.0 ** -48
#: The same for sigma'' (sigmoid's second derivative), one more factor and one more product.
REL_BOUND_SIGMOID_D2 = 2.0 ** -47
#: Absolute error bound, for ``exp`` results in float64's subnormal range.
ABS_BOUND = 2.0 ** -1000

#: From here on, e^-|x| is 0 in float64 (exp(-745.2) rounds to 0): no exp needed.
_EXP_ZERO_FROM = 1024.0
_F32_MIN_ULP_EXP = -149


@dataclasses.dataclass(frozen=True)
class Parts:
    r"""The shared pieces at :math:`a = |x|` (float64): :math:`e, L, r, e r^2`."""

    a: np.ndarray
    e: np.ndarray
    log1p_e: np.ndarray
    r: np.ndarray
    d2: np.ndarray


@dataclasses.dataclass(frozen=True)
class Reference:
    """The certified reference for one derivative order at float32 inputs.

    - ``y``: float64 approximation of the exact value (relative error <= REL_BOUND);
    - ``rounded``: the correctly rounded float32 result (certified);
    - ``exponent``: floor(log2 |exact|) (int32; -127 for any value below 2^-126);
    - ``recomputed``: how many results needed ``reference.correctly_rounded``.
    """

    y: np.ndarray
    rounded: np.ndarray
    exponent: np.ndarray
    recomputed: int

    def ulp(self) -> np.ndarray:
        """The float32 ulp of the exact value (float64): 2**max(E - 23, -149)."""
        return _pow2(np.maximum(self.exponent.astype(np.int64) - 23, _F32_MIN_ULP_EXP))

    def ulp_errors(self, actual: np.ndarray) -> np.ndarray:
        """:func:`ulp_errors` of ``actual`` against this reference."""
        return ulp_errors(actual, self)


def parts(a: np.ndarray) -> Parts:
    """The float64 pieces at ``a = |x|`` (float64, >= 0 or nan); ``exp`` is skipped
    (its underflow path is slow) where every ``a`` is at least 1024."""
    if not (a < _EXP_ZERO_FROM).any():
        e = np.zeros_like(a)
        e[np.isnan(a)] = np.nan
        return Parts(a, e, e.copy(), np.where(np.isnan(a), np.nan, 1.0), e.copy())
    e = np.negative(a)
    np.exp(e, out=e)
    log1p_e = np.log1p(e)
    r = np.add(e, 1.0)
    np.divide(1.0, r, out=r)
    d2 = e * r
    d2 *= r
    return Parts(a, e, log1p_e, r, d2)


def assemble(p: Parts, order: int, negative: bool) -> np.ndarray:
    """The float64 value of the ``order``-th derivative at ``x = -a`` or ``x = +a``."""
    if order == 0:
        return p.log1p_e if negative else p.a + p.log1p_e
    if order == 1:
        return p.e * p.r if negative else p.r
    if order == 2:
        return p.d2
    raise ValueError(f"order must be 0, 1 or 2, got {order!r}")


def sigmoid_d2_magnitude(p: Parts) -> np.ndarray:
    r""":math:`|\sigma''(x)| = e\,(1 - e)\,r^3` (float64), :math:`1 - e` from ``expm1``."""
    one_minus_e = np.expm1(-p.a)
    np.negative(one_minus_e, out=one_minus_e)
    out = p.d2 * one_minus_e
    out *= p.r
    return out


def _pow2(k: np.ndarray) -> np.ndarray:
    """2.0**k for int64 k in the normal float64 range, by building the bits."""
    return ((k + 1023) << 52).view(np.float64)


def _exact_functions(op: str = "softplus"):
    from reference import functions
    return {"softplus": functions.SOFTPLUS_DERIVATIVES,
            "sigmoid": functions.SIGMOID_DERIVATIVES,
            "log_sigmoid": functions.LOG_SIGMOID_DERIVATIVES}[op]


def _magnitude_of(fn):
    """|fn|: certification rounds magnitudes (rounding to nearest is symmetric)."""
    def magnitude(v):
        return abs(fn(v))
    return magnitude


def certify(x: np.ndarray, y: np.ndarray, order: int, *, op: str = "softplus",
            structure: tuple[int, bool] | None = None,
            bound: float = REL_BOUND) -> Reference:
    """Round the float64 values ``y >= 0`` at float32 inputs ``x`` to float32, with
    certainty; ``y`` approximates ``|f|`` for ``f`` the ``order``-th derivative of
    ``op`` (relative error <= ``bound``). ``structure``: ``(softplus order, negate
    x)``, the softplus derivative that ``|f|`` equals, whose shape places values near
    a power of two (None: mpmath does)."""
    x = np.asarray(x, np.float32)
    exact = _exact_functions(op)[order]
    if op != "softplus":
        exact = _magnitude_of(exact)
    if structure is None and op == "softplus":
        structure = (order, False)
    with np.errstate(over="ignore", invalid="ignore"):
        return _certify(x, y, exact, structure, 2 * bound)


def _certify(x: np.ndarray, y: np.ndarray, exact, structure, check: float) -> Reference:
    half = y * check
    half += ABS_BOUND
    lo = np.subtract(y, half)
    np.maximum(lo, 0.0, out=lo)  # every exact value here is >= 0
    hi = np.add(y, half, out=half)
    rounded = y.astype(np.float32)  # y's own rounding: the ends' where they agree
    uncertain = lo.astype(np.float32) != hi.astype(np.float32)
    if uncertain.any():
        uncertain &= np.isfinite(y)  # inf and nan ends compare unequal, and are exact
    recomputed = 0
    if uncertain.any():
        from reference import correctly_rounded
        idx = np.flatnonzero(uncertain)
        rounded[idx] = correctly_rounded(exact, x[idx], dtype=np.float32)
        recomputed = idx.size
    exponent = _binades(x, y, rounded, exact, structure, check)
    return Reference(y=y, rounded=rounded, exponent=exponent, recomputed=recomputed)


def _binades(x: np.ndarray, y: np.ndarray, rounded: np.ndarray, exact, structure,
             check: float) -> np.ndarray:
    """floor(log2 |exact|): the correctly rounded result's binade, one lower where
    the exact value lies below a power of two that it rounds up to."""
    bits = rounded.view(np.int32)
    exponent = ((bits >> 23) & 0xFF) - 127  # -127: zero or subnormal; 128: inf/nan
    pow2 = np.flatnonzero(((bits & 0x7FFFFF) == 0) & (exponent > -127) & (exponent < 128))
    if pow2.size == 0:
        return exponent
    p = rounded[pow2].astype(np.float64)
    yp = y[pow2]
    below = yp * (1 + check) + ABS_BOUND < p
    undecided = ~below & (yp * (1 - check) - ABS_BOUND < p)
    exponent[pow2[below]] -= 1
    if undecided.any():
        idx = pow2[undecided]
        if structure is None:
            lower = np.full(idx.size, -1, np.int8)
        else:
            order, negate = structure
            lower = _below_by_structure(-x[idx] if negate else x[idx], y[idx], order)
        exponent[idx[lower == 1]] -= 1
        rest = idx[lower < 0]
        if rest.size > _MAX_MPMATH_BINADES:
            raise RuntimeError(
                f"fastref: {rest.size} results of {exact} lie too close to a power of "
                f"two to place (e.g. x={x[rest[0]]!r}); add a structural rule")
        if rest.size:
            exponent[rest] = _mp_exponents(exact, x[rest])
    return exponent


#: Results placed by mpmath per call before :func:`_binades` gives up (a missing rule).
_MAX_MPMATH_BINADES = 20_000


def _below_by_structure(x, y, order) -> np.ndarray:
    """Per input: 1 if the exact value is below the power of two ``y`` is near, 0 if
    not, -1 if the function's shape does not say.

    - sigma(x) in [1/2, 1) for finite x >= 0, = 1 at +inf; sigma(x) < 1/2 for x < 0;
    - sigma(x) sigma(-x) <= 1/4, with equality only at 0;
    - softplus(x) > x for x >= 0.
    """
    out = np.full(x.shape, -1, np.int8)
    finite = np.isfinite(x)
    pos = ~np.signbit(x)
    if order == 1:
        out[pos & finite & (y >= 0.75)] = 1  # near 1, below it
        out[pos & (y <= 0.75)] = 0            # near 1/2, at or above it
        out[np.isposinf(x)] = 0
        out[~pos & (y > 0.375) & (x != 0)] = 1  # x < 0 near 1/2: below it
        out[~pos & (x == 0)] = 0
    elif order == 2:
        near_quarter = np.abs(y - 0.25) < 0.125
        out[near_quarter & (x != 0)] = 1
        out[near_quarter & (x == 0)] = 0
    elif order == 0:
        out[pos & finite & (y == x.astype(np.float64))] = 0
    return out


def _mp_exponents(fn, xs: np.ndarray) -> np.ndarray:
    import mpmath
    out = np.empty(xs.size, np.int64)
    with mpmath.workprec(256):
        for i, v in enumerate(xs.tolist()):
            exact = fn(mpmath.mpf(v))
            out[i] = -1023 if exact == 0 else int(mpmath.frexp(exact)[1]) - 1
    return out


def softplus_f32(x: np.ndarray, orders=(0, 1, 2)) -> dict[int, Reference]:
    """The certified reference for each derivative order at any float32 array ``x`` (flattened)."""
    x = np.asarray(x, np.float32).reshape(-1)
    with np.errstate(invalid="ignore", over="ignore"):  # signalling nans among random bits
        a = np.abs(x).astype(np.float64)
        p = parts(a)
        negative = np.signbit(x)
        return {order: certify(x, np.where(negative, assemble(p, order, True),
                                           assemble(p, order, False)), order)
                for order in orders}


def _signed(ref: Reference, negative: np.ndarray | bool) -> Reference:
    """``ref`` (of a magnitude) with the sign applied where ``negative``: exact."""
    if negative is False:
        return ref
    return dataclasses.replace(ref, y=np.where(negative, -ref.y, ref.y),
                               rounded=np.where(negative, -ref.rounded, ref.rounded))


def sigmoid_f32(x: np.ndarray, orders=(0, 1, 2)) -> dict[int, Reference]:
    r"""As :func:`softplus_f32` for :math:`\sigma, \sigma', \sigma''`: the first two are
    softplus' first and second derivative; :math:`\sigma''` is
    :func:`sigmoid_d2_magnitude`, negative for :math:`x > 0` (and -0 at +0)."""
    x = np.asarray(x, np.float32).reshape(-1)
    with np.errstate(invalid="ignore", over="ignore"):
        a = np.abs(x).astype(np.float64)
        p = parts(a)
        negative = np.signbit(x)
        out = {}
        for order in orders:
            if order < 2:
                y = np.where(negative, assemble(p, order + 1, True), assemble(p, order + 1, False))
                out[order] = certify(x, y, order, op="sigmoid", structure=(order + 1, False))
            else:
                out[order] = _signed(_sigmoid_d2_certified(x, p), ~negative)  # -0 at +0
        return out


#: Below this |x|, |sigma''(x)| = (|x|/8)(1 - x^2/12 + ...) is placed without rounding it.
_SIGMOID_D2_TINY = 2.0 ** -100


def _sigmoid_d2_certified(x: np.ndarray, p: Parts) -> Reference:
    r""":math:`|\sigma''|` certified; for :math:`|x| <` :data:`_SIGMOID_D2_TINY` directly:
    the exact value lies in :math:`(\operatorname{pred}_{64}(|x|/8), |x|/8)` (its
    relative distance to :math:`|x|/8`, :math:`x^2/12`, is below :math:`2^{-200}`), so it
    rounds to float32 as :math:`\operatorname{pred}_{64}(|x|/8)` does (also where
    :math:`|x|/8` is a float32 midpoint, as for many subnormal :math:`x`, which the
    interval could not decide), and its binade is :math:`|x|/8`'s, one lower where that
    is a power of two."""
    tiny = p.a < _SIGMOID_D2_TINY
    y = sigmoid_d2_magnitude(p)
    y[tiny] = 0.0  # certified as 0 without recomputation; replaced below
    ref = certify(x, y, 2, op="sigmoid", bound=REL_BOUND_SIGMOID_D2)
    if not tiny.any():
        return ref
    eighth = p.a[tiny] / 8
    rounded, exponent, y = ref.rounded, ref.exponent, ref.y
    y[tiny] = eighth
    rounded[tiny] = np.nextafter(eighth, 0.0).astype(np.float32)
    mantissa, e = np.frexp(eighth)
    exponent[tiny] = np.where(eighth == 0, -127,
                              np.maximum(e - 1 - (mantissa == 0.5), -127)).astype(exponent.dtype)
    return ref


def log_sigmoid_f32(x: np.ndarray, orders=(0, 1, 2)) -> dict[int, Reference]:
    r"""As :func:`softplus_f32` for :math:`\log\sigma(x) = -\operatorname{softplus}(-x)`,
    :math:`\sigma(-x)` and :math:`-\sigma'(x)`."""
    x = np.asarray(x, np.float32).reshape(-1)
    with np.errstate(invalid="ignore", over="ignore"):
        a = np.abs(x).astype(np.float64)
        p = parts(a)
        flipped = ~np.signbit(x)  # the sign of -x is negative
        out = {}
        for order in orders:
            at = order if order < 2 else 2
            negate_x = order < 2
            neg = flipped if negate_x else np.signbit(x)
            y = np.where(neg, assemble(p, at, True), assemble(p, at, False))
            ref = certify(x, y, order, op="log_sigmoid", structure=(at, negate_x))
            out[order] = _signed(ref, order != 1)
        return out


def reference_f32(x: np.ndarray, order: int, op: str = "softplus") -> Reference:
    """The certified reference for the ``order``-th derivative of ``op`` at float32 ``x``."""
    return FLOAT32[op](x, (order,))[order]


#: op name -> certified fast reference at float32 inputs: ``f(x, orders) -> {order: Reference}``.
FLOAT32 = {"softplus": softplus_f32, "sigmoid": sigmoid_f32, "log_sigmoid": log_sigmoid_f32}


@functools.lru_cache(maxsize=1)
def _declared_references() -> dict:
    from properties.ops import OPS  # the registry imports nothing of this module
    return {OPS[name].reference(order): (name, order) for name in FLOAT32 if name in OPS
            for order in OPS[name].orders if OPS[name].declared(order) is not None}


def certified_for(exact) -> tuple[str, int] | None:
    """``(op name, order)`` where ``exact`` is the declared reference of a built-in op
    of :data:`FLOAT32` (a registered name cannot be registered again), else None: the
    suite then judges float32 results of ``exact`` with this module, not mpmath."""
    try:
        return _declared_references().get(exact)
    except TypeError:  # an unhashable callable
        return None


def ulp_errors(actual: np.ndarray, ref: Reference) -> np.ndarray:
    """|actual - exact| in ulps of the exact value (float64), IEEE cases included.

    0 where both are nan or the same infinity; inf where exactly one is nan, or
    ``actual`` is infinite and the exact value is not (or vice versa).
    """
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.asarray(actual).astype(np.float64)
        err -= ref.y
        np.abs(err, out=err)
        # 1/ulp = 2**(23 - E), at most 2**149 (E below -126 counts as -126).
        k = np.minimum(1023 + 23 - ref.exponent, 1023 + 149).astype(np.int64)
        k <<= 52
        err *= k.view(np.float64)
        special = np.flatnonzero(~np.isfinite(err))
    if special.size:
        with np.errstate(invalid="ignore"):  # signaling nan inputs widen with a warning
            a = np.asarray(actual, np.float64)[special]
        y = ref.y[special]
        same = (a == y) | (np.isnan(a) & np.isnan(y))
        err[special] = np.where(same, 0.0, np.inf)
    return err
