"""The audit of JAX's own hand-written derivative rules: ``python -m properties --ops jax``.

Every op of :mod:`properties.audit_ops`, implemented by
:mod:`properties.peers.jax_special`, is measured exactly as the report measures
any op (:func:`properties.report.measure.measure`: value, d1, d2, every mode,
float32 and float64, judged by :mod:`properties.classify`), and the results over
budget become *findings*: one per op, dtype, derivative and class of error, with
the smallest input showing it, what JAX returns there, the correctly rounded
value, the ULP distance, the modes, and a one-line reproduction that needs only
``jax`` and ``numpy``.

Only certified references decide. Before measuring, each input is checked
against the reference of every derivative (:func:`certified`); where one cannot
be certified (a derivative at ±inf whose limit diverges, so successive
precisions never agree) the input is dropped for that op and counted, never
guessed.

Cost: the references are mpmath with derived derivatives (0.1 to 13 ms a point),
so the inputs are the report's, scaled by :data:`SCALE` (special values, branch
points and neighbours in full, about 30-60 per generated regime).
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import re
import subprocess
import time
from typing import Callable

import numpy as np

import reference
from properties.classify import (CONVENTION, FINITE_FOR_NONFINITE, FLUSHED, JUDGED, NAN_MISMATCH,
                                 NONFINITE, input_size)

TARGET = "properties.peers.jax_special"
#: Scale of the report's generated regimes in the audit (special values are kept whole).
SCALE = 0.1
#: Class -> the findings table's word for it.
KINDS = {JUDGED: "wrong finite value", NONFINITE: "nonfinite where exact is finite",
         FINITE_FOR_NONFINITE: "finite where exact is ±inf or nan",
         NAN_MISMATCH: "nan vs ±inf", FLUSHED: "flushed subnormal",
         CONVENTION: "limit convention (at ±inf or a domain edge)"}


def certified(op, dtype: str, args: tuple[np.ndarray, ...]) -> tuple[np.ndarray, dict[str, int]]:
    """Mask of the inputs where the reference of every derivative of ``op`` is certified,
    and why the others are not (exception name -> count). Fills the reference cache
    that the measurement then reads."""
    keep = np.ones(args[0].size, bool)
    why: dict[str, int] = {}
    zero = np.zeros((), dtype)
    for index in op.indices:
        fn = op.reference(index if op.arity > 1 else index[0])
        for i in np.flatnonzero(keep):
            try:
                reference.ulp_error(zero, fn, *(a[i] for a in args))
            except (reference.PrecisionCapExceeded, reference.EvaluationError) as error:
                keep[i] = False
                key = f"{type(error).__name__} ({'value' if not any(index) else index})"
                why[key] = why.get(key, 0) + 1
    return keep, why


def _subnormal(v: float, dtype: str) -> bool:
    return 0 < abs(v) < float(np.finfo(dtype).smallest_normal)


@dataclasses.dataclass
class Finding:
    """The smallest input where one op, dtype, derivative and class of error shows."""

    op: str
    dtype: str
    derivative: str
    kind: str
    modes: list[str]
    count: int
    inputs: tuple[float, ...]
    mode: str
    got: float
    expected: float
    ulp: float
    repro: str
    verified: bool | None = None
    #: the verdict group (properties.classify.VERDICTS): findings are listed in its order
    group: int = 0

    def to_json(self) -> dict:
        d = dataclasses.asdict(self)
        for k in ("got", "expected", "ulp"):
            d[k] = d[k] if math.isfinite(d[k]) else repr(float(d[k]))
        d["inputs"] = [v if math.isfinite(v) else repr(float(v)) for v in self.inputs]
        return d


def kind_of(klass: int, got, expected) -> str:
    """The class of a failing result, with the two cases the classifier's classes join
    told apart: a judged result that is not finite (the wrong infinity), and a finite
    result where the exact value is nan (a derivative where none exists) or ±inf."""
    if klass == JUDGED and not (np.isfinite(got) and np.isfinite(expected)):
        return "wrong infinity"
    if klass == FINITE_FOR_NONFINITE:
        return "finite where exact is nan" if np.isnan(expected) else "finite where exact is ±inf"
    return KINDS[klass]


def repro_line(op: str, dtype: str, derivative, mode: str, inputs: tuple[float, ...]) -> str:
    """A shell line computing one result with only jax and numpy."""
    from properties.audit_ops import EXPRESSIONS
    from properties.evaluate import repro_expression

    assign = "; ".join(f"{name} = np.{dtype}(float.fromhex('{float(v).hex()}'))"
                       for name, v in zip("xy", inputs))
    return (f"JAX_ENABLE_X64={int(dtype == 'float64')} python -c \"import jax, "
            f"jax.scipy.special, numpy as np; f = {EXPRESSIONS[op]}; {assign}; "
            f"print(repr({repro_expression(derivative, mode)}))\"")


class Findings:
    """Collects, per (op, dtype, derivative, class), the failing result with the smallest input."""

    def __init__(self, budget_of: Callable[[str, int, str], float], flush_allowed: Callable[[str], bool]):
        self.budget_of, self.flush_allowed = budget_of, flush_allowed
        self.found: dict[tuple, Finding] = {}
        self.derivatives: dict[tuple, object] = {}

    def see(self, op, derivative, row, c) -> None:
        """``on_comparison`` of :func:`properties.report.measure.measure` for ``op``'s ``derivative``."""
        order = derivative if isinstance(derivative, int) else sum(derivative)
        budget = self.budget_of(op.name, order, row.dtype)
        verdicts = c.verdicts
        for i in c.failures(budget, flush_allowed=self.flush_allowed(row.dtype)):
            key = (op.name, row.dtype, row.derivative, int(c.classes[i]))
            inputs = tuple(float(a[i]) for a in c.inputs)
            old = self.found.get(key)
            if old is not None:
                old.count += 1
                old.modes = list(dict.fromkeys(old.modes + list(row.modes)))
                if input_size(inputs) >= input_size(old.inputs):
                    continue
            kind = kind_of(int(c.classes[i]), c.got[i], c.expected[i])
            if any(_subnormal(v, row.dtype) for v in inputs):
                kind += " (subnormal input, read as 0 by a flushing backend)"
            f = Finding(op.name, row.dtype, row.derivative, kind,
                        list(dict.fromkeys((old.modes if old else []) + list(row.modes))),
                        old.count if old else 1, inputs, row.modes[0], float(c.got[i]),
                        float(c.expected[i]), float(c.ulps[i]),
                        repro_line(op.name, row.dtype, derivative, row.modes[0], inputs),
                        group=int(verdicts[i]))
            self.found[key] = f

    def sorted(self) -> list[Finding]:
        return sorted(self.found.values(), key=lambda f: (f.op, f.dtype, f.derivative, f.group, f.kind))


