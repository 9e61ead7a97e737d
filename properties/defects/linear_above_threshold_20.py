r"""Resembles PyTorch's ``softplus`` default (``threshold=20``: "reverts to the linear function when input × β > threshold"), a cutoff chosen for float32 but wrong in float64, where :math:`e^{-20} \approx 2\cdot10^{-9}` is far above half an ULP of 20.

Exact in float32; in float64 the value is up to about :math:`6\cdot10^5`
ULP off between 20 and 36.7.
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import sigmoid, softplus_vjp  # noqa: F401  (the correct vjp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_special_values_within_ulp_budget", dtype="float64",
                  variant="jvp", derivative=(0, "value"))
THRESHOLD = 20.0


@jax.custom_jvp
def softplus_jvp(x):
    return jnp.where(x > THRESHOLD, x, _softplus(x))  # DEFECT: float32's cutoff


@softplus_jvp.defjvp
def _jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return softplus_jvp(x), sigmoid(x) * x_dot
