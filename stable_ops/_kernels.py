r"""Elementwise kernels behind the rules: :math:`\operatorname{softplus}`,
:math:`\sigma` and :math:`\sigma'`, accurate to about half an ULP in every dtype.

All three are functions of one quantity,

.. math::

   T = e^{-|x|} \in [0, 1],\qquad
   \operatorname{softplus}(x) = \max(x, 0) + \operatorname{log1p}(T),\quad
   \sigma(x) = \frac{[x \ge 0] + [x < 0]\,T}{1 + T},\quad
   \sigma'(x) = \frac{T}{(1 + T)^2},

so nothing overflows and nothing cancels: :math:`\operatorname{log1p}(T) \ge 0`
is added to :math:`\max(x, 0) \ge 0`, and :math:`\sigma'` is never formed as
:math:`\sigma(1 - \sigma)` (which is 0 for large :math:`x`, jax-ml/jax#40387).
:math:`\operatorname{log1p}` is evaluated as

.. math::

   \operatorname{log1p}(T) = 2\operatorname{atanh}(s)
   = 2s + 2s\sum_{m \ge 1} \frac{s^{2m}}{2m+1},\qquad s = \frac{T}{2 + T} \in [0, 1/3],

whose terms shrink by at least :math:`1/9`.

**Why not XLA's exp / log1p / logistic.** XLA's float32 ``log1p`` is up to 2.5 ULP
off and ``logistic`` 2.3 ULP; its float64 ``log1p`` is up to 128 ULP off near
:math:`-0.414` (jax-ml/jax#39707) and, like float64 ``log``, slow on CPU (more
than the whole float32 softplus). The kernels use only ``+ - * /``, ``round``
and an exponent bitcast, which XLA vectorises and fuses into one loop.

**float32, float16, bfloat16: evaluated in float64**, rounded once to the dtype
(:func:`_round_narrow`; XLA's own conversion to bfloat16, and on some CPUs to float16, rounds twice). :math:`T` comes from
:math:`e^{-a} = 2^k e^r`, :math:`k = \operatorname{round}(-a/\ln 2)`,
:math:`|r| \le \ln 2 / 2` (:math:`\ln 2` in two parts), with Chebyshev fits of
:math:`(e^r - 1)/r` (degree 9) and :math:`(\operatorname{atanh}(s)/s - 1)/s^2`
(degree 8), :math:`2^{-51}` and :math:`2^{-52}`, so that float64 rounding dominates
(measured :math:`2^{-50.2}` for :math:`\operatorname{log1p}(e^{-a})`), then one
rounding to the input dtype. The result is the correctly rounded value unless
the exact value lies within about :math:`2^{-48}` relative of a rounding
boundary (none of the values is exactly on one: Lindemann-Weierstrass).

**float64: double-double.** :math:`T = T_h + T_l` to about :math:`2^{-57}`
(Cody-Waite split of :math:`\ln 2`, Taylor to :math:`r^{13}`, error-free sums),
quotients corrected by their exact residual (Dekker's product), the atanh
series to :math:`s^{34}`; the last step adds the small parts to the large one, so the
error is the final rounding (0.5 ULP) plus what the plain-double series tail
carries (it is up to 4% of softplus near 0).

**Measured.** float32, all :math:`2^{32}` inputs
(``benchmarks/measure_float32_hard_cases.py``): the float64 value is within
:math:`9.3\cdot 10^{-9}` float32 ULP of the exact one (:math:`2.4\cdot 10^{-8}` for
:math:`\sigma''`) and rounds to the wrong float32 at 1 input (softplus), 78
(:math:`\sigma`; corrected by :func:`sigmoid_narrow`'s push near 0), 0 (:math:`\sigma'`)
and 6 (:math:`\sigma''`), the 7 others corrected inline (:data:`_INLINE_EXCEPTIONS`), so
every float32 input is correctly rounded; :mod:`stable_ops._exceptions`
lists them. float16 and bfloat16, every input:
correctly rounded, every kernel (``benchmarks/measure_stable_ops_16bit.py``).
float64 (740k points, dense log sweeps and random bit patterns): softplus 0.72 ULP,
:math:`\sigma` 0.57, :math:`\sigma'` 0.59; correctly rounded 95.7%, 98.5%, 97.0%.

**Limits.** :math:`|x|` is clamped (120 for narrow dtypes, 760 for float64) before
the exponential, far beyond where :math:`T` underflows, so :math:`\pm\infty` give
:math:`T \approx 0`: softplus :math:`+\infty` and 0, :math:`\sigma` 1 and 0,
:math:`\sigma'` 0. nan propagates through every kernel.

**Subnormals.** XLA on CPU flushes subnormal results to zero (and reads subnormal
inputs as zero), also for multiplications, so scaling cannot rescue them:
softplus and :math:`\sigma` return 0 for :math:`x \lesssim -87.3` (float32) /
:math:`-708.4` (float64), and :math:`\sigma'` for :math:`|x|` beyond that, where the
exact values are subnormal. The kernels build :math:`2^k` so that a backend
without flushing gets correctly scaled subnormals.

**logaddexp where it cancels.** Near :math:`e^x + e^y = 1` the value is
:math:`\operatorname{log1p}(e^x + e^y - 1)` from expansions (2 or 3 doubles) of
:math:`\operatorname{expm1}(\max)` and :math:`e^{\min}`, reduced by a 4-part
:math:`\ln 2` and a table of :math:`e^{i/64}`, summed error-free (SumK); see the
section "logaddexp where the sum cancels" below.

**Fusion.** XLA CPU does not fuse an expensive op (divide, exp) whose result is
read more than once inside a fusion; it writes it to memory instead (80 MB for
:math:`10^7` float64). Each divide therefore has a single reader, or is passed
through :func:`_opaque`.
"""

import decimal
import functools
import math
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

try:  # keeps Python scalars weakly typed, as jax.nn.softplus does
    from jax._src.lax.lax import _convert_element_type
except ImportError:  # pragma: no cover - private API moved
    _convert_element_type = None

__all__ = [
    "softplus",
    "sigmoid",
    "sigmoid_d1",
    "sigmoid_d2",
    "log_sigmoid",
    "logaddexp",
    "sigmoid_of_difference",
    "sigmoid_d1_of_difference",
]

_LN2 = math.log(2.0)
_INV_LN2 = 1.0 / _LN2
# Cody-Waite split (fdlibm): _LN2_HI has 32 significant bits, so k * _LN2_HI is
# exact for |k| < 2**21; _LN2_HI + _LN2_LO = ln 2 to about 2**-86.
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_LN2_TAIL = 2.3190468138462996e-17  # ln 2 - _LN2, to 2^-108
_SPLIT = 134217729.0  # 2**27 + 1, Veltkamp's constant for float64

# Polynomial coefficients, highest degree first (Horner).
# The float32 path's two series are Chebyshev fits (mpmath.chebyfit at 200 bits, the
# coefficients rounded to double), as many terms as Taylor needed for 2^-42, and
# 2^-51 / 2^-52 instead: the fast path's error becomes float64 rounding
# (about 2^-50 relative), which narrows logaddexp's cancellation branch 128-fold.
#: :math:`Q(r) = (e^r - 1)/r`, degree 9, :math:`|r| \le \ln 2/2\,(1 + 2^{-20})`:
#: :math:`|r Q(r) - (e^r - 1)| < 2^{-51}`.
_EXPM1_OVER_R = [
    2.762007599981065e-07, 2.7632640819274375e-06, 2.4801521322116825e-05, 0.0001984119064724189,
    0.0013888888917196881, 0.008333333367311799, 0.041666666666624164, 0.16666666666615645,
    0.5000000000000001, 1.0000000000000013]
#: :math:`A(z) = (\operatorname{atanh}(s)/s - 1)/z`, :math:`z = s^2 \le 1/9`, degree 8:
#: :math:`|z A(z) - (\operatorname{atanh}(s)/s - 1)| < 2^{-52.2}`.
_ATANH_OVER_S_M1 = [
    0.08435350330548605, 0.05161334635249541, 0.0675117123587855, 0.07686637438179002,
    0.09091130554209872, 0.11111106278964857, 0.14285714338330496, 0.19999999999780063,
    0.33333333333333487]
_EXP_TAIL = [1.0 / math.factorial(n) for n in range(13, 1, -1)]  # (e^r-1-r)/r^2
_ATANH_TAIL = [1.0 / (4**m * (2 * m + 1)) for m in range(17, 0, -1)]  # see softplus_wide


def _horner(coeffs, z):
    p = coeffs[0]
    for c in coeffs[1:]:
        p = p * z + c
    return p


def _opaque(v):
    """Identity on float64 that XLA does not see through.

    Used (1) on a divide read more than once, so XLA still fuses it, and (2) on
    the rounded sum inside error-free transformations: XLA's algebraic
    simplifier folds ``(1 + q) - 1`` to ``q`` (checked: Fast2Sum(1.0, q) gave an
    error term of 0), which would silently drop the low word.
    """
    return lax.reduce_precision(v, exponent_bits=11, mantissa_bits=52)


def _pow2(k):
    """:math:`2^k` for integral float64 ``k >= -1022``, built from the exponent bits."""
    bits = (k.astype(jnp.int64) + 1023) << 52
    return lax.bitcast_convert_type(bits, jnp.float64)


