"""The worst ULP error seen per rule, order, mode and dtype, across a whole run.

Checks record into this process's ledger; the pytest plugin moves the entries
into each test report (so they travel from pytest-xdist workers to the
controller) and prints the merged table at the end of the run.
"""

from __future__ import annotations

import math

_pending: dict[tuple, dict] = {}


def _key(entry: dict) -> tuple:
    return (entry["rule"], entry["derivative"], entry["dtype"])


def _merge_entry(into: dict[tuple, dict], entry: dict) -> None:
    key = _key(entry)
    old = into.get(key)
    if old is None:
        into[key] = dict(entry)
        return
    if entry["worst_ulps"] > old["worst_ulps"]:
        old["worst_ulps"], old["x_at_worst"] = entry["worst_ulps"], entry["x_at_worst"]
    for count in ("n", "flushed", "nonfinite"):
        old[count] += entry[count]


def record(*, rule: str, derivative: str, dtype: str, ulps, x, flushed, nonfinite) -> None:
    """Add one batch of results (NumPy arrays of equal size) to this process's ledger.

    ``ulps`` of flushed and nonfinite results are left out of the worst figure
    and counted apart. ``x``: the inputs, or a tuple of them (binary ops).
    """
    judged = ~(flushed | nonfinite)
    worst, x_at_worst = -math.inf, None
    if judged.any():
        i = int(ulps[judged].argmax())
        worst = float(ulps[judged][i])
        x_at_worst = (tuple(float(a[judged][i]) for a in x) if isinstance(x, tuple)
                      else float(x[judged][i]))
    _merge_entry(_pending, {
        "rule": rule, "derivative": derivative, "dtype": dtype,
        "worst_ulps": worst, "x_at_worst": x_at_worst, "n": int(ulps.size),
        "flushed": int(flushed.sum()), "nonfinite": int(nonfinite.sum()),
    })


def drain() -> list[dict]:
    """This process's entries since the last drain (and forget them)."""
    entries = list(_pending.values())
    _pending.clear()
    return entries


def merge(into: dict[tuple, dict], entries: list[dict]) -> None:
    """Merge drained entries (e.g. from a test report) into a run-wide table."""
    for entry in entries:
        _merge_entry(into, entry)


def format_table(table: dict[tuple, dict]) -> list[str]:
    """One line per (rule, derivative, dtype), sorted, for the terminal summary."""
    lines = []
    for key in sorted(table):
        e = table[key]
        worst = "n/a" if e["x_at_worst"] is None else (
            f"{e['worst_ulps']:.3g} ULP at x={e['x_at_worst']!r}")
        extra = []
        if e["flushed"]:
            extra.append(f"{e['flushed']} flushed subnormal")
        if e["nonfinite"]:
            extra.append(f"{e['nonfinite']} NONFINITE")
        tail = f"; {', '.join(extra)}" if extra else ""
        lines.append(f"{e['rule']:<16} {e['derivative']:<26} {e['dtype']:<8} "
                     f"max {worst} (n={e['n']}{tail})")
    return lines
