"""One call from any test: the property suite on one rule, given its mpmath value.

``check_rule(rule, value=...)`` runs the suite's own properties, on the suite's
own inputs, for one rule (unary or binary; ``custom_vjp``, ``custom_jvp`` or a
plain JAX function), and raises ``AssertionError`` with the suite's messages
(input, dtype, got, expected, ULP distance, budget, and a line to paste) when
any fails. It works under pytest, unittest and in a bare script::

    import mpmath, stable_ops
    from properties import check_rule

    def softplus(x):                      # the value is enough: derivatives are derived
        return mpmath.log1p(mpmath.exp(x)) if x <= 0 else x + mpmath.log1p(mpmath.exp(-x))

    check_rule(stable_ops.softplus, value=softplus, budgets=0.51)

How: the rule is put, for the duration of the call, in a target module of its
own and its op in the registry (:func:`properties.ops.register`), and pytest
runs ``--pyargs properties`` on that target in this process, restricted to
the op, with the chosen dtypes, budgets and Hypothesis profile. Nothing is left
behind: the op, its budgets and the module are removed afterwards.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import itertools
import os
import shutil
import sys
import tempfile
import types
from typing import Callable, Iterable, Mapping

from properties import ledger, plugin
from properties.ops import DTYPES, OPS, OpSpec, register

__all__ = ["check_rule"]

_counter = itertools.count()


def _variant(rule: Callable) -> str:
    """``vjp`` for a ``jax.custom_vjp`` (reverse mode only), else ``jvp`` (both modes)."""
    import jax

    return "vjp" if isinstance(rule, jax.custom_vjp) else "jvp"


def _arity(value: Callable) -> int:
    try:
        parameters = [p for p in inspect.signature(value).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return 1
    return 2 if len(parameters) == 2 else 1


def _budget_table(budgets, orders: Iterable[int], dtypes: Iterable[str]) -> dict:
    """``{(order, dtype): ulps}`` from a number, ``{order: ulps}`` or ``{(order, dtype): ulps}``."""
    if isinstance(budgets, (int, float)):
        return {(o, dt): float(budgets) for o in orders for dt in DTYPES}
    if not isinstance(budgets, Mapping):
        raise TypeError(f"budgets must be a number of ULPs, {{order: ulps}} or "
                        f"{{(order, dtype): ulps}}, got {budgets!r}")
    table = {}
    for o in orders:
        for dt in DTYPES:
            ulps = budgets.get((o, dt), budgets.get(o))
            if ulps is None and dt in dtypes:
                raise ValueError(f"budgets has no entry for order {o}, dtype {dt}: "
                                 f"give {{{o}: ulps}} or {{({o}, {dt!r}): ulps}}")
            table[(o, dt)] = float(ulps) if ulps is not None else 0.0
    return table


class _Failures:
    """A pytest plugin that keeps the failing reports' messages."""

    def __init__(self):
        self.failed: list[tuple[str, str]] = []
        self.passed = 0

    def pytest_runtest_logreport(self, report):
        if report.failed:
            crash = getattr(report.longrepr, "reprcrash", None)
            message = crash.message if crash is not None else str(report.longrepr)
            self.failed.append((report.nodeid.split("::")[-1], message))
        elif report.passed and report.when == "call":
            self.passed += 1


