r"""Resembles forward passes that save every intermediate "for speed" (:math:`x`, :math:`e^{-|x|}` and :math:`\sigma(x)`), tripling the memory a custom_vjp holds between the passes.

Every value and derivative is exact.
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_vjp_residuals_at_most_one_array_of_x_size")


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    return softplus_vjp(x), (x, jnp.exp(-jnp.abs(x)), sigmoid(x))  # DEFECT: 3 arrays


def _bwd(res, g):
    x, _, _ = res
    return (g * sigmoid(x),)


softplus_vjp.defvjp(_fwd, _bwd)
