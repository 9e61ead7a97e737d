r"""Resembles backward passes that rescale the cotangent by its magnitude to keep products in range, :math:`\bar x = (g/|g|)\,(|g|\,\sigma(x))`, which divides 0 by 0 when the cotangent is zero.

For every nonzero cotangent the result is :math:`g\,\sigma(x)` to the bit
(:math:`g/|g| = \pm 1` exactly); a zero cotangent, which JAX passes for an
output that does not reach the loss, gives nan instead of 0.
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_zero_cotangent_and_tangent_give_zero", variant="vjp")


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    return softplus_vjp(x), x


def _bwd(x, g):
    magnitude = jnp.abs(g)
    return ((g / magnitude) * (magnitude * sigmoid(x)),)  # DEFECT: 0/0 at g = 0


softplus_vjp.defvjp(_fwd, _bwd)
