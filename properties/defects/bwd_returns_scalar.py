r"""Resembles backward passes that return a reduced (scalar) cotangent for an array input, e.g. ``jnp.sum(g * sigmoid(x))``, as if the rule were only ever called on scalars.

Under ``vmap`` it is exact; on arrays JAX itself refuses the rule (a
``ValueError`` naming the shapes), which the property that applies the rule
to arrays reports.
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_vjp_agrees_with_jvp", transform="array", derivative_kind="grad",
                  raises=ValueError)


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _bwd(x, g):
    return (jnp.sum(g * sigmoid(x)),)  # DEFECT: a scalar for an array input


softplus_vjp.defvjp(_fwd, _bwd)
