"""Properties 9-13: the rule inside the programs people write.

For every rule, unary and binary, in both dtypes, at every special input (the
special values and branch points with their neighbours, or every special pair),
all programs of a property in one compiled call (:mod:`properties.programs`):

9.  **primals**: ``jax.vjp(f, x)[0]``, the aux of ``jax.value_and_grad``,
    ``jax.linearize(f, x)[0]`` and ``jax.jvp(f, (x,), (t,))[0]`` are ``f(x)`` bit for
    bit (a ``custom_vjp``'s fwd or a ``custom_jvp``'s rule can return another
    primal than the function, and ``value_and_grad`` users get that one), and so
    is ``value_and_grad``'s gradient the gradient;
10. **remat**: ``jax.checkpoint`` with the default policy, ``nothing_saveable`` and
    ``everything_saveable``, first and second derivatives, and ``grad`` of a
    checkpointed ``grad``: bit for bit;
11. **control flow**: the rule in a ``lax.scan`` body (the derivative through the
    stacked outputs and through the carry), ``vmap`` of ``lax.scan``, both branches
    of ``lax.cond``, ``lax.fori_loop`` and ``lax.map``: bit for bit, second
    derivatives within budget (loop bodies round differently on XLA:CPU);
12. **linearize and transpose** (``custom_jvp``): ``jax.linearize``'s linear map and
    ``jax.linear_transpose`` of it give the JVP and the VJP, first and second
    order, bit for bit;
13. **Jacobians**: ``jax.jacrev``, ``jax.jacfwd`` and ``jax.hessian`` (a
    ``custom_vjp``: ``jacrev`` of ``grad``) on rows of 8 are exactly diagonal (an
    off-diagonal nonzero is a backward or tangent pass that mixes batch elements)
    with the derivative on the diagonal, and per-example gradients (``vmap`` of
    ``grad`` over rows) are ``grad`` of the sum, bit for bit.

Every result is also within the ULP budget of the correctly rounded reference.

Cost: opt-in (``pytest -m programs``): 61.5 s of CPU for stable_ops in one process
(``benchmarks/profile_programs.py``: control flow 29 s, Jacobians 8, the shared
untransformed derivatives 7.6, primals 7.5, remat 7, linearize 2), 106 s of wall
time with ``-n 2`` and an empty compilation cache on the loaded 2-core machine
(each worker traces again); the default run has a few of its 120 s left. The
untransformed derivatives are compiled once per rule and dtype for all properties
(:func:`properties.programs.compiled_baselines`: 3% saved). What is left is one copy
of the rule's kernel per program, traced and compiled: logaddexp's float64 value
kernel costs about 2 s a copy, each API of the primals and each loop body of the
control flow holds one, and tracing ``vmap`` of it is half of its control flow.
"""

import numpy as np
import pytest

from properties import programs
from properties.assertions import (assert_true, assert_within_budget, compare, derivative_label,
                                   repro_line)
from properties.evaluate import order_of

pytestmark = pytest.mark.programs  # opt-in: about 90 s of CPU (see the module docstring)

#: How many failing programs a message lists in full.
MAX_PROGRAMS = 4


def _show(v) -> str:
    v = np.asarray(v)
    bits = v.view(np.uint32 if v.dtype.itemsize == 4 else np.uint64)
    return f"{v[()]!r} [{int(bits):#0{v.dtype.itemsize * 2 + 2}x}]"


def _at(args, i) -> str:
    return ", ".join(f"{n}={_show(a[i])}" for n, a in zip("xyz", args))