def _to_dtype(y, dtype, weak):
    if _convert_element_type is not None:
        return _convert_element_type(y, np.dtype(dtype), weak_type=weak)
    return lax.convert_element_type(y, dtype)


def _round_narrow(y, dtype):
    r"""Float64 ``y`` correctly rounded to ``dtype`` (float32, float16 or bfloat16).

    XLA converts float64 to bfloat16 *through float32*, rounding twice:
    :math:`1 + 2^{-8} + 2^{-40}` becomes 1, not :math:`1 + 2^{-7}` (a tie in float32,
    then to even). On some CPUs it does the same for float16 (measured on an AMD EPYC
    with F16C and AVX-512, jaxlib 0.10.2: :math:`1 + 2^{-11} + 2^{-40}` becomes 1, and
    :math:`2.5 \cdot 2^{-24}(1 + 2^{-30})` the subnormal 2, not 3, times :math:`2^{-24}`),
    while on others it converts directly. So both go through float32 *rounded to odd*
    (truncated, its last bit set where inexact), after which XLA's rounding to the
    16-bit format is the correct rounding of ``y`` (float32 has 13 or 16 more bits, and
    is normal down to float16's subnormals; 2 more bits suffice)."""
    dtype = np.dtype(dtype)
    if y.dtype == dtype:
        return y
    if dtype == jnp.float32:
        return y.astype(dtype)
    t = y.astype(jnp.float32)
    back = t.astype(jnp.float64)
    bits = _as_bits(t)
    bits = jnp.where(jnp.abs(back) > jnp.abs(y), bits - 1, bits)  # toward zero (inf: to max)
    bits = jnp.where(back != y, bits | 1, bits)  # sticky: odd where inexact (nan stays nan)
    return lax.bitcast_convert_type(bits, jnp.float32).astype(dtype)


def _widen(x):
    """``x`` as float64, exactly, subnormal float32 inputs included.

    XLA on CPU treats subnormal inputs as zero (DAZ), also in ``convert``; a
    float32 subnormal is rebuilt from its bits as ``mantissa * 2^-149``, which is
    exact and normal in float64. Without this, e.g. ``logaddexp(2^-126 - 2^-149,
    -88.72)`` would be 0 where the exact value, 1.47e-38, is a normal float32.
    """
    wide = lax.convert_element_type(x, jnp.float64)
    if x.dtype != jnp.float32:
        return wide
    bits = lax.bitcast_convert_type(x, jnp.uint32)
    magnitude = (bits & 0x7FFFFF).astype(jnp.float64) * 2.0**-149
    subnormal = (bits & 0x7F800000) == 0
    return jnp.where(subnormal, jnp.where(bits >> 31 == 1, -magnitude, magnitude), wide)


def _dispatch(narrow, wide, subnormals_matter=True):
    r"""Evaluate ``narrow`` (plain float64) for float16/32 inputs, ``wide``
    (double-double) for float64, and round to the input's dtype.

    ``subnormals_matter`` False: the kernel's float64 result at a subnormal float32
    input equals its result at 0 (softplus :math:`\ln 2 + x/2`, :math:`\sigma = 1/2 +
    x/4`, :math:`\sigma' = 1/4 - x^2/16`: :math:`|x| < 2^{-126}` is below half an
    ULP of float64 there), so XLA's convert, which reads it as 0, replaces
    :func:`_widen` (0.08 ms at :math:`10^6`, 15% of the float32 sigmoid). Not so
    for :math:`\sigma'' \approx -x/8`, whose sign follows :math:`x`.

    float32 results are corrected at the kernel's few listed inputs where the float64
    value rounds the wrong way (:data:`_INLINE_EXCEPTIONS`).

    The evaluation is jitted, as :func:`_dispatch_binary`'s: eager calls and the
    transformations JAX applies op by op (eager ``grad``, ``vmap`` outside ``jit``)
    would otherwise dispatch its hundreds of operations one at a time (eager
    ``vmap(grad(grad(sigmoid_jvp)))`` at 8 elements: 99 ms float32, 222 ms float64,
    against 7 ms each jitted); under an outer ``jit`` the call is inlined, the same
    bits."""
    widen = _widen if subnormals_matter else _widen_plain

    def kernel(x):
        if x is None or isinstance(x, (list, tuple, dict)):
            # as jax.nn.softplus: no implicit conversion of containers (wrap in jnp.asarray)
            raise TypeError(f"stable_ops expects an array or a scalar, got {type(x).__name__}")
        x = jnp.asarray(x)  # outside the x64 scope: Python floats stay float32
        if jnp.issubdtype(x.dtype, jnp.integer) or x.dtype == bool:
            # promote exactly as jax.nn.softplus (jnp.logaddexp(x, 0)) does: int8..int32
            # to float32 and int64 to float64 under x64, weak and bool to the weak default
            promoted = jax.eval_shape(lambda v: jnp.logaddexp(v, 0), x)
            x = _to_dtype(x, promoted.dtype, promoted.weak_type)
        dtype, weak = x.dtype, bool(x.weak_type)
        if not jnp.issubdtype(dtype, jnp.floating):
            raise TypeError(f"stable_ops expects a real floating dtype, got {dtype}")
        with jax.enable_x64(True):
            return _to_dtype(evaluate(x), dtype, weak)

    @jax.jit
    def evaluate(x):
        dtype = x.dtype
        y = (wide if dtype == jnp.float64 else narrow)(widen(x))
        if dtype == jnp.float32:
            for bits, value in inline:  # x == a float32 input: exact
                y = jnp.where(x == np.array(bits, np.uint32).view(np.float32), value, y)
        return _round_narrow(y, dtype)

    name = narrow.__name__.removesuffix("_narrow")
    inline = _float32_inline_exceptions(name)
    kernel.__name__ = name
    return kernel


#: Kernels whose few float32 hard cases (:mod:`stable_ops._exceptions`) are corrected
#: inline: a compare and a select per case in the fused loop (softplus and log_sigmoid
#: 1, sigma'' 6). sigma's 78 are corrected by :func:`sigmoid_narrow` itself.
_INLINE_EXCEPTIONS = ("softplus", "log_sigmoid", "sigmoid_d2")


def _float32_inline_exceptions(name):
    """``((float32 bits of x, correctly rounded float32 value), ...)`` of the kernel
    ``name`` where it is one of :data:`_INLINE_EXCEPTIONS`, else ``()``: each entry is
    an input at which the float64 value rounds to the wrong float32
    (``benchmarks/measure_float32_hard_cases.py``, every float32 input)."""
    from stable_ops._exceptions import FLOAT32
    return tuple(FLOAT32.get(name, ())) if name in _INLINE_EXCEPTIONS else ()


# -- float32 and narrower, in plain float64 ------------------------------------


def _reduce_narrow(x):
    r""":math:`a = \min(|x|, 120) = -(k \ln 2 + r)`, :math:`|r| \le \ln 2/2`: ``k`` and ``r``.

    ``k * _LN2_HI`` is exact and so is its difference from ``a`` (Sterbenz), so
    :math:`r` carries one rounding, :math:`2^{-53}|r|`, for every :math:`a` (a
    one-constant :math:`\ln 2` would put :math:`k\,2^{-53}`, up to :math:`2^{-46}`, into it)."""
    a = jnp.minimum(jnp.abs(x), 120.0)
    k = jnp.round(a * -_INV_LN2)
    return a, k, (k * -_LN2_HI - a) + k * -_LN2_LO


def _exp_neg_abs_narrow(x):
    # T = e^{-a} = 2^k e^r, e^r = 1 + r Q(r): relative error about 2^-51.
    return _exp_neg_abs_and_complement_narrow(x)[0]


def _exp_neg_abs_and_complement_narrow(x):
    r""":math:`T = e^{-|x|}` and :math:`1 - T` from one reduction and one polynomial.

    :math:`1 - T` without cancellation: for :math:`k = 0` (:math:`|x| \le \ln 2/2`,
    where :math:`r = -a` exactly) as :math:`-(e^r - 1) = a Q(r)` (:math:`+0` at
    :math:`x = \pm 0`); elsewhere :math:`1 - T \ge 0.29`."""
    a, k, r = _reduce_narrow(x)
    q = _horner(_EXPM1_OVER_R, r)
    t = (1.0 + r * q) * _pow2(k)
    return t, jnp.where(k == 0, a * q, 1.0 - t)


def _log1p_narrow(t):
    # log1p(T) = 2 atanh(s) = 2s (1 + z A(z)), s = T/(2 + T), z = s^2 <= 1/9 (also for
    # T in [-0.42, 0], as in logaddexp's cancellation branch)
    s2 = t * (2.0 / (2.0 + t))  # the divide has one reader
    s = 0.5 * s2
    z = s * s
    return s2 + s2 * (z * _horner(_ATANH_OVER_S_M1, z))


def softplus_narrow(x):
    return jnp.maximum(x, 0.0) + _log1p_narrow(_exp_neg_abs_narrow(x))


def _sigmoid_plain_narrow(x):
    t = _exp_neg_abs_narrow(x)
    return jnp.where(x >= 0, 1.0, t) / (1.0 + t)


