"""The :class:`~properties.classify.Stats` of every rule, derivative and dtype, across a run.

Checks record into this process's ledger; the pytest plugin moves the entries
(plain dicts, so they travel from pytest-xdist workers to the controller) into
each test report, merges them, and prints the closing table: the worst ULP
error of the judged results, with the other classes counted apart.
"""

from __future__ import annotations

from properties.classify import Stats, format_inputs

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
          "nan_mismatch": "nan mismatch"}


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
