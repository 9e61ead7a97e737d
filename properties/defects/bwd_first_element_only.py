r"""Resembles backward passes written for a scalar input (``x.reshape(-1)[0]``, ``float(x)``-style) that broadcast one element's derivative to the whole array.

Under ``vmap`` every element is its own scalar and the rule is exact;
applied to an array, every element gets the first element's derivative.
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_vjp_agrees_with_jvp", dtype="float64", transform="array",
                  derivative_kind="grad")


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _bwd(x, g):
    first = jnp.reshape(x, (-1,))[:1].reshape(())  # DEFECT: assumes one element
    return (g * sigmoid(first),)


softplus_vjp.defvjp(_fwd, _bwd)
