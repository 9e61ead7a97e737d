r"""``logaddexp(x, y)`` :math:`= \log(e^x + e^y)` with stable custom rules for both arguments.

.. math::

   \operatorname{logaddexp}(x, y) = \max(x, y) + \operatorname{log1p}(e^{-|d|}),
   \qquad d = x - y,

   \partial_x = \sigma(d), \quad \partial_y = \sigma(-d), \qquad
   \partial_x^2 = \partial_y^2 = -\partial_x\partial_y = \sigma(d)\sigma(-d).

Everything is a function of the difference :math:`d`, which the kernels
(:mod:`stable_ops._kernels`) form without rounding error: in float64 for float32
inputs, as a double-double for float64 (a rounded :math:`d` would put
:math:`|d|` ULPs of error into :math:`e^{-|d|}`, about 700 ULP for a float64
derivative near :math:`|d| = 700`). The derivatives are the sigmoid kernels at
the exact :math:`d`; ``jnp.logaddexp`` forms them as
:math:`e^{x - \operatorname{logaddexp}(x, y)}`, which carries the error of the
value times :math:`|x|` (and is nan at :math:`(-\infty, -\infty)`).

Inputs are promoted as ``jnp.logaddexp`` promotes them (integers, weak types,
mixed dtypes) and broadcast together (NumPy rules). The ``custom_vjp`` backward
pass sums each cotangent over the dimensions its argument was broadcast along.

**Infinities** (a convention for the derivatives, jax-ml/jax#1624, #6811):

=====================  ==============  ================  ========================
:math:`(x, y)`          value           gradient          Hessian :math:`(xx, xy, yy)`
=====================  ==============  ================  ========================
:math:`(-\infty, -\infty)`  :math:`-\infty`  (1/2, 1/2)        (1/4, -1/4, 1/4)
:math:`(+\infty, +\infty)`  :math:`+\infty`  (1/2, 1/2)        (1/4, -1/4, 1/4)
:math:`(+\infty, -\infty)`  :math:`+\infty`  (1, 0)            (0, 0, 0)
:math:`(+\infty, y)`         :math:`+\infty`  (1, 0)            (0, 0, 0)
:math:`(-\infty, y)`         :math:`y`        (0, 1)            (0, 0, 0)
=====================  ==============  ================  ========================

and symmetrically with the arguments swapped. Equal infinities take the limit
along the diagonal :math:`x = y` (:math:`d := 0`), where the function is
:math:`x + \log 2`; any other path :math:`x - y \to d` gives :math:`\sigma(d)`,
so no value is *the* limit, and this one is finite, symmetric and sums to 1.
(``jnp.logaddexp`` gives nan at :math:`(-\infty, -\infty)`, :math:`(1, 1)` at
:math:`(+\infty, +\infty)` and :math:`(1, e^y)` at :math:`(+\infty, y)`.)
nan in either argument gives nan for the value and every derivative.

**Accuracy.** The derivatives have the sigmoid kernels' accuracy (measured:
float32 0.5 ULP, float64 0.57). The value is one rounding of
:math:`\max(x, y) + \operatorname{log1p}(T)` computed in float64 (float32), or a
double-double sum (float64), except where the sum cancels: near the curve
:math:`e^x + e^y = 1` the fast path's absolute error (that of
:math:`\operatorname{log1p}(T)`, :math:`2^{-41}` / :math:`2^{-56}` relative) is any
number of ULPs of the small result (it was up to :math:`1.4 \cdot 10^4` ULP in
float32, :math:`2 \cdot 10^{18}` in float64; ``jnp.logaddexp`` is worse). There,
for :math:`m = \max(x, y) \in [-1.4, -2^{-900}]` and :math:`|z| < 2|m|` with
:math:`\operatorname{log1p}(T) > 3|z|/4` (float64) or :math:`|z| < 2^{-12}|m|` (float32),
the value is :math:`\operatorname{log1p}(u)` with
:math:`u = \operatorname{expm1}(m) + e^{\min(x, y)}` formed from double-double
(:math:`2^{-104}`) or, for float64 pairs with :math:`|z| < 2^{-42}|m|`, triple-word
(:math:`2^{-164}`) expansions of the two exponentials, summed error-free; tiny
negative :math:`m` against :math:`e^{\min} \approx |m|` (float64) likewise. See
:func:`stable_ops._kernels._in_cancellation` for why the fast path suffices
elsewhere. Measured (``benchmarks/measure_logaddexp_cancellation.py``: near-curve
pairs at every depth of cancellation, the branch edges, tiny :math:`m`, random
pairs): float32 0.5 ULP, float64 0.62 ULP (the fast path's, outside the branch);
``jnp.logaddexp`` :math:`3 \cdot 10^{10}` and :math:`10^{20}` ULP there. On the
diagonal :math:`x = y` the value is :math:`x + \ln 2` with a split :math:`\ln 2`
(an exact first sum), so it keeps 0.5 ULP where it cancels most
(:math:`x = y \approx -\ln 2`).

**Cost.** float32 (and narrower): one fused float64 loop evaluates the fast path
and marks the pairs it cannot round (the cancellation set, :math:`|z| < 2^{-12}|m|`
since the fast path's error is :math:`2^{-50}`: about :math:`5 \cdot 10^{-6}` of
random pairs :math:`10\,N(0, 1)`; pairs whose value depends on a subnormal
input); a pass over the result finds the groups of 64 elements (the columns of
tiles of 64 by 8) that hold a mark, and only those are evaluated accurately
(their indices compacted once, 16 groups a trip, in place, in loops that copy
nothing when nothing is marked: :func:`stable_ops._kernels._fill_marked`). ``benchmarks/bench_ops.py``,
random pairs: 1.0-1.3x ``jnp.logaddexp`` at :math:`10^6` (the fast path alone is
about 1.0x, the pass for the marks 0.2x, which is one read of the result at the memory
floor), 0.7-1.1x at :math:`10^7`; arrays of pairs all near the curve 7-9x. On an Intel
Xeon with AVX-512, whose float32 arithmetic is relatively faster: 1.3-1.4x at both
sizes, 10-16x near the curve.

float64 likewise: one fused loop evaluates the fast path (0.5-0.6x ``jnp.logaddexp``)
and marks the cancellation set (0.5% of random pairs) and the pairs with
:math:`|\max(x, y)| < 2^{-900}` (their own unscaled sum, a quarter of the fast path's
cost, is not in the loop), and the marked groups of 8 elements are evaluated apart,
compacted once, 1024 groups a trip, in double-double, or in triple words for a trip
that holds a pair with :math:`|z| < 2^{-42}|m|`. ``benchmarks/bench_ops.py``: random
pairs 0.9-1.3x ``jnp.logaddexp``, pairs none of which is marked (equal-large)
0.7-0.9x; arrays of pairs all near the curve take the triple-word branch everywhere,
8-11x.

Eager calls, and ``vmap`` outside ``jit``, are padded to one of a few lengths (256
elements, then 8 an octave: :func:`stable_ops._kernels._padded_call`), so that a new
shape costs about 0.15 s, not a compilation of the kernel (float64 2.4-4.4 s, float32
about 1 s); under ``jit`` the kernel is inlined at the program's shape.

Subnormals: XLA on CPU flushes subnormal results to zero, so derivatives whose
exact value is subnormal (:math:`|d| \gtrsim 87.3` in float32, 708.4 in float64)
are 0.
"""

