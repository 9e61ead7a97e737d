r"""Resembles backward passes that choose one kernel for the whole batch by its range (``jnp.max(jnp.abs(x))`` against a threshold, as tuned kernels dispatch): right on every non-empty array, but ``grad`` of a sum over an empty array raises, since ``max`` of no element is undefined.

Both kernels here are the correct :func:`stable_ops.sigmoid`, so every result
is right. Under ``vmap`` the rule sees one element at a time (the maximum of
one element), and ``vmap`` over an empty axis never calls it on an array:
only an empty array outside ``vmap`` shows the reduction.
"""

import jax
import jax.numpy as jnp
from jax import lax

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_empty_arrays", variant="vjp")


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _bwd(x, g):
    wide = jnp.max(jnp.abs(x)) > 30  # DEFECT: a reduction over the batch
    return (lax.cond(wide, lambda v: g * sigmoid(v), lambda v: g * sigmoid(v), x),)


softplus_vjp.defvjp(_fwd, _bwd)
