r"""Resembles a tangent rule whose kernel switches to a short series near the origin and uses it outside the range it was fitted for: for :math:`0.6 \le |x| < 0.85`, both signs, the tangent is :math:`2^{-19}` relative too high (about 16 ULP in float32).

Reverse mode transposes the same tangent, so the gradient is off there too.
The two intervals are 0.25 wide and hold no special value or branch point:
random batches rarely land in them; the dense sweep's band grid has eight
points in each.
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import sigmoid, softplus_vjp  # noqa: F401  (the correct vjp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_dense_sweep_within_ulp_budget", variant="jvp",
                  derivative=(1, "forward"))


@jax.custom_jvp
def softplus_jvp(x):
    return _softplus(x)


@softplus_jvp.defjvp
def _jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    s = sigmoid(x)
    band = (jnp.abs(x) >= 0.6) & (jnp.abs(x) < 0.85)
    return softplus_jvp(x), jnp.where(band, s * (1 + 2.0**-19), s) * x_dot  # DEFECT
