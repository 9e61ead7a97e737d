"""Where the programs properties (properties/tests/test_programs.py) spend their time.

For each property, rule and dtype: the CPU seconds to trace and lower (``lower``), to
compile (``compile``) and to run once (``run``) the one jitted call of all its
programs, with no persistent compilation cache, and those of the one call of every
untransformed derivative shared by the properties (``baselines``; ``--unshared``:
each property compiles its own, in its call, as before they were shared). ``--each`` also times every program
alone (traced with its untransformed derivatives), to find the one that costs.

    python benchmarks/profile_programs.py [--op logaddexp] [--prop "control flow"]
                                          [--dtype float64] [--each] [--unshared]

A machine shared with other jobs gives loaded figures: repeat and take the minimum.
"""

import argparse
import time

import jax

from properties import backend, programs
from properties.ops import OPS
from properties.target import load_target


def _timed(fn):
    """``fn()`` and the CPU seconds of this process it took (all threads: XLA
    compiles on several; less sensitive to other jobs than wall time)."""
    start = time.process_time()
    out = fn()
    return out, time.process_time() - start


def _unshared(rule, found):
    """The programs and their own untransformed derivatives in one call, as before
    the derivatives were shared between properties (``--unshared``)."""
    keys = programs._baselines(found)
    return jax.jit(lambda *a: ({p.name: p.build(rule)(*a) for p in found},
                               {k: programs._array(rule, *k)(*a) for k in keys}))


def profile(rule, found, args, jitted=None):
    """(lower, compile, run) seconds of ``found``'s one jitted call on ``args``."""
    jitted = jitted or programs.compiled(rule, found)
    lowered, t_lower = _timed(lambda: jitted.lower(*args))
    exe, t_compile = _timed(lowered.compile)
    _, t_run = _timed(lambda: jax.block_until_ready(exe(*args)))
    return t_lower, t_compile, t_run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="stable_ops")
    parser.add_argument("--op", action="append")
    parser.add_argument("--prop", action="append")
    parser.add_argument("--dtype", action="append")
    parser.add_argument("--variant", action="append")
    parser.add_argument("--each", action="store_true")
    parser.add_argument("--unshared", action="store_true",
                        help="each property compiles its own untransformed derivatives")
    ns = parser.parse_args()
    jax.config.update("jax_enable_compilation_cache", False)
    target = load_target(ns.target)
    total = 0.0
    for dtype in ns.dtype or ("float32", "float64"):
        with backend.x64_for(dtype):
            for name in ns.op or [n for n in OPS if target.variants(n) and OPS[n].orders != (0,)]:
                op = OPS[name]
                for variant, rule in target.variants(name).items():
                    if ns.variant and variant not in ns.variant:
                        continue
                    args = programs.padded(programs.special_inputs(op, dtype))
                    if not ns.unshared:
                        t = profile(rule, None, args,
                                    programs.compiled_baselines(rule, op.arity, variant == "jvp"))
                        total += sum(t)
                        print(f"{'baselines':13s} {name}_{variant:3s} {dtype} lower {t[0]:6.2f} s "
                              f"compile {t[1]:6.2f} s run {t[2]:5.2f} s", flush=True)
                    for prop in ns.prop or programs.PROPERTIES:
                        found = programs.programs_for(prop, arity=op.arity, forward=variant == "jvp")
                        if not found:
                            continue
                        t = profile(rule, found, args,
                                    _unshared(rule, found) if ns.unshared else None)
                        total += sum(t)
                        print(f"{prop:13s} {name}_{variant:3s} {dtype} n={args[0].size:4d} "
                              f"programs={len(found):2d} lower {t[0]:6.2f} s compile {t[1]:6.2f} s "
                              f"run {t[2]:5.2f} s", flush=True)
                        if ns.each:
                            for p in found:
                                t = profile(rule, (p,), args)
                                print(f"    {p.name:70s} lower {t[0]:5.2f} compile {t[1]:6.2f} "
                                      f"run {t[2]:5.2f}", flush=True)
    print(f"total {total:.1f} s")


if __name__ == "__main__":
    main()
