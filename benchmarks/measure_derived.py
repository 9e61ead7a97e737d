"""Derived derivatives against the hand-written references, bit for bit after rounding.

For every built-in op with declared derivatives (softplus, sigmoid, log_sigmoid,
logaddexp), every declared derivative is rounded twice, from the declared
reference and from the one derived from the op's value
(:func:`reference.derivatives.derivative`), on the special values and branch
points and their neighbours (every special pair for logaddexp) and on ``--n``
sampled inputs per dtype: a log sweep of magnitudes over the whole range (both
signs), the band |x| <= 1.1 log(max), and random bit patterns (random pairs for
logaddexp, a third of them near e^x + e^y = 1). Counts agreements; an input where
the derived derivative does not exist (NotDifferentiable) is counted apart.
Equal as numbers counts as agreement (mpmath's zeros are unsigned); both nan too.

    python benchmarks/measure_derived.py [--n 10000] [--workers 2]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import time

import numpy as np


def sampled_inputs(dtype: str, n: int, arity: int, seed: int = 2026):
    rng = np.random.default_rng(seed)
    info = np.finfo(dtype)
    third = n // 3
    with np.errstate(over="ignore"):  # geomspace's own powers overflow at float64's max
        sweep = np.geomspace(float(info.smallest_subnormal), float(info.max), third // 2).astype(dtype)
    sweep = np.concatenate([sweep, -sweep])
    limit = 1.1 * math.log(float(info.max))
    band = rng.uniform(-limit, limit, third).astype(dtype)
    width = np.uint32 if dtype == "float32" else np.uint64
    bits = rng.integers(0, np.iinfo(width).max, n - len(sweep) - len(band), dtype=width,
                        endpoint=True).view(dtype)
    bits = np.where(np.isfinite(bits), bits, dtype_type(dtype)(1.5))
    x = np.concatenate([sweep, band, bits])
    if arity == 1:
        return (x,)
    y = rng.permutation(x)
    near = slice(0, n // 3)  # pairs near the zero curve: y = log(1 - e^x), x < 0
    xs = -np.abs(rng.uniform(1e-3, 40, n // 3)).astype(dtype)
    x[near] = xs
    y[near] = np.log(-np.expm1(xs.astype(np.float64))).astype(dtype)
    return x, y


def dtype_type(dtype):
    return np.float32 if dtype == "float32" else np.float64


def special_inputs(op, dtype):
    from properties import strategies

    if op.arity == 2:
        return strategies.special_pairs(dtype, op)
    specials = strategies.special_values(dtype, op)
    finite = specials[np.isfinite(specials)]
    with np.errstate(over="ignore"):
        neighbours = [np.nextafter(finite, np.array(d, dtype)) for d in (-math.inf, math.inf)]
    return (np.unique(np.concatenate([specials, *neighbours])),)


def compare_one(task):
    """(op name, index, dtype, set name, args) -> counts and the first disagreements."""
    import reference
    from properties.ops import OPS

    name, index, dtype, set_name, args = task
    op = OPS[name]
    want = reference.correctly_rounded(op.reference(index), *args, dtype=dtype)
    derived = op.derived(index)
    agree = differ = undefined = 0
    examples = []
    for i in range(want.size):
        try:
            got = reference.correctly_rounded(derived, *(a[i:i + 1] for a in args), dtype=dtype)[0]
        except reference.NotDifferentiable:
            undefined += 1
            continue
        if want[i] == got or (np.isnan(want[i]) and np.isnan(got)):
            agree += 1
        else:
            differ += 1
            if len(examples) < 3:
                examples.append((tuple(float(a[i]) for a in args), float(want[i]), float(got)))
    return name, index, dtype, set_name, agree, differ, undefined, examples


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=500)
    args = parser.parse_args(argv)
    from properties.ops import OPS

    tasks = []
    for name in ("softplus", "sigmoid", "log_sigmoid", "logaddexp"):
        op = OPS[name]
        for dtype in ("float32", "float64"):
            sets = {"special": special_inputs(op, dtype),
                    "sampled": sampled_inputs(dtype, args.n, op.arity)}
            for index in op.indices:
                if not any(index) or op.declared(index) is None:
                    continue
                for set_name, inputs in sets.items():
                    for start in range(0, inputs[0].size, args.chunk):
                        chunk = tuple(a[start:start + args.chunk] for a in inputs)
                        tasks.append((name, index, dtype, set_name, chunk))
    started = time.perf_counter()
    totals: dict = {}
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        for name, index, dtype, set_name, agree, differ, undefined, examples in pool.imap_unordered(
                compare_one, tasks):
            row = totals.setdefault((name, index, dtype, set_name), [0, 0, 0, []])
            row[0] += agree
            row[1] += differ
            row[2] += undefined
            row[3] += examples
    print(f"{'op':12} {'index':7} {'dtype':8} {'set':8} {'agree':>7} {'differ':>7} {'undefined':>9}")
    for (name, index, dtype, set_name), (agree, differ, undefined, examples) in sorted(totals.items()):
        print(f"{name:12} {str(index):7} {dtype:8} {set_name:8} {agree:7} {differ:7} {undefined:9}"
              + (f"  e.g. {examples[:2]}" if examples else ""))
    print(f"{time.perf_counter() - started:.0f} s with {args.workers} workers")


if __name__ == "__main__":
    main()
