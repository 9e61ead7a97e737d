"""Rules written with ``symbolic_zeros=True`` are checked as any other, and do get zeros.

The example target ``examples/symbolic_zeros/logaddexp_symbolic.py`` skips the
work for every :class:`jax.custom_derivatives.SymbolicZero` tangent or
cotangent and every argument its ``custom_vjp`` forward pass is told is not
perturbed. The suite's partials in one argument (``grad(f, argnums=1)``) hand it
one, so its properties check the symbolic-zero path: they pass on this rule,
the rule is seen to receive a symbolic zero while they run, and the planted
defect ``symbolic_zero_wrong_term`` (the wrong term kept for a zero) is caught
by them (``meta_tests/test_planted_defects.py``).
"""

import pathlib

import pytest

from properties import backend
from properties.budgets import BudgetTable
from properties.ops import OPS
from properties.target import load_target
from properties.tests import test_accuracy

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "symbolic_zeros"
LOGADDEXP = OPS["logaddexp"]


@pytest.fixture
def example(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE))
    target = load_target("logaddexp_symbolic")
    seen = []  # whether each tangent, cotangent or custom_vjp argument seen was a zero
    for name in ("_is_zero", "_is_fixed"):
        original = getattr(target.module, name)
        monkeypatch.setattr(target.module, name,
                            lambda t, original=original: seen.append(original(t)) or seen[-1])
    return target, seen


@pytest.mark.parametrize("variant, derivative, dtype", [  # float32: no float64 kernel to compile
    ("jvp", ((0, 1), "reverse"), "float32"), ("jvp", ((1, 1), "reverse-over-reverse"), "float32"),
    ("vjp", ((0, 1), "reverse"), "float32"), ("vjp", ((1, 1), "reverse-over-reverse"), "float32")])
def test_symbolic_zero_rule_passes_and_receives_zeros(example, variant, derivative, dtype):
    target, seen = example
    with backend.x64_for(dtype):
        test_accuracy.test_special_values_within_ulp_budget(
            target=target, op=LOGADDEXP, variant=variant, rule=target.rule("logaddexp", variant),
            derivative=derivative, dtype=dtype, budgets=BudgetTable(),
            flush_allowed=backend.flushes_subnormals(dtype))
    assert any(seen), (f"logaddexp_{variant} {derivative} {dtype}: the rule never received a "
                       f"SymbolicZero ({len(seen)} tangents/cotangents seen), so the check did not "
                       f"exercise symbolic zeros")
