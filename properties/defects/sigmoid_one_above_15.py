r"""Resembles a saturation cutoff placed too early (PyTorch's softplus switches to the linear branch above a threshold): :math:`\sigma(x) = 1` for :math:`x > 15`, where in float32 it rounds to 1 only above 17.3.

Between 15 and 17.3 the first derivative is 1 to 5 ULP off (float32), too
little for any tolerance-based check to see.
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_special_values_within_ulp_budget", variant="vjp", derivative=(1, "reverse"))
CUTOFF = 15.0  # DEFECT: the float32 branch point is -log(eps/2) ~ 17.3 for sigma


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _bwd(x, g):
    return (g * jnp.where(x > CUTOFF, jnp.ones_like(x), sigmoid(x)),)


softplus_vjp.defvjp(_fwd, _bwd)
