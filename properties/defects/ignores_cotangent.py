r"""Resembles backward passes that return the local derivative :math:`\sigma(x)` and forget to multiply by the incoming cotangent :math:`g`.

``jax.grad`` of the rule alone seeds :math:`g = 1`, so first and second
derivatives are exact; only a cotangent other than 1 (any use inside a
larger model) shows it.
"""

import jax

from properties.defects import expect
from stable_ops import sigmoid, softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_linear_in_cotangent_and_tangent", variant="vjp", linear_map="vjp")


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _bwd(x, g):
    del g  # DEFECT: the cotangent is ignored
    return (sigmoid(x),)


softplus_vjp.defvjp(_fwd, _bwd)
