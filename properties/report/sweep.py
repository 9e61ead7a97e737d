"""Every float32 input: values and derivatives against the certified fast reference.

The 2^32 bit patterns are walked as *chunk pairs*: magnitudes ``[k C, (k+1) C)``
(C = 2^chunk_bits patterns) with sign bit 0 and the same with sign bit 1, so the
reference's ``exp(-|x|)``, ``log1p`` and ``1/(1+e)`` are computed once for both
(:mod:`properties.report.fastref`). Memory is bounded by the chunk, whatever
the shard: a few float64 arrays of C elements.

``--shard I/N`` takes chunk pairs ``[I K / N, (I+1) K / N)`` of the ``K = 2^31 / C``;
``--out`` writes the partial statistics as JSON, and ``--merge`` combines any
set of parts (checking that they fit together) into one report. Besides the
statistics, each part keeps the worst ULP error per (sign, binary exponent) of
x -- 512 bins -- for a picture of where the errors are.

Cost: a few seconds per chunk pair on one core; ``--workers 2`` runs chunk pairs
in two processes.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sys
import time

import numpy as np

from properties.report import fastref
from properties.report.stats import Stats

N_PATTERNS = 2 ** 32
N_MAGNITUDES = 2 ** 31
SIGN_BIT = np.uint32(0x8000_0000)
KIND = "softplus-exhaustive-float32-part"


@dataclasses.dataclass(frozen=True)
class Spec:
    """What to sweep, in a form that crosses process boundaries (names, not functions).

    - ``target``: the target module, or None; ``variants``: its variants to sweep
      (empty: all it defines);
    - ``peers``: peer names from :data:`properties.report.implementations.PEERS`;
    - ``modes``: ``"reverse"`` (value, rev, rev-rev) or ``"all"``.
    """

    target: str | None
    variants: tuple[str, ...] = ()
    peers: tuple[str, ...] = ()
    modes: str = "reverse"

    def implementations(self):
        from properties.report.implementations import PEERS, implementations, target_implementations

        impls = []
        if self.target:
            impls += target_implementations(self.target)
            if self.variants:
                impls = [i for i in impls if any(i.label.endswith(f"_{v}") for v in self.variants)]
        for peer in self.peers:
            if PEERS.get(peer) is None:
                raise ValueError(f"--impl: {peer!r} is not a JAX peer; choose from "
                                 + ", ".join(p for p, m in PEERS.items() if m))
            impls += [i for i in implementations(PEERS[peer], peers=()) if i.jax]
        if not impls:
            raise ValueError("nothing to sweep: no implementation selected")
        return impls

    def keys(self) -> list[tuple[str, int, str]]:
        keep = (lambda mode: "forward" not in mode) if self.modes == "reverse" else (lambda m: True)
        return [(i.label, order, mode) for i in self.implementations()
                for order, mode in i.derivatives if keep(mode)]


def chunk_pairs(chunk_bits: int) -> int:
    if not 4 <= chunk_bits <= 26:
        raise ValueError(f"--chunk-bits must be in [4, 26], got {chunk_bits}")
    return N_MAGNITUDES >> chunk_bits


def shard_pairs(shard: tuple[int, int] | None, chunk_bits: int) -> range:
    """The chunk pairs of shard ``(i, n)`` (all of them for None)."""
    k = chunk_pairs(chunk_bits)
    if shard is None:
        return range(k)
    i, n = shard
    if n > k:
        raise ValueError(f"--shard {i}/{n}: at most {k} shards with --chunk-bits {chunk_bits}")
    return range(i * k // n, (i + 1) * k // n)


def _key_text(key) -> str:
    label, order, mode = key
    return f"{label}|{order}|{mode}"


def _key_parse(text: str):
    label, order, mode = text.rsplit("|", 2)
    return label, int(order), mode


class Accumulator:
    """Statistics and per-binade maxima per (label, order, mode), plus reference counts."""

    def __init__(self, keys):
        self.stats = {k: Stats() for k in keys}
        self.bins = {k: np.full(512, -np.inf) for k in keys}
        self.recomputed = [0, 0, 0]
        self.inputs = 0
        self.cpu_s = 0.0
        self.pairs: list[int] = []

    def merge(self, other: "Accumulator") -> "Accumulator":
        for k, s in other.stats.items():
            self.stats.setdefault(k, Stats()).merge(s)
            self.bins.setdefault(k, np.full(512, -np.inf))
            np.maximum(self.bins[k], other.bins[k], out=self.bins[k])
        self.recomputed = [a + b for a, b in zip(self.recomputed, other.recomputed)]
        self.inputs += other.inputs
        self.cpu_s += other.cpu_s
        self.pairs += other.pairs
        return self

    def to_json(self) -> dict:
        def fl(v):
            return v if math.isfinite(v) else repr(float(v))
        return {"stats": {_key_text(k): s.to_json() for k, s in self.stats.items()},
                "bins": {_key_text(k): [fl(float(v)) for v in b] for k, b in self.bins.items()},
                "recomputed": self.recomputed, "inputs": self.inputs, "cpu_s": self.cpu_s,
                "pairs": sorted(self.pairs)}

    @classmethod
    def from_json(cls, d: dict) -> "Accumulator":
        acc = cls([])
        acc.stats = {_key_parse(k): Stats.from_json(v) for k, v in d["stats"].items()}
        acc.bins = {_key_parse(k): np.array([float(v) for v in b]) for k, b in d["bins"].items()}
        acc.recomputed, acc.inputs, acc.pairs = list(d["recomputed"]), d["inputs"], list(d["pairs"])
        acc.cpu_s = d.get("cpu_s", 0.0)
        return acc


def sweep_pair(impls, keys, lo: int, hi: int, acc: Accumulator) -> None:
    """Magnitude bit patterns ``[lo, hi)`` with both signs, into ``acc``."""
    from properties.evaluate import evaluate

    bits = np.arange(lo, hi, dtype=np.uint32)
    halves = (bits.view(np.float32), (bits | SIGN_BIT).view(np.float32))
    with np.errstate(invalid="ignore"):
        a = halves[0].astype(np.float64)
    p = fastref.parts(a, exp_is_zero=bool(a[0] >= 1024.0))
    by_label = {i.label: i for i in impls}
    bin_of = [(lo >> 23), 256 + (lo >> 23)]  # chunk within one binade when chunk_bits <= 23
    for order in (0, 1, 2):
        order_keys = [k for k in keys if k[1] == order]
        for negative, x in enumerate(halves):
            with np.errstate(invalid="ignore", over="ignore"):
                y = fastref.assemble(p, order, bool(negative))
                ref = fastref.certify(x, y, order)
            acc.recomputed[order] += ref.recomputed
            subnormal = ref.subnormal()
            for key in order_keys:
                label, _, mode = key
                fn = by_label[label].fn
                actual = evaluate(fn, order, mode, x)
                ulps = fastref.ulp_errors(actual, ref)
                s = Stats.of(x=x, actual=actual, rounded=ref.rounded, ulps=ulps,
                             subnormal=subnormal)
                acc.stats[key].merge(s)
                if hi - lo <= (1 << 23):
                    b = acc.bins[key]
                    b[bin_of[negative]] = max(b[bin_of[negative]], s.max_ulp)
    acc.inputs += 2 * (hi - lo)


def _run_pairs(spec: Spec, pairs: list[int], chunk_bits: int, progress: bool) -> Accumulator:
    """Sweep the given chunk pairs in this process (float32: x64 stays off)."""
    import jax

    jax.config.update("jax_enable_x64", False)
    impls = spec.implementations()
    keys = spec.keys()
    acc = Accumulator(keys)
    cpu_start = time.process_time()
    size = 1 << chunk_bits
    bar = None
    if progress:
        from properties.report.cli import progress_bar
        bar = progress_bar(len(pairs), "exhaustive", unit="chunk")
    for k in pairs:
        sweep_pair(impls, keys, k * size, (k + 1) * size, acc)
        acc.pairs.append(k)
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    acc.cpu_s += time.process_time() - cpu_start
    return acc


def _worker(args):
    spec, pairs, chunk_bits = args
    return _run_pairs(spec, pairs, chunk_bits, progress=False).to_json()


def run(spec: Spec, *, shard=None, chunk_bits: int = 22, workers: int = 1,
        progress: bool = True) -> tuple[Accumulator, float]:
    """Sweep a shard (all of it by default); returns the statistics and the wall time."""
    pairs = list(shard_pairs(shard, chunk_bits))
    start = time.perf_counter()
    if workers <= 1:
        acc = _run_pairs(spec, pairs, chunk_bits, progress)
    else:
        import multiprocessing as mp

        ctx = mp.get_context("spawn")  # JAX is not fork-safe
        batches = [(spec, pairs[w::workers], chunk_bits) for w in range(workers)]
        batches = [b for b in batches if b[1]]
        with ctx.Pool(len(batches)) as pool:
            parts = pool.map(_worker, batches, chunksize=1)
        acc = Accumulator(spec.keys())
        for part in parts:
            acc.merge(Accumulator.from_json(part))
    return acc, time.perf_counter() - start


def _header(spec: Spec, acc: Accumulator, chunk_bits: int, elapsed: float, parts: int) -> dict:
    import jax

    device = jax.devices()[0]
    total = chunk_pairs(chunk_bits)
    coverage = ("all 2^32 float32 bit patterns" if acc.inputs == N_PATTERNS
                else f"{acc.inputs} of 2^32 bit patterns ({len(set(acc.pairs))} of {total} chunk pairs)")
    return {
        "sweep": f"exhaustive float32: {coverage}",
        "implementations": ", ".join(dict.fromkeys(k[0] for k in acc.stats)),
        "jax": f"{jax.__version__}, backend {jax.default_backend()} ({device.device_kind}); x64 off",
        "reference": (f"float64 NumPy evaluation, certified (relative bound {fastref.REL_BOUND:.3g} = 2^-48); "
                      f"recomputed with reference.correctly_rounded: value {acc.recomputed[0]}, "
                      f"d1 {acc.recomputed[1]}, d2 {acc.recomputed[2]}"),
        "time": (f"{elapsed:.1f} s wall" + (f" ({parts} parts summed)" if parts > 1 else "")
                 + f", {acc.cpu_s:.1f} s CPU in the sweeping processes"),
    }


def as_report(spec_dict: dict, acc: Accumulator, chunk_bits: int, elapsed: float, parts: int = 1) -> dict:
    from properties.report.measure import Row
    from properties.report.render import LEGEND

    spec = Spec(**{k: tuple(v) if isinstance(v, list) else v for k, v in spec_dict.items()})
    roles = {i.label: i.role for i in spec.implementations()}
    rows = [Row(label, roles.get(label, "peer"), "float32", order, (mode,), s).to_json()
            for (label, order, mode), s in acc.stats.items()]
    return {"header": _header(spec, acc, chunk_bits, elapsed, parts), "rows": rows,
            "tutorial": None, "notes": LEGEND[:-1]}


def merge_files(paths: list[str]) -> tuple[dict, Accumulator, int, float]:
    """Read parts written with ``--out``; check they belong together and do not overlap."""
    acc, spec, chunk_bits, elapsed = None, None, None, 0.0
    for path in paths:
        with open(path) as f:
            d = json.load(f)
        if d.get("kind") != KIND:
            raise ValueError(f"--merge: {path} is not a partial sweep result (kind {d.get('kind')!r})")
        if spec is None:
            spec, chunk_bits = d["spec"], d["chunk_bits"]
        elif (d["spec"], d["chunk_bits"]) != (spec, chunk_bits):
            raise ValueError(f"--merge: {path} swept {d['spec']} with chunk_bits {d['chunk_bits']}, "
                             f"others {spec} with {chunk_bits}")
        part = Accumulator.from_json(d["result"])
        if acc is not None and set(part.pairs) & set(acc.pairs):
            raise ValueError(f"--merge: {path} overlaps the parts before it")
        acc = part if acc is None else acc.merge(part)
        elapsed += d["elapsed_s"]
    return spec, acc, chunk_bits, elapsed


def main(args) -> int:
    """The ``--exhaustive`` and ``--merge`` branches of the command line."""
    from properties.report import render

    if args.plot:
        print("note: --plot draws the sampled report; it is ignored with --exhaustive/--merge "
              "(the parts keep the worst ULP per binade in their JSON)", file=sys.stderr)
    if args.merge:
        spec, acc, chunk_bits, elapsed = merge_files(args.merge)
        report = as_report(spec, acc, chunk_bits, elapsed, parts=len(args.merge))
        sys.stdout.write(render.FORMATS[args.format](report))
        return 0
    from properties.target import target_name_from_env

    chosen = [s for s in args.impl.split(",") if s]
    spec = Spec(target=target_name_from_env(args.target) if "target" in chosen else None,
                variants=tuple(args.variant or ()),
                peers=tuple(s for s in chosen if s != "target"), modes=args.mode)
    spec.implementations()  # fail now, with the message, not in a worker
    acc, elapsed = run(spec, shard=args.shard, chunk_bits=args.chunk_bits,
                       workers=args.workers, progress=not args.no_progress)
    spec_dict = dataclasses.asdict(spec)
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"kind": KIND, "spec": spec_dict, "chunk_bits": args.chunk_bits,
                       "shard": list(args.shard) if args.shard else None, "elapsed_s": elapsed,
                       "pid": os.getpid(), "result": acc.to_json()}, f)
        print(f"partial result written to {args.out}", file=sys.stderr)
    report = as_report(spec_dict, acc, args.chunk_bits, elapsed)
    sys.stdout.write(render.FORMATS[args.format](report))
    return 0
