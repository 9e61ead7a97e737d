"""Render a report: terminal table, markdown, JSON, and the ULP-error plot.

A report is a plain dict (what :func:`properties.report.cli.build_report`
returns and ``--format json`` prints):

- ``header``: a dict of name -> text (target, peers, JAX, backend, x64, references, ...);
- ``rows``: :meth:`properties.report.measure.Row.to_json` dicts, one table per (op, dtype);
- ``inputs``: per ``"<op> <dtype>"``, the inputs of each regime (optional);
- ``tutorial``: the tutorial's comparison, first derivatives at a few inputs (or None);
- ``notes``: lines printed under the tables (legend, subnormal policy).
"""

from __future__ import annotations

import json
import math

import numpy as np

from properties.classify import format_inputs

MODE_ABBREV = {"value": "value", "reverse": "rev", "forward": "fwd",
               "reverse-over-reverse": "rev-rev", "forward-over-forward": "fwd-fwd",
               "forward-over-reverse": "fwd-rev"}
COLUMNS = ("implementation", "derivative", "mode", "max ULP", "at", "CR", "not CR", ">1 ULP",
           ">2 ULP", "nonfinite", "other", "limits", "flushed", "subnormal")
LEGEND = [
    "Every result is judged as in the suite (properties.classify): judged by its ULP error, "
    "or counted apart as flushed, nonfinite or other.",
    "max ULP: worst |got - exact| / ulp(exact) of the judged results, at the inputs 'at'; "
    "CR: share of judged results equal to the correctly rounded value, not CR: how many "
    "are not; >1, >2: judged "
    "results more than 1, 2 ULP off.",
    "flushed: 0 where the exact value is below the smallest normal, or the result at a "
    "subnormal input read as 0 (the backend flushes subnormals: FTZ/DAZ).",
    "nonfinite: inf/nan where the correctly rounded value is finite; other: finite where "
    "it is inf/nan, or nan for inf and inf for nan (both away from the limit points).",
    "limits: at ±inf or a limit point the op declares (domain edges, conventions), results "
    "that are not the exact limit (counted there, not under nonfinite or other). The columns "
    "follow the verdict's order: wrong finite values (max ULP, >1, >2), nonfinite, other, limits.",
    "subnormal: results whose exact value is nonzero and below the smallest normal.",
    "Modes with bitwise identical results share a row (rev=fwd); derivative dx is the "
    "partial in x, dxy the mixed second partial.",
]


def format_ulp(v) -> str:
    v = float(v)
    if math.isinf(v):
        return "inf" if v > 0 else "-"
    if v >= 1e4:
        return f"{v:.2e}"
    return f"{v:.3f}" if v < 10 else f"{v:.1f}"


def _cells(row: dict) -> list[str]:
    share = row["correctly_rounded"] / row["judged"] if row["judged"] else math.nan
    at = None if row["at_max"] is None else tuple(float(v) for v in row["at_max"])
    return [row["implementation"], row["derivative"],
            "=".join(MODE_ABBREV[m] for m in row["modes"]), format_ulp(row["max_ulp"]),
            format_inputs(at, row["dtype"]), f"{100 * share:.2f}%",
            str(row["judged"] - row["correctly_rounded"]), str(row["over_1"]),
            str(row["over_2"]), str(row["nonfinite"]),
            str(row["finite_for_nonfinite"] + row["nan_mismatch"]), str(row.get("convention", 0)),
            str(row["flushed"]), str(row["subnormal"])]


