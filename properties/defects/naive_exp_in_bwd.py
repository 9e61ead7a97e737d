r"""Resembles the many reports of nan gradients from softplus/sigmoid written as :math:`e^x/(1+e^x)`: ``exp`` overflows from x = 88.7 (float32) and the backward pass returns inf/inf = nan.

The forward pass is the stable kernel, so values are exact; only the
gradient breaks, and only for large inputs.
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_finite_for_finite_inputs", variant="vjp", derivative=(1, "reverse"))


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _bwd(x, g):
    e = jnp.exp(x)
    return (g * e / (1 + e),)  # DEFECT: inf/inf = nan for x > 88.7


softplus_vjp.defvjp(_fwd, _bwd)
