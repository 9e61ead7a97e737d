r"""Resembles rules that read ``jnp.finfo(x.dtype)`` for a cutoff before promoting their input, which raises ``ValueError`` for integer inputs (``jax.nn.softplus`` promotes them to floats).

Every float input is exact: the cutoff, :math:`-\log(\epsilon/2)`, is where
:math:`\log(1 + e^{-x})` drops below half an ULP of :math:`x`, and above it
the value is :math:`x` (as the kernel rounds it).
"""

import jax
import jax.numpy as jnp

from properties.defects import expect
from stable_ops import sigmoid, softplus_vjp  # noqa: F401  (the correct vjp variant)
from stable_ops import softplus_jvp as _correct

EXPECTED = expect("test_integer_inputs", variant="jvp")


@jax.custom_jvp
def softplus_jvp(x):
    cutoff = -jnp.log(jnp.finfo(jnp.result_type(x)).eps / 2)  # DEFECT: integers have no finfo
    del cutoff  # (the kernel's own branches already round above it)
    return _correct(x)


@softplus_jvp.defjvp
def _jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return softplus_jvp(x), sigmoid(x) * x_dot
