r"""Resembles jax-ml/jax#347 and #1052 (nan gradients through ``jnp.where`` when the branch not taken is nonfinite), one order up: the backward pass guards the naive :math:`e^x/(1+e^x)` with ``where(x > 20, 1, ...)``.

The first derivative is exact (the guard selects 1 before ``exp``
overflows), but differentiating the backward pass multiplies the unselected
branch's nan derivative by a zero cotangent, so grad-of-grad is nan from
x = 88.7 (float32).
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_finite_for_finite_inputs", variant="vjp",
                  derivative=(2, "reverse-over-reverse"))


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _bwd(x, g):
    e = jnp.exp(x)
    return (g * jnp.where(x > 20, 1.0, e / (1 + e)),)  # DEFECT: single where


softplus_vjp.defvjp(_fwd, _bwd)
