"""``python -m properties`` / ``softplus-conformance-report``: the conformance report.

Default: the target's softplus variants and the peers (``jax.nn.softplus``, the
tutorial's naive versions, ``numpy.logaddexp(x, 0)``) on the report's inputs
(:mod:`properties.report.inputs`), float32 and float64, as a terminal table;
then every other registered op, the target's rules beside ``jax.nn`` / ``jnp``
and the XLA primitives (:mod:`properties.report.ops`).
``--exhaustive`` sweeps every float32 input instead (:mod:`properties.report.sweep`).

Examples::

    python -m properties                                  # report, both dtypes
    python -m properties --dtype float32 --format markdown > report.md
    python -m properties --plot ulp.png
    python -m properties --ops logaddexp,log1p              # softplus, then these ops
    python -m properties --exhaustive --impl target       # all 2^32 float32 inputs
    python -m properties --exhaustive --impl jax_nn --shard 3/8 --out part3.json
    python -m properties --merge part*.json
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from properties.target import TargetError, target_name_from_env

DTYPES = ("float32", "float64")
TUTORIAL_X = (-10.0, 0.0, 10.0, 80.0, 100.0)


def progress_bar(total: int, desc: str, *, unit: str = "step"):
    """A tqdm bar on stderr, or plain lines when tqdm is not installed."""
    try:
        from tqdm import tqdm
    except ImportError:
        return _PlainProgress(total, desc)
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False,
                dynamic_ncols=True)


class _PlainProgress:
    def __init__(self, total, desc):
        self.total, self.desc, self.n, self._last = total, desc, 0, 0.0

    def update(self, k=1):
        self.n += k
        now = time.monotonic()
        if now - self._last > 5 or self.n == self.total:
            print(f"{self.desc}: {self.n}/{self.total}", file=sys.stderr, flush=True)
            self._last = now

    def set_postfix_str(self, s):
        pass

    def close(self):
        pass


def _header(target: str, impls, dtypes, counts, scale) -> dict:
    import jax

    from properties.backend import flushes_subnormals
    from properties.report.measure import REFERENCE_METHOD

    device = jax.devices()[0]
    variants = [i.label for i in impls if i.role == "target"]
    head = {
        "target": f"{target} (variants: {', '.join(variants)})",
        "peers": ", ".join(i.label for i in impls if i.role == "peer") or "none",
        "jax": f"{jax.__version__}, backend {jax.default_backend()} ({device.device_kind})",
    }
    for dtype in dtypes:
        n = sum(counts[dtype].values())
        detail = ", ".join(f"{k} {v}" for k, v in counts[dtype].items())
        head[dtype] = (f"x64 {'on' if dtype == 'float64' else 'off'}; backend flushes "
                       f"subnormals: {'yes' if flushes_subnormals(dtype) else 'no'}; "
                       f"inputs {n} ({detail}; duplicates removed); "
                       f"reference: {REFERENCE_METHOD[dtype]}")
    if scale != 1.0:
        head["inputs scale"] = f"{scale:g} (--scale)"
    return head


def tutorial_table(impls, dtypes) -> dict:
    """First derivatives (reverse mode) at the tutorial's inputs, per dtype, and the exact value."""
    import reference

    from properties.backend import x64_for

    chosen = [i for i in impls if (1, "reverse") in i.derivatives]
    entries = []
    for dtype in dtypes:
        x = np.array(TUTORIAL_X, dtype)
        exact = reference.correctly_rounded(reference.functions.softplus_d1, x)
        with x64_for(dtype):
            got = [i(1, "reverse", x) for i in chosen]
        for k in range(x.size):
            entries.append({"dtype": dtype, "x": str(x[k]), "exact": str(exact[k]),
                            "values": [str(g[k]) for g in got]})
    return {"labels": [i.label for i in chosen], "entries": entries}


