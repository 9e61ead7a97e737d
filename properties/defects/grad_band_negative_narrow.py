r"""Resembles a backward pass with a wrong coefficient on one short segment of a piecewise kernel, on the negative side: for :math:`-7.23 \le x < -7.195` the gradient is :math:`2^{-21}` relative too low (about 4 ULP in float32).

The segment is 0.035 wide and holds no special value, nor -7.25 or -7.1875
(Hypothesis favours floats with few significant bits: one random-batch
property lands in [-7.3, -7.2) in 43% of runs, in this segment in 24%,
benchmarks/measure_band_density.py's sampler). The dense sweep's band grid
(every 1/32 in float32) has one point in it, -7.21875, in every run.
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_dense_sweep_within_ulp_budget", variant="vjp",
                  derivative=(1, "reverse"))


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _bwd(x, g):
    s = sigmoid(x)
    s = jnp.where((x >= -7.23) & (x < -7.195), s * (1 - 2.0**-21), s)  # DEFECT: the segment
    return (g * s,)


softplus_vjp.defvjp(_fwd, _bwd)