import jax
import jax.numpy as jnp
import numpy as np

from stable_ops import _kernels

__all__ = ["logaddexp", "logaddexp_jvp", "logaddexp_vjp"]


@jax.custom_jvp
def _sigmoid_of_difference(x, y):
    r""":math:`\sigma(x - y)` with the exact difference: :math:`\partial_x \operatorname{logaddexp}`."""
    return _kernels.sigmoid_of_difference(x, y)


@_sigmoid_of_difference.defjvp
def _sigmoid_of_difference_jvp(primals, tangents):
    (x, y), (x_dot, y_dot) = primals, tangents
    return _sigmoid_of_difference(x, y), _sigmoid_d1_of_difference(x, y) * (x_dot - y_dot)


@jax.custom_jvp
def _sigmoid_d1_of_difference(x, y):
    r""":math:`\sigma'(x - y)`, symmetric in :math:`x, y`: the Hessian entries of logaddexp."""
    return _kernels.sigmoid_d1_of_difference(x, y)


@_sigmoid_d1_of_difference.defjvp
def _sigmoid_d1_of_difference_jvp(primals, tangents):
    (x, y), (x_dot, y_dot) = primals, tangents
    d1 = _sigmoid_d1_of_difference(x, y)
    d = jnp.where(x == y, 0, x - y)  # third order: XLA's tanh, a few ULP, as sigmoid's
    return d1, -d1 * jnp.tanh(d / 2) * (x_dot - y_dot)


