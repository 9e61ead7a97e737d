r"""Resembles JAX's type-promotion pitfall with NumPy scalars (strongly typed, unlike Python floats): a temperature :math:`\beta` stored as ``np.float64(1.0)`` in :math:`\operatorname{softplus}(\beta x)/\beta` turns float32 inputs into float64 results when x64 is enabled.

With x64 off (JAX's default) NumPy scalars are canonicalized to float32 and
nothing shows; every value is exact either way.
"""

import jax
import numpy as np

from properties.defects import expect
from stable_ops import sigmoid, softplus_vjp  # noqa: F401  (the correct vjp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_output_dtype_equals_input_dtype", variant="jvp")
BETA = np.float64(1.0)  # DEFECT: a strongly typed float64 scalar


@jax.custom_jvp
def softplus_jvp(x):
    return _softplus(BETA * x) / BETA


@softplus_jvp.defjvp
def _jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return softplus_jvp(x), sigmoid(BETA * x) * x_dot
