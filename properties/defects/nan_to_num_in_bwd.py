r"""Resembles the common workaround for nan gradients (the reports behind jax-ml/jax#1052): ``jnp.nan_to_num`` on the gradient, which also turns the nan that a nan input must produce into 0.

Exact for every non-nan input.
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_nan_propagates", variant="vjp", derivative=(1, "reverse"))


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _bwd(x, g):
    return (g * jnp.nan_to_num(sigmoid(x)),)  # DEFECT: nan in, 0 out


softplus_vjp.defvjp(_fwd, _bwd)