def check_rule(rule: Callable, *, value: Callable, derivatives: Mapping | None = None,
               name: str | None = None, dtypes: Iterable[str] = DTYPES,
               budgets=1.0, orders: Iterable[int] = (0, 1, 2), profile: str | None = None,
               branch_points: Mapping | None = None, finite_domain: Mapping | None = None,
               conventions: Mapping | None = None, subnormals: str = "auto",
               zero_curve=None, pytest_args: Iterable[str] = ()) -> None:
    """Run every property of the suite on ``rule``; raise ``AssertionError`` if any fails.

    - ``rule``: the JAX function under test, of one or two array arguments.
    - ``value``: its exact value, an mpmath function (arity taken from its signature).
    - ``derivatives``: optional hand-written references, ``{1: f1, 2: f2}`` or by
      multi-index; each is cross-checked against the derivative derived from
      ``value``, so a mistake shared by the rule and the reference is caught.
    - ``dtypes``: ``("float32", "float64")`` by default.
    - ``budgets``: ULPs, one number for every order (default 1.0), ``{order: ulps}``
      or ``{(order, dtype): ulps}``.
    - ``orders``: the derivative orders checked, ``(0, 1, 2)`` by default.
    - ``profile``: the Hypothesis profile (``dev``, ``ci``, ``thorough``; default
      as the suite: ``ci`` under CI, else ``dev``).
    - ``branch_points``, ``finite_domain``, ``conventions``, ``zero_curve``: as for
      :class:`properties.ops.OpSpec`; ``subnormals``: ``auto`` or ``strict``.
    - ``pytest_args``: more arguments for pytest (``["-x"]``, ``["-k", "special"]``).

    The message of the ``AssertionError`` lists each failing property with the
    suite's own message, and the ``pytest`` line that runs the same checks.
    """
    import pytest

    if not callable(rule):
        raise TypeError(f"check_rule: rule must be a JAX function, got {rule!r}")
    if not callable(value):
        raise TypeError(f"check_rule: value must be an mpmath function of the rule's "
                        f"arguments, got {value!r}")
    dtypes = tuple(dtypes)
    unknown = [d for d in dtypes if d not in DTYPES]
    if not dtypes or unknown:
        raise ValueError(f"check_rule: dtypes must be among {DTYPES}, got {dtypes!r}")
    orders = tuple(sorted(set(orders)))
    if not orders or orders[0] != 0 or orders[-1] > 2 or orders != tuple(range(orders[-1] + 1)):
        raise ValueError(f"check_rule: orders must be (0,), (0, 1) or (0, 1, 2), got {orders!r}")
    arity = _arity(value)
    base = name or getattr(rule, "__name__", None) or "rule"
    for suffix in ("_vjp", "_jvp"):  # the target adds the variant itself
        base = base[: -len(suffix)] if base.endswith(suffix) and len(base) > len(suffix) else base
    base = "".join(c if c.isalnum() or c == "_" else "_" for c in base).strip("_") or "rule"
    if base[0].isdigit():
        base = "op_" + base
    op_name = base if base not in OPS else f"{base}_checked_{next(_counter)}"
    exact = {(0,) * arity: value}
    for index, fn in (derivatives or {}).items():
        exact[(index,) if isinstance(index, int) else tuple(index)] = fn
    spec = OpSpec(name=op_name, exact=exact, max_order=orders[-1],
                  branch_points=dict(branch_points or {}), finite_domain=dict(finite_domain or {}),
                  conventions=dict(conventions or {}), zero_curve=zero_curve)
    variant = _variant(rule)
    module_name = f"_check_rule_target_{op_name}_{next(_counter)}"
    module = types.ModuleType(module_name, f"check_rule's target for {op_name}")
    setattr(module, f"{op_name}_{variant}", rule)
    module.__repro__ = _repro_source(rule)
    from properties import budgets as budget_module

    table = _budget_table(budgets, orders, dtypes)
    sys.modules[module_name] = module
    register(spec, budgets=table)
    config_dir = tempfile.mkdtemp(prefix="check_rule_")
    ini = os.path.join(config_dir, "pytest.ini")
    with open(ini, "w") as f:  # none of the caller's pytest configuration (addopts, -n, ...)
        f.write("[pytest]\n")
    try:
        args = ["--pyargs", "properties", "--target", module_name, "-c", ini, "--rootdir", config_dir,
                "-q", "-p", "no:cacheprovider",
                "-p", "no:xdist", "-p", "no:randomly", "--subnormals", subnormals,
                "-k", op_name, "-W", "ignore::pytest.PytestAssertRewriteWarning"]
        if len(dtypes) == 1:
            args += ["--dtype", dtypes[0]]
        if profile is not None:
            args += ["--hypothesis-profile", profile]
        args += list(pytest_args)
        failures = _Failures()
        output = io.StringIO()
        saved = dict(plugin._run_table), dict(ledger._pending)  # the caller's own run, if any
        try:
            with contextlib.redirect_stdout(output):  # the verdict is the exception, not a log
                code = pytest.main(args, plugins=[failures])
        finally:
            for table, before in zip((plugin._run_table, ledger._pending), saved):
                table.clear()
                table.update(before)
    finally:
        shutil.rmtree(config_dir, ignore_errors=True)
        OPS.pop(op_name, None)
        for key in [k for k in budget_module.BUDGETS if k[0] == op_name]:
            del budget_module.BUDGETS[key]
        sys.modules.pop(module_name, None)
    if failures.failed:
        lines = [f"check_rule: {len(failures.failed)} of {len(failures.failed) + failures.passed} "
                 f"properties failed for {op_name} ({variant} variant, {', '.join(dtypes)})"]
        for test, message in failures.failed:
            lines.append(f"- {test}: {message}")
        raise AssertionError("\n".join(lines))
    if code not in (0,):
        raise AssertionError(f"check_rule: pytest ended with exit code {int(code)} and no failure "
                             f"report for {op_name} (arguments: {' '.join(args)}); its output:\n"
                             + output.getvalue()[-4000:])


def _repro_source(rule: Callable) -> tuple[str, str] | None:
    """``(module, attribute)`` where ``rule`` can be imported from, if it can be, for the
    reproduce lines (the check's own target module cannot be imported later)."""
    module, qualname = getattr(rule, "__module__", None), getattr(rule, "__qualname__", None)
    if not module or not qualname or "<" in qualname:
        return None
    owner = sys.modules.get(module)
    found = owner
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return (module, qualname) if found is rule else None