def build_report(*, target: str, peers: tuple[str, ...], dtypes: tuple[str, ...],
                 scale: float = 1.0, show_progress: bool = True,
                 ops: tuple[str, ...] | None = None):
    """Measure and return (report dict, measurements) for ``target`` and ``peers``:
    softplus, then each registered op of ``ops`` (default: every other one)."""
    from properties.report import inputs, measure
    from properties.report import ops as report_ops
    from properties.report.implementations import implementations
    from properties.report.render import LEGEND

    impls = implementations(target, peers)
    op_specs = report_ops.ops_to_report(target, ops)
    xs, counts = {}, {}
    for dtype in dtypes:
        xs[dtype], counts[dtype] = inputs.report_inputs(dtype, scale=scale)
    steps = sum(sum(1 for _ in i.derivatives) for i in impls) + 3 * len(impls)
    steps += sum(len(op.indices) * 3 for op in op_specs)  # reference + about two rules each
    bar = progress_bar(len(dtypes) * steps, "report") if show_progress else None

    def tick(step):
        if bar is not None:
            bar.set_postfix_str(step)
            bar.update()

    start = time.perf_counter()
    measurements = [measure.measure(xs[d], impls, progress=tick) for d in dtypes]
    tutorial = tutorial_table(impls, dtypes)
    op_rows = []
    for op in op_specs:
        op_impls = report_ops.op_implementations(op, target)
        for dtype in dtypes:
            op_rows += report_ops.measure_op(op, op_impls, dtype, scale=scale, progress=tick)
    if bar is not None:
        bar.close()
    report = {
        "header": _header(target, impls, dtypes, counts, scale),
        "rows": [r.to_json() for m in measurements for r in m.rows],
        "tutorial": tutorial,
        "op_rows": op_rows,
        "notes": LEGEND + [f"Measured in {time.perf_counter() - start:.1f} s."],
    }
    return report, measurements


def _shard(text: str) -> tuple[int, int]:
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard expects I/N (e.g. 3/8), got {text!r}") from None
    if not (n >= 1 and 0 <= i < n):
        raise argparse.ArgumentTypeError(f"--shard I/N needs 0 <= I < N, got {text!r}")
    return i, n


def parser() -> argparse.ArgumentParser:
    from properties.report.implementations import PEERS

    p = argparse.ArgumentParser(
        prog="softplus-conformance-report",
        description="Accuracy of softplus rules and their derivatives, then of every "
                    "registered op, in ULPs, against a correctly rounded reference.",
        epilog="Exhaustive: --exhaustive [--impl target|jax_nn|...] [--shard I/N --out F.json]; "
               "--merge F.json ... renders merged shards.")
    p.add_argument("--target", default=None,
                   help="module defining softplus_vjp/softplus_jvp (default: $CONFORMANCE_TARGET "
                        "or stable_ops)")
    p.add_argument("--peers", default=",".join(PEERS),
                   help=f"comma-separated peers to compare, from {','.join(PEERS)} "
                        "('' for none; default all)")
    p.add_argument("--dtype", choices=DTYPES, action="append",
                   help="float32 or float64 (repeatable; default both)")
    p.add_argument("--ops", default=None,
                   help="comma-separated registered ops to report after softplus "
                        "(default: every registered op; '' for softplus only)")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    p.add_argument("--plot", metavar="FILE.png", help="write ULP error against x (matplotlib)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiply the number of generated inputs (default 1)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    ex = p.add_argument_group("exhaustive float32 sweep")
    ex.add_argument("--exhaustive", action="store_true",
                    help="every float32 bit pattern (2^32) for value, d1, d2")
    ex.add_argument("--impl", default="target",
                    help="comma-separated: 'target' (its variants) and/or peers "
                         f"({','.join(p for p in PEERS if PEERS[p])}); default target")
    ex.add_argument("--variant", choices=("vjp", "jvp"), action="append",
                    help="only this variant of the target (repeatable)")
    ex.add_argument("--mode", choices=("reverse", "all"), default="reverse",
                    help="derivative modes: 'reverse' (value, rev, rev-rev: default) or 'all'")
    ex.add_argument("--shard", type=_shard, metavar="I/N", help="run part I of N (0-based)")
    ex.add_argument("--chunk-bits", type=int, default=22,
                    help="chunk of 2^K inputs held in memory (default 22)")
    ex.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    ex.add_argument("--out", metavar="FILE.json", help="write the partial result (for --merge)")
    ex.add_argument("--merge", nargs="+", metavar="FILE.json",
                    help="merge partial results from --out into one report")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from properties.report import render

    try:
        if args.merge or args.exhaustive:
            from properties.report import sweep
            return sweep.main(args)
        target = target_name_from_env(args.target)
        peers = tuple(p for p in args.peers.split(",") if p)
        dtypes = tuple(dict.fromkeys(args.dtype or DTYPES))
        ops = None if args.ops is None else tuple(o for o in args.ops.split(",") if o)
        report, measurements = build_report(target=target, peers=peers, dtypes=dtypes,
                                            scale=args.scale, ops=ops,
                                            show_progress=not args.no_progress)
    except (TargetError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(render.FORMATS[args.format](report))
    if args.plot:
        roles = {r["implementation"]: r["role"] for r in report["rows"]}
        render.plot(measurements, args.plot, roles=roles,
                    title=f"softplus ULP error: {report['header']['target']}")
        print(f"plot written to {args.plot}", file=sys.stderr)
    return 0
