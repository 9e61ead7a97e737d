"""Properties 1-4: values and derivatives against the correctly rounded reference.

Parametrized over every variant the target defines, every (order, mode) it
supports, and each selected dtype:

1. values within the ULP budget;
2. first derivatives within budget (reverse mode, and forward for ``_jvp``);
3. second derivatives within budget (every nesting of modes the variant allows);
4. finite results for finite inputs, the exact limits at ±inf, nan in -> nan out
   (deterministic, one test per regime, so a failure names the regime).

Time to verdict: the random search of property 1-3 runs without Hypothesis'
shrink phase first. Where it passes, nothing changes (a passing search never
shrinks). Where it fails, and the deterministic special values fail for the same
op, variant, derivative and dtype, shrinking would only rediscover what that test
already names: the unshrunk failure is the verdict (its message lists the
failing elements by verdict group, with a reproduce line; Hypothesis has saved
the example, so a rerun replays it). Only where the special values pass is the
search repeated with shrinking, which replays the saved example and shrinks it.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

import reference
from properties import evaluate, strategies
from properties.evaluate import index_of, order_of
from properties.assertions import assert_rule_within_budget, assert_true, compare, derivative_label


def _check(target, op, variant, rule, derivative, x, budgets, flush_allowed, prop, budget=None):
    __tracebackhide__ = True
    order, mode = derivative
    dtype = (x[0] if isinstance(x, tuple) else x).dtype.name
    return assert_rule_within_budget(
        target=target.name, op=op, variant=variant, rule=rule, order=order, mode=mode, x=x,
        budget=budgets(op.name, order_of(order), dtype) if budget is None else budget,
        flush_allowed=flush_allowed, prop=prop)


def _special_inputs(op, dtype):
    """Every special value and branch point and its two neighbours (unary), or every pair
    of :func:`properties.strategies.special_pairs` (binary)."""
    if op.arity == 2:
        return strategies.special_pairs(dtype, op)
    specials = strategies.special_values(dtype, op)
    finite = specials[np.isfinite(specials)]
    with np.errstate(over="ignore"):  # max's upper neighbour is inf (a limit: kept)
        neighbours = np.concatenate([np.nextafter(finite, np.array(d, dtype))
                                     for d in (-math.inf, math.inf)])
    return np.concatenate([specials, neighbours])


def _special_values_fail(target, op, variant, rule, derivative, dtype, budgets,
                         flush_allowed) -> bool:
    """Whether :func:`test_special_values_within_ulp_budget` fails for this case
    (measured again, outside the ledger, so the closing summary counts it once)."""
    order, mode = derivative
    x = _special_inputs(op, dtype)
    args = tuple(x) if isinstance(x, tuple) else (x,)
    got = evaluate.derivative_at(rule, order, mode, *args)
    checked = op.checked_inputs(order, *args)
    arrays = np.broadcast_arrays(got, *args)
    got, args = arrays[0].reshape(-1)[checked], tuple(a.reshape(-1)[checked] for a in arrays[1:])
    c = compare(got, op.reference(order), *args, limits=op.limit_points(order))
    budget = budgets(op.name, order_of(order), dtype)
    return c.failures(budget, flush_allowed=flush_allowed).size > 0


_NO_SHRINK = tuple(p for p in Phase if p != Phase.shrink)


def test_within_ulp_budget(target, op, variant, rule, derivative, dtype, budgets,
                           flush_allowed):
    """Random batches (all regimes of properties.strategies) are within the budget
    (shrunk only where the special values pass: see the module docstring)."""
    def search(data):
        if op.arity == 1:
            x = data.draw(strategies.batches(dtype, op=op), label="x")
        else:
            x = data.draw(strategies.pairs(dtype, op=op), label="x, y")
        _check(target, op, variant, rule, derivative, x, budgets, flush_allowed, "within budget")

    # one example database key per case, as Hypothesis' pytest plugin gives a parametrized test
    case = f"{target.name}:{op.name}_{variant}:{derivative}:{dtype}".encode()
    relaxed = dict(suppress_health_check=list(settings.default.suppress_health_check)
                   + [HealthCheck.differing_executors])

    def run(phases):
        test = settings(settings.default, phases=phases, **relaxed)(given(data=st.data())(search))
        test.hypothesis.inner_test._hypothesis_internal_add_digest = case
        test()

    try:
        run([p for p in settings.default.phases if p in _NO_SHRINK])
    except Exception as failure:
        if not _special_values_fail(target, op, variant, rule, derivative, dtype, budgets,
                                    flush_allowed):
            run(settings.default.phases)  # replays the saved example and shrinks it
            raise
        failure.add_note("not shrunk: the special values fail for the same op, derivative and "
                         "dtype (test_special_values_within_ulp_budget names them)")
        raise


def test_special_values_within_ulp_budget(target, op, variant, rule, derivative, dtype,
                                          budgets, flush_allowed):
    """Every special value and branch point (and its neighbours) is within the budget;
    for a binary op, every pair of :func:`properties.strategies.special_pairs`."""
    x = _special_inputs(op, dtype)
    _check(target, op, variant, rule, derivative, x, budgets, flush_allowed, "special values")


#: Magnitudes of the finite sweep: dense where the reference is a declared closed
#: form (microseconds a value), sparser where it is derived (milliseconds a value).
FINITE_SWEEP = {"declared": 4096, "derived": 256}


def _sweep(op, dtype, index) -> tuple[np.ndarray, ...]:
    """Finite special values and a geometric sweep of the whole range, both signs
    (for a binary op, the special pairs and pairs of the sweep)."""
    specials = strategies.special_values(dtype, op)
    info = np.finfo(dtype)
    count = FINITE_SWEEP["declared" if op.declared(index) is not None else "derived"]
    with np.errstate(over="ignore"):  # geomspace's power overflows in dtype near max
        magnitudes = np.geomspace(info.smallest_subnormal, info.max, count, dtype=dtype)
    x = np.concatenate([specials[np.isfinite(specials)], magnitudes, -magnitudes])
    if op.arity == 1:
        return (x,)
    sx, sy = strategies.special_pairs(dtype, op)
    keep = np.isfinite(sx) & np.isfinite(sy)
    return np.concatenate([sx[keep], x, x, x]), np.concatenate([sy[keep], x[::-1], x, -x])


_FINITE_INPUTS: dict = {}  # (op name, dtype, index, flush_allowed) -> inputs: shared by variants and modes


def _finite_inputs(op, dtype, index, flush_allowed) -> tuple[np.ndarray, ...]:
    key = (op.name, dtype, index, flush_allowed)
    if key not in _FINITE_INPUTS:
        _FINITE_INPUTS[key] = _where_finite(op, dtype, index, flush_allowed)
    return _FINITE_INPUTS[key]


def _where_finite(op, dtype, index, flush_allowed) -> tuple[np.ndarray, ...]:
    """The sweep's inputs where the result must be finite: inside ``op.finite_domain``
    where the op declares one, else wherever the correctly rounded reference is
    finite (it overflows, or the op is undefined, elsewhere: no claim there). Where
    the backend treats subnormal inputs as zero and the policy allows it, the
    reference at the input read as zero must be finite too (XLA's ``log(1e-45)`` is
    ``-inf``)."""
    args = _sweep(op, dtype, index)
    tiny = np.finfo(dtype).smallest_normal
    flushed = tuple(np.where(np.abs(a) < tiny, np.zeros((), dtype), a) for a in args)
    if dtype in op.finite_domain:
        keep = np.logical_and.reduce([op.finite_inputs(a) for a in args])
        if flush_allowed:
            keep &= np.logical_and.reduce([op.finite_inputs(a) for a in flushed])
    else:
        keep = np.isfinite(reference.correctly_rounded(op.reference(index), *args, dtype=dtype))
        if flush_allowed:
            daz = np.logical_or.reduce([(a != 0) & (np.abs(a) < tiny) for a in args])
            if daz.any():
                at_zero = reference.correctly_rounded(op.reference(index), *(f[daz] for f in flushed),
                                                      dtype=dtype)
                keep[daz] &= np.isfinite(at_zero)
    return tuple(a[keep] for a in args)


def _at(args, mask) -> str:
    return ", ".join(f"{name}={a[mask][:5].tolist()!r}" for name, a in zip("xy", args))


def test_finite_for_finite_inputs(target, op, variant, rule, derivative, dtype, flush_allowed):
    """No inf or nan for any finite special value or a dense sweep of the whole range
    where the exact result is finite in ``dtype`` (the reference decides, or the op's
    declared finite domain; for a binary op, pairs of them)."""
    order, mode = derivative
    args = _finite_inputs(op, dtype, index_of(order), flush_allowed)
    got = evaluate.evaluate(rule, order, mode, *args)
    bad = ~np.isfinite(got)
    if op.arity == 1:
        x = args[0]
        examples = ", ".join(f"out={g!r} at x={v!r}" for g, v in zip(got[bad][:5], x[bad][:5]))
    else:
        examples = f"out={got[bad][:5].tolist()!r} at {_at(args, bad)}"
    assert_true(not bad.any(),
                f"{op.name}_{variant} {derivative_label(order, mode)} {dtype}: "
                f"nonfinite for {int(bad.sum())} finite inputs where the exact result is finite, "
                f"e.g. " + examples)


def _infinite_inputs(op, dtype):
    if op.arity == 1:
        return np.array([math.inf, -math.inf], dtype=dtype)
    others = [math.inf, -math.inf, 0.0, 1.0, -1.0, float(np.finfo(dtype).max),
              -float(np.finfo(dtype).max)]
    pairs = [(i, o) for i in (math.inf, -math.inf) for o in others]
    pairs += [(o, i) for i, o in pairs if o != i]
    both = np.array(pairs, dtype=dtype)
    return both[:, 0].copy(), both[:, 1].copy()


def test_limits_at_infinity(target, op, variant, rule, derivative, dtype, budgets, flush_allowed):
    """At ±inf the result is the exact limit: bit for bit where the limit is
    representable in ``dtype`` (budget 0), within the op's budget where it is not (a
    partial at one infinite argument can be a finite, non-representable number:
    xlogy's dx at (inf, max) is log(max)); for a binary op, every pair with an
    infinite argument ((-inf, -inf) included)."""
    order, _ = derivative
    args = _infinite_inputs(op, dtype)
    args = args if isinstance(args, tuple) else (args,)
    exact = op.reference(order)
    limit = reference.correctly_rounded(exact, *args, dtype=dtype)
    representable = reference.ulp_error(limit, exact, *args) == 0
    budget = np.where(representable, 0.0, budgets(op.name, order_of(order), dtype))
    _check(target, op, variant, rule, derivative, args if op.arity == 2 else args[0], None,
           flush_allowed, "limits at ±inf", budget=budget)


def test_nan_propagates(target, op, variant, rule, derivative, dtype):
    """nan in, nan out, for the value and every derivative (binary: nan in either argument)."""
    order, mode = derivative
    if op.arity == 1:
        got = evaluate.evaluate(rule, order, mode, np.array([math.nan, -math.nan], dtype=dtype))
        assert_true(np.isnan(got).all(),
                    f"{op.name}_{variant} {derivative_label(order, mode)} {dtype}: "
                    f"out={got.tolist()!r}, but should be [nan, nan] [x=nan]")
        return
    others = [math.nan, 0.0, 1.0, -1.0, math.inf, -math.inf]
    pairs = np.array([(math.nan, o) for o in others] + [(o, math.nan) for o in others[1:]],
                     dtype=dtype)
    args = (pairs[:, 0].copy(), pairs[:, 1].copy())
    got = evaluate.evaluate(rule, order, mode, *args)
    bad = ~np.isnan(got)
    assert_true(not bad.any(),
                f"{op.name}_{variant} {derivative_label(order, mode)} {dtype}: "
                f"out={got[bad].tolist()!r}, but should be nan [{_at(args, bad)}]")
