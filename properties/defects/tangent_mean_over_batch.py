r"""Resembles tangent rules that reduce the tangent over the batch (a ``mean`` meant for a broadcast parameter's tangent, applied to the input's): :math:`\dot y_i = \sigma(x_i)\,\overline{\dot x}`.

With a tangent of ones (what ``jvp(f, (x,), (ones,))`` and ``vmap`` of the
scalar ``jvp`` use) the mean is 1 and the result exact; ``jax.jacfwd``'s basis
tangents give :math:`\sigma(x_i)/n` in every entry: a Jacobian that is not
diagonal.
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import sigmoid, softplus_vjp  # noqa: F401  (the correct vjp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_jacobians_are_diagonal", variant="jvp")


@jax.custom_jvp
def softplus_jvp(x):
    return _softplus(x)


@softplus_jvp.defjvp
def _jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return softplus_jvp(x), sigmoid(x) * jnp.mean(x_dot)  # DEFECT: batch mean
