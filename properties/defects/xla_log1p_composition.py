r"""Resembles ``jax.nn.softplus`` (``logaddexp(x, 0)``, measured here at up to 2.97 ULP in float32): the textbook-stable :math:`\max(x, 0) + \operatorname{log1p}(e^{-|x|})` composed from XLA's ``exp`` and ``log1p``, each a little over half an ULP.

Finite and about right everywhere, with the right limits: only a ULP-level
check sees the 1-3 ULP errors.
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import sigmoid, softplus_vjp  # noqa: F401  (the correct vjp variant)

EXPECTED = expect("test_within_ulp_budget", variant="jvp", derivative=(0, "value"))


@jax.custom_jvp
def softplus_jvp(x):
    return jnp.maximum(x, 0) + jnp.log1p(jnp.exp(-jnp.abs(x)))  # DEFECT: XLA composition


@softplus_jvp.defjvp
def _jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return softplus_jvp(x), sigmoid(x) * x_dot
