r"""Accuracy of ``logaddexp(x, y)`` where the sum cancels, against correctly rounded values.

Run as a script (not a test)::

    python benchmarks/measure_logaddexp_cancellation.py            # both dtypes, about 2 minutes
    python benchmarks/measure_logaddexp_cancellation.py float64 --n 2000

Near the curve :math:`e^x + e^y = 1` (both arguments negative, :math:`\max(x, y)`
in about :math:`(-1.4, 0)`) :math:`z = \max + \operatorname{log1p}(e^{\min - \max})`
adds two nearly opposite terms. For each dtype and each sample set it prints, for
``stable_ops.logaddexp_jvp`` and ``jnp.logaddexp`` (both jitted), the maximum ULP
error, the pair where it occurs and the share of pairs over the budget (float32
0.51 ULP, float64 0.8). ULPs are against the correctly rounded result
(:func:`reference.ulp_error` with ``LOGADDEXP_PARTIALS[(0, 0)]``). Pairs whose
exact result is subnormal are counted apart (``subn``, their own maximum in the
last column): XLA on CPU flushes subnormal results to 0, which no kernel avoids.

Sample sets:

``curve+-3``
    :math:`x` uniform in :math:`(-\ln 2, 0)` and :math:`-e^{U(-30, \ln 0.69)}`,
    :math:`y = \operatorname{log1p}(-e^x)` (float64, rounded) moved by -3..3 ulps.
``depth+-K``
    :math:`x` as above and also in :math:`(-1.4, -\ln 2)`, :math:`y` the correctly
    rounded :math:`\log(-\operatorname{expm1}(x))` moved by exactly
    :math:`\pm K` ulps (:math:`K = 0, 1, 2, 5, 10, 50`): cancellation of every depth.
``offset``
    :math:`x` as for ``depth``, :math:`y` on the curve times :math:`1 \pm 2^{-U(5, 45)}`:
    moderate cancellation (float64: the double-double branch).
``boundary``
    pairs where :math:`z \approx c |\max|`, :math:`c \in \{-1/2, 1/2, 1, 2, \pm 2^{-5}, \pm 2^{-12}\}`
    (:math:`\pm 5\%`), :math:`\max \in (-1.45, -10^{-6})`: both sides of the edges of
    stable_ops' cancellation branch (:math:`|z| < 2|\max|` float64, :math:`2^{-12}|\max|` float32).
``tiny-m``
    :math:`x = -2^{-j}`, :math:`j \in [10, 1021]` (float32: 140), :math:`y` on the curve (+-2 ulps).
``random``
    uniform pairs in :math:`[-3, 1]^2`.
``mixed-few``, ``mixed-many``
    one call of 8192 pairs :math:`10\,N(0, 1)` with 10 or 1500 ``depth``-like pairs
    (-3..3 ulps) at random places: stable_ops evaluates its cancellation branch on
    the gathered rows that need it in the first, on the whole array in the second.

Each set (but ``mixed-*``) is evaluated in two calls, pairs with :math:`|z| < 2^{-41.5} |\max|` apart,
so that stable_ops' float64 double-double branch (taken by a whole call unless some
pair in it cancels that deeply) is measured on every shallower pair.
"""

import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUDGET = {"float32": 0.51, "float64": 0.8}


def _nudge(v, k):
    """``v`` moved by ``k`` ulps (integer bit offset; same sign)."""
    import numpy as np

    itype = np.int32 if v.dtype == np.float32 else np.int64
    bits = v.view(itype)
    return (bits + k.astype(itype)).view(v.dtype)


