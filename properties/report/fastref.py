r"""A certified fast reference for softplus and its derivatives at float32 inputs.

Every float32 is exact in float64, so the value and derivatives are evaluated
in float64 with NumPy, vectorised, through :math:`e = e^{-|x|} \in [0, 1]`:

.. math::

   L = \operatorname{log1p}(e), \quad r = \frac{1}{1 + e}, \qquad
   \operatorname{softplus}(x) = \begin{cases} |x| + L & x \ge 0 \\ L & x < 0 \end{cases},
   \quad \sigma(x) = \begin{cases} r & x \ge 0 \\ e\,r & x < 0 \end{cases},
   \quad \sigma(x)\sigma(-x) = e\,r^2 .

:math:`e`, :math:`L`, :math:`r` and :math:`e r^2` depend on :math:`|x|` only, so
the exhaustive sweep evaluates them once for a chunk of positive inputs and the
matching chunk of negative ones.

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
- :math:`e r^2`: :math:`2\delta + 6u = 22u`.

So every order is within :data:`REL_BOUND` :math:`= 2^{-48} = 32u` relative
(plus :data:`ABS_BOUND` where ``exp`` underflows into float64 subnormals), with
room for the second-order terms. The float32 rounding is *certified*: the
interval :math:`y(1 \pm 2\cdot 2^{-48}) \pm 2^{-1000}` (twice the bound, to
cover the rounding of the interval's own ends) is rounded to float32 at both
ends; where both ends give the same float32, every value inside does (rounding
is monotonic), so that float32 is the correctly rounded result -- this covers
midpoints, the subnormal range and overflow alike. The few inputs where the
ends differ (about :math:`2^{-23}` of all) are recomputed with
:func:`reference.correctly_rounded`.

**ULP errors** are :math:`|a - y| / \mathrm{ulp}(\text{exact})` with the float64
value :math:`y` standing in for the exact value (an error of at most
:math:`2^{-24}` ulp in the figure). The binade of the exact value (hence its
ulp) is taken from the same interval; where the interval straddles a power of
two it is decided by the function's structure (:math:`\sigma(x) < 1` for finite
:math:`x \ge 0`; softplus(x) > x) or else by mpmath at 256 bits.

>>> x = np.array([-100.0, 0.0, 20.0], np.float32)
>>> ref = reference_f32(x, order=1)
>>> ref.rounded
array([3.7200760e-44, 5.0000000e-01, 1.0000000e+00], dtype=float32)
"""

from __future__ import annotations

import dataclasses

import numpy as np

#: Relative error bound of the float64 evaluation, every order (see module docstring).
REL_BOUND = 2.0 ** -48
#: Absolute error bound, for ``exp`` results in float64's subnormal range.
ABS_BOUND = 2.0 ** -1000
#: The half-width used to certify: twice the bound, covering the rounding of the ends.
_CHECK = 2 * REL_BOUND

