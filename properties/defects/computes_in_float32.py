r"""Resembles hard-coded ``float32`` casts in mixed-precision code paths: the forward pass runs in float32 whatever the input, so float64 inputs get float32 values.

The float32 result is correctly rounded for the float32-rounded input, so a
check in the output's own format alone would pass; float32 inputs are
unaffected, and derivatives are exact.
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_output_dtype_equals_input_dtype", dtype="float64", variant="vjp")


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(jnp.asarray(x).astype(jnp.float32))  # DEFECT: float32 always


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _bwd(x, g):
    return (g * sigmoid(x),)


softplus_vjp.defvjp(_fwd, _bwd)
