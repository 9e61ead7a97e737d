r"""Resembles rules whose ``lax.cond`` has a branch that returns fresh constants (``jnp.zeros(shape)``) beside one that returns values computed from the inputs: right on one device, and under ``jit`` with sharded inputs, but refused inside ``jax.shard_map``, where the constants do not vary over the mesh axis and the computed values do (jax-ml/jax#19175; stable_ops' own float64 logaddexp kernel had this bug until this property found it).

The branch that runs is always the computing one (its predicate is always
true, as in :func:`stable_ops._kernels._stored`, which stores a result this
way), so every value and derivative is exact on one device.
"""

import jax
import jax.numpy as jnp
from jax import lax

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_rule_on_eight_devices_is_bit_for_bit_one_device")


def _stored(x):
    if x.size == 0:
        return _softplus(x)
    first = x.reshape(-1)[0]
    always = jnp.isnan(first) | ~jnp.isnan(first)  # from the data, so XLA cannot fold it
    # DEFECT: the other branch returns constants, not values derived from x
    return lax.cond(always, _softplus, lambda v: jnp.zeros(v.shape, v.dtype), x)


@jax.custom_vjp
def softplus_vjp(x):
    return _stored(x)


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _bwd(x, g):
    return (g * sigmoid(x),)


softplus_vjp.defvjp(_fwd, _bwd)
