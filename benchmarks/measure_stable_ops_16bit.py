r"""stable_ops and jax.nn in float16 and bfloat16, on every input: the tables for the note.

    python benchmarks/measure_stable_ops_16bit.py               # ~5 min on the shared machine
    python benchmarks/measure_stable_ops_16bit.py --dtype bfloat16

Two parts:

1. **Accuracy**: the report's 16-bit section (``python -m properties --dtype
   float16,bfloat16 --peers jax_nn``): softplus, sigmoid, log_sigmoid on all 65,536
   inputs (the nans as one), value, d1 and d2 in every mode; logaddexp on every pair
   of 17 special values and 65,536 random pairs. Max ULP, share correctly rounded
   and the count not correctly rounded, against ``reference.correctly_rounded`` in
   the format, judged by :func:`properties.classify.classify` as everywhere.
2. **Rounding paths** of the unary kernels (:mod:`stable_ops._kernels`), which
   evaluate a 16-bit input in float64: inputs not correctly rounded (results in the
   normal range, where nothing is flushed) when the float64 value is rounded

   - ``once``: correctly, as the kernels do (:func:`stable_ops._kernels._round_narrow`);
   - ``XLA convert``: by XLA's ``convert`` (for bfloat16 through float32: twice);
   - ``via float32``: to float32 first (as a float32 computation would), then to the format.

Timings are wall clock on whatever else the machine is running: say so when quoting.
"""

import argparse
import sys
import time

import numpy as np

DTYPES = ("float16", "bfloat16")
KERNELS = ("softplus", "sigmoid", "sigmoid_d1", "sigmoid_d2", "log_sigmoid")


def rounding_paths(dtype: str) -> list[tuple]:
    """Per kernel: (name, inputs, not CR once, not CR by XLA convert, not CR via float32)."""
    import jax
    import jax.numpy as jnp

    import reference
    from reference import functions as F
    from stable_ops import _kernels as K

    exact = {"softplus": F.softplus, "sigmoid": F.sigmoid, "sigmoid_d1": F.sigmoid_d1,
             "sigmoid_d2": F.sigmoid_d2, "log_sigmoid": F.log_sigmoid}
    np_dtype = np.dtype(dtype)
    x = np.arange(2 ** 16, dtype=np.uint32).astype(np.uint16).view(np_dtype)
    x = x[np.isfinite(x)]
    smallest = float(np.finfo(np_dtype).smallest_normal)
    rows = []
    for name in KERNELS:
        narrow = getattr(K, f"{name}_narrow")
        widen = K._widen if name == "sigmoid_d2" else K._widen_plain
        with jax.enable_x64(True):
            paths = jax.jit(lambda v: (K._round_narrow(narrow(widen(v)), v.dtype),
                                       narrow(widen(v)).astype(v.dtype),
                                       narrow(widen(v)).astype(jnp.float32).astype(v.dtype)))(x)
        want = reference.correctly_rounded(exact[name], x)
        normal = np.abs(want.astype(np.float64)) >= smallest
        counts = [int(np.count_nonzero((np.asarray(p) != want) & normal)) for p in paths]
        rows.append((name, int(x.size), *counts))
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dtype", choices=DTYPES, action="append")
    p.add_argument("--format", choices=("text", "markdown"), default="text")
    args = p.parse_args(argv)
    dtypes = args.dtype or list(DTYPES)
    from properties.report.cli import main as report

    start = time.perf_counter()
    code = report(["--dtype", ",".join(dtypes), "--peers", "jax_nn", "--format", args.format,
                   "--no-progress"])
    print(f"\naccuracy tables: {time.perf_counter() - start:.1f} s wall (machine shared)\n")
    for dtype in dtypes:
        t = time.perf_counter()
        rows = rounding_paths(dtype)
        print(f"== rounding paths of the unary kernels, {dtype}: finite inputs not correctly "
              f"rounded (normal results) ==")
        print(f"{'kernel':<12} {'inputs':>7} {'once':>6} {'XLA convert':>12} {'via float32':>12}")
        for name, n, once, xla, via32 in rows:
            print(f"{name:<12} {n:>7} {once:>6} {xla:>12} {via32:>12}")
        print(f"({time.perf_counter() - t:.1f} s)\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