def _unbroadcast(cotangent, x):
    """Sum ``cotangent`` over the dimensions along which ``x`` was broadcast,
    and give it ``x``'s shape and dtype (float0 for integer ``x``)."""
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        return np.zeros(x.shape, dtype=jax.dtypes.float0)
    lead = cotangent.ndim - x.ndim
    stretched = tuple(lead + i for i, n in enumerate(x.shape) if n == 1 and cotangent.shape[lead + i] != 1)
    axes = tuple(range(lead)) + stretched
    summed = jnp.sum(cotangent, axis=axes).reshape(x.shape) if axes else cotangent
    return summed if summed.dtype == x.dtype else summed.astype(x.dtype)  # keeps weak types


@jax.custom_vjp
def logaddexp_vjp(x, y):
    r""":math:`\log(e^x + e^y)` as a ``jax.custom_vjp`` (reverse mode only).

    Backward pass :math:`(\bar x, \bar y) = (g\,\sigma(x - y),\; g\,\sigma(y - x))`,
    each summed back to its argument's shape; the factors have custom JVPs, so
    grad-of-grad is accurate. Residuals: ``x`` and ``y``.
    """
    return _kernels.logaddexp(x, y)


def _logaddexp_vjp_fwd(x, y):
    return logaddexp_vjp(x, y), (x, y)  # residuals: x and y; the primal through the custom function


def _logaddexp_vjp_bwd(residuals, g):
    x, y = residuals
    return (_unbroadcast(g * _sigmoid_of_difference(x, y), x),
            _unbroadcast(g * _sigmoid_of_difference(y, x), y))


logaddexp_vjp.defvjp(_logaddexp_vjp_fwd, _logaddexp_vjp_bwd)


@jax.custom_jvp
def logaddexp_jvp(x, y):
    r""":math:`\log(e^x + e^y)` as a ``jax.custom_jvp``: tangent
    :math:`\dot z = \sigma(x - y)\,\dot x + \sigma(y - x)\,\dot y`.

    Supports ``jvp``, ``grad`` (JAX transposes the tangent rule, summing over
    broadcast dimensions itself) and any nesting of them.

    >>> jax.grad(logaddexp_jvp, argnums=(0, 1))(-jnp.inf, -jnp.inf)  # doctest: +SKIP
    (Array(0.5, dtype=float32, weak_type=True), Array(0.5, dtype=float32, weak_type=True))
    """
    return _kernels.logaddexp(x, y)


@logaddexp_jvp.defjvp
def _logaddexp_jvp_rule(primals, tangents):
    (x, y), (x_dot, y_dot) = primals, tangents
    # logaddexp_jvp(x, y), not the kernel, so that nested jvps use this rule.
    return logaddexp_jvp(x, y), _sigmoid_of_difference(x, y) * x_dot + _sigmoid_of_difference(y, x) * y_dot


logaddexp = logaddexp_jvp
