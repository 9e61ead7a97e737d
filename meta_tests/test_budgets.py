"""The budget table itself: its structural figures hold, its overrides parse."""

import jax
import numpy as np
import pytest

import reference
from properties import evaluate
from properties.budgets import AUTODIFF_AGREEMENT, BUDGETS, BudgetTable, parse_override
from properties.tests.test_structure import stable_formulation
from reference import functions as mp

MODES = {1: ("reverse", "forward"), 2: ("reverse-over-reverse", "forward-over-forward",
                                        "forward-over-reverse")}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("order", [1, 2])
def test_autodiff_agreement_figures_are_measured_maxima(dtype, order):
    """AUTODIFF_AGREEMENT is not exceeded by autodiff of the stable formulation on a seeded sample."""
    rng = np.random.default_rng(20261127)
    big = {"float32": 80.0, "float64": 700.0}[dtype]  # exp(-|x|) stays normal
    x = np.concatenate([[0.0], rng.uniform(-40, 40, 300),
                        np.geomspace(1e-8, big, 150), -np.geomspace(1e-8, big, 150)]).astype(dtype)
    with jax.enable_x64(dtype == "float64"):
        worst = max(float(reference.ulp_error(evaluate.evaluate(stable_formulation, order, m, x),
                                              mp.SOFTPLUS_DERIVATIVES[order], x).max())
                    for m in MODES[order])
    assert worst <= AUTODIFF_AGREEMENT[(order, dtype)], (
        f"autodiff of the stable formulation d{order} {dtype}: measured {worst:.3g} ULP, "
        f"but AUTODIFF_AGREEMENT declares {AUTODIFF_AGREEMENT[(order, dtype)]}")


def test_override_applies_and_is_reported():
    table = BudgetTable(("softplus:2:float32=4",))
    assert table("softplus", 2, "float32") == 4
    assert table("softplus", 2, "float64") == BUDGETS[("softplus", 2, "float64")]
    assert any("command line" in line for line in table.describe())


def test_wildcard_override():
    table = BudgetTable(("softplus:*:*=7",))
    assert {table(*key) for key in BUDGETS if key[0] == "softplus"} == {7}
    assert table("sigmoid", 0, "float32") == BUDGETS[("sigmoid", 0, "float32")]


@pytest.mark.parametrize("text", ["softplus:2=4", "softplus:2:float32=-1", "x", "softplus:2:float32=abc"])
def test_malformed_override_names_what_was_given(text):
    with pytest.raises(ValueError, match="--budget"):
        parse_override(text)


def test_override_matching_nothing_is_an_error():
    with pytest.raises(ValueError, match="matches no budget"):
        BudgetTable(("sofplus:2:float32=4",))
