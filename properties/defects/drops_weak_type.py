r"""Resembles rules that normalise their input with an explicit dtype (``jnp.asarray(x, dtype=jnp.result_type(x))``), which makes a Python float's result strongly typed, so ``softplus(1.5) * bf16_array`` promotes to float32 where ``jax.nn.softplus`` keeps bfloat16.

Every value and derivative is exact; only the weak type is lost.
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_weak_python_floats_behave_as_jax_nn", variant="vjp")


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(jnp.asarray(x, dtype=jnp.result_type(x)))  # DEFECT: drops weak type


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _bwd(x, g):
    return (g * sigmoid(x),)


softplus_vjp.defvjp(_fwd, _bwd)
