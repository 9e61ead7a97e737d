r"""Resembles backward passes that apply the incoming cotangent twice (e.g. once inside a helper that already scales by it, and again outside): :math:`\bar x = g^2\,\sigma(x)`.

Exact for :math:`g = 1`, hence for ``jax.grad`` of the rule alone and for
grad-of-grad; not linear in :math:`g`.
"""

import jax

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_linear_in_cotangent_and_tangent", dtype="float64",
                  variant="vjp", linear_map="vjp")


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _scaled_sigmoid(x, g):
    return g * sigmoid(x)


def _bwd(x, g):
    return (g * _scaled_sigmoid(x, g),)  # DEFECT: g applied twice


softplus_vjp.defvjp(_fwd, _bwd)
