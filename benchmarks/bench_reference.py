"""What a certified reference value costs: reference.correctly_rounded per value, uncached.

Rows: the built-in closed forms through their Arb twins (rigorous balls); the same
mpmath formulas without the twin (verification across precisions, as for any user
function); a formula that cancels (naive log(1 + exp(x))); and derivatives derived
from the value (reference.derivatives), on ordinary inputs and on extremes (|x| up
to max, subnormals, ±inf). Each row is the median of ``--rounds`` timings of
``--n`` distinct inputs, with the cache cleared before each.

    python benchmarks/bench_reference.py [--n 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import mpmath
import numpy as np

import reference
from reference import functions


def _plain(fn):
    def plain(*args):
        return fn(*args)
    plain.__name__ = f"{fn.__name__}_verified"
    return plain


def naive_softplus(x):
    return mpmath.log(1 + mpmath.exp(x))


def _inputs(kind: str, dtype, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "ordinary":
        return rng.normal(0, 10, n).astype(dtype)
    info = np.finfo(dtype)  # extremes: log-uniform magnitudes over the whole range, both signs
    magnitudes = np.exp(rng.uniform(np.log(float(info.smallest_subnormal)), np.log(float(info.max)), n))
    return (magnitudes * rng.choice([-1, 1], n)).astype(dtype)


def time_per_value(fn, *args, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        reference.clear_cache()
        start = time.perf_counter()
        reference.correctly_rounded(fn, *args)
        times.append((time.perf_counter() - start) / args[0].size)
    return statistics.median(times)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    rows = []
    for dtype in (np.float32, np.float64):
        x = _inputs("ordinary", dtype, args.n)
        y = _inputs("ordinary", dtype, args.n, seed=1)
        for fn in (functions.softplus, functions.sigmoid, functions.sigmoid_d2, functions.log_sigmoid):
            rows.append((dtype.__name__, fn.__name__, "Arb twin", time_per_value(fn, x, rounds=args.rounds)))
            rows.append((dtype.__name__, fn.__name__, "verified", time_per_value(_plain(fn), x, rounds=args.rounds)))
        rows.append((dtype.__name__, "logaddexp", "Arb twin", time_per_value(functions.logaddexp, x, y, rounds=args.rounds)))
        rows.append((dtype.__name__, "logaddexp", "verified", time_per_value(_plain(functions.logaddexp), x, y, rounds=args.rounds)))
        rows.append((dtype.__name__, "log(1 + exp(x))", "verified (cancels)", time_per_value(naive_softplus, x, rounds=args.rounds)))
        small = max(args.n // 10, 20)
        for kind in ("ordinary", "extremes"):
            xs = _inputs(kind, dtype, small, seed=2)
            for order in (1, 2):
                rows.append((dtype.__name__, f"softplus d{order} derived", kind,
                             time_per_value(reference.derivative(functions.softplus, order), xs, rounds=1)))
        xs = np.array([np.inf, -np.inf], dtype=dtype)
        rows.append((dtype.__name__, "softplus d2 derived", "±inf (limits)",
                     time_per_value(reference.derivative(functions.softplus, 2), xs, rounds=1)))
    print(f"{'dtype':8} {'function':22} {'how':20} {'per value':>12}")
    for dtype, name, how, seconds in rows:
        print(f"{dtype:8} {name:22} {how:20} {seconds * 1e6:10.1f} µs")


if __name__ == "__main__":
    main()