def sigmoid_narrow(x):
    r""":math:`\sigma` at a float32 (or narrower) ``x``, widened exactly to float64.

    :func:`_sigmoid_plain_narrow`, except for :math:`2^{-27} \le |x| < 2^{-16}`, where
    :math:`\sigma(x) = h - x^3/48 + O(x^5)`, :math:`h = 1/2 + x/4`: there the float64
    value cannot resolve the cubic term, and where :math:`h` is itself a float32 midpoint
    (:math:`x` of few significant bits: 78 inputs) it rounded to even instead of to the
    side of :math:`-x^3/48`. :math:`h` is exact in float64 (for :math:`|x| \in [2^e,
    2^{e+1})` its bits run from :math:`2^{-1}` to :math:`2^{e-25} \ge 2^{-52}`), so it is
    either a midpoint or at least :math:`2^{e-25}` from every midpoint, farther than
    :math:`|x|^3/48` (:math:`e \le -17`) and than one float64 ulp of :math:`h`
    (:math:`e \ge -27`): moved one ulp toward :math:`-x`, it rounds (once, to any
    narrower format) as :math:`\sigma(x)` does. Checked on every float32 in the range
    (``benchmarks/verify_sigmoid_near_zero.py``). Not for the float64 differences of logaddexp's
    derivatives, whose :math:`h` is not exact (:func:`_sigmoid_plain_narrow`)."""
    # _opaque: XLA's algebraic simplifier reassociates (1/2 + x/4) + 2^-54 into
    # x/4 + (1/2 + 2^-54) = x/4 + 1/2 (checked), which drops the push
    h = _opaque(0.5 + 0.25 * x)
    pushed = jnp.where(x > 0, h - 2.0**-53, h + 2.0**-54)  # one ulp of h: 2^-53 above 1/2
    near_zero = (jnp.abs(x) >= 2.0**-27) & (jnp.abs(x) < 2.0**-16)
    return jnp.where(near_zero, pushed, _sigmoid_plain_narrow(x))


def sigmoid_d1_narrow(x):
    t = _exp_neg_abs_narrow(x)
    u = 1.0 + t
    return t / (u * u)


def sigmoid_d2_narrow(x):
    # the sign goes on the numerator: a quotient read twice (by a select of it and its
    # negation) is stored by XLA (8 MB at 10^6) and its loop split in two
    t, one_minus_t = _exp_neg_abs_and_complement_narrow(x)
    u = 1.0 + t
    return jnp.where(x > 0, -t, t) * one_minus_t / (u * u * u)


# -- float64, in double-double -------------------------------------------------


def _two_sum(a, b):
    """Knuth: a + b = s + e exactly."""
    s = _opaque(a + b)
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _fast_two_sum(a, b):
    """Dekker, for |a| >= |b|: a + b = s + e exactly."""
    s = _opaque(a + b)
    return s, b - (s - a)


def _split(a):
    c = _opaque(_SPLIT * a)
    hi = c - (c - a)
    return hi, a - hi


