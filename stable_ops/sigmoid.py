r"""Stable logistic sigmoid, accurate to second order.

.. math::

   \sigma(x) = \frac{1}{1 + e^{-x}}, \qquad
   \sigma'(x) = \sigma(x)\,\sigma(-x) = \frac{e^{-|x|}}{(1 + e^{-|x|})^2}, \qquad
   \sigma''(x) = -\sigma'(x) \tanh(x/2).

:math:`\sigma` is the first derivative of softplus, :math:`\sigma'` its second.
Both are evaluated through :math:`T = e^{-|x|} \in [0, 1]` (see
:mod:`stable_ops._kernels`), which never overflows:

* :math:`x \ge 0`: :math:`\sigma(x) = 1/(1+T)`;
* :math:`x < 0`: :math:`\sigma(x) = T/(1+T)` (tiny values keep their relative
  accuracy, unlike :math:`1 - \sigma(-x)`).

The derivative is **not** formed as ``s * (1 - s)``: for large :math:`x`,
``1 - s`` cancels to 0 (float32 from :math:`x > 17.3`, float64 from
:math:`x > 37.4`) where the true value is :math:`\approx e^{-x}`
(jax-ml/jax#40387). :math:`T/(1+T)^2` keeps full relative accuracy until
:math:`T` underflows.

:math:`\sigma''` has its own kernel, :math:`-\operatorname{sign}(x)\,T(1-T)/(1+T)^3`,
with :math:`1 - T` from the exponential's :math:`e^r - 1` near 0 (the former
:math:`-\sigma'(x)\tanh(x/2)` through XLA's ``tanh`` was 4 ULP off in float32).

Accuracy (the kernels'): value, first and second derivative correctly rounded on
every float16 and bfloat16 input, in float32 on all
:math:`2^{32}` inputs (the float64 evaluation's 84 hard cases corrected in the kernel), float64
within 0.65 ULP. The
third derivative (a rule on ``_sigmoid_d2``) uses XLA's ``tanh`` and is only a
few ULP accurate (less near its zeros, :math:`x = \pm 1.317`); fourth and higher
orders are autodiff of that.

Two rule styles: :func:`sigmoid` (also named ``sigmoid_jvp``) is a
``custom_jvp``; :func:`sigmoid_vjp` a ``custom_vjp`` with the same numbers.

Limits: :math:`\sigma(+\infty) = 1`, :math:`\sigma(-\infty) = 0`,
:math:`\sigma'(\pm\infty) = 0`; nan propagates to value and derivatives.

Subnormals: XLA on CPU flushes subnormal results to zero, so for
:math:`x \lesssim -87.3` (float32) / :math:`-708.4` (float64) :math:`\sigma(x)`,
and for :math:`|x|` beyond that :math:`\sigma'(x)`, are 0 instead of subnormal.
"""

import jax
import jax.numpy as jnp

from stable_ops import _kernels

__all__ = ["sigmoid", "sigmoid_jvp", "sigmoid_vjp"]


@jax.custom_jvp
def sigmoid(x):
    r""":math:`\sigma(x) = 1/(1+e^{-x})`, with the custom JVP
    :math:`\dot y = \sigma(x)\sigma(-x)\,\dot x`, computed as
    :math:`e^{-|x|}/(1+e^{-|x|})^2` (no cancellation).

    Domain: all reals; :math:`\sigma(\pm\infty) = 1, 0`; nan -> nan.

    >>> float(sigmoid(40.0)), float(jax.grad(sigmoid)(40.0))  # doctest: +SKIP
    (1.0, 4.248354255291589e-18)
    """
    return _kernels.sigmoid(x)


@sigmoid.defjvp
def _sigmoid_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return sigmoid(x), _sigmoid_d1(x) * x_dot


@jax.custom_jvp
def _sigmoid_d1(x):
    r""":math:`\sigma'(x) = e^{-|x|}/(1+e^{-|x|})^2`, symmetric in :math:`x`."""
    return _kernels.sigmoid_d1(x)


@_sigmoid_d1.defjvp
def _sigmoid_d1_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return _sigmoid_d1(x), _sigmoid_d2(x) * x_dot


@jax.custom_jvp
def _sigmoid_d2(x):
    r""":math:`\sigma''(x) = -\operatorname{sign}(x)\,T(1-T)/(1+T)^3`, :math:`T = e^{-|x|}`,
    odd in :math:`x`; :math:`1 - T` from the exponential's own :math:`e^r - 1`
    near 0, so :math:`\sigma''(x) \approx -x/8` keeps its digits."""
    return _kernels.sigmoid_d2(x)


@_sigmoid_d2.defjvp
def _sigmoid_d2_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    # third derivative sigma' ((1 - 2 sigma)^2 - 2 sigma') = sigma' (tanh(x/2)^2 - 2 sigma'):
    # XLA's tanh, a few ULP, and it cancels near its zeros x = +-1.317.
    d1 = _sigmoid_d1(x)
    return _sigmoid_d2(x), d1 * (jnp.tanh(x / 2) ** 2 - 2 * d1) * x_dot


@jax.custom_vjp
def sigmoid_vjp(x):
    r""":math:`\sigma(x)` as a ``jax.custom_vjp`` (reverse mode only).

    Backward pass :math:`\bar x = g\,\sigma'(x)` with
    :math:`\sigma'(x) = e^{-|x|}/(1+e^{-|x|})^2` (no cancellation), itself
    differentiable by its custom JVP, so grad-of-grad is accurate.
    Residuals: ``x`` only (not the output: :math:`\sigma(1-\sigma)` would cancel).
    """
    return _kernels.sigmoid(x)


def _sigmoid_vjp_fwd(x):
    return sigmoid_vjp(x), x  # residual: x; the primal through the custom function


def _sigmoid_vjp_bwd(x, g):
    return (g * _sigmoid_d1(x),)


sigmoid_vjp.defvjp(_sigmoid_vjp_fwd, _sigmoid_vjp_bwd)


# The harness looks targets' variants up by these names.
sigmoid_jvp = sigmoid
