"""The verdict a person reads: failures in four groups, in order, and one summary line each.

(1) wrong finite values, (2) nonfinite where the exact value is finite, (3) wrong
where it is ±inf or nan, (4) limit conventions (properties.classify.VERDICTS);
the closing summary counts each run's results once.
"""

import math
import types

import mpmath
import numpy as np
import pytest

from properties import ledger, plugin
from properties.assertions import assert_within_budget, compare
from properties.classify import (CONVENTION, FINITE_FOR_NONFINITE, JUDGED, LIMIT_CONVENTION,
                                 NONFINITE, NONFINITE_FOR_FINITE, WRONG_FINITE,
                                 WRONG_FOR_NONFINITE, Stats, classify)
from properties.ops import OpSpec

F32 = np.float32


def _exp(x):
    return mpmath.mpf("nan") if mpmath.isnan(x) else mpmath.exp(x)


#: exp at 1 (3 ULP high: wrong finite), 2 (nan: nonfinite for finite), 100 (exp
#: overflows: finite for inf), -inf (nan for the limit 0: a convention), 3 (right).
X = F32([1.0, 2.0, 100.0, -np.inf, 3.0])
GOT = F32([F32(math.e) + 3 * np.spacing(F32(math.e)), np.nan, 3e38, np.nan, np.exp(F32(3))])


def test_results_at_a_limit_point_are_conventions_only_where_the_op_names_its_limits():
    plain = classify(GOT, _exp, X)
    assert plain.classes.tolist()[:4] == [JUDGED, NONFINITE, FINITE_FOR_NONFINITE, NONFINITE]
    c = classify(GOT, _exp, X, limits=((),))
    assert c.classes.tolist()[:4] == [JUDGED, NONFINITE, FINITE_FOR_NONFINITE, CONVENTION]
    assert c.verdicts.tolist()[:4] == [WRONG_FINITE, NONFINITE_FOR_FINITE, WRONG_FOR_NONFINITE,
                                       LIMIT_CONVENTION]
    edge = classify(F32([0.0, 7.0]), _exp, F32([-0.0, 2.0]), limits=((0.0,),))
    assert edge.classes.tolist() == [CONVENTION, JUDGED], "-0.0 is the limit point 0.0"


def test_a_message_lists_wrong_values_first_and_reproduces_the_first_of_them():
    c = compare(GOT[::-1].copy(), _exp, X[::-1].copy(), limits=((),))  # the nan at -inf first
    with pytest.raises(AssertionError) as info:
        assert_within_budget(c, what="exp value float32", rule="exp", derivative="value",
                             budget=0.5, flush_allowed=True, repro=lambda i: f"element {i}")
    ledger.drain()
    message = str(info.value)
    heads = [message.index(f"\n  {g}. ") for g in (1, 2, 3, 4)]
    assert heads == sorted(heads), message
    assert "4 of 5 elements outside the budget" in message and "worst 2.654 ULP at x=1.0" in message
    assert message.endswith("reproduce: element 4"), message  # x=1.0, reversed: index 4


def test_examples_keep_the_simplest_input_whatever_order_the_parts_come_in():
    x = F32([5.0, -2.0, 2.0, 7.0])
    got = F32([np.nan] * 4)
    whole = Stats.of(classify(got, _exp, x))
    parts = Stats.of(classify(got[2:], _exp, x[2:])).merge(Stats.of(classify(got[:2], _exp, x[:2])))
    assert whole.examples == parts.examples == {"nonfinite": (("-2.0",), "nan", "0.13533528")}
    assert Stats.from_json(whole.to_json()) == whole


def test_the_summary_counts_each_test_once_though_call_and_teardown_reports_carry_it():
    stats = Stats.of(classify(GOT, _exp, X, limits=((),)))
    entries = [{"key": ["exp_jvp", "value", "float32"], "stats": stats.to_json()}]
    saved = dict(plugin._run_table)
    plugin._run_table.clear()
    try:
        for when in ("setup", "call", "teardown"):
            plugin.pytest_runtest_logreport(types.SimpleNamespace(
                when=when, user_properties=[(plugin._LEDGER_PROPERTY, entries)]))
        assert plugin._run_table[("exp_jvp", "value", "float32")].n == X.size
        lines = ledger.format_summary(plugin._run_table)
    finally:
        plugin._run_table.clear()
        plugin._run_table.update(saved)
    assert lines[0] == "exp_jvp" and "n=5" in lines[1], lines
    order = [lines[1].index(f"{g}. ") for g in (1, 2, 3, 4)]
    assert order == sorted(order), lines
    assert "4. limit conventions: 1, e.g. x=-inf: got nan, exact 0.0" in lines[1], lines


def test_an_op_declares_its_domain_and_what_derivatives_are_outside_it():
    op = OpSpec(name="log_like", exact={(0,): mpmath.log}, domain=((0.0, math.inf),),
                outside_domain="unchecked", conventions={1: {1.0: 1}})
    assert op.limit_points(1) == ((0.0, 1.0),) and op.limit_points(0) == ((0.0,),)
    x = F32([-1.0, 0.0, 2.0, np.nan])
    assert op.checked_inputs(1, x).tolist() == [False, True, True, True]
    assert op.checked_inputs(0, x).all(), "the value is checked everywhere"
    with pytest.raises(ValueError, match="outside_domain"):
        OpSpec(name="bad", exact={(0,): mpmath.log}, outside_domain="zero")
    with pytest.raises(ValueError, match="domain"):
        OpSpec(name="bad", exact={(0,): mpmath.log}, domain=((1.0, 0.0),))


def _search_failure(monkeypatch, twin_fails: bool):
    """test_within_ulp_budget on a planted defect (softplus 1 ULP high on [3, 6]), with
    the deterministic twin's verdict forced: the failure, and the phases each search ran."""
    from hypothesis import Phase, settings
    from properties import backend
    from properties.budgets import BudgetTable
    from properties.ops import OPS
    from properties.target import load_target
    from properties.tests import test_accuracy

    phases = []
    real = settings.__call__

    def recording(self, test):
        phases.append(Phase.shrink in self.phases)
        return real(self, test)

    monkeypatch.setattr(settings, "__call__", recording)
    monkeypatch.setattr(test_accuracy, "_special_values_fail", lambda *a: twin_fails)
    target = load_target("properties.defects.one_ulp_high_between_3_and_6")
    with backend.x64_for("float32"), pytest.raises(AssertionError) as info:
        test_accuracy.test_within_ulp_budget(
            target, OPS["softplus"], "vjp", target.rule("softplus", "vjp"), (0, "value"),
            "float32", BudgetTable(("softplus:0:float32=0.51",)), True)
    ledger.drain()
    return info.value, phases


def test_a_search_whose_twin_fails_is_not_shrunk(monkeypatch):
    failure, phases = _search_failure(monkeypatch, twin_fails=True)
    assert phases == [False], phases
    assert any("not shrunk" in n for n in getattr(failure, "__notes__", [])), failure
    assert "reproduce:" in str(failure) and "1. wrong finite results" in str(failure)


def test_a_search_whose_twin_passes_is_rerun_with_shrinking(monkeypatch):
    failure, phases = _search_failure(monkeypatch, twin_fails=False)
    assert phases == [False, True], phases
    assert not any("not shrunk" in n for n in getattr(failure, "__notes__", [])), failure
