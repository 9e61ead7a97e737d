"""Mutation score: every planted defect is caught, by the property one would expect.

For each module of :mod:`properties.defects`, the property it declares
(``EXPECTED``) is run in-process on that target, at that parametrization, and
must fail; the same checks must pass on ``stable_ops``. The properties are the
suite's own test functions, called with the values their fixtures would give;
Hypothesis properties run their own body under fixed settings
(derandomized, no database, no shrinking: a failure only has to be found).

The score (caught / planted, and which property caught each) is printed at the
end of the run; it must be 100%. To reproduce one defect from the command line,
run the ``pytest`` line printed beside it, e.g.::

    pytest --pyargs properties --target properties.defects.grad_sign_flipped \\
        -k "test_special_values_within_ulp_budget[float32-softplus-vjp-d1-reverse]"

Run alone, ``pytest -n 2 meta_tests/test_planted_defects.py`` takes about 35 s
of CPU (most of it compilation).
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import shlex
import subprocess
import sys

import pytest
from hypothesis import Phase, given, settings, strategies as st

from properties import backend, defects
from properties.budgets import BudgetTable
from properties.ops import OPS, SOFTPLUS
from properties.target import load_target
from properties.tests import (test_accuracy, test_capabilities, test_dense, test_devices,
                              test_export, test_programs, test_structure, test_transforms)

CATALOGUE = defects.catalogue()
MUTATION_PROPERTY = "mutation_score"

#: Enough random examples to find every planted defect; fixed, so the verdict
#: does not depend on the active Hypothesis profile.
HYPOTHESIS = settings(max_examples=15, derandomize=True, database=None, deadline=None,
                      phases=(Phase.explicit, Phase.generate), report_multiple_bugs=False,
                      suppress_health_check=list(settings.default.suppress_health_check))

_PROPERTY_MODULES = (test_accuracy, test_transforms, test_structure, test_programs,
                     test_capabilities, test_dense, test_devices, test_export)

#: Properties that start a JAX process of their own (30-70 s each on the loaded
#: machine): their defects are checked with them, opt-in (``-m programs``).
_OWN_PROCESS = {name for name in dir(test_devices) if name.startswith("test_")}


def _marks(test: str):
    return [pytest.mark.programs] if test in _OWN_PROCESS else []


def _property(name: str):
    for module in _PROPERTY_MODULES:
        fn = getattr(module, name, None)
        if fn is not None:
            return fn
    raise LookupError(f"no property test named {name!r} in properties/tests")


def _arguments(fn, target, expected: defects.Expectation) -> dict:
    """What pytest's fixtures and parametrization would pass to ``fn``."""
    dtype = expected.dtype
    op = OPS[expected.op]
    values = dict(target=target, op=op, dtype=dtype, budgets=BudgetTable(),
                  flush_allowed=backend.flushes_subnormals(dtype), **expected.params)
    if "variant" in expected.params:
        values["rule"] = target.rule(op.name, expected.params["variant"])
    values["both_variants"] = target.variants(op.name)
    wanted = inspect.signature(fn).parameters
    return {k: v for k, v in values.items() if k in wanted}


def run_property(target_name: str, expected: defects.Expectation) -> BaseException | None:
    """Run ``expected``'s property on ``target_name``; the failure it raised, or None."""
    fn = _property(expected.test)
    inner = getattr(getattr(fn, "hypothesis", None), "inner_test", None)
    if inner is not None:  # a Hypothesis property: its body, under our settings
        fn = HYPOTHESIS(given(data=st.data())(inner))
    kwargs = _arguments(inner or fn, load_target(target_name), expected)
    try:
        with backend.x64_for(expected.dtype):
            fn(**kwargs)
    except BaseException as failure:  # noqa: BLE001 - the verdict is the exception itself
        if isinstance(failure, (KeyboardInterrupt, pytest.skip.Exception)):
            raise
        return failure
    return None


def _command_line(defect: defects.Defect) -> str:
    return (f"pytest --pyargs properties --target {defect.target} "
            f"-k \"{defect.expected.k_expression()}\"")


def _first_line(failure: BaseException) -> str:
    text = str(failure).strip().splitlines()
    return f"{type(failure).__name__}: {text[0] if text else ''}"[:160]


@pytest.mark.parametrize("defect", [pytest.param(d, id=d.name, marks=_marks(d.expected.test))
                                    for d in CATALOGUE])
def test_defect_is_caught_by_its_expected_property(defect, record_property):
    expected = defect.expected
    failure = run_property(defect.target, expected)
    caught = isinstance(failure, expected.raises)
    record_property(MUTATION_PROPERTY, dict(
        name=defect.name, caught=caught, property=expected.describe(),
        how="escaped" if failure is None else _first_line(failure),
        reproduce=_command_line(defect)))
    assert failure is not None, (
        f"{defect.name} escaped {expected.describe()}: the property passed on the defective "
        f"rule [{defect.imitates}]")
    assert caught, (f"{defect.name}: {expected.describe()} failed with {_first_line(failure)}, "
                    f"but should fail with {expected.raises.__name__}")


_CHECKS = sorted({dataclasses.replace(d.expected, raises=AssertionError) for d in CATALOGUE},
                 key=lambda e: (e.test, e.dtype, e.op, repr(e.params_items)))


@pytest.mark.parametrize("expected", [pytest.param(e, id=e.describe(), marks=_marks(e.test))
                                      for e in _CHECKS])
def test_correct_rules_pass_the_same_checks(expected):
    failure = run_property("stable_ops", expected)
    assert failure is None, (f"stable_ops fails {expected.describe()}, the check that catches "
                             f"a planted defect (false alarm): {_first_line(failure)}")


def test_catalogue_is_large_and_documented():
    assert len(CATALOGUE) >= 20, [d.name for d in CATALOGUE]
    for d in CATALOGUE:
        assert d.imitates.startswith("Resembles"), (d.name, d.imitates)
        _property(d.expected.test)  # names an existing property
        assert set(load_target(d.target).variants(SOFTPLUS.name)) == {"vjp", "jvp"}, d.name


@pytest.mark.slow
def test_a_defect_is_caught_from_the_command_line():
    """The printed line runs the same property through pytest, and only it fails."""
    defect = next(d for d in CATALOGUE if d.name == "grad_sign_flipped")
    env = {k: v for k, v in os.environ.items()
           if k not in ("CONFORMANCE_TARGET", "CONFORMANCE_DTYPE", "JAX_ENABLE_X64")}
    args = shlex.split(_command_line(defect))[1:]
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                          "--no-header", *args], capture_output=True, text=True, env=env,
                         timeout=300)
    out = run.stdout + run.stderr
    assert run.returncode == 1, out[-3000:]
    assert f"FAILED properties/tests/test_accuracy.py::{defect.expected.k_expression()}" in out, \
        out[-3000:]
    assert "1 failed" in out, out[-3000:]
