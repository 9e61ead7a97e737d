r"""Resembles primals that check the whole batch for overflow before choosing a formula (``jnp.max(x) > 88`` then a fast or a careful path): right on every non-empty array, but the primal itself, and every API through it, raises on an empty array, since ``max`` of no element is undefined.

Both paths here are the correct kernel. Under ``vmap`` the primal sees one
element at a time, so only an empty array outside ``vmap`` shows the
reduction.
"""

import jax
import jax.numpy as jnp
from jax import lax

from properties.defects import expect
from stable_ops import sigmoid, softplus_vjp  # noqa: F401  (the correct vjp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_empty_arrays", variant="jvp")


@jax.custom_jvp
def softplus_jvp(x):
    large = jnp.max(x) > 88  # DEFECT: a reduction over the batch
    return lax.cond(large, _softplus, _softplus, x)


@softplus_jvp.defjvp
def _jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return softplus_jvp(x), sigmoid(x) * x_dot
