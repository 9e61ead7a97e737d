r"""Resembles a piecewise approximation with one badly fitted segment in the middle of the range (hand-written polynomial or table kernels): values for :math:`41 \le x < 43` are :math:`2^{-20}` relative too high (about 10 ULP in float32).

No special value or branch point lies in the segment, and random batches
rarely land in an interval of width 2: only the dense deterministic sweep
finds it.
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
    return jnp.where((x >= 41) & (x < 43), y * (1 + 2.0**-20), y)  # DEFECT: the segment


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _bwd(x, g):
    return (g * sigmoid(x),)


softplus_vjp.defvjp(_fwd, _bwd)
