r"""A target whose rules take a non-differentiable parameter: softplus with a threshold.

.. math::

   \operatorname{softplus}_t(x) = \begin{cases} x & x > t \\
   \log(1 + e^x) & \text{otherwise} \end{cases}

as ``torch.nn.Softplus(threshold=t)`` computes it: exact to the last bit, in
float32 and float64, for :math:`t \ge 37`, where
:math:`\log(1 + e^x) - x = \log(1 + e^{-x}) < e^{-37} \approx 8.5 \cdot 10^{-17}`
is under half an ULP of :math:`x` (float64: :math:`2^{-53} \cdot 32 \approx
3.6 \cdot 10^{-15}`). The derivatives are :math:`\sigma(x)` and its own, for
every :math:`x` (the threshold is in the value only, where it is exact; a
thresholded derivative of 1 and 0 would lose the second derivative,
jax-ml/jax#40387). ``threshold`` is a ``nondiff_argnums`` parameter of both rules,
bound for the suite by :data:`NONDIFF_ARGUMENTS`::

    pytest -m programs --target softplus_threshold  # with examples/nondiff on PYTHONPATH
"""

import functools

import jax
import jax.numpy as jnp

from stable_ops import sigmoid
from stable_ops._kernels import softplus as _softplus

#: The threshold the suite tests each rule with (``properties.target``).
NONDIFF_ARGUMENTS = {"softplus_vjp": {"threshold": 40.0}, "softplus_jvp": {"threshold": 40.0}}


def _value(x, threshold):
    return jnp.where(x > threshold, x, _softplus(x))


@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def softplus_vjp(x, threshold):
    return _value(x, threshold)


def _fwd(x, threshold):
    return softplus_vjp(x, threshold), x  # residual: x


def _bwd(threshold, x, g):
    return (g * sigmoid(x),)


softplus_vjp.defvjp(_fwd, _bwd)


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def softplus_jvp(x, threshold):
    return _value(x, threshold)


@softplus_jvp.defjvp
def _jvp(threshold, primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return softplus_jvp(x, threshold), sigmoid(x) * x_dot
