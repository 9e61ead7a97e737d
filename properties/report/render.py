"""Render a report: terminal table, markdown, JSON, and the ULP-error plot.

A report is a plain dict (what :func:`properties.report.cli.build_report`
returns and ``--format json`` prints):

- ``header``: a dict of name -> text (target, variants, JAX, backend, x64, inputs, ...);
- ``rows``: :meth:`properties.report.measure.Row.to_json` dicts;
- ``tutorial``: the tutorial's comparison, first derivatives at a few inputs;
- ``notes``: lines printed under the tables (legend, subnormal policy).
"""

from __future__ import annotations

import json
import math

import numpy as np

MODE_ABBREV = {"value": "value", "reverse": "rev", "forward": "fwd",
               "reverse-over-reverse": "rev-rev", "forward-over-forward": "fwd-fwd",
               "forward-over-reverse": "fwd-rev"}
COLUMNS = ("implementation", "order", "mode", "max ULP", "at x", "CR", ">1 ULP",
           ">2 ULP", "nonfinite", "subnormal", "flushed")
LEGEND = [
    "max ULP: worst |got - exact| / ulp(exact), at input 'at x'; CR: share of results "
    "equal to the correctly rounded value.",
    "nonfinite: inf/nan returned for a finite input with a finite exact value.",
    "subnormal: results whose exact value is below the smallest normal and does not "
    "round to 0; flushed: those returned as 0 (the backend flushes subnormals).",
    "Flushed results are left out of every ULP figure (max ULP, CR, >1, >2).",
    "Modes with bitwise identical results share a row (rev=fwd).",
    "Ops after softplus: mpmath reference at every input (special values and pairs, "
    "sweeps, random bits, pairs near where the value is 0); derivative dx is the "
    "partial in x, dxy the mixed second partial.",
]


def format_ulp(v: float) -> str:
    if isinstance(v, str):
        v = float(v)
    if math.isinf(v):
        return "inf" if v > 0 else "-"
    if v >= 1e4:
        return f"{v:.2e}"
    return f"{v:.3f}" if v < 10 else f"{v:.1f}"


def format_x(v, dtype: str) -> str:
    if v is None:
        return "-"
    return str(np.dtype(dtype).type(float(v)))


def _cells(row: dict) -> list[str]:
    share = row["correctly_rounded"] / row["judged"] if row["judged"] else math.nan
    return [row["implementation"], row["derivative"],
            "=".join(MODE_ABBREV[m] for m in row["modes"]),
            format_ulp(row["max_ulp"]), format_x(row["x_at_max"], row["dtype"]),
            f"{100 * share:.2f}%", str(row["over_1"]), str(row["over_2"]),
            str(row["nonfinite"]), str(row["subnormal"]), str(row["flushed"])]


