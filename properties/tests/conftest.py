"""Fixtures and parametrization of the conformance properties (this package only).

``dtype``, ``op`` and ``variant`` are parametrized from the run's options;
a variant the target lacks is skipped with the reason; every test runs with
the x64 mode of its dtype, restored afterwards.
"""

import jax.numpy as jnp
import pytest

from properties import backend
from properties.ops import OPS
from properties.evaluate import derivative_label, derivatives_for
from properties.target import VARIANT_MODES, VARIANTS, does_not_return


def _ops_for(metafunc) -> list[str]:
    """The registered ops this test applies to: those the target implements (the
    header lists the others), with derivative references where the test uses the
    ``differentiable`` fixture, of arity 2 where it uses ``binary``."""
    target = metafunc.config.conformance_target
    names = metafunc.fixturenames
    return [name for name, op in OPS.items()
            if target.defines(name)
            and ("differentiable" not in names or op.orders != (0,))
            and ("binary" not in names or op.arity == 2)]


def pytest_generate_tests(metafunc):
    config = metafunc.config
    names = metafunc.fixturenames
    if "dtype" in names:
        metafunc.parametrize("dtype", config.conformance_dtypes)
    if "declared_hang" in names:  # test_declared_hangs: the target's DOES_NOT_RETURN
        declared = does_not_return(config.conformance_target.module)
        none = pytest.param(None, id="none", marks=pytest.mark.skip(
            reason=f"target {config.conformance_target.name!r} declares no rule that does not "
                   f"return (DOES_NOT_RETURN)"))
        metafunc.parametrize("declared_hang", [pytest.param((name, *declared[name]), id=name)
                                               for name in sorted(declared)] or [none])
    if "op" in names and "variant" in names and "derivative" in names:
        # Only the derivatives each op has references for, and the (order, mode)
        # pairs each variant supports: no forward mode for custom_vjp.
        cases = [pytest.param(OPS[name], v, d,
                              id=f"{name}-{v}-{derivative_label(*d).replace(' ', '-')}")
                 for name in _ops_for(metafunc) for v in VARIANTS
                 for d in derivatives_for(VARIANT_MODES[v], op=OPS[name])]
        metafunc.parametrize("op, variant, derivative", cases)
        return
    if "op" in names:
        metafunc.parametrize("op", [pytest.param(OPS[name], id=name) for name in _ops_for(metafunc)])
    if "variant" in names and "derivative" in names:
        cases = [pytest.param(v, d, id=f"{v}-{derivative_label(*d).replace(' ', '-')}")
                 for v in VARIANTS for d in derivatives_for(VARIANT_MODES[v])]
        metafunc.parametrize("variant, derivative", cases)
    elif "variant" in names:
        metafunc.parametrize("variant", VARIANTS)


@pytest.fixture(scope="session")
def target(pytestconfig):
    """The loaded :class:`properties.target.Target`."""
    return pytestconfig.conformance_target


@pytest.fixture(scope="session")
def budgets(pytestconfig):
    """The :class:`properties.budgets.BudgetTable` of this run (overrides applied)."""
    return pytestconfig.conformance_budgets


@pytest.fixture(scope="session")
def flush_allowed_for(pytestconfig):
    """dtype -> whether a flushed result passes (properties.classify), by the run's
    subnormal policy: never with ``--subnormals strict``, else where the backend flushes."""
    strict = pytestconfig.getoption("subnormals") == "strict"
    return lambda dtype: not strict and backend.flushes_subnormals(dtype)


@pytest.fixture
def flush_allowed(flush_allowed_for, dtype):
    """Whether a flushed result passes in this test's dtype."""
    return flush_allowed_for(dtype)


@pytest.fixture
def rule(target, op, variant):
    """The target's ``<op>_<variant>``, or a skip naming what is missing."""
    fn = target.rule(op.name, variant)
    if fn is None:
        pytest.skip(target.missing_reason(op.name, variant))
    return fn


@pytest.fixture
def differentiable(op):
    """Skip properties of derivatives for a value-only op (its spec has no references for them)."""
    if op.orders == (0,):
        pytest.skip(f"op {op.name!r} is value-only (max_order=0): no derivative is checked")


@pytest.fixture
def binary(op):
    """Skip properties of binary ops (broadcasting) for a unary op."""
    if op.arity != 2:
        pytest.skip(f"op {op.name!r} is unary: this is a property of binary ops")


@pytest.fixture(autouse=True)
def _x64_scope(request):
    """x64 on for float64 tests, off otherwise, for this test only.

    A tripwire checks that the mode in force is the one asked for, so a leak of
    the x64 switch from another test or worker fails where it lands.
    """
    callspec = getattr(request.node, "callspec", None)
    dtype = callspec.params.get("dtype", "float32") if callspec else "float32"
    with backend.x64_for(dtype):
        default = jnp.zeros(()).dtype.name
        wanted = "float64" if dtype == "float64" else "float32"  # 16-bit: x64 off
        assert default == wanted, (f"x64 mode leaked: default JAX dtype is {default}, "
                                   f"but this {dtype} test should run with x64 "
                                   f"{'on' if dtype == 'float64' else 'off'}")
        yield


#: Modules whose properties apply to float16 and bfloat16.
SIXTEEN_BIT_MODULES = ("properties.tests.test_exhaustive16",)


@pytest.fixture(autouse=True)
def _sixteen_bit_only_where_it_applies(request):
    """Skip a float32/float64 property under ``--dtype float16|bfloat16``, saying why.

    Those properties draw from Hypothesis' ``st.floats`` (no bfloat16 width), the
    ops' float32/float64 branch points and dense sweeps, and float32 fast
    references; a 16-bit format has 65,536 values, and test_exhaustive16.py checks
    every one, for every order and mode, jitted and eagerly, instead.
    """
    callspec = getattr(request.node, "callspec", None)
    dtype = callspec.params.get("dtype") if callspec else None
    if dtype in ("float16", "bfloat16") and request.module.__name__ not in SIXTEEN_BIT_MODULES:
        pytest.skip(f"{dtype}: this property samples float32/float64 regimes; every {dtype} "
                    f"input is checked by properties/tests/test_exhaustive16.py")
