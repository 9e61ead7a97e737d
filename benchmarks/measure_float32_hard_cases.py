r"""Every float32 input at which a float32 kernel of ``stable_ops`` is not correctly rounded.

    python benchmarks/measure_float32_hard_cases.py              # ~3 min CPU, 4 kernels
    python benchmarks/measure_float32_hard_cases.py --table      # also print the exception table

The float32 kernels (:mod:`stable_ops._kernels`: softplus, sigma, sigma', sigma'')
evaluate in float64 and round once. A result can round the wrong way only where the
float64 value :math:`y` and the exact value lie on opposite sides of a float32
rounding midpoint, so :math:`y` is within the kernel's float64 error
(measured below, about :math:`2^{-26}` float32 ULP) of a midpoint. This script walks all
:math:`2^{32}` bit patterns in chunks, evaluates each kernel's *unrounded* float64
value (the same jitted function the kernel rounds, with its own widening), keeps
the inputs whose :math:`y` is within :data:`CANDIDATE_ULP` of a midpoint
(about :math:`2^{-19}` of all inputs), and judges the kernel's float32 output there
against :func:`reference.correctly_rounded` (mpmath, certified).

That the candidate window is wide enough is checked, not assumed: the largest
distance :math:`|y - \text{exact}|` seen on the candidates, in float32 ULP, is
printed and must stay far below :data:`CANDIDATE_ULP` (the script fails if it
exceeds a quarter of it).

It prints, per kernel, the misses of the float64 value rounded once (``float64
misses``: what :mod:`stable_ops._exceptions` must list, printed by ``--table``) and
of the kernel itself, which corrects them (``kernel misses``: 0 is the goal). sigma's
unrounded value is :func:`stable_ops._kernels.sigmoid_narrow`, which already corrects its
78 (``verify_sigmoid_near_zero.py``); the plain evaluation's are in the table.
"""

import argparse
import sys
import time

import numpy as np


CANDIDATE_ULP = 2.0 ** -19
CHUNK_BITS = 24


def _kernels():
    import jax
    from stable_ops import _kernels as K
    unrounded = {
        "softplus": lambda x: K.softplus_narrow(K._widen_plain(x)),
        "sigmoid": lambda x: K.sigmoid_narrow(K._widen_plain(x)),
        "sigmoid_d1": lambda x: K.sigmoid_d1_narrow(K._widen_plain(x)),
        "sigmoid_d2": lambda x: K.sigmoid_d2_narrow(K._widen(x)),
    }
    rounded = {name: jax.jit(getattr(K, name)) for name in unrounded}
    return {name: jax.jit(f) for name, f in unrounded.items()}, rounded


def _exact():
    from reference import functions as F
    return {"softplus": F.softplus, "sigmoid": F.sigmoid, "sigmoid_d1": F.sigmoid_d1,
            "sigmoid_d2": F.sigmoid_d2}


def midpoint_distance(y: np.ndarray) -> np.ndarray:
    """|y - nearest float32 rounding midpoint| in float32 ULP of y's binade (float64 y,
    float32-normal range; inf elsewhere)."""
    bits = np.abs(y).view(np.uint64)
    low = (bits & np.uint64((1 << 29) - 1)).astype(np.int64)
    dist = np.abs(low - (1 << 28)) * 2.0 ** -29
    a = np.abs(y)
    dist[~((a >= 2.0 ** -126) & (a < 2.0 ** 128))] = np.inf
    return dist


def candidates(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.flatnonzero(midpoint_distance(y) <= CANDIDATE_ULP)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--table", action="store_true", help="print the exception table (Python)")
    p.add_argument("--kernels", default="softplus,sigmoid,sigmoid_d1,sigmoid_d2")
    p.add_argument("--chunks", type=int, default=None, help="only N chunks (a trial)")
    p.add_argument("--first", type=int, default=0, help="start at chunk FIRST (of 256)")
    args = p.parse_args(argv)
    import jax
    from reference import correctly_rounded
    names = args.kernels.split(",")
    unrounded, rounded = _kernels()
    exact = _exact()
    found = {n: [] for n in names}
    kernel_misses = {n: 0 for n in names}
    worst_err = {n: 0.0 for n in names}
    n_cand = {n: 0 for n in names}
    n_chunks = (1 << 32) >> CHUNK_BITS
    chunks = range(args.first, min(n_chunks, args.first + (args.chunks or n_chunks)))
    start = time.process_time()
    for k in chunks:
        bits = np.arange(k << CHUNK_BITS, (k + 1) << CHUNK_BITS, dtype=np.uint64).astype(np.uint32)
        x = bits.view(np.float32)
        x = x[~np.isnan(x)]
        for n in names:
            with jax.enable_x64(True):
                y = np.asarray(unrounded[n](x))
            idx = candidates(x, y)
            if not idx.size:
                continue
            xc = x[idx]
            got = np.asarray(rounded[n](xc))
            want = correctly_rounded(exact[n], xc, dtype=np.float32)
            n_cand[n] += idx.size
            # the kernel's float64 error on the candidates, in float32 ULP of y's binade
            want64 = correctly_rounded(exact[n], xc, dtype=np.float64)
            ulp = 2.0 ** (np.floor(np.log2(np.abs(y[idx]))) - 23)
            worst_err[n] = max(worst_err[n], float(np.max(np.abs(y[idx] - want64) / ulp)))
            kernel_misses[n] += int(np.count_nonzero(got != want))
            raw = y[idx].astype(np.float32)
            bad = np.flatnonzero(raw != want)
            found[n] += [(int(xc[i].view(np.uint32)), float(raw[i]), float(want[i])) for i in bad]
        if k % 32 == 31:
            print(f"  chunk {k + 1}/{n_chunks}, {time.process_time() - start:.0f} s CPU",
                  file=sys.stderr, flush=True)
    print(f"float32 inputs: {len(chunks) << CHUNK_BITS} bit patterns (nans skipped); "
          f"CPU {time.process_time() - start:.0f} s")
    print(f"{'kernel':<12} {'candidates':>10} {'max |y-exact| (ulp32)':>22} {'float64 misses':>15} "
          f"{'kernel misses':>14}")
    ok = True
    for n in names:
        print(f"{n:<12} {n_cand[n]:>10} {worst_err[n]:>22.3g} {len(found[n]):>15} "
              f"{kernel_misses[n]:>14}")
        ok &= worst_err[n] < CANDIDATE_ULP / 4
    if args.table:
        for n in names:
            print(f"# {n}: {len(found[n])} inputs (bits, correctly rounded float32)")
            print(f"{n.upper()} = (")
            for b, _, w in sorted(found[n]):
                print(f"    (0x{b:08x}, {float(np.float32(w))!r}),")
            print(")")
    if not ok:
        sys.exit("the float64 error reached a quarter of the candidate window (widen it)")


if __name__ == "__main__":
    main()
