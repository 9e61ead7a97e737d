"""The :class:`~properties.classify.Stats` of every rule, derivative and dtype, across a run.

Checks record into this process's ledger; the pytest plugin moves the entries
(plain dicts, so they travel from pytest-xdist workers to the controller) into
each test report (the call phase's only: the teardown report carries the same
list), merges them, and prints the closing summary (:func:`format_summary`): per
op, order and dtype, the verdict groups of :data:`properties.classify.VERDICTS`,
each with its count and its worst case; with ``-v``, also the table per mode
(:func:`format_table`).
"""

from __future__ import annotations

from properties.classify import Stats, format_inputs, input_size

_pending: dict[tuple, Stats] = {}


def record(*, rule: str, derivative: str, dtype: str, stats: Stats) -> None:
    """Add one batch's statistics to this process's ledger."""
    key = (rule, derivative, dtype)
    _pending.setdefault(key, Stats()).merge(stats)


def drain() -> list[dict]:
    """This process's entries since the last drain, as plain dicts (and forget them)."""
    entries = [{"key": list(key), "stats": s.to_json()} for key, s in _pending.items()]
    _pending.clear()
    return entries


def merge(into: dict[tuple, Stats], entries: list[dict]) -> None:
    """Merge drained entries (e.g. from a test report) into a run-wide table."""
    for entry in entries:
        into.setdefault(tuple(entry["key"]), Stats()).merge(Stats.from_json(entry["stats"]))


#: Stats field -> how the closing table names its count.
_APART = {"flushed": "flushed", "nonfinite": "NONFINITE",
          "finite_for_nonfinite": "finite where the exact value is not",
          "nan_mismatch": "nan mismatch", "convention": "limit convention"}


def format_table(table: dict[tuple, Stats]) -> list[str]:
    """One line per (rule, derivative, dtype), sorted, for the terminal summary."""
    lines = []
    for key in sorted(table):
        rule, derivative, dtype = key
        s = table[key]
        worst = ("n/a" if s.at_max is None
                 else f"{s.max_ulp:.3g} ULP at {format_inputs(s.at_max, dtype)}")
        apart = [f"{getattr(s, field)} {name}" for field, name in _APART.items() if getattr(s, field)]
        tail = f"; {', '.join(apart)}" if apart else ""
        lines.append(f"{rule:<16} {derivative:<26} {dtype:<8} max {worst} (n={s.n}{tail})")
    return lines


def _order_of(derivative: str) -> str:
    """``"d1"`` of ``"d1 reverse"``: the derivative without its mode."""
    return derivative.split(" ")[0]


def _example(s: Stats, *names: str) -> str:
    """The simplest recorded example of the first of ``names`` that has one."""
    found = [s.examples[n] for n in names if n in s.examples]
    if not found:
        return ""
    at, got, expected = min(found, key=lambda e: input_size(tuple(map(float, e[0]))))
    inputs = ", ".join(f"{name}={v}" for name, v in zip("xyz", at))
    return f", e.g. {inputs}: got {got}, exact {expected}"


def verdict_parts(s: Stats, dtype: str) -> list[str]:
    """The nonempty verdict groups of ``s``, in their order, each with its count and its
    worst case (the worst ULP for wrong values, the simplest input for the others)."""
    parts = []
    if s.over_1:
        parts.append(f"1. wrong finite: {s.over_1} over 1 ULP ({s.over_2} over 2), worst "
                     f"{s.max_ulp:.3g} ULP at {format_inputs(s.at_max, dtype)}")
    if s.nonfinite:
        parts.append(f"2. nonfinite for finite: {s.nonfinite}" + _example(s, "nonfinite"))
    if s.finite_for_nonfinite + s.nan_mismatch:
        parts.append(f"3. wrong for ±inf/nan: {s.finite_for_nonfinite + s.nan_mismatch}"
                     + _example(s, "finite_for_nonfinite", "nan_mismatch"))
    if s.convention:
        parts.append(f"4. limit conventions: {s.convention}" + _example(s, "convention"))
    if s.flushed:
        parts.append(f"flushed: {s.flushed}")
    return parts


def format_summary(table: dict[tuple, Stats]) -> list[str]:
    """Per rule, one line per (order, dtype), modes merged: how many results, the worst
    ULP of the judged ones, then each nonempty verdict group (count, worst case);
    "all within 1 ULP" where there is none."""
    merged: dict[tuple, Stats] = {}
    for (rule, derivative, dtype), s in table.items():
        merged.setdefault((rule, _order_of(derivative), dtype), Stats()).merge(s)
    lines, last = [], None
    for rule, order, dtype in sorted(merged, key=lambda k: (k[0], _ORDER_RANK.get(k[1], 9), k[1], k[2])):
        s = merged[(rule, order, dtype)]
        if rule != last:
            lines.append(rule)
            last = rule
        parts = verdict_parts(s, dtype)
        worst = "n/a" if s.at_max is None else f"max {s.max_ulp:.3g} ULP"
        lines.append(f"  {order:<5} {dtype:<8} n={s.n:<6} {worst}: "
                     + ("; ".join(parts) if parts else "all within 1 ULP"))
    return lines


_ORDER_RANK = {"value": 0, "d1": 1, "dx": 1, "dy": 1, "d2": 2, "dxx": 2, "dxy": 2, "dyy": 2}
