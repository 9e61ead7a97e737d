r"""Resembles a piecewise approximation with one badly fitted segment (as in hand-written polynomial kernels): values for :math:`3 \le x < 6` are one ULP high.

No special value or branch point lies in the segment, so only the randomly
drawn inputs can find it.
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_within_ulp_budget", variant="vjp", derivative=(0, "value"))


@jax.custom_vjp
def softplus_vjp(x):
    y = _softplus(x)
    off = jnp.nextafter(y, jnp.array(jnp.inf, y.dtype))
    return jnp.where((x >= 3) & (x < 6), off, y)  # DEFECT: 1 ULP high on [3, 6)


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _bwd(x, g):
    return (g * sigmoid(x),)


softplus_vjp.defvjp(_fwd, _bwd)
