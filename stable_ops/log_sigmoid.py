r"""Log-sigmoid :math:`\log\sigma(x) = -\log(1 + e^{-x})` with stable custom rules.

.. math::

   \log\sigma(x) = -\operatorname{softplus}(-x),
   \qquad (\log\sigma)'(x) = \sigma(-x),
   \qquad (\log\sigma)''(x) = -\sigma(x)\sigma(-x).

The value is the softplus kernel at :math:`-x`, negated (both negations are
exact, so the accuracy is softplus's: every 16-bit input correctly rounded, float32
every input (softplus' one hard case, at -x, corrected inline), float64 within 0.75 ULP; the first derivative
:math:`\sigma(-x)` and the second :math:`-\sigma'(x)` miss none). The derivatives go through
:func:`stable_ops.sigmoid`, whose custom JVP evaluates
:math:`\sigma(x)\sigma(-x) = e^{-|x|}/(1+e^{-|x|})^2` without cancellation.
``jax.nn.log_sigmoid`` is autodiff of ``-softplus(-x)``, whose second derivative
is exactly 0 in float64 from :math:`|x| \approx 37.4` (e.g. :math:`x = -37.43`,
where the true value is :math:`-5.55 \cdot 10^{-17}`; jax-ml/jax#40383).

Limits: :math:`\log\sigma(+\infty) = 0`, :math:`\log\sigma(-\infty) = -\infty`;
first derivative 0 and 1, second derivative 0 at both; nan -> nan for the value
and every derivative.

Subnormals: XLA on CPU flushes subnormal results to zero, so for
:math:`x \gtrsim 87.3` (float32) / :math:`708.4` (float64) the value
(:math:`\approx -e^{-x}`) and first derivative, and for :math:`|x|` beyond that
the second derivative, are 0 where the true result is subnormal.
"""

import jax

from stable_ops import _kernels
from stable_ops.sigmoid import sigmoid

__all__ = ["log_sigmoid", "log_sigmoid_jvp", "log_sigmoid_vjp"]


@jax.custom_vjp
def log_sigmoid_vjp(x):
    r""":math:`\log\sigma(x)` as a ``jax.custom_vjp`` (reverse mode only).

    Backward pass :math:`\bar x = g\,\sigma(-x)` with the stable
    :func:`stable_ops.sigmoid`, whose custom JVP gives grad-of-grad
    :math:`-g\,\sigma(x)\sigma(-x)` accurately. Residuals: ``x`` only.
    """
    return _kernels.log_sigmoid(x)


def _log_sigmoid_vjp_fwd(x):
    return log_sigmoid_vjp(x), x  # residual: x; the primal through the custom function


def _log_sigmoid_vjp_bwd(x, g):
    return (g * sigmoid(-x),)


log_sigmoid_vjp.defvjp(_log_sigmoid_vjp_fwd, _log_sigmoid_vjp_bwd)


@jax.custom_jvp
def log_sigmoid_jvp(x):
    r""":math:`\log\sigma(x)` as a ``jax.custom_jvp``: tangent
    :math:`\dot y = \sigma(-x)\,\dot x`.

    Supports ``jvp``, ``grad`` and any nesting; the second derivative comes
    from :func:`stable_ops.sigmoid`'s custom JVP, :math:`-\sigma'(x)`.

    >>> float(jax.grad(jax.grad(log_sigmoid_jvp))(-37.43))  # doctest: +SKIP
    -5.550...e-17
    """
    return _kernels.log_sigmoid(x)


@log_sigmoid_jvp.defjvp
def _log_sigmoid_jvp_rule(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    # log_sigmoid_jvp(x), not the kernel, so that nested jvps use this rule.
    return log_sigmoid_jvp(x), sigmoid(-x) * x_dot


log_sigmoid = log_sigmoid_jvp