def verify(finding: Finding, *, timeout: float = 120) -> bool:
    """Run the reproduction line; True when it prints ``finding.got`` (the same value in the
    finding's dtype, whose shortest repr JAX prints; or nan)."""
    out = subprocess.run(finding.repro, shell=True, capture_output=True, text=True, timeout=timeout)
    m = re.search(r"Array\(([-+0-9.e]+|nan|-?inf)", out.stdout)
    if out.returncode != 0 or not m:
        return False
    as_dtype = np.dtype(finding.dtype).type
    v, got = as_dtype(float(m.group(1))), as_dtype(finding.got)
    return bool((np.isnan(v) and np.isnan(got)) or v == got)


def build_audit(*, dtypes: tuple[str, ...], header: Callable, progress_bar: Callable | None = None,
                ops: tuple[str, ...] | None = None, scale: float = SCALE,
                verify_repros: bool = False):
    """Measure every audited op (or ``ops``) of :data:`TARGET`: (report dict, measurements).

    ``header(target, peers, dtypes, measurements, scale)`` and ``progress_bar(total, desc,
    unit=...)`` are the report's (:mod:`properties.report.cli`), passed in so that this
    module sits below it."""
    from properties import audit_ops
    from properties.backend import flushes_subnormals
    from properties.budgets import budget as budget_for
    from properties.ops import OPS
    from properties.report import inputs, measure
    from properties.report.implementations import implementations
    from properties.report.render import LEGEND
    from properties.target import does_not_return

    names = audit_ops.NAMES if not ops else ops
    unknown = [n for n in names if n not in audit_ops.NAMES]
    if unknown:
        raise ValueError(f"--ops jax: unknown audited op {unknown[0]!r}; audited: "
                         f"{', '.join(audit_ops.NAMES)}")
    declared = does_not_return(importlib.import_module(TARGET))
    hanging = {n: declared[f"{n}_jvp"] for n in names if f"{n}_jvp" in declared}
    specs = [OPS[n] for n in names if n not in hanging]
    impls = {op.name: implementations(op.name, TARGET, ()) for op in specs}
    bar = progress_bar(len(specs) * len(dtypes), "audit", unit="op") if progress_bar else None
    findings = Findings(lambda op, order, dt: budget_for(op, order, dt),
                        lambda dt: flushes_subnormals(dt))
    start = time.perf_counter()
    measurements, dropped, timing = [], {}, {}
    for op in specs:
        for dtype in dtypes:
            t0 = time.perf_counter()
            (args, counts) = inputs.for_op(op, dtype, scale=scale)
            keep, why = certified(op, dtype, args)
            args = tuple(a[keep] for a in args)
            if why:
                dropped[f"{op.name} {dtype}"] = why

            def see(row, c, op=op):
                derivative = next(d for impl in impls[op.name] for d, _ in impl.derivatives
                                  if _label(d) == row.derivative)
                findings.see(op, derivative, row, c)

            measurements.append(measure.measure(op, impls[op.name], args, counts,
                                                on_comparison=see))
            timing[f"{op.name} {dtype}"] = round(time.perf_counter() - t0, 1)
            if bar is not None:
                bar.set_postfix_str(f"{op.name} {dtype}")
                bar.update()
    if bar is not None:
        bar.close()
    found = findings.sorted()
    if verify_repros:
        for f in found:
            f.verified = verify(f)
    elapsed = time.perf_counter() - start
    head = header(TARGET, (), dtypes, measurements, scale)
    head["audit"] = (f"{len(specs)} functions with hand-written derivative rules "
                     f"(properties.audit_ops); budget {audit_ops.BUDGET_ULP:g} ULP")
    report = {
        "header": head,
        "rows": [r.to_json() for m in measurements for r in m.rows],
        "inputs": {f"{m.op} {m.dtype}": m.counts for m in measurements},
        "tutorial": None,
        "findings": [f.to_json() for f in found],
        "uncertified": dropped,
        "seconds": timing,
        "not_measured": {n: {"why": why, "shows_it": shows} for n, (why, shows) in hanging.items()},
        "notes": LEGEND + [
            "Findings: per op, dtype, derivative and class, the failing result with the "
            "smallest input; count is the failing results of that class in all modes.",
            "Inputs whose reference could not be certified are dropped (uncertified: "
            + (", ".join(f"{k}: {v}" for k, v in dropped.items()) or "none") + ").",
            *(f"Not measured: {n}, which does not return ({why}); shows it: python -c "
              f"\"{shows}\"" for n, (why, shows) in hanging.items()),
            f"Measured in {elapsed:.1f} s."],
    }
    return report, measurements


def _label(derivative) -> str:
    from properties.evaluate import derivative_label
    return derivative_label(derivative, "").strip()


__all__ = ["build_audit", "certified", "Finding", "Findings", "kind_of", "repro_line", "verify"]