#: Below this, e^-|x| is 0 in float64 (exp(-745.2) rounds to 0): no exp needed.
_EXP_ZERO_FROM = 1024.0
_F32_TINY_EXP = -126
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
    - ``exponent``: floor(log2 |exact|) (int64; very negative for 0);
    - ``recomputed``: how many results needed ``reference.correctly_rounded``.
    """

    y: np.ndarray
    rounded: np.ndarray
    exponent: np.ndarray
    recomputed: int

    def ulp(self) -> np.ndarray:
        """The float32 ulp of the exact value (float64): 2**max(E - 23, -149)."""
        return _pow2(np.maximum(self.exponent - 23, _F32_MIN_ULP_EXP))

    def subnormal(self) -> np.ndarray:
        """Exact value below the smallest normal whose correctly rounded result is not 0."""
        return (self.exponent < _F32_TINY_EXP) & (self.rounded != 0)


def parts(a: np.ndarray, *, exp_is_zero: bool = False) -> Parts:
    """The float64 pieces at ``a = |x|`` (float64, >= 0 or nan).

    ``exp_is_zero`` (the caller knows every ``a >= 1024``) skips ``exp``, whose
    underflow path is slow.
    """
    if exp_is_zero:
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


def _pow2(k: np.ndarray) -> np.ndarray:
    """2.0**k for int64 k in the normal float64 range, by building the bits."""
    return ((k + 1023) << 52).view(np.float64)


def _exponent(v: np.ndarray) -> np.ndarray:
    """floor(log2 v) for v >= 0 float64 (-1023 for 0 and subnormals, 1024 for inf/nan)."""
    return ((v.view(np.int64) >> 52) & 0x7FF) - 1023


def _exact_functions():
    from reference import functions
    return functions.SOFTPLUS_DERIVATIVES


def certify(x: np.ndarray, y: np.ndarray, order: int) -> Reference:
    """Round the float64 values ``y`` at float32 inputs ``x`` to float32, with certainty."""
    x = np.asarray(x, np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        return _certify(x, y, order)


def _certify(x: np.ndarray, y: np.ndarray, order: int) -> Reference:
    half = y * _CHECK
    half += ABS_BOUND
    lo = y - half
    np.maximum(lo, 0.0, out=lo)  # every exact value here is >= 0
    hi = y + half
    finite = np.isfinite(y)
    uncertain = (lo.astype(np.float32) != hi.astype(np.float32)) & finite
    rounded = y.astype(np.float32)  # y's own rounding: the ends' where they agree
    exponent = _exponent(hi)
    straddle = np.maximum(_exponent(lo) - 23, _F32_MIN_ULP_EXP) != np.maximum(
        exponent - 23, _F32_MIN_ULP_EXP)
    straddle &= finite
    if straddle.any():
        straddle = _resolve_by_structure(x, y, order, straddle, exponent)
    recomputed = 0
    if uncertain.any():
        from reference import correctly_rounded
        idx = np.flatnonzero(uncertain)
        rounded[idx] = correctly_rounded(_exact_functions()[order], x[idx], dtype=np.float32)
        recomputed = idx.size
    if straddle.any():
        idx = np.flatnonzero(straddle)
        exponent[idx] = _mp_exponents(_exact_functions()[order], x[idx])
    return Reference(y=y, rounded=rounded, exponent=exponent, recomputed=recomputed)


def _resolve_by_structure(x, y, order, straddle, exponent) -> np.ndarray:
    """Decide binades known from the function's shape; return the still-undecided mask."""
    finite_pos = (x >= 0) & np.isfinite(x)
    if order == 1:  # 1/2 <= sigma(x) < 1 for finite x >= 0
        known = straddle & finite_pos
        exponent[known] = -1
    elif order == 0:  # softplus(x) > x for x >= 0; where y == x the binade is x's
        xf = x.astype(np.float64)
        known = straddle & finite_pos & (y == xf)
        exponent[known] = _exponent(xf[known])
    else:
        return straddle
    return straddle & ~known


def _mp_exponents(fn, xs: np.ndarray) -> np.ndarray:
    import mpmath
    out = np.empty(xs.size, np.int64)
    with mpmath.workprec(256):
        for i, v in enumerate(xs.tolist()):
            exact = fn(mpmath.mpf(v))
            out[i] = -1023 if exact == 0 else int(mpmath.frexp(exact)[1]) - 1
    return out


def reference_f32(x: np.ndarray, order: int) -> Reference:
    """The certified reference for the ``order``-th derivative at any float32 array ``x``."""
    x = np.asarray(x, np.float32).reshape(-1)
    with np.errstate(invalid="ignore"):  # signalling nans among random bit patterns
        a = np.abs(x).astype(np.float64)
        p = parts(a)
        negative = np.signbit(x)
        y = np.where(negative, assemble(p, order, True), assemble(p, order, False))
        return certify(x, y, order)


def ulp_errors(actual: np.ndarray, ref: Reference) -> np.ndarray:
    """|actual - exact| in ulps of the exact value (float64), IEEE cases included.

    0 where both are nan or the same infinity; inf where exactly one is nan, or
    ``actual`` is infinite and the exact value is not (or vice versa).
    """
    with np.errstate(invalid="ignore", over="ignore"):
        a = np.asarray(actual, np.float64)
        err = np.abs(a - ref.y)
        err *= _pow2(-np.maximum(ref.exponent - 23, _F32_MIN_ULP_EXP))
    special = ~(np.isfinite(a) & np.isfinite(ref.y))
    if special.any():
        same = (a == ref.y) | (np.isnan(a) & np.isnan(ref.y))
        err[special] = np.where(same[special], 0.0, np.inf)
    return err
