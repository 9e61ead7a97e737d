r"""Speed of ``stable_ops`` sigmoid, log_sigmoid and logaddexp against their jax peers, as ratios.

Run as a script (not a test)::

    python benchmarks/bench_ops.py             # a few minutes on 2 cores
    python benchmarks/bench_ops.py --quick     # 10^6 only, few rounds

For each dtype (float32 with x64 off, float64 with x64 on, each in its own
subprocess), each size (:math:`10^6`, :math:`10^7`), each op and each operation
(``value``: ``f(x)``; ``grad``: ``grad(lambda x: f(x).sum())``, for logaddexp
the gradient in both arguments) it prints ``time(impl) / time(peer, same
operation)``, where the peers are ``jax.nn.sigmoid``, ``jax.nn.log_sigmoid`` and
``jnp.logaddexp``. logaddexp's second argument is a second array of the same
size. Timing as in ``bench_softplus.py``: jitted, warmed up, interleaved rounds,
minimum over rounds. Compare the ratios, not absolute times.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_softplus import ROOT, SIZES, _time_all, drive  # noqa: E402

OPS = ("value", "grad")
PEERS = {"sigmoid": "jax.nn.sigmoid", "log_sigmoid": "jax.nn.log_sigmoid", "logaddexp": "jnp.logaddexp"}


def worker(dtype_name, quick):
    """Measure one dtype; print JSON {op: {size: {impl: {operation: seconds}}}}."""
    sys.path.insert(0, ROOT)
    import jax
    import jax.numpy as jnp

    import stable_ops

    peers = {"sigmoid": jax.nn.sigmoid, "log_sigmoid": jax.nn.log_sigmoid, "logaddexp": jnp.logaddexp}
    dtype = jnp.dtype(dtype_name)
    out = {}
    for n in SIZES[:1] if quick else SIZES:
        rounds, inner = (5, 1) if quick else (20 if n <= 10**6 else 6, 1)
        x = (10 * jax.random.normal(jax.random.key(0), (n,))).astype(dtype)
        y = (10 * jax.random.normal(jax.random.key(1), (n,))).astype(dtype)
        for op, peer in peers.items():
            impls = {PEERS[op]: peer, f"stable_ops.{op}_jvp": getattr(stable_ops, op + "_jvp"),
                     f"stable_ops.{op}_vjp": getattr(stable_ops, op + "_vjp")}
            fns = {}
            for name, f in impls.items():
                if op == "logaddexp":
                    fns[(name, "value")] = lambda v, f=f: f(v, y)
                    # both partials, returned as one array (the timer blocks on a single output)
                    fns[(name, "grad")] = lambda v, f=f: jnp.stack(
                        jax.grad(lambda a, b: f(a, b).sum(), argnums=(0, 1))(v, y))
                else:
                    fns[(name, "value")] = f
                    fns[(name, "grad")] = jax.grad(lambda v, f=f: f(v).sum())
            best = _time_all(fns, x, rounds=rounds, inner=inner)
            res = out.setdefault(op, {}).setdefault(n, {})
            for (name, operation), t in best.items():
                res.setdefault(name, {})[operation] = t
        del x, y
    print(json.dumps({"dtype": dtype_name, "jax": jax.__version__, "results": out}))


def _table(report):
    lines = []
    for op, by_size in report["results"].items():
        peer = PEERS[op]
        for n, res in by_size.items():
            lines.append(f"\n{report['dtype']} {op}, n = {int(n):.0e}")
            lines.append(f"  {'ratio to ' + peer:34s}" + "".join(f"{o:>9s}" for o in OPS))
            for name, row in res.items():
                if name != peer:
                    lines.append(f"  {name:34s}" + "".join(f"{row[o] / res[peer][o]:9.3f}" for o in OPS))
    return "\n".join(lines)


def main():
    drive(__file__, __doc__.split("\n")[0], worker, _table)


if __name__ == "__main__":
    main()
