"""Every float32 x with 2^-27 <= |x| < 2^-16: stable_ops' sigmoid kernel against the plain
float64 evaluation rounded once (``_kernels._sigmoid_plain_narrow``, the kernel before the
near-zero push), each input where they differ judged by ``reference.correctly_rounded``.

The plain evaluation was measured over all 2^32 inputs (``measure_float32_hard_cases.py``):
it misses exactly the 78 inputs of ``stable_ops._exceptions.SIGMOID``, all in this range.
So if the two differ exactly there, and the kernel is correctly rounded there, the kernel
is correctly rounded on every float32 input::

    python benchmarks/verify_sigmoid_near_zero.py   # about 2 s
"""

import time

import jax
import jax.numpy as jnp
import numpy as np

import reference
from reference import functions as F
from stable_ops import _exceptions, _kernels


def main() -> None:
    lo, hi = (np.array(v, np.float32).view(np.uint32) for v in (2.0**-27, 2.0**-16))
    bits = np.arange(lo, hi, dtype=np.uint32)
    kernel = jax.jit(_kernels.sigmoid)

    @jax.jit
    def plain(x):
        with jax.enable_x64(True):
            return _kernels._sigmoid_plain_narrow(_kernels._widen_plain(x)).astype(jnp.float32)

    start, found, n = time.perf_counter(), [], 0
    for sign in (0, 0x8000_0000):
        for i in range(0, bits.size, 1 << 22):
            x = (bits[i:i + (1 << 22)] | np.uint32(sign)).view(np.float32)
            a, b = np.asarray(kernel(x)), np.asarray(plain(x))
            differ = a.view(np.uint32) != b.view(np.uint32)
            found.append((x[differ], a[differ], b[differ]))
            n += x.size
    x, got, before = (np.concatenate(parts) for parts in zip(*found))
    want = reference.correctly_rounded(F.sigmoid, x)
    listed = {b for b, _ in _exceptions.SIGMOID}
    print(f"{n} float32 inputs, 2^-27 <= |x| < 2^-16, in {time.perf_counter() - start:.1f} s")
    print(f"differ from the plain evaluation: {x.size}; exactly the {len(listed)} listed inputs:",
          set(x.view(np.uint32).tolist()) == listed)
    print("kernel correctly rounded at every one:", bool((got.view(np.uint32) == want.view(np.uint32)).all()))
    print("plain evaluation wrong at every one:", bool((before.view(np.uint32) != want.view(np.uint32)).all()))


if __name__ == "__main__":
    main()