def _aligned(header: list[str], body: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header] + body) for i in range(len(header))]
    left = {0, 1, 2}

    def line(cells):
        return "  ".join(c.ljust(w) if i in left else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return [line(header), line(["-" * w for w in widths])] + [line(r) for r in body]


def _row_groups(report: dict):
    """Rows by dtype, then order, as they appear (target first within each)."""
    dtypes = list(dict.fromkeys(r["dtype"] for r in report["rows"]))
    for dtype in dtypes:
        rows = [r for r in report["rows"] if r["dtype"] == dtype]
        rows.sort(key=lambda r: r["order"])  # stable: implementation order kept
        yield dtype, rows


def _tutorial_cells(report: dict) -> tuple[list[str], list[list[str]]]:
    t = report["tutorial"]
    header = ["dtype", "x", "exact"] + t["labels"]
    body = [[e["dtype"], e["x"], e["exact"]] + e["values"] for e in t["entries"]]
    return header, body


OP_COLUMNS = ("implementation", "derivative", "mode", "max ULP", "at", "CR", ">1 ULP",
              ">2 ULP", "nonfinite", "subnormal", "flushed")


def _op_cells(row: dict) -> list[str]:
    share = row["correctly_rounded"] / row["judged"] if row["judged"] else math.nan
    return [row["implementation"], row["derivative"],
            "=".join(MODE_ABBREV[m] for m in row["modes"]),
            format_ulp(row["max_ulp"]), row["at"], f"{100 * share:.2f}%", str(row["over_1"]),
            str(row["over_2"]), str(row["nonfinite"]), str(row["subnormal"]), str(row["flushed"])]


def _op_groups(report: dict):
    """Op rows by (op, dtype), as measured (target first within each)."""
    rows = report.get("op_rows") or []
    for key in dict.fromkeys((r["op"], r["dtype"]) for r in rows):
        yield key, [r for r in rows if (r["op"], r["dtype"]) == key]


def to_text(report: dict) -> str:
    """The terminal table."""
    out = [f"{k}: {v}" for k, v in report["header"].items()]
    for dtype, rows in _row_groups(report):
        out += ["", f"== softplus {dtype} =="]
        out += _aligned(list(COLUMNS), [_cells(r) for r in rows])
    if report.get("tutorial"):
        out += ["", "== The tutorial's comparison: first derivative (reverse mode) =="]
        out += _aligned(*_tutorial_cells(report))
    for (op, dtype), rows in _op_groups(report):
        out += ["", f"== {op} {dtype} ({rows[0]['n']} inputs) =="]
        out += _aligned(list(OP_COLUMNS), [_op_cells(r) for r in rows])
    out += [""] + report["notes"]
    return "\n".join(out) + "\n"


def _md_table(header: list[str], body: list[list[str]]) -> list[str]:
    esc = [[c.replace("|", "\\|") for c in r] for r in [header] + body]
    return (["| " + " | ".join(esc[0]) + " |", "|" + "---|" * len(header)]
            + ["| " + " | ".join(r) + " |" for r in esc[1:]])


def to_markdown(report: dict) -> str:
    """Markdown: the header as a list, one table per dtype, the tutorial's table."""
    out = ["# Conformance report", ""]
    out += [f"- **{k}**: {v}" for k, v in report["header"].items()]
    for dtype, rows in _row_groups(report):
        out += ["", f"## softplus {dtype}", ""]
        out += _md_table(list(COLUMNS), [_cells(r) for r in rows])
    if report.get("tutorial"):
        out += ["", "## The tutorial's comparison: first derivative (reverse mode)", ""]
        out += _md_table(*_tutorial_cells(report))
    for (op, dtype), rows in _op_groups(report):
        out += ["", f"## {op} {dtype} ({rows[0]['n']} inputs)", ""]
        out += _md_table(list(OP_COLUMNS), [_op_cells(r) for r in rows])
    out += [""] + [f"- {n}" for n in report["notes"]]
    return "\n".join(out) + "\n"


def to_json(report: dict) -> str:
    """JSON (strict: infinities are strings, as ``float()`` reads them)."""
    return json.dumps(report, indent=1, allow_nan=False) + "\n"


#: Errors from here up are drawn at this height in the plot.
CAP_ULP = 1e3

FORMATS = {"text": to_text, "markdown": to_markdown, "json": to_json}


def plot(measurements, path: str, *, roles: dict[str, str] | None = None,
         title: str = "") -> None:
    """ULP error against x: one panel per (order, dtype), one line per implementation.

    x over the band where formulas switch branches and exp under/overflows
    (``|x| <= 1.1 log(max)``; the whole range is in the table); ULP error on a
    symmetric log scale (linear up to 1 ULP), errors from :data:`CAP_ULP` up
    drawn at the cap. Each line is the worst error within narrow x bins, so
    isolated bad inputs stay visible. Nonfinite results are crosses at the cap;
    flushed results are left out.
    """
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit("--plot needs matplotlib: pip install 'softplus-conformance[plot]'") from None

    orders = (0, 1, 2)
    fig, axes = plt.subplots(len(orders), len(measurements), squeeze=False,
                             figsize=(7.5 * len(measurements), 11), sharex="col")
    labels = list(dict.fromkeys(label for m in measurements for label, _ in m.curves))
    colors = dict(zip(labels, plt.cm.tab10.colors))
    roles = roles or {}
    for col, m in enumerate(measurements):
        width = 1.1 * math.log(float(np.finfo(m.dtype).max))
        finite = np.abs(m.x) <= width  # the band; outside it, see the table
        t = m.x[finite].astype(np.float64)  # sorted ascending
        starts = np.unique(np.searchsorted(t, np.linspace(-width, width, 300)))
        starts = starts[starts < t.size]
        for row, order in enumerate(orders):
            ax = axes[row][col]
            curves = {label: c[finite] for (label, o), c in m.curves.items() if o == order}
            cap = CAP_ULP
            drawn = []
            for label, c in curves.items():
                if label in drawn:
                    continue
                names = [label] + [other for other in curves if other != label
                                   and other not in drawn
                                   and np.array_equal(curves[other], c, equal_nan=True)]
                drawn += names
                env = np.fmax.reduceat(np.minimum(c, cap), starts)
                keep = ~np.isnan(env)
                style = "-" if any(curves_role == "target" for curves_role in
                                   [roles.get(n) for n in names]) else "--"
                ax.plot(t[starts][keep], env[keep], style, color=colors[label], lw=1.3,
                        label=" = ".join(names), drawstyle="steps-post")
                bad = np.isinf(c)
                if bad.any():
                    ax.plot(t[bad], np.full(bad.sum(), cap), "x", color=colors[label], ms=4)
            ax.axhline(0.5, color="0.6", lw=0.7, ls=":")
            ax.axhline(1.0, color="0.4", lw=0.7, ls=":")
            ax.set_xlim(-width, width)
            ax.axhline(cap, color="0.3", lw=0.7)
            ax.text(-width * 0.98, cap * 1.3, f">= {cap:g} ULP or nonfinite (x)",
                    fontsize=7, color="0.3")
            ax.set_yscale("symlog", linthresh=1)
            ax.set_ylim(0, cap * 8)
            ax.set_title(f"{m.dtype}: {('value', 'first derivative', 'second derivative')[order]}",
                         fontsize=10)
            ax.set_ylabel("ULP error (max per x bin)")
            ax.grid(True, which="major", alpha=0.3)
            ax.legend(fontsize=7, loc="center left", framealpha=0.85)
        axes[-1][col].set_xlabel(f"x, over the band |x| <= 1.1 log(max) = {width:.1f} "
                                 "(outside it: see the table)")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
