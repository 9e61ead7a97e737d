"""What the JAX backend at hand does, measured rather than assumed.

XLA on CPU (and on GPUs, for float32) runs with flush-to-zero: a result whose
exact value is subnormal comes back as 0 (float32 ``exp(-90)`` is 0; even
``1e-30 * 1e-10`` is 0 under jit). The suite's subnormal policy depends on it,
so it is probed once per dtype, under jit, on the default backend.
"""

from __future__ import annotations

import functools

import jax
import ml_dtypes
import numpy as np


def x64_for(dtype: str):
    """Context manager: x64 on for float64, off for float32, float16 and bfloat16
    (JAX's default mode: the 16-bit formats are what models run with it off)."""
    return jax.enable_x64(np.dtype(dtype) == np.float64)


@functools.lru_cache(maxsize=None)
def flushes_subnormals(dtype: str) -> bool:
    """Whether jitted arithmetic in ``dtype`` returns 0 for a subnormal product.

    Measured per format: on XLA:CPU float32 flushes; float16 and bfloat16 are
    probed the same way (``smallest_normal * 0.5``), so the header states what the
    backend at hand does rather than what it did when this was written."""
    name = np.dtype(dtype).name
    tiny = ml_dtypes.finfo(name).smallest_normal
    with x64_for(name):
        product = jax.jit(lambda a, b: a * b)(np.array(tiny, name), np.array(0.5, name))
        return bool(np.asarray(product) == 0)


def describe() -> str:
    """``jax <version>, backend <platform> (<device kind>)``."""
    device = jax.devices()[0]
    return f"jax {jax.__version__}, backend {jax.default_backend()} ({device.device_kind})"
