r"""Resembles softplus rules with a ``threshold`` parameter that apply it to the derivative too (``torch.nn.Softplus(threshold=20)``, and jax.nn's softplus beyond 14.56, jax-ml/jax#40387): above the threshold the first derivative is 1 and the second 0, while the exact :math:`\sigma'(x) = e^{-x}/(1+e^{-x})^2` is about :math:`2 \cdot 10^{-9}` at 20.

``threshold`` is a ``nondiff_argnums`` parameter, bound for the suite by
``NONDIFF_ARGUMENTS`` (``properties.target``). The value is exact in float32
(above 20, :math:`\log(1 + e^{-x})` is under half an ULP of :math:`x`) and so is
the first derivative (:math:`\sigma(x)` rounds to 1); the second is not.
"""

import functools

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_special_values_within_ulp_budget", variant="vjp",
                  derivative=(2, "reverse-over-reverse"))

NONDIFF_ARGUMENTS = {"softplus_vjp": {"threshold": 20.0}}


@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def softplus_vjp(x, threshold):
    return jnp.where(x > threshold, x, _softplus(x))


def _fwd(x, threshold):
    return softplus_vjp(x, threshold), x  # residual: x


def _bwd(threshold, x, g):
    return (jnp.where(x > threshold, g, g * sigmoid(x)),)  # DEFECT: the threshold in the derivative


softplus_vjp.defvjp(_fwd, _bwd)
