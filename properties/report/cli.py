"""``python -m properties`` / ``softplus-conformance-report``: the conformance report.

Default: softplus, then every other registered op, each in float32 and float64:
the target's rules beside the peers' (:mod:`properties.report.implementations`:
``jax.nn`` / ``jnp``, the XLA primitives, the tutorial's naive softplus,
``numpy.logaddexp(x, 0)``), on the report's inputs (:mod:`properties.report.inputs`),
as terminal tables. ``--dtype float16,bfloat16`` reports the 16-bit formats on
every input (softplus, sigmoid, log_sigmoid and logaddexp unless ``--ops`` says;
minutes, so not in the default report). ``--exhaustive`` sweeps every float32
input instead (:mod:`properties.sweep`), for the ops with a fast certified
reference (softplus, sigmoid, log_sigmoid); ``--merge`` combines the parts of a
sharded sweep.

Examples::

    python -m properties                                  # report, both dtypes
    python -m properties --dtype float32 --format markdown > report.md
    python -m properties --dtype float16,bfloat16         # every 16-bit input (~5 min)
    python -m properties --plot ulp.png
    python -m properties --ops logaddexp,log1p              # softplus, then these ops
    python -m properties --exhaustive --impl target       # all 2^32 float32 inputs
    python -m properties --exhaustive --impl jax_nn --shard 3/8 --out part3.json
    python -m properties --merge part*.json
    python -m properties --ops jax --format markdown     # audit JAX's own rules (minutes)
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

from properties.ops import OPS
from properties.target import TargetError, target_name_from_env

#: The default report's dtypes; the 16-bit formats (every input, minutes) on request.
DEFAULT_DTYPES = ("float32", "float64")
DTYPES_16BIT = ("float16", "bfloat16")
DTYPES = DEFAULT_DTYPES + DTYPES_16BIT
#: The ops of a report of 16-bit formats only, unless --ops names others: ours.
OPS_16BIT = ("softplus", "sigmoid", "log_sigmoid", "logaddexp")
#: The op the report starts with (and the tutorial's comparison and the plot are about).
FIRST = "softplus"


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


def _header(target: str, peers: tuple[str, ...], dtypes, measurements, scale) -> dict:
    from properties.backend import describe, flushes_subnormals
    from properties.report.implementations import peer_modules
    from properties.report.measure import REFERENCES, reference_kind
    from properties.target import does_not_return

    head = {"target": target, "peers": ", ".join(peer_modules(peers)) or "none",
            "jax": describe().removeprefix("jax ")}
    hanging = [f"{module}.{name}" for module in [target, *peer_modules(peers)]
               for name in sorted(does_not_return(importlib.import_module(module)))]
    if hanging:
        head["not called"] = f"{', '.join(hanging)}: declared not to return (DOES_NOT_RETURN)"
    for dtype in dtypes:
        fast = [m.op for m in measurements
                if m.dtype == dtype and reference_kind(OPS[m.op], dtype) == "fast"]
        refs = (f"{', '.join(fast)}: {REFERENCES['fast']}; others: " if fast else "")
        head[dtype] = (f"x64 {'on' if dtype == 'float64' else 'off'}; backend flushes "
                       f"subnormals: {'yes' if flushes_subnormals(dtype) else 'no'}; "
                       f"reference: {refs}{REFERENCES['mpmath']}")
    head["inputs"] = ("seeded, per regime (properties.report.inputs); each table gives its "
                      "count, then each regime's before duplicates were removed")
    if scale != 1.0:
        head["inputs scale"] = f"{scale:g} (--scale)"
    return head


def build_report(*, target: str, peers: tuple[str, ...], dtypes: tuple[str, ...],
                 scale: float = 1.0, show_progress: bool = True,
                 ops: tuple[str, ...] | None = None):
    """Measure and return (report dict, measurements) for ``target`` and ``peers``:
    softplus, then each registered op of ``ops`` (default: every other one)."""
    from properties.report import inputs, measure
    from properties.report.implementations import implementations
    from properties.report.render import LEGEND

    specs = ops_to_report(ops)
    impls = {op.name: implementations(op.name, target, peers) for op in specs}
    steps = sum(len(i.derivatives) for op in specs for i in impls[op.name]) * len(dtypes)
    bar = progress_bar(steps, "report") if show_progress else None

    def tick(step):
        if bar is not None:
            bar.set_postfix_str(step)
            bar.update()

    start = time.perf_counter()
    measurements = [measure.measure(op, impls[op.name], *inputs.for_op(op, dtype, scale=scale),
                                    progress=tick)
                    for op in specs if impls[op.name] for dtype in dtypes]
    first = specs[0]
    tutorial = (measure.tutorial_table(first, impls[first.name], dtypes)
                if first.arity == 1 and 1 in first.orders else None)
    if bar is not None:
        bar.close()
    report = {
        "header": _header(target, peers, dtypes, measurements, scale),
        "rows": [r.to_json() for m in measurements for r in m.rows],
        "inputs": {f"{m.op} {m.dtype}": m.counts for m in measurements},
        "tutorial": tutorial,
        "notes": LEGEND + [f"Measured in {time.perf_counter() - start:.1f} s."],
    }
    return report, measurements


def ops_to_report(only: tuple[str, ...] | None = None) -> list:
    """softplus, then every other registered op, or ``only`` of them."""
    names = [n for n in OPS if n != FIRST] if only is None else [n for n in only if n != FIRST]
    unknown = [n for n in names if n not in OPS]
    if unknown:
        raise ValueError(f"--ops: unknown op {unknown[0]!r}; registered: {', '.join(OPS)}")
    return [OPS[n] for n in [FIRST] + names]


def _dtypes(text: str) -> list[str]:
    chosen = [d for d in text.split(",") if d]
    unknown = [d for d in chosen if d not in DTYPES]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"--dtype: {', '.join(unknown) or repr(text)} not one of {', '.join(DTYPES)}")
    return chosen


def _ops_for(args, dtypes) -> tuple[str, ...] | None:
    if args.ops is not None:
        return tuple(o for o in args.ops.split(",") if o)
    return OPS_16BIT if all(d in DTYPES_16BIT for d in dtypes) else None


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
    p.add_argument("--dtype", type=_dtypes, action="extend",
                   help="float32, float64, float16, bfloat16 (comma-separated or repeated; "
                        "default float32,float64). The 16-bit formats take every input "
                        "(minutes: about 1 s per 10^4 inputs and op) and, without --ops, "
                        "report softplus, sigmoid, log_sigmoid and logaddexp")
    p.add_argument("--ops", default=None,
                   help="comma-separated registered ops to report after softplus "
                        "(default: every registered op; '' for softplus only; with "
                        "--exhaustive, of softplus, sigmoid, log_sigmoid); 'jax' audits "
                        "JAX's own hand-written rules (properties.audit_ops), 'jax:erfcx,logit' "
                        "some of them")
    p.add_argument("--verify-repros", action="store_true",
                   help="with --ops jax: run each finding's reproduction line and mark it")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    p.add_argument("--plot", metavar="FILE.png", help="write ULP error against x (matplotlib)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiply the number of generated inputs (default 1)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    ex = p.add_argument_group("exhaustive float32 sweep")
    ex.add_argument("--exhaustive", action="store_true",
                    help="every float32 bit pattern (2^32) for value, d1, d2")
    ex.add_argument("--impl", default="target",
                    help=f"comma-separated: 'target' (its variants) and/or peers ({','.join(PEERS)}); "
                         "default target")
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


KIND = "softplus-exhaustive-float32-part"


def _sweep_implementations(args) -> list:
    """The implementations ``--impl`` / ``--variant`` choose, of every op with a fast
    float32 reference (:data:`properties.fastref.FLOAT32`), or of softplus and those of
    them that ``--ops`` names."""
    from properties import fastref
    from properties.report.implementations import of_module, peer_modules

    chosen = [s for s in args.impl.split(",") if s]
    modules = peer_modules(tuple(c for c in chosen if c != "target"))
    target = target_name_from_env(args.target) if "target" in chosen else None
    impls = []
    ops = list(fastref.FLOAT32)
    if args.ops is not None:
        named = {o for o in args.ops.split(",") if o}
        unknown = sorted(named - set(ops))
        if unknown:
            raise ValueError(f"--exhaustive: no fast float32 reference for {unknown} "
                             f"(properties.fastref.FLOAT32 has {ops})")
        ops = [o for o in ops if o == "softplus" or o in named]
    for op in ops:
        if target:
            impls += [i for i in of_module(target, op, "target")
                      if not args.variant or i.variant in args.variant]
        impls += [i for m in modules for i in of_module(m, op, "peer")]
    if not impls:
        raise ValueError("nothing to sweep: no implementation selected")
    return impls


def _sweep_report(impls, result, *, chunk_bits: int, elapsed: float, parts: int = 1) -> dict:
    from properties import fastref, sweep
    from properties.backend import describe
    from properties.evaluate import derivative_label
    from properties.report.measure import Row
    from properties.report.render import LEGEND

    by_label = {i.label: i for i in impls}
    coverage = ("all 2^32 float32 bit patterns" if result.inputs == sweep.N_PATTERNS else
                f"{result.inputs} of 2^32 bit patterns ({len(set(result.pairs))} of "
                f"{sweep.chunk_pairs(chunk_bits)} chunk pairs)")
    header = {
        "sweep": f"exhaustive float32: {coverage}",
        "implementations": ", ".join(by_label),
        "jax": f"{describe().removeprefix('jax ')}; x64 off",
        "reference": (f"float64 NumPy evaluation, certified (relative bound "
                      f"{fastref.REL_BOUND:.3g} = 2^-48; sigmoid d2 2^-47); recomputed with "
                      f"reference.correctly_rounded: value {result.recomputed[0]}, "
                      f"d1 {result.recomputed[1]}, d2 {result.recomputed[2]}"),
        "time": (f"{elapsed:.1f} s wall" + (f" ({parts} parts summed)" if parts > 1 else "")
                 + f", {result.cpu_s:.1f} s CPU in the sweeping processes"),
    }
    rows = [Row(by_label[label].op, label, by_label[label].role, "float32",
                derivative_label(order, "").strip(), (mode,), s).to_json()
            for (label, order, mode), s in result.stats.items()]
    return {"header": header, "rows": rows, "tutorial": None, "notes": LEGEND}


def _merge_parts(paths: list[str]):
    """Read parts written with ``--out``; check they belong together and do not overlap."""
    import json

    from properties.evaluate import Implementation
    from properties.sweep import Sweep

    first, total, elapsed = None, Sweep(), 0.0
    for path in paths:
        with open(path) as f:
            d = json.load(f)
        if d.get("kind") != KIND:
            raise ValueError(f"--merge: {path} is not a partial sweep result (kind {d.get('kind')!r})")
        what = {k: d[k] for k in ("implementations", "modes", "chunk_bits")}
        if first is not None and what != first:
            raise ValueError(f"--merge: {path} swept {what}, the parts before it {first}")
        first = first or what
        try:
            total.merge(Sweep.from_json(d["result"]))
        except ValueError:
            raise ValueError(f"--merge: {path} overlaps the parts before it") from None
        elapsed += d["elapsed_s"]
    impls = [Implementation(**i) for i in first["implementations"]]
    return impls, total, first["chunk_bits"], elapsed


def _exhaustive(args) -> dict:
    """The ``--exhaustive`` branch: sweep, write the part if asked, and report."""
    import dataclasses
    import json

    from properties import sweep

    impls = _sweep_implementations(args)
    pairs = sweep.shard_pairs(args.shard, args.chunk_bits)
    bar = progress_bar(len(pairs), "exhaustive", unit="chunk") if not args.no_progress else None
    start = time.perf_counter()
    result = sweep.run(impls, pairs=pairs, chunk_bits=args.chunk_bits, modes=args.mode,
                       workers=args.workers, progress=bar.update if bar else lambda: None)
    elapsed = time.perf_counter() - start
    if bar is not None:
        bar.close()
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"kind": KIND, "implementations": [dataclasses.asdict(i) for i in impls],
                       "modes": args.mode, "chunk_bits": args.chunk_bits,
                       "shard": list(args.shard) if args.shard else None, "elapsed_s": elapsed,
                       "result": result.to_json()}, f)
        print(f"partial result written to {args.out}", file=sys.stderr)
    return _sweep_report(impls, result, chunk_bits=args.chunk_bits, elapsed=elapsed)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from properties.report import render

    if (args.merge or args.exhaustive) and args.plot:
        print("note: --plot draws the sampled report; it is ignored with --exhaustive/--merge "
              "(the parts keep the worst ULP per binade in their JSON)", file=sys.stderr)
    measurements = []
    try:
        if args.merge:
            impls, result, chunk_bits, elapsed = _merge_parts(args.merge)
            report = _sweep_report(impls, result, chunk_bits=chunk_bits, elapsed=elapsed,
                                   parts=len(args.merge))
        elif args.exhaustive:
            report = _exhaustive(args)
        elif args.ops is not None and args.ops.split(":")[0] == "jax":
            from properties.report import audit
            chosen = args.ops.partition(":")[2]
            report, measurements = audit.build_audit(
                dtypes=tuple(dict.fromkeys(args.dtype or DEFAULT_DTYPES)),
                ops=tuple(o for o in chosen.split(",") if o) or None,
                scale=args.scale if args.scale != 1.0 else audit.SCALE, header=_header,
                progress_bar=None if args.no_progress else progress_bar,
                verify_repros=args.verify_repros)
        else:
            dtypes = tuple(dict.fromkeys(args.dtype or DEFAULT_DTYPES))
            report, measurements = build_report(
                target=target_name_from_env(args.target),
                peers=tuple(p for p in args.peers.split(",") if p),
                dtypes=dtypes, ops=_ops_for(args, dtypes),
                scale=args.scale, show_progress=not args.no_progress)
    except (TargetError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(render.FORMATS[args.format](report))
    if args.plot and measurements:
        roles = {r["implementation"]: r["role"] for r in report["rows"]}
        first = measurements[0].op
        render.plot([m for m in measurements if m.op == first and len(m.inputs) == 1],
                    args.plot, roles=roles,
                    title=f"{first} ULP error: {report['header']['target']}")
        print(f"plot written to {args.plot}", file=sys.stderr)
    return 0