def samples(dtype, n, rng):
    import mpmath
    import numpy as np

    import reference

    dt = np.dtype(dtype)
    xs = np.concatenate([-rng.uniform(0, 0.6931, n), -np.exp(rng.uniform(-30, np.log(0.69), n))]).astype(dt)
    y = np.log1p(-np.exp(xs.astype(np.float64))).astype(dt)
    out = {"curve+-3": (xs, _nudge(y, rng.integers(-3, 4, y.size)))}

    xd = np.concatenate([-rng.uniform(0, 0.6931, n // 2), -np.exp(rng.uniform(-30, np.log(0.69), n // 2)),
                         -rng.uniform(0.6932, 1.4, n // 2)]).astype(dt)
    on = reference.correctly_rounded(lambda v: mpmath.log(-mpmath.expm1(v)), xd)
    for k in (0, 1, 2, 5, 10, 50):
        sign = rng.choice([-1, 1], on.size)
        out[f"depth+-{k}"] = (xd, _nudge(on, sign * k))

    # moderate depths: y off the curve by a relative 2^-5 .. 2^-45 (log-uniform)
    xo = xd.astype(np.float64)
    off = rng.choice([-1, 1], xo.size) * 2.0 ** -rng.uniform(5, 45, xo.size)
    out["offset"] = (xd, (on.astype(np.float64) * (1 + off)).astype(dt))

    # boundary: z = c |m| with c in {-1/2, 1/2, 1, 2, +-2^-5, +-2^-12} (times 1 +- 5%): e^n = e^z - e^m, n < m
    m = -np.exp(rng.uniform(np.log(1e-6), np.log(1.45), n))
    z = rng.choice([-0.5, 0.5, 1.0, 2.0, -2.0**-5, 2.0**-5, -2.0**-12, 2.0**-12], n) * np.abs(m) * rng.uniform(0.95, 1.05, n)
    en = np.exp(z) - np.exp(m)
    keep = en > 0
    bn = np.log(en[keep])
    bm = m[keep]
    ok = bn < bm
    out["boundary"] = (bm[ok].astype(dt), bn[ok].astype(dt))

    j = rng.uniform(10, 1021 if dt == np.float64 else 140, n)
    xt = (-(2.0 ** -j)).astype(dt)
    xt = xt[xt != 0]
    yt = reference.correctly_rounded(lambda v: mpmath.log(-mpmath.expm1(v)), xt)
    out["tiny-m"] = (xt, _nudge(yt, rng.integers(-2, 3, yt.size)))

    out["random"] = (rng.uniform(-3, 1, n).astype(dt), rng.uniform(-3, 1, n).astype(dt))

    # one call of 8192 pairs, 10 * N(0, 1) (as benchmarks/bench_ops.py), with curve pairs
    # at random places: few (the kernel's gathered branch) or many (its full branch)
    for label, k in (("mixed-few", 10), ("mixed-many", 1500)):
        xm, ym = (10 * rng.standard_normal((2, 8192))).astype(dt)
        at = rng.choice(8192, k, replace=False)
        pick = rng.choice(xd.size, k)
        xm[at], ym[at] = xd[pick], _nudge(on[pick], rng.integers(-3, 4, k))
        out[label] = (xm, ym)
    return out


def worker(dtype, n, seed):
    import jax

    if dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import numpy as np

    import reference
    import stable_ops
    from reference import functions as mp

    impls = {"stable_ops": jax.jit(stable_ops.logaddexp_jvp), "jnp": jax.jit(jnp.logaddexp)}
    budget = BUDGET[dtype]
    rng = np.random.default_rng(seed)
    print(f"{dtype} (budget {budget} ULP)")
    print(f"  {'set':<11} {'pairs':>6} {'subn':>4}  {'impl':<10} {'max ULP':>11}  {'> budget':>8}  "
          f"worst (x, y); max ULP on subnormal results")
    worst = {name: 0.0 for name in impls}
    tiny = np.finfo(dtype).tiny
    for label, (x, y) in samples(dtype, n, rng).items():
        exact = reference.correctly_rounded(mp.LOGADDEXP_PARTIALS[(0, 0)], x, y)
        subn = (exact != 0) & (np.abs(exact) < tiny)
        # evaluated in two calls, shallow and deep pairs apart: stable_ops' float64 kernel
        # switches the whole call to triple words when any pair has |z| < 2^-42 |max|,
        # so the double-double branch is measured on the shallow pairs
        deep = np.abs(exact.astype(np.float64)) < 2.0**-41.5 * np.abs(np.maximum(x, y).astype(np.float64))
        if label.startswith("mixed"):
            deep[:] = False  # one call
        for name, f in impls.items():
            got = np.empty_like(x)
            for part in (deep, ~deep):
                if part.any():
                    got[part] = np.asarray(f(x[part], y[part]))
            err = reference.ulp_error(got, mp.LOGADDEXP_PARTIALS[(0, 0)], x, y)
            normal = np.where(subn, 0.0, err)
            i = int(np.argmax(normal))
            worst[name] = max(worst[name], float(normal[i]))
            sub_max = f"{err[subn].max():.4g}" if subn.any() else "-"
            print(f"  {label:<11} {x.size:>6} {subn.sum():>4}  {name:<10} {normal[i]:>11.4g}  "
                  f"{np.mean(normal > budget):>8.2%}  ({x[i]!r}, {y[i]!r}); {sub_max}")
    print("  overall max (normal results): " + ", ".join(f"{k} {v:.4g}" for k, v in worst.items()), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dtype", nargs="?", choices=["float32", "float64"], help="one dtype (default: both)")
    parser.add_argument("--n", type=int, default=2000, help="pairs per sample set and source (default 2000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.dtype:
        sys.path.insert(0, ROOT)
        worker(args.dtype, args.n, args.seed)
        return
    for dtype in ("float32", "float64"):
        subprocess.run([sys.executable, os.path.abspath(__file__), dtype, "--n", str(args.n),
                        "--seed", str(args.seed)], check=True)


if __name__ == "__main__":
    main()
