r"""Resembles rewrites that split a quotient into factors that over- and underflow: :math:`\sigma(x) = e^x\,\sigma(-x)` is :math:`\infty \cdot \text{tiny} = \infty` from x = 88.7 and :math:`\infty \cdot 0 = ` nan from x = 103.9 (float32).

Within about an ULP below that (two correctly rounded factors). Not
:math:`e^x e^{-\operatorname{softplus}(x)}`: XLA rewrites a product of
``exp``\ s into one ``exp`` of the sum under ``jit``, which hides the bug.
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_finite_for_finite_inputs", variant="vjp", derivative=(1, "reverse"))


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _bwd(x, g):
    return (g * (jnp.exp(x) * sigmoid(-x)),)  # DEFECT: inf * 0 for x > 103.9


softplus_vjp.defvjp(_fwd, _bwd)
