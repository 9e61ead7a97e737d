"""A target's non-differentiable parameters, bound for the suite (``NONDIFF_ARGUMENTS``).

The example target ``examples/nondiff/softplus_threshold.py`` defines softplus
with a ``threshold`` (``nondiff_argnums``) and declares ``threshold=40.0``, at
which it is exact: the suite's properties run on the bound rule and pass; bound
to 5.0 instead, they fail, so the declared value is the one that reaches the
rule.
"""

import importlib
import pathlib

import pytest

from properties import backend
from properties.budgets import BudgetTable
from properties.ops import SOFTPLUS
from properties.target import TargetError, load_target
from properties.tests import test_accuracy

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "nondiff"
NAME = "softplus_threshold"


@pytest.fixture
def example(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE))
    return load_target(NAME)


def _special_values(target, variant, derivative, dtype):
    with backend.x64_for(dtype):
        test_accuracy.test_special_values_within_ulp_budget(
            target=target, op=SOFTPLUS, variant=variant, rule=target.rule("softplus", variant),
            derivative=derivative, dtype=dtype, budgets=BudgetTable(),
            flush_allowed=backend.flushes_subnormals(dtype))


def test_rule_is_bound_once_with_the_declared_arguments(example):
    rule = example.rule("softplus", "vjp")
    assert rule.func is example.module.softplus_vjp and rule.keywords == {"threshold": 40.0}, rule
    assert rule is example.rule("softplus", "vjp"), "a new partial every call defeats the caches"


@pytest.mark.parametrize("variant, derivative, dtype", [
    ("vjp", (0, "value"), "float64"), ("jvp", (2, "forward-over-reverse"), "float32")])
def test_the_suite_passes_on_the_bound_rule(example, variant, derivative, dtype):
    _special_values(example, variant, derivative, dtype)


def test_a_wrong_bound_threshold_is_caught_with_it_in_the_repro_line(example, monkeypatch):
    module = importlib.import_module(NAME)
    monkeypatch.setattr(module, "NONDIFF_ARGUMENTS", {"softplus_vjp": {"threshold": 5.0}})
    with pytest.raises(AssertionError, match=r"functools\.partial\(f, \*\*\{'threshold': 5\.0\}\)"):
        _special_values(load_target(NAME), "vjp", (0, "value"), "float32")


def test_a_malformed_declaration_is_one_clear_error(example, monkeypatch):
    monkeypatch.setattr(example.module, "NONDIFF_ARGUMENTS", {"softplus_vjp": 40.0})
    with pytest.raises(TargetError, match=r"NONDIFF_ARGUMENTS\['softplus_vjp'\] must map"):
        example.rule("softplus", "vjp")
