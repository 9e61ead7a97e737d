r"""Resembles a float64 kernel whose segment tables were fitted in a lower precision on one interval: for :math:`300 \le x < 301` the float64 value is :math:`2^{-40}` relative too high (about 4000 ULP), while float32 results are right.

The interval is 1 wide, far inside the float64 band :math:`|x| \le 780.7` and
away from every special value; the float64 dense sweep's band grid (every
1/2) has two points in it.
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import sigmoid, softplus_vjp  # noqa: F401  (the correct vjp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_dense_sweep_within_ulp_budget", dtype="float64", variant="jvp",
                  derivative=(0, "value"))


@jax.custom_jvp
def softplus_jvp(x):
    y = _softplus(x)
    wrong = (x >= 300) & (x < 301) & (x.dtype == jnp.float64)
    return jnp.where(wrong, y * (1 + 2.0**-40), y)  # DEFECT: the float64 segment


@softplus_jvp.defjvp
def _jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return softplus_jvp(x), sigmoid(x) * x_dot
