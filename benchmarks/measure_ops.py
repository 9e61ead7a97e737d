"""Measure the max ULP error of a target's rules for registered ops (for budgets.py).

    python benchmarks/measure_ops.py stable_ops sigmoid
    python benchmarks/measure_ops.py properties.peers.xla_primitives exp log1p ...

Inputs: every special value and branch point with 4 neighbours each side, a
log-spaced sweep of both signs over the whole range, the band |x| <= 1.1 log(max),
dense sweeps around each branch point, and random bit patterns (seeded). For a
binary op, the pairs of :func:`properties.strategies.special_pairs` and random pairs.
Judged as in the suite (:func:`properties.classify.classify`). Prints, per op,
order, mode and dtype: max ULP and where, and the share correctly rounded.
"""

import sys
import time

import numpy as np

from properties import backend, evaluate
from properties.classify import Stats, classify, format_inputs
from properties.ops import OPS
from properties.report import inputs
from properties.target import VARIANT_MODES, load_target

SIZES = {"float32": 20_000, "float64": 6_000}


def unary_inputs(dtype, op):
    n = SIZES[dtype]
    parts = [inputs.specials(dtype, op), inputs.log_sweep(dtype, n), inputs.band(dtype, n // 2),
             inputs.random_bits(dtype, n // 4, np.random.default_rng(inputs.SEED))]
    for p in op.branch_points.get(dtype, ()):
        for s in (1, -1):
            parts.append((s * p * (1 + np.linspace(-0.05, 0.05, 200))).astype(dtype))
    x = np.concatenate(parts).astype(dtype)
    return (x[np.isfinite(x)],)


def binary_inputs(dtype, op):
    from properties.strategies import special_pairs
    rng = np.random.default_rng(7)
    (x,) = unary_inputs(dtype, op)
    n = SIZES[dtype] // 2
    sx, sy = special_pairs(dtype, op)
    a, b = rng.choice(x, n), rng.choice(x, n)
    near = rng.choice(x, n // 4)
    shift = near + (rng.standard_normal(near.size) * rng.choice([1e-6, 1e-2, 1, 30, 800], near.size))
    xs = np.concatenate([sx, a, near, x]).astype(dtype)
    ys = np.concatenate([sy, b, shift.astype(dtype), x[::-1]]).astype(dtype)
    keep = np.isfinite(xs) & np.isfinite(ys)
    return xs[keep], ys[keep]


def main(target_name, *names):
    target = load_target(target_name, ops=tuple(OPS))
    for name in names or [n for n in OPS if target.variants(n)]:
        op = OPS[name]
        for dtype in ("float32", "float64"):
            with backend.x64_for(dtype):
                args = (unary_inputs if op.arity == 1 else binary_inputs)(dtype, op)
                for variant, fn in target.variants(name).items():
                    for index, mode in evaluate.derivatives_for(VARIANT_MODES[variant], op=op):
                        t = time.time()
                        got = evaluate.derivative_at(fn, index, mode, *args)
                        s = Stats.of(classify(got, op.reference(index), *args))
                        print(f"{name}_{variant} {evaluate.derivative_label(index, mode):<28} "
                              f"{dtype}: max {s.max_ulp:.4g} ULP at "
                              f"({format_inputs(s.at_max, dtype)}); correctly rounded "
                              f"{s.share_correctly_rounded:.2%} of {s.judged} judged "
                              f"({s.n - s.judged} counted apart) [{time.time() - t:.0f}s]",
                              flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
