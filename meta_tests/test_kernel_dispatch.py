"""The logaddexp kernel's eager dispatch (:func:`stable_ops._kernels._padded_call`):
eager calls and eager ``vmap`` at any shape share one compilation, and padding
changes no bit of the result."""

import logging
import re

import jax
import jax.numpy as jnp
import numpy as np

import stable_ops
from stable_ops import _kernels


def _near_curve_and_random(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Half of the pairs next to e^x + e^y = 1 (the cancellation branch), half random."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.4, -1e-3, n)
    y = np.log(-np.expm1(x)) * (1 + rng.standard_normal(n) * 1e-6)
    random = rng.random(n) < 0.5
    x[random], y[random] = (rng.standard_normal((2, int(random.sum()))) * 10)
    return x.astype(np.float32), y.astype(np.float32)


class _Compilations(logging.Handler):
    """The names of the programs XLA compiles while installed (``jax.log_compiles``)."""

    def __init__(self):
        super().__init__()
        self.names = []

    def emit(self, record):
        match = re.match(r"Finished XLA compilation of jit\((\w+)\)", record.getMessage())
        if match:
            self.names.append(match.group(1))


def test_eager_calls_at_any_shape_share_one_compilation_and_give_the_jitted_bits():
    x, y = _near_curve_and_random(256)
    with jax.enable_x64(False):
        want = np.asarray(jax.jit(stable_ops.logaddexp)(x, y))  # inlined: no padding
        cuts = {(): (x[0], y[0]), (1,): (x[:1], y[:1]), (17,): (x[:17], y[:17]),
                (3, 8): (x[:24].reshape(3, 8), y[:24].reshape(3, 8))}
        compiled, logger = _Compilations(), logging.getLogger("jax")
        logger.addHandler(compiled)
        try:
            with jax.log_compiles(True):
                got = {shape: np.asarray(stable_ops.logaddexp(a, b)) for shape, (a, b) in cuts.items()}
                mapped = {n: np.asarray(jax.vmap(stable_ops.logaddexp)(x[:n], y[:n])) for n in (1, 8, 17)}
                one_unbatched = np.asarray(jax.vmap(stable_ops.logaddexp, in_axes=(0, None))(x[:8], y[0]))
        finally:
            logger.removeHandler(compiled)
        nested = np.asarray(jax.vmap(jax.vmap(stable_ops.logaddexp))(x[:24].reshape(3, 8),
                                                                     y[:24].reshape(3, 8)))
        want_unbatched = np.asarray(jax.jit(stable_ops.logaddexp)(x[:8], y[0]))
    for shape, out in got.items():
        assert out.shape == shape and out.dtype == np.float32, (shape, out.shape, out.dtype)
        assert np.array_equal(out.reshape(-1), want[:out.size]), (
            f"eager logaddexp at shape {shape} differs from jit: got {out.reshape(-1)[:8]}, "
            f"want {want[:out.size][:8]} at x={x[:out.size][:8]}, y={y[:out.size][:8]}")
    for n, out in mapped.items():
        assert np.array_equal(out, want[:n]), f"eager vmap at {n} elements differs from jit"
    assert np.array_equal(one_unbatched, want_unbatched), "eager vmap with an unbatched argument differs"
    assert np.array_equal(nested.reshape(-1), want[:24]), "eager vmap of vmap differs from jit"
    kernels = [name for name in compiled.names if "logaddexp" in name]
    assert len(kernels) <= 1, (
        f"eager logaddexp at shapes {list(cuts)} and eager vmap at 1, 8 and 17 elements compiled "
        f"the kernel {len(kernels)} times ({kernels}): each should be padded to one "
        f"{_kernels._eager_length(1)}-element program")


def test_eager_length_pads_by_at_most_an_eighth():
    lengths = [_kernels._eager_length(n) for n in range(1, 5000)]
    assert all(n <= m for n, m in zip(range(1, 5000), lengths))
    assert all(m <= max(_kernels._EAGER_MIN_LENGTH, n * 9 / 8) for n, m in zip(range(1, 5000), lengths)), (
        "an eager call pads by more than 1/8")
    assert len(set(lengths)) <= 1 + 8 * 5, f"{len(set(lengths))} distinct lengths below 5000"


def test_weak_types_and_dtypes_survive_the_padding():
    with jax.enable_x64(False):
        weak = stable_ops.logaddexp(1.0, 2.0)
        assert weak.dtype == jnp.float32 and weak.weak_type, (weak.dtype, weak.weak_type)
        strong = stable_ops.logaddexp(np.float32(1.0), 2.0)
        assert strong.dtype == jnp.float32 and not strong.weak_type, (strong.dtype, strong.weak_type)
