r"""Speed of ``stable_ops`` sigmoid, log_sigmoid and logaddexp against their jax peers, as ratios.

Run as a script (not a test)::

    python benchmarks/bench_ops.py             # several minutes on 2 cores
    python benchmarks/bench_ops.py --quick     # 10^6 only, few rounds
    python benchmarks/bench_ops.py --dtype float32 --op logaddexp

For each dtype (float32 with x64 off, float64 with x64 on, each in its own
subprocess), each size (:math:`10^6`, :math:`10^7`), each op and each operation

* ``value``: ``f(x)``;
* ``grad``: ``grad(lambda x: f(x).sum())``, for logaddexp the gradient in both arguments;
* ``grad-grad``: the gradient of the sum of that first derivative (in ``x`` for
  logaddexp, differentiated in both arguments: :math:`\partial_{xx}, \partial_{xy}`),
* ``vmap``: ``vmap(f)``, the value as batched code calls it (under ``jit``, ``vmap``
  turns logaddexp's cancellation branch, a ``cond`` and ``while``, into selects that
  evaluate the accurate branch at every element: about 20x its ``value``; see
  :func:`stable_ops._kernels._padded_under_vmap`),

it prints ``time(impl) / time(peer, same operation)``, where the peers are
``jax.nn.sigmoid``, ``jax.nn.log_sigmoid`` and ``jnp.logaddexp``, as
``min-ratio/median-ratio`` over interleaved rounds (see ``bench_softplus.py``).
The row ``x*2`` is the memory floor (read one array, write one), as a ratio to the
peer's value. Unary ops take :math:`10\,N(0, 1)`; logaddexp is measured on three
sets of pairs, whose costs differ:

``random``
    :math:`x, y` independent :math:`10\,N(0, 1)` (a few in :math:`10^4` pairs
    are near the curve :math:`e^x + e^y = 1`, where the sum cancels).
``near-curve``
    every pair near the curve: :math:`x` uniform in :math:`(-1.4, -10^{-3})`,
    :math:`y = \log(-\operatorname{expm1}(x))` rounded to the dtype and moved
    by -3..3 ulps (cancellation to about :math:`2^{-24}` / :math:`2^{-53}` of
    :math:`|x|` and deeper).
``equal-large``
    :math:`x = y = 50 + 10\,N(0, 1)`, where ``jnp.logaddexp``'s second
    derivative :math:`\partial_{xy}` is wrong (-1 instead of -1/4).

Compare the ratios, not absolute times: other load on the machine moves both.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_softplus import ROOT, SIZES, _time_all, drive, ratio_cell  # noqa: E402

OPS = ("value", "grad", "grad-grad", "vmap")
PEERS = {"sigmoid": "jax.nn.sigmoid", "log_sigmoid": "jax.nn.log_sigmoid", "logaddexp": "jnp.logaddexp"}
FLOOR = "x*2 (memory floor)"
PAIR_SETS = ("random", "near-curve", "equal-large")


def _operations(f, binary):
    import jax

    if not binary:
        d1 = jax.grad(lambda v: f(v).sum())
        return {"value": f, "grad": d1, "grad-grad": jax.grad(lambda v: d1(v).sum()),
                "vmap": jax.vmap(f)}
    # x is the timed argument, y is closed over; both partials come back as a tuple,
    # not stacked: XLA on CPU fuses the kernels into the concatenate's loop, which it
    # does not vectorise (float64 grad-grad at 10^6: stable_ops 7x slower stacked than
    # as a tuple, jnp.logaddexp about the same)
    def ops(y):
        dx = jax.grad(lambda a, b: f(a, b).sum())
        return {
            "value": lambda v: f(v, y),
            "grad": lambda v: jax.grad(lambda a, b: f(a, b).sum(), argnums=(0, 1))(v, y),
            "grad-grad": lambda v: jax.grad(lambda a, b: dx(a, b).sum(), argnums=(0, 1))(v, y),
            "vmap": lambda v: jax.vmap(f)(v, y),
        }
    return ops


def pairs(kind, n, dtype):
    """The two arguments of logaddexp for the set ``kind`` (see the module docstring)."""
    import jax
    import numpy as np

    if kind == "random":
        x = 10 * np.asarray(jax.random.normal(jax.random.key(0), (n,)), np.float64)
        y = 10 * np.asarray(jax.random.normal(jax.random.key(1), (n,)), np.float64)
        return x.astype(dtype), y.astype(dtype)
    rng = np.random.default_rng(0)
    if kind == "near-curve":
        x = rng.uniform(-1.4, -1e-3, n).astype(dtype)
        y = np.log(-np.expm1(x.astype(np.float64))).astype(dtype)
        itype = np.int32 if dtype == np.float32 else np.int64
        y = (y.view(itype) + rng.integers(-3, 4, n).astype(itype)).view(dtype)
        return x, y
    x = (50 + 10 * rng.standard_normal(n)).astype(dtype)
    return x, x.copy()


def worker(dtype_name, quick, ops=None):
    """Measure one dtype; print JSON {op: {label: {impl: {operation: [min, median]}}}}."""
    sys.path.insert(0, ROOT)
    import jax
    import jax.numpy as jnp
    import numpy as np

    import stable_ops

    peers = {"sigmoid": jax.nn.sigmoid, "log_sigmoid": jax.nn.log_sigmoid, "logaddexp": jnp.logaddexp}
    dtype = np.dtype(dtype_name)
    out = {}
    for n in SIZES[:1] if quick else SIZES:
        rounds, inner = (5, 1) if quick else (20 if n <= 10**6 else 6, 1)
        for op, peer in peers.items():
            if ops and op not in ops:
                continue
            impls = {PEERS[op]: peer, f"stable_ops.{op}_jvp": getattr(stable_ops, op + "_jvp"),
                     f"stable_ops.{op}_vjp": getattr(stable_ops, op + "_vjp")}
            for kind in PAIR_SETS if op == "logaddexp" else ("",):
                if op == "logaddexp":
                    xs, ys = pairs(kind, n, dtype)
                    x, y = jnp.asarray(xs), jnp.asarray(ys)
                    fns = {(name, o): fn for name, f in impls.items()
                           for o, fn in _operations(f, True)(y).items()}
                else:
                    x = (10 * jax.random.normal(jax.random.key(0), (n,))).astype(dtype)
                    fns = {(name, o): fn for name, f in impls.items() for o, fn in _operations(f, False).items()}
                fns[(FLOOR, "value")] = lambda v: v * 2
                best = _time_all(fns, x, rounds=rounds, inner=inner)
                res = out.setdefault(op, {}).setdefault(f"{kind + ', ' if kind else ''}n = {n:.0e}", {})
                for (name, operation), t in best.items():
                    res.setdefault(name, {})[operation] = t
                del x, fns
    print(json.dumps({"dtype": dtype_name, "jax": jax.__version__, "results": out}))


def _table(report):
    lines = []
    for op, by_label in report["results"].items():
        peer = PEERS[op]
        for label, res in by_label.items():
            base = res[peer]
            lines.append(f"\n{report['dtype']} {op}, {label}   ({peer}, min: "
                         + ", ".join(f"{o} {base[o][0] * 1e3:.2f} ms" for o in OPS) + ")")
            lines.append(f"  {'ratio to ' + peer + ' (min/median)':34s}" + "".join(f"{o:>13s}" for o in OPS))
            for name, row in res.items():
                if name != peer:
                    lines.append(f"  {name:34s}" + "".join(
                        ratio_cell(row[o], base[o]) if o in row else f"{'':13s}" for o in OPS))
    return "\n".join(lines)


def main():
    drive(__file__, __doc__.split("\n")[0], worker, _table, ops=PEERS)


if __name__ == "__main__":
    main()
