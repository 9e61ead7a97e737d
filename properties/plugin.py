"""The pytest plugin: options, the run header, parametrization and the summary.

Registered as the ``pytest11`` entry point ``conformance`` when the package is
installed, so ``pytest --pyargs properties --target mypkg.ops`` works from any
directory. Options (each also settable by environment variable):

- ``--target MODULE`` (``CONFORMANCE_TARGET``): the implementation under test,
  default ``stable_ops``;
- ``--dtype float32|float64|float16|bfloat16`` (``CONFORMANCE_DTYPE``): default
  float32 and float64. float32, float16 and bfloat16 tests run with JAX's
  default 32-bit mode, float64 tests with x64 enabled; the switch is scoped to
  each test and never leaks. A 16-bit format is opt-in (its exhaustive checks,
  properties/tests/test_exhaustive16.py, do not fit the default run's time);
- ``--budget OP:ORDER:DTYPE=ULPS``: override a ULP budget (repeatable);
- ``--subnormals auto|strict``: the subnormal policy (see README).

Hypothesis profiles ``dev`` (the default; ``ci`` where the ``CI`` environment
variable is set), ``ci`` (derandomized) and ``thorough`` are registered; choose
one with Hypothesis' own ``--hypothesis-profile``. None has a deadline: JIT
compilation of the first example would trip it.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, settings

from properties import backend, ledger
from properties.budgets import BudgetTable
from properties.classify import Stats
from properties.ops import OPS
from properties.target import TargetError, does_not_return, load_target, target_name_from_env

DTYPES = ("float32", "float64")  # the default run
SIXTEEN_BIT_DTYPES = ("float16", "bfloat16")  # opt-in: --dtype float16 / bfloat16
DTYPE_CHOICES = DTYPES + SIXTEEN_BIT_DTYPES
DTYPE_ENV_VAR = "CONFORMANCE_DTYPE"
_LEDGER_PROPERTY = "conformance_ledger"

_NO_TARGETING = tuple(p for p in Phase if p != Phase.target)
_COMMON = dict(
    deadline=None,  # JIT compilation is slow and happens inside the first example
    print_blob=True,  # failures print @reproduce_failure
    # The per-test x64 fixture is deliberately per test, not per example;
    # reference values (mpmath) make examples slow by design.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# dev: no target phase; hill-climbing toward large errors needs more than 15
# examples to get anywhere, and its bookkeeping is ~10% of a run (ci and
# thorough keep it).
settings.register_profile("dev", max_examples=15, phases=_NO_TARGETING, **_COMMON)
settings.register_profile("ci", max_examples=40, derandomize=True, **_COMMON)
settings.register_profile("thorough", max_examples=1000, **_COMMON)

_run_table: dict[tuple, Stats] = {}


def default_profile() -> str:
    """``ci`` (derandomized) where the ``CI`` environment variable is set, else ``dev``."""
    return "ci" if os.environ.get("CI", "").lower() not in ("", "0", "false") else "dev"


def pytest_addoption(parser):
    group = parser.getgroup("conformance", "conformance of JAX custom differentiation rules")
    group.addoption("--target", default=None, metavar="MODULE",
                    help="module defining <op>_vjp and/or <op>_jvp "
                         "(env CONFORMANCE_TARGET; default stable_ops)")
    group.addoption("--dtype", default=None, choices=DTYPE_CHOICES,
                    help=f"test only this dtype (env {DTYPE_ENV_VAR}; default float32 and "
                         f"float64; float16 and bfloat16 only when chosen)")
    group.addoption("--budget", action="append", default=[], metavar="OP:ORDER:DTYPE=ULPS",
                    help="override a ULP budget for this run, e.g. softplus:2:float32=4 "
                         "(* matches any field; repeatable; printed in the header)")
    group.addoption("--subnormals", default="auto", choices=("auto", "strict"),
                    help="auto: flushed results (0 for a subnormal exact value, or the result "
                         "at a subnormal input read as 0) are accepted (and counted) only where "
                         "the backend flushes; strict: never")


def _selected_dtypes(config) -> tuple[str, ...]:
    chosen = config.getoption("dtype") or os.environ.get(DTYPE_ENV_VAR)
    if chosen is None:
        return DTYPES
    if chosen not in DTYPE_CHOICES:
        raise pytest.UsageError(f"{DTYPE_ENV_VAR} must be one of {DTYPE_CHOICES}, got {chosen!r}")
    return (chosen,)


def pytest_configure(config):
    config.addinivalue_line("markers", "exhaustive: sweeps every float32 input (run with -m exhaustive)")
    config.addinivalue_line("markers", "programs: the rule inside real programs and its capabilities "
                                       "(about 100 s of CPU; run with -m programs)")
    if config.getoption("hypothesis_profile", None) is None:
        settings.load_profile(default_profile())
    try:
        # ops=None: the registry as it is after the import, so a target module may
        # register its own ops (properties.peers.jax_special does)
        config.conformance_target = load_target(target_name_from_env(config.getoption("target")),
                                                ops=None)
        config.conformance_budgets = BudgetTable(tuple(config.getoption("budget")))
    except (TargetError, ValueError) as exc:
        raise pytest.UsageError(str(exc)) from None
    config.conformance_dtypes = _selected_dtypes(config)


def pytest_report_header(config):
    target = config.conformance_target
    found = {op: target.variants(op) for op in OPS}
    variants = "; ".join(f"{op}: {', '.join(v)}" for op, v in found.items() if v)
    hanging = sorted(does_not_return(target.module))
    absent = [op for op, v in found.items() if not v and not target.defines(op)]
    dtypes = config.conformance_dtypes
    x64 = ", ".join(f"{dt} {'on' if dt == 'float64' else 'off'}" for dt in dtypes)
    flushing = ", ".join(f"{dt} {'yes' if backend.flushes_subnormals(dt) else 'no'}"
                         for dt in dtypes)
    policy = config.getoption("subnormals")
    budgets = config.conformance_budgets
    lines = [
        f"conformance target: {target.name} ({variants})",
        f"registered ops: {', '.join(OPS)}"
        + (f"; not in the target (not collected): {', '.join(absent)}" if absent else "")
        + (f"; declared not to return (collected, skipped): {', '.join(hanging)}"
           if hanging else ""),
        f"{backend.describe()}; x64 per test: {x64}",
        f"dtypes: {', '.join(dtypes)}"
        + ("" if any(dt in SIXTEEN_BIT_DTYPES for dt in dtypes)
           else " (float16, bfloat16 not in this run: --dtype float16|bfloat16)")
        + f"; hypothesis profile: {settings._current_profile}",
        f"subnormal policy: {policy}; backend flushes subnormal results: {flushing}",
        "ULP budgets: " + "; ".join(budgets.describe()),
    ]
    if budgets.override_texts:
        lines.append("BUDGETS OVERRIDDEN ON THE COMMAND LINE: " + " ".join(budgets.override_texts))
    return lines


#: Opt-in markers: what they cost, in the skip reason.
_OPT_IN = {
    "exhaustive": "exhaustive sweep: run with -m exhaustive",
    "programs": "the rule inside real programs (remat, control flow, linearize, Jacobians, 8 devices, "
                "export) and its capabilities: about 100 s of CPU, over the default run's budget; "
                "run with -m programs",
}


def pytest_collection_modifyitems(config, items):
    chosen = config.getoption("markexpr") or ""
    for marker, reason in _OPT_IN.items():
        if marker in chosen:
            continue
        skip = pytest.mark.skip(reason=reason)
        for item in items:
            if marker in item.keywords:
                item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    yield
    entries = ledger.drain()
    # Only the conformance properties speak for the target; meta-tests judge others.
    if entries and item.module.__name__.startswith("properties.tests."):
        item.user_properties.append((_LEDGER_PROPERTY, entries))


def pytest_runtest_logreport(report):
    if report.when != "call":  # the teardown report carries the same user_properties
        return
    for name, value in report.user_properties:
        if name == _LEDGER_PROPERTY:
            ledger.merge(_run_table, value)


def pytest_terminal_summary(terminalreporter):
    if not _run_table:
        return
    terminalreporter.section("verdict per op, order and dtype (1. wrong finite values, "
                             "2. nonfinite for finite, 3. wrong for ±inf/nan, 4. limit conventions)")
    for line in ledger.format_summary(_run_table):
        terminalreporter.write_line(line)
    if terminalreporter.config.getoption("verbose") > 0:
        terminalreporter.section("worst ULP error seen per mode (flushed, nonfinite, wrong-limit, "
                                 "nan-mismatch and convention results counted apart)")
        for line in ledger.format_table(_run_table):
            terminalreporter.write_line(line)
