r"""Resembles custom_vjp rules whose fwd returns another primal than the function (gh21303: the fwd's primal differs from the function's): here fwd returns ``jax.nn.softplus(x)`` (``logaddexp(x, 0)``, up to 3 ULP off) beside the residual, while the function itself is the correctly rounded kernel.

``f(x)``, under ``jit`` and ``vmap``, and every derivative are exact; the
value that ``jax.vjp``, ``jax.value_and_grad`` and ``jax.linearize`` hand back is
not (``jax.test_util.check_grads`` compares it with ``f(x)`` at float32's 1e-6
relative tolerance, which 3 ULP pass).
"""

import jax

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_every_api_returns_the_primal_of_the_function", variant="vjp")


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    return jax.nn.softplus(x), x  # DEFECT: another formula's primal


def _bwd(x, g):
    return (g * sigmoid(x),)


softplus_vjp.defvjp(_fwd, _bwd)
