r"""Resembles backward passes that reduce the cotangent over the batch (a ``sum`` meant for a broadcast parameter, applied to the input's cotangent): :math:`\bar x_i = \sum_j g_j\,\sigma(x_j)`.

Under ``vmap`` (what ``jax.vmap(jax.grad(f))`` does) the backward pass sees
one element at a time and is exact; applied to an array, every element
gets the sum.
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_vjp_agrees_with_jvp", transform="array", derivative_kind="grad")


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _bwd(x, g):
    return (jnp.broadcast_to(jnp.sum(g * sigmoid(x)), jnp.shape(x)),)  # DEFECT: batch sum


softplus_vjp.defvjp(_fwd, _bwd)