def _aligned(header: list[str], body: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header] + body) for i in range(len(header))]
    left = {0, 1, 2}

    def line(cells):
        return "  ".join(c.ljust(w) if i in left else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return [line(header), line(["-" * w for w in widths])] + [line(r) for r in body]


def _md_table(header: list[str], body: list[list[str]]) -> list[str]:
    esc = [[c.replace("|", "\\|") for c in r] for r in [header] + body]
    return (["| " + " | ".join(esc[0]) + " |", "|" + "---|" * len(header)]
            + ["| " + " | ".join(r) + " |" for r in esc[1:]])


def _tables(report: dict):
    """(title, header, body) per table: each (op, dtype) as measured, the tutorial's
    comparison after the first op's."""
    rows = report["rows"]
    groups = list(dict.fromkeys((r["op"], r["dtype"]) for r in rows))
    for i, (op, dtype) in enumerate(groups):
        mine = [r for r in rows if (r["op"], r["dtype"]) == (op, dtype)]
        counts = report.get("inputs", {}).get(f"{op} {dtype}", {})
        regimes = "".join(f", {k} {v}" for k, v in counts.items())
        yield f"{op} {dtype} ({mine[0]['n']} inputs{regimes})", list(COLUMNS), [_cells(r) for r in mine]
        last_of_first = i + 1 == len(groups) or groups[i + 1][0] != groups[0][0]
        if report.get("tutorial") and op == groups[0][0] and last_of_first:
            t = report["tutorial"]
            yield ("The tutorial's comparison: first derivative (reverse mode)",
                   ["dtype", "x", "exact"] + t["labels"],
                   [[e["dtype"], e["x"], e["exact"]] + e["values"] for e in t["entries"]])


FINDING_COLUMNS = ("op", "dtype", "derivative", "kind", "count", "smallest input", "got",
                   "expected", "ULP", "modes", "repro")


def finding_cells(f: dict) -> list[str]:
    """One row of the findings table."""
    def num(v):
        v = float(v)
        return str(np.dtype(f["dtype"]).type(v))

    ok = {None: "", True: " (verified)", False: " (NOT reproduced)"}[f.get("verified")]
    return [f["op"], f["dtype"], f["derivative"], f["kind"], str(f["count"]),
            format_inputs(tuple(float(v) for v in f["inputs"]), f["dtype"]), num(f["got"]),
            num(f["expected"]), format_ulp(f["ulp"]),
            ",".join(MODE_ABBREV[m] for m in f["modes"]), f["repro"] + ok]



def _findings(report: dict):
    """(title, header, body) of the audit's findings table, if the report has one."""
    if report.get("findings") is None:
        return
    yield (f"Findings: {len(report['findings'])} (op, dtype, derivative, class) over budget",
           list(FINDING_COLUMNS), [finding_cells(f) for f in report["findings"]])


def to_text(report: dict) -> str:
    """The terminal tables."""
    out = [f"{k}: {v}" for k, v in report["header"].items()]
    for title, header, body in list(_tables(report)) + list(_findings(report)):
        out += ["", f"== {title} =="] + _aligned(header, body)
    return "\n".join(out + [""] + report["notes"]) + "\n"


def to_markdown(report: dict) -> str:
    """Markdown: the header as a list, then the tables."""
    out = ["# Conformance report", ""] + [f"- **{k}**: {v}" for k, v in report["header"].items()]
    for title, header, body in list(_tables(report)) + list(_findings(report)):
        out += ["", f"## {title}", ""] + _md_table(header, body)
    return "\n".join(out + [""] + [f"- {n}" for n in report["notes"]]) + "\n"


def to_json(report: dict) -> str:
    """JSON (strict: infinities are strings, as ``float()`` reads them)."""
    return json.dumps(report, indent=1, allow_nan=False) + "\n"


#: Errors from here up are drawn at this height in the plot.
CAP_ULP = 1e3

FORMATS = {"text": to_text, "markdown": to_markdown, "json": to_json}


def plot(measurements, path: str, *, roles: dict[str, str] | None = None,
         title: str = "") -> None:
    """ULP error against x of unary measurements (one op): one panel per (order,
    dtype), one line per implementation.

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
        x = m.inputs[0]
        finite = np.abs(x) <= width  # the band; outside it, see the table
        t = x[finite].astype(np.float64)  # sorted ascending
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
