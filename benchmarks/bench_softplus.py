r"""Speed of ``stable_ops`` softplus against ``jax.nn.softplus``, as ratios.

Run as a script (not a test)::

    python benchmarks/bench_softplus.py            # ~1-2 minutes on 2 cores
    python benchmarks/bench_softplus.py --quick    # a few seconds per dtype

For each dtype (float32 with x64 off, float64 with x64 on; each in its own
subprocess so the x64 setting is fixed before JAX starts), each size
(:math:`10^6`, :math:`10^7`) and each operation

* ``value``      -- ``f(x)``
* ``grad``       -- ``grad(lambda x: f(x).sum())(x)``, i.e. :math:`f'(x)` elementwise
* ``grad-grad``  -- ``grad(lambda x: grad(lambda y: f(y).sum())(x).sum())(x)``,
  i.e. :math:`f''(x)` elementwise

it prints ``time(impl) / time(jax.nn.softplus, same operation)``. The row ``x*2``
is the memory floor (read ``x``, write one array), shown for context as its
ratio to ``jax.nn.softplus``'s value. Everything is jitted and warmed up; the
implementations are timed in interleaved rounds and the minimum over rounds is
used, which is the statistic least disturbed by other load on the machine;
each cell shows ``min-ratio/median-ratio`` (the ratio of the minima over rounds,
then of the medians), so a cell whose two figures disagree was disturbed.
Absolute times are printed only as a note; compare the ratios.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES = (10**6, 10**7)
OPS = ("value", "grad", "grad-grad")
IMPLS = ("jax.nn.softplus", "stable_ops.softplus_jvp", "stable_ops.softplus_vjp")
FLOOR = "x*2 (memory floor)"


def _operations(f):
    import jax

    d1 = jax.grad(lambda x: f(x).sum())
    return {
        "value": f,
        "grad": d1,
        "grad-grad": jax.grad(lambda x: d1(x).sum()),
    }


def _time_all(fns, x, *, rounds, inner):
    """``[min, median]`` seconds per call of each jitted fn over interleaved rounds
    (each round calls every fn ``inner`` times and keeps the fastest)."""
    import jax

    jitted = {k: jax.jit(f) for k, f in fns.items()}
    for f in jitted.values():  # compile and warm up
        jax.block_until_ready(f(x))
        jax.block_until_ready(f(x))
    times = {k: [] for k in jitted}
    for _ in range(rounds):
        for k, f in jitted.items():
            best = float("inf")
            for _ in range(inner):
                t0 = time.perf_counter()
                jax.block_until_ready(f(x))  # an array or a tuple of them
                best = min(best, time.perf_counter() - t0)
            times[k].append(best)
    return {k: [min(v), statistics.median(v)] for k, v in times.items()}


def ratio_cell(t, base, width=13):
    """``min/median`` ratio of two ``[min, median]`` timings, right-aligned."""
    return " " + f"{t[0] / base[0]:.3f}/{t[1] / base[1]:.3f}".rjust(width - 1)  # apart at 10x


def worker(dtype_name, quick):
    """Measure one dtype; print JSON {size: {impl: {op: seconds}}}."""
    sys.path.insert(0, ROOT)
    import jax
    import jax.numpy as jnp

    import stable_ops

    impls = {
        "jax.nn.softplus": jax.nn.softplus,
        "stable_ops.softplus_jvp": stable_ops.softplus_jvp,
        "stable_ops.softplus_vjp": stable_ops.softplus_vjp,
    }
    dtype = jnp.dtype(dtype_name)
    out = {}
    for n in SIZES[:1] if quick else SIZES:
        rounds, inner = (5, 1) if quick else (30 if n <= 10**6 else 8, 1)
        x = (10 * jax.random.normal(jax.random.key(0), (n,))).astype(dtype)
        fns = {(name, op): fn for name, f in impls.items() for op, fn in _operations(f).items()}
        fns[(FLOOR, "value")] = lambda x: x * 2
        best = _time_all(fns, x, rounds=rounds, inner=inner)
        res = {}
        for (name, op), t in best.items():
            res.setdefault(name, {})[op] = t
        out[n] = res
        del x
    print(json.dumps({"dtype": dtype_name, "jax": jax.__version__, "results": out}))


def _table(report):
    lines = []
    dtype = report["dtype"]
    for n, res in report["results"].items():
        base = res["jax.nn.softplus"]
        lines.append(f"\n{dtype}, n = {int(n):.0e}   (jax.nn.softplus, min: value "
                     + ", ".join(f"{op} {base[op][0] * 1e3:.2f} ms" for op in OPS[1:]).join(
                         [f"{base['value'][0] * 1e3:.2f} ms, ", ")"]))
        lines.append(f"  {'ratio (min/median)':28s}" + "".join(f"{op:>13s}" for op in OPS))
        for name in (*IMPLS, FLOOR):
            row = res[name]
            # the floor is a ratio to jax.nn.softplus's value
            cells = "".join(ratio_cell(row[op], base[op]) if op in row else f"{'':13s}" for op in OPS)
            lines.append(f"  {name:28s}{cells}")
    return "\n".join(lines)


def drive(script, description, worker_fn, table, ops=None):
    """The command line of a benchmark script: each dtype runs in its own process
    (``--worker``, with its x64 mode), which prints a JSON report that ``table``
    renders as ratios."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="10^6 only, few rounds")
    p.add_argument("--dtype", choices=("float32", "float64"), action="append",
                   help="restrict to a dtype (repeatable); default both")
    if ops:
        p.add_argument("--op", choices=tuple(ops), action="append",
                       help="restrict to an op (repeatable); default all")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args()
    selected = getattr(args, "op", None)
    if args.worker:
        worker_fn(args.worker, args.quick, *([selected] if ops else []))
        return
    name = os.path.relpath(os.path.abspath(script), ROOT)
    print(f"{name}: ratios of times (min/median over rounds), jit, CPU" + (" (quick)" if args.quick else ""))
    for dtype in args.dtype or ("float32", "float64"):
        env = dict(os.environ, JAX_ENABLE_X64="1" if dtype == "float64" else "0")
        cmd = [sys.executable, os.path.abspath(script), "--worker", dtype]
        cmd += ["--quick"] if args.quick else []
        cmd += [a for o in selected or () for a in ("--op", o)]
        proc = subprocess.run(cmd, env=env,
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            sys.exit(f"worker for {dtype} failed:\n{proc.stderr}")
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        if dtype == "float32":
            print(f"jax {report['jax']}, {os.cpu_count()} CPUs")
        print(table(report))


def main():
    drive(__file__, __doc__.split("\n")[0], worker, _table)


if __name__ == "__main__":
    main()
