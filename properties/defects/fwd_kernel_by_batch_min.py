r"""Resembles forward passes of a ``custom_vjp`` that choose the residual's kernel for the whole batch (``jnp.min(x)`` against a threshold): the primal alone is right, but ``grad`` and ``vjp`` over an empty array raise, since ``min`` of no element is undefined.

The reduction is in ``fwd``, which only runs under differentiation; both
kernels are correct. ``vmap`` over an empty axis never calls ``fwd`` on an
array, so only an empty array outside ``vmap`` shows it.
"""

import jax
import jax.numpy as jnp
from jax import lax

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_empty_arrays", dtype="float64", variant="vjp")


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    negative = jnp.min(x) < 0  # DEFECT: a reduction over the batch
    y = lax.cond(negative, _softplus, _softplus, x)
    return y, x  # residual: x


def _bwd(x, g):
    return (g * sigmoid(x),)


softplus_vjp.defvjp(_fwd, _bwd)