def check_programs(prop, *, target, op, variant, rule, dtype, budgets, flush_allowed):
    """Run property ``prop``'s programs on the special inputs and assert each is within
    budget and, where declared exact, the untransformed result bit for bit."""
    __tracebackhide__ = True
    found = programs.programs_for(prop, arity=op.arity, forward=variant == "jvp")
    if not found:
        pytest.skip(f"{prop}: no program applies to a custom_{variant} rule")
    args = programs.special_inputs(op, dtype)
    n = args[0].size
    padded = programs.padded(args)
    name = f"{op.name}_{variant}"
    try:
        results, baselines = programs.run(rule, found, padded, forward=variant == "jvp")
    except programs.ProgramError as error:
        raise AssertionError(f"{prop}: {name} {dtype}: {error}") from None
    failures = []
    for p in found:
        out = results[p.name]
        untransformed = baselines[(p.derivative, p.mode)]
        label = derivative_label(p.derivative, p.mode)
        what = f"{prop}: {name} {p.name} {dtype}"
        repro = lambda i, p=p: repro_line(
            module=target.name, rule=name, dtype=dtype, x=tuple(a[i] for a in args),
            expression=f"__import__('properties.programs').programs.run_one(f, {p.name!r}, "
                       f"{', '.join('xyz'[:op.arity])})")
        try:
            if p.jacobian:
                assert_true(out.shape == (padded[0].size // programs.ROW, programs.ROW, programs.ROW),
                            f"{what}: out.shape={out.shape}, but should be "
                            f"{(padded[0].size // programs.ROW, programs.ROW, programs.ROW)}")
                mixed = programs.off_diagonal_nonzeros(out, untransformed, padded)
                mixed = mixed[(mixed[:, 0] * programs.ROW + mixed[:, 1] < n)
                              & (mixed[:, 0] * programs.ROW + mixed[:, 2] < n)]
                if mixed.size:
                    r, i, j = (int(v) for v in mixed[0])
                    k, m = r * programs.ROW + i, r * programs.ROW + j
                    raise AssertionError(
                        f"{what}: BATCH MIXING: {len(mixed)} off-diagonal entries of the Jacobian "
                        f"blocks are not 0 (an elementwise op's Jacobian is diagonal); e.g. "
                        f"d out[{k}] / d in[{m}] = {_show(out[r, i, j])}, but should be 0 "
                        f"[element {k}: {_at(padded, k)}; element {m}: {_at(padded, m)}]"
                        f"\n  reproduce: {repro(k)}")
                out = programs.diagonal(out)
            assert_true(out.shape == untransformed.shape and out.dtype == untransformed.dtype,
                        f"{what}: out shape/dtype={out.shape}/{out.dtype}, but should be "
                        f"{untransformed.shape}/{untransformed.dtype}")
            got, base = out[:n], untransformed[:n]
            assert_within_budget(compare(got, op.reference(p.derivative), *args),
                                 what=what, rule=name, derivative=f"{label} [{prop}]",
                                 budget=budgets(op.name, order_of(p.derivative), dtype),
                                 flush_allowed=flush_allowed, repro=repro)
            if p.exact:
                differ = np.flatnonzero(~programs.same_bits(got, base))
                if differ.size:
                    i = int(differ[0])
                    raise AssertionError(
                        f"{what}: {differ.size} of {n} elements are not bit for bit the "
                        f"untransformed {label}: out={_show(got[i])}, but should be "
                        f"{_show(base[i])} at {_at(args, i)}\n  reproduce: {repro(i)}")
        except AssertionError as failure:
            failures.append(str(failure))
    if failures:
        shown = failures[:MAX_PROGRAMS]
        more = f"\n(and {len(failures) - len(shown)} more programs)" if len(failures) > len(shown) else ""
        raise AssertionError(f"{prop}: {name} {dtype}: {len(failures)} of {len(found)} programs "
                             f"fail\n" + "\n".join(shown) + more)


def test_every_api_returns_the_primal_of_the_function(target, op, variant, rule, dtype, budgets,
                                                      flush_allowed):
    check_programs("primals", target=target, op=op, variant=variant, rule=rule, dtype=dtype,
                   budgets=budgets, flush_allowed=flush_allowed)


@pytest.mark.usefixtures("differentiable")
def test_remat(target, op, variant, rule, dtype, budgets, flush_allowed):
    check_programs("remat", target=target, op=op, variant=variant, rule=rule, dtype=dtype,
                   budgets=budgets, flush_allowed=flush_allowed)


@pytest.mark.usefixtures("differentiable")
def test_control_flow(target, op, variant, rule, dtype, budgets, flush_allowed):
    check_programs("control flow", target=target, op=op, variant=variant, rule=rule, dtype=dtype,
                   budgets=budgets, flush_allowed=flush_allowed)


@pytest.mark.usefixtures("differentiable")
def test_linearize_and_transpose(target, op, variant, rule, dtype, budgets, flush_allowed):
    check_programs("linearize", target=target, op=op, variant=variant, rule=rule, dtype=dtype,
                   budgets=budgets, flush_allowed=flush_allowed)


@pytest.mark.usefixtures("differentiable")
def test_jacobians_are_diagonal(target, op, variant, rule, dtype, budgets, flush_allowed):
    check_programs("jacobians", target=target, op=op, variant=variant, rule=rule, dtype=dtype,
                   budgets=budgets, flush_allowed=flush_allowed)
