r"""Resembles rules whose backward pass calls the host (``jax.pure_callback`` into NumPy or SciPy for a derivative JAX lacks): right under ``jit``, ``vmap`` and ``grad``, but ``jax.export`` refuses to serialize the host callback (it has no stable target), so the rule cannot be exported with its VJP (jax-ml/jax#21763: exporting with ``vjp_order``).

The callback computes :math:`g\,\sigma(x)` in float64 with NumPy and rounds it
once to the input's dtype: the first derivative is as accurate as the correct
rule's. It has no JVP, so ``grad`` of ``grad`` raises as well.
"""

import jax
import numpy as np

from properties.defects import expect
from stable_ops import softplus_jvp  # noqa: F401  (the correct jvp variant)
from stable_ops._kernels import softplus as _softplus

EXPECTED = expect("test_exported_rule_and_its_derivatives_keep_their_bits", variant="vjp")


def _sigmoid_on_host(x):
    x = np.asarray(x)
    wide = x.astype(np.float64)
    with np.errstate(over="ignore"):
        return (0.5 * (1 + np.tanh(wide / 2))).astype(x.dtype)


@jax.custom_vjp
def softplus_vjp(x):
    return _softplus(x)


def _fwd(x):
    return softplus_vjp(x), x  # residual: x


def _bwd(x, g):
    shape = jax.ShapeDtypeStruct(x.shape, x.dtype)
    # DEFECT: a host callback in the backward pass
    return (g * jax.pure_callback(_sigmoid_on_host, shape, x, vmap_method="expand_dims"),)


softplus_vjp.defvjp(_fwd, _bwd)