def _two_prod(a, b):
    """Dekker: a * b = p + e exactly (no overflow here: |a|, |b| <= 3)."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _exp_neg_abs_wide(x, x_lo=None):
    r""":math:`e^{-|x + x_{lo}|} = (E_h + E_l)\,s_1 s_2` with :math:`E \in [0.7, 1.42]` to
    about :math:`2^{-57}` relative and :math:`s_1 s_2 = 2^k` (two normal factors,
    so :math:`k < -1022` works).  ``x_lo`` (optional, :math:`|x_{lo}| \le
    \mathrm{ulp}(x)/2`, 0 where ``x`` is not finite) is the low word of a
    double-double argument such as an exact difference.

    The kernels divide and sum the unscaled :math:`E` and apply :math:`2^k` last:
    scaled, the low word :math:`E_l 2^k` (and :math:`T/2`) would be flushed as
    subnormal from :math:`|x| \approx 672` (708), costing up to 0.7 ULP (all digits).
    """
    a = jnp.minimum(jnp.abs(x), 760.0)
    k = jnp.round(a * -_INV_LN2)
    r_lo = k * -_LN2_LO
    if x_lo is not None:  # |x + x_lo| = a + sign(x) x_lo below the clamp
        r_lo = r_lo - jnp.where(jnp.abs(x) <= 760.0, jnp.where(x < 0, -x_lo, x_lo), 0.0)
    r, r_err = _two_sum(k * -_LN2_HI - a, r_lo)  # first sum exact (Sterbenz)
    w = r * r * _horner(_EXP_TAIL, r)  # e^r - 1 - r, |w| < 0.07
    qh, ql = _two_sum(r, w)
    eh, el = _fast_two_sum(1.0, qh)
    el = el + ql + eh * r_err  # e^{r + r_err} ~ e^r (1 + r_err)
    k1 = jnp.round(k * 0.5)
    return eh, el, _pow2(k1), _pow2(k - k1)


def _one_minus_exp_neg_abs_wide(x):
    r""":math:`1 - e^{-|x|}` as a double-double: for :math:`k = 0`
    (:math:`|x| \le \ln 2/2`) as :math:`-(e^{r + r_{err}} - 1)` from the
    exponential's own :math:`e^r - 1 = r + w`, which does not cancel; elsewhere
    :math:`1 - T \ge 0.29`."""
    a = jnp.minimum(jnp.abs(x), 760.0)
    k = jnp.round(a * -_INV_LN2)
    r, r_err = _two_sum(k * -_LN2_HI - a, k * -_LN2_LO)
    w = r * r * _horner(_EXP_TAIL, r)
    qh, ql = _two_sum(r, w)
    small_h, small_l = -qh, -(ql + r_err * (1.0 + qh))
    eh, el, s1, s2 = _exp_neg_abs_wide(x)
    oh, ol = _fast_two_sum(1.0, -((eh * s1) * s2))
    ol = ol - (el * s1) * s2
    return jnp.where(k == 0, small_h, oh), jnp.where(k == 0, small_l, ol)


def _div_wide(nh, nl, dh, dl):
    """(nh + nl) / (dh + dl) as a double-double, by the exact residual."""
    rd = _opaque(1.0 / dh)
    qh = nh * rd
    p, e = _two_prod(qh, dh)
    rho = ((nh - p) - e) + (nl - qh * dl)  # nh - p is exact (Sterbenz)
    return qh, rho * rd


def _log1p_t_wide(x, x_lo=None):
    r""":math:`\operatorname{log1p}(e^{-|x + x_{lo}|}) = (q_h + q_l)\,s_1 s_2`;
    returns ``qh, ql, s1, s2`` and :math:`s' = q_h s_1 s_2`."""
    # log1p(T) = 2 atanh(s) = s' (1 + sum_m z^m / (4^m (2m+1))), s' = 2s = T/(1 + T/2),
    # z = s'^2; s' = 2^k E/(1 + T/2) is divided unscaled.
    eh, el, s1, s2 = _exp_neg_abs_wide(x, x_lo)
    th, tl = (eh * s1) * s2, (el * s1) * s2
    dh, dl = _fast_two_sum(1.0, 0.5 * th)
    qh, ql = _div_wide(eh, el, dh, dl + 0.5 * tl)
    sp = (qh * s1) * s2
    z = sp * sp
    ql = ql + qh * (z * _horner(_ATANH_TAIL, z))  # log1p(T) = (qh + ql) 2^k
    return qh, ql, s1, s2, sp


def softplus_wide(x):
    qh, ql, s1, s2, sp = _log1p_t_wide(x)
    # x <= 0: one rounding of (qh + ql) 2^k.  x > 0: x + log1p(T) in double-double.
    y_neg = ((qh + ql) * s1) * s2
    hi, lo = _two_sum(jnp.maximum(x, 0.0), sp)
    y_pos = hi + (lo + (ql * s1) * s2)
    # softplus(x) rounds to x for x > 33.27 (e^-x < ulp(x)/2); this also keeps
    # +inf away from two_sum's inf - inf.
    return jnp.where(x > 34.0, x, jnp.where(x > 0, y_pos, y_neg))


def _one_plus_t(x, x_lo=None):
    eh, el, s1, s2 = _exp_neg_abs_wide(x, x_lo)
    uh, ul = _fast_two_sum(1.0, (eh * s1) * s2)
    return eh, el, s1, s2, uh, ul + (el * s1) * s2


def sigmoid_wide(x, x_lo=None):
    # x >= 0: 1/(1+T);  x < 0: T/(1+T) = 2^k E/(1+T), scaled last.
    eh, el, s1, s2, uh, ul = _one_plus_t(x, x_lo)
    pos = x >= 0
    qh, ql = _div_wide(jnp.where(pos, 1.0, eh), jnp.where(pos, 0.0, el), uh, ul)
    return ((qh + ql) * jnp.where(pos, 1.0, s1)) * jnp.where(pos, 1.0, s2)


def sigmoid_d1_wide(x, x_lo=None):
    # T/(1+T)^2 = 2^k E/(1+T) * 1/(1+T): the product with its error term, scaled last.
    eh, el, s1, s2, uh, ul = _one_plus_t(x, x_lo)
    nh, nl = _div_wide(eh, el, uh, ul)
    vh, vl = _div_wide(jnp.ones_like(eh), jnp.zeros_like(el), uh, ul)
    p, e = _two_prod(nh, vh)
    return ((p + (e + (nh * vl + nl * vh))) * s1) * s2


def sigmoid_d2_wide(x):
    # -sign(x) T/(1+T)^2 * (1-T)/(1+T): sigmoid_d1's double-double times tanh(|x|/2), scaled last.
    eh, el, s1, s2, uh, ul = _one_plus_t(x)
    nh, nl = _div_wide(eh, el, uh, ul)
    vh, vl = _div_wide(jnp.ones_like(eh), jnp.zeros_like(el), uh, ul)
    p, e = _two_prod(nh, vh)
    e = e + (nh * vl + nl * vh)
    oh, ol = _one_minus_exp_neg_abs_wide(x)
    wh, wl = _div_wide(oh, ol, uh, ul)
    ph, pe = _two_prod(p, wh)
    magnitude = ((ph + (pe + (p * wl + e * wh))) * s1) * s2
    return jnp.where(x > 0, -magnitude, magnitude)


def log_sigmoid_narrow(x):
    return -softplus_narrow(-x)  # negations are exact


def log_sigmoid_wide(x):
    return -softplus_wide(-x)


# -- functions of a difference x - y (logaddexp and its derivatives) ------------
#
# d = x - y is formed without rounding error: in float64 for float32 inputs (exact
# unless the exponents are more than 29 apart, and then |d| > 2^29 and e^-|d| = 0),
# as a double-double for float64.  Where x == y, d = 0, also for equal infinities:
# their derivatives are the limit along the diagonal x = y (gradient (1/2, 1/2)).


def _difference_narrow(x, y):
    return jnp.where(x == y, 0.0, x - y)


def _difference_wide(x, y):
    dh, dl = _two_sum(x, -y)
    # x - y infinite (or nan from equal infinities): dl is nan; d = 0 where x == y
    dl = jnp.where(jnp.isfinite(dh), dl, 0.0)
    return jnp.where(x == y, 0.0, dh), jnp.where(x == y, 0.0, dl)


def _unscaled_tiny(m, s1, s2):
    r""":math:`m / (s_1 s_2)` for :math:`|m| < 2^{-900}`, subnormal :math:`m` included.

    XLA on CPU reads subnormal operands as 0 (DAZ), so a subnormal ``m`` is rebuilt
    from its bits, :math:`\pm M 2^{-1074}` with the integer :math:`M < 2^{52}`, and
    scaled in steps that stay normal where it matters (:math:`s_1 s_2 \approx
    2^{-1022}`). ``m`` must come from a select, not ``max`` (which reads it as 0).
    Without this, ``logaddexp(-708.3964185322642, 1.917e-321)`` was 0 instead of
    :math:`2^{-1022}`.
    """
    bits = lax.bitcast_convert_type(m, jnp.int64)
    magnitude = bits & 0x7FFFFFFFFFFFFFFF
    mantissa = lax.convert_element_type(magnitude, jnp.float64)  # exact: M < 2^52
    rebuilt = (((mantissa * 2.0**-537) * (1.0 / s1)) * 2.0**-537) * (1.0 / s2)
    rebuilt = jnp.where(bits < 0, -rebuilt, rebuilt)
    return jnp.where(magnitude < 2**52, rebuilt, (m * (1.0 / s1)) * (1.0 / s2))


def _x_plus_ln2(x):
    r""":math:`x + \ln 2` with :math:`\ln 2` as a double-double (the first sum is exact
    where the result cancels, Sterbenz); opaque, or XLA folds the two constants."""
    return _opaque(x + _LN2) + _LN2_TAIL


# -- logaddexp where the sum cancels ---------------------------------------------
#
# For m = max(x, y) < 0 the result z = m + log1p(e^(n - m)) (n = min(x, y)) adds two
# nearly opposite terms near the curve e^x + e^y = 1: the fast paths' absolute error
# (that of log1p(T), 2^-41 / 2^-55.6 relative to log1p(T) <= ln 2) becomes any number
# of ULPs of a small z.  There z = log1p(u) with u = e^x + e^y - 1 = expm1(m) + e^n,
# whose two terms are formed as expansions (sums of 2 or 3 doubles) accurate to
# about 2^-104 or 2^-164 relative and summed error-free, so u keeps its leading
# digits however deep the cancellation; log1p is well conditioned there.
#
# How deep: near the curve |u| / |m| is about the distance of min(x, y) from the
# curve in ulps times 2^-24 (float32) / 2^-53 (float64); over all pairs its minimum
# is, on a uniform-distance estimate (not a search), about 2^-55..2^-60 for float32
# and 2^-100 or so for float64.  Double-double terms (2^-104) serve float32 (u to
# 2^-44 at 2^-60, 2^-33 would do) and the float64 pairs down to |z| = 2^-42 |m|
# (u to 2^-62); deeper float64 pairs take triple words (u to 2^-64 at 2^-100).

# ln 2 = sum of _LN2_PARTS to 2^-190; the first three have 43 significant bits, so
# k * part is exact for |k| < 2^10 (here |k| <= 1023).
_LN2_PARTS = tuple(float.fromhex(h) for h in (
    "0x1.62e42fefa3800p-1", "0x1.ef35793c76800p-45", "-0x1.9ff0342543000p-90", "0x1.e6864ce5316c6p-137"))
_CANCEL_RATIO = 2.0  # the accurate path takes |z| < _CANCEL_RATIO * |m| (m < 0), see _in_cancellation
_CANCEL_RATIO_NARROW = 2.0**-12  # the same for the float32 path (its fast path has 2^-50)
_CANCEL_SHARE = 0.75  # float64: and only where log1p(T) > _CANCEL_SHARE |z|, see _in_cancellation
_CANCEL_M_MIN = -1.4
_CANCEL_M_MAX = -(2.0**-900)  # above (|m| < 2^-900): the tiny-m path of logaddexp_wide
_DEEP_RATIO = 2.0**-42  # float64 pairs with |z| < _DEEP_RATIO |m| need triple words
_TABLE_STEP = 64  # e^r = e^(i/64) e^t, |t| <= 1/128
_TABLE_HALF = 23  # |i| <= 22 for |r| <= ln 2 / 2 (+ rounding)


def _words(value, n):
    """``value`` (a Fraction) as ``n`` doubles, each the rounding of what is left."""
    out = []
    for _ in range(n):
        out.append(float(value))
        value -= Fraction(out[-1])
    return tuple(out)


def _exp_table():
    r""":math:`e^{i/64}`, :math:`|i| \le 23`, as three doubles each (to :math:`2^{-200}`;
    ``decimal`` evaluates the exponential correctly rounded to 70 digits)."""
    with decimal.localcontext() as ctx:
        ctx.prec = 70
        rows = [_words(Fraction((decimal.Decimal(i) / _TABLE_STEP).exp()), 3)
                for i in range(-_TABLE_HALF, _TABLE_HALF + 1)]
    return tuple(np.array(col) for col in zip(*rows))


_EXP_TABLE = _exp_table()


def _expm1_plan(target_bits, max_words):
    r"""Horner plan for :math:`Q(t) = (e^t - 1)/t = \sum_j t^j/(j+1)!`, :math:`|t| \le 1/128`,
    to absolute error :math:`2^{-\text{target}}`: for each degree, highest first, the
    coefficient as ``max_words`` doubles and the number of words that step carries.
    Step :math:`j` (:math:`q_j = c_j + t\,q_{j+1}`) reaches the result times
    :math:`t^j`, so its words are the fewest whose rounding, times
    :math:`2^{-7j}/(j+1)!`, stays below :math:`2^{-\text{target}-3}`: double-double
    to :math:`2^{-104}` is 12 steps (6 in double-double), triple words to
    :math:`2^{-164}` 17 (7 triple, 5 double-double)."""
    t_max = 1.0001 / (2 * _TABLE_STEP)
    n = 0
    while t_max**n / math.factorial(n + 1) >= 2.0 ** -(target_bits + 4):
        n += 1
    plan = []
    for j in range(n, -1, -1):
        size = t_max**j / math.factorial(j + 1)
        words = 1 if size * 2.0**-52 <= 2.0 ** -(target_bits + 3) else (
            2 if size * 2.0**-104 <= 2.0 ** -(target_bits + 3) else 3)
        plan.append((_words(Fraction(1, math.factorial(j + 1)), max_words), min(words, max_words)))
    return plan


_EXPM1_PLAN_DD = _expm1_plan(104, 2)
_EXPM1_PLAN_TD = _expm1_plan(164, 3)


def _renorm3(a0, a1, a2):
    r"""``a0 + a1 + a2`` (:math:`|a_1|, |a_2| \ll |a_0|`) as three decreasing words, error-free."""
    s, e2 = _two_sum(a1, a2)
    h, e1 = _fast_two_sum(a0, s)
    m, lo = _two_sum(e1, e2)
    return h, m, lo


def _mul_add(q, t, c, words):
    r""":math:`c + q\,t` in ``words`` words (``q`` may have fewer; ``c`` a constant
    expansion): :math:`|q\,t| \le |c|/2`, so nothing cancels; relative error about
    :math:`2^{-53 \cdot \text{words}}`. ``c`` None: the product alone."""
    q = tuple(q) + (0.0,) * (words - len(q))
    if words == 1:
        p = q[0] * t[0]
        return (p if c is None else p + c[0],)
    p, e = _two_prod(q[0], t[0])
    if words == 2:
        e = e + (q[0] * t[1] + q[1] * t[0])
        if c is None:
            return _fast_two_sum(p, e)
        s, a = _two_sum(c[0], p)
        return _fast_two_sum(s, a + (c[1] + e))
    p01, e01 = _two_prod(q[0], t[1])
    p10, e10 = _two_prod(q[1], t[0])
    low = ((q[0] * t[2] + q[1] * t[1]) + (q[2] * t[0] + e01)) + e10
    if c is None:
        s, b = p, e
    else:
        s, a = _two_sum(c[0], p)
        b, err = _two_sum(a, c[1])
        low = low + (c[2] + err)
        b, err = _two_sum(b, e)
        low = low + err
    b, err = _two_sum(b, p01)
    low = low + err
    b, err = _two_sum(b, p10)
    return _renorm3(s, b, low + err)


def _exp_expansion(v, words, plan):
    r""":math:`e^v = 2^k (1 + \sum_i w_i)` for float64 ``v`` (:math:`-710 < v \le 0`);
    returns ``k`` and the words :math:`w_i` of :math:`e^r - 1` (2 ``words``: 4 of them,
    3: 6), roughly decreasing, to the plan's accuracy (:math:`2^{-104}` / :math:`2^{-164}`)
    relative to :math:`\max(|e^r - 1|, 2^{-7})`.

    :math:`r = v - k \ln 2` with the 4-part :math:`\ln 2` (the first difference is
    exact, Sterbenz; :math:`r = v` for :math:`k = 0`), then :math:`r = i/64 + t`,
    :math:`|t| \le 1/128` (exact), :math:`e^r - 1 = (E_i - 1) + E_i (e^t - 1)` with
    :math:`E_i = e^{i/64}` from a table; :math:`E_0 = 1`, so for :math:`|v| < 1/128`
    the words are :math:`\operatorname{expm1}(v)` to relative accuracy."""
    k = jnp.round(v * _INV_LN2)
    s0 = v - k * _LN2_PARTS[0]
    h, a = _two_sum(s0, k * -_LN2_PARTS[1])
    if words == 2:
        r = _fast_two_sum(h, a + k * -_LN2_PARTS[2])
    else:
        a, b = _two_sum(a, k * -_LN2_PARTS[2])
        r = _renorm3(h, a, b + k * -_LN2_PARTS[3])
    i = jnp.round(r[0] * float(_TABLE_STEP))
    t = (r[0] - i * (1.0 / _TABLE_STEP),) + tuple(r[1:])  # exact: |t_0| <= |r_0|, same ulp
    index = (i + _TABLE_HALF).astype(jnp.int32)
    table = tuple(jnp.take(jnp.asarray(col), index, mode="clip") for col in _EXP_TABLE[:words])
    q = None
    for c, w in plan:
        q = c[:w] if q is None else _mul_add(q, t, c, w)
    p = _mul_add(q, t, None, words)  # e^t - 1
    ep = _mul_add(table, p, None, words)  # E_i (e^t - 1), |.| < 2^-6.9
    # E_i,0 - 1 exact (Sterbenz); decreasing: |E_i,0 - 1| and |ep_0| > 2^-53 > ...
    return k, (table[0] - 1.0,) + tuple(v for pair in zip(ep, table[1:]) for v in pair) + ep[len(table) - 1:]


def _sum_expansion(terms, passes):
    r"""Sum of doubles as a double-double, by ``passes`` error-free VecSum sweeps
    (Ogita, Rump and Oishi's SumK): error about :math:`2^{-53}` of the sum plus
    :math:`(n\,2^{-53})^{\text{passes}}` of the sum of magnitudes, so a sum that
    cancels keeps its digits (``terms`` roughly in increasing magnitude)."""
    a = list(terms)
    for _ in range(passes):
        for i in range(1, len(a)):
            a[i], a[i - 1] = _two_sum(a[i], a[i - 1])
    rest = a[0]
    for v in a[1:-1]:
        rest = rest + v
    return _two_sum(a[-1], rest)


def _cancelling_sum(x, y, words, plan, passes):
    r""":math:`1 + u = e^x + e^y` with :math:`u = \operatorname{expm1}(m) + e^n`, for
    :math:`m = \max(x, y) \in [-1.4, 0)`: both terms as expansions, then summed
    error-free (a where-select, not ``max``, keeps the pairing of x and y).

    Returns :math:`j`, :math:`w = w_h + w_l` and :math:`e^n`'s ``k`` and words, with :math:`1 + u = 2^j (1 + w)`,
    :math:`|w| \le 0.42`, :math:`j \in \{-2, -1, 0, 1\}` (:math:`w = u` exactly for
    :math:`j = 0`), so that :math:`\operatorname{log1p}(u) = j \ln 2 +
    \operatorname{log1p}(w)` converges fast and does not cancel for :math:`j \ne 0`
    (:math:`|j \ln 2| \ge 2 |\operatorname{log1p}(w)|`)."""
    m = jnp.clip(jnp.where(x >= y, x, y), _CANCEL_M_MIN, 0.0)
    n = jnp.clip(jnp.where(x >= y, y, x), -709.0, 0.0)
    km, wm = _exp_expansion(m, words, plan)
    kn, wn = _exp_expansion(n, words, plan)
    sm, sn = _pow2(km), _pow2(kn)  # km in {-2, -1, 0}
    terms = [v for pair in zip(reversed(wn), reversed(wm)) for v in (sn * pair[0], sm * pair[1])]
    uh, ul = _sum_expansion(terms + [sm - 1.0, sn], passes)
    v = 1.0 + uh
    j = jnp.where(v < 2.0**-1.5, -2.0, jnp.where(v < 2.0**-0.5, -1.0, jnp.where(v > 2.0**0.5, 1.0, 0.0)))
    s = _pow2(-j)
    wh, wl = _two_sum(uh * s, s - 1.0)  # (1 + u) 2^-j - 1; uh s and s - 1 exact
    return j, _fast_two_sum(wh, wl + ul * s), kn, wn


def _in_cancellation(m, z, ratio=None, share=None):
    r"""Where the fast path's error is too large relative to :math:`z`:
    :math:`m \in [-1.4, -2^{-900}]` and :math:`|z| < c|m|` (``z`` the fast path's
    value; :math:`c` = ``ratio``, 2 for float64, :math:`2^{-12}` for the float32 path),
    and, where ``share`` :math:`= k` is given, :math:`L = z - m > k|z|`.

    The fast path's error is that of :math:`L = \operatorname{log1p}(T) = z - m \in
    (0, \ln 2]`, relative about :math:`2^{-55.6}` (float64: measured 0.48 ULP beyond
    the rounding at :math:`L = 3|z|`) and :math:`2^{-50}` (float32 path, measured :math:`2^{-50.2}`). Outside
    :math:`|z| < c|m|`, with :math:`m < 0`, :math:`L \le (1 + 1/c)|z|`: either :math:`|z| \ge
    c|m|`, so :math:`L = z + |m| \le (1 + 1/c)|z|` (:math:`z > 0` once :math:`c \ge 1`),
    or :math:`m < -1.4`, so :math:`|z| \ge |m| - \ln 2 > 0.7 > L`; for :math:`m \ge 0`
    nothing cancels. So the fast path's error there is at most :math:`1.5 \cdot
    2^{-55.6}` relative for float64 (0.25 ULP) and :math:`4097 \cdot 2^{-50} < 2^{-37.9}`
    for the float32 path (:math:`2^{-13.9}` ULP of float32). Inside, :math:`z \in
    (m, 2|m|)`, so :math:`1 + u = e^z \in (0.24, 1.59)`.

    ``share`` (float64: :math:`k = 3/4`) leaves to the fast path the pairs of that set
    whose :math:`L` is small against :math:`|z|` (up to the rounding of :math:`z - m`,
    :math:`2^{-52}` relative): its error there is at most :math:`k \cdot 2^{-55.6}`
    relative, 0.125 ULP. They are most of it: a pair far below the curve
    (:math:`m = -0.5`, :math:`n = -20`: :math:`L = 2 \cdot 10^{-9}`) cancels nothing.
    On :math:`10^6` random float64 pairs :math:`10\,N(0, 1)` the set holds 0.50% of them
    instead of 5.2%, and the fast path's worst error on the pairs it takes over was
    0.514 ULP (at :math:`k = 1.5`: 0.702)."""
    c = _CANCEL_RATIO if ratio is None else ratio
    near = (m >= _CANCEL_M_MIN) & (m <= _CANCEL_M_MAX) & (jnp.abs(z) < c * jnp.abs(m))
    return near if share is None else near & ((z - m) > share * jnp.abs(z))


def _log1p_cancelling_wide(x, y, words, plan, passes):
    r"""logaddexp in the cancellation set, float64: :math:`j \ln 2 + 2\operatorname{atanh}(w/(2 + w))`
    as in :func:`_log1p_t_wide`, :math:`|w| \le 0.42` (:math:`|s'| < 0.35`, series tail 1%)."""
    j, (wh, wl), kn, wn = _cancelling_sum(x, y, words, plan, passes)
    dh, dl = _fast_two_sum(1.0, 0.5 * wh)
    qh, ql = _div_wide(wh, wl, dh, dl + 0.5 * wl)
    z2 = qh * qh
    ql = ql + qh * (z2 * _horner(_ATANH_TAIL, z2))
    hi, lo = _two_sum(j * _LN2, qh)  # j ln 2 exact
    return hi + (lo + (ql + j * _LN2_TAIL)), kn, wn


def _compacted(mask, chunk):
    r"""The flat indices of ``mask``'s set elements, in order, then ``mask.size`` up to a
    multiple of ``chunk``; and their number.

    A ``nonzero`` without its cost on CPU (20 ms for :math:`10^6` elements, a
    ``cumsum`` of 10 ms among it): ranks by an associative scan within rows of 64
    and one over the row totals (2.5 ms), then one scatter of the indices to their
    ranks (1 ms)."""
    n = mask.size
    flat = mask.reshape(-1)
    lanes = 64
    v = jnp.pad(flat, (0, (-n) % lanes)).astype(jnp.int32).reshape(-1, lanes)
    within = lax.associative_scan(jnp.add, v, axis=1)  # inclusive ranks within the row
    totals = within[:, -1]
    before = lax.associative_scan(jnp.add, totals) - totals
    rank = (within + before[:, None]).reshape(-1)[:n] - 1
    size = -(-n // chunk) * chunk
    rank = jnp.where(flat, rank, size)  # unset: dropped
    index = jnp.full(size, n, jnp.int32).at[rank].set(jnp.arange(n, dtype=jnp.int32), mode="drop")
    return index, jnp.sum(totals)  # int32: arrays below 2^31 elements


def _stored(fn, *args):
    """``fn(*args)``, evaluated once into memory: XLA on CPU drops
    ``optimization_barrier`` before fusion, and fuses an elementwise ``fn`` into each
    of its readers (computing it again in each, and storing its divide instead).
    The result of a ``lax.cond`` branch is stored; the predicate is always true
    (the low bit of ``bits | 1``) but comes from the data, so XLA cannot fold it.
    Under ``vmap`` both branches run (the other is zeros) and a select picks."""
    if args[0].size == 0:
        return fn(*args)
    first = _as_bits(args[0].reshape(-1)[0])
    always = ((first | 1) & 1) == 1

    def nothing(*a):
        # zeros_like of an input: inside shard_map they vary over the same mesh axes
        # as fn's result (plain zeros would not, and cond refuses the branches)
        return jax.tree.map(lambda s: jnp.zeros_like(a[0], shape=s.shape, dtype=s.dtype),
                            jax.eval_shape(fn, *a))

    return lax.cond(always, fn, nothing, *args)


def _marker(dtype):
    """A quiet-NaN bit pattern of ``dtype`` (as its unsigned integer) that no
    arithmetic produces: where the fast path writes it, :func:`_fill_marked`
    puts the accurate value.  A nan input that happens to carry it only costs the
    accurate path for its row."""
    bits = np.array(np.nan, dtype).view(f"u{np.dtype(dtype).itemsize}")
    return int(bits) | 0x5A


def _deep_marker(dtype):
    """A second marker, :func:`_marker` with its last bit set: float64 logaddexp marks
    with it the pairs that need triple words."""
    return _marker(dtype) | 1


def _as_bits(v):
    return lax.bitcast_convert_type(v, jnp.dtype(f"uint{8 * v.dtype.itemsize}"))


def _once(pred, fn, z):
    """``fn(z)`` where the scalar ``pred`` holds, else ``z``, updated in place: a
    ``while_loop`` of zero or one trip (a ``lax.cond`` copies ``z`` into its result
    also through an identity branch: 0.2 ms at :math:`10^6` float32)."""
    return lax.while_loop(lambda s: s[1], lambda s: (fn(s[0]), jnp.zeros_like(s[1])), (z, pred))[0]


def _fill_marked(z, x, y, accurate, row=64, lanes=8, chunk=16):
    r"""``z`` with each element that holds :func:`_marker` (or :func:`_deep_marker`)
    replaced by ``accurate(x, y, z)`` there (``x``, ``y``, ``z`` flat, of one size;
    ``accurate`` elementwise in ``x`` and ``y``, and it may read the marks in its ``z``
    to choose how to evaluate the elements it is given).

    Nothing is evaluated where nothing is marked. For :math:`2^{12}` elements or
    more the array is cut into tiles of ``row`` by ``lanes`` consecutive elements
    and each tile into ``lanes`` groups (its columns, ``row`` elements ``lanes``
    apart: the flags are a reduction over a non-minor axis, which XLA on CPU
    vectorises, 0.18 ms at :math:`10^6` float32 against 0.23 for rows of 64, 3 ms
    against 8 at :math:`10^7`; a run of :math:`L \ge 8\,\text{row}` consecutive marked
    elements still touches only :math:`L/\text{row}` groups). While at most 1/8 of the
    groups hold a marked element, ``accurate`` runs only on those groups: their indices
    are compacted once (:func:`_compacted`, over the flags, one per group), then
    gathered ``chunk`` groups at a time in a loop whose trip count is their number, and
    the values scattered into ``z`` in place; beyond that, on the whole array. Nothing
    copies ``z`` (both stages are loops, :func:`_once`), so the cost follows the number
    of marked groups: on random pairs, one pass over ``z`` for the flags. (Compacting
    per trip instead, by two ``nonzero`` over the flags, cost a pass over them each
    trip: float64 logaddexp's 0.5% marked pairs took 0.35x ``jnp.logaddexp`` more at
    :math:`10^7`.) Under ``vmap`` the loops run until every member is done."""
    mark = _marker(z.dtype)
    n = z.size

    def is_marked(v):
        return (_as_bits(v) | 1) == (mark | 1)  # either marker

    def dense(z):
        return jnp.where(is_marked(z), _round_narrow(accurate(x, y, z), z.dtype), z)

    if n < 2**12:
        return _once(jnp.any(is_marked(z)), dense, z)
    tile = row * lanes
    full = n // tile
    flags = jnp.any(is_marked(z[:full * tile]).reshape(full, row, lanes), axis=1).reshape(-1)
    if full * tile < n:  # the tail as one more tile, padded with zeros (not marked)
        tail = jnp.pad(z[full * tile:], (0, tile - (n - full * tile)))
        flags = jnp.concatenate([flags, jnp.any(is_marked(tail).reshape(row, lanes), axis=0)])
    groups = flags.size
    count = jnp.sum(flags, dtype=jnp.int32)
    capacity = max(chunk, groups // 8)
    z = _once(count > capacity, dense, z)

    def elements(g):
        # group g: tile g // lanes, column g % lanes; n (dropped) past the last group
        e = (g // lanes * tile + g % lanes)[:, None] + lanes * jnp.arange(row)
        return jnp.where(g[:, None] < groups, e, n).reshape(-1)

    def sparse(z):
        index, _ = _compacted(flags, chunk)  # the marked groups, then `groups` (dropped)

        def fix_chunk(i, z):
            e = elements(lax.dynamic_slice(index, (i * chunk,), (chunk,)))
            xs, ys, zs = (jnp.take(v, e, mode="clip") for v in (x, y, z))
            values = jnp.where(is_marked(zs), _round_narrow(accurate(xs, ys, zs), z.dtype), zs)
            return z.at[e].set(values, mode="drop")

        return lax.fori_loop(0, (count + chunk - 1) // chunk, fix_chunk, z)

    return _once((count > 0) & (count <= capacity), sparse, z)


def _logaddexp_fast_narrow(xd, yd):
    r""":math:`\max(x, y) + \operatorname{log1p}(e^{-|x - y|})` in float64 (``xd``, ``yd``
    float64 of float32 or narrower values; the difference is exact), and the
    cancellation set where this is not accurate enough.

    :math:`L = \operatorname{log1p}(T)` has relative error below about
    :math:`2^{-50}` (measured :math:`2^{-50.2}`), so outside :func:`_in_cancellation`
    with :math:`c = 2^{-12}` the sum is within :math:`(1 + 2^{12})\,2^{-50} <
    2^{-37.9}` of :math:`z` (plus its rounding): the float32 result is the
    correctly rounded one unless :math:`z` lies within :math:`2^{-14}` ULP of a
    rounding boundary. On the diagonal, :math:`x + \ln 2` with :math:`\ln 2` split
    (the series' error would be 50 ULP of float32 at :math:`x = -0.6931472`,
    where the sum cancels to :math:`2.3 \cdot 10^{-8}`)."""
    d = _difference_narrow(xd, yd)
    m = jnp.maximum(xd, yd)
    z = m + _log1p_narrow(_exp_neg_abs_narrow(d))
    near = _in_cancellation(m, z, _CANCEL_RATIO_NARROW)
    return jnp.where(d == 0, _x_plus_ln2(xd), z), near


def _logaddexp_accurate_narrow(x, y, marks=None):
    r"""logaddexp of float32 (or narrower) ``x``, ``y``, evaluated everywhere:
    exactly widened inputs (subnormals included), the fast path, and in the
    cancellation set :math:`\operatorname{log1p}(u)`, :math:`u = e^x + e^y - 1`
    as a double-double to :math:`2^{-104}` of :math:`|m|` (:math:`|u| \ge
    2^{-60}|m|` over float32 pairs), :math:`\operatorname{log1p}(w_h) + w_l/(1 + w_h)`."""
    xd, yd = _widen(x), _widen(y)
    z, near = _logaddexp_fast_narrow(xd, yd)
    j, (wh, wl), _, _ = _cancelling_sum(xd, yd, 2, _EXPM1_PLAN_DD, 2)
    cancelled = j * _LN2 + (_log1p_narrow(wh) + wl / (1.0 + wh))
    return jnp.where(near, cancelled, z)


def _subnormal_matters(x, y, nd):
    r"""Pairs whose float32 result depends on a subnormal input that XLA on CPU reads
    as 0: the subnormal is :math:`\max(x, y)` and :math:`e^{\min}`, which it is added
    to, is below :math:`2^{-88}` (``nd``: the smaller argument as read, float64), so
    that :math:`|\max| < 2^{-126}` is more than :math:`2^{-38}` of the result. E.g.
    :math:`(2^{-126} - 2^{-149}, -88.72)`: 1.47e-38, a normal float32."""
    if x.dtype != jnp.float32:
        return jnp.zeros(x.shape, bool)

    def subnormal(v):
        return (lax.bitcast_convert_type(v, jnp.uint32) & 0x7FFFFFFF) - 1 < 0x7FFFFF

    return (subnormal(x) | subnormal(y)) & (nd < -60.0)


def logaddexp_narrow(x, y):
    r"""logaddexp of float32 (or narrower) ``x``, ``y`` (broadcast, in their dtype),
    rounded once from float64.

    One fused loop evaluates the fast path everywhere and writes :func:`_marker`
    where it does not decide the rounding (the cancellation set near
    :math:`e^x + e^y = 1`, about :math:`5 \cdot 10^{-6}` of pairs :math:`10\,N(0, 1)`;
    pairs whose value depends on a subnormal input); :func:`_fill_marked` then
    evaluates :func:`_logaddexp_accurate_narrow` on the marked rows only."""
    def marked_fast_path(x, y):
        xd, yd = lax.convert_element_type(x, jnp.float64), lax.convert_element_type(y, jnp.float64)
        z, near = _logaddexp_fast_narrow(xd, yd)
        slow = near | _subnormal_matters(x, y, jnp.minimum(xd, yd))
        bits = jnp.where(slow, jnp.asarray(_marker(x.dtype), _as_bits(x).dtype), _as_bits(_round_narrow(z, x.dtype)))
        return lax.bitcast_convert_type(bits, x.dtype)

    z = _stored(marked_fast_path, x, y)
    shape = z.shape
    return _fill_marked(z.reshape(-1), x.reshape(-1), y.reshape(-1), _logaddexp_accurate_narrow).reshape(shape)


def _scale_tiny(z, s1, s2):
    r""":math:`z\,s_1 s_2` for an unscaled :math:`z`, where the result is near :math:`2^{-1022}`.

    :math:`z 2^k` in :math:`[2^{-1022} - 2^{-1075}, 2^{-1022})` rounds to :math:`2^{-1022}`
    (normal), but XLA flushes it as subnormal before rounding, e.g. at
    ``(-708.3964185322642, 1.917e-321)``."""
    bound = (2.0**-1022 * (1.0 / s1)) * (1.0 / s2)
    rounds_up = (jnp.abs(z) >= bound * (1.0 - 2.0**-53)) & (jnp.abs(z) < bound)
    return jnp.where(rounds_up, jnp.where(z < 0, -(2.0**-1022), 2.0**-1022), (z * s1) * s2)


def _tiny_cancelling_wide(x, y, kn, wn):
    r""":math:`m + e^n` for :math:`|m| < 2^{-900}`, :math:`n \in [-709, -600]`, where it cancels.

    There :math:`\operatorname{logaddexp} = m + e^n` up to :math:`m^2, e^{2n}, m e^n`
    (relative :math:`2^{-800}`); :math:`e^n = 2^k (1 + \sum w)` from
    :func:`_exp_expansion` (``kn``, ``wn``), summed with :math:`m 2^{-k}` unscaled and
    scaled last (:math:`k \ge -1023`, so :math:`2^k` in two normal factors)."""
    k1 = jnp.round(kn * 0.5)
    s1, s2 = _pow2(k1), _pow2(kn - k1)
    a = _unscaled_tiny(jnp.where(x >= y, x, y), s1, s2)
    h, lo = _sum_expansion(list(reversed(wn)) + [a, 1.0], 4)
    return _scale_tiny(h + lo, s1, s2)


def _logaddexp_sum_wide(x, y):
    r""":math:`\max(x, y) + \operatorname{log1p}(T)` in double-double, for
    :math:`|\max(x, y)| \ge 2^{-900}` (the sum cancels for :math:`\max(x, y) \in (-\ln 2, 0)`)."""
    qh, ql, s1, s2, lh = _log1p_t_wide(*_difference_wide(x, y))
    hi, lo = _two_sum(jnp.maximum(x, y), lh)
    return hi + (lo + (ql * s1) * s2)


def _logaddexp_tiny_wide(x, y):
    r""":math:`\max(x, y) + \operatorname{log1p}(T)` for :math:`|\max(x, y)| < 2^{-900}`, where
    :math:`\operatorname{log1p}(T)` may be subnormal (flushed) while the sum is normal (e.g.
    :math:`(2^{-1022}, -708.4)`): added in the unscaled domain, :math:`m 2^{-k} + q_h + q_l`,
    and scaled last. A quarter of the fast path's cost, so it runs on the marked pairs only."""
    qh, ql, s1, s2, _ = _log1p_t_wide(*_difference_wide(x, y))
    hi, lo = _two_sum(_unscaled_tiny(jnp.where(x >= y, x, y), s1, s2), qh)
    return _scale_tiny(hi + (lo + ql), s1, s2)


def _tiny_max(m):
    r"""Where :math:`|m| = |\max(x, y)| < 2^{-900}`: the sum is :func:`_logaddexp_tiny_wide`'s."""
    return jnp.abs(m) < -_CANCEL_M_MAX


def _tiny_near(m, n):
    r"""Tiny negative :math:`m` against :math:`e^n \approx |m|` (:math:`n \in [-709, -600]`),
    where :math:`m + e^n` cancels (:func:`_tiny_cancelling_wide`)."""
    return _tiny_max(m) & (m < 0) & (n >= -709.0) & (n <= -600.0)


def logaddexp_wide(x, y):
    r"""logaddexp of float64 ``x``, ``y`` (broadcast): as :func:`logaddexp_narrow`, one
    fused loop evaluates the fast path (:func:`_logaddexp_sum_wide`; the diagonal
    :math:`x + \ln 2`; infinities and nan) and marks the pairs it cannot round:
    :func:`_marker` in the cancellation set (:func:`_in_cancellation`, 0.50% of random
    pairs :math:`10\,N(0, 1)`) and where :math:`|\max(x, y)| < 2^{-900}`
    (:func:`_logaddexp_tiny_wide`), :func:`_deep_marker` where double-double terms do not
    suffice (:math:`|z| < 2^{-42}|m|`) and for tiny negative :math:`m` against
    :math:`e^n \approx |m|` (:math:`n \in [-709, -600]`, redone as :math:`m + e^n`).
    :func:`_fill_marked` then evaluates the marked groups of 8 elements: the cancellation
    branch (:func:`_log1p_cancelling_wide`) in double-double, or in triple words for a
    chunk of groups that holds a deep mark."""
    def marked_fast_path(x, y):
        z = _logaddexp_sum_wide(x, y)
        m, n = jnp.maximum(x, y), jnp.minimum(x, y)
        near = _in_cancellation(m, z, share=_CANCEL_SHARE) & (x != y)  # the diagonal is x + ln 2, below
        tiny = _tiny_max(m) & (x != y)
        tiny_near = _tiny_near(m, n) & (x != y)
        deep = (near & (jnp.abs(z) < _DEEP_RATIO * jnp.abs(m))) | tiny_near
        z = jnp.where(x == y, _x_plus_ln2(x), z)  # exact first sum (Sterbenz) where it cancels
        z = jnp.where(jnp.isfinite(m), z, m)  # +-inf (equal, or +inf with anything), nan
        marks = jnp.where(deep, np.uint64(_deep_marker(jnp.float64)), np.uint64(_marker(jnp.float64)))
        return lax.bitcast_convert_type(jnp.where(near | tiny | deep, marks, _as_bits(z)), jnp.float64)

    def double(a, b):
        y_cancel = _log1p_cancelling_wide(a, b, 2, _EXPM1_PLAN_DD, 3)[0]
        return jnp.where(_tiny_max(jnp.maximum(a, b)), _logaddexp_tiny_wide(a, b), y_cancel)

    def triple(a, b):
        y_cancel, kn, wn = _log1p_cancelling_wide(a, b, 3, _EXPM1_PLAN_TD, 4)
        m, n = jnp.maximum(a, b), jnp.minimum(a, b)
        tiny, tiny_near = _tiny_max(m), _tiny_near(m, n)
        y_tiny = jnp.where(tiny_near, _tiny_cancelling_wide(a, b, kn, wn), _logaddexp_tiny_wide(a, b))
        return jnp.where(tiny, y_tiny, y_cancel)

    def accurate(a, b, marks):
        deep = jnp.any(_as_bits(marks) == _deep_marker(jnp.float64))
        return lax.cond(deep, triple, double, a, b)

    z = _stored(marked_fast_path, x, y)
    shape = z.shape
    # groups of 8: 0.5% of random pairs marked leave 4% of them flagged (of 64: 27%, over
    # the 1/8 that the sparse loop takes); 1024 groups a trip measured best at 10^6 and 10^7
    return _fill_marked(z.reshape(-1), x.reshape(-1), y.reshape(-1), accurate,
                        row=8, chunk=1024).reshape(shape)


def _widen_plain(x):
    """``x`` as float64 by XLA's convert (on CPU a subnormal float32 reads as 0: no
    derivative of a difference depends on it beyond the final rounding)."""
    return lax.convert_element_type(x, jnp.float64)


def sigmoid_of_difference_narrow(x, y):
    return _sigmoid_plain_narrow(_difference_narrow(_widen_plain(x), _widen_plain(y)))


def sigmoid_of_difference_wide(x, y):
    return sigmoid_wide(*_difference_wide(x, y))


def sigmoid_d1_of_difference_narrow(x, y):
    return sigmoid_d1_narrow(_difference_narrow(_widen_plain(x), _widen_plain(y)))


def sigmoid_d1_of_difference_wide(x, y):
    return sigmoid_d1_wide(*_difference_wide(x, y))


#: Eager calls of a kernel whose compilation costs seconds are padded to one of a few
#: lengths: at least this many elements, then 8 lengths an octave (at most 12.5% more work).
_EAGER_MIN_LENGTH = 256


def _eager_length(n):
    """The length an eager call of ``n`` elements is padded to (:func:`_padded_call`)."""
    if n <= _EAGER_MIN_LENGTH:
        return _EAGER_MIN_LENGTH
    step = 1 << ((n - 1).bit_length() - 4)
    return -(-n // step) * step


@functools.partial(jax.jit, static_argnums=1)
def _flat_padded(v, length):
    v = v.reshape(-1)
    return jnp.concatenate([v, jnp.zeros(length - v.size, v.dtype)])


@functools.partial(jax.jit, static_argnums=1)
def _unpadded(v, shape):
    return v[:math.prod(shape)].reshape(shape)


def _padded_call(fn, x, y):
    """``fn(x, y)`` for an elementwise jitted ``fn`` and ``x``, ``y`` of one shape.

    Called eagerly (concrete arrays on one device), the inputs are flattened and
    padded with zeros to :func:`_eager_length`: every shape then shares one of a few
    compilations. The float64 logaddexp kernel compiles in 2.4-4.4 s (its
    cancellation branch); without this an eager call recompiled it at every new shape
    (a scalar, 1, 8, 17, 3 x 8 elements: 14 s), where padding and cutting cost two
    small programs (0.1 s). Padding cannot change a result: the kernels are
    elementwise (the cancellation branch's compaction too, which the devices check
    confirms shard by shard), and 0 is not in the branch. Under a trace (``jit``,
    ``vmap``, ...) ``fn`` is inlined as it is."""
    tracing = any(isinstance(v, jax.core.Tracer) for v in (x, y))
    if tracing or len(x.sharding.device_set) > 1 or len(y.sharding.device_set) > 1:
        return _per_shard(fn, x, y)
    length = _eager_length(x.size)
    return _unpadded(fn(_flat_padded(x, length), _flat_padded(y, length)), x.shape)


def _padded_under_vmap(fn):
    """``fn`` (elementwise, jitted), evaluated by :func:`_padded_call` eagerly and
    under ``vmap`` outside ``jit`` too.

    A ``custom_vmap`` whose rule, when the batched arrays are concrete (no trace
    above the ``vmap``), is the function itself at them (it is elementwise: the
    unbatched argument is broadcast), which :func:`_padded_call` pads: eager ``vmap``
    at shapes 1, 8 and 3 x 8 shares one compilation instead of three (17 s in
    float64). Under a trace (``jit(vmap(...))``, nested ``vmap``) the rule batches
    ``fn`` as JAX would, the program it always was.

    That program is not the kernel's best: batched, the cancellation branch's
    ``cond`` and ``while`` become selects that evaluate the accurate branch at every
    element (random pairs, :math:`10^6`: ``jit(vmap(logaddexp))`` float32 111 ms,
    float64 205 ms, against 5.9 and 13.8 ms for the kernel at the whole batched
    array). The kernel at the whole array keeps its compaction, but from
    :math:`2^{12}` elements it holds the accurate branch twice (:func:`_fill_marked`'s
    dense and sparse paths: float64 13,000 lines of StableHLO, not 6,600; compiled in
    about 6 s, not 3), which put the report over its 60 s (52 -> 65 s) and the suite's
    value programs from 4 to 8 s each. So it is not used under a trace, until the
    two paths share one copy."""

    @jax.custom_batching.custom_vmap
    def call(x, y):
        return _padded_call(fn, x, y)

    @call.def_vmap
    def rule(axis_size, in_batched, x, y):
        # JAX may batch a traced body later, outside the kernel's x64 scope (vmap of scan)
        with jax.enable_x64(True):
            if any(isinstance(v, jax.core.Tracer) for v in (x, y)):
                axes = tuple(0 if batched else None for batched in in_batched)
                return jax.vmap(fn, in_axes=axes)(x, y), True
            x, y = (v if batched else jnp.broadcast_to(v, (axis_size, *v.shape))
                    for v, batched in zip((x, y), in_batched))
            return _padded_call(fn, x, y), True

    def whole(x, y):
        if any(isinstance(v, jax.core.Tracer) for v in (x, y)):
            return call(x, y)
        return _padded_call(fn, x, y)

    return whole


def _dispatch_binary(narrow, wide, pad_eager=False):
    """:func:`_dispatch` for two arguments: promoted as ``jnp.logaddexp`` promotes
    them (integers, weak types, mixed dtypes) and broadcast together.

    The kernels are jitted: logaddexp's cancellation branch is thousands of
    operations (with ``lax.switch``), which eager calls and the transformations
    JAX applies op by op (eager ``grad``, ``vmap`` outside ``jit``) would otherwise
    dispatch, or compile, again on every call (``check_grads`` of the float64
    rule took 66 s); under an outer ``jit`` the call is inlined."""
    name = narrow.__name__.removesuffix("_narrow")

    def rounded(x, y, evaluate=narrow):
        return _round_narrow(evaluate(x, y), x.dtype)

    rounded.__name__ = narrow.__name__
    narrow, wide = jax.jit(rounded), jax.jit(wide)
    jitted = {"narrow": narrow, "wide": wide}
    if pad_eager:
        narrow, wide = _padded_under_vmap(narrow), _padded_under_vmap(wide)

    def kernel(x, y):
        for v in (x, y):
            if v is None or isinstance(v, (list, tuple, dict)):
                raise TypeError(f"stable_ops expects an array or a scalar, got {type(v).__name__}")
        x, y = jnp.asarray(x), jnp.asarray(y)
        promoted = jax.eval_shape(jnp.logaddexp, x, y)
        dtype, weak = promoted.dtype, bool(promoted.weak_type)
        if not jnp.issubdtype(dtype, jnp.floating):
            raise TypeError(f"stable_ops expects a real floating dtype, got {dtype}")
        x, y = _to_dtype(x, dtype, weak), _to_dtype(y, dtype, weak)
        with jax.enable_x64(True):
            x, y = jnp.broadcast_arrays(x, y)
            fn = wide if dtype == jnp.float64 else narrow
            return _to_dtype(fn(x, y) if pad_eager else _per_shard(fn, x, y), dtype, weak)

    kernel.__name__ = name
    kernel.jitted = jitted  # the jitted kernels, for inspection (their compilations)
    return kernel


def _per_shard(fn, x, y):
    """``fn(x, y)`` (elementwise, ``x`` and ``y`` of one shape), shard by shard where the
    inputs carry an explicit sharding (``jax.make_mesh``'s default axis type): the
    kernels' compaction (:func:`_stored`'s first element, :func:`_fill_marked`'s tiles)
    slices the flat array, which JAX refuses on a sharded dimension ("slicing on sharded
    dims ... is not implemented"). Each device evaluates its own elements, as it does
    for an elementwise op: the same bits. Unsharded or ``Auto`` inputs: ``fn(x, y)``."""
    sharding = getattr(jax.typeof(x), "sharding", None)
    spec = getattr(sharding, "spec", None)
    if spec is None or all(axis is None for axis in spec):
        spec = getattr(getattr(jax.typeof(y), "sharding", None), "spec", None)
        if spec is None or all(axis is None for axis in spec):
            return fn(x, y)
        sharding = jax.typeof(y).sharding
    mesh = sharding.mesh
    x, y = (jax.sharding.reshard(v, jax.sharding.NamedSharding(mesh, spec)) for v in (x, y))
    return jax.shard_map(fn, mesh=mesh, in_specs=(spec, spec), out_specs=spec)(x, y)


softplus = _dispatch(softplus_narrow, softplus_wide, subnormals_matter=False)
sigmoid = _dispatch(sigmoid_narrow, sigmoid_wide, subnormals_matter=False)
sigmoid_d1 = _dispatch(sigmoid_d1_narrow, sigmoid_d1_wide, subnormals_matter=False)
sigmoid_d2 = _dispatch(sigmoid_d2_narrow, sigmoid_d2_wide)
log_sigmoid = _dispatch(log_sigmoid_narrow, log_sigmoid_wide, subnormals_matter=False)
logaddexp = _dispatch_binary(logaddexp_narrow, logaddexp_wide, pad_eager=True)
sigmoid_of_difference = _dispatch_binary(sigmoid_of_difference_narrow, sigmoid_of_difference_wide)
sigmoid_d1_of_difference = _dispatch_binary(sigmoid_d1_of_difference_narrow, sigmoid_d1_of_difference_wide)
