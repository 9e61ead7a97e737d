r"""Resembles custom_vjp rules with a side effect in fwd (JAX requires fwd and bwd to be pure): fwd stores :math:`\sigma(x)` in a Python dict "to save recomputing it" and bwd reads it from there instead of from its residuals.

Under ``grad``, ``jit``, ``vmap`` and ``grad∘grad`` the stored value belongs
to the trace bwd runs in, so every derivative is exact. Under
``jax.checkpoint`` fwd is traced again inside the backward pass, and in a
``lax.scan`` body bwd is traced apart from fwd: the stored tracer has escaped
its trace (``UnexpectedTracerError``).
"""

import jax

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_remat", variant="vjp")

_stash = {}


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    _stash["sigmoid"] = sigmoid(x)  # DEFECT: state outside the residuals
    return softplus_vjp(x), x


def _bwd(x, g):
    return (g * _stash["sigmoid"],)


softplus_vjp.defvjp(_fwd, _bwd)
