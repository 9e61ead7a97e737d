r"""Softplus :math:`\log(1 + e^x)` with stable custom derivative rules.

.. math::

   \operatorname{softplus}(x) = \max(x, 0) + \operatorname{log1p}(e^{-|x|}),
   \qquad \operatorname{softplus}'(x) = \sigma(x),
   \qquad \operatorname{softplus}''(x) = \sigma(x)\sigma(-x).

The rewrite is exact (:math:`\log(1+e^x) = x + \log(1+e^{-x})`) and evaluates
:math:`e^{-|x|} \in [0, 1]`, so the forward pass is finite for every finite input
(the naive :math:`\log(1+e^x)` overflows from :math:`x \approx 88.7` in float32,
:math:`709.8` in float64). See Mächler, *Accurately Computing log(1 - exp(-|a|))*
(Rmpfr vignette, 2012) for the ``log1pexp`` family.

The kernels (:mod:`stable_ops._kernels`) evaluate this with their own ``exp``
and ``atanh`` series, not XLA's ``log1p``: float32, float16 and bfloat16 in float64,
rounded once (every 16-bit input correctly rounded; float32 all
the :math:`2^{32}` inputs for value, first and second derivative, the float64
evaluation's hard cases corrected in the kernels: :mod:`stable_ops._exceptions`), float64 in
double-double (within 0.75 ULP).

Derivatives go through :func:`stable_ops.sigmoid`, whose own custom JVP computes
:math:`\sigma(x)\sigma(-x) = e^{-|x|}/(1+e^{-|x|})^2` without cancellation, so
grad-of-grad is accurate everywhere (``jax.nn.softplus`` returns exactly 0 for
:math:`x > 14.56` in float32, jax-ml/jax#40387).

Limits: :math:`\operatorname{softplus}(+\infty) = +\infty`,
:math:`\operatorname{softplus}(-\infty) = 0`, first derivative 1 and 0, second
derivative 0 at both; nan -> nan for the value and every derivative.

Subnormals: XLA on CPU flushes subnormal results to zero, so for
:math:`x \lesssim -87.3` (float32) / :math:`-708.4` (float64) the value and
derivatives are 0 where the true result is subnormal.
"""

import jax

from stable_ops._kernels import softplus as _softplus
from stable_ops.sigmoid import sigmoid

__all__ = ["softplus", "softplus_jvp", "softplus_vjp"]


@jax.custom_vjp
def softplus_vjp(x):
    r""":math:`\log(1 + e^x)` as a ``jax.custom_vjp`` (reverse mode only).

    Backward pass :math:`\bar x = g\,\sigma(x)` with the stable
    :func:`stable_ops.sigmoid`, which is itself differentiable (custom JVP), so
    grad-of-grad gives :math:`g\,\sigma(x)\sigma(-x)` accurately.
    Residuals: ``x`` only.
    """
    return _softplus(x)


def _softplus_vjp_fwd(x):
    # The primal goes through the custom function itself, so that differentiating
    # this rule (higher orders) uses the rule, not autodiff of the kernel.
    return softplus_vjp(x), x  # residual: x


def _softplus_vjp_bwd(x, g):
    return (g * sigmoid(x),)


softplus_vjp.defvjp(_softplus_vjp_fwd, _softplus_vjp_bwd)


@jax.custom_jvp
def softplus_jvp(x):
    r""":math:`\log(1 + e^x)` as a ``jax.custom_jvp``: tangent
    :math:`\dot y = \sigma(x)\,\dot x`.

    JAX derives reverse mode by transposing the (linear) tangent rule, so this
    variant supports ``jvp``, ``grad`` and any nesting of them; the tangent uses
    the stable :func:`stable_ops.sigmoid`, whose custom JVP supplies the second
    derivative.
    """
    return _softplus(x)


@softplus_jvp.defjvp
def _softplus_jvp_rule(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    # softplus_jvp(x), not the kernel: a nested jvp differentiates this primal
    # output too, and autodiff of the kernel is wrong at x = 0 (grad(abs)(0.) = 1).
    return softplus_jvp(x), sigmoid(x) * x_dot


softplus = softplus_jvp
