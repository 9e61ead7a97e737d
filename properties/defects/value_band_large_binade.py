r"""Resembles an asymptotic branch :math:`\operatorname{softplus}(x) \approx x` whose correction term is applied with the wrong scale on part of one binade: for :math:`1200 \le x < 1500` the value is :math:`2^{-21}` relative too low (about 4 ULP in float32).

Far outside the band :math:`|x| \le 97.6` of the branch points: the interval
is 300 wide, more than the dense sweep's spacing in the binade
:math:`[1024, 2048)` (256 with 4 points a binade), so the binade sweep has a point
in it (1280).
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_dense_sweep_within_ulp_budget", variant="vjp", derivative=(0, "value"))


@jax.custom_vjp
def softplus_vjp(x):
    y = _softplus(x)
    return jnp.where((x >= 1200) & (x < 1500), y * (1 - 2.0**-21), y)  # DEFECT: the segment


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _bwd(x, g):
    return (g * sigmoid(x),)


softplus_vjp.defvjp(_fwd, _bwd)
